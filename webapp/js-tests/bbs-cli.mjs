// The JS BBS code as a batch command for the cross-implementation tests
// (tests/webapp/test_js_bbs.py): reads a JSON array of operations on stdin,
// writes a JSON array of results on stdout, one per operation, in order.
//
// Conventions: byte strings are lowercase hex; scalars are 64-hex-digit
// strings; an attribute is {"b": hex} (octets) or {"i": "decimal"} (integer);
// suite is "BLS12-381-SHA-256" or "BLS12-381-SHAKE-256". A failing operation
// gives {"error": message}.

import {
  blindProofGen,
  blindProofVerify,
  commit,
  verifyBlindSign,
} from '../static/js/bbs/blind.js';
import { proofGen, proofVerify, sign, verify } from '../static/js/bbs/interface.js';
import { present, presentationToBytes, verifyPresentation } from '../static/js/bbs/predicates.js';
import {
  calculatePseudonym,
  commitWithNym,
  proofGenWithNym,
  proofVerifyWithNym,
  verifyFinalizeWithNym,
} from '../static/js/bbs/pseudonym.js';
import { attributeScalars } from '../static/js/bbs/predicates.js';
import { pseudonymApiId } from '../static/js/bbs/pseudonym.js';
import { fromHex, g1FromBytes, scalarToBytes, suiteByName, toHex } from '../static/js/bbs/suite.js';
import { paddedLength, proveRanges, rangeProofFromBytes, rangeProofToBytes, verifyRanges } from '../static/js/bbs/range.js';
import {
  acceptIssuance,
  makeCredentialRequest,
  presentCredential,
  pseudonymOf,
} from '../static/js/bbs/credential.js';

const b = (h) => fromHex(h ?? '');
const bs = (hs) => (hs || []).map(b);
const sc = (h) => BigInt('0x' + (h || '0'));
const scs = (hs) => (hs || []).map(sc);
const hexScalar = (s) => toHex(scalarToBytes(s));
const attr = (a) => ('b' in a ? fromHex(a.b) : BigInt(a.i));
const attrs = (as) => (as || []).map(attr);

function predicatesOf(list) {
  const m = new Map();
  for (const [j, lo, hi] of list || []) m.set(j, [BigInt(lo), BigInt(hi)]);
  return m;
}

const OPS = {
  // docs/credentials.md "Formats": the holder's side in the page (credential.js)
  makeRequest: (o) => makeCredentialRequest(o.key, o.schema),
  acceptIssuance: (o) => acceptIssuance(o.key, o.schema, o.request, o.secrets, o.issued),
  presentCredential: (o) => presentCredential(o.key, o.schema, o.record, o.request, o.options || {}),
  pseudonymOf: (o) => pseudonymOf(o.key, o.record, o.context),
  sign: (o, s) => toHex(sign(s, b(o.sk), b(o.pk), b(o.header), bs(o.messages))),
  verify: (o, s) => verify(s, b(o.pk), b(o.signature), b(o.header), bs(o.messages)),
  proofGen: (o, s) => toHex(proofGen(s, b(o.pk), b(o.signature), b(o.header), b(o.ph), bs(o.messages), o.disclosed)),
  proofVerify: (o, s) => proofVerify(s, b(o.pk), b(o.proof), b(o.header), b(o.ph), bs(o.messages), o.disclosed),
  commit: (o, s) => {
    const r = commit(s, bs(o.committed));
    return { commitment: toHex(r.commitmentWithProof), proverBlind: hexScalar(r.secretProverBlind) };
  },
  verifyBlindSign: (o, s) =>
    verifyBlindSign(s, b(o.pk), b(o.signature), b(o.header), bs(o.messages), bs(o.committed), sc(o.proverBlind)),
  blindProofGen: (o, s) =>
    toHex(
      blindProofGen(
        s,
        b(o.pk),
        b(o.signature),
        b(o.header),
        b(o.ph),
        bs(o.messages),
        bs(o.committed),
        o.disclosed,
        o.disclosedCommitted,
        sc(o.proverBlind),
      ),
    ),
  blindProofVerify: (o, s) =>
    blindProofVerify(
      s,
      b(o.pk),
      b(o.proof),
      b(o.header),
      b(o.ph),
      o.length,
      bs(o.messages),
      bs(o.committed),
      o.disclosed,
      o.disclosedCommitted,
    ),
  commitWithNym: (o, s) => {
    const r = commitWithNym(s, bs(o.committed), scs(o.proverNyms));
    return { commitment: toHex(r.commitmentWithProof), proverBlind: hexScalar(r.secretProverBlind) };
  },
  verifyFinalizeWithNym: (o, s) => {
    const api = pseudonymApiId(s);
    return verifyFinalizeWithNym(
      s,
      b(o.pk),
      b(o.signature),
      b(o.header),
      attributeScalars(s, attrs(o.attributes), api),
      attributeScalars(s, bs(o.committed), api),
      scs(o.proverNyms),
      sc(o.entropy),
      sc(o.proverBlind),
    ).map(hexScalar);
  },
  calculatePseudonym: (o, s) => toHex(calculatePseudonym(s, b(o.contextId), scs(o.nymSecrets))),
  proofGenWithNym: (o, s) => {
    const r = proofGenWithNym(
      s,
      b(o.pk),
      b(o.signature),
      b(o.header),
      b(o.ph),
      scs(o.nymSecrets),
      b(o.contextId),
      bs(o.messages),
      bs(o.committed),
      o.disclosed,
      o.disclosedCommitted || [],
      sc(o.proverBlind),
    );
    return { proof: toHex(r.proof), pseudonym: toHex(r.pseudonym) };
  },
  proofVerifyWithNym: (o, s) =>
    proofVerifyWithNym(
      s,
      b(o.pk),
      b(o.proof),
      b(o.header),
      b(o.ph),
      b(o.pseudonym),
      b(o.contextId),
      o.length,
      o.nymLength,
      bs(o.messages),
      bs(o.committed),
      o.disclosed,
      o.disclosedCommitted || [],
    ),
  present: (o, s) => {
    const nym = o.nym
      ? {
          contextId: b(o.nym.contextId),
          nymSecrets: scs(o.nym.nymSecrets),
          secretProverBlind: sc(o.nym.proverBlind),
          committedMessages: bs(o.nym.committed),
        }
      : null;
    const p = present(s, b(o.pk), b(o.signature), b(o.header), b(o.ph), attrs(o.attributes), o.disclosed, {
      predicates: predicatesOf(o.predicates),
      nym,
    });
    return { presentation: toHex(presentationToBytes(p)), pseudonym: p.pseudonym ? toHex(p.pseudonym) : null };
  },
  proveRanges: (o, s) => {
    const ranges = o.ranges.map(([lo, hi]) => [BigInt(lo), BigInt(hi)]);
    const random = o.random ? () => scs(o.random) : undefined;
    const proof = proveRanges(
      s,
      b(o.seed),
      o.commitments.map((c) => g1FromBytes(b(c))),
      o.openings.map(([x, rho]) => [BigInt(x), sc(rho)]),
      ranges,
      random,
    );
    return toHex(rangeProofToBytes(proof));
  },
  verifyRanges: (o, s) => {
    const ranges = o.ranges.map(([lo, hi]) => [BigInt(lo), BigInt(hi)]);
    const proof = rangeProofFromBytes(b(o.proof), paddedLength(ranges));
    return verifyRanges(s, b(o.seed), o.commitments.map((c) => g1FromBytes(b(c))), ranges, proof);
  },
  verifyPresentation: (o, s) => {
    const disclosed = new Map(Object.entries(o.disclosed).map(([i, a]) => [Number(i), attr(a)]));
    return verifyPresentation(s, b(o.pk), b(o.presentation), b(o.header), b(o.ph), disclosed, {
      predicates: predicatesOf(o.predicates),
      contextId: o.contextId == null ? null : b(o.contextId),
      numMessages: o.numMessages ?? null,
    });
  },
};

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

const ops = JSON.parse(await readStdin());
const results = ops.map((o) => {
  try {
    const fn = OPS[o.op];
    if (!fn) return { error: `unknown op ${o.op}` };
    return { result: fn(o, o.suite ? suiteByName(o.suite) : null) };
  } catch (e) {
    return { error: String(e && e.message ? e.message : e), code: e && e.code };
  }
});
process.stdout.write(JSON.stringify(results));

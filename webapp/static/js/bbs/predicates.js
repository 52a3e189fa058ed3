// Presentations: one BBS proof (core interface, or the pseudonym interface with a
// pseudonym for a context_id) with range predicates on hidden integer
// attributes, as crypto/bbs/predicates.py; docs/credentials.md "Cryptography" §3, §4.
//
// For each predicate attribute j with bounds [lo_j, hi_j]:
//   C_j = m_j·g + ρ_j·h (range.js generators);
//   K_j = m~_j·g + r~_j·h with m~_j the BBS proof's own random scalar for message j,
//   so the BBS response m^_j = m~_j + m_j·c answers both; r^_j = r~_j + ρ_j·c;
//   the verifier recomputes K_j = m^_j·g + r^_j·h − c·C_j;
// all under one challenge: the draft's challenge octets followed by
//   "PNYX_V1_PREDICATES" || I2OSP(P, 8) || for each j ascending:
//   I2OSP(j, 8) || lo_j || hi_j (8-byte two's complement) || C_j || K_j;
// then one aggregated Bulletproofs range proof (range.js) over every C_j, its
// transcript seeded with I2OSP(c, 32) (§4.2, §4.4). Without predicates the proof
// is exactly a draft proof (ProofGen / ProofGenWithNym).
//
// Attributes: a Uint8Array (hashed, messages_to_scalars) or an integer (bigint or
// a safe Number, −2^63 ≤ v < 2^63) signed as the scalar v mod r.
// Predicates: a Map or plain object index ↦ [lo, hi] (bigints or safe Numbers).
//
// Encoding (§4.6): 0x02 || flags (bit 0: pseudonym) || I2OSP(L, 2) || I2OSP(M, 2)
// || I2OSP(N, 2) || I2OSP(len(proof), 4) || proof || [pseudonym] || I2OSP(P, 1)
// || per predicate: I2OSP(j, 2) || lo || hi (8 each) || C_j || r^_j
// || [range proof, iff P > 0].

import { blindGeneratorsFor } from './blind.js';
import { complement, coreSign, coreVerify, proofFinalize, proofInit, proofPairingCheck, proofVerifyInit } from './core.js';
import { decodeSecretKey } from './interface.js';
import {
  blindSignWithNymScalars,
  challengeWithExtensions,
  decodePseudonym,
  nymHeader,
  nymOrigin,
  nymPoly,
  nymVerifyPoint,
  pseudonymApiId,
} from './pseudonym.js';
import {
  BULLETPROOFS_API_ID,
  PEDERSEN_API_ID,
  checkRanges,
  paddedLength,
  pedersenGenerators,
  proofSize,
  proveRanges,
  rangeProofFromBytes,
  rangeProofToBytes,
  rangeWeights,
} from './range.js';
import {
  BBSError,
  OCTET_POINT_LENGTH,
  OCTET_SCALAR_LENGTH,
  ORDER,
  apiId,
  asBytes,
  calculateRandomScalars,
  concat,
  createGenerators,
  g1FromBytes,
  g1ToBytes,
  i2osp,
  messagesToScalars,
  mod,
  msmPublic,
  msmSecret,
  mulSecret,
  octetsToProof,
  octetsToPubkey,
  octetsToSignature,
  os2ip,
  prepareGenerators,
  scalarToBytes,
  utf8,
} from './suite.js';

/** The label that opens the predicate extension of the challenge. */
export const PREDICATES_LABEL = utf8('PNYX_V1_PREDICATES');
/** The presentation encoding's version byte. */
export const PRESENTATION_VERSION = 2;

const MIN_INT = -(1n << 63n);
const MAX_INT = (1n << 63n) - 1n;

function asInteger(v, what) {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  throw new BBSError(`${what} must be an integer (bigint or safe Number)`);
}

function isIntegerAttribute(a) {
  return typeof a === 'bigint' || (typeof a === 'number' && Number.isSafeInteger(a));
}

function int64Bytes(v) {
  return i2osp(BigInt.asUintN(64, v), 8);
}

function int64From(bytes) {
  return BigInt.asIntN(64, os2ip(bytes));
}

/**
 * bytes ↦ hash_to_scalar(msg, api_id || "MAP_MSG_TO_SCALAR_AS_HASH_") (§4.2.1);
 * an integer v (int64) ↦ v mod r. BBSError for anything else.
 */
export function attributeScalars(suite, attributes, api) {
  if (!Array.isArray(attributes)) throw new BBSError('attributes must be an array');
  return attributes.map((a) => {
    if (a instanceof Uint8Array) return messagesToScalars(suite, [a], api)[0];
    if (isIntegerAttribute(a)) {
      const v = BigInt(a);
      if (v < MIN_INT || v > MAX_INT) throw new BBSError('integer attribute outside the signed 64-bit range');
      return mod(v);
    }
    throw new BBSError('an attribute is bytes (Uint8Array) or an integer');
  });
}

function predicateEntries(predicates) {
  if (predicates == null) return [];
  const entries = predicates instanceof Map ? [...predicates.entries()] : Object.entries(predicates);
  return entries.map(([j, bounds]) => {
    const index = Number(j);
    if (!Array.isArray(bounds) || bounds.length !== 2) throw new BBSError('a predicate is index ↦ [lo, hi]');
    return [index, asInteger(bounds[0], 'lo'), asInteger(bounds[1], 'hi')];
  });
}

/** Predicates as [{ index, lo, hi }] sorted, each on an undisclosed attribute in [0, L). BBSError. */
export function checkPredicates(predicates, length, disclosed) {
  const shown = new Set(disclosed);
  const out = predicateEntries(predicates)
    .sort((x, y) => x[0] - y[0])
    .map(([index, lo, hi]) => {
      if (!Number.isInteger(index) || index < 0 || index >= length || shown.has(index)) {
        throw new BBSError('a predicate names an undisclosed signer attribute');
      }
      rangeWeights(lo, hi);
      return { index, lo, hi };
    });
  if (out.length > 255) throw new BBSError('too many predicates');
  return out;
}

function layout(suite, length, committed, nymLength, header) {
  if (nymLength === 0) {
    const api = apiId(suite);
    return { api, generators: createGenerators(suite, length + 1, api), header, total: length };
  }
  const api = pseudonymApiId(suite);
  const both = blindGeneratorsFor(suite, length, committed + nymLength, api);
  return {
    api,
    generators: both.combined,
    header: nymHeader(header, nymLength),
    total: length + 1 + committed + nymLength,
  };
}

function extensionOctets(items) {
  if (!items.length) return new Uint8Array(0);
  const parts = [PREDICATES_LABEL, i2osp(items.length, 8)];
  for (const it of items) {
    parts.push(i2osp(it.index, 8), int64Bytes(it.lo), int64Bytes(it.hi), g1ToBytes(it.c), g1ToBytes(it.k));
  }
  return concat(...parts);
}

function checkAscendingSigner(indexes, length) {
  if (!Array.isArray(indexes)) throw new BBSError('disclosed indexes must be an array');
  let prev = -1;
  for (const i of indexes) {
    if (!Number.isInteger(i) || !(prev < i && i < length)) {
      throw new BBSError('disclosed indexes must be strictly ascending, in [0, L)');
    }
    prev = i;
  }
}

/**
 * Present a credential: disclose messages[i] for i in disclosedIndexes, prove
 * lo ≤ messages[j] ≤ hi for each predicate j ↦ [lo, hi], and, with `nym`
 * ({ contextId, nymSecrets, secretProverBlind, committedMessages? }), show the
 * pseudonym for nym.contextId over a pseudonym credential. Returns a
 * presentation object (presentationToBytes encodes it). BBSError for malformed
 * input and for a predicate that does not hold.
 */
export function present(
  suite,
  pk,
  signature,
  header,
  ph,
  messages,
  disclosedIndexes,
  { predicates = null, nym = null, randomScalars = calculateRandomScalars } = {},
) {
  asBytes(header, 'the header');
  asBytes(ph, 'the presentation header');
  if (!Array.isArray(messages)) throw new BBSError('messages must be an array');
  const preds = checkPredicates(predicates, messages.length, disclosedIndexes);
  const sig = octetsToSignature(signature);
  octetsToPubkey(pk);
  const n = nym ? nym.nymSecrets.length : 0;
  const committedMessages = nym ? nym.committedMessages || [] : [];
  if (nym && n === 0) throw new BBSError('no nym secrets');
  const lay = layout(suite, messages.length, committedMessages.length, n, header);
  const scalars = attributeScalars(suite, messages, lay.api);
  if (nym) {
    for (const s of nym.nymSecrets) {
      if (typeof s !== 'bigint' || s < 0n || s >= ORDER) throw new BBSError('nym secret out of range');
    }
    if (typeof nym.secretProverBlind !== 'bigint') throw new BBSError('secretProverBlind must be a bigint');
    scalars.push(mod(nym.secretProverBlind), ...messagesToScalars(suite, committedMessages, lay.api), ...nym.nymSecrets);
  }
  checkAscendingSigner(disclosedIndexes, messages.length);
  const undisclosed = complement(disclosedIndexes, scalars.length);
  const rs = [...randomScalars(5 + undisclosed.length)].map(mod);
  const initRes = proofInit(suite, pk, sig, lay.generators, rs, lay.header, scalars, undisclosed, lay.api);
  let nymTerms = null;
  let pseudonym = null;
  if (nym) {
    const contextId = asBytes(nym.contextId, 'the context id');
    const { op, z } = nymOrigin(suite, contextId, lay.api);
    const point = mulSecret(op, nymPoly(nym.nymSecrets, z));
    const ut = mulSecret(op, nymPoly(rs.slice(rs.length - n), z));
    nymTerms = { pseudonym: point, ut, contextId };
    pseudonym = g1ToBytes(point);
  }
  const gens = preds.length ? pedersenGenerators(suite) : null;
  const states = [];
  const items = [];
  for (const { index, lo, hi } of preds) {
    const value = messages[index];
    if (!isIntegerAttribute(value)) throw new BBSError('a predicate attribute must be an integer attribute');
    const v = BigInt(value);
    if (!(lo <= v && v <= hi)) throw new BBSError('the value is outside the range: the predicate does not hold');
    const [rho, rTilde] = calculateRandomScalars(2);
    const c = msmSecret([gens.g, gens.h], [mod(v), rho]);
    const mTilde = rs[5 + undisclosed.indexOf(index)];
    const k = msmSecret([gens.g, gens.h], [mTilde, rTilde]);
    states.push({ index, lo, hi, c, value: v, rho, rTilde });
    items.push({ index, lo, hi, c, k });
  }
  const ch = challengeWithExtensions(
    suite,
    initRes,
    disclosedIndexes,
    disclosedIndexes.map((i) => scalars[i]),
    ph,
    lay.api,
    nymTerms,
    extensionOctets(items),
  );
  const proof = proofFinalize(initRes, ch, sig.e, rs, undisclosed.map((j) => scalars[j]));
  const rangeProof = states.length
    ? proveRanges(
        suite,
        scalarToBytes(ch),
        states.map((s) => s.c),
        states.map((s) => [s.value, s.rho]),
        states.map((s) => [s.lo, s.hi]),
      )
    : null;
  return {
    proof,
    numMessages: messages.length,
    committed: committedMessages.length,
    nymLength: n,
    pseudonym,
    predicates: states.map((s) => ({
      index: s.index,
      lo: s.lo,
      hi: s.hi,
      commitment: g1ToBytes(s.c),
      blindingResponse: mod(s.rTilde + s.rho * ch),
    })),
    rangeProof,
  };
}

/**
 * Create the generators a presentation of this credential layout uses, with
 * their multiplication tables (suite.js prepareGenerators): L signer messages,
 * and with nymLength > 0 a pseudonym credential with `committed` committed
 * messages; withPredicates also the Pedersen generators and the range proof's
 * G_i, H_i for rangeBitsHint bits (32: a birth date and validUntil). A wallet calls it
 * while the page is idle; proofs made afterwards cost about half.
 */
export function prepare(suite, numMessages, { committed = 0, nymLength = 0, withPredicates = true, rangeBitsHint = 32 } = {}) {
  if (nymLength === 0) {
    prepareGenerators(suite, numMessages + 1, apiId(suite));
  } else {
    const api = pseudonymApiId(suite);
    prepareGenerators(suite, numMessages + 1, api);
    prepareGenerators(suite, committed + nymLength + 1, concat(utf8('BLIND_'), api));
  }
  if (withPredicates) {
    prepareGenerators(suite, 2, PEDERSEN_API_ID);
    prepareGenerators(suite, 2 * rangeBitsHint, BULLETPROOFS_API_ID);
  }
}

/** The presentation encoding (docs/credentials.md "Cryptography" §4.6). */
export function presentationToBytes(p) {
  if ((p.rangeProof == null) !== (p.predicates.length === 0)) {
    throw new BBSError('a range proof comes with the predicates, and only with them');
  }
  const parts = [
    Uint8Array.of(PRESENTATION_VERSION, p.pseudonym ? 1 : 0),
    i2osp(p.numMessages, 2),
    i2osp(p.committed, 2),
    i2osp(p.nymLength, 2),
    i2osp(p.proof.length, 4),
    p.proof,
  ];
  if (p.pseudonym) parts.push(p.pseudonym);
  parts.push(i2osp(p.predicates.length, 1));
  for (const q of p.predicates) {
    parts.push(
      i2osp(q.index, 2),
      int64Bytes(q.lo),
      int64Bytes(q.hi),
      q.commitment,
      scalarToBytes(q.blindingResponse),
    );
  }
  if (p.rangeProof) parts.push(rangeProofToBytes(p.rangeProof));
  return concat(...parts);
}

/** Decode a presentation (lengths and scalar ranges checked; points on use). BBSError. */
export function presentationFromBytes(bytes) {
  asBytes(bytes, 'a presentation');
  let pos = 0;
  const take = (n) => {
    if (n < 0 || pos + n > bytes.length) throw new BBSError('truncated presentation');
    const out = bytes.slice(pos, pos + n);
    pos += n;
    return out;
  };
  const num = (n) => Number(os2ip(take(n)));
  const version = take(1)[0];
  const flags = take(1)[0];
  if (version !== PRESENTATION_VERSION || (flags !== 0 && flags !== 1)) {
    throw new BBSError('unknown presentation version or flags');
  }
  const numMessages = num(2);
  const committed = num(2);
  const nymLength = num(2);
  const proof = take(num(4));
  const pseudonym = flags & 1 ? take(OCTET_POINT_LENGTH) : null;
  if ((pseudonym === null) !== (nymLength === 0) || (nymLength === 0 && committed)) {
    throw new BBSError('inconsistent pseudonym fields');
  }
  const predicates = [];
  const count = take(1)[0];
  for (let k = 0; k < count; k++) {
    const index = num(2);
    const lo = int64From(take(8));
    const hi = int64From(take(8));
    const commitment = take(OCTET_POINT_LENGTH);
    const blindingResponse = os2ip(take(OCTET_SCALAR_LENGTH));
    if (blindingResponse >= ORDER) throw new BBSError('non-canonical scalar');
    predicates.push({ index, lo, hi, commitment, blindingResponse });
  }
  let rangeProof = null;
  if (predicates.length) {
    const n = paddedLength(predicates.map((q) => [q.lo, q.hi]));
    rangeProof = rangeProofFromBytes(take(proofSize(n)), n);
  }
  if (pos !== bytes.length) throw new BBSError('trailing bytes after the presentation');
  return { proof, numMessages, committed, nymLength, pseudonym, predicates, rangeProof };
}

/**
 * Whether `presentation` (bytes or a decoded object) proves under pk: a
 * signature on the disclosed attributes (a Map or object index ↦ value),
 * exactly the requested predicates, and — iff contextId is given — the
 * pseudonym it carries for that context. numMessages, if given, must equal L.
 * False for anything invalid or malformed; never throws.
 */
export function verifyPresentation(
  suite,
  pk,
  presentation,
  header,
  ph,
  disclosed,
  { predicates = null, contextId = null, numMessages = null } = {},
) {
  try {
    return verifyInner(suite, pk, presentation, header, ph, disclosed, predicates, contextId, numMessages);
  } catch {
    return false;
  }
}

function verifyInner(suite, pk, presentation, header, ph, disclosed, predicates, contextId, numMessages) {
  const pres = presentation instanceof Uint8Array ? presentationFromBytes(presentation) : presentation;
  asBytes(header, 'the header');
  asBytes(ph, 'the presentation header');
  const length = pres.numMessages;
  if (numMessages !== null && numMessages !== length) return false;
  if ((contextId === null) !== (pres.pseudonym === null)) return false;
  const entries = disclosed instanceof Map ? [...disclosed.entries()] : Object.entries(disclosed);
  const disclosedMap = new Map(entries.map(([i, v]) => [Number(i), v]));
  const disclosedIndexes = [...disclosedMap.keys()].sort((a, b) => a - b);
  const preds = checkPredicates(predicates, length, disclosedIndexes);
  if (
    pres.predicates.length !== preds.length ||
    pres.predicates.some((p, k) => p.index !== preds[k].index || p.lo !== preds[k].lo || p.hi !== preds[k].hi)
  ) {
    return false;
  }
  const decoded = octetsToProof(pres.proof);
  const w = octetsToPubkey(pk);
  const lay = layout(suite, length, pres.committed, pres.nymLength, header);
  if (decoded.commitments.length + disclosedIndexes.length !== lay.total) return false;
  checkAscendingSigner(disclosedIndexes, length);
  const values = attributeScalars(suite, disclosedIndexes.map((i) => disclosedMap.get(i)), lay.api);
  const initRes = proofVerifyInit(suite, pk, decoded, lay.generators, lay.header, values, disclosedIndexes, lay.api);
  const c = decoded.challenge;
  let nymTerms = null;
  if (pres.pseudonym !== null) {
    const n = pres.nymLength;
    const point = decodePseudonym(pres.pseudonym);
    const ctx = asBytes(contextId, 'the context id');
    const { op, z } = nymOrigin(suite, ctx, lay.api);
    nymTerms = { pseudonym: point, ut: nymVerifyPoint(op, z, point, decoded.commitments.slice(-n), c), contextId: ctx };
  }
  const undisclosed = complement(disclosedIndexes, lay.total);
  if ((pres.rangeProof == null) !== (pres.predicates.length === 0)) return false;
  const items = [];
  if (pres.predicates.length) {
    const gens = pedersenGenerators(suite);
    for (const p of pres.predicates) {
      const cPoint = g1FromBytes(p.commitment);
      if (cPoint.is0()) return false;
      const mHat = decoded.commitments[undisclosed.indexOf(p.index)];
      const k = msmPublic([gens.g, gens.h, cPoint], [mHat, p.blindingResponse, mod(-c)]);
      items.push({ index: p.index, lo: p.lo, hi: p.hi, c: cPoint, k });
    }
  }
  const expected = challengeWithExtensions(
    suite,
    initRes,
    disclosedIndexes,
    values,
    ph,
    lay.api,
    nymTerms,
    extensionOctets(items),
  );
  if (expected !== c) return false;
  if (
    pres.rangeProof &&
    !checkRanges(
      suite,
      scalarToBytes(c),
      items.map((it) => it.c),
      pres.predicates.map((p) => [p.lo, p.hi]),
      pres.rangeProof,
    )
  ) {
    return false;
  }
  return proofPairingCheck(decoded, w);
}

/** Sign a core-interface credential whose attributes may be integers (tests; the browser never signs). */
export function signAttributes(suite, sk, pk, header, attributes) {
  const api = apiId(suite);
  const scalars = attributeScalars(suite, attributes, api);
  const x = decodeSecretKey(sk);
  octetsToPubkey(pk);
  return coreSign(suite, x, pk, createGenerators(suite, scalars.length + 1, api), header, scalars, api);
}

/** Verify a core-interface credential with integer attributes. Never throws. */
export function verifyAttributes(suite, pk, signature, header, attributes) {
  try {
    const api = apiId(suite);
    const scalars = attributeScalars(suite, attributes, api);
    return coreVerify(suite, pk, signature, createGenerators(suite, scalars.length + 1, api), header, scalars, api);
  } catch {
    return false;
  }
}

/** BlindSignWithNym over attributes that may be integers (tests; the issuer's move). */
export function blindSignAttributes(suite, sk, pk, commitmentWithProof, lengthNymVector, signerNymEntropy, header, attributes) {
  return blindSignWithNymScalars(
    suite,
    sk,
    pk,
    commitmentWithProof,
    lengthNymVector,
    signerNymEntropy,
    header,
    attributeScalars(suite, attributes, pseudonymApiId(suite)),
  );
}

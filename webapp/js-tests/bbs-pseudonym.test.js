// Per-verifier pseudonyms (webapp/static/js/bbs/pseudonym.js) against every
// fixture of ../shared/vectors/bbs-pseudonyms, both suites: generators, the 4
// nymCommit cases (CommitWithNym byte for byte), the 6 nymSignature cases
// (BlindSignWithNym byte for byte, VerifyFinalizeWithNym's nym secrets) and the
// 11 nymProof cases (pseudonym and ProofGenWithNym byte for byte,
// ProofVerifyWithNym); then tampering and the pseudonym's properties.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  blindSignWithNym,
  calculatePseudonym,
  commitWithNym,
  proofGenWithNym,
  proofVerifyWithNym,
  pseudonymApiId,
  verifyFinalizeWithNym,
} from '../static/js/bbs/pseudonym.js';
import {
  SHA_256,
  calculateRandomScalars,
  createGenerators,
  concat,
  fromHex,
  messagesToScalars,
  mockedRandomScalars,
  toHex,
  utf8,
} from '../static/js/bbs/suite.js';
import { keygen, skToPk } from '../static/js/bbs/interface.js';
import { HAVE_VECTORS, SUITES, cases, flip, hexes, int, ints, readJson } from './bbs-vectors.mjs';

const skip = HAVE_VECTORS ? false : 'published vectors absent (../shared/vectors)';

function mock(suite, seed, dst) {
  return mockedRandomScalars(suite, utf8(seed), utf8(dst));
}

for (const [folder, suite] of SUITES) {
  describe(`pseudonyms ${folder}`, { skip }, () => {
    test('generators', () => {
      const fx = readJson('bbs-pseudonyms', folder, 'generators.json');
      const api = pseudonymApiId(suite);
      assert.equal(fx.generators.api_id, new TextDecoder().decode(api));
      assert.deepEqual(
        createGenerators(suite, fx.generators.MsgGenerators.length + 1, api).map((p) => toHex(p.toBytes())),
        [fx.generators.Q1, ...fx.generators.MsgGenerators],
      );
      assert.deepEqual(
        createGenerators(suite, fx.blindGenerators.MsgGenerators.length + 1, concat(utf8('BLIND_'), api)).map((p) => toHex(p.toBytes())),
        [fx.blindGenerators.Q1, ...fx.blindGenerators.MsgGenerators],
      );
    });

    test('nymCommit fixtures', () => {
      const all = cases('bbs-pseudonyms', folder, 'nymCommit');
      assert.equal(all.length, 4);
      for (const { name, fx } of all) {
        const p = fx.mockRngParameters;
        const { commitmentWithProof, secretProverBlind } = commitWithNym(
          suite,
          hexes(fx.committedMessages),
          ints(fx.proverNyms),
          mock(suite, p.SEED, p.commit.DST),
        );
        assert.equal(toHex(commitmentWithProof), fx.commitmentWithProof, `${name}: ${fx.caseName}`);
        assert.equal(secretProverBlind, int(fx.proverBlind), name);
      }
    });

    test('nymSignature fixtures: BlindSignWithNym, VerifyFinalizeWithNym', () => {
      const all = cases('bbs-pseudonyms', folder, 'nymSignature');
      assert.equal(all.length, 6);
      const api = pseudonymApiId(suite);
      for (const { name, fx } of all) {
        const sk = fromHex(fx.signerKeyPair.secretKey);
        const pk = fromHex(fx.signerKeyPair.publicKey);
        const header = fromHex(fx.header);
        const messages = hexes(fx.messages);
        const entropy = int(fx.signer_nym_entropy);
        const proverNyms = ints(fx.proverNyms);
        const cwp = fromHex(fx.commitmentWithProof);
        const sig = blindSignWithNym(suite, sk, pk, cwp, proverNyms.length, entropy, header, messages);
        assert.equal(toHex(sig), fx.signature, `${name}: ${fx.caseName}`);
        const msgScalars = messagesToScalars(suite, messages, api);
        const committed = messagesToScalars(suite, hexes(fx.committedMessages), api);
        const blind = int(fx.proverBlind);
        const nymSecrets = verifyFinalizeWithNym(suite, pk, sig, header, msgScalars, committed, proverNyms, entropy, blind);
        assert.deepEqual(nymSecrets, ints(fx.nym_secrets), name);
        // wrong entropy, wrong blind, tampered signature: refused
        assert.throws(() => verifyFinalizeWithNym(suite, pk, sig, header, msgScalars, committed, proverNyms, entropy + 1n, blind), /does not verify/);
        assert.throws(() => verifyFinalizeWithNym(suite, pk, sig, header, msgScalars, committed, proverNyms, entropy, blind + 1n), /does not verify/);
        assert.throws(() => verifyFinalizeWithNym(suite, pk, flip(sig, 70), header, msgScalars, committed, proverNyms, entropy, blind), /does not verify/);
      }
    });

    test('nymProof fixtures: pseudonym, ProofGenWithNym byte for byte, ProofVerifyWithNym', () => {
      const all = cases('bbs-pseudonyms', folder, 'nymProof');
      assert.equal(all.length, 11);
      for (const { name, fx } of all) {
        const p = fx.mockRngParameters;
        const pk = fromHex(fx.signerPublicKey);
        const header = fromHex(fx.header);
        const ph = fromHex(fx.presentationHeader);
        const contextId = fromHex(fx.context_id);
        const msgs = hexes(fx.messages);
        const committed = hexes(fx.committedMessages);
        const nymSecrets = ints(fx.nym_secrets);
        const disclosed = Object.keys(fx.revealedMessages).map(Number).sort((a, b) => a - b);
        const disclosedC = Object.keys(fx.revealedCommittedMessages).map(Number).sort((a, b) => a - b);
        assert.equal(toHex(calculatePseudonym(suite, contextId, nymSecrets)), fx.pseudonym, name);
        const { proof, pseudonym } = proofGenWithNym(
          suite,
          pk,
          fromHex(fx.signature),
          header,
          ph,
          nymSecrets,
          contextId,
          msgs,
          committed,
          disclosed,
          disclosedC,
          int(fx.proverBlind),
          mock(suite, p.SEED, p.proof.DST),
        );
        assert.equal(toHex(pseudonym), fx.pseudonym, name);
        assert.equal(toHex(proof), fx.proof, `${name}: ${fx.caseName}`);
        const args = [disclosed.map((i) => msgs[i]), disclosedC.map((j) => committed[j]), disclosed, disclosedC];
        const n = nymSecrets.length;
        assert.equal(proofVerifyWithNym(suite, pk, proof, header, ph, pseudonym, contextId, fx.L, n, ...args), true, name);
        assert.equal(proofVerifyWithNym(suite, pk, proof, header, ph, pseudonym, concat(contextId, utf8('x')), fx.L, n, ...args), false);
        const other = calculatePseudonym(suite, contextId, [1n, ...nymSecrets.slice(1)]);
        assert.equal(proofVerifyWithNym(suite, pk, proof, header, ph, other, contextId, fx.L, n, ...args), false);
        assert.equal(proofVerifyWithNym(suite, pk, proof, header, ph, pseudonym, contextId, fx.L, n + 1, ...args), false);
        assert.equal(proofVerifyWithNym(suite, pk, flip(proof, 100), header, ph, pseudonym, contextId, fx.L, n, ...args), false);
        assert.equal(proofVerifyWithNym(suite, pk, proof, header, flip(ph, 0), pseudonym, contextId, fx.L, n, ...args), false);
      }
    });
  });
}

describe('pseudonym properties', () => {
  test('fixed within a context, different across contexts, fresh proofs otherwise', () => {
    const suite = SHA_256;
    const sk = keygen(suite, new Uint8Array(32).fill(3));
    const pk = skToPk(sk);
    const api = pseudonymApiId(suite);
    const [proverNym, entropy] = calculateRandomScalars(2);
    const { commitmentWithProof, secretProverBlind } = commitWithNym(suite, [], [proverNym]);
    const msgs = [utf8('name'), utf8('district 7')];
    const sig = blindSignWithNym(suite, sk, pk, commitmentWithProof, 1, entropy, new Uint8Array(0), msgs);
    const secrets = verifyFinalizeWithNym(suite, pk, sig, new Uint8Array(0), messagesToScalars(suite, msgs, api), [], [proverNym], entropy, secretProverBlind);
    const ctx1 = utf8('election-2026');
    const ctx2 = utf8('election-2027');
    const a = proofGenWithNym(suite, pk, sig, new Uint8Array(0), utf8('n1'), secrets, ctx1, msgs, [], [1], [], secretProverBlind);
    const b = proofGenWithNym(suite, pk, sig, new Uint8Array(0), utf8('n2'), secrets, ctx1, msgs, [], [1], [], secretProverBlind);
    const c = proofGenWithNym(suite, pk, sig, new Uint8Array(0), utf8('n3'), secrets, ctx2, msgs, [], [1], [], secretProverBlind);
    assert.equal(toHex(a.pseudonym), toHex(b.pseudonym));
    assert.notEqual(toHex(a.pseudonym), toHex(c.pseudonym));
    assert.equal(toHex(a.pseudonym), toHex(calculatePseudonym(suite, ctx1, secrets)));
    for (const [x, ph, ctx] of [[a, 'n1', ctx1], [b, 'n2', ctx1], [c, 'n3', ctx2]]) {
      assert.ok(proofVerifyWithNym(suite, pk, x.proof, new Uint8Array(0), utf8(ph), x.pseudonym, ctx, 2, 1, [msgs[1]], [], [1], []));
    }
    // the two proofs in one context share no 32-byte block
    const blocks = (p) => new Set(Array.from({ length: p.length / 16 }, (_, i) => toHex(p.subarray(16 * i, 16 * i + 16))));
    const shared = [...blocks(a.proof)].filter((x) => blocks(b.proof).has(x));
    assert.deepEqual(shared, []);
    assert.throws(() => calculatePseudonym(suite, ctx1, []), /non-empty/);
  });
});

// Blind BBS (webapp/static/js/bbs/blind.js) against every fixture of
// ../shared/vectors/bbs-blind, both suites: generators, the 2 commitments (byte
// for byte with the mocked random scalars), the 5 signatures (BlindSign byte
// for byte, the holder's verification), the 8 proofs (BlindProofGen byte for
// byte, BlindProofVerify); then tampering.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  blindApiId,
  blindGeneratorsFor,
  blindProofGen,
  blindProofVerify,
  blindSign,
  commit,
  deserializeAndValidateCommit,
  verifyBlindSign,
} from '../static/js/bbs/blind.js';
import { fromHex, mockedRandomScalars, toHex, utf8 } from '../static/js/bbs/suite.js';
import { HAVE_VECTORS, SUITES, cases, flip, hexes, int, readJson } from './bbs-vectors.mjs';

const skip = HAVE_VECTORS ? false : 'published vectors absent (../shared/vectors)';

function mock(suite, seed, dst) {
  return mockedRandomScalars(suite, utf8(seed), utf8(dst));
}

for (const [folder, suite] of SUITES) {
  describe(`blind bbs ${folder}`, { skip }, () => {
    test('generators', () => {
      const fx = readJson('bbs-blind', folder, 'generators.json');
      const api = blindApiId(suite);
      assert.equal(fx.generators.api_id, new TextDecoder().decode(api));
      const gens = blindGeneratorsFor(suite, fx.generators.MsgGenerators.length, fx.blindGenerators.MsgGenerators.length, api);
      assert.deepEqual(gens.generators.map((p) => toHex(p.toBytes())), [fx.generators.Q1, ...fx.generators.MsgGenerators]);
      assert.deepEqual(gens.blind.map((p) => toHex(p.toBytes())), [fx.blindGenerators.Q1, ...fx.blindGenerators.MsgGenerators]);
    });

    test('commitment fixtures', () => {
      const all = cases('bbs-blind', folder, 'commit');
      assert.equal(all.length, 2);
      for (const { name, fx } of all) {
        const p = fx.mockRngParameters;
        const { commitmentWithProof, secretProverBlind } = commit(suite, hexes(fx.committedMessages), mock(suite, p.SEED, p.commit.DST));
        assert.equal(toHex(commitmentWithProof), fx.commitmentWithProof, name);
        assert.equal(secretProverBlind, int(fx.proverBlind), name);
        // the Signer accepts it, and refuses it tampered
        const { blindGenerators } = deserializeAndValidateCommit(suite, commitmentWithProof, blindApiId(suite));
        assert.equal(blindGenerators.length, fx.committedMessages.length + 1);
        for (const at of [10, 60, commitmentWithProof.length - 1]) {
          assert.throws(() => deserializeAndValidateCommit(suite, flip(commitmentWithProof, at), blindApiId(suite)));
        }
      }
    });

    test('signature fixtures: BlindSign byte for byte, holder verification', () => {
      const all = cases('bbs-blind', folder, 'signature');
      assert.equal(all.length, 5);
      for (const { name, fx } of all) {
        const cwp = fromHex(fx.commitmentWithProof || '');
        const header = fromHex(fx.header);
        const messages = hexes(fx.messages);
        const sk = fromHex(fx.signerKeyPair.secretKey);
        const pk = fromHex(fx.signerKeyPair.publicKey);
        const sig = blindSign(suite, sk, pk, cwp, header, messages);
        assert.equal(toHex(sig), fx.signature, `${name}: ${fx.caseName}`);
        const committed = hexes(fx.committedMessages);
        const blind = int(fx.proverBlind);
        assert.equal(verifyBlindSign(suite, pk, sig, header, messages, committed, blind), true, name);
        assert.equal(verifyBlindSign(suite, pk, sig, header, messages, committed, blind + 1n), false, name);
        assert.equal(verifyBlindSign(suite, pk, flip(sig, 70), header, messages, committed, blind), false, name);
        if (committed.length) {
          const other = committed.slice();
          other[0] = flip(other[0], 0);
          assert.equal(verifyBlindSign(suite, pk, sig, header, messages, other, blind), false, name);
        }
      }
    });

    test('proof fixtures: BlindProofGen byte for byte, BlindProofVerify', () => {
      const msgs = readJson('bbs-blind', 'messages.json');
      const all = cases('bbs-blind', folder, 'proof');
      assert.equal(all.length, 8);
      for (const { name, fx } of all) {
        const messages = hexes(msgs.messages);
        const committed = fx.commitmentWithProof ? hexes(msgs.committedMessages) : [];
        const blind = int(fx.proverBlind);
        const disclosed = Object.keys(fx.revealedMessages).map(Number).sort((a, b) => a - b);
        const disclosedC = Object.keys(fx.revealedCommittedMessages || {}).map(Number).sort((a, b) => a - b);
        const p = fx.mockRngParameters;
        const header = fromHex(fx.header);
        const ph = fromHex(fx.presentationHeader);
        const sig = fromHex(fx.signature);
        const pk = fromHex(fx.signerPublicKey);
        const proof = blindProofGen(suite, pk, sig, header, ph, messages, committed, disclosed, disclosedC, blind, mock(suite, p.SEED, p.proof.DST));
        assert.equal(toHex(proof), fx.proof, `${name}: ${fx.caseName}`);
        const shown = disclosed.map((i) => messages[i]);
        const shownC = disclosedC.map((j) => committed[j]);
        assert.equal(blindProofVerify(suite, pk, proof, header, ph, fx.L, shown, shownC, disclosed, disclosedC), true, name);
        assert.equal(blindProofVerify(suite, pk, proof, header, flip(ph, 0), fx.L, shown, shownC, disclosed, disclosedC), false);
        assert.equal(blindProofVerify(suite, pk, flip(proof, 200), header, ph, fx.L, shown, shownC, disclosed, disclosedC), false);
        assert.equal(blindProofVerify(suite, pk, proof, header, ph, fx.L + 1, shown, shownC, disclosed, disclosedC), false);
        // a fresh proof verifies as well
        const fresh = blindProofGen(suite, pk, sig, header, ph, messages, committed, disclosed, disclosedC, blind);
        assert.equal(blindProofVerify(suite, pk, fresh, header, ph, fx.L, shown, shownC, disclosed, disclosedC), true, name);
      }
    });
  });
}

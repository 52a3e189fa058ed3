// BBS core (webapp/static/js/bbs: suite.js, core.js, interface.js) against every
// fixture of ../shared/vectors/bbs, both ciphersuites: hash_to_scalar, KeyGen,
// messages_to_scalars, generators and P1, mocked random scalars, the 10
// signature cases (Sign byte for byte, Verify's verdict) and the 15 proof cases
// (ProofGen byte for byte with the trace's random scalars, ProofVerify's
// verdict); then tampering and malformed input.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { calculateDomain } from '../static/js/bbs/core.js';
import {
  keygen,
  messagesToScalars,
  proofGen,
  proofVerify,
  sign,
  skToPk,
  verify,
} from '../static/js/bbs/interface.js';
import {
  G1,
  ORDER,
  apiId,
  createGenerators,
  fromHex,
  g1FromBytes,
  hashToScalar,
  mockedCalculateRandomScalars,
  octetsToProof,
  octetsToPubkey,
  octetsToSignature,
  p1,
  toHex,
} from '../static/js/bbs/suite.js';
import { HAVE_VECTORS, SUITES, cases, flip, hexes, readJson } from './bbs-vectors.mjs';

const skip = HAVE_VECTORS ? false : 'published vectors absent (../shared/vectors)';

for (const [folder, suite] of SUITES) {
  describe(`bbs ${folder}`, { skip }, () => {
    test('hash_to_scalar', () => {
      const fx = readJson('bbs', folder, 'h2s.json');
      const s = hashToScalar(suite, fromHex(fx.message), fromHex(fx.dst));
      assert.equal(s.toString(16).padStart(64, '0'), fx.scalar);
    });

    test('KeyGen and SkToPk', () => {
      const fx = readJson('bbs', folder, 'keypair.json');
      const sk = keygen(suite, fromHex(fx.keyMaterial), fromHex(fx.keyInfo), fromHex(fx.keyDst));
      assert.equal(toHex(sk), fx.keyPair.secretKey);
      assert.equal(toHex(skToPk(sk)), fx.keyPair.publicKey);
      // the default key_dst is api_id || "KEYGEN_DST_"
      assert.equal(toHex(keygen(suite, fromHex(fx.keyMaterial), fromHex(fx.keyInfo))), fx.keyPair.secretKey);
      assert.throws(() => keygen(suite, new Uint8Array(31)), /at least 32 bytes/);
    });

    test('messages_to_scalars (MapMessageToScalarAsHash)', () => {
      const fx = readJson('bbs', folder, 'MapMessageToScalarAsHash.json');
      const got = messagesToScalars(suite, fx.cases.map((c) => fromHex(c.message)));
      assert.equal(fx.cases.length, 10);
      assert.deepEqual(
        got.map((s) => s.toString(16).padStart(64, '0')),
        fx.cases.map((c) => c.scalar),
      );
    });

    test('create_generators and P1', () => {
      const fx = readJson('bbs', folder, 'generators.json');
      assert.equal(toHex(p1(suite).toBytes()), fx.P1);
      const gens = createGenerators(suite, fx.MsgGenerators.length + 1, apiId(suite));
      assert.deepEqual(
        gens.map((g) => toHex(g.toBytes())),
        [fx.Q1, ...fx.MsgGenerators],
      );
      // memoised prefix property: a shorter list is the prefix
      assert.deepEqual(
        createGenerators(suite, 3, apiId(suite)).map((g) => toHex(g.toBytes())),
        [fx.Q1, ...fx.MsgGenerators.slice(0, 2)],
      );
    });

    test('mocked random scalars', () => {
      const fx = readJson('bbs', folder, 'mockedRng.json');
      const got = mockedCalculateRandomScalars(suite, fx.count, fromHex(fx.seed), fromHex(fx.dst));
      assert.deepEqual(
        got.map((s) => s.toString(16).padStart(64, '0')),
        fx.mockedScalars,
      );
    });

    test('signature fixtures: Sign byte for byte, Verify verdicts', () => {
      const all = cases('bbs', folder, 'signature');
      assert.equal(all.length, 10);
      for (const { name, fx } of all) {
        const pk = fromHex(fx.signerKeyPair.publicKey);
        const header = fromHex(fx.header);
        const messages = hexes(fx.messages);
        const sig = fromHex(fx.signature);
        assert.equal(verify(suite, pk, sig, header, messages), fx.result.valid, `${name}: ${fx.caseName}`);
        if (fx.result.valid) {
          const sk = fromHex(fx.signerKeyPair.secretKey);
          assert.equal(toHex(sign(suite, sk, pk, header, messages)), fx.signature, name);
          const api = apiId(suite);
          const gens = createGenerators(suite, messages.length + 1, api);
          const domain = calculateDomain(suite, pk, gens[0], gens.slice(1), header, api);
          assert.equal(domain.toString(16).padStart(64, '0'), fx.trace.domain, name);
          // tampered: any flipped bit of the signature, the header or a message fails
          assert.equal(verify(suite, pk, flip(sig, 60), header, messages), false);
          assert.equal(verify(suite, pk, sig, flip(header.length ? header : new Uint8Array(1), 0), messages), false);
          const other = messages.slice();
          other[0] = flip(other[0].length ? other[0] : new Uint8Array(1), 0);
          assert.equal(verify(suite, pk, sig, header, other), false);
        }
      }
    });

    test('proof fixtures: ProofGen byte for byte (trace scalars), ProofVerify verdicts', () => {
      const all = cases('bbs', folder, 'proof');
      assert.equal(all.length, 15);
      for (const { name, fx } of all) {
        const pk = fromHex(fx.signerPublicKey);
        const header = fromHex(fx.header);
        const ph = fromHex(fx.presentationHeader);
        const messages = hexes(fx.messages);
        const idx = fx.disclosedIndexes;
        const proof = fromHex(fx.proof);
        const shown = idx.map((i) => messages[i]);
        assert.equal(
          proofVerify(suite, pk, proof, header, ph, shown, idx),
          fx.result.valid,
          `${name}: ${fx.caseName}`,
        );
        if (!fx.result.valid) continue;
        const rs = fx.trace.random_scalars;
        const scalars = [rs.r1, rs.r2, rs.e_tilde, rs.r1_tilde, rs.r3_tilde, ...rs.m_tilde_scalars].map(
          (h) => BigInt('0x' + h),
        );
        const made = proofGen(suite, pk, fromHex(fx.signature), header, ph, messages, idx, (n) => {
          assert.equal(n, scalars.length);
          return scalars;
        });
        assert.equal(toHex(made), fx.proof, name);
        // a fresh random proof verifies too, and differs
        const fresh = proofGen(suite, pk, fromHex(fx.signature), header, ph, messages, idx);
        assert.notEqual(toHex(fresh), fx.proof);
        assert.equal(proofVerify(suite, pk, fresh, header, ph, shown, idx), true, name);
        // tampered
        for (const at of [10, 60, 150, 200, proof.length - 1]) {
          assert.equal(proofVerify(suite, pk, flip(proof, at), header, ph, shown, idx), false, `${name} @${at}`);
        }
        assert.equal(proofVerify(suite, pk, proof, header, flip(ph.length ? ph : new Uint8Array(1), 0), shown, idx), false);
        assert.equal(proofVerify(suite, pk, proof.subarray(0, proof.length - 32), header, ph, shown, idx), false);
        if (idx.length) {
          const wrong = shown.slice();
          wrong[0] = flip(wrong[0].length ? wrong[0] : new Uint8Array(1), 0);
          assert.equal(proofVerify(suite, pk, proof, header, ph, wrong, idx), false);
        }
      }
    });
  });
}

test('index.js re-exports the public surface', async () => {
  const index = await import('../static/js/bbs/index.js');
  for (const name of ['sign', 'verify', 'proofGen', 'proofVerify', 'commit', 'verifyBlindSign', 'commitWithNym',
    'verifyFinalizeWithNym', 'calculatePseudonym', 'proofGenWithNym', 'present', 'verifyPresentation',
    'makeCredentialRequest', 'acceptIssuance', 'presentCredential', 'prepare', 'SHA_256', 'SHAKE_256']) {
    assert.ok(index[name] !== undefined, name);
  }
  assert.equal(index.sign, sign);
});

describe('malformed input', () => {
  const pkHex =
    'a820f230f6ae38503b86c70dc50b61c58a77e45c39ab25c0652bbaa8fa136f2851bd4781c9dcde39fc9d1d52c9e60268061e7d7632171d91aa8d460acee0e96f1e7c4cfb12d3ff9ab5d5dc91c277db75c845d649ef3c4f63aebc364cd55ded0c';

  test('points decode only canonically, in the subgroup', () => {
    const g = G1.BASE.multiply(5n).toBytes();
    assert.equal(toHex(g1FromBytes(g).toBytes()), toHex(g));
    assert.throws(() => g1FromBytes(g.subarray(0, 47)));
    const bad = Uint8Array.from(g);
    bad[47] ^= 1; // most likely off the curve
    assert.throws(() => g1FromBytes(bad));
    const noFlag = Uint8Array.from(g);
    noFlag[0] &= 0x7f; // uncompressed flag with 48 bytes
    assert.throws(() => g1FromBytes(noFlag));
    // x ≥ p
    const big = new Uint8Array(48).fill(0xff);
    big[0] = 0x9f;
    assert.throws(() => g1FromBytes(big));
    // a point on E(Fp) outside the r-torsion: x = 0 ... find one with a small x
    let found = false;
    for (let x = 1; x < 50 && !found; x++) {
      const b = new Uint8Array(48);
      b[47] = x;
      b[0] |= 0x80;
      try {
        G1.fromBytes(b);
      } catch (e) {
        if (/subgroup/.test(String(e.message))) {
          assert.throws(() => g1FromBytes(b));
          found = true;
        }
      }
    }
    assert.ok(found, 'a point outside the subgroup was found and refused');
    // the identity decodes (the formats refuse it one level up); its non-canonical forms do not
    assert.equal(g1FromBytes(fromHex('c0' + '00'.repeat(47))).is0(), true);
    assert.throws(() => g1FromBytes(fromHex('c0' + '00'.repeat(46) + '01')));
    assert.throws(() => g1FromBytes(fromHex('e0' + '00'.repeat(47))));
    assert.throws(() => octetsToPubkey(new Uint8Array(96)));
    const identity = new Uint8Array(96);
    identity[0] = 0xc0;
    assert.throws(() => octetsToPubkey(identity), /identity/);
    assert.doesNotThrow(() => octetsToPubkey(fromHex(pkHex)));
  });

  test('signature and proof decoding: identity, scalar ranges, lengths', () => {
    const id = new Uint8Array(48);
    id[0] = 0xc0;
    const one = new Uint8Array(32);
    one[31] = 1;
    assert.throws(() => octetsToSignature(new Uint8Array([...id, ...one])), /identity/);
    const g = G1.BASE.toBytes();
    const rBytes = fromHex(ORDER.toString(16).padStart(64, '0'));
    assert.throws(() => octetsToSignature(new Uint8Array([...g, ...rBytes])), /range/);
    assert.throws(() => octetsToSignature(new Uint8Array([...g, ...new Uint8Array(32)])), /range/);
    assert.doesNotThrow(() => octetsToSignature(new Uint8Array([...g, ...one])));
    const proof = new Uint8Array([...g, ...g, ...g, ...one, ...one, ...one, ...one]);
    assert.equal(octetsToProof(proof).commitments.length, 0);
    assert.throws(() => octetsToProof(proof.subarray(1)));
    const zero = Uint8Array.from(proof);
    zero.fill(0, 144, 176);
    assert.throws(() => octetsToProof(zero), /range/);
  });

  test('verify never throws on garbage', () => {
    const pk = fromHex(pkHex);
    for (const suite of [SUITES[0][1], SUITES[1][1]]) {
      assert.equal(verify(suite, pk, new Uint8Array(80), new Uint8Array(0), []), false);
      assert.equal(verify(suite, 'nope', new Uint8Array(80)), false);
      assert.equal(verify(suite, pk, new Uint8Array(80), new Uint8Array(0), ['x']), false);
      assert.equal(proofVerify(suite, pk, new Uint8Array(304), new Uint8Array(0), new Uint8Array(0), [], []), false);
      assert.equal(proofVerify(suite, pk, new Uint8Array(5)), false);
      assert.equal(proofVerify(suite, pk, new Uint8Array(304), undefined, undefined, [], [0.5]), false);
    }
  });

  test('sign and proofGen refuse malformed input', () => {
    const suite = SUITES[0][1];
    const pk = fromHex(pkHex);
    assert.throws(() => sign(suite, new Uint8Array(32), pk), /range/);
    assert.throws(() => sign(suite, new Uint8Array(31), pk), /32 bytes/);
    const sk = keygen(suite, new Uint8Array(32).fill(7));
    const own = skToPk(sk);
    const msgs = [new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([3])];
    const sig = sign(suite, sk, own, new Uint8Array(0), msgs);
    assert.ok(verify(suite, own, sig, new Uint8Array(0), msgs));
    assert.throws(() => proofGen(suite, own, sig, undefined, undefined, msgs, [1, 0]), /ascending/);
    assert.throws(() => proofGen(suite, own, sig, undefined, undefined, msgs, [3]), /ascending/);
    assert.throws(() => proofGen(suite, own, sig, undefined, undefined, msgs, [0, 0]), /ascending/);
    const proof = proofGen(suite, own, sig, undefined, undefined, msgs, [1]);
    assert.ok(proofVerify(suite, own, proof, undefined, undefined, [msgs[1]], [1]));
    assert.equal(proofVerify(suite, own, proof, undefined, undefined, [msgs[1]], [0]), false);
  });
});

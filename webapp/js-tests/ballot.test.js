/**
 * The browser ballot cryptography against the Python vectors (tests/vectors/,
 * docs/crypto.md §8): every deterministic value recomputed byte for byte (group
 * arithmetic, hashes, transcripts, challenges, nonces, encodings, and whole
 * encrypted contests from the vectors' random stream), every proof verified,
 * tampered ones rejected.
 */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256, sha512 } from '@noble/hashes/sha2.js';

import { flipped, stream, vector } from './ballot-kit.js';
import { concat, fromHex, lengthPrefixed, toHex, u32be, u64be, utf8 } from '../static/js/ballot/bytes.js';
import { InvalidEncoding, InvalidProof } from '../static/js/ballot/errors.js';
import * as g from '../static/js/ballot/group.js';
import { Transcript } from '../static/js/ballot/transcript.js';
import * as eg from '../static/js/ballot/elgamal.js';
import * as rp from '../static/js/ballot/range.js';
import * as ct from '../static/js/ballot/contest.js';
import * as sch from '../static/js/ballot/schnorr.js';
import * as dl from '../static/js/ballot/dleq.js';

const hex = toHex;
const P = (h) => g.pointFromHex(h);
const S = (h) => g.scalarFromHex(h);
const C = (h) => eg.ciphertextFromBytes(fromHex(h));

// -------------------------------------------------------------------- group

describe('group.json (docs/crypto.md §2)', () => {
  const v = vector('group.json');

  test('constants: order, generator, identity', () => {
    assert.equal(g.ORDER.toString(), v.order);
    assert.equal(g.pointToHex(g.GENERATOR), v.generator);
    assert.equal(g.pointToHex(g.IDENTITY), v.identity);
    assert.throws(() => g.pointFromHex(v.identity), InvalidEncoding);
    assert.ok(g.pointFromHex(v.identity, { allowIdentity: true }).is0());
  });

  test('multiples of the generator', () => {
    assert.ok(v.multiples_of_generator.length >= 5);
    for (const m of v.multiples_of_generator) {
      const k = S(m.scalar);
      assert.equal(g.pointToHex(g.mul(k, g.GENERATOR)), m.point);
      assert.equal(g.pointToHex(g.mulPublic(k, g.GENERATOR)), m.point);
      assert.equal(g.pointToHex(P(m.point)), m.point); // decode, re-encode
    }
  });

  test('point arithmetic', () => {
    for (const a of v.point_arithmetic) {
      const p = P(a.p);
      const q = P(a.q);
      const k = S(a.k);
      assert.equal(g.pointToHex(p.add(q)), a.p_plus_q);
      assert.equal(g.pointToHex(p.subtract(q)), a.p_minus_q);
      assert.equal(g.pointToHex(g.mul(k, p)), a.k_times_p);
      assert.equal(g.pointToHex(g.mulPublic(k, g.prepare(P(a.p)))), a.k_times_p);
    }
  });

  test('scalar arithmetic', () => {
    for (const a of v.scalar_arithmetic) {
      const x = S(a.a);
      const y = S(a.b);
      assert.equal(g.scalarToHex(g.scalarAdd(x, y)), a.a_plus_b);
      assert.equal(g.scalarToHex(g.scalarSub(x, y)), a.a_minus_b);
      assert.equal(g.scalarToHex(g.scalarMul(x, y)), a.a_times_b);
      assert.equal(g.scalarToHex(g.scalarInvert(x)), a.inverse_a);
    }
  });

  test('wide reduction', () => {
    assert.equal(g.scalarToHex(g.reduceWide(fromHex(v.wide_reduction.input))), v.wide_reduction.scalar);
  });

  test('hash_to_scalar and hash_to_point', () => {
    for (const h of v.hash_to_scalar) {
      assert.equal(g.scalarToHex(g.hashToScalar(utf8(h.dst), fromHex(h.message))), h.scalar);
    }
    assert.equal(v.hash_to_point.length, 3);
    for (const h of v.hash_to_point) {
      const uniform = concat(lengthPrefixed(utf8(h.dst)), lengthPrefixed(fromHex(h.message)));
      if (h.uniform_bytes !== undefined) {
        assert.equal(hex(sha512(uniform)), h.uniform_bytes);
      }
      assert.equal(g.pointToHex(g.hashToPoint(utf8(h.dst), fromHex(h.message))), h.point);
    }
  });

  test('every invalid point encoding is refused', () => {
    assert.ok(v.invalid_points.length >= 30);
    for (const bad of v.invalid_points) {
      assert.throws(() => g.pointFromBytes(fromHex(bad.encoding)), InvalidEncoding, bad.reason);
    }
  });

  test('every invalid scalar encoding is refused', () => {
    for (const bad of v.invalid_scalars) {
      assert.throws(() => g.scalarFromHex(bad.encoding), InvalidEncoding, bad.reason);
    }
    assert.throws(() => g.scalarFromBytes(new Uint8Array(31)), InvalidEncoding);
    assert.throws(() => g.scalarFromHex('00'.repeat(31) + '0G'), InvalidEncoding);
    assert.throws(() => g.scalarFromHex('AA'.repeat(32)), InvalidEncoding); // uppercase
  });

  test('random scalars: 64 bytes reduced, never 0', () => {
    const rng = stream('group');
    const expected = g.reduceWide(stream('group')(64));
    assert.equal(g.randomScalar(rng), expected);
    let calls = 0;
    const zeroThenOne = (n) => {
      calls += 1;
      const out = new Uint8Array(n);
      if (calls > 1) out[0] = 1;
      return out;
    };
    assert.equal(g.randomScalar(zeroThenOne), 1n);
    assert.equal(calls, 2);
    const r = g.randomScalar();
    assert.ok(r > 0n && r < g.ORDER);
  });
});

// --------------------------------------------------------------- transcript

describe('transcript.json (docs/crypto.md §3.1)', () => {
  const v = vector('transcript.json');
  const build = () => {
    let t = Transcript.start(utf8(v.protocol), { context: fromHex(v.context), prover: fromHex(v.prover) });
    for (const item of v.items) t = t.append(utf8(item.label), fromHex(item.value));
    return t;
  };

  test('digest and challenge', () => {
    const t = build();
    assert.equal(hex(t.digest()), v.digest);
    assert.equal(g.scalarToHex(t.challenge(utf8(v.challenge_label))), v.challenge);
  });

  test('the digest is SHA-512 of the framed items', () => {
    const parts = [lengthPrefixed(utf8('pnyx-transcript/v1'))];
    const item = (l, val) => parts.push(lengthPrefixed(utf8(l)), lengthPrefixed(val));
    item('protocol', utf8(v.protocol));
    item('context', fromHex(v.context));
    item('prover', fromHex(v.prover));
    for (const it of v.items) item(it.label, fromHex(it.value));
    assert.equal(hex(sha512(concat(...parts))), v.digest);
  });

  test('nonces for a fixed seed', () => {
    const seed = fromHex(v.nonces.seed);
    const nonces = build().nonces(v.nonces.values.length, fromHex(v.nonces.witness), () => seed);
    assert.deepEqual(nonces.map(g.scalarToHex), v.nonces.values);
  });

  test('immutable: forks do not disturb each other', () => {
    const t = build();
    const a = t.append('x', new Uint8Array([1]));
    const b = t.append('x', new Uint8Array([2]));
    assert.equal(hex(t.digest()), v.digest);
    assert.notEqual(hex(a.digest()), hex(b.digest()));
    assert.throws(() => Transcript.start('p', { context: new Uint8Array(31), prover: new Uint8Array() }), RangeError);
    assert.throws(() => Transcript.start('', { context: new Uint8Array(32), prover: new Uint8Array() }), RangeError);
  });

  test('appendInt is u64_be; labels as strings equal their ASCII bytes', () => {
    const ctx = new Uint8Array(32);
    const t = Transcript.start('p', { context: ctx, prover: new Uint8Array() });
    assert.equal(hex(t.appendInt('n', 7).digest()), hex(t.append(utf8('n'), u64be(7)).digest()));
  });
});

// ------------------------------------------------------------------ elgamal

describe('elgamal.json (docs/crypto.md §3.2)', () => {
  const v = vector('elgamal.json');
  const key = P(v.public_key);

  test('the key pair and every encryption, reproduced from the vectors stream', () => {
    const rng = stream('elgamal');
    const secret = g.randomScalar(rng);
    assert.equal(g.scalarToHex(secret), v.secret_key);
    assert.equal(g.pointToHex(g.mul(secret, g.GENERATOR)), v.public_key);
    for (const e of v.encryptions) {
      const [c, r] = eg.encrypt(key, e.message, rng);
      assert.equal(g.scalarToHex(r), e.nonce);
      assert.equal(hex(eg.ciphertextToBytes(c)), e.ciphertext);
    }
  });

  test('released nonces open the ciphertexts, and only for their message', () => {
    for (const e of v.encryptions) {
      const c = C(e.ciphertext);
      assert.ok(eg.verifyNonce(key, c, e.message, S(e.nonce)));
      assert.ok(!eg.verifyNonce(key, c, e.message + 1, S(e.nonce)));
      assert.ok(!eg.verifyNonce(key, c, e.message, g.scalarAdd(S(e.nonce), 1n)));
      assert.ok(!eg.verifyNonce(key, c, -1, S(e.nonce)));
    }
  });

  test('homomorphic sum and decryption', () => {
    const total = eg.sumCiphertexts(v.encryptions.map((e) => C(e.ciphertext)));
    assert.equal(hex(eg.ciphertextToBytes(total)), v.sum.ciphertext);
    const plain = eg.decryptToPoint(S(v.secret_key), total);
    assert.equal(g.pointToHex(plain), v.sum.plaintext_point);
    assert.equal(g.pointToHex(g.mul(g.scalarFromInt(v.sum.plaintext), g.GENERATOR)), v.sum.plaintext_point);
    assert.ok(eg.sumCiphertexts([]).alpha.is0());
  });

  test('ciphertext decoding refuses the identity and bad lengths', () => {
    const good = fromHex(v.encryptions[1].ciphertext);
    assert.throws(() => eg.ciphertextFromBytes(good.subarray(1)), InvalidEncoding);
    assert.throws(() => eg.ciphertextFromBytes(concat(new Uint8Array(32), good.subarray(32))), InvalidEncoding);
    assert.throws(() => eg.ciphertextFromBytes(concat(good.subarray(0, 32), new Uint8Array(32))), InvalidEncoding);
  });
});

// ------------------------------------------------------------------- proofs

describe('proofs.json (docs/crypto.md §4)', () => {
  const v = vector('proofs.json');
  const context = fromHex(v.context);
  const transcript = (section) =>
    Transcript.start(utf8(section.protocol), { context, prover: fromHex(section.prover) });
  const r = v.range;
  const key = P(r.public_key);

  // The vectors' stream, consumed in the generator's order (docs/crypto.md §8):
  // Schnorr secret, Schnorr ρ, DLEQ ρ, key pair, then per range case an encryption and a ρ.
  test('Schnorr, DLEQ, range and decryption proofs reproduced byte for byte', () => {
    const rng = stream('proofs');
    const secret = g.randomScalar(rng);
    assert.equal(g.scalarToHex(secret), v.schnorr.secret);
    const s = sch.proveKnowledge(secret, transcript(v.schnorr), rng);
    assert.equal(g.pointToHex(s.public), v.schnorr.public);
    assert.equal(hex(sch.schnorrProofToBytes(s.proof)), v.schnorr.proof);
    const d = dl.proveDleq(secret, g.GENERATOR, P(v.dleq.g2), transcript(v.dleq), rng);
    assert.equal(g.pointToHex(d.h1), v.dleq.h1);
    assert.equal(g.pointToHex(d.h2), v.dleq.h2);
    assert.equal(hex(dl.dleqProofToBytes(d.proof)), v.dleq.proof);
    assert.equal(g.scalarToHex(g.randomScalar(rng)), r.secret_key);
    for (const c of r.cases) {
      const [cipher, nonce] = eg.encrypt(key, c.value, rng);
      assert.equal(g.scalarToHex(nonce), c.nonce);
      assert.equal(hex(eg.ciphertextToBytes(cipher)), c.ciphertext);
      const proof = rp.proveRange(key, cipher, c.value, nonce, c.lower, c.upper, transcript(r), rng);
      assert.equal(hex(rp.rangeProofToBytes(proof)), c.proof);
    }
    const dv = v.decryption;
    const [cipher] = eg.encrypt(P(dv.public_key), dv.plaintext, rng);
    assert.equal(hex(eg.ciphertextToBytes(cipher)), dv.ciphertext);
    const share = dl.proveDecryptionShare(S(dv.secret_key), cipher, transcript(dv), rng);
    assert.equal(g.pointToHex(share.share), dv.share);
    assert.equal(hex(dl.dleqProofToBytes(share.proof)), dv.proof);
  });

  test('the DLEQ second base is H_p("pnyx/test/v1", "second base")', () => {
    assert.equal(g.pointToHex(g.hashToPoint(utf8('pnyx/test/v1'), utf8('second base'))), v.dleq.g2);
  });

  test('Schnorr: verifies; a changed proof, key or transcript does not', () => {
    const pub = P(v.schnorr.public);
    const proof = sch.schnorrProofFromBytes(fromHex(v.schnorr.proof));
    sch.verifyKnowledge(pub, proof, transcript(v.schnorr));
    const bytes = fromHex(v.schnorr.proof);
    for (const i of [0, 31, 32, 63]) {
      assert.throws(() => sch.verifyKnowledge(pub, sch.schnorrProofFromBytes(flipped(bytes, i)), transcript(v.schnorr)));
    }
    assert.throws(() => sch.verifyKnowledge(g.GENERATOR, proof, transcript(v.schnorr)), InvalidProof);
    assert.throws(() => sch.verifyKnowledge(pub, proof, transcript(v.range)), InvalidProof);
  });

  test('DLEQ and decryption: verify; tampered ones do not', () => {
    const dq = v.dleq;
    const proof = dl.dleqProofFromBytes(fromHex(dq.proof));
    dl.verifyDleq(P(dq.g1), P(dq.h1), P(dq.g2), P(dq.h2), proof, transcript(dq));
    assert.throws(() => dl.verifyDleq(P(dq.g1), P(dq.h2), P(dq.g2), P(dq.h1), proof, transcript(dq)), InvalidProof);
    const dv = v.decryption;
    const dproof = dl.dleqProofFromBytes(fromHex(dv.proof));
    dl.verifyDecryptionShare(P(dv.public_key), C(dv.ciphertext), P(dv.share), dproof, transcript(dv));
    dl.verifyDecryption(P(dv.public_key), C(dv.ciphertext), dv.plaintext, dproof, transcript(dv));
    assert.throws(
      () => dl.verifyDecryption(P(dv.public_key), C(dv.ciphertext), dv.plaintext + 1, dproof, transcript(dv)),
      InvalidProof,
    );
  });

  test('range proofs verify under their statement only', () => {
    for (const c of r.cases) {
      const cipher = C(c.ciphertext);
      const branches = c.upper - c.lower + 1;
      const proof = rp.rangeProofFromBytes(fromHex(c.proof), branches);
      rp.verifyRange(key, cipher, c.lower, c.upper, proof, transcript(r));
      // another range, transcript, key or ciphertext
      assert.throws(() => rp.verifyRange(key, cipher, c.lower + 1, c.upper + 1, proof, transcript(r)), InvalidProof);
      assert.throws(() => rp.verifyRange(key, cipher, c.lower, c.upper, proof, transcript(v.schnorr)), InvalidProof);
      assert.throws(() => rp.verifyRange(g.GENERATOR, cipher, c.lower, c.upper, proof, transcript(r)), InvalidProof);
      assert.throws(() => rp.verifyRange(g.IDENTITY, cipher, c.lower, c.upper, proof, transcript(r)), InvalidProof);
      const other = eg.addCiphertexts(cipher, eg.ciphertext(g.IDENTITY, g.GENERATOR)); // m + 1
      assert.throws(() => rp.verifyRange(key, other, c.lower, c.upper, proof, transcript(r)), InvalidProof);
      // a changed byte in each scalar: refused at decoding or at verification
      const bytes = fromHex(c.proof);
      for (let i = 0; i < bytes.length; i += 32) {
        assert.throws(() => rp.verifyRange(key, cipher, c.lower, c.upper, rp.rangeProofFromBytes(flipped(bytes, i), branches), transcript(r)));
      }
      // swapped branches
      const swapped = rp.rangeProof([...proof.challenges].reverse(), [...proof.responses].reverse());
      assert.throws(() => rp.verifyRange(key, cipher, c.lower, c.upper, swapped, transcript(r)), InvalidProof);
      // wrong number of branches
      assert.throws(() => rp.rangeProofFromBytes(fromHex(c.proof), branches + 1), InvalidEncoding);
    }
  });

  test('a value outside the range cannot be proven, whichever branch is pretended', () => {
    for (const value of [2, 3]) {
      const [cipher, nonce] = eg.encrypt(key, value);
      assert.throws(() => rp.proveRange(key, cipher, value, nonce, 0, 1, transcript(r)), RangeError);
      for (const pretend of [0, 1]) {
        // prove the pretended value with the real nonce: the statement is false
        const proof = rp.proveRange(key, cipher, pretend, nonce, 0, 1, transcript(r));
        assert.throws(() => rp.verifyRange(key, cipher, 0, 1, proof, transcript(r)), InvalidProof);
      }
    }
  });
});

// ------------------------------------------------------------------ contest

describe('contest.json (docs/crypto.md §4.5)', () => {
  const v = vector('contest.json');
  const context = fromHex(v.context);
  const key = P(v.public_key);
  const shapeOf = (c) =>
    ct.contestShape({
      contestId: fromHex(c.contest_id),
      options: c.options,
      minimum: c.minimum,
      maximum: c.maximum,
      optionLimit: c.option_limit,
    });

  test('every contest reproduced byte for byte from the vectors stream', () => {
    const rng = stream('contest');
    const secret = g.randomScalar(rng);
    assert.equal(g.scalarToHex(secret), v.secret_key);
    assert.equal(g.pointToHex(g.mul(secret, g.GENERATOR)), v.public_key);
    assert.equal(v.cases.length, 4);
    for (const c of v.cases) {
      const made = ct.encryptContest(g.prepare(P(v.public_key)), shapeOf(c), c.selections, {
        context,
        prover: fromHex(c.prover),
        rng,
      });
      assert.deepEqual(made.nonces.map(g.scalarToHex), c.nonces);
      assert.equal(hex(ct.contestToBytes(made.contest)), c.encrypted);
    }
  });

  test('every contest verifies, and its nonces open it to its selections', () => {
    for (const c of v.cases) {
      const shape = shapeOf(c);
      assert.equal(shape.encodedLength * 2, c.encrypted.length);
      const contest = ct.contestFromBytes(fromHex(c.encrypted), shape);
      ct.verifyContest(key, shape, contest, { context, prover: fromHex(c.prover) });
      contest.ciphertexts.forEach((cipher, i) => {
        assert.ok(eg.verifyNonce(key, cipher, c.selections[i], S(c.nonces[i])));
      });
      // the decrypted tally of the contest is the sum of the selections
      const plain = eg.decryptToPoint(S(v.secret_key), eg.sumCiphertexts(contest.ciphertexts));
      const total = c.selections.reduce((a, b) => a + b, 0);
      assert.ok(plain.equals(g.mulPublic(g.scalarFromInt(total), g.GENERATOR)));
    }
  });

  test('a proof is bound to its context, prover, contest id, shape and ciphertexts', () => {
    const c = v.cases[2]; // council: 10 options, 1..3
    const shape = shapeOf(c);
    const bytes = fromHex(c.encrypted);
    const contest = ct.contestFromBytes(bytes, shape);
    const prover = fromHex(c.prover);
    const reject = (s, k, opts, cont = contest) => assert.throws(() => ct.verifyContest(k, s, cont, opts), InvalidProof);
    reject(shape, key, { context: sha256(context), prover });
    reject(shape, key, { context, prover: utf8('pseudonym-mayor') });
    reject(ct.contestShape({ ...shape, contestId: utf8('mayor') }), key, { context, prover });
    reject(ct.contestShape({ ...shape, minimum: 0 }), key, { context, prover });
    reject(shape, g.GENERATOR, { context, prover });
    // two ciphertexts swapped (with their proofs): the transcript changes
    const swap = (list) => [list[1], list[0], ...list.slice(2)];
    reject(shape, key, { context, prover }, { ...contest, ciphertexts: swap(contest.ciphertexts), optionProofs: swap(contest.optionProofs) });
    // one option proof copied from another option
    reject(shape, key, { context, prover }, { ...contest, optionProofs: [contest.optionProofs[1], ...contest.optionProofs.slice(1)] });
  });

  test('one changed byte anywhere in an encrypted contest is refused', () => {
    const c = v.cases[0];
    const shape = shapeOf(c);
    const bytes = fromHex(c.encrypted);
    const opts = { context, prover: fromHex(c.prover) };
    for (let i = 0; i < bytes.length; i += 7) {
      assert.throws(() => ct.verifyContest(key, shape, ct.contestFromBytes(flipped(bytes, i), shape), opts), `byte ${i}`);
    }
    assert.throws(() => ct.contestFromBytes(bytes.subarray(1), shape), InvalidEncoding);
    assert.throws(() => ct.contestFromBytes(concat(bytes, new Uint8Array(64)), shape), InvalidEncoding);
  });

  test('selections outside the shape are refused before encrypting', () => {
    const shape = ct.contestShape({ contestId: 'mayor', options: 3, minimum: 1, maximum: 1 });
    const opts = { context, prover: utf8('p') };
    assert.throws(() => ct.encryptContest(key, shape, [1, 1, 0], opts), RangeError);
    assert.throws(() => ct.encryptContest(key, shape, [0, 0, 0], opts), RangeError);
    assert.throws(() => ct.encryptContest(key, shape, [2, 0, 0], opts), RangeError);
    assert.throws(() => ct.encryptContest(key, shape, [1, 0], opts), RangeError);
    assert.throws(() => ct.contestShape({ contestId: 'x', options: 0, minimum: 0, maximum: 0 }), RangeError);
    assert.throws(() => ct.contestShape({ contestId: 'x', options: 2, minimum: 0, maximum: 3 }), RangeError);
  });
});

// ---------------------------------------------------------------- threshold

describe('threshold.json (docs/crypto.md §5): every proof and derived key', () => {
  const v = vector('threshold.json');
  const context = fromHex(v.context);
  const k = v.threshold;

  const decodeCommitments = (bytes) => {
    assert.equal(bytes.length, 4 + 96 * k);
    const dealer = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, false);
    const out = [];
    for (let t = 0; t < k; t++) {
      const chunk = bytes.subarray(4 + 96 * t, 4 + 96 * (t + 1));
      out.push({ A: g.pointFromBytes(chunk.subarray(0, 32)), proof: sch.schnorrProofFromBytes(chunk.subarray(32)) });
    }
    return { dealer, coefficients: out };
  };
  const dealers = v.dealers.map((d) => ({ ...d, decoded: decodeCommitments(fromHex(d.commitments)) }));

  test('commitments: digests, Schnorr proofs, coefficients', () => {
    for (const d of dealers) {
      const bytes = fromHex(d.commitments);
      const digest = sha256(concat(lengthPrefixed(utf8('pnyx/vss-commitments/v1')), lengthPrefixed(context), lengthPrefixed(bytes)));
      assert.equal(hex(digest), d.digest);
      assert.equal(d.decoded.dealer, d.index);
      d.decoded.coefficients.forEach(({ A, proof }, t) => {
        assert.equal(g.pointToHex(A), g.pointToHex(g.mul(S(d.coefficients[t]), g.GENERATOR)));
        const tr = Transcript.start('pnyx/vss-coefficient/v1', { context, prover: u32be(d.index) }).appendInt('coefficient', t);
        sch.verifyKnowledge(A, proof, tr);
        const other = Transcript.start('pnyx/vss-coefficient/v1', { context, prover: u32be(d.index + 1) }).appendInt('coefficient', t);
        assert.throws(() => sch.verifyKnowledge(A, proof, other), InvalidProof);
      });
    }
  });

  test('shares, joint key, verification keys', () => {
    const evalAt = (coefficients, j) => {
      let acc = 0n;
      for (let t = coefficients.length - 1; t >= 0; t--) acc = g.scalarAdd(g.scalarMul(acc, g.scalarFromInt(j)), S(coefficients[t]));
      return acc;
    };
    for (const d of dealers) {
      for (const [j, share] of Object.entries(d.shares)) assert.equal(g.scalarToHex(evalAt(d.coefficients, Number(j))), share);
    }
    let joint = g.IDENTITY;
    for (const d of dealers) joint = joint.add(d.decoded.coefficients[0].A);
    assert.equal(g.pointToHex(joint), v.joint_public_key);
    for (const [j, vk] of Object.entries(v.verification_keys)) {
      let key = g.IDENTITY;
      for (const d of dealers) {
        let power = 1n;
        for (const { A } of d.decoded.coefficients) {
          key = key.add(g.mulPublic(power, A));
          power = g.scalarMul(power, g.scalarFromInt(Number(j)));
        }
      }
      assert.equal(g.pointToHex(key), vk);
      assert.equal(g.pointToHex(g.mul(S(v.trustee_shares[j]), g.GENERATOR)), vk);
    }
  });

  test('partial decryptions verify against their verification keys and combine to the plaintext', () => {
    const cipher = C(v.ciphertext);
    let combined = cipher.beta;
    for (const partial of v.partial_decryptions) {
      const bytes = fromHex(partial);
      assert.equal(bytes.length, 100);
      const j = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, false);
      const share = g.pointFromBytes(bytes.subarray(4, 36));
      const proof = dl.dleqProofFromBytes(bytes.subarray(36));
      const tr = Transcript.start('pnyx/partial-decryption/v1', { context, prover: u32be(j) });
      dl.verifyDecryptionShare(P(v.verification_keys[String(j)]), cipher, share, proof, tr);
      const wrongKey = P(v.verification_keys[String(j === 1 ? 2 : 1)]);
      assert.throws(() => dl.verifyDecryptionShare(wrongKey, cipher, share, proof, tr), InvalidProof);
      combined = combined.subtract(g.mulPublic(S(v.lagrange_1_3[String(j)]), share));
    }
    assert.equal(g.pointToHex(combined), v.plaintext_point);
    assert.ok(combined.equals(g.mulPublic(g.scalarFromInt(v.plaintext), g.GENERATOR)));
  });
});

// --------------------------------------------------------------- properties

describe('properties over random inputs (seeded)', () => {
  test('decoding is validation: a random string is refused or re-encodes to itself', () => {
    const rng = stream('property points');
    let valid = 0;
    for (let i = 0; i < 400; i++) {
      const bytes = rng(32);
      let point;
      try {
        point = g.pointFromBytes(bytes);
      } catch (e) {
        assert.ok(e instanceof InvalidEncoding);
        continue;
      }
      valid += 1;
      assert.equal(hex(g.pointToBytes(point)), hex(bytes));
    }
    // about 1 in 16 strings encodes an element (s < p, even, x² square, x·y even)
    assert.ok(valid > 5 && valid < 100, `${valid} valid`);
  });

  test('scalars: decoding accepts exactly the values below ℓ', () => {
    const rng = stream('property scalars');
    for (let i = 0; i < 200; i++) {
      const bytes = rng(32);
      bytes[31] &= i % 2 === 0 ? 0x1f : 0xff; // half of them near ℓ (2^252 < ℓ < 2^253)
      const value = bytes.reduceRight((acc, b) => (acc << 8n) | BigInt(b), 0n);
      if (value < g.ORDER) assert.equal(g.scalarToHex(g.scalarFromBytes(bytes)), hex(bytes));
      else assert.throws(() => g.scalarFromBytes(bytes), InvalidEncoding);
    }
  });

  test('random shapes and selections: encrypt, verify, open with the nonces', () => {
    const rng = stream('property contests');
    const pick = (n) => rng(1)[0] % n;
    const secret = g.randomScalar(rng);
    const key = g.prepare(g.mul(secret, g.GENERATOR));
    const context = rng(32);
    for (let round = 0; round < 6; round++) {
      const options = 1 + pick(5);
      const optionLimit = 1 + pick(3);
      const selections = Array.from({ length: options }, () => pick(optionLimit + 1));
      const total = selections.reduce((a, b) => a + b, 0);
      const minimum = pick(total + 1);
      const maximum = total + pick(options * optionLimit - total + 1);
      const shape = ct.contestShape({ contestId: rng(1 + pick(8)), options, minimum, maximum, optionLimit });
      const prover = rng(pick(50));
      const made = ct.encryptContest(key, shape, selections, { context, prover, rng });
      const bytes = ct.contestToBytes(made.contest);
      assert.equal(bytes.length, shape.encodedLength);
      const decoded = ct.contestFromBytes(bytes, shape);
      ct.verifyContest(key, shape, decoded, { context, prover });
      decoded.ciphertexts.forEach((cipher, i) => {
        assert.ok(eg.verifyNonce(key, cipher, selections[i], made.nonces[i]));
        const plain = eg.decryptToPoint(secret, cipher);
        assert.ok(plain.equals(g.mulPublic(g.scalarFromInt(selections[i]), g.GENERATOR)));
      });
      const other = flipped(prover.length ? prover : new Uint8Array(1), 0);
      assert.throws(() => ct.verifyContest(key, shape, decoded, { context, prover: other }), InvalidProof);
    }
  });
});

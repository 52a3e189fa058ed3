// The presentation layer (webapp/static/js/bbs/predicates.js, range.js) and the Pnyx
// formats (credential.js); the range proof against range.py's pinned generators and
// pinned proof: presentations with predicates and a pseudonym verify;
// without predicates they are exactly draft proofs; a predicate that does not hold
// cannot be proven; forgeries (another disclosed value, moved bounds, another ph or
// context, a swapped commitment, flipped bytes, truncation, trailing bytes) fail.
// (No published fixtures exist for this layer: Python agreement is in
// tests/webapp/test_js_bbs.py.)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  dateOfDay,
  dayNumber,
  encodeValue,
  layoutNames,
  presentationHeader,
  schemaDigest,
} from '../static/js/bbs/credential.js';
import { proofVerify } from '../static/js/bbs/interface.js';
import {
  blindSignAttributes,
  attributeScalars,
  present,
  presentationFromBytes,
  presentationToBytes,
  signAttributes,
  verifyAttributes,
  verifyPresentation,
} from '../static/js/bbs/predicates.js';
import {
  commitWithNym,
  proofVerifyWithNymScalars,
  pseudonymApiId,
  verifyFinalizeWithNym,
} from '../static/js/bbs/pseudonym.js';
import { keygen, skToPk } from '../static/js/bbs/interface.js';
import {
  paddedLength,
  pedersenCommit,
  pedersenGenerators,
  proofSize,
  proveRanges,
  rangeProofFromBytes,
  rangeProofToBytes,
  rangeWeights,
  vectorGenerators,
  verifyRanges,
} from '../static/js/bbs/range.js';
import { SHA_256, SHAKE_256, calculateRandomScalars, mockedRandomScalars, toHex, utf8 } from '../static/js/bbs/suite.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { flip } from './bbs-vectors.mjs';

const TODAY = 20_400n;
const ATTRS = [utf8('Ada'), utf8('Lovelace'), utf8('district 7'), -3_000n, TODAY + 30n, utf8('citizen'), 0n, utf8('e-ID'), 42n, 7n];
const BIRTH = 3;
const VALID_UNTIL = 4;
const EMPTY = new Uint8Array(0);

function nymCredential(suite) {
  const sk = keygen(suite, new Uint8Array(32).fill(5));
  const pk = skToPk(sk);
  const [proverNym, entropy] = calculateRandomScalars(2);
  const { commitmentWithProof, secretProverBlind } = commitWithNym(suite, [], [proverNym]);
  const header = utf8('cred');
  const sig = blindSignAttributes(suite, sk, pk, commitmentWithProof, 1, entropy, header, ATTRS);
  const scalars = attributeScalars(suite, ATTRS, pseudonymApiId(suite));
  const secrets = verifyFinalizeWithNym(suite, pk, sig, header, scalars, [], [proverNym], entropy, secretProverBlind);
  return { pk, sig, header, nym: { contextId: utf8('election-2026'), nymSecrets: secrets, secretProverBlind } };
}

for (const suite of [SHA_256, SHAKE_256]) {
  describe(`presentations ${suite.name}`, () => {
    const cred = nymCredential(suite);
    const { pk, sig, header, nym } = cred;
    const ph = utf8('request');
    const predicates = new Map([
      [BIRTH, [-40_000n, -2_000n]],
      [VALID_UNTIL, [TODAY, TODAY + 30n]],
    ]);
    const disclosed = new Map([
      [2, utf8('district 7')],
      [9, 7n],
    ]);
    const p = present(suite, pk, sig, header, ph, ATTRS, [2, 9], { predicates, nym });
    const bytes = presentationToBytes(p);
    const opts = { predicates, contextId: nym.contextId, numMessages: 10 };

    test('verifies, encodes and decodes', () => {
      assert.equal(verifyPresentation(suite, pk, bytes, header, ph, disclosed, opts), true);
      assert.equal(verifyPresentation(suite, pk, p, header, ph, disclosed, opts), true);
      assert.equal(toHex(presentationToBytes(presentationFromBytes(bytes))), toHex(bytes));
      assert.equal(p.predicates.length, 2);
      assert.equal(p.pseudonym.length, 48);
    });

    test('forgeries fail', () => {
      const v = (over = {}, d = disclosed, h = ph) => verifyPresentation(suite, pk, bytes, header, h, d, { ...opts, ...over });
      assert.equal(v({}, new Map([[2, utf8('district 8')], [9, 7n]])), false);
      assert.equal(v({}, new Map([[2, utf8('district 7')], [9, 8n]])), false);
      assert.equal(v({}, new Map([[2, utf8('district 7')]])), false);
      assert.equal(v({}, disclosed, utf8('another request')), false);
      assert.equal(v({ contextId: utf8('election-2027') }), false);
      assert.equal(v({ contextId: null }), false);
      assert.equal(v({ numMessages: 11 }), false);
      assert.equal(v({ predicates: new Map([[BIRTH, [-40_000n, -2_001n]], [VALID_UNTIL, [TODAY, TODAY + 30n]]]) }), false);
      assert.equal(v({ predicates: new Map([[VALID_UNTIL, [TODAY, TODAY + 30n]]]) }), false);
      assert.equal(v({ predicates: new Map([[BIRTH, [-40_000n, -2_000n]], [8, [0n, 100n]], [VALID_UNTIL, [TODAY, TODAY + 30n]]]) }), false);
      // swap the two commitments
      const swapped = presentationFromBytes(bytes);
      [swapped.predicates[0].commitment, swapped.predicates[1].commitment] = [swapped.predicates[1].commitment, swapped.predicates[0].commitment];
      assert.equal(verifyPresentation(suite, pk, swapped, header, ph, disclosed, opts), false);
      // flipped bytes anywhere, truncation, trailing bytes
      for (const at of [5, 40, 300, 700, bytes.length - 200, bytes.length - 40, bytes.length - 1]) {
        assert.equal(verifyPresentation(suite, pk, flip(bytes, at), header, ph, disclosed, opts), false, `@${at}`);
      }
      assert.equal(verifyPresentation(suite, pk, bytes.subarray(0, bytes.length - 1), header, ph, disclosed, opts), false);
      assert.equal(verifyPresentation(suite, pk, new Uint8Array([...bytes, 0]), header, ph, disclosed, opts), false);
      assert.throws(() => presentationFromBytes(new Uint8Array([...bytes, 0])), /trailing/);
    });

    test('a predicate that does not hold cannot be proven', () => {
      assert.throws(
        () => present(suite, pk, sig, header, ph, ATTRS, [], { predicates: new Map([[BIRTH, [0n, 100n]]]), nym }),
        /does not hold/,
      );
      assert.throws(() => present(suite, pk, sig, header, ph, ATTRS, [BIRTH], { predicates: new Map([[BIRTH, [-4000n, 0n]]]), nym }), /undisclosed/);
      assert.throws(() => present(suite, pk, sig, header, ph, ATTRS, [], { predicates: new Map([[0, [0n, 1n]]]), nym }), /integer attribute/);
      assert.throws(() => present(suite, pk, sig, header, ph, ATTRS, [], { predicates: new Map([[BIRTH, [1n, 1n]]]), nym }), /lo < hi/);
    });

    test('without predicates: exactly a ProofGenWithNym proof', () => {
      const plain = present(suite, pk, sig, header, ph, ATTRS, [0], { nym });
      assert.equal(plain.predicates.length, 0);
      const api = pseudonymApiId(suite);
      const ok = proofVerifyWithNymScalars(suite, pk, plain.proof, header, ph, plain.pseudonym, nym.contextId, 10, 1, attributeScalars(suite, [ATTRS[0]], api), [], [0], []);
      assert.equal(ok, true);
      assert.equal(toHex(plain.pseudonym), toHex(p.pseudonym), 'one pseudonym per context');
    });
  });
}

describe('core-interface credential with integer attributes', () => {
  test('sign, verify, present without pseudonym', () => {
    const suite = SHA_256;
    const sk = keygen(suite, new Uint8Array(32).fill(6));
    const pk = skToPk(sk);
    const attrs = [utf8('name'), 19_000n, -5n, EMPTY];
    const sig = signAttributes(suite, sk, pk, utf8('h'), attrs);
    assert.equal(verifyAttributes(suite, pk, sig, utf8('h'), attrs), true);
    assert.equal(verifyAttributes(suite, pk, sig, utf8('h'), [utf8('name'), 19_001n, -5n, EMPTY]), false);
    const plain = present(suite, pk, sig, utf8('h'), utf8('p'), attrs, [0]);
    // without predicates or pseudonym the proof is a plain ProofGen proof
    assert.equal(plain.pseudonym, null);
    const preds = new Map([[1, [18_000n, 20_000n]]]);
    const p = present(suite, pk, sig, utf8('h'), utf8('p'), attrs, [0, 2], { predicates: preds });
    const d = new Map([[0, utf8('name')], [2, -5n]]);
    assert.equal(verifyPresentation(suite, pk, presentationToBytes(p), utf8('h'), utf8('p'), d, { predicates: preds }), true);
    assert.equal(verifyPresentation(suite, pk, presentationToBytes(p), utf8('h'), utf8('p'), new Map([[0, utf8('name')], [2, 5n]]), { predicates: preds }), false);
    assert.equal(verifyPresentation(suite, pk, presentationToBytes(p), utf8('h'), utf8('p'), d, { predicates: preds, contextId: utf8('x') }), false);
    // the integer attribute is not a hashed message: signing "19000" as bytes differs
    assert.equal(verifyAttributes(suite, pk, sig, utf8('h'), [utf8('name'), utf8('19000'), -5n, EMPTY]), false);
    assert.equal(proofVerify(suite, pk, plain.proof, utf8('h'), utf8('p'), [attrs[0]], [0]), true);
  });
});

describe('Pnyx formats', () => {
  test('days since 1970, both ways, strict calendar dates', () => {
    assert.equal(dayNumber('1970-01-01'), 0);
    assert.equal(dayNumber('1969-12-31'), -1);
    assert.equal(dayNumber('2001-12-10'), 11_666);
    assert.equal(dayNumber('0001-01-01'), -719_162);
    assert.equal(dayNumber('9999-12-31'), 2_932_896);
    assert.equal(dateOfDay(11_666), '2001-12-10');
    assert.equal(dateOfDay(-719_162), '0001-01-01');
    for (const bad of ['2001-02-29', '2001-13-01', '0000-01-01', '2001-1-01', '20011210', 7]) {
      assert.throws(() => dayNumber(bad), /date/);
    }
  });

  test('attribute encodings', () => {
    assert.deepEqual(encodeValue('string', 'Ada'), utf8('Ada'));
    assert.equal(encodeValue('integer', -7), -7n);
    assert.equal(encodeValue('date', '1970-01-02'), 1n);
    assert.equal(encodeValue('boolean', true), 1n);
    assert.equal(encodeValue('boolean', false), 0n);
    assert.throws(() => encodeValue('integer', 2 ** 60), /integer/);
    assert.throws(() => encodeValue('integer', 1.5), /integer/);
    assert.throws(() => encodeValue('boolean', 1), /true or false/);
    assert.throws(() => encodeValue('string', '\ud800'), /surrogate/);
    assert.throws(() => encodeValue('string', 'x'.repeat(1001)), /1000/);
  });

  test('layout, schema digest, presentation header', () => {
    const schema = {
      issuer: 'cityhall',
      id: 'permit',
      title: 'Parking permit',
      attributes: [{ name: 'plate', type: 'string', encoding: 'utf8-hash' }],
      revocation: 'status_list',
      max_validity_days: 365,
    };
    assert.deepEqual(layoutNames(schema), ['plate', 'validFrom', 'validUntil', 'statusListCredential', 'statusListIndex']);
    assert.match(schemaDigest(schema), /^[0-9a-f]{64}$/);
    assert.notEqual(schemaDigest(schema), schemaDigest({ ...schema, issuer: 'other' }));
    const ph = new TextDecoder().decode(presentationHeader({ nonce: 'ab', version: 1, disclose: ['z', 'a'] }));
    assert.equal(ph, 'pnyx/presentation/v1\n{"disclose":["z","a"],"nonce":"ab","version":1}');
  });
});

describe('aggregated Bulletproofs range proof (range.js)', () => {
  // tests/crypto/bbs/test_range.py pins these: generators and a proof for mocked randomness.
  const suite = SHA_256;
  const RANGES = [
    [0n, 20n],
    [-5n, 5n],
  ];
  const OPENINGS = [
    [13n, 1234n],
    [-5n, 99n],
  ];
  const commit = (openings, s = suite) => {
    const g = pedersenGenerators(s);
    return openings.map(([x, r]) => pedersenCommit(g, x, r));
  };

  test('pinned generators (range.py)', () => {
    const pg = pedersenGenerators(suite);
    assert.equal(toHex(pg.g.toBytes()), '8c62c41362bf25d4705ef42b5a8395eba90103576c76c1e160000ca1180cabff030c51f69e3f508e8f292f6860e0d7d6');
    assert.equal(toHex(pg.h.toBytes()), '8f27ece708de14eefa4a45f5f071f63b58407ff9b73ca189483693dc4ef3fd6f302b0cde643756f3d6f2554a48e9ee5b');
    const vg = vectorGenerators(suite, 2);
    assert.deepEqual([vg.gs[0], vg.hs[0], vg.gs[1], vg.hs[1]].map((p) => toHex(p.toBytes())), [
      'b78dc0adfd88bc775b61b395212952c92772cb3196ad1a8ec7a47cc69c300fb2264ca27302a7acbfcc66bd224d55d9d7',
      '84dcf2891e7c8503dd463edcbf67648706232e80357abbb08d8f8535d47e6165437e71f0acc55cab43ba4d598632f60b',
      '95d17080a7204d9ce2e59d716a331d1efe5d438962b01c3617d00721538593a86111e91a6a7655fd1b3d4eba546bcfa9',
      'b499e88da88f4af380290723693943306cbb2f9ea0e9cf0ebfe7be9d0db50a9f5e0f0de862426105ed2a6f94c87facdc',
    ]);
  });

  test('pinned proof for mocked randomness, byte for byte (range.py)', () => {
    const cs = commit(OPENINGS);
    const rng = mockedRandomScalars(suite, utf8('pnyx range kat'), utf8('PNYX_TEST_RANGE_DST'));
    const proof = proveRanges(suite, utf8('ctx'), cs, OPENINGS, RANGES, rng);
    const bytes = rangeProofToBytes(proof);
    assert.equal(toHex(sha256(bytes)), '973c961aa95e6c36015418161fe620fcd3834c15698e97b909ced1cf28173f67');
    assert.equal(verifyRanges(suite, utf8('ctx'), cs, RANGES, rangeProofFromBytes(bytes, 16)), true);
  });

  test('weights cover exactly the range; sizes', () => {
    for (const [lo, hi] of [[0n, 1n], [0n, 2n], [0n, 7n], [0n, 8n], [-3n, 9n], [5n, 37n], [-100n, 155n]]) {
      const w = rangeWeights(lo, hi);
      assert.equal(w.reduce((a, b) => a + b, 0n), hi - lo);
      let sums = new Set([0n]);
      for (const x of w) sums = new Set([...sums, ...[...sums].map((s) => s + x)]);
      assert.equal(sums.size, Number(hi - lo) + 1);
    }
    assert.equal(rangeWeights(-(2n ** 63n), 2n ** 63n - 1n).length, 64);
    for (const [lo, hi] of [[1n, 1n], [2n, 1n], [-(2n ** 63n) - 1n, 0n], [0n, 2n ** 63n], [0, 5n]]) {
      assert.throws(() => rangeWeights(lo, hi));
    }
    assert.equal(paddedLength([[0n, 1n]]), 1);
    assert.equal(paddedLength(RANGES), 16);
    assert.equal(paddedLength([[-719_162n, 13_825n], [20_400n, 24_060n]]), 32);
    assert.deepEqual([1, 2, 16, 32].map(proofSize), [352, 448, 736, 832]);
    assert.throws(() => proofSize(12));
  });

  test('honest proofs verify (ends of ranges, n = 1); false ones cannot be made or pass', () => {
    for (const [openings, ranges] of [
      [[[0n, 5n]], [[0n, 1n]]],
      [[[1n, 5n]], [[0n, 1n]]],
      [[[-3n, 7n]], [[-3n, 9n]]],
      [[[9n, 7n]], [[-3n, 9n]]],
      [[[20n, 1n], [5n, 2n], [0n, 3n]], [[0n, 20n], [-5n, 5n], [0n, 300n]]],
    ]) {
      const cs = commit(openings);
      const proof = proveRanges(suite, utf8('ctx'), cs, openings, ranges);
      const n = paddedLength(ranges);
      const bytes = rangeProofToBytes(proof);
      assert.equal(bytes.length, proofSize(n));
      assert.equal(verifyRanges(suite, utf8('ctx'), cs, ranges, rangeProofFromBytes(bytes, n)), true);
      assert.equal(verifyRanges(suite, utf8('other'), cs, ranges, proof), false);
      assert.equal(verifyRanges(SHAKE_256, utf8('ctx'), cs, ranges, proof), false);
      for (const at of [0, 50, 100, 200, 300, bytes.length - 1]) {
        const bad = flip(bytes, at);
        let ok;
        try {
          ok = verifyRanges(suite, utf8('ctx'), cs, ranges, rangeProofFromBytes(bad, n));
        } catch {
          ok = false;
        }
        assert.equal(ok, false, `@${at}`);
      }
    }
    assert.throws(() => proveRanges(suite, utf8('ctx'), commit([[21n, 1n]]), [[21n, 1n]], [[0n, 20n]]), /outside the range/);
    // a commitment to a value out of range with the proof of an in-range one fails
    const cs = commit([[13n, 1n]]);
    const proof = proveRanges(suite, utf8('ctx'), cs, [[13n, 1n]], [[0n, 20n]]);
    assert.equal(verifyRanges(suite, utf8('ctx'), commit([[21n, 1n]]), [[0n, 20n]], proof), false);
    assert.equal(verifyRanges(suite, utf8('ctx'), cs, [[0n, 12n]], proof), false);
  });
});

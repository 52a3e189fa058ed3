// The presentation layer (webapp/static/js/bbs/predicates.js, range.js) and the Pnyx
// formats (credential.js): presentations with predicates and a pseudonym verify;
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
import { SHA_256, SHAKE_256, calculateRandomScalars, toHex, utf8 } from '../static/js/bbs/suite.js';
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

/**
 * The booth's ballot functions (webapp/static/js/ballot/booth.js) against the
 * formats of docs/voting.md §1–§6: the ballot document and its hash, byte for
 * byte; contexts; roll signatures; challenges decrypted from their nonces alone;
 * tampered ballots refused. The Python side checks the same ballots in
 * tests/webapp/test_js_ballot.py.
 */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';

import { flipped, stream } from './ballot-kit.js';
import { concat, fromHex, toHex, utf8 } from '../static/js/ballot/bytes.js';
import { InvalidBallot } from '../static/js/ballot/errors.js';
import * as g from '../static/js/ballot/group.js';
import * as b from '../static/js/ballot/ballot.js';
import {
  challengeBody,
  decryptChallenge,
  electionContext,
  makeBallot,
  manifestHash,
  presentationHeader,
  presentationRequest,
  rollVoterOf,
  signRoll,
  verifyBallot,
} from '../static/js/ballot/booth.js';

const rollKeys = [1, 2, 3].map((i) => sha256(utf8(`roll key ${i}`)));
const secretKey = g.randomScalar(stream('booth key'));
const jointKey = g.prepare(g.mul(secretKey, g.GENERATOR));
const keyHex = g.pointToHex(jointKey);

const manifest = {
  version: 1,
  id: 'city-2026',
  title: 'City elections 2026',
  contests: [
    { id: 'mayor', title: 'Mayor', options: ['Alice', 'Bob', 'Carol'], min: 1, max: 1, blank: true },
    { id: 'parks', title: 'More parks?', options: ['yes', 'no'], min: 1, max: 1, blank: false },
    { id: 'council', title: 'Council', options: ['Dana', 'Eve', 'Frank', 'Gus'], min: 0, max: 2, blank: false },
  ],
  eligibility: { type: 'roll', voters: rollKeys.slice(0, 2).map((k) => toHex(ed25519.getPublicKey(k))) },
  revote: 'last',
  trustees: [{ index: 1, key_id: 'ab'.repeat(32), box: 'cd'.repeat(32) }],
  threshold: 1,
  opens: '2026-05-01T07:00:00Z',
  closes: '2026-05-01T19:00:00Z',
};
const context = electionContext(manifest, jointKey);
const contextHex = toHex(context);
const choice = [
  [0, 1, 0, 0],
  [1, 0],
  [0, 1, 0, 1],
];
const voter = rollVoterOf(rollKeys[0]);

function expectCode(fn, code) {
  assert.throws(fn, (e) => e instanceof InvalidBallot && e.code === code, `expected ${code}`);
}

describe('hashes of docs/voting.md §2', () => {
  test('H_M and H_C as their definitions', () => {
    const hm = sha256(concat(utf8('pnyx/voting/manifest/v1\n'), utf8(JSON.stringify(sortKeys(manifest)))));
    assert.equal(toHex(manifestHash(manifest)), toHex(hm));
    const hc = sha256(concat(utf8('pnyx/voting/context/v1\n'), hm, jointKey.toBytes()));
    assert.equal(contextHex, toHex(hc));
    // member order does not matter (JCS)
    const shuffled = Object.fromEntries(Object.entries(manifest).reverse());
    assert.equal(toHex(manifestHash(shuffled)), toHex(hm));
  });

  test('the roll pseudonym is SHA-256 of the Ed25519 public key', () => {
    assert.equal(voter, toHex(sha256(ed25519.getPublicKey(rollKeys[0]))));
    assert.equal(rollVoterOf(toHex(rollKeys[0])), voter);
    assert.throws(() => rollVoterOf('ab'), RangeError);
  });
});

describe('makeBallot', () => {
  const made = makeBallot(manifest, contextHex, keyHex, choice, { voter });

  test('the ballot document, its JSON and its hash, byte for byte', () => {
    assert.deepEqual(Object.keys(made.body).sort(), ['contests', 'election', 'version', 'voter']);
    assert.equal(made.body.version, 1);
    assert.equal(made.body.election, 'city-2026');
    assert.equal(made.body.voter, voter);
    const sizes = [4, 2, 4].map((n, c) => n * (64 + 128) + 64 * (manifest.contests[c].max - manifest.contests[c].min + 1));
    assert.deepEqual(made.body.contests.map((h) => h.length / 2), sizes);
    const json = `{"contests":[${made.body.contests.map((h) => `"${h}"`).join(',')}],"election":"city-2026","version":1,"voter":"${voter}"}`;
    const hash = toHex(sha256(concat(utf8('pnyx/voting/ballot/v1\n'), utf8(json))));
    assert.equal(made.ballotHash, hash);
    assert.equal(made.tracker, hash);
    assert.deepEqual(made.selections, choice);
    assert.deepEqual(made.nonces.map((n) => n.length), [4, 2, 4]);
    for (const n of made.nonces.flat()) assert.ok(g.scalarFromHex(n) > 0n);
  });

  test('it verifies as the domain would (contests and the roll signature)', () => {
    const body = signRoll(made.body, rollKeys[0]);
    assert.deepEqual(Object.keys(body).sort(), ['ballot', 'eligibility']);
    assert.equal(body.eligibility.key, toHex(ed25519.getPublicKey(rollKeys[0])));
    const message = concat(utf8('pnyx/voting/roll/v1\n'), fromHex(made.ballotHash));
    assert.ok(ed25519.verify(fromHex(body.eligibility.signature), message, fromHex(body.eligibility.key)));
    assert.equal(verifyBallot(body, manifest, contextHex, keyHex), made.ballotHash);
  });

  test('the same randomness gives the same ballot; names select like lists', () => {
    const one = makeBallot(manifest, contextHex, keyHex, choice, { voter, rng: stream('same') });
    const named = { mayor: ['Bob'], parks: ['yes'], council: ['Eve', 'Gus'] };
    const two = makeBallot(manifest, context, jointKey, named, { voter, rng: stream('same') });
    assert.deepEqual(two, one);
    const blank = makeBallot(manifest, contextHex, keyHex, { mayor: ['blank'], parks: ['no'] }, { voter });
    assert.deepEqual(blank.selections, [[0, 0, 0, 1], [0, 1], [0, 0, 0, 0]]);
    assert.throws(() => makeBallot(manifest, contextHex, keyHex, { mayor: ['Zed'] }, { voter }), RangeError);
  });

  test('a wrong context, key or selection is refused before anything is encrypted', () => {
    expectCode(() => makeBallot(manifest, toHex(sha256(context)), keyHex, choice, { voter }), 'context_mismatch');
    const otherKey = g.pointToHex(g.mul(2n, jointKey));
    expectCode(() => makeBallot(manifest, contextHex, otherKey, choice, { voter }), 'context_mismatch');
    const changed = { ...manifest, title: 'Another election' };
    expectCode(() => makeBallot(changed, contextHex, keyHex, choice, { voter }), 'context_mismatch');
    assert.throws(() => makeBallot(manifest, contextHex, '00'.repeat(32), choice, { voter }));
    assert.throws(() => makeBallot(manifest, contextHex, keyHex, [[1, 1, 0, 0], [1, 0], [0, 0, 0, 0]], { voter }), RangeError);
    assert.throws(() => makeBallot(manifest, contextHex, keyHex, [[0, 0, 0, 0], [1, 0], [0, 0, 0, 0]], { voter }), RangeError);
    assert.throws(() => makeBallot(manifest, contextHex, keyHex, [[1, 0, 0, 0], [1, 0], [1, 1, 1, 0]], { voter }), RangeError);
    assert.throws(() => makeBallot(manifest, contextHex, keyHex, choice, {}), RangeError);
    assert.throws(() => makeBallot(manifest, contextHex, keyHex, choice, { voter: 'XY' }), RangeError);
    const nym = 'ab'.repeat(48); // a credential pseudonym's length, in a roll election
    assert.throws(() => makeBallot(manifest, contextHex, keyHex, choice, { voter: nym }), RangeError);
  });
});

describe('verifyBallot refuses what the domain refuses', () => {
  const made = makeBallot(manifest, contextHex, keyHex, choice, { voter });
  const body = signRoll(made.body, rollKeys[0]);
  const withContest = (c, text) => ({
    ...body,
    ballot: { ...body.ballot, contests: body.ballot.contests.map((h, i) => (i === c ? text : h)) },
  });

  test('one changed byte in a ciphertext or a proof', () => {
    const bytes = fromHex(body.ballot.contests[0]);
    let decodable = 0;
    for (let i = 0; i < bytes.length; i += 13) {
      const bad = withContest(0, toHex(flipped(bytes, i)));
      assert.throws(
        () => verifyBallot(bad, manifest, context, jointKey),
        (e) => e instanceof InvalidBallot && ['malformed_voting_entry', 'invalid_ballot'].includes(e.code),
        `byte ${i}`,
      );
      try {
        b.decodeContests(bad.ballot.contests, b.shapesOf(manifest));
        decodable += 1;
      } catch {
        // refused at decoding
      }
    }
    assert.ok(decodable > 0, 'some changes decode and are refused by the proofs');
  });

  test('a ciphertext re-signed by its voter still fails its proof', () => {
    const bytes = fromHex(body.ballot.contests[1]);
    // find a change of α_1 that still decodes to a point: only the proof can catch it
    for (let mask = 1; mask < 256; mask++) {
      const text = toHex(flipped(bytes, 0, mask));
      try {
        g.pointFromHex(text.slice(0, 64));
      } catch {
        continue;
      }
      const resigned = signRoll(withContest(1, text).ballot, rollKeys[0]);
      expectCode(() => verifyBallot(resigned, manifest, contextHex, keyHex), 'invalid_ballot');
      return;
    }
    assert.fail('no decodable change found');
  });

  test('eligibility: off the roll, another voter, a signature over another ballot', () => {
    const off = makeBallot(manifest, contextHex, keyHex, choice, { voter: rollVoterOf(rollKeys[2]) });
    expectCode(() => verifyBallot(signRoll(off.body, rollKeys[2]), manifest, contextHex, keyHex), 'not_eligible');
    expectCode(() => signRoll(made.body, rollKeys[1]), 'not_eligible');
    const other = makeBallot(manifest, contextHex, keyHex, choice, { voter });
    const swapped = { ballot: other.body, eligibility: body.eligibility };
    expectCode(() => verifyBallot(swapped, manifest, contextHex, keyHex), 'not_eligible');
    const badSig = { ...body, eligibility: { ...body.eligibility, signature: 'ff' + body.eligibility.signature.slice(2) } };
    expectCode(() => verifyBallot(badSig, manifest, contextHex, keyHex), 'not_eligible');
    expectCode(() => verifyBallot({ ballot: body.ballot, eligibility: {} }, manifest, contextHex, keyHex), 'not_eligible');
  });

  test("a proof moved to another voter's ballot", () => {
    const copied = signRoll({ ...body.ballot, voter: rollVoterOf(rollKeys[1]) }, rollKeys[1]);
    expectCode(() => verifyBallot(copied, manifest, contextHex, keyHex), 'invalid_ballot');
  });

  test('malformed documents', () => {
    const cases = [
      { ...body.ballot, version: 2 },
      { ...body.ballot, extra: 1 },
      { ...body.ballot, election: 'City' },
      { ...body.ballot, voter: voter.toUpperCase() },
      { ...body.ballot, contests: body.ballot.contests.slice(1) },
      { ...body.ballot, contests: [body.ballot.contests[0] + '00', ...body.ballot.contests.slice(1)] },
      { ...body.ballot, contests: [body.ballot.contests[0].slice(1), ...body.ballot.contests.slice(1)] },
    ];
    for (const ballot of cases) {
      expectCode(() => verifyBallot({ ...body, ballot }, manifest, contextHex, keyHex), 'malformed_voting_entry');
    }
    expectCode(() => verifyBallot({ ...body, ballot: { ...body.ballot, election: 'other' } }, manifest, contextHex, keyHex), 'unknown_election');
  });
});

describe('challenges', () => {
  const made = makeBallot(manifest, contextHex, keyHex, choice, { voter });
  const body = challengeBody(made);

  test('the challenge body is the ballot, its nonces and its selections', () => {
    assert.deepEqual(Object.keys(body).sort(), ['ballot', 'nonces', 'selections']);
    assert.deepEqual(body.ballot, made.body);
    assert.deepEqual(body.nonces, made.nonces);
    assert.deepEqual(body.selections, choice);
  });

  test('decryptChallenge recomputes the choices from the nonces alone', () => {
    const { selections, ...withoutClaims } = body;
    assert.deepEqual(selections, choice);
    const opened = decryptChallenge(withoutClaims, manifest, keyHex);
    assert.deepEqual(opened, [
      { contest: 'mayor', selections: [0, 1, 0, 0], chosen: ['Bob'] },
      { contest: 'parks', selections: [1, 0], chosen: ['yes'] },
      { contest: 'council', selections: [0, 1, 0, 1], chosen: ['Eve', 'Gus'] },
    ]);
    assert.deepEqual(decryptChallenge(body, manifest, jointKey), opened);
    // a decryption with the election's secret key agrees
    const contests = b.decodeContests(made.body.contests, b.shapesOf(manifest));
    contests.forEach((contest, c) =>
      contest.ciphertexts.forEach((cipher, o) => {
        const plain = cipher.beta.subtract(g.mul(secretKey, cipher.alpha));
        assert.equal(plain.is0() ? 0 : plain.equals(g.GENERATOR) ? 1 : -1, choice[c][o]);
      }),
    );
  });

  test('a lying challenge is refused: claimed selections, swapped or altered nonces', () => {
    const claims = structuredClone(body);
    claims.selections[0] = [1, 0, 0, 0];
    expectCode(() => decryptChallenge(claims, manifest, keyHex), 'invalid_challenge');
    const swapped = structuredClone(body);
    swapped.nonces[0] = [swapped.nonces[0][1], swapped.nonces[0][0], ...swapped.nonces[0].slice(2)];
    expectCode(() => decryptChallenge(swapped, manifest, keyHex), 'invalid_challenge');
    const altered = structuredClone(body);
    altered.nonces[2][3] = g.scalarToHex(g.scalarAdd(g.scalarFromHex(altered.nonces[2][3]), 1n));
    expectCode(() => decryptChallenge(altered, manifest, keyHex), 'invalid_challenge');
    const noncanonical = structuredClone(body);
    noncanonical.nonces[1][0] = 'ff'.repeat(32);
    expectCode(() => decryptChallenge(noncanonical, manifest, keyHex), 'malformed_voting_entry');
    const short = structuredClone(body);
    short.nonces[1] = short.nonces[1].slice(1);
    expectCode(() => decryptChallenge(short, manifest, keyHex), 'malformed_voting_entry');
    expectCode(() => decryptChallenge({ ...body, ballot: { ...body.ballot, election: 'other' } }, manifest, keyHex), 'unknown_election');
  });
});

describe('credential elections: the presentation header binds the ballot hash', () => {
  test('the request and header as services/voting/ballot.py presentation_request', () => {
    const cred = {
      ...manifest,
      eligibility: {
        type: 'credential',
        issuer: 'cityhall',
        schema: 'eid',
        attributes: { region: 'north', district: 7 },
        predicates: [{ attribute: 'birthDate', op: '<=', value: '2008-05-01' }],
        date: '2026-05-01',
      },
    };
    const hash = sha256(utf8('a ballot'));
    const request = presentationRequest(cred, hash);
    assert.deepEqual(request, {
      version: 1,
      type: 'PnyxPresentationRequest',
      issuer: 'cityhall',
      schema: 'eid',
      disclose: ['district', 'region'],
      predicates: [{ attribute: 'birthDate', op: '<=', value: '2008-05-01' }],
      date: '2026-05-01',
      nonce: toHex(hash),
      pseudonym: { context: 'city-2026' },
    });
    const header = new TextDecoder().decode(presentationHeader(request));
    assert.equal(
      header,
      'pnyx/presentation/v1\n{"date":"2026-05-01","disclose":["district","region"],"issuer":"cityhall",' +
        `"nonce":"${toHex(hash)}","predicates":[{"attribute":"birthDate","op":"<=","value":"2008-05-01"}],` +
        '"pseudonym":{"context":"city-2026"},"schema":"eid","type":"PnyxPresentationRequest","version":1}',
    );
    assert.deepEqual(presentationRequest(cred, toHex(hash)), request);
    assert.throws(() => presentationRequest(cred, 'ab'), RangeError);
    assert.throws(() => presentationRequest(manifest, hash), RangeError);
  });
});

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
  }
  return value;
}

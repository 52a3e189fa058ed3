/**
 * checks.js: the page recomputes the server's drafts of the joint key, the tally
 * and the result from what it reads on the board, and refuses a draft that differs
 * in anything. Fixture: an election run by services/voting (4 trustees, k = 2,
 * trustee 4 absent, trustee 1's partial decryption wrong, a re-vote and a
 * challenge) through the API, from tests/webapp/test_js_officials.py.
 */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { copy, loadFixture } from './officials-kit.js';
import {
  DraftMismatch,
  checkJointKeyDraft,
  checkResultDraft,
  checkTallyDraft,
  jointKeyBody,
  lagrange,
  qualifiedOf,
  tallyBody,
  tallyDigest,
} from '../static/js/officials/checks.js';
import { ORDER } from '../static/js/ballot/group.js';

const { ceremony, closed, tallied } = loadFixture().drafts;

const flipHex = (h, at = 10) => h.slice(0, at) + (h[at] === '0' ? '1' : '0') + h.slice(at + 1);

function mismatch(fn, what) {
  assert.throws(fn, (err) => err instanceof DraftMismatch, what);
}

describe('joint key', () => {
  test('QUAL: the three trustees that revealed', () => {
    assert.deepEqual(qualifiedOf(ceremony.election), [1, 2, 3]);
  });

  test('the page computes the server\'s draft exactly', () => {
    assert.deepEqual(jointKeyBody(ceremony.election, ceremony.reveals), ceremony.draft.body);
    assert.deepEqual(checkJointKeyDraft(ceremony.draft, ceremony.election, ceremony.reveals), ceremony.draft.body);
  });

  test('a changed draft is refused', () => {
    const cases = {
      kind: (d) => { d.kind = 'voting.tally'; },
      election: (d) => { d.body.election = 'other'; },
      extra: (d) => { d.body.extra = 1; },
      qualified: (d) => { d.body.qualified = [1, 2]; },
      key: (d) => { d.body.public_key = d.body.verification_keys[0]; },
      vk: (d) => { d.body.verification_keys[3] = d.body.verification_keys[2]; },
      context: (d) => { d.body.context = flipHex(d.body.context); },
    };
    for (const [what, change] of Object.entries(cases)) {
      const d = copy(ceremony.draft);
      change(d);
      mismatch(() => checkJointKeyDraft(d, ceremony.election, ceremony.reveals), what);
    }
  });

  test('changed board data gives another key: the draft no longer matches', () => {
    const reveals = copy(ceremony.reveals);
    [reveals['1'], reveals['2']] = [reveals['2'], reveals['1']];
    mismatch(() => checkJointKeyDraft(ceremony.draft, ceremony.election, reveals), 'swapped');
    const el = copy(ceremony.election);
    el.trustees[2].fault = 'bad share';
    mismatch(() => checkJointKeyDraft(ceremony.draft, el, ceremony.reveals), 'fault');
    const awaiting = copy(ceremony.election);
    awaiting.complaints = [{ dealer: 3, recipient: 1, verdict: 'answer-required' }];
    assert.deepEqual(qualifiedOf(awaiting), [1, 2]);
    const missing = copy(ceremony.reveals);
    delete missing['3'];
    mismatch(() => jointKeyBody(ceremony.election, missing), 'no reveal');
    const manifest = copy(ceremony.election);
    manifest.manifest.title = 'Another title';
    mismatch(() => jointKeyBody(manifest, ceremony.reveals), 'manifest hash');
    const few = copy(ceremony.election);
    few.trustees.forEach((t) => { t.revealed = t.index === 1; });
    mismatch(() => jointKeyBody(few, ceremony.reveals), 'below k');
  });
});

describe('tally', () => {
  test('the page adds the counted ballots exactly as the server', () => {
    assert.equal(closed.counted.length, 3);
    assert.equal(closed.election.counted, 3);
    assert.deepEqual(tallyBody(closed.election, closed.counted), closed.draft.body);
    assert.deepEqual(checkTallyDraft(closed.draft, closed.election, closed.counted), closed.draft.body);
  });

  test('a changed draft or a missing ballot is refused', () => {
    const d = copy(closed.draft);
    d.body.ballots = 4;
    mismatch(() => checkTallyDraft(d, closed.election, closed.counted), 'count');
    const t = copy(closed.draft);
    [t.body.tally[0][0], t.body.tally[0][1]] = [t.body.tally[0][1], t.body.tally[0][0]];
    mismatch(() => checkTallyDraft(t, closed.election, closed.counted), 'swapped options');
    mismatch(() => checkTallyDraft(closed.draft, closed.election, closed.counted.slice(1)), 'a ballot fewer');
    const el = copy(closed.election);
    el.counted = 2;
    mismatch(() => checkTallyDraft(closed.draft, el, closed.counted.slice(1)), 'another sum');
    mismatch(() => tallyBody(closed.election, []), 'nothing to add');
    const bad = copy(closed.counted);
    bad[0][0] = flipHex(bad[0][0], 2); // another point, or no point at all
    mismatch(() => checkTallyDraft(closed.draft, closed.election, bad), 'a changed ciphertext');
  });
});

describe('result', () => {
  test('the board\'s tally digest is h_T of its ciphertexts', () => {
    assert.equal(tallyDigest(tallied.election.tally.ciphertexts), tallied.election.tally.digest);
  });

  test('the server\'s draft checks: k smallest valid partials, the bad one excluded', () => {
    const body = checkResultDraft(tallied.draft, tallied.election, tallied.partials);
    assert.deepEqual(body, tallied.draft.body);
    assert.deepEqual(body.used, [2, 3]);
    assert.equal(body.excluded.length, 1);
    assert.equal(body.excluded[0].trustee, 1);
  });

  test('changed totals, trustees or digest are refused', () => {
    const cases = {
      total: (d) => { d.body.totals[0][0] += 1; },
      moved: (d) => { const r = d.body.totals[1]; [r[0], r[1]] = [r[1], r[0]]; },
      negative: (d) => { d.body.totals[2][0] = -1; },
      fraction: (d) => { d.body.totals[2][0] = 0.5; },
      rows: (d) => { d.body.totals.pop(); },
      used: (d) => { d.body.used = [1, 2]; },
      excluded: (d) => { d.body.excluded = []; },
      reason: (d) => { d.body.excluded[0].reason = 'none'; },
      tally: (d) => { d.body.tally = flipHex(d.body.tally); },
    };
    for (const [what, change] of Object.entries(cases)) {
      const d = copy(tallied.draft);
      change(d);
      mismatch(() => checkResultDraft(d, tallied.election, tallied.partials), what);
    }
  });

  test('partials that are not the board\'s are refused', () => {
    const swapped = copy(tallied.partials);
    [swapped['2'], swapped['3']] = [swapped['3'], swapped['2']];
    mismatch(() => checkResultDraft(tallied.draft, tallied.election, swapped), 'swapped');
    const bad = copy(tallied.partials);
    bad['2'] = bad['1']; // trustee 1's (wrong) shares under trustee 2
    mismatch(() => checkResultDraft(tallied.draft, tallied.election, bad), 'wrong shares');
    const fewer = copy(tallied.election);
    fewer.trustees.forEach((t) => {
      if (t.index === 3) t.partial = null;
    });
    mismatch(() => checkResultDraft(tallied.draft, fewer, tallied.partials), 'below k');
  });

  test('Lagrange coefficients interpolate at 0', () => {
    // f(x) = 5 + 3x: f(2) = 11, f(3) = 14; λ_2 f(2) + λ_3 f(3) = f(0)
    const l2 = lagrange(2, [2, 3]);
    const l3 = lagrange(3, [2, 3]);
    assert.equal((l2 * 11n + l3 * 14n) % ORDER, 5n);
    assert.equal(lagrange(1, [1]), 1n);
  });
});

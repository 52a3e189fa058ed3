/**
 * The booth page's rules (webapp/static/js/pages/booth-form.js): how contests are
 * offered and counted (docs/voting.md §1), the roll key file `pnyx election
 * roll-key` writes, a credential voter's pseudonym and the wallet's presentation
 * for a ballot hash (§4–§5). The page itself runs in Chromium in
 * tests/webapp/test_browser_booth.py.
 */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ed25519 } from '@noble/curves/ed25519.js';

import { toHex } from '../static/js/ballot/bytes.js';
import {
  BoothInputError,
  KEY_FILE_MAX,
  chosenLabels,
  contestControl,
  eligibilityFromPresentation,
  parseRollKeyFile,
  pseudonymFrom,
  receiptFileName,
  rollKeyInfo,
  sameSelections,
  selectionProblem,
  selectionsOf,
} from '../static/js/pages/booth-form.js';

const MAYOR = { id: 'mayor', title: 'Mayor', options: ['Alice', 'Bob', 'Carol'], min: 1, max: 1, blank: true };
const PARKS = { id: 'parks', title: 'More parks?', options: ['yes', 'no'], min: 1, max: 1, blank: false };
const COUNCIL = { id: 'council', title: 'Council', options: ['Dana', 'Eve', 'Frank', 'Gus'], min: 0, max: 2, blank: false };
const MANIFEST = { id: 'city-2026', contests: [MAYOR, PARKS, COUNCIL] };
const SEED = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const NYM = 'a1'.repeat(48);
const HASH = 'b2'.repeat(32);

function presentation({ challenge = HASH, context = 'city-2026', value = NYM, creds = 1 } = {}) {
  const cred = {
    type: ['VerifiableCredential', 'PnyxCredential'],
    credentialSubject: { district: 7 },
    proof: { challenge, pseudonym: { context, value }, proofValue: 'f00' },
  };
  return {
    type: ['VerifiablePresentation'],
    verifiableCredential: Array.from({ length: creds }, () => cred),
  };
}

describe('contests', () => {
  test('exactly one of options and blank: radios, the blank vote last', () => {
    const c = contestControl(MAYOR);
    assert.equal(c.kind, 'radio');
    assert.equal(c.rule, 'Choose one.');
    assert.deepEqual(
      c.choices.map((x) => [x.value, x.label, x.blank]),
      [['0', 'Alice', false], ['1', 'Bob', false], ['2', 'Carol', false], ['3', 'Blank vote', true]],
    );
  });

  test('other counts: check boxes, and the rule says how many', () => {
    const cases = [
      [{ min: 0, max: 2 }, 'Choose up to two, or none.'],
      [{ min: 2, max: 2 }, 'Choose exactly two.'],
      [{ min: 1, max: 3 }, 'Choose at least one and at most three.'],
      [{ min: 0, max: 4 }, 'Choose any number of them, or none.'],
      [{ min: 0, max: 1 }, 'Choose up to one, or none.'],
    ];
    for (const [counts, rule] of cases) {
      const c = contestControl({ ...COUNCIL, ...counts });
      assert.equal(c.kind, 'checkbox');
      assert.equal(c.rule, rule);
      assert.equal(c.choices.length, 4);
    }
  });

  test('selection counts', () => {
    assert.equal(selectionProblem(MAYOR, 1), null);
    assert.equal(selectionProblem(MAYOR, 0), 'choose exactly one (you chose none).');
    assert.equal(selectionProblem(MAYOR, 2), 'choose at most one (you chose two).');
    assert.equal(selectionProblem(COUNCIL, 0), null);
    assert.equal(selectionProblem(COUNCIL, 2), null);
    assert.equal(selectionProblem(COUNCIL, 3), 'choose at most two (you chose three).');
    assert.equal(selectionProblem({ min: 1, max: 3 }, 0), 'choose at least one (you chose none).');
  });

  test('selections in ballot order, problems per contest', () => {
    const ok = selectionsOf(MANIFEST, [[3], [0], [1, 2]]);
    assert.deepEqual(ok.selections, [[0, 0, 0, 1], [1, 0], [0, 1, 1, 0]]);
    assert.deepEqual(ok.problems, []);
    const bad = selectionsOf(MANIFEST, [[], [0], [0, 1, 2]]);
    assert.deepEqual(
      bad.problems.map((p) => p.contest),
      ['mayor', 'council'],
    );
    assert.match(bad.problems[1].message, /at most two/);
    assert.throws(() => selectionsOf(MANIFEST, [[4], [0], []]), RangeError);
    assert.throws(() => selectionsOf(MANIFEST, [[-1], [0], []]), RangeError);
  });

  test('labels of selections, and equality', () => {
    assert.deepEqual(chosenLabels(MANIFEST, [[0, 0, 0, 1], [0, 1], [1, 0, 0, 1]]), [
      { contest: 'mayor', title: 'Mayor', chosen: ['Blank vote'] },
      { contest: 'parks', title: 'More parks?', chosen: ['no'] },
      { contest: 'council', title: 'Council', chosen: ['Dana', 'Gus'] },
    ]);
    assert.ok(sameSelections([[1, 0], [0]], [[1, 0], [0]]));
    assert.ok(!sameSelections([[1, 0], [0]], [[0, 1], [0]]));
    assert.ok(!sameSelections([[1, 0]], [[1, 0], [0]]));
    assert.ok(!sameSelections([[1, 0]], null));
  });
});

describe('the roll key file', () => {
  test('64 hex digits and a newline, as pnyx writes it', () => {
    const text = `${toHex(SEED)}\n`;
    assert.deepEqual(parseRollKeyFile(text), SEED);
    assert.deepEqual(parseRollKeyFile(`  ${toHex(SEED).toUpperCase()}\r\n`), SEED);
  });

  test('anything else is refused with a sentence', () => {
    const hex = toHex(SEED);
    for (const text of [
      '',
      hex.slice(2),
      `${hex}00`,
      hex + hex,
      `${hex.slice(1)}g`,
      'PRIVATE+KEY+officials+abcd+AAAA',
      `{"key": "${hex}"}`,
      ' '.repeat(KEY_FILE_MAX) + hex,
    ]) {
      assert.throws(() => parseRollKeyFile(text), BoothInputError, JSON.stringify(text.slice(0, 20)));
    }
    assert.throws(() => parseRollKeyFile('PRIVATE+KEY+x+y+z'), /authority's signing key/);
  });

  test('its public key, on the roll or not', () => {
    const pub = toHex(ed25519.getPublicKey(SEED));
    const roll = { eligibility: { type: 'roll', voters: ['00'.repeat(32), pub] } };
    assert.deepEqual(rollKeyInfo(SEED, roll), { publicKey: pub, onRoll: true });
    const other = { eligibility: { type: 'roll', voters: ['00'.repeat(32)] } };
    assert.equal(rollKeyInfo(SEED, other).onRoll, false);
    assert.equal(rollKeyInfo(SEED, { eligibility: { type: 'credential' } }).onRoll, false);
  });
});

describe('credential voters', () => {
  test('the pseudonym: 96 hex digits, or read from a presentation for this election', () => {
    assert.equal(pseudonymFrom(NYM, 'city-2026'), NYM);
    assert.equal(pseudonymFrom(` ${NYM.toUpperCase()}\n`, 'city-2026'), NYM);
    assert.equal(pseudonymFrom(JSON.stringify(presentation()), 'city-2026'), NYM);
    assert.equal(pseudonymFrom(JSON.stringify({ presentation: presentation() }), 'city-2026'), NYM);
    for (const text of [NYM.slice(2), `${NYM}00`, 'zz'.repeat(48), '', '{"a":', '[]']) {
      assert.throws(() => pseudonymFrom(text, 'city-2026'), BoothInputError);
    }
    assert.throws(
      () => pseudonymFrom(JSON.stringify(presentation({ context: 'other' })), 'city-2026'),
      /no pseudonym for election city-2026/,
    );
    assert.throws(
      () => pseudonymFrom(JSON.stringify(presentation({ value: 'a1' })), 'city-2026'),
      /not 96 hex/,
    );
  });

  test('the presentation must answer this ballot with this pseudonym', () => {
    const want = { ballotHash: HASH, voter: NYM, election: 'city-2026' };
    const vp = presentation();
    assert.deepEqual(eligibilityFromPresentation(JSON.stringify(vp), want), { presentation: vp });
    assert.deepEqual(eligibilityFromPresentation({ presentation: vp }, want), { presentation: vp });
    assert.throws(
      () => eligibilityFromPresentation(presentation({ challenge: 'c3'.repeat(32) }), want),
      /another ballot/,
    );
    assert.throws(
      () => eligibilityFromPresentation(presentation({ value: 'c3'.repeat(48) }), want),
      /another pseudonym/,
    );
    assert.throws(
      () => eligibilityFromPresentation(presentation({ context: 'town-2026' }), want),
      /another pseudonym/,
    );
    for (const bad of [presentation({ creds: 2 }), presentation({ creds: 0 }), {}, 'nope', { type: 'x' }]) {
      assert.throws(() => eligibilityFromPresentation(bad, want), BoothInputError);
    }
  });
});

test('receipt file names are safe', () => {
  assert.equal(
    receiptFileName({ election: 'city-2026', tracker: 'abcdef0123456789' }),
    'receipt-city-2026-abcdef012345.json',
  );
  assert.equal(receiptFileName({ election: '../x/y', tracker: '' }), 'receipt-.._x_y-.json');
});

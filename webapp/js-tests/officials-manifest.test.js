/**
 * manifest.js: the "create an election" form's values become exactly the manifest
 * services/voting/manifest.py accepts (fixture from tests/webapp/test_js_officials.py),
 * and each value the manifest cannot take is refused naming its field.
 */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { copy, loadFixture } from './officials-kit.js';
import {
  ManifestError,
  buildManifest,
  localValue,
  parseTrusteeCard,
  rollOf,
  utcTime,
} from '../static/js/officials/manifest.js';

const fixture = loadFixture();
const [rollCase, credentialCase] = fixture.forms;

function refused(change, field) {
  const form = copy(rollCase.form);
  change(form);
  assert.throws(
    () => buildManifest(form),
    (err) => err instanceof ManifestError && err.field === field,
    `expected a refusal naming ${field}`,
  );
}

describe('form → manifest, as Python accepts it', () => {
  test('a roll election', () => {
    assert.deepEqual(buildManifest(rollCase.form), rollCase.manifest);
  });

  test('a credential election (attributes typed by the schema, predicates)', () => {
    assert.deepEqual(buildManifest(credentialCase.form), credentialCase.manifest);
  });

  test('without the schema\'s types, digits are integers and true/false booleans', () => {
    const form = copy(credentialCase.form);
    form.credential.types = {};
    assert.deepEqual(buildManifest(form), credentialCase.manifest);
  });

  test('a JSON list for the roll', () => {
    const keys = rollCase.manifest.eligibility.voters;
    assert.deepEqual(rollOf(JSON.stringify(keys)), { type: 'roll', voters: keys });
  });
});

describe('refusals name the field', () => {
  test('election id, title, times, revote, eligibility', () => {
    refused((f) => { f.id = 'Town 2026'; }, 'id');
    refused((f) => { f.id = ''; }, 'id');
    refused((f) => { f.title = ''; }, 'title');
    refused((f) => { f.title = 'a'.repeat(201); }, 'title');
    refused((f) => { f.title = 'two\nlines'; }, 'title');
    refused((f) => { f.opens = 'tomorrow'; }, 'opens');
    refused((f) => { f.closes = '2026-02-30T10:00'; }, 'closes');
    refused((f) => { f.closes = f.opens; }, 'closes');
    refused((f) => { f.revote = 'first'; }, 'revote');
    refused((f) => { f.eligibility = undefined; }, 'eligibility');
  });

  test('contests', () => {
    refused((f) => { f.contests = []; }, 'contests');
    refused((f) => { f.contests[1].id = 'Parks!'; }, 'contests.1.id');
    refused((f) => { f.contests[1].id = 'mayor'; }, 'contests.1.id');
    refused((f) => { f.contests[0].title = ' '; }, 'contests.0.title');
    refused((f) => { f.contests[0].options = '\n\n'; }, 'contests.0.options');
    refused((f) => { f.contests[0].options = 'A\nB\nA'; }, 'contests.0.options');
    refused((f) => { f.contests[0].options = Array.from({ length: 65 }, (_, i) => `o${i}`).join('\n'); }, 'contests.0.options');
    refused((f) => { f.contests[0].max = '0'; }, 'contests.0.max');
    refused((f) => { f.contests[0].max = '5'; }, 'contests.0.max'); // 3 options + blank
    refused((f) => { f.contests[0].min = '2'; }, 'contests.0.min');
    refused((f) => { f.contests[0].min = '1.5'; }, 'contests.0.min');
    refused((f) => { f.contests = Array.from({ length: 17 }, (_, i) => ({ ...f.contests[0], id: `c${i}` })); }, 'contests');
  });

  test('roll and credential', () => {
    refused((f) => { f.roll = ''; }, 'roll');
    refused((f) => { f.roll = 'abcd'; }, 'roll');
    refused((f) => { f.roll = `${'a'.repeat(64)}\n${'A'.repeat(64)}`; }, 'roll');
    refused((f) => { f.roll = '[1, 2]'; }, 'roll');
    const cred = (change, field) => refused((f) => {
      Object.assign(f, copy(credentialCase.form));
      change(f.credential);
    }, field);
    cred((c) => { c.issuer = 'City Hall'; }, 'issuer');
    cred((c) => { c.schema = ''; }, 'schema');
    cred((c) => { c.attributes = 'district 7'; }, 'attributes');
    cred((c) => { c.attributes = 'district = 7\ndistrict = 8'; }, 'attributes');
    cred((c) => { c.attributes = 'district = seven'; }, 'attributes'); // an integer attribute
    cred((c) => { c.attributes = 'resident = yes'; }, 'attributes'); // a boolean one
    cred((c) => { c.attributes = Array.from({ length: 9 }, (_, i) => `a${i} = 1`).join('\n'); }, 'attributes');
    cred((c) => { c.predicates = 'birthDate < 2008-05-01'; }, 'predicates');
    cred((c) => { c.predicates = 'district >= 3'; }, 'predicates'); // shown and proven
    cred((c) => { c.date = '1 May 2026'; }, 'date');
  });

  test('trustees and k', () => {
    refused((f) => { f.trustees = []; }, 'trustees');
    refused((f) => { f.trustees[1].box = 'abcd'; }, 'trustees.1.box');
    refused((f) => { f.trustees[2].box = f.trustees[0].box; }, 'trustees');
    refused((f) => { f.trustees[2].key_id = f.trustees[0].key_id; }, 'trustees');
    refused((f) => { f.threshold = '0'; }, 'threshold');
    refused((f) => { f.threshold = '4'; }, 'threshold');
    refused((f) => { f.threshold = ''; }, 'threshold');
  });
});

describe('helpers', () => {
  test('times are read as UTC', () => {
    assert.equal(utcTime('2026-05-01T07:00', 'x', 'x'), '2026-05-01T07:00:00Z');
    assert.equal(utcTime('2026-05-01T07:00:05', 'x', 'x'), '2026-05-01T07:00:05Z');
    assert.equal(utcTime('2026-05-01T07:00:05.000', 'x', 'x'), '2026-05-01T07:00:05Z');
    assert.equal(utcTime('2026-05-01T07:00:05Z', 'x', 'x'), '2026-05-01T07:00:05Z');
    assert.equal(localValue(new Date(Date.UTC(2026, 4, 1, 7, 0, 5))), '2026-05-01T07:00:05');
  });

  test('trustee cards', () => {
    const t = rollCase.manifest.trustees[0];
    const card = { version: 1, type: 'PnyxTrusteeCard', election: 'town-2026', trustee: 't1', key_id: t.key_id, box: t.box };
    assert.deepEqual(parseTrusteeCard(JSON.stringify(card), 'town-2026'), { trustee: 't1', key_id: t.key_id, box: t.box });
    assert.deepEqual(parseTrusteeCard(JSON.stringify(card), null).box, t.box);
    for (const bad of ['not json', JSON.stringify({ ...card, type: 'Other' }), JSON.stringify({ ...card, box: 'ab' })]) {
      assert.throws(() => parseTrusteeCard(bad, 'town-2026'), ManifestError);
    }
    assert.throws(() => parseTrusteeCard(JSON.stringify(card), 'city-2026'), /for election town-2026/);
  });
});

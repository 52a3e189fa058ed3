/**
 * The portal's readable view of a record (static/js/portal/fhir.js) on the Python
 * test kit's bundle (fixture from tests/webapp/test_js_portal.py) and on malformed
 * shapes, which are left out rather than guessed at or thrown on.
 */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { choice, concept, humanName, outline, quantity, summarize } from '../static/js/portal/fhir.js';
import { loadFixture } from './portal-kit.js';

const fixture = loadFixture();
const bundle = fixture.records.cases[0].bundle;

const facts = (res) => Object.fromEntries(res.facts);

describe('a record, readable', () => {
  test('every resource of the kit\'s bundle, in order, with its facts', () => {
    const items = summarize(bundle);
    assert.deepEqual(
      items.map((r) => r.title),
      ['Patient', 'Observation', 'Observation', 'Immunization', 'Allergy or intolerance', 'Condition', 'Medication'],
    );
    assert.deepEqual(facts(items[0]), { Name: 'Zenobia Quixotically', 'Birth date': '1984-02-29' });
    assert.deepEqual(facts(items[1]), {
      What: 'ABO+Rh',
      Value: 'O negative bloodtype-marker-7731',
      Status: 'final',
    });
    assert.equal(facts(items[2]).Value, '13.25 g/dL');
    assert.deepEqual(facts(items[3]), {
      Vaccine: 'http://hl7.org/fhir/sid/cvx|03',
      Date: '2019-05-14',
      Status: 'completed',
    });
    assert.equal(facts(items[4]).Substance, 'penicillin-marker-5512');
    assert.equal(facts(items[5]).Condition, 'asthma-marker-9043');
    assert.deepEqual(facts(items[6]), { Medication: 'salbutamol-marker-2207', Status: 'active' });
    assert.equal(
      outline(bundle),
      '7 entries: Patient, Observation × 2, Immunization, Allergy or intolerance, Condition, Medication',
    );
  });

  test('text from the record stays text (the page sets it with textContent)', () => {
    const items = summarize(fixture.records.cases[1].bundle);
    assert.equal(facts(items[0]).Name, 'Zoë \u2028line Ærøskøbing-𝄞');
    assert.equal(facts(items[1]).What, 'quote " back\\slash </script>');
    assert.equal(facts(items[1]).Value, '1e-7 mmol/L');
  });

  test('shapes that are not FHIR give nothing, never an exception', () => {
    for (const junk of [null, 1, 'x', [], {}, { resourceType: 'Patient' }, { resourceType: 'Bundle', entry: 5 }]) {
      assert.deepEqual(summarize(junk), []);
    }
    const odd = {
      resourceType: 'Bundle',
      entry: [
        null,
        { resource: null },
        { resource: { resourceType: 7 } },
        { resource: { resourceType: 'Observation', code: 'x', valueQuantity: { value: 'NaN' }, note: [1, { text: 'a note' }] } },
        { resource: { resourceType: 'Patient', name: [{ given: 'not a list', family: 3 }], birthDate: ['x'] } },
        { resource: { resourceType: 'Questionnaire', item: [] } },
      ],
    };
    const items = summarize(odd);
    assert.deepEqual(items.map((r) => r.type), ['Observation', 'Patient', 'Questionnaire']);
    assert.deepEqual(items[0].facts, [['Note', 'a note']]);
    assert.deepEqual(items[1].facts, []);
    assert.equal(items[2].title, 'Questionnaire');
    assert.equal(outline({ resourceType: 'Bundle', entry: [odd.entry[4]] }), '1 entry: Patient');
  });

  test('data types', () => {
    assert.equal(concept({ coding: [{ system: 's', code: 'c' }, { display: 'D' }] }), 's|c, D');
    assert.equal(concept({ text: '  ' }), null);
    assert.equal(quantity({ value: 5, comparator: '<', code: 'mg' }), '<5 mg');
    assert.equal(quantity({ unit: 'mg' }), null);
    assert.equal(humanName({ prefix: ['Dr'], given: ['Ada'], family: 'L' }), 'Dr Ada L');
    assert.equal(choice({ valueBoolean: false }, 'value'), 'no');
    assert.equal(choice({ effectivePeriod: { start: 'a', end: 'b' } }, 'effective'), 'a to b');
    assert.equal(choice({ valueRange: { low: { value: 1, unit: 'x' } } }, 'value'), 'at least 1 x');
    assert.equal(choice({ medicationReference: { display: 'Aspirin' } }, 'medication'), 'Aspirin');
    assert.equal(choice({}, 'value'), null);
  });
});

// The verifier page's rules (static/js/verifier/request.js): the request body from the
// form, the wallet link, the QR code's path, the verdict's rows.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import qrcode from 'qrcode-generator';

import { FormError, orderedAttributes, qrPath, sessionBody, verdictView, walletLink } from '../static/js/verifier/request.js';

const EID = {
  issuer: 'cityhall',
  id: 'eid',
  attributes: [
    { name: 'givenName', type: 'string' },
    { name: 'birthDate', type: 'date' },
    { name: 'district', type: 'integer' },
  ],
};

test('the request body follows the form and the schema', () => {
  assert.deepEqual(orderedAttributes(EID).map((a) => a.name), ['birthDate', 'district']);
  const body = sessionBody(EID, {
    disclose: ['givenName', 'givenName'],
    predicates: [
      { attribute: 'birthDate', op: '<=', value: ' 2008-05-01 ' },
      { attribute: 'district', op: '>=', value: '-3' },
    ],
    context: '  library ',
    ttl: 900,
  });
  assert.deepEqual(body, {
    issuer: 'cityhall',
    schema: 'eid',
    disclose: ['givenName'],
    predicates: [
      { attribute: 'birthDate', op: '<=', value: '2008-05-01' },
      { attribute: 'district', op: '>=', value: -3 },
    ],
    pseudonym: { context: 'library' },
    ttl_seconds: 900,
  });
  assert.deepEqual(sessionBody(EID, {}), { issuer: 'cityhall', schema: 'eid', disclose: [], predicates: [], ttl_seconds: 900 });
});

test('what the server would refuse is refused in the page', () => {
  const bad = [
    { disclose: ['nope'] },
    { predicates: [{ attribute: 'givenName', op: '<=', value: '3' }] },
    { predicates: [{ attribute: 'birthDate', op: '<', value: '2000-01-01' }] },
    { predicates: [{ attribute: 'birthDate', op: '<=', value: '2000-02-30' }] },
    { predicates: [{ attribute: 'birthDate', op: '<=', value: '01/02/2000' }] },
    { predicates: [{ attribute: 'district', op: '<=', value: '1.5' }] },
    { predicates: [{ attribute: 'district', op: '<=', value: '1'.repeat(16) }] },
    { disclose: ['district'], predicates: [{ attribute: 'district', op: '<=', value: '3' }] },
    { context: 'with space' },
    { context: 'é' },
    { ttl: 10 },
  ];
  for (const form of bad) assert.throws(() => sessionBody(EID, form), FormError, JSON.stringify(form));
});

test('the wallet link and its QR code', () => {
  const id = 'ab'.repeat(16);
  const link = walletLink('https://pnyx.example', id);
  assert.equal(link, `https://pnyx.example/wallet?request=${id}`);
  assert.throws(() => walletLink('https://pnyx.example', 'x'), FormError);
  const { size, d, dark, modules } = qrPath(link);
  const qr = qrcode(0, 'M');
  qr.addData(link);
  qr.make();
  assert.equal(modules, qr.getModuleCount());
  assert.equal(size, modules + 8);
  let count = 0;
  for (let r = 0; r < modules; r++) for (let c = 0; c < modules; c++) if (qr.isDark(r, c)) count++;
  assert.equal(dark, count);
  assert.equal(d.match(/M/g).length, count);
  assert.ok(d.startsWith('M4 4h1v1h-1z')); // the finder pattern's corner, after the quiet zone
});

test('a verdict becomes rows: every check with its mark', () => {
  const valid = verdictView({
    valid: true,
    reason: null,
    detail: null,
    result: { issuer: 'cityhall', schema: 'eid', disclosed: { district: 7, givenName: 'Ada' }, pseudonym: 'ab'.repeat(48) },
    checks: [
      { check: 'nonce', ok: true, detail: 'challenge …' },
      { check: 'proof', ok: true, detail: 'verifies' },
    ],
    predicates: [{ predicate: 'birthDate <= 2008-05-01', proved: true }],
  });
  assert.equal(valid.headline, '✓ Valid presentation of cityhall/eid');
  assert.deepEqual(valid.disclosed, [['district', '7'], ['givenName', 'Ada']]);
  assert.deepEqual(valid.checks.map((c) => [c.check, c.state, c.mark]), [['nonce', 'passed', '✓'], ['proof', 'passed', '✓']]);
  assert.deepEqual(valid.predicates, [{ text: 'birthDate <= 2008-05-01', mark: '✓' }]);
  const refused = verdictView({
    valid: false,
    reason: 'proof_invalid',
    detail: 'the proof does not verify',
    result: null,
    checks: [
      { check: 'proof', ok: false, detail: 'no' },
      { check: 'status', ok: null, detail: 'not reached' },
    ],
    predicates: [{ predicate: 'validUntil >= 2026-05-01', proved: null }],
  });
  assert.equal(refused.headline, '✗ Refused: proof_invalid — the proof does not verify');
  assert.deepEqual(refused.checks.map((c) => c.state), ['failed', 'incomplete']);
  assert.deepEqual(refused.disclosed, []);
  assert.equal(refused.pseudonym, null);
});

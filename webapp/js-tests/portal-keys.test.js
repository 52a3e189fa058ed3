/**
 * The portal's keys and sealing (static/js/portal/keys.js, sealing.js) against
 * services/health (fixture from tests/webapp/test_js_portal.py): the same key file
 * gives the same pseudonyms and cards; records released to the patient open to the
 * provider's exact bytes; sealed boxes are libsodium's byte for byte; grants,
 * revocations and read requests are Python's byte for byte; public keys are accepted
 * exactly when Python accepts them; nothing the page holds shows its secrets.
 */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { fromHex, toHex, utf8 } from '../static/js/ballot/bytes.js';
import {
  BOX_LABEL,
  KeyInputError,
  PatientKey,
  SIGN_LABEL,
  base64Bytes,
  digest,
  keyFileText,
  parseCard,
  parsePatientKeyFile,
  parseRecord,
  validBoxKey,
  validSignKey,
} from '../static/js/portal/keys.js';
import {
  RecordUndecryptable,
  openRecord,
  recordAad,
  seal,
  sealOpen,
  unwrapKey,
  wrapKey,
} from '../static/js/portal/sealing.js';
import { copy, loadFixture } from './portal-kit.js';

const fixture = loadFixture();
const rec = fixture.records;
const signed = fixture.signed;
const pseudonym = () => parsePatientKeyFile(rec.master).pseudonym(rec.provider);

describe('pseudonyms are derived as services/health/keys.py derives them', () => {
  test('the fixture starts from a key file pnyx wrote', () => {
    assert.ok(fixture.pseudonyms.length >= 8);
    assert.match(fixture.pseudonyms[0].key_file, /^[0-9a-f]{64}\n$/);
  });

  for (const [n, f] of fixture.pseudonyms.entries()) {
    test(`pseudonym ${n}`, () => {
      const p = parsePatientKeyFile(f.key_file).pseudonym(f.provider);
      assert.equal(p.signPublic, f.sign);
      assert.equal(p.boxPublic, f.box);
      assert.equal(p.id, f.id);
      assert.deepEqual(p.card(), f.card);
      assert.ok(p.matches({ id: f.id, sign: f.sign, box: f.box, provider: f.provider, index: 3 }));
      assert.ok(!p.matches({ id: f.id, sign: f.sign, box: fixture.pseudonyms[(n + 1) % 8].box, provider: f.provider }));
    });
  }

  test('key files pnyx would not read are refused, with no key material in the message', () => {
    for (const text of fixture.bad_key_files) {
      assert.throws(() => parsePatientKeyFile(text), KeyInputError, JSON.stringify(text));
    }
    assert.throws(() => parsePatientKeyFile(`${'a'.repeat(64)}\n`.repeat(100)), KeyInputError);
    assert.throws(() => keyFileText(new Uint8Array([0xff, 0xfe, 0x41])), KeyInputError);
    assert.throws(() => keyFileText(new Uint8Array(5000)), KeyInputError);
    assert.equal(keyFileText(utf8(` ${rec.master}\n`)).trim(), rec.master);
    assert.equal(parsePatientKeyFile(`  ${rec.master.toUpperCase()}\r\n`).pseudonym(rec.provider).id, rec.pid);
    assert.throws(() => new PatientKey(new Uint8Array(31)), KeyInputError);
    assert.throws(() => pseudonym().recordKey({ ...rec.cases[0].record, patient: 'ab'.repeat(32) }), RecordUndecryptable);
    assert.throws(() => parsePatientKeyFile(rec.master).pseudonym('not a key id'), TypeError);
  });

  test('the key and its pseudonyms never show their secrets', () => {
    const key = parsePatientKeyFile(rec.master);
    const p = key.pseudonym(rec.provider);
    const secrets = [
      rec.master,
      toHex(hmac(sha256, fromHex(rec.master), utf8(SIGN_LABEL + rec.provider))),
      toHex(hmac(sha256, fromHex(rec.master), utf8(BOX_LABEL + rec.provider))),
    ];
    const shown = [
      JSON.stringify(key),
      JSON.stringify(p),
      JSON.stringify(Object.entries(p)),
      JSON.stringify(Object.entries(key)),
      String(key),
      String(p),
      JSON.stringify(p.card()),
    ].join('\n');
    for (const s of secrets) assert.ok(!shown.includes(s));
    assert.deepEqual(Object.keys(p).sort(), ['boxPublic', 'id', 'provider', 'signPublic']);
    p.forget();
    key.forget();
    assert.notEqual(key.pseudonym(rec.provider).id, rec.pid); // the master is overwritten
  });
});

describe('records open to the bytes the provider encrypted', () => {
  for (const [n, c] of rec.cases.entries()) {
    test(`record ${n}`, () => {
      const p = pseudonym();
      assert.equal(toHex(p.recordKey(c.record)), c.key);
      const plaintext = p.openRelease(c.record.sha256, c.release);
      assert.equal(toHex(plaintext), c.plaintext);
      assert.deepEqual(parseRecord(plaintext), c.bundle);
      const aad = recordAad(rec.provider, rec.pid);
      assert.equal(toHex(openRecord(fromHex(c.key), base64Bytes(c.release.blob), aad)), c.plaintext);
    });
  }

  for (const [why, release] of Object.entries(rec.refused)) {
    test(`refused: ${why}`, () => {
      assert.throws(() => pseudonym().openRelease(release.record.sha256, release), RecordUndecryptable);
    });
  }

  test('refused: a release that is not the record asked for, or does not match its commitment', () => {
    const [a, b] = rec.cases;
    const p = pseudonym();
    assert.throws(() => p.openRelease(b.record.sha256, a.release), RecordUndecryptable);
    const swapped = { ...copy(a.release), blob: b.release.blob };
    assert.throws(() => p.openRelease(a.record.sha256, swapped), /commitment/);
    const cut = { ...copy(a.release), blob: a.release.blob.slice(0, -4) };
    assert.throws(() => p.openRelease(a.record.sha256, cut), RecordUndecryptable);
    for (const blob of ['%%%%', 'abc', 42, null]) {
      assert.throws(() => p.openRelease(a.record.sha256, { ...copy(a.release), blob }), RecordUndecryptable);
    }
    for (const wrapped_key of ['00', 'zz'.repeat(80), null]) {
      assert.throws(() => p.openRelease(a.record.sha256, { ...copy(a.release), wrapped_key }), RecordUndecryptable);
    }
    const other = { ...copy(a.release), record: { ...a.release.record, patient: 'cd'.repeat(32) } };
    assert.throws(() => p.openRelease(a.record.sha256, other), RecordUndecryptable);
    assert.throws(() => openRecord(new Uint8Array(31), new Uint8Array(64), new Uint8Array()), RecordUndecryptable);
    assert.throws(() => openRecord(new Uint8Array(32), new Uint8Array(39), new Uint8Array()), RecordUndecryptable);
  });

  test('a decrypted record must be a JSON object', () => {
    assert.throws(() => parseRecord(utf8('[1]')), RecordUndecryptable);
    assert.throws(() => parseRecord(utf8('{')), RecordUndecryptable);
    assert.throws(() => parseRecord(new Uint8Array([0x7b, 0xff, 0x7d])), RecordUndecryptable);
  });
});

describe('sealed boxes are libsodium crypto_box_seal', () => {
  for (const [n, b] of fixture.boxes.made.entries()) {
    test(`box ${n} (${b.message.length / 2} bytes)`, () => {
      assert.equal(toHex(seal(fromHex(b.message), fromHex(b.pk), fromHex(b.esk))), b.sealed);
      assert.equal(toHex(sealOpen(fromHex(b.sealed), fromHex(b.sk))), b.message);
      assert.equal(toHex(sealOpen(fromHex(b.libsodium), fromHex(b.sk))), b.message);
      const fresh = seal(fromHex(b.message), fromHex(b.pk));
      assert.equal(toHex(sealOpen(fresh, fromHex(b.sk))), b.message);
      assert.notEqual(toHex(fresh), b.sealed);
      for (const i of [0, 31, 32, 47, fresh.length - 1]) {
        const bad = Uint8Array.from(fromHex(b.libsodium));
        bad[i] ^= 0x40;
        assert.throws(() => sealOpen(bad, fromHex(b.sk)), RecordUndecryptable, `byte ${i}`);
      }
      const other = fixture.boxes.made[(n + 1) % fixture.boxes.made.length];
      assert.throws(() => sealOpen(fromHex(b.libsodium), fromHex(other.sk)), RecordUndecryptable);
    });
  }

  test('keys are 32 bytes, wraps 80; small-order recipients are refused', () => {
    const b = fixture.boxes.made[0];
    assert.throws(() => wrapKey(new Uint8Array(31), fromHex(b.pk)), TypeError);
    assert.throws(() => unwrapKey(new Uint8Array(79), fromHex(b.sk)), RecordUndecryptable);
    assert.throws(() => seal(new Uint8Array(32), new Uint8Array(32)), /small order/);
    assert.throws(() => sealOpen(new Uint8Array(47), fromHex(b.sk)), RecordUndecryptable);
  });
});

describe('signed documents are those of services/health, byte for byte', () => {
  test('a grant, with the same ephemeral secrets and nonce', () => {
    const p = pseudonym();
    const records = rec.cases.map((c) => c.record);
    const made = p.grant(signed.grantee, records, signed.expires, signed.nonce, signed.ephemerals.map((h) => fromHex(h)));
    assert.deepEqual(made, signed.grant);
    assert.equal(digest(made.grant), signed.grant_id);
    for (const c of rec.cases) {
      const wrapped = fromHex(made.grant.keys[c.record.sha256]);
      assert.equal(toHex(unwrapKey(wrapped, fromHex(signed.grantee_box_secret))), c.key);
    }
  });

  test('a fresh grant re-seals the same keys for the grantee', () => {
    const made = pseudonym().grant(signed.grantee, [rec.cases[1].record], signed.expires);
    assert.match(made.grant.nonce, /^[0-9a-f]{32}$/);
    const wrapped = fromHex(made.grant.keys[rec.cases[1].record.sha256]);
    assert.equal(toHex(unwrapKey(wrapped, fromHex(signed.grantee_box_secret))), rec.cases[1].key);
  });

  test('a revocation and a read request', () => {
    const p = pseudonym();
    assert.deepEqual(p.revoke(signed.grant_id), signed.revoke);
    assert.deepEqual(p.request(rec.cases[0].record.sha256, signed.time, signed.request_nonce), signed.request);
    assert.throws(() => p.revoke('nope'), TypeError);
    assert.throws(() => p.request('nope', signed.time), TypeError);
    assert.throws(() => p.request(rec.cases[0].record.sha256, '2026-05-01 12:00'), TypeError);
  });

  test('grants the board would refuse are not made', () => {
    const p = pseudonym();
    const records = rec.cases.map((c) => c.record);
    const small = { sign: signed.grantee.sign, box: '00'.repeat(32) };
    assert.throws(() => p.grant(small, records, signed.expires), KeyInputError);
    assert.throws(() => p.grant({ ...signed.grantee, sign: '00'.repeat(32) }, records, signed.expires), KeyInputError);
    assert.throws(() => p.grant(signed.grantee, [], signed.expires), KeyInputError);
    assert.throws(() => p.grant(signed.grantee, Array(65).fill(records[0]), signed.expires), KeyInputError);
    assert.throws(() => p.grant(signed.grantee, records, 'tomorrow'), KeyInputError);
    const foreign = { ...records[0], patient: 'ef'.repeat(32) };
    assert.throws(() => p.grant(signed.grantee, [foreign], signed.expires), RecordUndecryptable);
  });
});

describe('public keys are accepted exactly as services/health/messages.py accepts them', () => {
  test('Ed25519 (sign)', () => {
    assert.ok(fixture.public_keys.sign.some((k) => k.valid));
    assert.ok(fixture.public_keys.sign.filter((k) => !k.valid).length >= 12);
    for (const { key, valid } of fixture.public_keys.sign) {
      assert.equal(validSignKey(key) !== null, valid, key);
    }
  });

  test('X25519 (box)', () => {
    assert.ok(fixture.public_keys.box.filter((k) => !k.valid).length >= 14);
    for (const { key, valid } of fixture.public_keys.box) {
      assert.equal(validBoxKey(key) !== null, valid, key);
    }
  });

  test('a doctor\'s card', () => {
    const card = signed.grantee;
    assert.deepEqual(parseCard(`${JSON.stringify({ ...card, name: 'ignored' }, null, 2)}\n`), card);
    const badSign = fixture.public_keys.sign.find((k) => !k.valid).key;
    const badBox = fixture.public_keys.box.find((k) => !k.valid).key;
    for (const text of ['', '[]', 'null', '{"sign": 1}', JSON.stringify({ ...card, sign: badSign }),
      JSON.stringify({ ...card, box: badBox }), JSON.stringify({ sign: card.sign })]) {
      assert.throws(() => parseCard(text), KeyInputError, text);
    }
  });
});

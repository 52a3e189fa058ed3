/**
 * entry.js against ledger/entry.py and ledger/note.py (fixture from
 * tests/webapp/test_js_officials.py): the same key file, time and body give the
 * same signed bytes, canonical entry and Ed25519 signature; key files Python
 * refuses are refused; the key's seed never shows in anything the key exposes;
 * values the board refuses are refused before signing.
 */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { copy, hex, loadFixture } from './officials-kit.js';
import {
  ApiError,
  AuthorityKey,
  EntryError,
  KeyFileError,
  MAX_ENTRY_SIZE,
  base64Decode,
  base64Encode,
  canonicalBytes,
  describeError,
  makeEntry,
  nowRfc3339,
  parseKeyFile,
  postEntry,
  signingBytes,
  verifyEntry,
} from '../static/js/officials/entry.js';

const fixture = loadFixture();

/** The base64 key material of a key file (it may contain "+" itself). */
function materialOf(skey) {
  return /^PRIVATE\+KEY\+[^+]+\+[0-9a-f]{8}\+(.+)$/.exec(skey.trim())[1];
}

/** `n` nested objects around `inner` (n = 1: the body is `inner`), as the Python test builds. */
function nested(n, inner) {
  let v = inner;
  for (let i = 1; i < n; i++) v = { a: v };
  return v;
}

describe('entries are byte for byte those of ledger/entry.py', () => {
  test('the fixture has the tricky bodies and a manifest', () => {
    assert.ok(fixture.entries.length >= 7);
    assert.ok(fixture.entries.some((e) => e.kind === 'voting.election'));
  });

  for (const [n, e] of fixture.entries.entries()) {
    test(`entry ${n}: ${e.kind}`, () => {
      const key = parseKeyFile(e.skey);
      assert.equal(key.name, e.name);
      assert.equal(key.publicKey, e.public_key);
      assert.equal(key.author, e.author);
      assert.equal(key.noteKeyId, e.note_key_id);
      assert.equal(hex(signingBytes(e.kind, e.time, e.author, e.body)), e.signing_bytes);
      const made = makeEntry(key, e.kind, e.body, e.time);
      assert.equal(hex(made.bytes), e.leaf);
      assert.equal(made.entry.signature, e.signature);
      assert.equal(made.text, Buffer.from(e.leaf, 'hex').toString('utf8'));
      assert.equal(made.leafHash.length, 64);
      assert.ok(verifyEntry(JSON.parse(made.text), e.public_key));
    });
  }

  test('a Python-made entry verifies; a changed body, time or key does not', () => {
    const e = fixture.entries[0];
    const entry = JSON.parse(Buffer.from(e.leaf, 'hex').toString('utf8'));
    assert.ok(verifyEntry(entry, e.public_key));
    assert.ok(!verifyEntry({ ...entry, time: '2026-05-01T12:34:57Z' }, e.public_key));
    assert.ok(!verifyEntry({ ...entry, body: { election: 'city-2027' } }, e.public_key));
    assert.ok(!verifyEntry(entry, fixture.entries[1].public_key));
  });
});

describe('key files', () => {
  for (const bad of fixture.bad_keys) {
    test(`refused: ${bad.error}`, () => {
      assert.throws(
        () => parseKeyFile(bad.text),
        (err) => err instanceof KeyFileError && err.message.includes(bad.error),
      );
    });
  }

  test('the seed shows nowhere the key exposes, and a forgotten key cannot sign', () => {
    const e = fixture.entries[0];
    const material = materialOf(e.skey);
    const seed = Buffer.from(material, 'base64').subarray(1);
    const key = parseKeyFile(e.skey);
    const views = [
      JSON.stringify(key),
      String(key),
      JSON.stringify(Object.entries(key)),
      Object.getOwnPropertyNames(key).join(','),
      JSON.stringify(makeEntry(key, e.kind, e.body, e.time).entry),
    ];
    for (const forms of [seed.toString('hex'), seed.toString('base64'), material]) {
      for (const v of views) assert.ok(!v.includes(forms), `${forms.slice(0, 6)}… in ${v.slice(0, 40)}`);
    }
    assert.ok(Object.isFrozen(key));
    key.forget();
    assert.ok(key.forgotten);
    assert.throws(() => key.sign(new Uint8Array(1)), KeyFileError);
  });

  test('an error about a key file never quotes it', () => {
    const e = fixture.entries[0];
    const material = materialOf(e.skey);
    const broken = e.skey.trim().replace(/\+([0-9a-f]{8})\+/, '+00000000+');
    try {
      parseKeyFile(broken);
      assert.fail('a wrong key id was accepted');
    } catch (err) {
      assert.ok(err instanceof KeyFileError);
      assert.ok(!err.message.includes(material) && !describeError(err).includes(material));
    }
  });

  test('constructing a key checks the name and the seed length', () => {
    assert.throws(() => new AuthorityKey('a b', new Uint8Array(32)), KeyFileError);
    assert.throws(() => new AuthorityKey('a+b', new Uint8Array(32)), KeyFileError);
    assert.throws(() => new AuthorityKey('ok', new Uint8Array(31)), KeyFileError);
    assert.equal(new AuthorityKey('ok', new Uint8Array(32)).name, 'ok');
  });
});

describe('values the board refuses are refused before signing', () => {
  const key = parseKeyFile(fixture.entries[0].skey);
  const refuse = (body, code = 'malformed_entry') =>
    assert.throws(() => makeEntry(key, 'test.kind', body, '2026-05-01T00:00:00Z'),
      (err) => err instanceof EntryError && err.code === code);

  test('fractions, unsafe integers, NaN, -0, lone surrogates, undefined, functions', () => {
    refuse({ a: 1.5 });
    refuse({ a: 2 ** 53 });
    refuse({ a: -(2 ** 53) });
    refuse({ a: NaN });
    refuse({ a: -0 });
    refuse({ a: 'x\ud800' });
    refuse({ '\udc00': 1 });
    refuse({ a: undefined });
    refuse({ a: () => 1 });
    refuse({ a: new Date(0) });
    refuse({ a: 10n });
  });

  test('depth as ledger/entry.py counts it (the entry is level 1, its body level 2)', () => {
    const sign = (body) => makeEntry(key, 'test.kind', body, '2026-05-01T00:00:00Z');
    sign(nested(31, {}));
    refuse(nested(32, {}));
    sign(nested(30, { x: 1 }));
    refuse(nested(31, { x: 1 }));
    sign(nested(30, [1]));
    refuse(nested(31, [1]));
  });

  test('an entry above 65,535 bytes', () => {
    makeEntry(key, 'test.kind', { a: 'x'.repeat(MAX_ENTRY_SIZE - 400) }, '2026-05-01T00:00:00Z');
    refuse({ a: 'x'.repeat(MAX_ENTRY_SIZE) }, 'entry_too_large');
  });

  test('bad kinds, times and bodies', () => {
    const sign = (kind, time, body) => () => makeEntry(key, kind, body, time);
    for (const kind of ['voting', 'Voting.open', 'voting.', '1a.b', 'a.b'.padEnd(65, 'c')]) {
      assert.throws(sign(kind, '2026-05-01T00:00:00Z', {}), EntryError, kind);
    }
    for (const time of ['2026-05-01 00:00:00Z', '2026-02-30T00:00:00Z', '2026-05-01T24:00:00Z',
      '2026-05-01T00:00:60Z', '0000-01-01T00:00:00Z', '2026-05-01T00:00:00.1Z']) {
      assert.throws(sign('a.b', time, {}), EntryError, time);
    }
    for (const body of [[], null, 'x', 1]) assert.throws(sign('a.b', '2026-05-01T00:00:00Z', body), EntryError);
  });

  test('canonicalBytes sorts by UTF-16 code units (RFC 8785 §3.2.3)', () => {
    const text = new TextDecoder().decode(canonicalBytes({ '\ue000': 1, '😀': 2, b: [true, null] }));
    assert.equal(text, '{"b":[true,null],"😀":2,"\ue000":1}');
  });
});

describe('helpers', () => {
  test('nowRfc3339 has second precision', () => {
    assert.equal(nowRfc3339(new Date(Date.UTC(2026, 4, 1, 7, 8, 9, 999))), '2026-05-01T07:08:09Z');
    assert.match(nowRfc3339(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  test('base64 round trips and refuses non-canonical text', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
      const text = base64Encode(bytes);
      assert.equal(text, Buffer.from(bytes).toString('base64'));
      assert.deepEqual(base64Decode(text), bytes);
    }
    for (const bad of ['AB', 'AB=', 'QR==', 'A B=', 'QQ-_', 'QQ==QQ==']) assert.equal(base64Decode(bad), null, bad);
  });

  test('postEntry sends exactly the bytes and turns a refusal into an ApiError', async () => {
    const e = fixture.entries[0];
    const made = makeEntry(parseKeyFile(e.skey), e.kind, e.body, e.time);
    const seen = [];
    const answer = (status, doc) => async (url, init) => {
      seen.push({ url, init });
      return new Response(JSON.stringify(doc), { status, headers: { 'content-type': 'application/json' } });
    };
    const ok = await postEntry(made.bytes, { fetch: answer(201, { index: 7, leaf_hash: made.leafHash, checkpoint: null }) });
    assert.equal(ok.index, 7);
    assert.equal(seen[0].url, '/api/v1/board/entries');
    assert.equal(seen[0].init.method, 'POST');
    assert.equal(seen[0].init.headers['content-type'], 'application/json');
    assert.deepEqual(seen[0].init.body, made.bytes);
    await assert.rejects(
      postEntry(made.bytes, { fetch: answer(409, { error: 'wrong_phase', detail: 'the election closes at X' }) }),
      (err) => err instanceof ApiError && err.status === 409 && err.code === 'wrong_phase' &&
        describeError(err).includes('wrong_phase') && describeError(err).includes('closes at X'),
    );
    await assert.rejects(
      postEntry(made.bytes, { fetch: async () => { throw new TypeError('fetch failed'); } }),
      (err) => err instanceof ApiError && err.status === 0 && err.code === 'network',
    );
    await assert.rejects(
      postEntry(made.bytes, { fetch: async () => new Response('<html>', { status: 502 }) }),
      (err) => err instanceof ApiError && err.status === 502 && err.code === 'http_error',
    );
  });

  test('the fixture is not changed by signing it', () => {
    const e = fixture.entries[2];
    const before = copy(e.body);
    makeEntry(parseKeyFile(e.skey), e.kind, e.body, e.time);
    assert.deepEqual(e.body, before);
  });
});

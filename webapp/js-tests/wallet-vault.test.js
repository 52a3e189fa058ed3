// The browser wallet's encryption at rest (static/js/wallet/vault.js, docs/wallet.md §2):
// round trips, wrong passphrases, tampering, parameter bounds, fresh IVs.
// tests/webapp/test_js_wallet.py also opens these envelopes in Python from the
// document alone, and the reverse.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  ITERATIONS,
  MAX_ITERATIONS,
  MIN_PASSPHRASE,
  VaultError,
  WrongPassphrase,
  checkEnvelope,
  newVault,
  openVault,
  parseEnvelope,
  sealVault,
} from '../static/js/wallet/vault.js';

const PASS = 'correct horse battery staple';
const CONTENTS = { version: 1, credentials: { a: { secret: 'ff'.repeat(32) } }, requests: {}, note: 'Ådä ✓' };

async function envelope(contents = CONTENTS, passphrase = PASS) {
  const { key, header } = await newVault(passphrase);
  return { key, header, env: await sealVault(key, header, contents) };
}

test('an envelope opens with its passphrase and gives the contents back', async () => {
  const { env, header } = await envelope();
  assert.deepEqual(Object.keys(env).sort(), ['cipher', 'ciphertext', 'kdf', 'type', 'version']);
  assert.equal(env.type, 'PnyxBrowserWallet');
  assert.deepEqual(env.kdf, { name: 'PBKDF2', hash: 'SHA-256', iterations: ITERATIONS, salt: header.kdf.salt });
  assert.equal(env.kdf.iterations, 600_000);
  assert.match(env.kdf.salt, /^[0-9a-f]{32}$/);
  assert.match(env.cipher.iv, /^[0-9a-f]{24}$/);
  assert.equal(env.cipher.name, 'AES-GCM');
  // the text of the contents is not in the envelope
  assert.ok(!JSON.stringify(env).includes('ffff'));
  const opened = await openVault(JSON.stringify(env), PASS);
  assert.deepEqual(opened.contents, CONTENTS);
  assert.deepEqual(opened.header, { version: 1, type: 'PnyxBrowserWallet', kdf: env.kdf });
});

test('a wrong passphrase is refused, as is an empty one', async () => {
  const { env } = await envelope();
  await assert.rejects(openVault(env, PASS + ' '), WrongPassphrase);
  await assert.rejects(openVault(env, 'Correct horse battery staple'), WrongPassphrase);
  await assert.rejects(openVault(env, ''), VaultError);
});

test('the passphrase is NFC-normalised: composed and decomposed accents open the same wallet', async () => {
  const composed = 'caf\u00e9 au lait, s\u2019il vous pla\u00eet';
  const decomposed = composed.normalize('NFD');
  assert.notEqual(composed, decomposed);
  const { env } = await envelope(CONTENTS, composed);
  assert.deepEqual((await openVault(env, decomposed)).contents, CONTENTS);
});

test('every save draws a fresh IV; the salt is fresh per wallet', async () => {
  const { key, header, env } = await envelope();
  const again = await sealVault(key, header, CONTENTS);
  assert.notEqual(again.cipher.iv, env.cipher.iv);
  assert.notEqual(again.ciphertext, env.ciphertext);
  assert.equal(again.kdf.salt, env.kdf.salt);
  const other = await envelope();
  assert.notEqual(other.env.kdf.salt, env.kdf.salt);
  assert.deepEqual((await openVault(again, PASS)).contents, CONTENTS);
});

test('any change to the ciphertext, IV or header is refused', async () => {
  const { env } = await envelope();
  const flip = (hex, i) => hex.slice(0, i) + ((parseInt(hex[i], 16) ^ 1).toString(16)) + hex.slice(i + 1);
  for (const i of [0, 17, env.ciphertext.length - 1]) {
    await assert.rejects(openVault({ ...env, ciphertext: flip(env.ciphertext, i) }, PASS), WrongPassphrase);
  }
  await assert.rejects(openVault({ ...env, cipher: { ...env.cipher, iv: flip(env.cipher.iv, 3) } }, PASS), WrongPassphrase);
  // the header is authenticated data: another valid iteration count derives another key,
  // and the same key with another header fails the tag too
  await assert.rejects(openVault({ ...env, kdf: { ...env.kdf, iterations: 600_001 } }, PASS), WrongPassphrase);
  await assert.rejects(openVault({ ...env, ciphertext: env.ciphertext.slice(0, -2) }, PASS), WrongPassphrase);
});

test('envelopes asking for weak or huge parameters are refused before any derivation', async () => {
  const { env } = await envelope();
  const bad = [
    { ...env, kdf: { ...env.kdf, iterations: 1000 } },
    { ...env, kdf: { ...env.kdf, iterations: MAX_ITERATIONS + 1 } },
    { ...env, kdf: { ...env.kdf, iterations: 600000.5 } },
    { ...env, kdf: { ...env.kdf, hash: 'SHA-1' } },
    { ...env, kdf: { ...env.kdf, salt: 'ab' } },
    { ...env, kdf: { ...env.kdf, extra: 1 } },
    { ...env, cipher: { name: 'AES-CBC', iv: env.cipher.iv } },
    { ...env, cipher: { ...env.cipher, iv: '00'.repeat(16) } },
    { ...env, version: 2 },
    { ...env, type: 'pnyx-wallet' },
    { ...env, extra: true },
    { ...env, ciphertext: 'XYZ' },
    { ...env, ciphertext: '00' },
    null,
    [],
  ];
  for (const doc of bad) {
    const t = performance.now();
    await assert.rejects(openVault(doc, PASS), VaultError, JSON.stringify(doc)?.slice(0, 80));
    assert.ok(performance.now() - t < 100, 'refused before deriving a key');
    assert.throws(() => checkEnvelope(doc), VaultError);
  }
  assert.throws(() => parseEnvelope('not json'), VaultError);
  assert.throws(() => parseEnvelope('{"version": 1}'), VaultError);
});

test('a new wallet needs a passphrase of at least 10 characters and sane iterations', async () => {
  assert.equal(MIN_PASSPHRASE, 10);
  await assert.rejects(newVault('short'), VaultError);
  await assert.rejects(newVault('123456789'), VaultError);
  await assert.rejects(newVault(PASS, 100_000), VaultError);
  await newVault('1234567890');
});

// libsodium's sealed box in the page (static/js/common/sealbox.js): round trips, the
// nonce and layout of crypto_box_seal, refusals. tests/webapp/test_js_wallet.py opens
// PyNaCl's boxes here and these in PyNaCl.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { x25519 } from '@noble/curves/ed25519.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { hsalsa, xsalsa20poly1305 } from '@noble/ciphers/salsa.js';

import { SealError, boxKeyPair, boxPublicKey, seal, sealNonce, sealOpen } from '../static/js/common/sealbox.js';

const text = (s) => new TextEncoder().encode(s);

test('a sealed box opens with its key pair only', () => {
  const kp = boxKeyPair();
  assert.deepEqual(boxPublicKey(kp.secretKey), kp.publicKey);
  for (const m of [new Uint8Array(0), text('{}'), text('x'.repeat(5000))]) {
    const s = seal(m, kp.publicKey);
    assert.equal(s.length, m.length + 48);
    assert.deepEqual(sealOpen(s, kp.publicKey, kp.secretKey), m);
  }
  const s = seal(text('secret'), kp.publicKey);
  const other = boxKeyPair();
  assert.throws(() => sealOpen(s, other.publicKey, other.secretKey), SealError);
  assert.throws(() => sealOpen(s, kp.publicKey, other.secretKey), SealError);
  for (const i of [0, 31, 32, 47, 48, s.length - 1]) {
    const t = s.slice();
    t[i] ^= 1;
    assert.throws(() => sealOpen(t, kp.publicKey, kp.secretKey), SealError, `byte ${i}`);
  }
  assert.throws(() => sealOpen(s.subarray(0, 47), kp.publicKey, kp.secretKey), SealError);
});

test('two seals of the same message differ (a fresh ephemeral key each time)', () => {
  const kp = boxKeyPair();
  const a = seal(text('same'), kp.publicKey);
  const b = seal(text('same'), kp.publicKey);
  assert.notDeepEqual(a.subarray(0, 32), b.subarray(0, 32));
  assert.notDeepEqual(a, b);
});

test('the layout is libsodium crypto_box_seal: epk || secretbox(k, BLAKE2b-24(epk || pk))', () => {
  const kp = boxKeyPair();
  const m = text('layout');
  const s = seal(m, kp.publicKey);
  const epk = s.subarray(0, 32);
  const nonce = blake2b(new Uint8Array([...epk, ...kp.publicKey]), { dkLen: 24 });
  assert.deepEqual(sealNonce(epk, kp.publicKey), nonce);
  // the receiver's side computed independently: X25519(sk, epk), HSalsa20 with a zero input
  const shared = x25519.getSharedSecret(kp.secretKey, epk);
  const key = new Uint32Array(8);
  const words = (b) => new Uint32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
  hsalsa(words(new TextEncoder().encode('expand 32-byte k')), words(shared), new Uint32Array(4), key);
  const opened = xsalsa20poly1305(new Uint8Array(key.buffer), nonce).decrypt(s.subarray(32));
  assert.deepEqual(opened, m);
});

test('keys of small order and malformed inputs are refused', () => {
  const kp = boxKeyPair();
  assert.throws(() => seal(text('x'), new Uint8Array(32)), SealError); // all zeros: small order
  const one = new Uint8Array(32);
  one[0] = 1; // the point of order 4 at u = 1
  assert.throws(() => seal(text('x'), one), SealError);
  assert.throws(() => seal(text('x'), kp.publicKey.subarray(0, 31)), SealError);
  assert.throws(() => seal('text', kp.publicKey), SealError);
  assert.throws(() => sealOpen('00', kp.publicKey, kp.secretKey), SealError);
});

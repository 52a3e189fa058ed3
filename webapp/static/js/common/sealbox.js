// libsodium's sealed box (crypto_box_seal) in the page, the one implementation the
// wallet (the issuer's answer through the mailbox: docs/api.md §Identity, docs/wallet.md §3)
// and the health portal (wrapped record keys: docs/health.md §2 Keys) both use.
//
//   sealed = epk (32) || crypto_box(m, nonce, pk, esk)
//   nonce  = BLAKE2b-192(epk || pk)                     (24 bytes, no key)
//   crypto_box(m, n, pk, sk) = XSalsa20-Poly1305(k, n, m), tag (16) first,
//   k = HSalsa20(X25519(sk, pk), 0^16)                  (crypto_box_beforenm, RFC 7748)
//
// Byte-compatible with PyNaCl's SealedBox (services/identity/mailbox.py) and
// services/health/sealing.py. Pure functions on bytes; keys stay in the caller's memory.

import { x25519 } from '@noble/curves/ed25519.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { hsalsa, xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import { u32 } from '@noble/ciphers/utils.js';

export const PUBLIC_KEY_BYTES = 32;
export const SECRET_KEY_BYTES = 32;
export const NONCE_BYTES = 24;
export const SEAL_BYTES = 48;
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]); // "expand 32-byte k"

/** A box that cannot be made or does not open: a bad or small-order key, or changed bytes. */
export class SealError extends Error {
  constructor(message) {
    super(message);
    this.name = 'SealError';
  }
}

function bytes(value, length, what) {
  if (!(value instanceof Uint8Array) || (length !== undefined && value.length !== length)) {
    throw new SealError(`${what} must be ${length === undefined ? '' : `${length} `}bytes`);
  }
  return value;
}

/** A fresh X25519 key pair {publicKey, secretKey} (32 bytes each). */
export function boxKeyPair() {
  const secretKey = x25519.utils.randomSecretKey();
  return { publicKey: x25519.getPublicKey(secretKey), secretKey };
}

/** The public key of an X25519 secret key. */
export function boxPublicKey(secretKey) {
  return x25519.getPublicKey(bytes(secretKey, SECRET_KEY_BYTES, 'an X25519 secret key'));
}

/** crypto_box_beforenm: HSalsa20 of the X25519 shared secret (SealError on a small-order key). */
function beforenm(publicKey, secretKey) {
  let shared;
  try {
    shared = x25519.getSharedSecret(secretKey, publicKey);
  } catch {
    throw new SealError('the X25519 key is of small order: no box can be made with it');
  }
  const out = new Uint32Array(8);
  hsalsa(SIGMA, u32(shared.slice()), new Uint32Array(4), out);
  shared.fill(0);
  return new Uint8Array(out.buffer);
}

/** The sealed box's nonce: BLAKE2b with a 24-byte output of epk || pk. */
export function sealNonce(ephemeralPublicKey, publicKey) {
  const input = new Uint8Array(2 * PUBLIC_KEY_BYTES);
  input.set(ephemeralPublicKey, 0);
  input.set(publicKey, PUBLIC_KEY_BYTES);
  return blake2b(input, { dkLen: NONCE_BYTES });
}

/**
 * crypto_box_seal(message, publicKey): epk || tag || ciphertext (48 bytes more). The
 * ephemeral secret key is fresh unless given (tests pass one to compare bytes with libsodium).
 */
export function seal(message, publicKey, ephemeralSecret = undefined) {
  bytes(message, undefined, 'the message');
  bytes(publicKey, PUBLIC_KEY_BYTES, 'an X25519 public key');
  const esk = ephemeralSecret === undefined
    ? x25519.utils.randomSecretKey()
    : bytes(ephemeralSecret, SECRET_KEY_BYTES, 'an X25519 ephemeral secret key').slice();
  const epk = x25519.getPublicKey(esk);
  const key = beforenm(publicKey, esk);
  esk.fill(0);
  const box = xsalsa20poly1305(key, sealNonce(epk, publicKey)).encrypt(message);
  key.fill(0);
  const out = new Uint8Array(PUBLIC_KEY_BYTES + box.length);
  out.set(epk, 0);
  out.set(box, PUBLIC_KEY_BYTES);
  return out;
}

/** crypto_box_seal_open: the message of a box sealed to publicKey; SealError if it does not open. */
export function sealOpen(sealed, publicKey, secretKey) {
  bytes(sealed, undefined, 'a sealed box');
  bytes(publicKey, PUBLIC_KEY_BYTES, 'an X25519 public key');
  bytes(secretKey, SECRET_KEY_BYTES, 'an X25519 secret key');
  if (sealed.length < SEAL_BYTES) throw new SealError('a sealed box has at least 48 bytes');
  const epk = sealed.subarray(0, PUBLIC_KEY_BYTES);
  const key = beforenm(epk, secretKey);
  try {
    return xsalsa20poly1305(key, sealNonce(epk, publicKey)).decrypt(
      sealed.subarray(PUBLIC_KEY_BYTES),
    );
  } catch {
    throw new SealError('the sealed box does not open with this key (another key, or changed)');
  } finally {
    key.fill(0);
  }
}

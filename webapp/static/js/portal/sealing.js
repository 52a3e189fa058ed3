/**
 * Record encryption and key wrapping in the page, byte for byte as
 * services/health/sealing.py (docs/health.md §2 Keys):
 *
 * - a record blob is `nonce (24) ‖ ciphertext ‖ tag (16)` under XChaCha20-Poly1305
 *   (IETF, libsodium `crypto_aead_xchacha20poly1305_ietf_*`), with associated data
 *   `"pnyx/health/record/v1\n" ‖ provider key id ‖ "\n" ‖ pseudonym id`;
 * - a record key is *wrapped* for an X25519 public key `pk` as a libsodium sealed box
 *   (`crypto_box_seal`): an ephemeral key pair (esk, epk), the nonce
 *   `BLAKE2b-192(epk ‖ pk)`, and `epk ‖ crypto_box(key, nonce, pk, esk)` — that is
 *   XSalsa20-Poly1305 under `HSalsa20(X25519(esk, pk), 0¹⁶)` (RFC 7748, NaCl
 *   `crypto_box_beforenm`): 32 + 32 + 16 = 80 bytes.
 *
 * Pure functions on bytes; nothing here sends anything. Keys live in the caller's
 * memory only.
 */

import { x25519 } from '@noble/curves/ed25519.js';
import { hsalsa, xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { concat, toHex, utf8 } from '../ballot/bytes.js';

export const KEY_BYTES = 32;
export const NONCE_BYTES = 24;
export const TAG_BYTES = 16;
export const BOX_KEY_BYTES = 32;
export const WRAPPED_BYTES = KEY_BYTES + BOX_KEY_BYTES + TAG_BYTES;
export const AAD_PREFIX = 'pnyx/health/record/v1\n';

const SIGMA = utf8('expand 32-byte k');
const ASCII_ID = /^[\x21-\x7e]+$/;

/** A key does not unwrap, or a blob does not authenticate, for this holder. */
export class RecordUndecryptable extends Error {
  constructor(message) {
    super(message);
    this.name = 'RecordUndecryptable';
  }
}

/** Associated data of a record: the provider's key id and the patient pseudonym id. */
export function recordAad(provider, patient) {
  if (!ASCII_ID.test(provider) || !ASCII_ID.test(patient)) {
    throw new TypeError('a provider key id and a pseudonym id are printable ASCII');
  }
  return utf8(`${AAD_PREFIX}${provider}\n${patient}`);
}

/** The commitment and address of a blob: lowercase hex SHA-256 of its bytes. */
export function blobHash(blob) {
  return toHex(sha256(blob));
}

/** Decrypt a record blob; throws RecordUndecryptable when it does not authenticate. */
export function openRecord(key, blob, aad) {
  if (key.length !== KEY_BYTES || blob.length < NONCE_BYTES + TAG_BYTES) {
    throw new RecordUndecryptable('wrong key or blob length');
  }
  try {
    return xchacha20poly1305(key, blob.slice(0, NONCE_BYTES), aad).decrypt(
      blob.slice(NONCE_BYTES),
    );
  } catch {
    throw new RecordUndecryptable('the record does not authenticate under this key');
  }
}

// ------------------------------------------------------------ sealed boxes

/** 32-bit words of `bytes` as noble's ARX cores take them (a native view of a copy). */
function words(bytes) {
  const copy = Uint8Array.from(bytes);
  return new Uint32Array(copy.buffer, 0, copy.length / 4);
}

/** NaCl `crypto_box_beforenm`: HSalsa20 of the X25519 shared secret with a zero input. */
function boxKey(shared) {
  const out = new Uint32Array(8);
  hsalsa(words(SIGMA), words(shared), new Uint32Array(4), out);
  return new Uint8Array(out.buffer);
}

/** The sealed box's nonce: BLAKE2b with a 24-byte output over `epk ‖ pk`. */
function sealNonce(epk, pk) {
  return blake2b(concat(epk, pk), { dkLen: NONCE_BYTES });
}

/**
 * `crypto_box_seal(message, pk)`: `epk ‖ XSalsa20-Poly1305(message)`. The ephemeral
 * secret is fresh unless given (tests pass one to compare bytes with libsodium).
 * Throws a TypeError for a public key of small order (a zero shared secret).
 */
export function seal(message, pk, ephemeralSecret = randomBytes(BOX_KEY_BYTES)) {
  if (pk.length !== BOX_KEY_BYTES) throw new TypeError('an X25519 public key is 32 bytes');
  const epk = x25519.getPublicKey(ephemeralSecret);
  let shared;
  try {
    shared = x25519.getSharedSecret(ephemeralSecret, pk);
  } catch {
    throw new TypeError('the recipient key is of small order');
  }
  const box = xsalsa20poly1305(boxKey(shared), sealNonce(epk, pk)).encrypt(message);
  return concat(epk, box);
}

/** `crypto_box_seal_open(sealed, pk, sk)`; throws RecordUndecryptable when it is not ours. */
export function sealOpen(sealed, boxSecret) {
  if (sealed.length < BOX_KEY_BYTES + TAG_BYTES || boxSecret.length !== BOX_KEY_BYTES) {
    throw new RecordUndecryptable('a sealed box is at least 48 bytes');
  }
  const epk = sealed.slice(0, BOX_KEY_BYTES);
  const pk = x25519.getPublicKey(boxSecret);
  try {
    const shared = x25519.getSharedSecret(boxSecret, epk);
    return xsalsa20poly1305(boxKey(shared), sealNonce(epk, pk)).decrypt(
      sealed.slice(BOX_KEY_BYTES),
    );
  } catch {
    throw new RecordUndecryptable('this key was not wrapped for this holder');
  }
}

/** Seal a record key for an X25519 public key (80 bytes). */
export function wrapKey(key, pk, ephemeralSecret) {
  if (key.length !== KEY_BYTES) throw new TypeError('a record key is 32 bytes');
  return seal(key, pk, ephemeralSecret);
}

/** Open a wrapped record key; throws RecordUndecryptable when it is not ours. */
export function unwrapKey(wrapped, boxSecret) {
  if (wrapped.length !== WRAPPED_BYTES) {
    throw new RecordUndecryptable(`a wrapped key is ${WRAPPED_BYTES} bytes`);
  }
  return sealOpen(wrapped, boxSecret);
}

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
 *   `crypto_box_beforenm`): 32 + 32 + 16 = 80 bytes (the shared ../common/sealbox.js).
 *
 * Pure functions on bytes; nothing here sends anything. Keys live in the caller's
 * memory only.
 */

import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex, utf8 } from '../ballot/bytes.js';
import { SealError, boxPublicKey, seal, sealOpen as openSealed } from '../common/sealbox.js';

export const KEY_BYTES = 32;
export const NONCE_BYTES = 24;
export const TAG_BYTES = 16;
export const BOX_KEY_BYTES = 32;
export const WRAPPED_BYTES = KEY_BYTES + BOX_KEY_BYTES + TAG_BYTES;
export const AAD_PREFIX = 'pnyx/health/record/v1\n';

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

export { seal };

/** `crypto_box_seal_open(sealed, pk, sk)`; throws RecordUndecryptable when it is not ours. */
export function sealOpen(sealed, boxSecret) {
  try {
    return openSealed(sealed, boxPublicKey(boxSecret), boxSecret);
  } catch (e) {
    if (!(e instanceof SealError)) throw e;
    throw new RecordUndecryptable(`this key was not wrapped for this holder: ${e.message}`);
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

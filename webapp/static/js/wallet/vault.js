// The browser wallet's encryption at rest (docs/wallet.md §2): one JSON envelope
// holding the whole wallet, encrypted under a key derived from the passphrase.
//
//   key        = PBKDF2-HMAC-SHA-256(NFC(passphrase) as UTF-8, salt, iterations, 32 bytes)
//   ciphertext = AES-256-GCM(key, iv, plaintext = UTF-8 JSON of the contents,
//                            aad = "pnyx/wallet/v1\n" || JCS({"kdf", "type", "version"}))
//   envelope   = {"version": 1, "type": "PnyxBrowserWallet",
//                 "kdf": {"name": "PBKDF2", "hash": "SHA-256", "iterations": N, "salt": <32 hex>},
//                 "cipher": {"name": "AES-GCM", "iv": <24 hex>},
//                 "ciphertext": <hex: ciphertext || 16-byte tag>}
//
// New wallets: 600,000 iterations (OWASP's figure for PBKDF2-HMAC-SHA-256), a
// random 16-byte salt; every save draws a fresh random 12-byte IV under the
// same key. An envelope asking for fewer than 600,000 or more than 10,000,000
// iterations is refused before any derivation. The same envelope is the
// IndexedDB record and the backup file. WebCrypto (crypto.subtle) does the
// work; the derived key is a non-extractable CryptoKey held in memory only.
// A wrong passphrase and a damaged envelope are one failure: the tag does not verify.

import canonicalize from 'canonicalize';
import { hexToBytes, toHex } from '../common/bytes.js';

export { toHex };

export const VERSION = 1;
export const TYPE = 'PnyxBrowserWallet';
export const ITERATIONS = 600_000;
export const MIN_ITERATIONS = 600_000;
export const MAX_ITERATIONS = 10_000_000;
export const SALT_BYTES = 16;
export const IV_BYTES = 12;
export const MIN_PASSPHRASE = 10;
export const MAX_ENVELOPE = 16 * 1024 * 1024;
const AAD_PREFIX = 'pnyx/wallet/v1\n';

/** The passphrase does not open this wallet (or the envelope was changed). */
export class WrongPassphrase extends Error {
  constructor(message = 'wrong passphrase (or a damaged wallet file)') {
    super(message);
    this.name = 'WrongPassphrase';
  }
}

/** Not a wallet envelope (shape, version, parameters), or a refused passphrase. */
export class VaultError extends Error {
  constructor(message) {
    super(message);
    this.name = 'VaultError';
  }
}

const subtle = () => globalThis.crypto.subtle;
const encoder = new TextEncoder();

export function fromHex(hex, what = 'a hex value') {
  const out = hexToBytes(hex);
  if (out === null) throw new VaultError(`${what} must be lowercase hex`);
  return out;
}

function random(n) {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

function passphraseBytes(passphrase) {
  if (typeof passphrase !== 'string' || passphrase.length === 0) {
    throw new VaultError('the passphrase is empty');
  }
  return encoder.encode(passphrase.normalize('NFC'));
}

/** The header the ciphertext is bound to: {version, type, kdf}. */
function headerOf(envelope) {
  return { version: envelope.version, type: envelope.type, kdf: envelope.kdf };
}

function aad(header) {
  return encoder.encode(AAD_PREFIX + canonicalize(headerOf(header)));
}

/** An envelope's shape and parameters, checked before any derivation (VaultError). */
export function checkEnvelope(doc) {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new VaultError('a wallet file is a JSON object');
  const keys = Object.keys(doc).sort().join(',');
  if (keys !== 'cipher,ciphertext,kdf,type,version') {
    throw new VaultError('a wallet file has exactly version, type, kdf, cipher and ciphertext');
  }
  if (doc.version !== VERSION || doc.type !== TYPE) throw new VaultError(`not a version ${VERSION} ${TYPE} file`);
  const { kdf, cipher } = doc;
  if (!kdf || kdf.name !== 'PBKDF2' || kdf.hash !== 'SHA-256' || Object.keys(kdf).length !== 4) {
    throw new VaultError('the key derivation must be PBKDF2 with SHA-256');
  }
  if (!Number.isSafeInteger(kdf.iterations) || kdf.iterations < MIN_ITERATIONS || kdf.iterations > MAX_ITERATIONS) {
    throw new VaultError(`PBKDF2 iterations must be ${MIN_ITERATIONS} to ${MAX_ITERATIONS}`);
  }
  if (fromHex(kdf.salt, 'the salt').length !== SALT_BYTES) throw new VaultError(`the salt is ${SALT_BYTES} bytes`);
  if (!cipher || cipher.name !== 'AES-GCM' || Object.keys(cipher).length !== 2) {
    throw new VaultError('the cipher must be AES-GCM');
  }
  if (fromHex(cipher.iv, 'the IV').length !== IV_BYTES) throw new VaultError(`the IV is ${IV_BYTES} bytes`);
  if (fromHex(doc.ciphertext, 'the ciphertext').length < 16) throw new VaultError('the ciphertext is too short');
  return doc;
}

/** An envelope from its text (a backup file, the stored record): parsed and checked. */
export function parseEnvelope(text) {
  if (typeof text !== 'string') return checkEnvelope(text);
  if (text.length > MAX_ENVELOPE) throw new VaultError('this file is too large to be a wallet');
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new VaultError('this is not a wallet file: it is not JSON');
  }
  return checkEnvelope(doc);
}

/** PBKDF2-HMAC-SHA-256 → a non-extractable AES-256-GCM key. */
export async function deriveKey(passphrase, salt, iterations) {
  const base = await subtle().importKey('raw', passphraseBytes(passphrase), 'PBKDF2', false, ['deriveKey']);
  return subtle().deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/**
 * A new vault: {key, header} with a fresh salt. The passphrase must have at least
 * MIN_PASSPHRASE characters (VaultError).
 */
export async function newVault(passphrase, iterations = ITERATIONS) {
  if (typeof passphrase !== 'string' || [...passphrase].length < MIN_PASSPHRASE) {
    throw new VaultError(`choose a passphrase of at least ${MIN_PASSPHRASE} characters`);
  }
  if (!Number.isSafeInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
    throw new VaultError(`PBKDF2 iterations must be ${MIN_ITERATIONS} to ${MAX_ITERATIONS}`);
  }
  const salt = random(SALT_BYTES);
  const header = {
    version: VERSION,
    type: TYPE,
    kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations, salt: toHex(salt) },
  };
  return { key: await deriveKey(passphrase, salt, iterations), header };
}

/** The envelope of `contents` (any JSON value) under `key`, with a fresh IV. */
export async function sealVault(key, header, contents) {
  const iv = random(IV_BYTES);
  const plaintext = encoder.encode(JSON.stringify(contents));
  const ct = new Uint8Array(
    await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: aad(header), tagLength: 128 }, key, plaintext),
  );
  plaintext.fill(0);
  return { ...headerOf(header), cipher: { name: 'AES-GCM', iv: toHex(iv) }, ciphertext: toHex(ct) };
}

/** Decrypt an envelope with a key already derived (the unlocked wallet re-reading its record). */
export async function decryptWith(key, envelope) {
  const doc = checkEnvelope(envelope);
  let plain;
  try {
    plain = new Uint8Array(
      await subtle().decrypt(
        { name: 'AES-GCM', iv: fromHex(doc.cipher.iv), additionalData: aad(doc), tagLength: 128 },
        key,
        fromHex(doc.ciphertext),
      ),
    );
  } catch {
    throw new WrongPassphrase();
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plain));
  } catch {
    throw new VaultError('the wallet decrypted, but its contents are not JSON');
  } finally {
    plain.fill(0);
  }
}

/** Open an envelope with its passphrase: {key, header, contents}; WrongPassphrase or VaultError. */
export async function openVault(envelope, passphrase) {
  const doc = parseEnvelope(envelope);
  const key = await deriveKey(passphrase, fromHex(doc.kdf.salt), doc.kdf.iterations);
  const contents = await decryptWith(key, doc);
  return { key, header: headerOf(doc), contents };
}

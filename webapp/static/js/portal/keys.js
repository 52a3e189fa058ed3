/**
 * A patient's keys in the page, as services/health/keys.py and messages.py make them
 * (docs/health.md §2 Keys, Signed messages).
 *
 * The key file `pnyx health patient new NAME` writes (`health/patients/NAME.key`) holds
 * the 32-byte master secret as 64 hex digits and a newline. For a provider with board
 * key id P the pseudonym is derived from it:
 *
 * - Ed25519 seed `HMAC-SHA256(master, "pnyx/health/pseudonym/v1/sign\n" ‖ P)` (RFC 8032),
 *   pseudonym id = lowercase hex SHA-256 of its public key;
 * - X25519 secret `HMAC-SHA256(master, "pnyx/health/pseudonym/v1/box\n" ‖ P)` (RFC 7748),
 *   for which the provider seals record keys.
 *
 * Signed documents are Ed25519 over `prefix ‖ JCS(document)` (RFC 8785): the pseudonym
 * card, grants (record keys re-sealed for the grantee), revocations and the patient's
 * own read requests. The master secret and the derived secrets live in private fields:
 * no property, `toJSON` or message holds them, and nothing in this module sends
 * anything — only signed documents and sealed keys leave the page.
 */

import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import canonicalize from 'canonicalize';
import { concat, fromHex, isHex, toHex, utf8 } from '../ballot/bytes.js';
import { base64ToBytes } from '../common/bytes.js';
import {
  RecordUndecryptable,
  blobHash,
  openRecord,
  recordAad,
  unwrapKey,
  wrapKey,
} from './sealing.js';

export const SIGN_LABEL = 'pnyx/health/pseudonym/v1/sign\n';
export const BOX_LABEL = 'pnyx/health/pseudonym/v1/box\n';
export const PSEUDONYM_PREFIX = 'pnyx/health/pseudonym/v1\n';
export const GRANT_PREFIX = 'pnyx/health/grant/v1\n';
export const REVOKE_PREFIX = 'pnyx/health/revoke/v1\n';
export const ACCESS_PREFIX = 'pnyx/health/access/v1\n';
export const MASTER_BYTES = 32;
export const KEY_FILE_MAX = 4096;
export const MAX_GRANT_RECORDS = 64;
export const TIME_RE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/;
const HEX64 = /^[0-9a-f]{64}$/;
const NINES = new Uint8Array(32).fill(9);
const decoder = new TextDecoder('utf-8', { fatal: true });

/** A key file or card the page cannot use; the message never holds key material. */
export class KeyInputError extends Error {
  constructor(message) {
    super(message);
    this.name = 'KeyInputError';
  }
}

// ---------------------------------------------------------------- messages

/** The bytes signed for `doc`: `prefix ‖ JCS(doc)`. */
export function message(prefix, doc) {
  return concat(utf8(prefix), utf8(canonicalize(doc)));
}

/** Lowercase hex SHA-256 of `JCS(doc)`: the id of a grant. */
export function digest(doc) {
  return toHex(sha256(utf8(canonicalize(doc))));
}

/** The id of a pseudonym: lowercase hex SHA-256 of its Ed25519 public key. */
export function pseudonymId(signPublic) {
  return toHex(sha256(signPublic));
}

/** 16 random bytes as hex: keeps two otherwise equal signed documents apart. */
export function newNonce() {
  return toHex(randomBytes(16));
}

/**
 * An Ed25519 public key from 64 lowercase hex digits, as libsodium's
 * `crypto_core_ed25519_is_valid_point` accepts it (canonical, on the curve, in the
 * prime-order subgroup, not of small order); else null.
 */
export function validSignKey(value) {
  if (typeof value !== 'string' || !HEX64.test(value)) return null;
  try {
    const p = ed25519.Point.fromBytes(fromHex(value));
    return p.isSmallOrder() || !p.isTorsionFree() ? null : fromHex(value);
  } catch {
    return null;
  }
}

/** An X25519 public key from 64 lowercase hex digits, refused when of small order; else null. */
export function validBoxKey(value) {
  if (typeof value !== 'string' || !HEX64.test(value)) return null;
  const pk = fromHex(value);
  try {
    x25519.scalarMult(NINES, pk); // throws on an all-zero result, as libsodium refuses it
  } catch {
    return null;
  }
  return pk;
}

/**
 * A grantee's card `{"sign", "box"}` (what `pnyx health reader card NAME` prints) from
 * its JSON text; throws KeyInputError when it is not one.
 */
export function parseCard(text) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new KeyInputError('This is not a card: a card is JSON {"sign": …, "box": …}.');
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new KeyInputError('This is not a card: a card is JSON {"sign": …, "box": …}.');
  }
  if (validSignKey(doc.sign) === null) {
    throw new KeyInputError('The card\'s "sign" is not a valid Ed25519 public key (64 hex digits).');
  }
  if (validBoxKey(doc.box) === null) {
    throw new KeyInputError('The card\'s "box" is not a valid X25519 public key (64 hex digits).');
  }
  return { sign: doc.sign, box: doc.box };
}

// -------------------------------------------------------------- key files

/**
 * The patient's key from the text of the key file `pnyx health patient new` writes:
 * 64 hex digits (the master secret), surrounding white space ignored.
 */
export function parsePatientKeyFile(text) {
  if (typeof text !== 'string' || text.length > KEY_FILE_MAX) {
    throw new KeyInputError('This is not a patient key file (it is too large).');
  }
  const t = text.trim().toLowerCase();
  if (!isHex(t, MASTER_BYTES)) {
    throw new KeyInputError(
      'This is not a patient key file: it holds 64 hex digits (health/patients/NAME.key).',
    );
  }
  return new PatientKey(fromHex(t));
}

/** The text of a key file's bytes (UTF-8), or KeyInputError. */
export function keyFileText(bytes) {
  if (bytes.length > KEY_FILE_MAX) {
    throw new KeyInputError('This is not a patient key file (it is too large).');
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw new KeyInputError('This is not a patient key file (it is not text).');
  }
}

/** A patient's master secret; every pseudonym is derived from it. */
export class PatientKey {
  #master;

  constructor(master) {
    if (!(master instanceof Uint8Array) || master.length !== MASTER_BYTES) {
      throw new KeyInputError('a patient master secret is 32 bytes');
    }
    this.#master = Uint8Array.from(master);
  }

  /** The pseudonym towards the provider with board key id `provider` (64 hex). */
  pseudonym(provider) {
    if (typeof provider !== 'string' || !HEX64.test(provider)) {
      throw new TypeError('a provider is named by its board key id (64 hex digits)');
    }
    const signSeed = hmac(sha256, this.#master, utf8(SIGN_LABEL + provider));
    const boxSecret = hmac(sha256, this.#master, utf8(BOX_LABEL + provider));
    return new Pseudonym(provider, signSeed, boxSecret);
  }

  /** Overwrite the master secret in memory (the page forgets the key). */
  forget() {
    this.#master.fill(0);
  }

  toJSON() {
    return { type: 'PatientKey' };
  }
}

function recordKeyHex(record) {
  if (!record || typeof record.key !== 'string' || !isHex(record.key, 80)) {
    throw new RecordUndecryptable('the record carries no sealed key of 80 bytes');
  }
  return fromHex(record.key);
}

/** A patient's keys towards one provider. */
export class Pseudonym {
  #signSeed;
  #boxSecret;

  constructor(provider, signSeed, boxSecret) {
    this.provider = provider;
    this.#signSeed = signSeed;
    this.#boxSecret = boxSecret;
    this.signPublic = toHex(ed25519.getPublicKey(signSeed));
    this.boxPublic = toHex(x25519.getPublicKey(boxSecret));
    this.id = pseudonymId(fromHex(this.signPublic));
  }

  #sign(prefix, doc) {
    return toHex(ed25519.sign(message(prefix, doc), this.#signSeed));
  }

  /** The signed pseudonym card `{"sign", "box", "provider", "signature"}`. */
  card() {
    const doc = { sign: this.signPublic, box: this.boxPublic, provider: this.provider };
    return { ...doc, signature: this.#sign(PSEUDONYM_PREFIX, doc) };
  }

  /** Whether a registered pseudonym (`GET …/pseudonyms/{pid}`) carries exactly these keys. */
  matches(registered) {
    return (
      registered?.id === this.id &&
      registered.sign === this.signPublic &&
      registered.box === this.boxPublic &&
      registered.provider === this.provider
    );
  }

  /** The record key, unwrapped from the record's `key` (sealed for this pseudonym). */
  recordKey(record) {
    if (record?.patient !== this.id) {
      throw new RecordUndecryptable('this record is not one of this pseudonym\'s records');
    }
    return unwrapKey(recordKeyHex(record), this.#boxSecret);
  }

  /**
   * Check and open a release (`POST …/gateway/reads`' answer) of record `sha256`: the
   * blob must hash to the record's commitment, the wrapped key must open with this
   * pseudonym's box key and the blob authenticate under it, with associated data
   * made from this pseudonym's own provider and id. Returns the plaintext bytes.
   */
  openRelease(sha256, release) {
    const rec = release?.record;
    if (!rec || rec.sha256 !== sha256 || rec.patient !== this.id) {
      throw new RecordUndecryptable('the server released another record than the one asked for');
    }
    const blob = base64Bytes(release.blob);
    if (blobHash(blob) !== sha256) {
      throw new RecordUndecryptable('the released blob does not hash to the record\'s commitment');
    }
    if (typeof release.wrapped_key !== 'string' || !isHex(release.wrapped_key, 80)) {
      throw new RecordUndecryptable('the release carries no sealed key of 80 bytes');
    }
    const key = unwrapKey(fromHex(release.wrapped_key), this.#boxSecret);
    try {
      return openRecord(key, blob, recordAad(this.provider, this.id));
    } finally {
      key.fill(0);
    }
  }

  /**
   * A `health.grant` body: the keys of `records` (this pseudonym's, as the API lists
   * them) re-sealed for `grantee.box`, until `expires`, signed. `nonce` and the
   * ephemeral secrets of the sealed boxes (one per record, in order) are fresh unless
   * given.
   */
  grant(grantee, records, expires, nonce = newNonce(), ephemerals = []) {
    const box = validBoxKey(grantee?.box);
    if (box === null || validSignKey(grantee?.sign) === null) {
      throw new KeyInputError('the grantee\'s card does not hold valid public keys');
    }
    if (!Array.isArray(records) || records.length < 1 || records.length > MAX_GRANT_RECORDS) {
      throw new KeyInputError(`a grant names 1 to ${MAX_GRANT_RECORDS} records`);
    }
    if (typeof expires !== 'string' || !TIME_RE.test(expires)) {
      throw new KeyInputError('the expiry is an RFC 3339 UTC time, e.g. 2027-01-31T12:00:00Z');
    }
    const keys = {};
    records.forEach((rec, i) => {
      const key = this.recordKey(rec);
      keys[rec.sha256] = toHex(wrapKey(key, box, ephemerals[i]));
      key.fill(0);
    });
    const doc = {
      patient: this.id,
      grantee: { sign: grantee.sign, box: grantee.box },
      keys,
      expires,
      nonce,
    };
    return { grant: doc, signature: this.#sign(GRANT_PREFIX, doc) };
  }

  /** A `health.revoke` body for one of this pseudonym's grants. */
  revoke(grantId) {
    if (typeof grantId !== 'string' || !HEX64.test(grantId)) {
      throw new TypeError('a grant id is 64 hex digits');
    }
    const doc = { grant: grantId };
    return { revoke: doc, signature: this.#sign(REVOKE_PREFIX, doc) };
  }

  /** A `health.access` body: the patient reads their own record (`grant: null`) at `time`. */
  request(record, time, nonce = newNonce()) {
    if (typeof record !== 'string' || !HEX64.test(record)) {
      throw new TypeError('a record is named by its blob hash (64 hex digits)');
    }
    if (typeof time !== 'string' || !TIME_RE.test(time)) {
      throw new TypeError('a request time is an RFC 3339 UTC time');
    }
    const doc = { record, grant: null, reader: this.signPublic, time, nonce };
    return { request: doc, signature: this.#sign(ACCESS_PREFIX, doc) };
  }

  /** Overwrite the derived secrets in memory. */
  forget() {
    this.#signSeed.fill(0);
    this.#boxSecret.fill(0);
  }

  toJSON() {
    return { provider: this.provider, id: this.id, sign: this.signPublic, box: this.boxPublic };
  }
}

/** Bytes of standard padded base64 (the API's `blob`), refusing anything else. */
export function base64Bytes(text) {
  const out = base64ToBytes(text);
  if (out === null) throw new RecordUndecryptable('the released blob is not base64');
  return out;
}

/** The text of a decrypted record (canonical JSON, UTF-8) as a document. */
export function parseRecord(plaintext) {
  let doc;
  try {
    doc = JSON.parse(decoder.decode(plaintext));
  } catch {
    throw new RecordUndecryptable('the decrypted record is not JSON');
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new RecordUndecryptable('the decrypted record is not a JSON object');
  }
  return doc;
}

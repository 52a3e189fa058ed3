/**
 * Board entries signed in the page (docs/board.md §1), byte for byte as ledger/entry.py
 * makes them, and the authority key file they are signed with (ledger/note.py).
 *
 * An entry is the RFC 8785 (JCS) canonical JSON of
 * `{version: 1, kind, time, author, body, signature}`; the author (SHA-256 of its
 * Ed25519 public key, hex) signs `"pnyx/entry/v1\n" ‖ JCS(entry without signature)`
 * (RFC 8032 Ed25519). JSON numbers in entries are integers only, within
 * ±(2^53 − 1) as RFC 8785 requires; nesting depth ≤ 32; the canonical bytes at most
 * 65,535. A value outside these rules is refused here, as the board would refuse it.
 *
 * The key file is the Go signed-note private key `pnyx authority add` writes
 * (`PRIVATE+KEY+<name>+<hex key id>+base64(0x01 ‖ seed)`; C2SP signed-note key id
 * `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]`). It is read from a local file
 * into an {@link AuthorityKey}, whose seed lives in a private field: no property,
 * `toJSON` or message ever holds it, and nothing in this module sends it anywhere —
 * only signed entries leave the page.
 */

import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import canonicalize from 'canonicalize';
import { base64ToBytes, concat, hexToBytes, toBase64, toHex } from '../common/bytes.js';

export { toHex, toBase64 as base64Encode, base64ToBytes as base64Decode };

export const VERSION = 1;
export const SIGNING_PREFIX = 'pnyx/entry/v1\n';
export const MAX_ENTRY_SIZE = 65535;
export const MAX_DEPTH = 32;
export const KEY_FILE_MAX = 4096;
export const ENTRIES_API = '/api/v1/board/entries';

export const KIND_RE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
export const TIME_RE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/;
export const HEX64_RE = /^[0-9a-f]{64}$/;

const SKEY_PREFIX = 'PRIVATE+KEY+';
const SIG_ED25519 = 0x01;
const SIG_COSIGNATURE_V1 = 0x04;
const SEED_SIZE = 32;
const MAX_SAFE = 2 ** 53 - 1;
const encoder = new TextEncoder();

// ------------------------------------------------------------------ errors

/** A key file this page cannot use; the message never contains key material. */
export class KeyFileError extends Error {
  constructor(message) {
    super(message);
    this.name = 'KeyFileError';
  }
}

/** An entry the board would refuse before it gets there (its code is the board's, §2). */
export class EntryError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'EntryError';
    this.code = code;
  }
}

/** A 4xx/5xx answer of the API (`{"error", "detail"}`, docs/api.md §2), or no answer. */
export class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

// ------------------------------------------------------------------- bytes

/** Bytes of lowercase or uppercase hex (even length); throws a TypeError otherwise. */
export function fromHex(text) {
  const out = hexToBytes(text, true);
  if (out === null) throw new TypeError('not hex');
  return out;
}

/** RFC 9162 leaf hash of an entry's bytes: SHA-256(0x00 ‖ bytes), hex. */
export function leafHash(bytes) {
  return toHex(sha256(concat(new Uint8Array([0]), bytes)));
}

/** An authority's key id: SHA-256 of its 32-byte Ed25519 public key, hex (docs/board.md §1). */
export function authorityKeyId(publicKey) {
  return toHex(sha256(publicKey));
}

// ---------------------------------------------------------------- key file

/** C2SP signed-note §Format: a key name is non-empty, without spaces, `+` or controls. */
export function validKeyName(name) {
  if (typeof name !== 'string' || name.length === 0 || name.includes('+')) return false;
  if (hasLoneSurrogate(name)) return false;
  for (const ch of name) {
    const c = ch.codePointAt(0);
    if (c < 0x20 || /\s/u.test(ch) || /\p{Z}/u.test(ch)) return false;
  }
  return true;
}

/** C2SP signed-note key id: SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]. */
export function noteKeyId(name, type, publicKey) {
  return sha256(concat(encoder.encode(name), new Uint8Array([0x0a, type]), publicKey)).subarray(
    0,
    4,
  );
}

/**
 * An authority's Ed25519 key, loaded from its key file. The seed is in a private
 * field: `sign` uses it, nothing returns it; `toJSON` and `toString` show only the
 * public values; `forget` overwrites it.
 */
export class AuthorityKey {
  #seed;

  constructor(name, seed) {
    if (!validKeyName(name)) throw new KeyFileError('the key name is not a valid key name');
    if (!(seed instanceof Uint8Array) || seed.length !== SEED_SIZE) {
      throw new KeyFileError('the key is not a 32-byte Ed25519 seed');
    }
    this.#seed = Uint8Array.from(seed);
    const publicKey = ed25519.getPublicKey(this.#seed);
    /** The key's name in the file (`pnyx` names the file after the authority). */
    this.name = name;
    /** The Ed25519 public key, hex. */
    this.publicKey = toHex(publicKey);
    /** The board key id, the entries' `author`: SHA-256(public key), hex. */
    this.author = authorityKeyId(publicKey);
    /** The signed-note key id of the file, 8 hex digits. */
    this.noteKeyId = toHex(noteKeyId(name, SIG_ED25519, publicKey));
    Object.freeze(this);
  }

  /** RFC 8032 Ed25519 signature (64 bytes) over `message`. */
  sign(message) {
    if (this.#seed === null) throw new KeyFileError('this key was forgotten: load it again');
    return ed25519.sign(message, this.#seed);
  }

  /** Overwrite the seed in memory; the key cannot sign afterwards. */
  forget() {
    if (this.#seed !== null) this.#seed.fill(0);
    this.#seed = null;
  }

  get forgotten() {
    return this.#seed === null;
  }

  toJSON() {
    return { name: this.name, publicKey: this.publicKey, author: this.author };
  }

  toString() {
    return `AuthorityKey(${this.name}, ${this.author.slice(0, 16)}…)`;
  }
}

/**
 * Parse an authority key file (`PRIVATE+KEY+<name>+<hex id>+base64(0x01 ‖ seed)`,
 * surrounding white space ignored) into an {@link AuthorityKey}, checking the type
 * byte and that the key id is the one the key derives (ledger/note.py `decode_skey`).
 */
export function parseKeyFile(text) {
  if (typeof text !== 'string') throw new KeyFileError('a key file is text');
  if (text.length > KEY_FILE_MAX) throw new KeyFileError('this file is too large to be a key');
  const skey = text.trim();
  if (!skey.startsWith(SKEY_PREFIX)) {
    throw new KeyFileError(
      'this is not an authority key file (it should start with PRIVATE+KEY+, ' +
        'as `pnyx authority add` writes it)',
    );
  }
  const rest = skey.slice(SKEY_PREFIX.length);
  const first = rest.indexOf('+');
  const second = first < 0 ? -1 : rest.indexOf('+', first + 1);
  if (first < 0 || second < 0) {
    throw new KeyFileError('the key is not PRIVATE+KEY+name+keyid+key');
  }
  const name = rest.slice(0, first);
  const hexId = rest.slice(first + 1, second);
  const material = rest.slice(second + 1);
  if (!validKeyName(name)) throw new KeyFileError('the key name is not a valid key name');
  if (!/^[0-9a-fA-F]{8}$/.test(hexId)) throw new KeyFileError('the key id is not 8 hex digits');
  const raw = base64ToBytes(material);
  if (raw === null) throw new KeyFileError('the key material is not canonical base64');
  if (raw.length !== 1 + SEED_SIZE) {
    throw new KeyFileError('the key material is not a type byte and a 32-byte seed');
  }
  if (raw[0] === SIG_COSIGNATURE_V1) {
    throw new KeyFileError('this is a witness key (cosignature/v1), not an authority key');
  }
  if (raw[0] !== SIG_ED25519) {
    throw new KeyFileError(`the key has type 0x${raw[0].toString(16).padStart(2, '0')}, not 0x01`);
  }
  const seed = raw.subarray(1);
  const publicKey = ed25519.getPublicKey(seed);
  const id = noteKeyId(name, SIG_ED25519, publicKey);
  if (toHex(id) !== hexId.toLowerCase()) {
    raw.fill(0);
    throw new KeyFileError('the key id does not match the key (the file is damaged)');
  }
  const key = new AuthorityKey(name, seed);
  raw.fill(0);
  return key;
}

// ------------------------------------------------------------- canonical JSON

function hasLoneSurrogate(s) {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return true;
    }
  }
  return false;
}

function isPlainObject(v) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Check that `value` is JSON the board takes: integers only (within ±(2^53 − 1)), no
 * lone surrogate, plain objects and arrays, and the depth rule of ledger/entry.py:
 * a non-empty object or array sits at depth < 32 (`depth` is that of `value`, the
 * entry itself being at depth 1).
 */
export function checkJson(value, depth = 1) {
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'string') {
    if (hasLoneSurrogate(value)) throw new EntryError('malformed_entry', 'a string has a lone surrogate');
    return;
  }
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || Math.abs(value) > MAX_SAFE || Object.is(value, -0)) {
      throw new EntryError(
        'malformed_entry',
        `the number ${value} is not an integer within ±(2^53 − 1) (entries carry integers only)`,
      );
    }
    return;
  }
  if (Array.isArray(value) || isPlainObject(value)) {
    const members = Array.isArray(value) ? value : Object.entries(value);
    if (members.length > 0 && depth >= MAX_DEPTH) {
      throw new EntryError('malformed_entry', `nested deeper than ${MAX_DEPTH} levels`);
    }
    if (Array.isArray(value)) {
      for (const v of value) checkJson(v, depth + 1);
    } else {
      for (const [k, v] of members) {
        checkJson(k, depth + 1);
        if (v === undefined) throw new EntryError('malformed_entry', `member ${k} is undefined`);
        checkJson(v, depth + 1);
      }
    }
    return;
  }
  throw new EntryError('malformed_entry', `a ${typeof value} is not JSON`);
}

/** RFC 8785 canonical bytes (UTF-8) of a JSON value the board takes. */
export function canonicalBytes(value) {
  checkJson(value);
  return encoder.encode(canonicalize(value));
}

// ------------------------------------------------------------------ entries

/** The current time, RFC 3339 UTC with second precision (docs/board.md §1). */
export function nowRfc3339(date = new Date()) {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function checkTime(time) {
  if (typeof time !== 'string' || !TIME_RE.test(time)) {
    throw new EntryError('malformed_entry', `bad time ${JSON.stringify(time)} (YYYY-MM-DDTHH:MM:SSZ)`);
  }
  const d = new Date(time);
  if (time.startsWith('0000') || Number.isNaN(d.getTime()) || nowRfc3339(d) !== time) {
    throw new EntryError('malformed_entry', `${time} is not a real time`);
  }
}

/** `"pnyx/entry/v1\n" ‖ JCS({version, kind, time, author, body})`: what the author signs. */
export function signingBytes(kind, time, author, body) {
  if (typeof kind !== 'string' || kind.length > 64 || !KIND_RE.test(kind)) {
    throw new EntryError('malformed_entry', `bad kind ${JSON.stringify(kind)}`);
  }
  checkTime(time);
  if (typeof author !== 'string' || !HEX64_RE.test(author)) {
    throw new EntryError('malformed_entry', 'author must be 64 lowercase hex digits (a key id)');
  }
  if (!isPlainObject(body)) throw new EntryError('malformed_entry', 'body must be a JSON object');
  const doc = { version: VERSION, kind, time, author, body };
  return concat(encoder.encode(SIGNING_PREFIX), canonicalBytes(doc));
}

/**
 * Build and sign an entry with `key` (ledger/entry.py `make_entry`). Returns
 * `{bytes, text, leafHash, entry}`: the canonical bytes to post, as text, their
 * RFC 9162 leaf hash, and the entry as an object.
 */
export function makeEntry(key, kind, body, time = nowRfc3339()) {
  if (!(key instanceof AuthorityKey)) throw new TypeError('makeEntry needs an AuthorityKey');
  const signature = key.sign(signingBytes(kind, time, key.author, body));
  const entry = { version: VERSION, kind, time, author: key.author, body, signature: toHex(signature) };
  const bytes = canonicalBytes(entry);
  if (bytes.length > MAX_ENTRY_SIZE) {
    throw new EntryError(
      'entry_too_large',
      `the entry is ${bytes.length} bytes, an entry has at most ${MAX_ENTRY_SIZE}`,
    );
  }
  return { bytes, text: new TextDecoder().decode(bytes), leafHash: leafHash(bytes), entry };
}

/** Check an entry's signature under an Ed25519 public key (hex), as the board does (§2 step 5). */
export function verifyEntry(entry, publicKeyHex) {
  try {
    const message = signingBytes(entry.kind, entry.time, entry.author, entry.body);
    return (
      entry.author === authorityKeyId(fromHex(publicKeyHex)) &&
      ed25519.verify(fromHex(entry.signature), message, fromHex(publicKeyHex))
    );
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------- API

async function answer(response) {
  let doc = null;
  try {
    doc = await response.json();
  } catch {
    doc = null;
  }
  if (response.ok) return doc;
  const code = doc && typeof doc.error === 'string' ? doc.error : 'http_error';
  const detail =
    doc && typeof doc.detail === 'string' ? doc.detail : `the server answered HTTP ${response.status}`;
  throw new ApiError(response.status, code, detail);
}

/** GET a JSON document; an error answer throws an {@link ApiError}. */
export async function getJson(url, { fetch: fetcher = globalThis.fetch } = {}) {
  let response;
  try {
    response = await fetcher(url, { headers: { accept: 'application/json' }, cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'network', 'the server could not be reached');
  }
  return answer(response);
}

/**
 * POST an entry's exact canonical bytes to the board (`POST /api/v1/board/entries`);
 * resolves to `{index, leaf_hash, checkpoint}`, or throws the board's refusal as an
 * {@link ApiError} (`duplicate_entry`, `role_not_allowed`, `wrong_phase`, …).
 */
export async function postEntry(bytes, { fetch: fetcher = globalThis.fetch, url = ENTRIES_API } = {}) {
  let response;
  try {
    response = await fetcher(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: bytes,
      cache: 'no-store',
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'network', 'the server could not be reached; nothing was posted');
  }
  return answer(response);
}

/** A sentence for any error this module or the API raises. */
export function describeError(e) {
  if (e instanceof ApiError) {
    return e.status === 0
      ? `${e.detail}.`
      : `The board refused (${e.code}, HTTP ${e.status}): ${e.detail}`;
  }
  if (e instanceof EntryError) return `This entry cannot be posted (${e.code}): ${e.message}`;
  if (e instanceof KeyFileError) return `The key file cannot be used: ${e.message}.`;
  return `Something went wrong in the page: ${e?.message ?? e}`;
}

/**
 * The ballot group: ristretto255 (RFC 9496; docs/crypto.md §2), as crypto/group.py.
 *
 * Scalars are bigints in [0, ℓ), encoded as 32 bytes little-endian; decoding
 * refuses values ≥ ℓ (§2.1). Points are `@noble/curves` ristretto255 points,
 * encoded as RFC 9496 §4.3.2 (32 bytes); `pointFromBytes` is the only way bytes
 * become a point, and it accepts only canonical encodings (§4.3.1) and refuses
 * the identity (32 zero bytes) unless asked (§2.2). ristretto255 has prime order:
 * there are no small-order or mixed-order elements to test for.
 *
 * Hashing (§2.3): H_s(dst, m) = SHA-512(LP(dst) ‖ LP(m)) little-endian mod ℓ;
 * H_p(dst, m) = the RFC 9496 §4.3.4 element derivation of SHA-512(LP(dst) ‖ LP(m)).
 * A random scalar is 64 random bytes reduced mod ℓ, drawn again if 0.
 *
 * Secrets: `mul` uses noble's constant-time ladder (`multiply`), `mulPublic`
 * the faster variable-time one for public scalars (verification). BigInt
 * arithmetic is not constant-time; as in Python, the callers keep the sequence
 * of operations independent of the vote (docs/crypto.md §6).
 */

import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { InvalidEncoding } from './errors.js';
import {
  bytesToIntLE,
  concat,
  fromHex,
  intToBytesLE,
  lengthPrefixed,
  toHex,
} from './bytes.js';

const Point = ristretto255.Point;
const Fn = Point.Fn;

/** ℓ, the order of ristretto255 (RFC 9496 §4.1). */
export const ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;
/** The generator of RFC 9496 §4.4. */
export const GENERATOR = Point.BASE;
/** The neutral element O (encoded as 32 zero bytes). */
export const IDENTITY = Point.ZERO;

const MAX_RANDOM_CHUNK = 65536; // crypto.getRandomValues refuses more at once

/** `n` bytes from WebCrypto's `crypto.getRandomValues` (browsers and Node ≥ 19). */
export function randomBytes(n) {
  const out = new Uint8Array(n);
  for (let o = 0; o < n; o += MAX_RANDOM_CHUNK) {
    globalThis.crypto.getRandomValues(out.subarray(o, Math.min(n, o + MAX_RANDOM_CHUNK)));
  }
  return out;
}

// ------------------------------------------------------------------ scalars

/** Whether `s` is a scalar value: a bigint in [0, ℓ). */
export function isScalar(s) {
  return typeof s === 'bigint' && s >= 0n && s < ORDER;
}

/** Decode 32 little-endian bytes below ℓ (§2.1); anything else is InvalidEncoding. */
export function scalarFromBytes(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
    throw new InvalidEncoding('a scalar is exactly 32 bytes');
  }
  const v = bytesToIntLE(bytes);
  if (v >= ORDER) throw new InvalidEncoding('scalar is not canonical (value ≥ ℓ)');
  return v;
}

/** Decode 64 lowercase hex digits, then as `scalarFromBytes`. */
export function scalarFromHex(text) {
  return scalarFromBytes(fromHex(text, 32));
}

/** The canonical 32-byte little-endian encoding of a scalar. */
export function scalarToBytes(s) {
  if (!isScalar(s)) throw new RangeError('not a scalar in [0, ℓ)');
  return intToBytesLE(s, 32);
}

/** The canonical encoding as 64 lowercase hex digits. */
export function scalarToHex(s) {
  return toHex(scalarToBytes(s));
}

/** The scalar `value mod ℓ` of a (public) integer: a number or a bigint, negative allowed. */
export function scalarFromInt(value) {
  return Fn.create(BigInt(value));
}

/** Reduce 64 little-endian bytes modulo ℓ (the wide reduction of §2.3). */
export function reduceWide(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 64) {
    throw new RangeError('wide reduction takes exactly 64 bytes');
  }
  return Fn.create(bytesToIntLE(bytes));
}

/** A uniformly random non-zero scalar: 64 bytes from `rng`, reduced mod ℓ (§2.3). */
export function randomScalar(rng = randomBytes) {
  for (;;) {
    const bytes = rng(64);
    if (!(bytes instanceof Uint8Array) || bytes.length !== 64) {
      throw new RangeError('the random source returned the wrong number of bytes');
    }
    const s = reduceWide(bytes);
    if (s !== 0n) return s;
  }
}

/** a + b mod ℓ */
export const scalarAdd = (a, b) => Fn.add(a, b);
/** a − b mod ℓ */
export const scalarSub = (a, b) => Fn.sub(a, b);
/** a · b mod ℓ */
export const scalarMul = (a, b) => Fn.mul(a, b);
/** −a mod ℓ */
export const scalarNeg = (a) => Fn.neg(a);
/** a⁻¹ mod ℓ; 0 has none. */
export function scalarInvert(a) {
  if (a === 0n) throw new RangeError('0 has no inverse modulo ℓ');
  return Fn.inv(a);
}

// ------------------------------------------------------------------- points

/** Whether `p` is a point of this group (a noble ristretto255 point object). */
export function isPoint(p) {
  return p instanceof Point;
}

/**
 * Decode and validate a point (§2.2): exactly 32 bytes that RFC 9496 §4.3.1
 * decodes. The identity (32 zero bytes) is refused unless `allowIdentity`;
 * no format of the package sets it.
 */
export function pointFromBytes(bytes, { allowIdentity = false } = {}) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
    throw new InvalidEncoding('a point is exactly 32 bytes');
  }
  let zero = 0;
  for (const b of bytes) zero |= b;
  if (zero === 0) {
    if (allowIdentity) return IDENTITY;
    throw new InvalidEncoding('the identity is not allowed here');
  }
  try {
    return Point.fromBytes(bytes);
  } catch {
    throw new InvalidEncoding('not the canonical encoding of a ristretto255 element');
  }
}

/** Decode 64 lowercase hex digits, then as `pointFromBytes`. */
export function pointFromHex(text, options) {
  return pointFromBytes(fromHex(text, 32), options);
}

/** The canonical 32-byte encoding (RFC 9496 §4.3.2); the identity is 32 zero bytes. */
export function pointToBytes(p) {
  return p.toBytes();
}

/** The canonical encoding as 64 lowercase hex digits. */
export function pointToHex(p) {
  return toHex(p.toBytes());
}

/** Whether `p` is the identity O. */
export function isIdentity(p) {
  return p.is0();
}

/**
 * k·P for a secret scalar k (noble's constant-time `multiply`); O when k = 0 or P = O.
 * Multiplying the same point often (G, the election key)? Call `prepare(P)` once.
 */
export function mul(k, p) {
  if (!isScalar(k)) throw new RangeError('not a scalar in [0, ℓ)');
  if (k === 0n) return IDENTITY;
  return p.multiply(k);
}

/** k·P for a public scalar k (variable time, faster: verification only). */
export function mulPublic(k, p) {
  if (!isScalar(k)) throw new RangeError('not a scalar in [0, ℓ)');
  return p.multiplyUnsafe(k);
}

/**
 * Precompute a window table for `p` (noble `precompute`, 4-bit windows, about
 * 8 ms in Node) and return p: each later multiplication of p then costs about
 * a tenth of an unprepared one. Worth it for the election key, which a 3-option
 * contest multiplies 11 times. Prepare a point once: preparing again rebuilds the table.
 */
export function prepare(p) {
  return p.precompute(4, false);
}

/** Whether two points are the same element. */
export function pointEquals(p, q) {
  return p.equals(q);
}

// ------------------------------------------------------------------ hashing

function wideDigest(dst, message) {
  return sha512(concat(lengthPrefixed(dst), lengthPrefixed(message)));
}

/** H_s(dst, m) = SHA-512(LP(dst) ‖ LP(m)) read little-endian, reduced mod ℓ (§2.3). */
export function hashToScalar(dst, message) {
  return reduceWide(wideDigest(dst, message));
}

/**
 * H_p(dst, m): d = SHA-512(LP(dst) ‖ LP(m)); the RFC 9496 §4.3.4 element derivation
 * of d (libsodium `crypto_core_ristretto255_from_hash`), a point of unknown
 * discrete logarithm (§2.3). Not RFC 9380's hash_to_ristretto255 (no expand_message).
 */
export function hashToPoint(dst, message) {
  return ristretto255_hasher.deriveToCurve(wideDigest(dst, message));
}

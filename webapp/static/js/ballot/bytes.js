/**
 * Byte strings as the ballot formats write them (docs/crypto.md §1).
 *
 * Lowercase hex without prefix (decoders refuse uppercase and odd lengths),
 * concatenation, big-endian u32/u64, and LP(x) = u32_be(len x) ‖ x, the one
 * framing rule of the package (crypto/group.py `length_prefixed`).
 */

import { InvalidEncoding } from './errors.js';

const HEX = /^(?:[0-9a-f]{2})*$/;
const ENCODER = new TextEncoder();

/** Lowercase hex of `bytes`. */
export function toHex(bytes) {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/**
 * The bytes of lowercase hex `text`; `length` (bytes), when given, is required.
 * Throws InvalidEncoding on anything else (uppercase, odd length, other characters).
 */
export function fromHex(text, length) {
  if (typeof text !== 'string' || !HEX.test(text)) {
    throw new InvalidEncoding('expected lowercase hex of even length');
  }
  if (length !== undefined && text.length !== 2 * length) {
    throw new InvalidEncoding(`expected ${length} bytes (${2 * length} hex digits)`);
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Whether `text` is lowercase hex of even length (and of `length` bytes when given). */
export function isHex(text, length) {
  return (
    typeof text === 'string' &&
    HEX.test(text) &&
    (length === undefined || text.length === 2 * length)
  );
}

/** The UTF-8 bytes of a string (labels such as "pnyx/contest/v1" are ASCII). */
export function utf8(text) {
  return ENCODER.encode(text);
}

/** a ‖ b ‖ … */
export function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** u32_be(n), 0 ≤ n < 2³². */
export function u32be(n) {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError('u32 out of range');
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, false);
  return out;
}

/** u64_be(n), 0 ≤ n < 2⁶⁴ (a number or a bigint). */
export function u64be(n) {
  const v = BigInt(n);
  if (v < 0n || v >= 1n << 64n) throw new RangeError('u64 out of range');
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v, false);
  return out;
}

/** LP(x) = u32_be(len x) ‖ x (docs/crypto.md §1). */
export function lengthPrefixed(data) {
  return concat(u32be(data.length), data);
}

/** Whether two byte strings are equal, without an early exit (for secrets and MACs). */
export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** The integer of little-endian bytes. */
export function bytesToIntLE(bytes) {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

/** `v` as `length` little-endian bytes (0 ≤ v < 2^(8·length)). */
export function intToBytesLE(v, length) {
  const out = new Uint8Array(length);
  let x = v;
  for (let i = 0; i < length; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  if (x !== 0n) throw new RangeError('integer too large for its encoding');
  return out;
}

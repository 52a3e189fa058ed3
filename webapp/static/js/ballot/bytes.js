/**
 * Byte strings as the ballot formats write them (docs/crypto.md §1).
 *
 * Lowercase hex without prefix (decoders refuse uppercase and odd lengths),
 * concatenation, big-endian u32/u64, and LP(x) = u32_be(len x) ‖ x, the one
 * framing rule of the package (crypto/group.py `length_prefixed`).
 */

import { concat, hexToBytes } from '../common/bytes.js';
import { InvalidEncoding } from './errors.js';

export { concat, equalBytes, toHex, utf8 } from '../common/bytes.js';

const HEX = /^(?:[0-9a-f]{2})*$/;

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
  return hexToBytes(text);
}

/** Whether `text` is lowercase hex of even length (and of `length` bytes when given). */
export function isHex(text, length) {
  return (
    typeof text === 'string' &&
    HEX.test(text) &&
    (length === undefined || text.length === 2 * length)
  );
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

/**
 * Byte strings in the page, shared by every area (ballot, bbs, board, officials,
 * portal, wallet): lowercase hex, UTF-8, concatenation, comparison and standard
 * padded base64 (RFC 4648 §4), decoded only in its canonical form (as ledger/note.py).
 *
 * The decoders answer null on bad input, so that each area raises its own typed
 * error (InvalidEncoding, BBSError, VerifyError, VaultError, …) with its own message.
 */

const ENCODER = new TextEncoder();
const HEX_LOWER = /^(?:[0-9a-f]{2})*$/;
const HEX_ANY_CASE = /^(?:[0-9a-fA-F]{2})*$/;
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_SHAPE = /^[A-Za-z0-9+/]*={0,2}$/;

/** Lowercase hex of `bytes`. */
export function toHex(bytes) {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/**
 * The bytes of even-length hex `text` (lowercase only unless `anyCase`), or null
 * when it is anything else.
 */
export function hexToBytes(text, anyCase = false) {
  if (typeof text !== 'string' || !(anyCase ? HEX_ANY_CASE : HEX_LOWER).test(text)) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The UTF-8 bytes of a string. */
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

/** Whether two byte strings are equal, without an early exit (for secrets and MACs). */
export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Standard padded base64 of `bytes` (RFC 4648 §4). */
export function toBase64(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.length ? B64[n & 63] : '=';
  }
  return out;
}

/** The bytes of canonical standard padded base64 `text`, or null when it is anything else. */
export function base64ToBytes(text) {
  if (typeof text !== 'string' || text.length % 4 !== 0 || !B64_SHAPE.test(text)) return null;
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let k = 0; k < 4; k++) {
      const c = text[i + k];
      n = (n << 6) | (c === '=' ? 0 : B64.indexOf(c));
    }
    for (const shift of [16, 8, 0]) if (o < out.length) out[o++] = (n >> shift) & 255;
  }
  return toBase64(out) === text ? out : null;
}

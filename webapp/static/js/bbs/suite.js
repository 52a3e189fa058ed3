// BBS ciphersuites, hashing and encodings (draft-irtf-cfrg-bbs-signatures-09),
// byte for byte the same as crypto/bbs/suite.py.
//
// - §7 Ciphersuites: BLS12-381-SHA-256 ("BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_",
//   expand_message_xmd with SHA-256) and BLS12-381-SHAKE-256
//   ("BBS_BLS12381G1_XOF:SHAKE-256_SSWU_RO_", expand_message_xof with SHAKE-256),
//   each with hash_to_curve to G1 under the matching RFC 9380 suite and its P1.
// - §4.1 create_generators, §4.2 messages_to_scalars, §4.3 hash_to_scalar,
//   §4.4 calculate_random_scalars, §4.7 serialisation, and the Appendix's
//   mocked_calculate_random_scalars (fixtures only).
//
// Curve arithmetic is @noble/curves' BLS12-381. Decoding is validation: a G1 or
// G2 point decodes only from its canonical compressed encoding of a point on the
// curve and in the prime-order subgroup (noble's fromBytes checks flags, x < p,
// the equation and the subgroup); lengths are checked here.
//
// Scalar multiplications. `mulSecret` and `msmSecret` take scalars that may be
// secret (hidden messages, blindings, nym secrets): they use noble's
// constant-time-ish `multiply` (fixed-window, scalar-blinded) on every point,
// never a variable-time MSM. noble refuses a zero multiplier, and a hidden
// message may be 0 (an integer attribute, a boolean): msmSecret multiplies by
// s + K for a public offset K and subtracts (Σ P_i)·K once, so that no branch
// depends on a secret being zero. `msmPublic` (verifiers: challenges, proof
// responses, disclosed messages) and `fixedBaseMsm` are noble's variable-time
// interleaved wNAF / Pippenger: never for a secret scalar.
//
// Generators and P1 are memoised per suite and api_id (a Map of public points
// only, extended as longer lists are asked for: create_generators' output for
// count n is a prefix of its output for n + 1), prepareGenerators gives them
// multiplication tables, and fixedBaseMsm keeps MSM tables for fixed lists of
// them; nothing secret is kept.

import { bls12_381 } from '@noble/curves/bls12-381.js';
import { interleavedMSMUnsafe, mulAddUnsafe, pippenger } from '@noble/curves/abstract/curve.js';
import {
  expand_message_xmd,
  expand_message_xof,
  hash_to_field,
} from '@noble/curves/abstract/hash-to-curve.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { shake256 } from '@noble/hashes/sha3.js';
import { concat, hexToBytes, toHex, utf8 } from '../common/bytes.js';

export { concat, toHex, utf8 };

/** The G1 and G2 point classes of BLS12-381. */
export const G1 = bls12_381.G1.Point;
export const G2 = bls12_381.G2.Point;

/** r, the order of G1, G2 and GT (draft §7.2). */
export const ORDER = bls12_381.fields.Fr.ORDER;
/** p, the characteristic of the base field. */
export const FIELD_PRIME = bls12_381.fields.Fp.ORDER;
/** expand_len = ceil((ceil(log2(r)) + k) / 8), k = 128 (draft §7.1). */
export const EXPAND_LEN = 48;
/** octet_scalar_length (draft §7.1). */
export const OCTET_SCALAR_LENGTH = 32;
/** octet_point_length of a G1 point (draft §7.1). */
export const OCTET_POINT_LENGTH = 48;
/** A G2 point (public key) is 96 bytes. */
export const OCTET_G2_LENGTH = 96;
/** A decoding bound, not the draft's (as suite.py): a proof may hide at most this many messages. */
export const MAX_HIDDEN_MESSAGES = 1024;

/** Input that BBS cannot accept (draft §3, "INVALID"); never carries secret values. */
export class BBSError extends Error {
  constructor(message) {
    super(message);
    this.name = 'BBSError';
  }
}

/** Bytes of an even-length hex string; BBSError otherwise. */
export function fromHex(hex) {
  const out = hexToBytes(hex, true);
  if (out === null) throw new BBSError('malformed hex string');
  return out;
}

/** Whether x is a Uint8Array. */
export function isBytes(x) {
  return x instanceof Uint8Array;
}

/** x as bytes, or BBSError naming `what`. */
export function asBytes(x, what) {
  if (!(x instanceof Uint8Array)) throw new BBSError(`${what} must be bytes (Uint8Array)`);
  return x;
}

/** I2OSP (RFC 8017 §4.1): x as `length` big-endian bytes; BBSError if it does not fit. */
export function i2osp(x, length) {
  let v = BigInt(x);
  if (v < 0n || v >= 1n << BigInt(8 * length)) {
    throw new BBSError(`integer too large for ${length} bytes`);
  }
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** OS2IP (RFC 8017 §4.2): big-endian bytes as a bigint. */
export function os2ip(bytes) {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** x mod r in [0, r). */
export function mod(x) {
  const v = x % ORDER;
  return v < 0n ? v + ORDER : v;
}

/** x^-1 mod r (x ≠ 0 mod r); BBSError for 0. */
export function invert(x) {
  let a = mod(x);
  if (a === 0n) throw new BBSError('no inverse of 0');
  // extended Euclid on bigints
  let [r0, r1, s0, s1] = [ORDER, a, 0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  a = s0 % ORDER;
  return a < 0n ? a + ORDER : a;
}

/** I2OSP(s, 32) of a scalar. */
export function scalarToBytes(s) {
  return i2osp(s, OCTET_SCALAR_LENGTH);
}

function makeSuite(name, ciphersuiteId, expander, p1Hex) {
  return Object.freeze({
    /** The name used in documents (docs/credentials.md §1.1). */
    name,
    /** ciphersuite_id (draft §7.2). */
    ciphersuiteId: utf8(ciphersuiteId),
    /** "xmd" or "xof". */
    expander,
    /** P1, the suite's fixed G1 point, compressed (hex). */
    p1Hex,
  });
}

/** BLS12-381-SHA-256 (draft §7.2.2). */
export const SHA_256 = makeSuite(
  'BLS12-381-SHA-256',
  'BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_',
  'xmd',
  'a8ce256102840821a3e94ea9025e4662b205762f9776b3a766c872b948f1fd22' +
    '5e7c59698588e70d11406d161b4e28c9',
);

/** BLS12-381-SHAKE-256 (draft §7.2.1). */
export const SHAKE_256 = makeSuite(
  'BLS12-381-SHAKE-256',
  'BBS_BLS12381G1_XOF:SHAKE-256_SSWU_RO_',
  'xof',
  '8929dfbc7e6642c4ed9cba0856e493f8b9d7d5fcb0c31ef8fdcd34d50648a56c' +
    '795e106e9eada6e0bda386b414150755',
);

/** The suite called `name` ("BLS12-381-SHA-256" or "BLS12-381-SHAKE-256"); BBSError otherwise. */
export function suiteByName(name) {
  if (name === SHA_256.name) return SHA_256;
  if (name === SHAKE_256.name) return SHAKE_256;
  throw new BBSError(`unknown ciphersuite ${JSON.stringify(name)}`);
}

/** api_id of the BBS interface (draft §3.4): ciphersuite_id || "H2G_HM2S_". */
export function apiId(suite) {
  return concat(suite.ciphersuiteId, utf8('H2G_HM2S_'));
}

/** expand_message_xmd with SHA-256 (RFC 9380 §5.3.1, oversize DST §5.3.3). */
export function expandMessageXmd(msg, dst, lenInBytes) {
  if (lenInBytes < 0 || lenInBytes > 65535) throw new BBSError('expand_message: bad length');
  return expand_message_xmd(msg, dst, lenInBytes, sha256);
}

/** expand_message_xof with SHAKE-256, k = 128 (RFC 9380 §5.3.2, oversize DST §5.3.3). */
export function expandMessageXof(msg, dst, lenInBytes) {
  if (lenInBytes < 0 || lenInBytes > 65535) throw new BBSError('expand_message: bad length');
  return expand_message_xof(msg, dst, lenInBytes, 128, shake256);
}

/** The suite's expand_message (draft §7.1). */
export function expandMessage(suite, msg, dst, lenInBytes) {
  return suite.expander === 'xmd'
    ? expandMessageXmd(msg, dst, lenInBytes)
    : expandMessageXof(msg, dst, lenInBytes);
}

/** hash_to_scalar (draft §4.3): OS2IP(expand_message(msg, dst, 48)) mod r. */
export function hashToScalar(suite, msg, dst) {
  return os2ip(expandMessage(suite, msg, dst, EXPAND_LEN)) % ORDER;
}

/**
 * hash_to_curve_g1 (draft §7.1; RFC 9380 §3 with the suite's expander, §8.8.1).
 * SHA-256: noble's BLS12381G1_XMD:SHA-256_SSWU_RO_ with this DST. SHAKE-256:
 * hash_to_field with expand_message_xof, then map_to_curve of each element with
 * its cofactor cleared, added (clearing the cofactor is multiplication by h_eff,
 * a homomorphism, so clear(Q0) + clear(Q1) = clear(Q0 + Q1)).
 */
export function hashToCurveG1(suite, msg, dst) {
  if (!(dst.length > 0 && dst.length <= 255)) throw new BBSError('hash_to_curve DST must be 1..255 bytes');
  if (suite.expander === 'xmd') return bls12_381.G1.hashToCurve(msg, { DST: dst });
  const [[u0], [u1]] = hash_to_field(msg, 2, {
    DST: dst,
    p: FIELD_PRIME,
    m: 1,
    k: 128,
    expand: 'xof',
    hash: shake256,
  });
  return bls12_381.G1.mapToCurve(u0).add(bls12_381.G1.mapToCurve(u1));
}

/** Window size of the generators' multiplication tables (prepareGenerators). */
export const GENERATOR_WINDOW = 4;

// Public memo: suite name + api_id hex -> generators created so far (see the header).
const GENERATORS = new Map();
const P1_POINTS = new Map();

/**
 * create_generators(count, api_id) (draft §4.1.1): the points (memoised, public).
 * seed_dst = api_id || "SIG_GENERATOR_SEED_", generator_dst = api_id ||
 * "SIG_GENERATOR_DST_", v = expand(api_id || "MESSAGE_GENERATOR_SEED", seed_dst, 48);
 * for i in 1..count: v = expand(v || I2OSP(i, 8), seed_dst, 48), H_i = hash_to_curve_g1(v, generator_dst).
 */
export function createGenerators(suite, count, api) {
  if (!Number.isInteger(count) || count < 0) throw new BBSError('bad generator count');
  const key = `${suite.name}|${toHex(api)}`;
  let entry = GENERATORS.get(key);
  const seedDst = concat(api, utf8('SIG_GENERATOR_SEED_'));
  const generatorDst = concat(api, utf8('SIG_GENERATOR_DST_'));
  if (!entry) {
    const v = expandMessage(suite, concat(api, utf8('MESSAGE_GENERATOR_SEED')), seedDst, EXPAND_LEN);
    entry = { v, points: [] };
    GENERATORS.set(key, entry);
  }
  while (entry.points.length < count) {
    const i = entry.points.length + 1;
    const v = expandMessage(suite, concat(entry.v, i2osp(i, 8)), seedDst, EXPAND_LEN);
    const point = hashToCurveG1(suite, v, generatorDst);
    entry.v = v;
    entry.points.push(point);
  }
  return entry.points.slice(0, count);
}

/**
 * create_generators(count, api_id), and a fixed-window multiplication table
 * for each point (noble's precompute, W = 4: 520 points, ≈ 5–10 ms a
 * generator), so that later multiplications by them cost ≈ 0.7 ms instead of
 * ≈ 3.5 ms; the table's lookups scan a whole window, as noble's base-point
 * multiplication does. A wallet calls it (prepare in predicates.js) while the
 * page is idle, before the holder answers a request: a proof then costs about
 * half. Without it nothing changes but speed.
 */
export function prepareGenerators(suite, count, api) {
  const points = createGenerators(suite, count, api);
  for (const p of points) {
    if (!PREPARED.has(p)) {
      p.precompute(GENERATOR_WINDOW, false);
      PREPARED.add(p);
    }
  }
  return points;
}

// The memoised generators whose tables are built (public points only).
const PREPARED = new WeakSet();

/** P1 of the suite as a point (decoded once). */
export function p1(suite) {
  let p = P1_POINTS.get(suite.name);
  if (!p) {
    p = G1.fromHex(suite.p1Hex);
    P1_POINTS.set(suite.name, p);
  }
  return p;
}

/** messages_to_scalars (draft §4.2.1): hash_to_scalar(msg, api_id || "MAP_MSG_TO_SCALAR_AS_HASH_"). */
export function messagesToScalars(suite, messages, api) {
  if (!Array.isArray(messages)) throw new BBSError('messages must be an array of byte strings');
  const dst = concat(api, utf8('MAP_MSG_TO_SCALAR_AS_HASH_'));
  return messages.map((m) => hashToScalar(suite, asBytes(m, 'a message'), dst));
}

/** calculate_random_scalars (draft §4.4): OS2IP(get_random(48)) mod r from crypto.getRandomValues. */
export function calculateRandomScalars(count) {
  const out = [];
  for (let i = 0; i < count; i++) {
    const buf = new Uint8Array(EXPAND_LEN);
    globalThis.crypto.getRandomValues(buf);
    out.push(os2ip(buf) % ORDER);
    buf.fill(0);
  }
  return out;
}

/** One uniformly random scalar in [1, r). */
export function randomNonzeroScalar() {
  for (;;) {
    const [s] = calculateRandomScalars(1);
    if (s !== 0n) return s;
  }
}

/**
 * mocked_calculate_random_scalars (draft Appendix "Mocked Random Scalars"):
 * deterministic scalars for the test vectors, never for real proofs.
 */
export function mockedCalculateRandomScalars(suite, count, seed, dst) {
  const outLen = EXPAND_LEN * count;
  if (outLen > 65535) throw new BBSError('too many mocked scalars');
  const v = expandMessage(suite, seed, dst, outLen);
  const out = [];
  for (let i = 0; i < count; i++) {
    out.push(os2ip(v.subarray(i * EXPAND_LEN, (i + 1) * EXPAND_LEN)) % ORDER);
  }
  return out;
}

/** A random-scalar source for the fixtures: count ↦ mocked scalars for (seed, dst). */
export function mockedRandomScalars(suite, seed, dst) {
  return (count) => mockedCalculateRandomScalars(suite, count, seed, dst);
}

// ---------------------------------------------------------------- points

/** point_to_octets_E1: the 48-byte compressed encoding. */
export function g1ToBytes(p) {
  return p.toBytes(true);
}

/** octets_to_point_E1 with validation (canonical, on the curve, in the subgroup); BBSError. */
export function g1FromBytes(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== OCTET_POINT_LENGTH) {
    throw new BBSError('a G1 point is 48 bytes');
  }
  let p;
  try {
    p = G1.fromBytes(bytes);
  } catch {
    throw new BBSError('invalid G1 point encoding');
  }
  // Canonical: the encoding must be exactly what the point encodes to.
  if (toHex(p.toBytes(true)) !== toHex(bytes)) throw new BBSError('non-canonical G1 encoding');
  return p;
}

/** octets_to_point_E2 with validation; BBSError. */
export function g2FromBytes(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== OCTET_G2_LENGTH) {
    throw new BBSError('a G2 point is 96 bytes');
  }
  let p;
  try {
    p = G2.fromBytes(bytes);
  } catch {
    throw new BBSError('invalid G2 point encoding');
  }
  if (toHex(p.toBytes(true)) !== toHex(bytes)) throw new BBSError('non-canonical G2 encoding');
  return p;
}

// A public offset for msmSecret: r − K is neither a small integer nor a
// negative 64-bit integer mod r, and is reached by a hashed or random scalar
// with probability 2^-255.
const OFFSET = (1n << 200n) + 0x9e3779b97f4a7c15n;

/** k·P for a possibly secret scalar k in [1, r) (constant-time-ish); BBSError for k = 0. */
export function mulSecret(point, k) {
  const s = mod(k);
  if (s === 0n) throw new BBSError('zero multiplier');
  return point.multiply(s);
}

/**
 * Σ scalars[i]·points[i] with possibly secret scalars (zero allowed): each
 * term through the constant-time multiply, as (s_i + K)·P_i, minus (Σ P_i)·K
 * (public, variable-time). See the header.
 */
export function msmSecret(points, scalars) {
  if (points.length !== scalars.length) throw new BBSError('msm: length mismatch');
  let acc = G1.ZERO;
  let sum = G1.ZERO;
  for (let i = 0; i < points.length; i++) {
    const t = mod(scalars[i] + OFFSET);
    const p = points[i];
    if (p.is0()) continue;
    if (t === 0n) {
      // s_i = r − K: the term is −K·P_i, added below; nothing to multiply.
    } else {
      acc = acc.add(p.multiply(t));
    }
    sum = sum.add(p);
  }
  if (sum.is0()) return acc;
  return acc.subtract(sum.multiplyUnsafe(OFFSET));
}

/** Σ scalars[i]·points[i] for public scalars only (variable time). */
export function msmPublic(points, scalars) {
  if (points.length !== scalars.length) throw new BBSError('msm: length mismatch');
  const ps = [];
  const ss = [];
  for (let i = 0; i < points.length; i++) {
    const s = mod(scalars[i]);
    if (s === 0n || points[i].is0()) continue;
    ps.push(points[i]);
    ss.push(s);
  }
  if (ps.length === 0) return G1.ZERO;
  if (ps.length === 1) return ps[0].multiplyUnsafe(ss[0]);
  // Interleaved wNAF (one doubling chain) beats noble's Pippenger below ~100 points.
  return ps.length <= 64 ? mulAddUnsafe(G1, ps, ss) : pippenger(G1, ps, ss);
}

/**
 * A variable-time MSM over a fixed list of long-lived public points (generators):
 * noble's interleaved wNAF with a table per point, built once (memoised by `key`).
 * Returns scalars ↦ Σ scalars[i]·points[i] (public scalars only; zeros cost nothing).
 */
export function fixedBaseMsm(key, points) {
  let msm = FIXED_MSMS.get(key);
  if (!msm) {
    msm = interleavedMSMUnsafe(G1, points, 6);
    FIXED_MSMS.set(key, msm);
  }
  return (scalars) => msm(scalars.map(mod));
}

// Public memo: fixed-base MSM tables by a caller's key (suite, api_id, count).
const FIXED_MSMS = new Map();

/**
 * Whether ∏ e(P_i, Q_i) = Identity_GT (one final exponentiation). A pair with
 * an identity point contributes 1 and is left out.
 */
export function pairingCheck(pairs) {
  const live = pairs.filter(([p, q]) => !p.is0() && !q.is0()).map(([g1, g2]) => ({ g1, g2 }));
  const gt = bls12_381.pairingBatch(live, true);
  return bls12_381.fields.Fp12.eql(gt, bls12_381.fields.Fp12.ONE);
}

// ------------------------------------------------------- BBS encodings

/** A scalar from 32 bytes in [0, r) (or (0, r) unless allowZero); BBSError otherwise. */
export function scalarFromBytes(bytes, allowZero = false) {
  const s = os2ip(bytes);
  if (s >= ORDER || (s === 0n && !allowZero)) throw new BBSError('scalar out of range');
  return s;
}

/** signature_to_octets (draft §4.7.2): A (48) || I2OSP(e, 32). */
export function signatureToOctets(a, e) {
  return concat(g1ToBytes(a), scalarToBytes(e));
}

/** octets_to_signature (draft §4.7.3): { a, e } with A ≠ identity, 0 < e < r; BBSError otherwise. */
export function octetsToSignature(bytes) {
  asBytes(bytes, 'a signature');
  if (bytes.length !== OCTET_POINT_LENGTH + OCTET_SCALAR_LENGTH) {
    throw new BBSError('a signature is 80 bytes');
  }
  const a = g1FromBytes(bytes.subarray(0, OCTET_POINT_LENGTH));
  if (a.is0()) throw new BBSError('signature point is the identity');
  return { a, e: scalarFromBytes(bytes.subarray(OCTET_POINT_LENGTH)) };
}

/** octets_to_pubkey (draft §4.7.6): a G2 subgroup point, not the identity; BBSError. */
export function octetsToPubkey(bytes) {
  asBytes(bytes, 'a public key');
  const w = g2FromBytes(bytes);
  if (w.is0()) throw new BBSError('public key is the identity');
  return w;
}

/** proof_to_octets (draft §4.7.4): Abar || Bbar || D || ê || r̂1 || r̂3 || m̂_j… || c. */
export function proofToOctets(proof) {
  const scalars = [proof.eHat, proof.r1Hat, proof.r3Hat, ...proof.commitments, proof.challenge];
  return concat(
    g1ToBytes(proof.abar),
    g1ToBytes(proof.bbar),
    g1ToBytes(proof.d),
    ...scalars.map(scalarToBytes),
  );
}

/** The smallest proof: three points and four scalars (272 bytes). */
export const PROOF_FLOOR = 3 * OCTET_POINT_LENGTH + 4 * OCTET_SCALAR_LENGTH;

/**
 * octets_to_proof (draft §4.7.5): three G1 points (not the identity) and at
 * least four scalars in (0, r); length 272 + 32·U, U ≤ MAX_HIDDEN_MESSAGES. BBSError.
 */
export function octetsToProof(bytes) {
  asBytes(bytes, 'a proof');
  if (bytes.length < PROOF_FLOOR || (bytes.length - PROOF_FLOOR) % OCTET_SCALAR_LENGTH) {
    throw new BBSError('proof length is not 272 + 32·U');
  }
  if ((bytes.length - PROOF_FLOOR) / OCTET_SCALAR_LENGTH > MAX_HIDDEN_MESSAGES) {
    throw new BBSError(`a proof hides at most ${MAX_HIDDEN_MESSAGES} messages`);
  }
  const points = [];
  for (let i = 0; i < 3; i++) {
    const p = g1FromBytes(bytes.subarray(i * OCTET_POINT_LENGTH, (i + 1) * OCTET_POINT_LENGTH));
    if (p.is0()) throw new BBSError('proof point is the identity');
    points.push(p);
  }
  const scalars = [];
  for (let o = 3 * OCTET_POINT_LENGTH; o < bytes.length; o += OCTET_SCALAR_LENGTH) {
    scalars.push(scalarFromBytes(bytes.subarray(o, o + OCTET_SCALAR_LENGTH)));
  }
  return {
    abar: points[0],
    bbar: points[1],
    d: points[2],
    eHat: scalars[0],
    r1Hat: scalars[1],
    r3Hat: scalars[2],
    commitments: scalars.slice(3, -1),
    challenge: scalars[scalars.length - 1],
  };
}

/** Compare two byte strings in time independent of their contents (equal lengths). */
export function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

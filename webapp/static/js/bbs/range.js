// A range proof for a Pedersen commitment in BLS12-381 G1 in commit / challenge /
// response form, as crypto/bbs/range.py (docs/credentials.md "Cryptography" §4.2).
//
// Statement: public G, H (pedersenGenerators), C and integers lo < hi with
// hi − lo < 2^64; the prover knows v, ρ with C = v·G + ρ·H and lo ≤ v ≤ hi.
//
// d = hi − lo, n = bitlen(d), weights w_i = 2^i (i < n − 1), w_{n−1} = d − 2^{n−1} + 1,
// so {Σ b_i·w_i : b_i ∈ {0,1}} = [0, d]. The prover writes v − lo = Σ b_i·w_i,
// commits C_i = b_i·G + ρ_i·H (i ≥ 1, sent) with ρ_0 = ρ − Σ_{i≥1} w_i·ρ_i so the
// verifier derives C_0 = C − lo·G − Σ_{i≥1} w_i·C_i, and proves each bit with a
// CDS OR-proof "C_i = ρ_i·H or C_i − G = ρ_i·H", c_{i,0} + c_{i,1} = c, c being
// the enclosing presentation's one challenge:
//   real branch k = b_i: A_{i,k} = t_i·H; other: A_{i,1−k} = s·H − c'·(C_i − (1−k)·G);
//   after c: c_{i,k} = c − c_{i,1−k}, s_{i,k} = t_i + c_{i,k}·ρ_i; sent (c_{i,0}, s_{i,0}, s_{i,1});
//   verifier: A_{i,0} = s_{i,0}·H − c_{i,0}·C_i, A_{i,1} = s_{i,1}·H − (c − c_{i,0})·(C_i − G).
// Proof bytes: C_1..C_{n−1} (48 each) || (c_{i,0}, s_{i,0}, s_{i,1}) (96 each).

import {
  BBSError,
  G1,
  OCTET_POINT_LENGTH,
  OCTET_SCALAR_LENGTH,
  ORDER,
  concat,
  createGenerators,
  g1FromBytes,
  g1ToBytes,
  mod,
  msmPublic,
  msmSecret,
  mulSecret,
  os2ip,
  randomNonzeroScalar,
  scalarToBytes,
  utf8,
} from './suite.js';

/** hi − lo must be below 2^MAX_RANGE_BITS. */
export const MAX_RANGE_BITS = 64;
/** The api_id under which create_generators derives G and H. */
export const PEDERSEN_API_ID = utf8('PNYX_V1_BBS_PREDICATE_PEDERSEN_');

const MIN_INT = -(1n << 63n);
const MAX_INT = (1n << 63n) - 1n;

/** { g, h } = create_generators(2, "PNYX_V1_BBS_PREDICATE_PEDERSEN_") of the suite. */
export function pedersenGenerators(suite) {
  const [g, h] = createGenerators(suite, 2, PEDERSEN_API_ID);
  return { g, h };
}

/** C = value·G + blinding·H (value mod r). */
export function pedersenCommit(gens, value, blinding) {
  return msmSecret([gens.g, gens.h], [mod(value), mod(blinding)]);
}

/** The weights w_0..w_{n−1} for [lo, hi] (bigints); BBSError unless lo < hi, hi − lo < 2^64, both int64. */
export function rangeBits(lo, hi) {
  if (typeof lo !== 'bigint' || typeof hi !== 'bigint') throw new BBSError('range bounds are bigints');
  if (lo < MIN_INT || lo > MAX_INT || hi < MIN_INT || hi > MAX_INT) {
    throw new BBSError('range bounds must be signed 64-bit integers');
  }
  const d = hi - lo;
  if (!(d > 0n && d < 1n << BigInt(MAX_RANGE_BITS))) {
    throw new BBSError('a range needs lo < hi and hi - lo < 2^64');
  }
  const n = d.toString(2).length;
  const w = [];
  for (let i = 0; i < n - 1; i++) w.push(1n << BigInt(i));
  w.push(d - (1n << BigInt(n - 1)) + 1n);
  return w;
}

function decompose(a, weights) {
  const n = weights.length;
  const top = a > (1n << BigInt(n - 1)) - 1n ? 1n : 0n;
  const rest = a - top * weights[n - 1];
  const bits = [];
  for (let i = 0; i < n - 1; i++) bits.push((rest >> BigInt(i)) & 1n);
  bits.push(top);
  return bits;
}

/** The encoded size of a range proof of n bits. */
export function rangeSize(n) {
  return OCTET_POINT_LENGTH * (n - 1) + 3 * OCTET_SCALAR_LENGTH * n;
}

/** What the challenge absorbs: C_1 ‖ … ‖ C_{n−1} ‖ A_{0,0} ‖ A_{0,1} ‖ … */
export function announcementOctets(ann) {
  return concat(...ann.bitCommitments, ...ann.announcements.flatMap(([a0, a1]) => [a0, a1]));
}

/**
 * The prover's first move for C = value·G + blinding·H and [lo, hi]:
 * { state (secret), announcement }. BBSError if value ∉ [lo, hi].
 */
export function rangeAnnounce(gens, value, blinding, lo, hi, randomScalar = randomNonzeroScalar) {
  const weights = rangeBits(lo, hi);
  const a = value - lo;
  if (!(a >= 0n && a <= hi - lo)) {
    throw new BBSError('the value is outside the range: the predicate does not hold');
  }
  const n = weights.length;
  const bits = decompose(a, weights);
  const rhos = [0n];
  for (let i = 1; i < n; i++) rhos.push(randomScalar());
  let acc = 0n;
  for (let i = 1; i < n; i++) acc += weights[i] * rhos[i];
  rhos[0] = mod(blinding - acc);
  const { g, h } = gens;
  const bitCommitments = [];
  const announcements = [];
  const nonces = [];
  const simulated = [];
  for (let i = 0; i < n; i++) {
    const b = bits[i];
    const rho = rhos[i];
    if (i > 0) bitCommitments.push(g1ToBytes(msmSecret([h, g], [rho, b])));
    const t = randomScalar();
    const cSim = randomScalar();
    const sSim = randomScalar();
    const real = mulSecret(h, t);
    // A_{1−b} = s·H − c·(C_i − (1−b)·G) = (s − c·ρ)·H − c·(2b − 1)·G
    const sim = msmSecret([h, g], [mod(sSim - cSim * rho), mod(-cSim * (2n * b - 1n))]);
    const pair = b === 0n ? [real, sim] : [sim, real];
    announcements.push([g1ToBytes(pair[0]), g1ToBytes(pair[1])]);
    nonces.push(t);
    simulated.push([cSim, sSim]);
  }
  return {
    state: { bits, blindings: rhos, nonces, simulated, bitCommitments },
    announcement: { bitCommitments, announcements },
  };
}

/** The prover's last move given the enclosing proof's challenge c: { bitCommitments, responses }. */
export function rangeRespond(state, challenge) {
  const responses = state.bits.map((b, i) => {
    const rho = state.blindings[i];
    const t = state.nonces[i];
    const [cSim, sSim] = state.simulated[i];
    const cReal = mod(challenge - cSim);
    const sReal = mod(t + cReal * rho);
    return b === 0n ? [cReal, sReal, sSim] : [cSim, sSim, sReal];
  });
  return { bitCommitments: state.bitCommitments, responses };
}

/** C_1 ‖ … ‖ C_{n−1} ‖ c_{0,0} ‖ s_{0,0} ‖ s_{0,1} ‖ … */
export function rangeProofToBytes(proof) {
  return concat(...proof.bitCommitments, ...proof.responses.flat().map(scalarToBytes));
}

/** Decode a range proof of n bits; scalars < r (points are checked on use). BBSError. */
export function rangeProofFromBytes(bytes, n) {
  if (!(n >= 1 && n <= MAX_RANGE_BITS) || bytes.length !== rangeSize(n)) {
    throw new BBSError('wrong length for a range proof');
  }
  const cut = OCTET_POINT_LENGTH * (n - 1);
  const bitCommitments = [];
  for (let o = 0; o < cut; o += OCTET_POINT_LENGTH) bitCommitments.push(bytes.slice(o, o + OCTET_POINT_LENGTH));
  const scalars = [];
  for (let o = cut; o < bytes.length; o += OCTET_SCALAR_LENGTH) {
    const s = os2ip(bytes.subarray(o, o + OCTET_SCALAR_LENGTH));
    if (s >= ORDER) throw new BBSError('non-canonical scalar in a range proof');
    scalars.push(s);
  }
  const responses = [];
  for (let i = 0; i < n; i++) responses.push([scalars[3 * i], scalars[3 * i + 1], scalars[3 * i + 2]]);
  return { bitCommitments, responses };
}

/**
 * Recompute the announcement from the proof and c (the caller then checks c).
 * BBSError for a malformed proof (bit count, a point that does not decode or is the identity).
 */
export function rangeVerifyAnnouncement(gens, commitment, lo, hi, proof, challenge) {
  const weights = rangeBits(lo, hi);
  const n = weights.length;
  if (proof.bitCommitments.length !== n - 1 || proof.responses.length !== n) {
    throw new BBSError('range proof has the wrong number of bits');
  }
  const points = proof.bitCommitments.map((enc) => {
    const p = g1FromBytes(enc);
    if (p.is0()) throw new BBSError('identity bit commitment in a range proof');
    return p;
  });
  const { g, h } = gens;
  const c0 = commitment
    .add(msmPublic([g], [mod(-lo)]))
    .subtract(points.length ? msmPublic(points, weights.slice(1)) : G1.ZERO);
  const announcements = [c0, ...points].map((ci, i) => {
    const [cc0, s0, s1] = proof.responses[i];
    const c1 = mod(challenge - cc0);
    const a0 = msmPublic([h, ci], [s0, mod(-cc0)]);
    const a1 = msmPublic([h, g, ci], [s1, c1, mod(-c1)]);
    return [g1ToBytes(a0), g1ToBytes(a1)];
  });
  return { bitCommitments: proof.bitCommitments, announcements };
}

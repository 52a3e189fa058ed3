/**
 * Disjunctive (CDS) proof that a ciphertext encrypts one of lower..upper
 * (docs/crypto.md §4.3), as crypto/proofs/range.py.
 *
 * With R = upper − lower and β* = β − lower·G, it proves the OR over j = 0..R of
 * "(α, β* − j·G) encrypts 0". Proof (c_j, v_j), j = 0..R, encoded
 * c_0 ‖ v_0 ‖ … ‖ c_R ‖ v_R (64·(R+1) bytes).
 *
 *     S = T ‖ item("proof","range") ‖ item("K",K) ‖ item("alpha",α) ‖ item("beta",β)
 *           ‖ item("lower",u64) ‖ item("upper",u64)
 *     verify: K ≠ O; R+1 branches; a_j = v_j·G + c_j·α, b_j = v_j·K + c_j·β*_j;
 *             Σ c_j = challenge "c" of S ‖ (item("a",a_j) ‖ item("b",b_j))_j
 *
 * The prover does one real and R simulated branches whatever the value, and
 * draws its nonces n_0 … n_{2R} from S with witness r ‖ u64_be(m) (§3.1):
 * w = n_0, the s-th simulated branch takes (c, v) = (n_{2s+1}, n_{2s+2}).
 */

import { InvalidEncoding, InvalidProof } from './errors.js';
import { concat, u64be, utf8 } from './bytes.js';
import {
  GENERATOR,
  mul,
  mulPublic,
  pointToBytes,
  randomBytes,
  scalarAdd,
  scalarFromBytes,
  scalarFromInt,
  scalarMul,
  scalarSub,
  scalarToBytes,
} from './group.js';

/** Upper limit on R + 1 (a hostile statement cannot make verification unbounded). */
export const MAX_BRANCHES = 1024;
const RANGE = utf8('range');

/** A range proof value: frozen {challenges, responses}, one of each per branch. */
export function rangeProof(challenges, responses) {
  if (challenges.length !== responses.length || challenges.length === 0) {
    throw new RangeError('a range proof has one challenge and one response per branch');
  }
  return Object.freeze({
    challenges: Object.freeze([...challenges]),
    responses: Object.freeze([...responses]),
  });
}

/** c_0 ‖ v_0 ‖ … ‖ c_R ‖ v_R */
export function rangeProofToBytes(proof) {
  const parts = [];
  for (let j = 0; j < proof.challenges.length; j++) {
    parts.push(scalarToBytes(proof.challenges[j]), scalarToBytes(proof.responses[j]));
  }
  return concat(...parts);
}

/** Decode a proof of `branches` = R + 1 branches; every scalar canonical. */
export function rangeProofFromBytes(bytes, branches) {
  if (!Number.isInteger(branches) || branches < 1 || branches > MAX_BRANCHES) {
    throw new InvalidEncoding('wrong number of branches for a range proof');
  }
  if (!(bytes instanceof Uint8Array) || bytes.length !== 64 * branches) {
    throw new InvalidEncoding('wrong length for a range proof');
  }
  const challenges = [];
  const responses = [];
  for (let i = 0; i < bytes.length; i += 64) {
    challenges.push(scalarFromBytes(bytes.subarray(i, i + 32)));
    responses.push(scalarFromBytes(bytes.subarray(i + 32, i + 64)));
  }
  return rangeProof(challenges, responses);
}

function checkBounds(lower, upper) {
  if (
    !Number.isSafeInteger(lower) ||
    !Number.isSafeInteger(upper) ||
    lower < 0 ||
    lower > upper ||
    upper - lower + 1 > MAX_BRANCHES
  ) {
    throw new RangeError(`need 0 ≤ lower ≤ upper and at most ${MAX_BRANCHES} branches`);
  }
}

function statement(transcript, publicKey, ct, lower, upper) {
  return transcript.extend([
    ['proof', RANGE],
    ['K', pointToBytes(publicKey)],
    ['alpha', pointToBytes(ct.alpha)],
    ['beta', pointToBytes(ct.beta)],
    ['lower', u64be(lower)],
    ['upper', u64be(upper)],
  ]);
}

/**
 * Prove that `ct` = Enc_K(value; nonce) with lower ≤ value ≤ upper (§4.3).
 * The caller guarantees the ciphertext; the proof would not verify otherwise.
 */
export function proveRange(
  publicKey,
  ct,
  value,
  nonce,
  lower,
  upper,
  transcript,
  rng = randomBytes,
) {
  checkBounds(lower, upper);
  if (!Number.isSafeInteger(value) || value < lower || value > upper) {
    throw new RangeError('the value is outside the range it is to be proven in');
  }
  const branches = upper - lower + 1;
  const real = value - lower;
  const s = statement(transcript, publicKey, ct, lower, upper);
  const witness = concat(scalarToBytes(nonce), u64be(value));
  const randomness = s.nonces(2 * branches - 1, witness, rng);
  const w = randomness[0];
  const challenges = [];
  const responses = [];
  const commitments = [];
  for (let j = 0; j < branches; j++) {
    let a;
    let b;
    if (j === real) {
      a = mul(w, GENERATOR);
      b = mul(w, publicKey);
      challenges.push(0n); // set once the challenge is known
      responses.push(0n);
    } else {
      const index = 1 + 2 * (j < real ? j : j - 1);
      const c = randomness[index];
      const v = randomness[index + 1];
      const u = scalarAdd(v, scalarMul(c, nonce));
      const e = scalarMul(c, scalarFromInt(real - j));
      a = mul(u, GENERATOR);
      b = mul(u, publicKey).add(mul(e, GENERATOR));
      challenges.push(c);
      responses.push(v);
    }
    commitments.push(['a', pointToBytes(a)], ['b', pointToBytes(b)]);
  }
  let cReal = s.extend(commitments).challenge('c');
  for (let j = 0; j < branches; j++) if (j !== real) cReal = scalarSub(cReal, challenges[j]);
  challenges[real] = cReal;
  responses[real] = scalarSub(w, scalarMul(cReal, nonce));
  return rangeProof(challenges, responses);
}

/** Accept, or throw InvalidProof (§4.3 steps 0–4). */
export function verifyRange(publicKey, ct, lower, upper, proof, transcript) {
  checkBounds(lower, upper);
  if (publicKey.is0()) throw new InvalidProof('the public key is the identity'); // step 0
  const branches = upper - lower + 1;
  if (proof.challenges.length !== branches || proof.responses.length !== branches) {
    throw new InvalidProof('the proof has the wrong number of branches'); // step 1
  }
  const alpha = ct.alpha;
  // step 2: β* = β − lower·G
  let shifted =
    lower === 0 ? ct.beta : ct.beta.subtract(mulPublic(scalarFromInt(lower), GENERATOR));
  const commitments = [];
  let total = 0n;
  for (let j = 0; j < branches; j++) {
    // step 3
    const c = proof.challenges[j];
    const v = proof.responses[j];
    if (j > 0) shifted = shifted.subtract(GENERATOR); // β* − j·G
    const a = mulPublic(v, GENERATOR).add(mulPublic(c, alpha));
    const b = mulPublic(v, publicKey).add(mulPublic(c, shifted));
    commitments.push(['a', pointToBytes(a)], ['b', pointToBytes(b)]);
    total = scalarAdd(total, c);
  }
  const s = statement(transcript, publicKey, ct, lower, upper);
  if (s.extend(commitments).challenge('c') !== total) {
    throw new InvalidProof('range proof does not verify'); // step 4
  }
}

/**
 * An encrypted contest (docs/crypto.md §4.5), as crypto/contest.py: one ciphertext
 * per option, each proven in 0..option_limit, and a proof that their homomorphic
 * sum lies in minimum..maximum (no placeholder selections).
 *
 *     T_c = start("pnyx/contest/v1", context, prover)
 *           ‖ item("contest", id) ‖ item("options", u64 n) ‖ item("option-limit", u64)
 *           ‖ item("minimum", u64) ‖ item("maximum", u64)
 *           ‖ item("ciphertext", α_1 ‖ β_1) ‖ … ‖ item("ciphertext", α_n ‖ β_n)
 *     option i proof: T_c ‖ item("option", u64 i), §4.3 in 0..option_limit
 *     sum proof:      T_c ‖ item("sum", ""),       §4.3 in minimum..maximum
 *
 * Encoding: ct_1 ‖ … ‖ ct_n ‖ proof_1 ‖ … ‖ proof_n ‖ sum proof.
 * Randomness (§8): one `randomScalar` per option in order, then one ρ per option
 * proof, then one for the sum proof.
 */

import { InvalidEncoding, InvalidProof } from './errors.js';
import { concat, u64be, utf8 } from './bytes.js';
import {
  GENERATOR,
  IDENTITY,
  mul,
  randomBytes,
  randomScalar,
  scalarAdd,
} from './group.js';
import {
  CIPHERTEXT_LENGTH,
  ciphertext,
  ciphertextFromBytes,
  ciphertextToBytes,
  encryptPoint,
  sumCiphertexts,
} from './elgamal.js';
import {
  MAX_BRANCHES,
  proveRange,
  rangeProofFromBytes,
  rangeProofToBytes,
  verifyRange,
} from './range.js';
import { Transcript } from './transcript.js';

const PROTOCOL = utf8('pnyx/contest/v1');
const EMPTY = new Uint8Array(0);

const isCount = (x, lo, hi) => Number.isSafeInteger(x) && x >= lo && x <= hi;

/**
 * The public rules of a contest (crypto/contest.py ContestShape): `contestId`
 * (bytes), `options` n (1..1024), each selection in 0..`optionLimit`, the sum in
 * `minimum`..`maximum`. Returns a frozen object with `encodedLength`.
 */
export function contestShape({ contestId, options, minimum, maximum, optionLimit = 1 }) {
  const id = typeof contestId === 'string' ? utf8(contestId) : contestId;
  if (!(id instanceof Uint8Array)) throw new TypeError('the contest id is bytes or a string');
  if (!isCount(options, 1, 1024)) throw new RangeError('a contest has 1 to 1024 options');
  if (!isCount(optionLimit, 1, MAX_BRANCHES - 1)) {
    throw new RangeError(`the option limit is in 1..${MAX_BRANCHES - 1}`);
  }
  if (!isCount(minimum, 0, Infinity) || !isCount(maximum, minimum, options * optionLimit)) {
    throw new RangeError('need 0 ≤ minimum ≤ maximum ≤ options × option_limit');
  }
  if (maximum - minimum + 1 > MAX_BRANCHES) {
    throw new RangeError(`the sum range has at most ${MAX_BRANCHES} values`);
  }
  const encodedLength =
    options * (CIPHERTEXT_LENGTH + 64 * (optionLimit + 1)) + 64 * (maximum - minimum + 1);
  return Object.freeze({ contestId: id, options, minimum, maximum, optionLimit, encodedLength });
}

/** ciphertexts ‖ option proofs ‖ sum proof */
export function contestToBytes(contest) {
  return concat(
    ...contest.ciphertexts.map(ciphertextToBytes),
    ...contest.optionProofs.map(rangeProofToBytes),
    rangeProofToBytes(contest.sumProof),
  );
}

/** Decode a contest of `shape`; every point and scalar validated (InvalidEncoding). */
export function contestFromBytes(bytes, shape) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== shape.encodedLength) {
    throw new InvalidEncoding('wrong length for an encrypted contest of this shape');
  }
  const n = shape.options;
  const ciphertexts = [];
  for (let i = 0; i < n; i++) {
    ciphertexts.push(ciphertextFromBytes(bytes.subarray(64 * i, 64 * i + 64)));
  }
  let offset = 64 * n;
  const size = 64 * (shape.optionLimit + 1);
  const optionProofs = [];
  for (let i = 0; i < n; i++) {
    const proof = bytes.subarray(offset, offset + size);
    optionProofs.push(rangeProofFromBytes(proof, shape.optionLimit + 1));
    offset += size;
  }
  const sumProof = rangeProofFromBytes(bytes.subarray(offset), shape.maximum - shape.minimum + 1);
  return Object.freeze({
    ciphertexts: Object.freeze(ciphertexts),
    optionProofs: Object.freeze(optionProofs),
    sumProof,
  });
}

/** T_c: the transcript every proof of the contest forks (§4.5). */
export function contestTranscript(shape, ciphertexts, context, prover) {
  const items = [
    ['contest', shape.contestId],
    ['options', u64be(shape.options)],
    ['option-limit', u64be(shape.optionLimit)],
    ['minimum', u64be(shape.minimum)],
    ['maximum', u64be(shape.maximum)],
  ];
  for (const ct of ciphertexts) items.push(['ciphertext', ciphertextToBytes(ct)]);
  return Transcript.start(PROTOCOL, { context, prover }).extend(items);
}

/**
 * Encrypt and prove a contest under `publicKey`, bound to `context` (32 bytes)
 * and `prover` (the voter's pseudonym, bytes). Returns {contest, nonces}: the
 * option nonces stay with the voter unless the ballot is challenged (§4.5).
 */
export function encryptContest(
  publicKey,
  shape,
  selections,
  { context, prover, rng = randomBytes },
) {
  if (!Array.isArray(selections) || selections.length !== shape.options) {
    throw new RangeError('one selection per option');
  }
  let total = 0;
  for (const s of selections) {
    if (!isCount(s, 0, shape.optionLimit)) {
      throw new RangeError('a selection is outside 0..option_limit');
    }
    total += s;
  }
  if (total < shape.minimum || total > shape.maximum) {
    throw new RangeError("the selections do not satisfy the contest's limits");
  }
  // Plaintext points from a table, so the work does not depend on the selection (§6).
  const table = [IDENTITY, GENERATOR];
  for (let m = 2; m <= shape.optionLimit; m++) table.push(table[m - 1].add(GENERATOR));
  const nonces = selections.map(() => randomScalar(rng));
  const ciphertexts = selections.map((s, i) => encryptPoint(publicKey, table[s], nonces[i]));
  const transcript = contestTranscript(shape, ciphertexts, context, prover);
  const optionProofs = ciphertexts.map((ct, i) => {
    const t = transcript.appendInt('option', i);
    return proveRange(publicKey, ct, selections[i], nonces[i], 0, shape.optionLimit, t, rng);
  });
  let totalNonce = nonces[0];
  for (const r of nonces.slice(1)) totalNonce = scalarAdd(totalNonce, r);
  // A = (Σ r_i)·G: one fixed-base multiplication; B is summed.
  let totalBeta = ciphertexts[0].beta;
  for (const ct of ciphertexts.slice(1)) totalBeta = totalBeta.add(ct.beta);
  const sumProof = proveRange(
    publicKey,
    ciphertext(mul(totalNonce, GENERATOR), totalBeta),
    total,
    totalNonce,
    shape.minimum,
    shape.maximum,
    transcript.append('sum', EMPTY),
    rng,
  );
  const contest = Object.freeze({
    ciphertexts: Object.freeze(ciphertexts),
    optionProofs: Object.freeze(optionProofs),
    sumProof,
  });
  return { contest, nonces };
}

/** Accept an encrypted contest or throw InvalidProof (§4.5 steps 1–4). */
export function verifyContest(publicKey, shape, contest, { context, prover }) {
  const n = shape.options;
  if (contest.ciphertexts.length !== n || contest.optionProofs.length !== n) {
    throw new InvalidProof('the contest has the wrong number of options'); // step 1
  }
  if (contest.ciphertexts.some((c) => c.alpha.is0() || c.beta.is0())) {
    throw new InvalidProof('a ciphertext contains the identity');
  }
  const transcript = contestTranscript(shape, contest.ciphertexts, context, prover);
  contest.ciphertexts.forEach((ct, i) => {
    // step 2
    const t = transcript.appendInt('option', i);
    verifyRange(publicKey, ct, 0, shape.optionLimit, contest.optionProofs[i], t);
  });
  const total = sumCiphertexts(contest.ciphertexts); // step 3
  const t = transcript.append('sum', EMPTY);
  verifyRange(publicKey, total, shape.minimum, shape.maximum, contest.sumProof, t); // step 4
}

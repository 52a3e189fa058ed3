/**
 * Schnorr proof of knowledge of a discrete logarithm (docs/crypto.md §4.1), as
 * crypto/proofs/schnorr.py. Statement X = x·G, X ≠ O; proof (c, z), 64 bytes c ‖ z.
 *
 *     prove:  k = nonce_0 of T ‖ item("X", X), witness x;  R = k·G
 *             c = challenge "c" of T ‖ item("proof","schnorr") ‖ item("X",X) ‖ item("R",R)
 *             z = k + c·x
 *     verify: R' = z·G − c·X;  accept iff c = challenge of the same with R'
 */

import { InvalidEncoding, InvalidProof } from './errors.js';
import { concat, utf8 } from './bytes.js';
import {
  GENERATOR,
  mul,
  mulPublic,
  randomBytes,
  scalarAdd,
  scalarFromBytes,
  scalarMul,
  scalarToBytes,
} from './group.js';

const SCHNORR = utf8('schnorr');

/** Decode c ‖ z (64 bytes, canonical scalars) to {challenge, response}. */
export function schnorrProofFromBytes(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 64) {
    throw new InvalidEncoding('a Schnorr proof is exactly 64 bytes');
  }
  return Object.freeze({
    challenge: scalarFromBytes(bytes.subarray(0, 32)),
    response: scalarFromBytes(bytes.subarray(32)),
  });
}

/** c ‖ z */
export function schnorrProofToBytes(proof) {
  return concat(scalarToBytes(proof.challenge), scalarToBytes(proof.response));
}

function challengeOf(transcript, pub, commitment) {
  return transcript
    .append('proof', SCHNORR)
    .appendPoint('X', pub)
    .appendPoint('R', commitment)
    .challenge('c');
}

/** Prove knowledge of x for X = x·G; returns {public: X, proof} (§4.1). */
export function proveKnowledge(secret, transcript, rng = randomBytes) {
  const pub = mul(secret, GENERATOR);
  const [nonce] = transcript.appendPoint('X', pub).nonces(1, scalarToBytes(secret), rng);
  const challenge = challengeOf(transcript, pub, mul(nonce, GENERATOR));
  const response = scalarAdd(nonce, scalarMul(challenge, secret));
  return { public: pub, proof: Object.freeze({ challenge, response }) };
}

/** Accept, or throw InvalidProof (§4.1 steps 1–2). */
export function verifyKnowledge(pub, proof, transcript) {
  if (pub.is0()) throw new InvalidProof('the statement X is the identity');
  const commitment = mulPublic(proof.response, GENERATOR).subtract(mulPublic(proof.challenge, pub));
  if (challengeOf(transcript, pub, commitment) !== proof.challenge) {
    throw new InvalidProof('Schnorr proof does not verify');
  }
}

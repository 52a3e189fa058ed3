/**
 * Chaum–Pedersen proof of equal discrete logarithms (docs/crypto.md §4.2) and
 * the decryption share built on it (§4.4), as crypto/proofs/dleq.py and
 * crypto/proofs/decryption.py. Proof (c, z), 64 bytes c ‖ z.
 *
 *     S = T ‖ item("proof","dleq") ‖ item("G1") ‖ item("H1") ‖ item("G2") ‖ item("H2")
 *     prove:  k = nonce_0 of S, witness x;  A_i = k·G_i;  c = challenge "c" of S ‖ A1 ‖ A2
 *     verify: A_i' = z·G_i − c·H_i;  accept iff c = challenge of S ‖ A1' ‖ A2'
 *
 * Decryption share: D = x·α proven with G1 = G, H1 = K, G2 = α, H2 = D on
 * T ‖ item("proof","decryption-share") ‖ item("alpha",α) ‖ item("beta",β).
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
  scalarFromInt,
  scalarMul,
  scalarToBytes,
} from './group.js';

const DLEQ = utf8('dleq');
const DECRYPTION_SHARE = utf8('decryption-share');

/** Decode c ‖ z (64 bytes, canonical scalars) to {challenge, response}. */
export function dleqProofFromBytes(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 64) {
    throw new InvalidEncoding('a DLEQ proof is exactly 64 bytes');
  }
  return Object.freeze({
    challenge: scalarFromBytes(bytes.subarray(0, 32)),
    response: scalarFromBytes(bytes.subarray(32)),
  });
}

/** c ‖ z */
export function dleqProofToBytes(proof) {
  return concat(scalarToBytes(proof.challenge), scalarToBytes(proof.response));
}

function statement(transcript, g1, h1, g2, h2) {
  return transcript
    .append('proof', DLEQ)
    .appendPoint('G1', g1)
    .appendPoint('H1', h1)
    .appendPoint('G2', g2)
    .appendPoint('H2', h2);
}

/** Prove log_G1 H1 = log_G2 H2 = x; returns {h1, h2, proof} (§4.2). */
export function proveDleq(secret, g1, g2, transcript, rng = randomBytes) {
  const h1 = mul(secret, g1);
  const h2 = mul(secret, g2);
  const s = statement(transcript, g1, h1, g2, h2);
  const [nonce] = s.nonces(1, scalarToBytes(secret), rng);
  const challenge = s
    .appendPoint('A1', mul(nonce, g1))
    .appendPoint('A2', mul(nonce, g2))
    .challenge('c');
  const response = scalarAdd(nonce, scalarMul(challenge, secret));
  return { h1, h2, proof: Object.freeze({ challenge, response }) };
}

/** Accept, or throw InvalidProof (§4.2 steps 1–3). */
export function verifyDleq(g1, h1, g2, h2, proof, transcript) {
  if (g1.is0() || g2.is0()) throw new InvalidProof('a DLEQ base is the identity');
  const a1 = mulPublic(proof.response, g1).subtract(mulPublic(proof.challenge, h1));
  const a2 = mulPublic(proof.response, g2).subtract(mulPublic(proof.challenge, h2));
  const expected = statement(transcript, g1, h1, g2, h2)
    .appendPoint('A1', a1)
    .appendPoint('A2', a2)
    .challenge('c');
  if (expected !== proof.challenge) throw new InvalidProof('DLEQ proof does not verify');
}

function bind(transcript, ct) {
  return transcript
    .append('proof', DECRYPTION_SHARE)
    .appendPoint('alpha', ct.alpha)
    .appendPoint('beta', ct.beta);
}

/** D = x·α with its proof; returns {share, proof} (§4.4). */
export function proveDecryptionShare(secret, ct, transcript, rng = randomBytes) {
  const { h2, proof } = proveDleq(secret, GENERATOR, ct.alpha, bind(transcript, ct), rng);
  return { share: h2, proof };
}

/** Accept D as x·α for the x behind `pub`, or throw InvalidProof (§4.4). */
export function verifyDecryptionShare(pub, ct, share, proof, transcript) {
  if (ct.alpha.is0()) {
    throw new InvalidProof('cannot prove a decryption of a ciphertext with α = O');
  }
  verifyDleq(GENERATOR, pub, ct.alpha, share, proof, bind(transcript, ct));
}

/** Accept that `ct` decrypts to `plaintext` under `pub`: D = β − m·G, then as above (§4.4). */
export function verifyDecryption(pub, ct, plaintext, proof, transcript) {
  const integer = typeof plaintext === 'bigint' || Number.isSafeInteger(plaintext);
  const m = integer ? BigInt(plaintext) : -1n;
  if (m < 0n || m >= 2n ** 64n) throw new InvalidProof('plaintext out of range');
  const share = ct.beta.subtract(mulPublic(scalarFromInt(m), GENERATOR));
  verifyDecryptionShare(pub, ct, share, proof, transcript);
}

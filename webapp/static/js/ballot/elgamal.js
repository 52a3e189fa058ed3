/**
 * Exponential ElGamal over ristretto255 (docs/crypto.md §3.2–3.3), as crypto/elgamal.py.
 *
 *     Enc_K(m; r) = (α, β) = (r·G, m·G + r·K)          encoded α ‖ β, 64 bytes
 *     (α, β) + (α', β') = (α + α', β + β')              encrypts m + m' under r + r'
 *     Dec_x(α, β) = β − x·α = m·G
 *
 * A released nonce r lets anyone check that a ciphertext encrypts a claimed m
 * (the Benaloh challenge of a spoiled ballot): `verifyNonce`.
 */

import { InvalidEncoding } from './errors.js';
import { concat } from './bytes.js';
import {
  GENERATOR,
  IDENTITY,
  mul,
  mulPublic,
  pointFromBytes,
  pointToBytes,
  randomBytes,
  randomScalar,
  scalarFromInt,
} from './group.js';

/** Bytes of an encoded ciphertext. */
export const CIPHERTEXT_LENGTH = 64;
const MAX_MESSAGE = 2n ** 64n;

/** A ciphertext value: frozen {alpha, beta}. */
export function ciphertext(alpha, beta) {
  return Object.freeze({ alpha, beta });
}

/** (O, O): the neutral element of homomorphic addition; it has no encoding. */
export const ZERO_CIPHERTEXT = ciphertext(IDENTITY, IDENTITY);

/** Decode α ‖ β; both must be valid non-identity points (§2.2). */
export function ciphertextFromBytes(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== CIPHERTEXT_LENGTH) {
    throw new InvalidEncoding('a ciphertext is exactly 64 bytes');
  }
  return ciphertext(pointFromBytes(bytes.subarray(0, 32)), pointFromBytes(bytes.subarray(32)));
}

/** α ‖ β */
export function ciphertextToBytes(ct) {
  return concat(pointToBytes(ct.alpha), pointToBytes(ct.beta));
}

/** (α + α', β + β') */
export function addCiphertexts(a, b) {
  return ciphertext(a.alpha.add(b.alpha), a.beta.add(b.beta));
}

/** The homomorphic sum Σ (α_i, β_i); (O, O) for none (§3.3). */
export function sumCiphertexts(list) {
  let total = null;
  for (const ct of list) total = total === null ? ct : addCiphertexts(total, ct);
  return total === null ? ZERO_CIPHERTEXT : total;
}

/**
 * (r·G, M + r·K) for a plaintext already mapped to the point M = m·G. The contest
 * encryptor takes M from a table (O, G, …) so the work does not depend on m (§6).
 */
export function encryptPoint(publicKey, message, nonce) {
  return ciphertext(mul(nonce, GENERATOR), message.add(mul(nonce, publicKey)));
}

function checkMessage(m) {
  const v = BigInt(m);
  if (v < 0n || v >= MAX_MESSAGE) throw new RangeError('plaintexts are integers in [0, 2**64)');
  return v;
}

/** Enc_K(m; r) with a fresh nonce r; returns [ciphertext, r] (§3.2). Keep r secret. */
export function encrypt(publicKey, message, rng = randomBytes) {
  const m = checkMessage(message);
  const nonce = randomScalar(rng);
  return [encryptPoint(publicKey, mul(scalarFromInt(m), GENERATOR), nonce), nonce];
}

/** Whether `ct` = Enc_K(m; r): α = r·G and β = m·G + r·K (§3.2, the re-encryption check). */
export function verifyNonce(publicKey, ct, message, nonce) {
  let m;
  try {
    m = checkMessage(message);
  } catch {
    return false;
  }
  const alpha = mulPublic(nonce, GENERATOR);
  const beta = mulPublic(scalarFromInt(m), GENERATOR).add(mulPublic(nonce, publicKey));
  return alpha.equals(ct.alpha) && beta.equals(ct.beta);
}

/** M = β − x·α = m·G (§3.2). */
export function decryptToPoint(secretKey, ct) {
  return ct.beta.subtract(mul(secretKey, ct.alpha));
}

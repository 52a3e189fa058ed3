// The BBS signatures interface (draft-irtf-cfrg-bbs-signatures-09 §3.3–§3.5),
// api_id = ciphersuite_id || "H2G_HM2S_", as crypto/bbs/interface.py:
//
//   keygen(suite, keyMaterial, keyInfo?, keyDst?) -> 32-byte SK        §3.3.1
//   skToPk(sk) -> 96-byte PK                                          §3.3.2
//   sign(suite, sk, pk, header, messages) -> 80-byte signature        §3.5.1
//   verify(suite, pk, signature, header, messages) -> boolean         §3.5.2
//   proofGen(suite, pk, signature, header, ph, messages, disclosedIndexes, randomScalars?)
//       -> 272 + 32·U bytes                                           §3.5.3
//   proofVerify(suite, pk, proof, header, ph, disclosedMessages, disclosedIndexes) -> boolean  §3.5.4
//
// and the same over messages already mapped to scalars (bigints in [0, r)):
// signScalars, verifyScalars, proofGenScalars, proofVerifyScalars.
//
// Bytes are Uint8Array, scalars bigint, indexes 0-based and strictly
// ascending. verify* return false, never throw, for anything invalid or
// malformed; keygen, skToPk, sign* and proofGen* throw BBSError.

import {
  coreProofGen,
  coreProofVerify,
  coreSign,
  coreVerify,
} from './core.js';
import {
  BBSError,
  G2,
  OCTET_SCALAR_LENGTH,
  ORDER,
  PROOF_FLOOR,
  apiId,
  asBytes,
  calculateRandomScalars,
  concat,
  createGenerators,
  hashToScalar,
  i2osp,
  messagesToScalars as suiteMessagesToScalars,
  octetsToPubkey,
  os2ip,
  utf8,
} from './suite.js';

function scalarList(xs) {
  if (!Array.isArray(xs)) throw new BBSError('scalars must be an array');
  for (const x of xs) {
    if (typeof x !== 'bigint' || x < 0n || x >= ORDER) {
      throw new BBSError('message scalars must be bigints in [0, r)');
    }
  }
  return xs;
}

function indexList(xs) {
  if (!Array.isArray(xs) || xs.some((x) => !Number.isInteger(x))) {
    throw new BBSError('indexes must be an array of integers');
  }
  return xs;
}

/** A 32-byte secret key as a bigint in (0, r); BBSError otherwise. */
export function decodeSecretKey(sk) {
  asBytes(sk, 'a secret key');
  if (sk.length !== OCTET_SCALAR_LENGTH) throw new BBSError('a secret key is 32 bytes');
  const x = os2ip(sk);
  if (!(x > 0n && x < ORDER)) throw new BBSError('secret key out of range (0, r)');
  return x;
}

/**
 * KeyGen (§3.3.1): SK = hash_to_scalar(key_material || I2OSP(len(key_info), 2) || key_info,
 * key_dst), key_dst defaulting to api_id || "KEYGEN_DST_"; key_material ≥ 32 bytes.
 */
export function keygen(suite, keyMaterial, keyInfo = new Uint8Array(0), keyDst = null) {
  asBytes(keyMaterial, 'key_material');
  asBytes(keyInfo, 'key_info');
  if (keyMaterial.length < 32) throw new BBSError('key_material must be at least 32 bytes');
  if (keyInfo.length > 65535) throw new BBSError('key_info longer than 65535 bytes');
  const dst = keyDst === null ? concat(apiId(suite), utf8('KEYGEN_DST_')) : asBytes(keyDst, 'key_dst');
  const sk = hashToScalar(suite, concat(keyMaterial, i2osp(keyInfo.length, 2), keyInfo), dst);
  if (sk === 0n) throw new BBSError('KeyGen produced SK = 0');
  return i2osp(sk, OCTET_SCALAR_LENGTH);
}

/** SkToPk (§3.3.2): W = SK·BP2, compressed (96 bytes). */
export function skToPk(sk) {
  return G2.BASE.multiply(decodeSecretKey(sk)).toBytes(true);
}

/** messages_to_scalars(messages, api_id) of the BBS interface (§4.2.1). */
export function messagesToScalars(suite, messages) {
  return suiteMessagesToScalars(suite, messages, apiId(suite));
}

/** Sign (§3.5.1) over octet-string messages. BBSError. */
export function sign(suite, sk, pk, header = new Uint8Array(0), messages = []) {
  return signScalars(suite, sk, pk, header, messagesToScalars(suite, messages));
}

/** Verify (§3.5.2). False for anything invalid or malformed. */
export function verify(suite, pk, signature, header = new Uint8Array(0), messages = []) {
  try {
    return verifyScalars(suite, pk, signature, header, messagesToScalars(suite, messages));
  } catch {
    return false;
  }
}

/** ProofGen (§3.5.3). BBSError. */
export function proofGen(
  suite,
  pk,
  signature,
  header = new Uint8Array(0),
  ph = new Uint8Array(0),
  messages = [],
  disclosedIndexes = [],
  randomScalars = calculateRandomScalars,
) {
  return proofGenScalars(
    suite,
    pk,
    signature,
    header,
    ph,
    messagesToScalars(suite, messages),
    disclosedIndexes,
    randomScalars,
  );
}

/** ProofVerify (§3.5.4). False for anything invalid or malformed. */
export function proofVerify(
  suite,
  pk,
  proof,
  header = new Uint8Array(0),
  ph = new Uint8Array(0),
  disclosedMessages = [],
  disclosedIndexes = [],
) {
  try {
    return proofVerifyScalars(
      suite,
      pk,
      proof,
      header,
      ph,
      messagesToScalars(suite, disclosedMessages),
      disclosedIndexes,
    );
  } catch {
    return false;
  }
}

/** Sign over message scalars. BBSError. The public key is validated, not checked against SK. */
export function signScalars(suite, sk, pk, header, scalars) {
  const x = decodeSecretKey(sk);
  asBytes(pk, 'a public key');
  asBytes(header, 'the header');
  scalarList(scalars);
  octetsToPubkey(pk);
  const api = apiId(suite);
  const generators = createGenerators(suite, scalars.length + 1, api);
  return coreSign(suite, x, pk, generators, header, scalars, api);
}

/** Verify over message scalars. False for anything invalid. */
export function verifyScalars(suite, pk, signature, header, scalars) {
  try {
    asBytes(pk, 'a public key');
    asBytes(signature, 'a signature');
    asBytes(header, 'the header');
    scalarList(scalars);
    const api = apiId(suite);
    const generators = createGenerators(suite, scalars.length + 1, api);
    return coreVerify(suite, pk, signature, generators, header, scalars, api);
  } catch {
    return false;
  }
}

/** ProofGen over message scalars. BBSError. */
export function proofGenScalars(
  suite,
  pk,
  signature,
  header,
  ph,
  scalars,
  disclosedIndexes,
  randomScalars = calculateRandomScalars,
) {
  asBytes(pk, 'a public key');
  asBytes(signature, 'a signature');
  asBytes(header, 'the header');
  asBytes(ph, 'the presentation header');
  scalarList(scalars);
  indexList(disclosedIndexes);
  if (disclosedIndexes.length > scalars.length) throw new BBSError('more disclosed indexes than messages');
  octetsToPubkey(pk);
  const api = apiId(suite);
  const generators = createGenerators(suite, scalars.length + 1, api);
  return coreProofGen(suite, pk, signature, generators, header, ph, scalars, disclosedIndexes, api, randomScalars);
}

/** ProofVerify over disclosed scalars; L = U + R with U from the proof's length. False if invalid. */
export function proofVerifyScalars(suite, pk, proof, header, ph, disclosedScalars, disclosedIndexes) {
  try {
    asBytes(pk, 'a public key');
    asBytes(proof, 'a proof');
    asBytes(header, 'the header');
    asBytes(ph, 'the presentation header');
    scalarList(disclosedScalars);
    indexList(disclosedIndexes);
    if (proof.length < PROOF_FLOOR || (proof.length - PROOF_FLOOR) % OCTET_SCALAR_LENGTH) return false;
    const u = (proof.length - PROOF_FLOOR) / OCTET_SCALAR_LENGTH;
    if (u > 1024 || disclosedScalars.length !== disclosedIndexes.length) return false;
    const api = apiId(suite);
    const generators = createGenerators(suite, u + disclosedIndexes.length + 1, api);
    return coreProofVerify(suite, pk, proof, generators, header, ph, disclosedScalars, disclosedIndexes, api);
  } catch {
    return false;
  }
}

// Blind BBS signatures (draft-irtf-cfrg-bbs-blind-signatures, the -02 era text the
// published fixtures pin), as crypto/bbs/blind.py; docs/credentials.md
// "Cryptography" §1.
//
// The Prover commits to messages the Signer must not see:
//   (secret_prover_blind, s~, m~_1..m~_M) = random_scalars(M + 2);
//   C = Q_2·secret_prover_blind + Σ J_i·msg_i;  Cbar = Q_2·s~ + Σ J_i·m~_i;
//   c = hash_to_scalar(serialize((M, Q_2, J_1..J_M, C, Cbar)), api_id || "H2S_");
//   commitment_with_proof = C || s~ + blind·c || (m~_i + msg_i·c)… || c.
// The Signer checks it and signs B = P1 + Q_1·domain + Σ H_i·msg_i + C with
// domain over (H_1..H_L, Q_2, J_1..J_M) and e = hash_to_scalar(serialize((SK, B)), …);
// the Prover then holds a BBS signature over (Q_1, H.., Q_2, J..) and
// (msgs, secret_prover_blind, committed), verified and proved with the core,
// committed message j at index L + 1 + j.
//
// api_id = ciphersuite_id || "BLIND_H2G_HM2S_"; blind generators under
// "BLIND_" || api_id. The browser is the Prover: commit, verifyBlindSign,
// blindProofGen. blindSign is here for the fixtures and tests.

import {
  blindedDivide,
  calculateDomain,
  complement,
  coreVerify,
  domainPoint,
  h2sDst,
  proofChallengeCalculate,
  proofFinalize,
  proofInit,
  proofPairingCheck,
  proofVerifyInit,
} from './core.js';
import { decodeSecretKey } from './interface.js';
import {
  BBSError,
  G1,
  OCTET_POINT_LENGTH,
  OCTET_SCALAR_LENGTH,
  ORDER,
  asBytes,
  bytesEqual,
  calculateRandomScalars,
  concat,
  createGenerators,
  g1FromBytes,
  g1ToBytes,
  hashToScalar,
  i2osp,
  messagesToScalars,
  mod,
  msmPublic,
  msmSecret,
  octetsToProof,
  octetsToPubkey,
  octetsToSignature,
  os2ip,
  scalarToBytes,
  utf8,
} from './suite.js';

/** api_id of the Blind BBS interface: ciphersuite_id || "BLIND_H2G_HM2S_". */
export function blindApiId(suite) {
  return concat(suite.ciphersuiteId, utf8('BLIND_H2G_HM2S_'));
}

/** "BLIND_" || api_id: where the blind generators Q_2, J_1..J_M come from. */
export function blindGeneratorsApi(api) {
  return concat(utf8('BLIND_'), api);
}

/**
 * { generators: (Q_1, H_1..H_L), blind: (Q_2, J_1..J_M), combined } for L
 * signer messages and M committed ones.
 */
export function blindGeneratorsFor(suite, length, committed, api) {
  const generators = createGenerators(suite, length + 1, api);
  const blind = createGenerators(suite, committed + 1, blindGeneratorsApi(api));
  return { generators, blind, combined: [...generators, ...blind] };
}

/**
 * calculate_blind_challenge: hash_to_scalar(serialize((M, Q_2, J_1..J_M, C, Cbar)),
 * api_id || "H2S_"), M = length(blindGenerators) − 1.
 */
export function calculateBlindChallenge(suite, c, cbar, blindGenerators, api) {
  if (!blindGenerators.length) throw new BBSError('no blind generators');
  const octs = concat(
    i2osp(blindGenerators.length - 1, 8),
    ...[...blindGenerators, c, cbar].map(g1ToBytes),
  );
  return hashToScalar(suite, octs, h2sDst(api));
}

/**
 * CoreCommit: { commitmentWithProof, secretProverBlind } over committed scalars.
 * The blind stays with the Prover (every proof needs it).
 */
export function coreCommit(suite, committedScalars, blindGenerators, api, randomScalars = calculateRandomScalars) {
  const m = committedScalars.length;
  if (blindGenerators.length !== m + 1) throw new BBSError('need M + 1 blind generators');
  for (const x of committedScalars) {
    if (typeof x !== 'bigint' || x < 0n || x >= ORDER) throw new BBSError('committed scalar out of range');
  }
  const [blind, sTilde, ...mTilde] = [...randomScalars(m + 2)].map(mod);
  const c = msmSecret(blindGenerators, [blind, ...committedScalars]);
  const cbar = msmSecret(blindGenerators, [sTilde, ...mTilde]);
  const ch = calculateBlindChallenge(suite, c, cbar, blindGenerators, api);
  const sHat = mod(sTilde + blind * ch);
  const mHat = mTilde.map((t, i) => mod(t + committedScalars[i] * ch));
  return {
    commitmentWithProof: concat(g1ToBytes(c), ...[sHat, ...mHat, ch].map(scalarToBytes)),
    secretProverBlind: blind,
  };
}

/** Commit(committed_messages, api_id): the Prover's first move (octet-string messages). */
export function commit(suite, committedMessages = [], randomScalars = calculateRandomScalars, api = null) {
  const a = api === null ? blindApiId(suite) : api;
  const scalars = messagesToScalars(suite, committedMessages, a);
  const gens = createGenerators(suite, scalars.length + 1, blindGeneratorsApi(a));
  return coreCommit(suite, scalars, gens, a, randomScalars);
}

/**
 * octets_to_commitment_with_proof: { commitment, sHat, mHats, challenge }; C a
 * G1 point other than the identity, every scalar in (0, r). BBSError.
 */
export function octetsToCommitmentWithProof(bytes) {
  asBytes(bytes, 'a commitment');
  const floor = OCTET_POINT_LENGTH + 2 * OCTET_SCALAR_LENGTH;
  if (bytes.length < floor || (bytes.length - OCTET_POINT_LENGTH) % OCTET_SCALAR_LENGTH) {
    throw new BBSError('malformed commitment_with_proof length');
  }
  const commitment = g1FromBytes(bytes.subarray(0, OCTET_POINT_LENGTH));
  if (commitment.is0()) throw new BBSError('commitment is the identity');
  const scalars = [];
  for (let o = OCTET_POINT_LENGTH; o < bytes.length; o += OCTET_SCALAR_LENGTH) {
    const s = os2ip(bytes.subarray(o, o + OCTET_SCALAR_LENGTH));
    if (!(s > 0n && s < ORDER)) throw new BBSError('commitment proof scalar out of range');
    scalars.push(s);
  }
  return {
    commitment,
    sHat: scalars[0],
    mHats: scalars.slice(1, -1),
    challenge: scalars[scalars.length - 1],
  };
}

/** CoreCommitVerify: Cbar = Q_2·s^ + Σ J_i·m^_i − C·c; valid iff the challenge matches. */
export function coreCommitVerify(suite, commitment, sHat, mHats, challenge, blindGenerators, api) {
  if (blindGenerators.length !== mHats.length + 1) return false;
  const cbar = msmPublic([...blindGenerators, commitment], [sHat, ...mHats, mod(-challenge)]);
  const cv = calculateBlindChallenge(suite, commitment, cbar, blindGenerators, api);
  return bytesEqual(scalarToBytes(cv), scalarToBytes(challenge));
}

/**
 * deserialize_and_validate_commit: { commitment, blindGenerators } with the
 * proof checked; empty input gives (Identity_G1, (Q_2,)). BBSError if invalid.
 */
export function deserializeAndValidateCommit(suite, commitmentWithProof, api) {
  if (!commitmentWithProof || commitmentWithProof.length === 0) {
    return { commitment: G1.ZERO, blindGenerators: createGenerators(suite, 1, blindGeneratorsApi(api)) };
  }
  const { commitment, sHat, mHats, challenge } = octetsToCommitmentWithProof(commitmentWithProof);
  const gens = createGenerators(suite, mHats.length + 1, blindGeneratorsApi(api));
  if (!coreCommitVerify(suite, commitment, sHat, mHats, challenge, gens, api)) {
    throw new BBSError('invalid commitment proof');
  }
  return { commitment, blindGenerators: gens };
}

/**
 * FinalizeBlindSign: e = hash_to_scalar(serialize((SK, B)), api_id || "H2S_"),
 * A = B·(1/(SK + e)) (blinded, core.js). sk is a bigint.
 */
export function finalizeBlindSign(suite, sk, b, api) {
  if (b.is0()) throw new BBSError('B is the identity');
  const e = hashToScalar(suite, concat(scalarToBytes(sk), g1ToBytes(b)), h2sDst(api));
  return concat(g1ToBytes(blindedDivide(b, sk, e)), scalarToBytes(e));
}

/**
 * BlindSign over message scalars: B = P1 + Q_1·domain + Σ H_i·msg_i + C
 * (+ Σ J_k·x for [k, x] of extraBlindTerms, the pseudonym draft's signer
 * entropy); domain over header || headerSuffix. BBSError if the commitment's proof fails.
 */
export function blindSignScalars(
  suite,
  sk,
  pk,
  commitmentWithProof,
  header,
  messageScalars,
  api,
  extraBlindTerms = [],
  headerSuffix = new Uint8Array(0),
) {
  const x = decodeSecretKey(sk);
  octetsToPubkey(pk);
  for (const m of messageScalars) {
    if (typeof m !== 'bigint' || m < 0n || m >= ORDER) throw new BBSError('message scalar out of range');
  }
  const { commitment, blindGenerators } = deserializeAndValidateCommit(suite, commitmentWithProof, api);
  const gens = createGenerators(suite, messageScalars.length + 1, api);
  const domain = calculateDomain(
    suite,
    pk,
    gens[0],
    [...gens.slice(1), ...blindGenerators],
    concat(header, headerSuffix),
    api,
  );
  const points = [...gens.slice(1)];
  const scalars = [...messageScalars];
  for (const [k, value] of extraBlindTerms) {
    if (!(Number.isInteger(k) && k >= 0 && k < blindGenerators.length)) {
      throw new BBSError('blind generator index out of range');
    }
    points.push(blindGenerators[k]);
    scalars.push(mod(value));
  }
  const b = domainPoint(suite, gens[0], domain).add(commitment).add(msmSecret(points, scalars));
  return finalizeBlindSign(suite, x, b, api);
}

/** BlindSign(SK, PK, commitment_with_proof, header, messages): the Signer's move. BBSError. */
export function blindSign(suite, sk, pk, commitmentWithProof = new Uint8Array(0), header = new Uint8Array(0), messages = []) {
  const api = blindApiId(suite);
  return blindSignScalars(suite, sk, pk, commitmentWithProof, header, messagesToScalars(suite, messages, api), api);
}

/** CoreVerify over (msgs, secret_prover_blind, committed) with the combined generators. */
export function verifyBlindSignScalars(
  suite,
  pk,
  signature,
  header,
  messageScalars,
  committedScalars,
  secretProverBlind,
  api,
) {
  const gens = blindGeneratorsFor(suite, messageScalars.length, committedScalars.length, api);
  return coreVerify(
    suite,
    pk,
    signature,
    gens.combined,
    header,
    [...messageScalars, mod(secretProverBlind), ...committedScalars],
    api,
  );
}

/** Verify a blind signature (the Prover, on receipt). False for anything invalid. */
export function verifyBlindSign(
  suite,
  pk,
  signature,
  header = new Uint8Array(0),
  messages = [],
  committedMessages = [],
  secretProverBlind = 0n,
) {
  try {
    const api = blindApiId(suite);
    return verifyBlindSignScalars(
      suite,
      pk,
      signature,
      header,
      messagesToScalars(suite, messages, api),
      messagesToScalars(suite, committedMessages, api),
      secretProverBlind,
      api,
    );
  } catch {
    return false;
  }
}

/** Indexes into (msgs, secret_prover_blind, committed): i, and L + 1 + j; BBSError if not ascending. */
export function combinedIndexes(length, committed, disclosedIndexes, disclosedCommitmentIndexes) {
  for (const [seq, bound] of [
    [disclosedIndexes, length],
    [disclosedCommitmentIndexes, committed],
  ]) {
    if (!Array.isArray(seq)) throw new BBSError('indexes must be an array');
    let prev = -1;
    for (const i of seq) {
      if (!Number.isInteger(i) || !(prev < i && i < bound)) {
        throw new BBSError('disclosed indexes must be strictly ascending and in range');
      }
      prev = i;
    }
  }
  return [...disclosedIndexes, ...disclosedCommitmentIndexes.map((j) => length + 1 + j)];
}

/** BlindProofGen over scalars: the core ProofInit / challenge / ProofFinalize over the combined vector. */
export function blindProofGenScalars(
  suite,
  pk,
  signature,
  header,
  ph,
  messageScalars,
  committedScalars,
  disclosedIndexes,
  disclosedCommitmentIndexes,
  secretProverBlind,
  api,
  randomScalars = calculateRandomScalars,
) {
  const sig = octetsToSignature(signature);
  const length = messageScalars.length;
  const gens = blindGeneratorsFor(suite, length, committedScalars.length, api);
  const scalars = [...messageScalars, mod(secretProverBlind), ...committedScalars];
  const disclosed = combinedIndexes(length, committedScalars.length, disclosedIndexes, disclosedCommitmentIndexes);
  const undisclosed = complement(disclosed, scalars.length);
  const rs = [...randomScalars(5 + undisclosed.length)];
  const initRes = proofInit(suite, pk, sig, gens.combined, rs, header, scalars, undisclosed, api);
  const c = proofChallengeCalculate(suite, initRes, disclosed, disclosed.map((i) => scalars[i]), ph, api);
  return proofFinalize(initRes, c, sig.e, rs, undisclosed.map((j) => scalars[j]));
}

/** BlindProofGen: disclose messages[i] (i in disclosedIndexes) and committedMessages[j]. BBSError. */
export function blindProofGen(
  suite,
  pk,
  signature,
  header = new Uint8Array(0),
  ph = new Uint8Array(0),
  messages = [],
  committedMessages = [],
  disclosedIndexes = [],
  disclosedCommitmentIndexes = [],
  secretProverBlind = 0n,
  randomScalars = calculateRandomScalars,
) {
  const api = blindApiId(suite);
  octetsToPubkey(pk);
  return blindProofGenScalars(
    suite,
    pk,
    signature,
    header,
    ph,
    messagesToScalars(suite, messages, api),
    messagesToScalars(suite, committedMessages, api),
    disclosedIndexes,
    disclosedCommitmentIndexes,
    secretProverBlind,
    api,
    randomScalars,
  );
}

/** BlindProofVerify over scalars (M from the proof's length); BBSError for malformed input. */
export function blindProofVerifyScalars(
  suite,
  pk,
  proof,
  header,
  ph,
  length,
  disclosedScalars,
  disclosedCommittedScalars,
  disclosedIndexes,
  disclosedCommittedIndexes,
  api,
) {
  const decoded = octetsToProof(proof);
  const w = octetsToPubkey(pk);
  if (
    disclosedScalars.length !== disclosedIndexes.length ||
    disclosedCommittedScalars.length !== disclosedCommittedIndexes.length
  ) {
    throw new BBSError('as many disclosed messages as indexes');
  }
  const total = decoded.commitments.length + disclosedIndexes.length + disclosedCommittedIndexes.length;
  const committed = total - length - 1;
  if (!Number.isInteger(length) || length < 0 || committed < 0) {
    throw new BBSError('proof too short for L signer messages');
  }
  const disclosed = combinedIndexes(length, committed, disclosedIndexes, disclosedCommittedIndexes);
  const gens = blindGeneratorsFor(suite, length, committed, api);
  const values = [...disclosedScalars, ...disclosedCommittedScalars];
  const initRes = proofVerifyInit(suite, pk, decoded, gens.combined, header, values, disclosed, api);
  const c = proofChallengeCalculate(suite, initRes, disclosed, values, ph, api);
  if (c !== decoded.challenge) return false;
  return proofPairingCheck(decoded, w);
}

/** BlindProofVerify (L = `length` signer messages). False for anything invalid. */
export function blindProofVerify(
  suite,
  pk,
  proof,
  header = new Uint8Array(0),
  ph = new Uint8Array(0),
  length = 0,
  disclosedMessages = [],
  disclosedCommittedMessages = [],
  disclosedIndexes = [],
  disclosedCommittedIndexes = [],
) {
  try {
    const api = blindApiId(suite);
    return blindProofVerifyScalars(
      suite,
      pk,
      proof,
      header,
      ph,
      length,
      messagesToScalars(suite, disclosedMessages, api),
      messagesToScalars(suite, disclosedCommittedMessages, api),
      disclosedIndexes,
      disclosedCommittedIndexes,
      api,
    );
  } catch {
    return false;
  }
}

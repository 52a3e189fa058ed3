// Per-verifier pseudonyms (draft-irtf-cfrg-bbs-per-verifier-linkability-02), as
// crypto/bbs/pseudonym.py; docs/credentials.md "Cryptography" §2.
//
// The holder's nym secrets (N scalars) are signed blindly (blind.js), the Signer
// adding entropy to the last one. For a context_id the holder shows
//   OP = hash_to_curve_g1(context_id, api_id),
//   z  = hash_to_scalar(context_id, api_id || "VECT_NYM_SECRETS"),
//   pseudonym = OP · Σ_i nym_secrets[i]·z^i
// with a proof inside the BBS proof that the nym secrets are the last N signed
// (undisclosed) messages: Ut = OP · Σ m~_i·z^i with the proof's own random
// scalars m~ for them; the verifier recomputes Uv = OP · Σ m^_i·z^i − pseudonym·c;
// (pseudonym, Ut) enter the challenge between T2 and domain, context_id after ph (§8.1).
//
// api_id = ciphersuite_id || "H2G_HM2S_PSEUDONYM_"; the signed vector is
// (msgs, secret_prover_blind, committed, nym_secrets) over (Q_1, H.., Q_2, J..),
// and the domain covers header || I2OSP(N, 8).

import {
  blindGeneratorsFor,
  blindSignScalars,
  combinedIndexes,
  coreCommit,
  octetsToCommitmentWithProof,
  verifyBlindSignScalars,
} from './blind.js';
import {
  challengeOctets,
  complement,
  h2sDst,
  proofFinalize,
  proofInit,
  proofPairingCheck,
  proofVerifyInit,
} from './core.js';
import {
  BBSError,
  G1,
  OCTET_POINT_LENGTH,
  ORDER,
  asBytes,
  calculateRandomScalars,
  concat,
  createGenerators,
  g1FromBytes,
  g1ToBytes,
  hashToCurveG1,
  hashToScalar,
  i2osp,
  messagesToScalars,
  mod,
  msmPublic,
  mulSecret,
  octetsToProof,
  octetsToPubkey,
  octetsToSignature,
  utf8,
} from './suite.js';

/** api_id of the pseudonym interface: ciphersuite_id || "H2G_HM2S_PSEUDONYM_". */
export function pseudonymApiId(suite) {
  return concat(suite.ciphersuiteId, utf8('H2G_HM2S_PSEUDONYM_'));
}

/** header || I2OSP(length_nym_vector, 8): what the domain is computed over. */
export function nymHeader(header, lengthNymVector) {
  return concat(header, i2osp(lengthNymVector, 8));
}

/** { op, z } = (hash_to_curve_g1(context_id, api_id), hash_to_scalar(context_id, api_id || "VECT_NYM_SECRETS")). */
export function nymOrigin(suite, contextId, api) {
  asBytes(contextId, 'the context id');
  return {
    op: hashToCurveG1(suite, contextId, api),
    z: hashToScalar(suite, contextId, concat(api, utf8('VECT_NYM_SECRETS'))),
  };
}

/** Σ_i values[i]·z^i mod r. */
export function nymPoly(values, z) {
  let acc = 0n;
  let power = 1n;
  for (const v of values) {
    acc = mod(acc + v * power);
    power = mod(power * z);
  }
  return acc;
}

function checkNymSecrets(nymSecrets) {
  if (!Array.isArray(nymSecrets) || nymSecrets.length === 0) {
    throw new BBSError('nym secrets must be a non-empty vector of scalars');
  }
  for (const s of nymSecrets) {
    if (typeof s !== 'bigint' || s < 0n || s >= ORDER) {
      throw new BBSError('nym secrets must be a non-empty vector of scalars');
    }
  }
}

function pseudonymPoint(op, value) {
  const point = mulSecret(op, value);
  if (point.is0() || point.equals(G1.BASE)) throw new BBSError('degenerate pseudonym');
  return point;
}

/** CalculatePseudonym: OP · Σ nym_secrets[i]·z^i, 48 bytes; BBSError if the identity or BP1. */
export function calculatePseudonym(suite, contextId, nymSecrets) {
  checkNymSecrets(nymSecrets);
  const { op, z } = nymOrigin(suite, contextId, pseudonymApiId(suite));
  return g1ToBytes(pseudonymPoint(op, nymPoly(nymSecrets, z)));
}

/**
 * CommitWithNym: Blind CoreCommit over (committed scalars, prover nyms) →
 * { commitmentWithProof, secretProverBlind }.
 */
export function commitWithNym(suite, committedMessages, proverNyms, randomScalars = calculateRandomScalars) {
  const api = pseudonymApiId(suite);
  checkNymSecrets(proverNyms);
  const scalars = [...messagesToScalars(suite, committedMessages, api), ...proverNyms];
  const gens = createGenerators(suite, scalars.length + 1, concat(utf8('BLIND_'), api));
  return coreCommit(suite, scalars, gens, api, randomScalars);
}

/**
 * BlindSignWithNym over scalars (the issuer's move; fixtures and tests):
 * B gains J_M·signer_nym_entropy (the last blind generator) and the domain
 * covers header || I2OSP(N, 8).
 */
export function blindSignWithNymScalars(suite, sk, pk, commitmentWithProof, lengthNymVector, signerNymEntropy, header, messageScalars) {
  const { mHats } = octetsToCommitmentWithProof(commitmentWithProof);
  if (!(Number.isInteger(lengthNymVector) && lengthNymVector >= 1 && lengthNymVector <= mHats.length)) {
    throw new BBSError('length_nym_vector must be in [1, number of committed scalars]');
  }
  if (typeof signerNymEntropy !== 'bigint' || signerNymEntropy < 0n || signerNymEntropy >= ORDER) {
    throw new BBSError('signer_nym_entropy out of range');
  }
  return blindSignScalars(
    suite,
    sk,
    pk,
    commitmentWithProof,
    header,
    messageScalars,
    pseudonymApiId(suite),
    [[mHats.length, signerNymEntropy]],
    i2osp(lengthNymVector, 8),
  );
}

/** BlindSignWithNym over octet-string messages. */
export function blindSignWithNym(suite, sk, pk, commitmentWithProof, lengthNymVector, signerNymEntropy, header = new Uint8Array(0), messages = []) {
  const scalars = messagesToScalars(suite, messages, pseudonymApiId(suite));
  return blindSignWithNymScalars(suite, sk, pk, commitmentWithProof, lengthNymVector, signerNymEntropy, header, scalars);
}

/**
 * VerifyFinalizeWithNym (the holder, on receipt): nym_secrets = prover_nyms
 * with signer_nym_entropy added to the last one (mod r), if the signature
 * verifies over (msgs, secret_prover_blind, committed, nym_secrets); BBSError otherwise.
 * Messages are scalars (messagesToScalars(…, pseudonymApiId(suite)) or integer attributes).
 */
export function verifyFinalizeWithNym(
  suite,
  pk,
  signature,
  header,
  messageScalars,
  committedScalars,
  proverNyms,
  signerNymEntropy,
  secretProverBlind,
) {
  checkNymSecrets(proverNyms);
  const nymSecrets = [...proverNyms.slice(0, -1), mod(proverNyms[proverNyms.length - 1] + signerNymEntropy)];
  let ok = false;
  try {
    ok = verifyBlindSignScalars(
      suite,
      pk,
      signature,
      nymHeader(header, nymSecrets.length),
      messageScalars,
      [...committedScalars, ...nymSecrets],
      secretProverBlind,
      pseudonymApiId(suite),
    );
  } catch {
    ok = false;
  }
  if (!ok) throw new BBSError('the blind signature does not verify');
  return nymSecrets;
}

/**
 * ProofWithPseudonymChallengeCalculate (§8.1) — or the core's challenge when
 * nym is null — with Pnyx's predicate extension appended (predicates.js).
 */
export function challengeWithExtensions(suite, initRes, disclosedIndexes, disclosedScalars, ph, api, nym = null, extension = new Uint8Array(0)) {
  return hashToScalar(
    suite,
    challengeOctets(initRes, disclosedIndexes, disclosedScalars, ph, nym, extension),
    h2sDst(api),
  );
}

/** ProofGenWithNym over scalars → { proof, pseudonym }. BBSError. */
export function proofGenWithNymScalars(
  suite,
  pk,
  signature,
  header,
  ph,
  nymSecrets,
  contextId,
  messageScalars,
  committedScalars,
  disclosedIndexes,
  disclosedCommitmentIndexes,
  secretProverBlind,
  randomScalars = calculateRandomScalars,
) {
  const api = pseudonymApiId(suite);
  const sig = octetsToSignature(signature);
  octetsToPubkey(pk);
  checkNymSecrets(nymSecrets);
  const n = nymSecrets.length;
  const length = messageScalars.length;
  const m = committedScalars.length;
  const gens = blindGeneratorsFor(suite, length, m + n, api);
  const scalars = [...messageScalars, mod(secretProverBlind), ...committedScalars, ...nymSecrets];
  const disclosed = combinedIndexes(length, m, disclosedIndexes, disclosedCommitmentIndexes);
  const undisclosed = complement(disclosed, scalars.length);
  const rs = [...randomScalars(5 + undisclosed.length)].map(mod);
  const initRes = proofInit(suite, pk, sig, gens.combined, rs, nymHeader(header, n), scalars, undisclosed, api);
  const { op, z } = nymOrigin(suite, contextId, api);
  const pseudonym = pseudonymPoint(op, nymPoly(nymSecrets, z));
  const ut = mulSecret(op, nymPoly(rs.slice(rs.length - n), z));
  const c = challengeWithExtensions(
    suite,
    initRes,
    disclosed,
    disclosed.map((i) => scalars[i]),
    ph,
    api,
    { pseudonym, ut, contextId },
  );
  const proof = proofFinalize(initRes, c, sig.e, rs, undisclosed.map((j) => scalars[j]));
  return { proof, pseudonym: g1ToBytes(pseudonym) };
}

/** ProofGenWithNym over octet-string messages → { proof, pseudonym }. BBSError. */
export function proofGenWithNym(
  suite,
  pk,
  signature,
  header,
  ph,
  nymSecrets,
  contextId,
  messages = [],
  committedMessages = [],
  disclosedIndexes = [],
  disclosedCommitmentIndexes = [],
  secretProverBlind = 0n,
  randomScalars = calculateRandomScalars,
) {
  const api = pseudonymApiId(suite);
  return proofGenWithNymScalars(
    suite,
    pk,
    signature,
    header,
    ph,
    nymSecrets,
    contextId,
    messagesToScalars(suite, messages, api),
    messagesToScalars(suite, committedMessages, api),
    disclosedIndexes,
    disclosedCommitmentIndexes,
    secretProverBlind,
    randomScalars,
  );
}

/** Uv = OP · Σ m^_i·z^i − pseudonym·c (PseudonymProofVerifyInit). */
export function nymVerifyPoint(op, z, pseudonym, nymHats, c) {
  return msmPublic([op, pseudonym], [nymPoly(nymHats, z), mod(-c)]);
}

/** A pseudonym's 48 bytes as a point: valid, not the identity, not BP1. BBSError. */
export function decodePseudonym(bytes) {
  asBytes(bytes, 'a pseudonym');
  if (bytes.length !== OCTET_POINT_LENGTH) throw new BBSError('a pseudonym is 48 bytes');
  const p = g1FromBytes(bytes);
  if (p.is0() || p.equals(G1.BASE)) throw new BBSError('degenerate pseudonym');
  return p;
}

/** ProofVerifyWithNym over scalars; BBSError for malformed input. */
export function proofVerifyWithNymScalars(
  suite,
  pk,
  proof,
  header,
  ph,
  pseudonym,
  contextId,
  length,
  lengthNymVector,
  disclosedScalars,
  disclosedCommittedScalars,
  disclosedIndexes,
  disclosedCommittedIndexes,
) {
  const api = pseudonymApiId(suite);
  const decoded = octetsToProof(proof);
  const w = octetsToPubkey(pk);
  const nymPoint = decodePseudonym(pseudonym);
  const n = lengthNymVector;
  if (
    disclosedScalars.length !== disclosedIndexes.length ||
    disclosedCommittedScalars.length !== disclosedCommittedIndexes.length
  ) {
    throw new BBSError('as many disclosed messages as indexes');
  }
  const total = decoded.commitments.length + disclosedIndexes.length + disclosedCommittedIndexes.length;
  const committed = total - length - 1 - n;
  if (!Number.isInteger(n) || !Number.isInteger(length) || n < 1 || length < 0 || committed < 0) {
    throw new BBSError('proof length inconsistent with L and N');
  }
  const disclosed = combinedIndexes(length, committed, disclosedIndexes, disclosedCommittedIndexes);
  const gens = blindGeneratorsFor(suite, length, committed + n, api);
  const values = [...disclosedScalars, ...disclosedCommittedScalars];
  const initRes = proofVerifyInit(suite, pk, decoded, gens.combined, nymHeader(header, n), values, disclosed, api);
  const { op, z } = nymOrigin(suite, contextId, api);
  const uv = nymVerifyPoint(op, z, nymPoint, decoded.commitments.slice(-n), decoded.challenge);
  const c = challengeWithExtensions(suite, initRes, disclosed, values, ph, api, { pseudonym: nymPoint, ut: uv, contextId });
  if (c !== decoded.challenge) return false;
  return proofPairingCheck(decoded, w);
}

/** ProofVerifyWithNym (L signer messages, N nym secrets). False for anything invalid. */
export function proofVerifyWithNym(
  suite,
  pk,
  proof,
  header,
  ph,
  pseudonym,
  contextId,
  length,
  lengthNymVector,
  disclosedMessages = [],
  disclosedCommittedMessages = [],
  disclosedIndexes = [],
  disclosedCommittedIndexes = [],
) {
  try {
    const api = pseudonymApiId(suite);
    return proofVerifyWithNymScalars(
      suite,
      pk,
      proof,
      header,
      ph,
      pseudonym,
      contextId,
      length,
      lengthNymVector,
      messagesToScalars(suite, disclosedMessages, api),
      messagesToScalars(suite, disclosedCommittedMessages, api),
      disclosedIndexes,
      disclosedCommittedIndexes,
    );
  } catch {
    return false;
  }
}

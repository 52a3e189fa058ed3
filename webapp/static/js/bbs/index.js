// The browser's BBS: the public surface for pages (the wallet, the verifier page,
// the booth). Bytes are Uint8Array, scalars bigint; see each module's header.
//
//   interface.js   draft-irtf-cfrg-bbs-signatures (KeyGen … ProofVerify)
//   blind.js       draft-irtf-cfrg-bbs-blind-signatures (the Prover's Commit, checks, proofs)
//   pseudonym.js   draft-irtf-cfrg-bbs-per-verifier-linkability (nym secrets, pseudonyms)
//   predicates.js  Pnyx presentations: disclosure, range predicates, pseudonym
//   credential.js  Pnyx formats: credential request, issuance check, W3C presentation
//   suite.js, core.js, range.js   ciphersuites and encodings, the draft's subroutines,
//                  the aggregated range proof (import them directly when needed)

export {
  BBSError,
  SHA_256,
  SHAKE_256,
  calculateRandomScalars,
  fromHex,
  prepareGenerators,
  suiteByName,
  toHex,
  utf8,
} from './suite.js';
export {
  keygen,
  messagesToScalars,
  proofGen,
  proofGenScalars,
  proofVerify,
  proofVerifyScalars,
  sign,
  signScalars,
  skToPk,
  verify,
  verifyScalars,
} from './interface.js';
export {
  blindApiId,
  blindProofGen,
  blindProofVerify,
  blindSign,
  commit,
  deserializeAndValidateCommit,
  verifyBlindSign,
} from './blind.js';
export {
  blindSignWithNym,
  calculatePseudonym,
  commitWithNym,
  proofGenWithNym,
  proofVerifyWithNym,
  pseudonymApiId,
  verifyFinalizeWithNym,
} from './pseudonym.js';
export {
  attributeScalars,
  prepare,
  present,
  presentationFromBytes,
  presentationToBytes,
  verifyPresentation,
} from './predicates.js';
export {
  PresentationError,
  acceptIssuance,
  credentialHeader,
  credentialMessages,
  dayNumber,
  layoutNames,
  makeCredentialRequest,
  presentCredential,
  presentationHeader,
  pseudonymOf,
  requestId,
  schemaDigest,
} from './credential.js';

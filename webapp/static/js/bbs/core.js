// BBS core operations (draft-irtf-cfrg-bbs-signatures-09 §3.6, §4.5, §5), the
// same subroutines as crypto/bbs/core.py, with the draft's names and parameter
// order; what the draft fixes per interface (api_id, the generators
// Q_1, H_1..H_L, the messages already mapped to scalars) is passed explicitly,
// so that blind signatures, pseudonyms and predicates call them with their own.
//
//   calculateDomain          §4.5
//   coreSign / coreVerify    §3.6.1 / §3.6.2
//   proofInit                §5.1      proofFinalize   §5.2
//   proofChallengeCalculate  §5.3      proofVerifyInit §5.4
//   coreProofGen / coreProofVerify  §3.6.3 / §3.6.4
//
// Verification equations (-09): CoreVerify e(A, W)·e(A·e − B, BP2) = 1;
// CoreProofVerify e(Abar, W)·e(Bbar, −BP2) = 1.
//
// Secrets. Hidden messages and the proof's random scalars enter only
// msmSecret / mulSecret (suite.js); the signer's key (coreSign, fixtures and
// tests: the browser never signs) is used as A = (B·ρ)·(1/((SK + e)·ρ)) with a
// fresh ρ, as core.py does. Random scalars are injectable (count ↦ scalars) so
// that the fixtures' mocked values reproduce their proofs byte for byte.

import {
  BBSError,
  G1,
  G2,
  ORDER,
  calculateRandomScalars,
  concat,
  g1ToBytes,
  hashToScalar,
  i2osp,
  invert,
  mod,
  msmPublic,
  msmSecret,
  mulSecret,
  octetsToProof,
  octetsToPubkey,
  octetsToSignature,
  p1,
  pairingCheck,
  proofToOctets,
  randomNonzeroScalar,
  scalarToBytes,
  signatureToOctets,
  utf8,
} from './suite.js';

/** api_id || "H2S_". */
export function h2sDst(api) {
  return concat(api, utf8('H2S_'));
}

function checkScalars(messages) {
  if (!Array.isArray(messages)) throw new BBSError('messages must be an array of scalars');
  for (const m of messages) {
    if (typeof m !== 'bigint' || m < 0n || m >= ORDER) {
      throw new BBSError('message scalar out of range [0, r)');
    }
  }
}

function splitGenerators(generators, length) {
  if (generators.length !== length + 1) {
    throw new BBSError('need exactly L + 1 generators (Q_1, H_1..H_L)');
  }
  return [generators[0], generators.slice(1)];
}

/** Indexes strictly ascending integers in [0, length) (draft §3.5.3); BBSError otherwise. */
export function checkAscending(indexes, length) {
  if (!Array.isArray(indexes)) throw new BBSError('indexes must be an array');
  let prev = -1;
  for (const i of indexes) {
    if (!Number.isInteger(i) || !(prev < i && i < length)) {
      throw new BBSError('disclosed indexes must be strictly ascending, in [0, L)');
    }
    prev = i;
  }
}

/**
 * calculate_domain (draft §4.5): hash_to_scalar(PK || I2OSP(L, 8) || Q_1 || H_1..H_L
 * || api_id || I2OSP(len(header), 8) || header, api_id || "H2S_").
 */
export function calculateDomain(suite, pk, q1, hPoints, header, api) {
  const domOcts = concat(i2osp(hPoints.length, 8), g1ToBytes(q1), ...hPoints.map(g1ToBytes));
  const domInput = concat(pk, domOcts, api, i2osp(header.length, 8), header);
  return hashToScalar(suite, domInput, h2sDst(api));
}

/** P1 + Q_1·domain (public). */
export function domainPoint(suite, q1, domain) {
  return p1(suite).add(domain === 0n ? G1.ZERO : q1.multiplyUnsafe(domain));
}

/** B = P1 + Q_1·domain + Σ H_i·msg_i, the messages secret. */
export function bPoint(suite, q1, hPoints, domain, messages) {
  return domainPoint(suite, q1, domain).add(msmSecret(hPoints, messages));
}

/**
 * CoreSign (draft §3.6.1). Deterministic; BBSError. sk is a bigint in (0, r).
 * e = hash_to_scalar(serialize((SK, msg_1..msg_L, domain)), api_id || "H2S_"); A = B·(1/(SK + e)).
 */
export function coreSign(suite, sk, pk, generators, header, messages, api) {
  if (typeof sk !== 'bigint' || !(sk > 0n && sk < ORDER)) throw new BBSError('secret key out of range');
  checkScalars(messages);
  const [q1, hPoints] = splitGenerators(generators, messages.length);
  const domain = calculateDomain(suite, pk, q1, hPoints, header, api);
  const eInput = concat(...[sk, ...messages, domain].map(scalarToBytes));
  const e = hashToScalar(suite, eInput, h2sDst(api));
  const b = bPoint(suite, q1, hPoints, domain, messages);
  return signatureToOctets(blindedDivide(b, sk, e), e);
}

/** A = B·(1/(SK + e)), computed as (B·ρ)·(1/((SK + e)·ρ)) with a fresh ρ (core.py). */
export function blindedDivide(b, sk, e) {
  const rho = randomNonzeroScalar();
  const blinded = mod((sk + e) * rho);
  if (blinded === 0n) throw new BBSError('SK + e = 0 mod r');
  return mulSecret(mulSecret(b, rho), invert(blinded));
}

/**
 * CoreVerify (draft §3.6.2): e(A, W)·e(A·e − B, BP2) = 1. False for an invalid
 * signature; BBSError for malformed input.
 */
export function coreVerify(suite, pk, signature, generators, header, messages, api) {
  const { a, e } = octetsToSignature(signature);
  const w = octetsToPubkey(pk);
  checkScalars(messages);
  const [q1, hPoints] = splitGenerators(generators, messages.length);
  const domain = calculateDomain(suite, pk, q1, hPoints, header, api);
  const c = msmPublic(
    [a, domainPoint(suite, q1, domain), ...hPoints],
    [e, ORDER - 1n, ...messages.map((m) => mod(-m))],
  );
  return pairingCheck([
    [a, w],
    [c, G2.BASE],
  ]);
}

/**
 * ProofInit (draft §5.1): { abar, bbar, d, t1, t2, domain }.
 * (r1, r2, ẽ, r̃1, r̃3, m̃_j…) = randomScalars; D = B·r2; Abar = A·(r1·r2);
 * Bbar = D·r1 − Abar·e; T1 = Abar·ẽ + D·r̃1; T2 = D·r̃3 + Σ H_j·m̃_j.
 */
export function proofInit(suite, pk, signature, generators, randomScalars, header, messages, undisclosed, api) {
  const { a, e } = signature;
  const length = messages.length;
  const u = undisclosed.length;
  if (randomScalars.length !== u + 5) throw new BBSError('need U + 5 random scalars');
  if (u > length || undisclosed.some((j) => !(Number.isInteger(j) && j >= 0 && j < length))) {
    throw new BBSError('undisclosed index out of range');
  }
  checkScalars(messages);
  const [r1, r2, eTilde, r1Tilde, r3Tilde, ...mTilde] = randomScalars.map(mod);
  const [q1, hPoints] = splitGenerators(generators, length);
  const domain = calculateDomain(suite, pk, q1, hPoints, header, api);
  const b = bPoint(suite, q1, hPoints, domain, messages);
  const d = mulSecret(b, r2);
  const abar = mulSecret(a, mod(r1 * r2));
  const bbar = msmSecret([d, abar], [r1, mod(-e)]);
  const t1 = msmSecret([abar, d], [eTilde, r1Tilde]);
  const t2 = msmSecret([d, ...undisclosed.map((j) => hPoints[j])], [r3Tilde, ...mTilde]);
  return { abar, bbar, d, t1, t2, domain };
}

/**
 * The challenge octets of ProofChallengeCalculate (draft §5.3), with the
 * pseudonym draft's terms (§8.1) when `nym` = { pseudonym, ut, contextId } is
 * given and Pnyx's predicate `extension` appended last (predicates.js):
 * I2OSP(R, 8) || (I2OSP(i, 8) || msg_i)… || Abar || Bbar || D || T1 || T2
 * || [pseudonym || Ut] || domain || I2OSP(len(ph), 8) || ph
 * || [I2OSP(len(context_id), 8) || context_id] || extension.
 */
export function challengeOctets(initRes, iArray, msgArray, ph, nym = null, extension = new Uint8Array(0)) {
  if (iArray.length !== msgArray.length) {
    throw new BBSError('as many disclosed messages as disclosed indexes');
  }
  const parts = [i2osp(iArray.length, 8)];
  for (let k = 0; k < iArray.length; k++) parts.push(i2osp(iArray[k], 8), scalarToBytes(msgArray[k]));
  const points = [initRes.abar, initRes.bbar, initRes.d, initRes.t1, initRes.t2];
  if (nym) points.push(nym.pseudonym, nym.ut);
  for (const p of points) parts.push(g1ToBytes(p));
  parts.push(scalarToBytes(initRes.domain), i2osp(ph.length, 8), ph);
  if (nym) parts.push(i2osp(nym.contextId.length, 8), nym.contextId);
  parts.push(extension);
  return concat(...parts);
}

/** ProofChallengeCalculate (draft §5.3): hash_to_scalar(c_octs, api_id || "H2S_"). */
export function proofChallengeCalculate(suite, initRes, iArray, msgArray, ph, api) {
  return hashToScalar(suite, challengeOctets(initRes, iArray, msgArray, ph), h2sDst(api));
}

/**
 * ProofFinalize (draft §5.2): r3 = r2⁻¹; ê = ẽ + e·c; r̂1 = r̃1 − r1·c;
 * r̂3 = r̃3 − r3·c; m̂_j = m̃_j + undisclosed_j·c; the proof's octets.
 */
export function proofFinalize(initRes, challenge, eValue, randomScalars, undisclosedMessages) {
  const [r1, r2, eTilde, r1Tilde, r3Tilde, ...mTilde] = randomScalars.map(mod);
  if (mTilde.length !== undisclosedMessages.length) throw new BBSError('need U + 5 random scalars');
  if (r2 === 0n) throw new BBSError('r2 = 0');
  const r3 = invert(r2);
  const c = challenge;
  return proofToOctets({
    abar: initRes.abar,
    bbar: initRes.bbar,
    d: initRes.d,
    eHat: mod(eTilde + eValue * c),
    r1Hat: mod(r1Tilde - r1 * c),
    r3Hat: mod(r3Tilde - r3 * c),
    commitments: mTilde.map((mt, k) => mod(mt + undisclosedMessages[k] * c)),
    challenge: c,
  });
}

/**
 * ProofVerifyInit (draft §5.4): T1 = Bbar·c + Abar·ê + D·r̂1;
 * T2 = Bv·c + D·r̂3 + Σ_{j undisclosed} H_j·m̂_j with Bv = P1 + Q_1·domain + Σ_{i disclosed} H_i·msg_i.
 */
export function proofVerifyInit(suite, pk, proof, generators, header, messages, disclosedIndexes, api) {
  const u = proof.commitments.length;
  const r = disclosedIndexes.length;
  const length = u + r;
  if (messages.length !== r) throw new BBSError('as many disclosed messages as disclosed indexes');
  checkScalars(messages);
  checkAscending(disclosedIndexes, length);
  const shown = new Set(disclosedIndexes);
  const undisclosed = [];
  for (let j = 0; j < length; j++) if (!shown.has(j)) undisclosed.push(j);
  const [q1, hPoints] = splitGenerators(generators, length);
  const domain = calculateDomain(suite, pk, q1, hPoints, header, api);
  const c = proof.challenge;
  const t1 = msmPublic([proof.bbar, proof.abar, proof.d], [c, proof.eHat, proof.r1Hat]);
  const t2 = msmPublic(
    [
      ...disclosedIndexes.map((i) => hPoints[i]),
      ...undisclosed.map((j) => hPoints[j]),
      domainPoint(suite, q1, domain),
      proof.d,
    ],
    [...messages.map((m) => mod(c * m)), ...proof.commitments, c, proof.r3Hat],
  );
  return { abar: proof.abar, bbar: proof.bbar, d: proof.d, t1, t2, domain };
}

/** The undisclosed indexes of [0, total) given the disclosed ones. */
export function complement(disclosed, total) {
  const shown = new Set(disclosed);
  const out = [];
  for (let j = 0; j < total; j++) if (!shown.has(j)) out.push(j);
  return out;
}

/**
 * CoreProofGen (draft §3.6.3); BBSError on malformed input. The signature is
 * decoded and validated but not verified, as in the draft.
 */
export function coreProofGen(
  suite,
  pk,
  signature,
  generators,
  header,
  ph,
  messages,
  disclosedIndexes,
  api,
  randomScalars = calculateRandomScalars,
) {
  const sig = octetsToSignature(signature);
  const length = messages.length;
  checkAscending(disclosedIndexes, length);
  const undisclosed = complement(disclosedIndexes, length);
  const scalars = [...randomScalars(5 + undisclosed.length)];
  const initRes = proofInit(suite, pk, sig, generators, scalars, header, messages, undisclosed, api);
  const challenge = proofChallengeCalculate(
    suite,
    initRes,
    disclosedIndexes,
    disclosedIndexes.map((i) => messages[i]),
    ph,
    api,
  );
  return proofFinalize(initRes, challenge, sig.e, scalars, undisclosed.map((j) => messages[j]));
}

/** e(Abar, W)·e(Bbar, −BP2) = 1. */
export function proofPairingCheck(proof, w) {
  return pairingCheck([
    [proof.abar, w],
    [proof.bbar, G2.BASE.negate()],
  ]);
}

/**
 * CoreProofVerify (draft §3.6.4): the recomputed challenge equals c and
 * e(Abar, W)·e(Bbar, −BP2) = 1. False for an invalid proof; BBSError for malformed input.
 */
export function coreProofVerify(suite, pk, proof, generators, header, ph, disclosedMessages, disclosedIndexes, api) {
  const decoded = octetsToProof(proof);
  const w = octetsToPubkey(pk);
  const initRes = proofVerifyInit(suite, pk, decoded, generators, header, disclosedMessages, disclosedIndexes, api);
  const challenge = proofChallengeCalculate(suite, initRes, disclosedIndexes, disclosedMessages, ph, api);
  if (challenge !== decoded.challenge) return false;
  return proofPairingCheck(decoded, w);
}

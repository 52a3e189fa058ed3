/**
 * The official's check of the server's drafts before signing them (docs/voting.md §3, §6).
 *
 * The bodies of `voting.joint_key`, `voting.tally` and `voting.result` need no secret:
 * they are functions of the board. The server computes them
 * (`GET /api/v1/voting/elections/{id}/drafts/{step}`); the page recomputes each from
 * the board's entries and signs only a draft that equals its own result:
 *
 * - joint key (§6 "Ceremony" 5): QUAL = the trustees that revealed, are not at fault
 *   and have no complaint awaiting an answer; K = Σ_{i∈QUAL} A_{i,0};
 *   K_j = Σ_{i∈QUAL} Σ_t j^t·A_{i,t} for j = 1..n (docs/crypto.md §5.4);
 *   the context H_C = SHA-256("pnyx/voting/context/v1\n" ‖ H_M ‖ K) (§2);
 * - tally (§6 "Tally"): per option the sum of the counted ballots' ciphertexts
 *   (docs/crypto.md §3.3), and their number;
 * - result (§6 "Result"): h_T of the board's tally, `used` = the k smallest valid
 *   partials, `excluded` = the invalid ones with their reasons, and for every
 *   ciphertext totals·G = β − Σ_{j∈used} λ_j·D_j (docs/crypto.md §5.5).
 *
 * The page does not re-verify the proofs the board checked when it admitted the
 * entries (commitments' Schnorr proofs, ballots' range proofs, partials' DLEQ
 * proofs): the election record's verifier does (docs/election-record.md).
 */

import { sha256 } from '@noble/hashes/sha2.js';
import { electionContext, manifestHash } from '../ballot/ballot.js';
import {
  GENERATOR,
  IDENTITY,
  ORDER,
  mulPublic,
  pointEquals,
  pointFromBytes,
  pointToHex,
  scalarInvert,
} from '../ballot/group.js';
import { fromHex, toHex } from './entry.js';

export const JOINT_KEY = 'voting.joint_key';
export const TALLY = 'voting.tally';
export const RESULT = 'voting.result';
const TALLY_PREFIX = new TextEncoder().encode('pnyx/voting/tally/v1\n');
const COMMITMENT_SIZE = 96; // A_{i,t} ‖ c_t ‖ z_t
const PARTIAL_SIZE = 100; // u32_be(j) ‖ D_j ‖ c ‖ z

/** The server's draft differs from what the board says: the page refuses to sign it. */
export class DraftMismatch extends Error {
  constructor(message) {
    super(message);
    this.name = 'DraftMismatch';
  }
}

const mismatch = (what) => new DraftMismatch(what);

function sameMembers(body, names, kind) {
  const got = Object.keys(body ?? {}).sort();
  const want = [...names].sort();
  if (got.length !== want.length || got.some((k, i) => k !== want[i])) {
    throw mismatch(`a ${kind} draft has exactly the members ${want.join(', ')}`);
  }
}

function checkDraft(draft, kind, election, members) {
  if (!draft || draft.kind !== kind) throw mismatch(`the draft is not a ${kind} entry`);
  sameMembers(draft.body, members, kind);
  if (draft.body.election !== election.id) {
    throw mismatch(`the draft is for election ${draft.body.election}, not ${election.id}`);
  }
  return draft.body;
}

function sameJson(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function u32be(bytes, at) {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

function point(bytes, what) {
  try {
    return pointFromBytes(bytes);
  } catch {
    throw mismatch(`${what} is not a valid group element`);
  }
}

function hexBytes(text, what) {
  try {
    return fromHex(text);
  } catch {
    throw mismatch(`${what} is not hex`);
  }
}

// ---------------------------------------------------------------- joint key

/** QUAL (§6 "Ceremony" 5) from the election's ceremony state as the API shows it. */
export function qualifiedOf(election) {
  const awaiting = new Set(
    (election.complaints ?? []).filter((c) => c.verdict === 'answer-required').map((c) => c.dealer),
  );
  return election.trustees
    .filter((t) => t.revealed && t.fault === null && !awaiting.has(t.index))
    .map((t) => t.index)
    .sort((a, b) => a - b);
}

/** A_{i,0..k−1} from a `voting.trustee_reveal`'s commitments (u32_be(i) ‖ (A ‖ c ‖ z)^k). */
export function commitmentPoints(hex, dealer, threshold) {
  const bytes = hexBytes(hex, `trustee ${dealer}'s commitments`);
  if (bytes.length !== 4 + COMMITMENT_SIZE * threshold || u32be(bytes, 0) !== dealer) {
    throw mismatch(`trustee ${dealer}'s commitments are not ${threshold} commitments of trustee ${dealer}`);
  }
  const out = [];
  for (let t = 0; t < threshold; t++) {
    const at = 4 + COMMITMENT_SIZE * t;
    out.push(point(bytes.subarray(at, at + 32), `trustee ${dealer}'s A_${t}`));
  }
  return out;
}

/**
 * The `voting.joint_key` body, recomputed from the election (API) and the reveals
 * (`{index: commitments hex}` from the trustees' `voting.trustee_reveal` entries).
 */
export function jointKeyBody(election, reveals) {
  const qual = qualifiedOf(election);
  const k = election.threshold;
  if (qual.length < k) {
    throw mismatch(`${qual.length} qualified trustees, ${k} needed: the ceremony is not over`);
  }
  const dealers = qual.map((i) => {
    if (typeof reveals[i] !== 'string') throw mismatch(`trustee ${i}'s reveal is not on the board`);
    return commitmentPoints(reveals[i], i, k);
  });
  let key = IDENTITY;
  for (const a of dealers) key = key.add(a[0]);
  const n = election.trustees.length;
  const verificationKeys = [];
  for (let j = 1; j <= n; j++) {
    let kj = IDENTITY;
    for (const a of dealers) {
      let power = 1n;
      for (const at of a) {
        kj = kj.add(mulPublic(power, at));
        power = (power * BigInt(j)) % ORDER;
      }
    }
    verificationKeys.push(pointToHex(kj));
  }
  if (toHex(manifestHash(election.manifest)) !== election.manifest_hash) {
    throw mismatch('the manifest does not hash to the election\'s manifest hash');
  }
  return {
    election: election.id,
    qualified: qual,
    public_key: pointToHex(key),
    verification_keys: verificationKeys,
    context: toHex(electionContext(election.manifest, key)),
  };
}

/** Check the server's joint-key draft against the board; returns the body to sign. */
export function checkJointKeyDraft(draft, election, reveals) {
  const members = ['election', 'qualified', 'public_key', 'verification_keys', 'context'];
  const body = checkDraft(draft, JOINT_KEY, election, members);
  const mine = jointKeyBody(election, reveals);
  if (!sameJson(body.qualified, mine.qualified)) {
    throw mismatch(`the draft's qualified trustees ${JSON.stringify(body.qualified)} are not ` +
      `the board's ${JSON.stringify(mine.qualified)}`);
  }
  if (body.public_key !== mine.public_key) throw mismatch('the draft\'s joint key is not Σ A_{i,0}');
  if (!sameJson(body.verification_keys, mine.verification_keys)) {
    throw mismatch('the draft\'s verification keys are not the qualified trustees\' K_j');
  }
  if (body.context !== mine.context) throw mismatch('the draft\'s context is not H_C');
  return mine;
}

// -------------------------------------------------------------------- tally

/** The option counts of the manifest's contests (the blank vote included). */
export function widthsOf(manifest) {
  return manifest.contests.map((c) => c.options.length + (c.blank ? 1 : 0));
}

/**
 * The `voting.tally` body from the counted ballots (their `contests` hex lists):
 * per contest and option the sum of the ballots' ciphertexts (α ‖ β, hex).
 */
export function tallyBody(election, countedContests) {
  const widths = widthsOf(election.manifest);
  if (countedContests.length === 0) {
    throw mismatch('no counted ballot: a tally of nothing cannot be posted');
  }
  const sums = widths.map((m) => Array.from({ length: m }, () => [IDENTITY, IDENTITY]));
  for (const contests of countedContests) {
    if (!Array.isArray(contests) || contests.length !== widths.length) {
      throw mismatch('a counted ballot does not have one contest per manifest contest');
    }
    contests.forEach((hex, c) => {
      const bytes = hexBytes(hex, 'a ballot contest');
      if (bytes.length < 64 * widths[c]) throw mismatch('a ballot contest is too short');
      for (let o = 0; o < widths[c]; o++) {
        const at = 64 * o;
        const s = sums[c][o];
        s[0] = s[0].add(point(bytes.subarray(at, at + 32), 'a ballot ciphertext'));
        s[1] = s[1].add(point(bytes.subarray(at + 32, at + 64), 'a ballot ciphertext'));
      }
    });
  }
  return {
    election: election.id,
    ballots: countedContests.length,
    tally: sums.map((row) => row.map(([a, b]) => pointToHex(a) + pointToHex(b))),
  };
}

/** Check the server's tally draft against the counted ballots; returns the body to sign. */
export function checkTallyDraft(draft, election, countedContests) {
  const body = checkDraft(draft, TALLY, election, ['election', 'ballots', 'tally']);
  if (countedContests.length !== election.counted) {
    throw mismatch(`${countedContests.length} counted ballots read, the election counts ${election.counted}`);
  }
  const mine = tallyBody(election, countedContests);
  if (body.ballots !== mine.ballots) {
    throw mismatch(`the draft counts ${body.ballots} ballots, the board ${mine.ballots}`);
  }
  if (!sameJson(body.tally, mine.tally)) {
    throw mismatch('the draft\'s tally is not the sum of the counted ballots');
  }
  return mine;
}

/** h_T = SHA-256("pnyx/voting/tally/v1\n" ‖ every tally ciphertext) (§2), hex. */
export function tallyDigest(tally) {
  const h = sha256.create().update(TALLY_PREFIX);
  for (const row of tally) for (const ct of row) h.update(hexBytes(ct, 'a tally ciphertext'));
  return toHex(h.digest());
}

// ------------------------------------------------------------------- result

/** λ_j = Π_{m∈S, m≠j} m / (m − j) mod ℓ (docs/crypto.md §5.5). */
export function lagrange(j, indices) {
  let num = 1n;
  let den = 1n;
  for (const m of indices) {
    if (m === j) continue;
    num = (num * BigInt(m)) % ORDER;
    den = (((den * BigInt(m - j)) % ORDER) + ORDER) % ORDER;
  }
  return (num * scalarInvert(den)) % ORDER;
}

/**
 * Check the server's result draft: `partials` maps a trustee index to its
 * `voting.partial` shares (hex, contest then option). Returns the body to sign.
 */
export function checkResultDraft(draft, election, partials) {
  const members = ['election', 'tally', 'totals', 'used', 'excluded'];
  const body = checkDraft(draft, RESULT, election, members);
  const t = election.tally;
  if (!t) throw mismatch('the election has no tally on the board');
  if (tallyDigest(t.ciphertexts) !== t.digest) throw mismatch('the board\'s tally digest does not match its ciphertexts');
  if (body.tally !== t.digest) throw mismatch('the draft is not over the board\'s tally');
  const valid = election.trustees
    .filter((x) => x.partial && x.partial.valid)
    .map((x) => x.index)
    .sort((a, b) => a - b);
  const excluded = election.trustees
    .filter((x) => x.partial && !x.partial.valid)
    .map((x) => ({ trustee: x.index, reason: x.partial.reason }))
    .sort((a, b) => a.trustee - b.trustee);
  if (valid.length < election.threshold) {
    throw mismatch(`${valid.length} valid partial decryptions, ${election.threshold} needed`);
  }
  const used = valid.slice(0, election.threshold);
  if (!sameJson(body.used, used)) {
    throw mismatch(`the draft uses trustees ${JSON.stringify(body.used)}, not ${JSON.stringify(used)}`);
  }
  if (!sameJson(body.excluded, excluded)) {
    throw mismatch('the draft\'s excluded partials are not the board\'s invalid ones');
  }
  const lambdas = used.map((j) => lagrange(j, used));
  const widths = widthsOf(election.manifest);
  if (!Array.isArray(body.totals) || body.totals.length !== widths.length) {
    throw mismatch('the draft has not one row of totals per contest');
  }
  widths.forEach((m, c) => {
    const row = body.totals[c];
    if (!Array.isArray(row) || row.length !== m) throw mismatch(`contest ${c}'s totals have not ${m} options`);
    for (let o = 0; o < m; o++) {
      const total = row[o];
      if (!Number.isSafeInteger(total) || total < 0 || total > t.ballots) {
        throw mismatch(`contest ${c} option ${o}: ${total} is not a count of at most ${t.ballots} ballots`);
      }
      const ct = hexBytes(t.ciphertexts[c][o], 'a tally ciphertext');
      let plain = point(ct.subarray(32, 64), 'a tally β');
      used.forEach((j, n) => {
        const share = hexBytes(partials[j]?.[c]?.[o] ?? '', `trustee ${j}'s partial`);
        if (share.length !== PARTIAL_SIZE || u32be(share, 0) !== j) {
          throw mismatch(`trustee ${j}'s partial for contest ${c} option ${o} is not its own`);
        }
        const d = point(share.subarray(4, 36), `trustee ${j}'s D`);
        plain = plain.subtract(mulPublic(lambdas[n], d));
      });
      const expected = total === 0 ? IDENTITY : mulPublic(BigInt(total), GENERATOR);
      if (!pointEquals(plain, expected)) {
        throw mismatch(`contest ${c} option ${o}: the partials do not decrypt to ${total}`);
      }
    }
  });
  return {
    election: election.id,
    tally: t.digest,
    totals: body.totals.map((row) => [...row]),
    used,
    excluded,
  };
}

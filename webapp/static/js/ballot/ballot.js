/**
 * Ballots as the voting domain makes and checks them (docs/voting.md §1–§6),
 * as services/voting/ballot.py and manifest.py.
 *
 *     ballot        {"version": 1, "election", "voter", "contests": [hex, ...]}
 *     H_M         = SHA-256("pnyx/voting/manifest/v1\n" ‖ JCS(manifest))
 *     H_C         = SHA-256("pnyx/voting/context/v1\n" ‖ H_M ‖ K)
 *     h_b         = SHA-256("pnyx/voting/ballot/v1\n" ‖ JCS(ballot))
 *     roll message  "pnyx/voting/roll/v1\n" ‖ h_b           (Ed25519, RFC 8032)
 *     credential    presentation header "pnyx/presentation/v1\n" ‖ JCS(request),
 *                   request nonce = hex(h_b), pseudonym context = election id
 *
 * contests[c] is the encrypted contest (docs/crypto.md §4.5) of manifest
 * contest c, shape (id bytes, options + blank, min, max, option limit 1),
 * proven under context H_C and prover = bytes(voter).
 */

import canonicalize from 'canonicalize';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { InvalidBallot, InvalidEncoding, InvalidProof } from './errors.js';
import { concat, equalBytes, fromHex, isHex, toHex, utf8 } from './bytes.js';
import {
  GENERATOR,
  IDENTITY,
  mulPublic,
  pointToBytes,
  randomBytes,
  scalarFromHex,
  scalarToHex,
} from './group.js';
import {
  contestFromBytes,
  contestShape,
  contestToBytes,
  encryptContest,
  verifyContest,
} from './contest.js';
import { verifyNonce } from './elgamal.js';

export const VERSION = 1;
export const BALLOT_PREFIX = utf8('pnyx/voting/ballot/v1\n');
export const ROLL_PREFIX = utf8('pnyx/voting/roll/v1\n');
export const MANIFEST_PREFIX = utf8('pnyx/voting/manifest/v1\n');
export const CONTEXT_PREFIX = utf8('pnyx/voting/context/v1\n');
export const PRESENTATION_PREFIX = utf8('pnyx/presentation/v1\n');
export const BLANK = 'blank';
export const ELECTION_ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const BALLOT_MEMBERS = ['contests', 'election', 'version', 'voter'];
const HEX_RE = /^[0-9a-f]*$/;

const bad = (detail) => new InvalidBallot('malformed_voting_entry', detail);

/** JCS (RFC 8785) bytes of a JSON value. */
export function jcs(value) {
  return utf8(canonicalize(value));
}

// ---------------------------------------------------------------- manifest

/** The encrypted options of a manifest contest: its options, then "blank" when offered. */
export function choicesOf(contest) {
  return contest.blank ? [...contest.options, BLANK] : [...contest.options];
}

/** The contest shapes of a manifest (docs/voting.md §1): one per contest, in order. */
export function shapesOf(manifest) {
  if (!manifest || !Array.isArray(manifest.contests) || manifest.contests.length === 0) {
    throw bad('the manifest has no contests');
  }
  return manifest.contests.map((c) =>
    contestShape({
      contestId: utf8(c.id),
      options: choicesOf(c).length,
      minimum: c.min,
      maximum: c.max,
      optionLimit: 1,
    }),
  );
}

/** H_M = SHA-256("pnyx/voting/manifest/v1\n" ‖ JCS(manifest)), of the entry body as it stands. */
export function manifestHash(manifest) {
  return sha256(concat(MANIFEST_PREFIX, jcs(manifest)));
}

/** H_C = SHA-256("pnyx/voting/context/v1\n" ‖ H_M ‖ K) (docs/voting.md §2). */
export function electionContext(manifest, jointKey) {
  return sha256(concat(CONTEXT_PREFIX, manifestHash(manifest), pointToBytes(jointKey)));
}

/**
 * Per contest, the 0/1 selections of the named choices: `chosen` maps a contest
 * id to the option names picked ("blank" for the blank vote). Unknown names throw.
 */
export function selectionsFromChoices(manifest, chosen) {
  return manifest.contests.map((c) => {
    const names = choicesOf(c);
    const picked = chosen[c.id] ?? [];
    for (const name of picked) {
      if (!names.includes(name)) throw new RangeError(`contest ${c.id} has no option ${name}`);
    }
    return names.map((name) => (picked.includes(name) ? 1 : 0));
  });
}

// ------------------------------------------------------------------ ballot

/**
 * [election, voter, contests] of a ballot with exactly the members of §4, else
 * InvalidBallot("malformed_voting_entry") (the form only, as ballot_fields).
 */
export function ballotFields(ballot) {
  if (
    ballot === null ||
    typeof ballot !== 'object' ||
    Array.isArray(ballot) ||
    Object.keys(ballot).sort().join(',') !== BALLOT_MEMBERS.join(',')
  ) {
    throw bad(`a ballot has exactly the members ${JSON.stringify(BALLOT_MEMBERS)}`);
  }
  if (ballot.version !== VERSION) throw bad(`ballot version must be ${VERSION}`);
  const { election, voter, contests } = ballot;
  if (typeof election !== 'string' || !ELECTION_ID_RE.test(election)) {
    throw bad("the ballot's election is not an election id");
  }
  if (typeof voter !== 'string' || voter.length === 0 || !HEX_RE.test(voter)) {
    throw bad("the ballot's voter is lowercase hex");
  }
  if (
    !Array.isArray(contests) ||
    !contests.every((c) => typeof c === 'string' && HEX_RE.test(c) && c.length % 2 === 0)
  ) {
    throw bad("the ballot's contests are lowercase hex strings");
  }
  return [election, voter, contests];
}

/** h_b = SHA-256("pnyx/voting/ballot/v1\n" ‖ JCS(ballot)) of a well-formed ballot. */
export function ballotHash(ballot) {
  ballotFields(ballot);
  return sha256(concat(BALLOT_PREFIX, jcs(ballot)));
}

/** Each contest's bytes decoded for its shape; every point and scalar validated. */
export function decodeContests(contests, shapes) {
  if (contests.length !== shapes.length) {
    throw bad(`the ballot has ${contests.length} contests, the election ${shapes.length}`);
  }
  return contests.map((text, c) => {
    if (text.length !== 2 * shapes[c].encodedLength) {
      throw bad(`contest ${c} has ${text.length / 2} bytes, its shape ${shapes[c].encodedLength}`);
    }
    try {
      return contestFromBytes(fromHex(text), shapes[c]);
    } catch (e) {
      if (e instanceof InvalidEncoding) throw bad(`contest ${c} does not decode: ${e.message}`);
      throw e;
    }
  });
}

/**
 * Encrypt and prove every contest (§4): returns {ballot, hash, selections, nonces}
 * with `nonces[c][o]` the option nonces (bigints; secret unless challenged).
 */
export function makeBallotDocument(
  election,
  publicKey,
  context,
  shapes,
  voter,
  selections,
  rng = randomBytes,
) {
  if (!Array.isArray(selections) || selections.length !== shapes.length) {
    throw new RangeError('one selection list per contest');
  }
  if (!isHex(voter) || voter.length === 0) throw new RangeError('the voter is lowercase hex');
  const prover = fromHex(voter);
  const contests = [];
  const nonces = [];
  shapes.forEach((shape, c) => {
    const made = encryptContest(publicKey, shape, selections[c], { context, prover, rng });
    contests.push(toHex(contestToBytes(made.contest)));
    nonces.push(made.nonces);
  });
  const ballot = { version: VERSION, election, voter, contests };
  return { ballot, hash: ballotHash(ballot), selections: selections.map((s) => [...s]), nonces };
}

/**
 * Verify a ballot as the domain does before eligibility (docs/voting.md §6):
 * its form, the election, one contest per shape, each decoding and verifying
 * under `context` and the voter. Throws InvalidBallot (code as the domain's).
 */
export function verifyBallotContests(ballot, election, shapes, publicKey, context) {
  const [elect, voter, contests] = ballotFields(ballot);
  if (elect !== election) throw new InvalidBallot('unknown_election', `the ballot is for ${elect}`);
  if (voter.length % 2 !== 0) throw bad("the ballot's voter is lowercase hex of whole bytes");
  const decoded = decodeContests(contests, shapes);
  const prover = fromHex(voter);
  decoded.forEach((contest, c) => {
    try {
      verifyContest(publicKey, shapes[c], contest, { context, prover });
    } catch (e) {
      if (e instanceof InvalidProof) {
        throw new InvalidBallot('invalid_ballot', `contest ${c}: ${e.message}`);
      }
      throw e;
    }
  });
  return decoded;
}

// --------------------------------------------------------------- challenge

/** The body of a voting.challenge entry: {ballot, nonces (hex), selections}. */
export function challengeBodyOf(made) {
  return {
    ballot: made.ballot,
    nonces: made.nonces.map((contest) =>
      contest.map((r) => (typeof r === 'string' ? r : scalarToHex(r))),
    ),
    selections: made.selections.map((s) => [...s]),
  };
}

/**
 * Check that every option ciphertext is Enc_K(m; r) for the revealed (m, r), as
 * open_challenge: returns the selections; InvalidBallot otherwise.
 */
export function openChallenge(publicKey, contests, nonces, selections) {
  if (
    !Array.isArray(nonces) ||
    !Array.isArray(selections) ||
    nonces.length !== contests.length ||
    selections.length !== contests.length
  ) {
    throw bad('a challenge has one nonce and one selection list a contest');
  }
  return contests.map((contest, c) => {
    const rs = nonces[c];
    const ms = selections[c];
    const n = contest.ciphertexts.length;
    if (!Array.isArray(rs) || !Array.isArray(ms) || rs.length !== n || ms.length !== n) {
      throw bad(`contest ${c}: one nonce and one selection per option`);
    }
    contest.ciphertexts.forEach((ct, o) => {
      const m = ms[o];
      if (!Number.isSafeInteger(m) || m < 0 || !isHex(rs[o], 32)) {
        throw bad(`contest ${c} option ${o}: bad nonce or selection`);
      }
      let r;
      try {
        r = scalarFromHex(rs[o]);
      } catch {
        throw bad(`contest ${c} option ${o}: bad nonce`);
      }
      if (!verifyNonce(publicKey, ct, m, r)) {
        throw new InvalidBallot(
          'invalid_challenge',
          `contest ${c} option ${o}: the nonce and selection do not open the ciphertext`,
        );
      }
    });
    return [...ms];
  });
}

/**
 * Decrypt an option ciphertext with its revealed nonce r, without trusting any
 * claimed selection: α must be r·G, and β − r·K must be m·G for some m in
 * 0..limit. Returns m; InvalidBallot("invalid_challenge") otherwise.
 */
export function decryptWithNonce(publicKey, ct, nonce, limit) {
  if (!mulPublic(nonce, GENERATOR).equals(ct.alpha)) {
    throw new InvalidBallot(
      'invalid_challenge',
      'the nonce does not open the ciphertext (α ≠ r·G)',
    );
  }
  const plain = ct.beta.subtract(mulPublic(nonce, publicKey));
  let point = IDENTITY;
  for (let m = 0; m <= limit; m++) {
    if (plain.equals(point)) return m;
    point = point.add(GENERATOR);
  }
  throw new InvalidBallot(
    'invalid_challenge',
    `the ciphertext does not encrypt a value in 0..${limit}`,
  );
}

// ------------------------------------------------------------- eligibility

/** A roll voter's pseudonym: SHA-256 of the Ed25519 public key (hex). */
export function rollVoter(publicKey) {
  return toHex(sha256(publicKey));
}

/** {key, signature}: Ed25519 by the roll key over "pnyx/voting/roll/v1\n" ‖ h_b. */
export function rollEligibility(secretKey, hash) {
  return {
    key: toHex(ed25519.getPublicKey(secretKey)),
    signature: toHex(ed25519.sign(concat(ROLL_PREFIX, hash), secretKey)),
  };
}

/**
 * The roll key (hex) after checking {key, signature}: H(key) = voter and the
 * Ed25519 signature over the roll message (RFC 8032 strict decoding);
 * InvalidBallot("not_eligible") otherwise.
 */
export function checkRollSignature(eligibility, voter, hash) {
  const members =
    eligibility !== null && typeof eligibility === 'object' ? Object.keys(eligibility).sort() : [];
  const key = eligibility?.key;
  const sig = eligibility?.signature;
  if (members.join(',') !== 'key,signature' || !isHex(key, 32) || !isHex(sig, 64)) {
    throw new InvalidBallot(
      'not_eligible',
      'a roll eligibility is {key: 64 hex, signature: 128 hex}',
    );
  }
  if (rollVoter(fromHex(key)) !== voter) {
    throw new InvalidBallot('not_eligible', "the roll key is not the ballot's voter");
  }
  let ok = false;
  try {
    ok = ed25519.verify(fromHex(sig), concat(ROLL_PREFIX, hash), fromHex(key), { zip215: false });
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new InvalidBallot(
      'not_eligible',
      "the roll signature does not verify over this ballot's hash",
    );
  }
  return key;
}

/**
 * The presentation request a credential ballot answers (docs/voting.md §5), as
 * services/voting/ballot.py presentation_request(...).to_json(): its nonce is
 * hex(h_b) (`hash`: 32 bytes or 64 hex digits).
 */
export function presentationRequest(manifest, hash) {
  const nonce = typeof hash === 'string' ? hash : toHex(hash);
  if (!isHex(nonce, 32)) throw new RangeError('the ballot hash is 32 bytes');
  const e = manifest.eligibility;
  if (!e || e.type !== 'credential') throw new RangeError('the election does not use credentials');
  return {
    version: 1,
    type: 'PnyxPresentationRequest',
    issuer: e.issuer,
    schema: e.schema,
    disclose: Object.keys(e.attributes).sort(),
    predicates: e.predicates.map((p) => ({ attribute: p.attribute, op: p.op, value: p.value })),
    date: e.date,
    nonce,
    pseudonym: { context: manifest.id },
  };
}

/** ph of the BBS proof: "pnyx/presentation/v1\n" ‖ JCS(request). */
export function presentationHeader(request) {
  return concat(PRESENTATION_PREFIX, jcs(request));
}

/** Whether two 32-byte hashes are equal (constant time). */
export function sameHash(a, b) {
  return equalBytes(a, b);
}

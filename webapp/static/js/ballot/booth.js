/**
 * The booth's ballot functions: what the voting page calls (docs/voting.md §4–§5).
 *
 * The page loads the election's manifest (the `voting.election` body) and its
 * `voting.joint_key` entry (joint key K and context H_C), lets the voter choose,
 * then:
 *
 *     const voter = rollVoterOf(secretKey);            // roll election: H(public key)
 *     const made = makeBallot(manifest, context, key, selections, { voter });
 *     // show made.tracker; then either
 *     post('voting.ballot', signRoll(made.body, secretKey));     // cast
 *     post('voting.challenge', challengeBody(made));             // or audit
 *     decryptChallenge(challengeBody(made), manifest, key);      // what the audit shows
 *
 * For a credential election the eligibility is a BBS presentation made for
 * `presentationRequest(manifest, made.ballotHash)`: its header binds h_b.
 * Everything is byte-compatible with services/voting/ballot.py; nothing here
 * sends anything anywhere.
 */

import { InvalidBallot, InvalidEncoding } from './errors.js';
import { equalBytes, fromHex, isHex, toHex } from './bytes.js';
import {
  isPoint,
  pointFromHex,
  prepare,
  randomBytes,
  scalarFromHex,
  scalarToHex,
} from './group.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import {
  ELECTION_ID_RE,
  ballotFields,
  ballotHash,
  challengeBodyOf,
  checkRollSignature,
  choicesOf,
  decodeContests,
  decryptWithNonce,
  electionContext,
  makeBallotDocument,
  openChallenge,
  rollEligibility,
  rollVoter,
  selectionsFromChoices,
  shapesOf,
  verifyBallotContests,
} from './ballot.js';

export {
  choicesOf,
  electionContext,
  manifestHash,
  presentationHeader,
  presentationRequest,
  selectionsFromChoices,
} from './ballot.js';
export { InvalidBallot, InvalidEncoding, InvalidProof } from './errors.js';

function secretKeyBytes(secretKey) {
  if (secretKey instanceof Uint8Array && secretKey.length === 32) return secretKey;
  if (isHex(secretKey, 32)) return fromHex(secretKey);
  throw new RangeError('a roll key is a 32-byte Ed25519 seed (bytes or 64 hex digits)');
}

function jointKeyOf(jointKey) {
  const key = typeof jointKey === 'string' ? jointKeyPoint(jointKey) : jointKey;
  if (!isPoint(key) || key.is0()) {
    throw new InvalidEncoding('the joint key is a point other than the identity');
  }
  return key;
}

/**
 * The joint key K (64 hex) as a validated point with its multiplication table
 * prepared. Every function below takes K as hex or as this point: pass the
 * point when calling them more than once, so the table is built once.
 */
export function jointKeyPoint(jointKeyHex) {
  return prepare(pointFromHex(jointKeyHex));
}

/** Check the manifest's id and that `contextHash` is H_C of this manifest and key. */
function keyedElection(manifest, contextHash, jointKey) {
  if (!manifest || typeof manifest.id !== 'string' || !ELECTION_ID_RE.test(manifest.id)) {
    throw new InvalidBallot('malformed_voting_entry', 'the manifest has no valid election id');
  }
  const key = jointKeyOf(jointKey);
  const context = typeof contextHash === 'string' ? fromHex(contextHash, 32) : contextHash;
  if (!equalBytes(electionContext(manifest, key), context)) {
    throw new InvalidBallot(
      'context_mismatch',
      'the election context is not H(prefix ‖ H(manifest) ‖ joint key): refusing to encrypt',
    );
  }
  return { key, context, shapes: shapesOf(manifest) };
}

/** Hex digits of a voter: a roll key id (SHA-256, 64) or a BBS pseudonym (G1 point, 96). */
function voterLength(manifest) {
  return manifest.eligibility?.type === 'roll' ? 64 : 96;
}

/** A roll voter's pseudonym (hex) from the 32-byte Ed25519 seed: SHA-256 of the public key. */
export function rollVoterOf(secretKey) {
  return rollVoter(ed25519.getPublicKey(secretKeyBytes(secretKey)));
}

/**
 * Encrypt and prove a ballot in the page.
 *
 * - `manifest`: the voting.election body; `contextHash`: H_C (64 hex or 32 bytes),
 *   checked against the manifest and key; `jointKeyHex`: K (64 hex or a point);
 * - `selections`: per contest the 0/1 list over its choices (options, then blank),
 *   or an object {contestId: [option names]} ("blank" for the blank vote);
 * - `voter`: the voter's pseudonym (hex): `rollVoterOf(secretKey)` for a roll,
 *   the BBS pseudonym for a credential election; `rng(n)` → n random bytes
 *   (default WebCrypto).
 *
 * Returns {body, ballotHash, tracker, nonces, selections}: `body` the ballot
 * document of docs/voting.md §4, `ballotHash` h_b (64 hex), `tracker` the same
 * hash, which the voter keeps and finds on the board (the receipt's `ballot`),
 * `nonces` per contest and option (64 hex each, secret: only a challenge reveals them).
 */
export function makeBallot(
  manifest,
  contextHash,
  jointKeyHex,
  selections,
  { voter, rng = randomBytes } = {},
) {
  const { key, context, shapes } = keyedElection(manifest, contextHash, jointKeyHex);
  if (!isHex(voter) || voter.length !== voterLength(manifest)) {
    throw new RangeError(`the voter of this election is ${voterLength(manifest)} hex digits`);
  }
  const chosen = Array.isArray(selections)
    ? selections
    : selectionsFromChoices(manifest, selections);
  const made = makeBallotDocument(manifest.id, key, context, shapes, voter, chosen, rng);
  const hash = toHex(made.hash);
  return {
    body: made.ballot,
    ballotHash: hash,
    tracker: hash,
    nonces: made.nonces.map((contest) => contest.map(scalarToHex)),
    selections: made.selections,
  };
}

/** The voting.challenge body of a made ballot: {ballot, nonces, selections}. */
export function challengeBody(made) {
  return challengeBodyOf({ ballot: made.body, nonces: made.nonces, selections: made.selections });
}

/**
 * The voting.ballot body of a roll election: {ballot, eligibility: {key, signature}},
 * the Ed25519 signature by the voter's roll key over "pnyx/voting/roll/v1\n" ‖ h_b.
 * Refuses a ballot whose voter is not this key's pseudonym.
 */
export function signRoll(ballot, voterSecretKey) {
  const seed = secretKeyBytes(voterSecretKey);
  const [, voter] = ballotFields(ballot);
  if (rollVoter(ed25519.getPublicKey(seed)) !== voter) {
    throw new InvalidBallot('not_eligible', "the roll key is not the ballot's voter");
  }
  return { ballot, eligibility: rollEligibility(seed, ballotHash(ballot)) };
}

/**
 * What a challenged ballot holds, recomputed from its nonces alone: for each
 * option, α = r·G is checked and β − r·K = m·G solved for m ∈ {0, 1}; the
 * selections the body claims must agree (as the board's check). Returns per
 * contest {contest, selections, chosen}: the decrypted 0/1 list and the names
 * of the chosen options. Throws InvalidBallot on any mismatch.
 */
export function decryptChallenge(body, manifest, jointKey) {
  const key = jointKeyOf(jointKey);
  const [election, , contests] = ballotFields(body?.ballot);
  if (election !== manifest.id) {
    throw new InvalidBallot(
      'unknown_election',
      `the ballot is for ${election}, not ${manifest.id}`,
    );
  }
  const shapes = shapesOf(manifest);
  const decoded = decodeContests(contests, shapes);
  if (!Array.isArray(body.nonces) || body.nonces.length !== decoded.length) {
    throw new InvalidBallot('malformed_voting_entry', 'a challenge has one nonce list a contest');
  }
  const out = decoded.map((contest, c) => {
    const nonces = body.nonces[c];
    if (!Array.isArray(nonces) || nonces.length !== contest.ciphertexts.length) {
      throw new InvalidBallot('malformed_voting_entry', `contest ${c}: one nonce per option`);
    }
    const selections = contest.ciphertexts.map((ct, o) => {
      let r;
      try {
        r = scalarFromHex(nonces[o]);
      } catch {
        throw new InvalidBallot('malformed_voting_entry', `contest ${c} option ${o}: bad nonce`);
      }
      return decryptWithNonce(key, ct, r, shapes[c].optionLimit);
    });
    const names = choicesOf(manifest.contests[c]);
    return {
      contest: manifest.contests[c].id,
      selections,
      chosen: names.filter((_, o) => selections[o] === 1),
    };
  });
  if (body.selections !== undefined) {
    // The claimed selections must be the ones the nonces open (services/voting open_challenge).
    openChallenge(key, decoded, body.nonces, body.selections);
  }
  return out;
}

/**
 * Verify a voting.ballot body as the domain does (docs/voting.md §6), short of
 * the board's state (phase, time, replay, re-vote): the body's members, the
 * ballot's form, election and voter length, every contest proof under H_C and
 * the voter, and for a roll election the key on the roll and its signature. A
 * credential election's presentation is not checked here (webapp/static/js/bbs
 * verifies BBS proofs; its header must be `presentationHeader(presentationRequest(
 * manifest, h_b))`). Returns h_b (hex); throws InvalidBallot.
 */
export function verifyBallot(body, manifest, contextHash, jointKeyHex) {
  const { key, context, shapes } = keyedElection(manifest, contextHash, jointKeyHex);
  const members = body !== null && typeof body === 'object' ? Object.keys(body).sort() : [];
  if (members.join(',') !== 'ballot,eligibility') {
    throw new InvalidBallot(
      'malformed_voting_entry',
      'a voting.ballot body is {ballot, eligibility}',
    );
  }
  const ballot = body.ballot;
  const [, voter] = ballotFields(ballot);
  const roll = manifest.eligibility?.type === 'roll';
  if (voter.length !== voterLength(manifest)) {
    throw new InvalidBallot(
      'malformed_voting_entry',
      `the voter of this election is ${voterLength(manifest)} hex digits`,
    );
  }
  verifyBallotContests(ballot, manifest.id, shapes, key, context);
  const hash = ballotHash(ballot);
  if (roll) {
    const rollKey = checkRollSignature(body.eligibility, voter, hash);
    if (!manifest.eligibility.voters.includes(rollKey)) {
      throw new InvalidBallot('not_eligible', 'the key is not on the roll');
    }
  }
  return toHex(hash);
}

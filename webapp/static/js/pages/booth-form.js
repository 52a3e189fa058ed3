/**
 * The voting booth page's rules that need no document (webapp/static/js/pages/booth.js
 * uses them; webapp/js-tests/booth-page.test.js tests them under node):
 *
 * - how a contest is offered (docs/voting.md §1: `min`..`max` selections over the
 *   options, then the blank vote) and what is wrong with a selection count;
 * - reading a roll voter's key file (`pnyx election roll-key NAME` writes the
 *   32-byte Ed25519 seed as 64 hex digits and a newline, webapp/cli_voting.py
 *   VotingKeys) and checking its public key is on the roll (§5);
 * - a credential voter's pseudonym (§4: 48 bytes, 96 hex) and the wallet's
 *   presentation for a ballot hash (§5: `proof.challenge` = hex(h_b), the
 *   pseudonym for context = election id, equal to the ballot's voter).
 *
 * Nothing here sends anything; a key only ever lives in the caller's memory.
 */

import { ed25519 } from '@noble/curves/ed25519.js';
import { choicesOf } from '../ballot/booth.js';
import { fromHex, isHex, toHex } from '../ballot/bytes.js';

export const BLANK = 'blank';
export const KEY_FILE_MAX = 4096;
export const PRESENTATION_MAX = 256 * 1024;
const PSEUDONYM_BYTES = 48;

/** A problem the voter can fix: the page shows `message`. */
export class BoothInputError extends Error {
  constructor(message) {
    super(message);
    this.name = 'BoothInputError';
  }
}

function words(n) {
  return ['none', 'one', 'two', 'three', 'four', 'five'][n] ?? String(n);
}

/**
 * How the page offers `contest`: radio buttons when exactly one choice is
 * required, check boxes otherwise; `choices` [{value, label, blank}] in ballot
 * order (the blank vote last); `rule` the sentence that says how many to choose.
 */
export function contestControl(contest) {
  const names = choicesOf(contest);
  const n = names.length;
  const { min, max } = contest;
  let rule;
  if (min === max) rule = min === 1 ? 'Choose one.' : `Choose exactly ${words(min)}.`;
  else if (min === 0 && max >= n) rule = 'Choose any number of them, or none.';
  else if (min === 0) rule = `Choose up to ${words(max)}, or none.`;
  else rule = `Choose at least ${words(min)} and at most ${words(max)}.`;
  return {
    kind: min === 1 && max === 1 ? 'radio' : 'checkbox',
    rule,
    choices: names.map((name, o) => ({
      value: String(o),
      label: contest.blank && o === n - 1 ? 'Blank vote' : name,
      blank: Boolean(contest.blank && o === n - 1),
    })),
  };
}

/** Why `count` selections do not fit `contest` (a sentence), or null when they do. */
export function selectionProblem(contest, count) {
  const { min, max } = contest;
  const chose = count === 0 ? 'you chose none' : `you chose ${words(count)}`;
  if (count < min) {
    return min === max
      ? `choose exactly ${words(min)} (${chose}).`
      : `choose at least ${words(min)} (${chose}).`;
  }
  if (count > max) {
    return max === 0 ? 'choose none.' : `choose at most ${words(max)} (${chose}).`;
  }
  return null;
}

/**
 * The 0/1 selections of every contest (ballot order) from the indices the voter
 * ticked, `picked[c]` an array of option indices; and the problems, one per
 * contest that breaks its count ({contest, title, message}).
 */
export function selectionsOf(manifest, picked) {
  const problems = [];
  const selections = manifest.contests.map((contest, c) => {
    const n = choicesOf(contest).length;
    const chosen = new Set(picked[c] ?? []);
    for (const o of chosen) {
      if (!Number.isInteger(o) || o < 0 || o >= n) {
        throw new RangeError(`contest ${contest.id} has no option ${o}`);
      }
    }
    const problem = selectionProblem(contest, chosen.size);
    if (problem) problems.push({ contest: contest.id, title: contest.title, message: problem });
    return Array.from({ length: n }, (_, o) => (chosen.has(o) ? 1 : 0));
  });
  return { selections, problems };
}

/** [{contest, title, chosen: [labels]}] of 0/1 selections, for the voter's eyes only. */
export function chosenLabels(manifest, selections) {
  return manifest.contests.map((contest, c) => {
    const { choices } = contestControl(contest);
    return {
      contest: contest.id,
      title: contest.title,
      chosen: choices.filter((_, o) => selections[c][o] === 1).map((x) => x.label),
    };
  });
}

/** Whether two selections (lists of 0/1 lists) are the same. */
export function sameSelections(a, b) {
  return (
    Array.isArray(a) &&
    Array.isArray(b) &&
    a.length === b.length &&
    a.every((row, c) => row.length === b[c].length && row.every((x, o) => x === b[c][o]))
  );
}

/**
 * The Ed25519 seed (32 bytes) of a roll voter's key file as `pnyx` writes it:
 * 64 hex digits (surrounding white space ignored). Throws BoothInputError.
 */
export function parseRollKeyFile(text) {
  if (typeof text !== 'string' || text.length > KEY_FILE_MAX) {
    throw new BoothInputError('This is not a voting key file (it is too large).');
  }
  const t = text.trim();
  if (t.startsWith('PRIVATE+KEY+')) {
    throw new BoothInputError(
      "This is an authority's signing key, not a voter's key: load the file " +
        '`pnyx election roll-key NAME` wrote.',
    );
  }
  if (!/^[0-9a-fA-F]{64}$/.test(t)) {
    throw new BoothInputError(
      'This is not a voting key file: it should hold 64 hex digits ' +
        '(the file `pnyx election roll-key NAME` wrote).',
    );
  }
  return fromHex(t.toLowerCase(), 32);
}

/** {publicKey (hex), onRoll} of a roll voter's seed against the manifest's roll. */
export function rollKeyInfo(seed, manifest) {
  const publicKey = toHex(ed25519.getPublicKey(seed));
  const roll = manifest?.eligibility?.type === 'roll' ? manifest.eligibility.voters : [];
  return { publicKey, onRoll: Array.isArray(roll) && roll.includes(publicKey) };
}

function parseJson(text, what, max) {
  if (typeof text !== 'string') return text;
  if (text.length > max) throw new BoothInputError(`This ${what} is too large.`);
  try {
    return JSON.parse(text);
  } catch {
    throw new BoothInputError(`This is not a ${what}: it is not JSON.`);
  }
}

/** The one credential of a presentation (a W3C VP, or `{presentation: VP}`), and the VP. */
function presentationParts(doc) {
  const vp = doc && typeof doc === 'object' && 'presentation' in doc ? doc.presentation : doc;
  const creds = vp?.verifiableCredential;
  if (
    !vp ||
    typeof vp !== 'object' ||
    !Array.isArray(vp.type) ||
    !vp.type.includes('VerifiablePresentation') ||
    !Array.isArray(creds) ||
    creds.length !== 1 ||
    typeof creds[0]?.proof !== 'object'
  ) {
    throw new BoothInputError(
      'This is not a presentation from your wallet (a VerifiablePresentation with one credential).',
    );
  }
  return { vp, proof: creds[0].proof };
}

/**
 * The voter's pseudonym in election `electionId` (96 hex): the value itself, or
 * read from a presentation the wallet made for this election. Throws BoothInputError.
 */
export function pseudonymFrom(text, electionId) {
  const t = typeof text === 'string' ? text.trim() : '';
  if (isHex(t.toLowerCase(), PSEUDONYM_BYTES)) return t.toLowerCase();
  if (!t.startsWith('{')) {
    throw new BoothInputError('A pseudonym is 96 hex digits (or paste a presentation for it).');
  }
  const { proof } = presentationParts(parseJson(t, 'presentation', PRESENTATION_MAX));
  const nym = proof.pseudonym;
  if (!nym || nym.context !== electionId) {
    throw new BoothInputError(`This presentation shows no pseudonym for election ${electionId}.`);
  }
  if (!isHex(nym.value, PSEUDONYM_BYTES)) {
    throw new BoothInputError("The presentation's pseudonym is not 96 hex digits.");
  }
  return nym.value;
}

/**
 * The `eligibility` member of a credential ballot, `{presentation: VP}`, from the
 * wallet's answer (text or parsed): it must answer this ballot (`proof.challenge`
 * = `ballotHash`) with the pseudonym of this election that the ballot carries.
 * The board checks the proof itself. Throws BoothInputError.
 */
export function eligibilityFromPresentation(input, { ballotHash, voter, election }) {
  const { vp, proof } = presentationParts(parseJson(input, 'presentation', PRESENTATION_MAX));
  if (proof.challenge !== ballotHash) {
    throw new BoothInputError(
      'This presentation was made for another ballot: give your wallet the request of this one.',
    );
  }
  if (proof.pseudonym?.context !== election || proof.pseudonym?.value !== voter) {
    throw new BoothInputError(
      'This presentation shows another pseudonym than the one this ballot was made for.',
    );
  }
  return { presentation: vp };
}

/** The file name the booth offers for a receipt. */
export function receiptFileName(receipt) {
  const tracker = String(receipt?.tracker ?? '').slice(0, 12);
  const election = String(receipt?.election ?? 'ballot').replace(/[^a-z0-9._-]/g, '_');
  return `receipt-${election}-${tracker}.json`;
}

/**
 * What the officials' dashboard reads from the API (docs/api.md): authorities,
 * elections, the server's drafts, and the board entries the page recomputes the
 * drafts from (checks.js): the trustees' reveals, the counted ballots, the partial
 * decryptions. Reads only: every write is an entry signed in the page (entry.js).
 */

import { ApiError, base64Decode, getJson } from './entry.js';

export const BOARD = '/api/v1/board';
export const VOTING = '/api/v1/voting';
export const IDENTITY = '/api/v1/identity';
const PAGE = 1000;
const decoder = new TextDecoder();

const enc = encodeURIComponent;

/** Every authority ever registered (`GET /board/authorities`). */
export async function authorities(options) {
  return (await getJson(`${BOARD}/authorities`, options)).authorities;
}

/** The board's authority record of an author key id, or null. */
export function authorityOf(list, author) {
  return list.find((a) => a.key_id === author) ?? null;
}

/** Every election (`GET /voting/elections`). */
export async function elections(options) {
  return (await getJson(`${VOTING}/elections`, options)).elections;
}

/** One election with its ceremony, tally and result (`GET /voting/elections/{id}`). */
export async function election(id, options) {
  return getJson(`${VOTING}/elections/${enc(id)}`, options);
}

/** The server's unsigned body of the official's next entry: joint_key, tally or result. */
export async function draft(id, step, options) {
  return getJson(`${VOTING}/elections/${enc(id)}/drafts/${enc(step)}`, options);
}

/** The schemas of the identity domain (an empty list when this server has no identity API). */
export async function schemas(options) {
  try {
    return (await getJson(`${IDENTITY}/schemas`, options)).schemas;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return [];
    throw e;
  }
}

/** Decode one row of `GET /board/entries` (`{index, leaf (base64), kind}`) to the entry. */
export function decodeRow(row) {
  const bytes = base64Decode(row.leaf);
  if (bytes === null) throw new ApiError(0, 'bad_answer', `entry ${row.index} is not base64`);
  return JSON.parse(decoder.decode(bytes));
}

/**
 * Every entry of `kind` from index `start` on, decoded, in board order
 * (`GET /board/entries?kind=…&start=…&limit=1000`, page after page).
 */
export async function entriesOfKind(kind, start, options) {
  const out = [];
  let at = start;
  for (;;) {
    const page = await getJson(`${BOARD}/entries?kind=${enc(kind)}&start=${at}&limit=${PAGE}`, options);
    for (const row of page.entries) out.push({ index: row.index, entry: decodeRow(row) });
    if (page.next === null || page.next === undefined) return out;
    at = page.next;
  }
}

/** `{trustee index: commitments hex}` from the election's `voting.trustee_reveal` entries. */
export async function reveals(el, options) {
  const out = {};
  for (const { entry } of await entriesOfKind('voting.trustee_reveal', el.index, options)) {
    if (entry.body.election === el.id) out[entry.body.trustee] = entry.body.commitments;
  }
  return out;
}

/** The board indices of the election's counted ballots (`GET …/ballots`, page after page). */
export async function countedIndices(el, options) {
  const out = new Set();
  let at = 0;
  for (;;) {
    const page = await getJson(
      `${VOTING}/elections/${enc(el.id)}/ballots?start=${at}&limit=${PAGE}`,
      options,
    );
    for (const b of page.ballots) if (b.counted) out.add(b.index);
    if (page.next === null || page.next === undefined) return out;
    at = page.next;
  }
}

/** The `contests` (hex list) of every counted ballot of the election, from its entries. */
export async function countedContests(el, options) {
  const counted = await countedIndices(el, options);
  const out = [];
  for (const { index, entry } of await entriesOfKind('voting.ballot', el.index, options)) {
    if (counted.has(index) && entry.body.ballot.election === el.id) {
      out.push(entry.body.ballot.contests);
    }
  }
  return out;
}

/** `{trustee index: shares}` from the election's `voting.partial` entries. */
export async function partials(el, options) {
  const out = {};
  for (const { entry } of await entriesOfKind('voting.partial', el.index, options)) {
    if (entry.body.election === el.id) out[entry.body.trustee] = entry.body.shares;
  }
  return out;
}

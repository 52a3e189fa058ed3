/**
 * Shared by the ballot tests: the Python vectors (tests/vectors/), their
 * deterministic random stream, and byte helpers.
 *
 * Stream(label): rng(n) returns the next n bytes of
 * SHAKE-256("pnyx-test-vectors/v1" ‖ label), exactly as
 * tests/vectors/generate_ballot_vectors.py `Stream` (docs/crypto.md §8).
 */

import { readFileSync } from 'node:fs';
import { shake256 } from '@noble/hashes/sha3.js';
import { concat, utf8 } from '../static/js/ballot/bytes.js';

export const VECTORS = new URL('../../tests/vectors/', import.meta.url);

/** The parsed vector file `name` (e.g. "contest.json"). */
export function vector(name) {
  return JSON.parse(readFileSync(new URL(name, VECTORS), 'utf8'));
}

/** The test stream of `label` as a RandomSource: rng(n) → the next n bytes. */
export function stream(label) {
  const xof = shake256.create().update(concat(utf8('pnyx-test-vectors/v1'), utf8(label)));
  return (n) => xof.xof(n);
}

/** A copy of `bytes` with byte `i` xor `mask`. */
export function flipped(bytes, i, mask = 0x01) {
  const out = Uint8Array.from(bytes);
  out[i] ^= mask;
  return out;
}

// Shared helpers of the BBS tests: where the published vectors are, and readers.
// The vectors live in ../shared/vectors beside the repository (tests/conftest.py);
// PNYX_VECTORS overrides. A test skips only when the folder is absent.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { SHA_256, SHAKE_256, fromHex, utf8 } from '../static/js/bbs/suite.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The vectors folder. */
export const VECTORS = process.env.PNYX_VECTORS || resolve(here, '..', '..', '..', 'shared', 'vectors');

/** Whether the vectors folder exists (tests skip, never pass, when it does not). */
export const HAVE_VECTORS = existsSync(VECTORS);

/** The suite folders and their suites. */
export const SUITES = [
  ['bls12-381-sha-256', SHA_256],
  ['bls12-381-shake-256', SHAKE_256],
];

/** Parsed JSON of a file under the vectors folder. */
export function readJson(...parts) {
  return JSON.parse(readFileSync(join(VECTORS, ...parts), 'utf8'));
}

/** [{ name, fx }] of every *.json under the folder, sorted. */
export function cases(...parts) {
  const dir = join(VECTORS, ...parts);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f, fx: JSON.parse(readFileSync(join(dir, f), 'utf8')) }));
}

/** Hex strings to byte strings (null / undefined: []). */
export function hexes(items) {
  return (items || []).map(fromHex);
}

/** Hex strings to bigints. */
export function ints(items) {
  return (items || []).map((x) => BigInt('0x' + x));
}

/** A bigint from hex (null / "" → 0n). */
export function int(x) {
  return x ? BigInt('0x' + x) : 0n;
}

/** ASCII seed/DST strings of the blind and pseudonym fixtures as bytes. */
export function ascii(s) {
  return utf8(s);
}

/** A copy of bytes with one bit flipped at `index` (default: the middle). */
export function flip(bytes, index = Math.floor(bytes.length / 2), bit = 1) {
  const out = Uint8Array.from(bytes);
  out[index] ^= bit;
  return out;
}

/**
 * The Fiat–Shamir transcript (docs/crypto.md §3.1), as crypto/transcript.py.
 *
 *     item(label, value) = LP(label) ‖ LP(value)
 *     start(protocol, context, prover) =
 *         LP("pnyx-transcript/v1") ‖ item("protocol", protocol)
 *                                  ‖ item("context", context) ‖ item("prover", prover)
 *     challenge(label) = SHA-512(data ‖ item("challenge", label)) mod ℓ (little-endian)
 *     nonce k_i = SHA-512(LP("pnyx-nonce/v1") ‖ LP(SHA-512(data)) ‖ LP(w) ‖ LP(ρ)
 *                         ‖ u32_be(i)) mod ℓ,   ρ = rng(32)
 *
 * Immutable: `append` returns a new transcript (a copy of the SHA-512 state
 * with one more item), so a caller binds a prefix once and forks it per proof.
 * Labels and values are bytes (Uint8Array) or ASCII strings for labels.
 */

import { sha512 } from '@noble/hashes/sha2.js';
import { concat, lengthPrefixed, u32be, u64be, utf8 } from './bytes.js';
import { pointToBytes, reduceWide, scalarToBytes } from './group.js';

/** Length of a context hash (SHA-256 of the manifest and key, of a schema…). */
export const CONTEXT_LENGTH = 32;
const PREFIX = lengthPrefixed(utf8('pnyx-transcript/v1'));
const NONCE_TAG = utf8('pnyx-nonce/v1');
const CHALLENGE_LABEL = lengthPrefixed(utf8('challenge'));
const MAX_ITEM = 0xffffffff;

const asBytes = (x) => (typeof x === 'string' ? utf8(x) : x);

export class Transcript {
  #state;

  /** Use `Transcript.start`. */
  constructor(state) {
    this.#state = state;
    Object.freeze(this);
  }

  /** Open a transcript for `protocol`, bound to a 32-byte `context` and `prover` (§3.1). */
  static start(protocol, { context, prover }) {
    const p = asBytes(protocol);
    if (!(context instanceof Uint8Array) || context.length !== CONTEXT_LENGTH) {
      throw new RangeError('the context is a 32-byte hash');
    }
    if (p.length === 0) throw new RangeError('the protocol name must not be empty');
    return new Transcript(sha512.create().update(PREFIX)).extend([
      ['protocol', p],
      ['context', context],
      ['prover', asBytes(prover)],
    ]);
  }

  /** Absorb item(label, value) = LP(label) ‖ LP(value). */
  append(label, value) {
    return this.extend([[label, value]]);
  }

  /** Absorb item(label, value) for each [label, value] in order (one state copy). */
  extend(items) {
    const state = this.#state.clone();
    for (const [label, value] of items) {
      const l = asBytes(label);
      if (l.length > MAX_ITEM || value.length > MAX_ITEM) {
        throw new RangeError('transcript item too long');
      }
      state.update(u32be(l.length)).update(l).update(u32be(value.length)).update(value);
    }
    return new Transcript(state);
  }

  /** Absorb a point's canonical 32-byte encoding. */
  appendPoint(label, point) {
    return this.append(label, pointToBytes(point));
  }

  /** Absorb a scalar's canonical 32-byte encoding. */
  appendScalar(label, scalar) {
    return this.append(label, scalarToBytes(scalar));
  }

  /** Absorb a non-negative integer below 2⁶⁴ as 8 big-endian bytes. */
  appendInt(label, value) {
    return this.append(label, u64be(value));
  }

  /** SHA-512(data): the transcript so far, 64 bytes. */
  digest() {
    return this.#state.clone().digest();
  }

  /** c = SHA-512(data ‖ item("challenge", label)) mod ℓ, little-endian (§3.1). */
  challenge(label = 'challenge') {
    const l = asBytes(label);
    const state = this.#state.clone();
    state.update(CHALLENGE_LABEL).update(u32be(l.length)).update(l);
    return reduceWide(state.digest());
  }

  /**
   * `count` hedged prover nonces (§3.1 "Nonces"): unpredictable if either the
   * random source or the witness is secret. Takes 32 bytes (ρ) from `rng`.
   */
  nonces(count, witness, rng) {
    const seed = rng(32);
    if (!(seed instanceof Uint8Array) || seed.length !== 32) {
      throw new RangeError('the random source returned the wrong number of bytes');
    }
    const state = sha512
      .create()
      .update(
        concat(
          lengthPrefixed(NONCE_TAG),
          lengthPrefixed(this.digest()),
          lengthPrefixed(witness),
          lengthPrefixed(seed),
        ),
      );
    const out = [];
    for (let i = 0; i < count; i++) {
      out.push(reduceWide(state.clone().update(u32be(i)).digest()));
    }
    return out;
  }
}

/**
 * Checking the board in the browser (docs/board.md §5–§7, docs/voting.md §8).
 *
 * Pure functions first — the same ones run under `node --test`:
 *
 *   - RFC 9162 §2.1 Merkle hashes: leaf `SHA-256(0x00 ‖ d)`, node
 *     `SHA-256(0x01 ‖ l ‖ r)`; inclusion proofs verified by §2.1.3.2 and
 *     consistency proofs by §2.1.4.2, with the edge rules of the
 *     transparency-dev probes (a consistency proof from size 0 is never
 *     accepted; equal sizes need an empty proof and equal roots). Indices
 *     and sizes are BigInt: a JavaScript `&` or `>>` is 32-bit.
 *   - C2SP signed-note: a note is text ending in "\n", a blank line, then
 *     lines "— <name> base64(key ID (4) ‖ signature)"; the key ID is
 *     SHA-256(name ‖ "\n" ‖ type ‖ public key)[:4]; a verifier key (vkey) is
 *     "<name>+<hex key ID>+base64(type ‖ public key)". Type 0x01: Ed25519
 *     (RFC 8032, strict encodings) over the text; type 0x04, C2SP
 *     tlog-cosignature `cosignature/v1`: the signature is uint64be(time) ‖
 *     Ed25519 over "cosignature/v1\ntime <t>\n" ‖ text.
 *   - C2SP tlog-checkpoint: origin, decimal size, base64 root (32 bytes).
 *
 * Then the checks a page runs, each fetching from the board's HTTP API
 * (`/api/v1/board`, docs/board.md §8) through an injectable `fetch` and
 * returning a report `{ok, steps: [{ok, label, detail}]}` where `ok` is
 * true, false, or null (nothing to decide, e.g. not covered yet):
 * `checkCheckpoint`, `checkEntry`, `checkReceipt`. Nothing here trusts what
 * the server says a hash or a root is: every value is recomputed from
 * bytes and signatures under the log key that the page embeds from the
 * board's genesis.
 */

import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import canonicalize from 'canonicalize';
import {
  base64ToBytes,
  concat,
  equalBytes,
  hexToBytes,
  toBase64,
  toHex,
  utf8,
} from '../common/bytes.js';

export { equalBytes, toBase64, toHex, utf8 };

/** Any failed check: a malformed input, a bad signature, a proof that does not hold. */
export class VerifyError extends Error {
  constructor(message) {
    super(message);
    this.name = 'VerifyError';
  }
}

const SIG_ED25519 = 0x01;
const SIG_COSIGNATURE_V1 = 0x04;
const MAX_SIGNATURES = 100;
const MAX_TIMESTAMP = (1n << 63n) - 1n;
const MAX_TREE_SIZE = (1n << 64n) - 1n;
const EM_DASH_PREFIX = '\u2014 ';
const BALLOT_PREFIX = 'pnyx/voting/ballot/v1\n';
const RECEIPT_TYPE = 'PnyxBallotReceipt';

// ------------------------------------------------------------------ bytes

/** Bytes of a hex string (either case, even length), else VerifyError. */
export function fromHex(hex, what = 'value') {
  const out = hexToBytes(hex, true);
  if (out === null) throw new VerifyError(`${what} is not hex`);
  return out;
}

/** Decode standard padded base64, accepting only its canonical form (as ledger/note.py). */
export function fromBase64(s, what = 'value') {
  const out = base64ToBytes(s);
  if (out !== null) return out;
  const shaped = typeof s === 'string' && s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s);
  throw new VerifyError(`${what}: ${shaped ? 'non-canonical base64' : 'not base64'}`);
}

function toBig(n, what) {
  if (typeof n === 'bigint') return n;
  if (typeof n === 'number' && Number.isSafeInteger(n)) return BigInt(n);
  if (typeof n === 'string' && /^(0|[1-9][0-9]*)$/.test(n)) return BigInt(n);
  throw new VerifyError(`${what} is not a whole number`);
}

// ------------------------------------------------------------ RFC 9162 §2.1

/** RFC 9162 §2.1.1: the leaf hash SHA-256(0x00 ‖ leaf). */
export function leafHash(leaf) {
  return sha256(concat(Uint8Array.of(0), leaf));
}

/** RFC 9162 §2.1.1: the node hash SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

function asBytes(h, what) {
  const b = typeof h === 'string' ? fromHex(h, what) : h;
  if (!(b instanceof Uint8Array)) throw new VerifyError(`${what} is not bytes`);
  return b;
}

function hash32(h, what) {
  const b = asBytes(h, what);
  if (b.length !== 32) throw new VerifyError(`${what} is not 32 bytes`);
  return b;
}

/**
 * RFC 9162 §2.1.3.2: check that `leaf` (a leaf hash) is at `index` in the tree of
 * `size` leaves with root `root`, by the audit path `proof`. Hashes are bytes or hex.
 * Returns true; throws VerifyError when it does not hold.
 */
export function verifyInclusion(leaf, index, size, proof, root) {
  const lh = hash32(leaf, 'the leaf hash');
  const rt = hash32(root, 'the root');
  const path = Array.from(proof, (p) => hash32(p, 'a proof hash'));
  const i = toBig(index, 'the index');
  const n = toBig(size, 'the tree size');
  if (i >= n) throw new VerifyError(`index ${i} is outside a tree of size ${n}`);
  let fn = i;
  let sn = n - 1n;
  let r = lh;
  for (const p of path) {
    if (sn === 0n) throw new VerifyError('the inclusion proof is too long');
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new VerifyError('the inclusion proof is too short');
  if (!equalBytes(r, rt)) throw new VerifyError('the inclusion proof does not lead to the root');
  return true;
}

/**
 * RFC 9162 §2.1.4.2: check that the tree of `size1` leaves (root `root1`) is a
 * prefix of the tree of `size2` leaves (root `root2`) by `proof`. Returns true or
 * throws VerifyError. A proof from size 0 is refused; equal sizes need an empty
 * proof and equal roots.
 */
export function verifyConsistency(size1, size2, root1, root2, proof) {
  const m = toBig(size1, 'the old size');
  const n = toBig(size2, 'the new size');
  if (n < m) throw new VerifyError(`size ${n} is smaller than the old size ${m}`);
  if (m === 0n) throw new VerifyError('a consistency proof from the empty tree is meaningless');
  if (m === n) {
    if (Array.from(proof).length) throw new VerifyError('equal sizes need an empty proof');
    if (!equalBytes(asBytes(root1, 'the old root'), asBytes(root2, 'the new root'))) {
      throw new VerifyError('equal sizes but different roots');
    }
    return true;
  }
  const r1 = hash32(root1, 'the old root');
  const r2 = hash32(root2, 'the new root');
  const path = Array.from(proof, (p) => hash32(p, 'a proof hash'));
  if (!path.length) throw new VerifyError('empty consistency proof');
  if ((m & (m - 1n)) === 0n) path.unshift(r1); // a power of two: the old root is the first node
  let fn = m - 1n;
  let sn = n - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) throw new VerifyError('the consistency proof is too long');
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new VerifyError('the consistency proof is too short');
  if (!equalBytes(fr, r1)) throw new VerifyError('the consistency proof does not lead to the old root');
  if (!equalBytes(sr, r2)) throw new VerifyError('the consistency proof does not lead to the new root');
  return true;
}

// ----------------------------------------------------------- signed notes

function hasControl(s, allowNewline) {
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (c < 0x20 && !(allowNewline && c === 0x0a)) return true;
  }
  return false;
}

/** C2SP signed-note §Format: a key name is non-empty, without spaces, "+" or controls. */
export function validKeyName(name) {
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    !name.includes('+') &&
    !hasControl(name, false) &&
    !/[\s\p{White_Space}\p{Zs}\p{Zl}\p{Zp}]/u.test(name) &&
    name.isWellFormed?.() !== false
  );
}

/** C2SP signed-note §Signatures: SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]. */
export function keyId(name, type, publicKey) {
  return sha256(concat(utf8(name), Uint8Array.of(0x0a, type), publicKey)).slice(0, 4);
}

/**
 * Parse a verifier key "<name>+<hex key ID>+base64(type ‖ public key)" of type 0x01
 * (Ed25519 note signatures) or 0x04 (cosignature/v1); the key ID must be the one
 * the key gives. Returns {name, keyId, type, publicKey, vkey}.
 */
export function parseVerifierKey(vkey) {
  if (typeof vkey !== 'string') throw new VerifyError('a verifier key is a string');
  const a = vkey.indexOf('+');
  const b = a < 0 ? -1 : vkey.indexOf('+', a + 1);
  if (a < 0 || b < 0) throw new VerifyError('a verifier key is name+keyid+key');
  const name = vkey.slice(0, a);
  const hexId = vkey.slice(a + 1, b);
  if (!validKeyName(name)) throw new VerifyError('the verifier key has an invalid name');
  if (!/^[0-9a-fA-F]{8}$/.test(hexId)) throw new VerifyError('the verifier key ID is not 8 hex digits');
  const raw = fromBase64(vkey.slice(b + 1), 'the verifier key');
  if (raw.length !== 33) throw new VerifyError('the verifier key is not a type byte and 32 bytes');
  const type = raw[0];
  if (type !== SIG_ED25519 && type !== SIG_COSIGNATURE_V1) {
    throw new VerifyError(`unknown signature type 0x${type.toString(16).padStart(2, '0')}`);
  }
  const publicKey = raw.slice(1);
  const id = fromHex(hexId);
  if (!equalBytes(id, keyId(name, type, publicKey))) {
    throw new VerifyError('the verifier key ID does not match its key');
  }
  return { name, keyId: id, type, publicKey, vkey };
}

/**
 * Parse a signed note strictly (C2SP signed-note §Format); signatures are not
 * verified here. Returns {text, signatures: [{name, keyId, signature}]}.
 */
export function parseNote(note) {
  let msg = note;
  if (note instanceof Uint8Array) {
    try {
      msg = new TextDecoder('utf-8', { fatal: true }).decode(note);
    } catch {
      throw new VerifyError('the note is not valid UTF-8');
    }
  }
  if (typeof msg !== 'string') throw new VerifyError('a note is text');
  if (msg.isWellFormed?.() === false) throw new VerifyError('the note is not valid UTF-8');
  if (hasControl(msg, true)) throw new VerifyError('the note contains a control character');
  const split = msg.lastIndexOf('\n\n');
  if (split < 0) throw new VerifyError('the note has no blank line before its signatures');
  const text = msg.slice(0, split + 1);
  const block = msg.slice(split + 2);
  if (!block || !block.endsWith('\n')) {
    throw new VerifyError('the note has no signatures, or its last line has no newline');
  }
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new VerifyError('the note has too many signatures');
  const signatures = lines.map((line) => {
    if (!line.startsWith(EM_DASH_PREFIX)) {
      throw new VerifyError('a signature line does not start with an em dash and a space');
    }
    const rest = line.slice(EM_DASH_PREFIX.length);
    const sp = rest.indexOf(' ');
    if (sp < 0) throw new VerifyError('a signature line has no signature');
    const name = rest.slice(0, sp);
    if (!validKeyName(name)) throw new VerifyError('a signature line has an invalid key name');
    const raw = fromBase64(rest.slice(sp + 1), 'a signature');
    if (raw.length < 5) throw new VerifyError('a signature is shorter than a key ID and one byte');
    return { name, keyId: raw.slice(0, 4), signature: raw.slice(4) };
  });
  return { text, signatures };
}

/** RFC 8032 Ed25519 verification with strict encodings (as libsodium): false on any failure. */
export function ed25519Verify(publicKey, message, signature) {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    if (ed25519.Point.fromBytes(publicKey).isSmallOrder()) return false;
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** C2SP tlog-cosignature: the message a cosignature/v1 signature covers. */
export function cosignatureMessage(text, timestamp) {
  return utf8(`cosignature/v1\ntime ${BigInt(timestamp)}\n${text}`);
}

/**
 * Parse a note and verify every signature from a known key (name and key ID
 * match; others are ignored). One that fails throws; with none verified, throws.
 * Returns {text, signatures, verified: [{name, type, timestamp?}]}.
 */
export function openNote(note, verifiers) {
  const parsed = parseNote(note);
  const message = utf8(parsed.text);
  const verified = [];
  for (const sig of parsed.signatures) {
    const known = verifiers.filter((v) => v.name === sig.name && equalBytes(v.keyId, sig.keyId));
    for (const v of known) {
      if (v.type === SIG_COSIGNATURE_V1) {
        if (sig.signature.length !== 72) {
          throw new VerifyError(`the cosignature by ${sig.name} is not 72 bytes`);
        }
        let ts = 0n;
        for (const byte of sig.signature.slice(0, 8)) ts = (ts << 8n) | BigInt(byte);
        if (ts > MAX_TIMESTAMP) throw new VerifyError(`the cosignature by ${sig.name} has a bad time`);
        const msg = cosignatureMessage(parsed.text, ts);
        if (!ed25519Verify(v.publicKey, msg, sig.signature.slice(8))) {
          throw new VerifyError(`the cosignature by ${sig.name} does not verify`);
        }
        if (!verified.some((x) => x.name === v.name && x.type === v.type)) {
          verified.push({ name: v.name, type: v.type, timestamp: ts });
        }
      } else {
        if (!ed25519Verify(v.publicKey, message, sig.signature)) {
          throw new VerifyError(`the signature by ${sig.name} does not verify`);
        }
        if (!verified.some((x) => x.name === v.name && x.type === v.type)) {
          verified.push({ name: v.name, type: v.type });
        }
      }
    }
  }
  if (!verified.length) throw new VerifyError('no signature on the note is from a known key');
  return { ...parsed, verified };
}

/** C2SP tlog-checkpoint: {origin, size (BigInt), root (32 bytes), extensions}. */
export function parseCheckpoint(text) {
  if (typeof text !== 'string' || !text.endsWith('\n')) {
    throw new VerifyError('checkpoint text must end with a newline');
  }
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new VerifyError('a checkpoint has at least three lines');
  const [origin, sizeLine, rootLine, ...extensions] = lines;
  if (!origin || hasControl(origin, false)) throw new VerifyError('the checkpoint origin is empty or bad');
  if (!/^(0|[1-9][0-9]{0,19})$/.test(sizeLine)) throw new VerifyError('the tree size is not a decimal');
  const size = BigInt(sizeLine);
  if (size > MAX_TREE_SIZE) throw new VerifyError('the tree size does not fit in 64 bits');
  const root = fromBase64(rootLine, 'the root hash');
  if (root.length !== 32) throw new VerifyError('the root hash is not 32 bytes');
  if (extensions.some((e) => !e)) throw new VerifyError('an empty extension line');
  return { origin, size, root, extensions };
}

/**
 * A checkpoint note checked under the log key (its signature is required, and the
 * origin must be the log key's name, docs/board.md §4.1) and the witnesses'
 * cosignature keys (counted). Returns {origin, size, root, log, cosigned: [{name,
 * timestamp}]}; throws VerifyError.
 */
export function verifyCheckpoint(note, logKey, witnessKeys = []) {
  const log = typeof logKey === 'string' ? parseVerifierKey(logKey) : logKey;
  if (log.type !== SIG_ED25519) throw new VerifyError('the log key is not an Ed25519 note key');
  const witnesses = [];
  for (const w of witnessKeys) {
    const k = typeof w === 'string' ? parseVerifierKey(w) : w;
    if (k.type === SIG_COSIGNATURE_V1) witnesses.push(k);
  }
  const opened = openNote(note, [log, ...witnesses]);
  if (!opened.verified.some((v) => v.type === SIG_ED25519 && v.name === log.name)) {
    throw new VerifyError(`the note carries no signature by the log key ${log.name}`);
  }
  const cp = parseCheckpoint(opened.text);
  if (cp.origin !== log.name) throw new VerifyError(`the checkpoint is of ${cp.origin}, not ${log.name}`);
  const cosigned = opened.verified
    .filter((v) => v.type === SIG_COSIGNATURE_V1)
    .map((v) => ({ name: v.name, timestamp: v.timestamp }));
  return { ...cp, text: opened.text, log: log.name, cosigned };
}

/** docs/voting.md §2: h_b = SHA-256("pnyx/voting/ballot/v1\n" ‖ JCS(ballot)). */
export function ballotHash(ballot) {
  return sha256(utf8(BALLOT_PREFIX + canonicalize(ballot)));
}

// ------------------------------------------------------------ page checks

class Report {
  constructor() {
    this.steps = [];
  }

  add(ok, label, detail = '') {
    this.steps.push({ ok, label, detail });
    return ok;
  }

  get ok() {
    if (this.steps.some((s) => s.ok === false)) return false;
    if (this.steps.some((s) => s.ok === null && s.decisive)) return null;
    return this.steps.length ? true : null;
  }

  pending(label, detail) {
    this.steps.push({ ok: null, label, detail, decisive: true });
  }

  toJSON() {
    return { ok: this.ok, steps: this.steps.map(({ ok, label, detail }) => ({ ok, label, detail })) };
  }
}

async function getText(options, path) {
  const f = options.fetch ?? globalThis.fetch;
  const res = await f(`${options.api ?? '/api/v1/board'}${path}`, {
    headers: { accept: 'application/json, text/plain' },
    cache: 'no-store',
  });
  const body = await res.text();
  if (!res.ok) {
    let detail = `HTTP ${res.status}`;
    try {
      detail = JSON.parse(body).detail ?? detail;
    } catch {
      /* not JSON: the status says enough */
    }
    throw new VerifyError(`the board answered ${path.split('?')[0]} with: ${detail}`);
  }
  return body;
}

async function getJSON(options, path) {
  const text = await getText(options, path);
  try {
    return JSON.parse(text);
  } catch {
    throw new VerifyError(`the board's answer to ${path.split('?')[0]} is not JSON`);
  }
}

async function fetchEntry(options, index) {
  const doc = await getJSON(options, `/entries?start=${index}&end=${BigInt(index) + 1n}`);
  const e = Array.isArray(doc?.entries) ? doc.entries.find((x) => String(x.index) === String(index)) : null;
  if (!e || typeof e.leaf !== 'string') throw new VerifyError(`the board has no entry ${index}`);
  return fromBase64(e.leaf, 'the entry bytes');
}

function proofPath(doc) {
  if (!doc || !Array.isArray(doc.path)) throw new VerifyError('the proof has no path');
  return doc.path;
}

function witnessStep(report, cp, witnessKeys, quorum) {
  const names = cp.cosigned.map((c) => c.name).join(', ');
  const n = witnessKeys.length;
  const q = Number(quorum ?? 0);
  if (!n) {
    report.add(null, 'No witnesses are registered on this board', '');
    return;
  }
  const final = cp.cosigned.length >= q;
  report.add(
    final ? true : null,
    `Cosigned by ${cp.cosigned.length} of ${n} witnesses (quorum ${q})${final ? '' : ': not final yet'}`,
    names ? `verified cosignatures: ${names}` : 'no witness has cosigned this checkpoint yet',
  );
}

/**
 * Fetch the latest checkpoint and check it: the log's signature (required) and
 * the witnesses' cosignatures (counted against the quorum).
 * options: {logKey, witnesses: [vkey], quorum, api, fetch}.
 * Returns {report: {ok, steps}, checkpoint}; the checkpoint is null when it failed.
 */
export async function checkCheckpoint(options) {
  const report = new Report();
  let cp = null;
  try {
    const note = await getText(options, '/checkpoint');
    cp = verifyCheckpoint(note, options.logKey, options.witnesses ?? []);
    report.add(
      true,
      `The latest checkpoint (size ${cp.size}) is signed by the log key`,
      `${cp.log}, Ed25519 over the checkpoint text; root ${toHex(cp.root)}`,
    );
    witnessStep(report, cp, options.witnesses ?? [], options.quorum);
  } catch (e) {
    report.add(false, 'The latest checkpoint does not check', message(e));
    cp = null;
  }
  return { report: report.toJSON(), checkpoint: cp };
}

function message(e) {
  return e instanceof VerifyError ? e.message : `the check could not run (${e?.message ?? e})`;
}

/**
 * The entry at `index` is in the board's latest signed tree: the checkpoint's
 * signature, the entry's leaf hash recomputed from its bytes (and equal to
 * `leafHash` when given), and the RFC 9162 inclusion proof up to the signed root.
 * options: {index, leafHash?, logKey, witnesses, quorum, api, fetch}.
 */
export async function checkEntry(options) {
  const first = await checkCheckpoint(options);
  const report = new Report();
  report.steps.push(...first.report.steps);
  const cp = first.checkpoint;
  if (!cp) return report.toJSON();
  try {
    const index = toBig(options.index, 'the index');
    if (index >= cp.size) {
      report.pending(
        `Entry ${index} is newer than the latest checkpoint (size ${cp.size})`,
        'the next signed checkpoint will cover it: check again later',
      );
      return report.toJSON();
    }
    const leaf = await fetchEntry(options, index);
    const lh = leafHash(leaf);
    if (options.leafHash != null && !equalBytes(lh, hash32(options.leafHash, 'the leaf hash'))) {
      report.add(false, 'The entry bytes do not hash to the leaf hash shown', `recomputed ${toHex(lh)}`);
      return report.toJSON();
    }
    report.add(true, `Leaf hash recomputed from the entry's ${leaf.length} bytes`, toHex(lh));
    const proof = await getJSON(options, `/proof/inclusion?index=${index}&size=${cp.size}`);
    const path = proofPath(proof);
    verifyInclusion(lh, index, cp.size, path, cp.root);
    report.add(
      true,
      `The inclusion proof leads to the signed root of size ${cp.size}`,
      `${path.length} hash${path.length === 1 ? '' : 'es'} (RFC 9162 §2.1.3.2)`,
    );
  } catch (e) {
    report.add(false, 'The entry is not proven to be in the signed tree', message(e));
  }
  return report.toJSON();
}

/** docs/voting.md §8: the receipt's members and their types; throws VerifyError. */
export function parseReceipt(doc) {
  const want = ['ballot', 'checkpoint', 'election', 'inclusion', 'index', 'tracker', 'type', 'version'];
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new VerifyError('a receipt is a JSON object');
  const keys = Object.keys(doc).sort();
  if (keys.join() !== want.join()) throw new VerifyError(`a receipt has exactly the members ${want.join(', ')}`);
  if (doc.version !== 1 || doc.type !== RECEIPT_TYPE) throw new VerifyError(`not a version 1 ${RECEIPT_TYPE}`);
  const inc = doc.inclusion;
  const incKeys = inc && typeof inc === 'object' ? Object.keys(inc).sort().join() : '';
  if (incKeys !== 'index,leaf_hash,path,root,size') {
    throw new VerifyError('the inclusion is {index, size, leaf_hash, root, path}');
  }
  for (const name of ['election', 'ballot', 'tracker', 'checkpoint']) {
    if (typeof doc[name] !== 'string') throw new VerifyError(`${name} must be a string`);
  }
  if (!Number.isSafeInteger(doc.index) || doc.index < 0 || !Number.isSafeInteger(inc.size)) {
    throw new VerifyError('index and size are whole numbers');
  }
  if (inc.index !== doc.index || inc.leaf_hash !== doc.tracker) {
    throw new VerifyError('the inclusion proof is for another entry than the receipt');
  }
  if (!Array.isArray(inc.path) || !inc.path.every((p) => typeof p === 'string')) {
    throw new VerifyError('the inclusion path is a list of hex hashes');
  }
  hash32(doc.tracker, 'the tracker');
  hash32(doc.ballot, 'the ballot hash');
  return doc;
}

/**
 * Check a ballot receipt (docs/voting.md §8) against the board, fetching fresh data:
 * 1. its checkpoint is signed by the log key; 2. its inclusion proof leads from the
 * tracker to that root; 3. the board's entry at its index has the tracker as leaf
 * hash and carries a ballot of the receipt's hash and election; 4. the latest
 * checkpoint is signed (cosignatures counted); 5. a consistency proof ties the
 * receipt's tree to it; 6. a fresh inclusion proof puts the tracker in it.
 * `receipt` is the parsed JSON or its text. options: {logKey, witnesses, quorum, api, fetch}.
 */
export async function checkReceipt(receipt, options) {
  const report = new Report();
  let r;
  let own;
  try {
    r = parseReceipt(typeof receipt === 'string' ? JSON.parse(receipt) : receipt);
    report.add(true, 'The receipt is well formed', `election ${r.election}, entry ${r.index}`);
  } catch (e) {
    report.add(false, 'This is not a ballot receipt', e instanceof SyntaxError ? 'not JSON' : message(e));
    return report.toJSON();
  }
  try {
    own = verifyCheckpoint(r.checkpoint, options.logKey, []);
    report.add(true, `The receipt's checkpoint (size ${own.size}) is signed by the log key`, own.log);
  } catch (e) {
    report.add(false, "The receipt's checkpoint is not signed by this board's log key", message(e));
    return report.toJSON();
  }
  try {
    if (BigInt(r.inclusion.size) !== own.size) throw new VerifyError('the proof is for another tree size');
    verifyInclusion(r.tracker, r.index, own.size, r.inclusion.path, own.root);
    report.add(true, "The receipt's inclusion proof leads from the tracker to that root", r.tracker);
  } catch (e) {
    report.add(false, "The receipt's inclusion proof does not hold", message(e));
    return report.toJSON();
  }
  try {
    const leaf = await fetchEntry(options, r.index);
    if (!equalBytes(leafHash(leaf), fromHex(r.tracker))) {
      throw new VerifyError(`entry ${r.index} on the board is not the one of this tracker`);
    }
    let entry;
    try {
      entry = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(leaf));
    } catch {
      throw new VerifyError(`entry ${r.index} is not JSON`);
    }
    const ballot = entry?.body?.ballot;
    if (entry?.kind !== 'voting.ballot' || !ballot || typeof ballot !== 'object') {
      throw new VerifyError(`entry ${r.index} is not a ballot`);
    }
    if (toHex(ballotHash(ballot)) !== r.ballot.toLowerCase() || ballot.election !== r.election) {
      throw new VerifyError(`entry ${r.index} carries another ballot than the receipt's`);
    }
    report.add(true, `The board's entry ${r.index} is this ballot`, `ballot hash ${r.ballot}`);
  } catch (e) {
    report.add(false, 'The ballot is not on the board as the receipt says', message(e));
    return report.toJSON();
  }
  const { report: latestReport, checkpoint: latest } = await checkCheckpoint(options);
  report.steps.push(...latestReport.steps);
  if (!latest) return report.toJSON();
  try {
    if (latest.origin !== own.origin) throw new VerifyError('the latest checkpoint is of another log');
    if (latest.size < own.size) throw new VerifyError('the latest checkpoint is smaller than the receipt\'s');
    if (latest.size === own.size) {
      verifyConsistency(own.size, latest.size, own.root, latest.root, []);
      report.add(true, 'The latest checkpoint is the receipt\'s tree', 'same size, same root');
    } else {
      const proof = await getJSON(options, `/proof/consistency?old=${own.size}&size=${latest.size}`);
      verifyConsistency(own.size, latest.size, own.root, latest.root, proofPath(proof));
      report.add(
        true,
        `The board grew from ${own.size} to ${latest.size} entries without changing the past`,
        'RFC 9162 §2.1.4.2 consistency proof',
      );
    }
  } catch (e) {
    report.add(false, 'The latest checkpoint is not consistent with the receipt', message(e));
    return report.toJSON();
  }
  try {
    const proof = await getJSON(options, `/proof/inclusion?index=${r.index}&size=${latest.size}`);
    verifyInclusion(r.tracker, r.index, latest.size, proofPath(proof), latest.root);
    report.add(true, `The ballot is in the latest tree (size ${latest.size}) too`, 'a fresh inclusion proof');
  } catch (e) {
    report.add(false, 'The ballot is not proven to be in the latest tree', message(e));
  }
  return report.toJSON();
}

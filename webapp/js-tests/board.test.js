/**
 * The browser's board checks (webapp/static/js/board/verify.js):
 *
 * - RFC 9162 Merkle hashes, inclusion and consistency proofs on the published
 *   vectors (../shared/vectors/merkle: every path of the 8-leaf tree, and the
 *   transparency-dev probes with their expected verdicts);
 * - C2SP signed notes, verifier keys and tlog-cosignatures on the published
 *   vectors (../shared/vectors/signed-note);
 * - a checkpoint, an entry and a ballot receipt from a real board made by the
 *   Python code (the fixture that tests/webapp/test_js_board.py writes and
 *   names in PNYX_BOARD_FIXTURE), answered by a fake fetch with the board's
 *   recorded HTTP answers — and every tampered variant refused.
 *
 * The vectors folder is PNYX_VECTORS, else ../../../shared/vectors; tests that
 * need it skip only when it is absent (as tests/conftest.py does).
 */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as v from '../static/js/board/verify.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const VECTORS = process.env.PNYX_VECTORS || join(HERE, '..', '..', '..', 'shared', 'vectors');
const HAVE_VECTORS = existsSync(VECTORS);
const NO_VECTORS = HAVE_VECTORS ? false : `published vectors not found at ${VECTORS}`;
const FIXTURE = process.env.PNYX_BOARD_FIXTURE;
const NO_FIXTURE = FIXTURE ? false : 'PNYX_BOARD_FIXTURE not set (tests/webapp/test_js_board.py sets it)';

const readJSON = (...parts) => JSON.parse(readFileSync(join(VECTORS, ...parts), 'utf8'));
const b64 = (s) => v.fromBase64(s);
const hex = v.toHex;

function flipHex(h, i = 0) {
  const b = v.fromHex(h);
  b[i] ^= 1;
  return hex(b);
}

function jsonFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...jsonFiles(p));
    else if (name.endsWith('.json')) out.push(p);
  }
  return out.sort();
}

function verdict(fn) {
  try {
    fn();
    return true;
  } catch (e) {
    assert.ok(e instanceof v.VerifyError, `a ${e?.name} escaped: ${e?.message}`);
    return false;
  }
}

// ------------------------------------------------------------------ bytes

describe('encodings', () => {
  test('base64 is standard, padded and canonical only', () => {
    assert.equal(hex(v.fromBase64('AAEC')), '000102');
    assert.equal(v.toBase64(Uint8Array.of(1, 2, 3, 4)), 'AQIDBA==');
    for (const bad of ['AQIDBA', 'AQIDBA=', 'AQ-D', 'AQID BA==', 'AQIDBB==', '====', 'A===']) {
      assert.throws(() => v.fromBase64(bad), v.VerifyError, bad);
    }
  });

  test('hex', () => {
    assert.equal(hex(v.fromHex('00ff7A')), '00ff7a');
    for (const bad of ['0', 'zz', 12]) assert.throws(() => v.fromHex(bad), v.VerifyError);
  });
});

// --------------------------------------------------------------- RFC 9162

describe('RFC 9162 vectors, sizes 0..8 (shared/vectors/merkle)', { skip: NO_VECTORS }, () => {
  const d = HAVE_VECTORS ? readJSON('merkle', 'rfc9162-sizes-0-8.json') : null;

  test('leaf hashes of the eight leaves', () => {
    d.leaf_inputs_hex.forEach((input, i) => {
      assert.equal(hex(v.leafHash(v.fromHex(input))), d.leaf_hashes[i]);
    });
  });

  test('every inclusion path verifies; a changed hash, index or size is refused', () => {
    assert.equal(d.inclusion.length, 36);
    for (const p of d.inclusion) {
      assert.equal(v.verifyInclusion(p.leaf_hash, p.leaf_index, p.tree_size, p.path, p.root), true);
      assert.equal(verdict(() => v.verifyInclusion(flipHex(p.leaf_hash), p.leaf_index, p.tree_size, p.path, p.root)), false);
      assert.equal(verdict(() => v.verifyInclusion(p.leaf_hash, p.leaf_index, p.tree_size, p.path, flipHex(p.root, 31))), false);
      if (p.path.length) {
        const path = [...p.path];
        path[path.length - 1] = flipHex(path[path.length - 1], 5);
        assert.equal(verdict(() => v.verifyInclusion(p.leaf_hash, p.leaf_index, p.tree_size, path, p.root)), false);
        assert.equal(verdict(() => v.verifyInclusion(p.leaf_hash, p.leaf_index, p.tree_size, p.path.slice(1), p.root)), false);
      }
      assert.equal(verdict(() => v.verifyInclusion(p.leaf_hash, p.leaf_index, p.tree_size, [...p.path, p.root], p.root)), false);
      assert.equal(verdict(() => v.verifyInclusion(p.leaf_hash, p.tree_size, p.tree_size, p.path, p.root)), false);
    }
  });

  test('every consistency proof verifies; a changed root or proof is refused', () => {
    assert.equal(d.consistency.length, 36);
    for (const c of d.consistency) {
      assert.equal(v.verifyConsistency(c.size1, c.size2, c.root1, c.root2, c.proof), true);
      assert.equal(verdict(() => v.verifyConsistency(c.size1, c.size2, flipHex(c.root1), c.root2, c.proof)), false);
      assert.equal(verdict(() => v.verifyConsistency(c.size1, c.size2, c.root1, flipHex(c.root2), c.proof)), false);
      if (c.proof.length) {
        const proof = c.proof.map((h, i) => (i === 0 ? flipHex(h, 7) : h));
        assert.equal(verdict(() => v.verifyConsistency(c.size1, c.size2, c.root1, c.root2, proof)), false);
      }
    }
    assert.equal(verdict(() => v.verifyConsistency(0, 0, d.roots[0].root, d.roots[0].root, [])), false);
  });

  test('indices and sizes above 2^32 use 64-bit arithmetic', () => {
    // the rightmost leaf of a tree of 2^33 + 1 leaves: its path is the root of the first
    // 2^33 leaves, and a JavaScript `>>` would have mangled the index
    const left = v.fromHex(d.roots[8].root);
    const leaf = v.leafHash(Uint8Array.of(7));
    const root = v.nodeHash(left, leaf);
    assert.equal(v.verifyInclusion(leaf, 2n ** 33n, 2n ** 33n + 1n, [left], root), true);
    assert.equal(verdict(() => v.verifyInclusion(leaf, 2 ** 33 - 1, 2 ** 33 + 1, [left], root)), false);
  });
});

describe('transparency-dev probes (shared/vectors/merkle/transparency-dev)', { skip: NO_VECTORS }, () => {
  test('inclusion probes give the expected verdicts', () => {
    const files = jsonFiles(join(VECTORS, 'merkle', 'transparency-dev', 'inclusion'));
    assert.ok(files.length >= 90, `${files.length} inclusion probes`);
    for (const f of files) {
      const p = JSON.parse(readFileSync(f, 'utf8'));
      const ok = verdict(() =>
        v.verifyInclusion(b64(p.leafHash), p.leafIdx, p.treeSize, (p.proof ?? []).map(b64), b64(p.root)),
      );
      assert.equal(ok, !p.wantErr, `${f}: ${p.desc}`);
    }
  });

  test('consistency probes give the expected verdicts', () => {
    const files = jsonFiles(join(VECTORS, 'merkle', 'transparency-dev', 'consistency'));
    assert.ok(files.length >= 90, `${files.length} consistency probes`);
    for (const f of files) {
      const p = JSON.parse(readFileSync(f, 'utf8'));
      const ok = verdict(() =>
        v.verifyConsistency(p.size1, p.size2, b64(p.root1), b64(p.root2), (p.proof ?? []).map(b64)),
      );
      assert.equal(ok, !p.wantErr, `${f}: ${p.desc}`);
    }
  });
});

// ---------------------------------------------------------- signed notes

describe('C2SP signed notes (shared/vectors/signed-note)', { skip: NO_VECTORS }, () => {
  const d = HAVE_VECTORS ? readJSON('signed-note', 'upstream-notes.json') : null;
  const keys = HAVE_VECTORS ? Object.fromEntries(d.keys.map((k) => [k.id, k])) : {};

  test('every verifier key parses and its key ID recomputes; bad ones are refused', () => {
    for (const k of d.keys) {
      if (!k.vkey) continue;
      const key = v.parseVerifierKey(k.vkey);
      assert.equal(key.name, k.vkey.split('+')[0]);
      assert.equal(hex(v.keyId(key.name, key.type, key.publicKey)), k.vkey.split('+')[1].toLowerCase());
    }
    for (const c of d.bad_vkeys.cases) assert.throws(() => v.parseVerifierKey(c.vkey), v.VerifyError, c.desc);
  });

  test('every upstream note verifies under the keys that signed it', () => {
    for (const n of d.notes) {
      // the recorded note, and the text with every recorded signature line
      const full = n.text + '\n' + n.signatures.map((s) => `— ${s.name} ${s.base64}\n`).join('');
      for (const note of [n.note, full]) {
        const names = v.parseNote(note).signatures.map((s) => s.name);
        const verifiers = names.map((name) => v.parseVerifierKey(keys[name].vkey));
        const opened = v.openNote(note, verifiers);
        assert.equal(opened.text, n.text);
        assert.deepEqual(opened.verified.map((x) => x.name).sort(), [...new Set(names)].sort(), n.desc);
        // a note signed by nobody we know is unverified; a changed text fails
        assert.throws(() => v.openNote(note, []), /no signature/);
        assert.throws(() => v.openNote('X' + note.slice(1), verifiers), /does not verify/);
      }
      assert.equal(v.parseNote(full).signatures.length, n.signatures.length);
    }
  });

  test('the real sum.golang.org checkpoint parses', () => {
    const n = d.notes.find((x) => x.checkpoint);
    const cp = v.parseCheckpoint(n.text);
    assert.equal(cp.origin, n.checkpoint.origin);
    assert.equal(cp.size, BigInt(n.checkpoint.size));
    assert.equal(v.toBase64(cp.root), n.checkpoint.root_hash_b64);
  });

  test('malformed notes are refused', () => {
    for (const c of d.malformed_notes.cases) {
      let note = c.note;
      if (c.note_hex_prefix !== undefined) {
        note = new Uint8Array([...v.fromHex(c.note_hex_prefix), ...v.utf8(c.note_after_prefix)]);
      }
      assert.throws(() => v.parseNote(note), v.VerifyError, c.desc);
    }
  });

  test('a pnyx checkpoint: log signature and cosignature/v1 (generated-cosignature-v1.json)', () => {
    const g = readJSON('signed-note', 'generated-cosignature-v1.json');
    const cp = v.verifyCheckpoint(g.signed_note, g.log.vkey, [g.witness.vkey]);
    assert.equal(cp.origin, g.log.name);
    assert.equal(cp.size, 8n);
    assert.deepEqual(cp.cosigned, [{ name: g.witness.name, timestamp: BigInt(g.cosignature.timestamp) }]);
    assert.equal(
      new TextDecoder().decode(v.cosignatureMessage(g.checkpoint_body, g.cosignature.timestamp)),
      g.cosignature.signed_message,
    );
    // the witness key with the wrong type has another key ID: its cosignature is ignored
    const ignored = v.verifyCheckpoint(g.signed_note, g.log.vkey, [g.negative[0].vkey]);
    assert.deepEqual(ignored.cosigned, []);
    // the cosignature does not verify over the body alone
    const sig = v.fromBase64(g.cosignature.signature_b64);
    const w = v.parseVerifierKey(g.witness.vkey);
    assert.equal(v.ed25519Verify(w.publicKey, v.utf8(g.negative[1].message), sig.slice(12)), false);
    assert.equal(v.ed25519Verify(w.publicKey, v.utf8(g.cosignature.signed_message), sig.slice(12)), true);
    // the witness alone does not make a checkpoint: the log's signature is required
    const witnessOnly = g.signed_note.split('\n').filter((l) => !l.startsWith(`— ${g.log.name} `)).join('\n');
    assert.throws(() => v.verifyCheckpoint(witnessOnly, g.log.vkey, [g.witness.vkey]), /log key/);
    // a checkpoint of another origin than the log key's name is refused
    assert.throws(() => v.verifyCheckpoint(g.signed_note, keys.PeterNeumann.vkey, []), v.VerifyError);
    // a changed cosignature byte fails the whole note
    const line = g.signed_note.split('\n').find((l) => l.startsWith(`— ${g.witness.name} `));
    const bad = v.fromBase64(line.split(' ')[2]);
    bad[40] ^= 1;
    const forged = g.signed_note.replace(line, `— ${g.witness.name} ${v.toBase64(bad)}`);
    assert.throws(() => v.verifyCheckpoint(forged, g.log.vkey, [g.witness.vkey]), /cosignature/);
  });
});

// ------------------------------------------------- a board made by Python

function fixture() {
  return JSON.parse(readFileSync(FIXTURE, 'utf8'));
}

/** A fetch that answers from the board's recorded HTTP answers (path → {status, body}). */
function fakeFetch(responses, overrides = {}) {
  const calls = [];
  const f = async (url) => {
    const path = url.replace(/^\/api\/v1\/board/, '');
    calls.push(path);
    const r = overrides[path] ?? responses[path];
    if (!r) return { ok: false, status: 404, text: async () => JSON.stringify({ error: 'not_found', detail: `no ${path}` }) };
    return { ok: r.status < 400, status: r.status, text: async () => r.body };
  };
  f.calls = calls;
  return f;
}

function options(fx, fetch) {
  return { logKey: fx.log_key, witnesses: fx.witnesses, quorum: fx.quorum, api: '/api/v1/board', fetch };
}

describe('a board made by the Python code (PNYX_BOARD_FIXTURE)', { skip: NO_FIXTURE }, () => {
  test('the latest checkpoint: the log signature and the witnesses\' cosignatures', async () => {
    const fx = fixture();
    const cp = v.verifyCheckpoint(fx.latest_note, fx.log_key, fx.witnesses);
    assert.equal(cp.size, BigInt(fx.latest_size));
    assert.equal(hex(cp.root), fx.latest_root);
    assert.deepEqual(cp.cosigned.map((c) => c.name).sort(), fx.cosigned_by);
    assert.deepEqual(cp.cosigned.map((c) => Number(c.timestamp)).sort(), fx.cosigned_at);
    const { report, checkpoint } = await v.checkCheckpoint(options(fx, fakeFetch(fx.responses)));
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.equal(checkpoint.size, BigInt(fx.latest_size));
    // signed by another key: refused
    const other = await v.checkCheckpoint({ ...options(fx, fakeFetch(fx.responses)), logKey: fx.other_log_key });
    assert.equal(other.report.ok, false);
  });

  test('an entry is proven in the signed tree; a wrong leaf hash or a bad proof is caught', async () => {
    const fx = fixture();
    for (const e of fx.entries) {
      const fetch = fakeFetch(fx.responses);
      const report = await v.checkEntry({ ...options(fx, fetch), index: e.index, leafHash: e.leaf_hash });
      assert.equal(report.ok, true, JSON.stringify(report));
      assert.ok(fetch.calls.includes('/checkpoint'));
      assert.ok(fetch.calls.some((c) => c.startsWith('/proof/inclusion')));
      const wrong = await v.checkEntry({ ...options(fx, fakeFetch(fx.responses)), index: e.index, leafHash: flipHex(e.leaf_hash) });
      assert.equal(wrong.ok, false);
    }
    const e = fx.entries[0];
    const path = `/proof/inclusion?index=${e.index}&size=${fx.latest_size}`;
    const proof = JSON.parse(fx.responses[path].body);
    proof.path[0] = flipHex(proof.path[0]);
    const forged = fakeFetch(fx.responses, { [path]: { status: 200, body: JSON.stringify(proof) } });
    const report = await v.checkEntry({ ...options(fx, forged), index: e.index, leafHash: e.leaf_hash });
    assert.equal(report.ok, false);
    assert.match(report.steps.at(-1).detail, /root/);
    // the server lies about the entry's bytes
    const bytesPath = `/entries?start=${e.index}&end=${e.index + 1}`;
    const lied = JSON.parse(fx.responses[bytesPath].body);
    lied.entries[0].leaf = v.toBase64(v.utf8('{"not":"it"}'));
    const liar = fakeFetch(fx.responses, { [bytesPath]: { status: 200, body: JSON.stringify(lied) } });
    assert.equal((await v.checkEntry({ ...options(fx, liar), index: e.index, leafHash: e.leaf_hash })).ok, false);
    // an entry beyond the checkpoint is not decided
    const later = await v.checkEntry({ ...options(fx, fakeFetch(fx.responses)), index: fx.latest_size, leafHash: e.leaf_hash });
    assert.equal(later.ok, null);
  });

  test('a receipt made by the Python ballot box checks, with consistency to the latest checkpoint', async () => {
    const fx = fixture();
    assert.ok(BigInt(fx.latest_size) > BigInt(fx.receipt.inclusion.size), 'the board grew after the receipt');
    const fetch = fakeFetch(fx.responses);
    const report = await v.checkReceipt(fx.receipt, options(fx, fetch));
    assert.equal(report.ok, true, JSON.stringify(report, null, 1));
    assert.ok(fetch.calls.some((c) => c.startsWith('/proof/consistency')));
    assert.equal(hex(v.ballotHash(fx.ballot)), fx.receipt.ballot);
    // the text form is accepted too
    assert.equal((await v.checkReceipt(JSON.stringify(fx.receipt), options(fx, fakeFetch(fx.responses)))).ok, true);
  });

  test('tampered receipts and a forked board are refused', async () => {
    const fx = fixture();
    const check = async (receipt, overrides = {}) =>
      (await v.checkReceipt(receipt, options(fx, fakeFetch(fx.responses, overrides)))).ok;
    const r = fx.receipt;
    assert.equal(await check({ ...r, ballot: flipHex(r.ballot) }), false);
    assert.equal(await check({ ...r, election: 'another' }), false);
    const t = flipHex(r.tracker);
    assert.equal(await check({ ...r, tracker: t, inclusion: { ...r.inclusion, leaf_hash: t } }), false);
    assert.equal(await check({ ...r, inclusion: { ...r.inclusion, path: r.inclusion.path.slice(1) } }), false);
    assert.equal(await check({ ...r, checkpoint: r.checkpoint.replace(/\n\n— /, '\n\n— x') }), false);
    assert.equal(await check({ ...r, extra: 1 }), false);
    assert.equal(await check('not json'), false);
    assert.equal(await check({ ...r, checkpoint: fx.other_note }), false);
    // a consistency proof that does not tie the receipt's tree to the latest one
    const cpath = Object.keys(fx.responses).find((p) => p.startsWith('/proof/consistency'));
    const proof = JSON.parse(fx.responses[cpath].body);
    proof.path[proof.path.length - 1] = flipHex(proof.path[proof.path.length - 1]);
    assert.equal(await check(r, { [cpath]: { status: 200, body: JSON.stringify(proof) } }), false);
    // the board now serves a checkpoint signed by another log
    assert.equal(await check(r, { '/checkpoint': { status: 200, body: fx.other_note } }), false);
    // an unreachable board decides nothing in the receipt's favour
    assert.equal(await check(r, { '/checkpoint': { status: 500, body: '{"error":"x","detail":"down"}' } }), false);
  });
});

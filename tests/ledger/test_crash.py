"""Crash safety: an appender killed with SIGKILL at a random moment loses nothing it acknowledged.

An appender process (:mod:`tests.ledger.appender`, ``loop`` mode: singles and
batches, one acknowledgement line after each commit) runs against the board
and is killed with SIGKILL after a random delay, :data:`KILLS` times in a row
on the same board; after each kill the test signs a checkpoint of whatever
the board holds.  Then:

- every acknowledged entry is on the board at its acknowledged index, with
  its leaf hash;
- each run's entries are a prefix of what it meant to append: all that it
  acknowledged, plus at most the one unit (an entry or a whole batch, never
  part of one) whose commit went through but whose acknowledgement the kill
  cut off;
- the indices are ``0 .. size - 1``, the root is the RFC 9162 hash of the
  stored leaves, every checkpoint is consistent with the final tree, acknowledged
  entries have inclusion proofs, and ``verify`` (and ``pnyx board verify``) is clean.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from ledger.board import Board
from ledger.checkpoint import Checkpoint
from ledger.merkle import node_hash, verify_consistency, verify_inclusion
from ledger.note import parse_note
from tests.kit import make_kit
from tests.ledger.appender import LOOP_BATCH, units

REPO = Path(__file__).resolve().parents[2]
KILLS = 20
MAX_DELAY = 0.25  # seconds of appending before the kill, at most


def mth(hashes: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH over leaf hashes, straight from the definition."""
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << ((len(hashes) - 1).bit_length() - 1)
    return node_hash(mth(hashes[:k]), mth(hashes[k:]))


class Appender:
    """One ``loop`` appender whose stdout a thread collects line by line."""

    def __init__(self, url: str, skey: str, tag: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.ledger.appender", "loop", url, skey, tag],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.first = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        if self.proc.stdout.readline() == "ready\n":
            self.ready.set()
        for line in self.proc.stdout:
            self.lines.append(line)
            self.first.set()
        self.first.set()  # EOF: the process ended

    def go(self) -> None:
        assert self.ready.wait(60), "the appender did not get ready within 60 s"
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def kill_after(self, delay: float) -> list[dict[str, Any]]:
        """Once it has acknowledged its first unit, wait ``delay`` s, SIGKILL; the acks."""
        assert self.first.wait(60), "the appender acknowledged nothing within 60 s"
        if self.proc.poll() is not None:
            raise AssertionError(f"the appender died: {self.proc.communicate()[1]}")
        threading.Event().wait(delay)
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)
        self._reader.join(30)
        self.close()
        assert self.proc.returncode == -signal.SIGKILL
        # a line the kill cut short has no newline: it is no acknowledgement
        return [json.loads(line) for line in self.lines if line.endswith("\n")]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if f is not None:
                f.close()


def entries_of(board: Board, size: int) -> list[tuple[int, bytes]]:
    out: list[tuple[int, bytes]] = []
    for lo in range(0, size, 1000):
        out += board.entries(lo, min(size, lo + 1000))
    return out


@pytest.mark.slow
def test_sigkill_loses_no_acknowledged_entry(db_url: str, tmp_path: Path) -> None:
    seed = random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)
    kit = make_kit(db_url)
    board = kit.board
    base = board.size()
    board.sign_checkpoint(kit.log)
    acked: dict[int, str] = {}  # index -> leaf hash (hex)
    acked_items: dict[str, int] = {}  # run tag -> items acknowledged
    skey = kit.publisher.to_skey()
    appender = Appender(db_url, skey, "run0")
    for run in range(KILLS):
        tag = f"run{run}"
        current = appender
        current.go()
        # the next one starts (imports, connects) meanwhile, then waits for its go
        appender = Appender(db_url, skey, f"run{run + 1}")
        try:
            acks = current.kill_after(rng.uniform(0, MAX_DELAY))
        except BaseException:
            appender.close()
            raise
        expected_units = units()
        for a in acks:
            assert a["items"] == next(expected_units)
            assert len(a["indices"]) == len(a["hashes"]) == len(a["items"])
            for i, h in zip(a["indices"], a["hashes"], strict=True):
                assert i not in acked, f"index {i} acknowledged twice (seed {seed})"
                acked[i] = h
        acked_items[tag] = sum(len(a["items"]) for a in acks)
        board.sign_checkpoint(kit.log)  # the board as the crash left it
    appender.close()  # the spare one never started
    assert len(acked_items) == KILLS and all(acked_items.values())

    size = board.size()
    with board.store.engine.connect() as conn:
        rows = conn.execute(text("SELECT idx, leaf_hash FROM entries ORDER BY idx")).all()
    assert [int(r[0]) for r in rows] == list(range(size)), "a gap or a duplicate index"
    stored = {int(i): bytes(h) for i, h in rows}
    for i, h in acked.items():
        assert stored.get(i) == bytes.fromhex(h), f"acknowledged entry {i} lost (seed {seed})"

    # each run: a prefix of its plan, all it acknowledged plus at most one whole unit
    by_run: dict[str, list[int]] = {}
    for _, leaf in entries_of(board, size)[base:]:
        tag, item = json.loads(leaf)["body"]["title"].split()
        by_run.setdefault(tag, []).append(int(item))
    assert set(by_run) <= set(acked_items)
    for tag, n_acked in acked_items.items():
        items = by_run.get(tag, [])
        assert items == list(range(len(items))), f"{tag}: not a prefix of its plan"
        assert n_acked <= len(items) <= n_acked + LOOP_BATCH, (tag, n_acked, len(items))
        done, unit_ends = 0, set()
        for u in units():
            unit_ends.add(done)
            done += len(u)
            if done > len(items):
                break
        assert len(items) in unit_ends, f"{tag}: part of a batch is on the board"

    # the tree: root from the leaves, checkpoints consistent, inclusion of what was acked
    leaf_hashes = [stored[i] for i in range(size)]
    n, root = board.root()
    assert n == size
    assert root == mth(leaf_hashes)
    sizes = []
    with board.store.read() as tx:
        notes = [c.note.encode() for c in tx.checkpoints()]
    for note in notes:
        cp = Checkpoint.from_text(parse_note(note).text)
        sizes.append(cp.size)
        assert cp.root_hash == mth(leaf_hashes[: cp.size])
        if 0 < cp.size < size:
            proof = board.consistency_proof(cp.size, size).path
            verify_consistency(cp.size, size, cp.root_hash, root, proof)
    assert len(sizes) == KILLS + 1 and sizes == sorted(sizes)
    for i in rng.sample(sorted(acked), min(50, len(acked))):
        p = board.inclusion_proof(i, size)
        verify_inclusion(bytes.fromhex(acked[i]), i, size, p.path, root)

    assert board.verify() == []
    pnyx = Path(sys.executable).with_name("pnyx")
    cmd = [str(pnyx)] if pnyx.exists() else [sys.executable, "-m", "webapp"]
    r = subprocess.run(
        [*cmd, "--db", db_url, "--keys", str(tmp_path / "keys"), "board", "verify"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith(f"board verified: {size} entries")

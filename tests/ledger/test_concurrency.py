"""Several OS processes append to one board at once: the sequencer gives no gap, no duplicate.

Three appender processes (:mod:`tests.ledger.appender`, ``burst`` mode) start
together on the same SQLite file or PostgreSQL database; each appends 100
entries one by one and 5 batches of 20.  Afterwards the indices are exactly
``0 .. size - 1``, every entry of every process is on the board once, at the
index its process was told, each batch in one run of consecutive indices,
and ``verify`` finds nothing.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from ledger.store import Store
from tests.kit import make_kit
from tests.ledger.appender import BATCH, BATCHES, SINGLES, burst_units, title

REPO = Path(__file__).resolve().parents[2]
PROCESSES = 3
ROUNDS = 5
PER_PROCESS = SINGLES + BATCHES * BATCH


def spawn(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.ledger.appender", *args],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def titles_by_index(board: Any, size: int) -> dict[int, str]:
    out = {}
    for lo in range(0, size, 1000):
        for i, leaf in board.entries(lo, min(size, lo + 1000)):
            out[i] = str(json.loads(leaf)["body"].get("title", ""))
    return out


def test_concurrent_appenders(db_url: str) -> None:
    kit = make_kit(db_url)
    board = kit.board
    base = board.size()
    tags = [f"proc{p}" for p in range(PROCESSES)]
    procs = [spawn(["burst", db_url, kit.publisher.to_skey(), tag]) for tag in tags]
    try:
        for p in procs:
            assert p.stdout is not None
            ready = p.stdout.readline().strip()
            assert ready == "ready", p.communicate(timeout=30)[1]
        for p in procs:  # all at once
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        results = [p.communicate(timeout=180) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, (_, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err

    size = board.size()
    assert size == base + PROCESSES * PER_PROCESS
    with board.store.engine.connect() as conn:
        indices = [r[0] for r in conn.execute(text("SELECT idx FROM entries ORDER BY idx"))]
    assert indices == list(range(size)), "a gap or a duplicate index"

    at = titles_by_index(board, size)
    counts = Counter(at[i] for i in range(base, size))
    expected = {title(tag, i) for tag in tags for i in range(PER_PROCESS)}
    assert set(counts) == expected
    assert all(n == 1 for n in counts.values())

    owner = []  # which process wrote each index, in index order
    for tag, (out, _) in zip(tags, results, strict=True):
        acks = [json.loads(line) for line in out.splitlines()]
        assert [a["items"] for a in acks] == burst_units()
        for a in acks:
            first = a["indices"][0]
            assert a["indices"] == list(range(first, first + len(a["items"])))  # batch: one run
            assert [at[i] for i in a["indices"]] == [title(tag, i) for i in a["items"]]
    for i in range(base, size):
        owner.append(at[i].split()[0])
    switches = sum(1 for a, b in itertools.pairwise(owner) if a != b)
    assert switches >= PROCESSES, "the appenders did not run concurrently"

    assert board.verify() == []


def test_processes_open_a_fresh_database_at_once(db_url: str) -> None:
    """Processes that start together on an empty database all create or find the tables.

    (A race on CREATE TABLE used to fail all but one of them, on both backends.)
    Four processes open the store together, :data:`ROUNDS` times, on a
    database whose tables are dropped between rounds.
    """
    procs = [spawn(["open", db_url, "-", f"opener{i}"]) for i in range(4)]
    try:
        for p in procs:
            assert p.stdout is not None
            assert p.stdout.readline().strip() == "ready", p.communicate(timeout=30)[1]
        store = Store(db_url)
        for _ in range(ROUNDS):
            SQLModel.metadata.drop_all(store.engine)  # an empty database again
            assert inspect(store.engine).get_table_names() == []
            for p in procs:
                assert p.stdin is not None
                p.stdin.write("go\n")
                p.stdin.flush()
            for p in procs:
                assert p.stdout is not None
                if p.stdout.readline().strip() != "opened":
                    p.kill()
                    raise AssertionError(p.communicate(timeout=30)[1])
        store.dispose()
        for p in procs:
            p.communicate("quit\n", timeout=30)
            assert p.returncode == 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert make_kit(db_url).board.verify() == []

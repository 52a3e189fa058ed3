"""A separate appender process for the concurrency and crash tests.

Run as ``python -m tests.ledger.appender MODE URL SKEY TAG`` from the
repository root.  It signs ``notice.publish`` entries titled ``"TAG ITEM"``
with the publisher key ``SKEY`` and appends them to the board at ``URL``.
After each append (or append_many) has returned, i.e. after its commit, it
prints one JSON line ``{"items": [...], "indices": [...], "hashes": [...]}``
(leaf hashes in hex) and flushes: a printed line is an acknowledgement.

It first prints ``ready`` and waits for the line ``go`` on stdin, so that
the imports and the connection are done before the clock starts (several
appenders start together, or the next one is ready when the last is killed).

Modes:

- ``burst``: append :data:`SINGLES` entries one by one
  with a batch of :data:`BATCH` after every ``SINGLES // BATCHES`` of them
  (:data:`BATCHES` batches in all), then exit.
- ``loop``: append forever, in the units :func:`units` gives, until killed.
- ``open``: (``SKEY`` and ``TAG`` unused) on each ``go``, only open the store,
  which creates the tables of a fresh database, and print ``opened``; exit
  on any other line or at the end of stdin.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Iterator

from ledger.board import Board
from ledger.merkle import leaf_hash
from ledger.note import Signer
from ledger.store import Store
from services.notices import PUBLISH, notice_body
from services.registry import default_registry
from tests.kit import entry

SINGLES = 100
BATCHES = 5
BATCH = 20
LOOP_BATCH = 6


def title(tag: str, item: int) -> str:
    return f"{tag} {item}"


def burst_units() -> list[list[int]]:
    """The burst's units of item numbers: singles, with a batch after every 20 of them."""
    units: list[list[int]] = []
    item = 0
    every = SINGLES // BATCHES
    for _ in range(BATCHES):
        for _ in range(every):
            units.append([item])
            item += 1
        units.append(list(range(item, item + BATCH)))
        item += BATCH
    return units


def units() -> Iterator[list[int]]:
    """The loop's units of item numbers: two singles, then a batch of LOOP_BATCH, repeated."""
    item = 0
    for k in itertools.count():
        n = LOOP_BATCH if k % 3 == 2 else 1
        yield list(range(item, item + n))
        item += n


def main(argv: list[str]) -> None:
    mode, url, skey, tag = argv
    if mode == "open":
        print("ready", flush=True)
        while sys.stdin.readline().strip() == "go":
            Store(url).dispose()
            print("opened", flush=True)
        return
    if mode not in ("burst", "loop"):
        raise SystemExit(f"unknown mode {mode!r}")
    signer = Signer.from_skey(skey)
    board = Board(Store(url), default_registry())
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        raise SystemExit("expected go")
    plan: Iterator[list[int]] = iter(burst_units()) if mode == "burst" else units()
    for items in plan:
        leaves = [entry(signer, PUBLISH, notice_body(title(tag, i), "text")) for i in items]
        got = [board.append(leaves[0])] if len(leaves) == 1 else board.append_many(leaves)
        line = {"items": items, "indices": got, "hashes": [leaf_hash(x).hex() for x in leaves]}
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])

"""Receipts under concurrency (docs/voting.md §8): ballots posted at once to two applications on
one database (two ``pnyx serve`` workers) each get a receipt that verifies, whose checkpoint is
the tree ending with the ballot, signed in the ballot's own write transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from ledger.board import Board
from ledger.checkpoint import Checkpoint
from ledger.note import open_note
from ledger.store import Txn
from services.voting.receipt import check_receipt
from tests.webapp.test_api_kit import ELECTION, post_json, roll_election
from webapp.app import create_app

EL = f"/api/v1/voting/elections/{ELECTION}"
VOTERS = 12


def _count_writes(board: Board, counts: list[int]) -> None:
    """Count the write transactions ``board`` opens (the sequencer's, one per append)."""
    write: Callable[[], AbstractContextManager[Txn]] = board.store.write

    @contextmanager
    def counted() -> Iterator[Txn]:
        counts.append(1)
        with write() as tx:
            yield tx

    board.store.write = counted  # type: ignore[method-assign]


def test_concurrent_ballots_get_receipts_that_verify(db_url: str, tmp_path: Path) -> None:
    e = roll_election(db_url, tmp_path / "keys", voters=VOTERS)
    bodies = [e.ballot(v)[1] for v in range(VOTERS)]
    apps = [create_app(db_url, e.keys) for _ in range(2)]
    writes: list[int] = []
    for app in apps:
        _count_writes(app.state.board, writes)
    size_before = e.board.size()
    with TestClient(apps[0]) as a, TestClient(apps[1]) as b:
        clients = [a, b]

        def cast(i: int) -> Any:
            return post_json(clients[i % 2], f"{EL}/ballots", bodies[i])

        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(cast, range(VOTERS)))
        assert [r.status_code for r in answers] == [201] * VOTERS, [r.text for r in answers]
        receipts = [r.json() for r in answers]
        # one write transaction a ballot: the receipt's checkpoint is signed in the append's own
        assert len(writes) == VOTERS
        for rc in receipts:  # the API's check, against the latest checkpoint
            res = post_json(a, "/api/v1/voting/receipts/check", rc).json()
            assert res["valid"] is True and res["counted"] is True, res
    assert sorted(rc["index"] for rc in receipts) == list(range(size_before, size_before + VOTERS))
    log = e.board.log_verifier()
    for rc in receipts:
        check = check_receipt(rc, e.board)
        assert check.size == rc["index"] + 1 and check.checked_to == e.board.size()
        text = open_note(rc["checkpoint"].encode(), [log])[0].text
        cp = Checkpoint.from_text(text)
        assert cp.size == rc["index"] + 1 and cp.root_hash.hex() == rc["inclusion"]["root"]
        stored = e.board.checkpoint(cp.size).note  # a receipt's checkpoint is on the board
        assert open_note(stored, [log])[0].text == text
    for app in apps:
        app.state.board.close()
        app.state.board.store.dispose()

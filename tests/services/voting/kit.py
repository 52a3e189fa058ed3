"""Voting test kit: an election board at a chosen phase, and the board-unchanged check."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ledger.board import Board
from ledger.errors import Rejected
from services.voting.scenario import ElectionBoard


def snapshot(board: Board) -> tuple[int, bytes, dict[Any, Any], int]:
    """Everything a refused entry must leave untouched (as tests/ledger/test_board.py)."""
    size, root = board.root()
    with board.store.read() as tx:
        state = tx.all_state()
        nodes = len(tx.all_nodes())
    return size, root, state, nodes


def unchanged_after(eb: ElectionBoard, leaf: bytes, error: type[Rejected], *words: str) -> Rejected:
    """Append ``leaf``: refused with ``error``, a detail naming every word, the board as before."""
    before = snapshot(eb.board)
    with pytest.raises(error) as e:
        eb.board.append(leaf)
    assert snapshot(eb.board) == before
    assert e.value.detail
    for w in words:
        assert w in e.value.detail, e.value.detail
    return e.value


def opened(url: str, **kw: Any) -> ElectionBoard:
    """An election created, keyed by its trustees and open for ballots."""
    eb = ElectionBoard(url, **kw)
    eb.create()
    eb.ceremony()
    eb.open()
    return eb


def recoded(body: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a JSON body."""
    return json.loads(json.dumps(body))

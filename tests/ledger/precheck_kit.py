"""Helpers for the precheck tests: compare admission with tokens to plain sequential admission."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from ledger.board import Admission, Board
from ledger.domains import Overlay, Registry, StateSource, Token
from ledger.entry import Entry
from ledger.errors import Rejected
from ledger.store import Txn


def between(monkeypatch: pytest.MonkeyPatch, board: Board, action: Callable[[], Any]) -> None:
    """Run ``action`` after the prechecks of ``board``'s appends, before it takes the lock."""
    real = board.admission.prechecks

    def prechecks(entries: Sequence[Entry], source: StateSource) -> list[Token | None]:
        tokens = real(entries, source)
        action()
        return tokens

    monkeypatch.setattr(board.admission, "prechecks", prechecks)


def replayed(board: Board, registry: Registry) -> tuple[Overlay, int, set[bytes]]:
    """The board's state rebuilt from its log (full admission, no token), its size, its leaves."""
    state, admission = Overlay(), Admission(registry)
    leaves = [leaf for _, leaf in board.entries(0, board.size())]
    for i, leaf in enumerate(leaves):
        admission.admit(Entry.from_leaf(leaf), i, state)
    return state, len(leaves), {Entry.from_leaf(leaf).leaf_hash for leaf in leaves}


Verdict = tuple[str, ...]
"""``("admitted", index)``, or the rejection's class, code, detail and reason."""


def txn_source(tx: Txn) -> StateSource:
    """The board's state in a transaction, as a state source for :meth:`Admission.prechecks`."""

    class Source:
        def get(self, domain: str, key: str) -> str | None:
            return tx.state_get(domain, key)

        def scan(self, domain: str, prefix: str) -> list[tuple[str, str]]:
            return tx.state_scan(domain, prefix)

    return Source()


def describe(r: Rejected) -> Verdict:
    why = getattr(r, "why", None) or getattr(r, "reason", None) or ""
    return (type(r).__name__, r.code, r.detail, why)


def sequential(
    admission: Admission,
    base: Overlay,
    size: int,
    on_board: set[bytes],
    entries: Sequence[Entry],
    tokens: Sequence[Token | None] | None = None,
) -> tuple[list[Verdict], dict[tuple[str, str], str | None]]:
    """Each entry admitted or refused in turn, as if appended alone (a refused one is skipped)."""
    state = Overlay(base)
    seen = set(on_board)
    out: list[Verdict] = []
    for i, e in enumerate(entries):
        if e.leaf_hash in seen:
            out.append(("DuplicateEntry",))
            continue
        try:
            admission.admit(e, size, state, None, None if tokens is None else tokens[i])
        except Rejected as r:
            out.append(describe(r))
            continue
        seen.add(e.leaf_hash)
        out.append(("admitted", str(size)))
        size += 1
    return out, dict(state.changes)


class Abort(Exception):
    """Raised in ``then`` to roll back an append_many that went through."""


def batch_outcome(board: Board, leaves: list[bytes]) -> tuple[str, Any]:
    """Board.append_many of ``leaves``, rolled back: ("admitted", state) or ("refused", verdict)."""
    captured: dict[str, Any] = {}

    def then(tx: Txn, indices: list[int]) -> None:
        captured["state"] = tx.all_state()
        raise Abort

    try:
        board.append_many(leaves, then=then)
    except Abort:
        return "admitted", captured["state"]
    except Rejected as r:
        return "refused", describe(r)
    raise AssertionError("append_many returned although then() raised")


def check_batch_like_sequential(
    board: Board, leaves: list[bytes], sequential_registry: Registry | None = None
) -> list[Verdict]:
    """The pool's tokens give what plain sequential admission gives, entry by entry and whole.

    Plain: each entry admitted in turn with no token (the board's registry,
    or ``sequential_registry``), as replay admits.  Pooled: the board's
    admission with the tokens of its prechecks (this many entries go to the
    process pool).  Whole: ``board.append_many`` of the batch, rolled back.
    Returns the plain verdicts.
    """
    base, size, on_board = replayed(board, board.registry)
    entries = [Entry.from_leaf(leaf) for leaf in leaves]
    plain, plain_changes = sequential(
        Admission(sequential_registry or board.registry), base, size, on_board, entries
    )
    before = dict(board.admission.counts)
    tokens = board.admission.prechecks(entries, base)
    assert board.admission.counts["pool"] > before.get("pool", 0)
    pooled, pooled_changes = sequential(board.admission, base, size, on_board, entries, tokens)
    assert pooled == plain
    assert pooled_changes == plain_changes
    # the whole batch through Board.append_many (prechecks in the pool, then the lock)
    outcome, detail = batch_outcome(board, leaves)
    refused = [(i, v) for i, v in enumerate(plain) if v[0] != "admitted"]
    if not refused:
        assert outcome == "admitted"
        expected = {**base.snapshot(), **plain_changes}
        assert detail == {k: v for k, v in expected.items() if v is not None}
    else:
        i, v = refused[0]
        assert outcome == "refused"
        if v[0] == "DuplicateEntry":
            assert detail[0] == "DuplicateEntry"
        else:
            assert detail == (v[0], v[1], f"entry {i} of the batch: {v[2]}", v[3])
    return plain

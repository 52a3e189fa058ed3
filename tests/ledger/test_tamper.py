"""Tampering, table by table and column by column: `verify` finds every single-byte change.

A board with a genesis, an authority, two witnesses (quorum 2), notices and
three checkpoints cosigned by both witnesses is changed in place through raw
SQL on the store's own engine (so the same code runs on SQLite and
PostgreSQL): one bit of one byte of a bytes column, one character of a text
column, or an integer column +1 (or, when that key is taken, swapped with
the row that holds it).  Every change must give at least one finding;
undoing it must give the identical tables back and a clean `verify` again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from ledger.board import Board
from ledger.store import TABLES
from ledger.witness import Witness, WitnessState
from tests.kit import Kit, make_kit
from webapp.cli import main as cli_main


@dataclass(frozen=True)
class Table:
    name: str
    pk: tuple[str, ...]
    columns: dict[str, str]  # column -> "int" | "bytes" | "text"


SCHEMA = {
    t.name: t
    for t in (
        Table(
            "entries",
            ("idx",),
            {"idx": "int", "leaf_hash": "bytes", "kind": "text", "leaf": "bytes"},
        ),
        Table("nodes", ("level", "idx"), {"level": "int", "idx": "int", "hash": "bytes"}),
        Table("checkpoints", ("size",), {"size": "int", "note": "text"}),
        Table(
            "cosignatures", ("size", "witness"), {"size": "int", "witness": "text", "line": "text"}
        ),
        Table("state", ("domain", "key"), {"domain": "text", "key": "text", "value": "text"}),
    )
}


# ------------------------------------------------------------------ the board


def build_board(url: str) -> Kit:
    """Genesis, authority, witnesses (2 of 2), 20 notices, then 3 cosigned checkpoints."""
    kit = make_kit(url, notices=20, witnesses=2, quorum=2)
    board = kit.board
    lv = board.log_verifier()
    witnesses = [Witness(w, {lv.name: lv}, WitnessState()) for w in kit.witnesses]
    for more in (5, 3, 0):
        note = board.sign_checkpoint(kit.log)
        size = board.checkpoint().size
        for w in witnesses:
            last = w.state.latest(lv.name)
            old = last.size if last else 0
            proof = board.consistency_proof(old, size).path if 0 < old < size else []
            board.add_cosignature(size, w.add_checkpoint(note, old, proof, int(time.time())))
        assert board.checkpoint().final
        if more:
            kit.publish(more, start=1000 * more)
    return kit


# ------------------------------------------------------------- raw SQL access


def q(name: str) -> str:
    return f'"{name}"'


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order, bytes as bytes."""
    out = {}
    with engine.connect() as conn:
        for t in SCHEMA.values():
            cols = ", ".join(q(c) for c in t.columns)
            order = ", ".join(q(c) for c in t.pk)
            rows = conn.execute(text(f"SELECT {cols} FROM {q(t.name)} ORDER BY {order}"))
            out[t.name] = [
                tuple(bytes(v) if isinstance(v, (bytes, memoryview)) else v for v in r)
                for r in rows
            ]
    return out


def _where(t: Table, pk: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return " AND ".join(f"{q(c)} = :k_{c}" for c in t.pk), {f"k_{c}": v for c, v in pk.items()}


def update(engine: Engine, t: Table, pk: dict[str, Any], column: str, value: Any) -> None:
    """Set one column of one row (by primary key); exactly one row must change."""
    where, params = _where(t, pk)
    with engine.begin() as conn:
        r = conn.execute(
            text(f"UPDATE {q(t.name)} SET {q(column)} = :v WHERE {where}"), {**params, "v": value}
        )
        assert r.rowcount == 1, (t.name, pk, column)


def exists(engine: Engine, t: Table, pk: dict[str, Any]) -> bool:
    where, params = _where(t, pk)
    with engine.connect() as conn:
        return (
            conn.execute(text(f"SELECT 1 FROM {q(t.name)} WHERE {where}"), params).first()
            is not None
        )


Undo = Callable[[], None]


def flip_bit(
    engine: Engine, t: Table, row: dict[str, Any], column: str, pos: int, bit: int
) -> Undo:
    """Flip bit ``bit`` of byte ``pos`` of a bytes column."""
    pk = {c: row[c] for c in t.pk}
    old = bytes(row[column])
    new = bytearray(old)
    new[pos] ^= 1 << bit
    update(engine, t, pk, column, bytes(new))
    return lambda: update(engine, t, pk, column, old)


def change_char(engine: Engine, t: Table, row: dict[str, Any], column: str, pos: int) -> Undo:
    """Replace character ``pos`` of a text column by another printable ASCII character."""
    pk = {c: row[c] for c in t.pk}
    old: str = row[column]
    for ch in "xyz~0":
        if ch == old[pos]:
            continue
        new = old[:pos] + ch + old[pos + 1 :]
        try:
            update(engine, t, pk, column, new)
        except IntegrityError:  # a key column, and that key is taken: try another character
            continue
        after = {**pk, column: new} if column in t.pk else pk
        return lambda: update(engine, t, after, column, old)
    raise AssertionError(f"no replacement for {t.name}.{column} position {pos}")


def bump(engine: Engine, t: Table, row: dict[str, Any], column: str) -> Undo:
    """An integer column +1; if that key is taken, swap the value with the row holding it."""
    pk = {c: row[c] for c in t.pk}
    v = int(row[column])
    assert column in t.pk  # every integer column here is part of the key
    other = {**pk, column: v + 1}
    if not exists(engine, t, other):
        update(engine, t, pk, column, v + 1)
        return lambda: update(engine, t, other, column, v)

    def swap() -> None:
        parked = {**pk, column: -1 - v}
        update(engine, t, pk, column, -1 - v)  # out of the way: keys are unique
        update(engine, t, other, column, v)
        update(engine, t, parked, column, v + 1)

    swap()
    return swap  # a swap is its own inverse


def rows_of(engine: Engine, t: Table) -> list[dict[str, Any]]:
    cols = list(t.columns)
    order = ", ".join(q(c) for c in t.pk)
    with engine.connect() as conn:
        rows = conn.execute(
            text(f"SELECT {', '.join(q(c) for c in cols)} FROM {q(t.name)} ORDER BY {order}")
        )
        return [dict(zip(cols, r, strict=True)) for r in rows]


def spread(n: int) -> list[int]:
    """First, middle and last of ``n`` positions."""
    return sorted({0, n // 2, n - 1}) if n else []


def check_tamper(board: Board, undo: Undo, what: str, clean: dict[str, Any]) -> list[str]:
    engine = board.store.engine
    findings = board.verify()
    undo()
    assert snapshot(engine) == clean, f"undoing {what} did not restore the tables"
    assert findings, f"verify found nothing after {what}"
    assert board.verify() == [], f"not clean again after undoing {what}"
    return findings


# ----------------------------------------------------------------------- tests


def test_schema_is_covered(db_url: str) -> None:
    """The cases below cover every table and every column the store creates."""
    kit = make_kit(db_url)
    insp = inspect(kit.board.store.engine)
    assert set(TABLES) == set(SCHEMA) == set(insp.get_table_names())
    for t in SCHEMA.values():
        assert {c["name"] for c in insp.get_columns(t.name)} == set(t.columns), t.name
        assert tuple(insp.get_pk_constraint(t.name)["constrained_columns"]) == t.pk, t.name


@pytest.mark.parametrize("table", sorted(SCHEMA))
def test_single_change_is_found(db_url: str, table: str) -> None:
    """Each column of the table, in its first, middle and last rows (and, for bytes and
    text, at the first, middle and last position of the value), one change at a time."""
    kit = build_board(db_url)
    board, engine = kit.board, kit.board.store.engine
    assert board.verify() == []
    clean = snapshot(engine)
    t = SCHEMA[table]
    rows = rows_of(engine, t)
    assert len(rows) >= 3, (table, len(rows))
    for column, kind in t.columns.items():
        tried = 0
        for r in spread(len(rows)):
            row = rows[r]
            if kind == "int":
                undo = bump(engine, t, row, column)
                check_tamper(board, undo, f"{table}.{column} +1 at row {r}", clean)
                tried += 1
                continue
            value = row[column]
            for pos in spread(len(value)):
                if kind == "bytes":
                    undo = flip_bit(engine, t, row, column, pos, (r + pos) % 8)
                else:
                    undo = change_char(engine, t, row, column, pos)
                check_tamper(board, undo, f"{table}.{column} row {r} position {pos}", clean)
                tried += 1
        assert tried >= 3, column


@pytest.mark.parametrize("table", ["checkpoints", "cosignatures"])
def test_every_character_of_signed_notes(tmp_path: Path, table: str) -> None:
    """Every character of the latest checkpoint note / of one cosignature line (SQLite).

    Undoing is checked by comparing every table with the clean board's, which
    `verify` found clean: the same rows, so the same (empty) findings.
    """
    kit = build_board(f"sqlite:///{tmp_path / 'board.db'}")
    board, engine = kit.board, kit.board.store.engine
    clean = snapshot(engine)
    t = SCHEMA[table]
    column = "note" if table == "checkpoints" else "line"
    row = rows_of(engine, t)[-1]
    for pos in range(len(row[column])):
        undo = change_char(engine, t, row, column, pos)
        findings = board.verify()
        undo()
        assert findings, f"{table}.{column}[{pos}] changed: verify found nothing"
        assert snapshot(engine) == clean
    assert len(row[column]) > 100
    assert board.verify() == []


@pytest.mark.parametrize(("row", "to"), [(-1, 10**9), (-1, -5), (12, 10**9), (12, -5), (0, 2**40)])
def test_entry_moved_out_of_range(db_url: str, row: int, to: int) -> None:
    """An entry whose index moves far away (below 0, past the end) is found, not skipped."""
    kit = build_board(db_url)
    board, engine = kit.board, kit.board.store.engine
    clean = snapshot(engine)
    t = SCHEMA["entries"]
    r = rows_of(engine, t)[row]
    update(engine, t, {"idx": r["idx"]}, "idx", to)
    findings = board.verify()
    assert any(f"entry index {to}" in f for f in findings), findings
    update(engine, t, {"idx": to}, "idx", r["idx"])
    assert snapshot(engine) == clean
    assert board.verify() == []


def test_cli_verify(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`pnyx board verify`: exit 0 when clean, 1 and one line per finding after tampering."""
    kit = build_board(db_url)
    args = ["--db", db_url, "--keys", str(tmp_path / "keys"), "board", "verify"]

    def run() -> tuple[int, list[str]]:
        with pytest.raises(SystemExit) as e:
            cli_main(args)
        return int(e.value.code or 0), capsys.readouterr().out.splitlines()

    code, lines = run()
    assert code == 0
    assert lines == [
        f"board verified: {kit.board.size()} entries, tree, checkpoints, cosignatures, state"
    ]

    engine = kit.board.store.engine
    rows = rows_of(engine, SCHEMA["nodes"])
    flip_bit(engine, SCHEMA["nodes"], rows[len(rows) // 2], "hash", 7, 3)
    entries = rows_of(engine, SCHEMA["entries"])
    change_char(engine, SCHEMA["entries"], entries[5], "kind", 0)
    expected = kit.board.verify()
    assert len(expected) >= 2
    code, lines = run()
    assert code == 1
    assert lines == expected


# ----------------------------------------------------------------- hypothesis


@pytest.fixture(scope="module")
def sqlite_board(tmp_path_factory: pytest.TempPathFactory) -> tuple[Board, dict[str, Any]]:
    kit = build_board(f"sqlite:///{tmp_path_factory.mktemp('tamper') / 'board.db'}")
    return kit.board, snapshot(kit.board.store.engine)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_single_change(
    sqlite_board: tuple[Board, dict[str, Any]], data: st.DataObject
) -> None:
    """Any (table, row, column, byte): the change is found and undoing it is clean (SQLite)."""
    board, clean = sqlite_board
    engine = board.store.engine
    t = SCHEMA[data.draw(st.sampled_from(sorted(SCHEMA)), label="table")]
    column = data.draw(st.sampled_from(sorted(t.columns)), label="column")
    rows = rows_of(engine, t)
    row = rows[data.draw(st.integers(0, len(rows) - 1), label="row")]
    kind = t.columns[column]
    if kind == "int":
        undo = bump(engine, t, row, column)
    else:
        pos = data.draw(st.integers(0, len(row[column]) - 1), label="position")
        if kind == "bytes":
            undo = flip_bit(engine, t, row, column, pos, data.draw(st.integers(0, 7), label="bit"))
        else:
            undo = change_char(engine, t, row, column, pos)
    check_tamper(board, undo, f"{t.name}.{column}", clean)

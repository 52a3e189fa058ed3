"""After `pnyx demo health`, no record value and no patient name is anywhere in the database.

The dump is everything the operator holds: every table and column read back
through SQL (bytes and text), the board's entries, and the raw storage — for
SQLite the database file with its WAL and journal, for PostgreSQL the
database's own directory, the write-ahead log and the server log, after a
CHECKPOINT.  Each value is searched as text (case-insensitive) and as hex.
A positive control (the break-glass reason, public by design) shows that
the search finds what is there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text

from ledger.board import Board
from ledger.store import Store
from services.registry import default_registry
from tests.leaks import raw_files, search
from tests.webapp.conftest import Cli
from webapp.cli_health import DEMO_BUNDLE, DEMO_FOLLOW_UP

VOCABULARY = {
    # FHIR's own words and code systems: the same in every record of every patient
    "Bundle",
    "collection",
    "Patient",
    "Immunization",
    "Observation",
    "AllergyIntolerance",
    "Condition",
    "MedicationStatement",
    "completed",
    "final",
    "active",
    "refuted",
    "phone",
    "L/min",
    "http://hl7.org/fhir/sid/cvx",
    "http://loinc.org",
    "http://snomed.info/sct",
    "urn:oid:2.16.840.1.113883.2.4.6.3",
}
TOO_SHORT = 4
"""Values this short (the CVX code "03", a flow of 512) occur in any hex dump by chance."""


def leaves(doc: Any) -> Iterator[str]:
    if isinstance(doc, dict):
        for v in doc.values():
            yield from leaves(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from leaves(v)
    else:
        yield str(doc)


def needles() -> list[str]:
    """The demo records' values (names, identifiers, dates, codes, texts) to search for."""
    values = {v for doc in (DEMO_BUNDLE, DEMO_FOLLOW_UP) for v in leaves(doc)}
    found = sorted(v for v in values if v not in VOCABULARY and len(v) > TOO_SHORT)
    found += ["Zenobia Quixotically-Brandt", "http://hl7.org/fhir/sid/cvx|03"]
    return found


def test_the_needles_cover_the_record() -> None:
    n = needles()
    for v in (
        "Zenobia",
        "Quixotically-Brandt",
        "NL-7731-4410-29",
        "1984-02-29",
        "+31 20 555 0147",
        "2019-05-14",
        "764146007",
        "882-1",
        "O Rh(D) negative",
        "Exercise-induced bronchoconstriction",
        "Salbutamol 100 micrograms inhaler",
        "urn:uuid:5b0e7c1a-94d2-4c4e-8f7a-1c2d3e4f5a6b",
        "Follow-up visit, spirometry room 3B",
    ):
        assert v in n
    skipped = {v for d in (DEMO_BUNDLE, DEMO_FOLLOW_UP) for v in leaves(d)} - set(n)
    assert skipped - VOCABULARY == {"03", "512"}


def sql_dump(url: str) -> list[bytes]:
    """Every value of every column of every table, as bytes (blobs) or UTF-8 text."""
    engine = create_engine(url)
    parts: list[bytes] = []
    try:
        tables = inspect(engine).get_table_names()
        assert {"entries", "state", "health_blobs"} <= set(tables)
        with engine.connect() as conn:
            for table in tables:
                for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                    for value in row:
                        if isinstance(value, bytes | bytearray | memoryview):
                            parts.append(bytes(value))
                        else:
                            parts.append(str(value).encode("utf-8"))
    finally:
        engine.dispose()
    return parts


def board_dump(url: str) -> list[bytes]:
    board = Board(Store(url), default_registry())
    try:
        leaves_ = [leaf for _, leaf in board.entries(0, board.size())]
        assert leaves_
        return leaves_
    finally:
        board.store.engine.dispose()


def test_no_record_value_or_name_in_the_database(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest
) -> None:
    cli = Cli(db_url, tmp_path / "keys", capsys)
    r = cli.ok("demo", "health")
    assert "FAILED" not in r.out
    reason = "unconscious patient admitted to the ER"
    parts = sql_dump(db_url) + board_dump(db_url)
    if db_url.startswith("sqlite"):
        db = Path(db_url.removeprefix("sqlite:///"))
        parts += raw_files(sorted(db.parent.glob(db.name + "*")))
    else:
        server = request.getfixturevalue("pg_server")
        name = db_url.rsplit("/", 1)[1]
        with server.connect() as conn:
            conn.execute("CHECKPOINT")
            row = conn.execute("SELECT oid FROM pg_database WHERE datname = %s", (name,)).fetchone()
        assert row is not None
        parts += raw_files(
            [server.data / "base" / str(row[0]), server.data / "pg_wal", server.logfile]
        )
    assert search(parts, [reason]) == [reason]  # the search sees what is stored
    assert search(parts, needles()) == []
    # nor is any of it in the key folder (secrets and public cards only)
    assert search(raw_files([cli.keys]), needles()) == []

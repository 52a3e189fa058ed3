"""After the election demo, nothing the operator holds links a ballot to a voter, and no
plaintext vote of a cast ballot is stored anywhere.

The dump is everything the operator holds, as in tests/services/health/test_privacy.py:
every table and column read back through SQL (bytes and text), the board's entries,
the raw storage (SQLite file, WAL and journal; PostgreSQL's database directory, WAL
and server log after a CHECKPOINT), and the key folder.  It is searched, as text (any
case) and as hex, for

- every voter's names and birth date (the e-ID's attributes the election does not ask for),
- every voter's credential secrets: the nym secret, the prover blind and the BBS
  signature of the credential,
- the nonces of every cast ballot (whoever has them decrypts the ballot) and the
  selections of every cast ballot written out as the board writes a challenge's.

Positive controls show that the search finds what is there: the nonces and selections of
the challenged ballots, which are public by design (under an unlinkable pseudonym),
and the voters' pseudonyms.  And every ballot's presentation discloses exactly the
attribute the manifest requires, nothing else.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import create_engine, inspect, text

from ledger.board import Board
from ledger.entry import Entry
from ledger.store import Store
from services.identity.board_data import BoardData
from services.registry import default_registry
from services.voting.ballot import MadeBallot, credential_pseudonym
from tests.leaks import raw_files, search, unpacked
from webapp.cli_voting import DEMO_ELECTION, DemoOutcome, run_election_demo
from webapp.keystore import KeyStore


def sql_dump(url: str) -> list[bytes]:
    """Every value of every column of every table, as bytes (blobs) or UTF-8 text."""
    engine = create_engine(url)
    parts: list[bytes] = []
    try:
        tables = inspect(engine).get_table_names()
        assert {"entries", "state"} <= set(tables)
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


def _selections(made: MadeBallot) -> str:
    """A ballot's selections as the board writes a challenge's (compact JSON)."""
    return json.dumps([list(s) for s in made.selections], separators=(",", ":"))


def _nonces(made: MadeBallot) -> Iterator[str]:
    for contest in made.nonces:
        for r in contest:
            yield r.hex()


def identity_needles(outcome: DemoOutcome) -> list[str]:
    found = []
    for v in outcome.voters:
        subject = v.record["credential"]["credentialSubject"]
        proof = v.record["credential"]["proof"]["proofValue"]
        assert proof.startswith("f")  # multibase hex
        found += [v.given, v.family, f"{v.given} {v.family}", subject["birthDate"]]
        found += [v.record["secrets"]["nymSecret"], v.record["secrets"]["proverBlind"], proof[1:]]
    return found


def vote_needles(outcome: DemoOutcome) -> tuple[list[str], list[str]]:
    """(secret: cast ballots' nonces and selections; public: the challenged ones')."""
    challenged = [m for v in outcome.voters for m in v.challenged]
    public_sel = {_selections(m) for m in challenged}
    secret = [r for v in outcome.voters for m in v.cast for r in _nonces(m)]
    # a cast ballot's selections equal to a challenged one's are public anyway: not a needle
    secret += sorted({_selections(m) for v in outcome.voters for m in v.cast} - public_sel)
    public = [r for m in challenged for r in _nonces(m)] + sorted(public_sel)
    return secret, public


def test_no_identity_or_plaintext_vote_in_the_database(
    db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    keys = tmp_path / "keys"
    board = Board(Store(db_url), default_registry())
    outcome = run_election_demo(
        board, KeyStore(keys), Console(file=io.StringIO()),
        voters=8, trustees=4, threshold=2, seed=5, record=tmp_path / "record.json",
    )  # fmt: skip
    assert outcome.failed == [] and outcome.totals == outcome.intended
    leaves = [leaf for _, leaf in board.entries(0, board.size())]
    board.store.engine.dispose()

    parts = sql_dump(db_url) + leaves
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
    key_folder = raw_files([keys])
    raw_record = (tmp_path / "record.json").read_bytes()
    record = [raw_record, *unpacked(json.loads(raw_record))]

    secret_votes, public_votes = vote_needles(outcome)
    assert len(secret_votes) >= 8 * 10 and public_votes
    who = identity_needles(outcome)
    assert len(who) == 8 * 7
    # positive controls: the search finds what is there
    data = BoardData.from_board(Board(Store(db_url), default_registry()))
    nyms = [credential_pseudonym(data, v.record, DEMO_ELECTION) for v in outcome.voters]
    assert search(parts, public_votes) == public_votes
    assert search(parts, nyms) == nyms
    assert search(record, public_votes) == public_votes
    # nothing identifies a voter, nothing decrypts a cast ballot
    for where in (parts, key_folder, record):
        assert search(where, who) == []
        assert search(where, secret_votes) == []

    # every presentation shows the district and nothing else of the e-ID
    ballots = [Entry.from_leaf(leaf) for leaf in leaves]
    shown = [
        e.body["eligibility"]["presentation"]["verifiableCredential"][0]["credentialSubject"]
        for e in ballots
        if e.kind == "voting.ballot"
    ]
    assert len(shown) == sum(len(v.cast) for v in outcome.voters)
    assert all(s == {"district": 7} for s in shown)


def test_the_search_finds_a_leaked_vote(tmp_path: Path) -> None:
    """Negative control of the method: a planted nonce and name are found, in hex or text."""
    secret = "ab" * 32
    parts = [b"prefix " + bytes.fromhex(secret) + b" suffix", b'{"name":"ADA000"}']
    assert search(parts, [secret, "Ada000", "Grace001"]) == [secret, "Ada000"]

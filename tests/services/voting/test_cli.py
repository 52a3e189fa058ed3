"""`pnyx election | trustee | vote | ballot` end to end, in-process, on SQLite and PostgreSQL.

A bad input ends with one line on stderr, a non-zero exit and the board exactly
as it was (size, root and checkpoints).
"""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.webapp.conftest import Cli

PASS = "correct horse battery staple"
ELECTION = "council-2026"


def _t(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def manifest(eligibility: dict[str, Any], revote: str = "last") -> dict[str, Any]:
    return {
        "version": 1,
        "id": ELECTION,
        "title": "Council 2026",
        "contests": [
            {
                "id": "mayor",
                "title": "Mayor",
                "options": ["Alice", "Bob"],
                "min": 1,
                "max": 1,
                "blank": True,
            },
            {
                "id": "parks",
                "title": "More parks?",
                "options": ["yes", "no"],
                "min": 1,
                "max": 1,
                "blank": False,
            },
        ],
        "eligibility": eligibility,
        "revote": revote,
        "trustees": [],
        "threshold": 2,
        "opens": _t(-timedelta(hours=1)),
        "closes": _t(timedelta(hours=1)),
    }


CREDENTIAL_RULE = {
    "type": "credential",
    "issuer": "cityhall",
    "schema": "eid",
    "attributes": {"district": 7},
    "predicates": [{"attribute": "birthDate", "op": "<=", "value": "2008-01-01"}],
    "date": datetime.now(UTC).date().isoformat(),
}


def officials(c: Cli) -> None:
    c.ok("init", "--origin", "example.gov/pnyx")
    c.ok("authority", "add", "office", "--role", "election_official")
    c.ok("authority", "add", "ballot-box", "--role", "ballot_box")
    for t in ("t1", "t2", "t3"):
        c.ok("authority", "add", t, "--role", "trustee")


def obtain(c: Cli, district: int = 7) -> str:
    """An e-ID in the wallet (request, issue, add); returns its wallet id."""
    c.ok("credential", "request", "--issuer", "cityhall", "--schema", "eid", "--out", "req.json")
    c.ok(
        "credential", "issue", "req.json", "--as", "cityhall", "--attr", "givenName=Ada",
        "--attr", "birthDate=1990-02-03", "--attr", f"district={district}", "--out", "cred.json",
    )  # fmt: skip
    c.ok("wallet", "add", "cred.json")
    return str(c.ok("wallet", "list", "--json").json_lines()[-1]["id"])


def ceremony(c: Cli, doc: dict[str, Any]) -> None:
    """Cards, manifest, commit, share, complain (nothing to complain about), open."""
    for t in ("t1", "t2", "t3"):
        c.ok("trustee", "init", ELECTION, "--as", t, "--out", f"{t}.json")
    Path("manifest.json").write_text(json.dumps(doc))
    c.ok(
        "election", "create", "manifest.json", "--as", "office",
        "--trustee", "t1.json", "--trustee", "t2.json", "--trustee", "t3.json",
    )  # fmt: skip
    for step in ("commit", "share"):
        for t in ("t1", "t2", "t3"):
            c.ok("trustee", step, ELECTION, "--as", t)
    for t in ("t1", "t2", "t3"):
        [row] = c.ok("trustee", "complain", ELECTION, "--as", t, "--json").json_lines()
        assert row["complaints"] == []
    c.ok("election", "open", ELECTION, "--as", "office")


def unchanged(c: Cli, *argv: str) -> str:
    """The command fails with one clear line and leaves the board exactly as it was."""
    before = c.snapshot()
    err = c.fails(*argv).err
    assert c.snapshot() == before
    return err


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PNYX_PASSPHRASE", PASS)
    monkeypatch.setenv("PNYX_WALLET", str(tmp_path / "wallet"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_election_from_the_command_line(
    db_url: str, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    c = Cli(db_url, env / "keys", capsys)
    officials(c)
    c.ok("issuer", "create", "cityhall")
    c.ok(
        "issuer", "schema", "eid", "--as", "cityhall", "--title", "e-ID",
        "--attr", "givenName:string", "--attr", "birthDate:date", "--attr", "district:integer",
    )  # fmt: skip
    c.ok("wallet", "init", "--kdf", "interactive")
    cid = obtain(c)
    doc = manifest(CREDENTIAL_RULE)
    ceremony(c, doc)
    # the trustees' secrets are in the key folder, 0600, and not on the board
    secret_file = env / "keys" / "voting" / "trustees" / ELECTION / "t1.json"
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    secret = json.loads(secret_file.read_text())
    entries = c.ok("board", "entries", "--json").out
    assert secret["box_secret"] not in entries and secret["coefficients"][0] not in entries
    # the voter: a challenged ballot, a ballot, a re-vote
    audit = json.loads(
        c.ok("vote", ELECTION, "--credential", cid, "--choice", "mayor=Bob",
             "--choice", "parks=no", "--challenge").out
    )  # fmt: skip
    assert audit["selections"] == [[0, 1, 0], [0, 1]]
    c.ok("vote", ELECTION, "--credential", cid, "--choice", "mayor=Alice", "--choice", "parks=yes",
         "--out", "first.json")  # fmt: skip
    [chk] = c.ok("ballot", "check", "first.json", "--json").json_lines()
    assert chk["valid"] and chk["counted"] is True
    c.ok("vote", ELECTION, "--credential", cid, "--choice", "mayor=blank", "--choice", "parks=yes",
         "--out", "second.json")  # fmt: skip
    [chk] = c.ok("ballot", "check", "first.json", "--json").json_lines()
    assert chk["valid"] and chk["counted"] is False and chk["checked_to"] > chk["size"]
    assert c.ok("ballot", "check", "second.json", "--json").json_lines()[0]["counted"] is True
    [show] = c.ok("election", "show", ELECTION, "--json").json_lines()
    assert (show["phase"], show["ballots"], show["counted"], show["challenged"]) == (
        "open",
        2,
        1,
        1,
    )
    # bad input: one line, non-zero, nothing written
    assert "wrong_phase" in unchanged(c, "trustee", "decrypt", ELECTION, "--as", "t1")
    unchanged(c, "vote", ELECTION, "--credential", cid, "--choice", "mayor=Zed")
    assert "takes 1 to 1" in unchanged(
        c, "vote", ELECTION, "--credential", cid, "--choice", "mayor=Alice,Bob",
        "--choice", "parks=yes",
    )  # fmt: skip
    unchanged(c, "vote", ELECTION, "--credential", cid, "--roll-key", "x", "--choice", "parks=no")
    assert "wrong_phase" in unchanged(c, "election", "close", ELECTION, "--as", "office")
    assert "wrong_phase" in unchanged(c, "election", "tally", ELECTION, "--as", "office")
    unchanged(c, "election", "close", ELECTION, "--as", "office", "--time", "yesterday")
    unchanged(c, "trustee", "commit", ELECTION, "--as", "office")
    Path("bad.json").write_text("{not json")
    unchanged(c, "election", "create", "bad.json", "--as", "office")
    tampered = json.loads(Path("second.json").read_text())
    tampered["ballot"] = "0" * 64
    Path("tampered.json").write_text(json.dumps(tampered))
    assert "receipt_invalid" in c.fails("ballot", "check", "tampered.json").err
    # close, tally, two of three trustees decrypt, the result
    c.ok("election", "close", ELECTION, "--as", "office", "--time", doc["closes"])
    unchanged(c, "vote", ELECTION, "--credential", cid, "--choice", "mayor=Bob", "--choice",
              "parks=no")  # fmt: skip
    c.ok("election", "tally", ELECTION, "--as", "office")
    c.ok("trustee", "decrypt", ELECTION, "--as", "t2")
    assert "not_enough_partials" in unchanged(c, "election", "publish", ELECTION, "--as", "office")
    c.ok("trustee", "decrypt", ELECTION, "--as", "t3")
    unchanged(c, "trustee", "decrypt", ELECTION, "--as", "t3")  # once per trustee
    [res] = c.ok("election", "publish", ELECTION, "--as", "office", "--json").json_lines()
    assert res["totals"] == [[0, 0, 1], [1, 0]] and res["used"] == [2, 3]
    [show] = c.ok("election", "show", ELECTION, "--json").json_lines()
    assert show["phase"] == "decided"
    assert show["result"]["mayor"] == {"Alice": 0, "Bob": 0, "blank": 1}
    assert [r["election"] for r in c.ok("election", "list", "--json").json_lines()] == [ELECTION]
    # the record, verified by `pnyx verify election` with the board's key alone
    c.ok("election", "export", ELECTION, "--out", "record.json")
    vkey = c.ok("board", "vkey").out.strip()
    [report] = c.ok("verify", "election", "record.json", "--vkey", vkey, "--json").json_lines()
    assert report["status"] == "valid"


def test_roll_election_and_bad_trustee_inputs(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    c = Cli(f"sqlite:///{env / 'board.db'}", env / "keys", capsys)
    officials(c)
    voters = [c.ok("election", "roll-key", f"v{i}").out.strip() for i in range(3)]
    assert all(len(v) == 64 for v in voters)
    c.fails("election", "roll-key", "v0")  # never overwrites a key
    doc = manifest({"type": "roll", "voters": voters[:2]}, revote="deny")
    unchanged(c, "trustee", "commit", ELECTION, "--as", "t1")  # no such election yet
    ceremony(c, doc)
    unchanged(c, "trustee", "commit", ELECTION, "--as", "t1")  # committed already
    unchanged(c, "trustee", "init", ELECTION, "--as", "t1")  # box key exists
    receipt = json.loads(
        c.ok("vote", ELECTION, "--roll-key", "v0", "--choice", "mayor=Alice",
             "--choice", "parks=yes").out
    )  # fmt: skip
    assert receipt["type"] == "PnyxBallotReceipt"
    assert "already_voted" in unchanged(
        c, "vote", ELECTION, "--roll-key", "v0", "--choice", "mayor=Bob", "--choice", "parks=no"
    )
    assert "not_eligible" in unchanged(
        c, "vote", ELECTION, "--roll-key", "v2", "--choice", "mayor=Bob", "--choice", "parks=no"
    )
    c.ok("vote", ELECTION, "--roll-key", "v1", "--choice", "mayor=Bob", "--choice", "parks=yes")
    c.ok("election", "close", ELECTION, "--as", "office", "--time", doc["closes"])
    c.ok("election", "tally", ELECTION, "--as", "office")
    for t in ("t1", "t3"):
        c.ok("trustee", "decrypt", ELECTION, "--as", t)
    out = c.ok("election", "publish", ELECTION, "--as", "office").out
    assert "decrypted by trustees 1, 3" in out
    [show] = c.ok("election", "show", ELECTION, "--json").json_lines()
    assert show["result"]["parks"] == {"yes": 2, "no": 0}

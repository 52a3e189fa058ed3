"""A new user's first hour (issue 13): the CLI steps that used to fail or mislead."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.note import Verifier
from tests.webapp.conftest import Cli


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_witness_init_writes_its_vkey_file(board_cli: Cli, tmp_path: Path) -> None:
    printed = board_cli.ok("witness", "init", "w1.example.org").out.strip()
    written = (tmp_path / "w1.example.org.vkey").read_text().strip()
    assert written == printed
    Verifier.from_vkey(written)  # a valid C2SP verifier key
    # the README's next line works as written
    board_cli.ok("board", "witnesses", written, "--quorum", "1")
    board_cli.ok("witness", "cosign")
    # an explicit --out, and no overwrite of an existing file
    board_cli.ok("witness", "init", "w2.example.org", "--out", str(tmp_path / "w2.vkey"))
    assert (tmp_path / "w2.vkey").read_text().strip().startswith("w2.example.org+")
    (tmp_path / "w3.example.org.vkey").write_text("mine\n")
    board_cli.fails("witness", "init", "w3.example.org")
    assert (tmp_path / "w3.example.org.vkey").read_text() == "mine\n"


def test_a_db_that_does_not_exist_is_an_error_not_a_new_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "typo.db"
    cli = Cli(f"sqlite:///{missing}", tmp_path / "keys", capsys)
    for argv in (
        ("board", "checkpoint"),
        ("board", "entries", "--json"),
        ("board", "verify"),
        ("serve", "--port", "8123"),
    ):
        r = cli.fails(*argv)
        assert "no board database" in r.err, r.err
        assert not missing.exists()
    cli.ok("init", "--origin", "example.gov/pnyx")  # init creates it
    assert missing.exists()
    cli.ok("board", "checkpoint")


@pytest.mark.parametrize("port", ["99999", "0", "-1", "65536"])
def test_serve_refuses_an_impossible_port(
    port: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = Cli(f"sqlite:///{tmp_path / 'b.db'}", tmp_path / "keys", capsys)
    r = cli.raw("--db", cli.db, "serve", "--port", port)
    assert r.code == 2, r
    assert "port" in r.err.lower(), r.err
    assert not (tmp_path / "b.db").exists()


def test_relative_times_for_a_voting_window() -> None:
    from datetime import UTC, datetime

    from webapp.cli_voting import VotingInputError, when

    now = datetime(2026, 12, 8, 10, 0, 0, 500, tzinfo=UTC)
    assert when("now", "--opens", now) == "2026-12-08T10:00:00Z"
    assert when("+3m", "--closes", now) == "2026-12-08T10:03:00Z"
    assert when("+2d", "--closes", now) == "2026-12-10T10:00:00Z"
    assert when("2027-01-01T00:00:00Z", "--closes", now) == "2027-01-01T00:00:00Z"
    for bad in ("+3", "3m", "+-3m", "+3w", "tomorrow", "2026-02-30T00:00:00Z", "+\u0663m"):
        with pytest.raises(VotingInputError):
            when(bad, "--closes", now)


def test_election_create_refuses_a_window_that_has_passed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    cli = Cli(f"sqlite:///{tmp_path / 'b.db'}", tmp_path / "keys", capsys)
    cli.ok("init", "--origin", "example.gov/pnyx")
    cli.ok("authority", "add", "office", "--role", "election_official")
    for t in ("t1", "t2"):
        cli.ok("authority", "add", t, "--role", "trustee")
        cli.ok("trustee", "init", "e1", "--as", t, "--out", str(tmp_path / f"{t}.json"))
    manifest = {
        "version": 1, "id": "e1", "title": "E", "revote": "last", "threshold": 1,
        "contests": [{"id": "c", "title": "C", "options": ["a", "b"], "min": 1, "max": 1,
                      "blank": False}],
        "eligibility": {"type": "roll", "voters": ["11" * 32]},
        "trustees": [], "opens": "2026-01-01T00:00:00Z", "closes": "2026-01-02T00:00:00Z",
    }  # fmt: skip
    (tmp_path / "m.json").write_text(json.dumps(manifest))
    cards = ["--trustee", str(tmp_path / "t1.json"), "--trustee", str(tmp_path / "t2.json")]
    before = cli.snapshot()
    assert "window_passed" in cli.fails("election", "create", str(tmp_path / "m.json"),
                                        "--as", "office", *cards).err  # fmt: skip
    assert "--closes" in cli.fails("election", "create", str(tmp_path / "m.json"),
                                   "--as", "office", *cards, "--closes", "soon").err  # fmt: skip
    assert cli.snapshot() == before
    cli.ok("election", "create", str(tmp_path / "m.json"), "--as", "office", *cards,
           "--opens", "now", "--closes", "+10m")  # fmt: skip
    assert "election_exists" in cli.fails("election", "create", str(tmp_path / "m.json"),
                                          "--as", "office", *cards, "--opens", "now",
                                          "--closes", "+11m").err  # fmt: skip


@pytest.mark.slow
def test_the_make_run_demo_leaves_a_record_that_verifies_valid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make demo`'s steps on one board: the finished election's record is final and valid
    (its witnesses cosigned before the export), and the patient's records sit beside it."""
    cli = Cli(f"sqlite:///{tmp_path / 'pnyx.db'}", tmp_path / "keys", capsys)
    cli.ok("demo")
    record = tmp_path / "election-record.json"
    cli.ok("demo", "election", "--voters", "4", "--trustees", "4", "--threshold", "2",
           "--out", str(record))  # fmt: skip
    cli.ok("demo", "health")
    vkey = cli.ok("board", "vkey").out.strip()
    r = cli.ok("verify", "election", str(record), "--vkey", vkey)
    assert "election demo-election: valid" in r.out, r.out[-2000:]
    [v] = cli.ok("board", "verify", "--json").json_lines()
    assert v["ok"] and v["findings"] == []

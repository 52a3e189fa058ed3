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

"""`pnyx demo election`: runs to the end, its record verifies, it exits 1 when the result
differs from what the voters meant, and it runs after the board demo (as `make run` does)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.webapp.conftest import Cli, assert_one_error_line
from webapp import cli_voting

ARGS = ("--voters", "6", "--trustees", "4", "--threshold", "2", "--seed", "3")


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(f"sqlite:///{tmp_path / 'board.db'}", tmp_path / "keys", capsys)


def test_demo_election_runs_and_its_record_verifies(cli: Cli, tmp_path: Path) -> None:
    record = tmp_path / "record.json"
    r = cli.ok("demo", "election", *ARGS, "--out", str(record))
    assert "FAILED" not in r.out and "Traceback" not in r.err
    for step in (
        "stayed away",
        "casting a challenged ballot: refused",
        "a ballot after the close: refused",
        "trustee-1's partial is excluded and named",
        "the decrypted totals are the intended ones",
        "intended",
    ):
        assert step in r.out
    assert r.out.count("  ok  ") >= 10
    vkey = cli.ok("board", "vkey").out.strip()
    [report] = cli.ok("verify", "election", str(record), "--vkey", vkey, "--json").json_lines()
    assert report["status"] == "valid"
    # the demo's keys and election work with the rest of the CLI
    [show] = cli.ok("election", "show", cli_voting.DEMO_ELECTION, "--json").json_lines()
    assert show["phase"] == "decided" and show["counted"] == 6 and show["challenged"] >= 1
    assert show["result"]["excluded"][0]["trustee"] == 1 and show["result"]["used"] == [2, 3]
    assert cli.ok("board", "verify", "--json").json_lines()[0]["ok"]
    size = cli.snapshot()
    assert "run on this board already" in cli.fails("demo", "election", *ARGS).err
    assert cli.snapshot() == size


def test_demo_election_after_the_board_demo(cli: Cli) -> None:
    """`make run`: the board demo, then the election demo into the same database."""
    cli.ok("demo")
    size = cli.snapshot()[0]
    r = cli.ok("demo", "election", *ARGS)
    assert "on the existing board" in r.out and "FAILED" not in r.out
    assert cli.snapshot()[0] > size
    assert cli.ok("board", "replay", "--json").json_lines()[0]["same"] is True


def test_demo_election_refuses_impossible_parameters(cli: Cli) -> None:
    err = cli.fails("demo", "election", "--trustees", "3", "--threshold", "2").err
    assert "--threshold <= --trustees - 2" in err
    assert cli.fails("demo", "election", "--voters", "0").code == 1


def test_demo_exits_non_zero_when_the_result_differs(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A voting client that encrypts other choices than its voter's: the demo notices."""
    honest = cli_voting.credential_ballot

    def lying(data: Any, record: Any, election: str, selections: Sequence[Sequence[int]]) -> Any:
        rotated = [[*s[1:], s[0]] for s in selections]  # the same count per contest
        return honest(data, record, election, rotated)

    monkeypatch.setattr(cli_voting, "credential_ballot", lying)
    r = cli("demo", "election", *ARGS)
    assert r.code == 1
    assert "FAILED  the decrypted totals are the intended ones" in r.out
    assert_one_error_line(r.err)
    assert "expectation(s) failed" in r.err

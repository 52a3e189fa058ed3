"""`pnyx demo health` runs to the end, leaves a board that verifies and keys the CLI can use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.webapp.conftest import Cli, assert_one_error_line
from webapp import cli_health


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(f"sqlite:///{tmp_path / 'board.db'}", tmp_path / "keys", capsys)


def test_demo_health_runs_and_the_board_verifies(cli: Cli) -> None:
    r = cli.ok("demo", "health")
    assert "FAILED" not in r.out and "Traceback" not in r.err
    for step in ("without a grant: refused", "after the revocation: refused", "no penicillin"):
        assert step in r.out
    assert r.out.count("  ok  ") >= 15
    [v] = cli.ok("board", "verify", "--json").json_lines()
    assert v["ok"] and v["findings"] == []
    assert cli.ok("board", "replay", "--json").json_lines()[0]["same"] is True
    # the demo's keys work with the rest of the CLI
    log = cli.ok("health", "log", "--patient", cli_health.DEMO_PATIENT, "--json").json_lines()
    assert [i["via"] for i in log] == ["patient", "grant", "emergency"]
    records = cli.ok(
        "health", "record", "list", "--patient", cli_health.DEMO_PATIENT, "--json"
    ).json_lines()
    assert len(records) == 2 and {r["provider"] for r in records} == {cli_health.DEMO_PROVIDER}
    sha = records[0]["record"]
    own = cli.ok("health", "record", "read", sha, "--patient", cli_health.DEMO_PATIENT)
    assert "Quixotically-Brandt" in own.out  # the patient, and only the patient, reads it
    size = v["size"]
    assert "has run on this board already" in cli.fails("demo", "health").err  # never twice
    assert cli.ok("board", "verify", "--json").json_lines()[0]["size"] == size + 1  # the read


def test_the_board_demo_is_still_the_default(cli: Cli) -> None:
    """`pnyx demo` without a subcommand is the board demo (`make run` calls it)."""
    assert "health" in cli.ok("demo", "--help").out
    r = cli.ok("demo")
    assert "notices signed and appended" in r.out and "medical" not in r.out.lower()
    assert "empty database" in cli.fails("demo").err


def test_demo_health_joins_the_board_demo(cli: Cli) -> None:
    """`make run`: the patient's records sit on the same board as the notices and elections."""
    cli.ok("demo")
    before = cli.ok("board", "verify", "--json").json_lines()[0]["size"]
    r = cli.ok("demo", "health")
    assert "FAILED" not in r.out
    [v] = cli.ok("board", "verify", "--json").json_lines()
    assert v["ok"] and v["findings"] == [] and v["size"] > before
    assert cli.ok("board", "replay", "--json").json_lines()[0]["same"] is True
    records = cli.ok(
        "health", "record", "list", "--patient", cli_health.DEMO_PATIENT, "--json"
    ).json_lines()
    assert len(records) == 2
    assert "has run on this board already" in cli.fails("demo", "health").err


def test_demo_health_needs_the_boards_keys(cli: Cli, tmp_path: Path) -> None:
    cli.ok("init", "--origin", "example.gov/pnyx")
    other = Cli(cli.db, tmp_path / "other-keys", cli.capsys)
    assert "log key is not in" in other.fails("demo", "health").err
    assert cli.snapshot()[0] == 1


def test_demo_exits_non_zero_when_an_expectation_fails(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A demo whose decryption gives something else than the record reports it and exits 1."""

    def wrong(box: Any, release: Any) -> dict[str, Any]:
        return {"resourceType": "Bundle", "type": "collection", "entry": []}

    monkeypatch.setattr(cli_health, "open_release", wrong)
    r = cli("demo", "health")
    assert r.code == 1
    assert "FAILED" in r.out
    assert_one_error_line(r.err)
    assert "2 expectation(s) failed" in r.err

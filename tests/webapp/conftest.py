"""Fixtures for the CLI and HTTP tests: an in-process `pnyx` runner and board snapshots."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from webapp.cli import main

PNYX = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "pnyx"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def lines(self) -> list[str]:
        return self.out.splitlines()

    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.splitlines() if line]


class Cli:
    """Runs ``webapp.cli.main`` in-process with ``--db`` and ``--keys`` set."""

    def __init__(self, db: str, keys: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.db = db
        self.keys = keys
        self.capsys = capsys

    def raw(self, *argv: str) -> Result:
        """Runs ``pnyx ARGV`` exactly as given (no global options added)."""
        self.capsys.readouterr()
        try:
            main(list(argv))
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        cap = self.capsys.readouterr()
        return Result(code, cap.out, cap.err)

    def __call__(self, *argv: str) -> Result:
        return self.raw("--db", self.db, "--keys", str(self.keys), *argv)

    def ok(self, *argv: str) -> Result:
        r = self(*argv)
        assert r.code == 0, f"pnyx {' '.join(argv)} exited {r.code}: {r.err}"
        return r

    def fails(self, *argv: str, raw: bool = False) -> Result:
        """The command fails with a non-zero exit and exactly one clear line on stderr."""
        r = self.raw(*argv) if raw else self(*argv)
        assert r.code != 0, f"pnyx {' '.join(argv)} succeeded: {r.out}"
        assert_one_error_line(r.err)
        return r

    def snapshot(self) -> tuple[int, str, int]:
        """(size, root, number of checkpoints): what a bad command must leave unchanged."""
        from ledger.store import Store

        cp = self.ok("board", "checkpoint", "--json").json_lines()[0]
        with Store(self.db).read() as tx:
            count = len(tx.checkpoints())
            size = tx.size()
        assert size == cp["size"]
        return cp["size"], cp["root"], count


def assert_one_error_line(err: str) -> None:
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    assert lines[0].startswith("error: "), lines[0]


@pytest.fixture
def cli(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Cli:
    monkeypatch.chdir(tmp_path)  # files the CLI writes by default (NAME.vkey, ...) land there
    return Cli(db_url, tmp_path / "keys", capsys)


@pytest.fixture
def board_cli(cli: Cli) -> Cli:
    """A board made through the CLI: root, a publisher ``city`` and three notices."""
    cli.ok("init", "--origin", "example.gov/pnyx")
    cli.ok("authority", "add", "city", "--role", "publisher")
    for i in range(3):
        cli.ok("notice", "publish", "--as", "city", "--title", f"notice {i}", "--body", "text")
    return cli

"""`pnyx demo` on a fresh database runs to the end and leaves a board that verifies."""

from __future__ import annotations

from ledger.board import Board
from ledger.checkpoint import Checkpoint
from ledger.note import Verifier, open_note
from ledger.store import Store
from services.registry import default_registry
from tests.webapp.conftest import Cli
from webapp.demo import BULK_NOTICES, ORIGIN


def test_demo_runs_and_the_board_verifies(cli: Cli) -> None:
    r = cli.ok("demo")
    assert "Traceback" not in r.err
    assert "refused" in r.out  # the forged notice was turned away
    # genesis, city-hall, witnesses, 2 notices, the bulk, and one after the first checkpoint
    size = 5 + BULK_NOTICES + 1
    assert f"{size} entries on the board" in r.out

    assert cli.ok("board", "verify", "--json").json_lines()[0] == {
        "size": size,
        "ok": True,
        "findings": [],
    }
    assert cli.ok("board", "replay", "--json").json_lines()[0]["same"] is True

    st = cli.ok("board", "checkpoint", "--json").json_lines()[0]
    assert st["size"] == size
    assert st["final"]
    assert len(st["cosigned_by"]) == 3
    log = Verifier.from_vkey(cli.ok("board", "vkey").out.strip())
    note, _ = open_note(st["note"].encode(), [log])
    cp = Checkpoint.from_text(note.text)
    assert (cp.origin, cp.size) == (ORIGIN, size)

    notices = cli.ok("notice", "list", "--json").json_lines()
    assert len(notices) == BULK_NOTICES + 3
    assert {n["publisher"] for n in notices} == {"city-hall"}

    # the demo's keys work with the rest of the CLI: publish and cosign again
    cli.ok("notice", "publish", "--as", "city-hall", "--title", "after the demo")
    cli.ok("witness", "cosign")
    st = cli.ok("board", "checkpoint", "--json").json_lines()[0]
    assert (st["size"], st["final"]) == (size + 1, True)

    cli.fails("demo")  # never on a board that exists
    assert cli.ok("board", "checkpoint", "--json").json_lines()[0]["size"] == size + 1


def test_demo_refuses_used_key_folder(cli: Cli) -> None:
    (cli.keys / "witnesses").mkdir(parents=True)
    (cli.keys / "log.key").write_text("not ours to overwrite\n")
    cli.fails("demo")
    assert Board(Store(cli.db), default_registry()).size() == 0
    assert (cli.keys / "log.key").read_text() == "not ours to overwrite\n"

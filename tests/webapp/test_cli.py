"""The `pnyx` CLI end to end: board, authorities, notices, proofs, witnesses, bad input."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from ledger.board import Board
from ledger.checkpoint import Checkpoint
from ledger.cosignature import verify_cosignature
from ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from ledger.note import Verifier, open_note, parse_note
from ledger.store import Store
from services.registry import default_registry
from tests.webapp.conftest import PNYX, Cli, assert_one_error_line

ORIGIN = "example.gov/pnyx"


def open_checkpoint(cli: Cli) -> Checkpoint:
    """`board checkpoint` output, verified with `board vkey`, as a checkpoint."""
    text = cli.ok("board", "checkpoint").out
    vkey = cli.ok("board", "vkey").out.strip()
    note, sigs = open_note(text.encode(), [Verifier.from_vkey(vkey)])
    assert [s.name for s in sigs] == [ORIGIN]
    return Checkpoint.from_text(note.text)


def board_size(cli: Cli) -> int:
    return Board(Store(cli.db), default_registry()).size()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ----------------------------------------------------------------------- init


def test_init_creates_board_and_private_keys(cli: Cli) -> None:
    r = cli.ok("init", "--origin", ORIGIN)
    assert ORIGIN in r.out
    assert board_size(cli) == 1
    log_key, root_key = cli.keys / "log.key", cli.keys / "authorities" / "root.key"
    assert log_key.read_text().startswith("PRIVATE+KEY+")
    assert root_key.read_text().startswith("PRIVATE+KEY+")
    assert mode(log_key) == 0o600
    assert mode(root_key) == 0o600
    assert mode(cli.keys) == 0o700
    assert mode(cli.keys / "authorities") == 0o700
    entries = cli.ok("board", "entries", "--json").json_lines()
    assert [e["kind"] for e in entries] == ["board.genesis"]
    genesis = json.loads(base64.b64decode(entries[0]["leaf"]))
    assert genesis["body"]["origin"] == ORIGIN
    assert genesis["body"]["log_key"] == cli.ok("board", "vkey").out.strip()


def test_second_init_fails(cli: Cli, tmp_path: Path) -> None:
    cli.ok("init", "--origin", ORIGIN)
    before = cli.snapshot()
    cli.fails("init", "--origin", ORIGIN)
    other = Cli(cli.db, tmp_path / "other-keys", cli.capsys)
    other.fails("init", "--origin", "other.example/log")
    assert not (tmp_path / "other-keys").exists()
    assert cli.snapshot() == before


@pytest.mark.parametrize("origin", ["bad origin", "", "a+b"])
def test_init_invalid_origin(cli: Cli, origin: str) -> None:
    cli.fails("init", "--origin", origin)
    assert board_size(cli) == 0
    assert not cli.keys.exists()


def test_init_with_unusable_key_folder_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("x")
    bad = Cli(cli.db, not_a_folder, cli.capsys)
    bad.fails("init", "--origin", ORIGIN)
    assert board_size(cli) == 0  # no genesis without its keys
    cli.ok("init", "--origin", ORIGIN)  # and the board can still be created


def test_env_vars(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = tmp_path / "env-keys"
    monkeypatch.setenv("PNYX_DB", db_url)
    monkeypatch.setenv("PNYX_KEYS", str(keys))
    cli = Cli(db_url, keys, capsys)
    r = cli.raw("init", "--origin", ORIGIN)
    assert r.code == 0, r.err
    assert (keys / "log.key").exists()
    assert board_size(cli) == 1
    r = cli.raw("board", "vkey")
    assert r.code == 0
    assert r.out.startswith(ORIGIN + "+")


def test_env_vars_subprocess(tmp_path: Path) -> None:
    """The installed `pnyx` script (SQLite only: the backend is not what this checks)."""
    db_url = f"sqlite:///{tmp_path / 'sub.db'}"
    keys = tmp_path / "sub-keys"
    env = {**os.environ, "PNYX_DB": db_url, "PNYX_KEYS": str(keys)}
    r = subprocess.run(
        [str(PNYX), "init", "--origin", ORIGIN],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert mode(keys / "log.key") == 0o600
    r = subprocess.run(
        [str(PNYX), "notice", "publish", "--as", "root"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode != 0
    assert_one_error_line(r.stderr)
    assert "--title" in r.stderr
    r = subprocess.run(
        [str(PNYX), "board", "entries", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0
    assert len(r.stdout.splitlines()) == 1


# ---------------------------------------------------------------- authorities


def test_authority_add_list_revoke(board_cli: Cli) -> None:
    cli = board_cli
    rows = cli.ok("authority", "list", "--json").json_lines()
    assert {r["name"]: r["roles"] for r in rows} == {"root": ["root"], "city": ["publisher"]}
    assert mode(cli.keys / "authorities" / "city.key") == 0o600
    city = next(r for r in rows if r["name"] == "city")
    assert city["since"] == 1
    assert len(city["key_id"]) == 64

    cli.ok("authority", "add", "clerk", "--role", "publisher", "--role", "auditor")
    rows = cli.ok("authority", "list", "--json").json_lines()
    assert {r["name"]: r["roles"] for r in rows}["clerk"] == ["publisher", "auditor"]
    cli.ok("notice", "publish", "--as", "clerk", "--title", "from the clerk")

    cli.ok("authority", "revoke", "clerk", "--reason", "left office")
    before = cli.snapshot()
    r = cli.fails("notice", "publish", "--as", "clerk", "--title", "too late")
    assert "error: unknown_author" in r.err or "revoked" in r.err
    assert cli.snapshot() == before
    kinds = [e["kind"] for e in cli.ok("board", "entries", "--json").json_lines()]
    assert kinds.count("board.revoke") == 1


def test_authority_add_rejected_leaves_no_key(board_cli: Cli) -> None:
    before = board_cli.snapshot()
    board_cli.fails("authority", "add", "x", "--role", "Not A Role")
    assert not (board_cli.keys / "authorities" / "x.key").exists()
    board_cli.fails("authority", "add", "city", "--role", "publisher")  # key exists
    board_cli.fails("authority", "revoke", "nobody")
    assert board_cli.snapshot() == before


# -------------------------------------------------------------------- notices


def test_notice_publish_and_list(board_cli: Cli, tmp_path: Path) -> None:
    cli = board_cli
    doc = tmp_path / "budget.pdf"
    doc.write_bytes(b"%PDF budget 2027")
    r = cli.ok(
        "notice",
        "publish",
        "--as",
        "city",
        "--title",
        "Budget",
        "--body",
        "B",
        "--attach",
        str(doc),
        "--json",
    )
    index = r.json_lines()[0]["index"]
    assert index == board_size(cli) - 1
    rows = cli.ok("notice", "list", "--json").json_lines()
    assert [r["title"] for r in rows] == ["notice 0", "notice 1", "notice 2", "Budget"]
    row = rows[-1]
    assert row["index"] == index
    assert row["publisher"] == "city"
    leaf = base64.b64decode(
        cli.ok(
            "board", "entries", "--start", str(index), "--end", str(index + 1), "--json"
        ).json_lines()[0]["leaf"]
    )
    body = json.loads(leaf)["body"]
    assert body["title"] == "Budget"
    assert body["text"] == "B"
    assert body["attachments"] == [
        {"name": "budget.pdf", "sha256": hashlib.sha256(b"%PDF budget 2027").hexdigest()}
    ]


# ---------------------------------------------------------------------- board


def test_checkpoint_is_a_signed_note_of_the_board(board_cli: Cli) -> None:
    cli = board_cli
    cp = open_checkpoint(cli)
    assert cp.origin == ORIGIN
    assert cp.size == board_size(cli) == 5
    out1 = cli.ok("board", "checkpoint").out
    with Store(cli.db).read() as tx:
        count = len(tx.checkpoints())
    assert cli.ok("board", "checkpoint").out == out1  # same tree, same checkpoint
    with Store(cli.db).read() as tx:
        assert len(tx.checkpoints()) == count  # and nothing new was signed
    js = cli.ok("board", "checkpoint", "--json").json_lines()[0]
    assert js["note"] == out1
    assert (js["size"], js["root"]) == (cp.size, cp.root_hash.hex())

    cli.ok("notice", "publish", "--as", "city", "--title", "one more")
    cp2 = open_checkpoint(cli)
    assert cp2.size == cp.size + 1
    assert cp2.root_hash != cp.root_hash
    with Store(cli.db).read() as tx:
        assert len(tx.checkpoints()) == count + 1


def test_entries_and_proofs(board_cli: Cli) -> None:
    cli = board_cli
    cp_old = open_checkpoint(cli)
    for i in range(4):
        cli.ok("notice", "publish", "--as", "city", "--title", f"later {i}")
    cp = open_checkpoint(cli)
    assert cp.size == cp_old.size + 4

    rows = cli.ok("board", "entries", "--start", "2", "--end", "7", "--json").json_lines()
    assert [r["index"] for r in rows] == [2, 3, 4, 5, 6]
    stored = dict(Board(Store(cli.db), default_registry()).entries(2, 7))
    for r in rows:
        assert set(r) == {"index", "leaf", "kind"}
        leaf = base64.b64decode(r["leaf"], validate=True)
        assert leaf == stored[r["index"]]
        assert json.loads(leaf)["kind"] == r["kind"]
        p = cli.ok("board", "prove", "inclusion", "--index", str(r["index"]), "--json")
        proof = p.json_lines()[0]
        assert proof["leaf_hash"] == leaf_hash(leaf).hex()
        assert (proof["index"], proof["size"], proof["root"]) == (
            r["index"],
            cp.size,
            cp.root_hash.hex(),
        )
        path = [bytes.fromhex(h) for h in proof["path"]]
        verify_inclusion(leaf_hash(leaf), r["index"], cp.size, path, cp.root_hash)

    # the proof against an older tree size verifies against the older checkpoint
    p = cli.ok("board", "prove", "inclusion", "--index", "1", "--size", str(cp_old.size), "--json")
    proof = p.json_lines()[0]
    verify_inclusion(
        bytes.fromhex(proof["leaf_hash"]),
        1,
        cp_old.size,
        [bytes.fromhex(h) for h in proof["path"]],
        cp_old.root_hash,
    )

    c = cli.ok("board", "prove", "consistency", "--old", str(cp_old.size), "--json")
    cons = c.json_lines()[0]
    assert (cons["old_size"], cons["size"]) == (cp_old.size, cp.size)
    assert (cons["old_root"], cons["root"]) == (cp_old.root_hash.hex(), cp.root_hash.hex())
    verify_consistency(
        cp_old.size,
        cp.size,
        cp_old.root_hash,
        cp.root_hash,
        [bytes.fromhex(h) for h in cons["path"]],
    )

    kinds = cli.ok("board", "entries", "--kind", "notice.publish", "--json").json_lines()
    assert [r["index"] for r in kinds] == list(range(2, cp.size))


def test_verify_and_replay(board_cli: Cli) -> None:
    r = board_cli.ok("board", "verify", "--json").json_lines()[0]
    assert r == {"size": 5, "ok": True, "findings": []}
    r = board_cli.ok("board", "replay", "--json").json_lines()[0]
    assert r == {"size": 5, "same": True, "differences": []}
    assert board_cli.ok("board", "verify").code == 0
    assert board_cli.ok("board", "replay").code == 0


def test_verify_fails_on_a_tampered_board(board_cli: Cli) -> None:
    from sqlalchemy import text

    store = Store(board_cli.db)
    with store.write() as tx:
        tx.s.execute(text("DELETE FROM state WHERE domain = 'notice'"))
    r = board_cli("board", "verify")
    assert r.code == 1
    assert board_cli("board", "replay").code == 1


# ------------------------------------------------------------------ witnesses


def witness_state(cli: Cli, name: str) -> dict:
    return json.loads((cli.keys / "witnesses" / f"{name}.state.json").read_text())


def test_witnesses_cosign_and_split_view(board_cli: Cli) -> None:
    cli = board_cli
    v1 = cli.ok("witness", "init", "w1.example").out.strip()
    v2 = cli.ok("witness", "init", "w2.example").out.strip()
    assert mode(cli.keys / "witnesses" / "w1.example.key") == 0o600
    wv = [Verifier.from_vkey(v1), Verifier.from_vkey(v2)]
    cli.ok("board", "witnesses", v1, v2, "--quorum", "2")
    assert not cli.ok("board", "checkpoint", "--json").json_lines()[0]["final"]

    r = cli.ok("witness", "cosign", "--json")
    assert [(x["witness"], x.get("cosigned"), x["final"]) for x in r.json_lines()] == [
        ("w1.example", True, True),
        ("w2.example", True, True),
    ]
    st = cli.ok("board", "checkpoint", "--json").json_lines()[0]
    assert st["final"]
    assert st["quorum"] == 2
    assert sorted(st["cosigned_by"]) == ["w1.example", "w2.example"]
    note = parse_note(st["note"].encode())
    cosigs = [s for s in note.signatures if s.name != ORIGIN]
    assert len(cosigs) == 2
    for v in wv:
        sig = next(s for s in cosigs if s.name == v.name)
        verify_cosignature(v, note.text, sig)
    first = st["size"]
    assert witness_state(cli, "w1.example")["logs"][ORIGIN]["size"] == first

    # more entries: the witnesses check the consistency proof from `first`
    for i in range(3):
        cli.ok("notice", "publish", "--as", "city", "--title", f"after {i}")
    cli.ok("witness", "cosign")
    st = cli.ok("board", "checkpoint", "--json").json_lines()[0]
    assert st["size"] == first + 3
    assert st["final"]
    for w in ("w1.example", "w2.example"):
        assert witness_state(cli, w)["logs"][ORIGIN] == {
            "size": st["size"],
            "root_hash": st["root"],
        }

    # a witness that remembers another root for this size refuses, and keeps the evidence
    path = cli.keys / "witnesses" / "w1.example.state.json"
    doc = json.loads(path.read_text())
    fake = "ab" * 32
    doc["logs"][ORIGIN]["root_hash"] = fake
    path.write_text(json.dumps(doc))
    before = cli.snapshot()
    r = cli("witness", "cosign", "w1.example")
    assert r.code == 1
    assert "Traceback" not in r.err
    assert len(r.err.strip().splitlines()) == 1
    assert "conflicting_root" in r.err
    alarms = witness_state(cli, "w1.example")["alarms"]
    assert len(alarms) == 1
    assert alarms[0]["known_root"] == fake
    assert alarms[0]["conflicting_root"] == st["root"]
    assert alarms[0]["size"] == st["size"]
    assert cli.snapshot() == before


def test_cosign_without_witness_keys_fails(board_cli: Cli) -> None:
    board_cli.fails("witness", "cosign")
    board_cli.fails("witness", "init", "bad name")
    board_cli.ok("witness", "init", "w")
    board_cli.fails("witness", "init", "w")  # exists already
    before = board_cli.snapshot()
    board_cli.fails("board", "witnesses", "not-a-vkey", "--quorum", "1")
    assert board_cli.snapshot() == before


# ------------------------------------------------------------------ bad input

BAD = {
    "role not allowed": ["notice", "publish", "--as", "root", "--title", "t"],
    "unknown --as": ["notice", "publish", "--as", "nobody", "--title", "t"],
    "attachment missing": [
        "notice",
        "publish",
        "--as",
        "city",
        "--title",
        "t",
        "--attach",
        "/nonexistent/file",
    ],
    "index out of range": ["board", "prove", "inclusion", "--index", "5"],
    "negative index": ["board", "prove", "inclusion", "--index", "-1"],
    "size out of range": ["board", "prove", "inclusion", "--index", "0", "--size", "99"],
    "non-integer index": ["board", "prove", "inclusion", "--index", "abc"],
    "old out of range": ["board", "prove", "consistency", "--old", "6"],
    "old above size": ["board", "prove", "consistency", "--old", "3", "--size", "2"],
    "start > end": ["board", "entries", "--start", "3", "--end", "1"],
    "negative start": ["board", "entries", "--start", "-1", "--end", "1"],
    "huge numbers": ["board", "entries", "--start", str(10**20), "--end", str(10**20 + 1)],
    "missing --title": ["notice", "publish", "--as", "city"],
    "missing --role": ["authority", "add", "clerk"],
    "missing --index": ["board", "prove", "inclusion"],
    "missing --old": ["board", "prove", "consistency"],
    "missing --quorum": ["board", "witnesses", "x+01234567+AAAA"],
    "unknown option": ["board", "entries", "--bogus"],
    "unknown command": ["frobnicate"],
    "bad quorum": ["board", "witnesses", "--quorum", "1"],
}


def test_bad_input_one_line_nothing_written(board_cli: Cli) -> None:
    before = board_cli.snapshot()
    for name, argv in BAD.items():
        r = board_cli(*argv)
        assert r.code != 0, name
        assert_one_error_line(r.err)
        assert board_cli.snapshot() == before, name


BAD_DB = {
    "not a URL": "not a url",
    "unknown backend": "foo://x/y",
    "unreachable PostgreSQL": "postgresql+psycopg://u@127.0.0.1:1/x",
}
COMMANDS = [
    ["board", "checkpoint"],
    ["notice", "publish", "--as", "city", "--title", "t"],
    ["init", "--origin", ORIGIN],
]


def test_bad_db_url(board_cli: Cli) -> None:
    before = board_cli.snapshot()
    for url in BAD_DB.values():
        for argv in COMMANDS:
            board_cli.fails("--db", url, "--keys", str(board_cli.keys), *argv, raw=True)
    assert board_cli.snapshot() == before


def test_db_path_under_a_file(board_cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    board_cli.fails("--db", f"sqlite:///{tmp_path / 'f' / 'x.db'}", "board", "checkpoint", raw=True)


def test_no_board_yet(cli: Cli) -> None:
    cli.fails("board", "checkpoint")
    cli.fails("board", "vkey")
    cli.fails("authority", "add", "x", "--role", "publisher")
    assert board_size(cli) == 0

"""The ``pnyx`` command line (Typer).

Global options: ``--db URL`` (env ``PNYX_DB``, default ``sqlite:///pnyx.db``)
and ``--keys DIR`` (env ``PNYX_KEYS``, default ``./.pnyx-keys``).  Every read
command takes ``--json``.  Bad input ends with one line on stderr
(``error: <code>: <detail>``) and a non-zero exit; nothing is written.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from ledger import authorities
from ledger.board import Board
from ledger.checkpoint import Checkpoint, CheckpointError
from ledger.cosignature import CosignatureSigner
from ledger.entry import key_id, make_entry
from ledger.errors import Rejected
from ledger.note import InvalidSignature, NoteError, Signer, UnverifiedNote, Verifier
from ledger.store import Store, StoreError
from ledger.witness import StateError
from services.notices import PUBLISH, notice_body
from services.registry import default_registry
from webapp.cli_health import health_app, run_health_demo
from webapp.cli_identity import (
    credential_app,
    identity_app,
    issuer_app,
    verify_app,
    wallet_app,
)
from webapp.cli_verify_election import verify_election
from webapp.cli_voting import (
    ballot_app,
    demo_election,
    election_app,
    trustee_app,
    vote,
)
from webapp.demo_open import demo_open_election
from webapp.keystore import KeyError_, KeyStore

DEFAULT_DB = "sqlite:///pnyx.db"
DEFAULT_KEYS = ".pnyx-keys"

err = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)

app = typer.Typer(
    name="pnyx",
    help="Pnyx: privacy-first public services on a verifiable bulletin board.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
board_app = typer.Typer(help="Read, prove and audit the bulletin board.", no_args_is_help=True)
prove_app = typer.Typer(help="Merkle proofs (RFC 9162) from the board.", no_args_is_help=True)
authority_app = typer.Typer(help="Authorities and their roles.", no_args_is_help=True)
notice_app = typer.Typer(help="Public notices.", no_args_is_help=True)
witness_app = typer.Typer(
    help="Witnesses that cosign the board's checkpoints.", no_args_is_help=True
)
app.add_typer(board_app, name="board")
board_app.add_typer(prove_app, name="prove")
app.add_typer(authority_app, name="authority")
app.add_typer(notice_app, name="notice")
app.add_typer(witness_app, name="witness")
app.add_typer(issuer_app, name="issuer")
app.add_typer(credential_app, name="credential")
app.add_typer(wallet_app, name="wallet")
app.add_typer(verify_app, name="verify")
app.add_typer(identity_app, name="identity")
verify_app.command("election")(verify_election)
app.add_typer(health_app, name="health")
app.add_typer(election_app, name="election")
app.add_typer(trustee_app, name="trustee")
app.add_typer(ballot_app, name="ballot")
app.command("vote")(vote)
demo_app = typer.Typer(
    help="Demonstrations (`pnyx demo`: the board; `pnyx demo health`; `pnyx demo election`).",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(demo_app, name="demo")
demo_app.command("election")(demo_election)
demo_app.command("open-election")(demo_open_election)


class CliError(Exception):
    """One clear line for the user, exit 1."""


# Commands that may create the board database; every other command needs one that exists.
CREATES_DB = frozenset({"init", "demo"})


def sqlite_file(db: str) -> Path | None:
    """The file of a ``sqlite:///PATH`` URL (None for other URLs and in-memory databases)."""
    if not db.startswith("sqlite:"):
        return None
    from sqlalchemy.engine import make_url

    try:
        name = make_url(db).database
    except Exception as e:  # sqlalchemy raises ArgumentError and ValueError alike
        raise CliError(f"bad --db URL {db!r}: {e}") from None
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


@dataclass
class Ctx:
    db: str
    keys: KeyStore
    may_create: bool = False
    _board: Board | None = None

    @property
    def board(self) -> Board:
        if self._board is None:
            path = sqlite_file(self.db)
            if path is not None and not self.may_create and not path.exists():
                raise CliError(
                    f"no board database at {path}; create one with `pnyx init` "
                    "or pass the right --db (env PNYX_DB)"
                )
            self._board = Board(Store(self.db), default_registry())
        return self._board


def _ctx(ctx: typer.Context) -> Ctx:
    obj = ctx.find_root().obj
    assert isinstance(obj, Ctx)
    return obj


@app.callback()
def _main(
    ctx: typer.Context,
    db: Annotated[str, typer.Option("--db", envvar="PNYX_DB", help="Database URL.")] = DEFAULT_DB,
    keys: Annotated[Path, typer.Option("--keys", envvar="PNYX_KEYS", help="Key directory.")] = Path(
        DEFAULT_KEYS
    ),
) -> None:
    ctx.obj = Ctx(db, KeyStore(keys), may_create=ctx.invoked_subcommand in CREATES_DB)


def _emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")


@contextmanager
def _progress(label: str, total: int | None) -> Iterator[Any]:
    """A rich progress bar on stderr (hidden when stderr is not a terminal)."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as p:
        task = p.add_task(label, total=total)

        def advance(done: int, total_: int | None = None) -> None:
            p.update(task, completed=done, total=total_ if total_ is not None else total)

        yield advance


def _sign(board: Board, signer: Signer, kind: str, body: dict[str, Any]) -> int:
    leaf = make_entry(kind, body, key_id(signer.verifier().public_key), signer.sign)
    return board.append(leaf)


# --------------------------------------------------------------------- init


@app.command()
def init(
    ctx: typer.Context,
    origin: Annotated[str, typer.Option(help="The log's origin, e.g. example.gov/pnyx.")],
    root_name: Annotated[str, typer.Option(help="Name of the root authority.")] = "root",
) -> None:
    """Create a board: the log key, the root authority key and the genesis entry."""
    c = _ctx(ctx)
    board = c.board
    if board.size() != 0:
        raise CliError("this database holds a board already")
    try:
        Verifier.from_key(origin, 1, bytes(32))
    except NoteError as e:
        raise CliError(f"bad origin {origin!r}: {e}") from None
    if c.keys.log_path.exists() or c.keys.authority_path(root_name).exists():
        raise CliError(f"keys exist already in {c.keys.root}; use another --keys folder")
    log = Signer.generate(origin)
    root = Signer.generate(root_name)
    body = {
        "origin": origin,
        "log_key": log.verifier().vkey(),
        "root": {"name": root_name, "public_key": root.verifier().public_key.hex()},
    }
    leaf = make_entry(authorities.GENESIS, body, key_id(root.verifier().public_key), root.sign)
    # Keys first: a genesis whose keys could not be saved would orphan the board.
    written: list[Path] = []
    try:
        c.keys.save_log(log)
        written.append(c.keys.log_path)
        c.keys.save_authority(root)
        written.append(c.keys.authority_path(root_name))
        board.append(leaf)
    except BaseException:
        for p in written:
            p.unlink(missing_ok=True)
        raise
    board.sign_checkpoint(log)
    out.print(f"board {origin} created; log key {log.verifier().vkey()}")


# --------------------------------------------------------------- authorities


@authority_app.command("add")
def authority_add(
    ctx: typer.Context,
    name: str,
    role: Annotated[list[str], typer.Option("--role", help="A role (repeatable).")],
    as_: Annotated[str, typer.Option("--as", help="The root authority that signs.")] = "root",
) -> None:
    """Register a new authority with roles (creates its key in the key directory)."""
    c = _ctx(ctx)
    root = c.keys.authority(as_)
    if c.keys.authority_path(name).exists():
        raise CliError(f"a key for {name!r} exists already in {c.keys.root}")
    signer = Signer.generate(name)
    body = {"name": name, "public_key": signer.verifier().public_key.hex(), "roles": list(role)}
    c.keys.save_authority(signer)  # first: an authority whose key is lost could never write
    try:
        index = _sign(c.board, root, authorities.AUTHORITY, body)
    except BaseException:
        c.keys.remove_authority(name)
        raise
    out.print(f"authority {name} ({', '.join(role)}) registered at entry {index}")


@authority_app.command("revoke")
def authority_revoke(
    ctx: typer.Context,
    name: str,
    reason: Annotated[str, typer.Option(help="Why (public).")] = "",
    as_: Annotated[str, typer.Option("--as", help="The root authority that signs.")] = "root",
) -> None:
    """Revoke an authority: its later entries are refused."""
    c = _ctx(ctx)
    kid = c.board.state(authorities.DOMAIN, f"name/{name}")
    if kid is None:
        raise CliError(f"no authority named {name!r}")
    index = _sign(
        c.board, c.keys.authority(as_), authorities.REVOKE, {"key_id": kid, "reason": reason}
    )
    out.print(f"authority {name} revoked at entry {index}")


@authority_app.command("list")
def authority_list(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """The registered authorities."""
    rows = [
        {"key_id": k.split("/", 1)[1], **v}
        for k, v in _ctx(ctx).board.scan(authorities.DOMAIN, "authority/")
    ]
    if as_json:
        for r in rows:
            _emit(r)
        return
    t = Table("name", "roles", "key id", "since entry")
    for r in rows:
        t.add_row(r["name"], ", ".join(r["roles"]), r["key_id"][:16] + "…", str(r["since"]))
    out.print(t)


# ------------------------------------------------------------------ notices


@notice_app.command("publish")
def notice_publish(
    ctx: typer.Context,
    as_: Annotated[str, typer.Option("--as", help="The publishing authority.")],
    title: Annotated[str, typer.Option(help="One-line title.")],
    body: Annotated[str, typer.Option(help="The notice's text.")] = "",
    attach: Annotated[
        list[Path] | None, typer.Option(help="A document whose SHA-256 is published.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Publish a signed public notice."""
    c = _ctx(ctx)
    atts = []
    for p in attach or []:
        try:
            data = p.read_bytes()
        except OSError as e:
            raise CliError(f"cannot read {p}: {e.strerror}") from None
        atts.append({"name": p.name, "sha256": hashlib.sha256(data).hexdigest()})
    index = _sign(c.board, c.keys.authority(as_), PUBLISH, notice_body(title, body, atts))
    if as_json:
        _emit({"index": index})
    else:
        out.print(f"notice published at entry {index}")


@notice_app.command("list")
def notice_list(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Published notices."""
    rows = [
        {"index": int(k.split("/", 1)[1]), **v}
        for k, v in _ctx(ctx).board.scan("notice", "notice/")
    ]
    if as_json:
        for r in rows:
            _emit(r)
        return
    t = Table("entry", "time", "publisher", "title")
    for r in rows:
        t.add_row(str(r["index"]), r["time"], r["publisher"], r["title"])
    out.print(t)


# -------------------------------------------------------------------- board


@board_app.command("checkpoint")
def board_checkpoint(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Print the latest signed checkpoint (signing a new one first if the tree grew)."""
    c = _ctx(ctx)
    if c.keys.log_path.exists():
        c.board.sign_checkpoint(c.keys.log())
    st = c.board.checkpoint()
    if as_json:
        cp = Checkpoint.from_text(st.note.decode().split("\n\n", 1)[0] + "\n")
        _emit(
            {
                "origin": cp.origin,
                "size": cp.size,
                "root": cp.root_hash.hex(),
                "note": st.note.decode(),
                "cosigned_by": list(st.cosigned_by),
                "quorum": st.quorum,
                "final": st.final,
            }
        )
    else:
        sys.stdout.write(st.note.decode())


@board_app.command("vkey")
def board_vkey(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """The log's verifier key (name+hexkeyid+base64)."""
    v = _ctx(ctx).board.log_verifier().vkey()
    if as_json:
        _emit({"vkey": v})
    else:
        sys.stdout.write(v + "\n")


@board_app.command("entries")
def board_entries(
    ctx: typer.Context,
    start: Annotated[int, typer.Option(help="First index.")] = 0,
    end: Annotated[int | None, typer.Option(help="One past the last index.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Entries start..end-1, one JSON object a line with the exact leaf bytes (base64)."""
    board = _ctx(ctx).board
    stop = board.size() if end is None else end
    if start < 0 or stop < start:
        raise CliError("need 0 <= start <= end")
    for lo in range(start, stop, 1000):
        for index, leaf in board.entries(lo, min(stop, lo + 1000), kind):
            doc = json.loads(leaf)
            if as_json:
                _emit(
                    {"index": index, "leaf": base64.b64encode(leaf).decode(), "kind": doc["kind"]}
                )
            else:
                out.print(f"{index:>8}  {doc['time']}  {doc['kind']:<24} {leaf[:60].decode()}…")


@prove_app.command("inclusion")
def prove_inclusion(
    ctx: typer.Context,
    index: Annotated[int, typer.Option(help="The entry's index.")],
    size: Annotated[int | None, typer.Option(help="Tree size (default: current).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """An inclusion proof of entry INDEX in the tree of SIZE."""
    p = _ctx(ctx).board.inclusion_proof(index, size).to_json()
    if as_json:
        _emit(p)
    else:
        out.print(f"entry {p['index']} in tree of size {p['size']}, root {p['root']}")
        for h in p["path"]:
            out.print(f"  {h}")


@prove_app.command("consistency")
def prove_consistency(
    ctx: typer.Context,
    old: Annotated[int, typer.Option(help="The old tree size.")],
    size: Annotated[int | None, typer.Option(help="The new size (default: current).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A consistency proof from tree size OLD to SIZE."""
    p = _ctx(ctx).board.consistency_proof(old, size).to_json()
    if as_json:
        _emit(p)
    else:
        out.print(f"size {p['old_size']} ({p['old_root']}) -> {p['size']} ({p['root']})")
        for h in p["path"]:
            out.print(f"  {h}")


@board_app.command("verify")
def board_verify(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Recompute and check everything stored; exit 1 with one line per finding."""
    board = _ctx(ctx).board
    total = board.size()
    with _progress("verifying the board", total) as advance:
        findings = board.verify(progress=advance)
    if as_json:
        _emit({"size": total, "ok": not findings, "findings": findings})
    else:
        for f in findings:
            out.print(f)
        if not findings:
            out.print(f"board verified: {total} entries, tree, checkpoints, cosignatures, state")
    if findings:
        raise typer.Exit(1)


@board_app.command("replay")
def board_replay(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Rebuild every domain's state from the log and compare it with the stored state."""
    board = _ctx(ctx).board
    total = board.size()
    with _progress("replaying the log", total) as advance:
        diffs = board.replay(progress=advance)
    if as_json:
        _emit({"size": total, "same": not diffs, "differences": diffs})
    else:
        for d in diffs:
            out.print(d)
        if not diffs:
            out.print(f"replayed {total} entries: the stored state is the log's")
    if diffs:
        raise typer.Exit(1)


@board_app.command("witnesses")
def board_witnesses(
    ctx: typer.Context,
    vkey: Annotated[list[str], typer.Argument(help="cosignature/v1 verifier keys.")],
    quorum: Annotated[int, typer.Option(help="Cosignatures that make a checkpoint final.")],
    as_: Annotated[str, typer.Option("--as", help="The root authority that signs.")] = "root",
) -> None:
    """Set the board's witnesses and quorum (a board.witnesses entry)."""
    c = _ctx(ctx)
    index = _sign(
        c.board, c.keys.authority(as_), authorities.WITNESSES, {"witnesses": vkey, "quorum": quorum}
    )
    out.print(f"{len(vkey)} witness(es), quorum {quorum}, set at entry {index}")


# ------------------------------------------------------------------ witness


@witness_app.command("init")
def witness_init(
    ctx: typer.Context,
    name: str,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write the verifier key (default: NAME.vkey)."),
    ] = None,
) -> None:
    """Create a witness key; writes its verifier key to NAME.vkey and prints it.

    The vkey is public: register it with `pnyx board witnesses "$(cat NAME.vkey)"`.
    """
    c = _ctx(ctx)
    try:
        CosignatureSigner.generate(name)
    except (NoteError, ValueError) as e:
        raise CliError(f"bad witness name {name!r}: {e}") from None
    target = out if out is not None else Path(f"{name}.vkey")
    if target.exists():
        raise CliError(f"{target} exists; remove it or choose another --out")
    signer = c.keys.create_witness(name)
    vkey = signer.verifier().vkey()
    target.write_text(vkey + "\n")
    sys.stdout.write(vkey + "\n")


@witness_app.command("cosign")
def witness_cosign(
    ctx: typer.Context,
    name: Annotated[
        list[str] | None, typer.Argument(help="Witnesses (default: all local).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    watch: Annotated[
        float | None,
        typer.Option(
            min=0.5,
            max=86400,
            help="Keep witnessing: cosign the board every SECONDS when it grew, until "
            "interrupted (`make serve`'s demo witnesses).",
        ),
    ] = None,
) -> None:
    """Each witness checks the latest checkpoint against the last one it cosigned, then cosigns."""
    c = _ctx(ctx)
    if watch is not None:
        _watch_witnesses(c, name, watch)
        return
    board = c.board
    names = name or c.keys.witness_names()
    if not names:
        raise CliError(f"no witness keys in {c.keys.root}; run `pnyx witness init NAME`")
    from webapp.witnessing import cosign_local

    answers = cosign_local(board, c.keys, names)
    results = [r.to_json() for r in answers]
    failed = any(r.refused is not None for r in answers)
    st = board.checkpoint()
    final = board.checkpoint(st.size)
    for res in results:
        if as_json:
            _emit({**res, "final": final.final})
        elif "refused" in res:
            print(  # one line, never wrapped (rich would wrap it at the terminal's width)
                f"{res['witness']} refused size {res['size']}: {res['refused']}: {res['detail']}",
                file=sys.stderr,
            )
        else:
            out.print(f"{res['witness']} cosigned size {res['size']}")
    if not as_json:
        out.print(
            f"checkpoint {final.size}: {len(final.cosigned_by)} of quorum {final.quorum}"
            + (" — final" if final.final else "")
        )
    if failed:
        raise typer.Exit(1)


# ------------------------------------------------------------ serve & demo


def _watch_witnesses(c: Ctx, names: list[str] | None, every: float) -> None:
    """Cosign with the local witnesses whenever the board grew, until interrupted."""
    from webapp.witnessing import cosign_local

    if not (names or c.keys.witness_names()):
        raise CliError(f"no witness keys in {c.keys.root}; run `pnyx witness init NAME`")
    out.print(f"witnessing {c.board.origin()} every {every:g} s (Ctrl-C stops)")
    cosigned = -1
    try:
        while True:
            size = c.board.size()
            if size != cosigned:
                for r in cosign_local(c.board, c.keys, names):
                    if r.refused is not None:
                        print(f"{r.witness} refused size {r.size}: {r.refused}: {r.detail}",
                              file=sys.stderr)  # fmt: skip
                    else:
                        out.print(f"{r.witness} cosigned size {r.size}")
                cosigned = size
            time.sleep(every)
    except KeyboardInterrupt:
        out.print("stopped witnessing")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port (1-65535).")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Worker processes (one core each); they verify ballots in parallel and "
            "share the database, which sequences the appends.",
        ),
    ] = 1,
) -> None:
    """Serve the HTTP API and pages (FastAPI).

    With ``--workers N`` (N > 1) N processes serve the same database and key
    folder, each on its own ``SO_REUSEPORT`` socket (webapp/serve.py).
    """
    import uvicorn
    from sqlalchemy.engine import make_url

    from webapp.serve import ServeConfigError, cast_concurrency, run_workers, served_app

    c = _ctx(ctx)
    try:
        cast_concurrency()  # the workers read it too: refuse a bad value here, once
    except ServeConfigError as e:
        raise CliError(str(e)) from None
    if workers > 1:
        url = make_url(c.db)
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            raise CliError("an in-memory database cannot be shared by worker processes: use a file")
    c.board.size()  # fail here, clearly, if the database is unusable (and create its tables)
    if workers == 1:
        uvicorn.run(served_app(c.db, c.keys), host=host, port=port, log_level="info")
        return
    c.board.store.dispose()  # each worker opens its own connections
    if run_workers(c.db, c.keys.root, host, port, workers) != 0:
        raise typer.Exit(1)


@demo_app.callback()
def demo(ctx: typer.Context) -> None:
    """A full demonstration on a fresh board: authorities, notices, witnesses, proofs, audit."""
    if ctx.invoked_subcommand is not None:
        return
    from webapp.demo import run_demo

    c = _demo_ctx(ctx)
    run_demo(c.board, c.keys, out, _progress)


def _demo_ctx(ctx: typer.Context) -> Ctx:
    c = _ctx(ctx)
    if c.board.size():
        raise CliError("the demo needs an empty database")
    if c.keys.root.exists() and any(c.keys.root.iterdir()):
        raise CliError(f"the demo needs an empty key folder; {c.keys.root} is not")
    return c


@demo_app.command("health")
def demo_health(ctx: typer.Context) -> None:
    """Medical records end to end; exits 1 if any expectation fails.

    A provider, a patient, a doctor with and without consent, break glass, the
    access log and a health credential.  On a fresh board, or beside the other
    demos on a board whose key folder this is (`make run` puts the patient's
    records on the demo board, for the portal).
    """
    c = _ctx(ctx)
    failed = run_health_demo(c.board, c.keys, out)
    if failed:
        print(f"error: {len(failed)} expectation(s) failed: {failed[0]}", file=sys.stderr)
        raise typer.Exit(1)


# --------------------------------------------------------------------- main

EXPECTED = (
    Rejected,
    CliError,
    KeyError_,
    StoreError,
    NoteError,
    InvalidSignature,
    UnverifiedNote,
    CheckpointError,
    StateError,
)

# typer >= 0.24 raises the exceptions of its own bundled click, not click's.
USAGE_ERRORS = (
    click.exceptions.ClickException,
    getattr(typer, "TyperException", click.exceptions.ClickException),
)


def main(argv: list[str] | None = None) -> None:
    """Entry point: one clear line and a non-zero exit for every expected failure."""
    try:
        rc = app(args=argv, standalone_mode=False)
    except USAGE_ERRORS as e:
        if type(e).__name__ == "NoArgsIsHelpError":
            e.show(file=sys.stderr)  # the command's help
        else:
            print(f"error: {e.format_message()}", file=sys.stderr)
        sys.exit(getattr(e, "exit_code", 2))
    except (click.exceptions.Abort, typer.Abort):
        err.print("aborted")
        sys.exit(130)
    except Rejected as r:
        print(f"error: {r.code}: {r.detail}", file=sys.stderr)
        sys.exit(1)
    except EXPECTED as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    except SQLAlchemyError as e:
        print(f"error: database: {str(e).splitlines()[0]}", file=sys.stderr)
        sys.exit(1)
    except OverflowError as e:
        print(f"error: a number is out of range: {e}", file=sys.stderr)
        sys.exit(1)
    except OSError as e:
        where = f": {e.filename}" if e.filename else ""
        print(f"error: {e.strerror or e}{where}", file=sys.stderr)
        sys.exit(1)
    sys.exit(rc if isinstance(rc, int) else 0)

"""``pnyx issuer | credential | wallet | verify``: credentials on the board (docs/credentials.md).

- ``pnyx issuer create NAME`` — the root registers NAME with the role ``issuer``
  and NAME publishes a fresh BBS public key (one batch: both or neither);
- ``pnyx issuer schema ID --as NAME ...`` — publish a credential schema;
- ``pnyx credential request`` (holder) — a blind issuance request, its secrets
  kept in the wallet; ``credential issue`` (issuer) — sign it blindly;
  ``credential revoke`` (issuer) — set bits of a status list on the board;
- ``pnyx wallet init | add | list | show | present`` — the holder's encrypted wallet;
- ``pnyx verify request | presentation`` — a verifier's request, and the check
  of a presentation from board data alone (this board, or exported entries);
- ``pnyx identity mailbox list | answer --issuer NAME`` — the issuer's side of
  the issuance mailbox (docs/api.md §Identity): list the pending requests, sign
  them blindly over the attributes the issuer decides, seal each answer to the
  holder's key and post it.

Secrets: the issuer's BBS key lives in the key directory
(``issuers/<name>.json``, mode 0600); the holder's secrets only in the wallet
(``--wallet``, env ``PNYX_WALLET``; passphrase from env ``PNYX_PASSPHRASE`` or
a prompt).  Every failure is one line ``error: <code>: <detail>`` (the errors
are :class:`ledger.errors.Rejected`) and a non-zero exit; nothing is written.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Protocol, cast

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from ledger import authorities
from ledger.board import Board
from ledger.entry import key_id, make_entry
from ledger.errors import DomainRejection, Rejected
from ledger.note import NoteError, Signer
from services.identity import issuance, mailbox, presentation
from services.identity.board_data import BoardData
from services.identity.domain import ISSUER_KEY, ROLE, SCHEMA, STATUS_LIST, status_list_body
from services.identity.errors import BadDocument, IdentityError, WalletError
from services.identity.keys import DEFAULT_SUITE, SUITES, issuer_key_body, suite
from services.identity.request import Predicate, PresentationRequest, load_document
from services.identity.schema import schema_body
from services.identity.status_list import MIN_BITS, StatusList
from services.identity.wallet import LIMITS, Wallet
from services.registry import default_registry
from webapp.keystore import KeyStore

err = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)

issuer_app = typer.Typer(help="Credential issuers: BBS keys and schemas.", no_args_is_help=True)
credential_app = typer.Typer(
    help="Blind issuance requests, issuance, revocation.", no_args_is_help=True
)
wallet_app = typer.Typer(help="The holder's encrypted credential wallet.", no_args_is_help=True)
verify_app = typer.Typer(help="Presentation requests and their verification.", no_args_is_help=True)
identity_app = typer.Typer(help="Identity services: the issuance mailbox.", no_args_is_help=True)
mailbox_app = typer.Typer(
    help="The issuance mailbox: answer holders' requests, sealed to them.", no_args_is_help=True
)
identity_app.add_typer(mailbox_app, name="mailbox")

PASSPHRASE_ENV = "PNYX_PASSPHRASE"  # noqa: S105 (the name of the variable)
WALLET_ENV = "PNYX_WALLET"
DEFAULT_WALLET = Path(".pnyx-wallet")

WalletOpt = Annotated[Path, typer.Option("--wallet", envvar=WALLET_ENV, help="The wallet file.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write the document here.")]


class RootContext(Protocol):
    """What the root command's context object offers (webapp.cli.Ctx)."""

    keys: KeyStore

    @property
    def board(self) -> Board: ...


def cli_context(ctx: typer.Context) -> RootContext:
    return cast(RootContext, ctx.find_root().obj)


# ------------------------------------------------------------------ helpers


@contextmanager
def spinner_step(label: str) -> Iterator[None]:
    """A spinner on stderr while a step runs (argon2id, pairings: up to seconds).

    Only on a terminal: piped or captured stderr gets nothing but errors.
    """
    if not err.is_terminal:
        yield
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as p:
        p.add_task(label, total=None)
        yield


def write_doc(doc: Any, dest: Path | None) -> None:
    text = json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    if dest is None:
        sys.stdout.write(text)
        return
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, dest)


def _read_doc(path: Path, what: str) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise IdentityError(f"cannot read the {what} {path}: {e.strerror}") from None
    return load_document(data, what)


def _sign(signer: Signer, kind: str, body: dict[str, Any]) -> bytes:
    return make_entry(kind, body, key_id(signer.verifier().public_key), signer.sign)


def _passphrase(confirm: bool = False) -> bytes:
    env = os.environ.get(PASSPHRASE_ENV)
    if env is not None:
        return env.encode("utf-8")
    if not sys.stdin.isatty():
        raise WalletError(f"no passphrase: set {PASSPHRASE_ENV} or run in a terminal")
    text = typer.prompt("wallet passphrase", hide_input=True, confirmation_prompt=confirm)
    return str(text).encode("utf-8")


def open_wallet(path: Path) -> Wallet:
    passphrase = _passphrase()
    with spinner_step("unlocking the wallet (argon2id)"):
        return Wallet.open(path, passphrase)


def _board_data(c: RootContext, entries: Path | None) -> BoardData:
    """This board's state, or the replay of exported entries (`pnyx board entries --json`)."""
    if entries is None:
        return BoardData.from_board(c.board)
    try:
        lines = entries.read_text().splitlines()
    except OSError as e:
        raise IdentityError(f"cannot read {entries}: {e.strerror}") from None
    leaves: list[bytes] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if row["index"] != len(leaves):
                raise BadDocument(f"{entries} line {n}: entries must run 0, 1, 2, ...")
            leaves.append(base64.b64decode(row["leaf"], validate=True))
        except (ValueError, KeyError, TypeError):
            raise BadDocument(f"{entries} line {n}: not a `board entries --json` line") from None
    with spinner_step(f"replaying {len(leaves)} board entries"):
        return BoardData.from_leaves(leaves, default_registry())


# ------------------------------------------------------------- issuer files


class IssuerFile:
    """``<keys>/issuers/<name>.json`` (0600): the BBS secret key and the status-list ledger."""

    def __init__(self, keys: KeyStore, name: str) -> None:
        self.path = keys.root / "issuers" / f"{name}.json"
        self.name = name

    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> dict[str, Any]:
        try:
            doc = json.loads(self.path.read_text())
        except FileNotFoundError:
            raise IdentityError(
                f"no issuer key for {self.name!r} at {self.path} (wrong --keys folder?)"
            ) from None
        except (OSError, ValueError):
            raise IdentityError(f"cannot read the issuer file {self.path}") from None
        return dict(doc)

    def save(self, doc: dict[str, Any], *, create: bool = False) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.path.parent, 0o700)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps(doc, sort_keys=True) + "\n")
        if create:
            try:
                os.link(tmp, self.path)
            except FileExistsError:
                raise IdentityError(f"{self.path} exists already; refusing to overwrite") from None
            finally:
                tmp.unlink()
        else:
            os.replace(tmp, self.path)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


# ------------------------------------------------------------------- issuer


@issuer_app.command("create")
def issuer_create(
    ctx: typer.Context,
    name: str,
    ciphersuite: Annotated[
        str, typer.Option("--suite", help=f"BBS ciphersuite ({', '.join(SUITES)}).")
    ] = DEFAULT_SUITE,
    as_: Annotated[str, typer.Option("--as", help="The root authority that signs.")] = "root",
) -> None:
    """Register NAME as an issuer (root) and publish its BBS public key (NAME)."""
    c = cli_context(ctx)
    s = suite(ciphersuite)
    root = c.keys.authority(as_)
    issuer_file = IssuerFile(c.keys, name)
    if c.keys.authority_path(name).exists() or issuer_file.exists():
        raise IdentityError(f"keys for {name!r} exist already in {c.keys.root}")
    try:
        signer = Signer.generate(name)
    except NoteError as e:
        raise IdentityError(f"bad issuer name {name!r}: {e}") from None
    board = c.board
    sk = s.keygen(secrets.token_bytes(32), name.encode())
    body = issuer_key_body(ciphersuite, sk, board.origin(), name)
    register = {"name": name, "public_key": signer.verifier().public_key.hex(), "roles": [ROLE]}
    leaves = [_sign(root, authorities.AUTHORITY, register), _sign(signer, ISSUER_KEY, body)]
    # Keys first: an issuer whose keys were lost could never issue.
    c.keys.save_authority(signer)
    try:
        issuer_file.save(
            {
                "version": 1,
                "issuer": name,
                "ciphersuite": ciphersuite,
                "key_id": body["key_id"],
                "secret_key": sk.hex(),
                "lists": {},
            },
            create=True,
        )
        first, second = board.append_many(leaves)
    except BaseException:
        c.keys.remove_authority(name)
        issuer_file.remove()
        raise
    out.print(
        f"issuer {name} registered at entry {first}; BBS key {body['key_id'][:16]}… "
        f"({ciphersuite}) at entry {second}"
    )


@issuer_app.command("schema")
def issuer_schema(
    ctx: typer.Context,
    schema_id: Annotated[str, typer.Argument(help="The schema's id, e.g. eid.")],
    as_: Annotated[str, typer.Option("--as", help="The issuer that publishes it.")],
    title: Annotated[str, typer.Option(help="A one-line title.")],
    attr: Annotated[
        list[str], typer.Option("--attr", help="NAME:TYPE (string|integer|date|boolean), in order.")
    ],
    revocation: Annotated[
        str, typer.Option(help="status_list (linkable, revocable) or short_lived (unlinkable).")
    ] = "short_lived",
    max_days: Annotated[int, typer.Option(help="Longest validity of a credential, in days.")] = 30,
) -> None:
    """Publish a credential schema: ordered, typed attributes."""
    c = cli_context(ctx)
    pairs = []
    for a in attr:
        name, sep, typ = a.partition(":")
        if not sep:
            raise IdentityError(f"--attr {a!r}: write NAME:TYPE")
        pairs.append((name, typ))
    body = schema_body(schema_id, title, pairs, revocation, max_days)
    index = c.board.append(_sign(c.keys.authority(as_), SCHEMA, body))
    out.print(f"schema {as_}/{schema_id} ({len(pairs)} attributes) published at entry {index}")


# --------------------------------------------------------------- credential


@credential_app.command("request")
def credential_request(
    ctx: typer.Context,
    issuer: Annotated[str, typer.Option(help="The issuer's name.")],
    schema: Annotated[str, typer.Option(help="The schema's id.")],
    wallet: WalletOpt = DEFAULT_WALLET,
    out_: OutOpt = None,
) -> None:
    """Holder: a blind issuance request (commitment to a fresh holder secret) for ISSUER."""
    c = cli_context(ctx)
    w = open_wallet(wallet)
    data = BoardData.from_board(c.board)
    with spinner_step("committing to the holder secret"):
        request, holder_secrets = issuance.make_request(data, issuer, schema)
    rid = w.add_request(request, holder_secrets)
    w.save()
    write_doc(request, out_)
    err.print(f"request {rid} kept in the wallet; send the request to {issuer}")


def _allocate_status(
    issuer_file: IssuerFile, doc: dict[str, Any], schema_id: str, board: Board
) -> tuple[str, int, bool]:
    """A random unused index of the schema's current list.

    Random, not sequential, indexes: the order of issuance does not show (W3C
    Bitstring Status List, privacy considerations).  Returns (list id, index,
    whether the list still has to be published on the board).
    """
    lists: dict[str, Any] = doc.setdefault("lists", {})
    n = 1
    while True:
        list_id = f"{schema_id}-{n}"
        rec = lists.get(list_id)
        if rec is None:
            lists[list_id] = rec = {"size": MIN_BITS, "used": []}
            break
        if len(rec["used"]) < rec["size"]:
            break
        n += 1
    used = set(rec["used"])
    while True:
        index = secrets.randbelow(rec["size"])
        if index not in used:
            break
    rec["used"].append(index)
    published = board.state("identity", f"status/{issuer_file.name}/{list_id}") is not None
    return list_id, index, not published


@credential_app.command("issue")
def credential_issue(
    ctx: typer.Context,
    request: Annotated[Path, typer.Argument(help="The holder's request file.")],
    as_: Annotated[str, typer.Option("--as", help="The issuer.")],
    attr: Annotated[list[str], typer.Option("--attr", help="NAME=VALUE, one per attribute.")],
    valid_days: Annotated[
        int | None, typer.Option(help="Days of validity (default: the schema's maximum).")
    ] = None,
    out_: OutOpt = None,
) -> None:
    """Issuer: sign a holder's request blindly over the given attributes."""
    c = cli_context(ctx)
    board = c.board
    issuer_file = IssuerFile(c.keys, as_)
    doc = issuer_file.load()
    signer = c.keys.authority(as_)
    req = _read_doc(request, "request")
    data = BoardData.from_board(board)
    schema = issuance.request_schema(data, req, as_)
    values: dict[str, Any] = {}
    for a in attr:
        name, sep, text = a.partition("=")
        if not sep:
            raise IdentityError(f"--attr {a!r}: write NAME=VALUE")
        if name in values:
            raise IdentityError(f"--attr {name} given twice")
        try:
            values[name] = schema.attribute(name).parse_text(text)
        except DomainRejection as e:
            raise BadDocument(e.detail) from None
    status = None
    leaves: list[bytes] = []
    if schema.uses_status_list:
        list_id, index, new = _allocate_status(issuer_file, doc, schema.id, board)
        status = (list_id, index)
        if new:
            leaves.append(_sign(signer, STATUS_LIST, status_list_body(list_id, StatusList.empty())))
    with spinner_step("signing blindly"):
        issued = issuance.issue(
            data,
            as_,
            bytes.fromhex(doc["secret_key"]),
            req,
            values,
            date.today(),
            valid_days if valid_days is not None else schema.max_validity_days,
            status,
        )
    if leaves:
        board.append_many(leaves)
    issuer_file.save(doc)
    write_doc(issued, out_)
    where = f", status {status[0]}#{status[1]}" if status else ""
    err.print(f"credential issued by {as_} ({schema.id}{where})")


@credential_app.command("revoke")
def credential_revoke(
    ctx: typer.Context,
    list_id: Annotated[str, typer.Argument(help="The status list, e.g. eid-1.")],
    index: Annotated[list[int], typer.Argument(help="Status indexes to revoke.")],
    as_: Annotated[str, typer.Option("--as", help="The issuer.")],
) -> None:
    """Issuer: revoke credentials by their status index (publishes the updated list)."""
    c = cli_context(ctx)
    board = c.board
    current = BoardData.from_board(board).status_list(as_, list_id)
    if current is None:
        raise IdentityError(f"{as_} has no status list {list_id!r} on the board")
    try:
        updated = current.with_set(*index)
    except DomainRejection as e:
        raise BadDocument(e.detail) from None
    at = board.append(_sign(c.keys.authority(as_), STATUS_LIST, status_list_body(list_id, updated)))
    out.print(f"{as_}/{list_id}: revoked {', '.join(map(str, index))} at entry {at}")


# ------------------------------------------------------------------- wallet


@wallet_app.command("init")
def wallet_init(
    wallet: WalletOpt = DEFAULT_WALLET,
    kdf: Annotated[
        str, typer.Option(help="argon2id limits: moderate (256 MiB, default) or interactive.")
    ] = "moderate",
) -> None:
    """Create an empty wallet encrypted under a passphrase."""
    if kdf not in LIMITS:
        raise IdentityError(f"--kdf is one of {', '.join(LIMITS)}")
    passphrase = _passphrase(confirm=True)
    with spinner_step("deriving the wallet key (argon2id)"):
        Wallet.create(wallet, passphrase, LIMITS[kdf])
    out.print(f"wallet created at {wallet}")


@wallet_app.command("add")
def wallet_add(
    ctx: typer.Context,
    issued: Annotated[Path, typer.Argument(help="The issuer's answer (credential issue).")],
    wallet: WalletOpt = DEFAULT_WALLET,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Print only the credential's id (for scripts)."),
    ] = False,
) -> None:
    """Check an issued credential against its request and the board, and keep it; prints
    the credential's wallet id (`cred=$(pnyx wallet add cred.json -q)`)."""
    c = cli_context(ctx)
    w = open_wallet(wallet)
    doc = _read_doc(issued, "issued credential")
    rid = issuance.request_id_of(doc)
    pending = w.request(rid)
    with spinner_step("verifying the credential"):
        record = issuance.accept(
            BoardData.from_board(c.board), doc, pending["request"], pending["secrets"]
        )
    cid = w.add_credential(record)
    w.remove_request(rid)
    w.save()
    if quiet:
        sys.stdout.write(f"{cid}\n")
    else:
        out.print(f"credential {cid} added")


def _summary(cid: str, record: dict[str, Any]) -> dict[str, Any]:
    vc = record["credential"]
    return {
        "id": cid,
        "issuer": vc["issuer"].rsplit(":", 1)[-1],
        "schema": vc["credentialSchema"]["id"].rsplit(":", 1)[-1],
        "validFrom": vc["validFrom"],
        "validUntil": vc["validUntil"],
    }


@wallet_app.command("list")
def wallet_list(wallet: WalletOpt = DEFAULT_WALLET, as_json: JsonOpt = False) -> None:
    """The credentials in the wallet."""
    w = open_wallet(wallet)
    rows = [_summary(cid, rec) for cid, rec in sorted(w.credentials().items())]
    if as_json:
        for r in rows:
            sys.stdout.write(json.dumps(r, sort_keys=True) + "\n")
        return
    t = Table("id", "issuer", "schema", "valid until")
    for r in rows:
        t.add_row(r["id"], r["issuer"], r["schema"], r["validUntil"][:10])
    out.print(t)


@wallet_app.command("show")
def wallet_show(
    cid: Annotated[str, typer.Argument(help="A credential id (or a unique prefix).")],
    wallet: WalletOpt = DEFAULT_WALLET,
) -> None:
    """A credential (W3C VC JSON); the holder's secrets are never printed."""
    w = open_wallet(wallet)
    write_doc(w.credential(cid)["credential"], None)


@wallet_app.command("present")
def wallet_present(
    ctx: typer.Context,
    cid: Annotated[str, typer.Argument(help="A credential id (or a unique prefix).")],
    request: Annotated[Path, typer.Option("--request", help="The verifier's request file.")],
    wallet: WalletOpt = DEFAULT_WALLET,
    out_: OutOpt = None,
) -> None:
    """Answer a verifier's request: only the asked attributes, predicates and pseudonym."""
    c = cli_context(ctx)
    w = open_wallet(wallet)
    req = PresentationRequest.from_json(_read_doc(request, "presentation request"))
    with spinner_step("proving"):
        doc = presentation.present(BoardData.from_board(c.board), w.credential(cid), req)
    write_doc(doc, out_)


# ------------------------------------------------------------------- verify


@verify_app.command("request")
def verify_request(
    ctx: typer.Context,
    issuer: Annotated[str, typer.Option(help="The issuer's name.")],
    schema: Annotated[str, typer.Option(help="The schema's id.")],
    disclose: Annotated[
        list[str] | None, typer.Option("--disclose", help="An attribute to show.")
    ] = None,
    predicate: Annotated[
        list[str] | None,
        typer.Option("--predicate", help="ATTR<=VALUE or ATTR>=VALUE on a hidden attribute."),
    ] = None,
    pseudonym: Annotated[
        str | None, typer.Option(help="Ask for the holder's pseudonym in this context.")
    ] = None,
    on: Annotated[
        str | None, typer.Option("--date", help="The day of the check (default: today).")
    ] = None,
    entries: Annotated[
        Path | None,
        typer.Option(help="Exported board entries (`pnyx board entries --json`) instead of --db."),
    ] = None,
    out_: OutOpt = None,
) -> None:
    """A presentation request with a fresh nonce, checked against the issuer's schema on the
    board (attribute names, predicate types and values such as dates)."""
    preds = []
    for p in predicate or []:
        op = "<=" if "<=" in p else ">=" if ">=" in p else None
        if op is None:
            raise IdentityError(f"--predicate {p!r}: write ATTR<=VALUE or ATTR>=VALUE")
        name, _, value = p.partition(op)
        preds.append(Predicate(name, op, int(value) if value.lstrip("-").isdigit() else value))
    try:
        day = date.fromisoformat(on) if on else None
    except ValueError:
        raise IdentityError(f"--date {on!r} is not YYYY-MM-DD") from None
    req = PresentationRequest.new(issuer, schema, disclose or [], preds, day, pseudonym)
    found = _board_data(cli_context(ctx), entries).schema(issuer, schema)
    if found is None:
        raise IdentityError(f"no schema {issuer}/{schema} on this board (see `pnyx board entries`)")
    req.check_against(found)
    write_doc(req.to_json(), out_)


@verify_app.command("presentation")
def verify_presentation(
    ctx: typer.Context,
    presentation_file: Annotated[Path, typer.Argument(help="The holder's presentation.")],
    request: Annotated[Path, typer.Option("--request", help="The request it answers.")],
    entries: Annotated[
        Path | None,
        typer.Option(help="Exported board entries (`pnyx board entries --json`) instead of --db."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a presentation offline against board data; exit 1 with the reason if rejected."""
    c = cli_context(ctx)
    req = PresentationRequest.from_json(_read_doc(request, "presentation request"))
    doc = _read_doc(presentation_file, "presentation")
    data = _board_data(c, entries)
    with spinner_step("verifying"):
        result = presentation.verify_presentation(data, req, doc)
    if as_json:
        sys.stdout.write(json.dumps({"valid": True, **result.to_json()}, sort_keys=True) + "\n")
        return
    out.print(f"valid presentation of {result.issuer}/{result.schema}")
    for k, v in result.disclosed.items():
        out.print(f"  {k} = {json.dumps(v, ensure_ascii=False)}")
    for p in result.predicates:
        out.print(f"  proven: {p}")
    if result.pseudonym is not None:
        out.print(f"  pseudonym ({req.pseudonym_context}): {result.pseudonym}")


# ------------------------------------------------------------------ mailbox


def _pending(c: RootContext, issuer: str, limit: int) -> list[mailbox.Mail]:
    """The issuer's pending requests, through the same signed query the API takes."""
    signer = c.keys.authority(issuer)
    board = c.board
    mailbox.ensure_table(board.store)
    now = datetime.now(UTC)
    time, nonce = mailbox.stamp(now), secrets.token_hex(16)
    signature = signer.sign(mailbox.list_message(issuer, time, nonce)).hex()
    data = BoardData.from_board(board)
    return mailbox.pending(board.store, data, issuer, time, nonce, signature, now, limit)


def _values_file(path: Path | None) -> dict[str, dict[str, Any]]:
    """``{"<request id>": {"<attribute>": <JSON value>, ...}, ...}`` (the issuer's decisions)."""
    if path is None:
        return {}
    doc = _read_doc(path, "values file")
    for rid, values in doc.items():
        if not mailbox.ID_RE.fullmatch(rid) or not isinstance(values, dict):
            raise BadDocument(
                f"{path}: the values file maps request ids (16 hex digits) to attribute objects"
            )
    return {rid: dict(v) for rid, v in doc.items()}


def _defaults(schema_attrs: Any, attr: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for a in attr:
        name, sep, text = a.partition("=")
        if not sep:
            raise IdentityError(f"--attr {a!r}: write NAME=VALUE")
        if name in values:
            raise IdentityError(f"--attr {name} given twice")
        try:
            values[name] = schema_attrs(name).parse_text(text)
        except DomainRejection as e:
            raise BadDocument(e.detail) from None
    return values


@mailbox_app.command("list")
def mailbox_list(
    ctx: typer.Context,
    issuer: Annotated[str, typer.Option("--issuer", help="The issuer (its key is in --keys).")],
    limit: Annotated[int, typer.Option(min=1, max=mailbox.MAX_LIST)] = mailbox.MAX_LIST,
    as_json: JsonOpt = False,
) -> None:
    """Issuer: the pending requests, oldest first (ids, schemas, times)."""
    mails = _pending(cli_context(ctx), issuer, limit)
    if as_json:
        for m in mails:
            row = {k: m.summary()[k] for k in ("id", "schema", "received", "expires")}
            sys.stdout.write(json.dumps(row, sort_keys=True) + "\n")
        return
    t = Table("request", "schema", "received", "expires", title=f"{issuer}: {len(mails)} pending")
    for m in mails:
        t.add_row(m.id, m.request["schema"], m.received, m.expires)
    out.print(t)


@mailbox_app.command("answer")
def mailbox_answer(
    ctx: typer.Context,
    issuer: Annotated[str, typer.Option("--issuer", help="The issuer (its keys are in --keys).")],
    values: Annotated[
        Path | None,
        typer.Option(
            "--values",
            help='JSON {"<request id>": {"<attribute>": value, ...}}: what the issuer certifies '
            "for each holder (who gave it the request id).",
        ),
    ] = None,
    attr: Annotated[
        list[str] | None,
        typer.Option("--attr", help="NAME=VALUE for every request (under --values)."),
    ] = None,
    valid_days: Annotated[
        int | None, typer.Option(help="Days of validity (default: the schema's maximum).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=mailbox.MAX_LIST)] = mailbox.MAX_LIST,
    watch: Annotated[
        float | None,
        typer.Option(
            min=0.5,
            max=3600,
            help="Keep answering: look for new requests every SECONDS until interrupted "
            "(`make serve`'s demo issuer).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Issuer: answer pending requests — sign blindly, seal to the holder's key, post.

    Each request gets the attributes given for its id in --values (and --attr for
    all); a request without a value for every attribute of its schema is left
    pending. The answer is sealed to the key the holder posted with the request, so
    the server never sees the credential.  With --watch the issuer keeps answering
    (one line a request) until it is interrupted.
    """
    if watch is not None:
        _watch_mailbox(ctx, issuer, values, attr, valid_days, limit, watch)
        return
    c = cli_context(ctx)
    answer = _answerer(c, issuer, values, attr, valid_days)
    mails = _pending(c, issuer, limit)
    rows: list[dict[str, str]] = []
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task(f"answering {issuer}'s requests", total=len(mails))
        for mail in mails:
            rows.append(answer(mail))
            progress.advance(task)
    if as_json:
        for r in rows:
            sys.stdout.write(json.dumps(r, sort_keys=True) + "\n")
    else:
        t = Table("request", "schema", "result", title=f"{issuer}: {len(rows)} pending request(s)")
        for r in rows:
            t.add_row(r["id"], r["schema"], f"{r['result']}: {r['detail']}")
        out.print(t)
    refused = [r for r in rows if r["result"] == "refused"]
    if refused:
        raise IdentityError(f"{len(refused)} request(s) could not be answered (see above)")


def _answerer(
    c: RootContext,
    issuer: str,
    values: Path | None,
    attr: list[str] | None,
    valid_days: int | None,
) -> Callable[[mailbox.Mail], dict[str, str]]:
    """The issuer's keys loaded once; answers one mail with its --values and --attr."""
    issuer_file = IssuerFile(c.keys, issuer)
    doc = issuer_file.load()
    sk = bytes.fromhex(doc["secret_key"])
    signer = c.keys.authority(issuer)
    decided = _values_file(values)

    def answer(mail: mailbox.Mail) -> dict[str, str]:
        given = {**_defaults_for(c, issuer, mail, attr), **decided.get(mail.id, {})}
        return _answer_one(c, issuer_file, doc, sk, signer, mail, given, valid_days)

    return answer


def _watch_mailbox(
    ctx: typer.Context,
    issuer: str,
    values: Path | None,
    attr: list[str] | None,
    valid_days: int | None,
    limit: int,
    every: float,
) -> None:
    """Answer the mailbox every ``every`` seconds until interrupted; a refusal is reported
    and the watch goes on."""
    import time

    c = cli_context(ctx)
    answer = _answerer(c, issuer, values, attr, valid_days)
    out.print(f"{issuer}: answering its mailbox every {every:g} s (Ctrl-C stops)")
    try:
        while True:
            for mail in _pending(c, issuer, limit):
                try:
                    r = answer(mail)
                except Rejected as e:  # its --attr values do not fit the request's schema
                    r = {"id": mail.id, "schema": "?", "result": "refused", "detail": e.detail}
                out.print(f"{r['id']} ({r['schema']}): {r['result']}: {r['detail']}")
            time.sleep(every)
    except KeyboardInterrupt:
        out.print(f"{issuer}: stopped answering")


def _defaults_for(
    c: RootContext, issuer: str, mail: mailbox.Mail, attr: list[str] | None
) -> dict[str, Any]:
    """The --attr values, parsed as the request's schema types them."""
    if not attr:
        return {}
    schema = issuance.request_schema(BoardData.from_board(c.board), mail.request, issuer)
    return _defaults(schema.attribute, attr)


def _answer_one(
    c: RootContext,
    issuer_file: IssuerFile,
    doc: dict[str, Any],
    sk: bytes,
    signer: Signer,
    mail: mailbox.Mail,
    values: dict[str, Any],
    valid_days: int | None,
) -> dict[str, str]:
    """Answer one request; a refusal of this one leaves the others to go on."""
    board = c.board
    row = {"id": mail.id, "schema": str(mail.request["schema"]), "result": "", "detail": ""}
    data = BoardData.from_board(board)
    status: tuple[str, int] | None = None
    try:
        schema = issuance.request_schema(data, mail.request, issuer_file.name)
        missing = [a.name for a in schema.attributes if a.name not in values]
        if missing:
            row.update(result="pending", detail=f"no value for {', '.join(missing)}")
            return row
        leaves: list[bytes] = []
        if schema.uses_status_list:
            list_id, index, new = _allocate_status(issuer_file, doc, schema.id, board)
            status = (list_id, index)
            if new:
                body = status_list_body(list_id, StatusList.empty())
                leaves.append(_sign(signer, STATUS_LIST, body))
        days = valid_days if valid_days is not None else schema.max_validity_days
        sealed, signature = mailbox.issue_sealed(
            data, sk, signer.sign, mail, values, date.today(), days, status
        )
        if leaves:
            board.append_many(leaves)
        mailbox.answer(
            board.store, BoardData.from_board(board), mail.id, sealed, signature, datetime.now(UTC)
        )
        issuer_file.save(doc)
    except Rejected as e:
        row.update(result="refused", detail=f"{e.code}: {e.detail}")
        return row
    where = f", status {status[0]}#{status[1]}" if status else ""
    row.update(result="answered", detail=f"sealed to {mail.seal_to[:16]}…{where}")
    return row

"""``pnyx health``: medical records, consent, the access log and health credentials.

docs/health.md §Credentials and CLI.

- ``pnyx health provider add NAME [--emergency]`` — the root registers a provider
  (roles ``provider`` and ``issuer``, with ``--emergency`` also ``emergency``); the
  provider publishes its BBS key and the health credential schemas (and its
  emergency key): one batch, all or nothing;
- ``pnyx health gateway add NAME`` — the authority that posts patients' grants and
  revocations and logs reads (role ``health_gateway``; ``--gateway``, env
  ``PNYX_HEALTH_GATEWAY``, default ``health-gw``);
- ``pnyx health patient new NAME`` / ``patient card NAME --provider P`` — a patient's
  master secret (local) and the pseudonym card a provider needs;
- ``pnyx health reader new NAME`` / ``reader card NAME`` — a practitioner's keys;
- ``pnyx health record add BUNDLE --as PROVIDER (--patient NAME | --card FILE)``,
  ``record list --patient NAME``, ``record read SHA (--patient | --reader --grant |
  --emergency --reason)``;
- ``pnyx health grant --patient NAME (--reader NAME | --card FILE) --record SHA ...``,
  ``pnyx health revoke GRANT --patient NAME``, ``pnyx health log --patient NAME``;
- ``pnyx health credential issue REQUEST --as PROVIDER (--bundle FILE | --fact N=V ...)``
  and ``credential ask SCHEMA --provider P [--since DATE]``; the patient requests, keeps
  and presents with ``pnyx credential request``, ``pnyx wallet add|present``, the
  verifier checks with ``pnyx verify presentation``.

Local secrets (key directory, files 0600): ``health/patients/<name>.key`` (the
master secret), ``health/readers/<name>.json``, ``health/emergency/<name>.key``,
and the provider's BBS key in ``issuers/<name>.json``.  A patient's local name
never reaches the board or the database.  Every failure is one line ``error:
<code>: <detail>`` and a non-zero exit; nothing is written.
"""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from nacl.public import PrivateKey
from nacl.signing import SigningKey
from rich.console import Console
from rich.table import Table

from ledger import authorities
from ledger.board import Board
from ledger.entry import key_id, make_entry, now_rfc3339
from ledger.errors import Rejected
from ledger.note import NoteError, Signer
from services.health import domain as hd
from services.health.credentials import (
    SCHEMAS,
    facts_from_bundle,
    issue_fact,
    issuer_bodies,
    parse_fact,
)
from services.health.credentials import fact_request as make_fact_request
from services.health.errors import GrantRevoked, MalformedRecord, RecordUndecryptable
from services.health.fhir import MAX_RECORD_BYTES, validate_bundle
from services.health.keys import PatientKeys, Pseudonym, Reader, open_release
from services.health.messages import GRANT_PREFIX, digest, sign
from services.health.service import HealthService
from services.health.views import RecordInfo, Release
from services.identity import issuance
from services.identity.board_data import BoardData
from services.identity.errors import CannotPresent
from services.identity.keys import DEFAULT_SUITE, suite
from services.identity.presentation import present, verify_presentation
from services.identity.request import load_document
from services.identity.schema import parse_date
from webapp.cli_identity import IssuerFile, cli_context, spinner_step, write_doc
from webapp.keystore import KeyStore

err = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)

health_app = typer.Typer(
    help="Medical records: encrypted, consented, logged; health credentials.",
    no_args_is_help=True,
)
provider_app = typer.Typer(help="Health providers (authorities).", no_args_is_help=True)
gateway_app = typer.Typer(help="The health gateway authority.", no_args_is_help=True)
patient_app = typer.Typer(help="A patient's local keys and pseudonym cards.", no_args_is_help=True)
reader_app = typer.Typer(help="A practitioner's local keys and card.", no_args_is_help=True)
record_app = typer.Typer(help="Write, list and read records.", no_args_is_help=True)
hcred_app = typer.Typer(help="Health credentials over one fact.", no_args_is_help=True)
health_app.add_typer(provider_app, name="provider")
health_app.add_typer(gateway_app, name="gateway")
health_app.add_typer(patient_app, name="patient")
health_app.add_typer(reader_app, name="reader")
health_app.add_typer(record_app, name="record")
health_app.add_typer(hcred_app, name="credential")

GATEWAY_ENV = "PNYX_HEALTH_GATEWAY"
DEFAULT_GATEWAY = "health-gw"
DEFAULT_GRANT_DAYS = 30

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
PatientOpt = Annotated[str, typer.Option("--patient", help="The patient's local key name.")]
GatewayOpt = Annotated[
    str, typer.Option("--gateway", envvar=GATEWAY_ENV, help="The health gateway authority.")
]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write the document here.")]


class HealthInputError(Rejected):
    """A command-line input the health commands cannot use (missing key, bad file, ...)."""

    code = "health"


# ------------------------------------------------------------------ local keys


@dataclass(frozen=True)
class HealthKeys:
    """``<keys>/health/``: patients' master secrets, readers' and emergency keys (0600)."""

    keys: KeyStore

    @property
    def root(self) -> Path:
        return self.keys.root / "health"

    def _path(self, folder: str, name: str, suffix: str) -> Path:
        if not name or "/" in name or name.startswith(".") or len(name) > 64:
            raise HealthInputError(f"bad local key name {name!r}")
        return self.root / folder / f"{name}{suffix}"

    def _write(self, path: Path, text: str) -> None:
        self.keys.write_secret(path, text)

    def _read(self, path: Path, what: str) -> str:
        return self.keys.read_secret(path, what)

    def patient_path(self, name: str) -> Path:
        return self._path("patients", name, ".key")

    def new_patient(self, name: str) -> PatientKeys:
        patient = PatientKeys.generate()
        self._write(self.patient_path(name), patient.master.hex())
        return patient

    def patient(self, name: str) -> PatientKeys:
        text = self._read(self.patient_path(name), f"patient key {name!r}")
        try:
            return PatientKeys(bytes.fromhex(text))
        except ValueError:
            raise HealthInputError(f"the patient key file of {name!r} is damaged") from None

    def reader_path(self, name: str) -> Path:
        return self._path("readers", name, ".json")

    def new_reader(self, name: str) -> Reader:
        reader = Reader.generate()
        doc = {"sign": bytes(reader.signing_key).hex(), "box": bytes(reader.box_secret).hex()}
        self._write(self.reader_path(name), json.dumps(doc, sort_keys=True))
        return reader

    def reader(self, name: str) -> Reader:
        text = self._read(self.reader_path(name), f"reader key {name!r}")
        try:
            doc = json.loads(text)
            return Reader(
                SigningKey(bytes.fromhex(doc["sign"])), PrivateKey(bytes.fromhex(doc["box"]))
            )
        except (ValueError, KeyError, TypeError):
            raise HealthInputError(f"the reader key file of {name!r} is damaged") from None

    def emergency_path(self, name: str) -> Path:
        return self._path("emergency", name, ".key")

    def new_emergency(self, name: str) -> PrivateKey:
        box = PrivateKey.generate()
        self._write(self.emergency_path(name), bytes(box).hex())
        return box

    def emergency(self, name: str) -> PrivateKey:
        text = self._read(self.emergency_path(name), f"emergency key of {name!r}")
        try:
            return PrivateKey(bytes.fromhex(text))
        except ValueError:
            raise HealthInputError(f"the emergency key file of {name!r} is damaged") from None


# --------------------------------------------------------------------- helpers


def _keys(ctx: typer.Context) -> tuple[Board, KeyStore]:
    c = cli_context(ctx)
    return c.board, c.keys


def _entry(signer: Signer, kind: str, body: dict[str, Any]) -> bytes:
    return make_entry(kind, body, key_id(signer.verifier().public_key), signer.sign)


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise HealthInputError(f"cannot read the {what} {path}: {e.strerror}") from None
    return load_document(data, what)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    doc = dict(pairs)
    if len(doc) != len(pairs):
        raise ValueError("a member name appears twice")
    return doc


def _read_bundle(path: Path) -> dict[str, Any]:
    """A FHIR Bundle file: JSON with decimals (FHIR has them), no duplicate members, ≤ 2 MiB."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise HealthInputError(f"cannot read the FHIR bundle {path}: {e.strerror}") from None
    if len(data) > 2 * MAX_RECORD_BYTES:
        raise MalformedRecord(f"{path} is larger than {2 * MAX_RECORD_BYTES} bytes")
    try:
        doc = json.loads(data, object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError) as e:
        raise MalformedRecord(f"{path} is not JSON: {str(e)[:200]}") from None
    if not isinstance(doc, dict):
        raise MalformedRecord(f"{path} is not a JSON object")
    return doc


def _providers(board: Board) -> dict[str, str]:
    """Board key id → name of every authority that was ever registered with the role provider."""
    out_: dict[str, str] = {}
    for prefix in ("authority/", "revoked/"):
        for key, rec in board.scan(authorities.DOMAIN, prefix):
            if hd.PROVIDER_ROLE in rec.get("roles", []):
                out_[key.split("/", 1)[1]] = rec["name"]
    return out_


def _authority_id(board: Board, name: str) -> str:
    kid = board.state(authorities.DOMAIN, f"name/{name}")
    if not isinstance(kid, str):
        raise HealthInputError(f"no authority named {name!r} on the board")
    return kid


def pseudonyms(board: Board, patient: PatientKeys) -> dict[str, Pseudonym]:
    """The patient's pseudonyms registered on the board: pseudonym id → pseudonym.

    Derived for every provider the board knows; only the patient can compute
    these, so only the patient can gather their records across providers.
    """
    found = {}
    for kid in _providers(board):
        p = patient.pseudonym(kid)
        if board.state(hd.NAME, f"pseudonym/{p.id}") is not None:
            found[p.id] = p
    return found


def _patient_record(
    board: Board, service: HealthService, patient: PatientKeys, sha: str
) -> tuple[Pseudonym, RecordInfo]:
    rec = service.record(sha)
    mine = pseudonyms(board, patient)
    if rec.patient not in mine:
        raise HealthInputError(f"record {sha[:16]}… is not one of this patient's records")
    return mine[rec.patient], rec


def _expiry(days: int | None, expires: str | None) -> str:
    if expires is not None:
        return hd._time(expires, "--expires")
    n = DEFAULT_GRANT_DAYS if days is None else days
    if not 1 <= n <= 3660:
        raise HealthInputError("--days is 1 to 3660")
    t = datetime.now(UTC).replace(microsecond=0) + timedelta(days=n)
    return t.strftime(hd.TIME_FORMAT)


def _decrypt(box: PrivateKey, release: Release) -> dict[str, Any]:
    try:
        return open_release(box, release)
    except RecordUndecryptable as e:
        raise HealthInputError(f"the released record does not open with this key: {e}") from None


# ------------------------------------------------------------------ authorities


@provider_app.command("add")
def provider_add(
    ctx: typer.Context,
    name: str,
    emergency: Annotated[
        bool, typer.Option("--emergency", help="Also the role emergency (break-glass reads).")
    ] = False,
    as_: Annotated[str, typer.Option("--as", help="The root authority that signs.")] = "root",
) -> None:
    """Register a provider that can write records and issue health credentials."""
    board, keys = _keys(ctx)
    hk = HealthKeys(keys)
    issuer_file = IssuerFile(keys, name)
    if keys.authority_path(name).exists() or issuer_file.exists():
        raise HealthInputError(f"keys for {name!r} exist already in {keys.root}")
    if emergency and hk.emergency_path(name).exists():
        raise HealthInputError(f"an emergency key for {name!r} exists already")
    try:
        signer = Signer.generate(name)
    except NoteError as e:
        raise HealthInputError(f"bad provider name {name!r}: {e}") from None
    root = keys.authority(as_)
    roles = [hd.PROVIDER_ROLE, "issuer"] + ([hd.EMERGENCY_ROLE] if emergency else [])
    sk = suite(DEFAULT_SUITE).keygen(secrets.token_bytes(32), name.encode())
    register = {"name": name, "public_key": signer.verifier().public_key.hex(), "roles": roles}
    leaves = [_entry(root, authorities.AUTHORITY, register)]
    bodies = issuer_bodies(name, sk, board.origin())
    leaves += [_entry(signer, kind, body) for kind, body in bodies]
    key_id_ = bodies[0][1]["key_id"]
    box = None
    if emergency:
        box = PrivateKey.generate()
        leaves.append(_entry(signer, hd.EMERGENCY_KEY, {"box": bytes(box.public_key).hex()}))
    # keys first: a provider whose keys were lost could never write or issue
    keys.save_authority(signer)
    try:
        issuer_file.save(
            {
                "version": 1,
                "issuer": name,
                "ciphersuite": DEFAULT_SUITE,
                "key_id": key_id_,
                "secret_key": sk.hex(),
                "lists": {},
            },
            create=True,
        )
        if box is not None:
            hk._write(hk.emergency_path(name), bytes(box).hex())
        first = board.append_many(leaves)[0]
    except BaseException:
        keys.remove_authority(name)
        issuer_file.remove()
        if box is not None:
            hk.emergency_path(name).unlink(missing_ok=True)
        raise
    out.print(f"provider {name} ({', '.join(roles)}) registered at entry {first}")


@gateway_app.command("add")
def gateway_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The gateway's name.")] = DEFAULT_GATEWAY,
    as_: Annotated[str, typer.Option("--as", help="The root authority that signs.")] = "root",
) -> None:
    """Register the gateway that posts grants and revocations and logs every read."""
    board, keys = _keys(ctx)
    if keys.authority_path(name).exists():
        raise HealthInputError(f"a key for {name!r} exists already in {keys.root}")
    try:
        signer = Signer.generate(name)
    except NoteError as e:
        raise HealthInputError(f"bad gateway name {name!r}: {e}") from None
    body = {
        "name": name,
        "public_key": signer.verifier().public_key.hex(),
        "roles": [hd.GATEWAY_ROLE],
    }
    root = keys.authority(as_)
    keys.save_authority(signer)
    try:
        index = board.append(_entry(root, authorities.AUTHORITY, body))
    except BaseException:
        keys.remove_authority(name)
        raise
    out.print(f"gateway {name} registered at entry {index}")


# ------------------------------------------------------------- patients, readers


@patient_app.command("new")
def patient_new(ctx: typer.Context, name: str) -> None:
    """Create a patient's master secret (local only: pseudonyms are derived from it)."""
    _, keys = _keys(ctx)
    HealthKeys(keys).new_patient(name)
    out.print(f"patient keys {name!r} created in {keys.root / 'health' / 'patients'}")


@patient_app.command("card")
def patient_card(
    ctx: typer.Context,
    name: str,
    provider: Annotated[str, typer.Option("--provider", help="The provider it is for.")],
    out_: OutOpt = None,
) -> None:
    """The signed pseudonym card to hand to PROVIDER (it never names the patient)."""
    board, keys = _keys(ctx)
    pid = _authority_id(board, provider)
    write_doc(HealthKeys(keys).patient(name).pseudonym(pid).card(), out_)


@reader_app.command("new")
def reader_new(ctx: typer.Context, name: str, out_: OutOpt = None) -> None:
    """Create a practitioner's keys; prints the card a patient grants to."""
    _, keys = _keys(ctx)
    write_doc(HealthKeys(keys).new_reader(name).card(), out_)


@reader_app.command("card")
def reader_card(ctx: typer.Context, name: str, out_: OutOpt = None) -> None:
    """A practitioner's public card {sign, box}."""
    _, keys = _keys(ctx)
    write_doc(HealthKeys(keys).reader(name).card(), out_)


# --------------------------------------------------------------------- records


@record_app.command("add")
def record_add(
    ctx: typer.Context,
    bundle: Annotated[Path, typer.Argument(help="A FHIR R4 Bundle (JSON).")],
    as_: Annotated[str, typer.Option("--as", help="The provider that writes it.")],
    patient: Annotated[
        str | None, typer.Option("--patient", help="The patient's local key name.")
    ] = None,
    card: Annotated[
        Path | None, typer.Option("--card", help="The patient's pseudonym card file.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Encrypt a record for a patient, store it off the board, commit to it on the board."""
    board, keys = _keys(ctx)
    if (patient is None) == (card is None):
        raise HealthInputError("give the patient as --patient NAME or --card FILE (one of them)")
    signer = keys.authority(as_)
    doc = _read_bundle(bundle)
    if card is not None:
        pcard = _read_json(card, "pseudonym card")
    else:
        assert patient is not None
        pcard = HealthKeys(keys).patient(patient).pseudonym(_authority_id(board, as_)).card()
    with spinner_step("encrypting and committing"):
        rec = HealthService(board).write_record(signer, pcard, doc)
    if as_json:
        sys.stdout.write(
            json.dumps({"record": rec.sha256, "index": rec.index, "size": rec.size}) + "\n"
        )
    else:
        out.print(f"record {rec.sha256} ({rec.size} bytes, encrypted) at entry {rec.index}")


@record_app.command("list")
def record_list(ctx: typer.Context, patient: PatientOpt, as_json: JsonOpt = False) -> None:
    """The patient's records at every provider (only the patient can link them)."""
    board, keys = _keys(ctx)
    service = HealthService(board)
    names = _providers(board)
    rows: list[dict[str, Any]] = [
        {
            "record": r.sha256,
            "provider": names.get(r.provider, r.provider),
            "index": r.index,
            "time": r.time,
            "size": r.size,
        }
        for pid in pseudonyms(board, HealthKeys(keys).patient(patient))
        for r in service.records(pid)
    ]
    rows.sort(key=lambda r: r["index"])
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row, sort_keys=True) + "\n")
        return
    t = Table("record", "provider", "entry", "time", "bytes")
    for row in rows:
        t.add_row(row["record"], row["provider"], str(row["index"]), row["time"], str(row["size"]))
    out.print(t)


@record_app.command("read")
def record_read(
    ctx: typer.Context,
    record: Annotated[str, typer.Argument(help="The record's hash.")],
    patient: Annotated[
        str | None, typer.Option("--patient", help="Read as this patient (own record).")
    ] = None,
    reader: Annotated[
        str | None, typer.Option("--reader", help="Read as this practitioner, under --grant.")
    ] = None,
    grant: Annotated[str | None, typer.Option("--grant", help="The grant's id.")] = None,
    emergency: Annotated[
        str | None, typer.Option("--emergency", help="Break glass as this emergency authority.")
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why (break glass; public to the patient).")
    ] = None,
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    out_: OutOpt = None,
) -> None:
    """Read a record: the read is logged on the board in the transaction that releases it."""
    board, keys = _keys(ctx)
    hk = HealthKeys(keys)
    service = HealthService(board)
    if sum(x is not None for x in (patient, reader, emergency)) != 1:
        raise HealthInputError("read as one of --patient, --reader (with --grant), --emergency")
    if (grant is not None) != (reader is not None):
        raise HealthInputError("--grant goes with --reader, and --reader needs --grant")
    if (reason is not None) != (emergency is not None):
        raise HealthInputError("--reason goes with --emergency, and --emergency needs --reason")
    with spinner_step("reading"):
        if patient is not None:
            p, _ = _patient_record(board, service, hk.patient(patient), record)
            release = service.read(keys.authority(gateway), p.request(record, now_rfc3339()))
            doc = _decrypt(p.box_secret, release)
        elif reader is not None:
            assert grant is not None
            r = hk.reader(reader)
            release = service.read(keys.authority(gateway), r.request(record, grant, now_rfc3339()))
            doc = _decrypt(r.box_secret, release)
        else:
            assert emergency is not None and reason is not None
            box = hk.emergency(emergency)
            release = service.emergency_read(keys.authority(emergency), record, reason)
            doc = _decrypt(box, release)
    write_doc(doc, out_)
    err.print(f"read logged at entry {release.access_index}")


# ------------------------------------------------------------- consent and log


@health_app.command("grant")
def grant_cmd(
    ctx: typer.Context,
    patient: PatientOpt,
    record: Annotated[list[str], typer.Option("--record", help="A record's hash (repeatable).")],
    reader: Annotated[
        str | None, typer.Option("--reader", help="A local practitioner's key name.")
    ] = None,
    card: Annotated[
        Path | None, typer.Option("--card", help="The grantee's card file {sign, box}.")
    ] = None,
    days: Annotated[int | None, typer.Option("--days", help="Valid for N days (30).")] = None,
    expires: Annotated[
        str | None, typer.Option("--expires", help="Or until this time (RFC 3339 UTC).")
    ] = None,
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    as_json: JsonOpt = False,
) -> None:
    """The patient gives a practitioner access to chosen records, until an expiry."""
    board, keys = _keys(ctx)
    hk = HealthKeys(keys)
    if (reader is None) == (card is None):
        raise HealthInputError("give the grantee as --reader NAME or --card FILE (one of them)")
    if reader is not None:
        grantee: dict[str, Any] = hk.reader(reader).card()
    else:
        assert card is not None
        grantee = _read_json(card, "grantee card")
    until = _expiry(days, expires)
    service = HealthService(board)
    pk = hk.patient(patient)
    groups: dict[str, tuple[Pseudonym, list[RecordInfo]]] = {}
    for sha in dict.fromkeys(record):
        p, rec = _patient_record(board, service, pk, sha)
        groups.setdefault(p.id, (p, []))[1].append(rec)
    gw = keys.authority(gateway)
    try:
        bodies = [p.grant(grantee, recs, until) for p, recs in groups.values()]
    except (ValueError, KeyError, TypeError) as e:
        raise HealthInputError(f"the grantee's card is not usable: {e}") from None
    # one board entry per pseudonym; all in one batch, so all or none
    leaves = [_entry(gw, hd.GRANT, b) for b in bodies]
    indices = board.append_many(leaves)
    for b, i in zip(bodies, indices, strict=True):
        gid = digest(b["grant"])
        if as_json:
            doc = {
                "grant": gid,
                "index": i,
                "records": sorted(b["grant"]["keys"]),
                "expires": until,
            }
            sys.stdout.write(json.dumps(doc, sort_keys=True) + "\n")
        else:
            out.print(
                f"grant {gid} at entry {i}: {len(b['grant']['keys'])} record(s) until {until}"
            )


@health_app.command("revoke")
def revoke_cmd(
    ctx: typer.Context,
    grant: Annotated[str, typer.Argument(help="The grant's id.")],
    patient: PatientOpt,
    gateway: GatewayOpt = DEFAULT_GATEWAY,
) -> None:
    """The patient revokes a grant: the gateway serves no more blobs under it."""
    board, keys = _keys(ctx)
    service = HealthService(board)
    info = service.grant_info(grant)
    mine = pseudonyms(board, HealthKeys(keys).patient(patient))
    if info.patient not in mine:
        raise HealthInputError("this grant is not one of this patient's grants")
    if info.revoked is not None:
        raise GrantRevoked(f"the grant was revoked at entry {info.revoked} already")
    revoked = service.revoke(keys.authority(gateway), mine[info.patient].revoke(grant))
    out.print(f"grant {grant} revoked at entry {revoked.revoked}")


@health_app.command("log")
def log_cmd(ctx: typer.Context, patient: PatientOpt, as_json: JsonOpt = False) -> None:
    """Every read of the patient's records: who, which record, under which grant or why."""
    board, keys = _keys(ctx)
    items = HealthService(board).access_log(pseudonyms(board, HealthKeys(keys).patient(patient)))
    if as_json:
        for i in items:
            sys.stdout.write(json.dumps(i.__dict__, sort_keys=True) + "\n")
        return
    t = Table("entry", "time", "record", "via", "reader", "grant / reason")
    for i in items:
        why = i.reason if i.via == "emergency" else (i.grant[:16] + "…" if i.grant else "")
        t.add_row(str(i.index), i.time, i.record[:16] + "…", i.via, i.reader[:24], why or "")
    out.print(t)


# ------------------------------------------------------------------ credentials


def _fact_values(fact: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for f in fact:
        name, sep, text = f.partition("=")
        if not sep:
            raise HealthInputError(f"--fact {f!r}: write NAME=VALUE")
        if name in values:
            raise HealthInputError(f"--fact {name} given twice")
        values[name] = text
    return values


@hcred_app.command("issue")
def credential_issue(
    ctx: typer.Context,
    request: Annotated[Path, typer.Argument(help="The patient's request (credential request).")],
    as_: Annotated[str, typer.Option("--as", help="The provider (issuer).")],
    bundle: Annotated[
        Path | None, typer.Option("--bundle", help="Take the fact from this FHIR Bundle.")
    ] = None,
    pick: Annotated[
        int | None, typer.Option("--pick", help="Which of the bundle's facts of the schema (0..).")
    ] = None,
    fact: Annotated[
        list[str] | None, typer.Option("--fact", help="NAME=VALUE, instead of --bundle.")
    ] = None,
    valid_days: Annotated[int, typer.Option(help="Days of validity (at most 92).")] = 92,
    out_: OutOpt = None,
) -> None:
    """Provider: sign one fact blindly for the patient's request (a short-lived BBS credential)."""
    board, keys = _keys(ctx)
    if (bundle is None) == (not fact):
        raise HealthInputError("give the fact as --bundle FILE or --fact NAME=VALUE ...")
    doc = IssuerFile(keys, as_).load()
    req = _read_json(request, "credential request")
    data = BoardData.from_board(board)
    schema = req.get("schema")
    if schema not in SCHEMAS:
        raise HealthInputError(f"the request is for {schema!r}, not a health credential schema")
    if bundle is not None:
        source = _read_bundle(bundle)
        validate_bundle(source)
        found = [f for f in facts_from_bundle(source) if f.schema == schema]
        if not found:
            raise HealthInputError(f"the bundle states no {schema} fact")
        if pick is None and len(found) > 1:
            raise HealthInputError(f"the bundle states {len(found)} {schema} facts; choose --pick")
        n = pick or 0
        if not 0 <= n < len(found):
            raise HealthInputError(f"--pick is 0 to {len(found) - 1}")
        chosen = found[n]
    else:
        chosen = parse_fact(str(schema), _fact_values(fact or []))
    with spinner_step("signing blindly"):
        issued = issue_fact(
            data, as_, bytes.fromhex(doc["secret_key"]), req, chosen, date.today(), valid_days
        )
    write_doc(issued, out_)
    err.print(f"{schema} credential issued by {as_}: {json.dumps(chosen.values())}")


@hcred_app.command("ask")
def credential_ask(
    schema: Annotated[str, typer.Argument(help=f"One of {', '.join(SCHEMAS)}.")],
    provider: Annotated[str, typer.Option("--provider", help="The issuing provider.")],
    since: Annotated[
        str | None, typer.Option("--since", help="Immunization: vaccinated on or after.")
    ] = None,
    out_: OutOpt = None,
) -> None:
    """Verifier: a presentation request for one fact (answer with `pnyx wallet present`)."""
    cut = None
    if since is not None:
        cut = _date(since, "--since")
    write_doc(make_fact_request(provider, schema, vaccinated_since=cut).to_json(), out_)


def _date(text: str, what: str) -> date:
    try:
        return parse_date(text, what)
    except Rejected as e:
        raise HealthInputError(e.detail) from None


# ------------------------------------------------------------------------ demo

DEMO_ORIGIN = "demo.pnyx.example/health"
DEMO_PROVIDER = "st-mary"
DEMO_EMERGENCY = "er-central"
DEMO_PATIENT = "patient"
"""The patient's local key name: a label on this machine, never written to the board."""
DEMO_DOCTOR = "dr-okafor"
DEMO_BUNDLE: dict[str, Any] = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {
            "resource": {
                "resourceType": "Patient",
                "identifier": [
                    {"system": "urn:oid:2.16.840.1.113883.2.4.6.3", "value": "NL-7731-4410-29"}
                ],
                "name": [{"family": "Quixotically-Brandt", "given": ["Zenobia"]}],
                "birthDate": "1984-02-29",
                "telecom": [{"system": "phone", "value": "+31 20 555 0147"}],
            }
        },
        {
            "resource": {
                "resourceType": "Immunization",
                "status": "completed",
                "vaccineCode": {
                    "coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "03"}],
                    "text": "MMR lot X7Q-2219",
                },
                "patient": {"reference": "urn:uuid:5b0e7c1a-94d2-4c4e-8f7a-1c2d3e4f5a6b"},
                "occurrenceDateTime": "2019-05-14",
            }
        },
        {
            "resource": {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "882-1"}]},
                "valueCodeableConcept": {"text": "O Rh(D) negative"},
            }
        },
        {
            "resource": {
                "resourceType": "AllergyIntolerance",
                "verificationStatus": {"coding": [{"code": "refuted"}]},
                "code": {
                    "coding": [{"system": "http://snomed.info/sct", "code": "764146007"}],
                    "text": "Penicillin (tested 2021, no reaction)",
                },
                "patient": {"reference": "urn:uuid:5b0e7c1a-94d2-4c4e-8f7a-1c2d3e4f5a6b"},
            }
        },
        {
            "resource": {
                "resourceType": "Condition",
                "subject": {"reference": "urn:uuid:5b0e7c1a-94d2-4c4e-8f7a-1c2d3e4f5a6b"},
                "code": {"text": "Exercise-induced bronchoconstriction"},
                "note": [{"text": "Symptoms after the Amstel half-marathon"}],
            }
        },
        {
            "resource": {
                "resourceType": "MedicationStatement",
                "status": "active",
                "subject": {"reference": "urn:uuid:5b0e7c1a-94d2-4c4e-8f7a-1c2d3e4f5a6b"},
                "medicationCodeableConcept": {"text": "Salbutamol 100 micrograms inhaler"},
            }
        },
    ],
}
"""The demo's record: every value but FHIR's own vocabulary is the patient's, never stored."""
DEMO_FOLLOW_UP: dict[str, Any] = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {
            "resource": {
                "resourceType": "Observation",
                "status": "final",
                "code": {"text": "Peak expiratory flow"},
                "valueQuantity": {"value": 512, "unit": "L/min"},
                "note": [{"text": "Follow-up visit, spirometry room 3B"}],
            }
        }
    ],
}
"""A record written after the doctor's grant was revoked."""


class Demo:
    """`pnyx demo health`, told step by step; each expectation is checked and counted."""

    def __init__(self, board: Board, keys: KeyStore, console: Console) -> None:
        self.board = board
        self.keys = keys
        self.out = console
        self.failed: list[str] = []

    def expect(self, ok: bool, what: str) -> None:
        mark = "[green]ok[/green]" if ok else "[red]FAILED[/red]"
        self.out.print(f"  {mark}  {what}")
        if not ok:
            self.failed.append(what)

    def refused(self, action: Callable[[], Any], code: str, what: str) -> None:
        """``action`` must be refused with ``code`` and leave the board as it was."""
        size = self.board.size()
        try:
            action()
        except Rejected as e:
            self.expect(
                e.code == code and self.board.size() == size,
                f"{what}: refused ({e.code}: {e.detail}); nothing written",
            )
            return
        self.expect(False, f"{what}: was NOT refused")

    def run(self) -> list[str]:
        board, keys, out = self.board, self.keys, self.out
        hk = HealthKeys(keys)
        out.rule("1. A board with a provider, an emergency department and a gateway")
        if board.size() == 0:
            log, root = Signer.generate(DEMO_ORIGIN), Signer.generate("root")
            genesis = {
                "origin": DEMO_ORIGIN,
                "log_key": log.verifier().vkey(),
                "root": {"name": "root", "public_key": root.verifier().public_key.hex()},
            }
            keys.save_log(log)
            keys.save_authority(root)
            board.append(_entry(root, authorities.GENESIS, genesis))
        else:  # join the board of this key folder (`make run`: beside the other demos)
            log, root = keys.log(), keys.authority(_root_name(board))
        signers: dict[str, Signer] = {}
        leaves: list[bytes] = []
        for name, roles in (
            (DEMO_PROVIDER, [hd.PROVIDER_ROLE, "issuer"]),
            (DEMO_EMERGENCY, [hd.PROVIDER_ROLE, hd.EMERGENCY_ROLE]),
            (DEFAULT_GATEWAY, [hd.GATEWAY_ROLE]),
        ):
            signers[name] = s = Signer.generate(name)
            keys.save_authority(s)
            body = {"name": name, "public_key": s.verifier().public_key.hex(), "roles": roles}
            leaves.append(_entry(root, authorities.AUTHORITY, body))
            out.print(f"{name}: {', '.join(roles)}")
        provider, er, gateway = (
            signers[n] for n in (DEMO_PROVIDER, DEMO_EMERGENCY, DEFAULT_GATEWAY)
        )
        sk = suite(DEFAULT_SUITE).keygen(secrets.token_bytes(32), DEMO_PROVIDER.encode())
        bodies = issuer_bodies(DEMO_PROVIDER, sk, board.origin())
        IssuerFile(keys, DEMO_PROVIDER).save(
            {
                "version": 1,
                "issuer": DEMO_PROVIDER,
                "ciphersuite": DEFAULT_SUITE,
                "key_id": bodies[0][1]["key_id"],
                "secret_key": sk.hex(),
                "lists": {},
            },
            create=True,
        )
        leaves += [_entry(provider, kind, body) for kind, body in bodies]
        er_box = hk.new_emergency(DEMO_EMERGENCY)
        leaves.append(_entry(er, hd.EMERGENCY_KEY, {"box": bytes(er_box.public_key).hex()}))
        board.append_many(leaves)
        out.print(f"{DEMO_PROVIDER} published a BBS key and {len(SCHEMAS)} credential schemas")
        mallory = Signer.generate("mallory")

        service = HealthService(board)
        patient = hk.new_patient(DEMO_PATIENT)
        doctor = hk.new_reader(DEMO_DOCTOR)
        pseudonym = patient.pseudonym(key_id(provider.verifier().public_key))

        out.rule("2. The provider writes a record")
        rec = service.write_record(provider, pseudonym.card(), DEMO_BUNDLE)
        out.print(f"record {rec.sha256[:16]}… ({rec.size} bytes encrypted) at entry {rec.index}")
        out.print(f"on the board: the hash, the key sealed for pseudonym {rec.patient[:16]}…")
        self.expect(
            set(rec.emergency) == {key_id(er.verifier().public_key)},
            "the record key is also sealed for the emergency department's key",
        )
        self.refused(
            lambda: service.write_record(mallory, pseudonym.card(), DEMO_BUNDLE),
            "unknown_author",
            "a record from an unregistered key",
        )
        self.refused(
            lambda: service.write_record(gateway, pseudonym.card(), DEMO_BUNDLE),
            "role_not_allowed",
            "a record from an authority without the role provider",
        )
        bad = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {}}]}
        self.refused(
            lambda: service.write_record(provider, pseudonym.card(), bad),
            "malformed_record",
            "a malformed FHIR bundle",
        )

        out.rule("3. The patient reads their own record")
        own = service.read(gateway, pseudonym.request(rec.sha256, now_rfc3339()))
        self.expect(
            open_release(pseudonym.box_secret, own) == DEMO_BUNDLE,
            f"decrypted by the patient's key, logged at entry {own.access_index}",
        )

        out.rule("4. A doctor without consent, then with it")
        fake_grant = "0" * 64
        self.refused(
            lambda: service.read(gateway, doctor.request(rec.sha256, fake_grant, now_rfc3339())),
            "no_grant",
            f"{DEMO_DOCTOR} reads without a grant",
        )
        until = _expiry(1, None)
        granted = service.grant(gateway, pseudonym.grant(doctor.card(), [rec], until))
        out.print(f"the patient grants {DEMO_DOCTOR} this record until {until}")
        read = service.read(gateway, doctor.request(rec.sha256, granted.grant_id, now_rfc3339()))
        self.expect(
            doctor.open(read) == DEMO_BUNDLE,
            f"{DEMO_DOCTOR} reads it under grant {granted.grant_id[:16]}…, "
            f"logged at entry {read.access_index}",
        )
        forged = pseudonym.grant(doctor.card(), [rec], until)
        forged["signature"] = sign(SigningKey.generate(), GRANT_PREFIX, forged["grant"])
        self.refused(
            lambda: service.grant(gateway, forged),
            "bad_patient_signature",
            "a grant signed by someone other than the patient",
        )
        service.revoke(gateway, pseudonym.revoke(granted.grant_id))
        out.print("the patient revokes the grant")
        self.refused(
            lambda: service.read(
                gateway, doctor.request(rec.sha256, granted.grant_id, now_rfc3339())
            ),
            "grant_revoked",
            f"{DEMO_DOCTOR} reads after the revocation",
        )
        later = service.write_record(provider, pseudonym.card(), DEMO_FOLLOW_UP)
        self.refused(
            lambda: service.read(
                gateway, doctor.request(later.sha256, granted.grant_id, now_rfc3339())
            ),
            "no_grant",
            f"{DEMO_DOCTOR} reads a later record (never wrapped for the doctor)",
        )

        out.rule("5. Break glass: the emergency department reads without consent")
        reason = "unconscious patient admitted to the ER, allergy check before treatment"
        er_read = service.emergency_read(er, rec.sha256, reason)
        self.expect(
            open_release(er_box, er_read) == DEMO_BUNDLE,
            f"{DEMO_EMERGENCY} reads it, the reason is on the board at entry "
            f"{er_read.access_index}",
        )

        out.rule("6. The patient's access log")
        names = {key_id(er.verifier().public_key): DEMO_EMERGENCY}
        items = service.access_log(pseudonyms(board, patient))
        t = Table("entry", "record", "via", "who", "grant / reason")
        who = {bytes(pseudonym.signing_key.verify_key).hex(): "the patient"}
        who[doctor.card()["sign"]] = DEMO_DOCTOR
        for i in items:
            t.add_row(
                str(i.index),
                i.record[:16] + "…",
                i.via,
                who.get(i.reader, names.get(i.reader, i.reader)),
                i.reason or (i.grant[:16] + "…" if i.grant else ""),
            )
        out.print(t)
        self.expect(
            [(i.via, i.index) for i in items]
            == [
                ("patient", own.access_index),
                ("grant", read.access_index),
                ("emergency", er_read.access_index),
            ]
            and items[2].reason == reason,
            "every read is in the log, with who and why; the refused ones left no entry",
        )

        out.rule("7. A health credential: one fact, nothing else")
        self._credential(sk)

        out.rule("8. Audit: verify everything and replay the domains")
        findings = board.verify()
        diffs = board.replay()
        self.expect(not findings, "entries, tree, signatures, every domain rule: verified")
        self.expect(not diffs, "replaying the log gives the stored state")
        board.sign_checkpoint(log)
        out.print(f"{board.size()} entries on the board; no record, name or fact among them")
        return self.failed

    def _credential(self, sk: bytes) -> None:
        data = BoardData.from_board(self.board)
        facts = facts_from_bundle(DEMO_BUNDLE)
        self.out.print("facts in the record: " + "; ".join(json.dumps(f.values()) for f in facts))
        wallet: dict[str, dict[str, Any]] = {}
        for fact in facts:
            asked, holder = issuance.make_request(data, DEMO_PROVIDER, fact.schema)
            issued = issue_fact(data, DEMO_PROVIDER, sk, asked, fact, date.today())
            wallet[fact.schema] = issuance.accept(data, issued, asked, holder)
        self.out.print(
            f"{DEMO_PROVIDER} signed {len(wallet)} credentials blindly; the patient keeps them"
        )
        cut = date(2015, 1, 1)
        req = make_fact_request(DEMO_PROVIDER, "health-immunization", vaccinated_since=cut)
        doc = present(data, wallet["health-immunization"], req)
        v = verify_presentation(data, req, doc)
        text = json.dumps(doc)
        self.expect(
            v.disclosed == {"vaccine": "http://hl7.org/fhir/sid/cvx|03"}
            and "2019-05-14" not in text,
            f"a school checks: vaccine {v.disclosed.get('vaccine')}, "
            f"given on or after {cut} (the date stays hidden)",
        )
        try:
            present(
                data,
                wallet["health-immunization"],
                make_fact_request(
                    DEMO_PROVIDER, "health-immunization", vaccinated_since=date(2020, 1, 1)
                ),
            )
            self.expect(False, "a cut-off after the vaccination was proved")
        except CannotPresent:
            self.expect(True, "a cut-off after the vaccination date cannot be proved")
        req = make_fact_request(DEMO_PROVIDER, "health-allergy")
        v = verify_presentation(data, req, present(data, wallet["health-allergy"], req))
        self.expect(
            v.disclosed == {"substance": "http://snomed.info/sct|764146007", "allergic": False},
            "a pharmacy checks: no penicillin allergy; it learns no other fact, no name",
        )


def _root_name(board: Board) -> str:
    genesis = board.state(authorities.DOMAIN, "genesis") or {}
    return str(genesis.get("root", {}).get("name", "root"))


def run_health_demo(board: Board, keys: KeyStore, console: Console) -> list[str]:
    """Run the health demo on an empty board, or beside what is on the board of this key
    folder (its log and root keys); returns the expectations that failed."""
    if board.size():
        if not keys.log_path.exists():
            raise HealthInputError(
                f"this board's log key is not in {keys.root}: run the demo on an empty "
                "database or with the board's key folder"
            )
        name = _root_name(board)
        if not keys.authority_path(name).exists():
            raise HealthInputError(f"the root key {name!r} of this board is not in {keys.root}")
        taken = [
            n
            for n in (DEMO_PROVIDER, DEMO_EMERGENCY, DEFAULT_GATEWAY)
            if keys.authority_path(n).exists()
        ]
        if taken:
            raise HealthInputError(
                f"the health demo has run on this board already ({', '.join(taken)} exist)"
            )
    return Demo(board, keys, console).run()

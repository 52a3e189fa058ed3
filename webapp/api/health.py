"""``/api/v1/health``: records under pseudonyms, logged reads, grants, revocations, the log.

docs/api.md §Health has every route with its JSON; docs/health.md the model.
Records are ciphertext committed to on the board, their blobs kept off it
(``health_blobs``).  The server holds no patient's, doctor's or provider's
secret and never sees a plaintext or a record key:

- a provider encrypts and signs on its own machine and posts its
  ``health.record`` entry (after a ``health.pseudonym`` entry the first time)
  *with the blob*: ``POST /records`` checks the blob against the entry's
  commitment and appends both in one transaction (``Board.append_many`` with
  ``then``, as :meth:`services.health.service.HealthService.write_record`);
- a blob leaves only with its access-log entry, in the transaction that
  appends it (as :meth:`HealthService.read` and ``emergency_read``): ``POST
  /reads`` takes a ``health.access`` entry signed by a ``health_gateway``
  authority (wrapping the reader's signed request) or a ``health.emergency``
  entry signed by an ``emergency`` authority;
- ``health.grant`` and ``health.revoke`` entries (no off-board data) go to
  ``POST /api/v1/board/entries`` like any entry.

Server as gateway (opt-in).  When the server's key folder (``create_app(db_url,
keys)``) holds the key of the authority :data:`DEFAULT_GATEWAY` (or of
``app.state.health_gateway_name``) and the board registers it, unrevoked, with
the role ``health_gateway``, ``POST /gateway/reads``, ``/gateway/grants`` and
``/gateway/revocations`` take the reader- or patient-signed document alone and
the server adds the gateway signature, exactly as the service's ``read``,
``grant`` and ``revoke`` do (as the ballot box key wraps voters' ballots).  The
gateway key is the operator's own authority key: it cannot forge a grant, a
revocation or a read request (docs/health.md §6); without it these routes
answer 409 ``no_gateway``.

Reads are fresh: a read request's signed time must be within
:data:`services.health.service.MAX_SKEW_SECONDS` of the server's clock (so is
an emergency entry's time), and the same request twice is the same entry,
refused as a duplicate.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from ledger import authorities
from ledger.board import Board
from ledger.entry import Entry, key_id
from ledger.errors import Rejected
from ledger.note import Signer
from ledger.store import Txn
from services.health import domain as hd
from services.health.blobs import put_blob, release_blob
from services.health.errors import StaleRequest, UnknownRecord
from services.health.service import MAX_SKEW_SECONDS, HealthService
from services.health.views import AccessLogItem, GrantInfo, RecordInfo, Release
from webapp.api import ERROR_RESPONSES, BoardDep, get_board
from webapp.api.identity import (
    HEX64,
    HEX128,
    TIME,
    ApiError,
    EntryDoc,
    NowDep,
    Strict,
    StrictRoute,
    errors,
    server_of,
)
from webapp.keystore import KeyError_

B64 = r"^[A-Za-z0-9+/]*={0,2}$"
MAX_BLOB_B64 = 4 * (hd.MAX_BLOB // 3 + 1)
RECORD_BODY = 2 * 1024 * 1024
BODY_LIMITS = {"/api/v1/health/records": RECORD_BODY}
"""A record's blob is up to 1 MiB (base64: 1.4 MB) with its entries (webapp.app.BodyLimits)."""
WRAPPED = r"^[0-9a-f]{160}$"
NONCE = r"^[0-9a-f]{32}$"
DEFAULT_GATEWAY = "health-gw"
"""The gateway authority's name in the server's key folder (as `pnyx health gateway add`)."""

router = APIRouter(
    prefix="/api/v1/health", tags=["health"], route_class=StrictRoute, responses=ERROR_RESPONSES
)


def _service(request: Request) -> HealthService:
    """The health service of this application's board (its blob table created once)."""
    board = get_board(request)
    return server_of(request).cache("health_service", lambda: HealthService(board))


def gateway_signer(request: Request) -> Signer | None:
    """The server's health gateway key, when its key folder holds one that the board
    registers, unrevoked, with the role ``health_gateway`` (read once, then kept)."""
    server = server_of(request)
    name = str(getattr(request.app.state, "health_gateway_name", DEFAULT_GATEWAY))

    def load() -> Signer | None:
        if server.keys is None or not server.keys.authority_path(name).exists():
            return None
        try:
            return server.keys.authority(name)
        except (KeyError_, ValueError):
            return None

    signer: Signer | None = server.cache(f"health_gateway:{name}", load)
    if signer is None:
        return None
    kid = key_id(signer.verifier().public_key)
    rec = get_board(request).state(authorities.DOMAIN, f"authority/{kid}")
    if rec is None or hd.GATEWAY_ROLE not in rec["roles"]:
        return None
    return signer


def _gateway(request: Request) -> Signer:
    signer = gateway_signer(request)
    if signer is None:
        raise ApiError(
            409,
            "no_gateway",
            "this server holds no health gateway key: post an entry signed by a "
            "health_gateway authority instead (POST /api/v1/health/reads, /api/v1/board/entries)",
        )
    return signer


ServiceDep = Annotated[HealthService, Depends(_service)]
GatewayDep = Annotated[Signer, Depends(_gateway)]
Pid = Annotated[str, Path(pattern=HEX64, description="A pseudonym id: SHA-256 of its key, hex.")]


def _stamp(now: dt.datetime) -> str:
    return now.strftime(hd.TIME_FORMAT)


# -------------------------------------------------------------------- shapes


class GranteeOut(BaseModel):
    sign: str
    box: str


class RecordOut(BaseModel):
    sha256: str = Field(description="SHA-256 of the blob: its commitment and address.")
    patient: str = Field(description="The pseudonym id.")
    provider: str = Field(description="The writing provider's board key id.")
    provider_name: str | None
    size: int
    key: str = Field(description="The record key sealed for the pseudonym's X25519 key (hex).")
    emergency: dict[str, str] = Field(description="Emergency key id -> sealed record key (hex).")
    index: int
    time: str


class GrantOut(BaseModel):
    grant: str = Field(description="The grant id: SHA-256(JCS(grant document)).")
    patient: str
    grantee: GranteeOut
    records: list[str]
    keys: dict[str, str] = Field(description="Record hash -> record key sealed for the grantee.")
    expires: str
    index: int
    revoked: int | None = Field(description="Index of the health.revoke entry, if revoked.")
    status: Literal["active", "expired", "revoked"] = Field(description="At the server's time.")


class LogItemOut(BaseModel):
    index: int
    time: str
    record: str
    via: Literal["patient", "grant", "emergency"]
    reader: str = Field(description="Reader's Ed25519 key (hex) or the emergency authority's name.")
    grant: str | None
    reason: str | None
    emergency: bool = Field(description="A break-glass read, without consent.")


class PseudonymOut(BaseModel):
    id: str
    sign: str
    box: str
    provider: str
    index: int


class ProviderOut(BaseModel):
    key_id: str
    name: str
    roles: list[str]
    active: bool


class ProvidersOut(BaseModel):
    providers: list[ProviderOut]


class EmergencyKeyOut(BaseModel):
    key_id: str
    name: str
    box: str = Field(description="X25519 public key, hex: every new record key is sealed for it.")
    index: int


class EmergencyKeysOut(BaseModel):
    keys: list[EmergencyKeyOut]


class RecordsOut(BaseModel):
    patient: str
    records: list[RecordOut]


class GrantsOut(BaseModel):
    patient: str
    grants: list[GrantOut]


class LogOut(BaseModel):
    patient: str
    items: list[LogItemOut]


class ReleaseOut(BaseModel):
    record: RecordOut
    blob: str = Field(description="The ciphertext, base64: nonce (24) || ciphertext || tag (16).")
    wrapped_key: str = Field(description="The record key sealed for the reader, hex (80 bytes).")
    access_index: int = Field(description="The access-log entry appended with this release.")
    via: Literal["patient", "grant", "emergency"]


class WrittenOut(BaseModel):
    record: RecordOut
    indices: list[int]


class GatewayOut(BaseModel):
    enabled: bool
    name: str | None
    key_id: str | None
    max_skew_seconds: int


def _names(board: Board) -> dict[str, str]:
    out: dict[str, str] = {}
    for prefix in ("authority/", "revoked/"):
        for key, rec in board.scan(authorities.DOMAIN, prefix):
            out[key.split("/", 1)[1]] = rec["name"]
    return out


def _record_out(r: RecordInfo, names: dict[str, str]) -> RecordOut:
    return RecordOut(
        sha256=r.sha256,
        patient=r.patient,
        provider=r.provider,
        provider_name=names.get(r.provider),
        size=r.size,
        key=r.key.hex(),
        emergency={k: v.hex() for k, v in r.emergency.items()},
        index=r.index,
        time=r.time,
    )


def _grant_out(g: GrantInfo, now: dt.datetime) -> GrantOut:
    status: Literal["active", "expired", "revoked"] = "active"
    if g.revoked is not None:
        status = "revoked"
    elif _stamp(now) >= g.expires:
        status = "expired"
    return GrantOut(
        grant=g.grant_id,
        patient=g.patient,
        grantee=GranteeOut(sign=g.grantee_sign, box=g.grantee_box),
        records=list(g.records),
        keys={k: v.hex() for k, v in g.keys.items()},
        expires=g.expires,
        index=g.index,
        revoked=g.revoked,
        status=status,
    )


def _log_out(i: AccessLogItem) -> LogItemOut:
    return LogItemOut(
        index=i.index,
        time=i.time,
        record=i.record,
        via=i.via,  # type: ignore[arg-type]
        reader=i.reader,
        grant=i.grant,
        reason=i.reason,
        emergency=i.via == "emergency",
    )


def _release_out(rel: Release, via: str, board: Board) -> ReleaseOut:
    return ReleaseOut(
        record=_record_out(rel.record, _names(board)),
        blob=base64.b64encode(rel.blob).decode(),
        wrapped_key=rel.wrapped_key.hex(),
        access_index=rel.access_index,
        via=via,  # type: ignore[arg-type]
    )


def _pseudonym(board: Board, pid: str) -> dict[str, Any]:
    rec = board.state(hd.NAME, f"pseudonym/{pid}")
    if rec is None:
        raise ApiError(404, "unknown_pseudonym", f"no pseudonym {pid} on the board")
    return dict(rec)


# --------------------------------------------------------------------- reads


@router.get("/providers", response_model=ProvidersOut, responses=errors())
def providers(board: BoardDep) -> ProvidersOut:
    """Every authority that holds or held the role ``provider``.

    A patient derives one pseudonym per provider (docs/health.md §2) and asks
    for each one's records: only the patient's master secret links them.
    """
    out = []
    for prefix, active in (("authority/", True), ("revoked/", False)):
        for key, rec in board.scan(authorities.DOMAIN, prefix):
            if hd.PROVIDER_ROLE in rec.get("roles", []):
                out.append(
                    ProviderOut(
                        key_id=key.split("/", 1)[1],
                        name=rec["name"],
                        roles=list(rec["roles"]),
                        active=active,
                    )
                )
    return ProvidersOut(providers=out)


@router.get("/emergency-keys", response_model=EmergencyKeysOut, responses=errors())
def emergency_keys(board: BoardDep, service: ServiceDep) -> EmergencyKeysOut:
    """The X25519 keys of the active emergency authorities: a provider seals every record
    key for each of them (a ``health.record`` entry must name exactly these)."""
    keys = []
    for kid, box in sorted(service.emergency_keys().items()):
        rec = board.state(hd.NAME, f"emergency/{kid}") or {}
        keys.append(EmergencyKeyOut(key_id=kid, name=rec["name"], box=box, index=rec["index"]))
    return EmergencyKeysOut(keys=keys)


@router.get("/gateway", response_model=GatewayOut, responses=errors())
def gateway(request: Request) -> GatewayOut:
    """Whether this server acts as the health gateway (the ``/gateway/...`` routes)."""
    signer = gateway_signer(request)
    if signer is None:
        return GatewayOut(enabled=False, name=None, key_id=None, max_skew_seconds=MAX_SKEW_SECONDS)
    kid = key_id(signer.verifier().public_key)
    return GatewayOut(enabled=True, name=signer.name, key_id=kid, max_skew_seconds=MAX_SKEW_SECONDS)


@router.get("/pseudonyms/{pid}", response_model=PseudonymOut, responses=errors(404))
def pseudonym(pid: Pid, board: BoardDep) -> PseudonymOut:
    """A registered pseudonym card (public keys only)."""
    rec = _pseudonym(board, pid)
    return PseudonymOut(id=pid, **{k: rec[k] for k in ("sign", "box", "provider", "index")})


@router.get("/pseudonyms/{pid}/records", response_model=RecordsOut, responses=errors(404))
def records(pid: Pid, board: BoardDep, service: ServiceDep) -> RecordsOut:
    """A pseudonym's records, oldest first: commitments and sealed keys, never a blob
    (a blob leaves only with its access-log entry: ``POST /reads``)."""
    _pseudonym(board, pid)
    names = _names(board)
    return RecordsOut(patient=pid, records=[_record_out(r, names) for r in service.records(pid)])


@router.get("/pseudonyms/{pid}/grants", response_model=GrantsOut, responses=errors(404))
def grants(pid: Pid, board: BoardDep, service: ServiceDep, now: NowDep) -> GrantsOut:
    """A pseudonym's grants, oldest first, with their expiry and status (revoked included)."""
    _pseudonym(board, pid)
    return GrantsOut(patient=pid, grants=[_grant_out(g, now) for g in service.grants(pid)])


@router.get("/pseudonyms/{pid}/log", response_model=LogOut, responses=errors(404))
def access_log(pid: Pid, board: BoardDep, service: ServiceDep) -> LogOut:
    """Every logged read of the pseudonym's records, in board order; break-glass reads
    have ``emergency: true`` and their reason."""
    _pseudonym(board, pid)
    return LogOut(patient=pid, items=[_log_out(i) for i in service.access_log([pid])])


@router.get("/records/{sha256}", response_model=RecordOut, responses=errors(404))
def record(
    sha256: Annotated[str, Path(pattern=HEX64, description="The blob's SHA-256, hex.")],
    board: BoardDep,
    service: ServiceDep,
) -> RecordOut:
    try:
        r = service.record(sha256)
    except UnknownRecord as e:
        raise ApiError(404, e.code, e.detail) from None
    return _record_out(r, _names(board))


@router.get("/grants/{grant_id}", response_model=GrantOut, responses=errors(404))
def grant(
    grant_id: Annotated[str, Path(pattern=HEX64, description="A grant id, hex.")],
    service: ServiceDep,
    now: NowDep,
) -> GrantOut:
    try:
        g = service.grant_info(grant_id)
    except Rejected as e:
        raise ApiError(404, e.code, e.detail) from None
    return _grant_out(g, now)


# -------------------------------------------------------- client-signed writes


class RecordBody(Strict):
    """A provider's signed entries (``health.pseudonym`` first when the card is new on the
    board, then ``health.record``) and the encrypted blob the record commits to."""

    entries: list[EntryDoc] = Field(min_length=1, max_length=2)
    blob: str = Field(pattern=B64, max_length=MAX_BLOB_B64, description="The ciphertext, base64.")


class ReadEntryBody(Strict):
    entry: EntryDoc = Field(
        description="A health.access entry (by a health_gateway authority, around the "
        "reader's signed request) or a health.emergency entry (by an emergency authority)."
    )


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "bad_request", f"{what} is not base64") from None


@router.post(
    "/records",
    response_model=WrittenOut,
    status_code=201,
    responses=errors(403, 404, 409, 413, 415, 422),
)
def write_record(
    body: RecordBody, request: Request, board: BoardDep, service: ServiceDep
) -> WrittenOut:
    """Provider: append its signed record entry and store the blob, in one transaction.

    The blob must hash to the entry's ``sha256`` and have its ``size``; the
    board then checks the entry (docs/health.md §3).  All or nothing.
    """
    leaves = [e.leaf() for e in body.entries]
    entries = [Entry.from_leaf(x) for x in leaves]
    kinds = [e.kind for e in entries]
    if kinds not in ([hd.RECORD], [hd.PSEUDONYM, hd.RECORD]):
        raise ApiError(
            400,
            "bad_request",
            f"leaves are [{hd.RECORD}] or [{hd.PSEUDONYM}, {hd.RECORD}], not {kinds}",
        )
    blob = _b64(body.blob, "blob")
    rec = entries[-1].body
    sha = hashlib.sha256(blob).hexdigest()
    if not isinstance(rec.get("sha256"), str) or not hmac.compare_digest(rec["sha256"], sha):
        raise ApiError(400, "blob_mismatch", "the blob does not hash to the entry's sha256")
    if rec.get("size") != len(blob):
        raise ApiError(400, "blob_mismatch", "the blob's length is not the entry's size")

    def store(tx: Txn, indices: list[int]) -> None:
        put_blob(tx, sha, blob)

    indices = board.append_many(leaves, then=store)
    server_of(request).sign_checkpoint(board)
    return WrittenOut(record=_record_out(service.record(sha), _names(board)), indices=indices)


def _fresh(value: Any, now: dt.datetime, what: str) -> None:
    """Mirror of the service's freshness rule: within MAX_SKEW_SECONDS of the clock."""
    try:
        if not isinstance(value, str) or len(value) != 20:
            raise ValueError
        t = dt.datetime.strptime(value, hd.TIME_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError:
        raise ApiError(
            400, "bad_request", f"{what} must be an RFC 3339 UTC time, e.g. 2027-01-31T12:00:00Z"
        ) from None
    if abs((t - now).total_seconds()) > MAX_SKEW_SECONDS:
        raise StaleRequest(
            f"the {what} {value} is not within {MAX_SKEW_SECONDS} s of {_stamp(now)}"
        )


def _state(tx: Txn, key: str) -> dict[str, Any]:
    raw = tx.state_get(hd.NAME, key)
    if raw is None:
        raise UnknownRecord(f"no {key} in the health state")
    return dict(json.loads(raw))


@router.post("/reads", response_model=ReleaseOut, responses=errors(403, 404, 409, 413, 415, 422))
def read(body: ReadEntryBody, request: Request, board: BoardDep, now: NowDep) -> ReleaseOut:
    """Append a signed read entry and release the blob in the same transaction.

    ``health.access``: the reader's signed request (own record with ``grant:
    null``, or under a grant), wrapped by a ``health_gateway`` authority; the
    wrapped key returned is the one sealed for that reader.  ``health.emergency``:
    a break-glass read with its reason; the key is the one sealed for the
    emergency authority.  A refused entry releases nothing and logs nothing.
    """
    leaf = body.entry.leaf()
    entry = Entry.from_leaf(leaf)
    released: list[Release] = []
    if entry.kind == hd.ACCESS:
        q = entry.body.get("request")
        if not isinstance(q, dict):
            raise ApiError(400, "bad_request", "a health.access body is {request, signature}")
        _fresh(q.get("time"), now, "request time")
        via = "patient" if q.get("grant") is None else "grant"

        def release(tx: Txn, indices: list[int]) -> None:
            rec = RecordInfo.from_state(q["record"], _state(tx, f"record/{q['record']}"))
            if q["grant"] is None:
                wrapped = rec.key
            else:
                g = GrantInfo.from_state(q["grant"], _state(tx, f"grant/{q['grant']}"))
                wrapped = g.keys[rec.sha256]
            released.append(Release(rec, release_blob(tx, rec.sha256), wrapped, indices[0]))

    elif entry.kind == hd.EMERGENCY:
        _fresh(entry.time, now, "entry time")
        via = "emergency"
        sha = entry.body.get("record")

        def release(tx: Txn, indices: list[int]) -> None:
            assert isinstance(sha, str)  # the domain's check admitted the entry
            rec = RecordInfo.from_state(sha, _state(tx, f"record/{sha}"))
            released.append(
                Release(rec, release_blob(tx, sha), rec.emergency[entry.author], indices[0])
            )

    else:
        raise ApiError(
            400, "bad_request", f"a read is a {hd.ACCESS} or {hd.EMERGENCY} entry, not {entry.kind}"
        )
    board.append_many([leaf], then=release)
    server_of(request).sign_checkpoint(board)
    return _release_out(released[0], via, board)


# --------------------------------------------------- the server as the gateway


class AccessRequestDoc(Strict):
    """What the reader signs: Ed25519 by ``reader`` over
    ``"pnyx/health/access/v1\\n" || JCS(request)`` (docs/health.md §2)."""

    record: str = Field(pattern=HEX64)
    grant: Annotated[str, Field(pattern=HEX64)] | None = Field(
        description="The grant id, or null for the patient's own record."
    )
    reader: str = Field(pattern=HEX64, description="The reader's Ed25519 public key, hex.")
    time: str = Field(pattern=TIME, description="Within 300 s of the server's clock.")
    nonce: str = Field(pattern=NONCE)


class ReadBody(Strict):
    request: AccessRequestDoc
    signature: str = Field(pattern=HEX128)


class GranteeDoc(Strict):
    sign: str = Field(pattern=HEX64)
    box: str = Field(pattern=HEX64)


class GrantDoc(Strict):
    """What the patient signs: Ed25519 by the pseudonym key over
    ``"pnyx/health/grant/v1\\n" || JCS(grant)``."""

    patient: str = Field(pattern=HEX64)
    grantee: GranteeDoc
    keys: dict[Annotated[str, Field(pattern=HEX64)], Annotated[str, Field(pattern=WRAPPED)]] = (
        Field(max_length=hd.MAX_GRANT_RECORDS, description="Record hash -> sealed record key.")
    )
    expires: str = Field(pattern=TIME)
    nonce: str = Field(pattern=NONCE)


class GrantBody(Strict):
    grant: GrantDoc
    signature: str = Field(pattern=HEX128)


class RevokeDoc(Strict):
    grant: str = Field(pattern=HEX64)


class RevokeBody(Strict):
    """Signed by the grant's patient pseudonym key over
    ``"pnyx/health/revoke/v1\\n" || JCS(revoke)``."""

    revoke: RevokeDoc
    signature: str = Field(pattern=HEX128)


@router.post("/gateway/reads", response_model=ReleaseOut, responses=errors(403, 409, 413, 422))
def gateway_read(
    body: ReadBody,
    request: Request,
    board: BoardDep,
    service: ServiceDep,
    gw: GatewayDep,
    now: NowDep,
) -> ReleaseOut:
    """The reader's signed request alone: the server, as gateway, logs the read and
    releases the blob in one transaction (``HealthService.read``)."""
    doc = body.model_dump()
    rel = service.read(gw, doc, now=_stamp(now))
    server_of(request).sign_checkpoint(board)
    return _release_out(rel, "patient" if doc["request"]["grant"] is None else "grant", board)


@router.post(
    "/gateway/grants", response_model=GrantOut, status_code=201, responses=errors(403, 409, 422)
)
def gateway_grant(
    body: GrantBody, request: Request, service: ServiceDep, gw: GatewayDep, now: NowDep
) -> GrantOut:
    """The patient's signed grant alone: the server, as gateway, posts it (``health.grant``)."""
    info = service.grant(gw, body.model_dump(), time=_stamp(now))
    server_of(request).sign_checkpoint(service.board)
    return _grant_out(info, now)


@router.post("/gateway/revocations", response_model=GrantOut, responses=errors(403, 409, 422))
def gateway_revoke(
    body: RevokeBody, request: Request, service: ServiceDep, gw: GatewayDep, now: NowDep
) -> GrantOut:
    """The patient's signed revocation alone: the server, as gateway, posts it."""
    info = service.revoke(gw, body.model_dump(), time=_stamp(now))
    server_of(request).sign_checkpoint(service.board)
    return _grant_out(info, now)

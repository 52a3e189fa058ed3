"""``/api/v1/identity``: issuers, schemas, status lists, the issuance mailbox, presentations.

docs/api.md §Identity has every route with its JSON.  The server holds no
issuer's or holder's secret: board writes (issuer keys, schemas, status
lists) are entries signed by the issuer and posted to ``/api/v1/board/entries``;
blind issuance goes through a mailbox (:mod:`services.identity.mailbox`): the
holder posts its request with a fresh X25519 key, the issuer lists with a
signature of its board key and answers with a box sealed to that key (the
server never sees the credential), the holder fetches and opens it; a
verifier creates a presentation request with a server nonce
(:mod:`services.identity.sessions`) that a holder answers, or has any
presentation checked against the board
(:mod:`services.identity.verdict`).

Also here, and used by :mod:`webapp.api.health`: :class:`StrictRoute`, the route
class that makes every failure a 4xx ``{"error", "detail"}`` and parses request
bodies strictly, the ``clock`` dependency, :class:`Strict` body models and
:class:`EntryDoc` (a client-signed entry in a body).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, StrictStr
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledger import authorities
from ledger.board import Board
from ledger.entry import Entry, canonical, parse_json
from ledger.errors import Rejected
from services.identity import mailbox, sessions
from services.identity.board_data import BoardData
from services.identity.errors import BadDocument
from services.identity.issuance import latest_key
from services.identity.request import PresentationRequest
from services.identity.verdict import judge
from webapp.api import ERROR_RESPONSES, MAX_DEPTH, BoardDep, ErrorOut, Server, get_board

PRESENTATION_BODY = 640 * 1024
"""A presentation may carry a proof of up to 256 KiB (hex: 512 KiB) and its request."""
ANSWER_BODY = 2 * mailbox.MAX_SEALED + 1024
"""A sealed issuance of up to 256 KiB (hex: 512 KiB) and its signature."""
BODY_LIMITS = {
    "/api/v1/identity/presentations/": PRESENTATION_BODY,
    "/api/v1/identity/requests/": PRESENTATION_BODY,
    "/api/v1/identity/issuance/requests/": ANSWER_BODY,
}
"""Larger body limits of these routes (webapp.app.BodyLimits); the default is 128 KiB."""

NAME = r"^[a-z0-9][a-z0-9._-]{0,63}$"
ATTRIBUTE = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"
HEX64 = r"^[0-9a-f]{64}$"
HEX128 = r"^[0-9a-f]{128}$"
TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"
DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


# ------------------------------------------------ shared with webapp.api.health


class ApiError(Exception):
    """A refusal with its own status and code (a route's own 404s and configuration errors)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


STATUS: dict[str, int] = {
    "unknown_request": 404,
    "unknown_schema": 404,
    "already_answered": 409,
    "request_conflict": 409,
    "request_expired": 410,
    "mailbox_full": 429,
    "too_many_requests": 429,
    "not_authorised": 403,
    "presentation_rejected": 422,
    "stale_request": 422,
}
"""The status of the identity and health refusal codes that docs/api.md §2 does not list;
every other code maps as the application maps it (:func:`webapp.app.status_of`)."""


def status_of(e: Rejected) -> int:
    if e.code in STATUS:
        return STATUS[e.code]
    from webapp.app import status_of as app_status  # imported late: webapp.app includes us

    return app_status(e)


def error(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status)


class StrictRoute(APIRoute):
    """A route whose every failure is a 4xx ``{"error", "detail"}`` and whose body is strict.

    The application bounds a body's size and depth first (webapp.app.BodyLimits).
    Here a body must be ``application/json`` (else 415) and strict JSON
    (:func:`ledger.entry.parse_json`: UTF-8, no duplicate member, no float, NaN
    or Infinity, depth at most 32; else 400 ``bad_body``) before pydantic
    reads it.  Refusals (:class:`ledger.errors.Rejected`) map through
    :func:`status_of`, so the answer does not depend on the handlers the
    application installs.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            if request.method in ("POST", "PUT", "PATCH"):
                body = await request.body()
                ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
                if body and ctype != "application/json":
                    shown = ctype[:64] or "no content type"
                    return error(
                        415, "unsupported_media_type", f"send application/json, not {shown!r}"
                    )
                if body:
                    try:
                        parse_json(body, max_size=len(body), max_depth=MAX_DEPTH)
                    except Rejected as e:
                        return error(400, "bad_body", e.detail)
                    except ValueError as e:  # e.g. an integer of more than 4300 digits
                        return error(400, "bad_body", str(e)[:200])
            try:
                return await handler(request)
            except ApiError as e:
                return error(e.status, e.code, e.detail)
            except Rejected as e:
                return error(status_of(e), e.code, e.detail)
            except RequestValidationError as e:
                first = e.errors()[0] if e.errors() else {}
                where = ".".join(str(x) for x in first.get("loc", ()))
                return error(400, "bad_request", f"{where}: {first.get('msg', 'invalid request')}")
            except StarletteHTTPException as e:
                code = "not_found" if e.status_code == 404 else "bad_request"
                return error(e.status_code if e.status_code < 500 else 400, code, str(e.detail))

        return run


def clock() -> dt.datetime:
    """The server's time (UTC); tests override this dependency."""
    return dt.datetime.now(dt.UTC)


NowDep = Annotated[dt.datetime, Depends(clock)]


def server_of(request: Request) -> Server:
    """The application's :class:`webapp.api.Server` (one without keys if it has none)."""
    server = getattr(request.app.state, "server", None)
    if not isinstance(server, Server):
        server = request.app.state.server = Server(None)
    return server


EXTRA_ERRORS: dict[int, str] = {
    410: "The presentation request expired",
    429: "Too many open requests (the mailbox or the presentation requests are full)",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` of the statuses beyond the routers' own (webapp.api.ERROR_RESPONSES,
    which every route of these routers documents)."""
    return {
        c: {"model": ErrorOut, "description": EXTRA_ERRORS[c]}
        for c in codes
        if c not in ERROR_RESPONSES
    }


def _integer(value: Any) -> Any:
    if type(value) is not int:
        raise ValueError("must be the integer 1")  # true is not 1 here
    return value


One = Annotated[Literal[1], BeforeValidator(_integer)]
"""A document's ``version``: the JSON integer 1 (``Literal[1]`` alone admits ``true``)."""


class Strict(BaseModel):
    """Request bodies: exact members, JSON types as given (no coercion)."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


class EntryDoc(Strict):
    """A board entry signed on the client (docs/board.md §1) as a JSON object; the server
    appends its RFC 8785 canonical bytes, which the author's signature covers."""

    version: One
    kind: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$", max_length=64)
    time: str = Field(pattern=TIME)
    author: str = Field(pattern=HEX64)
    body: dict[str, Any]
    signature: str = Field(pattern=HEX128)

    def leaf(self) -> bytes:
        """The canonical bytes (MalformedEntry, a 400, when they are not an entry)."""
        data = canonical(self.model_dump())
        Entry.from_leaf(data)
        return data


# ----------------------------------------------------------------- the router

router = APIRouter(
    prefix="/api/v1/identity",
    tags=["identity"],
    route_class=StrictRoute,
    responses=ERROR_RESPONSES,
)


def _data(board: Board) -> BoardData:
    return BoardData.from_board(board)


def _ready(request: Request) -> Board:
    """The board, with the mailbox and session tables created once per application."""
    board = get_board(request)

    def make() -> bool:
        mailbox.ensure_table(board.store)
        sessions.ensure_table(board.store)
        return True

    server_of(request).cache("identity_tables", make)
    return board


ReadyDep = Annotated[Board, Depends(_ready)]
IssuerPath = Annotated[str, Path(pattern=NAME, description="An issuer's board name.")]


# --------------------------------------------------------------------- reads


class KeyOut(BaseModel):
    key_id: str
    issuer: str
    author: str = Field(description="Key id of the Ed25519 board authority that published it.")
    ciphersuite: str
    public_key: str = Field(description="The BBS public key (G2 point), 192 hex digits.")
    since: int = Field(description="Index of the identity.issuer_key entry.")


class AttributeOut(BaseModel):
    name: str
    type: str
    encoding: str


class SchemaOut(BaseModel):
    issuer: str
    id: str
    title: str
    attributes: list[AttributeOut]
    revocation: str
    max_validity_days: int
    digest: str
    since: int


class StatusListSummary(BaseModel):
    issuer: str
    id: str
    purpose: str
    size: int
    since: int
    updated: int


class StatusListOut(StatusListSummary):
    encodedList: str = Field(description="W3C Bitstring Status List: 'u' + base64url(GZIP(bits)).")


class IssuerSummary(BaseModel):
    name: str
    authority: str = Field(description="The issuer's board authority key id.")
    active: bool = Field(description="False once the root revoked the authority.")
    since: int
    keys: list[str]
    schemas: list[str]
    status_lists: list[str]


class IssuerOut(BaseModel):
    name: str
    authority: str
    active: bool
    since: int
    latest_key: str | None
    keys: list[KeyOut]
    schemas: list[SchemaOut]
    status_lists: list[StatusListSummary]


class IssuersOut(BaseModel):
    issuers: list[IssuerSummary]


class SchemasOut(BaseModel):
    schemas: list[SchemaOut]


class StatusListsOut(BaseModel):
    status_lists: list[StatusListSummary]


def _key_out(key_id: str, rec: dict[str, Any]) -> KeyOut:
    return KeyOut(key_id=key_id, **{k: rec[k] for k in KeyOut.model_fields if k != "key_id"})


def _schema_out(rec: dict[str, Any]) -> SchemaOut:
    return SchemaOut.model_validate({k: rec[k] for k in SchemaOut.model_fields})


def _list_out(list_id: str, rec: dict[str, Any]) -> StatusListSummary:
    return StatusListSummary(
        id=list_id, **{k: rec[k] for k in StatusListSummary.model_fields if k != "id"}
    )


def _issuer_authorities(board: Board) -> list[tuple[str, dict[str, Any], bool]]:
    """(key id, record, active) of every authority that holds or held the role issuer."""
    out = []
    for prefix, active in (("authority/", True), ("revoked/", False)):
        for key, rec in board.scan(authorities.DOMAIN, prefix):
            if "issuer" in rec.get("roles", []):
                out.append((key.split("/", 1)[1], rec, active))
    return sorted(out, key=lambda x: int(x[1].get("since", 0)))


def _owned(board: Board, prefix: str, issuer: str | None) -> list[tuple[str, dict[str, Any]]]:
    """Identity state under ``prefix`` (``schema/``, ``status/``), of one issuer or all."""
    scan = prefix + (f"{issuer}/" if issuer is not None else "")
    return [(k.split("/", 2)[2], rec) for k, rec in board.scan("identity", scan)]


def _found(board: Board, key: str, code: str, detail: str) -> dict[str, Any]:
    """The identity state at ``key``, or a 404 ``code`` with ``detail``."""
    rec = board.state("identity", key)
    if rec is None:
        raise ApiError(404, code, detail)
    return dict(rec)


@router.get("/issuers", response_model=IssuersOut, responses=errors())
def issuers(board: BoardDep) -> IssuersOut:
    """Every authority with the role ``issuer`` (revoked ones too, ``active: false``)."""
    keys = board.scan("identity", "key/")
    schemas = _owned(board, "schema/", None)
    lists = _owned(board, "status/", None)
    out = []
    for kid, rec, active in _issuer_authorities(board):
        name = rec["name"]
        out.append(
            IssuerSummary(
                name=name,
                authority=kid,
                active=active,
                since=rec.get("since", 0),
                keys=[k.split("/", 1)[1] for k, v in keys if v["issuer"] == name],
                schemas=[sid for sid, v in schemas if v["issuer"] == name],
                status_lists=[lid for lid, v in lists if v["issuer"] == name],
            )
        )
    return IssuersOut(issuers=out)


@router.get("/issuers/{issuer}", response_model=IssuerOut, responses=errors(404))
def issuer(issuer: IssuerPath, board: BoardDep) -> IssuerOut:
    """One issuer: its BBS keys (latest first by ``latest_key``), schemas and status lists."""
    found = [x for x in _issuer_authorities(board) if x[1]["name"] == issuer]
    if not found:
        raise ApiError(404, "unknown_issuer", f"no issuer {issuer!r} on the board")
    kid, rec, active = found[-1]
    keys = [
        _key_out(k.split("/", 1)[1], v)
        for k, v in board.scan("identity", "key/")
        if v["issuer"] == issuer
    ]
    keys.sort(key=lambda k: k.since)
    return IssuerOut(
        name=issuer,
        authority=kid,
        active=active,
        since=rec.get("since", 0),
        latest_key=keys[-1].key_id if keys else None,
        keys=keys,
        schemas=[_schema_out(v) for _, v in _owned(board, "schema/", issuer)],
        status_lists=[_list_out(lid, v) for lid, v in _owned(board, "status/", issuer)],
    )


@router.get("/issuers/{issuer}/key", response_model=KeyOut, responses=errors(404))
def issuer_key(issuer: IssuerPath, board: BoardDep) -> KeyOut:
    """The issuer's most recently published BBS public key (the one new requests use)."""
    try:
        key = latest_key(_data(board), issuer)
    except Rejected as e:
        raise ApiError(404, "unknown_issuer", e.detail) from None
    rec = board.state("identity", f"key/{key.key_id}")
    return _key_out(key.key_id, rec)


@router.get("/keys/{key_id}", response_model=KeyOut, responses=errors(404))
def key(
    key_id: Annotated[str, Path(pattern=HEX64, description="SHA-256 of the public key, hex.")],
    board: BoardDep,
) -> KeyOut:
    """A BBS public key by its id (``verificationMethod`` of a credential names it)."""
    rec = _found(board, f"key/{key_id}", "unknown_key", f"no issuer key {key_id} on the board")
    return _key_out(key_id, rec)


@router.get("/schemas", response_model=SchemasOut, responses=errors())
def schemas(
    board: BoardDep,
    issuer: Annotated[str | None, Query(pattern=NAME, description="Only this issuer's.")] = None,
) -> SchemasOut:
    """Published credential schemas with their digests (docs/credentials.md §1.2)."""
    return SchemasOut(schemas=[_schema_out(v) for _, v in _owned(board, "schema/", issuer)])


@router.get("/schemas/{issuer}/{schema_id}", response_model=SchemaOut, responses=errors(404))
def schema(
    issuer: IssuerPath,
    schema_id: Annotated[str, Path(pattern=NAME)],
    board: BoardDep,
) -> SchemaOut:
    where = f"{issuer}/{schema_id}"
    rec = _found(board, f"schema/{where}", "unknown_schema", f"no schema {where} on the board")
    return _schema_out(rec)


@router.get("/status-lists", response_model=StatusListsOut, responses=errors())
def status_lists(
    board: BoardDep,
    issuer: Annotated[str | None, Query(pattern=NAME, description="Only this issuer's.")] = None,
) -> StatusListsOut:
    """Status lists without their bits (fetch one for its ``encodedList``)."""
    return StatusListsOut(
        status_lists=[_list_out(lid, v) for lid, v in _owned(board, "status/", issuer)]
    )


@router.get("/status-lists/{issuer}/{list_id}", response_model=StatusListOut, responses=errors(404))
def status_list(
    issuer: IssuerPath,
    list_id: Annotated[str, Path(pattern=NAME)],
    board: BoardDep,
) -> StatusListOut:
    """The whole bitstring: a verifier fetches the list, never asks about one index."""
    where = f"{issuer}/{list_id}"
    rec = _found(board, f"status/{where}", "unknown_status_list", f"no status list {where}")
    return StatusListOut(id=list_id, **{k: rec[k] for k in StatusListOut.model_fields if k != "id"})


# ------------------------------------------------------------------- mailbox


class CredentialRequestDoc(Strict):
    """A ``PnyxCredentialRequest`` (docs/credentials.md §4), made by the holder."""

    version: One
    type: Literal["PnyxCredentialRequest"]
    issuer: str = Field(pattern=NAME)
    issuerKey: str = Field(pattern=HEX64)
    schema_: str = Field(alias="schema", pattern=NAME)
    schemaDigest: str = Field(pattern=HEX64)
    commitment: str = Field(
        pattern=r"^[0-9a-f]{288}$",
        description="commitment_with_proof of CommitWithNym (one nym secret), 144 bytes hex.",
    )


class SubmitBody(Strict):
    request: CredentialRequestDoc
    seal_to: str = Field(
        pattern=HEX64,
        description="The holder's fresh X25519 public key: the issuer seals its answer to it.",
    )


class ListBody(Strict):
    """The issuer's signed query: Ed25519 by its board authority key over
    ``"pnyx/identity/mailbox/list/v1\\n" || JCS({"issuer", "nonce", "time"})``."""

    issuer: str = Field(pattern=NAME)
    time: str = Field(pattern=TIME, description="Within 300 s of the server's clock.")
    nonce: str = Field(pattern=r"^[0-9a-f]{32}$")
    signature: str = Field(pattern=HEX128)
    limit: StrictInt = Field(default=mailbox.MAX_LIST, ge=1, le=mailbox.MAX_LIST)


class AnswerBody(Strict):
    """The issuer's answer: the ``PnyxCredentialIssuance`` (docs/credentials.md §4) sealed
    to the request's ``seal_to`` (libsodium ``crypto_box_seal``), signed by the issuer's
    board authority key (Ed25519) over
    ``"pnyx/identity/mailbox/answer/v2\\n" || JCS({"request", "sealTo", "sealed"})``."""

    sealed: str = Field(
        pattern=r"^(?:[0-9a-f]{2})+$",
        min_length=2 * mailbox.MIN_SEALED,
        max_length=2 * mailbox.MAX_SEALED,
        description="epk (32) || XSalsa20-Poly1305 box (tag first), lowercase hex.",
    )
    signature: str = Field(pattern=HEX128)


class MailOut(BaseModel):
    id: str = Field(description="The request id: first 16 hex digits of SHA-256(JCS(request)).")
    issuer: str
    schema_: str = Field(alias="schema")
    status: Literal["pending", "issued"]
    received: str
    expires: str
    request: dict[str, Any]
    seal_to: str = Field(description="The holder's X25519 public key, 64 hex.")
    sealed: str | None = Field(description="The sealed issuance once answered, hex.")
    signature: str | None
    answered: str | None


class PendingItem(BaseModel):
    id: str
    schema_: str = Field(alias="schema")
    received: str
    expires: str
    request: dict[str, Any]
    seal_to: str


class PendingOut(BaseModel):
    issuer: str
    requests: list[PendingItem]


class DeletedOut(BaseModel):
    id: str
    deleted: bool


RequestId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="A request id.")]


def _mail_out(m: mailbox.Mail) -> MailOut:
    return MailOut.model_validate(m.to_json())


@router.post(
    "/issuance/requests",
    response_model=MailOut,
    status_code=201,
    responses={**errors(403, 409, 413, 429), 200: {"model": MailOut, "description": "known"}},
)
def submit_request(body: SubmitBody, board: ReadyDep, now: NowDep, response: Response) -> MailOut:
    """Holder: post a blind issuance request and the X25519 key to seal the answer to
    (201; 200 with its state if posted before)."""
    doc = body.request.model_dump(by_alias=True)
    mail, new = mailbox.submit(board.store, _data(board), doc, body.seal_to, now)
    response.status_code = 201 if new else 200
    return _mail_out(mail)


@router.post("/issuance/pending", response_model=PendingOut, responses=errors(403, 413))
def pending_requests(body: ListBody, board: ReadyDep, now: NowDep) -> PendingOut:
    """Issuer: its unanswered requests, oldest first, for a query signed by its board key."""
    mails = mailbox.pending(
        board.store,
        _data(board),
        body.issuer,
        body.time,
        body.nonce,
        body.signature,
        now,
        body.limit,
    )
    return PendingOut(
        issuer=body.issuer, requests=[PendingItem.model_validate(m.summary()) for m in mails]
    )


@router.get("/issuance/requests/{request_id}", response_model=MailOut, responses=errors(404))
def fetch_request(request_id: RequestId, board: ReadyDep, now: NowDep) -> MailOut:
    """Holder: the request's state and, once issued, the issuer's sealed answer."""
    return _mail_out(mailbox.fetch(board.store, request_id, now))


@router.post(
    "/issuance/requests/{request_id}/response",
    response_model=MailOut,
    status_code=201,
    responses=errors(403, 404, 409, 413),
)
def answer_request(
    request_id: RequestId, body: AnswerBody, board: ReadyDep, now: NowDep
) -> MailOut:
    """Issuer: the sealed, signed answer to a request (kept once, never replaced)."""
    mail = mailbox.answer(board.store, _data(board), request_id, body.sealed, body.signature, now)
    return _mail_out(mail)


@router.delete("/issuance/requests/{request_id}", response_model=DeletedOut, responses=errors(404))
def delete_request(request_id: RequestId, board: ReadyDep, now: NowDep) -> DeletedOut:
    """Holder: forget the request and its answer once the credential is in the wallet."""
    mailbox.remove(board.store, request_id, now)
    return DeletedOut(id=request_id, deleted=True)


# ------------------------------------------------------------- presentations


class PredicateDoc(Strict):
    attribute: str = Field(pattern=ATTRIBUTE)
    op: Literal["<=", ">="]
    value: StrictInt | StrictStr = Field(description="An integer, or a date YYYY-MM-DD.")


class PseudonymDoc(Strict):
    context: str = Field(pattern=r"^[\x21-\x7e]{1,200}$")


class PresentationRequestDoc(Strict):
    """A ``PnyxPresentationRequest`` (docs/credentials.md §6)."""

    version: One
    type: Literal["PnyxPresentationRequest"]
    issuer: str = Field(pattern=NAME)
    schema_: str = Field(alias="schema", pattern=NAME)
    disclose: list[Annotated[str, Field(pattern=ATTRIBUTE)]] = Field(max_length=64)
    predicates: list[PredicateDoc] = Field(max_length=16)
    date: str = Field(pattern=DATE)
    nonce: str = Field(pattern=r"^(?:[0-9a-f]{2}){16,64}$")
    pseudonym: PseudonymDoc | None = None


class VerifyBody(Strict):
    request: PresentationRequestDoc
    presentation: dict[str, Any] = Field(description="The W3C VP of docs/credentials.md §7.")


class SessionBody(Strict):
    """What the verifier asks; the server adds the date (default: today, UTC) and the nonce."""

    issuer: str = Field(pattern=NAME)
    schema_: str = Field(alias="schema", pattern=NAME)
    disclose: list[Annotated[str, Field(pattern=ATTRIBUTE)]] = Field(default=[], max_length=64)
    predicates: list[PredicateDoc] = Field(default=[], max_length=16)
    pseudonym: PseudonymDoc | None = None
    date: str | None = Field(default=None, pattern=DATE)
    ttl_seconds: StrictInt = Field(
        default=sessions.DEFAULT_TTL, ge=sessions.MIN_TTL, le=sessions.MAX_TTL
    )


class PresentationBody(Strict):
    presentation: dict[str, Any] = Field(description="The W3C VP of docs/credentials.md §7.")


class CheckOut(BaseModel):
    check: Literal[
        "shape",
        "nonce",
        "issuer_key",
        "schema",
        "disclosure",
        "predicates",
        "pseudonym",
        "proof",
        "status",
    ]
    ok: bool | None = Field(description="True passed, false failed, null not reached.")
    detail: str


class VerifiedOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    issuer: str
    schema_: str = Field(alias="schema")
    key_id: str
    disclosed: dict[str, Any]
    predicates: list[str]
    pseudonym: str | None = None
    status: dict[str, Any] | None = None


class PredicateOut(BaseModel):
    predicate: str = Field(description="e.g. birthDate <= 2008-11-25")
    proved: bool | None = Field(description="True proved, false refused, null not known.")


class VerdictOut(BaseModel):
    valid: bool
    reason: str | None = Field(description="docs/credentials.md §8 reason code when not valid.")
    detail: str | None
    result: VerifiedOut | None
    checks: list[CheckOut]
    predicates: list[PredicateOut] = Field(
        description="Each requested predicate and validUntil >= date, in the request's order."
    )


class SessionOut(BaseModel):
    id: str
    status: Literal["pending", "verified", "expired"]
    request: dict[str, Any] = Field(description="The PnyxPresentationRequest to answer.")
    created: str
    expires: str
    answered: str | None
    verdict: VerdictOut | None


SessionId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="A request id.")]


def _presentation_request(doc: PresentationRequestDoc) -> PresentationRequest:
    request = PresentationRequest.from_json(doc.model_dump(by_alias=True, exclude_none=True))
    try:
        canonical(request.to_json())
    except Rejected as e:
        raise BadDocument(f"the request has no canonical form: {e.detail}") from None
    return request


@router.post("/presentations/verify", response_model=VerdictOut, responses=errors(413))
def verify(body: VerifyBody, board: BoardDep) -> VerdictOut:
    """Check a presentation against a request from the board: a verdict, valid or not.

    Statelessly: the caller answers for the nonce's freshness (a request made
    with ``POST /requests`` is single-use).
    """
    request = _presentation_request(body.request)
    verdict = judge(_data(board), request, body.presentation)
    return VerdictOut.model_validate(verdict.to_json())


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadDocument(f"date {text!r} is not a calendar date") from None


def _session_out(s: sessions.Session, now: dt.datetime) -> SessionOut:
    return SessionOut.model_validate(s.to_json(now))


@router.post(
    "/requests", response_model=SessionOut, status_code=201, responses=errors(404, 413, 429)
)
def create_request(body: SessionBody, board: ReadyDep, now: NowDep) -> SessionOut:
    """Verifier: a presentation request with a fresh server nonce, stored until it expires."""
    s = sessions.create(
        board.store,
        _data(board),
        body.issuer,
        body.schema_,
        list(body.disclose),
        [p.model_dump() for p in body.predicates],
        None if body.pseudonym is None else body.pseudonym.context,
        _date(body.date),
        body.ttl_seconds,
        now,
    )
    return _session_out(s, now)


@router.get("/requests/{request_id}", response_model=SessionOut, responses=errors(404))
def get_request(request_id: SessionId, board: ReadyDep, now: NowDep) -> SessionOut:
    """The request to answer (holder) or its state and verdict (verifier)."""
    return _session_out(sessions.get(board.store, request_id, now), now)


@router.post(
    "/requests/{request_id}/response",
    response_model=VerdictOut,
    responses=errors(404, 409, 410, 413, 422),
)
def answer_presentation(
    request_id: SessionId, body: PresentationBody, board: ReadyDep, now: NowDep
) -> VerdictOut:
    """Holder: answer a request.  A valid presentation closes it and its verdict is kept;
    a refused one is a 422 ``presentation_rejected`` and leaves nothing behind."""
    verdict = sessions.answer(board.store, _data(board), request_id, body.presentation, now)
    return VerdictOut.model_validate(verdict.to_json())

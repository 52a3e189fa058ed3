"""Presentation sessions: a verifier's request with a server nonce, and its verdict.

docs/credentials.md §6–§8 carried by the HTTP API (docs/api.md §Identity).  A
verifier creates a session (:func:`create`): a ``PnyxPresentationRequest``
whose 32-byte nonce the server draws, checked against the schema on the
board, stored with an expiry.  The holder reads it by id (a link or a QR
code), presents, and posts the presentation (:func:`answer`); the server
verifies it from the board (:func:`services.identity.verdict.judge`) and keeps
the verdict of the first valid one, which closes the session: the nonce is
used once.  A refused presentation is reported to whoever posted it and
leaves nothing behind (a third party who saw the link cannot spoil the
session).

Table ``identity_presentation_sessions`` beside the board's tables: the
request, the times, the verdict.  Bounds: at most :data:`MAX_SESSIONS` rows; a
session lives :data:`MIN_TTL` to :data:`MAX_TTL` seconds, and is purged
:data:`RETENTION` after it expires.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, MetaData, String, Table, Text, delete, func, insert, select
from sqlalchemy import inspect as sa_inspect

from ledger.entry import canonical
from ledger.errors import NotFound, Rejected
from ledger.store import Store, Txn
from services.identity.board_data import BoardData
from services.identity.errors import BadDocument, IdentityError, PresentationRejected
from services.identity.presentation import predicate_range
from services.identity.request import PresentationRequest
from services.identity.verdict import Verdict, judge

MIN_TTL = 60
MAX_TTL = 86_400
DEFAULT_TTL = 900
RETENTION = dt.timedelta(days=1)
MAX_SESSIONS = 20_000
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
ID_RE = re.compile(r"[0-9a-f]{32}")

SESSIONS = Table(
    "identity_presentation_sessions",
    MetaData(),
    Column("id", String(32), primary_key=True),
    Column("request", Text, nullable=False),
    Column("created", String(20), nullable=False),
    Column("expires", String(20), nullable=False, index=True),
    Column("verdict", Text, nullable=True),
    Column("answered", String(20), nullable=True),
)


class UnknownSession(NotFound):
    code = "unknown_request"


class SessionExpired(IdentityError):
    code = "request_expired"


class AlreadyAnswered(IdentityError):
    code = "already_answered"


class TooManySessions(IdentityError):
    code = "too_many_requests"


class UnknownSchema(NotFound):
    code = "unknown_schema"


def _stamp(t: dt.datetime) -> str:
    return t.strftime(TIME_FORMAT)


def _naive(now: dt.datetime) -> dt.datetime:
    return now.replace(tzinfo=None, microsecond=0)


@dataclass(frozen=True)
class Session:
    id: str
    request: PresentationRequest
    created: str
    expires: str
    verdict: dict[str, Any] | None
    answered: str | None

    def status(self, now: dt.datetime) -> str:
        if self.verdict is not None:
            return "verified"
        return "expired" if self.expires <= _stamp(_naive(now)) else "pending"

    def to_json(self, now: dt.datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status(now),
            "request": self.request.to_json(),
            "created": self.created,
            "expires": self.expires,
            "answered": self.answered,
            "verdict": self.verdict,
        }


def _session(row: Any) -> Session:
    return Session(
        row.id,
        PresentationRequest.from_json(json.loads(row.request)),
        row.created,
        row.expires,
        None if row.verdict is None else json.loads(row.verdict),
        row.answered,
    )


def ensure_table(store: Store) -> None:
    """Create ``identity_presentation_sessions`` unless it is there (under the sequencer)."""
    if sa_inspect(store.engine).has_table(SESSIONS.name):
        return
    with store.write() as tx:
        SESSIONS.create(tx.s.connection(), checkfirst=True)


def _purge(tx: Txn, now: dt.datetime) -> None:
    cut = _stamp(_naive(now) - RETENTION)
    tx.s.execute(delete(SESSIONS).where(SESSIONS.c.expires <= cut))


def check_request(data: BoardData, request: PresentationRequest) -> None:
    """The request can be answered on this board: its schema is there, its names and
    predicates fit the schema, and it has a canonical form (the presentation header)."""
    schema = data.schema(request.issuer, request.schema)
    if schema is None:
        raise UnknownSchema(f"no schema {request.issuer}/{request.schema} on the board")
    request.check_against(schema)
    for p in request.predicates:
        predicate_range(schema, p)
    try:
        canonical(request.to_json())
    except Rejected as e:
        raise BadDocument(f"the request has no canonical form: {e.detail}") from None


def create(
    store: Store,
    data: BoardData,
    issuer: str,
    schema: str,
    disclose: list[str],
    predicates: list[Any],
    pseudonym_context: str | None,
    day: dt.date | None,
    ttl: int,
    now: dt.datetime,
) -> Session:
    """A new session whose request carries a fresh nonce drawn here."""
    if type(ttl) is not int or not MIN_TTL <= ttl <= MAX_TTL:
        raise BadDocument(f"ttl_seconds is {MIN_TTL} to {MAX_TTL}")
    doc: dict[str, Any] = {
        "version": 1,
        "type": "PnyxPresentationRequest",
        "issuer": issuer,
        "schema": schema,
        "disclose": disclose,
        "predicates": predicates,
        "date": (day or now.date()).isoformat(),
        "nonce": secrets.token_hex(32),
    }
    if pseudonym_context is not None:
        doc["pseudonym"] = {"context": pseudonym_context}
    request = PresentationRequest.from_json(doc)
    check_request(data, request)
    t = _naive(now)
    session = Session(
        secrets.token_hex(16),
        request,
        _stamp(t),
        _stamp(t + dt.timedelta(seconds=ttl)),
        None,
        None,
    )
    with store.write() as tx:
        _purge(tx, now)
        total = tx.s.execute(select(func.count()).select_from(SESSIONS)).scalar_one()
        if total >= MAX_SESSIONS:
            raise TooManySessions("too many open presentation requests; try again later")
        tx.s.execute(
            insert(SESSIONS).values(
                id=session.id,
                request=json.dumps(request.to_json(), sort_keys=True, ensure_ascii=False),
                created=session.created,
                expires=session.expires,
            )
        )
    return session


def get(store: Store, sid: str, now: dt.datetime) -> Session:
    if not isinstance(sid, str) or not ID_RE.fullmatch(sid):
        raise BadDocument("a presentation request id is 32 lowercase hex digits")
    with store.read() as tx:
        row = tx.s.execute(select(SESSIONS).where(SESSIONS.c.id == sid)).first()
    if row is None:
        raise UnknownSession(f"no presentation request {sid} (never made, or expired long ago)")
    return _session(row)


def answer(store: Store, data: BoardData, sid: str, presentation: Any, now: dt.datetime) -> Verdict:
    """Verify a presentation for session ``sid``; keep the verdict if it is valid.

    Raises :class:`PresentationRejected` (nothing kept) when it is not valid,
    :class:`SessionExpired` or :class:`AlreadyAnswered` when the session is closed.
    """
    session = get(store, sid, now)
    if session.verdict is not None:
        raise AlreadyAnswered(f"request {sid} was answered at {session.answered}")
    if session.status(now) == "expired":
        raise SessionExpired(f"request {sid} expired at {session.expires}")
    verdict = judge(data, session.request, presentation)
    if not verdict.valid:
        assert verdict.reason is not None and verdict.detail is not None
        raise PresentationRejected(verdict.reason, verdict.detail)
    at = _stamp(_naive(now))
    with store.write() as tx:
        row = tx.s.execute(select(SESSIONS).where(SESSIONS.c.id == sid)).first()
        if row is None:
            raise UnknownSession(f"no presentation request {sid}")
        if row.verdict is not None:
            raise AlreadyAnswered(f"request {sid} was answered at {row.answered}")
        tx.s.execute(
            SESSIONS.update()
            .where(SESSIONS.c.id == sid)
            .values(verdict=json.dumps(verdict.to_json(), sort_keys=True), answered=at)
        )
    return verdict

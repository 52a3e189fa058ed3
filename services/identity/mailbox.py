"""The issuance mailbox: blind issuance over a server that holds no issuer secret.

docs/credentials.md §4 (Issuance) carried by the HTTP API (docs/api.md §Identity):

1. the holder posts its ``PnyxCredentialRequest`` with a fresh X25519 public
   key ``seal_to`` (:func:`submit`); the server checks the request against the
   board (issuer key, schema digest) and the commitment's proof of knowledge
   (draft-irtf-cfrg-bbs-blind-signatures, ``deserialize_and_validate_commit``
   under the pseudonym interface), so that only a request an issuer can sign is
   kept, and that ``seal_to`` is a key a box can be sealed to;
2. the issuer lists its pending requests (:func:`pending`), authenticated by an
   Ed25519 signature of its board authority key over
   ``"pnyx/identity/mailbox/list/v1\\n" || JCS({"issuer", "nonce", "time"})``
   with ``time`` within :data:`MAX_SKEW_SECONDS` of the server's clock;
3. the issuer signs blindly on its own machine, **seals** the
   ``PnyxCredentialIssuance`` to ``seal_to`` (:func:`seal_issuance`: libsodium
   ``crypto_box_seal``, an ephemeral X25519 key and XSalsa20-Poly1305 with the
   nonce BLAKE2b-192(epk || pk)) and posts only the sealed box (:func:`answer`)
   with an Ed25519 signature of the same key over
   ``"pnyx/identity/mailbox/answer/v2\\n" || JCS({"request", "sealTo", "sealed"})``;
4. the holder fetches the box by the request id (:func:`fetch`), opens it with
   the X25519 secret it kept, checks the credential with
   :func:`services.identity.issuance.accept` (the page: ``credential.js``) and
   deletes the mail (:func:`remove`).

Table ``identity_mailbox`` (beside the board's tables, like ``health_blobs``):
one row per request id, holding the request, the holder's box key, the sealed
answer and its signature, and times.  No secret and no credential is in it:
the request carries a hiding commitment, the answer is a box only the holder's
X25519 secret opens, so neither the credential's signature nor its attribute
values ever reach the server.  The id (16 hex digits) is known to the holder
and, through the authenticated list, to the issuer.

Bounds: at most :data:`MAX_PENDING_PER_ISSUER` unanswered requests per issuer
and :data:`MAX_ROWS` rows in all; every row expires :data:`TTL` after it was
received and is purged by the next write.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from nacl.exceptions import BadSignatureError, CryptoError
from nacl.exceptions import ValueError as NaclValueError
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.signing import VerifyKey
from sqlalchemy import Column, MetaData, String, Table, Text, delete, func, insert, select
from sqlalchemy import inspect as sa_inspect

from crypto.bbs.backend import ORDER, BBSError, get_backend
from crypto.bbs.blind import deserialize_and_validate_commit
from crypto.bbs.pseudonym import pseudonym_api_id
from ledger import authorities
from ledger.entry import canonical, parse_json
from ledger.errors import DomainRejection, NotFound, Rejected
from ledger.store import Store, Txn
from services.identity import issuance as issuing
from services.identity.board_data import BoardData
from services.identity.credential import Credential
from services.identity.errors import BadDocument, IdentityError
from services.identity.issuance import ISSUANCE_TYPE, VERSION, request_id, request_schema
from services.identity.keys import IssuerKey
from services.identity.schema import Schema

TTL = timedelta(days=7)
MAX_PENDING_PER_ISSUER = 1000
MAX_ROWS = 20_000
MAX_DOCUMENT = 256 * 1024
"""The largest canonical issuance sealed (64 attributes of 1000 characters fit)."""
SEAL_OVERHEAD = 32 + 16
"""crypto_box_seal adds the ephemeral public key and the Poly1305 tag."""
MAX_SEALED = MAX_DOCUMENT + SEAL_OVERHEAD
MIN_SEALED = SEAL_OVERHEAD + 2
"""The smallest box of a JSON object (``{}``)."""
MAX_SKEW_SECONDS = 300
MAX_LIST = 100
COMMITMENT_BYTES = 48 + 3 * 32
"""C || s^ || m^ (one nym secret, no committed message) || challenge."""
LIST_PREFIX = b"pnyx/identity/mailbox/list/v1\n"
ANSWER_PREFIX = b"pnyx/identity/mailbox/answer/v2\n"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
HEX_RE = re.compile(r"[0-9a-f]*")
ID_RE = re.compile(r"[0-9a-f]{16}")
NONCE_RE = re.compile(r"[0-9a-f]{32}")
KEY_RE = re.compile(r"[0-9a-f]{64}")

ISSUANCE = Table(
    "identity_mailbox",
    MetaData(),
    Column("id", String(16), primary_key=True),
    Column("issuer", String(64), nullable=False, index=True),
    Column("request", Text, nullable=False),
    Column("seal_to", String(64), nullable=False),
    Column("received", String(20), nullable=False),
    Column("expires", String(20), nullable=False, index=True),
    Column("sealed", Text, nullable=True),
    Column("signature", String(128), nullable=True),
    Column("answered", String(20), nullable=True),
)
"""Outside ``SQLModel.metadata``, as ``health_blobs``: the board's store creates and
verifies its own tables only; :func:`ensure_table` creates this one.  (Version 1 of the
mailbox kept answers in the clear in ``identity_issuance``; that table is not read.)"""


class MailboxError(IdentityError):
    code = "mailbox"


class UnknownRequest(NotFound):
    """No request with this id in the mailbox (never posted, deleted, or expired)."""

    code = "unknown_request"


class MailboxFull(MailboxError):
    """Too many unanswered requests (for this issuer, or in all)."""

    code = "mailbox_full"


class AlreadyAnswered(MailboxError):
    """The request has an answer already; an answer is never replaced."""

    code = "already_answered"


class RequestConflict(MailboxError):
    """Another request with the same id is in the mailbox (or the same with another key)."""

    code = "request_conflict"


class NotAuthorised(MailboxError):
    """The signature is not the issuer authority's, or its time is stale."""

    code = "not_authorised"


def stamp(t: datetime) -> str:
    """RFC 3339 UTC, to the second."""
    return t.strftime(TIME_FORMAT)


def parse_time(value: Any, what: str) -> datetime:
    """An RFC 3339 UTC time of the form ``2027-01-31T12:00:00Z``."""
    try:
        if not isinstance(value, str) or len(value) != 20:
            raise ValueError
        t = datetime.strptime(value, TIME_FORMAT)
    except ValueError:
        raise BadDocument(
            f"{what} must be an RFC 3339 UTC time, e.g. 2027-01-31T12:00:00Z"
        ) from None
    return t


def _naive(now: datetime) -> datetime:
    return now.replace(tzinfo=None, microsecond=0)


@dataclass(frozen=True)
class Mail:
    """One request in the mailbox and, once the issuer answered, its sealed answer."""

    id: str
    issuer: str
    request: dict[str, Any]
    seal_to: str
    received: str
    expires: str
    sealed: str | None
    signature: str | None
    answered: str | None

    @property
    def status(self) -> str:
        return "pending" if self.sealed is None else "issued"

    def to_json(self) -> dict[str, Any]:
        """What the holder fetches (docs/api.md §Identity, the mailbox)."""
        return {
            "id": self.id,
            "issuer": self.issuer,
            "schema": self.request["schema"],
            "status": self.status,
            "received": self.received,
            "expires": self.expires,
            "request": self.request,
            "seal_to": self.seal_to,
            "sealed": self.sealed,
            "signature": self.signature,
            "answered": self.answered,
        }

    def summary(self) -> dict[str, Any]:
        """What the issuer lists."""
        return {
            "id": self.id,
            "schema": self.request["schema"],
            "received": self.received,
            "expires": self.expires,
            "request": self.request,
            "seal_to": self.seal_to,
        }


def _mail(row: Any) -> Mail:
    return Mail(
        row.id,
        row.issuer,
        json.loads(row.request),
        row.seal_to,
        row.received,
        row.expires,
        row.sealed,
        row.signature,
        row.answered,
    )


def ensure_table(store: Store) -> None:
    """Create ``identity_mailbox`` unless it is there (under the sequencer)."""
    if sa_inspect(store.engine).has_table(ISSUANCE.name):
        return
    with store.write() as tx:
        ISSUANCE.create(tx.s.connection(), checkfirst=True)


def _purge(tx: Txn, now: datetime) -> None:
    tx.s.execute(delete(ISSUANCE).where(ISSUANCE.c.expires <= stamp(_naive(now))))


def _row(tx: Txn, rid: str) -> Any:
    return tx.s.execute(select(ISSUANCE).where(ISSUANCE.c.id == rid)).first()


# ------------------------------------------------------------------ sealing


def box_key(value: Any) -> PublicKey:
    """A holder's X25519 public key as 64 lowercase hex digits that a box can be sealed to.

    A key of small order (the all-zero key among them) is refused: X25519 with it
    gives the all-zero shared secret, which libsodium refuses to use.
    """
    if not isinstance(value, str) or not KEY_RE.fullmatch(value):
        raise BadDocument("seal_to must be an X25519 public key as 64 lowercase hex digits")
    key = PublicKey(bytes.fromhex(value))
    try:
        SealedBox(key).encrypt(b"")
    except CryptoError:
        raise BadDocument("seal_to is a key of small order: no box can be sealed to it") from None
    return key


def seal(plaintext: bytes, seal_to: str) -> str:
    """``crypto_box_seal(plaintext, seal_to)`` as lowercase hex: ``epk || box``.

    libsodium's sealed box: an ephemeral X25519 key pair ``(esk, epk)``, the
    nonce BLAKE2b-192(epk || pk), ``crypto_box`` (X25519, HSalsa20,
    XSalsa20-Poly1305, the 16-byte tag first) of the plaintext; ``esk`` is erased.
    """
    return bytes(SealedBox(box_key(seal_to)).encrypt(plaintext)).hex()


def open_sealed(sealed: str, secret: PrivateKey) -> bytes:
    """The plaintext of a sealed box made for ``secret``'s public key (the holder's side)."""
    if not isinstance(sealed, str) or len(sealed) % 2 or not HEX_RE.fullmatch(sealed):
        raise BadDocument("a sealed box is lowercase hex")
    try:
        return bytes(SealedBox(secret).decrypt(bytes.fromhex(sealed)))
    except CryptoError:
        raise IdentityError("the sealed answer does not open with this key") from None


def open_issuance(mail: Mail, secret: PrivateKey) -> dict[str, Any]:
    """The issuance sealed in ``mail`` (strict JSON, for this request), for a Python holder."""
    if mail.sealed is None:
        raise IdentityError(f"request {mail.id} has no answer yet")
    data = open_sealed(mail.sealed, secret)
    try:
        doc = parse_json(data, max_size=MAX_DOCUMENT)
    except Rejected as e:
        raise BadDocument(f"the sealed answer is not a JSON document: {e.detail}") from None
    if not isinstance(doc, dict) or issuing.request_id_of(doc) != mail.id:
        raise IdentityError(f"the sealed answer is not an issuance for request {mail.id}")
    return doc


# --------------------------------------------------------------------- holder


def check_request(data: BoardData, request: Any) -> tuple[IssuerKey, Schema]:
    """A request an issuer of this board can sign: docs/credentials.md §4, checked in full.

    The shape, the issuer key (the issuer's, on the board, its authority not
    revoked), the schema digest, and the commitment with its proof of
    knowledge for one nym secret and no committed message.
    """
    if not isinstance(request, dict) or not isinstance(request.get("issuer"), str):
        raise BadDocument("a credential request is a PnyxCredentialRequest object")
    schema = request_schema(data, request, request["issuer"])
    key = data.issuer_key(str(request["issuerKey"]))
    assert key is not None  # request_schema checked it
    if not data.authority_active(key.author):
        raise IdentityError(f"the issuer {key.issuer!r} has been revoked on the board")
    commitment = bytes.fromhex(request["commitment"])
    if len(commitment) != COMMITMENT_BYTES:
        raise BadDocument(
            f"the commitment must be {COMMITMENT_BYTES} bytes (one nym secret, CommitWithNym)"
        )
    s = key.suite.suite
    try:
        deserialize_and_validate_commit(s, get_backend(), commitment, pseudonym_api_id(s))
    except BBSError:
        raise IdentityError(
            "the commitment's proof of knowledge does not verify (not a CommitWithNym output)"
        ) from None
    return key, schema


def submit(
    store: Store, data: BoardData, request: Any, seal_to: Any, now: datetime
) -> tuple[Mail, bool]:
    """Keep a holder's request and the key its answer is sealed to; returns the mail and
    whether it is new.

    Posting the same request with the same key again returns the mail as it is
    (with its answer, if any); with another key it is a conflict.
    """
    check_request(data, request)
    box_key(seal_to)
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    rid = request_id(request)
    t = _naive(now)
    with store.write() as tx:
        _purge(tx, now)
        row = _row(tx, rid)
        if row is not None:
            mail = _mail(row)
            if canonical(mail.request) != canonical(request) or mail.seal_to != seal_to:
                raise RequestConflict(
                    "this request is in the mailbox already, to be sealed to another key"
                )
            return mail, False
        waiting = tx.s.execute(
            select(func.count())
            .select_from(ISSUANCE)
            .where(ISSUANCE.c.issuer == request["issuer"], ISSUANCE.c.sealed.is_(None))
        ).scalar_one()
        if waiting >= MAX_PENDING_PER_ISSUER:
            raise MailboxFull(
                f"{request['issuer']} has {MAX_PENDING_PER_ISSUER} unanswered requests; "
                "try again later"
            )
        total = tx.s.execute(select(func.count()).select_from(ISSUANCE)).scalar_one()
        if total >= MAX_ROWS:
            raise MailboxFull("the mailbox is full; try again later")
        mail = Mail(
            rid, request["issuer"], request, seal_to, stamp(t), stamp(t + TTL), None, None, None
        )
        tx.s.execute(
            insert(ISSUANCE).values(
                id=rid,
                issuer=mail.issuer,
                request=text,
                seal_to=seal_to,
                received=mail.received,
                expires=mail.expires,
            )
        )
    return mail, True


def _check_id(rid: str) -> str:
    if not isinstance(rid, str) or not ID_RE.fullmatch(rid):
        raise BadDocument("a request id is 16 lowercase hex digits")
    return rid


def fetch(store: Store, rid: str, now: datetime) -> Mail:
    """The request ``rid`` and its sealed answer, unless it expired."""
    _check_id(rid)
    with store.read() as tx:
        row = _row(tx, rid)
    if row is None or row.expires <= stamp(_naive(now)):
        raise UnknownRequest(f"no request {rid} in the mailbox (never posted, deleted or expired)")
    return _mail(row)


def remove(store: Store, rid: str, now: datetime) -> None:
    """Delete a request and its answer (the holder, once it has kept the credential)."""
    fetch(store, rid, now)
    with store.write() as tx:
        tx.s.execute(delete(ISSUANCE).where(ISSUANCE.c.id == rid))


# --------------------------------------------------------------------- issuer


def issuer_verify_key(data: BoardData, issuer: str) -> bytes:
    """The Ed25519 key of the registered, unrevoked authority ``issuer`` with the role issuer."""
    kid = data.get(authorities.DOMAIN, f"name/{issuer}")
    rec = None if not isinstance(kid, str) else data.get(authorities.DOMAIN, f"authority/{kid}")
    if rec is None or "issuer" not in rec.get("roles", []):
        raise NotAuthorised(f"{issuer!r} is not a registered issuer of this board")
    return bytes.fromhex(rec["public_key"])


def _verify(public_key: bytes, message: bytes, signature: Any) -> bool:
    if not isinstance(signature, str) or len(signature) != 128 or not HEX_RE.fullmatch(signature):
        return False
    try:
        VerifyKey(public_key).verify(message, bytes.fromhex(signature))
    except (BadSignatureError, NaclValueError, TypeError):
        return False
    return True


def list_message(issuer: str, time: str, nonce: str) -> bytes:
    """What the issuer signs to list its pending requests."""
    return LIST_PREFIX + canonical({"issuer": issuer, "time": time, "nonce": nonce})


def answer_message(rid: str, seal_to: str, sealed: str) -> bytes:
    """What the issuer signs with its sealed answer to request ``rid``."""
    return ANSWER_PREFIX + canonical({"request": rid, "sealTo": seal_to, "sealed": sealed})


def pending(
    store: Store,
    data: BoardData,
    issuer: str,
    time: str,
    nonce: str,
    signature: str,
    now: datetime,
    limit: int = MAX_LIST,
) -> list[Mail]:
    """The issuer's unanswered requests, oldest first, after checking its signed query."""
    t = parse_time(time, "time")
    if abs((t - _naive(now)).total_seconds()) > MAX_SKEW_SECONDS:
        raise NotAuthorised(f"the query's time {time} is not within {MAX_SKEW_SECONDS} s of now")
    if not isinstance(nonce, str) or not NONCE_RE.fullmatch(nonce):
        raise BadDocument("nonce must be 32 lowercase hex digits")
    key = issuer_verify_key(data, issuer)
    if not _verify(key, list_message(issuer, time, nonce), signature):
        raise NotAuthorised(f"the query is not signed by the authority key of {issuer!r}")
    with store.read() as tx:
        rows = tx.s.execute(
            select(ISSUANCE)
            .where(
                ISSUANCE.c.issuer == issuer,
                ISSUANCE.c.sealed.is_(None),
                ISSUANCE.c.expires > stamp(_naive(now)),
            )
            .order_by(ISSUANCE.c.received, ISSUANCE.c.id)
            .limit(max(1, min(limit, MAX_LIST)))
        ).all()
    return [_mail(r) for r in rows]


def _scalar_hex(value: Any, what: str) -> None:
    if not isinstance(value, str) or len(value) != 64 or not HEX_RE.fullmatch(value):
        raise BadDocument(f"{what} must be 64 lowercase hex digits")
    if not 0 < int(value, 16) < ORDER:
        raise BadDocument(f"{what} is not a scalar")


def check_issuance(data: BoardData, mail: Mail, issuance: Any) -> None:
    """An answer that fits the request: docs/credentials.md §4 "Issuance", §5.

    The issuer's own check before it seals (the server sees only the box).
    The blind signature itself only the holder can check, with
    ``issuance.accept``.
    """
    fields = {"version", "type", "request", "credential", "signerNymEntropy"}
    if not isinstance(issuance, dict) or set(issuance) != fields:
        raise BadDocument(f"an issuance has the fields {sorted(fields)}")
    if issuance["version"] != VERSION or issuance["type"] != ISSUANCE_TYPE:
        raise BadDocument(f"not a version {VERSION} {ISSUANCE_TYPE}")
    if issuance["request"] != mail.id:
        raise BadDocument(f"the issuance answers another request, not {mail.id}")
    _scalar_hex(issuance["signerNymEntropy"], "signerNymEntropy")
    cred = Credential.from_json(issuance["credential"])
    req = mail.request
    if (cred.key_id, cred.issuer, cred.schema_issuer, cred.schema_id, cred.schema_digest) != (
        req["issuerKey"],
        req["issuer"],
        req["issuer"],
        req["schema"],
        req["schemaDigest"],
    ):
        raise BadDocument("the credential is not for the issuer key and schema requested")
    schema = data.schema(req["issuer"], req["schema"])
    if schema is None:
        raise IdentityError(f"no schema {req['issuer']}/{req['schema']} on the board")
    try:
        schema.check_values(cred.subject)
    except DomainRejection as e:
        raise BadDocument(e.detail) from None
    if schema.uses_status_list != (cred.status is not None):
        raise BadDocument("credentialStatus does not match the schema's revocation")
    days = (cred.valid_until - cred.valid_from).days + 1
    if not 1 <= days <= schema.max_validity_days:
        raise BadDocument(f"schema {schema.id} allows 1 to {schema.max_validity_days} days")
    if len(canonical(issuance)) > MAX_DOCUMENT:
        raise BadDocument(f"the issuance is larger than {MAX_DOCUMENT} bytes")


Sign = Callable[[bytes], bytes]
"""The issuer authority's Ed25519 signature (``ledger.note.Signer.sign``)."""


def sealed_answer(
    data: BoardData, mail: Mail, issuance: dict[str, Any], sign: Sign
) -> tuple[str, str]:
    """The issuer's answer to ``mail``: ``(sealed, signature)``, the body of
    ``POST …/issuance/requests/{id}/response``, after checking ``issuance`` fits it."""
    check_issuance(data, mail, issuance)
    sealed = seal(canonical(issuance), mail.seal_to)
    return sealed, sign(answer_message(mail.id, mail.seal_to, sealed)).hex()


def issue_sealed(
    data: BoardData,
    sk: bytes,
    sign: Sign,
    mail: Mail,
    values: dict[str, Any],
    valid_from: date,
    valid_days: int,
    status: tuple[str, int] | None,
) -> tuple[str, str]:
    """The issuer's whole answer to one pending request: sign ``values`` blindly
    (:func:`services.identity.issuance.issue`), check, seal to the holder's key, sign."""
    issued = issuing.issue(
        data, mail.issuer, sk, mail.request, values, valid_from, valid_days, status
    )
    return sealed_answer(data, mail, issued, sign)


def _check_sealed(sealed: Any) -> None:
    if not isinstance(sealed, str) or len(sealed) % 2 or not HEX_RE.fullmatch(sealed):
        raise BadDocument("sealed must be lowercase hex (a crypto_box_seal box)")
    if not MIN_SEALED <= len(sealed) // 2 <= MAX_SEALED:
        raise BadDocument(f"a sealed answer is {MIN_SEALED} to {MAX_SEALED} bytes")


def answer(
    store: Store, data: BoardData, rid: str, sealed: Any, signature: str, now: datetime
) -> Mail:
    """Keep the issuer's signed, sealed answer to ``rid`` (once; never replaced)."""
    mail = fetch(store, rid, now)
    if mail.sealed is not None:
        raise AlreadyAnswered(f"request {rid} was answered at {mail.answered}")
    _check_sealed(sealed)
    key = issuer_verify_key(data, mail.issuer)
    if not _verify(key, answer_message(rid, mail.seal_to, sealed), signature):
        raise NotAuthorised(f"the answer is not signed by the authority key of {mail.issuer!r}")
    at = stamp(_naive(now))
    with store.write() as tx:
        row = _row(tx, rid)
        if row is None:
            raise UnknownRequest(f"no request {rid} in the mailbox")
        if row.sealed is not None:
            raise AlreadyAnswered(f"request {rid} was answered at {row.answered}")
        tx.s.execute(
            ISSUANCE.update()
            .where(ISSUANCE.c.id == rid)
            .values(sealed=sealed, signature=signature, answered=at)
        )
    return Mail(
        mail.id,
        mail.issuer,
        mail.request,
        mail.seal_to,
        mail.received,
        mail.expires,
        sealed,
        signature,
        at,
    )

"""Presentations: show what a request asks, prove its predicates, check it from board data.

docs/credentials.md §Formats, "Presentation" and "Verifying a presentation".

A presentation is one BBS proof (crypto/bbs/predicates.py: the pseudonym
interface's proof, extended with a Pedersen commitment, an equality proof and
a range proof per predicate, all under one challenge) with

- ``header`` = the credential header (issuer key id, schema digest);
- ``ph`` = ``"pnyx/presentation/v1\\n" || JCS(request)`` (the verifier's nonce);
- disclosed: the requested attributes and, for ``status_list`` schemas only,
  ``statusListCredential`` and ``statusListIndex``;
- predicates: the requested ones, and always ``validUntil ≥ request.date``
  (proved in ``[date, date + max_validity_days]``; an honestly issued
  credential's last day is never later, and the lower bound is what counts);
- the pseudonym for the request's context, or, when the request asks for
  none, for a context the holder draws at random (``pnyx/unlinked/<32 random
  bytes, hex>``): the nym secret is proved either way, and a random context
  makes that pseudonym a fresh value that links nothing (a verifier-chosen one,
  e.g. derived from the nonce, could be replayed to link presentations).

Nothing else leaves the wallet: not the signature, not the other attributes,
not validFrom/validUntil, not the holder's secrets.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from crypto.bbs.backend import BBSError
from crypto.bbs.predicates import NymInput, Presentation
from crypto.bbs.predicates import present as bbs_present
from crypto.bbs.predicates import verify_presentation as bbs_verify
from ledger.errors import DomainRejection
from services.identity.board_data import BoardData
from services.identity.credential import (
    CONTEXT,
    CREDENTIAL_TYPE,
    CRYPTOSUITE,
    SCHEMA_TYPE,
    STATUS_INDEX,
    STATUS_LIST,
    VALID_UNTIL,
    Credential,
    Layout,
    credential_header,
    issuer_urn,
    key_urn,
    multibase_hex,
    parse_issuer,
    parse_key,
    parse_schema_ref,
    parse_status_entry,
    schema_urn,
    status_entry,
    status_urn,
)
from services.identity.errors import BadDocument, CannotPresent, PresentationRejected
from services.identity.keys import IssuerKey
from services.identity.request import Predicate, PresentationRequest
from services.identity.schema import (
    INT64_MAX,
    INT64_MIN,
    Schema,
    day_number,
)

PRESENTATION_TYPE = ["VerifiablePresentation"]
UNLINKED_PREFIX = "pnyx/unlinked/"
UNLINKED_RE = re.compile(r"pnyx/unlinked/[0-9a-f]{64}")
MAX_PROOF = 256 * 1024
DATE_MIN = day_number(date(1, 1, 1))
DATE_MAX = day_number(date(9999, 12, 31))


def predicate_range(schema: Schema, p: Predicate) -> tuple[int, int]:
    """``[lo, hi]`` proved for a predicate: the bound on one side, the type's limit on the other."""
    bound = p.bound(schema)
    attr = schema.attribute(p.attribute)
    lo_limit, hi_limit = (DATE_MIN, DATE_MAX) if attr.type == "date" else (INT64_MIN, INT64_MAX)
    lo, hi = (lo_limit, bound) if p.op == "<=" else (bound, hi_limit)
    if not lo < hi:
        raise BadDocument(f"the predicate {p} leaves no range to prove")
    return lo, hi


@dataclass(frozen=True)
class _Statement:
    """What a presentation proves, as both sides compute it from the request and the board."""

    key: IssuerKey
    schema: Schema
    layout: Layout
    disclosed: tuple[int, ...]
    predicates: dict[int, tuple[int, int]]

    @property
    def header(self) -> bytes:
        return credential_header(self.key.key_id, self.schema)


def _statement(key: IssuerKey, schema: Schema, request: PresentationRequest) -> _Statement:
    layout = Layout(schema)
    request.check_against(schema)
    shown = {layout.index(n) for n in request.disclose}
    if schema.uses_status_list:
        shown |= {layout.index(STATUS_LIST), layout.index(STATUS_INDEX)}
    preds = {layout.index(p.attribute): predicate_range(schema, p) for p in request.predicates}
    preds[layout.index(VALID_UNTIL)] = (request.day, request.day + schema.max_validity_days)
    return _Statement(key, schema, layout, tuple(sorted(shown)), preds)


def _context_id(context: str) -> bytes:
    return context.encode("ascii")


# ------------------------------------------------------------------ holder


def present(
    data: BoardData, record: dict[str, Any], request: PresentationRequest
) -> dict[str, Any]:
    """The holder's presentation of a wallet ``record`` for ``request`` (W3C VP JSON).

    Raises :class:`CannotPresent` when the credential cannot satisfy the
    request (another issuer or schema, expired, a predicate that does not hold).
    """
    cred = Credential.from_json(record["credential"])
    holder = record["secrets"]
    if (cred.issuer, cred.schema_id) != (request.issuer, request.schema):
        raise CannotPresent(
            f"the request asks for {request.issuer}/{request.schema}, "
            f"this credential is {cred.issuer}/{cred.schema_id}"
        )
    key = data.issuer_key(cred.key_id)
    schema = data.schema(cred.schema_issuer, cred.schema_id)
    if key is None or schema is None or schema.digest != cred.schema_digest:
        raise CannotPresent("the credential's issuer key or schema is not on this board")
    st = _statement(key, schema, request)
    values = cred.values()
    if cred.valid_until < date.fromisoformat(request.date):
        raise CannotPresent(f"the credential expired on {cred.valid_until.isoformat()}")
    for p in request.predicates:
        attr = schema.attribute(p.attribute)
        if not p.holds(attr.integer(values[p.attribute]), p.bound(schema)):
            raise CannotPresent(f"the predicate {p} does not hold for this credential")
    context = (
        request.pseudonym_context
        if request.pseudonym_context is not None
        else UNLINKED_PREFIX + secrets.token_hex(32)
    )
    nym = NymInput(
        _context_id(context),
        (int(holder["nymSecret"], 16),),
        int(holder["proverBlind"], 16),
    )
    try:
        pres = bbs_present(
            key.suite,
            key.public_key,
            cred.signature,
            st.header,
            request.presentation_header,
            st.layout.messages(values),
            list(st.disclosed),
            predicates=st.predicates,
            nym=nym,
        )
    except BBSError as e:
        raise CannotPresent(f"cannot prove this request: {e}") from None
    assert pres.pseudonym is not None
    names = st.layout.names
    subject = {names[i]: values[names[i]] for i in st.disclosed if names[i] in request.disclose}
    vc: dict[str, Any] = {
        "@context": CONTEXT,
        "type": CREDENTIAL_TYPE,
        "issuer": issuer_urn(cred.issuer),
        "credentialSchema": {
            "id": schema_urn(schema.issuer, schema.id),
            "type": SCHEMA_TYPE,
            "digest": schema.digest,
        },
        "credentialSubject": subject,
    }
    if cred.status is not None:
        vc["credentialStatus"] = status_entry(cred.issuer, *cred.status)
    vc["proof"] = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "verificationMethod": key_urn(key.key_id),
        "proofPurpose": "authentication",
        "challenge": request.nonce,
        "predicates": [p.to_json() for p in request.predicates]
        + [{"attribute": VALID_UNTIL, "op": ">=", "value": request.date}],
        "pseudonym": {"context": context, "value": pres.pseudonym.hex()},
        "proofValue": "f" + pres.to_bytes().hex(),
    }
    return {"@context": CONTEXT, "type": PRESENTATION_TYPE, "verifiableCredential": [vc]}


# ---------------------------------------------------------------- verifier


@dataclass(frozen=True)
class Verified:
    """What a valid presentation established."""

    issuer: str
    schema: str
    disclosed: dict[str, Any]
    predicates: tuple[str, ...]
    pseudonym: str | None
    """The pseudonym for the request's context (None when the request asked for none)."""
    status: tuple[str, int] | None = field(default=None)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "issuer": self.issuer,
            "schema": self.schema,
            "disclosed": self.disclosed,
            "predicates": list(self.predicates),
        }
        if self.pseudonym is not None:
            doc["pseudonym"] = self.pseudonym
        if self.status is not None:
            doc["status"] = {"list": self.status[0], "index": self.status[1]}
        return doc


def _reject(reason: str, detail: str) -> PresentationRejected:
    return PresentationRejected(reason, detail)


def _shape(doc: Any) -> dict[str, Any]:
    """Step 1: one credential in a VerifiablePresentation, with exactly the known members."""
    if not isinstance(doc, dict) or set(doc) != {"@context", "type", "verifiableCredential"}:
        raise _reject("malformed", "a presentation is {@context, type, verifiableCredential}")
    if doc["@context"] != CONTEXT or doc["type"] != PRESENTATION_TYPE:
        raise _reject("malformed", "not a Pnyx VerifiablePresentation (@context, type)")
    creds = doc["verifiableCredential"]
    if not isinstance(creds, list) or len(creds) != 1 or not isinstance(creds[0], dict):
        raise _reject("malformed", "a presentation carries exactly one credential")
    vc = creds[0]
    fields = {"@context", "type", "issuer", "credentialSchema", "credentialSubject", "proof"}
    if not fields <= set(vc) <= fields | {"credentialStatus"}:
        raise _reject("malformed", f"a presented credential has the members {sorted(fields)}")
    if vc["@context"] != CONTEXT or vc["type"] != CREDENTIAL_TYPE:
        raise _reject("malformed", "not a Pnyx credential (@context, type)")
    proof = vc["proof"]
    keys = {
        "type",
        "cryptosuite",
        "verificationMethod",
        "proofPurpose",
        "challenge",
        "predicates",
        "pseudonym",
        "proofValue",
    }
    if not isinstance(proof, dict) or set(proof) != keys:
        raise _reject("malformed", f"a presentation proof has the members {sorted(keys)}")
    if (proof["type"], proof["cryptosuite"], proof["proofPurpose"]) != (
        "DataIntegrityProof",
        CRYPTOSUITE,
        "authentication",
    ):
        raise _reject("malformed", f"the proof must be a {CRYPTOSUITE} DataIntegrityProof")
    if not isinstance(vc["credentialSubject"], dict):
        raise _reject("malformed", "credentialSubject is an object")
    return vc


def verify_presentation(data: BoardData, request: PresentationRequest, doc: Any) -> Verified:
    """Check a presentation against a request from board data alone (steps of docs §Formats).

    Raises :class:`PresentationRejected` with the reason: ``malformed``,
    ``nonce_mismatch``, ``unknown_issuer``, ``issuer_revoked``, ``schema_mismatch``,
    ``disclosure_mismatch``, ``predicate_failed``, ``pseudonym_mismatch``,
    ``status_mismatch``, ``proof_invalid``, ``revoked``.
    """
    try:
        return _verify(data, request, doc)
    except BadDocument as e:
        raise _reject("malformed", e.detail) from None


def _verify(data: BoardData, request: PresentationRequest, doc: Any) -> Verified:
    # 1. shape
    vc = _shape(doc)
    proof = vc["proof"]
    # 2. freshness: the proof answers this request's nonce
    if proof["challenge"] != request.nonce:
        raise _reject(
            "nonce_mismatch",
            "the presentation was made for another request (nonce differs): a replay",
        )
    # 3. the issuer and its key are on the board, the issuer is not revoked
    issuer = parse_issuer(vc["issuer"])
    key = data.issuer_key(parse_key(proof["verificationMethod"]))
    if key is None or key.issuer != issuer:
        raise _reject(
            "unknown_issuer", f"no BBS key of issuer {issuer!r} with this id on the board"
        )
    if not data.authority_active(key.author):
        raise _reject("issuer_revoked", f"the issuer {issuer!r} has been revoked on the board")
    if issuer != request.issuer:
        raise _reject(
            "unknown_issuer", f"the request asks for issuer {request.issuer!r}, not {issuer!r}"
        )
    # 4. the schema is the requested one, as published on the board
    sref = vc["credentialSchema"]
    if not isinstance(sref, dict) or set(sref) != {"id", "type", "digest"}:
        raise _reject("malformed", "credentialSchema is {id, type, digest}")
    s_issuer, sid = parse_schema_ref(sref["id"])
    if (s_issuer, sid) != (request.issuer, request.schema):
        raise _reject(
            "schema_mismatch",
            f"the request asks for schema {request.issuer}/{request.schema}, "
            f"the presentation is of {s_issuer}/{sid}",
        )
    schema = data.schema(s_issuer, sid)
    if schema is None:
        raise _reject("schema_mismatch", f"no schema {s_issuer}/{sid} on the board")
    if sref["digest"] != schema.digest or sref["type"] != SCHEMA_TYPE:
        raise _reject("schema_mismatch", "the credential's schema digest is not the board's")
    st = _statement(key, schema, request)
    # 5. exactly the requested attributes, each a valid value of its type
    subject = vc["credentialSubject"]
    if set(subject) != set(request.disclose):
        raise _reject(
            "disclosure_mismatch",
            f"disclosed {sorted(subject)}, the request asks for {sorted(request.disclose)}",
        )
    for name, value in subject.items():
        try:
            schema.attribute(name).check_value(value)
        except DomainRejection as e:
            raise _reject("schema_mismatch", e.detail) from None
    # 6. exactly the requested predicates (and validUntil ≥ date)
    claimed = proof["predicates"]
    wanted = [p.to_json() for p in request.predicates] + [
        {"attribute": VALID_UNTIL, "op": ">=", "value": request.date}
    ]
    if claimed != wanted:
        raise _reject(
            "predicate_failed",
            f"the presentation proves {_describe(claimed)}, the request asks {_describe(wanted)}",
        )
    # 7. the pseudonym for the requested context (or a holder-drawn unlinked one)
    nym = proof["pseudonym"]
    if not isinstance(nym, dict) or set(nym) != {"context", "value"}:
        raise _reject("malformed", "pseudonym is {context, value}")
    context = nym["context"]
    if request.pseudonym_context is not None:
        if context != request.pseudonym_context:
            raise _reject(
                "pseudonym_mismatch",
                f"the pseudonym is for context {context!r}, "
                f"the request asks for {request.pseudonym_context!r}",
            )
    elif not isinstance(context, str) or not UNLINKED_RE.fullmatch(context):
        raise _reject("pseudonym_mismatch", "an unasked pseudonym must use a random context")
    # 8. status: a status_list credential shows its entry, a short-lived one none
    status = None
    if schema.uses_status_list:
        if "credentialStatus" not in vc:
            raise _reject("status_mismatch", "a revocable credential must show its status entry")
        status = parse_status_entry(vc["credentialStatus"], issuer)
    elif "credentialStatus" in vc:
        raise _reject("status_mismatch", "a short-lived credential has no status entry")
    # 9. the proof
    raw = multibase_hex(proof["proofValue"], "proofValue")
    if len(raw) > MAX_PROOF:
        raise _reject("malformed", f"the proof value is over {MAX_PROOF} bytes")
    try:
        pres = Presentation.from_bytes(raw)
    except (BBSError, ValueError):
        raise _reject("proof_invalid", "the proof value does not decode") from None
    if (
        pres.num_messages != len(st.layout)
        or pres.committed != 0
        or pres.nym_length != 1
        or pres.pseudonym is None
        or pres.pseudonym.hex() != nym["value"]
    ):
        raise _reject("proof_invalid", "the proof does not match the credential layout")
    values = dict(subject)
    if status is not None:
        values[STATUS_LIST] = status_urn(issuer, status[0])
        values[STATUS_INDEX] = status[1]
    names = st.layout.names
    disclosed = {i: st.layout.attribute(names[i]).encode(values[names[i]]) for i in st.disclosed}
    ok = bbs_verify(
        key.suite,
        key.public_key,
        pres,
        st.header,
        request.presentation_header,
        disclosed,
        predicates=st.predicates,
        context_id=_context_id(context),
        num_messages=len(st.layout),
    )
    if not ok:
        raise _reject(
            "proof_invalid",
            "the proof does not verify for these disclosed values, predicates and request",
        )
    # 10. revocation, now that the status index is authenticated
    if status is not None:
        sl = data.status_list(issuer, status[0])
        if sl is None:
            raise _reject("status_mismatch", f"no status list {issuer}/{status[0]} on the board")
        try:
            revoked = sl.get(status[1])
        except DomainRejection as e:
            raise _reject("status_mismatch", e.detail) from None
        if revoked:
            raise _reject(
                "revoked", f"the issuer revoked this credential ({status[0]}#{status[1]})"
            )
    return Verified(
        issuer,
        schema.id,
        dict(subject),
        tuple(_describe([w]) for w in wanted),
        nym["value"] if request.pseudonym_context is not None else None,
        status,
    )


def _describe(preds: Any) -> str:
    if not isinstance(preds, list):
        return "nothing valid"
    parts = []
    for p in preds:
        if isinstance(p, dict) and {"attribute", "op", "value"} <= set(p):
            parts.append(f"{p['attribute']} {p['op']} {p['value']}")
        else:
            parts.append("?")
    return ", ".join(parts) or "nothing"

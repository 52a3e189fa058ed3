"""The presentation request: what a verifier asks a holder to show.

docs/credentials.md §Formats, "Presentation request"::

    {"version": 1, "type": "PnyxPresentationRequest",
     "issuer": "cityhall", "schema": "eid",
     "disclose": ["district"],
     "predicates": [{"attribute": "birthDate", "op": "<=", "value": "2008-05-01"}],
     "date": "2026-05-01",
     "nonce": "<32 to 128 hex digits>",
     "pseudonym": {"context": "election-2026"}}        (optional)

``date`` is the verifier's day: every presentation also proves, without
showing it, that the credential's ``validUntil`` is on or after it.  The
presentation header of the BBS proof (draft-irtf-cfrg-bbs-signatures §3.5.3,
``ph``) is ``"pnyx/presentation/v1\\n" || JCS(request)``: it carries the
verifier's fresh nonce and everything else asked, so a proof made for one
request never verifies for another.
"""

from __future__ import annotations

import datetime
import re
import secrets
from dataclasses import dataclass
from typing import Any

import rfc8785

from ledger.entry import parse_json
from ledger.errors import DomainRejection, Rejected
from services.identity.errors import BadDocument
from services.identity.schema import (
    ATTRIBUTE_RE,
    SCHEMA_ID_RE,
    Schema,
    day_number,
    parse_date,
)

VERSION = 1
TYPE = "PnyxPresentationRequest"
HEADER_PREFIX = b"pnyx/presentation/v1\n"
NONCE_RE = re.compile(r"(?:[0-9a-f]{2}){16,64}")
CONTEXT_RE = re.compile(r"[\x21-\x7e]{1,200}")
OPS = ("<=", ">=")
MAX_DOCUMENT = 1 << 20
ISSUER_NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


def load_document(data: bytes, what: str) -> dict[str, Any]:
    """Strict JSON (no duplicate keys, integers only, ≤ 1 MiB, depth ≤ 32) as an object."""
    try:
        doc = parse_json(data, max_size=MAX_DOCUMENT)
    except Rejected as e:
        raise BadDocument(f"{what}: {e.detail}") from None
    if not isinstance(doc, dict):
        raise BadDocument(f"{what}: not a JSON object")
    return doc


@dataclass(frozen=True)
class Predicate:
    """``attribute op value``: a hidden ``integer`` or ``date`` attribute against a bound."""

    attribute: str
    op: str
    value: Any

    @classmethod
    def from_json(cls, doc: Any) -> Predicate:
        if not isinstance(doc, dict) or set(doc) != {"attribute", "op", "value"}:
            raise BadDocument("a predicate is {attribute, op, value}")
        if not isinstance(doc["attribute"], str) or not ATTRIBUTE_RE.fullmatch(doc["attribute"]):
            raise BadDocument(f"bad predicate attribute {doc['attribute']!r}")
        if doc["op"] not in OPS:
            raise BadDocument(f"a predicate op is one of {', '.join(OPS)}")
        v = doc["value"]
        if not (type(v) is int or isinstance(v, str)):
            raise BadDocument("a predicate value is an integer or a date")
        return cls(doc["attribute"], doc["op"], v)

    def to_json(self) -> dict[str, Any]:
        return {"attribute": self.attribute, "op": self.op, "value": self.value}

    def bound(self, schema: Schema) -> int:
        """The bound as the integer the attribute is encoded to."""
        try:
            return schema.attribute(self.attribute).integer(self.value)
        except DomainRejection as e:
            raise BadDocument(f"predicate on {self.attribute}: {e.detail}") from None

    def holds(self, value: int, bound: int) -> bool:
        return value <= bound if self.op == "<=" else value >= bound

    def __str__(self) -> str:
        return f"{self.attribute} {self.op} {self.value}"


@dataclass(frozen=True)
class PresentationRequest:
    issuer: str
    schema: str
    disclose: tuple[str, ...]
    predicates: tuple[Predicate, ...]
    date: str
    nonce: str
    pseudonym_context: str | None = None

    @classmethod
    def new(
        cls,
        issuer: str,
        schema: str,
        disclose: list[str],
        predicates: list[Predicate] | None = None,
        day: datetime.date | None = None,
        pseudonym_context: str | None = None,
    ) -> PresentationRequest:
        """A request with a fresh 32-byte nonce (validated as a received one would be)."""
        req = cls(
            issuer,
            schema,
            tuple(disclose),
            tuple(predicates or ()),
            (day or datetime.date.today()).isoformat(),
            secrets.token_hex(32),
            pseudonym_context,
        )
        return cls.from_json(req.to_json())

    @classmethod
    def from_json(cls, doc: Any) -> PresentationRequest:
        fields = {"version", "type", "issuer", "schema", "disclose", "predicates", "date", "nonce"}
        if not isinstance(doc, dict) or not fields <= set(doc) <= fields | {"pseudonym"}:
            raise BadDocument(f"a presentation request has the fields {sorted(fields)}")
        if doc["version"] != VERSION or doc["type"] != TYPE:
            raise BadDocument(f"not a version {VERSION} {TYPE}")
        issuer, schema = doc["issuer"], doc["schema"]
        if not isinstance(issuer, str) or not ISSUER_NAME_RE.fullmatch(issuer):
            raise BadDocument(f"bad issuer name {issuer!r}")
        if not isinstance(schema, str) or not SCHEMA_ID_RE.fullmatch(schema):
            raise BadDocument(f"bad schema id {schema!r}")
        disclose = doc["disclose"]
        if not isinstance(disclose, list) or not all(
            isinstance(n, str) and ATTRIBUTE_RE.fullmatch(n) for n in disclose
        ):
            raise BadDocument("disclose is a list of attribute names")
        if len(set(disclose)) != len(disclose):
            raise BadDocument("disclose names an attribute twice")
        preds = doc["predicates"]
        if not isinstance(preds, list) or len(preds) > 16:
            raise BadDocument("predicates is a list of at most 16 predicates")
        predicates = tuple(Predicate.from_json(p) for p in preds)
        hidden = {p.attribute for p in predicates}
        if hidden & set(disclose):
            raise BadDocument("a predicate's attribute cannot also be disclosed")
        try:
            parse_date(doc["date"], "date")
        except DomainRejection as e:
            raise BadDocument(e.detail) from None
        if not isinstance(doc["nonce"], str) or not NONCE_RE.fullmatch(doc["nonce"]):
            raise BadDocument("nonce is 16 to 64 bytes as lowercase hex")
        context = None
        if "pseudonym" in doc:
            p = doc["pseudonym"]
            if not isinstance(p, dict) or set(p) != {"context"}:
                raise BadDocument("pseudonym is {context}")
            if not isinstance(p["context"], str) or not CONTEXT_RE.fullmatch(p["context"]):
                raise BadDocument("a pseudonym context is 1 to 200 printable ASCII characters")
            context = p["context"]
        return cls(issuer, schema, tuple(disclose), predicates, doc["date"], doc["nonce"], context)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "version": VERSION,
            "type": TYPE,
            "issuer": self.issuer,
            "schema": self.schema,
            "disclose": list(self.disclose),
            "predicates": [p.to_json() for p in self.predicates],
            "date": self.date,
            "nonce": self.nonce,
        }
        if self.pseudonym_context is not None:
            doc["pseudonym"] = {"context": self.pseudonym_context}
        return doc

    @property
    def presentation_header(self) -> bytes:
        """``ph`` of the BBS proof: the prefix and the canonical request."""
        return HEADER_PREFIX + rfc8785.dumps(self.to_json())

    @property
    def day(self) -> int:
        return day_number(datetime.date.fromisoformat(self.date))

    def check_against(self, schema: Schema) -> None:
        """Every named attribute exists, predicates are on ordered types."""
        for n in self.disclose:
            try:
                schema.attribute(n)
            except DomainRejection as e:
                raise BadDocument(e.detail) from None
        for p in self.predicates:
            p.bound(schema)

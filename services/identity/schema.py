"""Credential schemas: ordered, typed attributes and their encoding to BBS messages.

docs/credentials.md §Formats, "Credential schema".  A schema is published on
the board by its issuer (kind ``identity.schema``)::

    {"id": "eid", "title": "Electronic identity",
     "attributes": [{"name": "birthDate", "type": "date", "encoding": "days-scalar"}, ...],
     "revocation": "status_list" | "short_lived", "max_validity_days": 365}

Each attribute type has exactly one encoding to a BBS message:

========  ================  ==============================================================
type      encoding          message
========  ================  ==============================================================
string    ``utf8-hash``     the UTF-8 bytes, mapped to a scalar by the ciphersuite's
                            ``MapMessageToScalarAsHash`` (draft-irtf-cfrg-bbs-signatures §4.1.2)
integer   ``int64-scalar``  the integer ``v`` (−2⁶³ ≤ v < 2⁶³) itself, as the scalar ``v mod r``
date      ``days-scalar``   days since 1970-01-01 (negative before), as ``int64-scalar``
boolean   ``bool-scalar``   the scalar 1 (true) or 0 (false)
========  ================  ==============================================================

Integers are encoded directly (not hashed) so that a presentation can prove a
range predicate on a hidden value (``birthDate ≤ today − 18 years``).
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import rfc8785

from ledger.errors import DomainRejection

Message = bytes | int
"""One encoded attribute: octets (hashed to a scalar by the suite) or an integer scalar."""

ENCODINGS: dict[str, str] = {
    "string": "utf8-hash",
    "integer": "int64-scalar",
    "date": "days-scalar",
    "boolean": "bool-scalar",
}
INTEGER_TYPES = frozenset({"integer", "date", "boolean"})
"""Types encoded directly as scalars (a range predicate applies to ``integer`` and ``date``)."""
PREDICATE_TYPES = frozenset({"integer", "date"})

REVOCATION_MODES = ("status_list", "short_lived")
MAX_SHORT_LIVED_DAYS = 92
MAX_VALIDITY_DAYS = 3660
MAX_ATTRIBUTES = 64
MAX_STRING = 1000
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
EPOCH = date(1970, 1, 1)

SCHEMA_ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
ATTRIBUTE_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
RESERVED = frozenset(
    {
        "id",
        "type",
        "validFrom",
        "validUntil",
        "statusList",
        "statusListCredential",
        "statusListIndex",
    }
)
"""Names the service uses itself (credentialSubject.id would make every presentation linkable)."""

DIGEST_PREFIX = b"pnyx/schema/v1\n"


def day_number(d: date) -> int:
    """Days since 1970-01-01 (negative before it)."""
    return (d - EPOCH).days


def from_day_number(n: int) -> date:
    return date.fromordinal(EPOCH.toordinal() + n)


def parse_date(value: Any, what: str = "date") -> date:
    """A ``YYYY-MM-DD`` calendar date."""
    if not isinstance(value, str) or not DATE_RE.fullmatch(value):
        raise DomainRejection(f"{what} must be a date YYYY-MM-DD, not {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainRejection(f"{what} {value!r} is not a calendar date") from None


@dataclass(frozen=True)
class Attribute:
    name: str
    type: str

    @property
    def encoding(self) -> str:
        return ENCODINGS[self.type]

    def check_value(self, value: Any) -> Any:
        """Validate a JSON value of this attribute (as a credential carries it)."""
        what = f"attribute {self.name!r} ({self.type})"
        if self.type == "string":
            if not isinstance(value, str) or len(value) > MAX_STRING:
                raise DomainRejection(f"{what} must be a string of at most {MAX_STRING} characters")
            if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
                raise DomainRejection(f"{what} contains a lone surrogate")
        elif self.type == "integer":
            if type(value) is not int or not INT64_MIN <= value <= INT64_MAX:
                raise DomainRejection(f"{what} must be an integer in [-2^63, 2^63)")
        elif self.type == "date":
            parse_date(value, what)
        elif type(value) is not bool:
            raise DomainRejection(f"{what} must be true or false")
        return value

    def encode(self, value: Any) -> Message:
        """The BBS message of a (valid) value: octets or an integer scalar (see the table)."""
        self.check_value(value)
        if self.type == "string":
            return str(value).encode("utf-8")
        if self.type == "integer":
            return int(value)
        if self.type == "date":
            return day_number(parse_date(value))
        return 1 if value else 0

    def integer(self, value: Any) -> int:
        """The integer a range predicate is about (``integer`` and ``date`` only)."""
        if self.type not in PREDICATE_TYPES:
            raise DomainRejection(f"attribute {self.name!r} ({self.type}) has no order")
        encoded = self.encode(value)
        assert isinstance(encoded, int)
        return encoded

    def parse_text(self, text: str) -> Any:
        """A value typed on a command line (``--attr name=value``) as its JSON value."""
        if self.type == "string":
            return self.check_value(text)
        if self.type == "integer":
            if not re.fullmatch(r"-?\d{1,19}", text):
                raise DomainRejection(f"attribute {self.name!r} needs an integer, not {text!r}")
            return self.check_value(int(text))
        if self.type == "date":
            parse_date(text, f"attribute {self.name!r}")
            return text
        if text not in ("true", "false"):
            raise DomainRejection(f"attribute {self.name!r} needs true or false, not {text!r}")
        return text == "true"


@dataclass(frozen=True)
class Schema:
    """A credential schema as published by an issuer (validated on construction)."""

    issuer: str
    id: str
    title: str
    attributes: tuple[Attribute, ...]
    revocation: str
    max_validity_days: int

    @classmethod
    def from_body(cls, issuer: str, body: Any) -> Schema:
        """Decode and validate an ``identity.schema`` body (docs/credentials.md §Formats)."""
        fields = {"id", "title", "attributes", "revocation", "max_validity_days"}
        if not isinstance(body, dict) or set(body) != fields:
            raise DomainRejection(f"a schema has exactly the fields {sorted(fields)}")
        sid, title = body["id"], body["title"]
        if not isinstance(sid, str) or not SCHEMA_ID_RE.fullmatch(sid):
            raise DomainRejection(f"bad schema id {sid!r} (a-z, 0-9, '.', '_', '-', max 64)")
        if not isinstance(title, str) or not 1 <= len(title) <= 200:
            raise DomainRejection("a schema title has 1 to 200 characters")
        if any(ord(c) < 0x20 for c in title):
            raise DomainRejection("a schema title has no control characters")
        attrs = body["attributes"]
        if not isinstance(attrs, list) or not 1 <= len(attrs) <= MAX_ATTRIBUTES:
            raise DomainRejection(f"a schema has 1 to {MAX_ATTRIBUTES} attributes")
        out: list[Attribute] = []
        for a in attrs:
            if not isinstance(a, dict) or set(a) != {"name", "type", "encoding"}:
                raise DomainRejection("an attribute is {name, type, encoding}")
            name, typ, enc = a["name"], a["type"], a["encoding"]
            if not isinstance(name, str) or not ATTRIBUTE_RE.fullmatch(name):
                raise DomainRejection(f"bad attribute name {name!r}")
            if name in RESERVED:
                raise DomainRejection(f"the attribute name {name!r} is reserved")
            if typ not in ENCODINGS:
                raise DomainRejection(
                    f"attribute {name!r}: unknown type {typ!r} (one of {', '.join(ENCODINGS)})"
                )
            if enc != ENCODINGS[typ]:
                raise DomainRejection(
                    f"attribute {name!r}: a {typ} is encoded as {ENCODINGS[typ]!r}, not {enc!r}"
                )
            out.append(Attribute(name, typ))
        if len({a.name for a in out}) != len(out):
            raise DomainRejection("attribute names must be distinct")
        mode, days = body["revocation"], body["max_validity_days"]
        if mode not in REVOCATION_MODES:
            raise DomainRejection(f"revocation is one of {', '.join(REVOCATION_MODES)}")
        top = MAX_SHORT_LIVED_DAYS if mode == "short_lived" else MAX_VALIDITY_DAYS
        if type(days) is not int or not 1 <= days <= top:
            raise DomainRejection(f"max_validity_days for {mode} credentials is 1 to {top}")
        return cls(issuer, sid, title, tuple(out), mode, days)

    def to_body(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "attributes": [
                {"name": a.name, "type": a.type, "encoding": a.encoding} for a in self.attributes
            ],
            "revocation": self.revocation,
            "max_validity_days": self.max_validity_days,
        }

    @functools.cached_property
    def digest(self) -> str:  # computed once: a verification needs it twice
        """``SHA-256("pnyx/schema/v1\\n" || JCS({"issuer", ...body}))``, lowercase hex."""
        doc = {"issuer": self.issuer, **self.to_body()}
        return hashlib.sha256(DIGEST_PREFIX + rfc8785.dumps(doc)).hexdigest()

    @property
    def uses_status_list(self) -> bool:
        return self.revocation == "status_list"

    def attribute(self, name: str) -> Attribute:
        for a in self.attributes:
            if a.name == name:
                return a
        raise DomainRejection(f"schema {self.issuer}/{self.id} has no attribute {name!r}")

    def index(self, name: str) -> int:
        return self.attributes.index(self.attribute(name))

    def check_values(self, values: Any) -> dict[str, Any]:
        """Exactly one valid value per attribute."""
        if not isinstance(values, dict):
            raise DomainRejection("attribute values are a JSON object")
        names = [a.name for a in self.attributes]
        missing = [n for n in names if n not in values]
        extra = sorted(set(values) - set(names))
        if missing or extra:
            raise DomainRejection(
                f"schema {self.issuer}/{self.id}: missing attributes {missing}, unknown {extra}"
            )
        return {a.name: a.check_value(values[a.name]) for a in self.attributes}

    def encode(self, values: dict[str, Any]) -> list[Message]:
        """The attribute messages in schema order."""
        checked = self.check_values(values)
        return [a.encode(checked[a.name]) for a in self.attributes]


def schema_body(
    schema_id: str,
    title: str,
    attributes: list[tuple[str, str]],
    revocation: str,
    max_validity_days: int,
) -> dict[str, Any]:
    """The body of an ``identity.schema`` entry, validated as the board will."""
    body = {
        "id": schema_id,
        "title": title,
        "attributes": [
            {"name": n, "type": t, "encoding": ENCODINGS.get(t, "?")} for n, t in attributes
        ],
        "revocation": revocation,
        "max_validity_days": max_validity_days,
    }
    Schema.from_body("-", body)
    return body

"""The election manifest and the hashes that bind it (docs/voting.md §1–§2).

A manifest is the body of a ``voting.election`` entry: contests with their
limits, the eligibility rule, the re-vote policy, the trustees and k, the
opening and closing times.  :meth:`Manifest.from_json` is the only way a JSON
document becomes a :class:`Manifest`; it refuses anything docs/voting.md §1
does not allow.  Whether the eligibility's issuer and schema exist is the
domain's check (it needs the board).

Hashes (§2)::

    H_M = SHA-256("pnyx/voting/manifest/v1\\n" ‖ JCS(manifest))   ceremony context
    H_C = SHA-256("pnyx/voting/context/v1\\n" ‖ H_M ‖ K)          election context
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from crypto.contest import ContestShape
from crypto.threshold import MAX_TRUSTEES
from ledger.entry import TIME_RE, canonical
from ledger.errors import DomainRejection
from services.identity.errors import BadDocument
from services.identity.request import ISSUER_NAME_RE, Predicate
from services.identity.schema import ATTRIBUTE_RE, SCHEMA_ID_RE, parse_date
from services.voting.errors import MalformedVotingEntry

VERSION = 1
MANIFEST_PREFIX = b"pnyx/voting/manifest/v1\n"
CONTEXT_PREFIX = b"pnyx/voting/context/v1\n"
ELECTION_ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
CONTEST_ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
HEX64_RE = re.compile(r"[0-9a-f]{64}")
REVOTE = ("last", "deny")
MAX_CONTESTS = 16
MAX_OPTIONS = 64
MAX_TRUSTEE_COUNT = min(32, MAX_TRUSTEES)
#: 900 keys of 67 bytes each (64 hex, quotes, comma) leave ≈ 5 KB of the board's
#: 65,535-byte entry for the rest of the manifest; a larger electorate uses credentials.
MAX_ROLL = 900
MAX_REQUIREMENTS = 8
MAX_BALLOT_BYTES = 24_000
"""All encrypted contests of one ballot, in bytes, so that an entry fits 65,535 bytes."""
BLANK = "blank"
FIELDS = frozenset(
    {
        "version",
        "id",
        "title",
        "contests",
        "eligibility",
        "revote",
        "trustees",
        "threshold",
        "opens",
        "closes",
    }
)


def _bad(detail: str) -> MalformedVotingEntry:
    return MalformedVotingEntry(f"manifest: {detail}")


def _members(value: Any, fields: set[str] | frozenset[str], what: str) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) != set(fields):
        raise _bad(f"{what} has exactly the members {sorted(fields)}")
    return value


def _text(value: Any, what: str, hi: int = 200) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= hi:
        raise _bad(f"{what} is a string of 1 to {hi} characters")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise _bad(f"{what} is one line without control characters")
    return value


def _int(value: Any, what: str, lo: int, hi: int) -> int:
    if type(value) is not int or not lo <= value <= hi:
        raise _bad(f"{what} is an integer in {lo}..{hi}")
    return value


def _hex32(value: Any, what: str) -> str:
    if not isinstance(value, str) or not HEX64_RE.fullmatch(value):
        raise _bad(f"{what} is 64 lowercase hex digits")
    return value


@dataclass(frozen=True)
class Contest:
    """One contest: its options (the blank vote last, when offered) and the limits on the sum."""

    id: str
    title: str
    options: tuple[str, ...]
    minimum: int
    maximum: int
    blank: bool

    @property
    def choices(self) -> tuple[str, ...]:
        """The encrypted options: the named ones, then ``blank`` when offered."""
        return self.options + ((BLANK,) if self.blank else ())

    @property
    def shape(self) -> ContestShape:
        return ContestShape(
            self.id.encode(), len(self.choices), self.minimum, self.maximum, option_limit=1
        )

    @classmethod
    def from_json(cls, doc: Any) -> Contest:
        d = _members(doc, {"id", "title", "options", "min", "max", "blank"}, "a contest")
        if not isinstance(d["id"], str) or not CONTEST_ID_RE.fullmatch(d["id"]):
            raise _bad(f"bad contest id {d['id']!r} ([a-z0-9][a-z0-9_-]{{0,63}})")
        options = d["options"]
        if not isinstance(options, list) or not 1 <= len(options) <= MAX_OPTIONS:
            raise _bad(f"a contest has 1 to {MAX_OPTIONS} options")
        names = tuple(_text(o, "an option") for o in options)
        if len(set(names)) != len(names):
            raise _bad(f"contest {d['id']} names an option twice")
        if type(d["blank"]) is not bool:
            raise _bad("blank is true or false")
        m = len(names) + (1 if d["blank"] else 0)
        hi = _int(d["max"], "max", 0, m)
        lo = _int(d["min"], "min", 0, hi)
        if hi == 0:
            raise _bad(f"contest {d['id']}: max must be at least 1")
        return cls(d["id"], _text(d["title"], "a contest title"), names, lo, hi, d["blank"])

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "options": list(self.options),
            "min": self.minimum,
            "max": self.maximum,
            "blank": self.blank,
        }


@dataclass(frozen=True)
class CredentialRule:
    """Eligibility by a credential: issuer, schema, required attribute values, predicates, day."""

    issuer: str
    schema: str
    attributes: tuple[tuple[str, Any], ...]
    predicates: tuple[Predicate, ...]
    date: str

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "credential",
            "issuer": self.issuer,
            "schema": self.schema,
            "attributes": dict(self.attributes),
            "predicates": [p.to_json() for p in self.predicates],
            "date": self.date,
        }


@dataclass(frozen=True)
class RollRule:
    """Eligibility by a roll of voter Ed25519 public keys (small elections)."""

    voters: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"type": "roll", "voters": list(self.voters)}


Eligibility = CredentialRule | RollRule


def parse_eligibility(doc: Any) -> Eligibility:
    """The eligibility rule of a manifest (§1), validated."""
    if not isinstance(doc, dict) or doc.get("type") not in ("credential", "roll"):
        raise _bad('eligibility is {"type": "credential", ...} or {"type": "roll", ...}')
    if doc["type"] == "roll":
        d = _members(doc, {"type", "voters"}, "a roll")
        voters = d["voters"]
        if not isinstance(voters, list) or not 1 <= len(voters) <= MAX_ROLL:
            raise _bad(f"a roll lists 1 to {MAX_ROLL} voter keys")
        keys = tuple(_hex32(v, "a roll key") for v in voters)
        if len(set(keys)) != len(keys):
            raise _bad("a roll lists a key twice")
        return RollRule(keys)
    d = _members(
        doc,
        {"type", "issuer", "schema", "attributes", "predicates", "date"},
        "a credential rule",
    )
    if not isinstance(d["issuer"], str) or not ISSUER_NAME_RE.fullmatch(d["issuer"]):
        raise _bad(f"bad issuer name {d['issuer']!r}")
    if not isinstance(d["schema"], str) or not SCHEMA_ID_RE.fullmatch(d["schema"]):
        raise _bad(f"bad schema id {d['schema']!r}")
    attrs = d["attributes"]
    if not isinstance(attrs, dict) or len(attrs) > MAX_REQUIREMENTS:
        raise _bad(f"attributes maps at most {MAX_REQUIREMENTS} attribute names to values")
    for name, value in attrs.items():
        if not ATTRIBUTE_RE.fullmatch(name):
            raise _bad(f"bad attribute name {name!r}")
        if not (isinstance(value, str | bool) or type(value) is int):
            raise _bad(f"the required value of {name} is a string, an integer or a boolean")
    preds = d["predicates"]
    if not isinstance(preds, list) or len(preds) > MAX_REQUIREMENTS:
        raise _bad(f"predicates is a list of at most {MAX_REQUIREMENTS}")
    try:
        predicates = tuple(Predicate.from_json(p) for p in preds)
        parse_date(d["date"], "date")
    except (BadDocument, DomainRejection) as e:  # parse_date raises a DomainRejection
        raise _bad(e.detail) from None
    if {p.attribute for p in predicates} & set(attrs):
        raise _bad("an attribute is both disclosed and in a predicate")
    return CredentialRule(
        d["issuer"], d["schema"], tuple(sorted(attrs.items())), predicates, d["date"]
    )


@dataclass(frozen=True)
class Trustee:
    index: int
    key_id: str
    box: str

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "key_id": self.key_id, "box": self.box}


@dataclass(frozen=True)
class Manifest:
    """A validated manifest (docs/voting.md §1)."""

    id: str
    title: str
    contests: tuple[Contest, ...]
    eligibility: Eligibility
    revote: str
    trustees: tuple[Trustee, ...]
    threshold: int
    opens: str
    closes: str

    @classmethod
    def from_json(cls, doc: Any) -> Manifest:
        d = _members(doc, FIELDS, "a manifest")
        if type(d["version"]) is not int or d["version"] != VERSION:
            raise _bad(f"version must be {VERSION}")
        if not isinstance(d["id"], str) or not ELECTION_ID_RE.fullmatch(d["id"]):
            raise _bad(f"bad election id {d['id']!r} ([a-z0-9][a-z0-9._-]{{0,63}})")
        contests = d["contests"]
        if not isinstance(contests, list) or not 1 <= len(contests) <= MAX_CONTESTS:
            raise _bad(f"an election has 1 to {MAX_CONTESTS} contests")
        parsed = tuple(Contest.from_json(c) for c in contests)
        if len({c.id for c in parsed}) != len(parsed):
            raise _bad("two contests have the same id")
        try:
            size = sum(c.shape.encoded_length for c in parsed)
        except ValueError as e:
            raise _bad(str(e)) from None
        if size > MAX_BALLOT_BYTES:
            raise _bad(f"a ballot would be {size} bytes, the limit is {MAX_BALLOT_BYTES}")
        if d["revote"] not in REVOTE:
            raise _bad('revote is "last" or "deny"')
        trustees = d["trustees"]
        if not isinstance(trustees, list) or not 1 <= len(trustees) <= MAX_TRUSTEE_COUNT:
            raise _bad(f"an election has 1 to {MAX_TRUSTEE_COUNT} trustees")
        ts = []
        for n, t in enumerate(trustees, start=1):
            td = _members(t, {"index", "key_id", "box"}, "a trustee")
            if td["index"] != n or type(td["index"]) is not int:
                raise _bad("trustee indices are 1..n in order")
            ts.append(Trustee(n, _hex32(td["key_id"], "key_id"), _hex32(td["box"], "box")))
        if len({t.key_id for t in ts}) != len(ts) or len({t.box for t in ts}) != len(ts):
            raise _bad("two trustees share a key id or a box key")
        threshold = _int(d["threshold"], "threshold", 1, len(ts))
        for name in ("opens", "closes"):
            if not isinstance(d[name], str) or not TIME_RE.fullmatch(d[name]):
                raise _bad(f"{name} is a time YYYY-MM-DDTHH:MM:SSZ")
        if not d["opens"] < d["closes"]:
            raise _bad("opens must be before closes")
        return cls(
            d["id"],
            _text(d["title"], "title"),
            parsed,
            parse_eligibility(d["eligibility"]),
            d["revote"],
            tuple(ts),
            threshold,
            d["opens"],
            d["closes"],
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "id": self.id,
            "title": self.title,
            "contests": [c.to_json() for c in self.contests],
            "eligibility": self.eligibility.to_json(),
            "revote": self.revote,
            "trustees": [t.to_json() for t in self.trustees],
            "threshold": self.threshold,
            "opens": self.opens,
            "closes": self.closes,
        }

    @property
    def shapes(self) -> tuple[ContestShape, ...]:
        return tuple(c.shape for c in self.contests)

    def trustee(self, index: int) -> Trustee | None:
        return self.trustees[index - 1] if 1 <= index <= len(self.trustees) else None


def manifest_hash(manifest: dict[str, Any]) -> bytes:
    """``H_M`` of the manifest's JSON as it stands in the entry body (§2)."""
    return hashlib.sha256(MANIFEST_PREFIX + canonical(manifest)).digest()


def election_context(manifest_digest: bytes, joint_key: bytes) -> bytes:
    """``H_C = SHA-256("pnyx/voting/context/v1\\n" ‖ H_M ‖ K)`` (§2)."""
    if len(manifest_digest) != 32 or len(joint_key) != 32:
        raise ValueError("the manifest hash and the joint key are 32 bytes each")
    return hashlib.sha256(CONTEXT_PREFIX + manifest_digest + joint_key).digest()

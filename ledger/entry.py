"""Board entries: signed, canonical JSON documents (docs/board.md §Entries).

An entry is the RFC 8785 (JCS) canonical JSON of::

    {"version": 1, "kind": "notice.publish", "time": "2026-11-25T12:00:00Z",
     "author": <hex SHA-256 of the author's Ed25519 public key>,
     "body": {...}, "signature": <hex Ed25519 signature>}

The signature is Ed25519 by the author over ``SIGNING_PREFIX || JCS(entry
without "signature")``.  The leaf of the Merkle tree is the entry's canonical
bytes, at most :data:`MAX_ENTRY_SIZE` of them.  Decoding is validation:
:meth:`Entry.from_leaf` is the only way bytes become an :class:`Entry`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import rfc8785

from ledger.errors import EntryTooLarge, MalformedEntry, NonCanonicalEntry

VERSION = 1
MAX_ENTRY_SIZE = 65535
"""A tlog-tiles entry bundle prefixes each entry with a 16-bit length."""
MAX_DEPTH = 32
SIGNING_PREFIX = b"pnyx/entry/v1\n"
FIELDS = frozenset({"version", "kind", "time", "author", "body", "signature"})

KIND_RE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
HEX64_RE = re.compile(r"[0-9a-f]{64}")
HEX128_RE = re.compile(r"[0-9a-f]{128}")
TIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_SORTED_COMPACT = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
).encode

Json = Any
"""A JSON value as :func:`json.loads` returns it (no floats in entries)."""


def canonical(value: Json) -> bytes:
    """RFC 8785 canonical bytes of a JSON value."""
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as e:
        raise MalformedEntry(f"not representable as canonical JSON: {e}") from None


def is_canonical(value: Json, data: bytes) -> bool:
    """Whether ``data`` is exactly ``canonical(value)`` (RFC 8785 by the ``rfc8785`` package).

    For the values :func:`parse_json` returns, Python's C JSON encoder (sorted
    keys, no spaces, no ASCII escaping) writes the same bytes as RFC 8785 but
    for three things: RFC 8785 sorts keys by UTF-16 code units (Python by code
    points, which differ only beyond U+D7FF), refuses integers outside
    ``±(2**53 - 1)`` and refuses lone surrogates.  When ``data`` is ASCII and
    has no run of 16 digits, every key and string of ``value`` that the C
    encoder writes unescaped is ASCII (so both orders agree) and every integer
    has at most 15 digits; a lone surrogate would come out as a non-ASCII
    character and so cannot equal ``data``.  Equality under the C encoder then
    implies equality under RFC 8785; any other case (and every mismatch, so
    that the error raised is the package's own) goes to :func:`canonical`.
    """
    if data.isascii() and b"0" * 16 not in data.translate(_DIGITS_AS_ZERO):
        if _SORTED_COMPACT(value) == data.decode("ascii"):
            return True
    return canonical(value) == data


def key_id(public_key: bytes) -> str:
    """An authority's key id: lowercase hex SHA-256 of its 32-byte Ed25519 public key."""
    return hashlib.sha256(public_key).hexdigest()


def now_rfc3339() -> str:
    """The current time, RFC 3339 UTC with second precision."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise MalformedEntry(f"duplicate JSON key {k!r}")
            seen.add(k)
    return out


def _reject_float(s: str) -> Any:
    raise MalformedEntry(f"non-integer number {s[:20]} (entries carry integers only)")


def _reject_constant(s: str) -> Any:
    raise MalformedEntry(f"{s} is not JSON")


def _depth(value: Json, limit: int) -> None:
    if limit < 1:
        raise MalformedEntry(f"nested deeper than {limit} levels")
    if not isinstance(value, dict | list):
        return
    stack: list[tuple[Json, int]] = [(value, 1)]
    while stack:
        v, d = stack.pop()
        children = v.values() if isinstance(v, dict) else v
        if children and d >= limit:  # its members sit at depth d + 1
            raise MalformedEntry(f"nested deeper than {limit} levels")
        stack.extend((x, d + 1) for x in children if isinstance(x, dict | list))


def parse_json(data: bytes, *, max_size: int = MAX_ENTRY_SIZE, max_depth: int = MAX_DEPTH) -> Json:
    """Strict JSON: UTF-8, no duplicate keys, integers only, bounded size and depth."""
    if len(data) > max_size:
        raise EntryTooLarge(f"{len(data)} bytes, the limit is {max_size}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise MalformedEntry(f"not UTF-8: {e.reason} at byte {e.start}") from None
    try:
        value = json.loads(
            text,
            object_pairs_hook=_reject_duplicates,
            parse_float=_reject_float,
            parse_constant=_reject_constant,
        )
    except json.JSONDecodeError as e:
        raise MalformedEntry(f"not JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except ValueError as e:  # an integer beyond Python's int-string limit (4300 digits)
        raise MalformedEntry(f"not an entry: {str(e)[:120]}") from None
    except RecursionError:
        raise MalformedEntry(f"nested deeper than {max_depth} levels") from None
    _depth(value, max_depth)
    return value


@dataclass(frozen=True)
class Entry:
    """A decoded, well-formed entry.  Its signature is checked by the board, which knows the key."""

    kind: str
    time: str
    author: str
    body: dict[str, Json]
    signature: bytes
    leaf: bytes

    @property
    def leaf_hash(self) -> bytes:
        """RFC 9162 leaf hash of the canonical bytes."""
        return hashlib.sha256(b"\x00" + self.leaf).digest()

    def signed_bytes(self) -> bytes:
        """What the author signed: the prefix and the canonical entry without its signature.

        JCS sorts the members (author, body, kind, signature, time, version), so
        the canonical entry without its signature is the leaf with the member
        ``,"signature":"…"`` cut out: no second canonicalisation is needed.
        """
        tail = f',"time":"{self.time}","version":{VERSION}}}'.encode()
        cut = len(',"signature":""') + 2 * len(self.signature) + len(tail)
        return SIGNING_PREFIX + self.leaf[:-cut] + tail

    @classmethod
    def from_leaf(cls, data: bytes) -> Entry:
        """Decode and validate an entry's bytes (size, JSON, fields, canonical form)."""
        data = bytes(data)
        value = parse_json(data)
        if not isinstance(value, dict):
            raise MalformedEntry("an entry is a JSON object")
        if set(value) != FIELDS:
            missing = sorted(FIELDS - set(value))
            extra = sorted(set(value) - FIELDS)
            raise MalformedEntry(f"entry fields: missing {missing}, unexpected {extra}")
        version, kind, time = value["version"], value["kind"], value["time"]
        author, body, sig = value["author"], value["body"], value["signature"]
        if type(version) is not int or version != VERSION:
            raise MalformedEntry(f"unsupported entry version {version!r}")
        if not isinstance(kind, str) or len(kind) > 64 or not KIND_RE.fullmatch(kind):
            raise MalformedEntry(f"bad kind {kind!r}")
        if not isinstance(time, str) or not TIME_RE.fullmatch(time) or not _valid_time(time):
            raise MalformedEntry(f"bad time {time!r} (RFC 3339 UTC, e.g. 2026-01-31T12:00:00Z)")
        if not isinstance(author, str) or not HEX64_RE.fullmatch(author):
            raise MalformedEntry("author must be 64 lowercase hex digits (a key id)")
        if not isinstance(body, dict):
            raise MalformedEntry("body must be a JSON object")
        if not isinstance(sig, str) or not HEX128_RE.fullmatch(sig):
            raise MalformedEntry("signature must be 128 lowercase hex digits")
        if not is_canonical(value, data):
            raise NonCanonicalEntry("the entry is not in RFC 8785 canonical form")
        return cls(kind, time, author, body, bytes.fromhex(sig), data)


def _valid_time(t: str) -> bool:
    """A real date and time, for ``t`` that matches :data:`TIME_RE`.

    What ``datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ")`` accepts, without its
    per-call parsing machinery (:data:`TIME_RE` admits ASCII digits only): the
    constructor checks the ranges (year 1..9999, the month's days, seconds 0..59).
    """
    try:
        y, mo, d = int(t[0:4]), int(t[5:7]), int(t[8:10])
        datetime(y, mo, d, int(t[11:13]), int(t[14:16]), int(t[17:19]))
    except ValueError:
        return False
    return True


def signing_bytes(kind: str, time: str, author: str, body: dict[str, Json]) -> bytes:
    """``SIGNING_PREFIX || JCS({version, kind, time, author, body})``."""
    doc = {"version": VERSION, "kind": kind, "time": time, "author": author, "body": body}
    return SIGNING_PREFIX + canonical(doc)


def make_entry(
    kind: str,
    body: dict[str, Json],
    author: str,
    sign: Callable[[bytes], bytes],
    time: str | None = None,
) -> bytes:
    """Build and sign an entry; returns its canonical bytes (the leaf).

    ``sign`` is the author's Ed25519 signing function and ``author`` its key id.
    The result is decoded once more so that only a valid entry ever leaves here.
    """
    time = time or now_rfc3339()
    signature = sign(signing_bytes(kind, time, author, body))
    doc = {
        "version": VERSION,
        "kind": kind,
        "time": time,
        "author": author,
        "body": body,
        "signature": signature.hex(),
    }
    leaf = canonical(doc)
    Entry.from_leaf(leaf)
    return leaf

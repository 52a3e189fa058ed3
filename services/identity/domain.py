"""The identity domain on the board (docs/credentials.md §Formats, "Board entries").

Kinds, all written by an authority with the role ``issuer``:

- ``identity.issuer_key`` ``{"key_id", "ciphersuite", "public_key", "possession"}``:
  a BBS public key of the issuer (:mod:`services.identity.keys`);
- ``identity.schema`` ``{"id", "title", "attributes", "revocation", "max_validity_days"}``:
  a credential schema (:mod:`services.identity.schema`), immutable once published;
- ``identity.status_list`` ``{"id", "purpose": "revocation", "encodedList"}``: a W3C
  Bitstring Status List (:mod:`services.identity.status_list`); publishing the
  same id again replaces it, and may only set bits (a revocation is final).

Nothing on the board names a holder or a credential: blind issuance requests
and credentials travel between holder and issuer off the board, so no board
entry can be linked to a later presentation.

State (domain ``identity``): ``key/<key id>``, ``schema/<issuer>/<id>``,
``status/<issuer>/<id>``.
"""

from __future__ import annotations

import re
from typing import Any

from ledger.domains import Authority, Domain, Kind, View
from ledger.entry import Entry
from ledger.errors import DomainRejection
from services.identity.keys import (
    POSSESSION_HEADER,
    PUBLIC_KEY_BYTES,
    issuer_key_id,
    possession_messages,
    suite,
)
from services.identity.schema import SCHEMA_ID_RE, Schema
from services.identity.status_list import StatusList

NAME = "identity"
ROLE = "issuer"
ISSUER_KEY = "identity.issuer_key"
SCHEMA = "identity.schema"
STATUS_LIST = "identity.status_list"
PURPOSES = ("revocation",)
HEX_RE = re.compile(r"[0-9a-f]+")


def _fields(body: dict[str, Any], required: set[str], kind: str) -> None:
    if set(body) != required:
        raise DomainRejection(f"{kind} body needs exactly the fields {sorted(required)}")


def _hex(value: Any, size: int, what: str) -> bytes:
    if not isinstance(value, str) or len(value) != 2 * size or not HEX_RE.fullmatch(value):
        raise DomainRejection(f"{what} must be {2 * size} lowercase hex digits")
    return bytes.fromhex(value)


def _author(view: View) -> Authority:
    if view.author is None:
        raise DomainRejection("identity entries need an author")
    return view.author


# ---------------------------------------------------------------- issuer keys


def check_issuer_key(entry: Entry, view: View) -> None:
    body = entry.body
    _fields(body, {"key_id", "ciphersuite", "public_key", "possession"}, ISSUER_KEY)
    s = suite(body["ciphersuite"])
    pk = _hex(body["public_key"], PUBLIC_KEY_BYTES, "public_key")
    if body["key_id"] != issuer_key_id(pk):
        raise DomainRejection("key_id must be the hex SHA-256 of the public key")
    if view.get(f"key/{body['key_id']}") is not None:
        raise DomainRejection("this BBS public key is published already")
    possession = body["possession"]
    if not isinstance(possession, str) or not HEX_RE.fullmatch(possession) or len(possession) > 512:
        raise DomainRejection("possession must be a hex BBS signature")
    genesis = view.read("board", "genesis") or {}
    messages = possession_messages(str(genesis.get("origin", "")), _author(view).name)
    if not s.verify(pk, bytes.fromhex(possession), POSSESSION_HEADER, messages):
        raise DomainRejection(
            "the proof of possession does not verify: not a valid BBS public key of this issuer"
        )


def apply_issuer_key(entry: Entry, view: View) -> None:
    author = _author(view)
    view.put(
        f"key/{entry.body['key_id']}",
        {
            "issuer": author.name,
            "author": author.key_id,
            "ciphersuite": entry.body["ciphersuite"],
            "public_key": entry.body["public_key"],
            "since": view.index,
        },
    )


# -------------------------------------------------------------------- schemas


def check_schema(entry: Entry, view: View) -> None:
    schema = Schema.from_body(_author(view).name, entry.body)
    if view.get(f"schema/{schema.issuer}/{schema.id}") is not None:
        raise DomainRejection(
            f"schema {schema.issuer}/{schema.id} exists; a schema never changes (use a new id)"
        )


def apply_schema(entry: Entry, view: View) -> None:
    schema = Schema.from_body(_author(view).name, entry.body)
    view.put(
        f"schema/{schema.issuer}/{schema.id}",
        {**schema.to_body(), "issuer": schema.issuer, "digest": schema.digest, "since": view.index},
    )


# --------------------------------------------------------------- status lists


def _status_list(body: dict[str, Any]) -> StatusList:
    _fields(body, {"id", "purpose", "encodedList"}, STATUS_LIST)
    if not isinstance(body["id"], str) or not SCHEMA_ID_RE.fullmatch(body["id"]):
        raise DomainRejection(f"bad status list id {body['id']!r}")
    if body["purpose"] not in PURPOSES:
        raise DomainRejection(f"statusPurpose must be one of {', '.join(PURPOSES)}")
    return StatusList.decode(body["encodedList"])


def check_status_list(entry: Entry, view: View) -> None:
    new = _status_list(entry.body)
    old = view.get(f"status/{_author(view).name}/{entry.body['id']}")
    if old is None:
        return
    previous = StatusList.decode(old["encodedList"])
    if new.size != previous.size:
        raise DomainRejection(f"status list size is fixed at {previous.size} entries")
    if not new.covers(previous):
        raise DomainRejection("a revoked credential cannot be reinstated (bits only go 0 -> 1)")
    if new.bits == previous.bits:
        raise DomainRejection("the status list did not change")


def apply_status_list(entry: Entry, view: View) -> None:
    author = _author(view)
    key = f"status/{author.name}/{entry.body['id']}"
    new = _status_list(entry.body)
    old = view.get(key)
    view.put(
        key,
        {
            "issuer": author.name,
            "purpose": entry.body["purpose"],
            "encodedList": entry.body["encodedList"],
            "size": new.size,
            "since": view.index if old is None else old["since"],
            "updated": view.index,
        },
    )


def status_list_body(
    list_id: str, status: StatusList, purpose: str = "revocation"
) -> dict[str, Any]:
    """The body of an ``identity.status_list`` entry."""
    body = {"id": list_id, "purpose": purpose, "encodedList": status.encode()}
    _status_list(body)
    return body


DOMAIN = Domain(
    NAME,
    (
        Kind(ISSUER_KEY, ROLE, check_issuer_key, apply_issuer_key),
        Kind(SCHEMA, ROLE, check_schema, apply_schema),
        Kind(STATUS_LIST, ROLE, check_status_list, apply_status_list),
    ),
)

"""The board's own domain: the genesis, authorities and their roles, witnesses.

Kinds (docs/board.md §The board domain):

- ``board.genesis`` (entry 0 only, self-signed by the root authority it names):
  ``{"origin", "log_key", "root": {"name", "public_key"}}``.
- ``board.authority`` (role ``root``): registers ``{"name", "public_key", "roles"}``.
- ``board.revoke`` (role ``root``): ``{"key_id", "reason"}`` revokes an authority;
  its later entries are refused (earlier ones stay valid).
- ``board.witnesses`` (role ``root``): ``{"witnesses": [vkey...], "quorum": k}``:
  a checkpoint is final when ``k`` of these witnesses cosigned it.

State keys (domain ``board``): ``genesis``, ``authority/<key id>``,
``name/<name>``, ``revoked/<key id>``, ``witnesses``.
"""

from __future__ import annotations

import re
from typing import Any

from ledger.domains import Authority, Domain, Kind, View
from ledger.entry import Entry, key_id
from ledger.errors import DomainRejection
from ledger.note import NoteError, Verifier, valid_key_name

DOMAIN = "board"
GENESIS = "board.genesis"
AUTHORITY = "board.authority"
REVOKE = "board.revoke"
WITNESSES = "board.witnesses"
ROOT_ROLE = "root"
GENESIS_ROLE = "genesis"
"""No authority holds it: the genesis is admitted by the board's own rule."""

SIG_ED25519 = 0x01
SIG_COSIGNATURE_V1 = 0x04
NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
ROLE_RE = re.compile(r"[a-z][a-z0-9_]{0,31}")
MAX_WITNESSES = 64


def _fields(body: dict[str, Any], required: set[str], kind: str) -> None:
    if set(body) != required:
        raise DomainRejection(f"{kind} body needs exactly the fields {sorted(required)}")


def _public_key(value: Any) -> bytes:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
        raise DomainRejection("public_key must be 64 lowercase hex digits (Ed25519)")
    return bytes.fromhex(value)


def _name(value: Any) -> str:
    if not isinstance(value, str) or not NAME_RE.fullmatch(value):
        raise DomainRejection(f"bad authority name {value!r} (a-z, 0-9, '.', '_', '-', max 64)")
    return value


def authority(view_or_state: View, kid: str) -> Authority | None:
    """The registered, unrevoked authority with this key id."""
    rec = view_or_state.read(DOMAIN, f"authority/{kid}")
    if rec is None:
        return None
    return Authority(rec["name"], kid, bytes.fromhex(rec["public_key"]), tuple(rec["roles"]))


def _register(view: View, name: str, pk: bytes, roles: list[str]) -> None:
    kid = key_id(pk)
    view.put(
        f"authority/{kid}",
        {"name": name, "public_key": pk.hex(), "roles": roles, "since": view.index},
    )
    view.put(f"name/{name}", kid)


# ------------------------------------------------------------------- genesis


def genesis_root(entry: Entry) -> Authority:
    """Validate a genesis body; returns the root authority it names (who must have signed it)."""
    body = entry.body
    _fields(body, {"origin", "log_key", "root"}, GENESIS)
    origin = body["origin"]
    if not isinstance(origin, str) or not valid_key_name(origin) or len(origin) > 255:
        raise DomainRejection(f"bad origin {origin!r} (a signed-note key name)")
    try:
        log = Verifier.from_vkey(body["log_key"]) if isinstance(body["log_key"], str) else None
    except NoteError as e:
        raise DomainRejection(f"bad log_key: {e}") from None
    if log is None or log.sig_type != SIG_ED25519 or log.name != origin:
        raise DomainRejection("log_key must be an Ed25519 note verifier key named by the origin")
    root = body["root"]
    if not isinstance(root, dict) or set(root) != {"name", "public_key"}:
        raise DomainRejection("root must be {name, public_key}")
    pk = _public_key(root["public_key"])
    return Authority(_name(root["name"]), key_id(pk), pk, (ROOT_ROLE,))


def check_genesis(entry: Entry, view: View) -> None:
    if view.index != 0 or view.get("genesis") is not None:
        raise DomainRejection("the genesis is entry 0 and there is only one")
    root = genesis_root(entry)
    if entry.author != root.key_id:
        raise DomainRejection("the genesis must be signed by the root authority it names")


def apply_genesis(entry: Entry, view: View) -> None:
    root = genesis_root(entry)
    view.put("genesis", entry.body)
    _register(view, root.name, root.public_key, [ROOT_ROLE])


# --------------------------------------------------------------- authorities


def check_authority(entry: Entry, view: View) -> None:
    body = entry.body
    _fields(body, {"name", "public_key", "roles"}, AUTHORITY)
    name = _name(body["name"])
    pk = _public_key(body["public_key"])
    roles = body["roles"]
    if (
        not isinstance(roles, list)
        or not roles
        or len(roles) > 16
        or len(set(roles)) != len(roles)
        or not all(isinstance(r, str) and ROLE_RE.fullmatch(r) for r in roles)
    ):
        raise DomainRejection("roles must be a non-empty list of distinct role names")
    if GENESIS_ROLE in roles:
        raise DomainRejection("the genesis role cannot be given")
    if view.get(f"name/{name}") is not None:
        raise DomainRejection(f"the authority name {name!r} is taken")
    kid = key_id(pk)
    if view.get(f"authority/{kid}") is not None or view.get(f"revoked/{kid}") is not None:
        raise DomainRejection("this public key is (or was) registered already")


def apply_authority(entry: Entry, view: View) -> None:
    _register(
        view, entry.body["name"], bytes.fromhex(entry.body["public_key"]), entry.body["roles"]
    )


def check_revoke(entry: Entry, view: View) -> None:
    body = entry.body
    _fields(body, {"key_id", "reason"}, REVOKE)
    kid, reason = body["key_id"], body["reason"]
    if not isinstance(reason, str) or len(reason) > 1000:
        raise DomainRejection("reason must be a string of at most 1000 characters")
    if not isinstance(kid, str) or view.get(f"authority/{kid}") is None:
        raise DomainRejection(f"no registered authority has key id {kid!r}")
    if kid == entry.author:
        raise DomainRejection("an authority cannot revoke itself")


def apply_revoke(entry: Entry, view: View) -> None:
    kid = entry.body["key_id"]
    rec = dict(view.get(f"authority/{kid}") or {})
    view.delete(f"authority/{kid}")
    view.put(f"revoked/{kid}", {**rec, "revoked_at": view.index, "reason": entry.body["reason"]})


# ----------------------------------------------------------------- witnesses


def witness_verifiers(body: dict[str, Any]) -> list[Verifier]:
    """Parse a ``board.witnesses`` body's keys (cosignature/v1 vkeys)."""
    keys = body.get("witnesses")
    if not isinstance(keys, list) or len(keys) > MAX_WITNESSES:
        raise DomainRejection(f"witnesses must be a list of at most {MAX_WITNESSES} vkeys")
    out = []
    for k in keys:
        try:
            v = Verifier.from_vkey(k) if isinstance(k, str) else None
        except NoteError as e:
            raise DomainRejection(f"bad witness vkey: {e}") from None
        if v is None or v.sig_type != SIG_COSIGNATURE_V1:
            raise DomainRejection("a witness key must be a cosignature/v1 (type 0x04) vkey")
        out.append(v)
    if len({v.name for v in out}) != len(out):
        raise DomainRejection("witness names must be distinct")
    return out


def check_witnesses(entry: Entry, view: View) -> None:
    _fields(entry.body, {"witnesses", "quorum"}, WITNESSES)
    ws = witness_verifiers(entry.body)
    q = entry.body["quorum"]
    if type(q) is not int or not 0 <= q <= len(ws):
        raise DomainRejection(f"quorum must be an integer in 0..{len(ws)}")


def apply_witnesses(entry: Entry, view: View) -> None:
    view.put("witnesses", entry.body)


BOARD = Domain(
    DOMAIN,
    (
        Kind(GENESIS, GENESIS_ROLE, check_genesis, apply_genesis),
        Kind(AUTHORITY, ROOT_ROLE, check_authority, apply_authority),
        Kind(REVOKE, ROOT_ROLE, check_revoke, apply_revoke),
        Kind(WITNESSES, ROOT_ROLE, check_witnesses, apply_witnesses),
    ),
)

"""The health domain on the board (docs/health.md §Entries).

Kinds and the role that writes them:

- ``health.pseudonym`` (``provider``): a patient's signed pseudonym card
  ``{"sign", "box", "provider", "signature"}`` for this provider;
- ``health.record`` (``provider``): ``{"patient", "sha256", "size", "key", "emergency"}``
  — the commitment to an encrypted blob kept off the board, the record key
  sealed for the pseudonym, and for every registered emergency key;
- ``health.grant`` (``health_gateway``): ``{"grant", "signature"}``, a grant
  signed by the patient pseudonym's key, record keys re-sealed for the grantee;
- ``health.revoke`` (``health_gateway``): ``{"revoke": {"grant"}, "signature"}``,
  signed by the same pseudonym key;
- ``health.access`` (``health_gateway``): ``{"request", "signature"}``, a read
  request signed by the reader; the service releases the blob in the same
  transaction;
- ``health.emergency_key`` (``emergency``): ``{"box"}``, the authority's X25519 key;
- ``health.emergency`` (``emergency``): ``{"record", "reason"}``, a break-glass read.

State (domain ``health``): ``pseudonym/<pid>``, ``record/<sha256>``,
``records/<pid>/<index>``, ``grant/<grant id>``, ``grants/<pid>/<index>``,
``log/<pid>/<index>``, ``emergency/<key id>`` (indices as 12 digits).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ledger import authorities
from ledger.domains import Authority, Domain, Kind, View
from ledger.entry import Entry
from ledger.errors import DomainRejection
from services.health import messages
from services.health.errors import (
    BadPatientSignature,
    BadReaderSignature,
    GrantExpired,
    GrantRevoked,
    NoGrant,
    UnknownRecord,
)
from services.health.fhir import MAX_RECORD_BYTES
from services.health.keys import pseudonym_id
from services.health.sealing import NONCE_BYTES, TAG_BYTES, WRAPPED_BYTES

NAME = "health"
PSEUDONYM = "health.pseudonym"
RECORD = "health.record"
GRANT = "health.grant"
REVOKE = "health.revoke"
ACCESS = "health.access"
EMERGENCY_KEY = "health.emergency_key"
EMERGENCY = "health.emergency"
PROVIDER_ROLE = "provider"
GATEWAY_ROLE = "health_gateway"
EMERGENCY_ROLE = "emergency"
MAX_GRANT_RECORDS = 64
MAX_EMERGENCY_KEYS = 16
MAX_REASON = 1000
MIN_BLOB = NONCE_BYTES + TAG_BYTES
MAX_BLOB = MAX_RECORD_BYTES + NONCE_BYTES + TAG_BYTES
HEX64_RE = re.compile(r"[0-9a-f]{64}")
NONCE_RE = re.compile(r"[0-9a-f]{32}")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _fields(value: Any, required: set[str], what: str) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) != required:
        raise DomainRejection(f"{what} needs exactly the fields {sorted(required)}")
    return value


def _hash(value: Any, what: str) -> str:
    if not isinstance(value, str) or not HEX64_RE.fullmatch(value):
        raise DomainRejection(f"{what} must be 64 lowercase hex digits")
    return value


def _wrapped(value: Any, what: str) -> None:
    if (
        not isinstance(value, str)
        or len(value) != 2 * WRAPPED_BYTES
        or not messages.HEX_RE.fullmatch(value)
    ):
        raise DomainRejection(f"{what} must be a sealed key: {2 * WRAPPED_BYTES} hex digits")


def _time(value: Any, what: str) -> str:
    try:
        if not isinstance(value, str) or len(value) != 20:
            raise ValueError
        datetime.strptime(value, TIME_FORMAT)
    except ValueError:
        raise DomainRejection(
            f"{what} must be an RFC 3339 UTC time, e.g. 2027-01-31T12:00:00Z"
        ) from None
    return value


def _author(view: View) -> Authority:
    if view.author is None:
        raise DomainRejection("a health entry needs an author")
    return view.author


def _line(index: int) -> str:
    return f"{index:012d}"


def _sign_key(value: Any, what: str) -> bytes:
    pk = messages.valid_sign_key(value)
    if pk is None:
        raise DomainRejection(f"{what} must be an Ed25519 public key (64 hex digits)")
    return pk


def _box_key(value: Any, what: str) -> bytes:
    pk = messages.valid_box_key(value)
    if pk is None:
        raise DomainRejection(f"{what} must be an X25519 public key (64 hex digits)")
    return pk


def record(view: View, sha256: str) -> dict[str, Any]:
    rec = view.get(f"record/{sha256}")
    if rec is None:
        raise UnknownRecord(f"no record {sha256} on the board")
    return dict(rec)


def active_emergency_keys(view: View) -> dict[str, str]:
    """Key id → X25519 key (hex) of emergency authorities registered and not revoked."""
    out = {}
    for key, rec in view.scan("emergency/"):
        kid = key.removeprefix("emergency/")
        if view.read(authorities.DOMAIN, f"authority/{kid}") is not None:
            out[kid] = rec["box"]
    return out


def _log(view: View, patient: str, entry: Entry, **item: Any) -> None:
    view.put(
        f"log/{patient}/{_line(view.index)}", {"index": view.index, "time": entry.time, **item}
    )


# ----------------------------------------------------------------- pseudonyms


def check_pseudonym(entry: Entry, view: View) -> None:
    card = _fields(entry.body, {"sign", "box", "provider", "signature"}, PSEUDONYM)
    if card["provider"] != _author(view).key_id:
        raise DomainRejection("a pseudonym card names the provider that posts it")
    sign = _sign_key(card["sign"], "sign")
    _box_key(card["box"], "box")
    doc = {k: card[k] for k in ("sign", "box", "provider")}
    if not messages.verify(sign, messages.PSEUDONYM_PREFIX, doc, card["signature"]):
        raise BadPatientSignature("the pseudonym card is not signed by its own key")
    if view.get(f"pseudonym/{pseudonym_id(sign)}") is not None:
        raise DomainRejection("this pseudonym is registered already")


def apply_pseudonym(entry: Entry, view: View) -> None:
    b = entry.body
    pid = pseudonym_id(bytes.fromhex(b["sign"]))
    view.put(
        f"pseudonym/{pid}",
        {"sign": b["sign"], "box": b["box"], "provider": b["provider"], "index": view.index},
    )


# -------------------------------------------------------------------- records


def check_record(entry: Entry, view: View) -> None:
    b = _fields(entry.body, {"patient", "sha256", "size", "key", "emergency"}, RECORD)
    pid = _hash(b["patient"], "patient")
    p = view.get(f"pseudonym/{pid}")
    if p is None:
        raise DomainRejection("the patient pseudonym is not registered")
    if p["provider"] != _author(view).key_id:
        raise DomainRejection("a provider writes records only under its own pseudonyms")
    sha = _hash(b["sha256"], "sha256")
    if view.get(f"record/{sha}") is not None:
        raise DomainRejection("a record with this blob hash exists already")
    size = b["size"]
    if type(size) is not int or not MIN_BLOB <= size <= MAX_BLOB:
        raise DomainRejection(f"size must be an integer in {MIN_BLOB}..{MAX_BLOB}")
    _wrapped(b["key"], "key")
    em = b["emergency"]
    if not isinstance(em, dict) or set(em) != set(active_emergency_keys(view)):
        raise DomainRejection("emergency must seal the key for every registered emergency key")
    for kid, wrapped in em.items():
        _wrapped(wrapped, f"emergency[{kid[:8]}…]")


def apply_record(entry: Entry, view: View) -> None:
    b = entry.body
    view.put(
        f"record/{b['sha256']}",
        {
            "patient": b["patient"],
            "provider": entry.author,
            "size": b["size"],
            "key": b["key"],
            "emergency": b["emergency"],
            "index": view.index,
            "time": entry.time,
        },
    )
    view.put(f"records/{b['patient']}/{_line(view.index)}", b["sha256"])


# --------------------------------------------------------------------- grants


def _patient_key(view: View, pid: Any) -> bytes:
    p = view.get(f"pseudonym/{_hash(pid, 'patient')}")
    if p is None:
        raise DomainRejection("the patient pseudonym is not registered")
    return bytes.fromhex(p["sign"])


def check_grant(entry: Entry, view: View) -> None:
    b = _fields(entry.body, {"grant", "signature"}, GRANT)
    g = _fields(b["grant"], {"patient", "grantee", "keys", "expires", "nonce"}, "grant")
    patient_key = _patient_key(view, g["patient"])
    if not messages.verify(patient_key, messages.GRANT_PREFIX, g, b["signature"]):
        raise BadPatientSignature("the grant is not signed by the patient's pseudonym key")
    grantee = _fields(g["grantee"], {"sign", "box"}, "grantee")
    _sign_key(grantee["sign"], "grantee.sign")
    _box_key(grantee["box"], "grantee.box")
    keys = g["keys"]
    if not isinstance(keys, dict) or not 1 <= len(keys) <= MAX_GRANT_RECORDS:
        raise DomainRejection(f"a grant names 1 to {MAX_GRANT_RECORDS} records")
    for sha, wrapped in keys.items():
        if record(view, _hash(sha, "record")).get("patient") != g["patient"]:
            raise UnknownRecord(f"record {sha} is not one of this patient's records")
        _wrapped(wrapped, "a grant key")
    if _time(g["expires"], "expires") <= entry.time:
        raise GrantExpired("the grant expires before it is posted")
    if not isinstance(g["nonce"], str) or not NONCE_RE.fullmatch(g["nonce"]):
        raise DomainRejection("nonce must be 32 lowercase hex digits")
    if view.get(f"grant/{messages.digest(g)}") is not None:
        raise DomainRejection("this grant is on the board already")


def apply_grant(entry: Entry, view: View) -> None:
    g = entry.body["grant"]
    gid = messages.digest(g)
    view.put(
        f"grant/{gid}",
        {
            "patient": g["patient"],
            "grantee": g["grantee"],
            "keys": g["keys"],
            "expires": g["expires"],
            "index": view.index,
            "revoked": None,
        },
    )
    view.put(f"grants/{g['patient']}/{_line(view.index)}", gid)


def _grant(view: View, gid: Any) -> dict[str, Any]:
    rec = view.get(f"grant/{_hash(gid, 'grant')}")
    if rec is None:
        raise NoGrant(f"no grant {gid} on the board")
    return dict(rec)


def check_revoke(entry: Entry, view: View) -> None:
    b = _fields(entry.body, {"revoke", "signature"}, REVOKE)
    r = _fields(b["revoke"], {"grant"}, "revoke")
    g = _grant(view, r["grant"])
    if not messages.verify(
        _patient_key(view, g["patient"]), messages.REVOKE_PREFIX, r, b["signature"]
    ):
        raise BadPatientSignature("the revocation is not signed by the patient's pseudonym key")
    if g["revoked"] is not None:
        raise GrantRevoked("the grant is revoked already")


def apply_revoke(entry: Entry, view: View) -> None:
    gid = entry.body["revoke"]["grant"]
    g = dict(view.get(f"grant/{gid}") or {})
    view.put(f"grant/{gid}", {**g, "revoked": view.index})


# --------------------------------------------------------------------- access


def check_access(entry: Entry, view: View) -> None:
    b = _fields(entry.body, {"request", "signature"}, ACCESS)
    q = _fields(b["request"], {"record", "grant", "reader", "time", "nonce"}, "request")
    reader = _sign_key(q["reader"], "reader")
    if not messages.verify(reader, messages.ACCESS_PREFIX, q, b["signature"]):
        raise BadReaderSignature("the read request is not signed by its reader")
    if q["time"] != entry.time:
        raise DomainRejection("the entry's time is the time the reader signed")
    if not isinstance(q["nonce"], str) or not NONCE_RE.fullmatch(q["nonce"]):
        raise DomainRejection("nonce must be 32 lowercase hex digits")
    rec = record(view, _hash(q["record"], "record"))
    if q["grant"] is None:
        p = view.get(f"pseudonym/{rec['patient']}")
        if p is None or p["sign"] != q["reader"]:
            raise NoGrant("a read without a grant is only the patient's own")
        return
    g = _grant(view, q["grant"])
    if g["grantee"]["sign"] != q["reader"] or q["record"] not in g["keys"]:
        raise NoGrant("the grant does not give this reader this record")
    if g["revoked"] is not None:
        raise GrantRevoked(f"the grant was revoked at entry {g['revoked']}")
    if entry.time >= g["expires"]:
        raise GrantExpired(f"the grant expired at {g['expires']}")


def apply_access(entry: Entry, view: View) -> None:
    q = entry.body["request"]
    rec = view.get(f"record/{q['record']}") or {}
    _log(
        view,
        rec["patient"],
        entry,
        record=q["record"],
        via="patient" if q["grant"] is None else "grant",
        reader=q["reader"],
        grant=q["grant"],
        reason=None,
    )


# ------------------------------------------------------------------ emergency


def check_emergency_key(entry: Entry, view: View) -> None:
    b = _fields(entry.body, {"box"}, EMERGENCY_KEY)
    _box_key(b["box"], "box")
    if view.get(f"emergency/{_author(view).key_id}") is not None:
        raise DomainRejection("this authority has an emergency key already")
    if len(active_emergency_keys(view)) >= MAX_EMERGENCY_KEYS:
        raise DomainRejection(f"at most {MAX_EMERGENCY_KEYS} emergency keys")


def apply_emergency_key(entry: Entry, view: View) -> None:
    a = _author(view)
    view.put(
        f"emergency/{a.key_id}", {"box": entry.body["box"], "name": a.name, "index": view.index}
    )


def check_emergency(entry: Entry, view: View) -> None:
    b = _fields(entry.body, {"record", "reason"}, EMERGENCY)
    rec = record(view, _hash(b["record"], "record"))
    reason = b["reason"]
    if not isinstance(reason, str) or not 1 <= len(reason.strip()) <= MAX_REASON:
        raise DomainRejection(f"an emergency access needs a reason of 1 to {MAX_REASON} characters")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in reason):
        raise DomainRejection("the reason is one line without control characters")
    if _author(view).key_id not in rec["emergency"]:
        raise NoGrant("the record carries no emergency key for this authority")


def apply_emergency(entry: Entry, view: View) -> None:
    rec = view.get(f"record/{entry.body['record']}") or {}
    _log(
        view,
        rec["patient"],
        entry,
        record=entry.body["record"],
        via="emergency",
        reader=_author(view).name,
        grant=None,
        reason=entry.body["reason"],
    )


DOMAIN = Domain(
    NAME,
    (
        Kind(PSEUDONYM, PROVIDER_ROLE, check_pseudonym, apply_pseudonym),
        Kind(RECORD, PROVIDER_ROLE, check_record, apply_record),
        Kind(GRANT, GATEWAY_ROLE, check_grant, apply_grant),
        Kind(REVOKE, GATEWAY_ROLE, check_revoke, apply_revoke),
        Kind(ACCESS, GATEWAY_ROLE, check_access, apply_access),
        Kind(EMERGENCY_KEY, EMERGENCY_ROLE, check_emergency_key, apply_emergency_key),
        Kind(EMERGENCY, EMERGENCY_ROLE, check_emergency, apply_emergency),
    ),
)

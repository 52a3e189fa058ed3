"""What the health domain's state says, as value types (docs/health.md §State)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RecordInfo:
    """A record entry: the commitment to its blob and the keys wrapped on the board."""

    sha256: str
    """Lowercase hex SHA-256 of the blob: commitment and address."""
    patient: str
    """The pseudonym id."""
    provider: str
    """The writing provider's board key id."""
    size: int
    key: bytes
    """The record key sealed for the pseudonym's X25519 key."""
    emergency: dict[str, bytes]
    """Emergency authority key id → the record key sealed for its X25519 key."""
    index: int
    time: str

    @classmethod
    def from_state(cls, sha256: str, rec: dict[str, Any]) -> RecordInfo:
        return cls(
            sha256,
            rec["patient"],
            rec["provider"],
            int(rec["size"]),
            bytes.fromhex(rec["key"]),
            {k: bytes.fromhex(v) for k, v in rec["emergency"].items()},
            int(rec["index"]),
            rec["time"],
        )


@dataclass(frozen=True)
class GrantInfo:
    """A patient's grant as the board holds it."""

    grant_id: str
    patient: str
    grantee_sign: str
    grantee_box: str
    keys: dict[str, bytes]
    """Record hash → the record key sealed for the grantee's X25519 key."""
    expires: str
    index: int
    revoked: int | None
    """The index of the ``health.revoke`` entry, if any."""

    @property
    def records(self) -> tuple[str, ...]:
        return tuple(sorted(self.keys))

    @classmethod
    def from_state(cls, grant_id: str, rec: dict[str, Any]) -> GrantInfo:
        return cls(
            grant_id,
            rec["patient"],
            rec["grantee"]["sign"],
            rec["grantee"]["box"],
            {k: bytes.fromhex(v) for k, v in rec["keys"].items()},
            rec["expires"],
            int(rec["index"]),
            rec["revoked"],
        )


@dataclass(frozen=True)
class AccessLogItem:
    """One read of a record: who, which record, under which grant or emergency reason."""

    index: int
    """The ``health.access`` or ``health.emergency`` entry's index on the board."""
    time: str
    record: str
    via: str
    """``"patient"`` (own read), ``"grant"`` or ``"emergency"``."""
    reader: str
    """The reader's Ed25519 public key (hex), or the emergency authority's board name."""
    grant: str | None
    reason: str | None

    @classmethod
    def from_state(cls, rec: dict[str, Any]) -> AccessLogItem:
        return cls(
            int(rec["index"]),
            rec["time"],
            rec["record"],
            rec["via"],
            rec["reader"],
            rec["grant"],
            rec["reason"],
        )


@dataclass(frozen=True)
class Release:
    """A blob released by a logged read, with the wrapped key its reader can open."""

    record: RecordInfo
    blob: bytes
    wrapped_key: bytes
    access_index: int
    """The index of the access-log entry appended in the same transaction."""

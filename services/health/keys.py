"""Keys of patients and readers (docs/health.md §Keys).

A **patient** holds one 32-byte master secret.  For each provider (named by
its board key id) it derives a *pseudonym*:

- signing seed ``HMAC-SHA256(master, "pnyx/health/pseudonym/v1/sign\\n" || provider)``
  → an Ed25519 key; the pseudonym id is the lowercase hex SHA-256 of its public key;
- box secret ``HMAC-SHA256(master, "pnyx/health/pseudonym/v1/box\\n" || provider)``
  → an X25519 key, for which the provider wraps record keys.

Different providers see unrelated keys, so nobody but the patient (and each
provider, for its own pseudonym) can link the pseudonyms to one person.

A **reader** (a practitioner or a provider given access) holds an Ed25519 key
that signs read requests and an X25519 key for which the patient re-wraps
record keys; its *card* ``{"sign", "box"}`` is what the patient grants to.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nacl.public import PrivateKey
from nacl.signing import SigningKey
from nacl.utils import random as random_bytes

from services.health import messages
from services.health.fhir import parse_record
from services.health.sealing import open_record, record_aad, unwrap_key, wrap_key
from services.health.views import RecordInfo, Release

SIGN_LABEL = b"pnyx/health/pseudonym/v1/sign\n"
BOX_LABEL = b"pnyx/health/pseudonym/v1/box\n"
MASTER_BYTES = 32


def pseudonym_id(sign_public_key: bytes) -> str:
    """The id of a pseudonym: lowercase hex SHA-256 of its Ed25519 public key."""
    return hashlib.sha256(sign_public_key).hexdigest()


def nonce() -> str:
    """16 random bytes as hex: keeps two otherwise equal signed documents apart."""
    return random_bytes(16).hex()


def open_release(box_secret: PrivateKey, release: Release) -> dict[str, Any]:
    """Decrypt a released blob with the wrapped key it came with (any holder of ``box_secret``)."""
    key = unwrap_key(release.wrapped_key, box_secret)
    aad = record_aad(release.record.provider, release.record.patient)
    return parse_record(open_record(key, release.blob, aad))


@dataclass(frozen=True)
class Pseudonym:
    """A patient's keys towards one provider."""

    provider: str
    signing_key: SigningKey = field(repr=False)
    box_secret: PrivateKey = field(repr=False)

    @property
    def sign_public(self) -> bytes:
        return bytes(self.signing_key.verify_key)

    @property
    def box_public(self) -> bytes:
        return bytes(self.box_secret.public_key)

    @property
    def id(self) -> str:
        return pseudonym_id(self.sign_public)

    def card(self) -> dict[str, str]:
        """The signed pseudonym card the patient hands to the provider (``health.pseudonym``)."""
        doc = {
            "sign": self.sign_public.hex(),
            "box": self.box_public.hex(),
            "provider": self.provider,
        }
        return {**doc, "signature": messages.sign(self.signing_key, messages.PSEUDONYM_PREFIX, doc)}

    def record_key(self, record: RecordInfo) -> bytes:
        """The record key, unwrapped from the record entry's wrap for this pseudonym."""
        return unwrap_key(record.key, self.box_secret)

    def open(self, record: RecordInfo, blob: bytes) -> dict[str, Any]:
        """Decrypt one of this pseudonym's records (the blob as released to the patient)."""
        aad = record_aad(record.provider, record.patient)
        return parse_record(open_record(self.record_key(record), blob, aad))

    def grant(
        self,
        grantee: dict[str, str],
        records: Sequence[RecordInfo],
        expires: str,
        grant_nonce: str | None = None,
    ) -> dict[str, Any]:
        """A ``health.grant`` body: the record keys re-wrapped for ``grantee['box']``, signed."""
        box = messages.valid_box_key(grantee.get("box"))
        if box is None:
            raise ValueError("the grantee's box key is not a valid X25519 public key")
        doc = {
            "patient": self.id,
            "grantee": {"sign": grantee["sign"], "box": grantee["box"]},
            "keys": {r.sha256: wrap_key(self.record_key(r), box).hex() for r in records},
            "expires": expires,
            "nonce": grant_nonce or nonce(),
        }
        return {
            "grant": doc,
            "signature": messages.sign(self.signing_key, messages.GRANT_PREFIX, doc),
        }

    def revoke(self, grant_id: str) -> dict[str, Any]:
        """A ``health.revoke`` body for one of this pseudonym's grants."""
        doc = {"grant": grant_id}
        return {
            "revoke": doc,
            "signature": messages.sign(self.signing_key, messages.REVOKE_PREFIX, doc),
        }

    def request(self, record: str, time: str, request_nonce: str | None = None) -> dict[str, Any]:
        """A ``health.access`` body: the patient reads their own record (no grant)."""
        return _request(self.signing_key, record, None, time, request_nonce)


@dataclass(frozen=True)
class PatientKeys:
    """A patient's master secret; everything else is derived from it."""

    master: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.master) != MASTER_BYTES:
            raise ValueError("a patient master secret is 32 bytes")

    @classmethod
    def generate(cls) -> PatientKeys:
        return cls(random_bytes(MASTER_BYTES))

    def pseudonym(self, provider: str) -> Pseudonym:
        """The pseudonym towards the provider with board key id ``provider``."""
        p = provider.encode("ascii")
        sign_seed = hmac.new(self.master, SIGN_LABEL + p, hashlib.sha256).digest()
        box_seed = hmac.new(self.master, BOX_LABEL + p, hashlib.sha256).digest()
        return Pseudonym(provider, SigningKey(sign_seed), PrivateKey(box_seed))


def _request(
    key: SigningKey, record: str, grant: str | None, time: str, request_nonce: str | None
) -> dict[str, Any]:
    doc = {
        "record": record,
        "grant": grant,
        "reader": bytes(key.verify_key).hex(),
        "time": time,
        "nonce": request_nonce or nonce(),
    }
    return {"request": doc, "signature": messages.sign(key, messages.ACCESS_PREFIX, doc)}


@dataclass(frozen=True)
class Reader:
    """A practitioner or provider who reads records under grants."""

    signing_key: SigningKey = field(repr=False)
    box_secret: PrivateKey = field(repr=False)

    @classmethod
    def generate(cls) -> Reader:
        return cls(SigningKey.generate(), PrivateKey.generate())

    def card(self) -> dict[str, str]:
        """What the patient grants to: ``{"sign", "box"}`` public keys as hex."""
        return {
            "sign": bytes(self.signing_key.verify_key).hex(),
            "box": bytes(self.box_secret.public_key).hex(),
        }

    def request(
        self, record: str, grant: str, time: str, request_nonce: str | None = None
    ) -> dict[str, Any]:
        """A ``health.access`` body: read ``record`` under ``grant`` at ``time``."""
        return _request(self.signing_key, record, grant, time, request_nonce)

    def open(self, release: Release) -> dict[str, Any]:
        return open_release(self.box_secret, release)

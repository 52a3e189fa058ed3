"""Issuer BBS keys as the board publishes them (docs/credentials.md §Formats, "Issuer key").

An issuer publishes ``{"key_id", "ciphersuite", "public_key", "possession"}``:
``key_id`` is the lowercase hex SHA-256 of the 96-byte public key, and
``possession`` a BBS signature (draft-irtf-cfrg-bbs-signatures §3.5.1 Sign) by
the key over ``header = "pnyx/issuer-key/v1"`` and the messages
``[board origin, issuer name]``.  Verifying it (§3.5.2 Verify) both validates
the public key (a G2 point in the subgroup, not the identity) and shows that
the publisher holds the secret key, so nobody can republish another issuer's
key under their own name on this board.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from crypto import bbs
from ledger.errors import DomainRejection

SUITES: dict[str, Any] = {
    "BLS12-381-SHA-256": bbs.BLS12_381_SHA_256,
    "BLS12-381-SHAKE-256": bbs.BLS12_381_SHAKE_256,
}
DEFAULT_SUITE = "BLS12-381-SHA-256"
POSSESSION_HEADER = b"pnyx/issuer-key/v1"
PUBLIC_KEY_BYTES = 96


def suite(name: str) -> Any:
    """The BBS ciphersuite object of a published name."""
    try:
        return SUITES[name]
    except (KeyError, TypeError):
        raise DomainRejection(
            f"unknown ciphersuite {name!r} (one of {', '.join(SUITES)})"
        ) from None


def issuer_key_id(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()


def possession_messages(origin: str, issuer: str) -> list[bytes]:
    return [origin.encode("utf-8"), issuer.encode("utf-8")]


@dataclass(frozen=True)
class IssuerKey:
    """A published issuer key as the verifier reads it from the board."""

    key_id: str
    issuer: str
    author: str
    """The Ed25519 key id of the authority that published it."""
    ciphersuite: str
    public_key: bytes

    @property
    def suite(self) -> Any:
        return suite(self.ciphersuite)

    @classmethod
    def from_state(cls, key_id: str, rec: dict[str, Any]) -> IssuerKey:
        return cls(
            key_id,
            rec["issuer"],
            rec["author"],
            rec["ciphersuite"],
            bytes.fromhex(rec["public_key"]),
        )


def issuer_key_body(ciphersuite: str, sk: bytes, origin: str, issuer: str) -> dict[str, Any]:
    """The body of an ``identity.issuer_key`` entry for the secret key ``sk``."""
    s = suite(ciphersuite)
    pk = s.sk_to_pk(sk)
    possession = s.sign(sk, pk, POSSESSION_HEADER, possession_messages(origin, issuer))
    return {
        "key_id": issuer_key_id(pk),
        "ciphersuite": ciphersuite,
        "public_key": pk.hex(),
        "possession": possession.hex(),
    }

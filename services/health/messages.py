"""What patients and readers sign (docs/health.md §Signed messages).

Each signed document is Ed25519 (RFC 8032) over a fixed ASCII prefix, a
newline, and the RFC 8785 canonical JSON of the document:

- ``pnyx/health/pseudonym/v1`` — a pseudonym card ``{"box", "provider", "sign"}``,
  by the pseudonym's signing key;
- ``pnyx/health/grant/v1`` — a grant ``{"expires", "grantee", "keys", "nonce", "patient"}``,
  by the patient pseudonym's signing key;
- ``pnyx/health/revoke/v1`` — a revocation ``{"grant"}``, by the same key;
- ``pnyx/health/access/v1`` — a read request
  ``{"grant", "nonce", "reader", "record", "time"}``, by the reader's key.

The prefixes keep one kind of signature from ever verifying as another.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from nacl import bindings
from nacl.exceptions import BadSignatureError
from nacl.exceptions import ValueError as NaclValueError
from nacl.signing import SigningKey, VerifyKey

from ledger.entry import canonical

PSEUDONYM_PREFIX = b"pnyx/health/pseudonym/v1\n"
GRANT_PREFIX = b"pnyx/health/grant/v1\n"
REVOKE_PREFIX = b"pnyx/health/revoke/v1\n"
ACCESS_PREFIX = b"pnyx/health/access/v1\n"
HEX_RE = re.compile(r"[0-9a-f]*")


def message(prefix: bytes, doc: dict[str, Any]) -> bytes:
    """The bytes signed for ``doc``: ``prefix || JCS(doc)``."""
    return prefix + canonical(doc)


def digest(doc: dict[str, Any]) -> str:
    """Lowercase hex SHA-256 of ``JCS(doc)``: the id of a grant."""
    return hashlib.sha256(canonical(doc)).hexdigest()


def sign(key: SigningKey, prefix: bytes, doc: dict[str, Any]) -> str:
    """An Ed25519 signature (128 hex digits) over :func:`message`."""
    return bytes(key.sign(message(prefix, doc)).signature).hex()


def valid_sign_key(value: Any) -> bytes | None:
    """An Ed25519 public key from 64 hex digits: on the curve, not of small order; else None."""
    if not isinstance(value, str) or len(value) != 64 or not HEX_RE.fullmatch(value):
        return None
    pk = bytes.fromhex(value)
    return pk if bindings.crypto_core_ed25519_is_valid_point(pk) else None


def valid_box_key(value: Any) -> bytes | None:
    """An X25519 public key from 64 hex digits, refused when of small order; else None.

    A small-order key makes the X25519 shared secret all zeros, which
    libsodium's ``crypto_scalarmult`` refuses (it raises): that is the test.
    """
    if not isinstance(value, str) or len(value) != 64 or not HEX_RE.fullmatch(value):
        return None
    pk = bytes.fromhex(value)
    try:
        bindings.crypto_scalarmult(b"\x09" * 32, pk)
    except Exception:  # libsodium's RuntimeError for an all-zero result
        return None
    return pk


def verify(public_key: bytes, prefix: bytes, doc: dict[str, Any], signature: Any) -> bool:
    """Whether ``signature`` (128 hex digits) is by ``public_key`` over :func:`message`."""
    if not isinstance(signature, str) or len(signature) != 128 or not HEX_RE.fullmatch(signature):
        return False
    try:
        VerifyKey(public_key).verify(message(prefix, doc), bytes.fromhex(signature))
    except (BadSignatureError, NaclValueError, TypeError):
        return False
    return True

"""Ed25519 witness cosignatures, C2SP ``tlog-cosignature`` (``cosignature/v1``).

A cosignature is a note signature (signature type ``0x04``) on a checkpoint::

    — <cosigner name> base64(key ID || timestamped_signature)

    struct { u64 timestamp; opaque ed25519_signature[64]; } timestamped_signature;

§Format: the key ID is ``SHA-256(name || "\\n" || 0x04 || public key)[:4]``; the
timestamp is POSIX seconds, big-endian, at most 2^63 - 1.

§Ed25519 signed message: the Ed25519 signature covers::

    cosignature/v1
    time <timestamp, ASCII decimal, no leading zeroes>
    <the whole checkpoint note text, final newline included>

Private key form (ours, documented here): Go's ``skey`` layout with the
cosignature type byte, ``PRIVATE+KEY+<name>+<hex key ID>+base64(0x04 || seed)``,
where the key ID is the ``0x04`` one.  The type byte tells a cosigner key from a
note signer key (``0x01``): :meth:`ledger.note.Signer.from_skey` refuses it and Go's
``note.NewSigner`` rejects it as an unknown algorithm, so a witness key is never
used to sign plain notes by mistake.
"""

from __future__ import annotations

from ledger.note import (
    ED25519_SIGNATURE_SIZE,
    SIG_COSIGNATURE_V1,
    InvalidSignature,
    NamedKey,
    NoteError,
    NoteSignature,
    Verifier,
    check_text,
    ed25519_verify,
)

__all__ = [
    "COSIGNATURE_HEADER",
    "MAX_TIMESTAMP",
    "CosignatureSigner",
    "cosignature_message",
    "verify_cosignature",
]

#: §Ed25519 signed message: the header line, for domain separation.
COSIGNATURE_HEADER = "cosignature/v1"
#: §Format: ``timestamp`` MUST NOT exceed 2^63 - 1.
MAX_TIMESTAMP = 2**63 - 1
TIMESTAMP_SIZE = 8
#: timestamp (8) + Ed25519 signature (64).
TIMESTAMPED_SIGNATURE_SIZE = TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE


def _check_timestamp(timestamp: int) -> None:
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise TypeError("timestamp must be an int")
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise ValueError(f"timestamp {timestamp} is outside 0..2^63-1")


def cosignature_message(checkpoint_text: str, timestamp: int) -> bytes:
    """§Ed25519 signed message: ``cosignature/v1\\ntime <ts>\\n`` + checkpoint text."""
    _check_timestamp(timestamp)
    check_text(checkpoint_text)
    header = f"{COSIGNATURE_HEADER}\ntime {timestamp}\n"
    return header.encode("ascii") + checkpoint_text.encode("utf-8")


class CosignatureSigner(NamedKey):
    """A witness's Ed25519 cosigning key (signature type ``0x04``).

    ``repr``/``str`` never show the seed; :meth:`to_skey` is the one way out.
    """

    SIG_TYPE = SIG_COSIGNATURE_V1
    __slots__ = ()

    def cosign(self, checkpoint_text: str, timestamp: int) -> NoteSignature:
        """§Format: the signature line's bytes after the key ID are
        ``uint64be(timestamp) || Ed25519(cosignature_message(text, timestamp))``."""
        message = cosignature_message(checkpoint_text, timestamp)
        return NoteSignature(
            self._name,
            self._key_id,
            timestamp.to_bytes(TIMESTAMP_SIZE, "big") + self._sign(message),
        )


def verify_cosignature(verifier: Verifier, checkpoint_text: str, sig: NoteSignature) -> int:
    """Verify a ``cosignature/v1`` signature line on ``checkpoint_text``; return its timestamp.

    The verifier must be a type ``0x04`` key whose name and key ID match the
    line (otherwise the line is not from this key: :class:`NoteError`, a
    caller's mistake).  The signature must be exactly 8 + 64 bytes with a
    timestamp of at most 2^63 - 1 and verify over :func:`cosignature_message`;
    any failure raises :class:`InvalidSignature`.
    """
    if verifier.sig_type != SIG_COSIGNATURE_V1:
        raise NoteError("verify_cosignature needs a cosignature/v1 (0x04) verifier")
    if not verifier.matches(sig):
        raise NoteError("signature line is not from this verifier (name or key ID differ)")
    check_text(checkpoint_text)
    if len(sig.signature) != TIMESTAMPED_SIGNATURE_SIZE:
        raise InvalidSignature(f"cosignature by {sig.name} is {len(sig.signature)} bytes, want 72")
    timestamp = int.from_bytes(sig.signature[:TIMESTAMP_SIZE], "big")
    if timestamp > MAX_TIMESTAMP:
        raise InvalidSignature(f"cosignature by {sig.name} has a timestamp above 2^63-1")
    message = cosignature_message(checkpoint_text, timestamp)
    if not ed25519_verify(verifier.public_key, message, sig.signature[TIMESTAMP_SIZE:]):
        raise InvalidSignature(f"cosignature by {sig.name} ({sig.key_id.hex()}) fails")
    return timestamp

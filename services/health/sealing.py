"""Record encryption and key wrapping (docs/health.md §Keys).

- A record is encrypted under a fresh 32-byte key with XChaCha20-Poly1305
  (IETF, libsodium ``crypto_aead_xchacha20poly1305_ietf_*``): the blob is
  ``nonce (24 bytes, random) || ciphertext || tag (16)``, the associated data
  binds the blob to its provider and patient pseudonym (:func:`record_aad`).
- A record key is *wrapped* for an X25519 public key with a libsodium sealed
  box (``crypto_box_seal``: an ephemeral X25519 key, XSalsa20-Poly1305):
  80 bytes, openable only by the holder of the matching secret key.
"""

from __future__ import annotations

import hashlib

from nacl import bindings
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.utils import random as random_bytes

from services.health.errors import RecordUndecryptable

KEY_BYTES = bindings.crypto_aead_xchacha20poly1305_ietf_KEYBYTES
NONCE_BYTES = bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
TAG_BYTES = bindings.crypto_aead_xchacha20poly1305_ietf_ABYTES
WRAPPED_BYTES = KEY_BYTES + 48
"""A sealed box of a key: ephemeral public key (32) + key (32) + Poly1305 tag (16)."""
AAD_PREFIX = b"pnyx/health/record/v1\n"


def record_aad(provider: str, patient: str) -> bytes:
    """Associated data of a record: the provider's key id and the patient pseudonym id."""
    return AAD_PREFIX + provider.encode("ascii") + b"\n" + patient.encode("ascii")


def blob_hash(blob: bytes) -> str:
    """The commitment and address of a blob: lowercase hex SHA-256 of its bytes."""
    return hashlib.sha256(blob).hexdigest()


def seal_record(plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
    """Encrypt under a fresh key; returns ``(key, blob)``."""
    key = random_bytes(KEY_BYTES)
    nonce = random_bytes(NONCE_BYTES)
    ct = bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, aad, nonce, key)
    return key, nonce + ct


def open_record(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """Decrypt a blob; raises :class:`RecordUndecryptable` when it does not authenticate."""
    if len(key) != KEY_BYTES or len(blob) < NONCE_BYTES + TAG_BYTES:
        raise RecordUndecryptable("wrong key or blob length")
    try:
        return bytes(
            bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
                blob[NONCE_BYTES:], aad, blob[:NONCE_BYTES], key
            )
        )
    except CryptoError:
        raise RecordUndecryptable("the record does not authenticate under this key") from None


def wrap_key(key: bytes, box_public_key: bytes) -> bytes:
    """Seal a record key for an X25519 public key (80 bytes)."""
    return bytes(SealedBox(PublicKey(box_public_key)).encrypt(key))


def unwrap_key(wrapped: bytes, box_secret: PrivateKey) -> bytes:
    """Open a wrapped record key; raises :class:`RecordUndecryptable` when it is not ours."""
    try:
        key = bytes(SealedBox(box_secret).decrypt(wrapped))
    except CryptoError:
        raise RecordUndecryptable("this key was not wrapped for this holder") from None
    if len(key) != KEY_BYTES:
        raise RecordUndecryptable("the wrapped value is not a record key")
    return key

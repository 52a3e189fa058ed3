"""Signed notes, as C2SP ``signed-note`` specifies them (https://c2sp.org/signed-note).

A note is a text signed by one or more keys::

    <text, ending in a newline>
    <a blank line>
    — <key name> base64(4-byte key ID || signature)
    ...

This module holds the note format (§Format), signature lines (§Signatures), key
IDs, verifier keys (``vkey``), Ed25519 note signatures (signature type ``0x01``,
§Ed25519 signatures) and Go-style private keys (``skey``, as golang.org/x/mod
``sumdb/note`` writes them).  Timestamped witness cosignatures (type ``0x04``)
live in :mod:`ledger.cosignature`; :func:`open_note` hands them over.

Decoding is validation: every malformed note, key or signature line raises
:class:`NoteError`, never another exception.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

import nacl.exceptions
import nacl.signing

__all__ = [
    "MAX_SIGNATURES",
    "SIG_COSIGNATURE_V1",
    "SIG_ED25519",
    "InvalidSignature",
    "Note",
    "NoteError",
    "NoteSignature",
    "Signer",
    "UnverifiedNote",
    "Verifier",
    "add_signatures",
    "decode_base64",
    "decode_skey",
    "encode_skey",
    "key_id",
    "open_note",
    "parse_note",
    "sign_note",
    "valid_key_name",
]

#: §Signature types: ``0x01`` Ed25519 note signatures.
SIG_ED25519 = 0x01
#: §Signature types: ``0x04`` timestamped Ed25519 cosignatures (c2sp.org/tlog-cosignature).
SIG_COSIGNATURE_V1 = 0x04
#: The signature types a :class:`Verifier` accepts.
KNOWN_SIG_TYPES = frozenset({SIG_ED25519, SIG_COSIGNATURE_V1})

#: §Format: verifiers SHOULD cap the number of signatures and MUST accept at least
#: 16.  We cap at 100, as Go's ``sumdb/note`` does.
MAX_SIGNATURES = 100

KEY_ID_SIZE = 4
ED25519_PUBLIC_KEY_SIZE = 32
ED25519_SEED_SIZE = 32
ED25519_SIGNATURE_SIZE = 64

SIG_PREFIX = "\u2014 "  # em dash, space
SKEY_PREFIX = "PRIVATE+KEY+"

_HEX_KEY_ID = re.compile(r"[0-9a-fA-F]{8}")


class NoteError(ValueError):
    """A malformed note, signature line, verifier key or signer key."""


class InvalidSignature(Exception):
    """A signature from a known key (name and key ID match) does not verify."""


class UnverifiedNote(Exception):
    """No signature on the note is from a known key."""


# ------------------------------------------------------------------ encodings


def decode_base64(value: str, what: str) -> bytes:
    """Decode standard base64 (RFC 4648 §4, padded) and accept only its canonical form.

    Anything else (URL alphabet, whitespace, missing padding, non-zero
    trailing bits) raises :class:`NoteError` naming ``what``.
    """
    if not value.isascii():
        raise NoteError(f"{what}: not base64")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NoteError(f"{what}: not base64") from exc
    if base64.b64encode(raw).decode("ascii") != value:
        raise NoteError(f"{what}: non-canonical base64")
    return raw


def _is_space(ch: str) -> bool:
    """A Unicode space: Python's notion or Unicode's Z categories, whichever is wider."""
    return ch.isspace() or unicodedata.category(ch) in ("Zs", "Zl", "Zp")


def _has_control(s: str) -> bool:
    """§Format: ASCII control characters are those below U+0020."""
    return any(ord(ch) < 0x20 for ch in s)


def valid_key_name(name: str) -> bool:
    """§Format: key names are non-empty, without Unicode spaces or ``+`` (U+002B).

    A name must also be writable in a note: valid UTF-8 (no lone surrogates) and
    free of the ASCII control characters notes forbid.
    """
    if not name or "+" in name or _has_control(name):
        return False
    if any(_is_space(ch) for ch in name):
        return False
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def key_id(name: str, sig_type: int, public_key: bytes) -> bytes:
    """§Signatures: ``SHA-256(key name || 0x0A || signature type || public key)[:4]``."""
    if not 0 <= sig_type <= 0xFF:
        raise NoteError(f"signature type {sig_type} is not a byte")
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NoteError("key name is not valid UTF-8") from exc
    digest = hashlib.sha256(encoded + b"\n" + bytes([sig_type]) + public_key).digest()
    return digest[:KEY_ID_SIZE]


# --------------------------------------------------------------- verifiers


@dataclass(frozen=True)
class Verifier:
    """A verifier key: a name, a key ID, a signature type and a public key.

    Its text form (``vkey``) is ``<name>+<hex key ID>+<base64(type || public key)>``,
    the form Go's ``sumdb/note`` and C2SP ``tlog-cosignature`` use.  Construction
    validates: the name (§Format), the key ID (it must be the one §Signatures
    recommends, recomputed here), the type (``0x01`` Ed25519 or ``0x04``
    ``cosignature/v1``) and a 32-byte Ed25519 public key.
    """

    name: str
    key_id: bytes
    sig_type: int
    public_key: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not valid_key_name(self.name):
            raise NoteError(f"invalid key name {self.name!r}")
        if self.sig_type not in KNOWN_SIG_TYPES:
            raise NoteError(f"unknown signature type {self.sig_type!r}")
        if len(self.public_key) != ED25519_PUBLIC_KEY_SIZE:
            raise NoteError(f"public key is {len(self.public_key)} bytes, want 32")
        if len(self.key_id) != KEY_ID_SIZE:
            raise NoteError("key ID is not 4 bytes")
        want = key_id(self.name, self.sig_type, self.public_key)
        if not hmac.compare_digest(want, self.key_id):
            raise NoteError(f"key ID {self.key_id.hex()} does not match the key ({want.hex()})")

    @classmethod
    def from_key(cls, name: str, sig_type: int, public_key: bytes) -> Verifier:
        """The verifier for ``public_key`` under ``name``, with its key ID computed."""
        if not valid_key_name(name):
            raise NoteError(f"invalid key name {name!r}")
        return cls(name, key_id(name, sig_type, public_key), sig_type, bytes(public_key))

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        """Parse ``<name>+<hex key ID>+<base64(type || key)>``; raise :class:`NoteError`.

        The key ID is 8 hex digits (either case, as Go accepts; :meth:`vkey`
        writes lowercase) and must equal the recomputed one.
        """
        if not isinstance(vkey, str):
            raise NoteError("vkey is not a string")
        parts = vkey.split("+", 2)
        if len(parts) != 3:
            raise NoteError("vkey is not name+keyid+key")
        name, hex_id, b64 = parts
        if not valid_key_name(name):
            raise NoteError(f"invalid key name {name!r}")
        if not _HEX_KEY_ID.fullmatch(hex_id):
            raise NoteError("vkey key ID is not 8 hex digits")
        raw = decode_base64(b64, "vkey key")
        if len(raw) < 1:
            raise NoteError("vkey has no signature type")
        return cls(name, bytes.fromhex(hex_id), raw[0], raw[1:])

    def vkey(self) -> str:
        """The text form, ``<name>+<hex key ID>+<base64(type || public key)>``."""
        material = base64.b64encode(bytes([self.sig_type]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{material}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """§Ed25519 signatures: check an RFC 8032 signature over ``message``.

        Only for type ``0x01``; a ``cosignature/v1`` key signs a different message
        (see :func:`ledger.cosignature.verify_cosignature`), so asking it to verify
        note text is a programming error and raises :class:`NoteError`.
        """
        if self.sig_type != SIG_ED25519:
            raise NoteError("Verifier.verify is for Ed25519 (0x01) keys only")
        return ed25519_verify(self.public_key, message, signature)

    def matches(self, sig: NoteSignature) -> bool:
        """§Signatures: a signature is from this key iff name AND key ID match."""
        return sig.name == self.name and hmac.compare_digest(sig.key_id, self.key_id)


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """RFC 8032 Ed25519 verification through libsodium; False on any failure."""
    if len(signature) != ED25519_SIGNATURE_SIZE or len(public_key) != ED25519_PUBLIC_KEY_SIZE:
        return False
    try:
        nacl.signing.VerifyKey(public_key).verify(message, signature)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.CryptoError, ValueError):
        return False
    return True


# ----------------------------------------------------------------- signers


def encode_skey(name: str, sig_type: int, seed: bytes) -> str:
    """Go's private key form: ``PRIVATE+KEY+<name>+<hex key ID>+base64(type || seed)``.

    Hazardous: the result holds the secret seed in the clear.
    """
    if not valid_key_name(name):
        raise NoteError(f"invalid key name {name!r}")
    if len(seed) != ED25519_SEED_SIZE:
        raise NoteError("seed is not 32 bytes")
    public = bytes(nacl.signing.SigningKey(bytes(seed)).verify_key)
    kid = key_id(name, sig_type, public)
    material = base64.b64encode(bytes([sig_type]) + seed).decode("ascii")
    return f"{SKEY_PREFIX}{name}+{kid.hex()}+{material}"


def decode_skey(skey: str, sig_type: int) -> tuple[str, bytes]:
    """Parse Go's ``PRIVATE+KEY+<name>+<hex key ID>+base64(type || seed)``.

    The type byte must be ``sig_type`` and the key ID must match the public key
    derived from the seed.  Returns ``(name, seed)``.  Error messages never
    contain the key material.
    """
    if not isinstance(skey, str) or not skey.startswith(SKEY_PREFIX):
        raise NoteError("not a PRIVATE+KEY+ signer key")
    parts = skey[len(SKEY_PREFIX) :].split("+", 2)
    if len(parts) != 3:
        raise NoteError("signer key is not PRIVATE+KEY+name+keyid+key")
    name, hex_id, b64 = parts
    if not valid_key_name(name):
        raise NoteError(f"invalid key name {name!r}")
    if not _HEX_KEY_ID.fullmatch(hex_id):
        raise NoteError("signer key ID is not 8 hex digits")
    raw = decode_base64(b64, "signer key")
    if len(raw) != 1 + ED25519_SEED_SIZE:
        raise NoteError("signer key is not a type byte and a 32-byte seed")
    if raw[0] != sig_type:
        raise NoteError(f"signer key has type 0x{raw[0]:02x}, want 0x{sig_type:02x}")
    seed = raw[1:]
    public = bytes(nacl.signing.SigningKey(seed).verify_key)
    if not hmac.compare_digest(key_id(name, sig_type, public), bytes.fromhex(hex_id)):
        raise NoteError("signer key ID does not match the key")
    return name, seed


class NamedKey:
    """A named Ed25519 private key of one signature type (``SIG_TYPE``).

    The base of the note signer (``0x01``) and the witness cosigner (``0x04``,
    ledger/cosignature.py): the key ID depends on the type, the key files
    (``PRIVATE+KEY+<name>+<hex id>+base64(type || seed)``) carry it.  The seed
    is kept private: ``repr``/``str`` show only the name and key ID, pickling
    is refused, and :meth:`to_skey` is the one way out.
    """

    SIG_TYPE = SIG_ED25519
    __slots__ = ("_key", "_key_id", "_name")

    _name: str
    _key_id: bytes
    _key: nacl.signing.SigningKey

    def __init__(self, name: str, seed: bytes) -> None:
        if not valid_key_name(name):
            raise NoteError(f"invalid key name {name!r}")
        if len(seed) != ED25519_SEED_SIZE:
            raise NoteError("seed is not 32 bytes")
        self._name = name
        self._key = nacl.signing.SigningKey(bytes(seed))
        self._key_id = key_id(name, self.SIG_TYPE, bytes(self._key.verify_key))

    @classmethod
    def generate(cls, name: str) -> Self:
        """A fresh key from the operating system's CSPRNG (libsodium)."""
        return cls(name, bytes(nacl.signing.SigningKey.generate()))

    @classmethod
    def from_skey(cls, skey: str) -> Self:
        """Parse ``PRIVATE+KEY+<name>+<hex id>+base64(type || seed)`` of this key's type."""
        name, seed = decode_skey(skey, cls.SIG_TYPE)
        return cls(name, seed)

    def to_skey(self) -> str:
        """The private key form.  Hazardous: contains the seed."""
        return encode_skey(self._name, self.SIG_TYPE, bytes(self._key))

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> bytes:
        return self._key_id

    def verifier(self) -> Verifier:
        """The matching verifier key (its ``vkey`` is what clients configure)."""
        return Verifier(self._name, self._key_id, self.SIG_TYPE, bytes(self._key.verify_key))

    def _sign(self, message: bytes) -> bytes:
        return bytes(self._key.sign(message).signature)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self._name!r}, key_id={self._key_id.hex()!r})"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError(f"{type(self).__name__} holds a secret key: use to_skey() explicitly")


class Signer(NamedKey):
    """An Ed25519 note signer (signature type ``0x01``, §Ed25519 signatures), Go's key format."""

    SIG_TYPE = SIG_ED25519
    __slots__ = ()

    def sign(self, message: bytes) -> bytes:
        """RFC 8032 Ed25519 signature (64 bytes) over ``message``."""
        return self._sign(message)

    def sign_text(self, text: str) -> NoteSignature:
        """§Ed25519 signatures: the note signature over ``text`` (checked as note text)."""
        check_text(text)
        return NoteSignature(self._name, self._key_id, self.sign(text.encode("utf-8")))


# --------------------------------------------------------------- the format


@dataclass(frozen=True)
class NoteSignature:
    """One signature line, §Signatures: ``— <name> base64(key ID || signature)``.

    ``signature`` is everything after the 4-byte key ID (for ``0x04``
    cosignatures, the timestamp and the Ed25519 signature).
    """

    name: str
    key_id: bytes
    signature: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not valid_key_name(self.name):
            raise NoteError(f"invalid key name {self.name!r}")
        if len(self.key_id) != KEY_ID_SIZE:
            raise NoteError("key ID is not 4 bytes")
        if len(self.signature) < 1:
            raise NoteError("empty signature")

    def line(self) -> str:
        """The signature line, newline included."""
        b64 = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{SIG_PREFIX}{self.name} {b64}\n"

    @classmethod
    def from_line(cls, line: str) -> NoteSignature:
        """Parse one signature line, which must end in exactly one newline."""
        if not line.endswith("\n") or "\n" in line[:-1]:
            raise NoteError("a signature line is one line ending in a newline")
        return _parse_signature_line(line[:-1])


def _parse_signature_line(line: str) -> NoteSignature:
    """§Format: em dash, space, key name, space, base64 of at least 5 bytes."""
    if not line.startswith(SIG_PREFIX):
        raise NoteError("signature line does not start with an em dash and a space")
    name, sep, b64 = line[len(SIG_PREFIX) :].partition(" ")
    if not sep:
        raise NoteError("signature line has no signature")
    if not valid_key_name(name):
        raise NoteError(f"invalid key name {name!r}")
    raw = decode_base64(b64, "signature")
    if len(raw) < KEY_ID_SIZE + 1:
        raise NoteError("signature is shorter than a key ID and one byte")
    return NoteSignature(name, raw[:KEY_ID_SIZE], raw[KEY_ID_SIZE:])


def check_text(text: str) -> None:
    """§Format: note text is valid UTF-8 without control characters but newline,
    and ends in a newline.  Raises :class:`NoteError`."""
    if not isinstance(text, str) or not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise NoteError("note text contains a control character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NoteError("note text is not valid UTF-8") from exc


@dataclass(frozen=True)
class Note:
    """A parsed signed note: its text (final newline included) and signature lines.

    Construction checks the text (§Format) and the count of signatures (1 to
    :data:`MAX_SIGNATURES`), so every ``Note`` serializes to a note that
    :func:`parse_note` reads back unchanged.
    """

    text: str
    signatures: tuple[NoteSignature, ...]

    def __post_init__(self) -> None:
        check_text(self.text)
        if not isinstance(self.signatures, tuple):
            raise NoteError("signatures must be a tuple")
        if not 1 <= len(self.signatures) <= MAX_SIGNATURES:
            raise NoteError(f"a note has 1 to {MAX_SIGNATURES} signatures")
        if not all(isinstance(s, NoteSignature) for s in self.signatures):
            raise NoteError("signatures must be NoteSignature values")

    def to_bytes(self) -> bytes:
        """§Format: text, a blank line, the signature lines."""
        return (self.text + "\n" + "".join(s.line() for s in self.signatures)).encode("utf-8")


def parse_note(data: bytes) -> Note:
    """Parse a signed note strictly, per C2SP signed-note §Format.

    The note must be valid UTF-8 without ASCII control characters other than
    newline; the text is what precedes the *last* blank line and ends with a
    newline; after it come 1 to :data:`MAX_SIGNATURES` signature lines, each
    ``— <name> <base64>`` ending in a newline, with a valid key name and a
    base64 value of at least 5 bytes.  Anything else raises :class:`NoteError`.
    Signatures are not verified here (see :func:`open_note`).
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise NoteError("a note is bytes")
    try:
        msg = bytes(data).decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise NoteError("note is not valid UTF-8") from exc
    if any(ord(ch) < 0x20 and ch != "\n" for ch in msg):
        raise NoteError("note contains a control character")
    split = msg.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line before its signatures")
    text, block = msg[: split + 1], msg[split + 2 :]
    if not block or not block.endswith("\n"):
        raise NoteError("note has no signatures, or its last line has no newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
    return Note(text, tuple(_parse_signature_line(line) for line in lines))


def sign_note(text: str, signers: Sequence[Signer]) -> bytes:
    """Sign ``text`` with each Ed25519 signer, in order; return the note bytes."""
    check_text(text)
    if not signers:
        raise NoteError("sign_note needs at least one signer")
    return Note(text, tuple(s.sign_text(text) for s in signers)).to_bytes()


def add_signatures(note: bytes, signatures: Sequence[NoteSignature]) -> bytes:
    """Append signature lines to a note (as a witness response is, tlog-witness).

    Lines already present are not repeated.  The signatures are not verified.
    """
    parsed = parse_note(note)
    merged = list(parsed.signatures)
    for sig in signatures:
        if not isinstance(sig, NoteSignature):
            raise NoteError("add_signatures takes NoteSignature values")
        if sig not in merged:
            merged.append(sig)
    return Note(parsed.text, tuple(merged)).to_bytes()


def open_note(data: bytes, verifiers: Sequence[Verifier]) -> tuple[Note, list[NoteSignature]]:
    """Parse a note and verify it against known keys, §Signatures.

    A signature is from a known key iff both its name and its key ID match a
    verifier; other signatures are ignored (they stay in ``Note.signatures``).
    Every signature from a known key is verified (Ed25519 ``0x01`` over the
    text; ``cosignature/v1`` ``0x04`` by :func:`ledger.cosignature.verify_cosignature`
    over the cosigned message): one that fails raises :class:`InvalidSignature`
    (the spec's SHOULD reject the whole note).  With no verified signature,
    :class:`UnverifiedNote`.  Returns the note and its verified signatures, each
    distinct signature once, in note order.
    """
    from ledger.cosignature import verify_cosignature  # cosignature imports this module

    note = parse_note(data)
    message = note.text.encode("utf-8")
    verified: list[NoteSignature] = []
    for sig in note.signatures:
        known = [v for v in verifiers if v.matches(sig)]
        if not known:
            continue
        for v in known:
            if v.sig_type == SIG_COSIGNATURE_V1:
                verify_cosignature(v, note.text, sig)
            elif not v.verify(message, sig.signature):
                raise InvalidSignature(f"signature by {sig.name} ({sig.key_id.hex()}) fails")
        if sig not in verified:
            verified.append(sig)
    if not verified:
        raise UnverifiedNote("no signature from a known key")
    return note, verified

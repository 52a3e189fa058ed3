"""The holder's wallet: credentials and pending requests in one encrypted local file.

docs/credentials.md §Formats, "Wallet file".  The file is JSON::

    {"version": 1, "type": "pnyx-wallet",
     "kdf": {"alg": "argon2id13", "salt": <32 hex>, "opslimit": 3, "memlimit": 268435456},
     "box": <hex of nonce (24) || XSalsa20-Poly1305 ciphertext>}

The key is ``crypto_pwhash`` Argon2id (RFC 9106) of the passphrase with the
salt and limits above (libsodium ``crypto_pwhash_argon2id``), and the box a
libsodium ``crypto_secretbox`` (``nacl.secret.SecretBox``) of the contents::

    {"version": 1, "credentials": {<id>: <credential JSON>},
     "requests": {<id>: {"request": <request JSON>, "secrets": {...}}}}

New wallets use libsodium's MODERATE limits (3 passes over 256 MiB, about one
second here): the file holds long-lived holder secrets that an attacker with
a copy can attack offline for as long as they like, and the wallet is
unlocked once per command, so a second per unlock buys ~10x more work per
guess than INTERACTIVE (64 MiB, 0.1 s) for a cost a person hardly notices.
INTERACTIVE is accepted as the floor (small devices, tests); SENSITIVE (1 GiB)
is the ceiling, so that a doctored file cannot make us allocate without limit.
A wrong passphrase and a damaged file are the same failure: the box does not
open.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nacl.exceptions
import nacl.secret
import nacl.utils
import rfc8785
from nacl.pwhash import argon2id

from services.identity.errors import WalletError

VERSION = 1
TYPE = "pnyx-wallet"
KDF_ALG = "argon2id13"
MAX_FILE = 64 * 1024 * 1024


@dataclass(frozen=True)
class KdfLimits:
    opslimit: int
    memlimit: int


MODERATE = KdfLimits(argon2id.OPSLIMIT_MODERATE, argon2id.MEMLIMIT_MODERATE)
INTERACTIVE = KdfLimits(argon2id.OPSLIMIT_INTERACTIVE, argon2id.MEMLIMIT_INTERACTIVE)
SENSITIVE = KdfLimits(argon2id.OPSLIMIT_SENSITIVE, argon2id.MEMLIMIT_SENSITIVE)
LIMITS = {"moderate": MODERATE, "interactive": INTERACTIVE}


def _derive(passphrase: bytes, salt: bytes, limits: KdfLimits) -> bytes:
    if not passphrase:
        raise WalletError("the wallet passphrase is empty")
    return bytes(
        argon2id.kdf(
            nacl.secret.SecretBox.KEY_SIZE,
            passphrase,
            salt,
            opslimit=limits.opslimit,
            memlimit=limits.memlimit,
        )
    )


def item_id(doc: Any) -> str:
    """A short, stable local id: the first 16 hex digits of SHA-256(JCS(doc))."""
    return hashlib.sha256(rfc8785.dumps(doc)).hexdigest()[:16]


class Wallet:
    """An unlocked wallet.  Its key and contents never appear in its repr."""

    def __init__(
        self, path: Path, key: bytes, salt: bytes, limits: KdfLimits, data: dict[str, Any]
    ) -> None:
        self.path = path
        self._key = key
        self._salt = salt
        self._limits = limits
        self._data = data

    def __repr__(self) -> str:
        return f"Wallet({str(self.path)!r}, {len(self.credentials())} credentials)"

    # ----------------------------------------------------------- open / save

    @classmethod
    def create(cls, path: Path, passphrase: bytes, limits: KdfLimits = MODERATE) -> Wallet:
        """A new, empty wallet at ``path`` (refuses to overwrite a file)."""
        if path.exists():
            raise WalletError(f"{path} exists already; refusing to overwrite a wallet")
        salt = nacl.utils.random(argon2id.SALTBYTES)
        w = cls(path, _derive(passphrase, salt, limits), salt, limits, _empty())
        w.save(create=True)
        return w

    @classmethod
    def open(cls, path: Path, passphrase: bytes) -> Wallet:
        """Unlock the wallet at ``path``; a wrong passphrase raises :class:`WalletError`."""
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise WalletError(f"no wallet at {path} (create one with `pnyx wallet init`)") from None
        except OSError as e:
            raise WalletError(f"cannot read the wallet {path}: {e.strerror}") from None
        salt, limits, box = _parse_file(raw, path)
        key = _derive(passphrase, salt, limits)
        try:
            plain = nacl.secret.SecretBox(key).decrypt(box)
        except nacl.exceptions.CryptoError:
            raise WalletError(
                f"cannot unlock {path}: wrong passphrase (or the file is damaged)"
            ) from None
        try:
            data = json.loads(plain)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise WalletError(f"{path}: the unlocked contents are not JSON") from None
        if (
            not isinstance(data, dict)
            or data.get("version") != VERSION
            or not isinstance(data.get("credentials"), dict)
            or not isinstance(data.get("requests"), dict)
        ):
            raise WalletError(f"{path}: unsupported wallet contents")
        return cls(path, key, salt, limits, data)

    def save(self, *, create: bool = False) -> None:
        """Encrypt and write atomically (a temporary file, then rename), mode 0600."""
        plain = json.dumps(self._data, sort_keys=True, separators=(",", ":")).encode()
        box = nacl.secret.SecretBox(self._key).encrypt(plain)
        doc = {
            "version": VERSION,
            "type": TYPE,
            "kdf": {
                "alg": KDF_ALG,
                "salt": self._salt.hex(),
                "opslimit": self._limits.opslimit,
                "memlimit": self._limits.memlimit,
            },
            "box": bytes(box).hex(),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps(doc, sort_keys=True) + "\n")
        if not create:
            os.replace(tmp, self.path)
            return
        try:
            os.link(tmp, self.path)  # fails if a file appeared meanwhile: never overwrite
        except FileExistsError:
            raise WalletError(
                f"{self.path} exists already; refusing to overwrite a wallet"
            ) from None
        finally:
            tmp.unlink()

    # -------------------------------------------------------------- contents

    def credentials(self) -> dict[str, dict[str, Any]]:
        return dict(self._data["credentials"])

    def credential(self, cid: str) -> dict[str, Any]:
        matches = [k for k in self._data["credentials"] if k.startswith(cid)] if cid else []
        if len(matches) != 1:
            what = "no" if not matches else "more than one"
            raise WalletError(f"{what} credential in the wallet has the id {cid!r}")
        return dict(self._data["credentials"][matches[0]])

    def add_credential(self, credential: dict[str, Any]) -> str:
        cid = item_id(credential)
        if cid in self._data["credentials"]:
            raise WalletError(f"credential {cid} is in the wallet already")
        self._data["credentials"][cid] = credential
        return cid

    def remove_credential(self, cid: str) -> None:
        self._data["credentials"].pop(cid, None)

    def requests(self) -> dict[str, dict[str, Any]]:
        return dict(self._data["requests"])

    def add_request(self, request: dict[str, Any], secrets: dict[str, Any]) -> str:
        rid = item_id(request)
        self._data["requests"][rid] = {"request": request, "secrets": secrets}
        return rid

    def request(self, rid: str) -> dict[str, Any]:
        rec = self._data["requests"].get(rid)
        if rec is None:
            raise WalletError(f"no pending request {rid} in the wallet")
        return dict(rec)

    def remove_request(self, rid: str) -> None:
        self._data["requests"].pop(rid, None)


def _empty() -> dict[str, Any]:
    return {"version": VERSION, "credentials": {}, "requests": {}}


def _parse_file(raw: bytes, path: Path) -> tuple[bytes, KdfLimits, bytes]:
    bad = WalletError(f"{path} is not a pnyx wallet file")
    if len(raw) > MAX_FILE:
        raise bad
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise bad from None
    if not isinstance(doc, dict) or doc.get("type") != TYPE:
        raise bad
    if doc.get("version") != VERSION:
        raise WalletError(f"{path}: unsupported wallet version {doc.get('version')!r}")
    kdf, box = doc.get("kdf"), doc.get("box")
    if not isinstance(kdf, dict) or kdf.get("alg") != KDF_ALG or not isinstance(box, str):
        raise bad
    ops, mem, salt = kdf.get("opslimit"), kdf.get("memlimit"), kdf.get("salt")
    if (
        type(ops) is not int
        or type(mem) is not int
        or not INTERACTIVE.opslimit <= ops <= SENSITIVE.opslimit
        or not INTERACTIVE.memlimit <= mem <= SENSITIVE.memlimit
    ):
        raise WalletError(f"{path}: key derivation limits outside the accepted range")
    if not isinstance(salt, str):
        raise bad
    try:
        salt_b, box_b = bytes.fromhex(salt), bytes.fromhex(box)
    except ValueError:
        raise bad from None
    if len(salt_b) != argon2id.SALTBYTES:
        raise bad
    return salt_b, KdfLimits(ops, mem), box_b

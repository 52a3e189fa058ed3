"""The local key directory (``pnyx --keys DIR``, env ``PNYX_KEYS``, default ``./.pnyx-keys``).

Layout (secret files mode 0600, folders 0700)::

    log.key                     the log's note signing key (Go ``PRIVATE+KEY+...`` form)
    authorities/<name>.key      an authority's Ed25519 key, same form, named by the authority
    witnesses/<name>.key        a witness's cosignature/v1 key
    witnesses/<name>.state.json the witness's last cosigned checkpoint per log, and its alarms

Secrets never leave this folder: the board and its database only ever see
public keys and signatures.
"""

from __future__ import annotations

import os
from pathlib import Path

from ledger.cosignature import CosignatureSigner
from ledger.note import Signer
from ledger.witness import WitnessState


class KeyError_(Exception):
    """A key is missing, exists already, or cannot be read."""


class KeyStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    # ------------------------------------------------------------------ files
    def write_secret(self, path: Path, text: str) -> None:
        """Create a secret file, mode 0600 in a 0700 folder; never overwrite one."""
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path.parent, 0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise KeyError_(f"{path} exists already; refusing to overwrite a key") from None
        with os.fdopen(fd, "w") as f:
            f.write(text + "\n")

    def read_secret(self, path: Path, what: str) -> str:
        """A key file's text; a clear error when it is missing or unreadable."""
        try:
            return path.read_text().strip()
        except FileNotFoundError:
            raise KeyError_(f"no {what} at {path} (wrong --keys folder?)") from None
        except OSError as e:
            raise KeyError_(f"cannot read {path}: {e.strerror}") from None

    # -------------------------------------------------------------------- log
    @property
    def log_path(self) -> Path:
        return self.root / "log.key"

    def save_log(self, signer: Signer) -> None:
        self.write_secret(self.log_path, signer.to_skey())

    def log(self) -> Signer:
        return Signer.from_skey(self.read_secret(self.log_path, "log key"))

    # ------------------------------------------------------------ authorities
    def authority_path(self, name: str) -> Path:
        return self.root / "authorities" / f"{name}.key"

    def save_authority(self, signer: Signer) -> None:
        self.write_secret(self.authority_path(signer.name), signer.to_skey())

    def authority(self, name: str) -> Signer:
        return Signer.from_skey(
            self.read_secret(self.authority_path(name), f"key for authority {name!r}")
        )

    def remove_authority(self, name: str) -> None:
        self.authority_path(name).unlink(missing_ok=True)

    # -------------------------------------------------------------- witnesses
    def witness_path(self, name: str) -> Path:
        return self.root / "witnesses" / f"{_safe(name)}.key"

    def witness_state_path(self, name: str) -> Path:
        return self.root / "witnesses" / f"{_safe(name)}.state.json"

    def create_witness(self, name: str) -> CosignatureSigner:
        signer = CosignatureSigner.generate(name)
        self.write_secret(self.witness_path(name), signer.to_skey())
        return signer

    def witness(self, name: str) -> CosignatureSigner:
        return CosignatureSigner.from_skey(
            self.read_secret(self.witness_path(name), f"witness key {name!r}")
        )

    def witness_names(self) -> list[str]:
        folder = self.root / "witnesses"
        if not folder.is_dir():
            return []
        return sorted(self.witness(p.stem).name for p in folder.glob("*.key"))

    def witness_state(self, name: str) -> WitnessState:
        path = self.witness_state_path(name)
        if not path.exists():
            return WitnessState()
        return WitnessState.from_json(path.read_text())

    def save_witness_state(self, name: str, state: WitnessState) -> None:
        path = self.witness_state_path(name)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(state.to_json())
        os.replace(tmp, path)


def _safe(name: str) -> str:
    """A file name for a key name (witness names may contain '/')."""
    return name.replace("/", "_").replace("+", "_")

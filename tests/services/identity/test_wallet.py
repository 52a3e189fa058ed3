"""The holder wallet: encrypted at rest, one clear error for a wrong passphrase or a bad file."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from services.identity.errors import WalletError
from services.identity.wallet import INTERACTIVE, MODERATE, KdfLimits, Wallet

PASS = b"correct horse battery staple"
CREDENTIAL = {"type": ["VerifiableCredential"], "credentialSubject": {"name": "Ada Lovelace"}}


def make(tmp_path: Path) -> Wallet:
    return Wallet.create(tmp_path / "wallet", PASS, INTERACTIVE)


def test_round_trip_and_nothing_in_the_clear(tmp_path: Path) -> None:
    w = make(tmp_path)
    cid = w.add_credential(CREDENTIAL)
    rid = w.add_request({"type": "request", "n": 1}, {"proverBlind": "ab" * 32})
    w.save()
    raw = (tmp_path / "wallet").read_bytes()
    assert b"Ada" not in raw and b"proverBlind" not in raw and b"ab" * 32 not in raw
    assert stat.S_IMODE((tmp_path / "wallet").stat().st_mode) == 0o600
    doc = json.loads(raw)
    assert doc["kdf"]["opslimit"] == INTERACTIVE.opslimit
    assert doc["kdf"]["memlimit"] == INTERACTIVE.memlimit
    again = Wallet.open(tmp_path / "wallet", PASS)
    assert again.credential(cid) == CREDENTIAL
    assert again.credential(cid[:6]) == CREDENTIAL
    assert again.request(rid)["secrets"] == {"proverBlind": "ab" * 32}
    assert "Ada" not in repr(again) and PASS.decode() not in repr(again)


def test_default_limits_are_moderate() -> None:
    assert MODERATE.memlimit == 256 * 1024 * 1024 and MODERATE.opslimit == 3


def test_wrong_passphrase(tmp_path: Path) -> None:
    make(tmp_path)
    with pytest.raises(WalletError, match="wrong passphrase"):
        Wallet.open(tmp_path / "wallet", b"not the passphrase")


def test_each_save_uses_a_fresh_nonce(tmp_path: Path) -> None:
    w = make(tmp_path)
    first = json.loads((tmp_path / "wallet").read_text())["box"]
    w.save()
    second = json.loads((tmp_path / "wallet").read_text())["box"]
    assert first[:48] != second[:48]


def test_create_refuses_to_overwrite(tmp_path: Path) -> None:
    make(tmp_path)
    with pytest.raises(WalletError, match="exists already"):
        Wallet.create(tmp_path / "wallet", PASS, INTERACTIVE)
    Wallet.open(tmp_path / "wallet", PASS)


def test_empty_passphrase_refused(tmp_path: Path) -> None:
    with pytest.raises(WalletError, match="empty"):
        Wallet.create(tmp_path / "wallet", b"", INTERACTIVE)
    assert not (tmp_path / "wallet").exists()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(WalletError, match="no wallet"):
        Wallet.open(tmp_path / "nothing", PASS)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(box=d["box"][:-2] + ("00" if d["box"][-2:] != "00" else "01")),
        lambda d: d["kdf"].update(salt="00" * 16),
        lambda d: d["kdf"].update(opslimit=d["kdf"]["opslimit"] + 1),
    ],
    ids=["ciphertext", "salt", "opslimit"],
)
def test_tampered_file_does_not_open(tmp_path: Path, change: object) -> None:
    make(tmp_path).add_credential(CREDENTIAL)
    path = tmp_path / "wallet"
    doc = json.loads(path.read_text())
    change(doc)  # type: ignore[operator]
    path.write_text(json.dumps(doc))
    with pytest.raises(WalletError, match="wrong passphrase"):
        Wallet.open(path, PASS)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json",
        b"[]",
        b'{"type": "pnyx-wallet", "version": 2}',
        b'{"type": "pnyx-wallet", "version": 1, "kdf": {}, "box": ""}',
        b'{"type": "other"}',
    ],
)
def test_not_a_wallet(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "wallet"
    path.write_bytes(content)
    with pytest.raises(WalletError):
        Wallet.open(path, PASS)


def test_limits_out_of_range_are_refused_before_deriving(tmp_path: Path) -> None:
    """A doctored file cannot make the wallet allocate without bound, nor weaken the KDF."""
    make(tmp_path)
    path = tmp_path / "wallet"
    for limits in (KdfLimits(1, INTERACTIVE.memlimit), KdfLimits(3, 1 << 40), KdfLimits(3, 8192)):
        doc = json.loads(path.read_text())
        doc["kdf"].update(opslimit=limits.opslimit, memlimit=limits.memlimit)
        bad = tmp_path / "bad"
        bad.write_text(json.dumps(doc))
        with pytest.raises(WalletError, match="limits"):
            Wallet.open(bad, PASS)


def test_unknown_and_ambiguous_ids(tmp_path: Path) -> None:
    w = make(tmp_path)
    w.add_credential(CREDENTIAL)
    with pytest.raises(WalletError, match="no credential"):
        w.credential("zzzz")
    with pytest.raises(WalletError, match="no credential"):
        w.credential("")
    with pytest.raises(WalletError, match="in the wallet already"):
        w.add_credential(CREDENTIAL)

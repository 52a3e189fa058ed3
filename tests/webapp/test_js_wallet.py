"""The browser wallet's modules (webapp/static/js/wallet) against Python.

First their own tests under ``node --test`` (webapp/js-tests/wallet*.test.js: the
envelope's encryption, the sealed box, the wallet model; verifier.test.js: the
verifier page's request body, link, QR code and verdict rows). Then, through
webapp/js-tests/wallet-cli.mjs:

- sealed boxes made by PyNaCl open in the page's code and the reverse;
- the wallet envelope, decrypted in Python from docs/wallet.md alone (PBKDF2 from
  hashlib, AES-256-GCM from libsodium), and a Python-made envelope opened by the page;
- the whole issuance through the mailbox's service functions with a JS wallet: the
  wallet's commitment passes the server's checks, the issuer's sealed answer opens
  and verifies in the wallet, its presentations (predicates, pseudonym, a status
  list) verify in services/identity/presentation.py, the pseudonym equals the one
  Python computes, and the credential survives a backup, a restore and a merge.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import unicodedata
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import nacl.bindings
import pytest
import rfc8785
from nacl.public import PrivateKey, PublicKey, SealedBox

from services.identity import mailbox
from services.identity.board_data import BoardData
from services.identity.domain import STATUS_LIST, status_list_body
from services.identity.errors import PresentationRejected
from services.identity.presentation import verify_presentation
from services.identity.request import Predicate, PresentationRequest
from services.identity.status_list import StatusList
from services.voting.ballot import credential_pseudonym
from tests.services.identity.kit import ADA, ISSUER, PLATE, IdentityKit, make_identity_kit

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"
CLI = WEBAPP / "js-tests" / "wallet-cli.mjs"
PASS = "a passphrase for the tests"


def node() -> str:
    exe = shutil.which("node")
    assert exe is not None, "node (Node 20) is required: see README / make install"
    assert (WEBAPP / "node_modules" / "@noble" / "ciphers").is_dir(), "run make install"
    return exe


def js_raw(ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
    proc = subprocess.run(
        [node(), str(CLI)],
        cwd=WEBAPP,
        input=json.dumps(ops),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out: list[dict[str, Any]] = json.loads(proc.stdout)
    assert len(out) == len(ops)
    return out


def js(*ops: dict[str, Any]) -> list[Any]:
    out = js_raw(list(ops))
    for op, r in zip(ops, out, strict=True):
        assert "error" not in r, f"JS {op['op']} failed: {r['error']}"
    return [r["result"] for r in out]


def test_node_wallet_tests_pass() -> None:
    tests = [*(WEBAPP / "js-tests").glob("wallet*.test.js"), WEBAPP / "js-tests/verifier.test.js"]
    files = sorted(str(p.relative_to(WEBAPP)) for p in tests)
    assert len(files) == 4, files
    proc = subprocess.run(
        [node(), "--test", *files],
        cwd=WEBAPP,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    tail = (proc.stdout + proc.stderr)[-4000:]
    assert proc.returncode == 0, tail
    assert "# fail 0" in proc.stdout and "# skipped 0" in proc.stdout, tail
    assert "# pass 0\n" not in proc.stdout, tail


# ------------------------------------------------------------------ sealed boxes


def test_sealed_boxes_open_on_either_side() -> None:
    holder = PrivateKey.generate()
    pk = bytes(holder.public_key).hex()
    messages = [b"", b"{}", "Ådä ✓".encode(), bytes(range(256)) * 40]
    from_python = [bytes(SealedBox(holder.public_key).encrypt(m)).hex() for m in messages]
    ops: list[dict[str, Any]] = [
        {"op": "sealOpen", "sealed": s, "publicKey": pk, "secretKey": bytes(holder).hex()}
        for s in from_python
    ]
    ops += [{"op": "seal", "message": m.hex(), "publicKey": pk} for m in messages]
    opened = js(*ops)
    assert [bytes.fromhex(x) for x in opened[: len(messages)]] == messages
    for m, sealed in zip(messages, opened[len(messages) :], strict=True):
        assert len(sealed) == 2 * (len(m) + 48)
        assert SealedBox(holder).decrypt(bytes.fromhex(sealed)) == m
        assert mailbox.open_sealed(sealed, holder) == m
    # another key: refused on both sides
    other = PrivateKey.generate()
    bad = js_raw(
        [
            {
                "op": "sealOpen",
                "sealed": from_python[1],
                "publicKey": bytes(other.public_key).hex(),
                "secretKey": bytes(other).hex(),
            }
        ]
    )
    assert bad[0]["error"].startswith("SealError")
    with pytest.raises(mailbox.IdentityError):
        mailbox.open_sealed(opened[len(messages) + 1], other)
    # the page seals to the key the server accepted; PyNaCl checks it the same way
    assert PublicKey(bytes.fromhex(pk))


# ---------------------------------------------------------------------- envelope


def decrypt_as_documented(envelope: dict[str, Any], passphrase: str) -> Any:
    """docs/wallet.md §2, step by step, with nothing of the page's code."""
    assert set(envelope) == {"version", "type", "kdf", "cipher", "ciphertext"}
    kdf = envelope["kdf"]
    assert (kdf["name"], kdf["hash"]) == ("PBKDF2", "SHA-256") and kdf["iterations"] >= 600_000
    key = hashlib.pbkdf2_hmac(
        "sha256",
        unicodedata.normalize("NFC", passphrase).encode(),
        bytes.fromhex(kdf["salt"]),
        kdf["iterations"],
        32,
    )
    header = {k: envelope[k] for k in ("version", "type", "kdf")}
    aad = b"pnyx/wallet/v1\n" + rfc8785.dumps(header)
    plain = nacl.bindings.crypto_aead_aes256gcm_decrypt(
        bytes.fromhex(envelope["ciphertext"]), aad, bytes.fromhex(envelope["cipher"]["iv"]), key
    )
    return json.loads(plain)


def encrypt_as_documented(contents: Any, passphrase: str, salt: bytes, iv: bytes) -> Any:
    kdf = {"name": "PBKDF2", "hash": "SHA-256", "iterations": 600_000, "salt": salt.hex()}
    header = {"version": 1, "type": "PnyxBrowserWallet", "kdf": kdf}
    key = hashlib.pbkdf2_hmac("sha256", passphrase.encode(), salt, 600_000, 32)
    aad = b"pnyx/wallet/v1\n" + rfc8785.dumps(header)
    ct = nacl.bindings.crypto_aead_aes256gcm_encrypt(json.dumps(contents).encode(), aad, iv, key)
    return {**header, "cipher": {"name": "AES-GCM", "iv": iv.hex()}, "ciphertext": ct.hex()}


def test_the_envelope_is_what_docs_wallet_md_says() -> None:
    contents = {"version": 1, "credentials": {}, "requests": {}, "name": "Ådä"}
    passphrase = "caf\u0065\u0301 passphrase"  # decomposed: the page normalises to NFC
    envelope, opened = js(
        {"op": "vaultSeal", "passphrase": passphrase, "contents": contents},
        {
            "op": "vaultOpen",
            "passphrase": PASS,
            "envelope": encrypt_as_documented(contents, PASS, b"\x01" * 16, b"\x02" * 12),
        },
    )
    assert decrypt_as_documented(envelope, passphrase) == contents
    assert decrypt_as_documented(envelope, unicodedata.normalize("NFC", passphrase)) == contents
    assert opened == contents
    wrong = js_raw(
        [
            {
                "op": "vaultOpen",
                "passphrase": PASS + "!",
                "envelope": encrypt_as_documented(contents, PASS, b"\x01" * 16, b"\x02" * 12),
            }
        ]
    )
    assert wrong[0]["error"].startswith("WrongPassphrase")


# -------------------------------------------------------- issuance, presentation


def board_key(ik: IdentityKit) -> dict[str, Any]:
    rec = ik.board.state("identity", f"key/{ik.key_id}")
    return {"key_id": ik.key_id, **{k: rec[k] for k in ("issuer", "ciphersuite", "public_key")}}


def board_schema(ik: IdentityKit, schema: str) -> dict[str, Any]:
    rec = ik.board.state("identity", f"schema/{ISSUER}/{schema}")
    fields = ("issuer", "id", "title", "attributes", "revocation", "max_validity_days", "digest")
    return {k: rec[k] for k in fields}


def issue_to_wallet(
    ik: IdentityKit, wallet: Path, schema: str, values: dict[str, Any], status: Any = None
) -> dict[str, Any]:
    """The wallet requests; the server's checks keep it; the issuer answers sealed; the
    wallet opens and keeps it. Returns the credential's summary."""
    (made,) = js(
        {
            "op": "newRequest",
            "file": str(wallet),
            "passphrase": PASS,
            "key": board_key(ik),
            "schema": board_schema(ik, schema),
        }
    )
    now = datetime.now(UTC)
    data = BoardData.from_board(ik.board)
    mail, new = mailbox.submit(
        ik.board.store, data, made["body"]["request"], made["body"]["seal_to"], now
    )
    assert new and mail.id == made["id"]
    days = 30 if status is None else 365
    sealed, signature = mailbox.issue_sealed(
        data, ik.sk, ik.issuer.sign, mail, values, date.today(), days, status
    )
    mailbox.answer(ik.board.store, data, mail.id, sealed, signature, now)
    kept = mailbox.fetch(ik.board.store, mail.id, now)
    assert kept.sealed == sealed and values[next(iter(values))] not in sealed
    (summary,) = js(
        {"op": "acceptSealed", "file": str(wallet), "passphrase": PASS, "id": mail.id,
         "sealed": kept.sealed}
    )  # fmt: skip
    return dict(summary)


def test_issuance_and_presentations_with_python(tmp_path: Path) -> None:
    ik = make_identity_kit(f"sqlite:///{tmp_path / 'board.db'}")
    mailbox.ensure_table(ik.board.store)
    wallet = tmp_path / "wallet.json"
    js({"op": "create", "file": str(wallet), "passphrase": PASS})
    eid = issue_to_wallet(ik, wallet, "eid", ADA)
    assert eid["issuer"] == ISSUER and eid["schema"] == "eid" and eid["subject"] == ADA
    permit = issue_to_wallet(ik, wallet, "permit", PLATE, ("permit-1", 77))
    assert permit["revocable"] is True
    data = BoardData.from_board(ik.board)

    # two attributes shown, a date predicate, a pseudonym: verified by Python
    cut = (date.today() - timedelta(days=18 * 366)).isoformat()
    request = PresentationRequest.new(
        ISSUER, "eid", ["district", "nationality"], [Predicate("birthDate", "<=", cut)],
        None, "election-2026",
    )  # fmt: skip
    common = {"file": str(wallet), "passphrase": PASS}
    vp, plan, nym, contents = js(
        {"op": "present", **common, "id": eid["id"], "request": request.to_json()},
        {"op": "plan", **common, "id": eid["id"], "request": request.to_json()},
        {"op": "pseudonym", **common, "id": eid["id"], "context": "election-2026"},
        {"op": "data", **common},
    )
    result = verify_presentation(data, request, vp)
    assert result.disclosed == {"district": 7, "nationality": "GB"}
    assert result.pseudonym == nym
    record = contents["credentials"][eid["id"]]
    assert credential_pseudonym(data, record, "election-2026") == nym
    assert plan["disclosed"] == [
        {"name": "district", "value": 7},
        {"name": "nationality", "value": "GB"},
    ]
    assert plan["predicates"] == [f"birthDate <= {cut}", f"validUntil >= {request.date}"]
    assert plan["pseudonym"] == "election-2026" and plan["status"] is None
    # a presentation answers its own request only
    with pytest.raises(PresentationRejected):
        verify_presentation(data, PresentationRequest.new(ISSUER, "eid", ["district"]), vp)
    # a predicate that does not hold: the wallet refuses to prove it
    young = PresentationRequest.new(ISSUER, "eid", [], [Predicate("birthDate", ">=", "2010-01-01")])
    refused = js_raw([{"op": "present", **common, "id": eid["id"], "request": young.to_json()}])
    assert refused[0]["error"].startswith("PresentationError: cannot_present")

    # the permit shows its status entry; once revoked, Python refuses it
    ask = PresentationRequest.new(ISSUER, "permit", ["zone"])
    (pvp, pplan) = js(
        {"op": "present", **common, "id": permit["id"], "request": ask.to_json()},
        {"op": "plan", **common, "id": permit["id"], "request": ask.to_json()},
    )
    assert verify_presentation(data, ask, pvp).status == ("permit-1", 77)
    assert pplan["status"]["index"] == "77"
    ik.publish(STATUS_LIST, status_list_body("permit-1", StatusList.empty().with_set(77)))
    with pytest.raises(PresentationRejected) as e:
        verify_presentation(BoardData.from_board(ik.board), ask, pvp)
    assert e.value.reason == "revoked"

    # no secret of the wallet is in its file in the clear
    text = wallet.read_text()
    for rec in contents["credentials"].values():
        for s in rec["secrets"].values():
            assert s not in text
        assert rec["credential"]["proof"]["proofValue"][1:] not in text
    assert "Lovelace" not in text

    # backup: restored elsewhere it still presents; merged into another wallet it adds both
    (backup,) = js({"op": "exportBackup", **common})
    other, third = tmp_path / "other.json", tmp_path / "third.json"
    again = PresentationRequest.new(ISSUER, "eid", ["givenName"])
    restored = js(
        {"op": "restore", "file": str(other), "backup": backup, "passphrase": PASS},
        {"op": "present", "file": str(other), "passphrase": PASS, "id": eid["id"],
         "request": again.to_json()},
        {"op": "create", "file": str(third), "passphrase": "the third wallet"},
        {"op": "importBackup", "file": str(third), "passphrase": "the third wallet",
         "backup": backup, "backupPassphrase": PASS},
        {"op": "credentials", "file": str(third), "passphrase": "the third wallet"},
    )  # fmt: skip
    assert verify_presentation(data, again, restored[1]).disclosed == {"givenName": "Ada"}
    assert restored[3] == {"credentials": 2, "requests": 0}
    assert {c["id"] for c in restored[4]} == {eid["id"], permit["id"]}
    wrong = js_raw([{"op": "restore", "file": str(tmp_path / "x.json"), "backup": backup,
                     "passphrase": "not the passphrase"}])  # fmt: skip
    assert wrong[0]["error"].startswith("WrongPassphrase")

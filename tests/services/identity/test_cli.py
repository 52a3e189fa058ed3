"""`pnyx issuer | credential | wallet | verify` end to end, in-process, with bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from services.identity.wallet import INTERACTIVE, MODERATE
from tests.webapp.conftest import Cli

PASS = "correct horse battery staple"
ATTRS = ["--attr", "givenName=Ada", "--attr", "birthDate=2001-12-10", "--attr", "district=7"]


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A board with the issuer cityhall, the schemas eid (short-lived) and permit (status list),
    and an empty wallet (interactive argon2id limits, to keep the tests quick)."""
    monkeypatch.setenv("PNYX_PASSPHRASE", PASS)
    monkeypatch.setenv("PNYX_WALLET", str(tmp_path / "wallet"))
    monkeypatch.chdir(tmp_path)
    c = Cli(f"sqlite:///{tmp_path / 'board.db'}", tmp_path / "keys", capsys)
    c.ok("init", "--origin", "example.gov/pnyx")
    c.ok("issuer", "create", "cityhall")
    c.ok(
        "issuer", "schema", "eid", "--as", "cityhall", "--title", "Electronic identity",
        "--attr", "givenName:string", "--attr", "birthDate:date", "--attr", "district:integer",
        "--max-days", "30",
    )  # fmt: skip
    c.ok(
        "issuer", "schema", "permit", "--as", "cityhall", "--title", "Parking permit",
        "--attr", "plate:string", "--attr", "zone:integer",
        "--revocation", "status_list", "--max-days", "365",
    )  # fmt: skip
    c.ok("wallet", "init", "--kdf", "interactive")
    return c


def obtain(cli: Cli, schema: str, attrs: list[str]) -> str:
    """Request, issue, add: returns the credential's wallet id."""
    cli.ok("credential", "request", "--issuer", "cityhall", "--schema", schema, "--out", "req.json")
    cli.ok("credential", "issue", "req.json", "--as", "cityhall", *attrs, "--out", "issued.json")
    cli.ok("wallet", "add", "issued.json")
    rows = cli.ok("wallet", "list", "--json").json_lines()
    return str(next(r["id"] for r in reversed(rows) if r["schema"] == schema))


def read(name: str) -> Any:
    return json.loads(Path(name).read_text())


def test_issue_present_verify(cli: Cli, tmp_path: Path) -> None:
    cid = obtain(cli, "eid", ATTRS)
    shown = cli.ok("wallet", "show", cid).out
    assert "Ada" in shown and "nymSecret" not in shown and "proverBlind" not in shown
    assert read("issued.json")["credential"]["credentialSubject"]["givenName"] == "Ada"
    cli.ok(
        "verify", "request", "--issuer", "cityhall", "--schema", "eid", "--disclose", "district",
        "--predicate", "birthDate<=2008-01-01", "--pseudonym", "election-1", "--out", "vreq.json",
    )  # fmt: skip
    cli.ok("wallet", "present", cid, "--request", "vreq.json", "--out", "pres.json")
    pres = read("pres.json")
    assert pres["verifiableCredential"][0]["credentialSubject"] == {"district": 7}
    assert "Ada" not in json.dumps(pres) and "2001-12-10" not in json.dumps(pres)
    result = cli.ok("verify", "presentation", "pres.json", "--request", "vreq.json", "--json")
    [doc] = result.json_lines()
    assert doc["valid"] and doc["disclosed"] == {"district": 7}
    assert doc["predicates"][0] == "birthDate <= 2008-01-01" and len(doc["pseudonym"]) == 96
    # offline: from exported entries only, no database
    Path("entries.jsonl").write_text(cli.ok("board", "entries", "--json").out)
    offline = Cli(f"sqlite:///{tmp_path / 'absent.db'}", tmp_path / "nokeys", cli.capsys)
    again = offline.ok(
        "verify", "presentation", "pres.json", "--request", "vreq.json",
        "--entries", "entries.jsonl", "--json",
    )  # fmt: skip
    assert again.json_lines()[0]["pseudonym"] == doc["pseudonym"]
    # replayed to another request, and tampered
    cli.ok("verify", "request", "--issuer", "cityhall", "--schema", "eid", "--out", "other.json")
    r = cli.fails("verify", "presentation", "pres.json", "--request", "other.json")
    assert "nonce_mismatch" in r.err
    pres["verifiableCredential"][0]["credentialSubject"]["district"] = 8
    Path("tampered.json").write_text(json.dumps(pres))
    r = cli.fails("verify", "presentation", "tampered.json", "--request", "vreq.json")
    assert "proof_invalid" in r.err


def test_revocation(cli: Cli) -> None:
    cid = obtain(cli, "permit", ["--attr", "plate=AB-123", "--attr", "zone=3"])
    cli.ok("verify", "request", "--issuer", "cityhall", "--schema", "permit", "--out", "vreq.json")
    cli.ok("wallet", "present", cid, "--request", "vreq.json", "--out", "pres.json")
    [ok] = cli.ok(
        "verify", "presentation", "pres.json", "--request", "vreq.json", "--json"
    ).json_lines()
    index = ok["status"]["index"]
    assert ok["status"]["list"] == "permit-1"
    cli.ok("credential", "revoke", "permit-1", str(index), "--as", "cityhall")
    r = cli.fails("verify", "presentation", "pres.json", "--request", "vreq.json")
    assert "revoked" in r.err
    assert cli.ok("board", "verify").code == 0


def test_predicate_not_held_and_schema_mismatch(cli: Cli) -> None:
    cid = obtain(cli, "eid", ATTRS)
    cli.ok(
        "verify", "request", "--issuer", "cityhall", "--schema", "eid",
        "--predicate", "birthDate<=1990-01-01", "--out", "old.json",
    )  # fmt: skip
    r = cli.fails("wallet", "present", cid, "--request", "old.json")
    assert "cannot_present" in r.err and "does not hold" in r.err
    cli.ok("verify", "request", "--issuer", "cityhall", "--schema", "permit", "--out", "p.json")
    assert "cityhall/permit" in cli.fails("wallet", "present", cid, "--request", "p.json").err


def test_wrong_passphrase_and_missing_wallet(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PNYX_PASSPHRASE", "not it")
    r = cli.fails("wallet", "list")
    assert "wrong passphrase" in r.err
    monkeypatch.setenv("PNYX_PASSPHRASE", PASS)
    r = cli.fails("wallet", "list", "--wallet", str(tmp_path / "none"))
    assert "no wallet" in r.err
    assert cli.fails("wallet", "init", "--kdf", "interactive").err.count("exists already") == 1
    assert cli.fails("wallet", "init", "--kdf", "weak", "--wallet", "w2").code != 0


def test_default_wallet_uses_moderate_limits(cli: Cli) -> None:
    cli.ok("wallet", "init", "--wallet", "moderate-wallet")
    kdf = read("moderate-wallet")["kdf"]
    assert (kdf["opslimit"], kdf["memlimit"]) == (MODERATE.opslimit, MODERATE.memlimit)
    kdf = read("wallet")["kdf"]
    assert (kdf["opslimit"], kdf["memlimit"]) == (INTERACTIVE.opslimit, INTERACTIVE.memlimit)


def test_bad_commands_leave_the_board_unchanged(cli: Cli) -> None:
    cli.ok("credential", "request", "--issuer", "cityhall", "--schema", "eid", "--out", "req.json")
    before = cli.snapshot()
    failures = [
        ("issuer", "create", "cityhall"),
        ("issuer", "create", "Bad Name"),
        ("issuer", "create", "county", "--suite", "BLS12-381-SHA-512"),
        ("issuer", "schema", "eid", "--as", "cityhall", "--title", "t", "--attr", "a:string"),
        ("issuer", "schema", "x", "--as", "cityhall", "--title", "t", "--attr", "a:float"),
        ("issuer", "schema", "x", "--as", "cityhall", "--title", "t", "--attr", "a"),
        ("issuer", "schema", "x", "--as", "root", "--title", "t", "--attr", "a:string"),
        ("credential", "issue", "req.json", "--as", "cityhall", "--attr", "givenName=Ada"),
        ("credential", "issue", "req.json", "--as", "cityhall", *ATTRS, "--attr", "x=1"),
        ("credential", "issue", "req.json", "--as", "cityhall", *ATTRS[:4], "--attr", "district=x"),
        ("credential", "issue", "req.json", "--as", "cityhall", *ATTRS, "--valid-days", "31"),
        ("credential", "issue", "req.json", "--as", "root", *ATTRS),
        ("credential", "issue", "missing.json", "--as", "cityhall", *ATTRS),
        ("credential", "revoke", "nolist", "1", "--as", "cityhall"),
        ("credential", "revoke", "permit-1", "1", "--as", "cityhall"),
        ("credential", "request", "--issuer", "county", "--schema", "eid"),
        ("credential", "request", "--issuer", "cityhall", "--schema", "nope"),
        ("verify", "request", "--issuer", "cityhall", "--schema", "eid", "--predicate", "x"),
        # an impossible date, an unknown attribute, a predicate on a string, an unknown schema
        ("verify", "request", "--issuer", "cityhall", "--schema", "eid",
         "--predicate", "birthDate<=2008-02-30", "--out", "bad1.json"),
        ("verify", "request", "--issuer", "cityhall", "--schema", "eid",
         "--disclose", "distrikt", "--out", "bad2.json"),
        ("verify", "request", "--issuer", "cityhall", "--schema", "eid",
         "--predicate", "givenName<=Z", "--out", "bad3.json"),
        ("verify", "request", "--issuer", "cityhall", "--schema", "nope", "--out", "bad4.json"),
        ("verify", "request", "--issuer", "cityhall", "--schema", "eid",
         "--date", "2026-13-01", "--out", "bad5.json"),
        ("verify", "presentation", "req.json", "--request", "req.json"),
    ]
    for argv in failures:
        cli.fails(*argv)
    assert cli.snapshot() == before
    assert not (cli.keys / "issuers" / "county.json").exists()
    assert not any(Path(f"bad{i}.json").exists() for i in range(1, 6))
    assert not (cli.keys / "authorities" / "county.key").exists()
    Path("junk.json").write_text("{not json")
    assert "bad_document" in cli.fails("wallet", "add", "junk.json").err
    assert cli.snapshot() == before

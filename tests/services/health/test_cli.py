"""`pnyx health ...` end to end, in-process; a bad input is one line, exit 1, board unchanged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.services.health.kit import BUNDLE
from tests.webapp.conftest import Cli

PASS = "correct horse battery staple"
MMR = "http://hl7.org/fhir/sid/cvx|03"


def setup_board(c: Cli) -> None:
    c.ok("init", "--origin", "example.gov/pnyx")
    c.ok("health", "gateway", "add")
    c.ok("health", "provider", "add", "st-mary")
    c.ok("health", "provider", "add", "er-central", "--emergency")
    c.ok("health", "patient", "new", "pat")
    c.ok("health", "patient", "new", "other")
    c.ok("health", "reader", "new", "doc", "--out", "doc.json")
    Path("bundle.json").write_text(json.dumps(BUNDLE))


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("PNYX_PASSPHRASE", PASS)
    monkeypatch.setenv("PNYX_WALLET", str(tmp_path / "wallet"))
    monkeypatch.chdir(tmp_path)
    c = Cli(f"sqlite:///{tmp_path / 'board.db'}", tmp_path / "keys", capsys)
    setup_board(c)
    return c


def add_record(c: Cli, patient: str = "pat") -> str:
    [row] = c.ok(
        "health", "record", "add", "bundle.json", "--as", "st-mary", "--patient", patient, "--json"
    ).json_lines()
    return str(row["record"])


def grant(c: Cli, sha: str, *extra: str) -> str:
    [row] = c.ok(
        "health", "grant", "--patient", "pat", "--reader", "doc", "--record", sha, "--json", *extra
    ).json_lines()
    return str(row["grant"])


def unchanged(c: Cli, *argv: str) -> str:
    """The command fails with one clear line and leaves the board exactly as it was."""
    before = c.snapshot()
    err = c.fails(*argv).err
    assert c.snapshot() == before
    return err


def test_records_consent_and_log(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    c = Cli(db_url, tmp_path / "keys", capsys)
    setup_board(c)
    sha = add_record(c)
    rows = c.ok("health", "record", "list", "--patient", "pat", "--json").json_lines()
    assert [(r["record"], r["provider"]) for r in rows] == [(sha, "st-mary")]
    assert c.ok("health", "record", "list", "--patient", "other", "--json").out == ""
    own = c.ok("health", "record", "read", sha, "--patient", "pat")
    assert json.loads(own.out) == BUNDLE
    unchanged(c, "health", "record", "read", sha, "--reader", "doc", "--grant", "a" * 64)
    gid = grant(c, sha)
    as_doc = c.ok("health", "record", "read", sha, "--reader", "doc", "--grant", gid)
    assert json.loads(as_doc.out) == BUNDLE
    c.ok("health", "revoke", gid, "--patient", "pat")
    err = unchanged(c, "health", "record", "read", sha, "--reader", "doc", "--grant", gid)
    assert "grant_revoked" in err
    why = "unconscious, allergy check"
    er = c.ok("health", "record", "read", sha, "--emergency", "er-central", "--reason", why)
    assert json.loads(er.out) == BUNDLE
    log = c.ok("health", "log", "--patient", "pat", "--json").json_lines()
    assert [(i["via"], i["grant"], i["reason"]) for i in log] == [
        ("patient", None, None),
        ("grant", gid, None),
        ("emergency", None, why),
    ]
    assert log[1]["reader"] == json.loads(Path("doc.json").read_text())["sign"]
    assert log[2]["reader"] == "er-central"
    assert c.ok("health", "log", "--patient", "other", "--json").out == ""
    table = c.ok("health", "log", "--patient", "pat").out
    assert "emergency" in table and "unconscious" in table


def test_grant_by_card_and_expiry(cli: Cli) -> None:
    sha = add_record(cli)
    cli.ok("health", "reader", "card", "doc", "--out", "card.json")
    [row] = cli.ok(
        "health", "grant", "--patient", "pat", "--card", "card.json", "--record", sha,
        "--expires", "2099-01-01T00:00:00Z", "--json",
    ).json_lines()  # fmt: skip
    assert row["expires"] == "2099-01-01T00:00:00Z" and row["records"] == [sha]
    read = cli.ok("health", "record", "read", sha, "--reader", "doc", "--grant", row["grant"])
    assert json.loads(read.out) == BUNDLE
    past = ("--expires", "2001-01-01T00:00:00Z")
    assert "grant_expired" in unchanged(
        cli, "health", "grant", "--patient", "pat", "--reader", "doc", "--record", sha, *past
    )


def test_record_from_a_card(cli: Cli) -> None:
    cli.ok("health", "patient", "card", "pat", "--provider", "st-mary", "--out", "pcard.json")
    [row] = cli.ok(
        "health", "record", "add", "bundle.json", "--as", "st-mary", "--card", "pcard.json",
        "--json",
    ).json_lines()  # fmt: skip
    listed = cli.ok("health", "record", "list", "--patient", "pat", "--json").json_lines()
    assert [r["record"] for r in listed] == [row["record"]]


def test_bad_inputs_write_nothing(cli: Cli, tmp_path: Path) -> None:
    sha = add_record(cli)
    gid = grant(cli, sha)
    Path("bad.json").write_text(json.dumps({"resourceType": "Bundle", "type": "collection"}))
    Path("junk.json").write_text("{not json")
    Path("badcard.json").write_text(json.dumps({"sign": "00" * 32, "box": "00" * 32}))
    Path("obs.json").write_text(
        json.dumps(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": {"resourceType": "Observation", "status": "nonsense"}}],
            }
        )
    )
    add = ("health", "record", "add")
    cases: list[tuple[tuple[str, ...], str]] = [
        ((*add, "bad.json", "--as", "st-mary", "--patient", "pat"), "malformed_record"),
        ((*add, "obs.json", "--as", "st-mary", "--patient", "pat"), "malformed_record"),
        ((*add, "junk.json", "--as", "st-mary", "--patient", "pat"), "error: "),
        ((*add, "absent.json", "--as", "st-mary", "--patient", "pat"), "cannot read"),
        ((*add, "bundle.json", "--as", "health-gw", "--patient", "pat"), "role_not_allowed"),
        ((*add, "bundle.json", "--as", "nobody", "--patient", "pat"), "nobody"),
        ((*add, "bundle.json", "--as", "st-mary"), "--patient NAME or --card FILE"),
        ((*add, "bundle.json", "--as", "st-mary", "--patient", "ghost"), "no patient key"),
        ((*add, "bundle.json", "--as", "st-mary", "--card", "badcard.json"), "error: "),
        (("health", "record", "read", sha, "--patient", "other"), "not one of this patient"),
        (("health", "record", "read", "ab" * 32, "--patient", "pat"), "unknown_record"),
        (("health", "record", "read", sha, "--reader", "doc"), "--reader needs --grant"),
        (("health", "record", "read", sha), "one of --patient"),
        (("health", "record", "read", sha, "--emergency", "st-mary", "--reason", "x"), "no emer"),
        (("health", "record", "read", sha, "--emergency", "er-central"), "--reason"),
        (("health", "grant", "--patient", "other", "--reader", "doc", "--record", sha), "not one"),
        (
            ("health", "grant", "--patient", "pat", "--card", "badcard.json", "--record", sha),
            "grantee",
        ),
        (("health", "grant", "--patient", "pat", "--reader", "doc", "--record", "zz"), "error: "),
        (("health", "grant", "--patient", "pat", "--reader", "doc", "--record", sha, "--days", "0"),
         "--days"),
        (("health", "revoke", gid, "--patient", "other"), "not one of this patient"),
        (("health", "revoke", "cd" * 32, "--patient", "pat"), "no_grant"),
        (("health", "log", "--patient", "../x"), "bad local key name"),
        (("health", "provider", "add", "st-mary"), "exist already"),
        (("health", "credential", "ask", "health-dna", "--provider", "st-mary"), "health fact"),
        (("demo", "health"), "has run on this board already"),
    ]  # fmt: skip
    for argv, needle in cases:
        err = unchanged(cli, *argv)
        assert needle in err, (argv, err)
    # a revoked grant cannot be revoked twice; the first revocation stands
    cli.ok("health", "revoke", gid, "--patient", "pat")
    assert "grant_revoked" in unchanged(cli, "health", "revoke", gid, "--patient", "pat")


def test_a_tampered_blob_is_not_released(cli: Cli) -> None:
    sha = add_record(cli)
    engine = create_engine(cli.db)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE health_blobs SET data = :d WHERE sha256 = :h"),
            {"d": b"\x00" * 100, "h": bytes.fromhex(sha)},
        )
    engine.dispose()
    err = unchanged(cli, "health", "record", "read", sha, "--patient", "pat")
    assert "blob_tampered" in err
    assert cli.ok("health", "log", "--patient", "pat", "--json").out == ""


def read(name: str) -> Any:
    return json.loads(Path(name).read_text())


def test_health_credential_issue_present_verify(cli: Cli) -> None:
    cli.ok("wallet", "init", "--kdf", "interactive")
    cli.ok(
        "credential", "request", "--issuer", "st-mary", "--schema", "health-immunization",
        "--out", "req.json",
    )  # fmt: skip
    cli.ok(
        "health", "credential", "issue", "req.json", "--as", "st-mary", "--bundle", "bundle.json",
        "--out", "issued.json",
    )  # fmt: skip
    subject = read("issued.json")["credential"]["credentialSubject"]
    assert subject == {"vaccine": MMR, "vaccinationDate": "2019-05-14"}
    cli.ok("wallet", "add", "issued.json")
    [cred] = cli.ok("wallet", "list", "--json").json_lines()
    cli.ok(
        "health", "credential", "ask", "health-immunization", "--provider", "st-mary",
        "--since", "2015-01-01", "--out", "ask.json",
    )  # fmt: skip
    cli.ok("wallet", "present", cred["id"], "--request", "ask.json", "--out", "pres.json")
    pres = json.dumps(read("pres.json"))
    assert "2019-05-14" not in pres and "Zenobia" not in pres
    [v] = cli.ok(
        "verify", "presentation", "pres.json", "--request", "ask.json", "--json"
    ).json_lines()
    assert v["valid"] and v["disclosed"] == {"vaccine": MMR}
    assert v["predicates"][0] == "vaccinationDate >= 2015-01-01"
    # a cut-off after the vaccination cannot be answered
    cli.ok(
        "health", "credential", "ask", "health-immunization", "--provider", "st-mary",
        "--since", "2020-01-01", "--out", "late.json",
    )  # fmt: skip
    late = cli.fails("wallet", "present", cred["id"], "--request", "late.json")
    assert "cannot_present" in late.err
    # a fact given by hand
    cli.ok(
        "credential", "request", "--issuer", "st-mary", "--schema", "health-blood-type",
        "--out", "req2.json",
    )  # fmt: skip
    cli.ok(
        "health", "credential", "issue", "req2.json", "--as", "st-mary",
        "--fact", "bloodType=AB+", "--out", "issued2.json",
    )  # fmt: skip
    assert read("issued2.json")["credential"]["credentialSubject"] == {"bloodType": "AB+"}


def test_health_credential_bad_inputs(cli: Cli) -> None:
    cli.ok("wallet", "init", "--kdf", "interactive")
    cli.ok(
        "credential", "request", "--issuer", "st-mary", "--schema", "health-allergy",
        "--out", "allergy.json",
    )  # fmt: skip
    cli.ok(
        "credential", "request", "--issuer", "er-central", "--schema", "health-blood-type",
        "--out", "er.json",
    )  # fmt: skip
    issue = ("health", "credential", "issue")
    cases: list[tuple[tuple[str, ...], str]] = [
        ((*issue, "allergy.json", "--as", "st-mary", "--bundle", "bundle.json"), "states no"),
        ((*issue, "allergy.json", "--as", "st-mary"), "--bundle FILE or --fact"),
        ((*issue, "allergy.json", "--as", "st-mary", "--fact", "substance=x"), "exactly"),
        ((*issue, "allergy.json", "--as", "st-mary", "--fact", "nonsense"), "NAME=VALUE"),
        ((*issue, "er.json", "--as", "st-mary", "--fact", "bloodType=O-"), "addressed to"),
        ((*issue, "er.json", "--as", "er-central", "--fact", "bloodType=Q"), "blood group"),
        ((*issue, "absent.json", "--as", "st-mary", "--fact", "bloodType=O-"), "cannot read"),
        (("health", "credential", "ask", "health-blood-type", "--provider", "st-mary",
          "--since", "2020-01-01"), "immunization"),
        (("health", "credential", "ask", "health-immunization", "--provider", "st-mary",
          "--since", "2020-13-01"), "calendar date"),
    ]  # fmt: skip
    for argv, needle in cases:
        before = cli.snapshot()
        err = cli.fails(*argv).err
        assert needle in err, (argv, err)
        assert cli.snapshot() == before

"""``pnyx identity mailbox list | answer``: the issuer's side of the sealed issuance mailbox.

A holder (Python here, the browser wallet in test_browser_wallet.py) posts a
request with a fresh X25519 key; the issuer's command lists it with its signed
query, signs blindly over the values it decides for that request id, seals the
answer to the holder's key and posts it. The holder opens the box and accepts the
credential; the mailbox never holds the credential in the clear.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from nacl.public import PrivateKey
from sqlalchemy import select

from ledger.board import Board
from ledger.store import Store
from services.identity import issuance, mailbox
from services.identity.board_data import BoardData
from services.registry import default_registry
from tests.webapp.conftest import Cli

ISSUER = "cityhall"
ADA = {"givenName": "Ada", "familyName": "Lovelace", "birthDate": "2001-12-10", "district": 7}


def setup_issuer(cli: Cli) -> None:
    cli.ok("init", "--origin", "example.gov/pnyx")
    cli.ok("issuer", "create", ISSUER)
    attrs = ["givenName:string", "familyName:string", "birthDate:date", "district:integer"]
    cli.ok("issuer", "schema", "eid", "--as", ISSUER, "--title", "e-ID", *_attrs(attrs))
    cli.ok(
        "issuer", "schema", "permit", "--as", ISSUER, "--title", "Permit",
        "--attr", "plate:string", "--revocation", "status_list", "--max-days", "365",
    )  # fmt: skip


def _attrs(attrs: list[str]) -> list[str]:
    return [x for a in attrs for x in ("--attr", a)]


def board(cli: Cli) -> Board:
    return Board(Store(cli.db), default_registry())


def holder_posts(cli: Cli, schema: str) -> tuple[str, dict[str, Any], dict[str, Any], PrivateKey]:
    """A holder's request posted to the mailbox: (id, request, its secrets, box key)."""
    b = board(cli)
    mailbox.ensure_table(b.store)
    data = BoardData.from_board(b)
    request, secrets = issuance.make_request(data, ISSUER, schema)
    box = PrivateKey.generate()
    mail, new = mailbox.submit(
        b.store, data, request, bytes(box.public_key).hex(), datetime.now(UTC)
    )
    assert new
    return mail.id, request, secrets, box


def mail_of(cli: Cli, rid: str) -> mailbox.Mail:
    return mailbox.fetch(board(cli).store, rid, datetime.now(UTC))


def test_answer_seals_each_credential_to_its_holder(cli: Cli, tmp_path: Path) -> None:
    setup_issuer(cli)
    ada = holder_posts(cli, "eid")
    bob = holder_posts(cli, "eid")
    later = holder_posts(cli, "eid")  # the issuer has no values for this one yet
    permit = holder_posts(cli, "permit")
    listed = cli.ok("identity", "mailbox", "list", "--issuer", ISSUER, "--json").json_lines()
    assert {r["id"] for r in listed} == {ada[0], bob[0], later[0], permit[0]}

    values = tmp_path / "values.json"
    bob_values = dict(ADA, givenName="Bob", familyName="Babbage", district=3)
    values.write_text(
        json.dumps({ada[0]: ADA, bob[0]: bob_values, permit[0]: {"plate": "AB-123-CD"}})
    )
    r = cli.ok("identity", "mailbox", "answer", "--issuer", ISSUER, "--values", str(values),
               "--json")  # fmt: skip
    rows = {row["id"]: row for row in r.json_lines()}
    assert {k: v["result"] for k, v in rows.items()} == {
        ada[0]: "answered",
        bob[0]: "answered",
        later[0]: "pending",
        permit[0]: "answered",
    }
    assert "givenName" in rows[later[0]]["detail"]
    assert "status permit-1#" in rows[permit[0]]["detail"]

    data = BoardData.from_board(board(cli))
    for (rid, request, secrets, box), expected in ((ada, ADA), (bob, bob_values)):
        mail = mail_of(cli, rid)
        assert mail.status == "issued" and mail.sealed is not None
        assert "Lovelace" not in mail.sealed and expected["familyName"] not in json.dumps(
            mail.to_json()
        )
        issued = mailbox.open_issuance(mail, box)
        record = issuance.accept(data, issued, request, secrets)
        assert record["credential"]["credentialSubject"] == expected
    rid, request, secrets, box = permit
    record = issuance.accept(data, mailbox.open_issuance(mail_of(cli, rid), box), request, secrets)
    assert record["credential"]["credentialStatus"]["statusListCredential"].endswith("permit-1")
    assert data.status_list(ISSUER, "permit-1") is not None  # published with the first permit
    # Bob's box does not open with Ada's key
    assert mail_of(cli, later[0]).status == "pending"
    with pytest.raises(mailbox.IdentityError):
        mailbox.open_issuance(mail_of(cli, bob[0]), ada[3])
    # nothing stored in the clear: no attribute value, no credential signature
    with board(cli).store.read() as tx:
        stored = json.dumps([tuple(r) for r in tx.s.execute(select(mailbox.ISSUANCE)).all()])
    assert "Lovelace" not in stored and "Babbage" not in stored and "AB-123-CD" not in stored
    assert record["credential"]["proof"]["proofValue"][1:] not in stored

    # the later holder's values come with --attr; the run answers only it now
    r = cli.ok("identity", "mailbox", "answer", "--issuer", ISSUER, "--json",
               "--attr", "givenName=Grace", "--attr", "familyName=Hopper",
               "--attr", "birthDate=1906-12-09", "--attr", "district=7")  # fmt: skip
    assert [(x["id"], x["result"]) for x in r.json_lines()] == [(later[0], "answered")]
    opened = mailbox.open_issuance(mail_of(cli, later[0]), later[3])
    assert opened["credential"]["credentialSubject"]["familyName"] == "Hopper"
    r = cli.ok("identity", "mailbox", "answer", "--issuer", ISSUER)
    assert "0 pending" in r.out


def test_refusals(cli: Cli, tmp_path: Path) -> None:
    setup_issuer(cli)
    rid, *_ = holder_posts(cli, "eid")
    values = tmp_path / "values.json"
    values.write_text(json.dumps({rid: dict(ADA, district="seven")}))
    before = cli.snapshot()
    r = cli.fails(
        "identity", "mailbox", "answer", "--issuer", ISSUER, "--values", str(values), "--json"
    )
    assert "1 request(s) could not be answered" in r.err
    [row] = r.json_lines()
    assert row["result"] == "refused" and row["detail"].startswith("bad_document:"), row
    assert "district" in row["detail"]
    assert mail_of(cli, rid).status == "pending" and cli.snapshot() == before
    values.write_text(json.dumps({"not-an-id": ADA}))
    cli.fails("identity", "mailbox", "answer", "--issuer", ISSUER, "--values", str(values))
    cli.fails("identity", "mailbox", "answer", "--issuer", ISSUER, "--attr", "district")
    cli.fails("identity", "mailbox", "answer", "--issuer", "nobody")
    cli.fails("identity", "mailbox", "list", "--issuer", "nobody")
    assert mail_of(cli, rid).status == "pending" and cli.snapshot() == before

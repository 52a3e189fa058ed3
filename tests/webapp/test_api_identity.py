"""The identity API: board reads, the issuance mailbox, presentation requests and verdicts.

Every refusal is a 4xx ``{"error", "detail"}`` that leaves the board and the
identity tables as they were; no response carries a holder's or an issuer's
secret, and the mailbox never holds a credential: the issuer's answer is a box
sealed to the holder's X25519 key.
"""

from __future__ import annotations

import copy
import json
import logging
import secrets
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.public import PrivateKey
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from ledger.entry import canonical
from ledger.note import Signer
from services.identity import issuance, mailbox, sessions
from services.identity.board_data import BoardData
from services.identity.domain import STATUS_LIST, status_list_body
from services.identity.presentation import present
from services.identity.request import Predicate, PresentationRequest
from services.identity.schema import Schema
from services.identity.status_list import StatusList
from tests.ledger.test_board import snapshot
from tests.services.identity.kit import (
    ADA,
    EID,
    ISSUER,
    PLATE,
    IdentityKit,
    make_identity_kit,
)
from tests.webapp.test_api_kit import JSON, is_error, mutate
from webapp.api.identity import clock
from webapp.app import create_app
from webapp.keystore import KeyStore

API = "/api/v1/identity"
HEADERS = {"content-type": "application/json"}


# ------------------------------------------------------------------ fixtures


class Clock:
    """The server's clock, movable by the tests."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


def make_app(db_url: str, keys: Path) -> FastAPI:
    return create_app(db_url, KeyStore(keys))


@pytest.fixture
def ik(db_url: str) -> IdentityKit:
    return make_identity_kit(db_url)


@pytest.fixture
def server_clock() -> Clock:
    return Clock()


@pytest.fixture
def client(
    ik: IdentityKit, db_url: str, tmp_path: Path, server_clock: Clock
) -> Iterator[TestClient]:
    app = make_app(db_url, tmp_path / "keys")
    app.dependency_overrides[clock] = server_clock
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def post(client: TestClient, path: str, doc: Any) -> httpx.Response:
    return client.post(API + path, content=json.dumps(doc), headers=HEADERS)


def tables(board: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the identity tables (empty when they do not exist yet)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    names = set(sa_inspect(board.store.engine).get_table_names())
    with board.store.read() as tx:
        for table in (mailbox.ISSUANCE, sessions.SESSIONS):
            rows = tx.s.execute(select(table)).all() if table.name in names else []
            out[table.name] = sorted(tuple(r) for r in rows)
    return out


def state(ik: IdentityKit) -> tuple[Any, Any]:
    """What a refused request must leave unchanged."""
    return snapshot(ik.board), tables(ik.board)


def refused(
    ik: IdentityKit, client: TestClient, path: str, doc: Any, status: int, code: str | None = None
) -> dict[str, Any]:
    before = state(ik)
    r = post(client, path, doc)
    assert is_error(r, status), (r.status_code, r.text)
    if code is not None:
        assert r.json()["error"] == code, r.text
    assert state(ik) == before
    return dict(r.json())


# ------------------------------------------------------------------- helpers


def data(ik: IdentityKit) -> BoardData:
    return BoardData.from_board(ik.board)


def list_query(signer: Signer, issuer: str, when: datetime) -> dict[str, Any]:
    t = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    nonce = secrets.token_hex(16)
    sig = signer.sign(mailbox.list_message(issuer, t, nonce)).hex()
    return {"issuer": issuer, "time": t, "nonce": nonce, "signature": sig}


def issue(
    ik: IdentityKit,
    request: dict[str, Any],
    values: dict[str, Any] | None = None,
    status: tuple[str, int] | None = None,
) -> dict[str, Any]:
    days = 30 if status is None else 365
    return issuance.issue(
        data(ik), ISSUER, ik.sk, request, values or ADA, date.today(), days, status
    )


def submit_body(request: dict[str, Any], box: PrivateKey) -> dict[str, Any]:
    """The holder's post: its request and the public key of its fresh X25519 box key."""
    return {"request": request, "seal_to": bytes(box.public_key).hex()}


def answer_body(
    signer: Signer, issued: dict[str, Any], box: PrivateKey, rid: str | None = None
) -> dict[str, Any]:
    """The issuer's post: ``issued`` sealed to ``box``'s public key, signed for ``rid``."""
    seal_to = bytes(box.public_key).hex()
    sealed = mailbox.seal(canonical(issued), seal_to)
    message = mailbox.answer_message(rid or issued["request"], seal_to, sealed)
    return {"sealed": sealed, "signature": signer.sign(message).hex()}


def credential(
    ik: IdentityKit, schema: str = "eid", status: tuple[str, int] | None = None
) -> dict[str, Any]:
    """A wallet record made through the library (holder and issuer on their machines)."""
    req, holder = issuance.make_request(data(ik), ISSUER, schema)
    values = ADA if schema == "eid" else PLATE
    return issuance.accept(data(ik), issue(ik, req, values, status), req, holder)


def verify(client: TestClient, request: PresentationRequest, pres: Any) -> dict[str, Any]:
    r = post(client, "/presentations/verify", {"request": request.to_json(), "presentation": pres})
    assert r.status_code == 200, r.text
    return dict(r.json())


def adult_request(context: str | None = "election-2026") -> PresentationRequest:
    cut = (date.today() - timedelta(days=18 * 366)).isoformat()
    return PresentationRequest.new(
        ISSUER, "eid", ["district"], [Predicate("birthDate", "<=", cut)], None, context
    )


# ---------------------------------------------------------------------- reads


def test_reads_answer_from_the_board(ik: IdentityKit, client: TestClient) -> None:
    r = client.get(f"{API}/issuers")
    assert r.status_code == 200
    (row,) = r.json()["issuers"]
    assert row["name"] == ISSUER and row["active"] is True
    assert row["keys"] == [ik.key_id]
    assert row["schemas"] == ["eid", "permit"] and row["status_lists"] == ["permit-1"]

    one = client.get(f"{API}/issuers/{ISSUER}").json()
    assert one["latest_key"] == ik.key_id and one["authority"] == row["authority"]
    assert [s["id"] for s in one["schemas"]] == ["eid", "permit"]
    assert one["status_lists"][0]["size"] == 131072

    key = client.get(f"{API}/issuers/{ISSUER}/key").json()
    assert key == client.get(f"{API}/keys/{ik.key_id}").json()
    rec = ik.board.state("identity", f"key/{ik.key_id}")
    assert key["public_key"] == rec["public_key"] and key["ciphersuite"] == "BLS12-381-SHA-256"

    eid = client.get(f"{API}/schemas/{ISSUER}/eid").json()
    assert eid["digest"] == Schema.from_body(ISSUER, EID).digest
    assert {k: eid[k] for k in EID} == EID
    assert [
        s["id"] for s in client.get(f"{API}/schemas", params={"issuer": ISSUER}).json()["schemas"]
    ] == ["eid", "permit"]
    assert client.get(f"{API}/schemas", params={"issuer": "nobody"}).json() == {"schemas": []}

    lists = client.get(f"{API}/status-lists").json()["status_lists"]
    assert [(x["issuer"], x["id"]) for x in lists] == [(ISSUER, "permit-1")]
    full = client.get(f"{API}/status-lists/{ISSUER}/permit-1").json()
    assert StatusList.decode(full["encodedList"]) == StatusList.empty()


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/issuers/nobody", 404),
        ("/issuers/nobody/key", 404),
        ("/keys/" + "0" * 64, 404),
        ("/schemas/cityhall/nope", 404),
        ("/status-lists/cityhall/nope", 404),
        ("/issuers/City%20Hall", 400),
        ("/keys/xyz", 400),
        ("/schemas?issuer=" + "a" * 65, 400),
        ("/issuance/requests/zz", 400),
        ("/issuance/requests/" + "0" * 16, 404),
        ("/requests/" + "0" * 32, 404),
        ("/requests/" + "0" * 31, 400),
    ],
)
def test_bad_reads(client: TestClient, path: str, status: int) -> None:
    r = client.get(API + path)
    assert is_error(r, status), r.text


# -------------------------------------------------------------------- mailbox


def test_blind_issuance_through_the_mailbox(
    ik: IdentityKit, client: TestClient, server_clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # 1. the holder commits on its machine and posts the request with a fresh box key
    req, holder = issuance.make_request(data(ik), ISSUER, "eid")
    box = PrivateKey.generate()
    rid = issuance.request_id(req)
    r = post(client, "/issuance/requests", submit_body(req, box))
    assert r.status_code == 201, r.text
    assert r.json()["id"] == rid and r.json()["status"] == "pending"
    assert r.json()["seal_to"] == bytes(box.public_key).hex() and r.json()["sealed"] is None
    again = post(client, "/issuance/requests", submit_body(req, box))
    assert again.status_code == 200 and again.json() == r.json()
    # the same request to be sealed to another key is a conflict
    other_key = submit_body(req, PrivateKey.generate())
    refused(ik, client, "/issuance/requests", other_key, 409, "request_conflict")
    # 2. the issuer lists its pending requests with a query signed by its board key
    r = post(client, "/issuance/pending", list_query(ik.issuer, ISSUER, server_clock.now))
    assert r.status_code == 200, r.text
    [item] = r.json()["requests"]
    assert (item["id"], item["request"]) == (rid, req)
    assert item["seal_to"] == bytes(box.public_key).hex()
    # 3. it signs blindly on its machine, seals to the holder's key and posts the box
    mail = mailbox.fetch(ik.board.store, rid, server_clock.now)
    sealed, signature = mailbox.issue_sealed(
        data(ik), ik.sk, ik.issuer.sign, mail, ADA, date.today(), 30, None
    )
    body = {"sealed": sealed, "signature": signature}
    r = post(client, f"/issuance/requests/{rid}/response", body)
    assert r.status_code == 201, r.text
    listed = post(client, "/issuance/pending", list_query(ik.issuer, ISSUER, server_clock.now))
    assert listed.json()["requests"] == []
    # 4. the holder fetches the box, opens it with its key and checks the credential
    got = client.get(f"{API}/issuance/requests/{rid}").json()
    assert got["status"] == "issued" and got["sealed"] == sealed and "issuance" not in got
    issued = json.loads(mailbox.open_sealed(got["sealed"], box))
    kept = mailbox.fetch(ik.board.store, rid, server_clock.now)
    assert issued == mailbox.open_issuance(kept, box)
    record = issuance.accept(data(ik), issued, req, holder)
    assert record["credential"]["credentialSubject"] == ADA
    # another key does not open it
    with pytest.raises(mailbox.IdentityError):
        mailbox.open_sealed(got["sealed"], PrivateKey.generate())
    # the credential presents and verifies through the API
    request = adult_request()
    verdict = verify(client, request, present(data(ik), record, request))
    assert verdict["valid"] is True and verdict["result"]["disclosed"] == {"district": 7}
    # nothing the server holds or answers shows the credential: no signature, no values
    signature_hex = record["credential"]["proof"]["proofValue"][1:]
    stored = json.dumps(tables(ik.board), default=str)
    for text in (json.dumps(got), stored, caplog.text):
        assert signature_hex not in text and "Lovelace" not in text and "2001-12-10" not in text
    # 5. the holder deletes the mail
    r = client.delete(f"{API}/issuance/requests/{rid}")
    assert r.status_code == 200 and r.json() == {"id": rid, "deleted": True}
    assert is_error(client.get(f"{API}/issuance/requests/{rid}"), 404)
    assert is_error(client.delete(f"{API}/issuance/requests/{rid}"), 404)
    # nothing in any answer is a holder secret or the issuer's key
    secrets_ = [*holder.values(), *record["secrets"].values(), ik.sk.hex(), bytes(box).hex()]
    for text in (json.dumps(got), json.dumps(verdict), json.dumps(listed.json()), caplog.text):
        assert not any(s in text for s in secrets_)


def test_mailbox_refusals_write_nothing(
    ik: IdentityKit, client: TestClient, server_clock: Clock
) -> None:
    req, _ = issuance.make_request(data(ik), ISSUER, "eid")
    rid = issuance.request_id(req)
    box = PrivateKey.generate()
    # requests the issuer could not sign
    bad = dict(req, schema="nope")
    refused(ik, client, "/issuance/requests", submit_body(bad, box), 422)
    bad = dict(req, schemaDigest="0" * 64)
    refused(ik, client, "/issuance/requests", submit_body(bad, box), 422)
    raw = bytearray.fromhex(req["commitment"])
    raw[-1] ^= 1  # the proof's challenge
    bad = dict(req, commitment=raw.hex())
    refused(ik, client, "/issuance/requests", submit_body(bad, box), 422)
    refused(ik, client, "/issuance/requests", submit_body(dict(req, commitment="00"), box), 400)
    refused(ik, client, "/issuance/requests", submit_body({**req, "extra": 1}, box), 400)
    refused(ik, client, "/issuance/requests", submit_body(dict(req, version=True), box), 400)
    # a box key the answer could not be sealed to, or none
    refused(ik, client, "/issuance/requests", {"request": req}, 400)
    for key in ("0" * 64, "01" + "0" * 62, "AB" * 32, "ab" * 31):
        refused(ik, client, "/issuance/requests", {"request": req, "seal_to": key}, 400)
    # listing: only the issuer's own authority key, and only now
    assert post(client, "/issuance/requests", submit_body(req, box)).status_code == 201
    now = server_clock.now
    refused(ik, client, "/issuance/pending", list_query(ik.kit.publisher, ISSUER, now), 403)
    refused(ik, client, "/issuance/pending", list_query(ik.kit.publisher, "city", now), 403)
    stale = list_query(ik.issuer, ISSUER, now - timedelta(minutes=10))
    refused(ik, client, "/issuance/pending", stale, 403, "not_authorised")
    # answers: signed by the issuer, for this request and this key, the box as signed
    issued = issue(ik, req)
    forged = answer_body(ik.kit.publisher, issued, box)
    refused(ik, client, f"/issuance/requests/{rid}/response", forged, 403, "not_authorised")
    elsewhere = answer_body(ik.issuer, issued, box, "0" * 16)
    refused(ik, client, f"/issuance/requests/{rid}/response", elsewhere, 403, "not_authorised")
    refused(ik, client, "/issuance/requests/" + "0" * 16 + "/response", elsewhere, 404)
    to_other = answer_body(ik.issuer, issued, PrivateKey.generate())
    refused(ik, client, f"/issuance/requests/{rid}/response", to_other, 403, "not_authorised")
    changed = answer_body(ik.issuer, issued, box)
    flipped = bytearray.fromhex(changed["sealed"])
    flipped[40] ^= 1  # after signing
    changed["sealed"] = flipped.hex()
    refused(ik, client, f"/issuance/requests/{rid}/response", changed, 403)
    for sealed in ("ab" * (mailbox.MIN_SEALED - 1), "abc", "AB" * 60, ""):
        short = {"sealed": sealed, "signature": "00" * 64}
        refused(ik, client, f"/issuance/requests/{rid}/response", short, 400)
    ok = post(client, f"/issuance/requests/{rid}/response", answer_body(ik.issuer, issued, box))
    assert ok.status_code == 201
    twice = answer_body(ik.issuer, issue(ik, req), box)
    refused(ik, client, f"/issuance/requests/{rid}/response", twice, 409, "already_answered")


def test_the_issuer_checks_before_it_seals(ik: IdentityKit, server_clock: Clock) -> None:
    """The server sees only a box, so the issuer's side checks the issuance itself."""
    mailbox.ensure_table(ik.board.store)
    req, _ = issuance.make_request(data(ik), ISSUER, "eid")
    box = PrivateKey.generate()
    mail, new = mailbox.submit(
        ik.board.store, data(ik), req, bytes(box.public_key).hex(), server_clock.now
    )
    assert new
    issued = issue(ik, req)
    wrong = copy.deepcopy(issued)
    wrong["credential"]["credentialSubject"]["district"] = "seven"
    with pytest.raises(mailbox.BadDocument):
        mailbox.sealed_answer(data(ik), mail, wrong, ik.issuer.sign)
    with pytest.raises(mailbox.BadDocument):
        mailbox.sealed_answer(data(ik), mail, dict(issued, request="0" * 16), ik.issuer.sign)
    sealed, signature = mailbox.sealed_answer(data(ik), mail, issued, ik.issuer.sign)
    assert mailbox.answer(ik.board.store, data(ik), mail.id, sealed, signature, server_clock.now)
    assert json.loads(mailbox.open_sealed(sealed, box)) == issued
    # a fresh ephemeral key each time: two seals of the same issuance differ
    assert mailbox.sealed_answer(data(ik), mail, issued, ik.issuer.sign)[0] != sealed
    with pytest.raises(mailbox.IdentityError):
        mailbox.open_sealed(sealed[:-2] + format(int(sealed[-2:], 16) ^ 1, "02x"), box)


def test_mailbox_is_bounded_and_expires(
    ik: IdentityKit, client: TestClient, server_clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mailbox, "MAX_PENDING_PER_ISSUER", 2)
    box = PrivateKey.generate()
    reqs = [issuance.make_request(data(ik), ISSUER, "eid")[0] for _ in range(3)]
    for req in reqs[:2]:
        assert post(client, "/issuance/requests", submit_body(req, box)).status_code == 201
    refused(ik, client, "/issuance/requests", submit_body(reqs[2], box), 429, "mailbox_full")
    # an answered request no longer counts as waiting
    rid = issuance.request_id(reqs[0])
    body = answer_body(ik.issuer, issue(ik, reqs[0]), box)
    assert post(client, f"/issuance/requests/{rid}/response", body).status_code == 201
    assert post(client, "/issuance/requests", submit_body(reqs[2], box)).status_code == 201
    # a week later every request is gone
    server_clock.now += mailbox.TTL + timedelta(seconds=1)
    assert is_error(client.get(f"{API}/issuance/requests/{rid}"), 404)
    q = list_query(ik.issuer, ISSUER, server_clock.now)
    assert post(client, "/issuance/pending", q).json()["requests"] == []
    fresh = issuance.make_request(data(ik), ISSUER, "eid")[0]
    assert post(client, "/issuance/requests", submit_body(fresh, box)).status_code == 201
    assert [r[0] for r in tables(ik.board)[mailbox.ISSUANCE.name]] == [issuance.request_id(fresh)]


# ------------------------------------------------------ presentation requests


def test_presentation_request_round_trip(
    ik: IdentityKit, client: TestClient, server_clock: Clock
) -> None:
    record = credential(ik)
    cut = (date.today() - timedelta(days=18 * 366)).isoformat()
    ask = {
        "issuer": ISSUER,
        "schema": "eid",
        "disclose": ["district"],
        "predicates": [{"attribute": "birthDate", "op": "<=", "value": cut}],
        "pseudonym": {"context": "election-2026"},
        "ttl_seconds": 600,
    }
    r = post(client, "/requests", ask)
    assert r.status_code == 201, r.text
    session = r.json()
    sid, doc = session["id"], session["request"]
    assert session["status"] == "pending" and session["verdict"] is None
    assert len(doc["nonce"]) == 64 and doc["date"] == server_clock.now.date().isoformat()
    assert doc["pseudonym"] == {"context": "election-2026"}
    # the holder reads it by id (a link or a QR code), presents, posts
    shown = client.get(f"{API}/requests/{sid}").json()
    assert shown["request"] == doc
    request = PresentationRequest.from_json(shown["request"])
    pres = present(data(ik), record, request)
    # a presentation made for another request (another nonce) is refused: nothing kept
    other = present(data(ik), record, adult_request())
    refused(ik, client, f"/requests/{sid}/response", {"presentation": other}, 422)
    r = post(client, f"/requests/{sid}/response", {"presentation": pres})
    assert r.status_code == 200, r.text
    verdict = r.json()
    assert verdict["valid"] is True and verdict["result"]["pseudonym"]
    assert all(c["ok"] is True for c in verdict["checks"])
    # the verifier sees it; the nonce is used once
    seen = client.get(f"{API}/requests/{sid}").json()
    assert seen["status"] == "verified" and seen["verdict"] == verdict
    assert seen["answered"] is not None
    again = {"presentation": present(data(ik), record, request)}
    refused(ik, client, f"/requests/{sid}/response", again, 409, "already_answered")


def test_presentation_requests_expire_and_are_checked(
    ik: IdentityKit, client: TestClient, server_clock: Clock
) -> None:
    record = credential(ik)
    r = post(client, "/requests", {"issuer": ISSUER, "schema": "eid", "ttl_seconds": 60})
    sid = r.json()["id"]
    request = PresentationRequest.from_json(r.json()["request"])
    assert request.disclose == () and request.pseudonym_context is None
    pres = present(data(ik), record, request)
    server_clock.now += timedelta(seconds=61)
    assert client.get(f"{API}/requests/{sid}").json()["status"] == "expired"
    refused(ik, client, f"/requests/{sid}/response", {"presentation": pres}, 410)
    # requests the board cannot answer
    refused(ik, client, "/requests", {"issuer": ISSUER, "schema": "nope"}, 404)
    pred = {"attribute": "givenName", "op": "<=", "value": 3}
    refused(ik, client, "/requests", {"issuer": ISSUER, "schema": "eid", "predicates": [pred]}, 400)
    both = {"issuer": ISSUER, "schema": "eid", "disclose": ["birthDate"]}
    both["predicates"] = [{"attribute": "birthDate", "op": "<=", "value": "2000-01-01"}]
    refused(ik, client, "/requests", both, 400)
    refused(ik, client, "/requests", {"issuer": ISSUER, "schema": "eid", "date": "2026-02-30"}, 400)
    huge = {"attribute": "district", "op": ">=", "value": 2**60}
    refused(ik, client, "/requests", {"issuer": ISSUER, "schema": "eid", "predicates": [huge]}, 400)
    refused(ik, client, "/requests", {"issuer": ISSUER, "schema": "eid", "ttl_seconds": 10}, 400)
    fixed = post(client, "/requests", {"issuer": ISSUER, "schema": "eid", "date": "2026-01-05"})
    assert fixed.json()["request"]["date"] == "2026-01-05"


# ---------------------------------------------------------------- verdicts


def checks(verdict: dict[str, Any]) -> dict[str, bool | None]:
    return {c["check"]: c["ok"] for c in verdict["checks"]}


def test_verdict_shows_what_was_checked(ik: IdentityKit, client: TestClient) -> None:
    record = credential(ik)
    request = adult_request()
    pres = present(data(ik), record, request)
    v = verify(client, request, pres)
    assert v["valid"] and v["reason"] is None
    assert v["result"]["key_id"] == ik.key_id and v["result"]["schema"] == "eid"
    assert list(checks(v)) == [
        "shape",
        "nonce",
        "issuer_key",
        "schema",
        "disclosure",
        "predicates",
        "pseudonym",
        "proof",
        "status",
    ]
    detail = {c["check"]: c["detail"] for c in v["checks"]}
    assert ik.key_id in detail["issuer_key"] and "birthDate <=" in detail["predicates"]
    assert "validUntil >=" in detail["predicates"] and "short-lived" in detail["status"]
    assert v["predicates"] == [
        {"predicate": str(request.predicates[0]), "proved": True},
        {"predicate": f"validUntil >= {request.date}", "proved": True},
    ]

    # a value changed in transit: the proof fails, the steps before it passed
    tampered = copy.deepcopy(pres)
    tampered["verifiableCredential"][0]["credentialSubject"]["district"] = 8
    v = verify(client, request, tampered)
    assert (v["valid"], v["reason"], v["result"]) == (False, "proof_invalid", None)
    c = checks(v)
    assert c["proof"] is False and c["status"] is None
    assert [p["proved"] for p in v["predicates"]] == [None, None]
    assert all(c[k] for k in ("shape", "nonce", "issuer_key", "schema", "disclosure"))
    # the proof claims other predicates than the request's
    other_preds = copy.deepcopy(pres)
    other_preds["verifiableCredential"][0]["proof"]["predicates"] = []
    v = verify(client, request, other_preds)
    assert v["reason"] == "predicate_failed" and checks(v)["predicates"] is False
    assert [p["proved"] for p in v["predicates"]] == [False, False]
    assert checks(v)["disclosure"] is True and checks(v)["proof"] is None
    # a replay for another request
    v = verify(client, adult_request(), pres)
    assert v["reason"] == "nonce_mismatch" and checks(v)["shape"] is True
    assert checks(v)["nonce"] is False and checks(v)["proof"] is None
    # not a presentation at all
    v = verify(client, request, {"hello": "world"})
    assert v["reason"] == "malformed" and checks(v)["shape"] is False
    assert [x for x in checks(v).values() if x is not None] == [False]
    # another issuer asked for
    other = PresentationRequest.new("townhall", "eid", ["district"])
    v = verify(client, other, present(data(ik), record, request))
    assert v["reason"] in ("nonce_mismatch", "unknown_issuer")


def test_revoked_credential_verdict(ik: IdentityKit, client: TestClient) -> None:
    record = credential(ik, "permit", ("permit-1", 4242))
    request = PresentationRequest.new(ISSUER, "permit", ["plate"])
    v = verify(client, request, present(data(ik), record, request))
    assert v["valid"] and v["result"]["status"] == {"list": "permit-1", "index": 4242}
    assert "bit 4242 of status list cityhall/permit-1 is 0" in v["checks"][-1]["detail"]
    revoked = StatusList.empty().with_set(4242)
    ik.publish(STATUS_LIST, status_list_body("permit-1", revoked))
    request = PresentationRequest.new(ISSUER, "permit", ["plate"])
    v = verify(client, request, present(data(ik), record, request))
    assert (v["valid"], v["reason"]) == (False, "revoked")
    c = checks(v)
    assert c["status"] is False and c["proof"] is True
    assert v["predicates"] == [{"predicate": f"validUntil >= {request.date}", "proved": True}]


def test_verify_refuses_bad_requests(ik: IdentityKit, client: TestClient) -> None:
    request = adult_request().to_json()
    for bad in (
        dict(request, nonce="00"),
        dict(request, version=2),
        {**request, "predicates": [{"attribute": "birthDate", "op": "<", "value": "2000-01-01"}]},
        {**request, "disclose": ["district", "district"]},
        {**request, "predicates": [{"attribute": "district", "op": "<=", "value": 2**60}]},
    ):
        refused(ik, client, "/presentations/verify", {"request": bad, "presentation": {}}, 400)


# ------------------------------------------------------------ bad bodies, fuzz


def test_bodies_must_be_strict_json(ik: IdentityKit, client: TestClient) -> None:
    req, _ = issuance.make_request(data(ik), ISSUER, "eid")
    text = json.dumps({"request": req})
    before = state(ik)
    for body, status in (
        (text[:-1] + ', "request": {}}', 400),  # a duplicate member
        ('{"request": {"version": 1.0}}', 400),  # a float
        ('{"request": NaN}', 400),
        (b"\xff\xfe", 400),
        ("[" * 40 + "]" * 40, 400),
        ('{"request": ' + "1" * 5000 + "}", 400),
        ("", 400),
    ):
        r = client.post(f"{API}/issuance/requests", content=body, headers=HEADERS)
        assert is_error(r, status), (body[:40], r.status_code, r.text)
    r = client.post(
        f"{API}/issuance/requests", content=text, headers={"content-type": "text/plain"}
    )
    assert is_error(r, 415)
    r = client.post(
        f"{API}/presentations/verify", content=b"{" + b" " * 700_000 + b"}", headers=HEADERS
    )
    assert is_error(r, 413)
    assert state(ik) == before


POSTS = [
    "/issuance/requests",
    "/issuance/pending",
    "/issuance/requests/0123456789abcdef/response",
    "/requests",
    "/requests/" + "ab" * 16 + "/response",
    "/presentations/verify",
]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(POSTS), body=JSON)
def test_fuzz_any_json_body(ik: IdentityKit, client: TestClient, path: str, body: Any) -> None:
    before = state(ik)
    r = post(client, path, body)
    assert is_error(r), (path, body, r.status_code, r.text)
    assert state(ik) == before


@pytest.fixture
def valid_bodies(ik: IdentityKit, client: TestClient, server_clock: Clock) -> dict[str, Any]:
    """A valid body of every POST route, to mutate (a request posted, a session made)."""
    req, _ = issuance.make_request(data(ik), ISSUER, "eid")
    rid = issuance.request_id(req)
    box = PrivateKey.generate()
    assert post(client, "/issuance/requests", submit_body(req, box)).status_code == 201
    session = post(client, "/requests", {"issuer": ISSUER, "schema": "eid"}).json()
    record = credential(ik)
    pres = present(data(ik), record, PresentationRequest.from_json(session["request"]))
    request = adult_request()
    fresh = issuance.make_request(data(ik), ISSUER, "eid")[0]
    return {
        "/issuance/requests": submit_body(fresh, box),
        "/issuance/pending": list_query(ik.issuer, ISSUER, server_clock.now),
        f"/issuance/requests/{rid}/response": answer_body(ik.issuer, issue(ik, req), box),
        "/requests": {"issuer": ISSUER, "schema": "eid", "disclose": ["district"]},
        f"/requests/{session['id']}/response": {"presentation": pres},
        "/presentations/verify": {
            "request": request.to_json(),
            "presentation": present(data(ik), record, request),
        },
    }


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    route=st.integers(0, 5),
    where=st.lists(st.integers(0, 50), min_size=1, max_size=6),
    value=JSON,
)
def test_fuzz_one_member_changed(
    ik: IdentityKit,
    client: TestClient,
    valid_bodies: dict[str, Any],
    route: int,
    where: list[int],
    value: Any,
) -> None:
    """A valid body with one member replaced by any JSON value: never a 5xx; a refusal
    writes nothing (verify answers 200 with a verdict, valid or not)."""
    path, body = sorted(valid_bodies.items())[route]
    changed = mutate(body, where, value)
    before = state(ik)
    r = post(client, path, changed)
    assert r.status_code < 500, (path, r.text)
    if r.status_code >= 400:
        assert is_error(r), r.text
        assert state(ik) == before
    elif path == "/presentations/verify":
        assert r.status_code == 200 and set(r.json()) == {
            "valid",
            "reason",
            "detail",
            "result",
            "checks",
            "predicates",
        }
        assert state(ik) == before

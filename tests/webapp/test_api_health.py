"""The health API: records written with their blobs, reads released with their log entry,
grants with expiries, revocations, the access log; the server as an opt-in gateway.

The provider encrypts and signs on its own machine; the patient, the doctor and
the emergency department open what is released with their own keys.  Every
refusal is a 4xx ``{"error", "detail"}`` that leaves the board and the blob
table as they were; no response carries a plaintext, a record key or a secret.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey
from sqlalchemy import update

from ledger.note import Signer
from services.health import domain as hd
from services.health.blobs import BLOBS
from services.health.fhir import validate_bundle
from services.health.keys import Pseudonym, Reader, open_release
from services.health.messages import GRANT_PREFIX, digest, sign
from services.health.sealing import blob_hash, record_aad, seal_record, wrap_key
from services.health.views import RecordInfo, Release
from tests.kit import entry
from tests.ledger.test_board import snapshot
from tests.services.health.kit import BUNDLE, MARKERS, HealthKit, blobs, kid, make_health_kit
from tests.webapp.test_api_kit import JSON, is_error, mutate
from webapp.api.health import DEFAULT_GATEWAY
from webapp.api.identity import clock
from webapp.app import create_app
from webapp.keystore import KeyStore

API = "/api/v1/health"
HEADERS = {"content-type": "application/json"}


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def stamp(self, delta: timedelta = timedelta(0)) -> str:
        return (self.now + delta).strftime(hd.TIME_FORMAT)


def make_app(db_url: str, keys: KeyStore | None) -> FastAPI:
    return create_app(db_url, keys)


@pytest.fixture
def hk(db_url: str) -> HealthKit:
    return make_health_kit(db_url)


@pytest.fixture
def server_clock() -> Clock:
    return Clock()


@pytest.fixture
def client(hk: HealthKit, db_url: str, tmp_path: Path, server_clock: Clock) -> Iterator[TestClient]:
    """The server holds the gateway's key (its key folder): the /gateway routes work."""
    keys = KeyStore(tmp_path / "keys")
    keys.save_authority(hk.gateway)
    app = make_app(db_url, keys)
    app.dependency_overrides[clock] = server_clock
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def post(client: TestClient, path: str, doc: Any) -> httpx.Response:
    return client.post(API + path, content=json.dumps(doc), headers=HEADERS)


def state(hk: HealthKit) -> tuple[Any, Any]:
    return snapshot(hk.board), blobs(hk)


def refused(
    hk: HealthKit, client: TestClient, path: str, doc: Any, status: int, code: str | None = None
) -> None:
    before = state(hk)
    r = post(client, path, doc)
    assert is_error(r, status), (r.status_code, r.text)
    if code is not None:
        assert r.json()["error"] == code, r.text
    assert state(hk) == before


def doc(leaf: bytes) -> dict[str, Any]:
    """An entry as the JSON object a client sends."""
    return dict(json.loads(leaf))


# ---------------------------------------------------- the clients' machines


def provider_write(
    hk: HealthKit, client: TestClient, bundle: dict[str, Any], card: dict[str, Any] | None = None
) -> tuple[dict[str, Any], bytes]:
    """What a provider's page or CLI does: validate, encrypt, seal, sign; returns the body."""
    card = card or hk.pseudonym.card()
    pid = hk.pseudonym.id if card == hk.pseudonym.card() else None
    assert pid is not None
    plaintext = validate_bundle(bundle)
    key, blob = seal_record(plaintext, record_aad(kid(hk.provider), pid))
    em = client.get(f"{API}/emergency-keys").json()["keys"]
    body = {
        "patient": pid,
        "sha256": blob_hash(blob),
        "size": len(blob),
        "key": wrap_key(key, bytes.fromhex(card["box"])).hex(),
        "emergency": {k["key_id"]: wrap_key(key, bytes.fromhex(k["box"])).hex() for k in em},
    }
    known = client.get(f"{API}/pseudonyms/{pid}").status_code == 200
    leaves = [] if known else [entry(hk.provider, hd.PSEUDONYM, card)]
    leaves.append(entry(hk.provider, hd.RECORD, body))
    return {"entries": [doc(x) for x in leaves], "blob": base64.b64encode(blob).decode()}, blob


def write(hk: HealthKit, client: TestClient, bundle: dict[str, Any] = BUNDLE) -> str:
    body, blob = provider_write(hk, client, bundle)
    r = post(client, "/records", body)
    assert r.status_code == 201, r.text
    return blob_hash(blob)


def opened(holder_box: Any, out: dict[str, Any]) -> dict[str, Any]:
    """The holder decrypts a release on its machine."""
    rec = out["record"]
    info = RecordInfo(
        rec["sha256"],
        rec["patient"],
        rec["provider"],
        rec["size"],
        bytes.fromhex(rec["key"]),
        {k: bytes.fromhex(v) for k, v in rec["emergency"].items()},
        rec["index"],
        rec["time"],
    )
    release = Release(
        info, base64.b64decode(out["blob"]), bytes.fromhex(out["wrapped_key"]), out["access_index"]
    )
    return open_release(holder_box, release)


def access_entry(
    hk: HealthKit, body: dict[str, Any], gateway: Signer | None = None
) -> dict[str, Any]:
    """A gateway (run by the operator, not this server) wraps a signed read request."""
    t = body["request"]["time"]
    return {"entry": doc(entry(gateway or hk.gateway, hd.ACCESS, body, t))}


def grant_body(
    p: Pseudonym, doctor: Reader, shas: list[str], client: TestClient, expires: str
) -> dict[str, Any]:
    recs = [info(client, s) for s in shas]
    return p.grant(doctor.card(), recs, expires)


def info(client: TestClient, sha: str) -> RecordInfo:
    rec = client.get(f"{API}/records/{sha}").json()
    return RecordInfo(
        sha,
        rec["patient"],
        rec["provider"],
        rec["size"],
        bytes.fromhex(rec["key"]),
        {k: bytes.fromhex(v) for k, v in rec["emergency"].items()},
        rec["index"],
        rec["time"],
    )


# --------------------------------------------------------------------- tests


def test_records_written_with_their_blob_and_listed(hk: HealthKit, client: TestClient) -> None:
    sha = write(hk, client)
    pid = hk.pseudonym.id
    card = client.get(f"{API}/pseudonyms/{pid}").json()
    assert card["sign"] == hk.pseudonym.card()["sign"] and card["provider"] == kid(hk.provider)
    rows = client.get(f"{API}/pseudonyms/{pid}/records").json()
    assert rows["patient"] == pid and [r["sha256"] for r in rows["records"]] == [sha]
    one = client.get(f"{API}/records/{sha}").json()
    assert one == rows["records"][0] and one["provider_name"] == "st-mary"
    assert set(one["emergency"]) == {kid(hk.er)}
    assert list(blobs(hk)) == [bytes.fromhex(sha)]
    # a second record: no pseudonym entry any more
    sha2 = write(hk, client, {**BUNDLE, "entry": BUNDLE["entry"][:2]})
    rows = client.get(f"{API}/pseudonyms/{pid}/records").json()["records"]
    assert [r["sha256"] for r in rows] == [sha, sha2]
    providers = client.get(f"{API}/providers").json()["providers"]
    assert {p["name"] for p in providers} == {"st-mary", "er-central"}
    keys = client.get(f"{API}/emergency-keys").json()["keys"]
    assert [(k["key_id"], k["name"]) for k in keys] == [(kid(hk.er), "er-central")]


def test_record_refusals_write_nothing(hk: HealthKit, client: TestClient) -> None:
    body, blob = provider_write(hk, client, BUNDLE)
    other = bytearray(blob)
    other[-1] ^= 1
    bad = dict(body, blob=base64.b64encode(bytes(other)).decode())
    refused(hk, client, "/records", bad, 400, "blob_mismatch")
    refused(hk, client, "/records", dict(body, blob=body["blob"][:-4]), 400, "blob_mismatch")
    refused(hk, client, "/records", dict(body, blob="***"), 400)
    refused(hk, client, "/records", dict(body, entries=body["entries"][1:]), 422)  # no card yet
    refused(hk, client, "/records", dict(body, entries=body["entries"][::-1]), 400)
    notice = doc(
        entry(hk.kit.publisher, "notice.publish", {"title": "t", "text": "x", "attachments": []})
    )
    refused(hk, client, "/records", dict(body, entries=[notice]), 400)
    forged = copy.deepcopy(body)
    forged["entries"][-1]["body"]["size"] += 0  # unchanged, but signed by the gateway instead
    rec_body = forged["entries"][-1]["body"]
    forged["entries"][-1] = doc(entry(hk.gateway, hd.RECORD, rec_body))
    refused(hk, client, "/records", forged, 403, "role_not_allowed")
    tampered = copy.deepcopy(body)
    tampered["entries"][-1]["time"] = "2020-01-01T00:00:00Z"  # the signature no longer covers it
    refused(hk, client, "/records", tampered, 422)
    ok = post(client, "/records", body)
    assert ok.status_code == 201, ok.text
    refused(hk, client, "/records", body, 409, "duplicate_entry")


def test_reads_release_the_blob_with_the_log_entry(
    hk: HealthKit, client: TestClient, server_clock: Clock
) -> None:
    sha = write(hk, client)
    p, doctor = hk.pseudonym, hk.doctor
    # the patient's own read: signed by the patient, wrapped by the operator's gateway
    own = access_entry(hk, p.request(sha, server_clock.stamp()))
    r = post(client, "/reads", own)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["via"] == "patient" and opened(p.box_secret, out) == BUNDLE
    refused(hk, client, "/reads", own, 409, "duplicate_entry")  # a replay
    # the doctor without a grant, then with one (posted to the board by the gateway)
    no = access_entry(hk, doctor.request(sha, "0" * 64, server_clock.stamp()))
    refused(hk, client, "/reads", no, 422, "no_grant")
    g = p.grant(doctor.card(), [info(client, sha)], server_clock.stamp(timedelta(days=1)))
    hk.board.append(entry(hk.gateway, hd.GRANT, g))
    gid = digest(g["grant"])
    r = post(client, "/reads", access_entry(hk, doctor.request(sha, gid, server_clock.stamp())))
    assert r.status_code == 200 and r.json()["via"] == "grant"
    assert opened(doctor.box_secret, r.json()) == BUNDLE
    # stale or future requests, and reads wrapped by someone who is not a gateway
    old = access_entry(hk, doctor.request(sha, gid, server_clock.stamp(timedelta(minutes=-6))))
    refused(hk, client, "/reads", old, 422, "stale_request")
    late = access_entry(hk, doctor.request(sha, gid, server_clock.stamp(timedelta(minutes=6))))
    refused(hk, client, "/reads", late, 422, "stale_request")
    by_provider = access_entry(hk, doctor.request(sha, gid, server_clock.stamp()), hk.provider)
    refused(hk, client, "/reads", by_provider, 403, "role_not_allowed")
    forged = doctor.request(sha, gid, server_clock.stamp())
    forged["signature"] = sign(SigningKey.generate(), b"pnyx/health/access/v1\n", forged["request"])
    refused(hk, client, "/reads", access_entry(hk, forged), 422, "bad_reader_signature")
    notice = {"entry": doc(entry(hk.gateway, hd.GRANT, g))}
    refused(hk, client, "/reads", notice, 400)
    # break glass: the emergency department signs its own entry, with a reason
    reason = "unconscious on arrival"
    em = {
        "entry": doc(
            entry(hk.er, hd.EMERGENCY, {"record": sha, "reason": reason}, server_clock.stamp())
        )
    }
    r = post(client, "/reads", em)
    assert r.status_code == 200 and r.json()["via"] == "emergency"
    assert opened(hk.er_box, r.json()) == BUNDLE
    stale = {"record": sha, "reason": reason + "!"}
    refused(
        hk,
        client,
        "/reads",
        {"entry": doc(entry(hk.er, hd.EMERGENCY, stale, "2020-01-01T00:00:00Z"))},
        422,
    )
    # the access log: every release, the emergency one flagged, the refused ones absent
    log = client.get(f"{API}/pseudonyms/{p.id}/log").json()["items"]
    assert [(i["via"], i["emergency"]) for i in log] == [
        ("patient", False),
        ("grant", False),
        ("emergency", True),
    ]
    assert log[2]["reason"] == reason and log[2]["reader"] == "er-central"
    assert log[1]["grant"] == gid and log[1]["reader"] == doctor.card()["sign"]


def test_gateway_mode_grants_reads_revokes_and_expiry(
    hk: HealthKit, client: TestClient, server_clock: Clock
) -> None:
    gw = client.get(f"{API}/gateway").json()
    assert gw == {
        "enabled": True,
        "name": DEFAULT_GATEWAY,
        "key_id": kid(hk.gateway),
        "max_skew_seconds": 300,
    }
    sha = write(hk, client)
    p, doctor = hk.pseudonym, hk.doctor
    # the patient's own read, signed in the page, logged by the server's gateway
    r = post(client, "/gateway/reads", p.request(sha, server_clock.stamp()))
    assert r.status_code == 200 and opened(p.box_secret, r.json()) == BUNDLE
    # a grant signed by the patient
    expires = server_clock.stamp(timedelta(hours=1))
    g = grant_body(p, doctor, [sha], client, expires)
    r = post(client, "/gateway/grants", g)
    assert r.status_code == 201, r.text
    grant = r.json()
    gid = grant["grant"]
    assert gid == digest(g["grant"]) and grant["status"] == "active"
    assert grant["expires"] == expires and grant["records"] == [sha]
    assert client.get(f"{API}/grants/{gid}").json() == grant
    assert client.get(f"{API}/pseudonyms/{p.id}/grants").json()["grants"] == [grant]
    refused(hk, client, "/gateway/grants", g, 409, "duplicate_entry")  # the same second
    server_clock.now += timedelta(seconds=1)
    refused(hk, client, "/gateway/grants", g, 422)  # the same grant later
    forged = grant_body(p, doctor, [sha], client, expires)
    forged["signature"] = sign(SigningKey.generate(), GRANT_PREFIX, forged["grant"])
    refused(hk, client, "/gateway/grants", forged, 422, "bad_patient_signature")
    past = grant_body(p, doctor, [sha], client, server_clock.stamp(timedelta(seconds=-1)))
    refused(hk, client, "/gateway/grants", past, 422, "grant_expired")
    # the doctor reads under it, until it expires
    r = post(client, "/gateway/reads", doctor.request(sha, gid, server_clock.stamp()))
    assert r.status_code == 200 and opened(doctor.box_secret, r.json()) == BUNDLE
    stale = doctor.request(sha, gid, server_clock.stamp(timedelta(minutes=-10)))
    refused(hk, client, "/gateway/reads", stale, 422, "stale_request")
    server_clock.now += timedelta(hours=2)
    assert client.get(f"{API}/grants/{gid}").json()["status"] == "expired"
    late = doctor.request(sha, gid, server_clock.stamp())
    refused(hk, client, "/gateway/reads", late, 422, "grant_expired")
    # a fresh grant, revoked by the patient
    g2 = grant_body(p, doctor, [sha], client, server_clock.stamp(timedelta(days=1)))
    gid2 = post(client, "/gateway/grants", g2).json()["grant"]
    other = Reader.generate()
    bad = {
        "revoke": {"grant": gid2},
        "signature": sign(other.signing_key, b"pnyx/health/revoke/v1\n", {"grant": gid2}),
    }
    refused(hk, client, "/gateway/revocations", bad, 422, "bad_patient_signature")
    r = post(client, "/gateway/revocations", p.revoke(gid2))
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    assert isinstance(r.json()["revoked"], int)
    refused(hk, client, "/gateway/revocations", p.revoke(gid2), 409, "duplicate_entry")
    server_clock.now += timedelta(seconds=1)
    refused(hk, client, "/gateway/revocations", p.revoke(gid2), 422, "grant_revoked")
    refused(hk, client, "/gateway/revocations", p.revoke("0" * 64), 422, "no_grant")
    after = doctor.request(sha, gid2, server_clock.stamp())
    refused(hk, client, "/gateway/reads", after, 422, "grant_revoked")
    statuses = [x["status"] for x in client.get(f"{API}/pseudonyms/{p.id}/grants").json()["grants"]]
    assert statuses == ["expired", "revoked"]


def test_without_a_gateway_key(hk: HealthKit, db_url: str, server_clock: Clock) -> None:
    app = make_app(db_url, None)
    app.dependency_overrides[clock] = server_clock
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get(f"{API}/gateway").json()["enabled"] is False
        sha = write(hk, c)
        before = state(hk)
        r = post(c, "/gateway/reads", hk.pseudonym.request(sha, server_clock.stamp()))
        assert is_error(r, 409) and r.json()["error"] == "no_gateway"
        assert state(hk) == before


def test_a_gateway_key_the_board_does_not_know(hk: HealthKit, db_url: str, tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    keys.save_authority(Signer.generate(DEFAULT_GATEWAY))  # never registered
    with TestClient(make_app(db_url, keys), raise_server_exceptions=False) as c:
        assert c.get(f"{API}/gateway").json()["enabled"] is False


def test_tampered_blob_releases_nothing(
    hk: HealthKit, client: TestClient, server_clock: Clock
) -> None:
    sha = write(hk, client)
    with hk.board.store.write() as tx:
        tx.s.execute(update(BLOBS).values(data=b"\x00" * 64))
    refused(
        hk,
        client,
        "/gateway/reads",
        hk.pseudonym.request(sha, server_clock.stamp()),
        409,
        "blob_tampered",
    )


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/pseudonyms/" + "0" * 64, 404),
        ("/pseudonyms/" + "0" * 64 + "/records", 404),
        ("/pseudonyms/" + "0" * 64 + "/grants", 404),
        ("/pseudonyms/" + "0" * 64 + "/log", 404),
        ("/records/" + "0" * 64, 404),
        ("/grants/" + "0" * 64, 404),
        ("/records/xyz", 400),
        ("/pseudonyms/" + "A" * 64, 400),
    ],
)
def test_bad_reads(client: TestClient, path: str, status: int) -> None:
    assert is_error(client.get(API + path), status)


def test_no_plaintext_or_secret_in_any_response_or_log(
    hk: HealthKit, client: TestClient, server_clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    sha = write(hk, client)
    p, doctor = hk.pseudonym, hk.doctor
    g = grant_body(p, doctor, [sha], client, server_clock.stamp(timedelta(hours=1)))
    seen.append(post(client, "/gateway/grants", g).text)
    gid = digest(g["grant"])
    seen.append(post(client, "/gateway/reads", doctor.request(sha, gid, server_clock.stamp())).text)
    seen.append(post(client, "/gateway/reads", p.request(sha, server_clock.stamp())).text)
    for path in (
        f"/pseudonyms/{p.id}/records",
        f"/pseudonyms/{p.id}/grants",
        f"/pseudonyms/{p.id}/log",
        f"/records/{sha}",
        f"/grants/{gid}",
    ):
        seen.append(client.get(API + path).text)
    record_key = p.record_key(info(client, sha)).hex()
    secrets = [
        record_key,
        hk.patient.master.hex(),
        bytes(p.signing_key).hex(),
        bytes(p.box_secret).hex(),
        bytes(doctor.signing_key).hex(),
        bytes(doctor.box_secret).hex(),
        bytes(hk.er_box).hex(),
    ]
    text = "\n".join([*seen, caplog.text])
    for s in [*MARKERS, *secrets]:
        assert s not in text and s.lower() not in text.lower()


# ---------------------------------------------------------------------- fuzz

POSTS = ["/records", "/reads", "/gateway/reads", "/gateway/grants", "/gateway/revocations"]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(POSTS), body=JSON)
def test_fuzz_any_json_body(hk: HealthKit, client: TestClient, path: str, body: Any) -> None:
    before = state(hk)
    r = post(client, path, body)
    assert is_error(r), (path, body, r.status_code, r.text)
    assert state(hk) == before


@pytest.fixture
def valid_bodies(hk: HealthKit, client: TestClient, server_clock: Clock) -> dict[str, Any]:
    sha = write(hk, client)
    p, doctor = hk.pseudonym, hk.doctor
    g = grant_body(p, doctor, [sha], client, server_clock.stamp(timedelta(hours=1)))
    gid = post(client, "/gateway/grants", g).json()["grant"]
    record, _ = provider_write(hk, client, {**BUNDLE, "entry": BUNDLE["entry"][:1]})
    return {
        "/records": record,
        "/reads": access_entry(hk, doctor.request(sha, gid, server_clock.stamp())),
        "/gateway/reads": doctor.request(sha, gid, server_clock.stamp()),
        "/gateway/grants": grant_body(
            p, doctor, [sha], client, server_clock.stamp(timedelta(hours=2))
        ),
        "/gateway/revocations": p.revoke(gid),
    }


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    route=st.integers(0, 4),
    where=st.lists(st.integers(0, 50), min_size=1, max_size=5),
    value=JSON,
)
def test_fuzz_one_member_changed(
    hk: HealthKit,
    client: TestClient,
    valid_bodies: dict[str, Any],
    route: int,
    where: list[int],
    value: Any,
) -> None:
    """A valid body with one member replaced: never a 5xx, and a refusal writes nothing."""
    path, body = sorted(valid_bodies.items())[route]
    before = state(hk)
    r = post(client, path, mutate(body, where, value))
    assert r.status_code < 500, (path, r.text)
    if r.status_code >= 400:
        assert is_error(r), r.text
        assert state(hk) == before

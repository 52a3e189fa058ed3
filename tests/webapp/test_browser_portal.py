"""The patient portal in a real browser (issue 8, Web app II, items 3 and 5).

Chromium (Debian's, driven by Playwright) opens ``/portal`` on a real uvicorn server
(``create_app`` with the server's key folder: the log key and the ``health-gw``
gateway key) over a board where two providers wrote three records for one patient, a
third provider holds none, and an emergency department broke the glass once
(tests/webapp/portal_kit.py). The patient loads the key file ``pnyx health patient
new`` wrote; the page finds the two pseudonyms, lists the records, reads one (the
decrypted FHIR equals what the provider wrote), grants a doctor access to two records
at two providers (two grants), the doctor reads through the gateway from Python
(allowed), the patient revokes one grant, the doctor's read under it is refused, and
the access log shows every read, the emergency one with its badge, words and reason.

Every request the page sends is recorded: none carries the patient's master secret,
a derived pseudonym secret, a record key or a word of a record; the grants it posts
carry keys that open only with the doctor's secret. The server's log holds none of it.

Screenshots go to tests/webapp/screenshots/ (ignored by git). The test never skips:
without Chromium at /usr/bin/chromium it fails (``make system-deps`` installs it).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from ledger.entry import now_rfc3339
from services.health.keys import open_release
from services.health.messages import GRANT_PREFIX, REVOKE_PREFIX, digest, verify
from services.health.sealing import unwrap_key
from services.health.views import RecordInfo, Release
from tests.leaks import search
from tests.webapp.browser_kit import chromium, open_tab, serve
from tests.webapp.portal_kit import DOCTOR, PLAIN, REASON, PortalBoard, portal_board

API = "/api/v1/health"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def doctor_read(pb: PortalBoard, base: str, record: RecordInfo, grant: str) -> httpx.Response:
    """The doctor's own client: a signed read request under ``grant``, through the gateway."""
    body = pb.hk.doctor.request(record.sha256, grant, now_rfc3339())
    return httpx.post(f"{base}{API}/gateway/reads", json=body, timeout=30)


def opened_by_doctor(pb: PortalBoard, doc: dict[str, object]) -> dict[str, object]:
    rec = doc["record"]
    assert isinstance(rec, dict)
    info = RecordInfo.from_state(rec["sha256"], rec)
    release = Release(
        info,
        base64.b64decode(str(doc["blob"])),
        bytes.fromhex(str(doc["wrapped_key"])),
        int(str(doc["access_index"])),
    )
    return open_release(pb.hk.doctor.box_secret, release)


def test_portal_read_grant_revoke(browser: Browser, tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'board.db'}"
    pb = portal_board(db_url, tmp_path)
    st_mary, er, clinic = pb.pseudonyms
    rec0, rec1, rec2 = pb.records
    junk = tmp_path / "junk.key"
    junk.write_text("not a key\n")

    with serve(db_url, pb.server_keys, tmp_path / "server.log") as served:
        tab = open_tab(browser, served.url)
        page = tab.page
        page.goto(f"{served.url}/portal")
        expect(page.locator("#step-key")).to_be_visible()
        expect(page.locator("#no-gateway")).to_have_count(0)
        expect(page.locator("#records")).to_be_hidden()
        tab.shot("portal-1-key")

        # the key file is read in the page: junk is refused, the patient's loads
        page.locator("#key-file").set_input_files(str(junk))
        expect(page.locator("#key-status")).to_contain_text("✗ This is not a patient key file")
        expect(page.locator("#records")).to_be_hidden()
        page.locator("#key-file").set_input_files(str(pb.patient_file))
        status = page.locator("#key-status")
        expect(status).to_contain_text("✓ Key loaded (on this device only): 2 pseudonyms")
        expect(status).to_contain_text("st-mary")
        expect(status).to_contain_text("er-central")
        expect(page.locator("#portal-status")).to_have_text("3 records found.")
        rows = page.locator("#records-body tr")
        expect(rows).to_have_count(3)
        assert rows.evaluate_all("rs => rs.map(r => r.dataset.record)") == [
            r.sha256 for r in pb.records
        ]
        expect(rows.nth(0)).to_contain_text("st-mary")
        expect(rows.nth(2)).to_contain_text("er-central")
        expect(rows.nth(0)).to_contain_text("encrypted")
        expect(page.locator("#grants-empty")).to_be_visible()
        expect(page.locator("#log-body tr")).to_have_count(1)  # the emergency read
        tab.shot("portal-2-records")

        # read a record: decrypted in the page, equal to what the provider wrote
        with page.expect_response(lambda r: r.url.endswith("/gateway/reads")) as read:
            rows.nth(0).get_by_role("button", name=re.compile("^Read the record")).click()
        assert read.value.status == 200, read.value.text()
        view = page.locator("#record-view")
        expect(view).to_be_visible()
        expect(page.locator("#record-verdict")).to_contain_text("✓ Decrypted in this page")
        content = page.locator("#record-content")
        expect(content).to_contain_text("Zenobia Quixotically")
        expect(content).to_contain_text("O negative bloodtype-marker-7731")
        expect(content).to_contain_text("13.25 g/dL")
        expect(content.locator("article")).to_have_count(7)
        shown = json.loads(page.locator("#record-json").text_content() or "")
        assert shown == pb.bundles[0]
        own_read = read.value.json()["access_index"]
        expect(page.locator("#record-meta")).to_contain_text(f"Your read is board entry {own_read}")
        expect(rows.nth(0)).to_contain_text("7 entries: Patient, Observation × 2")
        expect(page.locator("#log-body tr")).to_have_count(2)
        tab.shot("portal-3-read")
        page.get_by_role("button", name="Close the record").click()
        expect(view).to_be_hidden()

        # grant the doctor (a new card) two records at two providers, for 7 days
        form = page.locator("#grant-form")
        form.get_by_role("button", name="Grant access").click()
        errors = page.locator("#grant-errors")
        expect(errors).to_contain_text("Give the doctor's card")
        expect(errors).to_contain_text("Choose at least one record")
        page.locator("#grantee-card").fill('{"sign": "00", "box": "00"}')
        form.get_by_role("button", name="Grant access").click()
        expect(errors).to_contain_text('"sign" is not a valid Ed25519 public key')
        page.locator("#grantee-card").fill(pb.card_text())
        page.locator("#grantee-label").fill(DOCTOR)
        page.locator("#grant-records").get_by_label(re.compile(r"^st-mary.*7 entries")).check()
        page.locator("#grant-records").get_by_label(re.compile("^er-central")).check()
        page.locator("#grant-days").fill("7")
        expect(page.locator("#grant-until")).to_contain_text("Until ")
        with page.expect_response(lambda r: r.url.endswith("/gateway/grants")):
            form.get_by_role("button", name="Grant access").click()
        expect(page.locator("#portal-status")).to_contain_text(
            f"✓ Access granted to {DOCTOR}: 2 records"
        )
        expect(page.locator("#portal-status")).to_contain_text("(2 grants on the board)")
        expect(errors).to_be_hidden()
        grants = page.locator("#grants-body tr")
        expect(grants).to_have_count(2)
        expect(grants.nth(0)).to_contain_text(DOCTOR)
        expect(grants.nth(0)).to_contain_text("Active")
        expect(page.locator("#grantee option")).to_have_count(2)
        tab.shot("portal-4-granted")
        [g_mary] = pb.hk.service.grants(st_mary.id)
        [g_er] = pb.hk.service.grants(er.id)
        assert g_mary.records == (rec0.sha256,) and g_er.records == (rec2.sha256,)
        days = datetime.strptime(g_mary.expires, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert 6.9 < (days - datetime.now(UTC)).total_seconds() / 86400 <= 7.0

        # the doctor reads under the grants (their own client, through the gateway)
        r = doctor_read(pb, served.url, rec0, g_mary.grant_id)
        assert r.status_code == 200, r.text
        assert opened_by_doctor(pb, r.json()) == pb.bundles[0]
        r = doctor_read(pb, served.url, rec2, g_er.grant_id)
        assert r.status_code == 200, r.text
        assert opened_by_doctor(pb, r.json()) == pb.bundles[2]
        r = doctor_read(pb, served.url, rec1, g_mary.grant_id)  # not in the grant
        assert r.status_code == 422 and r.json()["error"] == "no_grant", r.text

        # the patient revokes the st-mary grant: the doctor's read under it is refused
        mary_row = page.locator(f"#grants-body tr[data-grant='{g_mary.grant_id}']")
        with page.expect_response(lambda r: r.url.endswith("/gateway/revocations")):
            mary_row.get_by_role("button", name=f"Revoke the grant to {DOCTOR}").click()
        expect(page.locator("#portal-status")).to_contain_text(
            f"✓ The grant to {DOCTOR} is revoked"
        )
        expect(mary_row).to_have_attribute("data-status", "revoked")
        expect(mary_row).to_contain_text("Revoked (entry")
        expect(mary_row.get_by_role("button")).to_have_count(0)
        er_row = page.locator(f"#grants-body tr[data-grant='{g_er.grant_id}']")
        expect(er_row).to_contain_text("Active")
        r = doctor_read(pb, served.url, rec0, g_mary.grant_id)
        assert r.status_code == 422 and r.json()["error"] == "grant_revoked", r.text
        assert pb.hk.service.grant_info(g_mary.grant_id).revoked is not None

        # the access log: every read, the emergency one highlighted (badge and words)
        page.get_by_role("button", name="Refresh").click()
        expect(page.locator("#portal-status")).to_have_text("Up to date with the board.")
        log = page.locator("#log-body tr")
        expect(log).to_have_count(4)
        assert log.evaluate_all("rs => rs.map(r => r.dataset.via)") == [
            "emergency",
            "patient",
            "grant",
            "grant",
        ]
        emergency = log.nth(0)
        expect(emergency).to_have_class("log-emergency")
        expect(emergency).to_have_attribute("data-index", str(pb.emergency_index))
        expect(emergency.locator(".badge")).to_have_text("⚠ Emergency access")
        expect(emergency).to_contain_text("Break-glass read without your consent. Reason:")
        expect(emergency).to_contain_text(REASON)
        expect(emergency).to_contain_text("Emergency service: er-central")
        for i in (1, 2, 3):
            expect(log.nth(i)).not_to_contain_text("Emergency")
            expect(log.nth(i)).not_to_have_class("log-emergency")
        expect(log.nth(1)).to_contain_text("Your own read")
        expect(log.nth(2)).to_contain_text(DOCTOR)
        expect(log.nth(2)).to_contain_text(f"Under your grant {g_mary.grant_id[:8]}")
        expect(page.locator("#log-summary")).to_contain_text("4 reads of your records")
        expect(page.locator("#log-summary .badge")).to_have_text("1 emergency access")
        tab.shot("portal-5-log")

        # forgetting the key clears the page
        page.get_by_role("button", name="Forget my key").click()
        expect(page.locator("#records")).to_be_hidden()
        expect(page.locator("#log")).to_be_hidden()
        expect(page.locator("#records-body tr")).to_have_count(0)
        expect(page.locator("#key-status")).to_have_text("Your key is forgotten by this page.")

        # the one failure the page meets is the clinic's pseudonym, not registered
        clinic_url = f"{served.url}{API}/pseudonyms/{clinic.id}"
        assert [p for p in tab.problems if p != f"HTTP 404: GET {clinic_url}"] == []
        assert tab.problems.count(f"HTTP 404: GET {clinic_url}") == 1
        server_log = served.log_text()

    # what the page sent: only to this server, and never a secret, record key or plaintext
    assert tab.sent, "no request recorded"
    secrets_ = pb.secrets()
    assert len(secrets_) == 1 + 2 * 3 + 3
    for s in tab.sent:
        assert s.url.startswith(served.url + "/"), s.url
        parts = [s.url.encode(), s.body, *(f"{k}: {v}".encode() for k, v in s.headers.items())]
        assert search(parts, secrets_) == [], f"a secret was sent: {s.method} {s.url}"
        assert search(parts, list(PLAIN)) == [], f"a record's content was sent: {s.url}"
    posted = [s.url.removeprefix(served.url) for s in tab.sent if s.method == "POST"]
    assert posted == [
        f"{API}/gateway/reads",
        f"{API}/gateway/grants",
        f"{API}/gateway/grants",
        f"{API}/gateway/revocations",
    ]
    [read_post] = tab.posts(f"{API}/gateway/reads")
    q = read_post.json()
    assert q["request"]["grant"] is None and q["request"]["reader"] == st_mary.sign_public.hex()
    grant_posts = [s.json() for s in tab.posts(f"{API}/gateway/grants")]
    assert sorted(digest(b["grant"]) for b in grant_posts) == sorted(
        [g_mary.grant_id, g_er.grant_id]
    )
    by_pid = {p.id: p for p in (st_mary, er)}
    for b in grant_posts:
        p = by_pid[b["grant"]["patient"]]
        assert verify(p.sign_public, GRANT_PREFIX, b["grant"], b["signature"])
        assert b["grant"]["grantee"] == pb.hk.doctor.card()
        for sha, wrapped in b["grant"]["keys"].items():  # sealed for the doctor only
            rec = next(r for r in pb.records if r.sha256 == sha)
            key = unwrap_key(bytes.fromhex(wrapped), pb.hk.doctor.box_secret)
            assert key == p.record_key(rec)
    [revoke_post] = tab.posts(f"{API}/gateway/revocations")
    body = revoke_post.json()
    assert body["revoke"] == {"grant": g_mary.grant_id}
    assert verify(st_mary.sign_public, REVOKE_PREFIX, body["revoke"], body["signature"])
    asked = {s.url.removeprefix(served.url) for s in tab.sent if s.method == "GET"}
    assert f"{API}/pseudonyms/{clinic.id}" in asked  # every provider is asked separately
    assert search([server_log.encode()], [*secrets_, *PLAIN]) == []
    assert tab.shots == 5

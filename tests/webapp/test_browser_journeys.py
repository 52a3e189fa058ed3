"""Every role's first journey on the data `make run` leaves, in a real browser (issue 13).

The demo data is built exactly as `make demo` builds it (`pnyx demo`, `pnyx demo
election`, `pnyx demo health`, `pnyx demo open-election`; fewer simulated voters),
then served as `make serve` serves it: `pnyx serve` and, beside it, the demo's
e-ID issuer answering the wallets' requests (`pnyx identity mailbox answer
--watch`).  No CLI step follows: from the home page's navigation, in Debian's
Chromium,

1. a holder creates a wallet and requests an e-ID; the issuer answers; the
   wallet keeps the credential;
2. the holder, now a voter, votes in the open election's booth with that
   credential, and checks the receipt on the receipt page;
3. a verifier asks for a presentation on the verifier page; the holder shares
   it from the wallet; the verifier page says it is valid;
4. the patient opens the portal with the key file the demo gave them and reads
   a record, decrypted in the page;
5. an auditor opens the finished election: its record verifies valid.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.webapp.browser_kit import chromium, open_tab, serve
from tests.webapp.conftest import Cli

PASS = "Sesame, open up 42"
DEMO_EID = ["givenName=Ada", "familyName=Demo", "birthDate=1990-01-01", "district=7"]
OPEN = "demo-open"
FINISHED = "demo-election"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def nav(page: Page, name: str) -> None:
    """Follow the site navigation (every page is reachable from it)."""
    page.locator("nav.site-nav").get_by_role("link", name=name, exact=True).click()


def test_every_role_on_the_make_run_demo(
    browser: Browser, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db_url = f"sqlite:///{tmp_path / 'demo-data' / 'pnyx.db'}"
    keys = tmp_path / "demo-data" / "keys"
    cli = Cli(db_url, keys, capsys)
    cli.ok("demo")
    cli.ok("demo", "election", "--voters", "3", "--trustees", "4", "--threshold", "2",
           "--out", str(tmp_path / "demo-data" / "election-record.json"))  # fmt: skip
    cli.ok("demo", "health")
    cli.ok("demo", "open-election")
    patient_key = keys / "health" / "patients" / "patient.key"
    assert patient_key.exists()

    env = {**os.environ, "PNYX_DB": db_url, "PNYX_KEYS": str(keys)}
    attrs = [a for v in DEMO_EID for a in ("--attr", v)]
    issuer = subprocess.Popen(
        [sys.executable, "-m", "webapp", "identity", "mailbox", "answer",
         "--issuer", "eid-office", *attrs, "--watch", "0.5"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    witnesses = subprocess.Popen(
        [sys.executable, "-m", "webapp", "witness", "cosign", "--watch", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        with serve(db_url, keys, tmp_path / "server.log") as served:
            tab = open_tab(browser, served.url, "journeys")
            page = tab.page
            page.goto(served.url)
            roles = page.locator("#roles-h + ul")
            for role in ("Voter", "Holder", "Verifier", "Patient", "Election official", "Auditor"):
                expect(roles).to_contain_text(role)

            # 1. holder: a wallet and an e-ID, answered by the demo's issuer
            nav(page, "Wallet")
            page.locator("#create-pass").fill(PASS)
            page.locator("#create-pass2").fill(PASS)
            page.get_by_role("button", name="Create my wallet").click()
            expect(page.locator("#wallet-status")).to_have_text("Your wallet is ready.")
            page.locator("#request-issuer").select_option("eid-office")
            page.locator("#request-schema").select_option("eid")
            with page.expect_response(lambda r: r.url.endswith("/issuance/requests")) as posted:
                page.get_by_role("button", name="Request this credential").click()
            assert posted.value.status == 201, posted.value.text()
            card = page.locator("#credentials li.credential")
            expect(card).to_have_count(1, timeout=60_000)
            expect(card).to_contain_text("eid-office/eid")
            tab.shot("journey-1-credential")

            # 2. voter: the open election's booth, then the receipt check
            nav(page, "Elections")
            page.get_by_role("link", name=re.compile("new library")).click()
            page.get_by_role("link", name="Vote in the booth").click()
            page.locator("#wallet-pass").fill(PASS)
            page.get_by_role("button", name="Unlock my wallet").click()
            expect(page.locator("#wallet-status")).to_contain_text("✓ Wallet unlocked")
            page.get_by_role("button", name="Use this credential").click()
            expect(page.locator("#ballot-form")).to_be_visible()
            page.get_by_label("Riverside", exact=True).check()
            page.get_by_label("yes", exact=True).check()
            page.get_by_role("button", name="Encrypt my ballot").click()
            expect(page.locator("#step-sealed")).to_be_visible(timeout=60_000)
            with page.expect_response(lambda r: r.url.endswith("/ballots")) as cast:
                page.get_by_role("button", name="Cast this ballot").click()
            assert cast.value.status == 201, cast.value.text()
            expect(page.locator("#step-cast")).to_be_visible()
            with page.expect_download() as dl:
                page.get_by_role("link", name="Save the receipt").click()
            saved = tmp_path / "receipt.json"
            dl.value.save_as(saved)
            page.locator("#step-cast").get_by_role("link", name="Check a receipt").click()
            page.locator("#receipt-file").set_input_files(str(saved))
            page.get_by_role("button", name="Check the receipt").click()
            expect(page.locator(".verify-result")).to_contain_text("✓ Verified in your browser.")
            tab.shot("journey-2-receipt")

            # 3. verifier: a request on the verifier page, shared from the wallet
            verifier = open_tab(browser, served.url, "verifier")
            vpage = verifier.page
            vpage.goto(served.url)
            nav(vpage, "Verifier")
            vpage.locator("#v-issuer").select_option("eid-office")
            vpage.locator("#v-schema").select_option("eid")
            vpage.get_by_label("district (integer)").check()
            vpage.get_by_role("button", name="Create the request").click()
            expect(vpage.locator("#v-session")).to_be_visible()
            link = vpage.locator("#v-link").get_attribute("href") or ""
            assert link.startswith(f"{served.url}/wallet?request=")
            page.goto(link)
            page.locator("#unlock-pass").fill(PASS)
            page.get_by_role("button", name="Unlock").click()
            expect(page.locator("#w-present")).to_be_visible()
            page.get_by_role("button", name="Share").click()
            expect(vpage.locator("#v-headline")).to_have_text(
                "✓ Valid presentation of eid-office/eid", timeout=30_000
            )
            expect(vpage.locator("#v-disclosed")).to_contain_text("7")
            verifier.shot("journey-3-verified")

            # 4. patient: the portal, with the key file the demo made, reads a record
            nav(page, "Health records")
            page.locator("#key-file").set_input_files(str(patient_key))
            expect(page.locator("#key-status")).to_contain_text("✓ Key loaded")
            rows = page.locator("#records-body tr")
            expect(rows).to_have_count(2)
            rows.nth(0).get_by_role("button", name=re.compile("^Read the record")).click()
            expect(page.locator("#record-verdict")).to_contain_text("✓ Decrypted in this page")
            expect(page.locator("#record-content")).to_contain_text("Quixotically-Brandt")
            tab.shot("journey-4-record")

            # 5. auditor: the finished election's record verifies valid
            nav(page, "Elections")
            page.get_by_role("link", name="Demo city elections").click()
            # the witnesses cosigned the board after the ballot: the record is final and valid
            notice = page.locator("section[aria-labelledby=v-h] p.notice").first
            for _ in range(20):
                if "✓ The record is valid" in (notice.text_content() or ""):
                    break
                page.wait_for_timeout(3_000)
                page.reload()
            expect(notice).to_contain_text("✓ The record is valid")
            tab.shot("journey-5-audit")
            # the portal asks every provider for the patient's pseudonym: 404 where there is none
            problems = [
                p for p in tab.problems if not re.search(r"404: GET \S+/health/pseudonyms/", p)
            ]
            assert problems == [] and verifier.problems == [], (problems, verifier.problems)
    finally:
        for proc in (issuer, witnesses):
            proc.terminate()
            proc.wait(timeout=30)
    answered = issuer.stdout.read() if issuer.stdout else ""
    assert re.search(r"answered", answered), answered

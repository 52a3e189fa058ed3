"""The wallet and verifier pages in a real browser (issue 8, Web app II, items 1, 2, 5).

Debian's Chromium (Playwright) against a real uvicorn server over a SQLite board
with the ``cityhall`` e-ID issuer and an open credential election:

1. the holder creates a wallet in /wallet (a mismatched and a short passphrase are
   refused) and requests an e-ID: the blind commitment and the one-time X25519 key
   are made in the page, the request goes to the issuer's mailbox;
2. the issuer answers from its own machine with ``pnyx identity mailbox answer``
   (the values it decides for that request id), sealed to the wallet's key;
3. the wallet, polling, opens the box, verifies the blind signature and lists the
   credential; the mailbox copy is deleted;
4. the verifier page asks for givenName and district, birthDate ≤ 18 years ago, and
   a pseudonym for "library"; it shows the wallet link and a QR code; the holder
   pastes the link in the wallet and declines, then opens the link, unlocks (a wrong
   passphrase is refused), sees what will be shown and proved, and shares; the
   verifier page shows ✓ with the disclosed values and every check;
5. the holder votes in the election's booth with the same wallet (unlocked in the
   booth, the pseudonym and the eligibility presentation made there): the ballot is
   cast (201) and, after the tally in Python, counted;
6. the wallet's encrypted backup, exported, is restored in a fresh browser (a wrong
   passphrase refused) with the same credential;
7. the proving time of the page's BBS ProofGen for 10 attributes, 2 disclosed, in
   headless Chromium: the median of several runs, printed (no timed assertion).

Every request every page sends is recorded: none carries the passphrase, a holder
secret (prover nym, blinds, nym secret, the X25519 secret), the credential's
signature or an undisclosed attribute value; nor does the server's log or database.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from services.identity.issuance import latest_key
from services.voting.receipt import Receipt, check_receipt
from services.voting.verifier import verify_record
from tests.leaks import search
from tests.webapp.browser_kit import (
    ELECTION,
    CredentialElection,
    Tab,
    chromium,
    close_and_tally,
    open_credential_election,
    open_tab,
    serve,
)
from tests.webapp.conftest import Cli
from webapp.cli_identity import IssuerFile
from webapp.keystore import KeyStore

PASS = "Sesame, open up 42"
ADA = {"givenName": "Ada", "familyName": "Lovelace", "birthDate": "1990-12-10", "district": 7}
PROVE_RUNS = 9
WRONG = "Wrong passphrase (or a damaged wallet)."

WALLET_DATA = """async (passphrase) => {
  const { Wallet } = await import('/static/js/wallet/wallet.js');
  const { openStore } = await import('/static/js/wallet/store.js');
  const w = await Wallet.unlock(await openStore(), passphrase);
  const data = w.data;
  w.lock();
  return data;
}"""
"""What the wallet holds, read in the page (for the search of what was sent)."""

PROVING_TIME = """async (runs) => {
  const bbs = await import('/static/js/bbs/index.js');
  const s = bbs.SHA_256;
  const text = (t) => new TextEncoder().encode(t);
  const sk = bbs.keygen(s, crypto.getRandomValues(new Uint8Array(32)), text('bench'));
  const pk = bbs.skToPk(sk);
  const header = text('pnyx/credential/v1 bench');
  const messages = Array.from({ length: 10 }, (_, i) => text(`attribute value ${i}`));
  const signature = bbs.sign(s, sk, pk, header, messages);
  const ph = text('pnyx/presentation/v1 bench');
  const disclosed = [0, 1];
  const times = [];
  let proof = null;
  for (let i = 0; i <= runs; i++) {
    const t = performance.now();
    proof = bbs.proofGen(s, pk, signature, header, ph, messages, disclosed);
    const dt = performance.now() - t;
    if (i > 0) times.push(dt);  // the first run also builds the generators
  }
  const valid = bbs.proofVerify(s, pk, proof, header, ph, [messages[0], messages[1]], disclosed);
  return { times, valid };
}"""

PRESENT_TIME = """async ([passphrase, id, request, runs]) => {
  const { Wallet } = await import('/static/js/wallet/wallet.js');
  const { openStore } = await import('/static/js/wallet/store.js');
  const w = await Wallet.unlock(await openStore(), passphrase);
  const times = [];
  for (let i = 0; i <= runs; i++) {
    const t = performance.now();
    w.present(id, request);
    if (i > 0) times.push(performance.now() - t);
  }
  w.lock();
  return times;
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def issuer_keys(e: CredentialElection, folder: Path) -> Path:
    """The issuer's own key folder, as `pnyx issuer create` leaves it (authority + BBS key)."""
    keys = KeyStore(folder)
    keys.save_authority(e.issuer)
    key = latest_key(e.eb.data, "cityhall")
    IssuerFile(keys, "cityhall").save(
        {
            "version": 1,
            "issuer": "cityhall",
            "ciphersuite": "BLS12-381-SHA-256",
            "key_id": key.key_id,
            "secret_key": e.eb.sk.hex(),
            "lists": {},
        },
        create=True,
    )
    return folder


def wallet_data(page: Page) -> dict[str, Any]:
    data: dict[str, Any] = page.evaluate(WALLET_DATA, PASS)
    return data


def create_wallet(tab: Tab) -> None:
    page = tab.page
    page.goto(f"{tab.base}/wallet")
    expect(page.locator("#w-create")).to_be_visible()
    expect(page.locator("#wallet-status")).to_have_text("There is no wallet in this browser yet.")
    page.locator("#create-pass").fill(PASS)
    page.locator("#create-pass2").fill(PASS + "!")
    page.get_by_role("button", name="Create my wallet").click()
    expect(page.locator("#wallet-alert")).to_have_text("The two passphrases differ.")
    page.locator("#create-pass").fill("short")
    page.locator("#create-pass2").fill("short")
    page.get_by_role("button", name="Create my wallet").click()
    expect(page.locator("#wallet-alert")).to_contain_text("at least 10 characters")
    page.locator("#create-pass").fill(PASS)
    page.locator("#create-pass2").fill(PASS)
    page.get_by_role("button", name="Create my wallet").click()
    expect(page.locator("#w-main")).to_be_visible()
    expect(page.locator("#wallet-status")).to_have_text("Your wallet is ready.")
    expect(page.locator("#credentials-empty")).to_be_visible()


def unlock(page: Page, passphrase: str = PASS) -> None:
    expect(page.locator("#w-unlock")).to_be_visible()
    page.locator("#unlock-pass").fill(passphrase)
    page.get_by_role("button", name="Unlock").click()


def test_wallet_verifier_booth_and_backup(
    browser: Browser, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db_url = f"sqlite:///{tmp_path / 'board.db'}"
    e = open_credential_election(db_url, tmp_path / "server-keys")
    issuer = Cli(db_url, issuer_keys(e, tmp_path / "issuer-keys"), capsys)
    key_id = latest_key(e.eb.data, "cityhall").key_id

    with serve(db_url, e.keys, tmp_path / "server.log") as served:
        holder = open_tab(browser, served.url, "holder")
        verifier = open_tab(browser, served.url, "verifier")
        restored = open_tab(browser, served.url, "restored")
        page = holder.page

        # 1. the wallet, and a credential request made in the page
        create_wallet(holder)
        holder.shot("wallet-1-created")
        expect(page.locator("#request-issuer")).to_have_value("cityhall")
        page.locator("#request-schema").select_option("eid")
        expect(page.locator("#request-attributes")).to_contain_text("birthDate (date)")
        with page.expect_response(lambda r: r.url.endswith("/issuance/requests")) as posted:
            page.get_by_role("button", name="Request this credential").click()
        assert posted.value.status == 201, posted.value.text()
        mail = posted.value.json()
        rid = mail["id"]
        expect(page.locator("#pending code.request-code")).to_have_text(rid)
        expect(page.locator("#wallet-status")).to_contain_text(f"Give the issuer this code: {rid}")
        [submitted] = holder.posts("/api/v1/identity/issuance/requests")
        assert set(submitted.json()) == {"request", "seal_to"}
        assert mail["seal_to"] == submitted.json()["seal_to"] and mail["sealed"] is None
        pending = wallet_data(page)["requests"][rid]
        request_secrets = [
            pending["secrets"]["proverNym"],
            pending["secrets"]["proverBlind"],
            pending["box"]["secretKey"],
        ]
        holder.shot("wallet-2-requested")

        # 2. the issuer answers from its machine, sealed to the wallet's key
        values = tmp_path / "values.json"
        values.write_text(json.dumps({rid: ADA}))
        answered = issuer.ok(
            "identity", "mailbox", "answer", "--issuer", "cityhall", "--values", str(values),
            "--json",
        ).json_lines()  # fmt: skip
        assert [(r["id"], r["result"]) for r in answered] == [(rid, "answered")]

        # 3. the wallet opens the box, verifies the blind signature, keeps the credential
        card = page.locator("#credentials li.credential")
        expect(card).to_have_count(1, timeout=20_000)
        expect(card).to_contain_text("Lovelace")
        expect(card).to_contain_text("cityhall/eid")
        expect(page.locator("#wallet-status")).to_contain_text("✓ Credential added")
        expect(page.locator("#w-pending")).to_be_hidden()
        holder.shot("wallet-3-credential")
        data = wallet_data(page)
        [(cid, record)] = data["credentials"].items()
        assert record["credential"]["credentialSubject"] == ADA
        assert data["requests"] == {}
        gone = holder.page.request.get(f"{served.url}/api/v1/identity/issuance/requests/{rid}")
        assert gone.status == 404  # the wallet deleted the mail once the credential was kept

        # 4. a verifier's request, answered from the wallet, verified
        vpage = verifier.page
        vpage.goto(f"{served.url}/verifier")
        expect(vpage.locator("#verifier-status")).to_have_text("Choose what to ask.")
        vpage.locator("#v-issuer").select_option("cityhall")
        vpage.locator("#v-schema").select_option("eid")
        vpage.get_by_label("givenName (string)").check()
        vpage.get_by_label("district (integer)").check()
        vpage.get_by_role("button", name="Add a condition").click()
        vpage.locator("#v-p-attr-0").select_option("birthDate")
        vpage.locator("#v-p-op-0").select_option("<=")
        vpage.locator("#v-p-value-0").fill("not a date")
        vpage.get_by_role("button", name="Create the request").click()
        expect(vpage.locator("#verifier-alert")).to_contain_text("give a date as YYYY-MM-DD")
        vpage.locator("#v-p-value-0").fill(e.adult)
        vpage.locator("#v-context").fill("library")
        vpage.get_by_role("button", name="Create the request").click()
        expect(vpage.locator("#v-session")).to_be_visible()
        link = vpage.locator("#v-link").get_attribute("href") or ""
        sid = vpage.locator("#v-code").inner_text()
        assert link == f"{served.url}/wallet?request={sid}" and re.fullmatch(r"[0-9a-f]{32}", sid)
        assert vpage.locator("#v-qr path").count() == 1
        assert len(vpage.locator("#v-qr path").get_attribute("d") or "") > 1000
        asked = json.loads(vpage.locator("#v-request").text_content() or "")
        assert asked["disclose"] == ["givenName", "district"] and len(asked["nonce"]) == 64
        assert asked["predicates"] == [{"attribute": "birthDate", "op": "<=", "value": e.adult}]
        assert asked["pseudonym"] == {"context": "library"}
        verifier.shot("verifier-1-request")

        # pasted into the open wallet: shown, then declined (nothing sent)
        page.locator("#answer-link").fill("https://elsewhere.example/not-a-request")
        page.get_by_role("button", name="Open the request").click()
        expect(page.locator("#wallet-alert")).to_contain_text("Paste the verifier’s link")
        page.locator("#answer-link").fill(link)
        page.get_by_role("button", name="Open the request").click()
        expect(page.locator("#w-present")).to_be_visible()
        page.get_by_role("button", name="Decline").click()
        expect(page.locator("#w-present")).to_be_hidden()
        expect(page.locator("#wallet-status")).to_have_text(
            "Declined: nothing was sent to the verifier."
        )
        assert holder.posts(f"/api/v1/identity/requests/{sid}/response") == []
        # opened by the link: the wallet unlocks first (a wrong passphrase is refused)
        page.goto(link)
        unlock(page, "not the passphrase")
        expect(page.locator("#unlock-result")).to_have_text(f"✗ {WRONG}")
        expect(page.locator("#w-main")).to_be_hidden()
        unlock(page)
        expect(page.locator("#w-present")).to_be_visible()
        expect(page.locator("#present-who")).to_contain_text("eid")
        shown = page.locator("#present-disclosed")
        expect(shown).to_contain_text("givenName")
        expect(shown).to_contain_text("Ada")
        expect(shown).to_contain_text("district")
        expect(shown).not_to_contain_text("Lovelace")
        expect(page.locator("#present-predicates")).to_contain_text(f"birthDate <= {e.adult}")
        expect(page.locator("#present-predicates")).to_contain_text(f"validUntil >= {e.day}")
        expect(page.locator("#present-pseudonym")).to_contain_text("“library”")
        holder.shot("wallet-4-consent")
        with page.expect_response(lambda r: r.url.endswith(f"/requests/{sid}/response")) as ans:
            page.get_by_role("button", name="Share").click()
        assert ans.value.status == 200, ans.value.text()
        expect(page.locator("#present-result")).to_have_text(
            "✓ Shared: the verifier checked your presentation."
        )
        holder.shot("wallet-5-shared")

        expect(vpage.locator("#v-verdict")).to_be_visible(timeout=20_000)
        expect(vpage.locator("#v-headline")).to_have_text("✓ Valid presentation of cityhall/eid")
        disclosed = vpage.locator("#v-disclosed")
        expect(disclosed).to_contain_text("givenName")
        expect(disclosed).to_contain_text("Ada")
        expect(disclosed).to_contain_text("7")
        expect(disclosed).not_to_contain_text("Lovelace")
        checks = vpage.locator("#v-checks li")
        expect(checks).to_have_count(9)
        expect(vpage.locator("#v-checks li.check-passed")).to_have_count(9)
        expect(vpage.locator('#v-checks li[data-check="issuer_key"]')).to_contain_text(key_id)
        expect(vpage.locator('#v-checks li[data-check="status"]')).to_contain_text("short-lived")
        expect(vpage.locator("#v-proved")).to_contain_text(f"✓ birthDate <= {e.adult}")
        expect(vpage.locator("#v-pseudonym")).to_contain_text("Pseudonym in this context")
        verifier.shot("verifier-2-verdict")

        # 5. the booth asks the same wallet for the pseudonym and the eligibility proof
        page.goto(f"{served.url}/elections/{ELECTION}/booth")
        expect(page.locator("#step-pseudonym")).to_be_visible()
        page.locator("#wallet-pass").fill("wrong passphrase")
        page.get_by_role("button", name="Unlock my wallet").click()
        expect(page.locator("#wallet-status")).to_have_text("✗ Wrong passphrase.")
        page.locator("#wallet-pass").fill(PASS)
        page.get_by_role("button", name="Unlock my wallet").click()
        expect(page.locator("#wallet-status")).to_contain_text("✓ Wallet unlocked: 1 credential")
        page.get_by_role("button", name="Use this credential").click()
        expect(page.locator("#wallet-status")).to_contain_text("✓ Your pseudonym in this election")
        expect(page.locator("#ballot-form")).to_be_visible()
        page.get_by_label("Carol", exact=True).check()
        page.get_by_label("yes", exact=True).check()
        page.get_by_role("button", name="Encrypt my ballot").click()
        expect(page.locator("#step-sealed")).to_be_visible()
        tracker = page.locator("#tracker").inner_text().strip()
        expect(page.locator("#wallet-proof")).to_be_visible()
        expect(page.locator("#wallet-proof-list")).to_contain_text("district = 7")
        expect(page.locator("#wallet-proof-list")).to_contain_text(f"birthDate <= {e.adult}")
        expect(page.locator("#presentation-step")).to_be_hidden()
        holder.shot("booth-wallet-1-sealed")
        with page.expect_response(lambda r: r.url.endswith("/ballots")) as cast:
            page.get_by_role("button", name="Cast this ballot").click()
        assert cast.value.status == 201, cast.value.text()
        receipt = cast.value.json()
        expect(page.locator("#step-cast")).to_be_visible()
        holder.shot("booth-wallet-2-cast")
        assert receipt["ballot"] == tracker

        # 6. the encrypted backup, restored in another browser
        page.goto(f"{served.url}/wallet")
        unlock(page)
        expect(page.locator("#credentials li.credential")).to_have_count(1)
        page.get_by_role("button", name="Export an encrypted backup").click()
        with page.expect_download() as dl:
            page.get_by_role("link", name="Save the backup file").click()
        backup = tmp_path / "backup.json"
        dl.value.save_as(backup)
        envelope = json.loads(backup.read_text())
        assert envelope["type"] == "PnyxBrowserWallet" and envelope["kdf"]["iterations"] >= 600_000
        assert "Lovelace" not in backup.read_text()
        rpage = restored.page
        rpage.goto(f"{served.url}/wallet")
        expect(rpage.locator("#w-create")).to_be_visible()
        rpage.locator("details.restore summary").click()
        rpage.locator("#restore-file").set_input_files(str(backup))
        rpage.locator("#restore-pass").fill("not the passphrase")
        rpage.get_by_role("button", name="Restore").click()
        expect(rpage.locator("#wallet-alert")).to_have_text(WRONG)
        expect(rpage.locator("#w-main")).to_be_hidden()
        rpage.locator("#restore-pass").fill(PASS)
        rpage.get_by_role("button", name="Restore").click()
        expect(rpage.locator("#w-main")).to_be_visible()
        expect(rpage.locator(f'#credentials li[data-credential="{cid}"]')).to_contain_text("Ada")
        restored.shot("wallet-6-restored")
        assert wallet_data(rpage)["credentials"] == data["credentials"]

        # 7. proving time in headless Chromium: 10 attributes, 2 disclosed
        timing = rpage.evaluate(PROVING_TIME, PROVE_RUNS)
        assert timing["valid"] is True and len(timing["times"]) == PROVE_RUNS
        request = e.eb.info.credential_rule()
        presented = rpage.evaluate(
            PRESENT_TIME,
            [PASS, cid, json.loads(json.dumps(booth_request(request, tracker))), 3],
        )
        with capsys.disabled():
            print(
                f"\nheadless Chromium, BLS12-381-SHA-256: ProofGen, 10 attributes, 2 disclosed: "
                f"median {statistics.median(timing['times']):.1f} ms of {PROVE_RUNS} "
                f"(min {min(timing['times']):.1f}, max {max(timing['times']):.1f}; target ≤ 150 ms)"
                f"\n  the booth's eligibility presentation (pseudonym + range proof of 2 dates): "
                f"median {statistics.median(presented):.1f} ms of {len(presented)}"
            )

        problems = holder.problems + verifier.problems + restored.problems
        assert problems == [], problems
        log = served.log_text()

    # after the vote: close, tally, decrypt in Python; the ballot is counted
    check_receipt(Receipt.from_json(receipt), e.eb.board)
    record_doc = close_and_tally(e)
    report = verify_record(record_doc, e.eb.board.log_verifier().vkey(), workers=1)
    assert report.status == "valid", report.to_json()
    assert record_doc["summary"]["counted"] == [receipt["tracker"]]
    totals = {t["contest"]: t["counts"] for t in record_doc["summary"]["totals"]}
    assert totals["mayor"]["Carol"] == 1 and totals["parks"]["yes"] == 1

    # nothing secret was sent, logged or stored by the server
    secrets = [
        PASS,
        *request_secrets,
        record["secrets"]["nymSecret"],
        record["secrets"]["proverBlind"],
        record["credential"]["proof"]["proofValue"][1:],  # the credential's BBS signature
        "Lovelace",
        ADA["birthDate"],
    ]
    sent = holder.sent + verifier.sent + restored.sent
    assert len(sent) > 20
    for s in sent:
        assert s.url.startswith((served.url + "/", "blob:", "data:")), s.url
        assert search(s.parts(), secrets) == [], f"a secret was sent: {s.method} {s.url}"
    assert search([log.encode()], secrets) == []
    db = (tmp_path / "board.db").read_bytes()
    assert search([db], secrets) == []
    posted = sorted({s.url.removeprefix(served.url) for s in sent if s.method == "POST"})
    assert posted == sorted(
        {
            "/api/v1/identity/issuance/requests",
            "/api/v1/identity/requests",
            f"/api/v1/identity/requests/{sid}/response",
            f"/api/v1/voting/elections/{ELECTION}/ballots",
        }
    )
    [vp_post] = holder.posts(f"/api/v1/identity/requests/{sid}/response")
    vc = vp_post.json()["presentation"]["verifiableCredential"][0]
    assert vc["credentialSubject"] == {"givenName": "Ada", "district": 7}
    [ballot_post] = holder.posts(f"/api/v1/voting/elections/{ELECTION}/ballots")
    elig = ballot_post.json()["eligibility"]["presentation"]["verifiableCredential"][0]
    assert elig["credentialSubject"] == {"district": 7}
    assert elig["proof"]["challenge"] == tracker
    assert elig["proof"]["pseudonym"]["context"] == ELECTION


def booth_request(rule: Any, tracker: str) -> dict[str, Any]:
    """The booth's presentation request for a ballot hash (services/voting/ballot.py)."""
    from services.voting.ballot import presentation_request

    return presentation_request(rule, ELECTION, bytes.fromhex(tracker)).to_json()

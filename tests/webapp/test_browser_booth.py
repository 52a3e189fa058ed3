"""The voting booth in a real browser (issue 7, Web app I, item 4).

Chromium (Debian's, driven by Playwright) opens the booth of an open roll
election served by a real uvicorn server (``create_app`` with the server's key
folder, as ``pnyx serve`` on 127.0.0.1), loads the voter's key file as ``pnyx
election roll-key`` writes it, votes, challenges that ballot (the page shows the
choices it recomputes from the nonces), votes again and casts, saves the
receipt, and checks it on the receipt page. Python then closes and tallies the
election through the services, exports the record, and the independent
verifier finds it valid, with the challenged ballot challenged and not counted.

Every request the pages send is recorded: none carries the voter's secret key,
and none but the challenge carries a plaintext choice (the challenge's nonces
and selections are public by design). The server's log holds neither.

A credential election's booth is driven the same way with a wallet-made
presentation for the ballot hash the page shows.

Screenshots of every page visited go to tests/webapp/screenshots/ (ignored by git).
The tests never skip: without Chromium at /usr/bin/chromium they fail
(``make system-deps`` installs it).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey
from playwright.sync_api import Browser, Page, expect

from ledger.merkle import leaf_hash
from services.voting import domain as d
from services.voting.ballot import (
    ballot_hash,
    credential_eligibility,
    credential_pseudonym,
    presentation_request,
)
from services.voting.receipt import Receipt, check_receipt
from services.voting.scenario import ElectionBoard
from services.voting.verifier import verify_record
from tests.leaks import search
from tests.webapp.browser_kit import (
    ELECTION,
    Tab,
    chromium,
    close_and_tally,
    open_tab,
    rfc3339,
    serve,
)
from webapp.cli_voting import VotingKeys
from webapp.keystore import KeyStore

# The kit's contests: mayor (Alice, Bob, Carol, blank; 1..1), parks (yes, no; 1..1),
# council (Dana, Eve, Frank, Gus; 0..2).
OPTIONS = ("Alice", "Bob", "Carol", "yes", "no", "Dana", "Eve", "Frank", "Gus")
AUDITED = [[1, 0, 0, 0], [1, 0], [1, 1, 0, 0]]  # Alice, yes, Dana + Eve
CAST = [[0, 1, 0, 0], [0, 1], [0, 0, 1, 0]]  # Bob, no, Frank


# ----------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def strings(doc: Any) -> Iterator[str]:
    """Every key and string value of a JSON document."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield str(k)
            yield from strings(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from strings(v)
    elif isinstance(doc, str):
        yield doc


# ---------------------------------------------------------------- election


@dataclass
class BoothElection:
    eb: ElectionBoard
    keys: Path
    opens: str
    closes: str


def open_election(
    url: str, keys_dir: Path, *, roll: list[SigningKey] | None = None
) -> BoothElection:
    """An election open now (3 trustees, k = 2): a roll of ``roll`` plus two other voters,
    or, without ``roll``, a credential election. The server's key folder holds the log key
    and the ``ballot-box`` authority's key, as ``pnyx serve --keys`` would."""
    eligibility = "credential" if roll is None else "roll"
    eb = ElectionBoard(url, trustees=3, threshold=2, eligibility=eligibility, roll=2)
    if roll is not None:
        eb.roll = [*roll, *eb.roll]
    now = datetime.now(UTC).replace(microsecond=0)
    opens, closes = rfc3339(now - timedelta(hours=1)), rfc3339(now + timedelta(days=1))
    eb.post(eb.official, d.ELECTION, {**eb.manifest(), "opens": opens, "closes": closes})
    keys = KeyStore(keys_dir)
    keys.save_log(eb.log)
    keys.save_authority(eb.box_signer)
    eb.ceremony()
    eb.post(eb.official, d.OPEN, {"election": eb.election}, opens)
    return BoothElection(eb, keys_dir, opens, closes)


# ------------------------------------------------------------ page helpers


def choose(page: Page, names: list[str]) -> None:
    """Tick exactly ``names`` among every option of the booth."""
    for name in OPTIONS:
        box = page.get_by_label(name, exact=True)
        if box.get_attribute("type") == "radio":
            if name in names:
                box.check()
        elif box.is_checked() != (name in names):
            box.set_checked(name in names)


def encrypt(tab: Tab) -> str:
    page = tab.page
    page.get_by_role("button", name="Encrypt my ballot").click()
    expect(page.locator("#step-sealed")).to_be_visible()
    tracker = page.locator("#tracker").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", tracker), tracker
    return tracker


# -------------------------------------------------------------------- tests


def test_booth_roll_election(browser: Browser, tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'board.db'}"
    voter_keys = VotingKeys(KeyStore(tmp_path / "voter"))
    ada = voter_keys.new_voter("ada")  # the file `pnyx election roll-key ada` writes
    key_file = voter_keys.voter_path("ada")
    secret = bytes(ada).hex()
    assert key_file.read_text().strip() == secret
    stranger_file = voter_keys.voter_path("eve")
    voter_keys.new_voter("eve")  # a well-formed key that is not on the roll
    junk_file = tmp_path / "junk.key"
    junk_file.write_text("not a key\n")
    e = open_election(db_url, tmp_path / "server-keys", roll=[ada])
    board = e.eb.board

    with serve(db_url, e.keys, tmp_path / "server.log") as served:
        tab = open_tab(browser, served.url)
        page = tab.page
        page.goto(f"{served.url}/elections/{ELECTION}/booth")
        expect(page.locator("#step-key")).to_be_visible()
        expect(page.locator("#booth-status")).to_contain_text("open until")
        tab.shot("booth-1-open")

        # the key file is read in the page: junk and a key off the roll are refused
        key_input = page.locator("#key-file")
        key_input.set_input_files(str(junk_file))
        expect(page.locator("#key-status")).to_contain_text("✗ This is not a voting key file")
        key_input.set_input_files(str(stranger_file))
        expect(page.locator("#key-status")).to_contain_text("not on this election's roll")
        expect(page.locator("#ballot-form")).to_be_hidden()
        key_input.set_input_files(str(key_file))
        expect(page.locator("#key-status")).to_contain_text("✓ Key loaded")
        public = bytes(ada.verify_key).hex()
        expect(page.locator("#key-status")).to_contain_text(public[:16])
        expect(page.locator("#ballot-form")).to_be_visible()

        # the page checks the selection counts: nothing is encrypted or sent before they fit
        page.get_by_role("button", name="Encrypt my ballot").click()
        errors = page.locator("#form-errors")
        expect(errors).to_be_visible()
        expect(errors).to_contain_text("Mayor: choose exactly one (you chose none).")
        expect(errors).to_contain_text("More parks?: choose exactly one")
        expect(errors).not_to_contain_text("council")
        choose(page, ["Alice", "yes", "Dana", "Eve", "Frank"])
        expect(page.locator("#contest-2-error")).to_contain_text("choose at most two")
        expect(page.get_by_label("Frank", exact=True)).to_have_attribute("aria-invalid", "true")
        page.get_by_role("button", name="Encrypt my ballot").click()
        expect(page.locator("#step-sealed")).to_be_hidden()
        tab.shot("booth-2-invalid")
        assert [s for s in tab.sent if s.method == "POST"] == []

        # vote, then challenge: the page shows what the nonces open
        choose(page, ["Alice", "yes", "Dana", "Eve"])
        expect(page.locator("#contest-2-error")).to_be_hidden()
        audited = encrypt(tab)
        expect(page.get_by_label("Alice", exact=True)).to_be_disabled()
        tab.shot("booth-3-sealed")
        with page.expect_response(lambda r: r.url.endswith("/challenges")) as ch:
            page.get_by_role("button", name="Challenge this ballot").click()
        assert ch.value.status == 201, ch.value.text()
        challenged = ch.value.json()
        expect(page.locator("#step-challenged")).to_be_visible()
        shown = page.locator("#challenge-choices")
        expect(shown).to_contain_text("Mayor")
        assert shown.inner_text().split("\n") == [
            "Mayor", "Alice", "More parks?", "yes", "City council (up to 2)", "Dana, Eve",
        ]  # fmt: skip
        expect(page.locator("#challenge-verdict")).to_contain_text("✓ This is what you chose")
        expect(page.locator("#challenge-entry")).to_have_text(str(challenged["index"]))
        expect(page.locator("#step-sealed")).to_be_hidden()
        tab.shot("booth-4-challenged")
        assert challenged["ballot"] == audited and challenged["selections"] == AUDITED

        # start again: a new ballot, cast
        page.get_by_role("button", name="Start again with a new ballot").click()
        expect(page.locator("#ballot-form")).to_be_visible()
        expect(page.get_by_label("Alice", exact=True)).to_be_enabled()
        choose(page, ["Bob", "no", "Frank"])
        tracker = encrypt(tab)
        assert tracker != audited
        with page.expect_response(lambda r: r.url.endswith("/ballots")) as cast:
            page.get_by_role("button", name="Cast this ballot").click()
        assert cast.value.status == 201, cast.value.text()
        receipt = cast.value.json()
        expect(page.locator("#step-cast")).to_be_visible()
        expect(page.locator("#cast-tracker")).to_have_text(tracker)
        expect(page.locator("#cast-entry")).to_have_text(str(receipt["index"]))
        tab.shot("booth-5-cast")
        assert receipt["ballot"] == tracker and receipt["type"] == "PnyxBallotReceipt"

        # the receipt, saved as the voter would, is the board's
        with page.expect_download() as dl:
            page.get_by_role("link", name="Save the receipt").click()
        saved = tmp_path / "receipt.json"
        dl.value.save_as(saved)
        assert dl.value.suggested_filename == f"receipt-{ELECTION}-{receipt['tracker'][:12]}.json"
        assert json.loads(saved.read_text()) == receipt
        check_receipt(Receipt.from_json(receipt), board)

        # the receipt page checks it in the browser
        page.locator("#step-cast").get_by_role("link", name="Check a receipt").click()
        page.wait_for_url(f"{served.url}/receipt")
        page.locator("#receipt-file").set_input_files(str(saved))
        expect(page.locator("#receipt-text")).to_have_value(re.compile("PnyxBallotReceipt"))
        page.get_by_role("button", name="Check the receipt").click()
        result = page.locator(".verify-result")
        expect(result).to_contain_text("✓ Verified in your browser.")
        expect(result).not_to_contain_text("✗")
        tab.shot("receipt-checked")
        assert tab.problems == []
        log = served.log_text()

    # after the vote, in Python: close, tally, decrypt, publish; the record verifies
    record = close_and_tally(e)
    report = verify_record(record, board.log_verifier().vkey(), workers=1)
    assert report.status == "valid", report.to_json()
    summary = record["summary"]
    assert summary["challenged"] == [challenged["tracker"]]
    assert summary["counted"] == [receipt["tracker"]]
    [ch_item] = record["election_entries"]["challenges"]
    assert ch_item["index"] == challenged["index"]
    ch_body = json.loads(base64.b64decode(ch_item["leaf"]))["body"]
    assert ballot_hash(ch_body["ballot"]).hex() == audited and ch_body["selections"] == AUDITED
    ballots = record["election_entries"]["ballots"]
    assert [b["index"] for b in ballots] == [receipt["index"]]
    ballot_leaf = board.entries(receipt["index"], receipt["index"] + 1)[0][1]
    assert leaf_hash(ballot_leaf).hex() == receipt["tracker"]
    assert ballot_hash(json.loads(ballot_leaf)["body"]["ballot"]).hex() == tracker
    totals = {t["contest"]: t["counts"] for t in summary["totals"]}
    assert totals == {
        "mayor": {"Alice": 0, "Bob": 1, "Carol": 0, "blank": 0},
        "parks": {"yes": 0, "no": 1},
        "council": {"Dana": 0, "Eve": 0, "Frank": 1, "Gus": 0},
    }

    # what the pages sent: only to this server; the secret key never; choices only in the
    # challenge (its nonces and selections are public by design)
    assert tab.sent, "no request recorded"
    for s in tab.sent:
        assert s.url.startswith((served.url + "/", "blob:")), s.url
        parts = [s.url.encode(), s.body, *(f"{k}: {v}".encode() for k, v in s.headers.items())]
        assert search(parts, [secret]) == [], f"the secret key was sent: {s.method} {s.url}"
    [challenge_post] = tab.posts(f"/api/v1/voting/elections/{ELECTION}/challenges")
    [cast_post] = tab.posts(f"/api/v1/voting/elections/{ELECTION}/ballots")
    assert set(challenge_post.json()) == {"ballot", "nonces", "selections"}
    assert challenge_post.json()["selections"] == AUDITED
    body = cast_post.json()
    assert set(body) == {"ballot", "eligibility"}
    assert set(body["ballot"]) == {"version", "election", "voter", "contests"}
    assert set(body["eligibility"]) == {"key", "signature"} and body["eligibility"]["key"] == public
    for s in tab.sent:
        if s is challenge_post or not s.body:
            continue
        words = set(strings(s.json()))
        assert not words & {*OPTIONS, "nonces", "selections"}, f"a choice was sent: {s.url}"
    posted = [s.url.removeprefix(served.url) for s in tab.sent if s.method == "POST"]
    assert posted == [
        f"/api/v1/voting/elections/{ELECTION}/challenges",
        f"/api/v1/voting/elections/{ELECTION}/ballots",
    ]  # the receipt page checks the receipt in the browser, from GETs
    assert search([log.encode()], [secret]) == []
    assert tab.shots == 6


def test_booth_credential_election(browser: Browser, tmp_path: Path) -> None:
    """A credential voter gives their pseudonym, the page shows h_b and the wallet's request;
    the wallet's presentation for that hash is pasted and the ballot is cast."""
    db_url = f"sqlite:///{tmp_path / 'board.db'}"
    e = open_election(db_url, tmp_path / "server-keys")
    eb = e.eb
    voter = eb.credential()
    nym = credential_pseudonym(eb.data, voter.record, ELECTION)

    with serve(db_url, e.keys, tmp_path / "server.log") as served:
        tab = open_tab(browser, served.url)
        page = tab.page
        page.goto(f"{served.url}/elections/{ELECTION}/booth")
        expect(page.locator("#step-pseudonym")).to_be_visible()
        page.locator("#pseudonym").fill(nym[:-2])
        page.get_by_role("button", name="Use this pseudonym").click()
        expect(page.locator("#pseudonym-status")).to_contain_text("✗ A pseudonym is 96 hex")
        page.locator("#pseudonym").fill(nym)
        page.get_by_role("button", name="Use this pseudonym").click()
        expect(page.locator("#pseudonym-status")).to_contain_text("✓")
        choose(page, ["Carol", "yes"])
        h_b = encrypt(tab)
        expect(page.locator("#presentation-step")).to_be_visible()
        request = json.loads(page.locator("#request-json").text_content() or "")
        rule = eb.info.credential_rule()
        assert request == presentation_request(rule, ELECTION, bytes.fromhex(h_b)).to_json()
        tab.shot("booth-credential-sealed")

        # a presentation for another ballot is refused in the page, nothing sent
        other = credential_eligibility(eb.data, voter.record, rule, ELECTION, b"\x01" * 32)
        page.locator("#presentation-text").fill(json.dumps(other))
        page.get_by_role("button", name="Cast this ballot").click()
        expect(page.locator("#booth-alert")).to_contain_text("made for another ballot")
        assert tab.posts(f"/api/v1/voting/elections/{ELECTION}/ballots") == []

        # the wallet's presentation for this ballot: cast
        eligibility = credential_eligibility(
            eb.data, voter.record, rule, ELECTION, bytes.fromhex(h_b)
        )
        page.locator("#presentation-text").fill(json.dumps(eligibility["presentation"]))
        with page.expect_response(lambda r: r.url.endswith("/ballots")) as cast:
            page.get_by_role("button", name="Cast this ballot").click()
        assert cast.value.status == 201, cast.value.text()
        receipt = cast.value.json()
        expect(page.locator("#step-cast")).to_be_visible()
        tab.shot("booth-credential-cast")
        assert tab.problems == []

    assert receipt["ballot"] == h_b
    check_receipt(Receipt.from_json(receipt), eb.board)
    entry = json.loads(eb.board.entries(receipt["index"], receipt["index"] + 1)[0][1])
    assert entry["kind"] == d.BALLOT and entry["body"]["ballot"]["voter"] == nym
    [cast_post] = tab.posts(f"/api/v1/voting/elections/{ELECTION}/ballots")
    assert cast_post.json() == {"ballot": entry["body"]["ballot"], "eligibility": eligibility}
    for s in tab.sent:
        if s.body:
            assert not set(strings(s.json())) & {*OPTIONS, "nonces", "selections"}

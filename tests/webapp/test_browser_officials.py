"""The officials' dashboard in Chromium (Playwright; /usr/bin/chromium, headless).

A uvicorn server on a free 127.0.0.1 port serves a fresh SQLite board with an
election official, a ballot box and three trustees registered by Python. In the
page, the official loads the key file, creates a roll election from the form
(one trustee's box key from its card file), and runs it: the joint key and the
opening, a close refused before the closing time, the close, the encrypted tally,
a result refused before enough partial decryptions, the result. The trustees'
ceremony and partial decryptions and the voters' ballots are made by the Python
library in between (the ballots through the HTTP API, as the booth posts them).

Checked: the board holds exactly the page's entries, by the official, and the
election's record verifies with the expected totals; every refusal shows in the
page with its code; the key's secret (the file, the seed in hex or base64) is in
no request the page sent, in no browser storage, and not in the server's log.
Screenshots go to tests/webapp/screenshots/.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from nacl.signing import SigningKey
from playwright.sync_api import Page, Request, expect, sync_playwright

from crypto.threshold import BoxKeyPair, generate_box_keypair
from ledger import authorities
from ledger.board import Board
from ledger.entry import key_id
from ledger.note import Signer
from ledger.store import Store
from services.identity.board_data import BoardData
from services.registry import default_registry
from services.voting import domain as d
from services.voting.casting import roll_ballot
from services.voting.ceremony import Trustee
from services.voting.election import ElectionInfo
from services.voting.manifest import Manifest
from services.voting.record import export_record
from services.voting.verifier import verify_record
from tests.webapp.browser_kit import SCREENSHOTS, free_port, launch
from tests.webapp.test_api_kit import rfc3339, signed
from webapp import pages_officials
from webapp.app import create_app
from webapp.keystore import KeyStore

ORIGIN = "officials.test/board"
ELECTION = "town-2026"
CLOSES_IN = 25
"""Seconds from filling the form to the closing time: the page opens the election and
has its early close refused before then, and closes it after."""
WAIT = 20_000
"""Milliseconds the page may take for a step (its poll runs every 4 s)."""
CHOICES = [
    [[1, 0, 0], [1, 0]],
    [[0, 1, 0], [1, 0]],
    [[0, 0, 1], [0, 1]],
]
"""Three roll voters: mayor (Alice, Bob, blank), parks (yes, no)."""


def local(t: datetime) -> str:
    """A datetime-local value (the form reads it as UTC)."""
    return t.strftime("%Y-%m-%dT%H:%M:%S")


@dataclass
class Setup:
    """A board with its authorities (made by Python) and what the page's official uses."""

    url: str
    board: Board
    log: Signer
    official: Signer
    trustees: list[Signer]
    boxes: list[BoxKeyPair]
    voters: list[SigningKey]
    server_keys: KeyStore
    key_file: Path
    publisher_key_file: Path
    card_file: Path
    log_lines: list[str] = field(default_factory=list)
    ceremony: dict[int, Trustee] = field(default_factory=dict, repr=False)

    @property
    def secrets(self) -> list[bytes]:
        """The secrets of the key files the page loaded, in every form they could travel in."""
        out = []
        for path in (self.key_file, self.publisher_key_file):
            skey = path.read_text().strip()
            material = skey.split("+", 4)[4]
            seed = base64.b64decode(material)[1:]
            out += [
                skey.encode(),
                material.encode(),
                seed.hex().encode(),
                seed.hex().upper().encode(),
                base64.b64encode(seed).rstrip(b"="),
                base64.urlsafe_b64encode(seed).rstrip(b"="),
                seed,
            ]
        return out


def make_setup(tmp: Path) -> Setup:
    url = f"sqlite:///{tmp / 'board.db'}"
    board = Board(Store(url), default_registry())
    log, root = Signer.generate(ORIGIN), Signer.generate("root")
    genesis = {
        "origin": ORIGIN,
        "log_key": log.verifier().vkey(),
        "root": {"name": "root", "public_key": root.verifier().public_key.hex()},
    }
    board.append(signed(root, authorities.GENESIS, genesis))

    def authority(name: str, role: str) -> Signer:
        s = Signer.generate(name)
        body = {"name": name, "public_key": s.verifier().public_key.hex(), "roles": [role]}
        board.append(signed(root, authorities.AUTHORITY, body))
        return s

    official = authority("officials", d.OFFICIAL_ROLE)
    box = authority("ballot-box", d.BALLOT_BOX_ROLE)
    trustees = [authority(f"trustee-{j}", d.TRUSTEE_ROLE) for j in (1, 2, 3)]
    publisher = authority("city", "publisher")
    server_keys = KeyStore(tmp / "server-keys")
    server_keys.save_log(log)
    server_keys.save_authority(box)
    official_keys = KeyStore(tmp / "official-keys")
    official_keys.save_authority(official)
    official_keys.save_authority(publisher)
    boxes = [generate_box_keypair() for _ in trustees]
    card = {
        "version": 1,
        "type": "PnyxTrusteeCard",
        "election": ELECTION,
        "trustee": "trustee-3",
        "key_id": key_id(trustees[2].verifier().public_key),
        "box": boxes[2].public.hex(),
    }
    card_file = tmp / "trustee-3.card.json"
    card_file.write_text(json.dumps(card))
    return Setup(
        url,
        board,
        log,
        official,
        trustees,
        boxes,
        [SigningKey.generate() for _ in CHOICES],
        server_keys,
        official_keys.authority_path("officials"),
        official_keys.authority_path("city"),
        card_file,
    )


class _Lines(logging.Handler):
    def __init__(self, out: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.out = out

    def emit(self, record: logging.LogRecord) -> None:
        self.out.append(self.format(record))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Setup, str]]:
    """The board served by uvicorn on 127.0.0.1 (its log lines collected), and its base URL."""
    setup = make_setup(tmp_path)
    app = create_app(setup.url, setup.server_keys)
    pages_officials.install(app)
    port = free_port()
    handler = _Lines(setup.log_lines)
    loggers = [logging.getLogger(n) for n in ("uvicorn", "uvicorn.error", "uvicorn.access")]
    for lg in loggers:
        lg.addHandler(handler)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="info", access_log=True, log_config=None
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield setup, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        for lg in loggers:
            lg.removeHandler(handler)


# -------------------------------------------------------- the Python actors


def ceremony(setup: Setup) -> None:
    """The trustees commit and deal their shares (trustee j signs its own entries)."""
    data = BoardData.from_board(setup.board)
    setup.ceremony = {j: Trustee(ELECTION, j, b) for j, b in enumerate(setup.boxes, start=1)}
    for j, t in setup.ceremony.items():
        setup.board.append(signed(setup.trustees[j - 1], d.TRUSTEE_COMMIT, t.commit_body(data)))
    for j, t in setup.ceremony.items():
        setup.board.append(signed(setup.trustees[j - 1], d.TRUSTEE_REVEAL, t.reveal_body(data)))


def vote(setup: Setup, base: str) -> None:
    """Each roll voter's ballot, posted through the API as the booth posts it."""
    data = BoardData.from_board(setup.board)
    for key, choice in zip(setup.voters, CHOICES, strict=True):
        _, body = roll_ballot(data, key, ELECTION, choice)
        r = httpx.post(
            f"{base}/api/v1/voting/elections/{ELECTION}/ballots",
            content=json.dumps(body),
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 201, r.text


def decrypt(setup: Setup, trustees: list[int]) -> None:
    """Trustees ``trustees`` post their partial decryptions of the board's tally."""
    data = BoardData.from_board(setup.board)
    for j in trustees:
        body = setup.ceremony[j].partial_body(data)
        setup.board.append(signed(setup.trustees[j - 1], d.PARTIAL, body))


# ------------------------------------------------------------------ the page


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"officials-{name}.png"), full_page=True)


def expect_refusal(page: Page, *words: str) -> None:
    """The alert shows the board's refusal (its code and detail)."""
    message = page.locator("#message")
    expect(message).to_be_visible(timeout=WAIT)
    for w in words:
        expect(message).to_contain_text(w, timeout=WAIT)


def act(page: Page, button: str, phase: str) -> None:
    """Click an action and wait for the phase it leads to."""
    page.locator("#message").evaluate("m => { m.hidden = true; m.textContent = ''; }")
    page.click(button)
    expect(page.locator("#el-phase")).to_have_text(phase, timeout=WAIT)
    expect(page.locator("#message")).to_be_hidden()


def fill_form(page: Page, setup: Setup, closes: datetime) -> dict[str, Any]:
    """The "create an election" form, and the manifest it must give."""
    opens = closes - timedelta(hours=2)
    page.fill("#f-title", "Town vote 2026")
    page.fill("#f-id", ELECTION)
    page.fill("#f-opens", local(opens))
    page.fill("#f-closes", local(closes))
    page.fill("#c0-id", "mayor")
    page.fill("#c0-title", "Mayor")
    page.fill("#c0-options", "Alice\nBob")
    page.fill("#c0-min", "1")
    page.fill("#c0-max", "1")
    page.check("#c0-blank")
    page.click("#add-contest")
    page.fill("#c1-id", "parks")
    page.fill("#c1-title", "More parks?")
    page.fill("#c1-options", "yes\nno")
    page.fill("#c1-min", "1")
    page.fill("#c1-max", "1")
    roll = [bytes(k.verify_key).hex() for k in setup.voters]
    page.fill("#f-roll", "\n".join(roll))
    page.check("#f-revote-last")
    for n in (0, 1):  # trustee-1 and trustee-2 by their box keys, trustee-3 by its card
        expect(page.locator(f"#trustee-rows tr:nth-child({n + 1}) th")).to_have_text(
            f"trustee-{n + 1}"
        )
        page.check(f"#t{n}-use")
        page.fill(f"#t{n}-box", setup.boxes[n].public.hex())
    page.set_input_files("#t2-card", str(setup.card_file))
    expect(page.locator("#t2-box")).to_have_value(setup.boxes[2].public.hex())
    expect(page.locator("#t2-use")).to_be_checked()
    page.fill("#f-threshold", "2")
    manifest = {
        "version": 1,
        "id": ELECTION,
        "title": "Town vote 2026",
        "contests": [
            {"id": "mayor", "title": "Mayor", "options": ["Alice", "Bob"], "min": 1, "max": 1,
             "blank": True},
            {"id": "parks", "title": "More parks?", "options": ["yes", "no"], "min": 1,
             "max": 1, "blank": False},
        ],
        "eligibility": {"type": "roll", "voters": roll},
        "revote": "last",
        "trustees": [
            {"index": j, "key_id": key_id(t.verifier().public_key), "box": b.public.hex()}
            for j, (t, b) in enumerate(zip(setup.trustees, setup.boxes, strict=True), start=1)
        ],
        "threshold": 2,
        "opens": rfc3339(opens),
        "closes": rfc3339(closes),
    }  # fmt: skip
    Manifest.from_json(manifest)
    return manifest


def entries_of(board: Board, start: int) -> list[dict[str, Any]]:
    return [json.loads(leaf) for _, leaf in board.entries(start, board.size())]


def test_official_runs_an_election_from_the_page(served: tuple[Setup, str]) -> None:
    setup, base = served
    official = key_id(setup.official.verifier().public_key)
    sent: list[Request] = []
    problems: list[str] = []
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("request", lambda r: sent.append(r))
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on(
                "console",
                lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None,
            )
            page.goto(f"{base}/officials")
            expect(page.locator("#key-status")).to_contain_text("No key loaded")

            # a key of another role can follow, not act; a file that is no key is refused
            page.set_input_files("#key-file", str(setup.publisher_key_file))
            expect(page.locator("#key-name")).to_have_text("city")
            expect(page.locator("#key-roles")).to_have_text("publisher")
            expect(page.locator("#key-status")).to_contain_text(
                "does not have the role election_official"
            )
            page.click("#key-forget")
            expect(page.locator("#key-status")).to_contain_text("No key loaded")
            page.set_input_files("#key-file", str(setup.card_file))
            expect_refusal(page, "not an authority key file")

            # the key: which authority, which roles (from the board)
            page.set_input_files("#key-file", str(setup.key_file))
            expect(page.locator("#key-name")).to_have_text("officials")
            expect(page.locator("#key-id")).to_have_text(official)
            expect(page.locator("#key-roles")).to_have_text(d.OFFICIAL_ROLE)
            expect(page.locator("#key-status")).to_contain_text("Signed in as officials")
            expect(page.locator("#key-file")).to_be_hidden()
            shot(page, "1-key")

            # the form: a wrong id is refused in the page, naming the field
            page.click("#new-link")
            expect(page.locator("#new-h")).to_be_visible()
            start = setup.board.size()
            closes = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=CLOSES_IN)
            manifest = fill_form(page, setup, closes)
            page.fill("#f-id", "Town 2026")
            page.click("#create")
            expect(page.locator("#form-error")).to_contain_text("election id")
            expect(page.locator("#f-id")).to_have_attribute("aria-invalid", "true")
            assert setup.board.size() == start
            page.fill("#f-id", ELECTION)
            shot(page, "2-form")
            page.click("#create")
            expect(page).to_have_url(f"{base}/officials#election/{ELECTION}", timeout=WAIT)
            expect(page.locator("#el-phase")).to_have_text("key ceremony", timeout=WAIT)
            [created] = entries_of(setup.board, start)
            assert created["kind"] == d.ELECTION and created["author"] == official
            assert created["body"] == manifest

            # before the ceremony the joint key cannot be computed: the refusal shows
            page.click("#act-open")
            expect_refusal(page, "ceremony", "0 qualified trustees, 2 needed")
            assert setup.board.size() == start + 1

            # the trustees' ceremony (Python), followed by the page
            ceremony(setup)
            for j in (1, 2, 3):
                row = page.locator(f"#el-trustees tr[data-trustee='{j}'] td")
                expect(row.nth(1)).to_have_text("yes", timeout=WAIT)
                expect(row.nth(2)).to_have_text("yes", timeout=WAIT)
            expect(page.locator("#el-ceremony-summary")).to_contain_text("3 dealt their shares")
            shot(page, "3-ceremony")
            act(page, "#act-open", "open for ballots")
            info = ElectionInfo.load(BoardData.from_board(setup.board), ELECTION)
            assert info.public_key is not None
            expect(page.locator("#el-joint-key")).to_have_text(info.public_key.hex())
            expect(page.locator("#el-trustees tr[data-trustee='2'] td").nth(3)).to_have_text("yes")

            # a close before the closing time is refused by the board, and shown
            left = (closes - datetime.now(UTC)).total_seconds()
            assert left > 3, f"only {left:.1f} s left before the closing time: raise CLOSES_IN"
            expect(page.locator("#act-close")).to_be_visible()
            for other in ("#act-open", "#act-tally", "#act-publish"):
                expect(page.locator(other)).to_be_hidden()
            page.click("#act-close")
            expect_refusal(page, "wrong_phase", f"closes at {rfc3339(closes)}")
            vote(setup, base)
            expect(page.locator("#el-ballots")).to_contain_text("3 cast, 3 counted", timeout=WAIT)
            shot(page, "4-open")

            while datetime.now(UTC) < closes + timedelta(seconds=1):
                time.sleep(0.25)
            act(page, "#act-close", "closed")
            act(page, "#act-tally", "tallied (decrypting)")
            expect(page.locator("#el-tally")).to_contain_text("3")

            # the result needs k valid partial decryptions: refused with one
            decrypt(setup, [3])
            page.click("#act-publish")
            expect_refusal(page, "1 valid partial decryptions, 2 needed")
            decrypt(setup, [1])
            expect(page.locator("#el-trustees tr[data-trustee='1'] td").nth(4)).to_have_text(
                "valid", timeout=WAIT
            )
            act(page, "#act-publish", "result published")
            mayor = page.locator("table[data-contest='mayor'] tbody")
            expect(mayor).to_contain_text("Alice1")
            expect(mayor).to_contain_text("Bob1")
            expect(mayor).to_contain_text("blank1")
            expect(page.locator("table[data-contest='parks'] tbody")).to_contain_text("yes2")
            for button in ("#act-open", "#act-close", "#act-tally", "#act-publish"):
                expect(page.locator(button)).to_be_hidden()
            shot(page, "5-result")

            # the list of elections, the key still loaded (the views never reload the page)
            page.click("#view-election .breadcrumbs a")
            row = page.locator("#elections-body tr")
            expect(row).to_have_count(1)
            expect(row).to_contain_text("Town vote 2026")
            expect(row).to_contain_text("result published")
            expect(page.locator("#key-name")).to_have_text("officials")
            shot(page, "6-list")

            storage = page.evaluate(
                "() => JSON.stringify([Object.entries(localStorage), "
                "Object.entries(sessionStorage), document.cookie])"
            )
            assert storage == '[[],[],""]'
        finally:
            browser.close()

    refusals = [x for x in problems if "the server responded with a status of 4" in x]
    assert [x for x in problems if x not in refusals] == []
    assert len(refusals) == 3, refusals  # the board's three refusals above: 422, 409, 422

    # the board: the page's entries, each by the official, and a record that verifies
    mine = [e for e in entries_of(setup.board, start) if e["author"] == official]
    assert [e["kind"] for e in mine] == [
        d.ELECTION, d.JOINT_KEY, d.OPEN, d.CLOSE, d.TALLY, d.RESULT
    ]  # fmt: skip
    result = mine[-1]["body"]
    assert result["totals"] == [[1, 1, 1], [2, 1]]
    assert result["used"] == [1, 3] and result["excluded"] == []
    setup.board.sign_checkpoint(setup.log)
    report = verify_record(export_record(setup.board, ELECTION), setup.log.verifier().vkey())
    assert report.to_json()["status"] == "valid", report.to_json()

    # the key never left the page: not in any request (address, headers, body) nor the log
    posts = [r for r in sent if r.method == "POST"]
    assert [r.url for r in posts] == [f"{base}/api/v1/board/entries"] * 7  # one close refused
    assert any(r.url.endswith("/officials") for r in sent)
    seen = b"\n".join(
        b" ".join(
            [
                r.method.encode(),
                r.url.encode(),
                json.dumps(r.headers).encode(),
                r.post_data_buffer or b"",
            ]
        )
        for r in sent
    )
    assert b"voting.result" in seen  # the search does see what the page sent
    assert setup.log_lines and any("/api/v1/board/entries" in line for line in setup.log_lines)
    logged = "\n".join(setup.log_lines).encode()
    for secret in setup.secrets:
        assert secret not in seen
        assert secret not in logged
    assert setup.official.to_skey().encode() in setup.secrets  # the file had it

"""What the browser tests share: a real server, Debian's Chromium, tabs that record.

- :func:`serve`: ``create_app`` with the server's key folder under uvicorn on
  127.0.0.1 (a free port) in a child process, as ``pnyx serve`` runs it; stopped by
  its pid;
- :func:`launch` / :func:`chromium` / :func:`open_tab`: Chromium at /usr/bin/chromium,
  headless (``chromium`` also starts Playwright and closes the browser), and a
  tab (its own browser context: its own IndexedDB) that records every request it
  sends with its body, and every console error, page error and HTTP error;
- :func:`search`: whether secret values appear in recorded requests, as text, as
  the hex of the text, or (hex values) as raw bytes and their base64;
- :func:`open_credential_election`, :func:`close_and_tally`: an election on the
  board, open now, whose eligibility is a ``cityhall`` e-ID (the services'
  :class:`~services.voting.scenario.ElectionBoard`), and the officials' and
  trustees' part after the vote (for any :class:`Closable` election).

Screenshots go to tests/webapp/screenshots/ (ignored by git).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import httpx
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Playwright,
    Request,
    Response,
    sync_playwright,
)

from ledger.note import Signer
from services.voting import domain as d
from services.voting.record import export_record
from services.voting.scenario import ElectionBoard
from services.voting.tally import decrypt_result, tally_body
from tests.webapp.test_api_kit import ELECTION, rfc3339, signed
from webapp.keystore import KeyStore

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
SERVE = (
    "import sys, uvicorn\n"
    "from webapp.app import create_app\n"
    "uvicorn.run(create_app(sys.argv[1], sys.argv[2]), host='127.0.0.1', port=int(sys.argv[3]),"
    " log_level='info')\n"
)
READY_SECONDS = 60.0
TIMEOUT_MS = 30_000


# ------------------------------------------------------------------ server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Served:
    url: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def serve(db_url: str, keys: Path, log: Path) -> Iterator[Served]:
    """A uvicorn server on 127.0.0.1 in a child process, stopped (by its pid) on exit."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVE, db_url, str(keys), str(port)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    served = Served(f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + READY_SECONDS
        while True:
            assert proc.poll() is None, f"the server exited:\n{served.log_text()}"
            try:
                if httpx.get(f"{served.url}/api/v1/board/checkpoint", timeout=2).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"the server never answered:\n{served.log_text()}"
            time.sleep(0.1)
        yield served
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# ----------------------------------------------------------------- browser


def launch(p: Playwright) -> Browser:
    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}: `make system-deps` installs it"
    return p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Playwright and a headless Chromium for a test module, closed on exit."""
    with sync_playwright() as p:
        b = launch(p)
        try:
            yield b
        finally:
            b.close()


@dataclass
class Sent:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def parts(self) -> list[bytes]:
        headers = (f"{k}: {v}".encode() for k, v in self.headers.items())
        return [self.url.encode(), self.body, *headers]


@dataclass
class Tab:
    """A page in its own browser context that records what it sends and what goes wrong."""

    page: Page
    base: str
    name: str = ""
    sent: list[Sent] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    shots: int = 0

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(exist_ok=True)
        self.shots += 1
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def posts(self, path: str) -> list[Sent]:
        return [s for s in self.sent if s.method == "POST" and s.url == self.base + path]


def open_tab(browser: Browser, base: str, name: str = "", *, allow: tuple[int, ...] = ()) -> Tab:
    """A new context (its own storage) and page; HTTP statuses in ``allow`` are expected."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 900, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    tab = Tab(page, base, name)

    def on_request(r: Request) -> None:
        tab.sent.append(Sent(r.method, r.url, dict(r.headers), r.post_data_buffer or b""))

    def on_console(m: ConsoleMessage) -> None:
        if m.type == "error" and not m.text.startswith("Failed to load resource"):
            tab.problems.append(f"console: {m.text}")

    def on_response(r: Response) -> None:
        if r.status >= 400 and r.status not in allow and not r.url.endswith("/favicon.ico"):
            tab.problems.append(f"HTTP {r.status}: {r.request.method} {r.url}")

    page.on("request", on_request)
    page.on("response", on_response)
    page.on("console", on_console)
    page.on("pageerror", lambda e: tab.problems.append(f"page error: {e}"))
    return tab


# ---------------------------------------------------------------- election


@dataclass
class CredentialElection:
    eb: ElectionBoard
    keys: Path
    day: str
    adult: str
    opens: str
    closes: str

    @property
    def issuer(self) -> Signer:
        return self.eb.signers["cityhall"]


def open_credential_election(url: str, keys_dir: Path) -> CredentialElection:
    """An election open now (3 trustees, k = 2) for holders of a ``cityhall`` e-ID of
    district 7, adults on the election day, which is today (so a credential issued today
    answers both a verifier's request and the election's). The server's key folder
    ``keys_dir`` holds the log key and the ballot box's key."""
    eb = ElectionBoard(url, trustees=3, threshold=2, eligibility="credential")
    today = date.today()
    adult = (today - timedelta(days=18 * 366)).isoformat()
    now = datetime.now(UTC).replace(microsecond=0)
    opens, closes = rfc3339(now - timedelta(hours=1)), rfc3339(now + timedelta(days=1))
    manifest = eb.manifest()
    manifest["eligibility"] = {
        **manifest["eligibility"],
        "date": today.isoformat(),
        "predicates": [{"attribute": "birthDate", "op": "<=", "value": adult}],
    }
    eb.post(eb.official, d.ELECTION, {**manifest, "opens": opens, "closes": closes})
    keys = KeyStore(keys_dir)
    keys.save_log(eb.log)
    keys.save_authority(eb.box_signer)
    eb.ceremony()
    eb.post(eb.official, d.OPEN, {"election": eb.election}, opens)
    return CredentialElection(eb, keys_dir, today.isoformat(), adult, opens, closes)


class Closable(Protocol):
    """An election open on an :class:`ElectionBoard` until ``closes``."""

    @property
    def eb(self) -> ElectionBoard: ...

    @property
    def closes(self) -> str: ...


def close_and_tally(e: Closable) -> dict[str, Any]:
    """Close, tally, the trustees' partial decryptions, the result; the exported record."""
    eb = e.eb
    eb.board.append(signed(eb.official, d.CLOSE, {"election": ELECTION}, e.closes))
    eb.board.append(signed(eb.official, d.TALLY, tally_body(eb.data, ELECTION)))
    for j, t in eb.trustees.items():
        eb.board.append(signed(eb.trustee_signers[j - 1], d.PARTIAL, t.partial_body(eb.data)))
    digest, result = decrypt_result(eb.data, ELECTION)
    eb.board.append(signed(eb.official, d.RESULT, result.body(ELECTION, digest)))
    eb.board.sign_checkpoint(eb.log)
    return export_record(eb.board, ELECTION)

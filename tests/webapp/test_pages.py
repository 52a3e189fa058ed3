"""The public pages (webapp/pages.py) on a board with a finished election.

The board: a credential election run to its result (a challenged ballot, a
re-vote, one trustee's wrong partial decryption excluded), a second election
and a notice whose titles and options are hostile HTML, three witnesses with
two cosignatures of the latest checkpoint.  Every page renders; unknown ones
are HTML 404s; errors never show internals; user data is escaped; the charts
carry the result's numbers; the verifier's steps are the verifier's; no page
holds a secret, a voter's name or a cast ballot's nonce.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import authorities
from ledger.cosignature import CosignatureSigner
from ledger.note import Signer, parse_note
from services.notices import PUBLISH, notice_body
from services.voting import domain as d
from services.voting.ballot import MadeBallot
from services.voting.receipt import Receipt
from services.voting.record import export_record
from services.voting.scenario import VOTING, ElectionBoard, Voter
from services.voting.verifier import verify_record
from webapp import pages
from webapp.app import create_app

HOSTILE = '<script>alert("pnyx")</script>'
HOSTILE_OPTION = "<img src=x onerror=alert(1)>"
HTML = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
ELECTION = "city-2026"
EVIL = "hostile-1"
# mayor (Alice, Bob, Carol, blank; 1..1), parks (yes, no; 1..1), council (4; 0..2)
CHOICES = [
    [[1, 0, 0, 0], [1, 0], [1, 1, 0, 0]],
    [[0, 1, 0, 0], [0, 1], [0, 0, 0, 0]],  # voter 1 votes again, below
    [[0, 0, 1, 0], [1, 0], [0, 0, 1, 0]],
    [[0, 0, 0, 1], [1, 0], [0, 1, 0, 1]],
]
REVOTE = [[1, 0, 0, 0], [0, 1], [0, 0, 0, 1]]
CHALLENGED = [[0, 0, 1, 0], [0, 1], [1, 0, 0, 0]]


@dataclass
class Site:
    """The board and what the pages must show, or never show."""

    url: str
    eb: ElectionBoard
    intended: list[list[int]]
    voters: list[Voter]
    cast: list[MadeBallot] = field(repr=False)
    witnesses: list[CosignatureSigner] = field(repr=False)
    receipts: list[Receipt] = field(repr=False)
    checkpoint_size: int = 0


def build_site(url: str) -> Site:
    """The board of this module (also tests/webapp/test_js_board.py's)."""
    eb = ElectionBoard(url, trustees=3, threshold=2, seed=11, election=ELECTION)
    voters = [eb.credential() for _ in range(4)]
    eb.create()
    eb.ceremony()
    eb.open()
    challenged, _ = eb.ballot(voters[0], CHALLENGED)
    eb.ballot_box.challenge(challenged, VOTING)
    cast: list[MadeBallot] = []
    receipts: list[Receipt] = []
    for voter, choice in [*zip(voters, CHOICES, strict=True), (voters[1], REVOTE)]:
        made, body = eb.ballot(voter, choice)
        receipts.append(eb.cast(body))
        cast.append(made)
    final = [CHOICES[0], REVOTE, CHOICES[2], CHOICES[3]]
    intended = [[sum(f[c][o] for f in final) for o in range(len(final[0][c]))] for c in range(3)]
    eb.close()
    eb.tally()
    for j in sorted(eb.trustees):
        eb.partial(j, bad=j == 1)
    eb.result()
    hostile = {
        **eb.manifest(),
        "id": EVIL,
        "title": HOSTILE,
        "contests": [
            {
                "id": "c",
                "title": HOSTILE,
                "options": [HOSTILE_OPTION, "fine"],
                "min": 1,
                "max": 1,
                "blank": False,
            }
        ],
    }
    eb.post(eb.official, d.ELECTION, hostile)
    city = eb.authority("city", "publisher")
    eb.post(city, PUBLISH, notice_body(HOSTILE, f"text {HOSTILE_OPTION}"))
    witnesses = [CosignatureSigner.generate(f"witness-{i}.example") for i in (1, 2, 3)]
    eb.post(
        eb.root,
        authorities.WITNESSES,
        {"witnesses": [w.verifier().vkey() for w in witnesses], "quorum": 2},
    )
    note = eb.board.sign_checkpoint(eb.log)
    text = parse_note(note).text
    size = int(text.split("\n")[1])
    for k, w in enumerate(witnesses[:2]):
        eb.board.add_cosignature(size, w.cosign(text, 1_767_225_600 + k))
    return Site(url, eb, intended, voters, cast, witnesses, receipts, size)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return build_site(f"sqlite:///{tmp_path_factory.mktemp('pages') / 'board.db'}")


def make_app(site: Site) -> FastAPI:
    app = create_app(site.url)
    pages.install(app)  # idempotent: create_app installs the pages already
    return app


@pytest.fixture(scope="module")
def client(site: Site) -> TestClient:
    """One application for the module: its caches (and the verifier's report) are shared."""
    return TestClient(make_app(site))


def get(client: TestClient, path: str, status: int = 200) -> str:
    r = client.get(path, headers=HTML)
    assert r.status_code == status, (path, r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("text/html"), (path, r.headers)
    return r.text


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text inside each element by id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Tags:
    t = Tags()
    t.feed(html)
    return t


def all_pages(client: TestClient, site: Site) -> dict[str, str]:
    size = site.eb.board.size()
    paths = [
        "/",
        "/board",
        "/board?kind=voting.ballot",
        "/board?kind=voting.challenge",
        "/board?before=10",
        "/board?after=3",
        f"/elections/{ELECTION}",
        f"/elections/{EVIL}",
        "/elections",
        "/receipt",
        *(f"/board/entries/{i}" for i in range(size)),
    ]
    return {p: get(client, p) for p in paths}


# ------------------------------------------------------------------ every page


def test_every_page_renders_with_the_base_layout(client: TestClient, site: Site) -> None:
    for path, html in all_pages(client, site).items():
        tags = parse(html)
        assert ("main", {"id": "main", "class": "wrap", "tabindex": "-1"}) in tags.tags, path
        assert '<a class="skip-link" href="#main">' in html, path
        assert '<script type="importmap">' in html and "/vendor/@noble/curves/" in html, path
        assert 'href="/static/css/pnyx.css"' in html
        assert '<html lang="en">' in html
        # no inline script but the import map and JSON data blocks
        for tag, attrs in tags.tags:
            if tag == "script":
                assert attrs.get("type") in ("importmap", "module", "application/json"), path
                if attrs.get("type") == "module":
                    assert str(attrs.get("src", "")).startswith("/static/js/"), path


def test_pages_send_a_content_security_policy_that_allows_the_import_map(
    client: TestClient,
) -> None:
    import hashlib

    r = client.get("/", headers=HTML)
    csp = r.headers["content-security-policy"]
    body = re.search(r'<script type="importmap">(.*?)</script>', r.text, re.S)
    assert body is not None
    digest = base64.b64encode(hashlib.sha256(body.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"


def test_home_shows_the_checkpoint_witnesses_and_elections(client: TestClient, site: Site) -> None:
    html = get(client, "/")
    board = site.eb.board
    size, root = board.root(site.checkpoint_size)
    assert f"{size} entries" in html
    assert root.hex() in html
    for w in site.witnesses:
        assert w.name in html
    assert "cosigned by 2 of 3 (quorum 2)" in html
    assert "final" in html
    assert "2026-01-01T00:00:01Z" in html  # the latest cosignature's time
    assert f'href="/elections/{ELECTION}"' in html and "City elections 2026" in html
    assert "result published" in html  # the phase
    rows = re.search(r'href="/elections/city-2026".*?</tr>', html, re.S)
    assert rows is not None and '<td class="num">4</td>' in rows.group(0)  # 4 counted voters
    keys = json.loads(re.search(r'id="board-keys">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    assert keys["log_key"] == site.eb.log.verifier().vkey()
    assert keys["witnesses"] == [w.verifier().vkey() for w in site.witnesses]
    assert keys["quorum"] == 2


def test_board_explorer_filters_by_kind_and_pages(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "PAGE_SIZE", 4)
    client = TestClient(make_app(site))
    board = site.eb.board
    size = board.size()
    ballots = [i for i, _ in board.entries(0, size, "voting.ballot")]
    assert len(ballots) == 5

    def indices(html: str) -> list[int]:
        return [
            int(i) for i in re.findall(r'<td class="num"><a href="/board/entries/(\d+)">', html)
        ]

    seen: list[int] = []
    path: str | None = "/board?kind=voting.ballot"
    while path:
        html = get(client, path)
        page = indices(html)
        assert page == sorted(page, reverse=True) and 0 < len(page) <= 4
        seen += page
        older = re.search(r'rel="next" href="([^"]+)"', html)
        path = older.group(1).replace("&amp;", "&") if older else None
    assert seen == sorted(ballots, reverse=True)
    # and back: newer from the oldest
    html = get(client, f"/board?kind=voting.ballot&after={ballots[0]}")
    assert indices(html) == sorted(ballots[1:], reverse=True)[-4:]
    # all kinds, newest first
    assert indices(get(client, "/board")) == list(range(size - 1, size - 5, -1))
    # the counts per kind are the board's
    html = get(client, "/board")
    counts = dict(
        (k, int(n))
        for k, n in re.findall(r'kind=([a-z._]+)">[a-z._]+</a></th><td class="num">(\d+)', html)
    )
    assert counts["voting.ballot"] == 5 and counts["voting.challenge"] == 1
    assert sum(counts.values()) == size


def test_board_goto_redirects_to_the_entry(client: TestClient) -> None:
    r = client.get("/board/goto?index=3", headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/board/entries/3"
    get(client, "/board/goto?index=x", 400)


def test_entry_page_shows_the_entry_and_what_the_browser_checks(
    client: TestClient, site: Site
) -> None:
    board = site.eb.board
    index = next(i for i, _ in board.entries(0, board.size(), "voting.ballot"))
    html = get(client, f"/board/entries/{index}")
    proof = board.inclusion_proof(index)
    assert proof.leaf_hash.hex() in html
    tags = parse(html)
    widget = [a for t, a in tags.tags if a.get("data-verify") == "entry"]
    assert widget == [
        {
            "class": "verify",
            "data-verify": "entry",
            "data-index": str(index),
            "data-leaf-hash": proof.leaf_hash.hex(),
        }
    ]
    assert ("script", {"type": "module", "src": "/static/js/board/page.js"}) in tags.tags
    assert "ballot-box" in html and "voting.ballot" in html
    assert f'href="/elections/{ELECTION}"' in html
    # the pretty JSON is the entry
    pre = re.search(r'<pre class="json"[^>]*>(.*?)</pre>', html, re.S)
    assert pre is not None
    import html as htmllib

    shown = json.loads(htmllib.unescape(pre.group(1)))
    assert shown == json.loads(board.entries(index, index + 1)[0][1])


def test_receipt_page_has_a_labelled_form_and_the_log_key(client: TestClient, site: Site) -> None:
    html = get(client, "/receipt")
    assert '<label for="receipt-file">' in html and 'id="receipt-file"' in html
    assert '<label for="receipt-text">' in html and 'id="receipt-text"' in html
    assert 'data-verify="receipt"' in html and 'role="status"' in html
    assert site.eb.log.verifier().vkey() in html


# ------------------------------------------------------------------ election


def contest_bars(html: str) -> dict[str, list[tuple[str, int]]]:
    out: dict[str, list[tuple[str, int]]] = {}
    contest = None
    for tag, attrs in parse(html).tags:
        if tag == "figure" and attrs.get("data-contest"):
            contest = str(attrs["data-contest"])
            out[contest] = []
        if tag == "rect" and attrs.get("class") == "bar" and contest is not None:
            out[contest].append((str(attrs["data-option"]), int(str(attrs["data-value"]))))
    return out


def test_election_result_chart_values_equal_the_result(client: TestClient, site: Site) -> None:
    html = get(client, f"/elections/{ELECTION}")
    result = site.eb.board.state("voting", f"result/{ELECTION}")
    bars = contest_bars(html)
    manifest = site.eb.manifest()
    assert list(bars) == [c["id"] for c in manifest["contests"]]
    for c, totals, intended in zip(
        manifest["contests"], result["totals"], site.intended, strict=True
    ):
        names = [*c["options"], *(["blank"] if c["blank"] else [])]
        assert bars[c["id"]] == list(zip(names, totals, strict=True))
        assert totals == intended
        for name, n in zip(names, totals, strict=True):
            assert f'<tr><th scope="row">{name}</th><td class="num">{n}</td>' in html
    # each chart is an image with a title and a text alternative
    assert html.count('role="img"') == 1 + len(manifest["contests"])
    assert html.count("<title id=") == html.count("<desc id=") == 1 + len(manifest["contests"])
    # turnout: 4 voters in the end, 5 ballots cast, 1 challenged
    points = [int(str(a["data-value"])) for t, a in parse(html).tags if t == "circle"]
    assert points == sorted(points) and points[-1] == 4
    assert "<strong>4</strong>" in html and "1 replaced by a later ballot" in html


def test_election_page_shows_the_manifest_trustees_and_phase(
    client: TestClient, site: Site
) -> None:
    html = get(client, f"/elections/{ELECTION}")
    for c in site.eb.manifest()["contests"]:
        assert c["title"] in html or c["title"].replace("(", "") in html
        for o in c["options"]:
            assert f"<li>{o}" in html
    assert "choose exactly 1" in html and "choose up to 2" in html
    assert "“cityhall”" in html and "district = 7" in html and "birthDate is on or before" in html
    assert "any 2 of them decrypt the tally (k = 2)" in html
    for j in (1, 2, 3):
        assert f'<th scope="row">trustee-{j}</th>' in html
    assert "trustee 1 (" in html  # the excluded partial, with its reason
    assert 'aria-current="step"' in html and "2026-05-01T07:00:00Z" in html


def test_election_page_shows_the_verifiers_numbered_steps(client: TestClient, site: Site) -> None:
    pages.state_of(client.app).verify_wait = 120.0  # type: ignore[arg-type]
    html = get(client, f"/elections/{ELECTION}")
    report = verify_record(
        export_record(site.eb.board, ELECTION), site.eb.log.verifier().vkey(), workers=1
    )
    shown = re.findall(
        r'<li class="check check-(\w+)">.*?<strong>(V\d+)\. ([^<]+)</strong>', html, re.S
    )
    assert [(s, t) for _, s, t in shown] == [(s.step, s.title) for s in report.steps]
    assert [state == "passed" for state, _, _ in shown] == [s.passed for s in report.steps]
    assert len(shown) == 19
    word = {"valid": "The record is valid", "invalid": "The record is invalid"}
    assert word.get(report.status, "incomplete") in html


def test_the_verifier_runs_in_the_background_and_is_cached(site: Site) -> None:
    app = make_app(site)
    st = pages.state_of(app)
    st.verify_wait = 0.0
    client = TestClient(app)
    first = get(client, f"/elections/{ELECTION}")
    job = st.pending[ELECTION]
    if not job.future.done():
        assert "The verifier is checking the record" in first
    job.future.result(timeout=300)
    second = get(client, f"/elections/{ELECTION}")
    assert "The record is" in second
    assert st.pending[ELECTION] is job  # no second run for the same board
    st.verify_wait = 120.0
    assert get(client, f"/elections/{ELECTION}").count("check-") >= 19


def test_an_election_without_a_covering_checkpoint_says_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'b.db'}"
    eb = ElectionBoard(url, trustees=1, threshold=1)
    eb.create()
    html = get(TestClient(create_app(url)), f"/elections/{ELECTION}")
    assert "No signed checkpoint covers this election" in html
    assert "key ceremony" in html and "No result yet" in html


# ------------------------------------------------------------------ errors


def test_unknown_pages_are_html_404s(client: TestClient) -> None:
    for path in [
        "/nope",
        "/board/entries/99999",
        "/board/entries/abc",
        "/board/entries/-1",
        f"/board/entries/{2**64}",
        "/elections/nope",
        "/elections/UPPER",
        "/elections/" + "a" * 65,
    ]:
        html = get(client, path, 404)
        assert "Not found" in html and "Error 404" in html
        assert "Traceback" not in html
    for path in ["/board?kind=nope.nope", "/board?kind=%3Cscript%3E", "/board?before=-1"]:
        html = get(client, path, 400)
        assert (
            "%3Cscript" not in html
            and "<script>"
            not in html.split("</head>")[1].split('<script type="application/json"')[0]
        )


def test_api_errors_stay_json(client: TestClient) -> None:
    for headers in (HTML, {}):
        r = client.get("/api/v1/board/nope", headers=headers)
        assert r.status_code == 404
        assert r.json()["error"]
    r = client.get("/nope")  # not a browser: the API's JSON error
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = client.post("/", headers=HTML)
    assert r.status_code == 405 and "error" in r.json()


def test_errors_never_show_internals(
    site: Site, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "INTERNAL-DETAIL-7f3a /var/lib/pnyx"

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError(secret)

    monkeypatch.setattr(pages, "explore", broken)
    monkeypatch.setattr(pages, "election_view", broken)
    client = TestClient(make_app(site), raise_server_exceptions=False)
    for path in ["/board", f"/elections/{ELECTION}"]:
        html = get(client, path, 500)
        assert "Something went wrong" in html
        assert secret not in html and "RuntimeError" not in html and "Traceback" not in html
    assert secret in caplog.text  # logged for the operator, never shown


# ------------------------------------------------------------------ escaping


def test_hostile_strings_are_escaped(client: TestClient, site: Site) -> None:
    htmls = all_pages(client, site)
    for path, html in htmls.items():
        assert HOSTILE not in html, path
        assert HOSTILE_OPTION not in html, path
        assert "<img" not in html, path
    escaped = "&lt;script&gt;alert(&#34;pnyx&#34;)&lt;/script&gt;"
    assert escaped in htmls[f"/elections/{EVIL}"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in htmls[f"/elections/{EVIL}"]
    assert escaped in htmls["/"]  # the election list and the notice
    assert escaped in htmls["/board"]
    # the hostile strings are in the board's data, the entry pages show them as text
    evil = next(
        i
        for i, leaf in site.eb.board.entries(0, site.eb.board.size(), "voting.election")
        if json.loads(leaf)["body"]["id"] == EVIL
    )
    assert "&lt;script&gt;" in htmls[f"/board/entries/{evil}"]


# ------------------------------------------------------------------ secrets


def secrets_of(site: Site) -> list[str]:
    eb = site.eb
    out: list[str] = []
    signers: list[Signer] = [*eb.signers.values(), eb.log]
    for key in [*signers, *site.witnesses]:
        material = key.to_skey().split("+", 4)[4]  # PRIVATE+KEY+name+id+base64(type ‖ seed)
        out += [material, base64.b64decode(material)[1:].hex()]
    for box in eb.boxes:
        out.append(box.secret.hex())
    for t in eb.trustees.values():
        assert t.share is not None and t.secret is not None
        out.append(t.share.hex())
        out += [c.hex() for c in t.secret.coefficients]
    out.append(bytes(eb.sk).hex())
    for v in site.voters:
        out += [v.given, v.family]
        secrets = v.record["secrets"]
        out += [str(x) for x in secrets.values()]
    for made in site.cast:  # the nonces of cast ballots are their votes' only key
        out += [n.hex() for contest in made.nonces for n in contest]
    return out


def test_no_page_holds_a_secret_a_name_or_a_cast_ballots_nonce(
    client: TestClient, site: Site
) -> None:
    secrets = secrets_of(site)
    assert len(secrets) > 50 and all(len(s) >= 6 for s in secrets)
    for path, html in all_pages(client, site).items():
        lower = html.lower()
        for s in secrets:
            assert s.lower() not in lower, (path, s[:8])
    # the challenged ballot's nonces are public by design (docs/voting.md §6): the test
    # would find them, so it can find the cast ones
    board = site.eb.board
    index = next(i for i, _ in board.entries(0, board.size(), "voting.challenge"))
    challenge = json.loads(board.entries(index, index + 1)[0][1])["body"]
    assert challenge["nonces"][0][0] in get(client, f"/board/entries/{index}")


# ------------------------------------------------------------------ units


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12 * 3600 - 1), st.integers(0, 9)), max_size=40))
def test_turnout_series_counts_distinct_voters_up_to_each_step(
    ballots: list[tuple[int, int]],
) -> None:
    from datetime import UTC, datetime, timedelta

    t0 = datetime(2026, 5, 1, 7, tzinfo=UTC)
    pairs = [
        ((t0 + timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%SZ"), f"voter-{v}")
        for s, v in ballots
    ]
    series = pages.turnout_series(pairs, "2026-05-01T07:00:00Z", "2026-05-01T19:00:00Z")
    assert 1 <= len(series) <= 24
    values = [p["voters"] for p in series]
    assert values == sorted(values)
    assert values[-1] == len({v for _, v in ballots})
    for p in series:
        end = datetime.strptime(p["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        want = {v for s, v in ballots if t0 + timedelta(seconds=s) < end}
        assert p["voters"] == len(want)


def test_eligibility_in_words() -> None:
    assert pages.eligibility_words({"type": "roll", "voters": ["a", "b"]}, None).startswith(
        "Voters on a roll of 2 Ed25519 keys"
    )
    words = pages.eligibility_words(
        {
            "type": "credential",
            "issuer": "cityhall",
            "schema": "eid",
            "attributes": {"district": 7},
            "predicates": [{"attribute": "birthDate", "op": "<=", "value": "2008-05-01"}],
            "date": "2026-05-01",
        },
        None,
    )
    assert "“eid” credential issued by “cityhall”" in words
    assert "district = 7" in words and "birthDate is on or before 2008-05-01" in words


def test_home_follows_new_cosignatures_of_the_same_checkpoint(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'b.db'}"
    eb = ElectionBoard(url, trustees=1, threshold=1)
    ws = [CosignatureSigner.generate(f"w{i}.example") for i in (1, 2)]
    eb.post(
        eb.root,
        authorities.WITNESSES,
        {"witnesses": [w.verifier().vkey() for w in ws], "quorum": 1},
    )
    note = eb.board.sign_checkpoint(eb.log)
    text = parse_note(note).text
    size = int(text.split("\n")[1])
    client = TestClient(create_app(url))
    assert "cosigned by 0 of 2 (quorum 1)" in get(client, "/")
    eb.board.add_cosignature(size, ws[1].cosign(text, 1_800_000_000))
    html = get(client, "/")
    assert eb.board.size() == size
    assert "cosigned by 1 of 2 (quorum 1)" in html and "2027-01-15T08:00:00Z" in html


# ------------------------------------------------------------- first hour


NAV_PAGES = {
    "/": "home",
    "/board": "board",
    "/elections": "elections",
    "/receipt": "receipt",
    "/wallet": "wallet",
    "/verifier": "verifier",
    "/portal": "portal",
    "/officials": "officials",
    "/docs": "docs",
}


def _nav(html: str) -> list[tuple[str, bool]]:
    nav = html[html.index('<nav class="site-nav"') : html.index("</nav>")]
    return [
        (href, "aria-current" in rest)
        for href, rest in re.findall(r'<li><a href="([^"]+)"([^>]*)>', nav)
    ]


def test_the_navigation_reaches_every_page_and_marks_the_current_one(client: TestClient) -> None:
    links = [href for href, _ in _nav(get(client, "/"))]
    assert set(NAV_PAGES) <= set(links), links
    for path, _ in NAV_PAGES.items():
        r = client.get(path, headers=HTML)
        assert r.status_code == 200, (path, r.status_code)
        if path == "/docs":
            continue  # Swagger UI's own page
        current = [href for href, on in _nav(r.text) if on]
        assert current == [path], (path, current)


def test_the_elections_page_lists_every_election(client: TestClient, site: Site) -> None:
    html = get(client, "/elections")
    assert f'href="/elections/{ELECTION}"' in html
    assert f'href="/elections/{EVIL}"' in html


def test_the_home_page_says_what_each_role_can_do(client: TestClient) -> None:
    html = get(client, "/")
    section = html[html.index('id="roles-h"') :]
    section = section[: section.index("</section>")]
    for role, page in [
        ("Voter", "/elections"),
        ("Holder", "/wallet"),
        ("Verifier", "/verifier"),
        ("Patient", "/portal"),
        ("Election official", "/officials"),
        ("Auditor", "/board"),
    ]:
        line = section[section.index(f"<strong>{role}</strong>") :]
        line = line[: line.index("</li>")]
        assert f'href="{page}"' in line, role


def test_an_unfinished_election_says_final_checks_after_the_tally(
    client: TestClient, site: Site
) -> None:
    pages.state_of(client.app).verify_wait = 120.0  # type: ignore[arg-type]
    html = get(client, f"/elections/{EVIL}")  # still in its key ceremony
    verification = html[html.index('id="v-h"') :]
    assert "the final checks run after the tally" in verification
    assert "not complete" not in verification
    assert "notice-warn" not in verification and "check-incomplete" not in verification
    assert "after the tally" in verification and "check-pending" in verification

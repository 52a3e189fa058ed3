"""Helpers of the API tests (an open election on a board, the server's keys, the error shape,
a search for leaked secrets), and the tests of the helpers themselves."""

from __future__ import annotations

import base64
import copy
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from nacl.signing import SigningKey
from rich.console import Console

from crypto.threshold import generate_box_keypair
from ledger import authorities
from ledger.board import Board
from ledger.entry import key_id, make_entry
from ledger.note import Signer
from ledger.store import Store
from services.identity.board_data import BoardData
from services.registry import default_registry
from services.voting import domain as d
from services.voting.ballot import MadeBallot
from services.voting.casting import roll_ballot
from services.voting.ceremony import Trustee, joint_key_body
from services.voting.scenario import CONTESTS, ElectionBoard
from tests.leaks import search, unpacked
from webapp.app import create_app
from webapp.cli_voting import DEMO_OFFICIAL, DemoOutcome, run_election_demo
from webapp.keystore import KeyStore

ELECTION = "city-2026"
ROLL_ELECTION = "roll-2026"


def is_error(r: httpx.Response, status: int | None = None) -> bool:
    """A 4xx (``status`` if given) with exactly ``{"error": str, "detail": str}`` as JSON."""
    if not 400 <= r.status_code < 500 or (status is not None and r.status_code != status):
        return False
    if not r.headers.get("content-type", "").startswith("application/json"):
        return False
    doc = r.json()
    return (
        isinstance(doc, dict)
        and set(doc) == {"error", "detail"}
        and isinstance(doc["error"], str)
        and isinstance(doc["detail"], str)
        and bool(doc["detail"])
    )


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
"""Any JSON value, for the routes' fuzz tests."""


def mutate(doc: Any, path: list[int], value: Any) -> Any:
    """``doc`` with the member or item reached by ``path`` (indices into sorted keys) replaced."""
    if not path or not isinstance(doc, dict | list) or not doc:
        return value
    keys = sorted(doc) if isinstance(doc, dict) else list(range(len(doc)))
    k = keys[path[0] % len(keys)]
    out = copy.copy(doc)
    out[k] = mutate(doc[k], path[1:], value)
    return out


def post_json(client: TestClient, path: str, doc: Any) -> httpx.Response:
    return client.post(path, content=json.dumps(doc), headers={"content-type": "application/json"})


def post_bytes(client: TestClient, path: str, data: bytes) -> httpx.Response:
    return client.post(path, content=data, headers={"content-type": "application/json"})


def rfc3339(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def signed(signer: Signer, kind: str, body: dict[str, Any], time: str | None = None) -> bytes:
    """An entry signed on the client, as an official's or trustee's page makes it."""
    return make_entry(kind, body, key_id(signer.verifier().public_key), signer.sign, time)


def state_of(board: Board) -> tuple[int, bytes]:
    """What a refused request must leave unchanged: the size and the root."""
    return board.root()


@dataclass
class Election:
    """A roll election on a board, open now (opened an hour ago, closing tomorrow)."""

    eb: ElectionBoard
    keys: KeyStore
    opens: str
    closes: str

    @property
    def board(self) -> Board:
        return self.eb.board

    @property
    def voters(self) -> list[SigningKey]:
        return self.eb.roll

    def ballot(
        self, voter: int, selections: list[list[int]] | None = None
    ) -> tuple[MadeBallot, dict[str, Any]]:
        choice = selections or [[1, 0, 0, 0], [0, 1], [1, 0, 1, 0]]
        return roll_ballot(self.eb.data, self.voters[voter], self.eb.election, choice)

    def client(self, keys: bool = True) -> TestClient:
        app = create_app(self.board.store.url, self.keys if keys else None)
        return TestClient(app, raise_server_exceptions=False)


def commit_and_reveal(eb: ElectionBoard) -> None:
    """The trustees' part of the ceremony (all present, none at fault); no joint key yet."""
    eb.trustees = {j: Trustee(eb.election, j, eb.boxes[j - 1]) for j in range(1, eb.n + 1)}
    for j, t in eb.trustees.items():
        eb.post(eb.trustee_signers[j - 1], d.TRUSTEE_COMMIT, t.commit_body(eb.data))
    for j, t in eb.trustees.items():
        eb.post(eb.trustee_signers[j - 1], d.TRUSTEE_REVEAL, t.reveal_body(eb.data))


def roll_election(
    url: str, keys_dir: Path, *, voters: int = 4, revote: str = "last", keyed: bool = True
) -> Election:
    """An election of ``voters`` roll keys (3 trustees, k = 2), open now when ``keyed``.

    The server's key folder holds the log key and the ``ballot-box`` authority's key,
    as ``pnyx serve --keys`` would after ``pnyx authority add ballot-box``.
    """
    eb = ElectionBoard(url, trustees=3, threshold=2, eligibility="roll", roll=voters, revote=revote)
    now = datetime.now(UTC).replace(microsecond=0)
    opens, closes = rfc3339(now - timedelta(hours=1)), rfc3339(now + timedelta(days=1))
    eb.post(eb.official, d.ELECTION, {**eb.manifest(), "opens": opens, "closes": closes})
    keys = KeyStore(keys_dir)
    keys.save_log(eb.log)
    keys.save_authority(eb.box_signer)
    election = Election(eb, keys, opens, closes)
    if keyed:
        eb.ceremony()
        eb.post(eb.official, d.OPEN, {"election": eb.election}, opens)
    return election


# ------------------------------------------------- the demo, and a roll election


@dataclass
class RollElection:
    """A roll election added to an existing board with the key folder's root and official."""

    board: Board
    election: str
    roll: list[SigningKey]
    official: Signer
    opens: str
    closes: str

    def ballot(
        self, voter: int, selections: list[list[int]] | None = None
    ) -> tuple[MadeBallot, dict[str, Any]]:
        choice = selections or [[1, 0, 0, 0], [0, 1], [1, 0, 1, 0]]
        data = BoardData.from_board(self.board)
        return roll_ballot(data, self.roll[voter], self.election, choice)


def add_roll_election(
    board: Board, keys: KeyStore, election: str, *, voters: int = 3, official: str
) -> RollElection:
    """A roll election open now, on a board whose root key and official key ``keys`` hold:
    two new trustees (k = 2) are registered, run the ceremony, and the official opens it."""
    root, office = keys.authority("root"), keys.authority(official)
    trustees = [Signer.generate(f"{election}-trustee-{j}") for j in (1, 2)]
    for t in trustees:
        body = {"name": t.name, "public_key": t.verifier().public_key.hex(), "roles": ["trustee"]}
        board.append(signed(root, authorities.AUTHORITY, body))
    boxes = [generate_box_keypair() for _ in trustees]
    roll = [SigningKey.generate() for _ in range(voters)]
    now = datetime.now(UTC).replace(microsecond=0)
    opens, closes = rfc3339(now - timedelta(hours=1)), rfc3339(now + timedelta(days=1))
    manifest = {
        "version": 1,
        "id": election,
        "title": "Roll election",
        "contests": [c.to_json() for c in CONTESTS],
        "eligibility": {"type": "roll", "voters": [bytes(k.verify_key).hex() for k in roll]},
        "revote": "last",
        "trustees": [
            {"index": j, "key_id": key_id(t.verifier().public_key), "box": b.public.hex()}
            for j, (t, b) in enumerate(zip(trustees, boxes, strict=True), start=1)
        ],
        "threshold": 2,
        "opens": opens,
        "closes": closes,
    }
    board.append(signed(office, d.ELECTION, manifest))
    data = BoardData.from_board(board)
    ts = [Trustee(election, j, b) for j, b in enumerate(boxes, start=1)]
    for signer, t in zip(trustees, ts, strict=True):
        board.append(signed(signer, d.TRUSTEE_COMMIT, t.commit_body(data)))
    for signer, t in zip(trustees, ts, strict=True):
        board.append(signed(signer, d.TRUSTEE_REVEAL, t.reveal_body(data)))
    board.append(signed(office, d.JOINT_KEY, joint_key_body(data, election)))
    board.append(signed(office, d.OPEN, {"election": election}, opens))
    return RollElection(board, election, roll, office, opens, closes)


@dataclass
class Demo:
    """`pnyx demo election` (decided, e-ID voters) and an open roll election on one board."""

    board: Board
    keys: KeyStore
    outcome: DemoOutcome
    roll: RollElection
    publisher: Signer


def demo_board(url: str, keys_dir: Path, *, voters: int = 4, seed: int = 7) -> Demo:
    board = Board(Store(url), default_registry())
    keys = KeyStore(keys_dir)
    outcome = run_election_demo(
        board, keys, Console(file=io.StringIO()), voters=voters, trustees=4, threshold=2, seed=seed
    )
    assert outcome.failed == [], outcome.failed
    roll = add_roll_election(board, keys, ROLL_ELECTION, official=DEMO_OFFICIAL)
    publisher = Signer.generate("city")
    body = {"name": "city", "public_key": publisher.verifier().public_key.hex(),
            "roles": ["publisher"]}  # fmt: skip
    board.append(signed(keys.authority("root"), authorities.AUTHORITY, body))
    board.sign_checkpoint(keys.log())
    return Demo(board, keys, outcome, roll, publisher)


def identity_needles(outcome: DemoOutcome) -> list[str]:
    """What identifies a demo voter: names, birth date, credential secrets and signature."""
    found = []
    for v in outcome.voters:
        subject = v.record["credential"]["credentialSubject"]
        proof = v.record["credential"]["proof"]["proofValue"]
        assert proof.startswith("f")  # multibase hex
        found += [v.given, v.family, f"{v.given} {v.family}", subject["birthDate"]]
        found += [v.record["secrets"]["nymSecret"], v.record["secrets"]["proverBlind"], proof[1:]]
    return found


def selections_text(made: MadeBallot) -> str:
    """A ballot's selections as the board writes a challenge's (compact JSON)."""
    return json.dumps([list(s) for s in made.selections], separators=(",", ":"))


def vote_needles(
    cast: list[MadeBallot], challenged: list[MadeBallot]
) -> tuple[list[str], list[str]]:
    """(secret: the cast ballots' nonces and selections; public: the challenged ones')."""
    public_sel = {selections_text(m) for m in challenged}
    secret = [r.hex() for m in cast for contest in m.nonces for r in contest]
    secret += sorted({selections_text(m) for m in cast} - public_sel)
    public = [r.hex() for m in challenged for contest in m.nonces for r in contest]
    return secret, public + sorted(public_sel)


# -------------------------------------------------------------- leak search


def response_parts(r: httpx.Response) -> list[bytes]:
    """A response as the search reads it: its raw bytes and, for JSON, every decoded string."""
    parts = [r.content]
    if r.headers.get("content-type", "").startswith("application/json"):
        parts += list(unpacked(r.json()))
    return parts


# ------------------------------------------------------ tests of the helpers


def test_search_finds_planted_secrets() -> None:
    """Negative control: a nonce planted as raw bytes, hex, or base64 inside JSON is found."""
    secret = "ab" * 32
    raw = bytes.fromhex(secret)
    doc = {"leaf": base64.b64encode(b"x" + raw + b"y").decode(), "name": "ADA000"}
    r = httpx.Response(200, json=doc)
    parts = response_parts(r)
    assert search(parts, [secret, "Ada000", "Grace001"]) == [secret, "Ada000"]
    assert search([b"nothing here"], [secret]) == []


def test_is_error_shape() -> None:
    assert is_error(httpx.Response(404, json={"error": "not_found", "detail": "no"}), 404)
    assert not is_error(httpx.Response(404, json={"error": "not_found", "detail": "no"}), 400)
    assert not is_error(httpx.Response(500, json={"error": "x", "detail": "y"}))
    assert not is_error(httpx.Response(400, json={"detail": "y"}))
    assert not is_error(httpx.Response(400, json={"error": "x", "detail": "y", "more": 1}))
    assert not is_error(httpx.Response(400, text="bad"))


@pytest.mark.parametrize("keyed", [False, True])
def test_roll_election_is_open_now(tmp_path: Path, keyed: bool) -> None:
    e = roll_election(f"sqlite:///{tmp_path / 'b.db'}", tmp_path / "keys", keyed=keyed)
    rec = e.board.state("voting", f"election/{ELECTION}")
    assert rec["phase"] == (d.OPENED if keyed else d.CEREMONY)
    assert rec["opens"] <= rfc3339(datetime.now(UTC)) < rec["closes"]
    assert e.keys.log().verifier().vkey() == e.board.log_verifier().vkey()
    assert e.keys.authority("ballot-box").verifier().public_key == (
        e.eb.box_signer.verifier().public_key
    )


def test_demo_board(tmp_path: Path) -> None:
    """The demo election is decided, the roll election open, both listed by the API."""
    demo = demo_board(f"sqlite:///{tmp_path / 'b.db'}", tmp_path / "keys", voters=2)
    c = TestClient(create_app(demo.board.store.url, demo.keys))
    phases = {e["id"]: e["phase"] for e in c.get("/api/v1/voting/elections").json()["elections"]}
    assert phases == {"demo-election": "decided", ROLL_ELECTION: "open"}
    _, body = demo.roll.ballot(0)
    r = post_json(c, f"/api/v1/voting/elections/{ROLL_ELECTION}/ballots", body)
    assert r.status_code == 201, r.text

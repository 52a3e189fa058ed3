"""The browser ballot code (webapp/static/js/ballot/) against the Python verifier.

- the node tests (webapp/js-tests/ballot*.test.js) pass: the JS reproduces the
  Python vectors of tests/vectors/ byte for byte;
- ballots made by the JS (webapp/js-tests/make-ballot.mjs) verify with
  crypto/contest.py and are accepted by a real board running a roll election;
  one byte changed in a ciphertext gets them refused, the board unchanged;
- with the same randomness, the JS and services/voting/ballot.py make the same
  bytes (ballot, hash, roll signature);
- the JS verifies the ballots and challenges the Python casting code made, and
  refuses tampered ones; the presentation header it builds is Python's;
- through the HTTP API, as the booth page posts them: a JS ballot is cast, the
  same with a changed ciphertext byte is a 4xx that writes nothing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey

from crypto.contest import verify_contest
from crypto.errors import InvalidEncoding
from crypto.group import Point
from services.voting.ballot import (
    ballot_hash,
    challenge_body,
    decode_contests,
    make_ballot,
    open_challenge,
    presentation_request,
    roll_eligibility,
    roll_voter,
)
from services.voting.casting import BALLOT, CHALLENGE
from services.voting.errors import (
    BallotChallenged,
    InvalidBallot,
    MalformedVotingEntry,
    NotEligible,
)
from services.voting.manifest import CredentialRule, manifest_hash, parse_eligibility
from services.voting.scenario import VOTING, ElectionBoard
from tests.services.voting.kit import opened, recoded, unchanged_after
from tests.vectors.generate_ballot_vectors import Stream
from tests.webapp.test_api_kit import is_error, post_json, roll_election, state_of

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"
NODE_TESTS = ("js-tests/ballot.test.js", "js-tests/ballot-booth.test.js")
MAKE_BALLOT = "js-tests/make-ballot.mjs"
ROLL = 4

# mayor (Alice, Bob, Carol, blank; 1..1), parks (yes, no; 1..1), council (4; 0..2)
CHOICES = [
    [[0, 1, 0, 0], [1, 0], [0, 1, 0, 1]],
    [[0, 0, 0, 1], [0, 1], [0, 0, 0, 0]],
    [[1, 0, 0, 0], [1, 0], [1, 1, 0, 0]],
    [[0, 0, 1, 0], [0, 1], [0, 0, 1, 0]],
]


def node() -> str:
    path = shutil.which("node")
    assert path is not None, "node (20) is needed for the browser code's tests"
    return path


def run_node(request: dict[str, Any]) -> Any:
    """make-ballot.mjs with ``request`` on stdin; its JSON answer."""
    proc = subprocess.run(
        [node(), MAKE_BALLOT],
        cwd=WEBAPP,
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_node_ballot_tests_pass() -> None:
    """node --test over the ballot tests: every vector reproduced, every tamper refused."""
    proc = subprocess.run(
        [node(), "--test", *NODE_TESTS],
        cwd=WEBAPP,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-4000:]
    assert "# fail 0" in proc.stdout
    assert "# pass 0" not in proc.stdout


# ------------------------------------------------------------- the election


class Election:
    """A roll election, open, on a SQLite board; what the booth page would load."""

    def __init__(self, eb: ElectionBoard) -> None:
        self.eb = eb
        info = eb.info
        key, context = info.keyed()
        self.key = key
        self.context = context
        self.shapes = info.shapes
        self.manifest = eb.manifest()
        assert manifest_hash(self.manifest) == info.manifest_hash
        self.page = {
            "manifest": self.manifest,
            "context": context.hex(),
            "joint_key": key.hex(),
        }

    def roll_seed(self, i: int) -> str:
        return bytes(self.eb.roll[i]).hex()

    def leaf(self, kind: str, body: dict[str, Any]) -> bytes:
        return self.eb.ballot_box.entry(kind, body, VOTING)

    def verify_contests(self, ballot: dict[str, Any]) -> None:
        """crypto/contest.py verify of every contest, under H_C and the voter."""
        prover = bytes.fromhex(ballot["voter"])
        contests = decode_contests(ballot["contests"], self.shapes)
        for shape, contest in zip(self.shapes, contests, strict=True):
            verify_contest(self.key, shape, contest, context=self.context, prover=prover)


@pytest.fixture(scope="module")
def election(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Election]:
    url = f"sqlite:///{tmp_path_factory.mktemp('js-ballot') / 'board.db'}"
    yield Election(opened(url, eligibility="roll", roll=ROLL))


@pytest.fixture(scope="module")
def js_ballots(election: Election) -> list[dict[str, Any]]:
    """Ballots the JS made for roll voters 0..3 (not yet posted)."""
    out = run_node(
        {
            "command": "make",
            **election.page,
            "ballots": [
                {"roll_key": election.roll_seed(i), "selections": CHOICES[i]} for i in range(ROLL)
            ],
        }
    )
    ballots: list[dict[str, Any]] = out["ballots"]
    assert len(ballots) == ROLL
    return ballots


def flip_in_ciphertext(text: str, decodable: bool) -> str:
    """``text`` (a contest's hex) with one byte of its first α changed.

    ``decodable``: the changed α is still a valid point (only the proofs can
    catch it); otherwise it is not a ristretto255 encoding (decoding refuses it).
    """
    data = bytearray.fromhex(text)
    for i in range(32):
        for mask in range(1, 256):
            data[i] ^= mask
            try:
                Point.from_bytes(bytes(data[:32]))
                valid = True
            except InvalidEncoding:
                valid = False
            if valid == decodable:
                return data.hex()
            data[i] ^= mask
    raise AssertionError("no such change of α")


# -------------------------------------------------- JS ballots, Python checks


def test_js_ballots_verify_with_crypto_contest(
    election: Election, js_ballots: list[dict[str, Any]]
) -> None:
    for i, (made, chosen) in enumerate(zip(js_ballots, CHOICES, strict=True)):
        ballot = made["body"]["ballot"]
        election.verify_contests(ballot)
        assert ballot_hash(ballot).hex() == made["ballot_hash"] == made["tracker"]
        assert made["selections"] == chosen
        assert ballot["voter"] == roll_voter(election.eb.roll[i].verify_key)


def test_js_ballot_one_byte_changed_in_transit_is_refused(
    election: Election, js_ballots: list[dict[str, Any]]
) -> None:
    """A changed ciphertext byte: refused (proof, or decoding), the board unchanged."""
    body = recoded(js_ballots[0]["body"])
    for decodable, error in ((True, InvalidBallot), (False, MalformedVotingEntry)):
        bad = recoded(body)
        bad["ballot"]["contests"][0] = flip_in_ciphertext(body["ballot"]["contests"][0], decodable)
        unchanged_after(election.eb, election.leaf(BALLOT, bad), error)
        # re-signed by its own voter, so only the cryptography can catch it
        resigned = {
            "ballot": bad["ballot"],
            "eligibility": roll_eligibility(election.eb.roll[0], ballot_hash(bad["ballot"])),
        }
        unchanged_after(election.eb, election.leaf(BALLOT, resigned), error)
    # one byte of a proof (a response scalar of the sum proof: the last byte is its top)
    bad = recoded(body)
    last = bytearray.fromhex(body["ballot"]["contests"][1])
    last[-1] ^= 0x01
    bad["ballot"]["contests"][1] = last.hex()
    unchanged_after(election.eb, election.leaf(BALLOT, bad), InvalidBallot)


def test_js_ballots_are_accepted_by_the_board(
    election: Election, js_ballots: list[dict[str, Any]]
) -> None:
    for made in js_ballots[:3]:
        receipt = election.eb.cast(made["body"])
        assert receipt.ballot == made["tracker"]
        assert election.eb.board.root()[0] == receipt.index + 1
    # the one whose eligibility claims another voter's key is refused
    other = recoded(js_ballots[3]["body"])
    other["eligibility"] = roll_eligibility(election.eb.roll[0], ballot_hash(other["ballot"]))
    unchanged_after(election.eb, election.leaf(BALLOT, other), NotEligible)


def test_js_challenge_is_accepted_and_opens_to_its_selections(election: Election) -> None:
    (made,) = run_node(
        {
            "command": "make",
            **election.page,
            "ballots": [{"roll_key": election.roll_seed(3), "selections": CHOICES[3]}],
        }
    )["ballots"]
    body = made["challenge"]
    contests = decode_contests(body["ballot"]["contests"], election.shapes)
    assert open_challenge(election.key, contests, body["nonces"], body["selections"]) == CHOICES[3]
    election.eb.board.append(election.leaf(CHALLENGE, body))
    # the page's own reading of the challenge, from the nonces alone
    (checked,) = run_node({"command": "verify", **election.page, "challenges": [body]})[
        "challenges"
    ]
    assert checked["ok"], checked
    assert [c["selections"] for c in checked["opened"]] == CHOICES[3]
    assert [c["chosen"] for c in checked["opened"]] == [["Carol"], ["no"], ["Frank"]]
    # a challenged ballot can never be cast
    unchanged_after(election.eb, election.leaf(BALLOT, made["body"]), BallotChallenged)


def test_js_and_python_make_the_same_bytes(election: Election) -> None:
    """Same randomness (the vectors' stream): the same ballot, hash and roll signature."""
    key = election.eb.roll[1]
    voter = roll_voter(key.verify_key)
    python = make_ballot(
        election.manifest["id"],
        election.key,
        election.context,
        election.shapes,
        voter,
        CHOICES[1],
        rng=Stream("js-cross-check"),
    )
    python_body = {"ballot": python.ballot, "eligibility": roll_eligibility(key, python.hash)}
    (made,) = run_node(
        {
            "command": "make",
            **election.page,
            "ballots": [
                {
                    "roll_key": election.roll_seed(1),
                    "selections": {"mayor": ["blank"], "parks": ["no"]},
                    "stream": "js-cross-check",
                }
            ],
        }
    )["ballots"]
    assert made["body"] == python_body
    assert made["ballot_hash"] == python.hash.hex()
    assert made["challenge"] == challenge_body(python)
    assert json.dumps(made["body"], sort_keys=True) == json.dumps(python_body, sort_keys=True)


# ------------------------------------------------ Python ballots, JS checks


def test_js_verifies_python_ballots_and_challenges(election: Election) -> None:
    eb = election.eb
    made = [eb.ballot(eb.roll[i], CHOICES[i]) for i in range(2)]
    bodies = [body for _, body in made]
    challenges = [challenge_body(m) for m, _ in made]
    tampered = recoded(bodies[0])
    tampered["ballot"]["contests"][2] = flip_in_ciphertext(
        bodies[0]["ballot"]["contests"][2], decodable=True
    )
    tampered["eligibility"] = roll_eligibility(eb.roll[0], ballot_hash(tampered["ballot"]))
    off_roll = SigningKey(bytes(32))
    stranger = make_ballot(
        election.manifest["id"],
        election.key,
        election.context,
        election.shapes,
        roll_voter(off_roll.verify_key),
        CHOICES[0],
    )
    stranger_body = {
        "ballot": stranger.ballot,
        "eligibility": roll_eligibility(off_roll, stranger.hash),
    }
    lying = recoded(challenges[1])
    lying["selections"][1] = [1, 0]
    out = run_node(
        {
            "command": "verify",
            **election.page,
            "ballots": [*bodies, tampered, stranger_body],
            "challenges": [*challenges, lying],
        }
    )
    good, bad, off = out["ballots"][:2], out["ballots"][2], out["ballots"][3]
    assert all(r["ok"] for r in good), good
    assert [r["hash"] for r in good] == [m.hash.hex() for m, _ in made]
    assert not bad["ok"] and bad["code"] == "invalid_ballot", bad
    assert not off["ok"] and off["code"] == "not_eligible", off
    opened_ok, lie = out["challenges"][:2], out["challenges"][2]
    assert [[c["selections"] for c in r["opened"]] for r in opened_ok] == CHOICES[:2]
    assert not lie["ok"] and lie["code"] == "invalid_challenge", lie


def test_presentation_header_is_pythons() -> None:
    manifest = {
        "id": "city-2026",
        "eligibility": {
            "type": "credential",
            "issuer": "cityhall",
            "schema": "eid",
            "attributes": {"region": "north", "district": 7},
            "predicates": [{"attribute": "birthDate", "op": "<=", "value": "2008-05-01"}],
            "date": "2026-05-01",
        },
    }
    rule = parse_eligibility(manifest["eligibility"])
    assert isinstance(rule, CredentialRule)
    h_b = bytes(range(32))
    request = presentation_request(rule, "city-2026", h_b)
    out = run_node({"command": "header", "manifest": manifest, "hash": h_b.hex()})
    assert out["request"] == request.to_json()
    assert bytes.fromhex(out["header"]) == request.presentation_header


def test_make_ballot_refuses_a_bad_request(election: Election) -> None:
    proc = subprocess.run(
        [node(), MAKE_BALLOT],
        cwd=WEBAPP,
        input=json.dumps(
            {
                "command": "make",
                **election.page,
                "context": "00" * 32,
                "ballots": [{"roll_key": election.roll_seed(0), "selections": CHOICES[0]}],
            }
        ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert "context" in proc.stderr and proc.stdout == ""


# ------------------------------------------------------- through the HTTP API


def test_js_ballots_through_the_api(tmp_path: Path) -> None:
    """The booth's path: load the election from the API, make ballots in JS, post them.

    A JS ballot is cast (201, its receipt names the JS tracker); the same voter's
    next ballot with one ciphertext byte changed in transit is a 4xx
    ``{"error", "detail"}`` and writes nothing; a JS challenge is accepted.
    """
    e = roll_election(f"sqlite:///{tmp_path / 'board.db'}", tmp_path / "keys")
    c = e.client()
    path = f"/api/v1/voting/elections/{e.eb.election}"
    detail = c.get(path).json()
    page = {"manifest": detail["manifest"], "context": detail["context"]}
    page["joint_key"] = detail["joint_key"]
    seeds = [bytes(k).hex() for k in e.voters]
    made = run_node(
        {
            "command": "make",
            **page,
            "ballots": [
                {"roll_key": seeds[0], "selections": CHOICES[0]},
                {"roll_key": seeds[1], "selections": CHOICES[1]},
                {"roll_key": seeds[2], "selections": CHOICES[2]},
            ],
        }
    )["ballots"]
    r = post_json(c, f"{path}/ballots", made[0]["body"])
    assert r.status_code == 201, r.text
    assert r.json()["ballot"] == made[0]["tracker"]

    for decodable in (True, False):
        bad = recoded(made[1]["body"])
        bad["ballot"]["contests"][0] = flip_in_ciphertext(bad["ballot"]["contests"][0], decodable)
        before = state_of(e.board)
        r = post_json(c, f"{path}/ballots", bad)
        assert is_error(r), (r.status_code, r.text)
        assert r.json()["error"] in ("invalid_ballot", "malformed_voting_entry"), r.text
        assert state_of(e.board) == before
    r = post_json(c, f"{path}/ballots", made[1]["body"])
    assert r.status_code == 201, r.text

    r = post_json(c, f"{path}/challenges", made[2]["challenge"])
    assert r.status_code == 201, r.text
    assert r.json()["selections"] == CHOICES[2]
    assert r.json()["ballot"] == made[2]["tracker"]

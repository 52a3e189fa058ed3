"""The voting API: an election run through it (cast, challenge, receipts, drafts signed on the
client, record, verification), and every bad input answered with a 4xx that writes nothing."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from nacl.signing import SigningKey

from ledger.merkle import leaf_hash
from ledger.note import Signer
from services.identity.board_data import BoardData
from services.voting import domain as d
from services.voting.ballot import challenge_body
from services.voting.casting import roll_ballot
from services.voting.ceremony import joint_key_body
from services.voting.tally import tally_body
from services.voting.verifier import verify_record
from tests.webapp.test_api_kit import (
    ELECTION,
    Election,
    commit_and_reveal,
    is_error,
    post_bytes,
    post_json,
    roll_election,
    signed,
    state_of,
)
from webapp.app import create_app
from webapp.keystore import KeyStore

API = "/api/v1/voting"
EL = f"{API}/elections/{ELECTION}"
MAYOR_ALICE = [[1, 0, 0, 0], [1, 0], [0, 0, 0, 0]]
MAYOR_BOB = [[0, 1, 0, 0], [0, 1], [1, 1, 0, 0]]
BLANK = [[0, 0, 0, 1], [1, 0], [0, 0, 1, 0]]


@pytest.fixture
def election(db_url: str, tmp_path: Path) -> Election:
    return roll_election(db_url, tmp_path / "keys")


@pytest.fixture
def client(election: Election) -> TestClient:
    return election.client()


def post_entry(client: TestClient, leaf: bytes) -> dict[str, Any]:
    r = post_bytes(client, "/api/v1/board/entries", leaf)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_election_through_the_api(db_url: str, tmp_path: Path) -> None:
    e = roll_election(db_url, tmp_path / "keys", keyed=False)
    c = e.client()
    eb = e.eb
    r = c.get(f"{API}/elections")
    assert r.status_code == 200
    [row] = r.json()["elections"]
    assert row["id"] == ELECTION and row["phase"] == "ceremony" and row["eligibility"] == "roll"
    assert (row["ballots"], row["counted"], row["challenged"]) == (0, 0, 0)

    # the ceremony: trustees commit and reveal, the official signs the joint key draft
    assert is_error(c.get(f"{EL}/drafts/tally"), 409)
    commit_and_reveal(eb)
    detail = c.get(EL).json()
    assert [t["committed"] and t["revealed"] for t in detail["trustees"]] == [True] * 3
    assert [t["name"] for t in detail["trustees"]] == ["trustee-1", "trustee-2", "trustee-3"]
    assert detail["joint_key"] is None and detail["context"] is None
    draft = c.get(f"{EL}/drafts/joint_key").json()
    assert draft == {"kind": d.JOINT_KEY, "body": joint_key_body(eb.data, ELECTION)}
    post_entry(c, signed(eb.official, draft["kind"], draft["body"]))
    for t in eb.trustees.values():
        t.secret_share(eb.data)
    post_entry(c, signed(eb.official, d.OPEN, {"election": ELECTION}, e.opens))
    detail = c.get(EL).json()
    assert detail["phase"] == "open"
    assert detail["joint_key"] == draft["body"]["public_key"]
    assert detail["context"] == draft["body"]["context"]
    assert [t["qualified"] for t in detail["trustees"]] == [True] * 3
    assert detail["manifest"]["opens"] == e.opens

    # voters cast (voter 0 twice: the last counts), voter 3 challenges a ballot first
    receipts = []
    for voter, choice in [(0, MAYOR_ALICE), (1, MAYOR_BOB), (2, BLANK), (0, MAYOR_BOB)]:
        _, body = e.ballot(voter, choice)
        r = post_json(c, f"{EL}/ballots", body)
        assert r.status_code == 201, r.text
        receipts.append(r.json())
    audited, audited_body = e.ballot(3, MAYOR_ALICE)
    r = post_json(c, f"{EL}/challenges", challenge_body(audited))
    assert r.status_code == 201, r.text
    ch = r.json()
    assert ch["selections"] == MAYOR_ALICE and ch["ballot"] == audited.hash.hex()
    before = state_of(e.board)
    r = post_json(c, f"{EL}/ballots", audited_body)
    assert is_error(r, 409) and r.json()["error"] == "ballot_challenged"
    assert state_of(e.board) == before
    _, body = e.ballot(3, MAYOR_BOB)
    r = post_json(c, f"{EL}/ballots", body)
    assert r.status_code == 201
    receipts.append(r.json())

    # every receipt checks; the replaced one is no longer counted
    counted = []
    for rc in receipts:
        r = post_json(c, f"{API}/receipts/check", rc)
        assert r.status_code == 200, r.text
        res = r.json()
        assert res["valid"] is True and res["detail"] is None, res
        assert res["checked_to"] >= res["size"] == rc["inclusion"]["size"]
        counted.append(res["counted"])
    assert counted == [False, True, True, True, True]

    # lists, turnout
    rows = c.get(f"{EL}/ballots").json()
    assert rows["total"] == 5 and rows["next"] is None
    assert [b["tracker"] for b in rows["ballots"]] == [rc["tracker"] for rc in receipts]
    assert [b["index"] for b in rows["ballots"]] == [rc["index"] for rc in receipts]
    assert [b["counted"] for b in rows["ballots"]] == counted
    page = c.get(f"{EL}/ballots", params={"limit": 2, "start": receipts[1]["index"]}).json()
    assert [b["index"] for b in page["ballots"]] == [receipts[1]["index"], receipts[2]["index"]]
    assert page["next"] == receipts[3]["index"]
    chs = c.get(f"{EL}/challenges").json()
    assert chs["total"] == 1
    assert chs["challenges"][0]["selections"] == MAYOR_ALICE
    assert chs["challenges"][0]["tracker"] == ch["tracker"]
    t = c.get(f"{EL}/turnout", params={"bucket": 3600}).json()
    assert (t["ballots"], t["challenges"], t["bucket"]) == (5, 1, 3600)
    assert len(t["series"]) == 25 and t["series"][0]["start"] == e.opens
    assert sum(b["ballots"] for b in t["series"]) == 5
    assert sum(b["challenges"] for b in t["series"]) == 1
    assert sum(b["ballots"] for b in t["series"][1:2]) == 5  # cast in the second hour
    auto = c.get(f"{EL}/turnout").json()
    assert auto["bucket"] == 900 and len(auto["series"]) == 100
    summary = c.get(EL).json()
    assert (summary["ballots"], summary["counted"], summary["challenged"]) == (5, 4, 1)

    # close (the official's claim of the closing time), tally, partials, result: all signed
    # on the client and posted as entries; the drafts are the board's own computation
    assert is_error(c.get(f"{EL}/drafts/result"), 409)
    post_entry(c, signed(eb.official, d.CLOSE, {"election": ELECTION}, e.closes))
    _, late = e.ballot(2, MAYOR_ALICE)
    r = post_json(c, f"{EL}/ballots", late)
    assert is_error(r, 409) and r.json()["error"] == "wrong_phase"
    draft = c.get(f"{EL}/drafts/tally").json()
    assert draft == {"kind": d.TALLY, "body": tally_body(eb.data, ELECTION)}
    assert draft["body"]["ballots"] == 4
    post_entry(c, signed(eb.official, draft["kind"], draft["body"]))
    for j in (1, 2, 3):
        part = eb.trustees[j].partial_body(eb.data)
        post_entry(c, signed(eb.trustee_signers[j - 1], d.PARTIAL, part))
    draft = c.get(f"{EL}/drafts/result").json()
    assert draft["kind"] == d.RESULT and draft["body"]["used"] == [1, 2]
    post_entry(c, signed(eb.official, draft["kind"], draft["body"]))
    detail = c.get(EL).json()
    assert detail["phase"] == "decided"
    totals = {t["contest"]: t["counts"] for t in detail["result"]["totals"]}
    # counted: voter 0 Bob, voter 1 Bob, voter 2 blank, voter 3 Bob
    assert totals["mayor"] == {"Alice": 0, "Bob": 3, "Carol": 0, "blank": 1}
    assert totals["parks"] == {"yes": 1, "no": 3}
    assert totals["council"] == {"Dana": 3, "Eve": 3, "Frank": 1, "Gus": 0}
    assert [p["partial"]["valid"] for p in detail["trustees"]] == [True] * 3
    assert detail["tally"]["ballots"] == 4

    # the record verifies, here and independently
    record = c.get(f"{EL}/record")
    assert record.status_code == 200
    doc = record.json()
    assert doc["type"] == "PnyxElectionRecord" and len(doc["election_entries"]["ballots"]) == 5
    assert verify_record(doc, e.board.log_verifier().vkey(), workers=1).status == "valid"
    report = c.get(f"{EL}/verification").json()
    assert report["status"] == "valid" and report["election"] == ELECTION
    assert [s["step"] for s in report["steps"]][:2] == ["V1", "V2"]
    assert all(s["passed"] for s in report["steps"])
    assert c.get(f"{EL}/verification").json() == report  # cached at this size


def test_no_ballot_box(election: Election) -> None:
    """Without the key folder (or without the ballot box key) a ballot is a 409, never a 5xx."""
    _, body = election.ballot(0)
    made, _ = election.ballot(1)
    before = state_of(election.board)
    c = election.client(keys=False)
    for path, doc in [(f"{EL}/ballots", body), (f"{EL}/challenges", challenge_body(made))]:
        r = post_json(c, path, doc)
        assert is_error(r, 409) and r.json()["error"] == "no_ballot_box", r.text
    election.keys.remove_authority("ballot-box")
    r = post_json(election.client(), f"{EL}/ballots", body)
    assert is_error(r, 409) and r.json()["error"] == "no_ballot_box"
    assert state_of(election.board) == before


def test_unregistered_ballot_box(election: Election, tmp_path: Path) -> None:
    """A ballot box key that is not a ballot_box authority of this board is a 409."""
    other = KeyStore(tmp_path / "other")
    other.save_log(election.eb.log)
    other.save_authority(Signer.generate("ballot-box"))
    _, body = election.ballot(0)
    before = state_of(election.board)
    c = TestClient(create_app(election.board.store.url, other), raise_server_exceptions=False)
    r = post_json(c, f"{EL}/ballots", body)
    assert is_error(r, 409) and r.json()["error"] == "no_ballot_box"
    assert state_of(election.board) == before


def _flip(hex_text: str, byte: int) -> str:
    raw = bytearray(bytes.fromhex(hex_text))
    raw[byte] ^= 0x01
    return raw.hex()


def test_a_ballot_changed_in_transit_is_refused(election: Election, client: TestClient) -> None:
    """A one-byte change anywhere in the ciphertexts or proofs (or the eligibility) is a 4xx."""
    _, body = election.ballot(0)
    size = len(bytes.fromhex(body["ballot"]["contests"][0]))
    before = state_of(election.board)
    codes = set()
    for byte in [0, 31, 32, 63, 64, 200, size // 2, size - 1]:
        bad = copy.deepcopy(body)
        bad["ballot"]["contests"][0] = _flip(bad["ballot"]["contests"][0], byte)
        r = post_json(client, f"{EL}/ballots", bad)
        assert is_error(r) and r.status_code in (400, 422), (byte, r.text)
        codes.add(r.json()["error"])
    bad = copy.deepcopy(body)
    bad["eligibility"]["signature"] = _flip(bad["eligibility"]["signature"], 5)
    r = post_json(client, f"{EL}/ballots", bad)
    assert is_error(r, 422) and r.json()["error"] == "not_eligible"
    assert codes <= {"invalid_ballot", "malformed_voting_entry"} and "invalid_ballot" in codes
    assert state_of(election.board) == before
    assert post_json(client, f"{EL}/ballots", body).status_code == 201  # the original is fine


def _bad_casts(e: Election) -> list[tuple[str, Any, int, str]]:
    made, body = e.ballot(0)
    other = copy.deepcopy(body)
    other["ballot"]["election"] = "other-2026"
    extra = {**body, "more": 1}
    wrong_voter = copy.deepcopy(body)
    wrong_voter["ballot"]["voter"] = "ab" * 32
    short = copy.deepcopy(body)
    short["ballot"]["contests"] = short["ballot"]["contests"][:2]
    _, stranger = roll_ballot(e.eb.data, SigningKey.generate(), ELECTION, MAYOR_ALICE)
    over = copy.deepcopy(body)
    over["ballot"]["version"] = 2
    return [
        ("not an object", [1, 2], 400, "bad_body"),
        ("missing eligibility", {"ballot": body["ballot"]}, 400, "bad_body"),
        ("extra member", extra, 400, "bad_body"),
        ("other election", other, 400, "bad_body"),
        ("ballot not an object", {"ballot": 5, "eligibility": {}}, 400, "malformed_voting_entry"),
        ("version 2", over, 400, "malformed_voting_entry"),
        ("wrong contests", short, 400, "malformed_voting_entry"),
        ("proof for another voter", wrong_voter, 422, "invalid_ballot"),
        ("not on the roll", stranger, 422, "not_eligible"),
        ("no eligibility", {"ballot": body["ballot"], "eligibility": {}}, 422, "not_eligible"),
        ("eligibility not an object", {**body, "eligibility": []}, 422, "not_eligible"),
        ("challenge body", challenge_body(made), 400, "bad_body"),
        ("unknown election path", body, 404, "unknown_election"),
    ]


def test_bad_ballots_are_4xx_and_write_nothing(election: Election, client: TestClient) -> None:
    before = state_of(election.board)
    for name, doc, status, code in _bad_casts(election):
        path = (
            f"{API}/elections/nope/ballots" if name == "unknown election path" else f"{EL}/ballots"
        )
        r = post_json(client, path, doc)
        assert is_error(r, status), (name, r.status_code, r.text)
        assert r.json()["error"] == code, (name, r.text)
    raw = [
        ("not JSON", b"{", 400, "bad_body"),
        ("duplicate member", b'{"ballot":{},"ballot":{},"eligibility":{}}', 400, "bad_body"),
        ("a float", b'{"ballot":{"version":1.0},"eligibility":{}}', 400, "bad_body"),
        ("NaN", b'{"ballot":NaN,"eligibility":{}}', 400, "bad_body"),
        ("not UTF-8", b'{"ballot":"\xff","eligibility":{}}', 400, "bad_body"),
        ("lone surrogate", b'{"ballot":"\\ud800","eligibility":{}}', 400, "malformed_voting_entry"),
        ("empty", b"", 400, "bad_body"),
        ("huge integer", b'{"ballot":' + b"7" * 5000 + b',"eligibility":{}}', 400, "bad_body"),
    ]
    for name, data, status, code in raw:
        r = post_bytes(client, f"{EL}/ballots", data)
        assert is_error(r, status), (name, r.text)
        assert r.json()["error"] == code, (name, r.text)
    _, body = election.ballot(0)
    r = client.post(
        f"{EL}/ballots", content=json.dumps(body), headers={"content-type": "text/plain"}
    )
    assert is_error(r, 415)
    r = client.post(f"{EL}/ballots", data={"ballot": "x"})
    assert is_error(r, 415)
    for bad_id in ["UPPER", "-x", "a" * 65, "a b"]:
        r = post_json(client, f"{API}/elections/{bad_id}/ballots", body)
        assert is_error(r, 400) or is_error(r, 404), (bad_id, r.text)
    assert state_of(election.board) == before


def test_replays_are_409(election: Election, client: TestClient) -> None:
    _, body = election.ballot(0)
    r = post_json(client, f"{EL}/ballots", body)
    assert r.status_code == 201
    before = state_of(election.board)
    r = post_json(client, f"{EL}/ballots", body)
    assert is_error(r, 409) and r.json()["error"] in ("ballot_replayed", "duplicate_entry")
    # the entry the ballot box wrote, posted again by anyone
    leaf = client.get(f"/api/v1/board/entries/{before[0] - 1}").json()["leaf"]
    r = post_bytes(client, "/api/v1/board/entries", base64.b64decode(leaf))
    assert is_error(r, 409) and r.json()["error"] == "duplicate_entry"
    made, _ = election.ballot(1)
    assert post_json(client, f"{EL}/challenges", challenge_body(made)).status_code == 201
    after_challenge = state_of(election.board)
    r = post_json(client, f"{EL}/challenges", challenge_body(made))
    assert is_error(r, 409)
    assert state_of(election.board) == after_challenge


def test_deny_revote_is_409(db_url: str, tmp_path: Path) -> None:
    e = roll_election(db_url, tmp_path / "keys", voters=2, revote="deny")
    c = e.client()
    assert post_json(c, f"{EL}/ballots", e.ballot(0, MAYOR_ALICE)[1]).status_code == 201
    before = state_of(e.board)
    r = post_json(c, f"{EL}/ballots", e.ballot(0, MAYOR_BOB)[1])
    assert is_error(r, 409) and r.json()["error"] == "already_voted"
    assert state_of(e.board) == before


def test_bad_challenges(election: Election, client: TestClient) -> None:
    made, _ = election.ballot(0, MAYOR_ALICE)
    good = challenge_body(made)
    lie = copy.deepcopy(good)
    lie["selections"][0] = [0, 1, 0, 0]  # claims Bob: the nonces do not open that
    short = copy.deepcopy(good)
    short["nonces"] = short["nonces"][:1]
    bad_nonce = copy.deepcopy(good)
    bad_nonce["nonces"][0][0] = "ff" * 32
    before = state_of(election.board)
    for name, doc, status in [
        ("lie", lie, 422),
        ("short", short, 400),
        ("non-canonical nonce", bad_nonce, 400),
        ("cast body", {"ballot": good["ballot"], "eligibility": {}}, 400),
    ]:
        r = post_json(client, f"{EL}/challenges", doc)
        assert is_error(r, status), (name, r.text)
    assert state_of(election.board) == before


def test_receipt_checks(election: Election, client: TestClient) -> None:
    _, body = election.ballot(0)
    receipt = post_json(client, f"{EL}/ballots", body).json()
    ok = post_json(client, f"{API}/receipts/check", receipt).json()
    assert ok["valid"] is True and ok["counted"] is True
    wrong = [
        ("tracker", {**receipt, "tracker": "00" * 32,
                     "inclusion": {**receipt["inclusion"], "leaf_hash": "00" * 32}}),
        ("ballot", {**receipt, "ballot": "11" * 32}),
        ("checkpoint", {**receipt, "checkpoint": receipt["checkpoint"].replace("\n\n", "\n\nx")}),
        ("path", {**receipt, "inclusion": {
            **receipt["inclusion"], "path": ["22" * 32] * len(receipt["inclusion"]["path"])}}),
    ]  # fmt: skip
    for name, doc in wrong:
        r = post_json(client, f"{API}/receipts/check", doc)
        assert r.status_code == 200, (name, r.text)
        assert r.json()["valid"] is False and r.json()["detail"], (name, r.text)
    for name, doc in [
        ("not a receipt", {"hello": 1}),
        ("array", []),
        ("mismatched index", {**receipt, "index": receipt["index"] + 1}),
        ("negative", {**receipt, "index": -1, "inclusion": {**receipt["inclusion"], "index": -1}}),
        (
            "huge",
            {**receipt, "index": 2**70, "inclusion": {**receipt["inclusion"], "index": 2**70}},
        ),
        ("size below index", {**receipt, "inclusion": {**receipt["inclusion"], "size": 0}}),
        ("wrong type", {**receipt, "type": "Other"}),
    ]:
        r = post_json(client, f"{API}/receipts/check", doc)
        assert is_error(r, 400), (name, r.text)


def test_reads_of_unknown_or_bad_elections(election: Election, client: TestClient) -> None:
    for path in ["", "/ballots", "/challenges", "/turnout", "/record", "/verification",
                 "/drafts/tally"]:  # fmt: skip
        r = client.get(f"{API}/elections/nope{path}")
        assert is_error(r, 404) and r.json()["error"] == "unknown_election", (path, r.text)
        r = client.get(f"{API}/elections/NOPE{path}")
        assert is_error(r, 400), (path, r.text)
    for params in [{"bucket": 59}, {"bucket": 0}, {"bucket": "x"}, {"bucket": 10**12}]:
        assert is_error(client.get(f"{EL}/turnout", params=params), 400), params
    assert is_error(client.get(f"{EL}/drafts/nope"), 400)
    assert is_error(client.get(f"{EL}/drafts/joint_key"), 409)
    for params in [{"limit": 0}, {"limit": 1001}, {"start": -1}, {"start": 2**63}]:
        assert is_error(client.get(f"{EL}/ballots", params=params), 400), params


def test_record_of_an_open_election(election: Election, client: TestClient) -> None:
    """Mid-election, the record exports and the verifier finds nothing wrong in what exists."""
    _, body = election.ballot(0)
    assert post_json(client, f"{EL}/ballots", body).status_code == 201
    report = client.get(f"{EL}/verification").json()
    assert report["status"] in ("valid", "incomplete")
    assert not [f for s in report["steps"] for f in s["findings"] if f["severity"] == "invalid"]
    record = client.get(f"{EL}/record").json()
    trackers = [leaf_hash(base64.b64decode(b["leaf"])).hex()
                for b in record["election_entries"]["ballots"]]  # fmt: skip
    assert trackers == [b["tracker"] for b in client.get(f"{EL}/ballots").json()["ballots"]]


def test_record_needs_a_checkpoint(election: Election) -> None:
    """No checkpoint covers the election and the server holds no log key: 409, nothing signed."""
    c = election.client(keys=False)
    for path in ["/record", "/verification"]:
        r = c.get(f"{EL}{path}")
        assert is_error(r, 409) and r.json()["error"] == "export_failed", r.text
    with election.board.store.read() as tx:
        assert tx.checkpoints() == []
    assert election.client().get(f"{EL}/record").status_code == 200  # the log key signs one


def test_drafts_match_the_services(election: Election, client: TestClient) -> None:
    for j in (1, 2):
        _, body = election.ballot(j)
        assert post_json(client, f"{EL}/ballots", body).status_code == 201
    election.eb.post(election.eb.official, d.CLOSE, {"election": ELECTION}, election.closes)
    data = BoardData.from_board(election.board)
    assert client.get(f"{EL}/drafts/tally").json()["body"] == tally_body(data, ELECTION)

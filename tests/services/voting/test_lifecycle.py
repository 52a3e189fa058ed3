"""An election end to end, ceremony complaints, roll elections, re-votes, receipts, manifests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nacl.bindings as sodium
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from crypto.group import Scalar
from crypto.threshold import Dealing
from ledger.errors import DomainRejection
from services.voting import domain as d
from services.voting.ballot import ballot_body, make_ballot, roll_eligibility, roll_voter
from services.voting.ceremony import Trustee, joint_key_body
from services.voting.errors import (
    CeremonyRejection,
    ElectionExists,
    MalformedVotingEntry,
    NotEligible,
    NotTheTrustee,
    UnknownElection,
    WindowPassed,
    WrongPhase,
)
from services.voting.manifest import Manifest
from services.voting.receipt import Receipt, ReceiptInvalid, check_receipt
from services.voting.scenario import AFTER, VOTING, ElectionBoard, run_election
from tests.services.voting.kit import opened, unchanged_after

CHOICE = [[0, 1, 0, 0], [0, 1], [1, 0, 0, 1]]


def test_happy_path_absent_trustee_and_bad_partial(db_url: str) -> None:
    r = run_election(db_url, voters=6, trustees=4, threshold=2, challenges=2, revotes=2, seed=3)
    assert r.ok, (r.intended, r.totals)
    assert r.absent == 4 and r.bad == 1
    assert r.result.used == [2, 3]
    assert (
        r.result.excluded[0]["trustee"] == 1 and "does not verify" in r.result.excluded[0]["reason"]
    )
    assert r.board.replay() == [] and r.board.verify() == []
    rec = r.board.state("voting", f"election/{r.election}")
    assert rec["phase"] == "decided"
    assert r.board.state("voting", f"keys/{r.election}")["qualified"] == [1, 2, 3]
    assert r.board.state("voting", f"result/{r.election}")["totals"] == r.totals
    assert sum(r.intended[1]) == 6  # one counted ballot per voter
    counted = [check_receipt(x, r.board).counted for x in r.receipts]
    assert counted.count(True) == 6 and counted.count(False) == 2  # replaced by re-votes


def test_ceremony_complaints_disqualify_a_cheating_dealer(tmp_path: Path) -> None:
    eb = ElectionBoard(f"sqlite:///{tmp_path / 'b.db'}", trustees=4, threshold=2)
    eb.create()
    ts = {j: Trustee(eb.election, j, eb.boxes[j - 1]) for j in range(1, 5)}
    for j, t in ts.items():
        eb.post(eb.trustee_signers[j - 1], d.TRUSTEE_COMMIT, t.commit_body(eb.data))
    # dealer 2 seals trustee 3 a share that does not match its commitments
    body = ts[2].reveal_body(eb.data)
    dealing = Dealing.from_bytes(bytes.fromhex(body["dealing"]))
    boxes = dict(dealing.boxes)
    tag = b"pnyx/vss-share/v1"
    wrong = (
        len(tag).to_bytes(4, "big")
        + tag
        + eb.info.manifest_hash
        + (2).to_bytes(4, "big")
        + (3).to_bytes(4, "big")
        + Scalar.from_int(12345).to_bytes()
    )
    boxes[3] = sodium.crypto_box_seal(wrong, eb.boxes[2].public)
    body["dealing"] = Dealing(2, boxes).to_bytes().hex()
    for j, t in ts.items():
        eb.post(
            eb.trustee_signers[j - 1], d.TRUSTEE_REVEAL, body if j == 2 else t.reveal_body(eb.data)
        )
    # no more commitments after a reveal; no second reveal
    leaf = eb.entry(
        eb.trustee_signers[0], d.TRUSTEE_COMMIT, ts[1].commit_body(eb.data), "2026-04-21T00:00:00Z"
    )
    unchanged_after(eb, leaf, CeremonyRejection, "closed")
    complaints = ts[3].complaint_bodies(eb.data)
    assert len(complaints) == 1
    # only trustee 3 may post its complaint
    leaf = eb.entry(eb.trustee_signers[0], d.TRUSTEE_COMPLAINT, complaints[0])
    unchanged_after(eb, leaf, NotTheTrustee, "trustee 3")
    eb.post(eb.trustee_signers[2], d.TRUSTEE_COMPLAINT, complaints[0])
    # the box opens under the revealed key but holds trustee 4's share: dealer 2 at fault
    assert eb.data.get("voting", f"complaint/{eb.election}/2/3")["verdict"] == "dealer-at-fault"
    assert "trustee 3" in eb.data.get("voting", f"fault/{eb.election}/2")
    jk = joint_key_body(eb.data, eb.election)
    assert jk["qualified"] == [1, 3, 4]
    wrong = {**jk, "qualified": [1, 2, 3, 4]}
    unchanged_after(eb, eb.entry(eb.official, d.JOINT_KEY, wrong), CeremonyRejection, "[1, 3, 4]")
    eb.post(eb.official, d.JOINT_KEY, jk)
    eb.trustees = ts
    for t in ts.values():
        t.secret_share(eb.data)
    eb.open()
    for _ in range(2):
        eb.cast(eb.ballot(eb.credential(), CHOICE)[1])
    eb.close()
    eb.tally()
    eb.partial(2)  # the disqualified dealer still holds a share of the others' polynomials
    eb.partial(4)
    _, result = eb.result()
    assert result.totals == [[0, 2, 0, 0], [0, 2], [2, 0, 0, 2]]


def test_answered_complaint_keeps_the_dealer(tmp_path: Path) -> None:
    eb = ElectionBoard(f"sqlite:///{tmp_path / 'b.db'}", trustees=3, threshold=2)
    eb.create()
    ts = {j: Trustee(eb.election, j, eb.boxes[j - 1]) for j in range(1, 4)}
    for j, t in ts.items():
        eb.post(eb.trustee_signers[j - 1], d.TRUSTEE_COMMIT, t.commit_body(eb.data))
    for j, t in ts.items():
        eb.post(eb.trustee_signers[j - 1], d.TRUSTEE_REVEAL, t.reveal_body(eb.data))
    # trustee 1 complains with a wrong box key: the dealer must answer in public
    complaint = (2).to_bytes(4, "big") + (1).to_bytes(4, "big") + bytes(32)
    eb.post(
        eb.trustee_signers[0],
        d.TRUSTEE_COMPLAINT,
        {"election": eb.election, "complaint": complaint.hex()},
    )
    assert eb.data.get("voting", f"complaint/{eb.election}/2/1")["verdict"] == "answer-required"
    assert joint_key_body(eb.data, eb.election)["qualified"] == [1, 3]
    answers = ts[2].answer_bodies(eb.data)
    assert len(answers) == 1
    eb.post(eb.trustee_signers[1], d.TRUSTEE_ANSWER, answers[0])
    assert eb.data.get("voting", f"complaint/{eb.election}/2/1")["verdict"] == "answered"
    eb.post(eb.official, d.JOINT_KEY, joint_key_body(eb.data, eb.election))
    assert eb.data.get("voting", f"keys/{eb.election}")["qualified"] == [1, 2, 3]
    eb.trustees = ts
    for t in ts.values():
        t.secret_share(eb.data)  # trustee 1 takes dealer 2's share from the answer
    eb.open()
    eb.cast(eb.ballot(eb.credential(), CHOICE)[1])
    eb.close()
    eb.tally()
    eb.partial(1)
    eb.partial(3)
    assert eb.result()[1].totals == [[0, 1, 0, 0], [0, 1], [1, 0, 0, 1]]


def test_roll_election_with_revotes(db_url: str) -> None:
    eb = opened(db_url, eligibility="roll", roll=3, revote="last")
    a, b, c = eb.roll
    eb.cast(eb.ballot(a, CHOICE)[1])
    eb.cast(eb.ballot(b, CHOICE)[1])
    eb.cast(eb.ballot(a, [[1, 0, 0, 0], [1, 0], [0, 0, 0, 0]])[1])  # a's last ballot counts
    stranger = SigningKey.generate()
    key, context = eb.info.keyed()
    made = make_ballot(
        eb.election, key, context, eb.info.shapes, roll_voter(stranger.verify_key), CHOICE
    )
    body = ballot_body(made.ballot, roll_eligibility(stranger, made.hash))
    e = unchanged_after(eb, eb.ballot_box.entry(d.BALLOT, body, VOTING), NotEligible, "roll")
    assert isinstance(e, NotEligible) and e.reason == "not_on_roll"
    # c's signature on a's ballot
    made_a, _ = eb.ballot(a, CHOICE)
    forged = ballot_body(made_a.ballot, roll_eligibility(c, made_a.hash))
    unchanged_after(eb, eb.ballot_box.entry(d.BALLOT, forged, VOTING), NotEligible, "voter")
    eb.close()
    eb.tally()
    for j in (1, 2):
        eb.partial(j)
    _, result = eb.result()
    assert result.totals == [[1, 1, 0, 0], [1, 1], [1, 0, 0, 1]]
    assert result.ballots == 2


def test_receipts_against_the_board_exported_entries_and_a_newer_checkpoint(tmp_path: Path) -> None:
    eb = opened(f"sqlite:///{tmp_path / 'b.db'}")
    receipt = eb.cast(eb.ballot(eb.credential(), CHOICE)[1])
    doc = json.loads(json.dumps(receipt.to_json()))
    assert check_receipt(doc, eb.board).counted is True
    eb.cast(eb.ballot(eb.credential(), CHOICE)[1])
    newer = eb.board.sign_checkpoint(eb.log)
    leaves = [leaf for _, leaf in eb.board.entries(0, eb.board.size())]
    checked = check_receipt(receipt, leaves, eb.log.verifier(), newer)
    assert checked.checked_to == eb.board.size() and checked.counted is None
    with pytest.raises(ReceiptInvalid, match="log key"):
        check_receipt(receipt, leaves)
    bad: dict[str, Any] = json.loads(json.dumps(doc))
    bad["ballot"] = "00" * 32
    with pytest.raises(ReceiptInvalid, match=r"3\. "):
        check_receipt(bad, eb.board)
    bad = json.loads(json.dumps(doc))
    bad["inclusion"]["path"][0] = "11" * 32
    with pytest.raises(ReceiptInvalid, match=r"2\. "):
        check_receipt(bad, eb.board)
    bad = json.loads(json.dumps(doc))
    bad["checkpoint"] = bad["checkpoint"].replace("\n\n", "\nx\n\n", 1)
    with pytest.raises(ReceiptInvalid, match=r"1\. "):
        check_receipt(bad, eb.board)
    # a forked log: the receipt's entry is gone from the exported entries
    with pytest.raises(ReceiptInvalid):
        check_receipt(
            receipt, leaves[: receipt.index] + leaves[receipt.index + 1 :], eb.log.verifier()
        )
    assert Receipt.from_json(doc) == receipt


def test_out_of_phase_and_unknown_election(db_url: str) -> None:
    eb = ElectionBoard(db_url)
    eb.create()
    again = eb.entry(eb.official, d.ELECTION, eb.manifest(), "2026-04-21T00:00:00Z")
    unchanged_after(eb, again, ElectionExists, "exists")
    unchanged_after(
        eb, eb.entry(eb.official, d.OPEN, {"election": eb.election}), WrongPhase, "keyed"
    )
    unchanged_after(
        eb, eb.entry(eb.official, d.OPEN, {"election": "nope"}), UnknownElection, "nope"
    )
    eb.ceremony()
    leaf = eb.entry(eb.official, d.OPEN, {"election": eb.election}, "2026-05-01T06:00:00Z")
    unchanged_after(eb, leaf, WrongPhase, "opens")
    eb.open()
    leaf = eb.entry(eb.official, d.CLOSE, {"election": eb.election}, VOTING)
    unchanged_after(eb, leaf, WrongPhase, "closes")
    unchanged_after(
        eb,
        eb.entry(eb.official, d.TALLY, {"election": eb.election, "ballots": 0, "tally": []}, AFTER),
        WrongPhase,
        "open",
    )
    eb.close()
    leaf = eb.entry(
        eb.official, d.TALLY, {"election": eb.election, "ballots": 0, "tally": []}, AFTER
    )
    unchanged_after(eb, leaf, DomainRejection, "no counted ballot")


def test_manifest_whose_window_has_passed_is_refused_and_burns_no_id(db_url: str) -> None:
    eb = ElectionBoard(db_url)
    late = eb.entry(eb.official, d.ELECTION, eb.manifest(), "2026-05-01T19:00:00Z")
    unchanged_after(eb, late, WindowPassed, "closed at 2026-05-01T19:00:00Z")
    eb.create()  # the same id, in time, is accepted: nothing was burnt


def test_manifest_validation(tmp_path: Path) -> None:
    eb = ElectionBoard(f"sqlite:///{tmp_path / 'b.db'}")
    good = eb.manifest()
    assert Manifest.from_json(good).to_json() == good
    cases: list[tuple[str, Any, str]] = [
        ("threshold", 4, "threshold"),
        ("revote", "sometimes", "revote"),
        ("opens", "2026-05-02T00:00:00Z", "before"),
        ("id", "Bad Id", "election id"),
        ("contests", [], "contests"),
    ]
    for field, value, word in cases:
        with pytest.raises(MalformedVotingEntry, match=word):
            Manifest.from_json({**good, field: value})
    over = json.loads(json.dumps(good))
    over["contests"][0]["max"] = 9
    with pytest.raises(MalformedVotingEntry, match="max"):
        Manifest.from_json(over)
    # on the board: an unknown schema, a trustee without the role, an attribute not in the schema
    for change, word in [
        (lambda m: m["eligibility"].update(schema="nope"), "no schema"),
        (lambda m: m["trustees"][0].update(key_id="00" * 32), "role trustee"),
        (lambda m: m["eligibility"]["attributes"].update(shoeSize=44), "shoeSize"),
    ]:
        m = json.loads(json.dumps(good))
        change(m)
        unchanged_after(eb, eb.entry(eb.official, d.ELECTION, m), MalformedVotingEntry, word)


@settings(max_examples=25, deadline=None)
@given(
    st.recursive(
        st.none() | st.integers() | st.text(max_size=5) | st.booleans(),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=4),
        max_leaves=12,
    )
)
def test_manifest_fuzz_never_crashes(doc: Any) -> None:
    try:
        m = Manifest.from_json(doc)
    except MalformedVotingEntry as e:
        assert e.detail.startswith("manifest: ")
    else:
        assert m.to_json() == doc

"""Ballots prechecked outside the board's write lock (docs/board.md §2, "Prechecks").

The contest proofs and the eligibility proof of a ballot (and the opening of
a challenge) are verified before the lock; the token they give is honoured
in the lock only while the state they read is unchanged.  A revocation or
the election's close between the two is therefore still refused; a token
of one ballot never admits another; and a batch prechecked in the process
pool is admitted or refused exactly as sequential admission would.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ledger.board as board_module
from crypto.bbs.backend import ORDER
from crypto.bbs.batch import Batch
from crypto.bbs.predicates import Presentation
from ledger.board import Board
from ledger.entry import Entry
from ledger.store import Store
from services.identity.domain import STATUS_LIST, status_list_body
from services.identity.status_list import StatusList
from services.registry import default_registry
from services.voting import domain as d
from services.voting.ballot import (
    ballot_body,
    ballot_hash,
    challenge_body,
    credential_eligibility,
)
from services.voting.errors import BallotChallenged, InvalidBallot, NotEligible, WrongPhase
from services.voting.manifest import Contest
from services.voting.scenario import CLOSES, VOTING, ElectionBoard
from tests.ledger.precheck_kit import (
    Verdict,
    between,
    check_batch_like_sequential,
    txn_source,
)
from tests.services.voting.kit import opened, snapshot, unchanged_after

MAYOR = (Contest("mayor", "Mayor", ("Alice", "Bob", "Carol"), 0, 1, False),)
CHOICE = [[0, 1, 0]]
LATER = "2026-05-01T12:00:01Z"


def writer(eb: ElectionBoard) -> Board:
    """Another writer on the same database, as another server process would be."""
    return Board(Store(eb.board.store.url), default_registry())


def revocation(eb: ElectionBoard, *indexes: int) -> bytes:
    body = status_list_body("eid-r-1", StatusList.empty().with_set(*indexes))
    return eb.entry(eb.issuer, STATUS_LIST, body)


def flip(hex_text: str, byte: int) -> str:
    raw = bytearray(bytes.fromhex(hex_text))
    raw[byte] ^= 1
    return raw.hex()


def range_changed(body: dict[str, Any]) -> dict[str, Any]:
    """The ballot with its presentation's range proof answer ``b`` changed: decoding,
    the BBS challenge and the pseudonym still pass; only the range equation, the one a
    batch defers (crypto/bbs/batch.py), fails."""
    body = copy.deepcopy(body)
    proof = body["eligibility"]["presentation"]["verifiableCredential"][0]["proof"]
    pres = Presentation.from_bytes(bytes.fromhex(proof["proofValue"][1:]))
    rp = pres.range_proof
    assert rp is not None
    changed = dataclasses.replace(pres, range_proof=dataclasses.replace(rp, b=(rp.b + 1) % ORDER))
    proof["proofValue"] = "f" + changed.to_bytes().hex()
    return body


@pytest.fixture
def boards() -> Iterator[list[ElectionBoard]]:
    made: list[ElectionBoard] = []
    yield made
    for eb in made:
        eb.board.close()


def counting(monkeypatch: pytest.MonkeyPatch, name: str) -> list[str]:
    """Count the calls of the domain's ``name`` (a verification it imports)."""
    real: Callable[..., Any] = getattr(d, name)
    calls: list[str] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        return real(*args, **kwargs)

    monkeypatch.setattr(d, name, counted)
    return calls


# ------------------------------------------------------------ single ballots


def test_a_ballot_is_verified_once_before_the_lock(
    db_url: str, monkeypatch: pytest.MonkeyPatch, boards: list[ElectionBoard]
) -> None:
    eb = opened(db_url, revocable=True, contests=MAYOR)
    boards.append(eb)
    alice = eb.credential(status=3)
    presentations = counting(monkeypatch, "verify_presentation")
    contests = counting(monkeypatch, "verify_contest")
    made, body = eb.ballot(alice, CHOICE)
    receipt = eb.cast(body)
    assert presentations == ["verify_presentation"] and contests == ["verify_contest"]
    counts = eb.board.admission.counts
    assert counts["here"] == 1 and counts["honoured"] == 1
    assert eb.board.state("voting", f"cast/{eb.election}/{made.ballot['voter']}")["index"] == (
        receipt.index
    )
    # a challenge is prechecked too (its openings), and the cheap checks still run in the
    # lock: the challenged ballot is refused as challenged before its (wrong) presentation
    challenged, _ = eb.ballot(alice, CHOICE)
    eb.ballot_box.challenge(challenged, VOTING)
    assert counts["here"] == 2 and counts["honoured"] == 2
    leaf = eb.ballot_box.entry(
        d.BALLOT, ballot_body(challenged.ballot, body["eligibility"]), VOTING
    )
    unchanged_after(eb, leaf, BallotChallenged, "challenged")
    assert counts["honoured"] == 3
    assert eb.board.verify() == []


def test_a_revocation_between_precheck_and_admission_is_refused(
    db_url: str, monkeypatch: pytest.MonkeyPatch, boards: list[ElectionBoard]
) -> None:
    eb = opened(db_url, revocable=True, contests=MAYOR)
    boards.append(eb)
    alice = eb.credential(status=7)
    _, body = eb.ballot(alice, CHOICE)
    other = writer(eb)
    between(monkeypatch, eb.board, lambda: other.append(revocation(eb, 7)))
    size = eb.board.size()
    with pytest.raises(NotEligible) as e:
        eb.cast(body)
    assert e.value.reason == "revoked"
    assert eb.board.size() == size + 1  # only the revocation went in
    assert eb.board.admission.counts["stale"] == 1
    assert eb.board.admission.counts["honoured"] == 0


def test_the_close_between_precheck_and_admission_is_refused(
    db_url: str, monkeypatch: pytest.MonkeyPatch, boards: list[ElectionBoard]
) -> None:
    eb = opened(db_url, eligibility="roll", roll=2, contests=MAYOR)
    boards.append(eb)
    _, body = eb.ballot(eb.roll[0], CHOICE)
    close = eb.entry(eb.official, d.CLOSE, {"election": eb.election}, CLOSES)
    other = writer(eb)
    between(monkeypatch, eb.board, lambda: other.append(close))
    with pytest.raises(WrongPhase) as e:
        eb.cast(body)
    assert "closed" in e.value.detail
    assert eb.board.admission.counts["stale"] == 1


def test_a_token_of_one_ballot_does_not_admit_another(
    db_url: str, monkeypatch: pytest.MonkeyPatch, boards: list[ElectionBoard]
) -> None:
    eb = opened(db_url, revocable=True, contests=MAYOR)
    boards.append(eb)
    alice, bob = eb.credential(status=1), eb.credential(status=2)
    made_a, body_a = eb.ballot(alice, CHOICE)
    made_b, _ = eb.ballot(bob, CHOICE)
    good = Entry.from_leaf(eb.ballot_box.entry(d.BALLOT, body_a, VOTING))
    # Bob's ballot with Alice's presentation (made for Alice's ballot hash)
    swapped = Entry.from_leaf(
        eb.ballot_box.entry(d.BALLOT, ballot_body(made_b.ballot, body_a["eligibility"]), VOTING)
    )
    # Alice's ballot with a changed proof byte, her presentation made for the changed hash
    contest = made_a.ballot["contests"][0]
    bad_proof = {**made_a.ballot, "contests": [flip(contest, len(contest) // 2 - 32)]}
    eligibility = credential_eligibility(
        eb.data, alice.record, eb.info.credential_rule(), eb.election, ballot_hash(bad_proof)
    )
    broken = Entry.from_leaf(
        eb.ballot_box.entry(d.BALLOT, ballot_body(bad_proof, eligibility), VOTING)
    )
    with eb.board.store.read() as tx:
        (token,) = eb.board.admission.prechecks([good], txn_source(tx))
    assert token is not None and token.refusal is None
    admission = eb.board.admission
    monkeypatch.setattr(admission, "prechecks", lambda entries, source: [token])
    e1 = unchanged_after(eb, swapped.leaf, NotEligible, "nonce")
    assert isinstance(e1, NotEligible) and e1.reason == "nonce_mismatch"
    unchanged_after(eb, broken.leaf, InvalidBallot, "contest 0")
    assert admission.counts["forged"] == 2 and admission.counts["honoured"] == 0
    eb.board.append(good.leaf)
    assert admission.counts["honoured"] == 1


# ----------------------------------------------------------------- batches


def test_a_batch_of_roll_ballots_is_prechecked_in_the_pool(
    db_url: str, boards: list[ElectionBoard]
) -> None:
    eb = opened(db_url, eligibility="roll", roll=70, contests=MAYOR)
    boards.append(eb)
    bodies = [eb.ballot(k, CHOICE)[1] for k in eb.roll]
    bad = bodies[40]["eligibility"]
    forged = {**bad, "signature": flip(bad["signature"], 5)}
    mixed = [*bodies[:40], ballot_body(bodies[40]["ballot"], forged), *bodies[41:]]
    leaves = [eb.ballot_box.entry(d.BALLOT, b, VOTING) for b in mixed]
    verdicts = check_batch_like_sequential(eb.board, leaves)
    assert [i for i, v in enumerate(verdicts) if v[0] != "admitted"] == [40]
    assert verdicts[40][0] == "NotEligible" and verdicts[40][3] == "proof_invalid"
    before = snapshot(eb.board)
    with pytest.raises(NotEligible) as e:
        eb.ballot_box.cast_many(mixed, VOTING)
    assert e.value.detail.startswith("entry 40 of the batch: ")
    assert snapshot(eb.board) == before
    indices = eb.ballot_box.cast_many(bodies, VOTING)
    assert len(indices) == 70
    counts = eb.board.admission.counts
    assert counts["pool"] >= 3 * 69 and counts["honoured"] >= 70
    assert eb.board.verify() == []


def test_a_short_batch_is_verified_as_one_and_names_its_bad_ballot(
    db_url: str, boards: list[ElectionBoard], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below the pool's size the prechecks run here, their last equations as one batch:
    one failing range proof refuses the batch naming it, as sequential admission would;
    without it the batch is admitted."""
    eb = opened(db_url, contests=MAYOR)
    boards.append(eb)
    voters = [eb.credential() for _ in range(4)]
    bodies = [eb.ballot(v, CHOICE)[1] for v in voters]
    mixed = [*bodies[:2], range_changed(bodies[2]), bodies[3]]
    failed: list[set[Any]] = []
    real_failed = Batch.failed

    def spy(self: Batch) -> set[Any]:
        failed.append(real_failed(self))
        return failed[-1]

    monkeypatch.setattr(Batch, "failed", spy)
    leaves = [eb.ballot_box.entry(d.BALLOT, b, VOTING) for b in mixed]
    before = snapshot(eb.board)
    with pytest.raises(NotEligible) as e:
        eb.ballot_box.cast_many(mixed, VOTING)
    assert e.value.detail.startswith("entry 2 of the batch: ") and e.value.reason == "proof_invalid"
    assert snapshot(eb.board) == before
    assert failed == [{2}]  # one batch of four, which named the third
    # alone, the same entry is refused the same way
    unchanged_after(eb, leaves[2], NotEligible, "does not verify")
    assert len(eb.ballot_box.cast_many(bodies, VOTING)) == 4
    assert eb.board.admission.counts["here"] >= 8
    assert eb.board.verify() == []


def test_a_callers_batch_never_defers_the_boards_checks(
    db_url: str, boards: list[ElectionBoard]
) -> None:
    """Appending inside a caller's ``Batch.collect`` still verifies everything in full."""
    eb = opened(db_url, contests=MAYOR)
    boards.append(eb)
    body = range_changed(eb.ballot(eb.credential(), CHOICE)[1])
    leaf = eb.ballot_box.entry(d.BALLOT, body, VOTING)
    batch = Batch()
    with batch.collect("caller"):
        unchanged_after(eb, leaf, NotEligible, "does not verify")
    assert batch.failed() == set()


class Mix:
    """A revocable credential election and ready-made entries to mix into batches."""

    def __init__(self, url: str) -> None:
        eb = opened(url, revocable=True, contests=MAYOR)
        self.eb = eb
        voters = [eb.credential(status=i) for i in (1, 2, 3, 9)]
        eb.post(eb.issuer, STATUS_LIST, status_list_body("eid-r-1", StatusList.empty().with_set(9)))
        box = eb.ballot_box
        made = [eb.ballot(v, CHOICE) for v in voters[:3] for _ in range(3)]
        self.items: dict[str, bytes] = {}
        for k, (_, body) in enumerate(made[:7]):
            self.items[f"valid {k}"] = box.entry(d.BALLOT, body, VOTING)
        self.items["replay of valid 0"] = box.entry(d.BALLOT, made[0][1], LATER)
        challenged, body = made[7]
        self.items["challenge"] = box.entry(d.CHALLENGE, challenge_body(challenged), VOTING)
        self.items["challenged ballot"] = box.entry(d.BALLOT, body, VOTING)
        ballot8 = made[8][0].ballot
        self.items["swapped presentation"] = box.entry(
            d.BALLOT, ballot_body(ballot8, made[1][1]["eligibility"]), VOTING
        )
        contest = ballot8["contests"][0]
        broken = {**ballot8, "contests": [flip(contest, len(contest) // 2 - 32)]}
        self.items["changed proof"] = box.entry(
            d.BALLOT, ballot_body(broken, made[8][1]["eligibility"]), VOTING
        )
        self.items["range answer changed"] = box.entry(
            d.BALLOT, range_changed(eb.ballot(voters[2], CHOICE)[1]), VOTING
        )
        self.items["revoked voter"] = box.entry(d.BALLOT, eb.ballot(voters[3], CHOICE)[1], VOTING)
        self.items["revoke voter 1"] = revocation(eb, 9, 1)
        self.items["close"] = eb.entry(eb.official, d.CLOSE, {"election": eb.election}, CLOSES)


@pytest.fixture(scope="module")
def mix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mix]:
    path: Path = tmp_path_factory.mktemp("mix") / "election.db"
    m = Mix(f"sqlite:///{path}")
    yield m
    m.eb.board.close()


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_mixed_batch_through_the_pool_is_admitted_as_sequential_admission_would(
    mix: Mix, monkeypatch: pytest.MonkeyPatch, data: st.DataObject
) -> None:
    monkeypatch.setattr(board_module, "POOL_MIN", 5)  # the pool for batches this small
    monkeypatch.setattr(board_module, "POOL_CHUNK", 3)
    # a valid ballot first: its precheck, run before the pool's, reads every value the
    # ballots need, so that the workers have them all (the order of the rest is drawn)
    first = data.draw(st.sampled_from([n for n in mix.items if n.startswith("valid")]))
    names = sorted(set(mix.items) - {first})
    rest = data.draw(st.lists(st.sampled_from(names), min_size=6, max_size=9, unique=True))
    order = [first, *rest]
    verdicts: list[Verdict] = check_batch_like_sequential(
        mix.eb.board, [mix.items[n] for n in order]
    )
    outcome = dict(zip(order, verdicts, strict=True))

    def open_at(name: str) -> bool:
        return name in outcome and "close" not in order[: order.index(name)]

    if open_at("revoked voter"):
        assert outcome["revoked voter"][3] == "revoked"
    if open_at("changed proof"):
        assert outcome["changed proof"][0] == "InvalidBallot"

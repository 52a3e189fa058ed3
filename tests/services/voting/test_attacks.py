"""The attack suite (issue 5, acceptance 1): refused, the cause named, the board unchanged.

Runs on every ``db_url`` backend (SQLite and PostgreSQL).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crypto.contest import ContestShape, encrypt_contest
from crypto.elgamal import Ciphertext
from crypto.threshold import partial_decrypt
from services.voting import domain as d
from services.voting.ballot import (
    ballot_body,
    ballot_hash,
    ciphertext_hex,
    credential_eligibility,
    credential_pseudonym,
    make_ballot,
)
from services.voting.errors import (
    AlreadyVoted,
    BallotChallenged,
    BallotReplayed,
    InvalidBallot,
    NotEligible,
    NotEnoughPartials,
    NotTheTally,
    WrongPhase,
)
from services.voting.scenario import AFTER, OPENS, VOTING, ElectionBoard, Voter
from services.voting.tally import counted_tally, tally_body, tally_digest
from tests.services.voting.kit import opened, recoded, unchanged_after

MAYOR = [1, 0, 0, 0]
PARKS = [1, 0]
COUNCIL = [0, 1, 1, 0]
CHOICE = [MAYOR, PARKS, COUNCIL]


def cast_leaf(eb: ElectionBoard, body: dict[str, Any], time: str = VOTING) -> bytes:
    return eb.ballot_box.entry(d.BALLOT, body, time)


def with_contests(eb: ElectionBoard, voter: Voter, contests: list[str]) -> dict[str, Any]:
    """A ballot of ``voter`` carrying ``contests``, with a valid presentation over its hash."""
    ballot = {
        "version": 1,
        "election": eb.election,
        "voter": credential_pseudonym(eb.data, voter.record, eb.election),
        "contests": contests,
    }
    rule = eb.info.credential_rule()
    h_b = ballot_hash(ballot)
    return ballot_body(
        ballot, credential_eligibility(eb.data, voter.record, rule, eb.election, h_b)
    )


def flip(hex_text: str, byte: int) -> str:
    raw = bytearray(bytes.fromhex(hex_text))
    raw[byte] ^= 1
    return raw.hex()


# ----------------------------------------------------------------- proofs


def test_invalid_and_moved_proofs(db_url: str) -> None:
    eb = opened(db_url)
    alice = eb.credential()
    made, _ = eb.ballot(alice, CHOICE)
    mayor = made.ballot["contests"][0]
    shape = eb.info.shapes[0]
    # a response scalar of the sum proof changed in its lowest byte (still canonical)
    sum_at = shape.encoded_length - 32
    body = with_contests(eb, alice, [flip(mayor, sum_at), *made.ballot["contests"][1:]])
    unchanged_after(eb, cast_leaf(eb, body), InvalidBallot, "contest 0", "mayor")
    # the range proofs of options 0 and 1 swapped (a proof moved to another option)
    cts, size = 64 * shape.options, 64 * 2
    raw = bytes.fromhex(mayor)
    p0, p1 = raw[cts : cts + size], raw[cts + size : cts + 2 * size]
    moved = (raw[:cts] + p1 + p0 + raw[cts + 2 * size :]).hex()
    body = with_contests(eb, alice, [moved, *made.ballot["contests"][1:]])
    unchanged_after(eb, cast_leaf(eb, body), InvalidBallot, "contest 0")
    # a ciphertext swapped with its neighbour's (the proofs now prove other ciphertexts)
    swapped = (raw[64:128] + raw[:64] + raw[128:]).hex()
    body = with_contests(eb, alice, [swapped, *made.ballot["contests"][1:]])
    unchanged_after(eb, cast_leaf(eb, body), InvalidBallot, "contest 0")
    # a whole contest moved to another contest's place is refused by its shape or its proof
    council = made.ballot["contests"][2]
    body = with_contests(eb, alice, [council, made.ballot["contests"][1], mayor])
    with pytest.raises(Exception) as e:
        eb.board.append(cast_leaf(eb, body))
    assert "contest 0" in str(e.value)
    # the honest ballot goes in
    eb.cast(with_contests(eb, alice, made.ballot["contests"]))


def test_proof_for_another_election(db_url: str) -> None:
    eb = opened(db_url)
    alice = eb.credential()
    key, _ = eb.info.keyed()
    voter = credential_pseudonym(eb.data, alice.record, eb.election)
    other = make_ballot(eb.election, key, bytes(32), eb.info.shapes, voter, CHOICE)
    body = with_contests(eb, alice, other.ballot["contests"])
    unchanged_after(eb, cast_leaf(eb, body), InvalidBallot, "for this election and voter")


def test_copied_ballot_under_another_pseudonym(db_url: str) -> None:
    """ElectionGuard 1.4's copy attack: Alice's contests, Mallory's pseudonym and presentation."""
    eb = opened(db_url)
    alice, mallory = eb.credential(), eb.credential()
    made, body = eb.ballot(alice, CHOICE)
    eb.cast(body)
    copied = with_contests(eb, mallory, made.ballot["contests"])
    unchanged_after(eb, cast_leaf(eb, copied), InvalidBallot, "contest 0")
    # and Alice's ballot cast again verbatim is a replay
    unchanged_after(eb, cast_leaf(eb, body, "2026-05-01T12:00:01Z"), BallotReplayed, "cast already")


def test_over_vote_in_ciphertext(db_url: str) -> None:
    eb = opened(db_url)
    alice = eb.credential()
    key, context = eb.info.keyed()
    voter = credential_pseudonym(eb.data, alice.record, eb.election)
    mayor = eb.info.shapes[0]
    # two marks in a 1-of-4 contest: the sum proof can only be made for 2..2
    liar = ContestShape(mayor.contest_id, mayor.options, 2, 2)
    enc, _ = encrypt_contest(key, liar, [1, 1, 0, 0], context=context, prover=bytes.fromhex(voter))
    made, _ = eb.ballot(alice, CHOICE)
    body = with_contests(eb, alice, [enc.to_bytes().hex(), *made.ballot["contests"][1:]])
    unchanged_after(eb, cast_leaf(eb, body), InvalidBallot, "contest 0", "range proof")


# ------------------------------------------------------------- re-votes


def test_second_ballot_when_revotes_are_denied(db_url: str) -> None:
    eb = opened(db_url, revote="deny")
    alice = eb.credential()
    eb.cast(eb.ballot(alice, CHOICE)[1])
    _, second = eb.ballot(alice, CHOICE)
    unchanged_after(eb, cast_leaf(eb, second), AlreadyVoted, "denies re-votes")


# ---------------------------------------------------------- eligibility


def test_presentation_from_an_unregistered_issuer(db_url: str, tmp_path: Path) -> None:
    eb = opened(db_url)
    # the same issuer name, schema and election id on another board: its key is not on ours
    elsewhere = ElectionBoard(f"sqlite:///{tmp_path / 'other.db'}", seed=99)
    forged = elsewhere.credential()
    key, context = eb.info.keyed()
    voter = credential_pseudonym(elsewhere.data, forged.record, eb.election)
    made = make_ballot(eb.election, key, context, eb.info.shapes, voter, CHOICE)
    rule = eb.info.credential_rule()
    eligibility = credential_eligibility(
        elsewhere.data, forged.record, rule, eb.election, made.hash
    )
    body = ballot_body(made.ballot, eligibility)
    e = unchanged_after(eb, cast_leaf(eb, body), NotEligible, "unknown_issuer")
    assert isinstance(e, NotEligible) and e.reason == "unknown_issuer"


def test_revoked_credential(db_url: str) -> None:
    eb = opened(db_url, revocable=True)
    alice, bob = eb.credential(status=11), eb.credential(status=12)
    eb.cast(eb.ballot(bob, CHOICE)[1])
    eb.revoke(11)
    _, body = eb.ballot(alice, CHOICE)
    e = unchanged_after(eb, cast_leaf(eb, body), NotEligible, "revoked")
    assert isinstance(e, NotEligible) and e.reason == "revoked"


def test_ineligible_credential(db_url: str) -> None:
    eb = opened(db_url)
    outsider = eb.credential({"district": 8})
    _, body = eb.ballot(outsider, CHOICE)
    e = unchanged_after(eb, cast_leaf(eb, body), NotEligible, "district", "7")
    assert isinstance(e, NotEligible) and e.reason == "ineligible"


def test_presentation_header_is_not_the_ballot_hash(db_url: str) -> None:
    eb = opened(db_url)
    alice = eb.credential()
    first, _ = eb.ballot(alice, CHOICE)
    second, body = eb.ballot(alice, CHOICE)
    # the presentation made for the first ballot attached to the second
    rule = eb.info.credential_rule()
    stale = credential_eligibility(eb.data, alice.record, rule, eb.election, first.hash)
    moved = ballot_body(second.ballot, stale)
    e = unchanged_after(eb, cast_leaf(eb, moved), NotEligible, "nonce")
    assert isinstance(e, NotEligible) and e.reason == "nonce_mismatch"
    # its challenge edited to the second ballot's hash: the proof no longer verifies
    edited = recoded(moved)
    edited["eligibility"]["presentation"]["verifiableCredential"][0]["proof"]["challenge"] = (
        second.hash.hex()
    )
    e = unchanged_after(eb, cast_leaf(eb, edited), NotEligible, "proof")
    assert isinstance(e, NotEligible) and e.reason == "proof_invalid"
    eb.cast(body)


# ------------------------------------------------------------------ phases


def test_ballot_before_opening_and_after_closing(db_url: str) -> None:
    eb = ElectionBoard(db_url)
    eb.create()
    eb.ceremony()
    alice = eb.credential()
    _, body = eb.ballot(alice, CHOICE)
    unchanged_after(eb, cast_leaf(eb, body), WrongPhase, "not open", "keyed")
    eb.open()
    unchanged_after(eb, cast_leaf(eb, body, "2026-05-01T06:59:59Z"), WrongPhase, OPENS)
    unchanged_after(eb, cast_leaf(eb, body, "2026-05-01T19:00:00Z"), WrongPhase, "until")
    eb.cast(body)
    eb.close()
    _, late = eb.ballot(eb.credential(), CHOICE)
    unchanged_after(eb, cast_leaf(eb, late), WrongPhase, "not open", "closed")


def test_casting_a_challenged_ballot(db_url: str) -> None:
    eb = opened(db_url)
    alice = eb.credential()
    made, body = eb.ballot(alice, CHOICE)
    eb.ballot_box.challenge(made, VOTING)
    unchanged_after(eb, cast_leaf(eb, body), BallotChallenged, "challenged")
    # and a cast ballot cannot be challenged (its nonces would reveal a counted vote)
    made2, body2 = eb.ballot(alice, CHOICE)
    eb.cast(body2)
    leaf = eb.ballot_box.entry(
        d.CHALLENGE,
        {
            "ballot": made2.ballot,
            "nonces": [[r.hex() for r in c] for c in made2.nonces],
            "selections": [list(s) for s in made2.selections],
        },
        VOTING,
    )
    unchanged_after(eb, leaf, BallotReplayed, "cast already")


def test_tally_and_partial_before_closing(db_url: str) -> None:
    eb = opened(db_url)
    eb.cast(eb.ballot(eb.credential(), CHOICE)[1])
    leaf = eb.entry(eb.official, d.TALLY, tally_body(eb.data, eb.election), AFTER)
    unchanged_after(eb, leaf, WrongPhase, "closed", "open")
    partial = {"election": eb.election, "trustee": 1, "tally": "00" * 32, "shares": []}
    leaf = eb.entry(eb.trustee_signers[0], d.PARTIAL, partial, AFTER)
    unchanged_after(eb, leaf, WrongPhase, "tallied", "open")
    eb.close()
    leaf = eb.entry(eb.trustee_signers[0], d.PARTIAL, partial, AFTER)
    unchanged_after(eb, leaf, WrongPhase, "tallied", "closed")


def _closed_and_tallied(url: str, voters: int = 3) -> tuple[ElectionBoard, list[dict[str, Any]]]:
    eb = opened(url, trustees=3, threshold=2)
    bodies = []
    for _ in range(voters):
        _, body = eb.ballot(eb.credential(), CHOICE)
        eb.cast(body)
        bodies.append(body)
    eb.close()
    eb.tally()
    return eb, bodies


def test_result_without_k_valid_partials(db_url: str) -> None:
    eb, _ = _closed_and_tallied(db_url)
    eb.partial(1)
    eb.partial(2, bad=True)
    digest = eb.data.get("voting", f"tally/{eb.election}")["digest"]
    body = {
        "election": eb.election,
        "tally": digest,
        "totals": [[3, 0, 0, 0], [3, 0], [0, 3, 3, 0]],
        "used": [1, 2],
        "excluded": [],
    }
    leaf = eb.entry(eb.official, d.RESULT, body, AFTER)
    unchanged_after(eb, leaf, NotEnoughPartials, "1 valid", "2 needed", "trustee 2")
    with pytest.raises(NotEnoughPartials):
        eb.result()
    # the third trustee's valid partial completes it; the bad one is excluded and named
    eb.partial(3)
    _, result = eb.result()
    assert result.totals == [[3, 0, 0, 0], [3, 0], [0, 3, 3, 0]]
    assert result.used == [1, 3]
    assert [x["trustee"] for x in result.excluded] == [2]


def test_partial_for_a_subset_of_ballots(db_url: str) -> None:
    eb, bodies = _closed_and_tallied(db_url)
    # trustee 1 decrypts the sum of all ballots but the last one
    shapes = list(eb.info.shapes)
    rows = [
        (str(i), {"ciphertexts": ciphertext_hex(b["ballot"]["contests"], shapes)})
        for i, b in enumerate(bodies[:-1])
    ]
    _, subset = counted_tally(lambda prefix: rows, eb.election, [s.options for s in shapes])
    t = eb.trustees[1]
    assert t.share is not None
    shares = [
        [
            partial_decrypt(eb.info.decryption, 1, t.share, Ciphertext.from_bytes(bytes.fromhex(c)))
            .to_bytes()
            .hex()
            for c in contest
        ]
        for contest in subset
    ]
    body = {"election": eb.election, "trustee": 1, "tally": tally_digest(subset), "shares": shares}
    leaf = eb.entry(eb.trustee_signers[0], d.PARTIAL, body, AFTER)
    unchanged_after(eb, leaf, NotTheTally, "not over the board's counted ballots")
    # claiming the board's tally does not help: admitted, marked invalid, excluded by the result
    board_digest = eb.data.get("voting", f"tally/{eb.election}")["digest"]
    eb.post(eb.trustee_signers[0], d.PARTIAL, {**body, "tally": board_digest}, AFTER)
    recorded = eb.data.get("voting", f"partial/{eb.election}/1")
    assert recorded["valid"] is False and "does not verify" in recorded["reason"]

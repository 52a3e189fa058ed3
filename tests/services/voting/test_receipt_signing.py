"""Where a receipt's checkpoint comes from (services/voting/receipt.py, docs/voting.md §8): the
ballot box signs it in the ballot's append transaction; :func:`make_receipt` reuses the latest
stored checkpoint when it covers the ballot and signs one only when none does."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.errors import BadRequest
from ledger.note import Signer
from services.voting.casting import BallotBox
from services.voting.receipt import ReceiptInvalid, check_receipt, make_receipt
from services.voting.scenario import VOTING, ElectionBoard


@pytest.fixture
def eb(tmp_path: Path) -> ElectionBoard:
    eb = ElectionBoard(
        f"sqlite:///{tmp_path / 'roll.db'}", trustees=1, threshold=1, eligibility="roll", roll=4
    )
    eb.create()
    eb.ceremony()
    eb.open()
    return eb


def _checkpoints(eb: ElectionBoard) -> list[int]:
    with eb.board.store.read() as tx:
        return [row.size for row in tx.checkpoints()]


def test_a_cast_signs_the_tree_ending_with_its_ballot(eb: ElectionBoard) -> None:
    before = _checkpoints(eb)
    receipt = eb.cast(eb.ballot(eb.roll[0])[1])
    assert receipt.size == receipt.index + 1 == eb.board.size()
    assert _checkpoints(eb) == [*before, receipt.size]
    assert eb.board.checkpoint().note.decode() == receipt.checkpoint
    assert check_receipt(receipt, eb.board).checked_to == receipt.size


def test_make_receipt_reuses_a_covering_checkpoint(eb: ElectionBoard) -> None:
    [first, second] = eb.ballot_box.cast_many(
        [eb.ballot(eb.roll[0])[1], eb.ballot(eb.roll[1])[1]], VOTING
    )  # no receipts: no checkpoint covers them yet
    before = _checkpoints(eb)
    signed = make_receipt(eb.board, second, eb.log)  # signs one: the tree of both
    assert signed.size == second + 1 and _checkpoints(eb) == [*before, second + 1]
    reused = make_receipt(eb.board, first, eb.log)  # that one covers the first too
    assert reused.size == second + 1 and reused.checkpoint == signed.checkpoint
    assert _checkpoints(eb) == [*before, second + 1]
    for r in (signed, reused):
        assert check_receipt(r, eb.board).size == second + 1
    with pytest.raises(ReceiptInvalid, match="not a ballot"):
        make_receipt(eb.board, 0, eb.log)
    with pytest.raises(ReceiptInvalid, match="no entry"):
        make_receipt(eb.board, eb.board.size(), eb.log)


def test_a_ballot_box_with_another_log_key_writes_nothing(eb: ElectionBoard) -> None:
    box = BallotBox(eb.board, eb.box_signer, Signer.generate("other.example/log"))
    size = eb.board.size()
    with pytest.raises(BadRequest, match="log key"):
        box.cast(eb.ballot(eb.roll[2])[1], VOTING)
    assert eb.board.size() == size

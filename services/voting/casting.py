"""Casting: the voter's client makes a ballot and its eligibility proof; the ballot box posts it.

docs/voting.md §4–§5, §8.  The voter's side (:func:`credential_ballot`,
:func:`roll_ballot`) encrypts with crypto/contest.py under the election
context and the voter's pseudonym, hashes the ballot, then proves
eligibility over that hash: a BBS presentation from the holder's wallet
record (pseudonym context = election id, nonce = ballot hash), or an Ed25519
signature by a roll key.  Before casting, the voter may instead *challenge*
the ballot (:func:`services.voting.ballot.challenge_body`): its nonces are
published, anyone decrypts it, and it can never be cast.

The :class:`BallotBox` is the ``ballot_box`` authority: it signs the entry
around the voter's ballot, appends it (the domain checks everything before
the ballot gets an index) and returns the :class:`Receipt`, whose checkpoint
it signs in the append's own transaction (:func:`services.voting.receipt.sign_receipt`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from nacl.signing import SigningKey

from crypto.group import RandomSource
from ledger.board import Board
from ledger.entry import key_id, make_entry
from ledger.errors import BadRequest
from ledger.note import Signer
from ledger.store import Txn
from services.identity.board_data import BoardData
from services.voting.ballot import (
    MadeBallot,
    ballot_body,
    challenge_body,
    credential_eligibility,
    credential_pseudonym,
    make_ballot,
    roll_eligibility,
    roll_voter,
)
from services.voting.election import ElectionInfo
from services.voting.receipt import Receipt, sign_receipt

BALLOT = "voting.ballot"
CHALLENGE = "voting.challenge"


def _make(
    info: ElectionInfo, voter: str, selections: Sequence[Sequence[int]], rng: RandomSource
) -> MadeBallot:
    key, context = info.keyed()
    return make_ballot(info.id, key, context, info.shapes, voter, selections, rng)


def credential_ballot(
    data: BoardData,
    record: dict[str, Any],
    election: str,
    selections: Sequence[Sequence[int]],
    rng: RandomSource = os.urandom,
) -> tuple[MadeBallot, dict[str, Any]]:
    """A ballot under the holder's pseudonym and its ``voting.ballot`` body (with presentation)."""
    info = ElectionInfo.load(data, election)
    made = _make(info, credential_pseudonym(data, record, election), selections, rng)
    eligibility = credential_eligibility(data, record, info.credential_rule(), election, made.hash)
    return made, ballot_body(made.ballot, eligibility)


def roll_ballot(
    data: BoardData,
    key: SigningKey,
    election: str,
    selections: Sequence[Sequence[int]],
    rng: RandomSource = os.urandom,
) -> tuple[MadeBallot, dict[str, Any]]:
    """A ballot of a roll voter (pseudonym = key id) and its body with the roll signature."""
    info = ElectionInfo.load(data, election)
    made = _make(info, roll_voter(key.verify_key), selections, rng)
    return made, ballot_body(made.ballot, roll_eligibility(key, made.hash))


class BallotBox:
    """The ``ballot_box`` authority: posts voters' ballots and challenges, hands out receipts."""

    def __init__(
        self, board: Board, signer: Signer, log: Signer, origin: str | None = None
    ) -> None:
        """``origin`` is the board's: given by a caller that checked ``log`` is the board's
        log key, else read from the genesis (and ``log`` checked) at the first cast."""
        self.board = board
        self.signer = signer
        self.log = log
        self._author = key_id(signer.verifier().public_key)
        self._origin = origin

    def __repr__(self) -> str:
        return f"BallotBox({self.signer.name!r})"

    def entry(self, kind: str, body: dict[str, Any], time: str | None = None) -> bytes:
        return make_entry(kind, body, self._author, self.signer.sign, time)

    def cast(self, body: dict[str, Any], time: str | None = None) -> Receipt:
        """Append a ``voting.ballot`` entry (refused with the domain's error) and sign a receipt.

        The receipt's checkpoint is the tree that ends with the ballot, signed and
        stored in the append's transaction: one write, and the receipt always verifies.
        """
        if self._origin is None:
            if self.board.log_verifier().vkey() != self.log.verifier().vkey():
                raise BadRequest("this key is not the board's log key")
            self._origin = self.board.origin()
        origin = self._origin
        made: list[Receipt] = []

        def receipt(tx: Txn, indices: list[int]) -> None:
            index = indices[0]
            made.append(sign_receipt(tx, index, index + 1, body["ballot"], origin, self.log))

        self.board.append_many([self.entry(BALLOT, body, time)], then=receipt)
        return made[0]

    def cast_many(self, bodies: Sequence[dict[str, Any]], time: str | None = None) -> list[int]:
        """Append many ballots in one transaction (all or none); their indices."""
        return self.board.append_many([self.entry(BALLOT, b, time) for b in bodies])

    def challenge(self, made: MadeBallot, time: str | None = None) -> int:
        """Post the challenged ballot with its nonces; it can never be cast afterwards."""
        return self.board.append(self.entry(CHALLENGE, challenge_body(made), time))

"""Typed refusals of the voting domain (docs/voting.md §6).

Each is a :class:`ledger.errors.DomainRejection` with its own ``code`` and a
sentence that names the cause; a refused entry leaves the board unchanged.
"""

from __future__ import annotations

from ledger.errors import DomainRejection


class VotingRejection(DomainRejection):
    """The base of every refusal by the voting domain."""

    code = "voting"


class MalformedVotingEntry(VotingRejection):
    """A body, manifest or ballot with the wrong members, types or encodings."""

    code = "malformed_voting_entry"


class UnknownElection(VotingRejection):
    """No election with this id on the board."""

    code = "unknown_election"


class ElectionExists(VotingRejection):
    """A manifest whose election id is taken on this board already."""

    code = "election_exists"


class WindowPassed(VotingRejection):
    """A manifest whose voting window has closed already by the entry's time."""

    code = "window_passed"


class WrongPhase(VotingRejection):
    """The entry is out of the election's phase (or outside its opening times)."""

    code = "wrong_phase"


class CeremonyRejection(VotingRejection):
    """A trustee ceremony step that the board refuses (docs/crypto.md §5)."""

    code = "ceremony"


class NotTheTrustee(VotingRejection):
    """The author is not the trustee the entry speaks for."""

    code = "not_the_trustee"


class InvalidBallot(VotingRejection):
    """A ballot whose encoding or contest proofs do not verify for this election and voter."""

    code = "invalid_ballot"


class NotEligible(VotingRejection):
    """The eligibility proof (presentation or roll signature) does not hold for this ballot."""

    code = "not_eligible"

    def __init__(self, detail: str, reason: str = "not_eligible") -> None:
        super().__init__(detail)
        self.reason = reason


class AlreadyVoted(VotingRejection):
    """A second ballot of the same voter when the election denies re-votes."""

    code = "already_voted"


class BallotReplayed(VotingRejection):
    """A ballot that was already cast in this election."""

    code = "ballot_replayed"


class BallotChallenged(VotingRejection):
    """A ballot that was challenged (its nonces are public): it can never be cast."""

    code = "ballot_challenged"


class InvalidChallenge(VotingRejection):
    """A challenge whose nonces and selections do not open the ballot's ciphertexts."""

    code = "invalid_challenge"


class TallyMismatch(VotingRejection):
    """The posted tally is not the sum of the counted ballots."""

    code = "tally_mismatch"


class NotTheTally(VotingRejection):
    """A partial decryption (or result) for another tally than the board's."""

    code = "not_the_tally"


class NotEnoughPartials(VotingRejection):
    """A result without k valid partial decryptions."""

    code = "not_enough_partials"


class ResultMismatch(VotingRejection):
    """The posted result does not match the combined partial decryptions."""

    code = "result_mismatch"

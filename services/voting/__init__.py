"""E-voting: manifest, trustee ceremony, ballots with eligibility, tally and result on the board.

docs/voting.md specifies the formats and rules; docs/election-record.md the record.
"""

from services.voting.domain import DOMAIN

__all__ = ["DOMAIN"]

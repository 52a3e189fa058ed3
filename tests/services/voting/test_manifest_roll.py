"""A roll is bounded so that its election entry fits the board's entry size."""

from __future__ import annotations

import pytest
import rfc8785

from ledger.entry import MAX_ENTRY_SIZE
from services.voting.errors import MalformedVotingEntry
from services.voting.manifest import MAX_ROLL, parse_eligibility


def _roll(n: int) -> dict[str, object]:
    return {"type": "roll", "voters": [f"{i:064x}" for i in range(1, n + 1)]}


def test_the_largest_roll_leaves_room_in_an_entry() -> None:
    rule = parse_eligibility(_roll(MAX_ROLL))
    assert len(rfc8785.dumps(rule.to_json())) < MAX_ENTRY_SIZE - 4096


def test_one_key_more_is_refused() -> None:
    with pytest.raises(MalformedVotingEntry, match=f"1 to {MAX_ROLL}"):
        parse_eligibility(_roll(MAX_ROLL + 1))

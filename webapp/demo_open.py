"""`pnyx demo open-election`: an election that stays open, beside `pnyx demo election`.

`make run` adds it to the demo board so that a voter can cast in the booth with
an e-ID from the demo's issuer (answered while `make serve` runs) and check the
receipt.  Real times only: it opens now and closes in :data:`DEMO_OPEN_DAYS` days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import typer
from rich.console import Console

from ledger.board import Board
from services.voting import domain as vd
from webapp.cli_identity import spinner_step
from webapp.cli_voting import (
    DEMO_DISTRICT,
    DEMO_ISSUER,
    DEMO_OFFICIAL,
    DEMO_SCHEMA,
    VotingInputError,
    _board_keys,
    _rfc3339,
    create_election,
    open_election,
    out,
    trustee_commit,
    trustee_complain,
    trustee_init,
    trustee_share,
)
from webapp.keystore import KeyStore
from webapp.witnessing import cosign_local

DEMO_OPEN_ELECTION = "demo-open"
DEMO_OPEN_DAYS = 30


def open_election_manifest(day: date, opens: str, closes: str) -> dict[str, Any]:
    """The demo's open election: e-ID holders of district 7 of age on ``day`` may vote."""
    adult = date(day.year - 18, day.month, min(day.day, 28))
    return {
        "version": 1,
        "id": DEMO_OPEN_ELECTION,
        "title": "Neighbourhood vote: the new library (open now)",
        "contests": [
            {"id": "library", "title": "Where should the new library be?",
             "options": ["Market square", "Old station", "Riverside"], "min": 1, "max": 1,
             "blank": True},
            {"id": "hours", "title": "Open on Sundays?", "options": ["yes", "no"],
             "min": 1, "max": 1, "blank": False},
        ],
        "eligibility": {
            "type": "credential",
            "issuer": DEMO_ISSUER,
            "schema": DEMO_SCHEMA,
            "attributes": {"district": DEMO_DISTRICT},
            "predicates": [{"attribute": "birthDate", "op": "<=", "value": adult.isoformat()}],
            "date": day.isoformat(),
        },
        "revote": "last",
        "trustees": [],
        "threshold": 2,
        "opens": opens,
        "closes": closes,
    }


def run_open_election_demo(board: Board, keys: KeyStore, console: Console) -> str:
    """An election that stays open for :data:`DEMO_OPEN_DAYS` days, beside `pnyx demo
    election` (its office, ballot box, e-ID issuer and trustees): a voter with an e-ID of
    that issuer casts in the booth.  Real times only: it opens now."""
    if board.state(vd.NAME, f"election/{DEMO_OPEN_ELECTION}") is not None:
        raise VotingInputError(f"the election {DEMO_OPEN_ELECTION} exists on this board already")
    trustees = sorted(
        n for n in (f"trustee-{j}" for j in range(1, 33)) if keys.authority_path(n).exists()
    )[:3]
    if len(trustees) < 3 or not keys.authority_path(DEMO_OFFICIAL).exists():
        raise VotingInputError("run `pnyx demo election` on this board first (its authorities)")
    now = datetime.now(UTC).replace(microsecond=0)
    closes = now + timedelta(days=DEMO_OPEN_DAYS)
    cards = [trustee_init(keys, DEMO_OPEN_ELECTION, t) for t in trustees]
    manifest = open_election_manifest(now.date(), _rfc3339(now), _rfc3339(closes))
    console.rule(f"An open election: {DEMO_OPEN_ELECTION}, until {_rfc3339(closes)}")
    create_election(board, keys, manifest, DEMO_OFFICIAL, cards)
    with spinner_step("the trustees' key ceremony"):
        for t in trustees:
            trustee_commit(board, keys, DEMO_OPEN_ELECTION, t)
        for t in trustees:
            trustee_share(board, keys, DEMO_OPEN_ELECTION, t)
        for t in trustees:
            trustee_complain(board, keys, DEMO_OPEN_ELECTION, t)
        open_election(board, keys, DEMO_OPEN_ELECTION, DEMO_OFFICIAL)
    cosign_local(board, keys)  # a final checkpoint covers it: its page and the home say so
    console.print(
        f"{DEMO_OPEN_ELECTION} is open until {_rfc3339(closes)}: get an e-ID from "
        f"{DEMO_ISSUER} in /wallet (answered by `make serve`), then vote in "
        f"/elections/{DEMO_OPEN_ELECTION}/booth"
    )
    return DEMO_OPEN_ELECTION


def demo_open_election(ctx: typer.Context) -> None:
    """An election open for 30 days from now, for the booth (after `pnyx demo election`)."""
    board, keys = _board_keys(ctx)
    run_open_election_demo(board, keys, out)

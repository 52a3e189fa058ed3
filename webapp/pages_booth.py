"""The voting booth page: ``GET /elections/{id}/booth`` (docs/voting.md §4–§5, §8).

The server renders only the frame of the page (the election's title, phase and
eligibility rule, from the board); everything the vote needs happens in the
voter's browser, in ``/static/js/pages/booth.js``:

1. it loads the manifest, the joint key ``K`` and the context ``H_C`` from
   ``GET /api/v1/voting/elections/{id}`` and checks ``H_C`` against them;
2. the voter proves who may vote: for a roll election the page reads the
   voter's Ed25519 key file (the one ``pnyx election roll-key`` writes: the
   32-byte seed as 64 hex digits) from a local file and keeps it in memory; for
   a credential election the voter gives the pseudonym their wallet shows for
   this election;
3. the voter chooses (one fieldset a contest, radios for "exactly one", check
   boxes otherwise; the selection count is checked in the page), the page
   encrypts and proves the ballot and shows its tracker ``h_b``;
4. then either *challenge*: the ballot and its nonces are posted to
   ``.../challenges`` (it can never be cast) and the page shows the choices it
   recomputes from the nonces; or *cast*: the ballot with its eligibility (the
   roll signature made in the page, or the wallet's presentation for ``h_b``)
   is posted to ``.../ballots`` and the page shows the receipt to save.

Nothing secret or plaintext leaves the page except a challenge's nonces and
selections, which are public by design: the key file is never sent, a cast
ballot carries only ciphertexts and proofs.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from ledger.board import Board
from ledger.errors import Rejected
from services.voting.domain import OPENED
from services.voting.manifest import ELECTION_ID_RE
from webapp.pages import PHASE_WORDS, error_page, render_page

VOTING = "voting"
API = "/api/v1/voting"


def booth_view(board: Board, election: str) -> dict[str, Any] | None:
    """What the page's frame shows of ``election``, or None when the board has no such election."""
    rec = board.state(VOTING, f"election/{election}")
    if not isinstance(rec, dict):
        return None
    rows = board.entries(int(rec["index"]), int(rec["index"]) + 1)
    manifest = json.loads(rows[0][1])["body"]
    eligibility = str(rec["eligibility"]["type"])
    return {
        "id": election,
        "title": str(manifest["title"]),
        "phase": str(rec["phase"]),
        "phase_words": PHASE_WORDS.get(str(rec["phase"]), str(rec["phase"])),
        "open": rec["phase"] == OPENED,
        "eligibility": eligibility,
        "revote": str(rec["revote"]),
        "opens": str(rec["opens"]),
        "closes": str(rec["closes"]),
        "contests": len(manifest["contests"]),
        "api": API,
    }


def install(app: FastAPI) -> None:
    """Register the booth page on ``app`` (after :func:`webapp.pages.install`; idempotent)."""
    if getattr(app.state, "booth_page", False):
        return
    app.state.booth_page = True

    @app.get("/elections/{election}/booth", response_class=HTMLResponse, include_in_schema=False)
    def booth_page(request: Request, election: str) -> HTMLResponse:
        if not ELECTION_ID_RE.fullmatch(election):
            return error_page(request, 404, "There is no election with this id.")
        board: Board = request.app.state.board
        try:
            view = booth_view(board, election)
        except Rejected:
            return error_page(request, 404, "The board cannot answer this yet.")
        if view is None:
            return error_page(request, 404, "There is no election with this id.")
        return render_page(request, "booth.html", nav="elections", e=view)

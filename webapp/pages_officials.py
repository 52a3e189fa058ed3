"""The officials' dashboard: ``GET /officials`` (issue 7 item 3; docs/voting.md §3, §6, §11).

The server renders the frame of one page; everything else happens in the
official's browser, in ``/static/js/officials/`` (dashboard.js drives three views
chosen by the address's fragment):

- the key: the official loads the authority key file ``pnyx authority add`` wrote
  (Go signed-note ``PRIVATE+KEY+…``); the page derives its key id, shows the
  authority and its roles from ``GET /api/v1/board/authorities``, and keeps the key
  in memory only — it is never sent, and views change without reloading, so it
  stays loaded while the official works;
- ``#new``: the "create an election" form (title, id, contests, a roll of keys or a
  credential rule, the re-vote policy, trustees picked from the registered trustee
  authorities with their box keys, k, the opening and closing times) becomes the
  manifest, signed in the page as ``voting.election`` (entry.js, byte for byte as
  ledger/entry.py) and posted to ``POST /api/v1/board/entries``;
- ``#election/<id>``: the phase, the trustees' ceremony, the tally and the result
  from ``GET /api/v1/voting/elections/{id}``, refreshed every few seconds, and the
  button of the next step: ``voting.joint_key`` + ``voting.open``, ``voting.close``,
  ``voting.tally``, ``voting.result``.

The joint key, the tally and the result need no secret: they are functions of the
board, which recomputes them and refuses a wrong one.  The page takes the server's
drafts (``GET /api/v1/voting/elections/{id}/drafts/{step}``, webapp/api/voting.py),
recomputes each from the board's entries (checks.js: the reveals' commitments, the
counted ballots' ciphertexts, the partial decryptions) and signs only a draft equal
to its own result.  No helper API of its own is needed.

Every refusal — the board's ``{error, detail}``, a draft that does not match the
board, a form field the manifest cannot take — is shown in the page's alert.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from webapp import pages

API = {"board": "/api/v1/board", "voting": "/api/v1/voting", "identity": "/api/v1/identity"}
"""The API prefixes the page's modules read from (also in the page's data attributes)."""


def install(app: FastAPI) -> None:
    """Register ``GET /officials`` on ``app`` (installs the public pages first; idempotent)."""
    if getattr(app.state, "officials_page", False):
        return
    app.state.officials_page = True
    pages.install(app)

    @app.get("/officials", response_class=HTMLResponse, include_in_schema=False)
    def officials_page(request: Request) -> HTMLResponse:
        return pages.render_page(request, "officials.html", nav="officials", api=API)

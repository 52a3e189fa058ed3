"""The wallet and verifier pages: ``GET /wallet`` and ``GET /verifier`` (docs/wallet.md).

The server renders only the frames; everything happens in the browser:

- ``/wallet`` (``/static/js/wallet/page.js``): the holder's wallet. It is created
  and unlocked with a passphrase in the page and kept in this browser's IndexedDB,
  encrypted (PBKDF2-SHA-256, AES-256-GCM: ``wallet/vault.js``). It requests
  credentials through the issuance mailbox with a blind commitment and a fresh
  X25519 key made in the page, opens the issuer's sealed answer and verifies the
  blind signature there; it answers a verifier's request (``/wallet?request=<id>``
  or a pasted link) with a BBS proof made in the page, after showing what will be
  disclosed and proved and asking consent; it exports and imports encrypted
  backups. The booth (``pages_booth``) opens the same IndexedDB record for an
  election's pseudonym and eligibility presentation.
- ``/verifier`` (``/static/js/verifier/page.js``): a verifier builds a
  presentation request (issuer, schema, attributes, predicates, an optional
  pseudonym context), the server draws its nonce, the page shows it as a link to
  the wallet and a QR code, polls it and shows the verdict with what was checked.

Neither page sends a secret: docs/api.md §Identity lists what goes out.
"""

from __future__ import annotations

import re

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from webapp import pages

API = "/api/v1/identity"
SESSION_RE = re.compile(r"[0-9a-f]{32}")


def install(app: FastAPI) -> None:
    """Register ``GET /wallet`` and ``GET /verifier`` on ``app`` (after the public pages;
    idempotent)."""
    if getattr(app.state, "wallet_pages", False):
        return
    app.state.wallet_pages = True
    pages.install(app)

    @app.get("/wallet", response_class=HTMLResponse, include_in_schema=False)
    def wallet_page(request: Request) -> HTMLResponse:
        asked = request.query_params.get("request")
        if asked is not None and not SESSION_RE.fullmatch(asked):
            return pages.error_page(
                request, 400, "A presentation request id is 32 lowercase hex digits."
            )
        return pages.render_page(request, "wallet.html", nav="wallet", api=API, asked=asked)

    @app.get("/verifier", response_class=HTMLResponse, include_in_schema=False)
    def verifier_page(request: Request) -> HTMLResponse:
        return pages.render_page(request, "verifier.html", nav="verifier", api=API)

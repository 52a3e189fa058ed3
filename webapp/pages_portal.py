"""The patient portal page: ``GET /portal`` (docs/health.md §2–§6, docs/api.md §Health).

The server renders only the frame: where the health API is and whether this
server acts as the health gateway (its key folder holds the ``health-gw`` key,
registered with the role ``health_gateway``: see :func:`webapp.api.health.gateway_signer`).
Everything that needs a key happens in the patient's browser, in
``/static/js/portal/portal.js``:

1. the patient loads the key file ``pnyx health patient new`` wrote; the page
   keeps the master secret in memory and derives one pseudonym per provider
   (``GET /api/v1/health/providers``), asking for each pseudonym separately;
2. it lists the records, grants (expiry, status) and the access log of those
   pseudonyms; emergency (break-glass) reads carry a badge, the words
   "Emergency access" and their reason;
3. reading a record: the page signs the read request (``grant: null``), the server
   as gateway appends it and releases the blob with the key sealed for the
   pseudonym (``POST /gateway/reads``), and the page checks the blob against its
   commitment, opens the key and decrypts the FHIR bundle;
4. granting: the page re-seals the chosen records' keys for the doctor's card
   (``{"sign", "box"}``) and signs one grant per pseudonym, posted through
   ``POST /gateway/grants``; revoking signs ``{"grant"}`` (``/gateway/revocations``).

The gateway posts only what the patient signed (docs/health.md §6): it cannot
forge a grant, a revocation or a read. Nothing secret leaves the page: not the
key file, a derived secret, a record key nor a plaintext.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from ledger.errors import Rejected
from services.health.service import MAX_SKEW_SECONDS
from webapp.api.health import gateway_signer
from webapp.pages import render_page

API = "/api/v1/health"


def portal_view(request: Request) -> dict[str, Any]:
    """What the page's frame says: the API's place and whether the gateway routes work."""
    try:
        gateway = gateway_signer(request)
    except Rejected:
        gateway = None
    return {
        "api": API,
        "gateway": gateway is not None,
        "gateway_name": None if gateway is None else gateway.name,
        "max_skew": MAX_SKEW_SECONDS,
    }


def install(app: FastAPI) -> None:
    """Register the portal page on ``app`` (after :func:`webapp.pages.install`; idempotent)."""
    if getattr(app.state, "portal_page", False):
        return
    app.state.portal_page = True

    @app.get("/portal", response_class=HTMLResponse, include_in_schema=False)
    def portal_page(request: Request) -> HTMLResponse:
        return render_page(request, "portal.html", nav="portal", p=portal_view(request))

"""The web application (FastAPI): the API routers, the tiles, static files and the pages.

:func:`create_app` assembles it (docs/api.md):

- the API routers under ``/api/v1/`` (:mod:`webapp.api.board`, :mod:`webapp.api.notices`,
  :mod:`webapp.api.voting`, and ``webapp.api.identity`` / ``webapp.api.health`` when
  those modules exist), the C2SP tlog-tiles read paths (:mod:`webapp.tiles`), OpenAPI at
  ``/openapi.json`` and ``/docs``;
- ``/static`` (webapp/static) and ``/vendor/<package>`` (the npm packages the browser
  code imports, read-only);
- the HTML pages of ``webapp.pages`` (``install(app)``) when that module exists.

Every error is a JSON ``{"error": code, "detail": sentence}`` with a 4xx status
(:data:`STATUS`); request bodies are limited in size (413) and JSON nesting (400)
before any route sees them, and a refused request writes nothing.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger.board import Board
from ledger.errors import DomainRejection, Rejected
from ledger.store import Store
from services.registry import default_registry
from webapp.api import DEFAULT_BALLOT_BOX, ERROR_RESPONSES, MAX_BODY, MAX_DEPTH, Server
from webapp.keystore import KeyStore

WEBAPP = Path(__file__).resolve().parent
STATIC = WEBAPP / "static"
NODE_MODULES = WEBAPP / "node_modules"
VENDOR_PACKAGES = ("@noble", "canonicalize", "qrcode-generator", "swagger-ui-dist")
"""The npm package folders served under ``/vendor`` (nothing else of node_modules is)."""
OPTIONAL_ROUTERS = ("webapp.api.identity", "webapp.api.health")
"""Routers of other domains, included when their module exists (each exports ``router``)."""

STATUS: dict[str, int] = {
    # 400: the request or document is malformed
    "bad_request": 400,
    "bad_body": 400,
    "too_deep": 400,
    "malformed_entry": 400,
    "non_canonical": 400,
    "malformed_voting_entry": 400,
    "bad_document": 400,
    "malformed_record": 400,
    "voting_input": 400,
    "health_input": 400,
    # 403: the author may not write this
    "role_not_allowed": 403,
    "genesis_refused": 403,
    # 404: something named does not exist
    "not_found": 404,
    "not_initialised": 404,
    "unknown_author": 404,
    "unknown_kind": 404,
    "unknown_election": 404,
    "unknown_record": 404,
    "not_authorised": 403,
    "unknown_request": 404,
    "unknown_schema": 404,
    # 409: conflicts with the board's state (replay, phase, configuration)
    "duplicate_entry": 409,
    "wrong_phase": 409,
    "election_exists": 409,
    "window_passed": 409,
    "already_voted": 409,
    "ballot_replayed": 409,
    "ballot_challenged": 409,
    "no_ballot_box": 409,
    "export_failed": 409,
    "blob_tampered": 409,
    "already_answered": 409,
    "request_conflict": 409,
    # 410: a presentation request that expired; 429: a mailbox or request table full
    "request_expired": 410,
    "mailbox_full": 429,
    "too_many_requests": 429,
    # 413 / 415: the body's size or media type
    "entry_too_large": 413,
    "body_too_large": 413,
    "unsupported_media_type": 415,
}
"""The HTTP status of each rejection code; any other is 422 (well-formed but refused)."""


def status_of(r: Rejected) -> int:
    """The 4xx status of a rejection (docs/api.md §2)."""
    code = STATUS.get(r.code)
    if code is not None:
        return code
    return 422 if isinstance(r, DomainRejection) or r.code != "rejected" else 400


def error(
    status: int, code: str, detail: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status, headers=headers)


# --------------------------------------------------------------- body limits


def json_depth(value: Any) -> int:
    """The levels of a JSON value, as the board counts them (docs/board.md §1): a scalar or
    an empty container is 1, a container is one more than its deepest member."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        deepest = max(deepest, d)
        if isinstance(v, dict | list):
            stack.extend((x, d + 1) for x in (v.values() if isinstance(v, dict) else v))
    return deepest


def _too_deep(body: bytes, limit: int) -> bool:
    try:
        value = json.loads(body)
    except RecursionError:
        return True
    except ValueError:
        return False  # not JSON at all: the route says so
    return json_depth(value) > limit


class BodyLimits:
    """ASGI middleware: refuse a body over its size limit (413) or nested too deep (400).

    The whole body is read first (at most the limit), then replayed to the
    application, so that no route ever sees a request that breaks a limit.
    ``limits`` maps a path prefix to a larger (or smaller) limit than ``max_body``.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_body: int = MAX_BODY,
        max_depth: int = MAX_DEPTH,
        limits: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.max_depth = max_depth
        self.limits = sorted((limits or {}).items(), key=lambda x: -len(x[0]))

    def limit_for(self, path: str) -> int:
        return next((n for prefix, n in self.limits if path.startswith(prefix)), self.max_body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        headers = {k.lower(): v for k, v in scope["headers"]}
        length = headers.get(b"content-length")
        too_large = f"request bodies here are at most {limit} bytes"
        if length is not None:
            if not length.isdigit():
                await error(400, "bad_request", "bad Content-Length")(scope, receive, send)
                return
            if int(length) > limit:
                await error(413, "body_too_large", too_large)(scope, receive, send)
                return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > limit:
                await error(413, "body_too_large", too_large)(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        ctype = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
        if body and (ctype == b"application/json" or ctype.endswith(b"+json")):
            if _too_deep(bytes(body), self.max_depth):
                detail = f"JSON bodies are nested at most {self.max_depth} levels"
                await error(400, "too_deep", detail)(scope, receive, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)


# ---------------------------------------------------------------- the app


def _optional(name: str) -> ModuleType | None:
    """The module ``name`` when it exists (another engineer's router or pages)."""
    try:
        found = importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        found = False
    return importlib.import_module(name) if found else None


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(Rejected)
    def _rejected(_: Request, r: Rejected) -> JSONResponse:
        return error(status_of(r), r.code, r.detail)

    @app.exception_handler(RequestValidationError)
    def _invalid(_: Request, e: RequestValidationError) -> JSONResponse:
        first = e.errors()[0] if e.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()))
        return error(400, "bad_request", f"{where}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(StarletteHTTPException)
    def _http(_: Request, e: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(e.status_code, "http_error")
        return error(e.status_code, code, str(e.detail), e.headers)


def _install_docs(app: FastAPI) -> None:
    """``/docs``: Swagger UI from the npm package ``swagger-ui-dist`` under ``/vendor``, no CDN."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse

    @app.get("/docs", include_in_schema=False)
    def _docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="Pnyx API",
            swagger_js_url="/vendor/swagger-ui-dist/swagger-ui-bundle.js",
            swagger_css_url="/vendor/swagger-ui-dist/swagger-ui.css",
            swagger_favicon_url="/vendor/swagger-ui-dist/favicon-32x32.png",
        )


def _mount_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")
    for package in VENDOR_PACKAGES:
        app.mount(
            f"/vendor/{package}",
            StaticFiles(directory=NODE_MODULES / package, check_dir=False),
            name=f"vendor:{package}",
        )


def create_app(
    db_url: str,
    keys: KeyStore | Path | str | None = None,
    *,
    ballot_box: str = DEFAULT_BALLOT_BOX,
    max_body: int = MAX_BODY,
    max_depth: int = MAX_DEPTH,
) -> FastAPI:
    """The application for the board at ``db_url``.

    ``keys`` is the server's key folder (``pnyx serve --keys``): the log key
    signs checkpoints (receipts, checkpoints after appends) and the key of the
    authority ``ballot_box`` posts voters' ballots.  Without it the server
    signs nothing and ballot posts answer 409 ``no_ballot_box``.
    """
    from webapp import tiles
    from webapp.api import board, notices, voting

    app = FastAPI(
        title="Pnyx",
        version="1.0.0",
        description="The Pnyx bulletin board, notices and elections (docs/api.md).",
        docs_url=None,  # served below from our own copy of Swagger UI: /docs works offline
        redoc_url=None,
    )
    _install_docs(app)
    app.state.board = Board(Store(db_url), default_registry())
    app.state.server = Server.from_keys(keys, ballot_box)
    _install_errors(app)

    modules: list[ModuleType] = [board, notices, voting]
    modules += [m for m in map(_optional, OPTIONAL_ROUTERS) if m is not None]
    limits: dict[str, int] = {}
    for module in modules:
        app.include_router(module.router)
        limits.update(getattr(module, "BODY_LIMITS", {}))
    app.include_router(tiles.router, responses=ERROR_RESPONSES)
    _mount_static(app)
    app.add_middleware(BodyLimits, max_body=max_body, max_depth=max_depth, limits=limits)

    pages = _optional("webapp.pages")
    if pages is not None:
        pages.install(app)
    return app

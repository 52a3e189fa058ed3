"""The HTTP API (FastAPI): the board's read side; the pages come from :mod:`webapp.pages`.

Every error is a JSON ``{"error": code, "detail": sentence}`` with a 4xx
status.  Routes (docs/board.md §HTTP):

- ``GET /api/v1/board/checkpoint`` — the latest checkpoint note with cosignatures (text/plain)
- ``GET /api/v1/board/entries?start&end[&kind]`` — ``{"entries": [{index, leaf, kind}]}``
- ``GET /api/v1/board/proof/inclusion?index[&size]``
- ``GET /api/v1/board/proof/consistency?old[&size]``
- the C2SP tlog-tiles read paths (``/checkpoint``, ``/tile/...``), see :mod:`webapp.tiles`
"""

from __future__ import annotations

import base64
import importlib.util
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledger.board import Board
from ledger.errors import BadRequest, BoardNotInitialised, NotFound, Rejected
from ledger.store import Store
from services.registry import default_registry

MAX_INDEX = 2**63 - 1
"""The largest index or size a database integer holds (a larger one is a 400, never a 500)."""
STATUS = {NotFound: 404, BoardNotInitialised: 404, BadRequest: 400}


def _status(r: Rejected) -> int:
    for cls, code in STATUS.items():
        if isinstance(r, cls):
            return code
    return 422 if r.code == "domain_rejection" else 400


def error(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status)


def get_board(request: Request) -> Board:
    board: Board = request.app.state.board
    return board


BoardDep = Annotated[Board, Depends(get_board)]
router = APIRouter(prefix="/api/v1/board", tags=["board"])


@router.get("/checkpoint", response_class=PlainTextResponse)
def checkpoint(board: BoardDep) -> PlainTextResponse:
    """The latest signed checkpoint, with the witnesses' cosignatures, as a C2SP signed note."""
    return PlainTextResponse(
        board.checkpoint().note.decode(), media_type="text/plain; charset=utf-8"
    )


@router.get("/entries")
def entries(
    board: BoardDep,
    start: Annotated[int, Query(ge=0, le=MAX_INDEX)] = 0,
    end: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None,
    kind: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """Entries ``start`` to ``end - 1`` (at most 1000) with their exact leaf bytes in base64."""
    stop = min(board.size(), start + 100) if end is None else end
    rows = board.entries(start, stop, kind)
    return {
        "entries": [
            {"index": i, "leaf": base64.b64encode(leaf).decode(), "kind": json.loads(leaf)["kind"]}
            for i, leaf in rows
        ]
    }


@router.get("/proof/inclusion")
def inclusion(
    board: BoardDep,
    index: Annotated[int, Query(ge=0, le=MAX_INDEX)],
    size: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None,
) -> dict[str, Any]:
    """RFC 9162 inclusion proof (hex)."""
    return board.inclusion_proof(index, size).to_json()


@router.get("/proof/consistency")
def consistency(
    board: BoardDep,
    old: Annotated[int, Query(ge=0, le=MAX_INDEX)],
    size: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None,
) -> dict[str, Any]:
    """RFC 9162 consistency proof (hex)."""
    return board.consistency_proof(old, size).to_json()


def create_app(db_url: str) -> FastAPI:
    """The application for the board at ``db_url``."""
    app = FastAPI(title="Pnyx", version="0.1.0", description="Pnyx bulletin board API")
    app.state.board = Board(Store(db_url), default_registry())

    @app.exception_handler(Rejected)
    def _rejected(_: Request, r: Rejected) -> JSONResponse:
        return error(_status(r), r.code, r.detail)

    @app.exception_handler(RequestValidationError)
    def _invalid(_: Request, e: RequestValidationError) -> JSONResponse:
        first = e.errors()[0] if e.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()))
        return error(400, "bad_request", f"{where}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(StarletteHTTPException)
    def _http(_: Request, e: StarletteHTTPException) -> JSONResponse:
        return error(
            e.status_code, "not_found" if e.status_code == 404 else "http_error", str(e.detail)
        )

    app.include_router(router)

    from webapp.tiles import router as tiles_router

    app.include_router(tiles_router)

    if importlib.util.find_spec("webapp.pages") is not None:
        from webapp import pages

        pages.install(app)

    return app

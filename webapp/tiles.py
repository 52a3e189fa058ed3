"""C2SP tlog-tiles read paths, so that existing tile clients can mirror the board.

- ``GET /checkpoint``: the latest checkpoint note (with cosignatures).
- ``GET /tile/<L>/<N>[.p/<W>]``: a hash tile (``W`` hashes of 32 bytes, full = 256).
- ``GET /tile/entries/<N>[.p/<W>]``: an entry bundle (uint16 length + entry bytes each).

``<N>`` is written in groups of three decimal digits, every group but the last
prefixed with ``x`` (``1234067`` → ``x001/x234/067``).  Full tiles are
immutable (``Cache-Control: immutable``); a partial tile is served only at a
width the tree has reached.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from ledger.board import TILE_WIDTH, Board
from ledger.errors import NotFound

router = APIRouter(tags=["tlog-tiles"])

_GROUP = re.compile(r"x\d{3}")
_LAST = re.compile(r"\d{3}")
IMMUTABLE = "public, max-age=31536000, immutable"


def encode_index(n: int) -> str:
    """``1234067`` → ``x001/x234/067`` (tlog-tiles §Tile paths)."""
    digits = str(n)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


def parse_tile_path(path: str) -> tuple[int, int]:
    """``x001/x234/067[.p/W]`` → (index, width); NotFound for anything malformed."""
    width = TILE_WIDTH
    if ".p/" in path:
        path, w = path.split(".p/", 1)
        if not re.fullmatch(r"[1-9]\d{0,2}", w) or int(w) >= TILE_WIDTH:
            raise NotFound("bad partial tile width")
        width = int(w)
    parts = path.split("/")
    if (
        not parts
        or not _LAST.fullmatch(parts[-1])
        or not all(_GROUP.fullmatch(p) for p in parts[:-1])
    ):
        raise NotFound("bad tile index")
    digits = "".join(p.lstrip("x") for p in parts)
    if len(parts) > 1 and parts[0] == "x000":
        raise NotFound("tile index has leading zero groups")
    index = int(digits)
    if index >= 2**63 // TILE_WIDTH:
        raise NotFound("tile index out of range")  # beyond any tree a database can hold
    return index, width


def _board(request: Request) -> Board:
    board: Board = request.app.state.board
    return board


def _tile_response(data: bytes, width: int) -> Response:
    headers = {"Cache-Control": IMMUTABLE} if width == TILE_WIDTH else {}
    return Response(data, media_type="application/octet-stream", headers=headers)


@router.get("/checkpoint", response_class=PlainTextResponse)
def tlog_checkpoint(request: Request) -> PlainTextResponse:
    note = _board(request).checkpoint().note.decode()
    return PlainTextResponse(
        note, media_type="text/plain; charset=utf-8", headers={"Cache-Control": "no-cache"}
    )


@router.get("/tile/entries/{path:path}")
def tlog_entries(path: str, request: Request) -> Response:
    index, width = parse_tile_path(path)
    return _tile_response(_board(request).entry_bundle(index, width), width)


@router.get("/tile/{level}/{path:path}")
def tlog_tile(level: str, path: str, request: Request) -> Response:
    if not re.fullmatch(r"\d{1,2}", level) or (len(level) > 1 and level[0] == "0"):
        raise NotFound("bad tile level")
    index, width = parse_tile_path(path)
    return _tile_response(_board(request).tile(int(level), index, width), width)

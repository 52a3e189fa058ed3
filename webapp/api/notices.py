"""Notices (docs/api.md §4, docs/board.md §4.5): read them; publish by posting a signed entry.

Routes under ``/api/v1/notices``:

- ``GET /``: the latest notices, newest first, paged by ``before``;
- ``GET /{index}``: the notice at board entry ``index``.

Publishing is ``POST /api/v1/board/entries`` with a ``notice.publish`` entry
that the publisher signed on its own machine.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict

from ledger.board import Board
from ledger.errors import NotFound
from ledger.merkle import leaf_hash
from services.notices import PUBLISH
from webapp.api import ERROR_RESPONSES, MAX_INDEX, BoardDep
from webapp.api.board import entry_at, kind_page_before

router = APIRouter(prefix="/api/v1/notices", tags=["notices"], responses=ERROR_RESPONSES)

DOMAIN = "notice"
MAX_PAGE = 100


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AttachmentOut(Strict):
    name: str
    sha256: str


class NoticeOut(Strict):
    index: int
    title: str
    text: str
    attachments: list[AttachmentOut]
    publisher: str
    """The publishing authority's name."""
    author: str
    """Its key id."""
    time: str
    leaf_hash: str


class NoticesOut(Strict):
    notices: list[NoticeOut]
    count: int
    """Notices on the board in all."""
    next: int | None
    """The ``before`` of the next (older) page, or null at the first notice."""


def _notice(board: Board, index: int, leaf: bytes) -> dict[str, Any]:
    doc = json.loads(leaf)
    rec = board.state(DOMAIN, f"notice/{index:012d}")
    body = doc["body"]
    return {
        "index": index,
        "title": body["title"],
        "text": body["text"],
        "attachments": body["attachments"],
        "publisher": rec["publisher"] if rec else "",
        "author": doc["author"],
        "time": doc["time"],
        "leaf_hash": leaf_hash(leaf).hex(),
    }


@router.get("", response_model=NoticesOut)
def notices(
    board: BoardDep,
    before: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
) -> dict[str, Any]:
    """The notices below entry ``before`` (default: all), newest first, ``limit`` of them."""
    top = board.size() if before is None else before
    rows = kind_page_before(board, PUBLISH, top, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "notices": [_notice(board, i, leaf) for i, leaf in rows],
        "count": int(board.state(DOMAIN, "count") or 0),
        "next": rows[-1][0] if more else None,
    }


@router.get("/{index}", response_model=NoticeOut)
def notice(board: BoardDep, index: Annotated[int, Path(ge=0, le=MAX_INDEX)]) -> dict[str, Any]:
    """The notice at board entry ``index`` (404 when that entry is not a notice)."""
    leaf = entry_at(board, index)
    if json.loads(leaf)["kind"] != PUBLISH:
        raise NotFound(f"entry {index} is not a notice")
    return _notice(board, index, leaf)

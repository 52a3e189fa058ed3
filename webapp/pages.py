"""The public HTML pages (server-rendered with Jinja2, autoescaped).

``install(app)`` registers the page routes on an application made by
:func:`webapp.app.create_app`; the pages read the board through the ledger and
services Python APIs directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ledger.board import Board
from ledger.errors import Rejected

TEMPLATES = Path(__file__).parent / "templates"
ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


def render(name: str, **context: Any) -> str:
    """The template ``name`` rendered with ``context`` (every value autoescaped)."""
    return ENV.get_template(name).render(**context)


def _home(board: Board) -> dict[str, Any]:
    try:
        st = board.checkpoint()
        note: str | None = st.note.decode()
    except Rejected:
        note = None
    return {"size": board.size(), "note": note}


def install(app: FastAPI) -> None:
    """Register the public pages on ``app`` (whose ``state.board`` is the board)."""

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        return HTMLResponse(render("home.html", **_home(request.app.state.board)))

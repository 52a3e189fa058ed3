"""What every API router shares (docs/api.md §1): the error shape, the board and server keys
as dependencies, strict JSON bodies, and per-application caches.

A router reads the board with :data:`BoardDep`, a JSON request body with
:data:`JsonBody` (strict: UTF-8, no duplicate member, integers only, size and
depth bounded) or the exact bytes with :data:`RawBody`, and the server's own
keys (the log key, the ballot box key) through :data:`ServerDep`.  Every
refusal is a :class:`ledger.errors.Rejected` that the application answers
with a 4xx ``{"error": code, "detail": sentence}`` (:mod:`webapp.app`).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict

from ledger.board import Board
from ledger.entry import parse_json
from ledger.errors import EntryTooLarge, MalformedEntry, Rejected, RoleNotAllowed, UnknownAuthor
from ledger.note import Signer
from services.voting.casting import BallotBox
from services.voting.domain import BALLOT_BOX_ROLE
from webapp.keystore import KeyError_, KeyStore

MAX_BODY = 128 * 1024
"""Request bodies above this many bytes are refused with 413 (a router may allow more)."""
MAX_DEPTH = 32
"""JSON request bodies nested deeper than this are refused with 400."""
MAX_INDEX = 2**63 - 1
"""The largest index or size a database integer holds (a larger one is a 400, never a 500)."""
DEFAULT_BALLOT_BOX = "ballot-box"
"""The authority name of the server's ballot box key in the key folder (as `pnyx vote --box`)."""
JSON_TYPES = ("application/json",)

T = TypeVar("T")


# ---------------------------------------------------------------------- errors


class BadBody(Rejected):
    """A request body that is not the JSON document the route takes."""

    code = "bad_body"


class BodyTooLarge(Rejected):
    """A request body over the size limit."""

    code = "body_too_large"


class BodyTooDeep(Rejected):
    """A JSON request body nested deeper than :data:`MAX_DEPTH`."""

    code = "too_deep"


class UnsupportedMediaType(Rejected):
    """A request body that is not ``application/json``."""

    code = "unsupported_media_type"


class NoBallotBox(Rejected):
    """This server holds no usable ballot box key (or no log key to sign receipts)."""

    code = "no_ballot_box"


class GenesisRefused(Rejected):
    """The genesis is written by `pnyx init` on the server, never posted through the API."""

    code = "genesis_refused"


class ErrorOut(BaseModel):
    """Every 4xx answer."""

    model_config = ConfigDict(extra="forbid")
    error: str
    detail: str


def _error_doc(description: str) -> dict[str, Any]:
    # inline, not ``model``: FastAPI would document it under a text/plain route's media type
    schema = ErrorOut.model_json_schema()
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error_doc("Malformed request: parameters, JSON, entry or document shape"),
    403: _error_doc("The entry's author may not write this kind"),
    404: _error_doc("Unknown index, election, author, kind, or the board has no genesis"),
    409: _error_doc("Conflicts with the board: duplicate, wrong phase, no ballot box"),
    413: _error_doc("Request body or entry too large"),
    415: _error_doc("The body is not application/json"),
    422: _error_doc("Well-formed but refused by a rule: signature, proof, domain rule"),
}
"""The error answers every API route documents (docs/api.md §2)."""


# ------------------------------------------------------------------- the board


def get_board(request: Request) -> Board:
    board: Board = request.app.state.board
    return board


async def _board_dep(request: Request) -> Board:
    # async: FastAPI runs a plain ``def`` dependency in its thread pool (a hand-off per request)
    return get_board(request)


BoardDep = Annotated[Board, Depends(_board_dep)]


# ----------------------------------------------------------------------- bodies


def _check_media_type(request: Request) -> None:
    ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if ctype not in JSON_TYPES:
        raise UnsupportedMediaType(
            f"send the body as application/json (got {ctype[:64] or 'no content type'!r})"
        )


async def raw_body(request: Request) -> bytes:
    """The exact body bytes of an ``application/json`` request."""
    _check_media_type(request)
    return await request.body()


async def json_body(request: Request) -> Any:
    """The body as strict JSON (docs/board.md §1 rules: no duplicates, integers only)."""
    data = await raw_body(request)
    try:  # the size limit is the application's (webapp.app.BodyLimits), per route
        return parse_json(data, max_size=max(len(data), 1), max_depth=MAX_DEPTH)
    except EntryTooLarge as e:
        raise BodyTooLarge(e.detail) from None
    except MalformedEntry as e:
        if "nested deeper" in e.detail:
            raise BodyTooDeep(e.detail) from None
        raise BadBody(e.detail) from None
    except ValueError as e:  # an integer of more than 4300 digits (sys.get_int_max_str_digits)
        raise BadBody(f"not JSON this server reads: {str(e)[:120]}") from None


RawBody = Annotated[bytes, Depends(raw_body)]
JsonBody = Annotated[Any, Depends(json_body)]


def members(doc: Any, names: set[str], what: str) -> dict[str, Any]:
    """``doc`` when it is a JSON object with exactly the members ``names``, else 400."""
    if not isinstance(doc, dict) or doc.keys() != names:
        raise BadBody(f"{what} is a JSON object with exactly the members {sorted(names)}")
    return doc


def json_request_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    """``openapi_extra`` documenting a JSON body that the route parses itself."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": schema}},
        }
    }


# ------------------------------------------------------------------ server keys


@dataclass
class Server:
    """The server's own keys and its caches (``app.state.server``).

    The server holds two secret keys at most, both in the key folder that
    ``pnyx serve --keys`` names: the log key (it signs checkpoints) and the
    ballot box authority's key (it wraps voters' ballots into entries).  It
    never holds an authority's, a trustee's or a voter's key: everything
    else is signed by the client and posted as an entry.
    """

    keys: KeyStore | None
    ballot_box_name: str = DEFAULT_BALLOT_BOX
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _log: Signer | None = field(default=None, repr=False)
    _box: Signer | None = field(default=None, repr=False)
    _caches: dict[str, Any] = field(default_factory=dict, repr=False)
    _genesis: weakref.WeakKeyDictionary[Board, tuple[str, str]] = field(
        default_factory=weakref.WeakKeyDictionary, repr=False
    )
    _boxes: weakref.WeakKeyDictionary[Board, BallotBox] = field(
        default_factory=weakref.WeakKeyDictionary, repr=False
    )

    @classmethod
    def from_keys(cls, keys: KeyStore | Path | str | None, ballot_box: str) -> Server:
        store = keys if isinstance(keys, KeyStore) or keys is None else KeyStore(Path(keys))
        return cls(store, ballot_box)

    def log(self) -> Signer | None:
        """The log key, when the key folder holds it (read once, then kept)."""
        with self._lock:
            if self._log is None and self.keys is not None and self.keys.log_path.exists():
                try:
                    self._log = self.keys.log()
                except (KeyError_, ValueError):
                    return None
            return self._log

    def genesis(self, board: Board) -> tuple[str, str]:
        """The board's origin and log key (vkey), read once: a genesis never changes.

        Raises ``BoardNotInitialised`` (404) while the board has no genesis (nothing kept).
        """
        with self._lock:
            known = self._genesis.get(board)
        if known is None:
            known = board.origin(), board.log_verifier().vkey()
            with self._lock:
                self._genesis[board] = known
        return known

    def board_log(self, board: Board) -> Signer | None:
        """The log key when it is ``board``'s log key, else None."""
        log = self.log()
        if log is None or self.genesis(board)[1] != log.verifier().vkey():
            return None
        return log

    def sign_checkpoint(self, board: Board) -> bytes | None:
        """A checkpoint of the current tree signed by the log key, or None without the key."""
        log = self.board_log(board)
        return None if log is None else board.sign_checkpoint(log)

    def ballot_box(self, board: Board) -> BallotBox:
        """The ballot box, or :class:`NoBallotBox` (409) when this server cannot post ballots.

        Whether its key is a registered, unrevoked ``ballot_box`` authority is
        the board's admission's to say, atomically with the append: post with
        :meth:`posting`, which answers the admission's refusal of the author
        with :class:`NoBallotBox` too.
        """
        log = self.board_log(board)
        if log is None:
            raise NoBallotBox("this server holds no log key of this board to sign receipts")
        with self._lock:
            if self._box is None and self.keys is not None:
                path = self.keys.authority_path(self.ballot_box_name)
                if path.exists():
                    try:
                        self._box = self.keys.authority(self.ballot_box_name)
                    except (KeyError_, ValueError):
                        self._box = None
            box = self._box
        if box is None:
            raise NoBallotBox(
                f"this server holds no ballot box key ({self.ballot_box_name!r}): "
                "ballots cannot be posted here"
            )
        origin = self.genesis(board)[0]
        with self._lock:  # one per board: it keeps the author's key id and the origin
            made = self._boxes.get(board)
            if made is None or made.signer is not box or made.log is not log:
                made = self._boxes[board] = BallotBox(board, box, log, origin)
            return made

    @staticmethod
    @contextmanager
    def posting() -> Iterator[None]:
        """Around a ballot box's append: the board refusing its key is :class:`NoBallotBox`.

        The ballot box is the author of every entry it appends, so an unknown
        (unregistered or revoked) author or a missing role is the server's key's fault.
        """
        try:
            yield
        except (UnknownAuthor, RoleNotAllowed) as e:
            raise NoBallotBox(
                "the server's ballot box key is not a registered, unrevoked authority "
                f"with the role {BALLOT_BOX_ROLE}: {e.detail}"
            ) from None

    def cache(self, name: str, make: Callable[[], T]) -> T:
        """The application's cache ``name``, made on first use."""
        with self._lock:
            if name not in self._caches:
                self._caches[name] = make()
            value: T = self._caches[name]
            return value


def get_server(request: Request) -> Server:
    server: Server = request.app.state.server
    return server


async def _server_dep(request: Request) -> Server:
    return get_server(request)  # async, as _board_dep


ServerDep = Annotated[Server, Depends(_server_dep)]

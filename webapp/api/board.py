"""The board's API (docs/api.md §3, docs/board.md §8): read, prove, and append signed entries.

Routes under ``/api/v1/board``:

- ``GET /checkpoint``: the latest checkpoint note with cosignatures (text/plain);
- ``GET /entries``: a page of entries (by index range, or the next ones of a kind);
- ``GET /entries/{index}``: one entry, decoded, with its leaf hash;
- ``POST /entries``: append an entry signed by its author (the exact RFC 8785 bytes);
- ``GET /proof/inclusion``, ``GET /proof/consistency``: RFC 9162 proofs (hex);
- ``GET /witnesses``, ``GET /authorities``, ``GET /stats``.

The server signs nothing here but checkpoints (with the log key, when it holds
it): an entry is signed by its author on the client, and the board admits it
or refuses it with a typed error (docs/board.md §2) that leaves nothing written.
"""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func
from sqlmodel import col, select

from ledger import authorities
from ledger.board import Board
from ledger.entry import HEX64_RE, HEX128_RE, KIND_RE, MAX_ENTRY_SIZE, TIME_RE, Entry
from ledger.errors import BadRequest, EntryTooLarge, MalformedEntry, NotFound, Rejected
from ledger.merkle import leaf_hash
from ledger.store import EntryRow
from webapp.api import (
    ERROR_RESPONSES,
    MAX_INDEX,
    BoardDep,
    GenesisRefused,
    RawBody,
    ServerDep,
    json_request_body,
)

router = APIRouter(prefix="/api/v1/board", tags=["board"], responses=ERROR_RESPONSES)

PAGE = 100
"""Entries per page when the request names no end."""
MAX_PAGE = 1000
Index = Annotated[int, Query(ge=0, le=MAX_INDEX)]
KindQuery = Annotated[str | None, Query(max_length=64, pattern=KIND_RE.pattern)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EntryRowOut(Strict):
    index: int
    leaf: str
    """Base64 of the entry's exact bytes."""
    kind: str


class EntriesOut(Strict):
    entries: list[EntryRowOut]
    next: int | None
    """The ``start`` of the next page, or null when there is none (yet)."""


class EntryOut(Strict):
    index: int
    kind: str
    leaf: str
    """Base64 of the entry's exact bytes (the Merkle leaf)."""
    leaf_hash: str
    """RFC 9162 leaf hash, hex: ``SHA-256(0x00 || leaf)``."""
    entry: dict[str, Any]
    """The entry as JSON: version, kind, time, author, body, signature."""


class AppendedOut(Strict):
    index: int
    leaf_hash: str
    checkpoint: str | None
    """A checkpoint note (signed by the log key) that covers the entry, when the server holds
    the log key; else null (ask ``GET /checkpoint`` later)."""


class InclusionOut(Strict):
    index: int
    size: int
    leaf_hash: str
    root: str
    path: list[str]


class ConsistencyOut(Strict):
    old_size: int
    size: int
    old_root: str
    root: str
    path: list[str]


class WitnessOut(Strict):
    name: str
    vkey: str


class CheckpointStatusOut(Strict):
    size: int
    root: str
    """Hex of the checkpoint's root hash."""
    cosigned_by: list[str]
    quorum: int
    final: bool


class WitnessesOut(Strict):
    witnesses: list[WitnessOut]
    quorum: int
    checkpoint: CheckpointStatusOut | None


class AuthorityOut(Strict):
    name: str
    key_id: str
    public_key: str
    roles: list[str]
    since: int
    revoked_at: int | None
    reason: str | None


class AuthoritiesOut(Strict):
    authorities: list[AuthorityOut]


class StatsOut(Strict):
    origin: str | None
    log_key: str | None
    size: int
    kinds: dict[str, int]
    checkpoint: CheckpointStatusOut | None


ENTRY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["version", "kind", "time", "author", "body", "signature"],
    "properties": {
        "version": {"type": "integer", "enum": [1]},
        "kind": {"type": "string", "pattern": f"^{KIND_RE.pattern}$", "maxLength": 64},
        "time": {"type": "string", "pattern": f"^{TIME_RE.pattern}$"},
        "author": {"type": "string", "pattern": f"^{HEX64_RE.pattern}$"},
        "body": {"type": "object"},
        "signature": {"type": "string", "pattern": f"^{HEX128_RE.pattern}$"},
    },
}


def _b64(leaf: bytes) -> str:
    return base64.b64encode(leaf).decode()


def kind_page(
    board: Board, kinds: list[str], start: int, limit: int, end: int | None = None
) -> list[tuple[int, bytes]]:
    """Up to ``limit`` entries of the ``kinds`` from index ``start`` (below ``end``), in order."""
    with board.store.read() as tx:
        q = select(EntryRow).where(col(EntryRow.kind).in_(kinds), col(EntryRow.idx) >= start)
        if end is not None:
            q = q.where(col(EntryRow.idx) < end)
        rows = tx.s.exec(q.order_by(col(EntryRow.idx)).limit(limit))
        return [(r.idx, bytes(r.leaf)) for r in rows]


def kind_page_before(board: Board, kind: str, before: int, limit: int) -> list[tuple[int, bytes]]:
    """Up to ``limit`` entries of ``kind`` below index ``before``, newest first."""
    with board.store.read() as tx:
        q = select(EntryRow).where(EntryRow.kind == kind, col(EntryRow.idx) < before)
        rows = tx.s.exec(q.order_by(col(EntryRow.idx).desc()).limit(limit))
        return [(r.idx, bytes(r.leaf)) for r in rows]


def entry_at(board: Board, index: int) -> bytes:
    """The leaf at ``index``, else :class:`NotFound`."""
    rows = board.entries(index, index + 1)
    if not rows:
        raise NotFound(f"no entry {index} on a board of {board.size()} entries")
    return rows[0][1]


def checkpoint_status(board: Board) -> CheckpointStatusOut | None:
    """The latest checkpoint's size, root and witness quorum, or None before the first."""
    try:
        st = board.checkpoint()
    except Rejected:
        return None
    root = base64.b64decode(st.note.decode().split("\n")[2])
    return CheckpointStatusOut(
        size=st.size,
        root=root.hex(),
        cosigned_by=list(st.cosigned_by),
        quorum=st.quorum,
        final=st.final,
    )


# ------------------------------------------------------------------------ reads


@router.get("/checkpoint", response_class=PlainTextResponse)
def checkpoint(board: BoardDep) -> PlainTextResponse:
    """The latest signed checkpoint, with the witnesses' cosignatures, as a C2SP signed note."""
    return PlainTextResponse(
        board.checkpoint().note.decode(), media_type="text/plain; charset=utf-8"
    )


@router.get("/entries", response_model=EntriesOut)
def entries(
    board: BoardDep,
    start: Index = 0,
    end: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None,
    kind: KindQuery = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = PAGE,
) -> dict[str, Any]:
    """A page of entries with their exact bytes (base64).

    With ``end``: entries ``start .. end - 1`` (at most 1000), only those of
    ``kind`` when it is given.  Without ``end``: the next ``limit`` entries
    from ``start`` (of ``kind``, skipping the others, when it is given).
    ``next`` is where the following page starts.
    """
    size = board.size()
    if end is not None:
        rows = board.entries(start, end, kind)
        nxt = end if end < size else None
    elif kind is None:
        if start > size:
            raise BadRequest(f"start {start} is beyond the board's size {size}")
        stop = min(size, start + limit)
        rows = board.entries(start, stop)
        nxt = stop if stop < size else None
    else:
        rows = kind_page(board, [kind], start, limit + 1)
        nxt = rows[limit][0] if len(rows) > limit else None
        rows = rows[:limit]
    return {
        "entries": [
            {"index": i, "leaf": _b64(leaf), "kind": json.loads(leaf)["kind"]} for i, leaf in rows
        ],
        "next": nxt,
    }


@router.get("/entries/{index}", response_model=EntryOut)
def entry(board: BoardDep, index: Annotated[int, Path(ge=0, le=MAX_INDEX)]) -> dict[str, Any]:
    """One entry: its bytes, its leaf hash and its JSON."""
    leaf = entry_at(board, index)
    doc = json.loads(leaf)
    return {
        "index": index,
        "kind": doc["kind"],
        "leaf": _b64(leaf),
        "leaf_hash": leaf_hash(leaf).hex(),
        "entry": doc,
    }


@router.get("/proof/inclusion", response_model=InclusionOut)
def inclusion(
    board: BoardDep,
    index: Index,
    size: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None,
) -> dict[str, Any]:
    """RFC 9162 inclusion proof (hex) of entry ``index`` in the tree of ``size`` (default: now)."""
    return board.inclusion_proof(index, size).to_json()


@router.get("/proof/consistency", response_model=ConsistencyOut)
def consistency(
    board: BoardDep,
    old: Index,
    size: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None,
) -> dict[str, Any]:
    """RFC 9162 consistency proof (hex) from the tree of ``old`` to that of ``size``."""
    return board.consistency_proof(old, size).to_json()


@router.get("/witnesses", response_model=WitnessesOut)
def witnesses(board: BoardDep) -> dict[str, Any]:
    """The witnesses in force (``board.witnesses``), the quorum, and the latest checkpoint's."""
    ws, quorum = board.witnesses()
    return {
        "witnesses": [{"name": w.name, "vkey": w.vkey()} for w in ws],
        "quorum": quorum,
        "checkpoint": checkpoint_status(board),
    }


@router.get("/authorities", response_model=AuthoritiesOut)
def authorities_list(board: BoardDep) -> dict[str, Any]:
    """Every authority ever registered (revoked ones with when and why), by name."""
    rows = []
    for prefix, revoked in (("authority/", False), ("revoked/", True)):
        for key, rec in board.scan(authorities.DOMAIN, prefix):
            rows.append(
                {
                    "name": rec["name"],
                    "key_id": key.split("/", 1)[1],
                    "public_key": rec["public_key"],
                    "roles": list(rec["roles"]),
                    "since": rec["since"],
                    "revoked_at": rec["revoked_at"] if revoked else None,
                    "reason": rec["reason"] if revoked else None,
                }
            )
    return {"authorities": sorted(rows, key=lambda r: r["name"])}


@router.get("/stats", response_model=StatsOut)
def stats(board: BoardDep) -> dict[str, Any]:
    """The board's size, its entries counted by kind, and the latest checkpoint."""
    with board.store.read() as tx:
        q = select(EntryRow.kind, func.count()).group_by(EntryRow.kind)
        kinds = {kind: int(n) for kind, n in tx.s.exec(q)}
        size = tx.size()
    genesis = board.state(authorities.DOMAIN, "genesis")
    return {
        "origin": None if genesis is None else genesis["origin"],
        "log_key": None if genesis is None else genesis["log_key"],
        "size": size,
        "kinds": dict(sorted(kinds.items())),
        "checkpoint": checkpoint_status(board),
    }


# ----------------------------------------------------------------------- writes


#: Kinds whose entry and off-board data (an encrypted blob, a released key)
#: must change together: only their own routes append them.
_WITH_OFF_BOARD_DATA: dict[str, str] = {
    "health.record": "/api/v1/health/records",
    "health.access": "/api/v1/health/reads",
    "health.emergency": "/api/v1/health/reads",
}


@router.post(
    "/entries",
    status_code=201,
    response_model=AppendedOut,
    openapi_extra=json_request_body(
        ENTRY_SCHEMA,
        "An entry signed by its author: exactly its RFC 8785 canonical bytes "
        "(docs/board.md §1). Any other byte sequence is refused.",
    ),
)
def append(board: BoardDep, server: ServerDep, body: RawBody) -> dict[str, Any]:
    """Append an entry signed on the client; 201 with its index and leaf hash.

    The body must be the entry's canonical bytes exactly (whitespace, member
    order or escapes that differ are refused as ``non_canonical``), at most
    65,535 bytes.  The board then runs admission (docs/board.md §2).
    """
    if len(body) > MAX_ENTRY_SIZE:
        raise EntryTooLarge(f"{len(body)} bytes, an entry has at most {MAX_ENTRY_SIZE}")
    try:
        decoded = Entry.from_leaf(body)
    except ValueError as e:  # an integer of more than 4300 digits: not an entry either
        raise MalformedEntry(f"not an entry: {str(e)[:120]}") from None
    if decoded.kind == authorities.GENESIS:
        raise GenesisRefused("the genesis is written by `pnyx init` on the server, not posted")
    if decoded.kind in _WITH_OFF_BOARD_DATA:
        raise MalformedEntry(
            f"{decoded.kind} entries travel with off-board data: post them to "
            f"{_WITH_OFF_BOARD_DATA[decoded.kind]}"
        )
    index = board.append(body)
    note = server.sign_checkpoint(board)
    return {
        "index": index,
        "leaf_hash": decoded.leaf_hash.hex(),
        "checkpoint": None if note is None else note.decode(),
    }

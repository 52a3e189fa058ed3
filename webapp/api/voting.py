"""Elections (docs/api.md §5, docs/voting.md): read them, cast and challenge, check receipts,
export and verify the record.

Routes under ``/api/v1/voting``:

- ``GET /elections``: every election with its phase and counts;
- ``GET /elections/{id}``: manifest, phase, joint key, context, the trustees' ceremony,
  tally, partial decryptions and result;
- ``GET /elections/{id}/ballots``, ``.../challenges``: trackers (leaf hashes), paged;
- ``GET /elections/{id}/turnout``: ballots per time bucket, for a chart;
- ``POST /elections/{id}/ballots``: a ballot as the voter's client made it; the server's
  ballot box wraps it in a ``voting.ballot`` entry and answers the receipt (201);
- ``POST /elections/{id}/challenges``: a ballot with its nonces (it never counts);
- ``POST /receipts/check``: a receipt checked against the board and its latest checkpoint;
- ``GET /elections/{id}/record``: the election record (docs/election-record.md);
- ``GET /elections/{id}/verification``: the independent verifier's report on that record;
- ``GET /elections/{id}/drafts/{step}``: the unsigned body of the official's next
  ``voting.joint_key``, ``voting.tally`` or ``voting.result`` entry, computed from the
  board, for the official to check and sign on the client.

Every other voting entry (manifest, ceremony, open, close, partials, result) is
signed by its official or trustee on the client and posted to
``POST /api/v1/board/entries``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func
from sqlmodel import col, select

from ledger import authorities
from ledger.board import Board
from ledger.errors import BadRequest, NotFound, Rejected
from ledger.merkle import leaf_hash
from ledger.store import StateRow
from services.identity.board_data import BoardData
from services.voting import domain as vd
from services.voting.ballot import ballot_fields, ballot_hash
from services.voting.ceremony import joint_key_body
from services.voting.election import NAME
from services.voting.errors import UnknownElection, WrongPhase
from services.voting.manifest import ELECTION_ID_RE
from services.voting.receipt import Receipt, ReceiptInvalid, check_receipt
from services.voting.record import ExportError, export_record
from services.voting.tally import decrypt_result, tally_body
from services.voting.verifier import verify_record
from webapp.api import (
    ERROR_RESPONSES,
    MAX_INDEX,
    BadBody,
    BoardDep,
    JsonBody,
    ServerDep,
    json_request_body,
    members,
)
from webapp.api.board import entry_at, kind_page

router = APIRouter(prefix="/api/v1/voting", tags=["voting"], responses=ERROR_RESPONSES)

ElectionId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=f"^{ELECTION_ID_RE.pattern}$")
]
SCAN = 2000
MAX_PAGE = 1000
MAX_BUCKETS = 2000
BUCKETS = (60, 300, 900, 3600, 3 * 3600, 6 * 3600, 86400, 7 * 86400)
"""Bucket widths (seconds) the turnout chooses from when none is asked for."""
AUTO_BUCKETS = 200


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ----------------------------------------------------------------- responses


class ElectionSummaryOut(Strict):
    id: str
    title: str
    phase: str
    """ceremony, keyed, open, closed, tallied or decided (docs/voting.md §6)."""
    opens: str
    closes: str
    eligibility: str
    """credential or roll."""
    revote: str
    index: int
    """The board index of the manifest (``voting.election``) entry."""
    ballots: int
    """Ballots cast (re-votes included, challenged ones not)."""
    challenged: int
    counted: int
    """Voters with a counted ballot."""


class ElectionsOut(Strict):
    elections: list[ElectionSummaryOut]


class TrusteeOut(Strict):
    index: int
    key_id: str
    name: str | None
    """The trustee's authority name on the board (null if it was revoked)."""
    box: str
    committed: bool
    revealed: bool
    fault: str | None
    """Why the trustee was disqualified, if it was."""
    qualified: bool | None
    """In QUAL once the joint key is posted; null before."""
    partial: dict[str, Any] | None
    """``{"valid": bool, "reason": str | null}`` once its partial decryption is posted."""


class ComplaintOut(Strict):
    dealer: int
    recipient: int
    verdict: str


class TallyOut(Strict):
    digest: str
    ballots: int
    ciphertexts: list[list[str]]


class ContestTotalsOut(Strict):
    contest: str
    counts: dict[str, int]


class ResultOut(Strict):
    totals: list[ContestTotalsOut]
    used: list[int]
    excluded: list[dict[str, Any]]
    index: int


class ElectionOut(ElectionSummaryOut):
    manifest: dict[str, Any]
    manifest_hash: str
    joint_key: str | None
    context: str | None
    """``H_C`` (hex): the context of every contest proof and partial decryption."""
    threshold: int
    trustees: list[TrusteeOut]
    complaints: list[ComplaintOut]
    verification_keys: list[str] | None
    tally: TallyOut | None
    result: ResultOut | None


class BallotRowOut(Strict):
    index: int
    tracker: str
    """The RFC 9162 leaf hash of the ``voting.ballot`` entry (hex)."""
    ballot: str
    """The ballot hash ``h_b`` (hex)."""
    time: str
    counted: bool
    """Whether it is its voter's counted ballot now (a re-vote replaces it)."""


class BallotsOut(Strict):
    ballots: list[BallotRowOut]
    total: int
    next: int | None
    """The ``start`` of the next page, or null."""


class ChallengeRowOut(Strict):
    index: int
    tracker: str
    ballot: str
    time: str
    selections: list[list[int]]
    """What the challenged ballot encrypted, as its nonces open it (public by design)."""


class ChallengesOut(Strict):
    challenges: list[ChallengeRowOut]
    total: int
    next: int | None


class BucketOut(Strict):
    start: str
    ballots: int
    challenges: int


class TurnoutOut(Strict):
    bucket: int
    """Seconds per bucket."""
    opens: str
    closes: str
    ballots: int
    challenges: int
    series: list[BucketOut]


class InclusionOut(Strict):
    index: int
    size: int
    leaf_hash: str
    root: str
    path: list[str]


class ReceiptOut(Strict):
    version: int
    type: str
    election: str
    ballot: str
    tracker: str
    index: int
    inclusion: InclusionOut
    checkpoint: str


class ChallengedOut(Strict):
    index: int
    tracker: str
    ballot: str
    selections: list[list[int]]


class ReceiptCheckOut(Strict):
    valid: bool
    detail: str | None
    """Why the receipt does not check (the numbered step of docs/voting.md §8), or null."""
    election: str
    ballot: str
    tracker: str
    index: int
    size: int
    checked_to: int | None
    """The size of the newest checkpoint the receipt was tied to by a consistency proof."""
    counted: bool | None


class DraftStep(StrEnum):
    joint_key = "joint_key"
    tally = "tally"
    result = "result"


class DraftOut(Strict):
    kind: str
    body: dict[str, Any]


# ------------------------------------------------------------------ requests

HEX = "^[0-9a-f]*$"
BALLOT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["version", "election", "voter", "contests"],
    "properties": {
        "version": {"type": "integer", "enum": [1]},
        "election": {"type": "string", "pattern": f"^{ELECTION_ID_RE.pattern}$"},
        "voter": {"type": "string", "pattern": "^[0-9a-f]+$"},
        "contests": {"type": "array", "items": {"type": "string", "pattern": HEX}},
    },
}
CAST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["ballot", "eligibility"],
    "properties": {"ballot": BALLOT_SCHEMA, "eligibility": {"type": "object"}},
}
CHALLENGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["ballot", "nonces", "selections"],
    "properties": {
        "ballot": BALLOT_SCHEMA,
        "nonces": {
            "type": "array",
            "items": {"type": "array", "items": {"type": "string", "pattern": "^[0-9a-f]{64}$"}},
        },
        "selections": {
            "type": "array",
            "items": {"type": "array", "items": {"type": "integer", "minimum": 0}},
        },
    },
}
RECEIPT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["version", "type", "election", "ballot", "tracker", "index", "inclusion",
                 "checkpoint"],
    "properties": {
        "version": {"type": "integer", "enum": [1]},
        "type": {"type": "string", "enum": ["PnyxBallotReceipt"]},
        "election": {"type": "string"},
        "ballot": {"type": "string"},
        "tracker": {"type": "string"},
        "index": {"type": "integer", "minimum": 0, "maximum": MAX_INDEX},
        "inclusion": {
            "type": "object",
            "additionalProperties": False,
            "required": ["index", "size", "leaf_hash", "root", "path"],
            "properties": {
                "index": {"type": "integer", "minimum": 0, "maximum": MAX_INDEX},
                "size": {"type": "integer", "minimum": 0, "maximum": MAX_INDEX},
                "leaf_hash": {"type": "string"},
                "root": {"type": "string"},
                "path": {"type": "array", "items": {"type": "string"}},
            },
        },
        "checkpoint": {"type": "string"},
    },
}  # fmt: skip


# --------------------------------------------------------------------- caches


@dataclass(frozen=True)
class _Row:
    index: int
    kind: str
    tracker: str
    ballot: str
    voter: str
    time: str
    selections: list[list[int]] | None


@dataclass
class _ElectionScan:
    """The ballot and challenge entries of one election, scanned once and kept up to date."""

    election: str
    scanned: int
    ballots: list[_Row] = field(default_factory=list)
    challenges: list[_Row] = field(default_factory=list)
    counted: dict[str, int] = field(default_factory=dict)
    """Voter -> index of its counted ballot (the last one admitted: a denied re-vote is
    never admitted, so under either policy the last admitted ballot is the counted one)."""


@dataclass
class VotingCache:
    """Per application: the election scans and the verifier's reports by board size."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    scans: dict[str, _ElectionScan] = field(default_factory=dict)
    verify_lock: threading.Lock = field(default_factory=threading.Lock)
    reports: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)

    def scan(self, board: Board, election: str, start: int) -> _ElectionScan:
        """The election's ballots and challenges up to the board's current size."""
        with self.lock:
            s = self.scans.get(election)
            if s is None or s.scanned < start:
                s = self.scans[election] = _ElectionScan(election, start)
            size = board.size()
            lo = s.scanned
            while lo < size:
                rows = kind_page(board, [vd.BALLOT, vd.CHALLENGE], lo, SCAN, end=size)
                for index, leaf in rows:
                    _add(s, index, leaf)
                if len(rows) < SCAN:
                    break
                lo = rows[-1][0] + 1
            s.scanned = max(s.scanned, size)
            return s


def _add(s: _ElectionScan, index: int, leaf: bytes) -> None:
    doc = json.loads(leaf)
    ballot = doc["body"]["ballot"]
    if ballot["election"] != s.election:
        return
    row = _Row(
        index,
        doc["kind"],
        leaf_hash(leaf).hex(),
        ballot_hash(ballot).hex(),
        ballot["voter"],
        doc["time"],
        doc["body"].get("selections") if doc["kind"] == vd.CHALLENGE else None,
    )
    if doc["kind"] == vd.BALLOT:
        s.ballots.append(row)
        s.counted[row.voter] = index
    else:
        s.challenges.append(row)


def _cache(server: Any) -> VotingCache:
    cache: VotingCache = server.cache("voting", VotingCache)
    return cache


# -------------------------------------------------------------------- helpers


def _record(board: Board, election: str) -> dict[str, Any]:
    rec = board.state(NAME, f"election/{election}")
    if rec is None:
        raise UnknownElection(f"no election {election!r} on this board")
    return dict(rec)


def _manifest(board: Board, rec: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(entry_at(board, int(rec["index"])))["body"]
    return body


def _prefix_range(prefix: str) -> tuple[str, str]:
    """Keys starting with ``prefix`` (ending in "/") are in ``[prefix, prefix[:-1] + "0")``."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _state_count(board: Board, prefix: str) -> dict[Any, int]:
    """The voting state's values under ``prefix``, counted (by their JSON value)."""
    lo, hi = _prefix_range(prefix)
    with board.store.read() as tx:
        q = (
            select(StateRow.value, func.count())
            .where(StateRow.domain == NAME, col(StateRow.key) >= lo, col(StateRow.key) < hi)
            .group_by(StateRow.value)
        )
        return {v: int(n) for v, n in tx.s.exec(q)}


def _key_count(board: Board, prefix: str) -> int:
    lo, hi = _prefix_range(prefix)
    with board.store.read() as tx:
        q = select(func.count()).where(
            StateRow.domain == NAME, col(StateRow.key) >= lo, col(StateRow.key) < hi
        )
        return int(tx.s.exec(q).one())


def _summary(board: Board, rec: dict[str, Any], manifest: dict[str, Any]) -> dict[str, Any]:
    eid = rec["id"]
    seen = {json.loads(v): n for v, n in _state_count(board, f"seen/{eid}/").items()}
    return {
        "id": eid,
        "title": manifest["title"],
        "phase": rec["phase"],
        "opens": rec["opens"],
        "closes": rec["closes"],
        "eligibility": rec["eligibility"]["type"],
        "revote": rec["revote"],
        "index": rec["index"],
        "ballots": seen.get("cast", 0),
        "challenged": seen.get("challenged", 0),
        "counted": _key_count(board, f"cast/{eid}/"),
    }


def _trustees(board: Board, rec: dict[str, Any]) -> list[dict[str, Any]]:
    eid = rec["id"]
    commits = {k.rsplit("/", 1)[1] for k, _ in board.scan(NAME, f"commit/{eid}/")}
    reveals = {k.rsplit("/", 1)[1] for k, _ in board.scan(NAME, f"reveal/{eid}/")}
    faults = {k.rsplit("/", 1)[1]: v for k, v in board.scan(NAME, f"fault/{eid}/")}
    partials = {k.rsplit("/", 1)[1]: v for k, v in board.scan(NAME, f"partial/{eid}/")}
    keys = board.state(NAME, f"keys/{eid}")
    out = []
    for j, (kid, box) in enumerate(rec["trustees"], start=1):
        a = board.state(authorities.DOMAIN, f"authority/{kid}")
        p = partials.get(str(j))
        out.append(
            {
                "index": j,
                "key_id": kid,
                "name": None if a is None else a["name"],
                "box": box,
                "committed": str(j) in commits,
                "revealed": str(j) in reveals,
                "fault": faults.get(str(j)),
                "qualified": None if keys is None else j in keys["qualified"],
                "partial": None if p is None else {"valid": p["valid"], "reason": p["reason"]},
            }
        )
    return out


def _choices(contest: dict[str, Any]) -> list[str]:
    return [*contest["options"], *(["blank"] if contest["blank"] else [])]


def _epoch(t: str) -> int:
    return int(datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())


def _rfc3339(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _scan(board: Board, server: Any, election: str) -> _ElectionScan:
    """The election's ballots and challenges, from the cache (404 for an unknown election)."""
    rec = _record(board, election)
    return _cache(server).scan(board, election, int(rec["index"]))


def _row_out(r: _Row) -> dict[str, Any]:
    """What the ballot and challenge lists show of every row."""
    return {"index": r.index, "tracker": r.tracker, "ballot": r.ballot, "time": r.time}


def _page(rows: list[_Row], start: int, limit: int) -> tuple[list[_Row], int | None]:
    """Rows with index >= ``start``, ``limit`` of them, and the next page's start."""
    lo = next((k for k, r in enumerate(rows) if r.index >= start), len(rows))
    page = rows[lo : lo + limit]
    more = lo + limit < len(rows)
    return page, rows[lo + limit].index if more else None


def _same_election(ballot: Any, election: str) -> None:
    got, _, _ = ballot_fields(ballot)
    if got != election:
        raise BadBody(f"the ballot is for election {got!r}, not {election!r}")


# ---------------------------------------------------------------------- reads


@router.get("/elections", response_model=ElectionsOut)
def elections(board: BoardDep) -> dict[str, Any]:
    """Every election on the board, in the order of their manifests."""
    rows = [dict(v) for _, v in board.scan(NAME, "election/")]
    rows.sort(key=lambda r: r["index"])
    return {"elections": [_summary(board, r, _manifest(board, r)) for r in rows]}


@router.get("/elections/{election}", response_model=ElectionOut)
def election(board: BoardDep, election: ElectionId) -> dict[str, Any]:
    """An election: manifest, phase, keys, the trustees' ceremony, tally and result."""
    rec = _record(board, election)
    manifest = _manifest(board, rec)
    keys = board.state(NAME, f"keys/{election}")
    tally = board.state(NAME, f"tally/{election}")
    res = board.state(NAME, f"result/{election}")
    complaints = []
    for k, c in board.scan(NAME, f"complaint/{election}/"):
        _, _, dealer, recipient = k.split("/")
        complaints.append(
            {"dealer": int(dealer), "recipient": int(recipient), "verdict": c["verdict"]}
        )
    return {
        **_summary(board, rec, manifest),
        "manifest": manifest,
        "manifest_hash": rec["manifest"],
        "joint_key": rec["key"],
        "context": rec["context"],
        "threshold": rec["threshold"],
        "trustees": _trustees(board, rec),
        "complaints": complaints,
        "verification_keys": None if keys is None else keys["verification_keys"],
        "tally": None
        if tally is None
        else {
            "digest": tally["digest"],
            "ballots": tally["ballots"],
            "ciphertexts": tally["tally"],
        },
        "result": None
        if res is None
        else {
            "totals": [
                {"contest": c["id"], "counts": dict(zip(_choices(c), t, strict=True))}
                for c, t in zip(manifest["contests"], res["totals"], strict=True)
            ],
            "used": res["used"],
            "excluded": res["excluded"],
            "index": res["index"],
        },
    }


@router.get("/elections/{election}/ballots", response_model=BallotsOut)
def ballots(
    board: BoardDep,
    server: ServerDep,
    election: ElectionId,
    start: Annotated[int, Query(ge=0, le=MAX_INDEX)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> dict[str, Any]:
    """The election's cast ballots from board index ``start``: tracker, hash, time, counted."""
    s = _scan(board, server, election)
    page, nxt = _page(s.ballots, start, limit)
    return {
        "ballots": [{**_row_out(r), "counted": s.counted.get(r.voter) == r.index} for r in page],
        "total": len(s.ballots),
        "next": nxt,
    }


@router.get("/elections/{election}/challenges", response_model=ChallengesOut)
def challenges(
    board: BoardDep,
    server: ServerDep,
    election: ElectionId,
    start: Annotated[int, Query(ge=0, le=MAX_INDEX)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> dict[str, Any]:
    """The election's challenged ballots, with the selections their nonces open."""
    s = _scan(board, server, election)
    page, nxt = _page(s.challenges, start, limit)
    return {
        "challenges": [{**_row_out(r), "selections": r.selections or []} for r in page],
        "total": len(s.challenges),
        "next": nxt,
    }


@router.get("/elections/{election}/turnout", response_model=TurnoutOut)
def turnout(
    board: BoardDep,
    server: ServerDep,
    election: ElectionId,
    bucket: Annotated[int | None, Query(ge=60, le=366 * 86400)] = None,
) -> dict[str, Any]:
    """Ballots and challenges per time bucket from the opening to the closing time.

    ``bucket`` is in seconds (at most 2000 buckets); by default the smallest of
    1 min, 5 min, 15 min, 1 h, 3 h, 6 h, 1 day, 1 week giving at most 200.
    Times are the entries' (the ballot box's clock).
    """
    rec = _record(board, election)
    opens, closes = _epoch(rec["opens"]), _epoch(rec["closes"])
    span = max(closes - opens, 1)
    if bucket is None:
        bucket = next((b for b in BUCKETS if -(-span // b) <= AUTO_BUCKETS), BUCKETS[-1])
    n = -(-span // bucket)
    if n > MAX_BUCKETS:
        raise BadRequest(f"{n} buckets of {bucket} s: at most {MAX_BUCKETS}; ask for wider ones")
    s = _cache(server).scan(board, election, int(rec["index"]))
    counts = [[0, 0] for _ in range(n)]
    for k, rows in enumerate((s.ballots, s.challenges)):
        for r in rows:
            b = min(max((_epoch(r.time) - opens) // bucket, 0), n - 1)
            counts[b][k] += 1
    return {
        "bucket": bucket,
        "opens": rec["opens"],
        "closes": rec["closes"],
        "ballots": len(s.ballots),
        "challenges": len(s.challenges),
        "series": [
            {"start": _rfc3339(opens + b * bucket), "ballots": c[0], "challenges": c[1]}
            for b, c in enumerate(counts)
        ],
    }


@router.get(
    "/elections/{election}/record",
    response_class=JSONResponse,
    responses={200: {"description": "The election record (docs/election-record.md)",
                     "content": {"application/json": {"schema": {"type": "object"}}}}},
)  # fmt: skip
def record(board: BoardDep, server: ServerDep, election: ElectionId) -> JSONResponse:
    """The election record against the latest checkpoint (signed first, when the server can)."""
    _record(board, election)
    server.sign_checkpoint(board)
    return JSONResponse(export_record(board, election))


@router.get(
    "/elections/{election}/verification",
    responses={200: {"description": "The verifier's report (docs/election-record.md §4)",
                     "content": {"application/json": {"schema": {"type": "object"}}}}},
)  # fmt: skip
def verification(board: BoardDep, server: ServerDep, election: ElectionId) -> JSONResponse:
    """Steps V1–V19 of the independent verifier over the record, kept per checkpoint size.

    ``status`` is ``valid``, ``invalid`` or ``incomplete`` (steps that need entries the
    election has not reached yet are skipped).
    """
    _record(board, election)
    server.sign_checkpoint(board)
    cache = _cache(server)
    with cache.verify_lock:
        try:
            size = board.checkpoint().size
        except NotFound:
            raise ExportError("the board has no signed checkpoint yet") from None
        hit = cache.reports.get(election)
        if hit is None or hit[0] != size:
            doc = export_record(board, election)
            report = verify_record(doc, board.log_verifier().vkey(), workers=1)
            hit = cache.reports[election] = (size, {**report.to_json(), "size": size})
        return JSONResponse(hit[1])


@router.get("/elections/{election}/drafts/{step}", response_model=DraftOut)
def draft(board: BoardDep, election: ElectionId, step: DraftStep) -> dict[str, Any]:
    """The body of the official's next entry, computed from the board (unsigned).

    ``joint_key`` in the ceremony phase, ``tally`` once closed, ``result`` once
    tallied.  The official checks it, signs it on the client and posts it to
    ``POST /api/v1/board/entries``; the board recomputes and refuses a wrong one.
    """
    rec = _record(board, election)
    data = BoardData.from_board(board)
    phase = {
        DraftStep.joint_key: vd.CEREMONY,
        DraftStep.tally: vd.CLOSED,
        DraftStep.result: vd.TALLIED,
    }[step]
    if rec["phase"] != phase:
        raise WrongPhase(
            f"a {step.value} draft needs the election {phase}; {election} is {rec['phase']}"
        )
    if step is DraftStep.joint_key:
        return {"kind": vd.JOINT_KEY, "body": joint_key_body(data, election)}
    if step is DraftStep.tally:
        return {"kind": vd.TALLY, "body": tally_body(data, election)}
    digest, result = decrypt_result(data, election)
    return {"kind": vd.RESULT, "body": result.body(election, digest)}


# --------------------------------------------------------------------- writes


@router.post(
    "/elections/{election}/ballots",
    status_code=201,
    response_model=ReceiptOut,
    openapi_extra=json_request_body(
        CAST_SCHEMA,
        "A ballot and its eligibility proof as the voter's client made them "
        "(docs/voting.md §4–§5); the server's ballot box posts it.",
    ),
)
def cast(board: BoardDep, server: ServerDep, election: ElectionId, body: JsonBody) -> Any:
    """Cast a ballot: the ballot box wraps it in a ``voting.ballot`` entry; 201 with the receipt.

    The board checks the ballot (phase, time, form, replay, contest proofs,
    eligibility) before it gets an index; a refusal writes nothing.
    """
    try:
        doc = members(body, {"ballot", "eligibility"}, "a cast ballot")
        _same_election(doc["ballot"], election)
    except Rejected:
        _record(board, election)  # an unknown election is a 404 before a malformed body
        raise
    box = server.ballot_box(board)
    with server.posting():  # the board refuses an unknown election (404) with nothing written
        receipt = box.cast(doc)
    return receipt.to_json()


@router.post(
    "/elections/{election}/challenges",
    status_code=201,
    response_model=ChallengedOut,
    openapi_extra=json_request_body(
        CHALLENGE_SCHEMA,
        "A ballot with its nonces and selections (docs/voting.md §3 voting.challenge).",
    ),
)
def challenge(board: BoardDep, server: ServerDep, election: ElectionId, body: JsonBody) -> Any:
    """Challenge a ballot: its nonces become public and it can never be cast; 201."""
    _record(board, election)
    doc = members(body, {"ballot", "nonces", "selections"}, "a challenge")
    _same_election(doc["ballot"], election)
    box = server.ballot_box(board)
    leaf = box.entry(vd.CHALLENGE, doc)
    with server.posting():
        index = board.append(leaf)
    return {
        "index": index,
        "tracker": leaf_hash(leaf).hex(),
        "ballot": ballot_hash(doc["ballot"]).hex(),
        "selections": doc["selections"],
    }


@router.post(
    "/receipts/check",
    response_model=ReceiptCheckOut,
    openapi_extra=json_request_body(RECEIPT_SCHEMA, "A receipt (docs/voting.md §8)."),
)
def receipt_check(board: BoardDep, server: ServerDep, body: JsonBody) -> dict[str, Any]:
    """Check a receipt against the board, tied to its latest checkpoint (200 either way).

    A document that is not a receipt at all is a 400; a receipt that does not
    check answers ``valid: false`` with the failed step in ``detail``.
    """
    try:
        r = Receipt.from_json(body)
    except ReceiptInvalid as e:
        raise BadBody(f"not a receipt: {e.detail}") from None
    if not (0 <= r.index < r.size <= MAX_INDEX):
        raise BadBody("a receipt's index and size need 0 <= index < size < 2**63")
    out = {
        "election": r.election,
        "ballot": r.ballot,
        "tracker": r.tracker,
        "index": r.index,
        "size": r.size,
    }
    server.sign_checkpoint(board)
    try:
        res = check_receipt(r, board)
    except ReceiptInvalid as e:
        return {**out, "valid": False, "detail": e.detail, "checked_to": None, "counted": None}
    return {**out, "valid": True, "detail": None, "checked_to": res.checked_to,
            "counted": res.counted}  # fmt: skip

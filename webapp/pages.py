"""The public HTML pages: home, board explorer, entry, election, receipt check, errors.

``install(app)`` registers the pages on an application made by
:func:`webapp.app.create_app` (whose ``app.state.board`` is the board) and an
ASGI middleware that answers a browser's page request that failed with an
HTML error page instead of the API's JSON error.  Pages are server-rendered
with Jinja2 (autoescaped: every string from the board is data, never markup)
and read the board through the ledger and services Python APIs, never over
HTTP.  What the browser checks itself — a checkpoint's signatures, an
inclusion proof, a receipt — it checks with ``/static/js/board/verify.js``
against the log key the page embeds from the genesis (docs/board.md §4.1).

Other page modules extend ``base.html`` and render through
:func:`render_page`; see ``docs`` in the templates for the block names.

No page shows a secret: the board holds none (DESIGN.md §Cryptography), and
the pages show only board data and what is derived from it.  A challenged
ballot's selections are public board data by design (docs/voting.md §6); a
cast ballot is only ciphertexts.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import func
from sqlmodel import select

from ledger import authorities
from ledger.board import Board, CheckpointStatus
from ledger.checkpoint import Checkpoint, CheckpointError
from ledger.entry import KIND_RE
from ledger.errors import Rejected
from ledger.merkle import leaf_hash
from ledger.note import SIG_COSIGNATURE_V1, NoteError, Verifier, parse_note
from ledger.store import EntryRow
from services.voting.record import ExportError, export_record
from services.voting.verifier import INCOMPLETE, Report, verify_record

TEMPLATES = Path(__file__).parent / "templates"
API = "/api/v1/board"
PAGE_SIZE = 50
"""Entries per page of the board explorer."""
SCAN_WINDOW = 1000
"""Indices read per query while looking for entries of one kind (Board.entries' limit)."""
SCAN_WINDOWS = 20
"""Windows one explorer page looks through before it offers to look further."""
CACHE_ENTRIES = 64
VERIFY_WAIT = 8.0
"""Seconds an election page waits for the verifier before it shows the last report it has."""
MAX_INDEX = 2**63 - 1
FINDINGS_SHOWN = 20
VOTING = "voting"
PHASES = ("ceremony", "keyed", "open", "closed", "tallied", "decided")
PHASE_WORDS = {
    "ceremony": "key ceremony",
    "keyed": "keyed (not open yet)",
    "open": "open for ballots",
    "closed": "closed",
    "tallied": "tallied (decrypting)",
    "decided": "result published",
}
IMPORT_MAP = {
    "imports": {
        "@noble/curves/": "/vendor/@noble/curves/",
        "@noble/hashes/": "/vendor/@noble/hashes/",
        "@noble/ciphers/": "/vendor/@noble/ciphers/",
        "canonicalize": "/vendor/canonicalize/lib/canonicalize.js",
        "qrcode-generator": "/vendor/qrcode-generator/dist/qrcode.mjs",
    }
}
HTML_ERROR_SKIP = ("/api/", "/tile/", "/checkpoint", "/static/", "/vendor/", "/openapi", "/docs")
"""Paths whose errors stay JSON (or plain) whatever the client accepts."""
STATUS_WORDS = {
    400: ("Bad request", "The address or the form was not understood."),
    404: ("Not found", "There is no such page on this board."),
    405: ("Not allowed", "This page cannot be used that way."),
    413: ("Too large", "The request was too large."),
    422: ("Refused", "The request was understood but refused."),
    429: ("Too many requests", "Please wait a moment and try again."),
    500: ("Something went wrong", "The page could not be made. Nothing was changed."),
}
log = logging.getLogger("pnyx.pages")


# ------------------------------------------------------------------ state


@dataclass
class _VerifyJob:
    key: tuple[int, int, int]
    """(board size, checkpoint size, cosignatures)."""
    future: Future[Report]


@dataclass
class PageState:
    """Per-application page state: templates, caches and the verifier's jobs."""

    env: Environment
    csp: str
    verify_wait: float = VERIFY_WAIT
    cache: OrderedDict[tuple[Any, ...], Any] = field(default_factory=OrderedDict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    pending: dict[str, _VerifyJob] = field(default_factory=dict)
    reports: dict[str, tuple[tuple[int, int, int], Report]] = field(default_factory=dict)
    slot: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(1))

    def cached(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        """``make()`` once per ``key`` (keys include the board size), least recently used out."""
        with self.lock:
            if key in self.cache:
                self.cache.move_to_end(key)
                return self.cache[key]
        value = make()
        with self.lock:
            self.cache[key] = value
            while len(self.cache) > CACHE_ENTRIES:
                self.cache.popitem(last=False)
        return value

    def submit(self, fn: Callable[..., Report], *args: Any) -> Future[Report]:
        """Run ``fn(*args)`` in a daemon thread, one at a time per application.

        Daemon threads: a verification in progress never holds up the server's
        shutdown (its result is only a cache).
        """
        future: Future[Report] = Future()

        def run() -> None:
            with self.slot:
                if not future.set_running_or_notify_cancel():
                    return
                try:
                    future.set_result(fn(*args))
                except BaseException as e:  # handed to the waiting page, which logs it
                    future.set_exception(e)

        threading.Thread(target=run, name="pnyx-pages-verify", daemon=True).start()
        return future


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "svg", "xml"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["import_map"] = Markup(json.dumps(IMPORT_MAP, indent=1))  # noqa: S704 (a constant)
    env.globals["phase_words"] = PHASE_WORDS
    env.filters["short"] = lambda s, n=12: s if len(str(s)) <= n else f"{str(s)[:n]}…"
    return env


def _csp(env: Environment) -> str:
    """Content-Security-Policy: our own scripts only, plus the import map by its hash."""
    digest = hashlib.sha256(str(env.globals["import_map"]).encode()).digest()
    script = f"'self' 'sha256-{base64.b64encode(digest).decode()}'"
    return (
        f"default-src 'self'; script-src {script}; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    )


def state_of(app: FastAPI) -> PageState:
    st: PageState = app.state.pages
    return st


def render_page(
    request: Request, template: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render ``template`` (which extends ``base.html``) as an HTML response.

    For other page modules too: the response carries the pages' security
    headers (CSP allowing the import map and same-origin scripts only).
    """
    st = state_of(request.app)
    html = st.env.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=_headers(st))


def _headers(st: PageState) -> dict[str, str]:
    return {
        "Content-Security-Policy": st.csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


def error_page(request: Request, status: int, message: str | None = None) -> HTMLResponse:
    """The error page for ``status``: a fixed sentence, or ``message`` (ours, never an
    exception's text)."""
    title, sentence = STATUS_WORDS.get(status, STATUS_WORDS[500 if status >= 500 else 400])
    return render_page(
        request, "error.html", status, title=title, status=status, message=message or sentence
    )


def _board(request: Request) -> Board:
    board: Board = request.app.state.board
    return board


# ------------------------------------------------------------- board data


def _genesis(board: Board) -> dict[str, Any] | None:
    g = board.state(authorities.DOMAIN, "genesis")
    return dict(g) if isinstance(g, dict) else None


def _log_key(board: Board) -> str | None:
    g = _genesis(board)
    return None if g is None else str(g["log_key"])


def _witness_info(board: Board) -> tuple[list[str], int]:
    w = board.state(authorities.DOMAIN, "witnesses")
    if not isinstance(w, dict):
        return [], 0
    return [str(v) for v in w.get("witnesses", [])], int(w.get("quorum", 0))


def _authority_name(board: Board, kid: str) -> str | None:
    rec = board.state(authorities.DOMAIN, f"authority/{kid}")
    if rec is None:
        rec = board.state(authorities.DOMAIN, f"revoked/{kid}")
    return None if rec is None else str(rec["name"])


def _iso(ts: int) -> str:
    try:
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return str(ts)


def checkpoint_view(board: Board, status: CheckpointStatus) -> dict[str, Any]:
    """The latest checkpoint as a page shows it: size, root, origin, cosignatures with times."""
    note = status.note.decode()
    out: dict[str, Any] = {
        "size": status.size,
        "note": note,
        "quorum": status.quorum,
        "final": status.final,
        "cosigned_by": list(status.cosigned_by),
    }
    try:
        parsed = parse_note(status.note)
        cp = Checkpoint.from_text(parsed.text)
    except (NoteError, CheckpointError):
        out.update(origin=None, root_hex=None, root_b64=None, cosignatures=[], time=None)
        return out
    vkeys, _ = _witness_info(board)
    witnesses: list[Verifier] = []
    for v in vkeys:
        try:
            witnesses.append(Verifier.from_vkey(v))
        except NoteError:
            continue
    cosigs: list[dict[str, Any]] = []
    for sig in parsed.signatures:
        w = next((w for w in witnesses if w.matches(sig)), None)
        if w is None or w.sig_type != SIG_COSIGNATURE_V1 or len(sig.signature) != 72:
            continue
        ts = int.from_bytes(sig.signature[:8], "big")
        cosigs.append({"name": sig.name, "timestamp": ts, "time": _iso(ts)})
    out.update(
        origin=cp.origin,
        root_hex=cp.root_hash.hex(),
        root_b64=base64.b64encode(cp.root_hash).decode(),
        cosignatures=cosigs,
        time=max((c["time"] for c in cosigs), default=None),
    )
    if cp.size:
        rows = board.entries(cp.size - 1, cp.size)
        out["last_entry_time"] = json.loads(rows[0][1]).get("time") if rows else None
    return out


def witnesses_view(board: Board, cosigned: dict[str, str]) -> list[dict[str, Any]]:
    vkeys, _ = _witness_info(board)
    out = []
    for v in vkeys:
        name = v.split("+", 1)[0]
        out.append({"name": name, "vkey": v, "cosigned_at": cosigned.get(name)})
    return out


def _manifest(board: Board, rec: dict[str, Any]) -> dict[str, Any]:
    rows = board.entries(int(rec["index"]), int(rec["index"]) + 1)
    body = json.loads(rows[0][1])["body"]
    return dict(body)


def _count(board: Board, prefix: str) -> int:
    return len(board.scan(VOTING, prefix))


def elections_view(board: Board) -> list[dict[str, Any]]:
    """Every election on the board: id, title, phase, counted ballots, turnout of a roll."""
    out = []
    for _, rec in board.scan(VOTING, "election/"):
        manifest = _manifest(board, rec)
        counted = _count(board, f"cast/{rec['id']}/")
        eligible = (
            _count(board, f"roll/{rec['id']}/") if rec["eligibility"]["type"] == "roll" else None
        )
        out.append(
            {
                "id": rec["id"],
                "title": manifest["title"],
                "phase": rec["phase"],
                "counted": counted,
                "eligible": eligible,
                "turnout": None if not eligible else round(100 * counted / eligible, 1),
                "opens": rec["opens"],
                "closes": rec["closes"],
            }
        )
    out.sort(key=lambda e: (e["opens"], e["id"]), reverse=True)
    return out


def _checkpoint_key(board: Board) -> tuple[int, tuple[str, ...]]:
    """What a cached page that shows the latest checkpoint depends on besides the size."""
    try:
        status = board.checkpoint()
    except Rejected:
        return (-1, ())
    return (status.size, status.cosigned_by)


def _home(board: Board) -> dict[str, Any]:
    size = board.size()
    genesis = _genesis(board)
    try:
        status = board.checkpoint()
    except Rejected:
        status = None
    cp = checkpoint_view(board, status) if status is not None else None
    cosigned = {c["name"]: c["time"] for c in (cp or {}).get("cosignatures", [])}
    notices = board.scan("notice", "notice/")[-5:]
    return {
        "size": size,
        "genesis": genesis,
        "checkpoint": cp,
        "witnesses": witnesses_view(board, cosigned),
        "elections": elections_view(board),
        "notices": [
            {"index": int(k.split("/")[1]), "title": v["title"], "time": v["time"]}
            for k, v in reversed(notices)
        ],
    }


# --------------------------------------------------------------- explorer


def entry_summary(board: Board, doc: dict[str, Any]) -> str:
    """One line about an entry, for the explorer's list."""
    kind = doc.get("kind", "")
    body = doc.get("body") if isinstance(doc.get("body"), dict) else {}
    assert isinstance(body, dict)
    if kind == authorities.GENESIS:
        return f"origin {body.get('origin')}"
    if kind == authorities.AUTHORITY:
        return f"{body.get('name')}: {', '.join(map(str, body.get('roles', [])))}"
    if kind == authorities.WITNESSES:
        return f"{len(body.get('witnesses', []))} witnesses, quorum {body.get('quorum')}"
    if kind == "notice.publish":
        return str(body.get("title", ""))
    if kind == "voting.election":
        return f"{body.get('id')}: {body.get('title')}"
    for name in ("name", "id", "title", "election"):
        if isinstance(body.get(name), str):
            return str(body[name])
    return ""


def _row(board: Board, index: int, leaf: bytes, names: dict[str, str | None]) -> dict[str, Any]:
    doc = json.loads(leaf)
    author = str(doc.get("author", ""))
    if author not in names:
        names[author] = _authority_name(board, author)
    return {
        "index": index,
        "kind": doc.get("kind"),
        "time": doc.get("time"),
        "author": names[author] or author[:12],
        "summary": _voting_summary(doc) or entry_summary(board, doc),
        "leaf_hash": leaf_hash(leaf).hex(),
    }


def _voting_summary(doc: dict[str, Any]) -> str | None:
    """Voting entries name their election without decoding the entry strictly."""
    body = doc.get("body")
    if not isinstance(body, dict) or not str(doc.get("kind", "")).startswith("voting."):
        return None
    if doc["kind"] == "voting.election":
        return f"{body.get('id')}: {body.get('title')}"
    ballot = body.get("ballot")
    election = ballot.get("election") if isinstance(ballot, dict) else body.get("election")
    trustee = body.get("trustee")
    return f"election {election}" + (f", trustee {trustee}" if trustee else "")


def explore(
    board: Board, kind: str | None, before: int | None, after: int | None
) -> dict[str, Any]:
    """One explorer page: up to :data:`PAGE_SIZE` entries, newest first.

    ``before``: entries with an index below it; ``after``: above it; neither:
    the newest.  With a ``kind`` the scan reads at most :data:`SCAN_WINDOWS`
    windows of indices and says where it stopped.  ``newer`` / ``older`` are
    the ``after`` / ``before`` positions of the neighbouring pages (``None``
    when there is nothing there).
    """
    size = board.size()
    want = PAGE_SIZE + 1  # one more than shown: is there a further page?
    found: list[tuple[int, bytes]] = []
    stopped: int | None = None
    if after is not None:
        lo = after + 1
        for _ in range(SCAN_WINDOWS):
            if lo >= size or len(found) >= want:
                break
            hi = min(size, lo + SCAN_WINDOW)
            found += board.entries(lo, hi, kind)
            lo = hi
        if len(found) < want and lo < size:
            stopped = lo
        more = len(found) > PAGE_SIZE
        found = found[:PAGE_SIZE]
        found.reverse()
        newer = found[0][0] if more and found else (stopped - 1 if stopped else None)
        older = found[-1][0] if found else (after + 1 if after + 1 < size else None)
    else:
        hi = size if before is None else min(before, size)
        for _ in range(SCAN_WINDOWS):
            if hi <= 0 or len(found) >= want:
                break
            lo = max(0, hi - SCAN_WINDOW)
            found += list(reversed(board.entries(lo, hi, kind)))
            hi = lo
        if len(found) < want and hi > 0:
            stopped = hi
        more = len(found) > PAGE_SIZE
        found = found[:PAGE_SIZE]
        older = found[-1][0] if more and found else stopped
        if before is None or before >= size:
            newer = None
        else:
            newer = found[0][0] if found else before - 1
    names: dict[str, str | None] = {}
    rows = [_row(board, i, leaf, names) for i, leaf in found]
    return {
        "size": size,
        "kind": kind,
        "rows": rows,
        "newer": newer,
        "older": older,
        "stopped": stopped,
    }


def kind_counts(board: Board) -> list[tuple[str, int]]:
    """Entries per kind on the board (one GROUP BY over the indexed ``kind`` column)."""
    with board.store.read() as tx:
        q = select(EntryRow.kind, func.count()).group_by(EntryRow.kind)
        rows = tx.s.exec(q).all()
    return sorted((str(k), int(n)) for k, n in rows)


def _index(value: str | None, limit: int = MAX_INDEX) -> int | None:
    """A non-negative decimal index from a query or path, else ``None``."""
    if value is None or not re.fullmatch(r"[0-9]{1,19}", value):
        return None
    n = int(value)
    return n if n <= limit else None


def entry_view(board: Board, index: int) -> dict[str, Any] | None:
    rows = board.entries(index, index + 1)
    if not rows:
        return None
    leaf = rows[0][1]
    doc = json.loads(leaf)
    author = str(doc.get("author", ""))
    return {
        "index": index,
        "size": board.size(),
        "kind": doc.get("kind"),
        "time": doc.get("time"),
        "author": author,
        "author_name": _authority_name(board, author),
        "signature": doc.get("signature"),
        "json": json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True),
        "bytes": len(leaf),
        "leaf_hash": leaf_hash(leaf).hex(),
        "summary": _voting_summary(doc) or entry_summary(board, doc),
        "election": _election_link(doc),
    }


def _election_link(doc: dict[str, Any]) -> str | None:
    if not str(doc.get("kind", "")).startswith("voting."):
        return None
    body = doc.get("body")
    if not isinstance(body, dict):
        return None
    if doc["kind"] == "voting.election":
        e = body.get("id")
    else:
        ballot = body.get("ballot")
        e = ballot.get("election") if isinstance(ballot, dict) else body.get("election")
    return e if isinstance(e, str) else None


# --------------------------------------------------------------- elections


def eligibility_words(rule: dict[str, Any], roll_size: int | None) -> str:
    """The manifest's eligibility rule as a sentence (docs/voting.md §1)."""
    if rule.get("type") == "roll":
        n = roll_size if roll_size is not None else len(rule.get("voters", []))
        return (
            f"Voters on a roll of {n} Ed25519 key{'s' if n != 1 else ''}; each ballot is "
            "signed with a key on the roll."
        )
    parts = [f"Holders of a “{rule.get('schema')}” credential issued by “{rule.get('issuer')}”"]
    attrs = rule.get("attributes") or {}
    if attrs:
        parts.append(
            "who disclose "
            + " and ".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in attrs.items())
        )
    ops = {"<=": "on or before", ">=": "on or after"}
    preds = rule.get("predicates") or []
    if preds:
        parts.append(
            "and prove without disclosing it that "
            + " and ".join(
                f"{p.get('attribute')} is {ops.get(p.get('op'), p.get('op'))} {p.get('value')}"
                for p in preds
            )
        )
    parts.append(
        f"with a credential valid on {rule.get('date')}; each voter casts under an "
        "unlinkable pseudonym for this election."
    )
    return " ".join(parts)


def _contests(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for c in manifest["contests"]:
        choices = [*c["options"], *(["blank"] if c.get("blank") else [])]
        lo, hi = c["min"], c["max"]
        if lo == hi:
            rule = f"choose exactly {lo}"
        elif lo == 0:
            rule = f"choose up to {hi}"
        else:
            rule = f"choose {lo} to {hi}"
        out.append({**c, "choices": choices, "rule": rule})
    return out


def _parse_time(t: Any) -> datetime | None:
    try:
        return datetime.strptime(str(t), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


STEPS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(days=1),
    timedelta(days=7),
    timedelta(days=30),
)


def turnout_series(
    ballots: list[tuple[str, str]], opens: str, closes: str, buckets: int = 24
) -> list[dict[str, Any]]:
    """Cumulative voters with a ballot (distinct pseudonyms) at the end of each time step.

    ``ballots`` are ``(entry time, voter)`` pairs; the steps span the
    election's opening hours (widened to the ballots' times, which are the
    ballot box's claims), at most ``buckets`` of them.
    """
    t0, t1 = _parse_time(opens), _parse_time(closes)
    times = [(_parse_time(t), v) for t, v in ballots]
    known = [(t, v) for t, v in times if t is not None]
    if t0 is None or t1 is None:
        return []
    if known:
        t0 = min(t0, min(t for t, _ in known))
        t1 = max(t1, max(t for t, _ in known) + timedelta(seconds=1))
    span = max(t1 - t0, timedelta(minutes=1))
    step = next((s for s in STEPS if span / s <= buckets), STEPS[-1])
    n = min(buckets, -(-span // step))
    known.sort(key=lambda x: x[0])
    seen: set[str] = set()
    out, k = [], 0
    for b in range(1, n + 1):
        end = t0 + b * step
        while k < len(known) and known[k][0] < end:
            seen.add(known[k][1])
            k += 1
        out.append({"time": end.strftime("%Y-%m-%dT%H:%M:%SZ"), "voters": len(seen)})
    return out


@dataclass
class _Scan:
    """What one pass over an election's entries finds."""

    ballots: list[tuple[str, str]] = field(default_factory=list)
    posted: int = 0
    challenges: int = 0
    milestones: dict[str, tuple[int, str]] = field(default_factory=dict)
    ceremony: int = 0


MILESTONES = {
    "voting.election": "created",
    "voting.joint_key": "keyed",
    "voting.open": "opened",
    "voting.close": "closed",
    "voting.tally": "tallied",
    "voting.result": "decided",
}


def _scan_election(board: Board, election: str, start: int) -> _Scan:
    out = _Scan()
    size = board.size()
    for lo in range(start, size, SCAN_WINDOW):
        for i, leaf in board.entries(lo, min(size, lo + SCAN_WINDOW)):
            if b'"kind":"voting.' not in leaf:
                continue
            doc = json.loads(leaf)
            kind = str(doc.get("kind", ""))
            if not kind.startswith("voting.") or _election_link(doc) != election:
                continue
            if kind == "voting.ballot":
                out.posted += 1
                out.ballots.append((doc["time"], str(doc["body"]["ballot"].get("voter"))))
            elif kind == "voting.challenge":
                out.challenges += 1
            elif kind in MILESTONES:
                out.milestones[MILESTONES[kind]] = (i, doc["time"])
            else:
                out.ceremony += 1
    return out


def _trustees(board: Board, election: str, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    keys = board.state(VOTING, f"keys/{election}") or {}
    qualified = set(keys.get("qualified", []))
    result = board.state(VOTING, f"result/{election}") or {}
    used = set(result.get("used", []))
    out = []
    for t in manifest["trustees"]:
        j = t["index"]
        fault = board.state(VOTING, f"fault/{election}/{j}")
        partial = board.state(VOTING, f"partial/{election}/{j}")
        committed = board.state(VOTING, f"commit/{election}/{j}") is not None
        if partial is not None:
            pstate = "valid" if partial["valid"] else f"invalid: {partial['reason']}"
        else:
            pstate = None
        out.append(
            {
                "index": j,
                "name": _authority_name(board, t["key_id"]) or t["key_id"][:12],
                "key_id": t["key_id"],
                "committed": committed,
                "qualified": j in qualified if keys else None,
                "fault": fault,
                "partial": pstate,
                "used": j in used,
            }
        )
    return out


def result_view(manifest: dict[str, Any], totals: list[list[int]]) -> list[dict[str, Any]]:
    """Per contest: the choices with their totals, shares and the bar chart's geometry."""
    out = []
    for c, row in zip(_contests(manifest), totals, strict=True):
        total = sum(row)
        top = max(row, default=0) or 1
        bars = []
        for k, (name, n) in enumerate(zip(c["choices"], row, strict=True)):
            bars.append(
                {
                    "name": name,
                    "label": name if len(name) <= 24 else name[:23] + "…",
                    "value": n,
                    "share": round(100 * n / total, 1) if total else 0.0,
                    "y": 10 + k * 34,
                    "width": round(300 * n / top, 1),
                }
            )
        out.append(
            {
                "id": c["id"],
                "title": c["title"],
                "bars": bars,
                "total": total,
                "height": 20 + 34 * len(bars),
            }
        )
    return out


def line_chart(series: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """Geometry of a step line over ``series`` in a 600×240 box (left and bottom axes)."""
    width, height, left, bottom, top = 600, 240, 48, 40, 12
    n = len(series)
    peak = max((p[key] for p in series), default=0) or 1
    plot_w, plot_h = width - left - 12, height - bottom - top
    pts = []
    for k, p in enumerate(series):
        x = left + (plot_w * (k + 1) / n if n else 0)
        y = top + plot_h - plot_h * p[key] / peak
        pts.append({"x": round(x, 1), "y": round(y, 1), "value": p[key], "label": p["time"]})
    path = f"{left},{top + plot_h} " + " ".join(f"{q['x']},{q['y']}" for q in pts)
    ticks = [
        {"y": round(top + plot_h - plot_h * f, 1), "value": round(peak * f)} for f in (0, 0.5, 1)
    ]
    labels = [pts[0], pts[len(pts) // 2], pts[-1]] if pts else []
    return {
        "width": width,
        "height": height,
        "left": left,
        "top": top,
        "plot_w": plot_w,
        "plot_h": plot_h,
        "points": pts,
        "path": path,
        "ticks": ticks,
        "xlabels": labels,
        "peak": peak,
    }


def election_view(board: Board, election: str) -> dict[str, Any] | None:
    rec = board.state(VOTING, f"election/{election}")
    if rec is None:
        return None
    manifest = _manifest(board, rec)
    scan = _scan_election(board, election, int(rec["index"]))
    counted = _count(board, f"cast/{election}/")
    roll = _count(board, f"roll/{election}/") if rec["eligibility"]["type"] == "roll" else None
    result = board.state(VOTING, f"result/{election}")
    series = turnout_series(scan.ballots, rec["opens"], rec["closes"])
    phase = rec["phase"]
    return {
        "id": election,
        "title": manifest["title"],
        "manifest": manifest,
        "manifest_hash": rec["manifest"],
        "phase": phase,
        "phase_index": PHASES.index(phase) if phase in PHASES else -1,
        "phases": PHASES,
        "milestones": scan.milestones,
        "contests": _contests(manifest),
        "eligibility": eligibility_words(rec["eligibility"], roll),
        "revote": rec["revote"],
        "threshold": rec["threshold"],
        "trustees": _trustees(board, election, manifest),
        "opens": rec["opens"],
        "closes": rec["closes"],
        "joint_key": rec.get("key"),
        "context": rec.get("context"),
        "counted": counted,
        "posted": scan.posted,
        "challenges": scan.challenges,
        "eligible": roll,
        "turnout_pct": round(100 * counted / roll, 1) if roll else None,
        "series": series,
        "chart": line_chart(series, "voters") if series else None,
        "result": None if result is None else result_view(manifest, result["totals"]),
        "excluded": [] if result is None else result["excluded"],
        "used": [] if result is None else result["used"],
    }


def _run_verifier(board: Board, election: str) -> Report:
    record = export_record(board, election)
    return verify_record(record, board.log_verifier().vkey(), workers=1)


def verification(st: PageState, board: Board, election: str) -> dict[str, Any]:
    """The verifier's report on the election's record, cached per signed checkpoint.

    The record covers the board up to its latest checkpoint (its summary reads the
    board's state now), so the report is computed once per (board size,
    checkpoint size, cosignatures), in one worker thread per application; a page
    waits :attr:`PageState.verify_wait` seconds for it, else shows the last
    report it has and says a newer one is running.
    """
    try:
        status = board.checkpoint()
    except Rejected:
        return {"state": "no_checkpoint"}
    rec = board.state(VOTING, f"election/{election}")
    if rec is None or status.size <= int(rec["index"]):
        return {"state": "no_checkpoint"}
    key = (board.size(), status.size, len(status.cosigned_by))
    for _ in range(2):
        with st.lock:
            done = st.reports.get(election)
            if done is not None and done[0] == key:
                return _report_view(done[1], key, current=True)
            job = st.pending.get(election)
            if job is None or (job.future.done() and job.key != key):
                job = _VerifyJob(key, st.submit(_run_verifier, board, election))
                st.pending[election] = job
        try:
            report = job.future.result(timeout=st.verify_wait)
        except FutureTimeout:
            break
        except ExportError:
            return {"state": "not_covered"}
        except Exception:
            log.exception("the verifier failed on election %s", election[:64])
            return {"state": "failed"}
        with st.lock:
            older = st.reports.get(election)
            if older is None or older[0] <= job.key:
                st.reports[election] = (job.key, report)
        if job.key == key:
            return _report_view(report, key, current=True)
    with st.lock:
        last = st.reports.get(election)
    if last is not None:
        return {**_report_view(last[1], last[0], current=False), "running": True}
    return {"state": "running", "size": key[1]}


def _report_view(report: Report, key: tuple[int, int, int], current: bool) -> dict[str, Any]:
    steps = []
    for s in report.steps:
        incomplete = s.findings and all(f.severity == INCOMPLETE for f in s.findings)
        steps.append(
            {
                "step": s.step,
                "title": s.title,
                "checked": s.checked,
                "passed": s.passed,
                "state": "passed" if s.passed else ("incomplete" if incomplete else "failed"),
                "findings": [
                    {"item": f.item, "detail": f.detail, "severity": f.severity}
                    for f in s.findings[:FINDINGS_SHOWN]
                ],
                "more": max(0, len(s.findings) - FINDINGS_SHOWN),
            }
        )
    return {
        "state": "done",
        "status": report.status,
        "steps": steps,
        "size": key[1],
        "current": current,
        "running": False,
    }


# ------------------------------------------------------------------ routes


def board_context(board: Board) -> dict[str, Any]:
    """What every page that checks in the browser needs: the log key and the witnesses."""
    vkeys, quorum = _witness_info(board)
    return {"log_key": _log_key(board), "witness_keys": vkeys, "quorum": quorum, "api": API}


def install(app: FastAPI) -> None:
    """Register the public pages and the HTML error pages on ``app`` (idempotent)."""
    if getattr(app.state, "pages", None) is not None:
        return
    env = _environment()
    st = PageState(env, _csp(env))
    app.state.pages = st
    app.add_middleware(HtmlErrors, render=lambda status: _bare_error(st, status))

    def guarded(request: Request, make: Callable[[], HTMLResponse]) -> HTMLResponse:
        try:
            return make()
        except Rejected:
            return error_page(request, 404, "The board cannot answer this yet.")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        board = _board(request)

        def make() -> HTMLResponse:
            key = ("home", board.size(), *_checkpoint_key(board))
            data = st.cached(key, lambda: _home(board))
            return render_page(request, "home.html", nav="home", **data, **board_context(board))

        return guarded(request, make)

    @app.get("/board", response_class=HTMLResponse, include_in_schema=False)
    def board_page(
        request: Request,
        kind: str | None = None,
        before: str | None = None,
        after: str | None = None,
    ) -> HTMLResponse:
        board = _board(request)
        kind = kind or None
        kinds = sorted(k.name for k in board.registry.kinds())
        if kind is not None and (not KIND_RE.fullmatch(kind) or kind not in kinds):
            return error_page(request, 400, "There is no such kind of entry.")
        b, a = _index(before), _index(after)
        if (before is not None and b is None) or (after is not None and a is None):
            return error_page(request, 400, "A page position is a non-negative whole number.")

        def make() -> HTMLResponse:
            size = board.size()
            data = st.cached(("board", size, kind, b, a), lambda: explore(board, kind, b, a))
            counts = st.cached(("kinds", size), lambda: kind_counts(board))
            return render_page(
                request, "board.html", nav="board", kinds=kinds, counts=counts, **data
            )

        return guarded(request, make)

    @app.get("/board/goto", response_class=HTMLResponse, include_in_schema=False)
    def goto(request: Request, index: str | None = None) -> Response:
        i = _index(index)
        if i is None:
            return error_page(request, 400, "An entry number is a non-negative whole number.")
        return RedirectResponse(f"/board/entries/{i}", status_code=303)

    @app.get("/board/entries/{index}", response_class=HTMLResponse, include_in_schema=False)
    def entry_page(request: Request, index: str) -> HTMLResponse:
        board = _board(request)
        i = _index(index)
        if i is None:
            return error_page(request, 404, "There is no entry with this index.")

        def make() -> HTMLResponse:
            view = entry_view(board, i)
            if view is None:
                return error_page(request, 404, "There is no entry with this index yet.")
            return render_page(
                request, "entry.html", nav="board", entry=view, **board_context(board)
            )

        return guarded(request, make)

    @app.get("/elections", response_class=HTMLResponse, include_in_schema=False)
    def elections_page(request: Request) -> HTMLResponse:
        board = _board(request)

        def make() -> HTMLResponse:
            rows = st.cached(("elections", board.size()), lambda: elections_view(board))
            return render_page(request, "elections.html", nav="elections", elections=rows)

        return guarded(request, make)

    @app.get("/elections/{election}", response_class=HTMLResponse, include_in_schema=False)
    def election_page(request: Request, election: str) -> HTMLResponse:
        board = _board(request)
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", election):
            return error_page(request, 404, "There is no election with this id.")

        def make() -> HTMLResponse:
            view = st.cached(
                ("election", board.size(), election), lambda: election_view(board, election)
            )
            if view is None:
                return error_page(request, 404, "There is no election with this id.")
            report = verification(st, board, election)
            return render_page(request, "election.html", nav="elections", e=view, verifier=report)

        return guarded(request, make)

    @app.get("/receipt", response_class=HTMLResponse, include_in_schema=False)
    def receipt_page(request: Request) -> HTMLResponse:
        board = _board(request)
        return guarded(
            request,
            lambda: render_page(request, "receipt.html", nav="receipt", **board_context(board)),
        )

    from webapp import pages_booth  # the voting booth (its own module: imports this one)

    pages_booth.install(app)
    from webapp import pages_wallet  # the wallet and verifier pages (imports this one)

    pages_wallet.install(app)
    from webapp import pages_officials  # the officials' dashboard (imports this one)

    pages_officials.install(app)
    from webapp import pages_portal  # the patient portal (imports this one)

    pages_portal.install(app)


def _bare_error(st: PageState, status: int) -> tuple[bytes, dict[str, str]]:
    title, sentence = STATUS_WORDS.get(status, STATUS_WORDS[500 if status >= 500 else 400])
    html = st.env.get_template("error.html").render(
        title=title, status=status, message=sentence
    )
    return html.encode(), _headers(st)


# ------------------------------------------------------------- middleware

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _wants_html(scope: Scope) -> bool:
    if scope["type"] != "http" or scope.get("method") != "GET":
        return False
    path = str(scope.get("path", ""))
    if path.startswith(HTML_ERROR_SKIP):
        return False
    accept = b",".join(v for k, v in scope.get("headers", []) if k == b"accept")
    return b"text/html" in accept


class HtmlErrors:
    """ASGI middleware: a browser's failed page request gets an HTML error page.

    Only for GET requests that accept ``text/html`` outside the API,
    tile and static paths: a JSON error response (an unknown path's 404, a
    validation error's 400) is replaced by the error page with the same
    status, and an exception escaping a page becomes a 500 page — logged
    here, never shown.  Every other request passes through untouched.
    """

    def __init__(self, app: ASGIApp, render: Callable[[int], tuple[bytes, dict[str, str]]]) -> None:
        self.app = app
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _wants_html(scope):
            await self.app(scope, receive, send)
            return
        started = False
        replaced = False

        async def page(status: int) -> None:
            body, headers = self.render(status)
            raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
            raw += [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ]
            await send({"type": "http.response.start", "status": status, "headers": raw})
            await send({"type": "http.response.body", "body": body})

        async def wrapped(message: Message) -> None:
            nonlocal started, replaced
            if message["type"] == "http.response.start":
                started = True
                status = int(message["status"])
                ctype = b"".join(v for k, v in message.get("headers", []) if k == b"content-type")
                if status >= 400 and not ctype.startswith(b"text/html"):
                    replaced = True
                    await page(status)
                    return
            elif message["type"] == "http.response.body" and replaced:
                return
            await send(message)

        try:
            await self.app(scope, receive, wrapped)
        except Exception:
            log.exception("a page failed: %s", str(scope.get("path", ""))[:200])
            if started:
                raise
            await page(500)

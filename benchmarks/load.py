"""Load benchmark: valid ballots from concurrent clients against ``pnyx serve`` over HTTP.

Run as ``.venv/bin/python benchmarks/load.py`` (``make bench``; ``--quick``: 400
ballots a row).  Issue 7, item 5: 2,000 valid ballots from 20 concurrent
clients against ``pnyx serve`` on 127.0.0.1, ballots/s and latency
percentiles; afterwards every ballot is on the board and counted.

**Rows.**  Two elections, each served with ``--workers 1`` and ``--workers 2``
(one core per worker process):

- *roll*: 2,000 voters, each with its own Ed25519 roll key, each casting one
  ballot.  A roll lists at most 1,000 keys (docs/voting.md §1), and a
  manifest of 1,000 keys would not fit in one entry (65,535 bytes), so the
  2,000 voters are four open roll elections of 500 keys on one board, their
  ballots interleaved;
- *credential*: each ballot carries its own BBS presentation (the e-ID of the
  scenario, the district disclosed, the pseudonym for the election, the
  ballot hash as the presentation's nonce).  Blind issuance would dominate
  the set-up without measuring anything the issue asks for, so, as in
  benchmarks/voting.py, fewer voters (``--voters``, 200) receive an e-ID and
  cast ballots/voters ballots each under the re-vote rule ``last``.  Every
  ballot still carries a fresh presentation, contest proofs and entry
  signature, so the server does for each exactly the work a ballot of a
  distinct voter costs; only the counted set is smaller (the last ballot of
  each voter in board order).  A voter's ballots are posted ``--voters``
  apart, so no two of them are in flight at once.  The election requires no age
  predicate unless ``--predicate``: a predicate adds a range proof whose
  check costs far more (its cost is printed beside the rows either way).

Ballots are one contest of 3 options, pick at most 1 (the shape of
benchmarks/voting.py).

**Method.**  One board per election kind is set up in Python (authorities,
trustee ceremony, the election open from an hour ago until tomorrow) and the
ballots are made beforehand in a process pool: neither is measured.  Each
row serves a copy of that board: ``pnyx serve --workers N`` as a child
process on 127.0.0.1 and a free port, started and stopped by its pid.  The
clients are ``CLIENTS`` keep-alive HTTP/1.1 connections (:class:`Connection`,
a minimal asyncio client: httpx would take a quarter of the cores the server
needs) that post the prepared bodies one after another
(``POST /api/v1/voting/elections/{id}/ballots``): a closed loop with 20
ballots in flight.  A ballot's latency runs from sending its request to
reading the receipt; ballots/s is the ballots accepted over the time from
the first request to the last receipt.

**Checks.**  Every answer is 201 (a 4xx or 5xx is counted and fails the
run), and the server's log holds no traceback and no "database is locked".
After the server stopped: the board holds exactly one ``voting.ballot``
entry per accepted ballot and each receipt's tracker is the leaf hash of the
entry at its index; a sample of receipts is checked in full
(:func:`services.voting.receipt.check_receipt`).  Then each election is
closed, tallied, decrypted by its trustees and its result posted, in
Python: the tally counts one ballot per distinct voter and the decrypted
totals equal the sum of the choices of each voter's last ballot on the board.

**Floor.**  The per-ballot check cost, measured in the same run on another
copy of the board: :meth:`ledger.board.Board.append` of a ballot entry
(decoding, signature, precheck with the contest proofs and the eligibility
proof, the state checks, the SQLite write), median of ``CHECK_REPS``.  The
floor of a row is that cost × ballots / cores used (min(workers, cores)):
what the row would take if the server did nothing but check ballots on
every core it has.  The server's CPU time per ballot (every worker process,
from /proc) and the clients' own CPU time are printed beside, since the
clients share the same cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from nacl.signing import SigningKey  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from benchmarks.voting import CONTEST  # noqa: E402
from ledger.board import Board  # noqa: E402
from ledger.entry import Entry, key_id, make_entry  # noqa: E402
from ledger.merkle import leaf_hash  # noqa: E402
from ledger.note import Signer  # noqa: E402
from ledger.store import Store  # noqa: E402
from services.identity.board_data import BoardData  # noqa: E402
from services.registry import default_registry  # noqa: E402
from services.voting import domain as d  # noqa: E402
from services.voting.ballot import ballot_hash  # noqa: E402
from services.voting.casting import BallotBox, credential_ballot, roll_ballot  # noqa: E402
from services.voting.ceremony import Trustee  # noqa: E402
from services.voting.receipt import check_receipt  # noqa: E402
from services.voting.scenario import ElectionBoard, Voter  # noqa: E402
from services.voting.tally import decrypt_result, tally_body  # noqa: E402
from webapp.keystore import KeyStore  # noqa: E402

CORES = os.cpu_count() or 1
CLIENTS = 20
BALLOTS = 2000
ROLL_PER_ELECTION = 500
"""Roll keys per election: the manifest of 500 keys fits in one entry (1,000 would not)."""
VOTERS = 200
"""Distinct e-IDs of the credential election (each casts ballots / VOTERS ballots)."""
CHECK_REPS = 24
PREDICATE_REPS = 8
RECEIPT_SAMPLE = 50
READY_SECONDS = 120.0
PNYX = REPO / ".venv" / "bin" / "pnyx"
BALLOT_KIND = "voting.ballot"
console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)


@dataclass(frozen=True)
class Post:
    """One prepared ballot: where it goes, its request body, what it should count as."""

    election: str
    body: bytes
    ballot: str
    """The ballot hash ``h_b`` (hex)."""
    voter: str
    choice: list[list[int]]


@dataclass
class Prepared:
    """A board with open elections (the template every row copies) and the ballots for it."""

    kind: str
    db: Path
    keys: Path
    eb: ElectionBoard
    trustees: dict[str, dict[int, Trustee]]
    closes: str
    posts: list[Post]
    check: float = 0.0
    """The per-ballot check cost (s), measured on another copy."""
    note: str = ""


@dataclass
class Outcome:
    status: int
    latency: float
    receipt: dict[str, Any] | None
    text: str = ""


@dataclass
class Run:
    kind: str
    workers: int
    ballots: int
    wall: float
    outcomes: list[Outcome]
    server_cpu: list[float]
    client_cpu: float
    log_problems: list[str]
    problems: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(o.status == 201 for o in self.outcomes)

    def percentile(self, q: float) -> float:
        """The nearest-rank percentile ``q`` of the latencies."""
        lat = sorted(o.latency for o in self.outcomes)
        return lat[min(len(lat), max(1, math.ceil(q / 100 * len(lat)))) - 1]


# ------------------------------------------------------------------ set-up


def rfc3339(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _signed(signer: Signer, kind: str, body: dict[str, Any], time_: str | None) -> bytes:
    return make_entry(kind, body, key_id(signer.verifier().public_key), signer.sign, time_)


def _open_election(
    eb: ElectionBoard, election: str, changes: dict[str, Any], opens: str, closes: str
) -> dict[int, Trustee]:
    """Post ``election``'s manifest (open from ``opens`` to ``closes``), the ceremony, the open."""
    eb.election = election
    manifest = {**eb.manifest(), **changes, "opens": opens, "closes": closes}
    eb.post(eb.official, d.ELECTION, manifest)
    eb.ceremony()
    eb.post(eb.official, d.OPEN, {"election": election}, opens)
    return dict(eb.trustees)


def _window() -> tuple[str, str]:
    now = datetime.now(UTC).replace(microsecond=0)
    return rfc3339(now - timedelta(hours=1)), rfc3339(now + timedelta(days=1))


def _save_keys(eb: ElectionBoard, folder: Path) -> Path:
    """The server's key folder, as ``pnyx serve --keys`` reads it: log key and ballot box key."""
    keys = KeyStore(folder)
    keys.save_log(eb.log)
    keys.save_authority(eb.box_signer)
    return folder


def _choice(i: int) -> list[list[int]]:
    """Ballot ``i``'s selection: Alice, Bob, Carol or blank in turn."""
    return [[1 if o == i % 4 else 0 for o in range(3)]]


_CHILD: dict[str, Any] = {}


def _child_init(url: str) -> None:
    _CHILD["data"] = BoardData.from_board(Board(Store(url), default_registry()))


def _roll_bodies(jobs: list[tuple[str, bytes, list[list[int]]]]) -> list[dict[str, Any]]:
    data = _CHILD["data"]
    return [roll_ballot(data, SigningKey(seed), e, c)[1] for e, seed, c in jobs]


def _credential_bodies(jobs: list[tuple[str, dict[str, Any], list[list[int]]]]) -> list[Any]:
    data = _CHILD["data"]
    return [credential_ballot(data, record, e, c)[1] for e, record, c in jobs]


def _make(url: str, fn: Any, jobs: list[Any], chunk: int = 50) -> list[dict[str, Any]]:
    parts = [jobs[a : a + chunk] for a in range(0, len(jobs), chunk)]
    bodies: list[dict[str, Any]] = []
    with ProcessPoolExecutor(CORES, initializer=_child_init, initargs=(url,)) as pool:
        for part in pool.map(fn, parts):
            bodies += part
            console.print(f"  made {len(bodies)} / {len(jobs)} ballots", end="\r")
    console.print()
    return bodies


def _posts(jobs: Sequence[tuple[str, Any, list[list[int]]]], bodies: list[Any]) -> list[Post]:
    return [
        Post(
            e,
            json.dumps(body, separators=(",", ":")).encode(),
            ballot_hash(body["ballot"]).hex(),
            body["ballot"]["voter"],
            c,
        )
        for (e, _, c), body in zip(jobs, bodies, strict=True)
    ]


def _sealed(eb: ElectionBoard) -> None:
    """Close the set-up's connections and pools (each row copies the file by the backup API)."""
    eb.board.close()
    eb.board.store.dispose()


def prepare_roll(tmp: Path, ballots: int) -> Prepared:
    """Roll elections of :data:`ROLL_PER_ELECTION` keys, ``ballots`` voters, one ballot each."""
    db = tmp / "roll.db"
    eb = ElectionBoard(
        f"sqlite:///{db}",
        trustees=3,
        threshold=2,
        eligibility="roll",
        roll=ballots,
        contests=CONTEST,
    )
    keys = list(eb.roll)
    opens, closes = _window()
    trustees: dict[str, dict[int, Trustee]] = {}
    n = -(-ballots // ROLL_PER_ELECTION)
    groups = [keys[g::n] for g in range(n)]  # voter i is key i // n of election i % n
    for g, group in enumerate(groups, start=1):
        eb.roll = group
        eid = f"roll-{g}"
        trustees[eid] = _open_election(eb, eid, {"title": f"Roll election {g}"}, opens, closes)
    eb.roll = keys
    jobs = [(f"roll-{i % n + 1}", bytes(groups[i % n][i // n]), _choice(i)) for i in range(ballots)]
    bodies = _make(eb.board.store.url, _roll_bodies, jobs)
    _sealed(eb)
    return Prepared(
        "roll", db, _save_keys(eb, tmp / "roll-keys"), eb, trustees, closes, _posts(jobs, bodies)
    )


def prepare_credential(
    tmp: Path, ballots: int, voters: int, predicate: bool, name: str = "credential"
) -> Prepared:
    """A credential election: ``voters`` e-IDs, ``ballots`` ballots each with its presentation."""
    db = tmp / f"{name}.db"
    eb = ElectionBoard(f"sqlite:///{db}", trustees=3, threshold=2, contests=CONTEST)
    console.print(f"  issuing {voters} e-IDs (blind issuance) …")
    people: list[Voter] = [eb.credential() for _ in range(voters)]
    opens, closes = _window()
    eligibility = dict(eb.manifest()["eligibility"])
    if not predicate:
        eligibility["predicates"] = []
    changes = {"eligibility": eligibility, "title": "Credential election"}
    trustees = {"cred-1": _open_election(eb, "cred-1", changes, opens, closes)}
    jobs = [("cred-1", people[i % voters].record, _choice(i)) for i in range(ballots)]
    bodies = _make(eb.board.store.url, _credential_bodies, jobs, chunk=25)
    _sealed(eb)
    rule = "district disclosed, age predicate" if predicate else "district disclosed"
    return Prepared(
        "credential",
        db,
        _save_keys(eb, tmp / f"{name}-keys"),
        eb,
        trustees,
        closes,
        _posts(jobs, bodies),
        note=f"{voters} e-IDs × {ballots // voters} ballots, re-vote last; {rule}",
    )


def copy_board(src: Path, dst: Path) -> str:
    """A consistent copy of an SQLite board (the backup API); its URL."""
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    a.close()
    b.close()
    return f"sqlite:///{dst}"


def measure_check(prep: Prepared, tmp: Path) -> float:
    """The median cost of appending one ballot entry on a copy of the board (the check)."""
    url = copy_board(prep.db, tmp / f"{prep.db.stem}-check.db")
    board = Board(Store(url), default_registry())
    box = BallotBox(board, prep.eb.box_signer, prep.eb.log)
    leaves = [box.entry(BALLOT_KIND, json.loads(p.body)) for p in prep.posts[: CHECK_REPS + 2]]
    times = []
    for k, leaf in enumerate(leaves):
        t = time.perf_counter()
        board.append(leaf)
        if k >= 2:  # the first ones read the issuer's key and fill the caches
            times.append(time.perf_counter() - t)
    board.close()
    board.store.dispose()
    return statistics.median(times)


# ------------------------------------------------------------------ the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def descendants(pid: int) -> list[int]:
    """The pids of a process's descendants (Linux /proc)."""
    out: list[int] = []
    todo = [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                kids = [int(x) for x in (task / "children").read_text().split()]
            except OSError:
                continue
            out += kids
            todo += kids
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """``pnyx serve --workers N`` on 127.0.0.1 in its own session, stopped by its pid."""

    def __init__(self, url: str, keys: Path, workers: int, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.workers = workers
        cmd = [
            str(PNYX),
            "--db",
            url,
            "--keys",
            str(keys),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(workers),
        ]
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self) -> None:
        """Every worker has started its application and the API answers."""
        deadline = time.monotonic() + READY_SECONDS
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pnyx serve exited:\n{self.log_text()}")
            started = self.log_text().count("Application startup complete")
            if started >= self.workers:
                try:
                    r = httpx.get(f"{self.base}/api/v1/voting/elections", timeout=5)
                    if r.status_code == 200:
                        return
                except httpx.TransportError:
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"pnyx serve never answered:\n{self.log_text()}")
            time.sleep(0.2)

    def pids(self) -> list[int]:
        return [self.proc.pid, *descendants(self.proc.pid)]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: the server only
                self.proc.wait(timeout=30)


def log_problems(text: str) -> list[str]:
    """Lines of the server's log that show a failure (tracebacks, locks, 5xx answers)."""
    bad = ("Traceback", "database is locked", " 500 ", " 502 ", " 503 ", "Exception")
    return [line for line in text.splitlines() if any(b in line for b in bad)]


# ------------------------------------------------------------------ the clients


class Connection:
    """One keep-alive HTTP/1.1 client connection over asyncio streams.

    The clients share the server's cores, so they should cost little: this
    writes a request and reads a ``Content-Length`` answer and nothing more
    (httpx's ``AsyncClient`` costs about 2.5 ms of CPU a ballot here, as much
    as half a ballot check).  An answer it does not understand is an error.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        version, status = lines[0].split(" ", 2)[:2]
        fields = dict(line.split(":", 1) for line in lines[1:] if line)
        fields = {k.strip().lower(): v.strip() for k, v in fields.items()}
        if not version.startswith("HTTP/1.") or "content-length" not in fields:
            raise RuntimeError(f"an answer this client does not read: {lines[:3]}")
        data = await self.reader.readexactly(int(fields["content-length"]))
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return int(status), data

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()
            self.reader = self.writer = None


async def drive(base: str, posts: list[Post], clients: int) -> tuple[float, list[Outcome]]:
    """``clients`` keep-alive clients post every ballot, each as soon as its last answered."""
    outcomes: list[Outcome | None] = [None] * len(posts)
    queue: Iterator[tuple[int, Post]] = iter(enumerate(posts))
    host, port = base.removeprefix("http://").rsplit(":", 1)

    async def client() -> None:
        c = Connection(host, int(port))
        try:
            for i, p in queue:
                path = f"/api/v1/voting/elections/{p.election}/ballots"
                t = time.perf_counter()
                status, body = await c.post(path, p.body)
                latency = time.perf_counter() - t
                receipt = json.loads(body) if status == 201 else None
                text = "" if status == 201 else body[:300].decode(errors="replace")
                outcomes[i] = Outcome(status, latency, receipt, text)
        finally:
            await c.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    wall = time.perf_counter() - t0
    done = [o for o in outcomes if o is not None]
    assert len(done) == len(posts)
    return wall, done


def run_row(prep: Prepared, workers: int, clients: int, tmp: Path) -> Run:
    url = copy_board(prep.db, tmp / f"{prep.kind}-w{workers}.db")
    server = Server(url, prep.keys, workers, tmp / f"serve-{prep.kind}-w{workers}.log")
    try:
        server.wait_ready()
        pids = server.pids()
        before = {p: cpu_seconds(p) for p in pids}
        c0 = time.process_time()
        wall, outcomes = asyncio.run(drive(server.base, prep.posts, clients))
        client_cpu = time.process_time() - c0
        server_cpu = [cpu_seconds(p) - before[p] for p in pids]
    finally:
        server.stop()
    run = Run(
        prep.kind,
        workers,
        len(prep.posts),
        wall,
        outcomes,
        server_cpu,
        client_cpu,
        log_problems(server.log_text()),
    )
    run.problems = check_board(prep, run, url)
    return run


# ------------------------------------------------------------------ afterwards


def check_board(prep: Prepared, run: Run, url: str) -> list[str]:
    """Every accepted ballot on the board, then each election closed, tallied and counted."""
    problems: list[str] = []
    statuses = Counter(o.status for o in run.outcomes)
    if statuses[201] != len(prep.posts):
        first = next((o for o in run.outcomes if o.status != 201), None)
        problems.append(f"answers {dict(statuses)}; first refusal: {first.text if first else ''}")
    if run.log_problems:
        problems.append(f"server log: {len(run.log_problems)} lines like {run.log_problems[0]!r}")
    board = Board(Store(url), default_registry())
    try:
        problems += _on_board(prep, run, board)
        problems += _counted(prep, run, board)
    finally:
        board.close()
        board.store.dispose()
    return problems


def _on_board(prep: Prepared, run: Run, board: Board) -> list[str]:
    problems: list[str] = []
    size = board.size()
    on_board: dict[int, bytes] = {}
    for lo in range(0, size, 1000):
        for i, leaf in board.entries(lo, lo + 1000, BALLOT_KIND):
            on_board[i] = leaf
    if len(on_board) != run.accepted:
        problems.append(f"{len(on_board)} ballot entries on the board, {run.accepted} accepted")
    missing = 0
    for post, o in zip(prep.posts, run.outcomes, strict=True):
        if o.receipt is None:
            continue
        leaf = on_board.get(o.receipt["index"])
        if (
            leaf is None
            or leaf_hash(leaf).hex() != o.receipt["tracker"]
            or o.receipt["ballot"] != post.ballot
            or Entry.from_leaf(leaf).body["ballot"]["voter"] != post.voter
        ):
            missing += 1
    if missing:
        problems.append(f"{missing} receipts name no entry of their ballot on the board")
    receipts = [o.receipt for o in run.outcomes if o.receipt is not None]
    step = max(1, len(receipts) // RECEIPT_SAMPLE)
    for r in receipts[::step]:
        try:
            check_receipt(r, board)
        except Exception as e:  # reported: the run fails
            problems.append(f"receipt {r['index']} does not check: {e}")
            break
    return problems


def _counted(prep: Prepared, run: Run, board: Board) -> list[str]:
    """Close, tally, decrypt and post each result; compare with each voter's last ballot."""
    problems: list[str] = []
    data = BoardData.from_board(board)
    eb, at = prep.eb, prep.closes
    last: dict[tuple[str, str], tuple[int, list[list[int]]]] = {}
    for post, o in zip(prep.posts, run.outcomes, strict=True):
        if o.receipt is not None:
            key = (post.election, post.voter)
            if key not in last or last[key][0] < o.receipt["index"]:
                last[key] = (o.receipt["index"], post.choice)
    for eid, trustees in prep.trustees.items():
        board.append(_signed(eb.official, d.CLOSE, {"election": eid}, at))
        board.append(_signed(eb.official, d.TALLY, tally_body(data, eid), at))
        for j, t in trustees.items():
            board.append(_signed(eb.trustee_signers[j - 1], d.PARTIAL, t.partial_body(data), at))
        digest, result = decrypt_result(data, eid)
        board.append(_signed(eb.official, d.RESULT, result.body(eid, digest), at))
        counted = [choice for (e, _), (_, choice) in last.items() if e == eid]
        intended = [[sum(c[0][o] for c in counted) for o in range(3)]]
        if result.ballots != len(counted):
            problems.append(f"{eid}: the tally counts {result.ballots}, voters {len(counted)}")
        if result.totals != intended:
            problems.append(f"{eid}: decrypted {result.totals}, intended {intended}")
    return problems


# ------------------------------------------------------------------ report


def _ms(s: float) -> str:
    return f"{s * 1e3:.1f} ms"


def predicate_check(tmp: Path) -> float:
    """The check of a credential ballot whose presentation also proves the age predicate."""
    prep = prepare_credential(tmp, PREDICATE_REPS + 2, 4, True, "predicate")
    return measure_check(prep, tmp)


def report(
    preps: dict[str, Prepared], runs: list[Run], clients: int, predicate: float | None
) -> None:
    load = os.getloadavg()
    table = Table(
        title=(
            f"pnyx serve under load: {clients} keep-alive clients, {CORES} cores "
            f"(load average {load[0]:.1f} at the end)"
        )
    )
    for col in (
        "election",
        "workers",
        "accepted",
        "time",
        "floor",
        "ballots/s",
        "ceiling",
        "p50",
        "p95",
        "p99",
        "server CPU / ballot",
        "client CPU",
        "target",
        "checks",
    ):
        table.add_column(col)
    for r in runs:
        prep = preps[r.kind]
        used = min(r.workers, CORES)
        floor = prep.check * r.ballots / used
        cpu = sum(r.server_cpu)
        shares = "/".join(f"{c / cpu:.0%}" for c in r.server_cpu if c > 0.05 * cpu) if cpu else ""
        table.add_row(
            r.kind,
            str(r.workers),
            f"{r.accepted:,} / {r.ballots:,}",
            f"{r.wall:.2f} s",
            f"{floor:.2f} s",
            f"{r.accepted / r.wall:.0f}",
            f"{r.ballots / floor:.0f}",
            _ms(r.percentile(50)),
            _ms(r.percentile(95)),
            _ms(r.percentile(99)),
            f"{_ms(cpu / r.ballots)} ({shares})",
            f"{r.client_cpu:.1f} s",
            "≥ 150 ballots/s" if r.workers >= 2 else "",
            "ok" if not r.problems else "FAILED",
        )
    console.print(table)
    for kind, prep in preps.items():
        console.print(
            f"{kind}: check {_ms(prep.check)} a ballot (Board.append, median of {CHECK_REPS})"
            + (f"; {prep.note}" if prep.note else "")
        )
    if predicate is not None:
        console.print(
            f"with the age predicate (a range proof in each presentation) the check is "
            f"{_ms(predicate)} (median of {PREDICATE_REPS}): a ceiling of "
            f"{CORES / predicate:.0f} ballots/s on {CORES} cores (`--predicate` runs it)"
        )
    console.print(
        "floor = check × ballots / min(workers, cores); ceiling = ballots / floor; "
        "server CPU: every process of pnyx serve (the workers' shares in brackets)"
    )
    for r in runs:
        for p in r.problems:
            console.print(f"[red]{r.kind}, {r.workers} worker(s): {p}[/red]")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="400 ballots a row")
    ap.add_argument("--ballots", type=int, default=None, help=f"ballots a row ({BALLOTS:,})")
    ap.add_argument("--clients", type=int, default=CLIENTS)
    ap.add_argument("--workers", default="1,2", help="worker counts to run, e.g. 1,2")
    ap.add_argument("--elections", default="roll,credential", help="roll, credential or both")
    ap.add_argument("--voters", type=int, default=VOTERS, help="e-IDs of the credential election")
    ap.add_argument(
        "--predicate",
        action="store_true",
        help="the credential election requires the age predicate",
    )
    args = ap.parse_args(argv)
    ballots = args.ballots or (400 if args.quick else BALLOTS)
    voters = min(args.voters, ballots)
    workers = [int(w) for w in args.workers.split(",")]
    kinds = [k.strip() for k in args.elections.split(",")]
    preps: dict[str, Prepared] = {}
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="pnyx-bench-load-") as dname:
        tmp = Path(dname)
        for kind in kinds:
            console.print(f"{kind}: setting up the board and making {ballots:,} ballots …")
            t = time.perf_counter()
            if kind == "roll":
                prep = prepare_roll(tmp, ballots)
            else:
                prep = prepare_credential(tmp, ballots, voters, args.predicate)
            console.print(f"  ready in {time.perf_counter() - t:.1f} s")
            prep.check = measure_check(prep, tmp)
            preps[kind] = prep
            for w in workers:
                console.print(f"{kind}: pnyx serve --workers {w}, {args.clients} clients …")
                run = run_row(prep, w, args.clients, tmp)
                console.print(
                    f"  {run.accepted:,} accepted in {run.wall:.2f} s "
                    f"({run.accepted / run.wall:.0f} ballots/s)"
                    + ("" if not run.problems else f"; [red]{run.problems[0]}[/red]")
                )
                runs.append(run)
        predicate = None
        if "credential" in kinds and not args.predicate:
            console.print("the check with the age predicate …")
            predicate = predicate_check(tmp)
    report(preps, runs, args.clients, predicate)
    return 1 if any(r.problems for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())

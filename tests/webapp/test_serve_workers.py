"""``pnyx serve --workers N`` (webapp/serve.py): worker processes on one database.

A real server as a child process: two workers start, both answer, concurrent
clients cast ballots with no 5xx and no lock error in the log, every accepted
ballot is on the board under its receipt and counted in the tally.  Then the
pieces: the factory reads the environment, the cast gate lets only so many
ballot posts run at once and nothing else waits for it, a port in use and a
database workers cannot share are refused, a worker that cannot start stops
the server.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from ledger.merkle import leaf_hash
from services.voting import domain as d
from services.voting.ballot import ballot_hash
from services.voting.receipt import check_receipt
from services.voting.tally import decrypt_result, tally_body
from tests.webapp.conftest import PNYX, Cli, assert_one_error_line
from tests.webapp.test_api_kit import Election, roll_election, signed
from webapp.serve import (
    CAST_CONCURRENCY,
    CAST_CONCURRENCY_ENV,
    DB_ENV,
    KEYS_ENV,
    CastGate,
    ServeConfigError,
    app_from_env,
    cast_concurrency,
    free_address,
    listen_socket,
    run_workers,
)

ROOT = Path(__file__).resolve().parents[2]
READY_SECONDS = 90.0
CLIENTS = 4
PER_CLIENT = 8
VOTERS = CLIENTS * PER_CLIENT
BAD_LOG = ("Traceback", "database is locked", "Exception", " 500 ")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def workers(self) -> list[int]:
        return [int(p) for p in re.findall(r"Started server process \[(\d+)\]", self.text())]


@contextmanager
def serve(db_url: str, keys: Path, log: Path, workers: int = 2) -> Iterator[Served]:
    """``pnyx serve --workers N`` on 127.0.0.1 in its own session, stopped by its pid."""
    port = free_port()
    cmd = [str(PNYX), "--db", db_url, "--keys", str(keys), "serve"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    served = Served(proc, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + READY_SECONDS
        while True:
            assert proc.poll() is None, f"pnyx serve exited:\n{served.text()}"
            if served.text().count("Application startup complete") >= workers:
                try:
                    r = httpx.get(f"{served.url}/api/v1/voting/elections", timeout=5)
                    if r.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
            assert time.monotonic() < deadline, f"pnyx serve never answered:\n{served.text()}"
            time.sleep(0.2)
        yield served
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)  # its own session: this server only
                proc.wait(timeout=10)


def choice(i: int) -> list[list[int]]:
    """Voter ``i``'s selections in the kit's contests (mayor with blank, parks, council)."""
    return [
        [1 if o == i % 4 else 0 for o in range(4)],
        [1, 0] if i % 2 else [0, 1],
        [1, 0, 0, 1] if i % 3 else [0, 1, 0, 0],
    ]


def cast_concurrently(url: str, posts: list[tuple[str, bytes]]) -> list[httpx.Response]:
    """:data:`CLIENTS` threads post the bodies; each ballot on a new connection, so that the
    kernel spreads them over the workers (it hashes a connection's addresses)."""
    answers: list[httpx.Response | None] = [None] * len(posts)
    headers = {"content-type": "application/json", "connection": "close"}

    def client(k: int) -> None:
        with httpx.Client(base_url=url, timeout=120) as c:
            for i in range(k, len(posts), CLIENTS):
                path, body = posts[i]
                answers[i] = c.post(path, content=body, headers=headers)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(a is not None for a in answers)
    return [a for a in answers if a is not None]


def counted(e: Election) -> tuple[int, list[list[int]]]:
    """Close, tally, decrypt (in Python, as the officials and trustees would)."""
    eb = e.eb
    eid = eb.election
    eb.board.append(signed(eb.official, d.CLOSE, {"election": eid}, e.closes))
    eb.board.append(signed(eb.official, d.TALLY, tally_body(eb.data, eid), e.closes))
    for j, t in eb.trustees.items():
        body = t.partial_body(eb.data)
        eb.board.append(signed(eb.trustee_signers[j - 1], d.PARTIAL, body, e.closes))
    _, result = decrypt_result(eb.data, eid)
    return result.ballots, result.totals


def test_two_workers_take_concurrent_ballots(db_url: str, tmp_path: Path) -> None:
    e = roll_election(db_url, tmp_path / "keys", voters=VOTERS)
    made = [e.ballot(i, choice(i)) for i in range(VOTERS)]
    posts = [
        (f"/api/v1/voting/elections/{e.eb.election}/ballots", json.dumps(body).encode())
        for _, body in made
    ]
    log = tmp_path / "serve.log"
    with serve(db_url, tmp_path / "keys", log) as served:
        workers = served.workers()
        assert len(set(workers)) == 2, served.text()
        before = {p: cpu_seconds(p) for p in workers}
        answers = cast_concurrently(served.url, posts)
        used = {p: cpu_seconds(p) - before[p] for p in workers}
        stats = httpx.get(f"{served.url}/api/v1/board/stats", timeout=10).json()
        proc = served.proc
    assert proc.returncode == 0, served.text()
    assert not any(alive(p) for p in workers), "a worker outlived the server"

    assert [a.status_code for a in answers] == [201] * VOTERS, [
        a.text for a in answers if a.status_code != 201
    ][:2]
    assert min(used.values()) > 0.02, f"one worker did no work: {used}"
    bad = [line for line in log.read_text().splitlines() if any(b in line for b in BAD_LOG)]
    assert bad == []
    assert stats["kinds"]["voting.ballot"] == VOTERS

    board = e.board
    ballots = dict(board.entries(0, board.size(), "voting.ballot"))
    assert len(ballots) == VOTERS
    for (m, _), a in zip(made, answers, strict=True):
        receipt: dict[str, Any] = a.json()
        assert receipt["ballot"] == ballot_hash(m.ballot).hex()
        assert receipt["tracker"] == leaf_hash(ballots[receipt["index"]]).hex()
        check_receipt(receipt, board)
    assert len({a.json()["index"] for a in answers}) == VOTERS

    count, totals = counted(e)
    intended = [[sum(col) for col in zip(*(choice(i)[c] for i in range(VOTERS)), strict=True)]
                for c in range(3)]  # fmt: skip
    assert (count, totals) == (VOTERS, intended)


def test_app_from_env_reads_the_database_and_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'board.db'}"
    e = roll_election(url, tmp_path / "keys", voters=2)
    _, body = e.ballot(0)
    path = f"/api/v1/voting/elections/{e.eb.election}/ballots"
    headers = {"content-type": "application/json"}

    monkeypatch.delenv(DB_ENV, raising=False)
    with pytest.raises(ServeConfigError):
        app_from_env()

    monkeypatch.setenv(DB_ENV, url)
    monkeypatch.delenv(KEYS_ENV, raising=False)
    with TestClient(app_from_env(), raise_server_exceptions=False) as c:
        r = c.post(path, content=json.dumps(body), headers=headers)
        assert r.status_code == 409 and r.json()["error"] == "no_ballot_box"

    monkeypatch.setenv(KEYS_ENV, str(tmp_path / "keys"))
    with TestClient(app_from_env(), raise_server_exceptions=False) as c:
        r = c.post(path, content=json.dumps(body), headers=headers)
        assert r.status_code == 201, r.text
        assert r.json()["ballot"] == ballot_hash(body["ballot"]).hex()


def test_a_port_in_use_is_refused() -> None:
    plain = listen_socket("127.0.0.1", 0, reuse_port=False)
    plain.listen()
    shared = listen_socket("127.0.0.1", 0)  # as a running `pnyx serve --workers` listens
    shared.listen()
    try:
        for sock in (plain, shared):
            with pytest.raises(OSError):
                free_address("127.0.0.1", sock.getsockname()[1])
        port = free_address("127.0.0.1", 0)
        assert port > 0
    finally:
        plain.close()
        shared.close()


def test_workers_need_a_shared_database(cli: Cli) -> None:
    for db in ("sqlite://", "sqlite:///:memory:"):
        r = cli.raw("--db", db, "--keys", str(cli.keys), "serve", "--workers", "2")
        assert r.code == 1
        assert_one_error_line(r.err)
        assert "in-memory" in r.err
    r = cli.raw("--db", cli.db, "--keys", str(cli.keys), "serve", "--workers", "0")
    assert r.code != 0


def test_a_worker_that_cannot_start_stops_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DB_ENV, "unused")  # restored afterwards: run_workers sets it
    monkeypatch.setenv(KEYS_ENV, "unused")
    t = time.monotonic()
    assert run_workers("nosuchdb://x", None, "127.0.0.1", 0, 2, log_level="critical") == 1
    assert time.monotonic() - t < READY_SECONDS


def gate_peaks(gate_limit: int, paths: list[tuple[str, str]]) -> tuple[int, list[str]]:
    """Run requests through a :class:`CastGate` over an app that holds each one a moment:
    the most requests inside the app at once, and the order they entered it."""
    inside, peak, entered = 0, 0, []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        nonlocal inside, peak
        inside += 1
        peak = max(peak, inside)
        entered.append(scope["path"])
        await asyncio.sleep(0.01)
        inside -= 1

    gate = CastGate(app, gate_limit)

    async def run() -> None:
        async def one(method: str, path: str) -> None:
            await gate({"type": "http", "method": method, "path": path}, None, None)

        await asyncio.gather(*(one(m, p) for m, p in paths))

    asyncio.run(run())
    return peak, entered


def test_the_cast_gate_admits_so_many_posts_at_once() -> None:
    casts = [("POST", f"/api/v1/voting/elections/e{i % 2}/ballots") for i in range(8)]
    casts += [("POST", "/api/v1/voting/elections/e1/challenges")]
    peak, entered = gate_peaks(2, casts)
    assert peak == 2 and len(entered) == 9
    assert entered == [p for _, p in casts]  # in order
    others = [
        ("GET", "/api/v1/voting/elections/e1/ballots"),
        ("POST", "/api/v1/board/entries"),
        ("POST", "/api/v1/voting/receipts/check"),
        ("POST", "/api/v1/voting/elections/e1/ballots/x"),
    ] * 3
    peak, entered = gate_peaks(1, others)
    assert peak == len(others)


def test_cast_concurrency_setting(monkeypatch: pytest.MonkeyPatch, cli: Cli) -> None:
    monkeypatch.delenv(CAST_CONCURRENCY_ENV, raising=False)
    assert cast_concurrency() == CAST_CONCURRENCY
    monkeypatch.setenv(CAST_CONCURRENCY_ENV, "7")
    assert cast_concurrency() == 7
    for bad in ("0", "-1", "x", "1001"):
        monkeypatch.setenv(CAST_CONCURRENCY_ENV, bad)
        with pytest.raises(ServeConfigError):
            cast_concurrency()
        r = cli("serve", "--workers", "2")
        assert r.code == 1
        assert_one_error_line(r.err)
        assert CAST_CONCURRENCY_ENV in r.err

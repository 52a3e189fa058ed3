"""``pnyx serve --workers N``: the application in N worker processes (docs/api.md §1).

One Python process verifies one ballot at a time (the proofs are Python over
libsodium and BLS12-381 calls, under one interpreter lock), so a server uses
a second core only with a second process.  Each worker is a fresh process
(``spawn``) that builds the application itself with :func:`app_from_env`,
from the database URL and the key folder in the environment (:data:`DB_ENV`,
:data:`KEYS_ENV`, the same variables as ``pnyx --db`` and ``--keys``); any
ASGI server can do the same from the import string :data:`FACTORY`.

**Sockets.**  Each worker listens on its own socket bound to the same address
with ``SO_REUSEPORT``, and the kernel spreads new connections over the
workers by their address hash.  Uvicorn's own supervisor shares one listening
socket instead, and whichever worker wakes first accepts every connection
waiting: 20 keep-alive clients that connect at once then all land on one
worker, which does all the work while the other idles (measured: 400 ballots
to 0, benchmarks/load.py).  :func:`run_workers` is a small supervisor for
that: it starts the workers, restarts one that dies after it served a while,
stops all of them on SIGINT or SIGTERM, and stops if one cannot start.

**Sharing the board.**  Every worker holds its own :class:`ledger.board.Board`
over the same database and reads the same log and ballot box keys.  Nothing a
worker keeps decides what is written:

- the database sequences the appends (SQLite: ``BEGIN IMMEDIATE`` with a busy
  timeout, WAL readers; PostgreSQL: an advisory lock), and the next index,
  the duplicate check and every state value are read inside that transaction;
- a checkpoint is signed inside such a transaction too
  (:meth:`ledger.board.Board.sign_checkpoint`), so two workers never sign two
  trees of one size;
- a precheck token is sealed with a key of the worker's own admission object,
  and honoured only there and only while the state it read is unchanged.

So the workers verify ballots in parallel (their prechecks run before the
sequencer) and only the short stateful admission and the write are serialised.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.connection
import os
import re
import signal
import socket
import threading
import time
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from webapp.app import create_app
from webapp.keystore import KeyStore

DB_ENV = "PNYX_DB"
"""The database URL (``pnyx --db``)."""
KEYS_ENV = "PNYX_KEYS"
"""The server's key folder (``pnyx --keys``): the log key and the ballot box key."""
FACTORY = "webapp.serve:app_from_env"
"""The application factory as an import string (``uvicorn --factory webapp.serve:app_from_env``)."""
STOP_SECONDS = 30.0
"""How long a stopping worker may finish its requests before it is killed."""
CAST_CONCURRENCY = 2
"""Ballot and challenge posts one worker runs at once (:class:`CastGate`): one verifies while
the other is in the database's write lock or signs its receipt (benchmarks/load.py, 2 workers:
2 at once ≈ 200 ballots/s and p99 ≈ 0.2 s; 4: ≈ 170, 0.35 s; 8: ≈ 120, 0.85 s; none: p99 ≈ 1 s)."""
CAST_CONCURRENCY_ENV = "PNYX_CAST_CONCURRENCY"
"""Overrides :data:`CAST_CONCURRENCY` (e.g. more for a PostgreSQL server across a network)."""
CAST_PATH = re.compile(r"/api/v1/voting/elections/[^/]+/(?:ballots|challenges)")
MIN_UPTIME = 10.0
"""A worker that ends sooner than this after its start failed to start: the server stops."""

log = logging.getLogger("uvicorn.error")


class ServeConfigError(RuntimeError):
    """The environment does not name a database for the worker."""


class CastGate:
    """ASGI middleware: at most ``limit`` ballot or challenge posts in this process at once.

    The others wait their turn in the event loop, in order.  A post spends
    most of its time verifying (Python, one thread at a time) and a little in
    the database's write lock; twenty posts at once in twenty threads verify
    no faster than four, but they contend for the interpreter and for
    SQLite's lock, whose busy handler sleeps and retries, so that some wait
    far longer than others and readers keep the WAL from being reset
    (:data:`CAST_CONCURRENCY`).
    """

    def __init__(self, app: ASGIApp, limit: int = CAST_CONCURRENCY) -> None:
        self.app = app
        self.limit = limit
        self._gate: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not CAST_PATH.fullmatch(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        if self._gate is None:  # made in the server's event loop
            self._gate = asyncio.Semaphore(self.limit)
        async with self._gate:
            await self.app(scope, receive, send)


def cast_concurrency() -> int:
    """:data:`CAST_CONCURRENCY`, or the positive integer :data:`CAST_CONCURRENCY_ENV` names."""
    raw = os.environ.get(CAST_CONCURRENCY_ENV, "").strip()
    if not raw:
        return CAST_CONCURRENCY
    if not raw.isdigit() or not 1 <= int(raw) <= 1000:
        raise ServeConfigError(f"{CAST_CONCURRENCY_ENV} is an integer from 1 to 1000, not {raw!r}")
    return int(raw)


def served_app(db: str, keys: KeyStore | None) -> FastAPI:
    """What ``pnyx serve`` runs: :func:`webapp.app.create_app` behind a :class:`CastGate`."""
    app = create_app(db, keys)
    app.add_middleware(CastGate, limit=cast_concurrency())
    return app


def app_from_env() -> FastAPI:
    """The application for the database :data:`DB_ENV` names, with the keys of :data:`KEYS_ENV`.

    Without :data:`KEYS_ENV` the server signs nothing and answers ballot posts
    with 409 ``no_ballot_box`` (as :func:`webapp.app.create_app` without keys).
    """
    db = os.environ.get(DB_ENV, "").strip()
    if not db:
        raise ServeConfigError(f"{DB_ENV} names no database for this worker")
    keys = os.environ.get(KEYS_ENV, "").strip()
    return served_app(db, KeyStore(Path(keys)) if keys else None)


def listen_socket(host: str, port: int, reuse_port: bool = True) -> socket.socket:
    """A TCP socket bound to ``(host, port)``, with ``SO_REUSEPORT`` unless told (not listening)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def free_address(host: str, port: int) -> int:
    """``port`` (or, for 0, a free one) once nothing else listens there; else ``OSError``.

    The check binds without ``SO_REUSEPORT``: a second server started on the
    same port, even another ``pnyx serve --workers``, fails here instead of
    silently sharing its connections with the first.
    """
    with listen_socket(host, port, reuse_port=False) as sock:
        found: int = sock.getsockname()[1]
    return found


def _worker(host: str, port: int, log_level: str) -> None:
    """One worker process: the app from the environment, uvicorn on its own socket.

    Exits with uvicorn's ``STARTUP_FAILURE`` status when the application or
    the socket cannot be made, so that the supervisor stops instead of
    starting it again and again.
    """
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE

    _configure_logging(log_level)
    try:
        app = app_from_env()
        sock = listen_socket(host, port)
    except Exception as e:  # any failure to start: one line, then the status
        log.error("Worker [%d] cannot start: %s: %s", os.getpid(), type(e).__name__, e)
        raise SystemExit(STARTUP_FAILURE) from None
    # "auto": uvloop's event loop and the httptools parser (uvicorn[standard]); the pure-Python
    # h11 parser alone cost about 1.5 ms a ballot under load (benchmarks/load.py)
    config = uvicorn.Config(
        app, host=host, port=port, log_level=log_level, loop="auto", http="auto"
    )
    uvicorn.Server(config).run(sockets=[sock])


def _configure_logging(log_level: str) -> None:
    """uvicorn's log format and level (its ``Config`` sets them up when it is made)."""
    import uvicorn

    uvicorn.Config(FACTORY, factory=True, log_level=log_level)


def run_workers(
    db: str,
    keys: Path | None,
    host: str,
    port: int,
    workers: int,
    log_level: str = "info",
) -> int:
    """Serve the board at ``db`` from ``workers`` processes until SIGINT or SIGTERM.

    Puts ``db`` and ``keys`` in the environment for the workers
    (:data:`DB_ENV`, :data:`KEYS_ENV`).  A port in use fails here at once
    (:func:`free_address`).  A worker that ends is started again, unless it
    failed to start (uvicorn's ``STARTUP_FAILURE`` status, or an end within
    :data:`MIN_UPTIME`): then every worker is stopped.  Returns the exit
    status: 0 after a signal, 1 if a worker could not start.
    """
    from uvicorn.config import STARTUP_FAILURE

    _configure_logging(log_level)
    os.environ[DB_ENV] = db
    if keys is not None:
        os.environ[KEYS_ENV] = str(keys.resolve())
    else:
        os.environ.pop(KEYS_ENV, None)
    port = free_address(host, port)
    ctx = multiprocessing.get_context("spawn")
    stop = threading.Event()

    def on_signal(signum: int, _: FrameType | None) -> None:
        log.info("Received %s, stopping the workers.", signal.Signals(signum).name)
        stop.set()

    started: dict[int, float] = {}

    def start() -> BaseProcess:
        p = ctx.Process(target=_worker, args=(host, port, log_level), name="pnyx-worker")
        p.start()
        started[id(p)] = time.monotonic()
        return p

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    procs: list[BaseProcess] = []
    status = 0
    try:
        procs = [start() for _ in range(workers)]
        log.info(
            "Started parent process [%d]: %d workers on http://%s:%d (SO_REUSEPORT)",
            os.getpid(),
            workers,
            host,
            port,
        )
        while not stop.is_set():
            multiprocessing.connection.wait([p.sentinel for p in procs], timeout=0.5)
            for i, p in enumerate(procs):
                if p.exitcode is None or stop.is_set():
                    continue
                uptime = time.monotonic() - started.pop(id(p))
                if p.exitcode == STARTUP_FAILURE or uptime < MIN_UPTIME:
                    log.error("Worker [%s] could not start (code %s); stopping.", p.pid, p.exitcode)
                    status = 1
                    stop.set()
                    break
                log.warning("Worker [%s] exited (code %s); starting another.", p.pid, p.exitcode)
                procs[i] = start()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        for p in procs:
            if p.exitcode is None:
                p.terminate()  # SIGTERM: uvicorn finishes the requests under way
        deadline = time.monotonic() + STOP_SECONDS
        for p in procs:
            p.join(max(0.0, deadline - time.monotonic()))
            if p.exitcode is None:
                log.warning("Worker [%s] did not stop in time; killing it.", p.pid)
                p.kill()
                p.join()
    log.info("Stopped parent process [%d]", os.getpid())
    return status

"""A throwaway PostgreSQL server for the test session.

:class:`PgServer` runs ``initdb`` and ``pg_ctl`` in a temporary directory and
listens on a free loopback port (TCP on 127.0.0.1 only, its Unix socket in the
same directory), with trust authentication and ``fsync`` off.  Each test gets
a fresh database from :meth:`PgServer.create_database` and loses it with
:meth:`PgServer.drop_database`.

PostgreSQL refuses to run as root, so when the tests run as root the server
runs as the ``postgres`` system user (through ``runuser`` or ``su``) in a
directory that user owns; otherwise the binaries run directly.

Each pytest-xdist worker is its own process and so starts its own server on
its own port: no sharing, no lock.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

SERVER_USER = "postgres"
"""The database superuser and, when we are root, the system user that runs the server."""

NEEDED = ("initdb", "pg_ctl", "postgres")


class PgUnavailable(Exception):
    """PostgreSQL cannot be run here; the message says what is missing."""


def _version_key(path: str) -> tuple[int, ...]:
    m = re.search(r"/postgresql/(\d+(?:\.\d+)*)/bin$", path)
    return tuple(int(p) for p in m.group(1).split(".")) if m else ()


def find_bindir() -> Path:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``.

    Looks at ``$PNYX_PG_BINDIR``, then ``/usr/lib/postgresql/<version>/bin``
    (15 first, then the newest), then ``$PATH`` (following a symlink to
    where the server binaries live).  Raises :class:`PgUnavailable`.
    """
    candidates: list[Path] = []
    env = os.environ.get("PNYX_PG_BINDIR")
    if env:
        candidates.append(Path(env))
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    found.sort(key=lambda p: _version_key(p)[:1] != (15,))  # stable: 15 first, then newest
    candidates += [Path(p) for p in found]
    for name in ("initdb", "pg_ctl"):
        on_path = shutil.which(name)
        if on_path:
            candidates.append(Path(on_path).resolve().parent)
            candidates.append(Path(on_path).parent)
    for d in candidates:
        if all(os.access(d / n, os.X_OK) for n in NEEDED):
            return d
    looked = ", ".join(dict.fromkeys(str(c) for c in candidates)) or "nothing found"
    raise PgUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in "
        f"$PNYX_PG_BINDIR, /usr/lib/postgresql/*/bin or $PATH (looked at: {looked}); "
        "`make system-deps` installs the Debian package postgresql"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """One PostgreSQL cluster in a temporary directory; :meth:`stop` removes everything."""

    def __init__(self, bindir: Path | None = None) -> None:
        self.bindir = bindir or find_bindir()
        self.as_root = os.geteuid() == 0
        self._runas: list[str] = []
        if self.as_root:
            try:
                self._pw = pwd.getpwnam(SERVER_USER)
            except KeyError:
                raise PgUnavailable(
                    f"running as root and there is no {SERVER_USER!r} system user to run "
                    "PostgreSQL as (initdb refuses root)"
                ) from None
            runuser, su = shutil.which("runuser"), shutil.which("su")
            if runuser:
                self._runas = [runuser, "-u", SERVER_USER, "--"]
            elif not su:
                raise PgUnavailable("running as root and neither runuser nor su is available")
        self.dir: Path | None = None
        self.port = 0
        self._started = False

    # ---------------------------------------------------------------- process

    def _run(self, args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run a server binary, as the ``postgres`` user when we are root."""
        if self.as_root and not self._runas:
            cmd = ["su", SERVER_USER, "-s", "/bin/sh", "-c", shlex.join(args)]
        else:
            cmd = [*self._runas, *args]
        return subprocess.run(
            cmd,
            cwd=self.dir,  # the server user may not be able to enter our cwd
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={**os.environ, "LC_ALL": "C", "LANG": "C"},
        )

    @property
    def data(self) -> Path:
        assert self.dir is not None
        return self.dir / "data"

    @property
    def logfile(self) -> Path:
        assert self.dir is not None
        return self.dir / "server.log"

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def start(self) -> PgServer:
        """initdb, then pg_ctl start on a free loopback port (a few tries if the port is taken)."""
        base = "/tmp" if self.as_root and os.path.isdir("/tmp") else None
        self.dir = Path(tempfile.mkdtemp(prefix="pnyx-pg-", dir=base))
        atexit.register(self.stop)
        try:
            if self.as_root:
                os.chown(self.dir, self._pw.pw_uid, self._pw.pw_gid)
            init = self._run(
                [
                    str(self.bindir / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    SERVER_USER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-locale",
                    "--no-sync",
                    "--no-instructions",
                ],
                timeout=120,
            )
            if init.returncode != 0:
                raise RuntimeError(
                    f"initdb failed ({init.returncode}):\n{init.stdout}{init.stderr}"
                )
            last = ""
            for _ in range(5):
                self.port = _free_port()
                opts = (
                    f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                    f"-c unix_socket_directories={self.dir} "
                    "-c fsync=off -c full_page_writes=off -c max_connections=200"
                )
                r = self._run(
                    [
                        str(self.bindir / "pg_ctl"),
                        "-D",
                        str(self.data),
                        "-l",
                        str(self.logfile),
                        "-o",
                        opts,
                        "-w",
                        "-t",
                        "60",
                        "start",
                    ],
                    timeout=90,
                )
                if r.returncode == 0:
                    self._started = True
                    break
                last = f"{r.stdout}{r.stderr}\n{self._log_tail()}"
                if "already in use" not in last and "could not bind" not in last:
                    break
            if not self._started:
                raise RuntimeError(f"pg_ctl start failed:\n{last}")
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with self.connect():
                    return
            except psycopg.OperationalError as e:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"PostgreSQL did not accept connections:\n{self._log_tail()}"
                    ) from e
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server at once (``-m immediate``) and remove its directory; idempotent."""
        if self._started:
            self._started = False
            self._run(
                [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]
            )
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
        atexit.unregister(self.stop)

    # -------------------------------------------------------------- databases

    def connect(self, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=SERVER_USER,
            dbname=dbname,
            autocommit=True,
            connect_timeout=10,
        )

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://{SERVER_USER}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self) -> str:
        """A fresh, empty database with a unique name; returns the name."""
        name = f"pnyx_{uuid.uuid4().hex[:16]}"
        with self.connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, ending any connection still open to it (PostgreSQL 13+)."""
        with self.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]

"""CLI start-up: the CPU time of `pnyx --help` and of simple reads, beside `python -c pass`.

Run as ``.venv/bin/python benchmarks/cli_startup.py`` (``--runs N``, default 10).

Each command runs as its own process, as a user runs it, on a small board made
once in a temporary folder (``pnyx init`` and one notice).  The figure is the
median CPU time (user + system, of the child process, from ``resource``) and
the median wall time over ``--runs``.  The floor is the interpreter itself:
``python -c pass`` in the same virtual environment.  The target for ``--help``
and simple reads is 0.5 s of CPU (issue 13); what a command costs beyond the
floor is imports (``python -X importtime -m webapp --help`` shows which).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

PYTHON = Path(sys.executable)
PNYX = PYTHON.with_name("pnyx")
TARGET = 0.5


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(CPU seconds of the child, wall seconds) of one run of ``argv``; it must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    pnyx = [str(PNYX)] if PNYX.exists() else [str(PYTHON), "-m", "webapp"]
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "PNYX_DB": f"sqlite:///{Path(tmp) / 'board.db'}",
            "PNYX_KEYS": str(Path(tmp) / "keys"),
        }
        subprocess.run([*pnyx, "init", "--origin", "bench.example/board"], env=env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        subprocess.run([*pnyx, "authority", "add", "city", "--role", "publisher"], env=env,
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        subprocess.run([*pnyx, "notice", "publish", "--as", "city", "--title", "t", "--body", "b"],
                       env=env, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        rows = [
            ("python -c pass (the floor)", [str(PYTHON), "-c", "pass"]),
            ("pnyx --help", [*pnyx, "--help"]),
            ("pnyx board checkpoint", [*pnyx, "board", "checkpoint"]),
            ("pnyx board entries --json", [*pnyx, "board", "entries", "--json"]),
            ("pnyx election --help", [*pnyx, "election", "--help"]),
        ]
        table = Table(title=f"CLI start-up, median of {args.runs} runs (target {TARGET} s CPU)")
        for col in ("command", "CPU s", "wall s", "CPU − floor", "within target"):
            table.add_column(col, justify="left" if col == "command" else "right")
        floor = 0.0
        for name, argv in rows:
            timed(argv, env)  # warm the page cache
            runs = [timed(argv, env) for _ in range(args.runs)]
            cpu = statistics.median(r[0] for r in runs)
            wall = statistics.median(r[1] for r in runs)
            if not floor:
                floor = cpu
            table.add_row(
                name,
                f"{cpu:.3f}",
                f"{wall:.3f}",
                f"{cpu - floor:.3f}",
                "" if argv[0] == str(PYTHON) and argv[1] == "-c" else
                ("yes" if cpu <= TARGET else "NO"),
            )  # fmt: skip
    Console(width=120).print(table)


if __name__ == "__main__":
    main()

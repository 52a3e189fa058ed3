"""Board benchmark: appends, proofs and the floors beneath them, on SQLite and PostgreSQL.

Run by ``make bench`` as ``.venv/bin/python benchmarks/board.py`` (``--quick`` for
10^4 and 10^5 entries only, ``--backend sqlite|postgresql|all``).

For each backend one board grows through 10^4, 10^5 (and 10^6) notice entries.
At each size it measures:

- appends/s in batches of 1000 through :meth:`Board.append_many` (the throughput
  of the build segment that brought the board to this size);
- appends/s one by one through :meth:`Board.append`;
- the median time of an inclusion and of a consistency proof over random queries,
  through :meth:`Board.inclusion_proof` / :meth:`Board.consistency_proof`.

Beside them the floors, measured in the same run: raw SHA-256 per entry (the
leaf hash plus one node hash, the amortised tree cost), raw Ed25519 verify per
entry, and raw inserts (executemany of comparable entry and node rows into bare
tables on the same backend).

Building a 10^6-entry board is the author's cost as much as the board's, so the
entries are signed once, in bulk, in a small thread pool (Ed25519 signing
releases the GIL), from a byte template rather than through ``make_entry``'s
double canonicalisation; the board still decodes, canonical-checks and verifies
every one of them.  The build time is printed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from nacl.signing import SigningKey  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import text  # noqa: E402

from ledger.entry import SIGNING_PREFIX, Entry, key_id  # noqa: E402
from ledger.merkle import leaf_hash, node_hash  # noqa: E402
from ledger.store import Store  # noqa: E402
from services.notices import PUBLISH  # noqa: E402
from tests.kit import Kit, make_kit  # noqa: E402
from tests.pg import PgServer  # noqa: E402

BATCH = 1000
PROOF_QUERIES = 200
ONE_BY_ONE = 200
TIME = "2026-11-25T12:00:00Z"
console = Console(width=140)


# ------------------------------------------------------------------ entries


def notice_leaves(key: SigningKey, start: int, count: int) -> list[bytes]:
    """Signed ``notice.publish`` leaves ``start .. start+count-1``, canonical by construction.

    The template is the RFC 8785 form of the entry (members sorted, no spaces);
    a sample is checked with :meth:`Entry.from_leaf` so a drift in the format
    fails loudly here rather than as a rejection in the middle of a build.
    """
    author = key_id(bytes(key.verify_key))
    head = f'{{"author":"{author}","body":{{"attachments":[],"text":"text '
    kind = f'"kind":"{PUBLISH}"'

    def one(i: int) -> bytes:
        body = f'{head}{i}","title":"notice {i}"}},{kind}'
        tail = f',"time":"{TIME}","version":1}}'
        sig = key.sign(SIGNING_PREFIX + (body + tail).encode()).signature
        return f'{body},"signature":"{sig.hex()}"{tail}'.encode()

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        leaves = list(pool.map(one, range(start, start + count), chunksize=2000))
    for leaf in leaves[:: max(1, count // 50)]:
        Entry.from_leaf(leaf)
    return leaves


# ------------------------------------------------------------------- floors


def per_call_us(fn: Callable[[], object], repeat: int = 5, number: int = 2000) -> float:
    """Median over ``repeat`` runs of the time per call, in µs."""
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        runs.append((time.perf_counter() - t) / number)
    return statistics.median(runs) * 1e6


def sha256_floor_us(leaves: Sequence[bytes]) -> float:
    """µs per entry: its leaf hash plus one node hash (two per append, amortised)."""
    sample = leaves[:2000]
    h = leaf_hash(sample[0])
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        for leaf in sample:
            node_hash(h, leaf_hash(leaf))
        runs.append((time.perf_counter() - t) / len(sample))
    return statistics.median(runs) * 1e6


def ed25519_floor_us(key: SigningKey, leaves: Sequence[bytes]) -> float:
    """µs per entry for a bare ``VerifyKey.verify`` of an entry-sized message."""
    entry = Entry.from_leaf(leaves[0])
    msg, sig = entry.signed_bytes(), entry.signature
    vk = key.verify_key
    return per_call_us(lambda: vk.verify(msg, sig), number=1000)


def insert_floor_us(store: Store, leaves: Sequence[bytes], rounds: int = 5) -> float:
    """µs per entry: executemany of an entry row and a node row into bare tables.

    The rows have the shape of ``entries`` and ``nodes`` (the amortised node
    count per entry is one), written in one transaction per 1000 entries, as
    a batched append writes them.
    """
    n = 1000
    sample = leaves[:n]
    entry_rows = [
        {"idx": i, "leaf_hash": leaf_hash(leaf), "kind": PUBLISH, "leaf": leaf}
        for i, leaf in enumerate(sample)
    ]
    node_rows = [{"level": 1, "idx": i, "hash": leaf_hash(leaf)} for i, leaf in enumerate(sample)]
    ddl = [
        "DROP TABLE IF EXISTS bench_entries",
        "DROP TABLE IF EXISTS bench_nodes",
        "CREATE TABLE bench_entries (idx BIGINT PRIMARY KEY, leaf_hash BYTEA NOT NULL UNIQUE,"
        " kind VARCHAR NOT NULL, leaf BYTEA NOT NULL)",
        "CREATE TABLE bench_nodes (level INTEGER, idx BIGINT, hash BYTEA NOT NULL,"
        " PRIMARY KEY (level, idx))",
    ]
    if store.backend == "sqlite":
        ddl = [d.replace("BYTEA", "BLOB") for d in ddl]
    ins_e = text("INSERT INTO bench_entries VALUES (:idx, :leaf_hash, :kind, :leaf)")
    ins_n = text("INSERT INTO bench_nodes VALUES (:level, :idx, :hash)")
    runs = []
    with store.engine.connect() as conn:
        for _ in range(rounds):
            with conn.begin():
                for d in ddl:
                    conn.exec_driver_sql(d)
            t = time.perf_counter()
            with conn.begin():
                conn.execute(ins_e, entry_rows)
                conn.execute(ins_n, node_rows)
            runs.append((time.perf_counter() - t) / n)
        with conn.begin():
            for d in ddl[:2]:
                conn.exec_driver_sql(d)
    return statistics.median(runs) * 1e6


# ---------------------------------------------------------------- PostgreSQL


@contextmanager
def bench_postgres() -> Iterator[str]:
    """A throw-away PostgreSQL server (the test suite's :class:`tests.pg.PgServer`)."""
    server = PgServer().start()
    try:
        yield server.url(server.create_database())
    finally:
        server.stop()


@contextmanager
def backend_url(backend: str) -> Iterator[str]:
    if backend == "postgresql":
        with bench_postgres() as url:
            yield url
        return
    root = Path(tempfile.mkdtemp(prefix="pnyx-bench-"))
    try:
        yield f"sqlite:///{root / 'board.db'}"
    finally:
        shutil.rmtree(root, ignore_errors=True)


# ---------------------------------------------------------------- measuring


@dataclass
class Row:
    backend: str
    size: int
    build_s: float
    batched: float
    one_by_one: float
    inclusion_ms: float
    consistency_ms: float
    floors: dict[str, float] = field(default_factory=dict)


def median_ms(fn: Callable[[int], object], pick: Callable[[], int]) -> float:
    times = []
    for _ in range(PROOF_QUERIES):
        arg = pick()
        t = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def bench_backend(
    backend: str, sizes: Sequence[int], key: SigningKey, leaves: list[bytes]
) -> list[Row]:
    rows: list[Row] = []
    rng = random.Random(9162)
    with backend_url(backend) as url:
        kit = make_kit(url)
        _register_bench_publisher(kit, key)
        board = kit.board
        floors = {
            "sha256": sha256_floor_us(leaves),
            "ed25519": ed25519_floor_us(key, leaves),
            "insert": insert_floor_us(board.store, leaves),
        }
        used = 0
        spare = len(leaves) - ONE_BY_ONE * len(sizes)
        for target in sizes:
            start_size = board.size()
            t0 = time.perf_counter()
            while board.size() < target - ONE_BY_ONE:
                take = min(BATCH, target - ONE_BY_ONE - board.size(), spare - used)
                board.append_many(leaves[used : used + take])
                used += take
            batched_s = time.perf_counter() - t0
            batched = (board.size() - start_size) / batched_s
            t1 = time.perf_counter()
            for leaf in leaves[spare + ONE_BY_ONE * sizes.index(target) :][:ONE_BY_ONE]:
                board.append(leaf)
            one_s = time.perf_counter() - t1
            n = board.size()
            incl = median_ms(board.inclusion_proof, partial(rng.randrange, n))
            cons = median_ms(board.consistency_proof, partial(rng.randrange, 1, n))
            rows.append(
                Row(backend, n, time.perf_counter() - t0, batched, ONE_BY_ONE / one_s, incl, cons,
                    floors)
            )
            console.log(
                f"{backend} {n:>9,}: batched {batched:,.0f}/s, one by one "
                f"{ONE_BY_ONE / one_s:,.0f}/s, inclusion {incl:.3f} ms, consistency {cons:.3f} ms"
            )
        board.store.dispose()
    return rows


def _register_bench_publisher(kit: Kit, key: SigningKey) -> None:
    """Register ``key`` as a publisher so the pre-signed leaves are admissible."""
    from ledger import authorities
    from tests.kit import entry

    kit.board.append(
        entry(
            kit.root,
            authorities.AUTHORITY,
            {"name": "bench", "public_key": bytes(key.verify_key).hex(), "roles": ["publisher"]},
        )
    )


def render(rows: Sequence[Row], sign_s: float, total: int) -> None:
    table = Table(title="Pnyx board: appends and proofs, with the floors measured in this run")
    for col in (
        "backend",
        "entries",
        "batched /s",
        "µs/entry",
        "one by one /s",
        "inclusion ms",
        "consistency ms",
        "build s",
    ):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            r.backend,
            f"{r.size:,}",
            f"{r.batched:,.0f}",
            f"{1e6 / r.batched:.1f}",
            f"{r.one_by_one:,.0f}",
            f"{r.inclusion_ms:.3f}",
            f"{r.consistency_ms:.3f}",
            f"{r.build_s:.1f}",
        )
    console.print(table)
    floors = Table(title="Floors per entry (same run)")
    for col in ("backend", "SHA-256 leaf+node µs", "Ed25519 verify µs", "raw insert µs",
                "sum µs", "sum as /s"):
        floors.add_column(col, justify="right")
    seen: set[str] = set()
    for r in rows:
        if r.backend in seen:
            continue
        seen.add(r.backend)
        f = r.floors
        total_us = f["sha256"] + f["ed25519"] + f["insert"]
        floors.add_row(
            r.backend,
            f"{f['sha256']:.2f}",
            f"{f['ed25519']:.1f}",
            f"{f['insert']:.1f}",
            f"{total_us:.1f}",
            f"{1e6 / total_us:,.0f}",
        )
    console.print(floors)
    console.print(
        f"{total:,} entries signed in bulk in {sign_s:.1f} s (the author's cost, not the "
        "board's); 'build s' is the time to grow the board to that size (batched appends "
        f"of {BATCH}, plus {ONE_BY_ONE} one by one and the proof queries).  Targets: "
        ">= 10,000/s batched on SQLite, >= 5,000/s on PostgreSQL, proofs <= 2 ms at 10^6."
    )


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--quick", action="store_true", help="10^4 and 10^5 entries only")
    p.add_argument("--backend", choices=("sqlite", "postgresql", "all"), default="all")
    args = p.parse_args(argv)
    sizes = [10**4, 10**5] if args.quick else [10**4, 10**5, 10**6]
    backends = ["sqlite", "postgresql"] if args.backend == "all" else [args.backend]
    key = SigningKey(hashlib.sha256(b"pnyx benchmark publisher").digest())
    total = sizes[-1]
    t = time.perf_counter()
    leaves = notice_leaves(key, 0, total)
    sign_s = time.perf_counter() - t
    console.log(f"signed {total:,} entries in {sign_s:.1f} s")
    rows: list[Row] = []
    for backend in backends:
        rows += bench_backend(backend, sizes, key, leaves)
    render(rows, sign_s, total)


if __name__ == "__main__":
    main()

"""Health benchmark: record write, read and grant beside the floor of their primitives.

Run as ``.venv/bin/python benchmarks/health.py`` (``--runs N``, default 50;
``--backend sqlite|postgresql``).

Each operation is timed end to end through the service on a fresh board
(the median of ``--runs``), with the kit's bundle of seven FHIR resources
(about 1.3 kB of canonical JSON) and one registered emergency key:

- **write**: FHIR validation, encryption, key sealed for the pseudonym and the
  emergency key, the ``health.record`` entry signed and appended with its blob;
- **grant**: the patient unwraps the record key, re-seals it for the grantee,
  signs the grant; the gateway appends it (the domain verifies the signature);
- **read**: the reader signs a request; the gateway appends the access entry
  (the domain verifies it) and, in the same transaction, reads the blob and
  checks its hash; the reader unwraps the key and decrypts.

Beside each, its floor: the sum of the primitives it cannot avoid, each timed
in the same run (XChaCha20-Poly1305 on the record, a sealed box and its
opening, Ed25519 sign and verify, SHA-256 of the blob, and one board append
of a notice entry on the same database, which includes its own Ed25519
verification).  The ratio shows what the service adds: JSON, FHIR validation,
state reads, the blob row.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from nacl.public import PrivateKey  # noqa: E402
from nacl.signing import SigningKey  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from ledger.entry import now_rfc3339  # noqa: E402
from services.health.fhir import validate_bundle  # noqa: E402
from services.health.keys import Reader  # noqa: E402
from services.health.sealing import (  # noqa: E402
    open_record,
    record_aad,
    seal_record,
    unwrap_key,
    wrap_key,
)
from tests.kit import notice  # noqa: E402
from tests.pg import PgServer  # noqa: E402
from tests.services.health.kit import BUNDLE, HealthKit, make_health_kit  # noqa: E402

console = Console(width=120)


def median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def floors(hk: HealthKit, runs: int) -> dict[str, float]:
    plaintext = validate_bundle(BUNDLE)
    aad = record_aad("aa" * 32, "bb" * 32)
    key, blob = seal_record(plaintext, aad)
    box = PrivateKey.generate()
    pk = bytes(box.public_key)
    wrapped = wrap_key(key, pk)
    sk = SigningKey.generate()
    msg = b"x" * 400
    sig = sk.sign(msg).signature
    counter = iter(range(10**9))
    return {
        "AEAD encrypt": median_ms(lambda: seal_record(plaintext, aad), runs * 10),
        "AEAD decrypt": median_ms(lambda: open_record(key, blob, aad), runs * 10),
        "sealed box": median_ms(lambda: wrap_key(key, pk), runs * 10),
        "sealed box open": median_ms(lambda: unwrap_key(wrapped, box), runs * 10),
        "Ed25519 sign": median_ms(lambda: sk.sign(msg), runs * 10),
        "Ed25519 verify": median_ms(lambda: sk.verify_key.verify(msg, sig), runs * 10),
        "SHA-256 blob": median_ms(lambda: hashlib.sha256(blob).digest(), runs * 10),
        "FHIR validation": median_ms(lambda: validate_bundle(BUNDLE), runs),
        "board append": median_ms(
            lambda: hk.board.append(notice(hk.kit.publisher, next(counter))), runs
        ),
    }


def run(url: str, runs: int) -> None:
    hk = make_health_kit(url)
    ps = hk.pseudonym
    first = hk.service.write_record(hk.provider, ps.card(), BUNDLE)
    f = floors(hk, runs)

    records = []
    write = median_ms(
        lambda: records.append(hk.service.write_record(hk.provider, ps.card(), BUNDLE)), runs
    )
    readers = [Reader.generate() for _ in range(runs)]
    grants = []
    it = iter(readers)
    grant = median_ms(
        lambda: grants.append(
            hk.service.grant(hk.gateway, ps.grant(next(it).card(), [first], "2099-01-01T00:00:00Z"))
        ),
        runs,
    )
    pairs = iter(zip(readers, grants, strict=True))

    def read() -> None:
        reader, g = next(pairs)
        release = hk.service.read(
            hk.gateway, reader.request(first.sha256, g.grant_id, now_rfc3339())
        )
        reader.open(release)

    read_ms = median_ms(read, runs)

    sealed = 1 + len(first.emergency)
    rows = [
        (
            "record write",
            write,
            {
                "AEAD encrypt": 1,
                "sealed box": sealed,
                "Ed25519 sign": 1,
                "SHA-256 blob": 1,
                "board append": 1,
            },
        ),
        (
            "grant (patient + gateway)",
            grant,
            {
                "sealed box open": 1,
                "sealed box": 1,
                "Ed25519 sign": 2,
                "Ed25519 verify": 1,
                "board append": 1,
            },
        ),
        (
            "read (reader + gateway)",
            read_ms,
            {
                "Ed25519 sign": 2,
                "Ed25519 verify": 1,
                "board append": 1,
                "SHA-256 blob": 1,
                "sealed box open": 1,
                "AEAD decrypt": 1,
            },
        ),
    ]
    table = Table(title=f"health on {url.split(':')[0]} — median of {runs}, ms")
    for col in ("operation", "time", "floor", "× floor", "floor made of"):
        table.add_column(col, justify="left" if col in ("operation", "floor made of") else "right")
    for name, ms, parts in rows:
        floor = sum(f[k] * n for k, n in parts.items())
        made = ", ".join(f"{n}× {k}" if n > 1 else k for k, n in parts.items())
        table.add_row(name, f"{ms:.2f}", f"{floor:.2f}", f"{ms / floor:.1f}", made)
    console.print(table)
    prim = Table(title="primitives, same run (median, ms)")
    prim.add_column("primitive")
    prim.add_column("time", justify="right")
    for k, v in f.items():
        prim.add_row(k, f"{v:.4f}")
    console.print(prim)
    assert hk.board.verify() == []
    hk.board.store.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = ap.parse_args()
    if args.backend == "sqlite":
        with tempfile.TemporaryDirectory() as d:
            run(f"sqlite:///{Path(d) / 'health.db'}", args.runs)
        return
    server = PgServer()
    server.start()
    try:
        run(server.url(server.create_database()), args.runs)
    finally:
        server.stop()


if __name__ == "__main__":
    main()

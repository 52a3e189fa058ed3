"""BLS12-381 curve backends for BBS: primitives and BBS operations, per backend.

Run as ``.venv/bin/python benchmarks/credentials_backends.py`` (``--quick`` for
fewer repetitions, ``--suite shake`` for BLS12-381-SHAKE-256,
``--backends blst,arkworks`` to leave the slow reference out).

Rows, per backend (medians; the reference py_ecc gets fewer runs):

- primitives: G1 mult, G2 mult, G1 MSM of 12 points, the verifiers' MSM of 12
  generators with public scalars (`g1_msm_public`: fixed-base tables on blst,
  the plain MSM elsewhere), pairing-product check of 2 pairs (Miller loops +
  one final exponentiation), hash_to_G1 (RFC 9380, custom DST), G1 decompress
  + subgroup check;
- BBS (draft-irtf-cfrg-bbs-signatures-09) with 10 messages, 2 disclosed:
  sign, verify, proof_gen, proof_verify, and the proof size.

The floor of each BBS row is measured in the same run, just before and after
the operation: verify and proof_verify beside one pairing check plus one MSM of
12 (what their equations need at least), sign and proof_gen beside one MSM of 12.
Generators are cached after the first call (suite.py), as in a long-running
service.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from crypto import bbs  # noqa: E402
from crypto.bbs.backend import ORDER, CurveBackend, backend_by_name  # noqa: E402

MESSAGES = [f"attribute number {i}".encode() for i in range(10)]
DISCLOSED = [2, 7]
HEADER = b"pnyx benchmark header"


def scalar(seed: bytes) -> int:
    """A full-size, random-looking scalar (no low-weight shortcuts for MSM windows)."""
    return int.from_bytes(hashlib.sha512(seed).digest(), "big") % ORDER


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm up (and fill the generator cache)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def with_floor(
    fn: Callable[[], object], floor: Callable[[], object], runs: int
) -> tuple[float, float]:
    """Median of fn and of its floor, each floor run right beside an fn run."""
    fn()
    floor()
    f_times, o_times = [], []
    for _ in range(runs):
        t = time.perf_counter()
        floor()
        f_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        fn()
        o_times.append(time.perf_counter() - t)
    return statistics.median(o_times) * 1e3, statistics.median(f_times) * 1e3


def fmt(ms: float) -> str:
    return f"{ms * 1e3:.0f} µs" if ms < 1 else f"{ms:.2f} ms"


def measure(b: CurveBackend, s: bbs.BBSInterface, runs: int) -> dict[str, tuple[float, float]]:
    g1, g2 = b.g1_generator(), b.g2_generator()
    k = scalar(b"k")
    pts = [b.g1_mul(g1, scalar(b"p%d" % i)) for i in range(12)]
    ks = [scalar(b"k%d" % i) for i in range(12)]
    a = b.g1_mul(g1, 77)
    pairs = [(a, g2), (b.g1_neg(g1), b.g2_mul(g2, 77))]
    enc = b.g1_to_bytes(b.g1_mul(g1, k))

    def msm12() -> object:
        return b.g1_msm(pts, ks)

    def pairing() -> object:
        return b.pairing_check(pairs)

    def verify_floor() -> object:
        return (b.g1_msm(pts, ks), b.pairing_check(pairs))

    out: dict[str, tuple[float, float]] = {}
    out["G1 mult"] = (median_ms(lambda: b.g1_mul(g1, k), runs), 0.0)
    out["G2 mult"] = (median_ms(lambda: b.g2_mul(g2, k), runs), 0.0)
    out["G1 MSM, 12 points"] = (median_ms(msm12, runs), 0.0)
    gens = s.suite.create_generators(b, 12, s.api_id)
    out["G1 MSM, 12 generators, public scalars"] = (
        median_ms(lambda: b.g1_msm_public(gens, ks, fixed=12), runs),
        0.0,
    )
    out["pairing check, 2 pairs"] = (median_ms(pairing, runs), 0.0)
    out["hash_to_G1 (XMD:SHA-256)"] = (
        median_ms(lambda: b.hash_to_g1_xmd_sha256(b"message", b"PNYX-BENCH-DST"), runs),
        0.0,
    )
    out["G1 decompress + subgroup"] = (median_ms(lambda: b.g1_from_bytes(enc), runs), 0.0)

    sk = s.keygen(b"benchmark key material, 32 bytes+")
    pk = s.sk_to_pk(sk, backend=b)
    sig = s.sign(sk, pk, HEADER, MESSAGES, backend=b)
    proof = s.proof_gen(pk, sig, HEADER, b"nonce", MESSAGES, DISCLOSED, backend=b)
    shown = [MESSAGES[i] for i in DISCLOSED]
    assert s.verify(pk, sig, HEADER, MESSAGES, backend=b)
    assert s.proof_verify(pk, proof, HEADER, b"nonce", shown, DISCLOSED, backend=b)
    out["BBS sign (10 msgs)"] = with_floor(
        lambda: s.sign(sk, pk, HEADER, MESSAGES, backend=b), msm12, runs
    )
    out["BBS verify"] = with_floor(
        lambda: s.verify(pk, sig, HEADER, MESSAGES, backend=b), verify_floor, runs
    )
    out["BBS proof_gen (2 of 10 shown)"] = with_floor(
        lambda: s.proof_gen(pk, sig, HEADER, b"nonce", MESSAGES, DISCLOSED, backend=b),
        msm12,
        runs,
    )
    out["BBS proof_verify"] = with_floor(
        lambda: s.proof_verify(pk, proof, HEADER, b"nonce", shown, DISCLOSED, backend=b),
        verify_floor,
        runs,
    )
    out["proof size"] = (float(len(proof)), -1.0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--suite", choices=["sha", "shake"], default="sha")
    parser.add_argument("--backends", default="blst,arkworks,py_ecc")
    args = parser.parse_args()
    s = bbs.BLS12_381_SHA_256 if args.suite == "sha" else bbs.BLS12_381_SHAKE_256
    names = [n.strip() for n in args.backends.split(",") if n.strip()]
    results = {}
    for name in names:
        runs = (3 if args.quick else 5) if name == "py_ecc" else (10 if args.quick else 41)
        results[name] = measure(backend_by_name(name), s, runs)
    table = Table(title=f"BBS curve backends, {s.suite.ciphersuite_id.decode()}, medians")
    table.add_column("operation")
    for name in names:
        table.add_column(name, justify="right")
        table.add_column("floor", justify="right")
        table.add_column("×floor", justify="right")
    for row in results[names[0]]:
        cells = [row]
        for name in names:
            value, floor = results[name][row]
            if floor < 0:
                cells += [f"{value:.0f} B", "", ""]
            elif floor == 0:
                cells += [fmt(value), "", ""]
            else:
                cells += [fmt(value), fmt(floor), f"{value / floor:.2f}"]
        table.add_row(*cells)
    Console(width=200).print(table)
    print(
        "floors: sign and proof_gen beside one G1 MSM of 12; verify and proof_verify "
        "beside one MSM of 12 + one 2-pair pairing check, measured alongside."
    )


if __name__ == "__main__":
    main()

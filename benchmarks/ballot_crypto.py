"""Ballot cryptography benchmark: each operation beside its floor (docs/crypto.md §7).

Run by ``make bench`` as ``.venv/bin/python benchmarks/ballot_crypto.py``
(``--quick`` for fewer repetitions and 10^3 ballots in the tally).

Rows:

- encrypt and verify one contest of 3 options, pick at most 1 (the issue's first
  ballot shape), and one of 10 options, pick at most 3; verify starts from the
  bytes (decoding validates every point and scalar);
- the tally of 10^4 ballots of the first shape (homomorphic sums);
- threshold decryption with 3 of 5 trustees of one tally ciphertext: the three
  partial decryptions with their proofs, then the combination (check the three
  proofs, interpolate), then the discrete log with bound 10^4 (baby-step table
  built once, its cost a row of its own).

The group is ristretto255 through the system libsodium (pysodium), as
crypto/group.py uses it. The floor of an operation is what its scalar
multiplications cost alone: variable-base count × t_var + fixed-base count ×
t_fixed + point validations × t_valid (`crypto_core_ristretto255_is_valid_point`
at decoding: one inverse square root); the column "ratio w/o valid" leaves the
validations out. The unit costs
are measured just before and just after each run of an operation, so that a
change of load on the machine moves the operation and its floor together; the
ratios are medians over runs. The counts are not estimated: a counting pass
wraps crypto.group's libsodium binding once per operation. Point additions are shown, never in the
floor, except for a row with no multiplication at all (the tally), whose floor
is additions × t_add.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

import crypto.group as group_module  # noqa: E402
from crypto.contest import (  # noqa: E402
    ContestShape,
    EncryptedContest,
    encrypt_contest,
    verify_contest,
)
from crypto.dlog import DiscreteLogTable  # noqa: E402
from crypto.elgamal import Ciphertext  # noqa: E402
from crypto.group import GENERATOR, Point, Scalar  # noqa: E402
from crypto.threshold import (  # noqa: E402
    CeremonyParameters,
    DealerSecret,
    combine_partial_decryptions,
    commit,
    joint_public_key,
    partial_decrypt,
    trustee_secret_share,
    verification_key,
)

#: The libsodium binding crypto.group calls (pysodium), imported there only.
sodium = group_module.sodium

CONTEXT = bytes(range(32))
VOTER = b"pseudonym"
SHAPE_SMALL = ContestShape(b"mayor", options=3, minimum=0, maximum=1)
SHAPE_LARGE = ContestShape(b"council", options=10, minimum=0, maximum=3)

VAR = "crypto_scalarmult_ristretto255"
FIXED = "crypto_scalarmult_ristretto255_base"
VALID = "crypto_core_ristretto255_is_valid_point"
ADDS = ("crypto_core_ristretto255_add", "crypto_core_ristretto255_sub")


class _CountingSodium:
    """Stands in for crypto.group's libsodium binding during one counting pass."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        function = getattr(sodium, name)

        def counted(*args: Any) -> Any:
            self.counts[name] += 1
            return function(*args)

        return counted


def count_calls(operation: Callable[[], object]) -> Counter[str]:
    """Run `operation` once with libsodium calls counted."""
    counting = _CountingSodium()
    saved = group_module.sodium
    group_module.sodium = counting  # type: ignore[assignment]
    try:
        operation()
    finally:
        group_module.sodium = saved
    return counting.counts


@dataclass
class Units:
    var: float
    fixed: float
    valid: float
    add: float


def _per_call(function: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls


def measure_units(calls: int) -> Units:
    scalar = Scalar.random().to_bytes()
    point = (Scalar.random() * GENERATOR).to_bytes()
    other = (Scalar.random() * GENERATOR).to_bytes()
    return Units(
        var=_per_call(lambda: sodium.crypto_scalarmult_ristretto255(scalar, point), calls),
        fixed=_per_call(lambda: sodium.crypto_scalarmult_ristretto255_base(scalar), calls),
        valid=_per_call(lambda: sodium.crypto_core_ristretto255_is_valid_point(point), calls),
        add=_per_call(lambda: sodium.crypto_core_ristretto255_add(point, other), calls),
    )


@dataclass
class Operation:
    name: str
    run: Callable[[], object]
    repeat: int
    counts: Counter[str]
    times: list[float]


def _fast_ballots(public_secret: Scalar, count: int) -> list[list[Ciphertext]]:
    """Valid pick-≤1 ciphertexts made cheaply with the key's secret (setup only)."""
    ballots = []
    for b in range(count):
        row = []
        for option in range(3):
            r = Scalar.random()
            m = Scalar.from_int(1 if option == b % 4 else 0)
            row.append(Ciphertext(r * GENERATOR, (m + r * public_secret) * GENERATOR))
        ballots.append(row)
    return ballots


def build(quick: bool) -> tuple[list[Operation], int]:
    # 3-of-5 ceremony (honest; its checks are exercised by the tests).
    parameters = CeremonyParameters(CONTEXT, 3, 5)
    secrets = {i: DealerSecret.generate(parameters, i) for i in range(1, 6)}
    qualified = [commit(parameters, s) for s in secrets.values()]
    public_key = joint_public_key(qualified)
    joint_secret = secrets[1].coefficients[0]
    for i in range(2, 6):
        joint_secret = joint_secret + secrets[i].coefficients[0]
    shares = {
        j: trustee_secret_share({i: secrets[i].evaluate(j) for i in secrets}) for j in range(1, 6)
    }
    keys = {j: verification_key(qualified, j) for j in range(1, 6)}

    small, _ = encrypt_contest(public_key, SHAPE_SMALL, [0, 1, 0], context=CONTEXT, prover=VOTER)
    large, _ = encrypt_contest(
        public_key, SHAPE_LARGE, [1, 0, 0, 1, 0, 0, 0, 1, 0, 0], context=CONTEXT, prover=VOTER
    )
    small_bytes, large_bytes = small.to_bytes(), large.to_bytes()

    ballots_in_tally = 1_000 if quick else 10_000
    ballots = _fast_ballots(joint_secret, ballots_in_tally)

    def tally() -> list[Ciphertext]:
        totals = list(ballots[0])
        for ballot in ballots[1:]:
            for i in range(3):
                totals[i] = totals[i] + ballot[i]
        return totals

    totals = tally()
    table = DiscreteLogTable(ballots_in_tally)
    chosen = (1, 3, 5)

    def partials() -> list[object]:
        return [partial_decrypt(parameters, j, shares[j], totals[0]) for j in chosen]

    prepared = [partial_decrypt(parameters, j, shares[j], totals[0]) for j in chosen]

    def combine() -> Point:
        return combine_partial_decryptions(parameters, keys, totals[0], prepared).plaintext

    plaintext = combine()
    assert table.log(plaintext) == sum(1 for b in range(ballots_in_tally) if b % 4 == 0)

    r = 5 if quick else 25
    specs: list[tuple[str, Callable[[], object], int]] = [
        (
            "encrypt 1 contest, 3 options, pick ≤ 1",
            lambda: encrypt_contest(
                public_key, SHAPE_SMALL, [0, 1, 0], context=CONTEXT, prover=VOTER
            ),
            r,
        ),
        (
            "verify 1 contest, 3 options, pick ≤ 1",
            lambda: verify_contest(
                public_key,
                SHAPE_SMALL,
                EncryptedContest.from_bytes(small_bytes, SHAPE_SMALL),
                context=CONTEXT,
                prover=VOTER,
            ),
            r,
        ),
        (
            "encrypt 1 contest, 10 options, pick ≤ 3",
            lambda: encrypt_contest(
                public_key,
                SHAPE_LARGE,
                [1, 0, 0, 1, 0, 0, 0, 1, 0, 0],
                context=CONTEXT,
                prover=VOTER,
            ),
            max(2, r // 3),
        ),
        (
            "verify 1 contest, 10 options, pick ≤ 3",
            lambda: verify_contest(
                public_key,
                SHAPE_LARGE,
                EncryptedContest.from_bytes(large_bytes, SHAPE_LARGE),
                context=CONTEXT,
                prover=VOTER,
            ),
            max(2, r // 3),
        ),
        (f"tally {ballots_in_tally:,} ballots (3 sums)", tally, 1),
        ("3-of-5: three partial decryptions + proofs", partials, max(2, r // 3)),
        ("3-of-5: check 3 proofs, interpolate", combine, max(2, r // 3)),
        (
            f"discrete log of the total, bound {ballots_in_tally:,} (table prebuilt)",
            lambda: table.log(plaintext),
            max(2, r // 3),
        ),
        (
            f"build the baby-step table for {ballots_in_tally:,}",
            lambda: DiscreteLogTable(ballots_in_tally),
            max(2, r // 3),
        ),
    ]
    operations = [Operation(name, run, n, count_calls(run), []) for name, run, n in specs]
    return operations, ballots_in_tally


def _floor(counts: Counter[str], units: Units, *, validations: bool) -> tuple[float, bool]:
    """var× · t_var + fixed× · t_fixed (+ valid× · t_valid); no multiplication: adds × t_add."""
    floor = counts[VAR] * units.var + counts[FIXED] * units.fixed
    if validations:
        floor += counts[VALID] * units.valid
    if floor > 0:
        return floor, False
    return sum(counts[name] for name in ADDS) * units.add, True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, 10^3 ballots")
    parser.add_argument("--rounds", type=int, default=None)
    arguments = parser.parse_args()
    rounds = arguments.rounds or (3 if arguments.quick else 7)

    console = Console(width=180)
    operations, _ = build(arguments.quick)
    # Paired samples: the unit costs are measured just before and just after each
    # run of an operation, so that a load change on the machine moves both.
    floors: dict[str, list[float]] = {op.name: [] for op in operations}
    ratios: dict[str, list[float]] = {op.name: [] for op in operations}
    strict: dict[str, list[float]] = {op.name: [] for op in operations}
    unit_samples: list[Units] = []
    for _ in range(rounds):
        for operation in operations:
            for _ in range(operation.repeat):
                before = measure_units(20)
                start = time.perf_counter()
                operation.run()
                elapsed = time.perf_counter() - start
                after = measure_units(20)
                unit_samples += (before, after)
                units = Units(
                    var=(before.var + after.var) / 2,
                    fixed=(before.fixed + after.fixed) / 2,
                    valid=(before.valid + after.valid) / 2,
                    add=(before.add + after.add) / 2,
                )
                floor, _ = _floor(operation.counts, units, validations=True)
                mults_only, _ = _floor(operation.counts, units, validations=False)
                operation.times.append(elapsed)
                floors[operation.name].append(floor)
                ratios[operation.name].append(elapsed / floor)
                strict[operation.name].append(elapsed / mults_only)

    best_units = Units(
        var=min(u.var for u in unit_samples),
        fixed=min(u.fixed for u in unit_samples),
        valid=min(u.valid for u in unit_samples),
        add=min(u.add for u in unit_samples),
    )
    table = Table(title="Ballot cryptography (ristretto255 via pysodium/libsodium)")
    columns = ("operation", "time", "var×", "fixed×", "valid×", "add×", "floor", "ratio")
    for column in (*columns, "ratio w/o valid", "best time", "best ratio"):
        table.add_column(column, justify="left" if column == "operation" else "right")
    for operation in operations:
        counts = operation.counts
        _, by_adds = _floor(counts, best_units, validations=True)
        best_floor, _ = _floor(counts, best_units, validations=True)
        table.add_row(
            operation.name,
            _fmt(statistics.median(operation.times)),
            str(counts[VAR]),
            str(counts[FIXED]),
            str(counts[VALID]),
            str(sum(counts[name] for name in ADDS)),
            _fmt(statistics.median(floors[operation.name])) + (" (adds)" if by_adds else ""),
            f"{statistics.median(ratios[operation.name]):.2f}",
            f"{statistics.median(strict[operation.name]):.2f}",
            _fmt(min(operation.times)),
            f"{min(operation.times) / best_floor:.2f}",
        )
    console.print(table)
    median_units = Units(
        var=statistics.median(u.var for u in unit_samples),
        fixed=statistics.median(u.fixed for u in unit_samples),
        valid=statistics.median(u.valid for u in unit_samples),
        add=statistics.median(u.add for u in unit_samples),
    )
    console.print(
        f"unit costs (median of {len(unit_samples)} samples taken around the runs): "
        f"variable-base mult {median_units.var * 1e6:.1f} µs, fixed-base mult "
        f"{median_units.fixed * 1e6:.1f} µs, is_valid_point {median_units.valid * 1e6:.1f} µs, "
        f"add {median_units.add * 1e6:.1f} µs"
    )
    console.print(
        "floor = var× · t_var + fixed× · t_fixed + valid× · t_valid: every scalar "
        "multiplication, and the decoding check of each point validation "
        "(a row without any: add× · t_add); 'ratio w/o valid' leaves the "
        "validations out of the floor. Ratios are medians over runs of time / floor, "
        "the unit costs being measured just before and after each run; additions are "
        "never in the floor. 'best': the fastest run over the floor from the fastest "
        "unit costs (robust when other processes share the cores)."
    )
    console.print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus")


def _fmt(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.0f} µs"


if __name__ == "__main__":
    main()

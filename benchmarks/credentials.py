"""Credentials benchmark: BBS keygen, blind issuance, presentations (docs/credentials.md).

Run as ``.venv/bin/python benchmarks/credentials.py`` (``--quick`` for fewer
repetitions, ``--backends blst,arkworks`` to choose). For a credential of 10
attributes (BLS12-381-SHA-256), per curve backend:

- keygen: KeyGen + SkToPk;
- issue (blind, with a pseudonym secret), three parties' work measured apart:
  the holder's CommitWithNym; the issuer's BlindSignWithNym, which decodes
  and checks the commitment's proof of knowledge and signs ("issue (issuer)":
  the row the 2 ms target is about); the holder's VerifyFinalizeWithNym; and
  their sum;
- present / verify with 2 attributes disclosed: a plain credential (draft-09
  ProofGen / ProofVerify), the blind credential with its pseudonym
  (ProofGenWithNym), and the plain credential plus 1 predicate (birth date in
  [1900-01-01, today − 18 years], a 16-bit range). "present" is
  `predicates.present` (attribute encoding, the proof) and "verify" is
  `predicates.verify_presentation` on the encoded bytes (decoding, the proof's
  check); the signature, keys and request are made outside the timed call;
- the draft's own ProofGen / ProofVerify (octet messages, `bbs.BLS12_381_SHA_256`)
  on the same credential, for comparison with MEASUREMENTS.md;
- the size of each presentation in bytes.

Floors measured in the same run, beside each row: the pairing-product check
of 2 pairs (what every verification ends with) and one G1 scalar
multiplication (t_mul); "muls" is the operation's time in units of t_mul.
Medians and best of the repetitions (the machines are shared: the best is the
figure least disturbed by other load); the floors are measured before and
after the rows and averaged. Targets (native backend): present and verify
≤ 4 ms without predicate, issue ≤ 2 ms, proof ≤ 1 KB; the last column shows
each target beside its row. Generators, P1, decoded public keys and
P1 + Q_1·domain are memoised (suite.py), as in a long-running service: one
issuer's credentials of one schema share them; the first operation after a
start pays for them once.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from crypto import bbs  # noqa: E402
from crypto.bbs import predicates as pr  # noqa: E402
from crypto.bbs import pseudonym as nym  # noqa: E402
from crypto.bbs.backend import BACKEND_NAMES, CurveBackend, backend_by_name  # noqa: E402
from crypto.bbs.suite import SHA_256, calculate_random_scalars  # noqa: E402

TODAY = 20_400  # days since 1970-01-01
ATTRS: list[bytes | int] = [
    b"Ada",
    b"Lovelace",
    b"district 7",
    -3_000,
    TODAY + 30,
    b"citizen",
    b"vaccinated",
    b"e-ID",
    b"serial 42",
    b"issuer note",
]
ADULT = (-25_567, TODAY - 6_575)


def _median(fn: Callable[[], Any], reps: int) -> tuple[float, Any]:
    t, _, out = _timed(fn, reps)
    return t, out


def _timed(fn: Callable[[], Any], reps: int) -> tuple[float, float, Any]:
    """(median, best, last result) of `reps` timed calls."""
    times, out = [], None
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times), out


def _floors(backend: CurveBackend, reps: int) -> tuple[float, float]:
    g1, g2 = backend.g1_generator(), backend.g2_generator()
    p = backend.g1_mul(g1, 12345)
    pairs = [(p, g2), (backend.g1_neg(p), g2)]
    t_pair, _ = _median(lambda: backend.pairing_check(pairs), reps)
    k = 0x5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A
    t_mul, _ = _median(lambda: backend.g1_mul(p, k), max(reps, 5))
    return t_pair, t_mul


#: A row: (operation, median s, best s, bytes, target).
Row = tuple[str, float | None, float | None, int | None, str]


def run(backend: CurveBackend, reps: int) -> list[Row]:
    """The rows for one backend (the module docstring lists them)."""
    iface = bbs.BLS12_381_SHA_256
    rows: list[Row] = []
    med, best, (sk, pk) = _timed(
        lambda: (
            sk_ := iface.keygen(b"k" * 32 + calculate_random_scalars(1)[0].to_bytes(32, "big")),
            iface.sk_to_pk(sk_, backend=backend),
        ),
        reps,
    )
    rows.append(("keygen", med, best, None, ""))

    api = nym.pseudonym_api_id(SHA_256)
    prover_nym = calculate_random_scalars(1)[0]
    c_med, c_best, (cwp, blind) = _timed(
        lambda: nym.commit_with_nym(SHA_256, [], [prover_nym], backend=backend), reps
    )
    entropy = calculate_random_scalars(1)[0]
    s_med, s_best, blind_sig = _timed(
        lambda: pr.blind_sign_attributes(
            SHA_256, sk, pk, cwp, 1, entropy, b"schema", ATTRS, backend=backend
        ),
        reps,
    )
    scalars = pr.attribute_scalars(SHA_256, ATTRS, api)
    f_med, f_best, secrets_ = _timed(
        lambda: nym.verify_finalize_with_nym(
            SHA_256,
            pk,
            blind_sig,
            b"schema",
            scalars,
            [],
            [prover_nym],
            entropy,
            blind,
            backend=backend,
        ),
        reps,
    )
    rows += [
        ("issue: holder commit", c_med, c_best, len(cwp), ""),
        (
            "issue (issuer): blind sign incl. commitment check",
            s_med,
            s_best,
            len(blind_sig),
            "≤ 2 ms",
        ),
        ("issue: holder verify", f_med, f_best, None, ""),
        ("issue (blind), all three", c_med + s_med + f_med, c_best + s_best + f_best, None, ""),
    ]

    plain = pr.sign_attributes(SHA_256, sk, pk, b"schema", ATTRS, backend=backend)
    shown = {2: ATTRS[2], 5: ATTRS[5]}
    nym_in = pr.NymInput(b"election-2026", secrets_, blind)
    cases: list[tuple[str, bytes, dict[str, Any], dict[str, Any], str]] = [
        ("2 shown", plain, {}, {}, "≤ 4 ms"),
        (
            "2 shown + pseudonym",
            blind_sig,
            {"nym": nym_in},
            {"context_id": b"election-2026"},
            "≤ 4 ms",
        ),
        (
            "2 shown + 1 predicate",
            plain,
            {"predicates": {3: ADULT}},
            {"predicates": {3: ADULT}},
            "",
        ),
    ]
    for name, sig, pkw, vkw, target in cases:
        p_med, p_best, pres = _timed(
            lambda sig=sig, pkw=pkw: pr.present(
                SHA_256, pk, sig, b"schema", b"nonce", ATTRS, [2, 5], backend=backend, **pkw
            ),
            reps,
        )
        encoded = pres.to_bytes()
        v_med, v_best, ok = _timed(
            lambda encoded=encoded, vkw=vkw: pr.verify_presentation(
                SHA_256, pk, encoded, b"schema", b"nonce", shown, backend=backend, **vkw
            ),
            reps,
        )
        if not ok:
            raise SystemExit(f"{backend.name}: {name} did not verify")
        rows += [
            (f"present ({name})", p_med, p_best, None, target),
            (f"verify ({name})", v_med, v_best, None, target),
            (f"presentation size ({name})", None, None, len(encoded), ""),
            (f"  of which BBS proof ({name})", None, None, len(pres.proof), "≤ 1024 B"),
        ]

    messages = [a if isinstance(a, bytes) else str(a).encode() for a in ATTRS]
    sig = iface.sign(sk, pk, b"schema", messages, backend=backend)
    g_med, g_best, proof = _timed(
        lambda: iface.proof_gen(pk, sig, b"schema", b"nonce", messages, [2, 5], backend=backend),
        reps,
    )
    disclosed = [messages[2], messages[5]]
    pv_med, pv_best, ok = _timed(
        lambda: iface.proof_verify(
            pk, proof, b"schema", b"nonce", disclosed, [2, 5], backend=backend
        ),
        reps,
    )
    if not ok:
        raise SystemExit(f"{backend.name}: draft proof did not verify")
    rows += [
        ("draft ProofGen (2 of 10 shown)", g_med, g_best, len(proof), ""),
        ("draft ProofVerify", pv_med, pv_best, None, ""),
    ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--backends", default=",".join(BACKEND_NAMES))
    args = parser.parse_args()
    console = Console(width=150)
    for name in args.backends.split(","):
        try:
            backend = backend_by_name(name)
        except ImportError:
            console.print(f"[yellow]{name}: not installed, skipped[/]")
            continue
        reps = 1 if name == "py_ecc" else (5 if args.quick else 15)
        t_pair, t_mul = _floors(backend, reps)
        rows = run(backend, reps)
        t_pair2, t_mul2 = _floors(backend, reps)
        t_pair, t_mul = (t_pair + t_pair2) / 2, (t_mul + t_mul2) / 2
        table = Table(
            title=f"credentials, 10 attributes, BLS12-381-SHA-256, backend {name} "
            f"({reps} runs); floors: pairing check (2 pairs) {t_pair * 1e3:.2f} ms, "
            f"G1 mult {t_mul * 1e3:.3f} ms"
        )
        cols = (
            "operation",
            "median (ms)",
            "best (ms)",
            "× pairing floor",
            "muls (t / t_mul)",
            "bytes",
            "target",
        )
        for col in cols:
            table.add_column(col, justify="left" if col in ("operation", "target") else "right")
        for op, med, best, size, target in rows:
            table.add_row(
                op,
                f"{med * 1e3:.2f}" if med is not None else "",
                f"{best * 1e3:.2f}" if best is not None else "",
                f"{med / t_pair:.1f}" if med is not None else "",
                f"{med / t_mul:.0f}" if med is not None else "",
                str(size) if size is not None else "",
                target,
            )
        console.print(table)


if __name__ == "__main__":
    main()

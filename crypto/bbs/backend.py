"""The curve-backend interface for BBS: BLS12-381 G1, G2, scalars mod r, pairings.

BBS (draft-irtf-cfrg-bbs-signatures-09 §3, §7) needs a handful of operations on
BLS12-381 (draft §3.1 "Notation", RFC 9380 §8.8.1): point addition, negation,
equality and scalar multiplication in G1 and G2, multi-scalar multiplication in
G1, a check that a product of pairings is the identity of GT, hash_to_curve to
G1 (RFC 9380 §3) and the ZCash compressed point encodings (draft Appendix
"point_to_octets_E1/E2"). This module names them once, as the abstract class
`CurveBackend`; each implementation wraps one library:

- `backend_pyecc.PyEccBackend` ("py_ecc"): the pure-Python reference, always
  available, slow (≈ 0.1–0.4 s per BBS operation).
- `backend_blst.BlstBackend` ("blst", the default): pyblst, bindings for blst.
- `backend_arkworks.ArkworksBackend` ("arkworks"): py-arkworks-bls12381.

Points are opaque objects of the backend that made them (`G1`, `G2` below are
aliases of `Any` for that reason): never mix points of two backends. Scalars
are Python ints in [0, r); the backends reduce nothing silently except where a
method says so.

Decoding is validation: `g1_from_bytes` and `g2_from_bytes` accept only a
canonical compressed encoding (flags consistent, x < p) of a point on the curve
and in the prime-order subgroup (RFC 9380 §1 notes the encodings; the subgroup
check is ours where the library does not do it). The identity decodes (its
canonical encoding is c0 00…); the BBS formats refuse it one level up.

Selection. `get_backend()` reads the environment variable `PNYX_CURVE_BACKEND`
at every call (never at import): "py_ecc", "blst" or "arkworks"; unset or empty
means the default, `DEFAULT_BACKEND`. The native backends are imported lazily so
that the reference works where no wheel installs.

Choice of the default (benchmarks/credentials_backends.py, same run, 2-core
machine under load; /work/shared/MEASUREMENTS.md agrees): blst. Against arkworks
it is faster for a G1 mult (87 vs 185 µs), a G2 mult (166 vs 600 µs), hash_to_G1
(61 vs 217 µs) and the 2-pair pairing check (0.87 vs 1.48 ms), the floor of
every verification; arkworks only wins the MSM of 12 points (0.91 vs 1.07 ms,
native Pippenger against our loop). For BBS with 10 messages this makes verify
and proof verify (the verifier's and the holder's hot paths) faster on blst
(MEASUREMENTS: 2.5 / 3.0 ms against 3.5 / 4.0 ms), sign about equal. Second
reason: blst's scalar multiplication is constant-time (pyblst calls
`blst_p1_mult` over a fixed 256-bit scalar), which the issuer's secret key wants
(core.py blinds it on every backend as well). Its gaps are covered here: MSM is
a Python loop over native multiplications (verifiers' MSMs with public scalars
use fixed-base tables instead, `g1_msm_public`); the pairing check multiplies Miller
loops and runs one final exponentiation (`final_verify`); and blst has no
map_to_curve from a field element, which only the SHAKE-256 suite needs (its
generators are cached, see `suite.py`). With many more attributes (L ≫ 10)
arkworks' MSM would tip the balance: `PNYX_CURVE_BACKEND=arkworks`.
"""

from __future__ import annotations

import abc
import os
from collections.abc import Callable, Sequence
from typing import Any, Final

__all__ = [
    "BACKEND_ENV",
    "BACKEND_NAMES",
    "DEFAULT_BACKEND",
    "FIELD_PRIME",
    "G1",
    "G2",
    "ORDER",
    "BBSError",
    "CurveBackend",
    "backend_by_name",
    "get_backend",
    "pippenger",
    "pippenger_cost",
    "pippenger_window",
]

#: r, the order of G1, G2 and GT (draft §7.2.1, RFC 9380 §8.8.1).
ORDER: Final = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
#: p, the characteristic of the base field of BLS12-381.
FIELD_PRIME: Final = int(
    "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab",
    16,
)

#: The environment variable that selects the backend, read at call time.
BACKEND_ENV: Final = "PNYX_CURVE_BACKEND"
#: The backend used when the environment does not name one.
DEFAULT_BACKEND: Final = "blst"
#: Every backend name `get_backend` accepts.
BACKEND_NAMES: Final = ("py_ecc", "blst", "arkworks")

#: A G1 point of one backend (opaque).
G1 = Any
#: A G2 point of one backend (opaque).
G2 = Any


class BBSError(ValueError):
    """Input that BBS cannot accept: a malformed key, signature, proof or point,
    a scalar out of range, inconsistent lengths or indexes (draft §3, "INVALID").

    `sign`, `proof_gen` and the decoders raise it; `verify` and `proof_verify`
    catch it and return False. Messages never carry secret values.
    """


class CurveBackend(abc.ABC):
    """BLS12-381 for BBS: the operations of draft-irtf-cfrg-bbs-signatures §3.1.

    Every method is a pure function of its arguments; instances hold no state.
    """

    #: The name `PNYX_CURVE_BACKEND` uses for this backend.
    name: str

    # --- G1 ---
    @abc.abstractmethod
    def g1_identity(self) -> G1:
        """Identity_G1."""

    @abc.abstractmethod
    def g1_generator(self) -> G1:
        """BP1, the standard generator of G1 (RFC 9380 §8.8.1, the ZCash one)."""

    @abc.abstractmethod
    def g1_add(self, a: G1, b: G1) -> G1:
        """a + b."""

    @abc.abstractmethod
    def g1_neg(self, a: G1) -> G1:
        """-a."""

    @abc.abstractmethod
    def g1_mul(self, a: G1, k: int) -> G1:
        """k·a for 0 ≤ k < r."""

    @abc.abstractmethod
    def g1_eq(self, a: G1, b: G1) -> bool:
        """a == b."""

    @abc.abstractmethod
    def g1_msm(self, points: Sequence[G1], scalars: Sequence[int]) -> G1:
        """Σ scalars[i]·points[i] (multi-scalar multiplication), scalars in [0, r)."""

    def g1_msm_public(self, bases: Sequence[G1], scalars: Sequence[int], fixed: int = 0) -> G1:
        """Σ scalars[i]·bases[i] like `g1_msm`, for verifiers: every scalar must be
        public (proof responses, challenges, disclosed messages, the domain), so
        the backend may use variable-time methods; the first `fixed` bases must
        be long-lived generators (create_generators' output, P1, BP1), for which
        it may keep precomputed tables. Never pass a secret scalar (a hidden
        message, a blinding, a key): use `g1_msm`.

        The default is `g1_msm`; blst overrides it (backend_blst.py).
        """
        return self.g1_msm(bases, scalars)

    def g1_msm_vartime(self, points: Sequence[G1], scalars: Sequence[int]) -> G1:
        """Σ scalars[i]·points[i] for many points and public scalars, in variable time:
        Pippenger's bucket method over signed digits (`pippenger`), built from
        additions alone. For batch verification (batch.py), where hundreds or
        thousands of points meet; never pass a secret scalar.
        """
        return pippenger(self.g1_add, self.g1_neg, self.g1_identity(), points, scalars)

    @abc.abstractmethod
    def g1_to_bytes(self, a: G1) -> bytes:
        """point_to_octets_E1: the 48-byte compressed encoding."""

    @abc.abstractmethod
    def g1_from_bytes(self, data: bytes) -> G1:
        """octets_to_point_E1 with validation; raises BBSError (see the module doc)."""

    @abc.abstractmethod
    def hash_to_g1_xmd_sha256(self, msg: bytes, dst: bytes) -> G1:
        """hash_to_curve of suite BLS12381G1_XMD:SHA-256_SSWU_RO_ with this DST
        (RFC 9380 §3, §8.8.1); 0 < len(dst) ≤ 255."""

    @abc.abstractmethod
    def map_to_g1(self, u0: int, u1: int) -> G1:
        """clear_cofactor(map_to_curve(u0) + map_to_curve(u1)) for u0, u1 in Fp:
        the tail of hash_to_curve (RFC 9380 §3, §6.6.3 SSWU + 11-isogeny,
        §8.8.1 h_eff), for suites whose hash_to_field we compute ourselves."""

    # --- G2 ---
    @abc.abstractmethod
    def g2_generator(self) -> G2:
        """BP2, the standard generator of G2."""

    @abc.abstractmethod
    def g2_add(self, a: G2, b: G2) -> G2:
        """a + b."""

    @abc.abstractmethod
    def g2_neg(self, a: G2) -> G2:
        """-a."""

    @abc.abstractmethod
    def g2_mul(self, a: G2, k: int) -> G2:
        """k·a for 0 ≤ k < r."""

    @abc.abstractmethod
    def g2_is_identity(self, a: G2) -> bool:
        """a == Identity_G2."""

    @abc.abstractmethod
    def g2_to_bytes(self, a: G2) -> bytes:
        """point_to_octets_E2: the 96-byte compressed encoding."""

    @abc.abstractmethod
    def g2_from_bytes(self, data: bytes) -> G2:
        """octets_to_point_E2 with validation; raises BBSError."""

    # --- pairing ---
    @abc.abstractmethod
    def pairing_check(self, pairs: Sequence[tuple[G1, G2]]) -> bool:
        """Whether ∏ e(P_i, Q_i) == Identity_GT, with one final exponentiation."""

    # --- derived, shared by every backend ---
    def g1_is_identity(self, a: G1) -> bool:
        """a == Identity_G1."""
        return self.g1_eq(a, self.g1_identity())

    def __repr__(self) -> str:
        return f"<curve backend {self.name}>"


def backend_by_name(name: str) -> CurveBackend:
    """The backend called `name` (one of BACKEND_NAMES); raises BBSError otherwise.

    The native modules are imported here, on first use, not at package import.
    """
    if name == "py_ecc":
        from crypto.bbs.backend_pyecc import PY_ECC

        return PY_ECC
    if name == "blst":
        from crypto.bbs.backend_blst import BLST

        return BLST
    if name == "arkworks":
        from crypto.bbs.backend_arkworks import ARKWORKS

        return ARKWORKS
    raise BBSError(f"unknown curve backend {name!r}; expected one of {BACKEND_NAMES}")


def get_backend() -> CurveBackend:
    """The backend named by $PNYX_CURVE_BACKEND, read now; DEFAULT_BACKEND if unset.

    If the default native backend cannot be imported (no wheel for this
    platform), the reference py_ecc is used; a backend named explicitly must
    import, or BBSError is raised.
    """
    name = os.environ.get(BACKEND_ENV, "").strip()
    if name:
        try:
            return backend_by_name(name)
        except ImportError as e:
            raise BBSError(f"curve backend {name!r} is not installed") from e
    try:
        return backend_by_name(DEFAULT_BACKEND)
    except ImportError:
        return backend_by_name("py_ecc")


def pippenger_cost(count: int, bits: int, c: int) -> int:
    """Additions of `pippenger` with window c for `count` scalars of at most `bits`
    bits: ⌈(bits + 1)/c⌉ windows × (count + 2^c), and the doublings between them."""
    return -(-(bits + 1) // c) * (count + (1 << c)) + bits


def pippenger_window(count: int, bits: int) -> int:
    """The window c minimising `pippenger_cost`."""
    return min(range(1, 17), key=lambda c: pippenger_cost(count, bits, c))


def pippenger(
    add: Callable[[Any, Any], Any],
    neg: Callable[[Any], Any],
    identity: Any,
    points: Sequence[Any],
    scalars: Sequence[int],
) -> Any:
    """Σ scalars[i]·points[i] by the bucket method (Pippenger; Bernstein et al.,
    "Faster batch forgery identification", 2012, §4), variable time.

    Each scalar (reduced mod r) is written in signed base-2^c digits in
    [−2^(c−1), 2^(c−1)]; per window, every point is added to (or, negated,
    subtracted from) the bucket of its digit's magnitude, and Σ_d d·bucket_d
    is formed with two running sums; windows are joined by c doublings.
    """
    if len(points) != len(scalars):
        raise BBSError("MSM needs as many scalars as points")
    live = [(p, k % ORDER) for p, k in zip(points, scalars, strict=True)]
    live = [(p, k) for p, k in live if k]
    if not live:
        return identity
    bits = max(k for _, k in live).bit_length()
    c = pippenger_window(len(live), bits)
    half, mask, full = 1 << (c - 1), (1 << c) - 1, 1 << c
    windows = -(-(bits + 1) // c)
    digits: list[list[int]] = []
    for _, k in live:
        ds = []
        for _ in range(windows):
            d = k & mask
            k >>= c
            if d > half:
                d -= full
                k += 1
            ds.append(d)
        digits.append(ds)
    negated = [neg(p) for p, _ in live]
    acc = None
    for w in range(windows - 1, -1, -1):
        if acc is not None:
            for _ in range(c):
                acc = add(acc, acc)
        buckets: list[Any] = [None] * (half + 1)
        for (p, _), n, ds in zip(live, negated, digits, strict=True):
            d = ds[w]
            if d > 0:
                b = buckets[d]
                buckets[d] = p if b is None else add(b, p)
            elif d < 0:
                b = buckets[-d]
                buckets[-d] = n if b is None else add(b, n)
        running = total = None
        for b in reversed(buckets[1:]):
            if b is not None:
                running = b if running is None else add(running, b)
            if running is not None:
                total = running if total is None else add(total, running)
        if total is not None:
            acc = total if acc is None else add(acc, total)
    return identity if acc is None else acc

"""The native curve backend: blst through pyblst 0.3.15 (the default).

Why this one (the numbers are printed by benchmarks/credentials_backends.py;
/work/shared/MEASUREMENTS.md has the same ratios): against py-arkworks-bls12381
0.5.0, blst is ≈ 2× faster for a G1 multiplication, ≈ 3.5× for G2 and for
hash_to_G1, and ≈ 1.7× for the pairing check, which makes BBS verify and proof
verify (the hot paths of verifiers and holders) the fastest of the three; and
blst multiplies in constant time (`blst_p1_mult` over a fixed 256-bit scalar),
which is what the issuer's secret key wants (see core.py on key handling).
arkworks wins the MSM (≈ 1.2× at 12 points, more with more), which BBS with ten
attributes uses little. See backend.py for the figures.

What pyblst lacks, and how this module fills it (draft-irtf-cfrg-bbs-signatures-09
§3.1):

- No MSM: a loop of native multiplications and additions.
- No GT values: the pairing-product check multiplies Miller loops and compares
  them with `final_verify`, which runs a single final exponentiation:
  ∏ e(P_i, Q_i) = 1  ⇔  FE(ML(P_1, Q_1)) = FE(∏_{i>1} ML(−P_i, Q_i)).
- No generator constants: BP1 and BP2 are decoded from their standard
  compressed encodings (RFC 9380 §8.8.1 / the ZCash serialisation).
- No map_to_curve from a field element: `map_to_g1` (needed only by the
  BLS12-381-SHAKE-256 suite, whose hash_to_field uses expand_message_xof) maps
  with py_ecc's SSWU + 11-isogeny + cofactor clearing, then decodes the result
  here (≈ 4 ms; create_generators caches the generators, so it is paid once).
- `uncompress` already checks canonical encoding, curve and subgroup
  (`blst_p1_uncompress` + `blst_p1_in_g1`).

Verifiers' MSMs (`g1_msm_public`: public scalars only, see backend.py) use two
variable-time methods built from native additions (≈ 0.85 µs each, against
≈ 87 µs for a native multiplication, which always runs over 255 bits):

- fixed bases (the generators): a table per generator of d·2^(8w)·P for
  d = 1..128 and 33 windows of 8 bits (4224 points, ≈ 0.72 MB, built once in
  ≈ 4.5 ms, memoised by the point's encoding and, to spare the compression,
  by the point object; at most 256 tables: a ballot's presentation with two
  range predicates uses ≈ 78), and a scalar in signed 8-bit digits: ≈ 33
  additions, ≈ 31 µs instead of ≈ 87 µs (7-bit windows: ≈ 37 µs with half the
  memory);
- small scalars (the range proof's bit weights 2^i): one shared double-and-add
  over all of them when its estimated cost is below that of the native
  multiplications;
- many bases with full scalars (`g1_msm_vartime`, the batches of batch.py):
  Pippenger's bucket method (backend.py), where its count of additions is
  below that of native multiplications (from ≈ 64 points at 255 bits: ≈ 35 µs a
  point at 4000 points).

Every other base is multiplied natively, as in `g1_msm`. Secret scalars
(signing, proof generation, commitments) never take these paths: their callers
use `g1_msm` and `g1_mul`, whose multiplications are constant-time.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from typing import Final

import pyblst

from crypto.bbs.backend import (
    G1,
    G2,
    ORDER,
    BBSError,
    CurveBackend,
    pippenger,
    pippenger_cost,
    pippenger_window,
)

__all__ = ["BLST", "BlstBackend"]

_BP1_BYTES: Final = bytes.fromhex(
    "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb"
)
_BP2_BYTES: Final = bytes.fromhex(
    "93e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e"
    "024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8"
)
# BP1 and BP2 decoded (and subgroup-checked) once at import: `uncompress` costs
# ≈ 60 µs (G1) and ≈ 80 µs (G2), and the verifications need BP2 every time.
# pyblst points are immutable (no in-place operators), so sharing them is safe.
_BP1: Final = pyblst.BlstP1Element.uncompress(_BP1_BYTES)
_BP2: Final = pyblst.BlstP2Element.uncompress(_BP2_BYTES)
_ID1: Final = pyblst.BlstP1Element()
_ID2: Final = pyblst.BlstP2Element()


#: Fixed-base tables: windows of _WINDOW bits, signed digits in [−2^(w−1), 2^(w−1)].
_WINDOW: Final = 8
_HALF: Final = 1 << (_WINDOW - 1)
_MASK: Final = (1 << _WINDOW) - 1
#: Windows for a scalar < r < 2^255, plus one for the last digit's carry.
_ROWS: Final = 255 // _WINDOW + 2
#: Cost model (in native additions) of one native multiplication, for choosing
#: the small-scalar path; blst's 255-bit multiplication costs ≈ 100 additions
#: through pyblst, counted low here so that the shared loop wins clearly.
_MUL_IN_ADDS: Final = 80


@functools.lru_cache(maxsize=256)
def _fixed_base_table(encoded: bytes) -> tuple[tuple[G1, ...], ...]:
    """rows[w][d] = d·2^(8w)·P for d in 0..128 (P decoded from `encoded`, a
    generator's canonical encoding; index 0 is unused)."""
    base = pyblst.BlstP1Element.uncompress(encoded)
    rows = []
    for _ in range(_ROWS):
        row = [_ID1, base]
        for _ in range(_HALF - 1):
            row.append(row[-1] + base)
        rows.append(tuple(row))
        for _ in range(_WINDOW):
            base = base + base
    return tuple(rows)


#: Tables by the identity of the point object they were asked for (with the object
#: itself, so that its id cannot be reused while the entry lives): the generators are
#: long-lived objects, and this spares their compression (≈ 3 µs) at every use. At
#: most as many entries as the table cache, so that it keeps at most that many more
#: tables alive.
_BY_OBJECT: dict[int, tuple[G1, tuple[tuple[G1, ...], ...]]] = {}
_BY_OBJECT_MAX: Final = 256


def _table_of(p: G1) -> tuple[tuple[G1, ...], ...]:
    hit = _BY_OBJECT.get(id(p))
    if hit is not None and hit[0] is p:
        return hit[1]
    rows = _fixed_base_table(bytes(p.compress()))
    if len(_BY_OBJECT) >= _BY_OBJECT_MAX:
        _BY_OBJECT.clear()
    _BY_OBJECT[id(p)] = (p, rows)
    return rows


def _fixed_base_mul(rows: tuple[tuple[G1, ...], ...], k: int) -> G1:
    """k·P from P's table, 0 ≤ k < r; variable time (public k only)."""
    acc = _ID1
    w = 0
    while k:
        d = k & _MASK
        k >>= _WINDOW
        if d > _HALF:  # digit d − 2^w < 0, carry 1 into the next window
            k += 1
            acc = acc + -rows[w][(1 << _WINDOW) - d]
        elif d:
            acc = acc + rows[w][d]
        w += 1
    return acc


def _small_msm(points: Sequence[G1], scalars: Sequence[int]) -> G1:
    """Σ k_i·P_i by one shared left-to-right double-and-add; variable time."""
    acc = _ID1
    for bit in range(max(k.bit_length() for k in scalars) - 1, -1, -1):
        acc = acc + acc
        for p, k in zip(points, scalars, strict=True):
            if (k >> bit) & 1:
                acc = acc + p
    return acc


class BlstBackend(CurveBackend):
    """BLS12-381 through pyblst (see the module docstring)."""

    name = "blst"

    def g1_identity(self) -> G1:
        return _ID1

    def g1_generator(self) -> G1:
        return _BP1

    def g1_add(self, a: G1, b: G1) -> G1:
        return a + b

    def g1_neg(self, a: G1) -> G1:
        return -a

    def g1_mul(self, a: G1, k: int) -> G1:
        return a.scalar_mul(k % ORDER)

    def g1_eq(self, a: G1, b: G1) -> bool:
        return bool(a == b)

    def g1_msm(self, points: Sequence[G1], scalars: Sequence[int]) -> G1:
        if len(points) != len(scalars):
            raise BBSError("MSM needs as many scalars as points")
        acc = _ID1
        for p, k in zip(points, scalars, strict=True):
            k %= ORDER
            if k == 1:  # P1·1 in B: an addition, not a multiplication
                acc = acc + p
            elif k == ORDER - 1:
                acc = acc + -p
            elif k:
                acc = acc + p.scalar_mul(k)
        return acc

    def g1_msm_public(self, bases: Sequence[G1], scalars: Sequence[int], fixed: int = 0) -> G1:
        if len(bases) != len(scalars) or not 0 <= fixed <= len(bases):
            raise BBSError("MSM needs as many scalars as points")
        acc = _ID1
        for p, k in zip(bases[:fixed], scalars[:fixed], strict=True):
            k %= ORDER
            if k:
                acc = acc + _fixed_base_mul(_table_of(p), k)
        rest = [(p, k % ORDER) for p, k in zip(bases[fixed:], scalars[fixed:], strict=True)]
        small = [(p, k) for p, k in rest if 1 < k < 1 << 64]
        if small:
            ks = [k for _, k in small]
            shared = max(k.bit_length() for k in ks) + sum(k.bit_count() for k in ks)
            if shared < _MUL_IN_ADDS * len(small):
                acc = acc + _small_msm([p for p, _ in small], ks)
                rest = [(p, k) for p, k in rest if not 1 < k < 1 << 64]
        if rest:
            acc = acc + self.g1_msm([p for p, _ in rest], [k for _, k in rest])
        return acc

    def g1_msm_vartime(self, points: Sequence[G1], scalars: Sequence[int]) -> G1:
        # the bucket method only when it beats native multiplications (few points do not)
        n = len(points)
        bits = max((k % ORDER).bit_length() for k in scalars) if n else 0
        if n < 2 or pippenger_cost(n, bits, pippenger_window(n, bits)) >= _MUL_IN_ADDS * n:
            return self.g1_msm_public(points, scalars)
        return pippenger(operator.add, operator.neg, _ID1, points, scalars)

    def g1_to_bytes(self, a: G1) -> bytes:
        return bytes(a.compress())

    def g1_from_bytes(self, data: bytes) -> G1:
        if len(data) != 48:
            raise BBSError("a G1 point is 48 bytes")
        try:
            p = pyblst.BlstP1Element.uncompress(bytes(data))
        except ValueError as e:
            raise BBSError("not a compressed G1 point in the subgroup") from e
        if bytes(p.compress()) != data:
            raise BBSError("non-canonical G1 encoding")
        return p

    def hash_to_g1_xmd_sha256(self, msg: bytes, dst: bytes) -> G1:
        if not 0 < len(dst) <= 255:
            raise BBSError("hash_to_curve DST must be 1..255 bytes")
        return pyblst.BlstP1Element.hash_to_group(bytes(msg), bytes(dst))

    def map_to_g1(self, u0: int, u1: int) -> G1:
        from crypto.bbs.backend_pyecc import PY_ECC

        return self.g1_from_bytes(PY_ECC.g1_to_bytes(PY_ECC.map_to_g1(u0, u1)))

    def g2_generator(self) -> G2:
        return _BP2

    def g2_add(self, a: G2, b: G2) -> G2:
        return a + b

    def g2_neg(self, a: G2) -> G2:
        return -a

    def g2_mul(self, a: G2, k: int) -> G2:
        return a.scalar_mul(k % ORDER)

    def g2_is_identity(self, a: G2) -> bool:
        return bool(a == _ID2)

    def g2_to_bytes(self, a: G2) -> bytes:
        return bytes(a.compress())

    def g2_from_bytes(self, data: bytes) -> G2:
        if len(data) != 96:
            raise BBSError("a G2 point is 96 bytes")
        try:
            p = pyblst.BlstP2Element.uncompress(bytes(data))
        except ValueError as e:
            raise BBSError("not a compressed G2 point in the subgroup") from e
        if bytes(p.compress()) != data:
            raise BBSError("non-canonical G2 encoding")
        return p

    def pairing_check(self, pairs: Sequence[tuple[G1, G2]]) -> bool:
        live = [(p, q) for p, q in pairs if not (p == _ID1 or q == _ID2)]
        if not live:
            return True
        if len(live) == 1:
            return False  # e is non-degenerate on G1 × G2: e(P, Q) ≠ 1 for P, Q ≠ O
        (p0, q0), rest = live[0], live[1:]
        lhs = pyblst.miller_loop(p0, q0)
        rhs = pyblst.miller_loop(-rest[0][0], rest[0][1])
        for p, q in rest[1:]:
            rhs = rhs * pyblst.miller_loop(-p, q)
        return bool(pyblst.final_verify(lhs, rhs))


#: The one instance (stateless).
BLST: Final = BlstBackend()

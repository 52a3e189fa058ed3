"""The reference curve backend: py_ecc's optimized BLS12-381, pure Python.

Slow (a G1 multiplication ≈ 9 ms, a 2-pair pairing check ≈ 0.25 s) but always
available and easy to audit; it is the backend the fixtures were first checked
against. What this module adds to py_ecc (draft-irtf-cfrg-bbs-signatures-09 §3.1):

- Subgroup checks. py_ecc's `decompress_G1`/`decompress_G2` check the encoding
  and the curve equation but not the subgroup; `g1_from_bytes`/`g2_from_bytes`
  check r·P = O themselves (RFC 9380 §1 / draft §6.2 "subgroup checks").
- MSM by Straus' interleaving with 4-bit windows: 255 doublings shared by all
  points instead of 255 per point (≈ 5× faster than a loop for 12 points).
- The pairing-product check multiplies Miller loops and runs one final
  exponentiation, not one per pairing (py_ecc's `pairing()` does one each).

Points are py_ecc's projective triples; the identity is (1, 1, 0).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Final, cast

from py_ecc.bls.hash_to_curve import HASH, clear_cofactor_G1, hash_to_G1, map_to_curve_G1
from py_ecc.bls.point_compression import (
    compress_G1,
    compress_G2,
    decompress_G1,
    decompress_G2,
)
from py_ecc.bls.typing import G1Compressed, G2Compressed
from py_ecc.fields import optimized_bls12_381_FQ as FQ
from py_ecc.fields import optimized_bls12_381_FQ12 as FQ12
from py_ecc.optimized_bls12_381 import G1 as _BP1
from py_ecc.optimized_bls12_381 import G2 as _BP2
from py_ecc.optimized_bls12_381 import Z1, add, double, eq, is_inf, multiply, neg
from py_ecc.optimized_bls12_381.optimized_pairing import final_exponentiate, miller_loop

from crypto.bbs.backend import FIELD_PRIME, G1, G2, ORDER, BBSError, CurveBackend

__all__ = ["PY_ECC", "PyEccBackend"]

_WINDOW: Final = 4


class PyEccBackend(CurveBackend):
    """BLS12-381 through py_ecc 8 (see the module docstring)."""

    name = "py_ecc"

    def g1_identity(self) -> G1:
        return Z1

    def g1_generator(self) -> G1:
        return _BP1

    def g1_add(self, a: G1, b: G1) -> G1:
        return add(a, b)

    def g1_neg(self, a: G1) -> G1:
        return neg(a)

    def g1_mul(self, a: G1, k: int) -> G1:
        return multiply(a, k % ORDER)

    def g1_eq(self, a: G1, b: G1) -> bool:
        return bool(eq(a, b))

    def g1_is_identity(self, a: G1) -> bool:
        return bool(is_inf(a))

    def g1_msm(self, points: Sequence[G1], scalars: Sequence[int]) -> G1:
        """Straus' method with 4-bit windows (shared doublings)."""
        if len(points) != len(scalars):
            raise BBSError("MSM needs as many scalars as points")
        tables = []
        ks = []
        for p, k in zip(points, scalars, strict=True):
            k %= ORDER
            if k == 0 or is_inf(p):
                continue
            table = [Z1, p]
            for _ in range(2, 1 << _WINDOW):
                table.append(add(table[-1], p))
            tables.append(table)
            ks.append(k)
        acc = Z1
        if not ks:
            return acc
        top = max(k.bit_length() for k in ks)
        for shift in range(((top + _WINDOW - 1) // _WINDOW - 1) * _WINDOW, -1, -_WINDOW):
            if not is_inf(acc):
                for _ in range(_WINDOW):
                    acc = double(acc)
            for table, k in zip(tables, ks, strict=True):
                digit = (k >> shift) & ((1 << _WINDOW) - 1)
                if digit:
                    acc = add(acc, table[digit])
        return acc

    def g1_to_bytes(self, a: G1) -> bytes:
        return int(compress_G1(a)).to_bytes(48, "big")

    def g1_from_bytes(self, data: bytes) -> G1:
        if len(data) != 48:
            raise BBSError("a G1 point is 48 bytes")
        try:
            p = decompress_G1(G1Compressed(int.from_bytes(data, "big")))
        except ValueError as e:
            raise BBSError("not a compressed G1 point") from e
        if not is_inf(multiply(p, ORDER)):
            raise BBSError("G1 point outside the prime-order subgroup")
        if self.g1_to_bytes(p) != data:
            raise BBSError("non-canonical G1 encoding")
        return p

    def hash_to_g1_xmd_sha256(self, msg: bytes, dst: bytes) -> G1:
        if not 0 < len(dst) <= 255:
            raise BBSError("hash_to_curve DST must be 1..255 bytes")
        return hash_to_G1(msg, dst, cast(HASH, hashlib.sha256))

    def map_to_g1(self, u0: int, u1: int) -> G1:
        if not (0 <= u0 < FIELD_PRIME and 0 <= u1 < FIELD_PRIME):
            raise BBSError("field element out of range")
        return clear_cofactor_G1(add(map_to_curve_G1(FQ(u0)), map_to_curve_G1(FQ(u1))))

    def g2_generator(self) -> G2:
        return _BP2

    def g2_add(self, a: G2, b: G2) -> G2:
        return add(a, b)

    def g2_neg(self, a: G2) -> G2:
        return neg(a)

    def g2_mul(self, a: G2, k: int) -> G2:
        return multiply(a, k % ORDER)

    def g2_is_identity(self, a: G2) -> bool:
        return bool(is_inf(a))

    def g2_to_bytes(self, a: G2) -> bytes:
        z1, z2 = compress_G2(a)
        return int(z1).to_bytes(48, "big") + int(z2).to_bytes(48, "big")

    def g2_from_bytes(self, data: bytes) -> G2:
        if len(data) != 96:
            raise BBSError("a G2 point is 96 bytes")
        z1 = int.from_bytes(data[:48], "big")
        z2 = int.from_bytes(data[48:], "big")
        try:
            p = decompress_G2(G2Compressed((z1, z2)))
        except ValueError as e:
            raise BBSError("not a compressed G2 point") from e
        if not is_inf(multiply(p, ORDER)):
            raise BBSError("G2 point outside the prime-order subgroup")
        if self.g2_to_bytes(p) != data:
            raise BBSError("non-canonical G2 encoding")
        return p

    def pairing_check(self, pairs: Sequence[tuple[G1, G2]]) -> bool:
        f = FQ12.one()
        for p, q in pairs:
            if is_inf(p) or is_inf(q):
                continue  # e(O, Q) = e(P, O) = 1
            f = f * miller_loop(q, p, final_exponentiate=False)
        return bool(final_exponentiate(f) == FQ12.one())


#: The one instance (stateless).
PY_ECC: Final = PyEccBackend()

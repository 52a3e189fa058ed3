"""A second native curve backend: arkworks through py-arkworks-bls12381 0.5.0.

Measured beside blst (benchmarks/credentials_backends.py) and kept as the
alternative: it has a native MSM (Pippenger), a native pairing check with one
final exponentiation, GT values and a map from a field element to G1
(`map_from_fp_be`, which includes cofactor clearing, so map(u0) + map(u1) is
hash_to_curve's tail, RFC 9380 §3); but its G1/G2 multiplications, hash_to_G1
and pairings are slower than blst's, and its scalar multiplication is not
constant-time (core.py blinds the secret key for every backend anyway).

Validation (draft-irtf-cfrg-bbs-signatures-09 §3.1, octets_to_point_E1/E2):
`from_compressed_bytes` checks the curve and the subgroup but accepts
non-canonical encodings of the identity (c0…01, e0…00); every decoded point is
therefore re-encoded and compared with the input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from py_arkworks_bls12381 import GT, G1Point, G2Point, Scalar

from crypto.bbs.backend import FIELD_PRIME, G1, G2, ORDER, BBSError, CurveBackend

__all__ = ["ARKWORKS", "ArkworksBackend"]


class ArkworksBackend(CurveBackend):
    """BLS12-381 through py-arkworks-bls12381 (see the module docstring)."""

    name = "arkworks"

    def g1_identity(self) -> G1:
        return G1Point.identity()

    def g1_generator(self) -> G1:
        return G1Point()

    def g1_add(self, a: G1, b: G1) -> G1:
        return a + b

    def g1_neg(self, a: G1) -> G1:
        return -a

    def g1_mul(self, a: G1, k: int) -> G1:
        return a * Scalar(k % ORDER)

    def g1_eq(self, a: G1, b: G1) -> bool:
        return bool(a == b)

    def g1_msm(self, points: Sequence[G1], scalars: Sequence[int]) -> G1:
        if len(points) != len(scalars):
            raise BBSError("MSM needs as many scalars as points")
        if not points:
            return G1Point.identity()
        return G1Point.multiexp_unchecked(list(points), [Scalar(k % ORDER) for k in scalars])

    def g1_to_bytes(self, a: G1) -> bytes:
        return bytes(a.to_compressed_bytes())

    def g1_from_bytes(self, data: bytes) -> G1:
        if len(data) != 48:
            raise BBSError("a G1 point is 48 bytes")
        try:
            p = G1Point.from_compressed_bytes(bytes(data))
        except ValueError as e:
            raise BBSError("not a compressed G1 point in the subgroup") from e
        if p.to_compressed_bytes() != data:
            raise BBSError("non-canonical G1 encoding")
        return p

    def hash_to_g1_xmd_sha256(self, msg: bytes, dst: bytes) -> G1:
        if not 0 < len(dst) <= 255:
            raise BBSError("hash_to_curve DST must be 1..255 bytes")
        return G1Point.hash_to_curve(bytes(msg), bytes(dst))

    def map_to_g1(self, u0: int, u1: int) -> G1:
        if not (0 <= u0 < FIELD_PRIME and 0 <= u1 < FIELD_PRIME):
            raise BBSError("field element out of range")
        q0 = G1Point.map_from_fp_be(u0.to_bytes(48, "big"))
        q1 = G1Point.map_from_fp_be(u1.to_bytes(48, "big"))
        return q0 + q1

    def g2_generator(self) -> G2:
        return G2Point()

    def g2_add(self, a: G2, b: G2) -> G2:
        return a + b

    def g2_neg(self, a: G2) -> G2:
        return -a

    def g2_mul(self, a: G2, k: int) -> G2:
        return a * Scalar(k % ORDER)

    def g2_is_identity(self, a: G2) -> bool:
        return bool(a == G2Point.identity())

    def g2_to_bytes(self, a: G2) -> bytes:
        return bytes(a.to_compressed_bytes())

    def g2_from_bytes(self, data: bytes) -> G2:
        if len(data) != 96:
            raise BBSError("a G2 point is 96 bytes")
        try:
            p = G2Point.from_compressed_bytes(bytes(data))
        except ValueError as e:
            raise BBSError("not a compressed G2 point in the subgroup") from e
        if p.to_compressed_bytes() != data:
            raise BBSError("non-canonical G2 encoding")
        return p

    def pairing_check(self, pairs: Sequence[tuple[G1, G2]]) -> bool:
        if not pairs:
            return True
        return bool(GT.pairing_check([p for p, _ in pairs], [q for _, q in pairs]))


#: The one instance (stateless).
ARKWORKS: Final = ArkworksBackend()

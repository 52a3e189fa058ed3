"""The verifier-side fast paths and the memos of public values (crypto/bbs):
`CurveBackend.g1_msm_public` (blst: fixed-base tables, shared double-and-add
for small scalars), `Ciphersuite.domain_point`, the decoded-public-key memo,
and the constant BP1 / BP2 of the blst backend. Each must give exactly what
the plain computation gives, and the memo must never turn an invalid input
into a valid one."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import bbs
from crypto.bbs.backend import ORDER, BBSError, CurveBackend, backend_by_name
from crypto.bbs.suite import SHA_256, octets_to_pubkey

FAST = settings(max_examples=25, deadline=None)
S = bbs.BLS12_381_SHA_256
EDGE_SCALARS = [0, 1, 2, 3, 63, 64, 65, 127, 128, 129, ORDER - 1, ORDER - 2, ORDER - 64, 1 << 64]


def _plain_msm(b: CurveBackend, points: list[object], scalars: list[int]) -> object:
    acc = b.g1_identity()
    for p, k in zip(points, scalars, strict=True):
        acc = b.g1_add(acc, b.g1_mul(p, k % ORDER))
    return acc


def _bases(b: CurveBackend) -> tuple[list[object], list[object]]:
    fixed = list(SHA_256.create_generators(b, 5, SHA_256.api_id))
    var = [b.g1_mul(b.g1_generator(), 1000 + i) for i in range(4)]
    return fixed, var


def test_msm_public_edge_scalars(native: CurveBackend) -> None:
    b = native
    fixed, var = _bases(b)
    for k in EDGE_SCALARS:
        for f in range(0, 3):
            pts = fixed[:f] + var[:2]
            ks = [k] * len(pts)
            got = b.g1_msm_public(pts, ks, fixed=f)
            assert b.g1_eq(got, _plain_msm(b, pts, ks)), (k, f)
    assert b.g1_is_identity(b.g1_msm_public([], []))


def test_msm_public_small_scalars_take_the_shared_loop() -> None:
    b = backend_by_name("blst")
    _, var = _bases(b)
    pts = var * 4
    weights = [1 << i for i in range(len(pts))]
    assert b.g1_eq(b.g1_msm_public(pts, weights), _plain_msm(b, pts, weights))
    mixed = [5, ORDER - 5, 1 << 63, (1 << 64) - 1, 0, 1, 7, 1 << 64]
    assert b.g1_eq(b.g1_msm_public(var * 2, mixed), _plain_msm(b, var * 2, mixed))


def test_msm_public_rejects_inconsistent_lengths(native: CurveBackend) -> None:
    b = native
    fixed, _ = _bases(b)
    with pytest.raises(BBSError):
        b.g1_msm_public(fixed[:2], [1])
    if b.name == "blst":
        with pytest.raises(BBSError):
            b.g1_msm_public(fixed[:2], [1, 2], fixed=3)


@FAST
@given(
    ks=st.lists(st.integers(min_value=0, max_value=ORDER - 1), min_size=1, max_size=7),
    fixed_count=st.integers(min_value=0, max_value=5),
)
def test_msm_public_equals_msm_blst(ks: list[int], fixed_count: int) -> None:
    b = backend_by_name("blst")
    fixed, var = _bases(b)
    f = min(fixed_count, len(ks))
    pts = (fixed[:f] + var * 2)[: len(ks)]
    assert b.g1_eq(b.g1_msm_public(pts, ks, fixed=f), b.g1_msm(pts, ks))


def test_domain_point_is_p1_plus_q1_domain(backend: CurveBackend) -> None:
    b = backend
    q_1 = SHA_256.create_generators(b, 1, SHA_256.api_id)[0]
    for domain in (0, 1, 12345, ORDER - 1):
        expect = b.g1_add(SHA_256.p1(b), b.g1_mul(q_1, domain))
        assert b.g1_eq(SHA_256.domain_point(b, q_1, domain), expect)
        assert b.g1_eq(SHA_256.domain_point(b, q_1, domain), expect)  # memo hit
    with pytest.raises(BBSError):
        SHA_256.domain_point(b, q_1, ORDER)


def test_pubkey_memo_keeps_validation(native: CurveBackend) -> None:
    b = native
    pk = S.sk_to_pk(S.keygen(b"m" * 32), backend=b)
    first = octets_to_pubkey(b, pk)
    assert b.g2_to_bytes(octets_to_pubkey(b, pk)) == pk == b.g2_to_bytes(first)
    identity = bytes([0xC0]) + bytes(95)
    off_curve = bytes([0x80]) + bytes(94) + b"\x07"
    for bad in (identity, off_curve, pk[:95], pk + b"\x00"):
        for _ in range(2):  # a failure is not remembered as a success
            with pytest.raises(BBSError):
                octets_to_pubkey(b, bad)


def test_blst_generators_are_the_standard_ones() -> None:
    b = backend_by_name("blst")
    ref = backend_by_name("py_ecc")
    assert b.g1_to_bytes(b.g1_generator()) == ref.g1_to_bytes(ref.g1_generator())
    assert b.g2_to_bytes(b.g2_generator()) == ref.g2_to_bytes(ref.g2_generator())
    assert b.g1_is_identity(b.g1_identity())
    assert b.g2_is_identity(b.g2_neg(b.g2_mul(b.g2_generator(), 0)))

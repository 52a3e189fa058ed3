"""The aggregated Bulletproofs range proof (crypto/bbs/range.py, docs/credentials.md §4.2).

Honest proofs verify, on every backend and byte-identically; an independent verifier
written from the documentation (explicit folding of the generators, the t̂ check and
the inner-product check apart, no code shared with range.py but the draft's
hash_to_scalar and create_generators) agrees with the single-MSM verifier; pinned
generators and a pinned proof fix the wire format; a cheating prover, a moved
statement, every tampered field and malformed points are rejected; fuzzed bytes
never crash the verifier.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.bbs import range as rp
from crypto.bbs.backend import FIELD_PRIME, ORDER, BBSError, CurveBackend, backend_by_name
from crypto.bbs.suite import SHA_256, SHAKE_256, Ciphersuite

BLST = backend_by_name("blst")
FUZZ = settings(max_examples=40, deadline=None)
# n = 16 (5 + 4 bits, padded): small enough for every test to run in milliseconds.
RANGES = [(0, 20), (-5, 5)]
OPENINGS = [(13, 1234), (-5, 99)]


def _mocked(label: bytes) -> Any:
    """Deterministic 'random' scalars (the draft's mocked_calculate_random_scalars)."""
    return lambda k: SHA_256.mocked_calculate_random_scalars(k, label, b"PNYX_TEST_RANGE_DST")


def _commit(
    b: CurveBackend, openings: Sequence[tuple[int, int]], suite: Ciphersuite = SHA_256
) -> list[Any]:
    gens = rp.pedersen_generators(suite, b)
    return [rp.pedersen_commit(b, gens, x, rho) for x, rho in openings]


def _prove(
    b: CurveBackend = BLST,
    openings: Sequence[tuple[int, int]] = OPENINGS,
    ranges: Sequence[tuple[int, int]] = RANGES,
    seed: bytes = b"ctx",
    **kw: Any,
) -> tuple[list[Any], rp.RangeProof]:
    cs = _commit(b, openings)
    return cs, rp.prove_ranges(SHA_256, b, seed, cs, openings, ranges, **kw)


@pytest.fixture(scope="module")
def honest() -> tuple[list[Any], rp.RangeProof]:
    return _prove()


# ------------------------------------------------- an independent verifier (the doc)


def _doc_weights(lo: int, hi: int) -> list[int]:
    d = hi - lo
    k = d.bit_length()
    return [2**i for i in range(k - 1)] + [d - 2 ** (k - 1) + 1]


def _doc_verify(
    suite: Ciphersuite,
    b: CurveBackend,
    seed: bytes,
    commitments: Sequence[Any],
    ranges: Sequence[tuple[int, int]],
    data: bytes,
) -> bool:
    """docs/credentials.md §4.2.2–§4.2.6, step by step, with the two checks apart."""
    blocks = [_doc_weights(lo, hi) for lo, hi in ranges]
    total = sum(len(w) for w in blocks)
    n = 1
    while n < total:
        n *= 2
    rounds = n.bit_length() - 1
    if len(data) != 352 + 96 * rounds:
        return False
    pts = [data[i : i + 48] for i in range(0, 192, 48)]
    sc = [int.from_bytes(data[192 + 32 * i : 224 + 32 * i], "big") for i in range(3)]
    lr = data[288 : 288 + 96 * rounds]
    ls = [lr[96 * k : 96 * k + 48] for k in range(rounds)]
    rs = [lr[96 * k + 48 : 96 * k + 96] for k in range(rounds)]
    a = int.from_bytes(data[-64:-32], "big")
    bb = int.from_bytes(data[-32:], "big")
    tau_x, mu, t_hat = sc

    def h2s(tag: int, msg: bytes) -> int:
        return suite.hash_to_scalar(bytes([tag]) + msg, b"PNYX_V1_BBS_BULLETPROOFS_H2S_")

    def i32(x: int) -> bytes:
        return x.to_bytes(32, "big")

    stmt = len(seed).to_bytes(8, "big") + seed + len(ranges).to_bytes(8, "big")
    for (lo, hi), c in zip(ranges, commitments, strict=True):
        stmt += lo.to_bytes(8, "big", signed=True) + hi.to_bytes(8, "big", signed=True)
        stmt += b.g1_to_bytes(c)
    y = h2s(1, stmt + pts[0] + pts[1])
    z = h2s(2, i32(y))
    x = h2s(3, i32(z) + pts[2] + pts[3])
    w = h2s(4, i32(x) + i32(tau_x) + i32(mu) + i32(t_hat))
    xs = []
    prev = w
    for left, right in zip(ls, rs, strict=True):
        prev = h2s(5, i32(prev) + left + right)
        xs.append(prev)

    g, h = suite.create_generators(b, 2, b"PNYX_V1_BBS_PREDICATE_PEDERSEN_")
    gen = suite.create_generators(b, 2 * n, b"PNYX_V1_BBS_BULLETPROOFS_")
    big_g, big_h = list(gen[0::2]), list(gen[1::2])
    A, S, T1, T2 = (b.g1_from_bytes(p) for p in pts)

    def mul(p: Any, k: int) -> Any:
        return b.g1_mul(p, k % ORDER)

    def add(*ps: Any) -> Any:
        acc = b.g1_identity()
        for p in ps:
            acc = b.g1_add(acc, p)
        return acc

    # t̂·g + τ_x·h = Σ z^(2+v)·(C_v − lo_v·g) + δ·g + x·T1 + x²·T2
    omega = []
    for v, wts in enumerate(blocks):
        omega += [pow(z, 2 + v, ORDER) * wt % ORDER for wt in wts]
    omega += [0] * (n - len(omega))
    delta = (z - z * z) * sum(pow(y, i, ORDER) for i in range(n))
    delta -= sum(pow(z, 3 + v, ORDER) * (hi - lo) for v, (lo, hi) in enumerate(ranges))
    lhs = add(mul(g, t_hat), mul(h, tau_x))
    rhs = add(
        *[
            mul(add(c, mul(g, -lo)), pow(z, 2 + v, ORDER))
            for v, ((lo, _), c) in enumerate(zip(ranges, commitments, strict=True))
        ],
        mul(g, delta),
        mul(T1, x),
        mul(T2, x * x),
    )
    if not b.g1_eq(lhs, rhs):
        return False

    # P = A + x·S − z·ΣG + Σ (z·y^i + ω_i)·H'_i − μ·h + t̂·u, then fold round by round.
    y_inv = pow(y, -1, ORDER)
    hp = [mul(big_h[i], pow(y_inv, i, ORDER)) for i in range(n)]
    u = mul(g, w)
    p_acc = add(A, mul(S, x), *[mul(gi, -z) for gi in big_g], mul(h, -mu), mul(u, t_hat))
    p_acc = add(p_acc, *[mul(hp[i], z * pow(y, i, ORDER) + omega[i]) for i in range(n)])
    gs, hs = big_g, hp
    for xk, left, right in zip(xs, ls, rs, strict=True):
        xi = pow(xk, -1, ORDER)
        lk, rk = b.g1_from_bytes(left), b.g1_from_bytes(right)
        p_acc = add(mul(lk, xk * xk), p_acc, mul(rk, xi * xi))
        half = len(gs) // 2
        gs = [add(mul(gs[i], xi), mul(gs[half + i], xk)) for i in range(half)]
        hs = [add(mul(hs[i], xk), mul(hs[half + i], xi)) for i in range(half)]
    return b.g1_eq(p_acc, add(mul(gs[0], a), mul(hs[0], bb), mul(u, a * bb)))


# ------------------------------------------------------------------ honest proofs


def test_generators_are_pinned_and_prefix_stable() -> None:
    pg = rp.pedersen_generators(SHA_256, BLST)
    vg = rp.vector_generators(SHA_256, BLST, 2)
    enc = BLST.g1_to_bytes
    assert enc(pg.g).hex() == (
        "8c62c41362bf25d4705ef42b5a8395eba90103576c76c1e160000ca1180cabff030c51f69e3f508e8f292f6860e0d7d6"
    )
    assert enc(pg.h).hex() == (
        "8f27ece708de14eefa4a45f5f071f63b58407ff9b73ca189483693dc4ef3fd6f302b0cde643756f3d6f2554a48e9ee5b"
    )
    assert [enc(p).hex() for p in (vg.gs[0], vg.hs[0], vg.gs[1], vg.hs[1])] == [
        "b78dc0adfd88bc775b61b395212952c92772cb3196ad1a8ec7a47cc69c300fb2264ca27302a7acbfcc66bd224d55d9d7",
        "84dcf2891e7c8503dd463edcbf67648706232e80357abbb08d8f8535d47e6165437e71f0acc55cab43ba4d598632f60b",
        "95d17080a7204d9ce2e59d716a331d1efe5d438962b01c3617d00721538593a86111e91a6a7655fd1b3d4eba546bcfa9",
        "b499e88da88f4af380290723693943306cbb2f9ea0e9cf0ebfe7be9d0db50a9f5e0f0de862426105ed2a6f94c87facdc",
    ]
    big = rp.vector_generators(SHA_256, BLST, 8)
    assert big.gs[:2] == vg.gs and big.hs[:2] == vg.hs
    assert len({enc(p) for p in (pg.g, pg.h, *big.gs, *big.hs)}) == 18
    with pytest.raises(BBSError):
        rp.vector_generators(SHA_256, BLST, 0)


@pytest.mark.parametrize(
    ("lo", "hi"), [(0, 1), (0, 2), (0, 7), (0, 8), (-3, 9), (5, 37), (-100, 155)]
)
def test_weights_cover_exactly_the_range(lo: int, hi: int) -> None:
    weights = rp.range_weights(lo, hi)
    assert list(weights) == _doc_weights(lo, hi) and sum(weights) == hi - lo
    sums = {0}
    for w in weights:
        sums |= {s + w for s in sums}
    assert sums == set(range(hi - lo + 1))


@settings(max_examples=60, deadline=None)
@given(d=st.integers(1, 2**64 - 1), frac=st.integers(0, 2**64))
def test_decomposition_sums_to_the_value(d: int, frac: int) -> None:
    weights = rp.range_weights(0, d) if d < 2**63 else rp.range_weights(-(2**63), d - 2**63)
    a = frac % (d + 1)
    bits = rp._decompose(a, weights)
    assert set(bits) <= {0, 1} and sum(b * w for b, w in zip(bits, weights, strict=True)) == a


def test_bounds_and_sizes() -> None:
    for lo, hi in [(1, 1), (2, 1), (-(2**63) - 1, 0), (0, 2**63), (True, 5), (0, 1.5)]:
        with pytest.raises(BBSError):
            rp.range_weights(lo, hi)  # type: ignore[arg-type]
    assert len(rp.range_weights(-(2**63), 2**63 - 1)) == 64
    assert rp.padded_length([(0, 1)]) == 1
    assert rp.padded_length(RANGES) == 16
    assert rp.padded_length([(-719_162, 13_825), (20_400, 24_060)]) == 32  # 20 + 12 bits
    assert rp.padded_length([(-(2**63), 2**63 - 1)] * 2) == 128
    assert [rp.proof_size(n) for n in (1, 2, 16, 32)] == [352, 448, 736, 832]
    with pytest.raises(BBSError):
        rp.padded_length([])
    with pytest.raises(BBSError):
        rp.proof_size(12)


@pytest.mark.parametrize(
    ("openings", "ranges"),
    [
        ([(0, 5)], [(0, 1)]),  # n = 1: no inner-product round
        ([(1, 5)], [(0, 1)]),
        ([(-3, 7)], [(-3, 9)]),  # the lower end
        ([(9, 7)], [(-3, 9)]),  # the upper end
        (OPENINGS, RANGES),
        ([(20, 1), (5, 2), (0, 3)], [(0, 20), (-5, 5), (0, 300)]),  # 5 + 4 + 9 bits, n = 32
    ],
)
def test_honest_proofs_verify_and_the_doc_agrees(
    openings: list[tuple[int, int]], ranges: list[tuple[int, int]]
) -> None:
    cs, proof = _prove(openings=openings, ranges=ranges)
    n = rp.padded_length(ranges)
    data = proof.to_bytes()
    assert len(data) == rp.proof_size(n) and rp.RangeProof.from_bytes(data, n) == proof
    assert rp.verify_ranges(SHA_256, BLST, b"ctx", cs, ranges, proof)
    assert _doc_verify(SHA_256, BLST, b"ctx", cs, ranges, data)
    assert not _doc_verify(SHA_256, BLST, b"other", cs, ranges, data)


def test_pinned_proof() -> None:
    """The proof for fixed randomness, byte for byte (a regression vector for other
    implementations: the randomness is the draft's mocked_calculate_random_scalars)."""
    cs, proof = _prove(random_scalars=_mocked(b"pnyx range kat"))
    data = proof.to_bytes()
    assert hashlib.sha256(data).hexdigest() == (
        "973c961aa95e6c36015418161fe620fcd3834c15698e97b909ced1cf28173f67"
    )
    assert _doc_verify(SHA_256, BLST, b"ctx", cs, RANGES, data)


def test_backends_agree() -> None:
    ark, ref = backend_by_name("arkworks"), backend_by_name("py_ecc")
    _, p1 = _prove(BLST, random_scalars=_mocked(b"x"))
    cs2, p2 = _prove(ark, random_scalars=_mocked(b"x"))
    assert p1 == p2
    assert rp.verify_ranges(SHA_256, ark, b"ctx", cs2, RANGES, p2)
    # the reference backend on a small statement (n = 2; ≈ 10 ms per multiplication)
    small_o, small_r = [(2, 3)], [(0, 3)]
    cs3, p3 = _prove(BLST, small_o, small_r, random_scalars=_mocked(b"y"))
    ref_cs = [ref.g1_from_bytes(BLST.g1_to_bytes(c)) for c in cs3]
    assert rp.verify_ranges(SHA_256, ref, b"ctx", ref_cs, small_r, p3)
    assert not rp.verify_ranges(SHA_256, ref, b"ctx", ref_cs, [(1, 3)], p3)


def test_shake_suite() -> None:
    ranges, openings = [(0, 100)], [(42, 7)]
    cs = _commit(BLST, openings, SHAKE_256)
    proof = rp.prove_ranges(SHAKE_256, BLST, b"s", cs, openings, ranges)
    assert rp.verify_ranges(SHAKE_256, BLST, b"s", cs, ranges, proof)
    assert _doc_verify(SHAKE_256, BLST, b"s", cs, ranges, proof.to_bytes())
    assert not rp.verify_ranges(SHA_256, BLST, b"s", cs, ranges, proof)


def test_two_proofs_share_nothing(honest: tuple[list[Any], rp.RangeProof]) -> None:
    _, p1 = honest
    _, p2 = _prove()
    d1, d2 = p1.to_bytes(), p2.to_bytes()
    assert not {d1[i : i + 16] for i in range(len(d1) - 15)} & {
        d2[i : i + 16] for i in range(len(d2) - 15)
    }


# ------------------------------------------------------------------ soundness


def test_a_false_statement_cannot_be_proven() -> None:
    for openings in ([(21, 1), (0, 1)], [(13, 1), (-6, 1)], [(13, 1), (6, 1)]):
        with pytest.raises(BBSError):
            _prove(openings=openings)
    with pytest.raises(BBSError):
        rp.prove_ranges(SHA_256, BLST, b"", _commit(BLST, OPENINGS), OPENINGS, RANGES[:1])


def test_a_cheating_prover_fails() -> None:
    """The bits of an in-range value (13) under a commitment to an out-of-range one
    (100): the t̂ check fails, in both verifiers."""
    openings = [(100, 5), (0, 6)]
    cs = _commit(BLST, openings)
    bits = rp._decompose(13, rp.range_weights(0, 20)) + rp._decompose(5, rp.range_weights(-5, 5))
    forged = rp._prove(SHA_256, BLST, b"ctx", cs, [5, 6], RANGES, bits, rp.calculate_random_scalars)
    assert not rp.verify_ranges(SHA_256, BLST, b"ctx", cs, RANGES, forged)
    assert not _doc_verify(SHA_256, BLST, b"ctx", cs, RANGES, forged.to_bytes())
    # the same bits with the value they encode verify: the forgery is the only change
    right = _commit(BLST, [(13, 5), (0, 6)])
    honest = rp._prove(
        SHA_256, BLST, b"ctx", right, [5, 6], RANGES, bits, rp.calculate_random_scalars
    )
    assert rp.verify_ranges(SHA_256, BLST, b"ctx", right, RANGES, honest)


def test_the_statement_is_bound(honest: tuple[list[Any], rp.RangeProof]) -> None:
    cs, proof = honest
    assert rp.verify_ranges(SHA_256, BLST, b"ctx", cs, RANGES, proof)
    other = _commit(BLST, [(13, 1235), (-5, 99)])
    for seed, commitments, ranges in [
        (b"ctx2", cs, RANGES),
        (b"", cs, RANGES),
        (b"ctx", cs[::-1], RANGES),
        (b"ctx", [other[0], cs[1]], RANGES),
        (b"ctx", cs, [(0, 20), (-5, 6)]),  # same bit widths, another statement
        (b"ctx", cs, [(1, 21), (-5, 5)]),
        (b"ctx", cs, RANGES[::-1]),
        (b"ctx", cs[:1], RANGES[:1]),
        (b"ctx", cs, [(0, 20), (-5, 5), (0, 1)]),
    ]:
        assert not rp.verify_ranges(SHA_256, BLST, seed, commitments, ranges, proof)
    with pytest.raises(BBSError):
        rp.check_ranges(SHA_256, BLST, b"ctx", cs[:1], RANGES, proof)


def _other_point(k: int) -> bytes:
    return BLST.g1_to_bytes(BLST.g1_mul(BLST.g1_generator(), k))


def _variants(proof: rp.RangeProof) -> list[rp.RangeProof]:
    """Every field changed in turn: points to another valid point, scalars + 1,
    L and R exchanged, one round's L_k with the next one's."""
    from dataclasses import replace

    out = []
    for name in ("a_point", "s_point", "t1", "t2"):
        out.append(replace(proof, **{name: _other_point(7)}))
    for name in ("tau_x", "mu", "t_hat", "a", "b"):
        out.append(replace(proof, **{name: (getattr(proof, name) + 1) % ORDER}))
    for k in range(len(proof.ls)):
        out.append(replace(proof, ls=(*proof.ls[:k], _other_point(k + 2), *proof.ls[k + 1 :])))
        out.append(replace(proof, rs=(*proof.rs[:k], _other_point(k + 2), *proof.rs[k + 1 :])))
    out.append(replace(proof, ls=proof.rs, rs=proof.ls))
    out.append(replace(proof, ls=proof.ls[::-1], rs=proof.rs[::-1]))
    out.append(replace(proof, a=proof.b, b=proof.a))
    return out


def test_every_tampered_field_is_rejected(honest: tuple[list[Any], rp.RangeProof]) -> None:
    cs, proof = honest
    for bad in _variants(proof):
        assert not rp.verify_ranges(SHA_256, BLST, b"ctx", cs, RANGES, bad)
        assert not _doc_verify(SHA_256, BLST, b"ctx", cs, RANGES, bad.to_bytes())


def _off_subgroup() -> bytes:
    """A point on E(Fp) outside G1 (y² = x³ + 4, smallest x)."""
    x = 1
    while True:
        rhs = (x**3 + 4) % FIELD_PRIME
        y = pow(rhs, (FIELD_PRIME + 1) // 4, FIELD_PRIME)
        if y * y % FIELD_PRIME == rhs:
            break
        x += 1
    flags = 0x80 | (0x20 if y > FIELD_PRIME - y else 0)
    return bytes([flags | (x >> 376)]) + (x % (1 << 376)).to_bytes(47, "big")


BAD_POINTS = [
    bytes.fromhex("c0" + "00" * 47),  # the identity
    bytes.fromhex("c0" + "00" * 46 + "01"),  # a non-canonical identity
    _off_subgroup(),
    bytes([0x80]) + b"\xff" * 47,  # x ≥ p
    b"\x00" * 48,  # no compression flag
    b"\x9f" + b"\x13" * 47,  # (most likely) not on the curve
]


def test_malformed_points_are_rejected(honest: tuple[list[Any], rp.RangeProof]) -> None:
    from dataclasses import replace

    cs, proof = honest
    for bad in BAD_POINTS:
        for forged in (
            replace(proof, a_point=bad),
            replace(proof, s_point=bad),
            replace(proof, t1=bad),
            replace(proof, t2=bad),
            replace(proof, ls=(bad, *proof.ls[1:])),
            replace(proof, rs=(*proof.rs[:-1], bad)),
        ):
            assert not rp.verify_ranges(SHA_256, BLST, b"ctx", cs, RANGES, forged)
            with pytest.raises(BBSError):
                rp.check_ranges(SHA_256, BLST, b"ctx", cs, RANGES, forged)
    with pytest.raises(BBSError):
        rp.check_ranges(SHA_256, BLST, b"ctx", cs, RANGES, replace(proof, mu=ORDER))


def test_decoding_is_strict(honest: tuple[list[Any], rp.RangeProof]) -> None:
    _, proof = honest
    data = proof.to_bytes()
    cases = [(data[:-1], 16), (data + b"\0", 16), (data, 8), (data, 32), (data, 12), (b"", 1)]
    for bad, n in cases:
        with pytest.raises(BBSError):
            rp.RangeProof.from_bytes(bad, n)
    for offset in (192, 224, 256, len(data) - 64, len(data) - 32):  # τ_x, μ, t̂, a, b
        bad = data[:offset] + ORDER.to_bytes(32, "big") + data[offset + 32 :]
        with pytest.raises(BBSError):
            rp.RangeProof.from_bytes(bad, 16)


@FUZZ
@given(
    pos=st.integers(0, 735),
    mask=st.integers(1, 255),
    cut=st.integers(0, 800),
    mode=st.sampled_from(["flip", "cut", "splice"]),
)
def test_fuzzed_bytes_never_crash(
    honest: tuple[list[Any], rp.RangeProof], pos: int, mask: int, cut: int, mode: str
) -> None:
    cs, proof = honest
    data = bytearray(proof.to_bytes())
    if mode == "flip":
        data[pos] ^= mask
    elif mode == "cut":
        data = data[: cut % len(data)]
    else:
        data[pos : pos + 48] = _other_point(mask)[: len(data[pos : pos + 48])]
    try:
        forged = rp.RangeProof.from_bytes(bytes(data), 16)
    except BBSError:
        return
    assert forged != proof
    assert not rp.verify_ranges(SHA_256, BLST, b"ctx", cs, RANGES, forged)


@settings(max_examples=8, deadline=None)
@given(
    lo=st.integers(-(2**63), 2**63 - 2),
    width=st.integers(1, 2**64 - 1),
    frac=st.integers(0, 2**64),
    second=st.integers(1, 5000),
)
def test_property_any_ranges(lo: int, width: int, frac: int, second: int) -> None:
    """Any bounds of signed 64-bit integers (on arkworks, whose MSM needs no table:
    two 64-bit blocks make n = 128), with a second, small range aggregated."""
    ark = backend_by_name("arkworks")
    hi = min(lo + width, 2**63 - 1)
    x = lo + frac % (hi - lo + 1)
    openings, ranges = [(x, 17), (second // 2, 3)], [(lo, hi), (0, second)]
    cs = _commit(ark, openings)
    proof = rp.prove_ranges(SHA_256, ark, b"p", cs, openings, ranges)
    assert rp.verify_ranges(SHA_256, ark, b"p", cs, ranges, proof)
    if hi < 2**63 - 1:
        with pytest.raises(BBSError):
            rp.prove_ranges(SHA_256, ark, b"p", cs, [(hi + 1, 17), openings[1]], ranges)

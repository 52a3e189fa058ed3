"""crypto/group.py: decoding is validation; the identity; group and scalar laws."""

from __future__ import annotations

import hashlib

import nacl.bindings as sodium
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.errors import InvalidEncoding
from crypto.group import (
    FIELD_PRIME,
    GENERATOR,
    IDENTITY,
    ORDER,
    Point,
    Scalar,
    hash_to_point,
    hash_to_scalar,
    length_prefixed,
)

P = FIELD_PRIME
D = (-121665 * pow(121666, -1, P)) % P
FAST = settings(max_examples=25, deadline=None)

# The eight points of order dividing 8, canonically encoded (RFC 8032 encodings).
SMALL_ORDER = [
    "0100000000000000000000000000000000000000000000000000000000000000",  # order 1
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # order 2
    "0000000000000000000000000000000000000000000000000000000000000000",  # order 4
    "0000000000000000000000000000000000000000000000000000000000000080",  # order 4
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  # order 8
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",  # order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  # order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",  # order 8
]
# Non-canonical encodings of small-order points (y ≥ p, or x = 0 with the sign bit).
NON_CANONICAL_SMALL = [
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # y = p ≡ 0
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # y = p + 1 ≡ 1
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",  # y = p, sign
    "0100000000000000000000000000000000000000000000000000000000000080",  # O with sign bit
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",  # order 2, sign
]


def _is_square(u: int) -> bool:
    return u == 0 or pow(u, (P - 1) // 2, P) == 1


def _x_squared(y: int) -> int:
    return (y * y - 1) * pow(D * y * y + 1, -1, P) % P


def _raw_add(a: bytes, b: bytes) -> bytes:
    return sodium.crypto_core_ed25519_add(a, b)


def _times(n: int, encoding: bytes) -> bytes:
    acc = SMALL_ORDER_BYTES[0]
    for _ in range(n):
        acc = _raw_add(acc, encoding)
    return acc


SMALL_ORDER_BYTES = [bytes.fromhex(h) for h in SMALL_ORDER]


def test_small_order_list_is_the_whole_torsion_subgroup() -> None:
    # The list is not taken on faith: each element is on the curve, 8·T = O,
    # and the eight are distinct and closed under addition.
    identity = SMALL_ORDER_BYTES[0]
    group = set(SMALL_ORDER_BYTES)
    assert len(group) == 8
    for t in SMALL_ORDER_BYTES:
        y = int.from_bytes(t, "little") & ((1 << 255) - 1)
        assert _is_square(_x_squared(y))
        assert _times(8, t) == identity
        for u in SMALL_ORDER_BYTES:
            assert _raw_add(t, u) in group


@pytest.mark.parametrize("encoding", SMALL_ORDER + NON_CANONICAL_SMALL)
def test_small_order_encodings_are_rejected(encoding: str) -> None:
    with pytest.raises(InvalidEncoding):
        Point.from_bytes(bytes.fromhex(encoding))


@pytest.mark.parametrize("encoding", SMALL_ORDER[1:] + NON_CANONICAL_SMALL)
def test_small_order_rejected_even_where_identity_allowed(encoding: str) -> None:
    with pytest.raises(InvalidEncoding):
        Point.from_bytes(bytes.fromhex(encoding), allow_identity=True)


@pytest.mark.parametrize("torsion", SMALL_ORDER[1:])
def test_mixed_order_point_is_rejected(torsion: str) -> None:
    # P + T has order 2ℓ, 4ℓ or 8ℓ. With T of order 2 this is the point class
    # that libsodium before the CVE-2025-69277 fix accepted (it only checked
    # that ℓ·P has X = 0, which the order-2 point (0, −1) also satisfies).
    prime_order = (Scalar.from_int(1234567) * GENERATOR).to_bytes()
    mixed = _raw_add(prime_order, bytes.fromhex(torsion))
    assert mixed != prime_order
    assert Point.from_bytes(prime_order).to_bytes() == prime_order
    with pytest.raises(InvalidEncoding):
        Point.from_bytes(mixed)


def test_bundled_libsodium_has_the_cve_2025_69277_fix() -> None:
    prime_order = (Scalar.from_int(99) * GENERATOR).to_bytes()
    mixed = _raw_add(prime_order, SMALL_ORDER_BYTES[1])
    assert not sodium.crypto_core_ed25519_is_valid_point(mixed)


def test_every_encoding_with_y_at_least_p_is_rejected() -> None:
    # Encodings with p ≤ y < 2^255 alias y − p < 19. Among y < 19 no point of the
    # prime-order subgroup exists (checked below), so the aliases are of points
    # on the curve with torsion, off the curve, or non-canonical: all refused.
    on_curve = 0
    for y in range(19):
        if _is_square(_x_squared(y)):
            on_curve += 1
        for sign in (0, 1):
            canonical = (y | (sign << 255)).to_bytes(32, "little")
            assert not sodium.crypto_core_ed25519_is_valid_point(canonical)
            alias = ((y + P) | (sign << 255)).to_bytes(32, "little")
            with pytest.raises(InvalidEncoding):
                Point.from_bytes(alias)
            with pytest.raises(InvalidEncoding):
                Point.from_bytes(alias, allow_identity=True)
    assert on_curve > 2


def test_points_off_the_curve_are_rejected() -> None:
    rejected = 0
    for y in range(2, 200):
        if _is_square(_x_squared(y)):
            continue
        with pytest.raises(InvalidEncoding):
            Point.from_bytes(y.to_bytes(32, "little"))
        rejected += 1
    assert rejected > 50


@pytest.mark.parametrize("length", [0, 31, 33, 64])
def test_wrong_lengths_are_rejected(length: int) -> None:
    with pytest.raises(InvalidEncoding):
        Point.from_bytes(bytes(length))
    with pytest.raises(InvalidEncoding):
        Scalar.from_bytes(bytes(length))


def test_identity_only_where_allowed() -> None:
    encoding = IDENTITY.to_bytes()
    assert encoding == bytes.fromhex(SMALL_ORDER[0])
    with pytest.raises(InvalidEncoding):
        Point.from_bytes(encoding)
    assert Point.from_bytes(encoding, allow_identity=True) == IDENTITY
    assert issubclass(InvalidEncoding, ValueError)


@pytest.mark.parametrize("value", [ORDER, ORDER + 1, 2**255 - 1, 2**256 - 1, ORDER + 2**252])
def test_scalars_at_or_above_order_are_rejected(value: int) -> None:
    with pytest.raises(InvalidEncoding):
        Scalar.from_bytes(value.to_bytes(32, "little"))


def test_scalar_edges_accepted() -> None:
    for value in (0, 1, ORDER - 1):
        assert Scalar.from_bytes(value.to_bytes(32, "little")).to_int() == value


def test_hex_is_strict_lowercase() -> None:
    point = Scalar.from_int(3) * GENERATOR
    g = point.hex()
    assert g != g.upper()
    assert Point.from_hex(g) == point
    for bad in (g.upper(), g[:-2], g + "00", " " + g[1:], "zz" + g[2:]):
        with pytest.raises(InvalidEncoding):
            Point.from_hex(bad)
    assert Scalar.from_hex(Scalar.from_int(5).hex()) == Scalar.from_int(5)
    with pytest.raises(InvalidEncoding):
        Scalar.from_hex("AB" * 32)


def test_generator_is_the_rfc8032_base_point() -> None:
    y = 4 * pow(5, -1, P) % P
    assert int.from_bytes(GENERATOR.to_bytes(), "little") & ((1 << 255) - 1) == y
    assert Point.from_bytes(GENERATOR.to_bytes()) == GENERATOR
    assert Scalar.from_int(ORDER - 1) * GENERATOR == -GENERATOR


def test_identity_arithmetic() -> None:
    zero, one = Scalar.from_int(0), Scalar.from_int(1)
    assert zero * GENERATOR == IDENTITY
    assert GENERATOR * zero == IDENTITY
    assert Scalar.from_int(ORDER) * GENERATOR == IDENTITY
    assert one * IDENTITY == IDENTITY
    assert GENERATOR - GENERATOR == IDENTITY
    assert IDENTITY + GENERATOR == GENERATOR
    assert -IDENTITY == IDENTITY
    assert IDENTITY.is_identity()
    assert not GENERATOR.is_identity()
    h = Scalar.from_int(7) * GENERATOR
    assert h + IDENTITY == h
    assert zero * h == IDENTITY


def test_values_are_immutable_and_hide_secrets() -> None:
    s = Scalar.from_int(42)
    with pytest.raises(AttributeError):
        s._b = bytes(32)
    with pytest.raises(AttributeError):
        GENERATOR._b = bytes(32)
    assert "42" not in repr(s) and s.hex() not in repr(s)
    with pytest.raises(TypeError):
        Point(bytes(32), object())
    with pytest.raises(TypeError):
        Scalar(bytes(32), object())
    with pytest.raises(TypeError):
        bool(s)
    assert len({Scalar.from_int(3), Scalar.from_int(3), Scalar.from_int(4)}) == 2
    assert len({GENERATOR, Point.from_bytes(GENERATOR.to_bytes())}) == 1


def test_invert() -> None:
    s = Scalar.from_int(12345)
    assert s * s.invert() == Scalar.from_int(1)
    with pytest.raises(ZeroDivisionError):
        Scalar.from_int(0).invert()


scalars = st.integers(min_value=0, max_value=ORDER - 1)


@FAST
@given(scalars, scalars)
def test_scalar_field_laws(a: int, b: int) -> None:
    sa, sb = Scalar.from_int(a), Scalar.from_int(b)
    assert (sa + sb).to_int() == (a + b) % ORDER
    assert (sa - sb).to_int() == (a - b) % ORDER
    assert (sa * sb).to_int() == (a * b) % ORDER
    assert (-sa).to_int() == (-a) % ORDER
    assert Scalar.from_bytes(sa.to_bytes()) == sa


@FAST
@given(scalars, scalars)
def test_group_homomorphism(a: int, b: int) -> None:
    sa, sb = Scalar.from_int(a), Scalar.from_int(b)
    pa, pb = sa * GENERATOR, sb * GENERATOR
    assert pa + pb == (sa + sb) * GENERATOR
    assert pa - pb == (sa - sb) * GENERATOR
    h = Scalar.from_int(5) * GENERATOR
    assert sa * h + sb * h == (sa + sb) * h
    if not pa.is_identity():
        assert Point.from_bytes(pa.to_bytes()) == pa


def test_random_scalars_differ_and_are_nonzero() -> None:
    values = {Scalar.random() for _ in range(20)}
    assert len(values) == 20
    assert all(not v.is_zero() for v in values)


def test_hash_to_scalar_definition() -> None:
    digest = hashlib.sha512(length_prefixed(b"dst") + length_prefixed(b"msg")).digest()
    expected = int.from_bytes(digest, "little") % ORDER
    assert hash_to_scalar(b"dst", b"msg").to_int() == expected
    assert hash_to_scalar(b"dst2", b"msg") != hash_to_scalar(b"dst", b"msg")
    # length prefixes separate (dst, msg) splits
    assert hash_to_scalar(b"ab", b"c") != hash_to_scalar(b"a", b"bc")


def test_hash_to_point_is_in_the_subgroup_and_separated() -> None:
    h1 = hash_to_point(b"pnyx/test", b"one")
    h2 = hash_to_point(b"pnyx/test", b"two")
    h3 = hash_to_point(b"pnyx/other", b"one")
    assert len({h1, h2, h3, GENERATOR}) == 4
    for h in (h1, h2, h3):
        assert Point.from_bytes(h.to_bytes()) == h
    digest = hashlib.sha512(length_prefixed(b"pnyx/test") + length_prefixed(b"one")).digest()
    expected = _raw_add(
        sodium.crypto_core_ed25519_from_uniform(digest[:32]),
        sodium.crypto_core_ed25519_from_uniform(digest[32:]),
    )
    assert h1.to_bytes() == expected

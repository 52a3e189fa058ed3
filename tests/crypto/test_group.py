"""crypto/group.py: decoding is validation; the identity; group and scalar laws.

The group is ristretto255 (RFC 9496). Its Appendix A test vectors are typed in
below: the encodings of 0·B … 15·B (A.1), the 29 invalid encodings (A.2) and
the element derivation from 64 uniform bytes (A.3).
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crypto.group as group_module
from crypto.errors import InvalidEncoding
from crypto.group import (
    FIELD_PRIME,
    GENERATOR,
    IDENTITY,
    ORDER,
    Point,
    Scalar,
    add_encodings,
    hash_to_point,
    hash_to_scalar,
    length_prefixed,
)

P = FIELD_PRIME
FAST = settings(max_examples=25, deadline=None)

# RFC 9496 Appendix A.1: the encodings of B[k] = k·B for k = 0 … 15.
RFC9496_MULTIPLES = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76",
    "6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919",
    "94741f5d5d52755ece4f23f044ee27d5d1ea1e2bd196b462166b16152a9d0259",
    "da80862773358b466ffadfe0b3293ab3d9fd53c5ea6c955358f568322daf6a57",
    "e882b131016b52c1d3337080187cf768423efccbb517bb495ab812c4160ff44e",
    "f64746d3c92b13050ed8d80236a7f0007c3b3f962f5ba793d19a601ebb1df403",
    "44f53520926ec81fbd5a387845beb7df85a96a24ece18738bdcfa6a7822a176d",
    "903293d8f2287ebe10e2374dc1a53e0bc887e592699f02d077d5263cdd55601c",
    "02622ace8f7303a31cafc63f8fc48fdc16e1c8c8d234b2f0d6685282a9076031",
    "20706fd788b2720a1ed2a5dad4952b01f413bcf0e7564de8cdc816689e2db95f",
    "bce83f8ba5dd2fa572864c24ba1810f9522bc6004afe95877ac73241cafdab42",
    "e4549ee16b9aa03099ca208c67adafcafa4c3f3e4e5303de6026e3ca8ff84460",
    "aa52e000df2e16f55fb1032fc33bc42742dad6bd5a8fc0be0167436c5948501f",
    "46376b80f409b29dc2b5f6f0c52591990896e5716f41477cd30085ab7f10301e",
    "e0c418f7c8d9c4cdd7395b93ea124f3ad99021bb681dfc3302a9d99a2e53e64e",
]

# RFC 9496 Appendix A.2: encodings every decoder must refuse, by the check that fails.
RFC9496_INVALID = {
    "non-canonical field encoding": [
        "00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "f3ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ],
    "negative field element": [
        "0100000000000000000000000000000000000000000000000000000000000000",
        "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "ed57ffd8c914fb201471d1c3d245ce3c746fcbe63a3679d51b6a516ebebe0e20",
        "c34c4e1826e5d403b78e246e88aa051c36ccf0aafebffe137d148a2bf9104562",
        "c940e5a4404157cfb1628b108db051a8d439e1a421394ec4ebccb9ec92a8ac78",
        "47cfc5497c53dc8e61c91d17fd626ffb1c49e2bca94eed052281b510b1117a24",
        "f1c6165d33367351b0da8f6e4511010c68174a03b6581212c71c0e1d026c3c72",
        "87260f7a2f12495118360f02c26a470f450dadf34a413d21042b43b9d93e1309",
    ],
    "non-square x²": [
        "26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371",
        "4eac077a713c57b4f4397629a4145982c661f48044dd3f96427d40b147d9742f",
        "de6a7b00deadc788eb6b6c8d20c0ae96c2f2019078fa604fee5b87d6e989ad7b",
        "bcab477be20861e01e4a0e295284146a510150d9817763caf1a6f4b422d67042",
        "2a292df7e32cababbd9de088d1d1abec9fc0440f637ed2fba145094dc14bea08",
        "f4a9e534fc0d216c44b218fa0c42d99635a0127ee2e53c712f70609649fdff22",
        "8268436f8c4126196cf64b3c7ddbda90746a378625f9813dd9b8457077256731",
        "2810e5cbc2cc4d4eece54f61c6f69758e289aa7ab440b3cbeaa21995c2f4232b",
    ],
    "negative x·y": [
        "3eb858e78f5a7254d8c9731174a94f76755fd3941c0ac93735c07ba14579630e",
        "a45fdc55c76448c049a1ab33f17023edfb2be3581e9c7aade8a6125215e04220",
        "d483fe813c6ba647ebbfd3ec41adca1c6130c2beeee9d9bf065c8d151c5f396e",
        "8a2e1d30050198c65a54483123960ccc38aef6848e1ec8f5f780e8523769ba32",
        "32888462f8b486c68ad7dd9610be5192bbeaf3b443951ac1a8118419d9fa097b",
        "227142501b9d4355ccba290404bde41575b037693cef1f438c47f8fbf35d1165",
        "5c37cc491da847cfeb9281d407efc41e15144c876e0170b499a96a22ed31e01e",
        "445425117cb8c90edcbc7c1cc0e74f747f2c1efa5630a967c64f287792a48a4b",
    ],
    "s = −1 (y = 0)": [
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ],
}
INVALID_CASES = [(why, enc) for why, encs in RFC9496_INVALID.items() for enc in encs]

# RFC 9496 Appendix A.3: element derivation of SHA-512(label) (64 uniform bytes).
RFC9496_DERIVATION = [
    (
        "Ristretto is traditionally a short shot of espresso coffee",
        "3066f82a1a747d45120d1740f14358531a8f04bbffe6a819f86dfe50f44a0a46",
    ),
    (
        "made with the normal amount of ground coffee but extracted with",
        "f26e5b6f7d362d2d2a94c5d0e7602cb4773c95a2e5c31a64f133189fa76ed61b",
    ),
    (
        "about half the amount of water in the same amount of time",
        "006ccd2a9e6867e6a2c5cea83d3302cc9de128dd2a9a57dd8ee7b9d7ffe02826",
    ),
    (
        "by using a finer grind.",
        "f8f0c87cf237953c5890aec3998169005dae3eca1fbb04548c635953c817f92a",
    ),
    (
        "This produces a concentrated shot of coffee per volume.",
        "ae81e7dedf20a497e10c304a765c1767a42d6e06029758d2d7e8ef7cc4c41179",
    ),
    (
        "Just pulling a normal shot short will produce a weaker shot",
        "e2705652ff9f5e44d3e841bf1c251cf7dddb77d140870d1ab2ed64f1a9ce8628",
    ),
    (
        "and is not a Ristretto as some believe.",
        "80bd07262511cdde4863f8a7434cef696750681cb9510eea557088f76d9e5065",
    ),
]

MULTIPLES = [bytes.fromhex(h) for h in RFC9496_MULTIPLES]


def _le(value: int) -> bytes:
    return value.to_bytes(32, "little")


def _top_bit(encoding: bytes) -> bytes:
    return encoding[:31] + bytes([encoding[31] | 0x80])


def _reencoded(point: Point) -> bytes:
    """The encoding libsodium computes for `point` (B + point − B never reuses the bytes)."""
    return ((point + GENERATOR) - GENERATOR).to_bytes()


# -- RFC 9496 Appendix A ---------------------------------------------------------


def test_rfc9496_multiples_of_the_generator() -> None:
    assert GENERATOR.to_bytes() == MULTIPLES[1]
    assert IDENTITY.to_bytes() == MULTIPLES[0]
    total = IDENTITY
    for k, encoding in enumerate(MULTIPLES):
        assert (Scalar.from_int(k) * GENERATOR).to_bytes() == encoding, k  # fixed base
        assert total.to_bytes() == encoding, k  # repeated addition
        decoded = Point.from_bytes(encoding, allow_identity=True)
        assert decoded == total
        if k >= 1:
            assert Point.from_bytes(encoding) == decoded
            # variable base: k·B as (k·2⁻¹)·(2·B), so the generator shortcut is not taken
            half = Scalar.from_int(k) * Scalar.from_int(2).invert()
            assert (half * Point.from_bytes(MULTIPLES[2])).to_bytes() == encoding
        total = total + GENERATOR


@pytest.mark.parametrize(("reason", "encoding"), INVALID_CASES)
def test_rfc9496_invalid_encodings_are_rejected(reason: str, encoding: str) -> None:
    data = bytes.fromhex(encoding)
    with pytest.raises(InvalidEncoding):
        Point.from_bytes(data)
    with pytest.raises(InvalidEncoding):
        Point.from_bytes(data, allow_identity=True)
    with pytest.raises(InvalidEncoding):
        add_encodings(data, MULTIPLES[1])
    with pytest.raises(InvalidEncoding):
        add_encodings(MULTIPLES[0], data)


def test_rfc9496_invalid_encodings_are_complete() -> None:
    assert len(INVALID_CASES) == 29
    assert len({enc for _, enc in INVALID_CASES}) == 29


@pytest.mark.parametrize(("label", "expected"), RFC9496_DERIVATION)
def test_rfc9496_element_derivation(label: str, expected: str) -> None:
    # hash_to_point's map is libsodium's crypto_core_ristretto255_from_hash over
    # 64 bytes; RFC 9496 A.3 feeds it SHA-512 of each label.
    uniform = hashlib.sha512(label.encode()).digest()
    derived = group_module.sodium.crypto_core_ristretto255_from_hash(uniform)
    assert derived.hex() == expected
    assert Point.from_hex(expected).to_bytes() == derived


# -- decoding: canonical encodings only --------------------------------------------


@pytest.mark.parametrize("k", range(1, 16))
def test_top_bit_alias_is_rejected(k: int) -> None:
    # libsodium 1.0.18 masks bit 255 before decoding, so s + 2²⁵⁵ would be a
    # second encoding of k·B; RFC 9496 §4.3.1 refuses it (s ≥ p), and so do we.
    alias = _top_bit(MULTIPLES[k])
    with pytest.raises(InvalidEncoding):
        Point.from_bytes(alias)
    with pytest.raises(InvalidEncoding):
        Point.from_bytes(alias, allow_identity=True)
    with pytest.raises(InvalidEncoding):
        add_encodings(alias, MULTIPLES[0])
    with pytest.raises(InvalidEncoding):
        add_encodings(MULTIPLES[1], alias)


def test_top_bit_alias_of_the_identity_is_rejected() -> None:
    alias = _top_bit(bytes(32))
    for allow in (False, True):
        with pytest.raises(InvalidEncoding):
            Point.from_bytes(alias, allow_identity=allow)


@pytest.mark.parametrize("k", range(1, 16))
def test_negated_field_element_alias_is_rejected(k: int) -> None:
    # Decoding uses s², so p − s would give the same element; it is odd
    # ("negative") and refused.
    s = int.from_bytes(MULTIPLES[k], "little")
    alias = _le(P - s)
    assert alias[0] & 1
    with pytest.raises(InvalidEncoding):
        Point.from_bytes(alias)


@pytest.mark.parametrize("k", range(0, 16))
def test_field_encodings_at_or_above_p_are_rejected(k: int) -> None:
    # s + p < 2²⁵⁵ for the small s below; s and s + p are the same field element.
    for s in (k, 2 * k):
        if s + P < 2**255:
            with pytest.raises(InvalidEncoding):
                Point.from_bytes(_le(s + P), allow_identity=True)


def test_every_field_encoding_from_p_to_2_255_is_rejected() -> None:
    for value in range(P, 2**255):
        with pytest.raises(InvalidEncoding):
            Point.from_bytes(_le(value), allow_identity=True)


def test_odd_encodings_are_rejected() -> None:
    for s in (1, 3, 5, 2**254 + 1, P - 2):
        with pytest.raises(InvalidEncoding):
            Point.from_bytes(_le(s))


@FAST
@given(st.binary(min_size=32, max_size=32))
def test_accepted_bytes_are_the_unique_encoding(data: bytes) -> None:
    # Any accepted string must be what libsodium's encoder produces for the
    # element: a decoder that accepted an alias would fail here.
    try:
        point = Point.from_bytes(data)
    except InvalidEncoding:
        return
    assert _reencoded(point) == data


@FAST
@given(st.integers(min_value=0, max_value=2**255 - 1).filter(lambda s: s % 2 == 0))
def test_even_field_elements_decode_to_themselves_or_fail(s: int) -> None:
    data = _le(s)
    try:
        point = Point.from_bytes(data)
    except InvalidEncoding:
        return
    assert s < P
    assert _reencoded(point) == data


def test_about_a_quarter_of_even_strings_decode() -> None:
    # ℓ ≈ 2²⁵² elements, each with one encoding among the ≈ 2²⁵⁴ even s < p:
    # a quarter. A decoder that skipped the square or a sign test would accept
    # about twice as many or more. Deterministic sample of 400.
    accepted = 0
    for i in range(400):
        data = hashlib.sha256(i.to_bytes(4, "big")).digest()
        data = bytes([data[0] & 0xFE]) + data[1:31] + bytes([data[31] & 0x7F])
        try:
            Point.from_bytes(data)
            accepted += 1
        except InvalidEncoding:
            pass
    assert 60 <= accepted <= 140


@pytest.mark.parametrize("length", [0, 31, 33, 64])
def test_wrong_lengths_are_rejected(length: int) -> None:
    with pytest.raises(InvalidEncoding):
        Point.from_bytes(bytes(length))
    with pytest.raises(InvalidEncoding):
        Scalar.from_bytes(bytes(length))
    with pytest.raises(InvalidEncoding):
        add_encodings(bytes(length), MULTIPLES[1])


def test_non_bytes_are_rejected() -> None:
    for value in ("00" * 32, None, 5, [0] * 32):
        with pytest.raises(InvalidEncoding):
            Point.from_bytes(value)  # type: ignore[arg-type]
    assert Point.from_bytes(bytearray(MULTIPLES[3])) == Scalar.from_int(3) * GENERATOR


def test_identity_only_where_allowed() -> None:
    encoding = IDENTITY.to_bytes()
    assert encoding == bytes(32)
    with pytest.raises(InvalidEncoding):
        Point.from_bytes(encoding)
    assert Point.from_bytes(encoding, allow_identity=True) is IDENTITY
    assert Point.from_hex("00" * 32, allow_identity=True) is IDENTITY
    with pytest.raises(InvalidEncoding):
        Point.from_hex("00" * 32)
    assert issubclass(InvalidEncoding, ValueError)


def test_edwards25519_encodings_of_the_old_group_are_not_its_elements() -> None:
    # The encodings the ballot group used before (RFC 8032) mean nothing here:
    # the Ed25519 identity 01 00…00 is odd and refused; the Ed25519 base point
    # either is refused or is a different element than the generator.
    with pytest.raises(InvalidEncoding):
        Point.from_bytes(b"\x01" + bytes(31), allow_identity=True)
    ed_base = bytes.fromhex("58" + "66" * 31)
    try:
        assert Point.from_bytes(ed_base) != GENERATOR
    except InvalidEncoding:
        pass


# -- scalars ------------------------------------------------------------------------


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


def test_generator_has_order_l() -> None:
    assert Point.from_bytes(GENERATOR.to_bytes()) == GENERATOR
    assert Scalar.from_int(ORDER - 1) * GENERATOR == -GENERATOR
    assert Scalar.from_int(ORDER - 1) * GENERATOR + GENERATOR == IDENTITY


def test_identity_arithmetic() -> None:
    zero, one = Scalar.from_int(0), Scalar.from_int(1)
    assert zero * GENERATOR == IDENTITY
    assert GENERATOR * zero == IDENTITY
    assert Scalar.from_int(ORDER) * GENERATOR == IDENTITY
    assert one * IDENTITY == IDENTITY
    assert Scalar.from_int(7) * IDENTITY == IDENTITY
    assert GENERATOR - GENERATOR == IDENTITY
    assert IDENTITY + GENERATOR == GENERATOR
    assert GENERATOR + IDENTITY == GENERATOR
    assert IDENTITY - GENERATOR == -GENERATOR
    assert -IDENTITY == IDENTITY
    assert IDENTITY + IDENTITY == IDENTITY
    assert IDENTITY.is_identity()
    assert not GENERATOR.is_identity()
    h = Scalar.from_int(7) * GENERATOR
    assert h + IDENTITY == h
    assert zero * h == IDENTITY
    assert (h - h).is_identity()
    assert (h - h).to_bytes() == bytes(32)


def test_add_encodings_matches_point_addition() -> None:
    p, q = Scalar.from_int(11) * GENERATOR, Scalar.from_int(29) * GENERATOR
    assert add_encodings(p.to_bytes(), q.to_bytes()) == (p + q).to_bytes()
    assert add_encodings(p.to_bytes(), bytes(32)) == p.to_bytes()
    assert add_encodings(bytes(32), bytes(32)) == bytes(32)
    assert add_encodings(p.to_bytes(), (-p).to_bytes()) == bytes(32)
    assert isinstance(add_encodings(bytearray(p.to_bytes()), q.to_bytes()), bytes)


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
    with pytest.raises(TypeError):
        bool(GENERATOR)
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
    if a:
        assert (sa.invert() * sa).to_int() == 1


@FAST
@given(scalars, scalars)
def test_group_homomorphism(a: int, b: int) -> None:
    sa, sb = Scalar.from_int(a), Scalar.from_int(b)
    pa, pb = sa * GENERATOR, sb * GENERATOR
    assert pa + pb == (sa + sb) * GENERATOR
    assert pa - pb == (sa - sb) * GENERATOR
    h = Scalar.from_int(5) * GENERATOR
    assert sa * h + sb * h == (sa + sb) * h
    assert sa * (sb * GENERATOR) == (sa * sb) * GENERATOR
    if not pa.is_identity():
        assert Point.from_bytes(pa.to_bytes()) == pa
        assert _reencoded(pa) == pa.to_bytes()


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


def test_hash_to_point_is_a_valid_element_and_separated() -> None:
    h1 = hash_to_point(b"pnyx/test", b"one")
    h2 = hash_to_point(b"pnyx/test", b"two")
    h3 = hash_to_point(b"pnyx/other", b"one")
    assert len({h1, h2, h3, GENERATOR}) == 4
    for h in (h1, h2, h3):
        assert Point.from_bytes(h.to_bytes()) == h
        assert _reencoded(h) == h.to_bytes()
    assert hash_to_point(b"ab", b"c") != hash_to_point(b"a", b"bc")


def test_hash_to_point_definition() -> None:
    # H_p(dst, m) = RFC 9496 §4.3.4 element derivation of SHA-512(LP(dst) ‖ LP(m)):
    # the documented recipe, with the same map the A.3 vectors check.
    digest = hashlib.sha512(
        (9).to_bytes(4, "big") + b"pnyx/test" + (3).to_bytes(4, "big") + b"one"
    ).digest()
    expected = group_module.sodium.crypto_core_ristretto255_from_hash(digest)
    assert hash_to_point(b"pnyx/test", b"one").to_bytes() == expected


# -- the import-time guard -------------------------------------------------------------


class _FakeSodium:
    def __init__(self, real: Any, *, version_ok: bool, wrong_base: bool) -> None:
        self._real, self._version_ok, self._wrong_base = real, version_ok, wrong_base

    def sodium_version_check(self, major: int, minor: int, patch: int) -> bool:
        return self._version_ok

    def sodium_version_string(self) -> bytes:
        return b"1.0.16"

    def crypto_scalarmult_ristretto255_base(self, n: bytes) -> bytes:
        out: bytes = self._real.crypto_scalarmult_ristretto255_base(n)
        return bytes(32) if self._wrong_base else out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.mark.parametrize(
    ("version_ok", "wrong_base", "message"),
    [(False, False, "libsodium >= 1.0.18"), (True, True, "RFC 9496 test vectors")],
)
def test_import_refuses_a_libsodium_without_ristretto255(
    monkeypatch: pytest.MonkeyPatch, version_ok: bool, wrong_base: bool, message: str
) -> None:
    fake = _FakeSodium(group_module.sodium, version_ok=version_ok, wrong_base=wrong_base)
    monkeypatch.setattr(group_module, "sodium", fake)
    with pytest.raises(ImportError, match=message):
        group_module._require_ristretto255()
    monkeypatch.undo()
    group_module._require_ristretto255()  # the real one passes

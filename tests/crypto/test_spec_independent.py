"""docs/crypto.md, re-implemented independently and checked against tests/vectors.

A third-party verifier in miniature: pure-Python ristretto255 (RFC 9496 §4) over
edwards25519 (RFC 8032 §5.1), no libsodium and no import from `crypto`, written
from the specifications only. It is first checked against RFC 9496 Appendix A,
then used to check our vectors: if the documentation and the code disagree on an
encoding, a transcript item or a verification equation, these tests fail.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).resolve().parents[1] / "vectors"

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, -1, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)

Ext = tuple[int, int, int, int]  # extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z
NEUTRAL: Ext = (0, 1, 1, 0)


def is_negative(x: int) -> bool:
    """RFC 9496 §4: a field element is negative when its canonical encoding is odd."""
    return x % P % 2 == 1


def ct_abs(x: int) -> int:
    return -x % P if is_negative(x) else x % P


def sqrt_ratio_m1(u: int, v: int) -> tuple[bool, int]:
    """RFC 9496 §4.2: (whether u/v is square, the non-negative root of u/v or of i·u/v)."""
    u, v = u % P, v % P
    r = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    check = v * r * r % P
    correct, flipped = check == u, check == -u % P
    flipped_i = check == -u * SQRT_M1 % P
    if flipped or flipped_i:
        r = r * SQRT_M1 % P
    return correct or flipped, ct_abs(r)


# RFC 9496 §4.1 constants, derived from their definitions (a = −1) and checked below;
# §4.1 fixes the negative (odd) square root of a·d − 1 and the non-negative 1/√(a − d).
SQRT_AD_MINUS_ONE = -sqrt_ratio_m1(-D - 1, 1)[1] % P
INVSQRT_A_MINUS_D = sqrt_ratio_m1(1, -1 - D)[1]
ONE_MINUS_D_SQ = (1 - D * D) % P
D_MINUS_ONE_SQ = (D - 1) ** 2 % P


def test_rfc9496_constants() -> None:
    # The published decimal values of §4.1.
    assert D == 37095705934669439343138083508754565189542113879843219016388785533085940283555
    assert SQRT_M1 == (
        19681161376707505956807079304988542015446066515923890162744021073123829784752
    )
    assert SQRT_AD_MINUS_ONE == (
        25063068953384623474111414158702152701244531502492656460079210482610430750235
    )
    assert INVSQRT_A_MINUS_D == (
        54469307008909316920995813868745141605393597292927456921205312896311721017578
    )
    assert ONE_MINUS_D_SQ == (
        1159843021668779879193775521855586647937357759715417654439879720876111806838
    )
    assert D_MINUS_ONE_SQ == (
        40440834346308536858101042469323190826248399146238708352240133220865137265952
    )


def add(p: Ext, q: Ext) -> Ext:
    """RFC 8032 §5.1.4."""
    a = (p[1] - p[0]) * (q[1] - q[0]) % P
    b = (p[1] + p[0]) * (q[1] + q[0]) % P
    c = 2 * D * p[3] * q[3] % P
    d = 2 * p[2] * q[2] % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def neg(p: Ext) -> Ext:
    return (-p[0] % P, p[1], p[2], -p[3] % P)


def mul(k: int, p: Ext) -> Ext:
    result, addend = NEUTRAL, p
    while k:
        if k & 1:
            result = add(result, addend)
        addend = add(addend, addend)
        k >>= 1
    return result


def equal(p: Ext, q: Ext) -> bool:
    """RFC 9496 §4.3.3: equality of ristretto255 elements (not of curve points)."""
    return (p[0] * q[1] - p[1] * q[0]) % P == 0 or (p[1] * q[1] - p[0] * q[0]) % P == 0


def encode(p: Ext) -> bytes:
    """RFC 9496 §4.3.2."""
    x0, y0, z0, t0 = p
    u1 = (z0 + y0) * (z0 - y0) % P
    u2 = x0 * y0 % P
    _, invsqrt = sqrt_ratio_m1(1, u1 * u2 * u2)
    den1, den2 = invsqrt * u1 % P, invsqrt * u2 % P
    z_inv = den1 * den2 * t0 % P
    if is_negative(t0 * z_inv):
        x, y, den_inv = y0 * SQRT_M1 % P, x0 * SQRT_M1 % P, den1 * INVSQRT_A_MINUS_D % P
    else:
        x, y, den_inv = x0, y0, den2
    if is_negative(x * z_inv):
        y = -y % P
    return ct_abs(den_inv * (z0 - y)).to_bytes(32, "little")


def decode(data: bytes) -> Ext | None:
    """RFC 9496 §4.3.1: the element, or None for an invalid encoding (identity included)."""
    if len(data) != 32:
        return None
    s = int.from_bytes(data, "little")
    if s >= P or is_negative(s):
        return None
    ss = s * s % P
    u1, u2 = (1 - ss) % P, (1 + ss) % P
    u2_sqr = u2 * u2 % P
    v = (-(D * u1 * u1) - u2_sqr) % P
    was_square, invsqrt = sqrt_ratio_m1(1, v * u2_sqr)
    den_x = invsqrt * u2 % P
    den_y = invsqrt * den_x * v % P
    x = ct_abs(2 * s * den_x)
    y = u1 * den_y % P
    t = x * y % P
    if not was_square or is_negative(t) or y == 0:
        return None
    return (x, y, 1, t)


def _map(t: int) -> Ext:
    """RFC 9496 §4.3.4, MAP."""
    r = SQRT_M1 * t * t % P
    u = (r + 1) * ONE_MINUS_D_SQ % P
    v = (-1 - r * D) * (r + D) % P
    was_square, s = sqrt_ratio_m1(u, v)
    s_prime = -ct_abs(s * t) % P
    s, c = (s, P - 1) if was_square else (s_prime, r)
    n = (c * (r - 1) * D_MINUS_ONE_SQ - v) % P
    w0, w1 = 2 * s * v % P, n * SQRT_AD_MINUS_ONE % P
    w2, w3 = (1 - s * s) % P, (1 + s * s) % P
    return (w0 * w3 % P, w2 * w1 % P, w1 * w3 % P, w0 * w2 % P)


def derive_element(uniform: bytes) -> Ext:
    """RFC 9496 §4.3.4: 64 uniform bytes to an element (low 255 bits of each half)."""
    assert len(uniform) == 64
    mask = (1 << 255) - 1
    r0 = (int.from_bytes(uniform[:32], "little") & mask) % P
    r1 = (int.from_bytes(uniform[32:], "little") & mask) % P
    return add(_map(r0), _map(r1))


# RFC 9496 Appendix A.1 (B[0] … B[15]), a few of A.2, A.3 — typed in from the RFC.
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
RFC9496_DERIVATION = {
    "Ristretto is traditionally a short shot of espresso coffee": (
        "3066f82a1a747d45120d1740f14358531a8f04bbffe6a819f86dfe50f44a0a46"
    ),
    "by using a finer grind.": ("f8f0c87cf237953c5890aec3998169005dae3eca1fbb04548c635953c817f92a"),
    "and is not a Ristretto as some believe.": (
        "80bd07262511cdde4863f8a7434cef696750681cb9510eea557088f76d9e5065"
    ),
}


def _base() -> Ext:
    """B: the RFC 8032 base point (y = 4/5, x even), whose class is ristretto255's generator."""
    y = 4 * pow(5, -1, P) % P
    ok, x = sqrt_ratio_m1(y * y - 1, D * y * y + 1)
    assert ok
    return (x, y, 1, x * y % P)


B = _base()


def test_rfc9496_appendix_a() -> None:
    point = NEUTRAL
    for k, expected in enumerate(RFC9496_MULTIPLES):
        assert encode(point).hex() == expected, k
        assert encode(mul(k, B)).hex() == expected, k
        decoded = decode(bytes.fromhex(expected))
        assert decoded is not None and equal(decoded, point)
        point = add(point, B)
    for bad in (
        "00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",  # s ≥ p
        "0100000000000000000000000000000000000000000000000000000000000000",  # negative
        "26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371",  # non-square
        "3eb858e78f5a7254d8c9731174a94f76755fd3941c0ac93735c07ba14579630e",  # negative x·y
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # s = −1
        RFC9496_MULTIPLES[1][:62] + "f6",  # B with bit 255 set: s ≥ p
    ):
        assert decode(bytes.fromhex(bad)) is None, bad
    for label, expected in RFC9496_DERIVATION.items():
        uniform = hashlib.sha512(label.encode()).digest()
        assert encode(derive_element(uniform)).hex() == expected
    # equality is of classes: B and B + T (T of order 2, (0, −1)) are one element
    assert equal(B, add(B, (0, P - 1, 1, 0)))
    assert encode(add(B, (0, P - 1, 1, 0))) == encode(B)


def decode_element(data: bytes) -> Ext | None:
    """§2.2: a canonical encoding of an element other than the identity."""
    point = decode(data)
    if point is None or equal(point, NEUTRAL):
        return None
    return point


def scalar(data: bytes) -> int:
    value = int.from_bytes(data, "little")
    assert len(data) == 32 and value < L
    return value


def lp(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


class Transcript:
    """§3.1, keeping the bytes."""

    def __init__(self, protocol: bytes, context: bytes, prover: bytes) -> None:
        self.data = lp(b"pnyx-transcript/v1")
        self.item(b"protocol", protocol).item(b"context", context).item(b"prover", prover)

    def item(self, label: bytes, value: bytes) -> Transcript:
        self.data += lp(label) + lp(value)
        return self

    def copy(self) -> Transcript:
        other = Transcript.__new__(Transcript)
        other.data = self.data
        return other

    def challenge(self, label: bytes) -> int:
        digest = hashlib.sha512(self.data + lp(b"challenge") + lp(label)).digest()
        return int.from_bytes(digest, "little") % L


def verify_range(
    t: Transcript, key: Ext, alpha: Ext, beta: Ext, lower: int, upper: int, proof: bytes
) -> bool:
    """§4.3, steps 0–4."""
    branches = upper - lower + 1
    if equal(key, NEUTRAL) or len(proof) != 64 * branches:
        return False
    t = t.copy().item(b"proof", b"range")
    t.item(b"K", encode(key)).item(b"alpha", encode(alpha)).item(b"beta", encode(beta))
    t.item(b"lower", lower.to_bytes(8, "big")).item(b"upper", upper.to_bytes(8, "big"))
    shifted = add(beta, neg(mul(lower, B)))
    total = 0
    for j in range(branches):
        c, v = scalar(proof[64 * j : 64 * j + 32]), scalar(proof[64 * j + 32 : 64 * j + 64])
        if j:
            shifted = add(shifted, neg(B))
        a = add(mul(v, B), mul(c, alpha))
        b = add(mul(v, key), mul(c, shifted))
        t.item(b"a", encode(a)).item(b"b", encode(b))
        total += c
    return t.challenge(b"c") == total % L


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / f"{name}.json").read_text(encoding="utf-8"))
    return data


def point(text: str) -> Ext:
    decoded = decode_element(bytes.fromhex(text))
    assert decoded is not None
    return decoded


def test_independent_group_encodings() -> None:
    v = load("group")
    for case in v["multiples_of_generator"]:
        assert encode(mul(int.from_bytes(bytes.fromhex(case["scalar"]), "little"), B)) == (
            bytes.fromhex(case["point"])
        )
    for case in v["point_arithmetic"]:
        p, q = point(case["p"]), point(case["q"])
        assert encode(add(p, q)).hex() == case["p_plus_q"]
        assert encode(add(p, neg(q))).hex() == case["p_minus_q"]
    for case in v["invalid_points"]:
        assert decode_element(bytes.fromhex(case["encoding"])) is None, case["reason"]
    for case in v["hash_to_point"]:
        uniform = hashlib.sha512(
            lp(case["dst"].encode()) + lp(bytes.fromhex(case["message"]))
        ).digest()
        assert uniform.hex() == case["uniform_bytes"]
        assert encode(derive_element(uniform)).hex() == case["point"]
    for case in v["hash_to_scalar"]:
        digest = hashlib.sha512(
            lp(case["dst"].encode()) + lp(bytes.fromhex(case["message"]))
        ).digest()
        assert (int.from_bytes(digest, "little") % L).to_bytes(32, "little").hex() == (
            case["scalar"]
        )


def test_independent_transcript() -> None:
    v = load("transcript")
    t = Transcript(v["protocol"].encode(), bytes.fromhex(v["context"]), bytes.fromhex(v["prover"]))
    for entry in v["items"]:
        t.item(entry["label"].encode(), bytes.fromhex(entry["value"]))
    assert hashlib.sha512(t.data).hexdigest() == v["digest"]
    assert (
        t.challenge(v["challenge_label"].encode()).to_bytes(32, "little").hex() == (v["challenge"])
    )


def test_independent_schnorr_and_range_proofs() -> None:
    v = load("proofs")
    context = bytes.fromhex(v["context"])
    s = v["schnorr"]
    x_point = point(s["public"])
    proof = bytes.fromhex(s["proof"])
    c, z = scalar(proof[:32]), scalar(proof[32:])
    r = add(mul(z, B), neg(mul(c, x_point)))
    t = Transcript(s["protocol"].encode(), context, bytes.fromhex(s["prover"]))
    t.item(b"proof", b"schnorr").item(b"X", encode(x_point)).item(b"R", encode(r))
    assert t.challenge(b"c") == c

    rv = v["range"]
    key = point(rv["public_key"])
    base = Transcript(rv["protocol"].encode(), context, bytes.fromhex(rv["prover"]))
    for case in rv["cases"][:2]:
        ct = bytes.fromhex(case["ciphertext"])
        alpha, beta = point(ct[:32].hex()), point(ct[32:].hex())
        proof = bytes.fromhex(case["proof"])
        assert verify_range(base, key, alpha, beta, case["lower"], case["upper"], proof)
        assert not verify_range(base, key, alpha, beta, case["lower"], case["upper"] + 1, proof)


def test_independent_contest_verification() -> None:
    v = load("contest")
    case = v["cases"][0]
    n, limit = case["options"], case["option_limit"]
    key = point(v["public_key"])
    data = bytes.fromhex(case["encrypted"])
    cts = [
        (point(data[64 * i : 64 * i + 32].hex()), point(data[64 * i + 32 : 64 * i + 64].hex()))
        for i in range(n)
    ]
    t = Transcript(b"pnyx/contest/v1", bytes.fromhex(v["context"]), bytes.fromhex(case["prover"]))
    t.item(b"contest", bytes.fromhex(case["contest_id"]))
    for label, value in (
        (b"options", n),
        (b"option-limit", limit),
        (b"minimum", case["minimum"]),
        (b"maximum", case["maximum"]),
    ):
        t.item(label, value.to_bytes(8, "big"))
    for i in range(n):
        t.item(b"ciphertext", data[64 * i : 64 * i + 64])
    size = 64 * (limit + 1)
    offset = 64 * n
    for i, (alpha, beta) in enumerate(cts):
        proof = data[offset + size * i : offset + size * (i + 1)]
        option = t.copy().item(b"option", i.to_bytes(8, "big"))
        assert verify_range(option, key, alpha, beta, 0, limit, proof)
    total_alpha, total_beta = NEUTRAL, NEUTRAL
    for alpha, beta in cts:
        total_alpha, total_beta = add(total_alpha, alpha), add(total_beta, beta)
    sum_proof = data[offset + size * n :]
    sum_t = t.copy().item(b"sum", b"")
    assert verify_range(
        sum_t, key, total_alpha, total_beta, case["minimum"], case["maximum"], sum_proof
    )
    # the same proofs do not verify for another voter
    other = Transcript(b"pnyx/contest/v1", bytes.fromhex(v["context"]), b"someone else")
    assert not verify_range(
        other, key, cts[0][0], cts[0][1], 0, limit, data[offset : offset + size]
    )

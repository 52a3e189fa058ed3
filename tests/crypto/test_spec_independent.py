"""docs/crypto.md, re-implemented independently and checked against tests/vectors.

A third-party verifier in miniature: pure-Python edwards25519 (RFC 8032 §5.1),
no PyNaCl and no import from `crypto`, written from the specification only. If
the documentation and the code disagree on an encoding, a transcript item or a
verification equation, these tests fail.
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
    return (p[0] * q[2] - q[0] * p[2]) % P == 0 and (p[1] * q[2] - q[1] * p[2]) % P == 0


def encode(p: Ext) -> bytes:
    zi = pow(p[2], -1, P)
    x, y = p[0] * zi % P, p[1] * zi % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def decode_any(data: bytes) -> Ext | None:
    """RFC 8032 §5.1.3 decoding (canonical only), no subgroup check."""
    if len(data) != 32:
        return None
    value = int.from_bytes(data, "little")
    y, sign = value & ((1 << 255) - 1), value >> 255
    if y >= P:
        return None
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    if (v * x * x - u) % P != 0:
        x = x * SQRT_M1 % P
        if (v * x * x - u) % P != 0:
            return None
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = P - x
    return (x, y, 1, x * y % P)


def decode(data: bytes) -> Ext | None:
    """§2.2: canonical, on the curve, not of small order, in the subgroup of order ℓ."""
    point = decode_any(data)
    if point is None or equal(mul(8, point), NEUTRAL) or not equal(mul(L, point), NEUTRAL):
        return None
    return point


def _base() -> Ext:
    base = decode_any(bytes.fromhex("58" + "66" * 31))
    assert base is not None
    return base


B = _base()


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
    decoded = decode(bytes.fromhex(text))
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
        assert decode(bytes.fromhex(case["encoding"])) is None, case["reason"]
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

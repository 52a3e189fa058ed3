"""A dishonest prover for the adversarial tests: the honest algorithm of
crypto/proofs/range.py, but for a value outside the range, pretending that
branch `pretend` is the true one. Its proofs must never verify."""

from __future__ import annotations

from crypto.elgamal import Ciphertext
from crypto.group import GENERATOR, Point, Scalar
from crypto.proofs.range import RangeProof
from crypto.transcript import Transcript


def cheat_range_proof(
    public_key: Point,
    ciphertext: Ciphertext,
    value: int,
    nonce: Scalar,
    lower: int,
    upper: int,
    transcript: Transcript,
    pretend: int,
) -> RangeProof:
    branches = upper - lower + 1
    statement = (
        transcript.append(b"proof", b"range")
        .append_point(b"K", public_key)
        .append_point(b"alpha", ciphertext.alpha)
        .append_point(b"beta", ciphertext.beta)
        .append_int(b"lower", lower)
        .append_int(b"upper", upper)
    )
    w = Scalar.random()
    challenges: list[Scalar] = []
    responses: list[Scalar] = []
    shift = Scalar.from_int(value - lower)
    for j in range(branches):
        if j == pretend:
            a, b = w * GENERATOR, w * public_key
            challenges.append(w)
            responses.append(w)
        else:
            c_j, v_j = Scalar.random(), Scalar.random()
            u_j = v_j + c_j * nonce
            a = u_j * GENERATOR
            b = u_j * public_key + (c_j * (shift - Scalar.from_int(j))) * GENERATOR
            challenges.append(c_j)
            responses.append(v_j)
        statement = statement.append_point(b"a", a).append_point(b"b", b)
    c = statement.challenge(b"c")
    for j, c_j in enumerate(challenges):
        if j != pretend:
            c = c - c_j
    challenges[pretend] = c
    responses[pretend] = w - c * nonce
    return RangeProof(tuple(challenges), tuple(responses))

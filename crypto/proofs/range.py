"""Disjunctive (CDS) proof that a ciphertext encrypts one of lower..upper (docs/crypto.md §4.3).

Statement: public key K, ciphertext (α, β), integers lower ≤ upper; the prover
knows r and m ∈ [lower, upper] with α = r·G and β = m·G + r·K. With
R = upper − lower and β* = β − lower·G, it proves the OR over j = 0..R of
"(α, β* − j·G) encrypts 0", i.e. log_G α = log_K (β* − j·G)
(Cramer–Damgård–Schoenmakers, CRYPTO '94). Proof: (c_j, v_j) for j = 0..R,
encoded c_0 ‖ v_0 ‖ c_1 ‖ v_1 ‖ … (64·(R+1) bytes).

    verify:  K ≠ O
             for j = 0..R:   a_j = v_j·G + c_j·α
                             b_j = v_j·K + c_j·(β* − j·G)
             accept iff  c_0 + … + c_R = T(K, α, β, lower, upper, a_0, b_0, …, a_R, b_R)

    prove (real branch t = m − lower, nonce w; simulated j ≠ t with random c_j, v_j):
             a_t = w·G,  b_t = w·K
             a_j = u_j·G,  b_j = u_j·K + e_j·G   with u_j = v_j + c_j·r, e_j = c_j·(t − j)
             c = T(...);  c_t = c − Σ_{j≠t} c_j;  v_t = w − c_t·r

The prover's simulated commitments use its knowledge of r: a_j = v_j·G + c_j·α
= (v_j + c_j·r)·G and b_j = (v_j + c_j·r)·K + c_j·(t − j)·G, which saves two
variable-base multiplications per branch. Whatever m is, the prover does one real
and R simulated branches, so the amount of work does not depend on the vote.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import final

from crypto.elgamal import Ciphertext
from crypto.errors import InvalidEncoding, InvalidProof
from crypto.group import GENERATOR, Point, RandomSource, Scalar
from crypto.transcript import Transcript

__all__ = ["MAX_BRANCHES", "RangeProof", "prove_range", "verify_range"]

#: Upper limit on R + 1: keeps a hostile statement from making verification unbounded.
MAX_BRANCHES = 1024


@final
@dataclass(frozen=True, slots=True)
class RangeProof:
    """Per-branch challenges and responses (c_j, v_j), j = 0..R (§4.3)."""

    challenges: tuple[Scalar, ...]
    responses: tuple[Scalar, ...]

    def __post_init__(self) -> None:
        if len(self.challenges) != len(self.responses) or not self.challenges:
            raise ValueError("a range proof has one challenge and one response per branch")

    @property
    def branches(self) -> int:
        """R + 1."""
        return len(self.challenges)

    def to_bytes(self) -> bytes:
        """c_0 ‖ v_0 ‖ c_1 ‖ v_1 ‖ … ‖ c_R ‖ v_R."""
        return b"".join(
            c.to_bytes() + v.to_bytes()
            for c, v in zip(self.challenges, self.responses, strict=True)
        )

    @classmethod
    def from_bytes(cls, data: bytes, branches: int) -> RangeProof:
        """Decode a proof with `branches` = R + 1 branches; every scalar canonical."""
        if not 1 <= branches <= MAX_BRANCHES or len(data) != 64 * branches:
            raise InvalidEncoding("wrong length for a range proof")
        challenges = tuple(Scalar.from_bytes(data[i : i + 32]) for i in range(0, len(data), 64))
        responses = tuple(Scalar.from_bytes(data[i + 32 : i + 64]) for i in range(0, len(data), 64))
        return cls(challenges, responses)


def _statement(
    transcript: Transcript, public_key: Point, ciphertext: Ciphertext, lower: int, upper: int
) -> Transcript:
    return transcript.extend(
        (
            (b"proof", b"range"),
            (b"K", public_key.to_bytes()),
            (b"alpha", ciphertext.alpha.to_bytes()),
            (b"beta", ciphertext.beta.to_bytes()),
            (b"lower", lower.to_bytes(8, "big")),
            (b"upper", upper.to_bytes(8, "big")),
        )
    )


def _check_bounds(lower: int, upper: int) -> None:
    if not 0 <= lower <= upper < 2**64 or upper - lower + 1 > MAX_BRANCHES:
        raise ValueError(f"need 0 ≤ lower ≤ upper and at most {MAX_BRANCHES} branches")


def _shifted_beta(ciphertext: Ciphertext, lower: int) -> Point:
    if lower == 0:
        return ciphertext.beta
    return ciphertext.beta - Scalar.from_int(lower) * GENERATOR


def prove_range(
    public_key: Point,
    ciphertext: Ciphertext,
    value: int,
    nonce: Scalar,
    lower: int,
    upper: int,
    transcript: Transcript,
    rng: RandomSource = os.urandom,
) -> RangeProof:
    """Prove that `ciphertext` = Enc_K(value; nonce) with lower ≤ value ≤ upper (§4.3).

    The caller guarantees the ciphertext; the proof would not verify otherwise.
    """
    _check_bounds(lower, upper)
    if not lower <= value <= upper:
        raise ValueError("the value is outside the range it is to be proven in")
    branches = upper - lower + 1
    real = value - lower
    statement = _statement(transcript, public_key, ciphertext, lower, upper)
    witness = nonce.to_bytes() + value.to_bytes(8, "big")
    randomness = statement.nonces(2 * branches - 1, witness, rng)
    w = randomness[0]
    challenges: list[Scalar] = []
    responses: list[Scalar] = []
    commitments: list[tuple[bytes, bytes]] = []
    for j in range(branches):
        if j == real:
            a, b = w * GENERATOR, w * public_key
            challenges.append(w)  # placeholder until the challenge is known
            responses.append(w)
        else:
            index = 1 + 2 * (j if j < real else j - 1)
            c_j, v_j = randomness[index], randomness[index + 1]
            u_j = v_j + c_j * nonce
            e_j = c_j * Scalar.from_int(real - j)
            a, b = u_j * GENERATOR, u_j * public_key + e_j * GENERATOR
            challenges.append(c_j)
            responses.append(v_j)
        commitments += ((b"a", a.to_bytes()), (b"b", b.to_bytes()))
    challenge = statement.extend(commitments).challenge(b"c")
    c_real = challenge
    for j, c_j in enumerate(challenges):
        if j != real:
            c_real = c_real - c_j
    challenges[real] = c_real
    responses[real] = w - c_real * nonce
    return RangeProof(tuple(challenges), tuple(responses))


def verify_range(
    public_key: Point,
    ciphertext: Ciphertext,
    lower: int,
    upper: int,
    proof: RangeProof,
    transcript: Transcript,
) -> None:
    """Accept or raise `InvalidProof` (§4.3, steps 0–4)."""
    _check_bounds(lower, upper)
    if public_key.is_identity():
        raise InvalidProof("the public key is the identity")
    branches = upper - lower + 1
    if proof.branches != branches:  # step 1
        raise InvalidProof("the proof has the wrong number of branches")
    alpha = ciphertext.alpha
    shifted = _shifted_beta(ciphertext, lower)  # step 2: β* = β − lower·G
    commitments: list[tuple[bytes, bytes]] = []
    total: Scalar | None = None
    for j in range(branches):  # step 3
        c_j, v_j = proof.challenges[j], proof.responses[j]
        if j > 0:
            shifted = shifted - GENERATOR  # β* − j·G
        a = v_j * GENERATOR + c_j * alpha
        b = v_j * public_key + c_j * shifted
        commitments += ((b"a", a.to_bytes()), (b"b", b.to_bytes()))
        total = c_j if total is None else total + c_j
    statement = _statement(transcript, public_key, ciphertext, lower, upper)
    if total is None or statement.extend(commitments).challenge(b"c") != total:  # step 4
        raise InvalidProof("range proof does not verify")

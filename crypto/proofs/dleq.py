"""Chaum–Pedersen proof of equality of discrete logarithms, DLEQ (docs/crypto.md §4.2).

Statement: H₁ = x·G₁ and H₂ = x·G₂ for the same x. Proof (c, z), 64 bytes.

    prove:   k ← nonce;  A₁ = k·G₁;  A₂ = k·G₂;  c = T(G₁, H₁, G₂, H₂, A₁, A₂);  z = k + c·x
    verify:  A₁' = z·G₁ − c·H₁;  A₂' = z·G₂ − c·H₂;  accept iff c = T(G₁, H₁, G₂, H₂, A₁', A₂')

T is the caller's transcript extended by item("proof", "dleq") and one item
per point, labels "G1" "H1" "G2" "H2" "A1" "A2", then challenge("c").
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import ClassVar, final

from crypto.errors import InvalidEncoding, InvalidProof
from crypto.group import Point, RandomSource, Scalar
from crypto.transcript import Transcript

__all__ = ["DleqProof", "prove_dleq", "verify_dleq"]


@final
@dataclass(frozen=True, slots=True)
class DleqProof:
    """(c, z), encoded as c ‖ z (64 bytes)."""

    challenge: Scalar
    response: Scalar

    ENCODED_LENGTH: ClassVar[int] = 64

    def to_bytes(self) -> bytes:
        """c ‖ z."""
        return self.challenge.to_bytes() + self.response.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> DleqProof:
        """Decode c ‖ z; each must be a canonical scalar."""
        if len(data) != cls.ENCODED_LENGTH:
            raise InvalidEncoding("a DLEQ proof is exactly 64 bytes")
        return cls(Scalar.from_bytes(data[:32]), Scalar.from_bytes(data[32:]))


def _statement(transcript: Transcript, g1: Point, h1: Point, g2: Point, h2: Point) -> Transcript:
    return (
        transcript.append(b"proof", b"dleq")
        .append_point(b"G1", g1)
        .append_point(b"H1", h1)
        .append_point(b"G2", g2)
        .append_point(b"H2", h2)
    )


def prove_dleq(
    secret: Scalar,
    g1: Point,
    g2: Point,
    transcript: Transcript,
    rng: RandomSource = os.urandom,
) -> tuple[Point, Point, DleqProof]:
    """Prove log_G₁ H₁ = log_G₂ H₂ = x; returns (H₁, H₂, proof) (§4.2)."""
    h1, h2 = secret * g1, secret * g2
    statement = _statement(transcript, g1, h1, g2, h2)
    (nonce,) = statement.nonces(1, secret.to_bytes(), rng)
    a1, a2 = nonce * g1, nonce * g2
    challenge = statement.append_point(b"A1", a1).append_point(b"A2", a2).challenge(b"c")
    return h1, h2, DleqProof(challenge, nonce + challenge * secret)


def verify_dleq(
    g1: Point, h1: Point, g2: Point, h2: Point, proof: DleqProof, transcript: Transcript
) -> None:
    """Accept or raise `InvalidProof` (§4.2, steps 1–3)."""
    if g1.is_identity() or g2.is_identity():
        raise InvalidProof("a DLEQ base is the identity")
    a1 = proof.response * g1 - proof.challenge * h1  # step 1
    a2 = proof.response * g2 - proof.challenge * h2  # step 2
    statement = _statement(transcript, g1, h1, g2, h2)
    expected = statement.append_point(b"A1", a1).append_point(b"A2", a2).challenge(b"c")
    if expected != proof.challenge:  # step 3
        raise InvalidProof("DLEQ proof does not verify")

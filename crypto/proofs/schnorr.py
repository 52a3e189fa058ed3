"""Schnorr proof of knowledge of a discrete logarithm (docs/crypto.md §4.1).

Statement: X = x·G, X ≠ O. Proof (c, z), 64 bytes c ‖ z.

    prove:   k ← nonce;  R = k·G;  c = T(X, R);  z = k + c·x
    verify:  R' = z·G − c·X;  accept iff c = T(X, R')

where T is the caller's transcript extended by
item("proof", "schnorr") ‖ item("X", X) ‖ item("R", R), then challenge("c").
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import ClassVar, final

from crypto.errors import InvalidEncoding, InvalidProof
from crypto.group import GENERATOR, Point, RandomSource, Scalar
from crypto.transcript import Transcript

__all__ = ["SchnorrProof", "prove_knowledge", "verify_knowledge"]


@final
@dataclass(frozen=True, slots=True)
class SchnorrProof:
    """(c, z), encoded as c ‖ z (64 bytes)."""

    challenge: Scalar
    response: Scalar

    ENCODED_LENGTH: ClassVar[int] = 64

    def to_bytes(self) -> bytes:
        """c ‖ z."""
        return self.challenge.to_bytes() + self.response.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> SchnorrProof:
        """Decode c ‖ z; each must be a canonical scalar."""
        if len(data) != cls.ENCODED_LENGTH:
            raise InvalidEncoding("a Schnorr proof is exactly 64 bytes")
        return cls(Scalar.from_bytes(data[:32]), Scalar.from_bytes(data[32:]))


def _challenge(transcript: Transcript, public: Point, commitment: Point) -> Scalar:
    return (
        transcript.append(b"proof", b"schnorr")
        .append_point(b"X", public)
        .append_point(b"R", commitment)
        .challenge(b"c")
    )


def prove_knowledge(
    secret: Scalar, transcript: Transcript, rng: RandomSource = os.urandom
) -> tuple[Point, SchnorrProof]:
    """Prove knowledge of x for X = x·G; returns (X, proof) (§4.1)."""
    public = secret * GENERATOR
    (nonce,) = transcript.append_point(b"X", public).nonces(1, secret.to_bytes(), rng)
    commitment = nonce * GENERATOR
    challenge = _challenge(transcript, public, commitment)
    return public, SchnorrProof(challenge, nonce + challenge * secret)


def verify_knowledge(public: Point, proof: SchnorrProof, transcript: Transcript) -> None:
    """Accept or raise `InvalidProof` (§4.1, steps 1–2)."""
    if public.is_identity():
        raise InvalidProof("the statement X is the identity")
    commitment = proof.response * GENERATOR - proof.challenge * public  # step 1
    if _challenge(transcript, public, commitment) != proof.challenge:  # step 2
        raise InvalidProof("Schnorr proof does not verify")

"""Proofs of correct decryption (docs/crypto.md §4.4).

A decryption share of a ciphertext (α, β) under a key K = x·G is D = x·α,
proven with DLEQ(G, K, α, D) (§4.2) after item("proof", "decryption-share").
A trustee's share uses its verification key K_i (§5.4); a single-key
decryption uses the election key, and a published plaintext m is checked by
D = β − m·G.
"""

from __future__ import annotations

import os

from crypto.elgamal import Ciphertext
from crypto.errors import InvalidProof
from crypto.group import GENERATOR, Point, RandomSource, Scalar
from crypto.proofs.dleq import DleqProof, prove_dleq, verify_dleq
from crypto.transcript import Transcript

__all__ = [
    "prove_decryption_share",
    "verify_decryption",
    "verify_decryption_share",
]


def _bind(transcript: Transcript, ciphertext: Ciphertext) -> Transcript:
    return (
        transcript.append(b"proof", b"decryption-share")
        .append_point(b"alpha", ciphertext.alpha)
        .append_point(b"beta", ciphertext.beta)
    )


def prove_decryption_share(
    secret: Scalar,
    ciphertext: Ciphertext,
    transcript: Transcript,
    rng: RandomSource = os.urandom,
) -> tuple[Point, DleqProof]:
    """D = x·α with a DLEQ proof that log_G K = log_α D; returns (D, proof) (§4.4)."""
    _, share, proof = prove_dleq(
        secret, GENERATOR, ciphertext.alpha, _bind(transcript, ciphertext), rng
    )
    return share, proof


def verify_decryption_share(
    public: Point,
    ciphertext: Ciphertext,
    share: Point,
    proof: DleqProof,
    transcript: Transcript,
) -> None:
    """Accept D as x·α for the x behind `public`, or raise `InvalidProof` (§4.4)."""
    if ciphertext.alpha.is_identity():
        raise InvalidProof("cannot prove a decryption of a ciphertext with α = O")
    verify_dleq(GENERATOR, public, ciphertext.alpha, share, proof, _bind(transcript, ciphertext))


def verify_decryption(
    public: Point,
    ciphertext: Ciphertext,
    plaintext: int,
    proof: DleqProof,
    transcript: Transcript,
) -> None:
    """Accept that `ciphertext` decrypts to `plaintext` under `public` (§4.4)."""
    if not 0 <= plaintext < 2**64:
        raise InvalidProof("plaintext out of range")
    share = ciphertext.beta - Scalar.from_int(plaintext) * GENERATOR
    verify_decryption_share(public, ciphertext, share, proof, transcript)

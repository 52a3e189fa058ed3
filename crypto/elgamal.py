"""Exponential ElGamal over the ballot group (docs/crypto.md §3.2).

    key pair      x ← random,  K = x·G
    Enc_K(m; r) = (α, β) = (r·G, m·G + r·K)
    (α, β) + (α', β') = (α + α', β + β')        encrypts m + m' under nonce r + r'
    Dec_x(α, β) = β − x·α = m·G                 then m by `crypto.dlog`

A released nonce r lets anyone check that a ciphertext encrypts a claimed m
(the Benaloh challenge of a spoiled ballot): `verify_nonce`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar, final

from crypto.errors import InvalidEncoding
from crypto.group import GENERATOR, IDENTITY, Point, RandomSource, Scalar

__all__ = [
    "Ciphertext",
    "KeyPair",
    "decrypt_to_point",
    "encrypt",
    "encrypt_point",
    "generate_keypair",
    "sum_ciphertexts",
    "verify_nonce",
]


@final
@dataclass(frozen=True, slots=True)
class KeyPair:
    """An ElGamal key pair: secret x and public K = x·G. The repr hides x."""

    secret: Scalar
    public: Point


def generate_keypair(rng: RandomSource = os.urandom) -> KeyPair:
    """x ← random non-zero scalar, K = x·G (§3.2)."""
    secret = Scalar.random(rng)
    return KeyPair(secret=secret, public=secret * GENERATOR)


@final
@dataclass(frozen=True, slots=True)
class Ciphertext:
    """An exponential ElGamal ciphertext (α, β), encoded as α ‖ β, 64 bytes (§3.2)."""

    alpha: Point
    beta: Point

    ENCODED_LENGTH: ClassVar[int] = 64

    @classmethod
    def zero(cls) -> Ciphertext:
        """(O, O): the neutral element of homomorphic addition (the empty tally)."""
        return cls(IDENTITY, IDENTITY)

    @classmethod
    def from_bytes(cls, data: bytes) -> Ciphertext:
        """Decode α ‖ β; both must be valid non-identity points (§2.2)."""
        if len(data) != 64:
            raise InvalidEncoding("a ciphertext is exactly 64 bytes")
        return cls(Point.from_bytes(data[:32]), Point.from_bytes(data[32:]))

    def to_bytes(self) -> bytes:
        """α ‖ β (canonical point encodings)."""
        return self.alpha.to_bytes() + self.beta.to_bytes()

    def __add__(self, other: Ciphertext) -> Ciphertext:
        if not isinstance(other, Ciphertext):
            return NotImplemented
        return Ciphertext(self.alpha + other.alpha, self.beta + other.beta)


def encrypt_point(public_key: Point, message: Point, nonce: Scalar) -> Ciphertext:
    """(r·G, M + r·K) for a plaintext already mapped to the point M = m·G.

    The contest encryptor uses it with M taken from the table (O, G), so that
    the work does not depend on whether the selection is 0 or 1 (§6).
    """
    return Ciphertext(nonce * GENERATOR, message + nonce * public_key)


def encrypt(
    public_key: Point, message: int, rng: RandomSource = os.urandom
) -> tuple[Ciphertext, Scalar]:
    """Enc_K(m; r) with a fresh nonce r; returns the ciphertext and r (§3.2).

    Keep r secret unless the ballot is spoiled for a Benaloh challenge.
    """
    if not 0 <= message < 2**64:
        raise ValueError("plaintexts are integers in [0, 2**64)")
    nonce = Scalar.random(rng)
    return encrypt_point(public_key, Scalar.from_int(message) * GENERATOR, nonce), nonce


def verify_nonce(public_key: Point, ciphertext: Ciphertext, message: int, nonce: Scalar) -> bool:
    """Whether `ciphertext` = Enc_K(message; nonce): the re-encryption check (§3.2)."""
    if not 0 <= message < 2**64:
        return False
    expected = encrypt_point(public_key, Scalar.from_int(message) * GENERATOR, nonce)
    return expected == ciphertext


def sum_ciphertexts(ciphertexts: Iterable[Ciphertext]) -> Ciphertext:
    """The homomorphic sum Σ (α_i, β_i); (O, O) for no ciphertexts (§3.2)."""
    total: Ciphertext | None = None
    for ciphertext in ciphertexts:
        total = ciphertext if total is None else total + ciphertext
    return Ciphertext.zero() if total is None else total


def decrypt_to_point(secret_key: Scalar, ciphertext: Ciphertext) -> Point:
    """M = β − x·α = m·G (§3.2); recover m with `crypto.dlog.discrete_log`."""
    return ciphertext.beta - secret_key * ciphertext.alpha

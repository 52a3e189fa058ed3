"""The Fiat–Shamir transcript (docs/crypto.md §3.1).

One type for every non-interactive proof of the package, in the manner of
merlin (dalek-cryptography) but with a plain hash so that it is easy to
re-implement: the transcript is a byte string of labelled, length-prefixed
items, and a challenge is SHA-512 of that string reduced modulo ℓ.

    item(label, value) = LP(label) ‖ LP(value)        LP(x) = u32_be(len x) ‖ x
    start(protocol, context, prover) =
        LP("pnyx-transcript/v1") ‖ item("protocol", protocol)
                                 ‖ item("context", context) ‖ item("prover", prover)
    challenge(label) = SHA-512(data ‖ item("challenge", label)) mod ℓ  (little-endian)

Every transcript starts with the protocol's name, the 32-byte context hash (the
election's or the credential's) and the prover's identity (a voter's pseudonym,
a trustee's index; empty where the protocol has none), so that a proof verifies
in no other protocol, no other context and for no other prover. The proofs then
append every public value of their statement before their commitments.

The type is immutable: `append` returns a new transcript, so a caller can bind a
prefix once (context, prover, contest) and fork it for each proof.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable
from typing import Final, final

from crypto.group import Point, RandomSource, Scalar, length_prefixed

__all__ = ["CONTEXT_LENGTH", "Transcript"]

#: Length of the context hash (SHA-256 of the election manifest, of a credential schema…).
CONTEXT_LENGTH: Final = 32
_VERSION: Final = b"pnyx-transcript/v1"
_NONCE_TAG: Final = b"pnyx-nonce/v1"
_U32: Final = struct.Struct(">I")
_MAX_ITEM: Final = 2**32 - 1
_PREFIX: Final = length_prefixed(_VERSION)
_CHALLENGE_LABEL: Final = length_prefixed(b"challenge")


@final
class Transcript:
    """An append-only, immutable Fiat–Shamir transcript (§3.1).

    It keeps a SHA-512 state over `data` (never the bytes themselves): `append`
    copies the state and absorbs one item, so forking a transcript is cheap.
    """

    __slots__ = ("_state",)
    _state: hashlib._Hash

    def __init__(self, state: hashlib._Hash) -> None:
        object.__setattr__(self, "_state", state)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Transcript is immutable")

    @classmethod
    def start(cls, protocol: bytes, *, context: bytes, prover: bytes) -> Transcript:
        """Open a transcript for `protocol`, bound to `context` and `prover` (§3.1)."""
        if len(context) != CONTEXT_LENGTH:
            raise ValueError("the context is a 32-byte hash")
        if not protocol:
            raise ValueError("the protocol name must not be empty")
        return cls(hashlib.sha512(_PREFIX)).extend(
            ((b"protocol", protocol), (b"context", context), (b"prover", prover))
        )

    def append(self, label: bytes, value: bytes) -> Transcript:
        """Absorb `item(label, value)` = LP(label) ‖ LP(value)."""
        return self.extend(((label, value),))

    def extend(self, items: Iterable[tuple[bytes, bytes]]) -> Transcript:
        """Absorb item(label, value) for each pair in order (one state copy)."""
        state = self._state.copy()
        pack = _U32.pack
        for label, value in items:
            if len(label) > _MAX_ITEM or len(value) > _MAX_ITEM:
                raise ValueError("transcript item too long")
            state.update(pack(len(label)) + label + pack(len(value)) + value)
        return Transcript(state)

    def append_point(self, label: bytes, point: Point) -> Transcript:
        """Absorb a point's canonical 32-byte encoding."""
        return self.append(label, point.to_bytes())

    def append_scalar(self, label: bytes, scalar: Scalar) -> Transcript:
        """Absorb a scalar's canonical 32-byte encoding."""
        return self.append(label, scalar.to_bytes())

    def append_int(self, label: bytes, value: int) -> Transcript:
        """Absorb a non-negative integer below 2⁶⁴ as 8 big-endian bytes."""
        if not 0 <= value < 2**64:
            raise ValueError("transcript integers are in [0, 2**64)")
        return self.append(label, value.to_bytes(8, "big"))

    def digest(self) -> bytes:
        """SHA-512(data): the transcript so far, as 64 bytes (for nonces and tests)."""
        return self._state.copy().digest()

    def challenge(self, label: bytes = b"challenge") -> Scalar:
        """c = SHA-512(data ‖ item("challenge", label)) mod ℓ, little-endian (§3.1)."""
        state = self._state.copy()
        state.update(_CHALLENGE_LABEL + _U32.pack(len(label)) + label)
        # A challenge is public: reducing it with Python integers is safe and cheaper.
        return Scalar.from_int(int.from_bytes(state.digest(), "little"))

    def nonces(self, count: int, witness: bytes, rng: RandomSource) -> tuple[Scalar, ...]:
        """`count` hedged prover nonces (§3.1, "Nonces").

        k_i = SHA-512(LP("pnyx-nonce/v1") ‖ LP(SHA-512(data)) ‖ LP(witness) ‖ LP(ρ)
                      ‖ u32_be(i)) mod ℓ
        with ρ = rng(32): a nonce stays unpredictable if either the random
        source or the witness is secret, and differs between statements. The
        verifier never recomputes nonces; fixing ρ reproduces the test vectors.
        """
        seed = rng(32)
        if len(seed) != 32:
            raise ValueError("the random source returned the wrong number of bytes")
        state = hashlib.sha512(
            length_prefixed(_NONCE_TAG)
            + length_prefixed(self.digest())
            + length_prefixed(witness)
            + length_prefixed(seed)
        )
        out = []
        for i in range(count):
            branch = state.copy()
            branch.update(i.to_bytes(4, "big"))
            out.append(Scalar.reduce_wide(branch.digest()))
        return tuple(out)

    def __repr__(self) -> str:
        return f"Transcript({self.digest()[:8].hex()}…)"

"""The exceptions of the `crypto` package: one type per kind of failure.

Modelled on pyca/cryptography (`InvalidSignature`): callers catch the failure
they can handle and nothing else. Every type subclasses `ValueError`, because
each one means "these input bytes or values are not acceptable" (docs/crypto.md §1).
Messages never contain secret values.
"""

from __future__ import annotations


class InvalidEncoding(ValueError):
    """Bytes that do not decode to a group element or scalar (docs/crypto.md §2).

    Raised for a wrong length, a non-canonical value (a field element ≥ p or
    negative, bit 255 set, s ≥ ℓ), bytes that are not a ristretto255 encoding
    (RFC 9496 §4.3.1), or the identity where the format forbids it.
    """


class InvalidProof(ValueError):
    """A zero-knowledge proof that does not verify for the given statement (§4)."""


class DiscreteLogOutOfRange(ValueError):
    """The discrete logarithm sought is above the declared bound (§3.4)."""


class ThresholdError(ValueError):
    """A threshold ceremony or decryption step that cannot proceed (§5).

    For example: fewer than k valid partial decryptions, a duplicate or zero
    trustee index, a reveal that does not match its commitment.
    """

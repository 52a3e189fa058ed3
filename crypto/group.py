"""The ballot group: the prime-order subgroup of edwards25519 (docs/crypto.md §2).

Elements are `Point`, exponents are `Scalar`; both are immutable value types over
their canonical 32-byte encodings (RFC 8032 §5.1.2 for points, little-endian
integers below ℓ for scalars). All arithmetic goes through libsodium via PyNaCl's
low-level bindings (`crypto_core_ed25519_*`, `crypto_scalarmult_ed25519_*noclamp`).

Decoding is validation (docs/crypto.md §2.2): `Point.from_bytes` is the only way
bytes become a `Point`, and it accepts only canonical encodings of points on the
curve, in the subgroup of order ℓ, not of small order. Every other `Point` is
the result of group operations on validated points, so it lies in the subgroup
as well and is never validated again.

The identity. libsodium's scalar multiplication refuses a zero scalar, an
identity result and small-order inputs, yet the identity is a legitimate value
inside computations (g⁰, the empty tally, an encryption of 0 minus its
plaintext). `Point` therefore carries the identity as its canonical encoding
`01 00…00` and handles it before calling libsodium: k·O = O, 0·P = O, and
`crypto_core_ed25519_add/sub` accept and return it natively. From outside, the
identity is refused unless the caller passes `allow_identity=True`; no format of
this package (ciphertexts, keys, commitments, proofs) does so (§2.2).

Secrets: scalar equality uses `hmac.compare_digest`; scalar arithmetic uses
libsodium's constant-time `crypto_core_ed25519_scalar_*`; reprs never show a
value. Python itself is not constant-time, so the callers keep the sequence of
operations independent of secrets where it matters (docs/crypto.md §6).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Callable
from typing import Final, final, overload

import nacl.bindings as sodium
import nacl.exceptions

from crypto.errors import InvalidEncoding

__all__ = [
    "FIELD_PRIME",
    "GENERATOR",
    "IDENTITY",
    "ORDER",
    "Point",
    "RandomSource",
    "Scalar",
    "hash_to_point",
    "hash_to_scalar",
    "length_prefixed",
]

#: ℓ, the order of the prime-order subgroup (RFC 7748 §4.1, RFC 8032 §5.1).
ORDER: Final = 2**252 + 27742317777372353535851937790883648493
#: p, the prime of the base field.
FIELD_PRIME: Final = 2**255 - 19

#: A source of uniformly random bytes: `rng(n)` returns n bytes (default `os.urandom`).
RandomSource = Callable[[int], bytes]

_ENCODING_LENGTH: Final = 32
_ZERO_BYTES: Final = bytes(32)
_IDENTITY_BYTES: Final = b"\x01" + bytes(31)
_GENERATOR_BYTES: Final = bytes.fromhex(
    "5866666666666666666666666666666666666666666666666666666666666666"
)
_HEX64: Final = re.compile(r"[0-9a-f]{64}")
_PRIVATE: Final = object()  # gate for the constructors: decoding is validation


def length_prefixed(data: bytes) -> bytes:
    """Return `len(data)` as 4 big-endian bytes followed by `data` (docs/crypto.md §1).

    The one framing rule of the package: used by the transcript (§3.1) and by
    the hash functions below, so that no two sequences of inputs collide.
    """
    if len(data) >= 2**32:
        raise ValueError("value too long for a 4-byte length prefix")
    return len(data).to_bytes(4, "big") + data


def _hex32(text: str) -> bytes:
    if not isinstance(text, str) or _HEX64.fullmatch(text) is None:
        raise InvalidEncoding("expected 64 lowercase hex digits")
    return bytes.fromhex(text)


@final
class Scalar:
    """An integer modulo ℓ, encoded as 32 little-endian bytes below ℓ (§2.1).

    Construct with `from_bytes` (validating), `from_int`, `random`,
    `hash_to_scalar` or `reduce_wide`; combine with `+ - *`, `-s`, `invert()`.
    """

    __slots__ = ("_b",)
    _b: bytes

    def __init__(self, canonical: bytes, token: object) -> None:
        if token is not _PRIVATE:
            raise TypeError("use Scalar.from_bytes, Scalar.from_int or Scalar.random")
        object.__setattr__(self, "_b", canonical)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Scalar is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Scalar is immutable")

    # -- construction -------------------------------------------------------

    @classmethod
    def from_bytes(cls, data: bytes) -> Scalar:
        """Decode 32 little-endian bytes; reject values ≥ ℓ (§2.1).

        The canonicity test reduces the value with libsodium and compares in
        constant time, so decoding a secret share leaks nothing about it.
        """
        if not isinstance(data, bytes | bytearray) or len(data) != _ENCODING_LENGTH:
            raise InvalidEncoding("a scalar is exactly 32 bytes")
        data = bytes(data)
        reduced = sodium.crypto_core_ed25519_scalar_reduce(data + _ZERO_BYTES)
        if not hmac.compare_digest(reduced, data):
            raise InvalidEncoding("scalar is not canonical (value ≥ ℓ)")
        return cls(data, _PRIVATE)

    @classmethod
    def from_hex(cls, text: str) -> Scalar:
        """Decode 64 lowercase hex digits, then as `from_bytes`."""
        return cls.from_bytes(_hex32(text))

    @classmethod
    def from_int(cls, value: int) -> Scalar:
        """The scalar `value mod ℓ` (for public integers: indices, votes, bounds)."""
        return cls((value % ORDER).to_bytes(32, "little"), _PRIVATE)

    @classmethod
    def reduce_wide(cls, data: bytes) -> Scalar:
        """Reduce 64 little-endian bytes modulo ℓ (the wide reduction of §2.3)."""
        if len(data) != 64:
            raise ValueError("wide reduction takes exactly 64 bytes")
        return cls(sodium.crypto_core_ed25519_scalar_reduce(bytes(data)), _PRIVATE)

    @classmethod
    def random(cls, rng: RandomSource = os.urandom) -> Scalar:
        """A uniformly random non-zero scalar: 64 bytes from `rng`, reduced (§2.3)."""
        while True:
            s = cls.reduce_wide(rng(64))
            if not s.is_zero():
                return s

    # -- encoding -----------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The canonical 32-byte little-endian encoding."""
        return self._b

    def hex(self) -> str:
        """The canonical encoding as 64 lowercase hex digits."""
        return self._b.hex()

    def to_int(self) -> int:
        """The integer in [0, ℓ) (for public scalars only: it is not constant-time)."""
        return int.from_bytes(self._b, "little")

    # -- arithmetic (libsodium, constant-time) -------------------------------

    def is_zero(self) -> bool:
        """Whether this is 0, compared in constant time."""
        return hmac.compare_digest(self._b, _ZERO_BYTES)

    def __add__(self, other: Scalar) -> Scalar:
        if not isinstance(other, Scalar):
            return NotImplemented
        return Scalar(sodium.crypto_core_ed25519_scalar_add(self._b, other._b), _PRIVATE)

    def __sub__(self, other: Scalar) -> Scalar:
        if not isinstance(other, Scalar):
            return NotImplemented
        return Scalar(sodium.crypto_core_ed25519_scalar_sub(self._b, other._b), _PRIVATE)

    @overload
    def __mul__(self, other: Scalar) -> Scalar: ...

    @overload
    def __mul__(self, other: Point) -> Point: ...

    def __mul__(self, other: Scalar | Point) -> Scalar | Point:
        """s·t modulo ℓ, or the point s·P (without a detour through Point.__rmul__)."""
        if isinstance(other, Scalar):
            return Scalar(sodium.crypto_core_ed25519_scalar_mul(self._b, other._b), _PRIVATE)
        if isinstance(other, Point):
            return other * self
        return NotImplemented

    def __neg__(self) -> Scalar:
        return Scalar(sodium.crypto_core_ed25519_scalar_negate(self._b), _PRIVATE)

    def invert(self) -> Scalar:
        """The multiplicative inverse modulo ℓ; 0 has none."""
        if self.is_zero():
            raise ZeroDivisionError("0 has no inverse modulo ℓ")
        return Scalar(sodium.crypto_core_ed25519_scalar_invert(self._b), _PRIVATE)

    # -- value semantics ------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scalar):
            return NotImplemented
        return hmac.compare_digest(self._b, other._b)

    def __hash__(self) -> int:
        return hash((Scalar, self._b))

    def __repr__(self) -> str:
        return "Scalar(<hidden>)"

    def __bool__(self) -> bool:
        raise TypeError("a Scalar has no truth value; use is_zero()")


@final
class Point:
    """An element of the prime-order subgroup of edwards25519 (§2.2).

    Held as its canonical 32-byte encoding; the identity as `01 00…00`.
    """

    __slots__ = ("_b",)
    _b: bytes

    def __init__(self, canonical: bytes, token: object) -> None:
        if token is not _PRIVATE:
            raise TypeError("use Point.from_bytes: decoding is validation")
        object.__setattr__(self, "_b", canonical)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Point is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Point is immutable")

    # -- construction -------------------------------------------------------

    @classmethod
    def from_bytes(cls, data: bytes, *, allow_identity: bool = False) -> Point:
        """Decode and validate a point (docs/crypto.md §2.2).

        Accepts exactly 32 bytes that are the canonical encoding (y < p, no
        "negative zero" x) of a point on edwards25519 that lies in the subgroup
        of order ℓ and is not of small order (libsodium
        `crypto_core_ed25519_is_valid_point`, fixed for CVE-2025-69277 in the
        libsodium that PyNaCl 1.6.2 bundles). The identity `01 00…00` is
        refused unless `allow_identity` is set; no format of this package sets it.
        """
        if not isinstance(data, bytes | bytearray) or len(data) != _ENCODING_LENGTH:
            raise InvalidEncoding("a point is exactly 32 bytes")
        data = bytes(data)
        if allow_identity and data == _IDENTITY_BYTES:
            return IDENTITY
        if not sodium.crypto_core_ed25519_is_valid_point(data):
            raise InvalidEncoding(
                "not the canonical encoding of a point of the prime-order subgroup"
            )
        return cls(data, _PRIVATE)

    @classmethod
    def from_hex(cls, text: str, *, allow_identity: bool = False) -> Point:
        """Decode 64 lowercase hex digits, then as `from_bytes`."""
        return cls.from_bytes(_hex32(text), allow_identity=allow_identity)

    # -- encoding -----------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The canonical 32-byte encoding (RFC 8032 §5.1.2)."""
        return self._b

    def hex(self) -> str:
        """The canonical encoding as 64 lowercase hex digits."""
        return self._b.hex()

    def is_identity(self) -> bool:
        """Whether this is the neutral element O."""
        return self._b == _IDENTITY_BYTES

    # -- group law ------------------------------------------------------------

    def __add__(self, other: Point) -> Point:
        if not isinstance(other, Point):
            return NotImplemented
        return Point(sodium.crypto_core_ed25519_add(self._b, other._b), _PRIVATE)

    def __sub__(self, other: Point) -> Point:
        if not isinstance(other, Point):
            return NotImplemented
        return Point(sodium.crypto_core_ed25519_sub(self._b, other._b), _PRIVATE)

    def __neg__(self) -> Point:
        return Point(sodium.crypto_core_ed25519_sub(_IDENTITY_BYTES, self._b), _PRIVATE)

    def __mul__(self, k: Scalar) -> Point:
        """k·P; the identity when k = 0 or P = O (libsodium refuses both)."""
        if not isinstance(k, Scalar):
            return NotImplemented
        if k.is_zero() or self._b == _IDENTITY_BYTES:
            return IDENTITY
        try:
            if self._b == _GENERATOR_BYTES:
                out = sodium.crypto_scalarmult_ed25519_base_noclamp(k._b)
            else:
                out = sodium.crypto_scalarmult_ed25519_noclamp(k._b, self._b)
        except nacl.exceptions.CryptoError as exc:  # impossible for subgroup points
            raise ArithmeticError("libsodium refused a scalar multiplication") from exc
        return Point(out, _PRIVATE)

    __rmul__ = __mul__

    # -- value semantics ------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Point):
            return NotImplemented
        return self._b == other._b

    def __hash__(self) -> int:
        return hash((Point, self._b))

    def __repr__(self) -> str:
        return f"Point({self._b.hex()})"

    def __bool__(self) -> bool:
        raise TypeError("a Point has no truth value; use is_identity()")


#: O, the neutral element.
IDENTITY: Final = Point(_IDENTITY_BYTES, _PRIVATE)
#: B, the standard base point of RFC 8032 §5.1 (y = 4/5), generator of the subgroup.
GENERATOR: Final = Point(_GENERATOR_BYTES, _PRIVATE)


def _require_fixed_libsodium() -> None:
    """Refuse to run on a libsodium without the CVE-2025-69277 fix (§2.2).

    The vulnerable subgroup check accepts P + (0, −1), a point of order 2ℓ;
    `Point.from_bytes` and every variable-base multiplication rely on it.
    """
    order_two = (FIELD_PRIME - 1).to_bytes(32, "little")  # (0, −1)
    mixed = sodium.crypto_core_ed25519_add(_GENERATOR_BYTES, order_two)
    if sodium.crypto_core_ed25519_is_valid_point(mixed):
        raise ImportError(
            "the libsodium bundled with PyNaCl lacks the CVE-2025-69277 fix; install pynacl>=1.6.2"
        )


_require_fixed_libsodium()


def hash_to_scalar(dst: bytes, message: bytes) -> Scalar:
    """H_s(dst, m) = SHA-512(LP(dst) ‖ LP(m)) read little-endian, reduced mod ℓ (§2.3).

    The 64-byte wide reduction makes the bias below 2⁻²⁵⁹. `dst` is a
    domain-separation tag naming the use (e.g. b"pnyx/vss-commit/v1").
    """
    digest = hashlib.sha512(length_prefixed(dst) + length_prefixed(message)).digest()
    return Scalar.reduce_wide(digest)


def hash_to_point(dst: bytes, message: bytes) -> Point:
    """H_p(dst, m): a point of unknown discrete logarithm (§2.3).

    d = SHA-512(LP(dst) ‖ LP(m)); H_p = E(d[0:32]) + E(d[32:64]) where E is
    libsodium's `crypto_core_ed25519_from_uniform` (Elligator 2 on the 255 low
    bits read as a field element, bit 255 choosing the sign of x, then
    multiplication by the cofactor 8). Adding two independent maps is the
    random-oracle construction of RFC 9380 §3 (hash_to_curve); the field
    elements are derived as above, not by RFC 9380's expand_message.
    """
    digest = hashlib.sha512(length_prefixed(dst) + length_prefixed(message)).digest()
    first = Point(sodium.crypto_core_ed25519_from_uniform(digest[:32]), _PRIVATE)
    second = Point(sodium.crypto_core_ed25519_from_uniform(digest[32:]), _PRIVATE)
    return first + second

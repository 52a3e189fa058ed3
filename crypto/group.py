"""The ballot group: ristretto255 (RFC 9496; docs/crypto.md §2).

Elements are `Point`, exponents are `Scalar`; both are immutable value types over
their canonical 32-byte encodings (RFC 9496 §4.3.2 for points, little-endian
integers below ℓ for scalars). All arithmetic goes through the system libsodium
(≥ 1.0.18) via pysodium (`crypto_core_ristretto255_*`,
`crypto_scalarmult_ristretto255*`); this module is the only one that imports it.

ristretto255 is a group of prime order ℓ built on edwards25519: every 32-byte
string is either the canonical encoding of exactly one element or invalid, so
there are no cofactor, small-order or mixed-order points to worry about.

Decoding is validation (docs/crypto.md §2.2): `Point.from_bytes` is the only way
bytes become a `Point`, and it accepts only canonical RFC 9496 encodings (§4.3.1,
libsodium `crypto_core_ristretto255_is_valid_point`). Every other `Point` is the
result of group operations on validated points and is never validated again.

The identity. libsodium's scalar multiplication refuses a zero scalar and an
identity result, yet the identity is a legitimate value inside computations (g⁰,
the empty tally, an encryption of 0 minus its plaintext). `Point` therefore
carries the identity as its canonical encoding, 32 zero bytes, and handles it
before calling libsodium: k·O = O, 0·P = O, and `crypto_core_ristretto255_add/sub`
accept and return it natively. From outside, the identity is refused unless the
caller passes `allow_identity=True`; no format of this package (ciphertexts, keys,
commitments, proofs) does so (§2.2).

Secrets: scalar equality uses `hmac.compare_digest`; scalar arithmetic uses
libsodium's constant-time `crypto_core_ristretto255_scalar_*`; reprs never show a
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

from crypto.errors import InvalidEncoding

try:
    import pysodium as sodium
except (ImportError, OSError, ValueError) as _exc:  # pysodium raises ValueError without libsodium
    raise ImportError(
        f"crypto.group needs pysodium and the system libsodium >= 1.0.18 (ristretto255): {_exc}"
    ) from _exc

__all__ = [
    "FIELD_PRIME",
    "GENERATOR",
    "IDENTITY",
    "ORDER",
    "Point",
    "RandomSource",
    "Scalar",
    "add_encodings",
    "hash_to_point",
    "hash_to_scalar",
    "length_prefixed",
]

#: ℓ, the order of ristretto255 and of its scalar field (RFC 9496 §4.4).
ORDER: Final = 2**252 + 27742317777372353535851937790883648493
#: p, the prime of the field of the underlying curve edwards25519 (RFC 9496 §4).
FIELD_PRIME: Final = 2**255 - 19

#: A source of uniformly random bytes: `rng(n)` returns n bytes (default `os.urandom`).
RandomSource = Callable[[int], bytes]

_ENCODING_LENGTH: Final = 32
_ZERO_BYTES: Final = bytes(32)
_IDENTITY_BYTES: Final = bytes(32)  # RFC 9496 Appendix A.1, B[0]: 32 zero bytes
_GENERATOR_BYTES: Final = bytes.fromhex(  # RFC 9496 Appendix A.1, B[1]
    "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76"
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


def _canonical(encoding: bytes) -> bool:
    """Whether 32 bytes are the RFC 9496 §4.3.1 encoding of an element (identity included).

    Bit 255 is tested here because libsodium 1.0.18 masks it off and would
    accept `s + 2²⁵⁵` as a second encoding of s; libsodium does the rest.
    """
    return encoding[31] < 0x80 and bool(sodium.crypto_core_ristretto255_is_valid_point(encoding))


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
        reduced = sodium.crypto_core_ristretto255_scalar_reduce(data + _ZERO_BYTES)
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
        return cls(sodium.crypto_core_ristretto255_scalar_reduce(bytes(data)), _PRIVATE)

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
        return Scalar(sodium.crypto_core_ristretto255_scalar_add(self._b, other._b), _PRIVATE)

    def __sub__(self, other: Scalar) -> Scalar:
        if not isinstance(other, Scalar):
            return NotImplemented
        return Scalar(sodium.crypto_core_ristretto255_scalar_sub(self._b, other._b), _PRIVATE)

    @overload
    def __mul__(self, other: Scalar) -> Scalar: ...

    @overload
    def __mul__(self, other: Point) -> Point: ...

    def __mul__(self, other: Scalar | Point) -> Scalar | Point:
        """s·t modulo ℓ, or the point s·P (without a detour through Point.__rmul__)."""
        if isinstance(other, Scalar):
            return Scalar(sodium.crypto_core_ristretto255_scalar_mul(self._b, other._b), _PRIVATE)
        if isinstance(other, Point):
            return other * self
        return NotImplemented

    def __neg__(self) -> Scalar:
        return Scalar(sodium.crypto_core_ristretto255_scalar_negate(self._b), _PRIVATE)

    def invert(self) -> Scalar:
        """The multiplicative inverse modulo ℓ; 0 has none."""
        if self.is_zero():
            raise ZeroDivisionError("0 has no inverse modulo ℓ")
        return Scalar(sodium.crypto_core_ristretto255_scalar_invert(self._b), _PRIVATE)

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
    """An element of ristretto255 (§2.2).

    Held as its canonical 32-byte RFC 9496 encoding; the identity as 32 zero bytes.
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

        Accepts exactly 32 bytes that RFC 9496 §4.3.1 decodes: the little-endian
        integer s is below p (bit 255 clear) and non-negative (even), x² is a
        square, x·y is non-negative and y ≠ 0. A string that passes is the unique
        encoding of its element, so equal points have equal bytes. The identity
        (32 zero bytes) is refused unless `allow_identity` is set; no format of
        this package sets it.

        libsodium 1.0.18 (`crypto_core_ristretto255_is_valid_point`) performs
        every check but one: it ignores bit 255, so `s + 2²⁵⁵` would alias s.
        `_canonical` refuses bit 255 before libsodium sees the bytes.
        """
        if not isinstance(data, bytes | bytearray) or len(data) != _ENCODING_LENGTH:
            raise InvalidEncoding("a point is exactly 32 bytes")
        data = bytes(data)
        if data == _IDENTITY_BYTES:
            if allow_identity:
                return IDENTITY
            raise InvalidEncoding("the identity is not allowed here")
        if not _canonical(data):
            raise InvalidEncoding("not the canonical encoding of a ristretto255 element")
        return cls(data, _PRIVATE)

    @classmethod
    def from_hex(cls, text: str, *, allow_identity: bool = False) -> Point:
        """Decode 64 lowercase hex digits, then as `from_bytes`."""
        return cls.from_bytes(_hex32(text), allow_identity=allow_identity)

    # -- encoding -----------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The canonical 32-byte encoding (RFC 9496 §4.3.2)."""
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
        return Point(sodium.crypto_core_ristretto255_add(self._b, other._b), _PRIVATE)

    def __sub__(self, other: Point) -> Point:
        if not isinstance(other, Point):
            return NotImplemented
        return Point(sodium.crypto_core_ristretto255_sub(self._b, other._b), _PRIVATE)

    def __neg__(self) -> Point:
        return Point(sodium.crypto_core_ristretto255_sub(_IDENTITY_BYTES, self._b), _PRIVATE)

    def __mul__(self, k: Scalar) -> Point:
        """k·P; the identity when k = 0 or P = O (libsodium refuses both).

        libsodium clears bit 255 of the scalar and does not clamp it; a
        canonical scalar is below 2²⁵³, so k is used as it is. The group has
        prime order ℓ, so k·P ≠ O for 0 < k < ℓ and P ≠ O.
        """
        if not isinstance(k, Scalar):
            return NotImplemented
        if k.is_zero() or self._b == _IDENTITY_BYTES:
            return IDENTITY
        try:
            if self._b == _GENERATOR_BYTES:
                out = sodium.crypto_scalarmult_ristretto255_base(k._b)
            else:
                out = sodium.crypto_scalarmult_ristretto255(k._b, self._b)
        except ValueError as exc:  # pysodium's error for a libsodium refusal: impossible here
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
#: B, the generator of ristretto255: the class of the RFC 8032 base point (RFC 9496 A.1).
GENERATOR: Final = Point(_GENERATOR_BYTES, _PRIVATE)


def _require_ristretto255() -> None:
    """Refuse to run on a libsodium without ristretto255 (added in 1.0.18) (§2).

    pysodium loads whatever libsodium the system has; on one older than 1.0.18
    the ristretto255 functions are missing, so fail here, at import, with a
    clear message rather than at the first ballot. The known answers (RFC 9496
    Appendix A.1: 1·B, and 2·B = B + B) also catch a wrapper that misbehaves.
    """
    if not sodium.sodium_version_check(1, 0, 18):
        raise ImportError(
            "crypto.group needs libsodium >= 1.0.18 for ristretto255; the system has "
            f"{sodium.sodium_version_string().decode()}"
        )
    one = (1).to_bytes(32, "little")
    twice = bytes.fromhex("6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919")
    if (
        sodium.crypto_scalarmult_ristretto255_base(one) != _GENERATOR_BYTES
        or sodium.crypto_core_ristretto255_add(_GENERATOR_BYTES, _GENERATOR_BYTES) != twice
    ):
        raise ImportError("libsodium's ristretto255 does not give the RFC 9496 test vectors")


_require_ristretto255()


def add_encodings(a: bytes, b: bytes) -> bytes:
    """The encoding of A + B from the 32-byte encodings of A and B (§2.2).

    For sums of many stored elements (the tally): libsodium decodes both
    operands as `Point.from_bytes` would, the identity included, and
    encodes the sum, without building `Point` objects. Raises `InvalidEncoding`
    if either operand is not a canonical encoding.
    """
    if len(a) != _ENCODING_LENGTH or len(b) != _ENCODING_LENGTH:
        raise InvalidEncoding("a point is exactly 32 bytes")
    if a[31] >= 0x80 or b[31] >= 0x80:  # bit 255, which libsodium 1.0.18 ignores
        raise InvalidEncoding("not the canonical encoding of a ristretto255 element")
    try:
        return bytes(sodium.crypto_core_ristretto255_add(bytes(a), bytes(b)))
    except ValueError as exc:  # pysodium's error when libsodium refuses an operand
        raise InvalidEncoding("not the canonical encoding of a ristretto255 element") from exc


def hash_to_scalar(dst: bytes, message: bytes) -> Scalar:
    """H_s(dst, m) = SHA-512(LP(dst) ‖ LP(m)) read little-endian, reduced mod ℓ (§2.3).

    The 64-byte wide reduction makes the bias below 2⁻²⁵⁹. `dst` is a
    domain-separation tag naming the use (e.g. b"pnyx/vss-commit/v1").
    """
    digest = hashlib.sha512(length_prefixed(dst) + length_prefixed(message)).digest()
    return Scalar.reduce_wide(digest)


def hash_to_point(dst: bytes, message: bytes) -> Point:
    """H_p(dst, m): a point of unknown discrete logarithm (§2.3).

    d = SHA-512(LP(dst) ‖ LP(m)), 64 bytes; H_p = the RFC 9496 §4.3.4 element
    derivation of d (libsodium `crypto_core_ristretto255_from_hash`; noble's
    `ristretto255_hasher.deriveToCurve`): the one-way map of each half, its low
    255 bits read little-endian as a field element, and the two images added.
    The 64 bytes come from SHA-512 as written here, not from RFC 9380's
    expand_message (so this is not RFC 9380's hash_to_ristretto255).
    """
    digest = hashlib.sha512(length_prefixed(dst) + length_prefixed(message)).digest()
    return Point(sodium.crypto_core_ristretto255_from_hash(digest), _PRIVATE)

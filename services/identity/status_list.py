"""W3C Bitstring Status List v1.0 (https://www.w3.org/TR/vc-bitstring-status-list/).

A status list is a bitstring; bit ``i`` is the status of the credential whose
``statusListIndex`` is ``i``: 1 = revoked.  §3.1 (BitstringStatusList): the
``encodedList`` is the Multibase-encoded (prefix ``u``) base64url, without
padding, of the GZIP-compressed (RFC 1952) bitstring.  §4.1: index 0 is the
left-most bit, i.e. the most significant bit of the first byte.  §6.1 (herd
privacy): at least 16 KB uncompressed, 131,072 entries.

Decoding is validation: the compressed data must decompress to exactly a
whole number of bytes within the size limits (a GZIP bomb is cut off at the
limit, never inflated in full).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import re
import zlib
from dataclasses import dataclass

from ledger.errors import DomainRejection

MIN_BITS = 131_072
"""§6.1: the minimum size of a bitstring, 16 KB."""
MAX_BITS = 8 * 1024 * 1024
"""Our limit: 1 MiB of bitstring (8,388,608 credentials per list)."""
MULTIBASE_BASE64URL = "u"
B64URL_RE = re.compile(r"[A-Za-z0-9_-]*")


@dataclass(frozen=True)
class StatusList:
    """A decoded bitstring (immutable: :meth:`with_set` returns a new list)."""

    bits: bytes

    def __post_init__(self) -> None:
        if not MIN_BITS <= 8 * len(self.bits) <= MAX_BITS:
            raise DomainRejection(
                f"a status list has {MIN_BITS} to {MAX_BITS} entries, not {8 * len(self.bits)}"
            )

    @classmethod
    def empty(cls, size: int = MIN_BITS) -> StatusList:
        if size % 8:
            raise DomainRejection("a status list size is a multiple of 8")
        return cls(bytes(size // 8))

    @property
    def size(self) -> int:
        return 8 * len(self.bits)

    def _place(self, index: int) -> tuple[int, int]:
        if type(index) is not int or not 0 <= index < self.size:
            raise DomainRejection(f"status index {index!r} is outside 0..{self.size - 1}")
        return index // 8, 0x80 >> (index % 8)

    def get(self, index: int) -> bool:
        """§4.1 step: the bit at ``index`` (left-most first)."""
        byte, mask = self._place(index)
        return bool(self.bits[byte] & mask)

    def with_set(self, *indexes: int) -> StatusList:
        out = bytearray(self.bits)
        for i in indexes:
            byte, mask = self._place(i)
            out[byte] |= mask
        return StatusList(bytes(out))

    def set_indexes(self) -> list[int]:
        """Every index whose bit is 1."""
        return [
            8 * byte + bit
            for byte, v in enumerate(self.bits)
            if v
            for bit in range(8)
            if v & (0x80 >> bit)
        ]

    def covers(self, other: StatusList) -> bool:
        """Every bit set in ``other`` is set here (revocation is never undone)."""
        return len(self.bits) == len(other.bits) and all(
            a & b == b for a, b in zip(self.bits, other.bits, strict=True)
        )

    def encode(self) -> str:
        """§3.1 ``encodedList``: ``u`` + base64url(no padding) of GZIP(bitstring).

        ``mtime=0`` makes the GZIP member, hence the board entry, deterministic.
        """
        packed = gzip.compress(self.bits, compresslevel=9, mtime=0)
        return MULTIBASE_BASE64URL + base64.urlsafe_b64encode(packed).rstrip(b"=").decode()

    @classmethod
    def decode(cls, encoded: object) -> StatusList:
        """Parse an ``encodedList`` (strictly: multibase ``u``, base64url without padding)."""
        if not isinstance(encoded, str) or not encoded.startswith(MULTIBASE_BASE64URL):
            raise DomainRejection("encodedList must be multibase base64url (prefix 'u')")
        text = encoded[1:]
        if not B64URL_RE.fullmatch(text) or len(text) % 4 == 1:
            raise DomainRejection("encodedList is not base64url without padding")
        try:
            packed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raise DomainRejection("encodedList is not base64url") from None
        if MULTIBASE_BASE64URL + base64.urlsafe_b64encode(packed).rstrip(b"=").decode() != encoded:
            raise DomainRejection("encodedList is not canonical base64url")
        return cls(_gunzip(packed, MAX_BITS // 8))


def _gunzip(data: bytes, limit: int) -> bytes:
    """One GZIP member, inflated to at most ``limit`` bytes; trailing data is refused."""
    d = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, limit + 1)
    except zlib.error as e:
        raise DomainRejection(f"encodedList is not GZIP data: {e}") from None
    if len(out) > limit:
        raise DomainRejection(f"the status list inflates beyond {limit} bytes")
    if not d.eof or d.unused_data:
        raise DomainRejection("encodedList is not exactly one complete GZIP member")
    return out

"""BBS ciphersuites and their hashing and encoding operations.

draft-irtf-cfrg-bbs-signatures-09:

- §7 Ciphersuites: BLS12-381-SHA-256 (`BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_`,
  expand_message_xmd with SHA-256) and BLS12-381-SHAKE-256
  (`BBS_BLS12381G1_XOF:SHAKE-256_SSWU_RO_`, expand_message_xof with SHAKE-256),
  each with hash_to_curve to G1 under the matching RFC 9380 suite and its P1.
- §4.1 create_generators, §4.2 messages_to_scalars (MapMessageToScalarAsHash),
  §4.3 hash_to_scalar, §4.7 serialisation (signature_to_octets,
  octets_to_signature, octets_to_pubkey, proof_to_octets, octets_to_proof),
  Appendix "mocked_calculate_random_scalars" for the fixtures.
- RFC 9380 §5.3.1 expand_message_xmd, §5.3.2 expand_message_xof, §5.2
  hash_to_field (m = 1, L = 64 for BLS12-381 G1).

hash_to_curve. The SHA-256 suite hashes with the backend's native RFC 9380
implementation (`hash_to_g1_xmd_sha256`, custom DST). No native backend offers a
custom expander, so the SHAKE-256 suite computes hash_to_field itself with
expand_message_xof and hands the two field elements to the backend's
`map_to_g1` (SSWU + 11-isogeny + cofactor clearing). Both paths are checked
against the fixtures' generators and P1 for every backend.

Generators and P1 are cached (`functools.lru_cache` on pure functions of
immutable arguments, keyed by suite, backend, api_id and count): hashing 11
generators costs ≈ 1 ms on blst (≈ 70 ms for SHAKE-256, whose map_to_curve goes
through py_ecc there) and ≈ 60 ms on py_ecc, every BBS operation needs them,
and the result never changes. Two more memos of the same kind hold public
values only: decoded public keys (`octets_to_pubkey`) and the point
P1 + Q_1·domain (`Ciphersuite.domain_point`; domain is fixed per key, header
and generators, so one issuer's credentials of one schema share it). These
memos are the package's only caches; none holds a secret.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from crypto.bbs.backend import FIELD_PRIME, G1, G2, ORDER, BBSError, CurveBackend

__all__ = [
    "EXPAND_LEN",
    "OCTET_POINT_LENGTH",
    "OCTET_SCALAR_LENGTH",
    "SHAKE_256",
    "SHA_256",
    "Ciphersuite",
    "Proof",
    "calculate_random_scalars",
    "expand_message_xmd",
    "expand_message_xof",
    "i2osp",
    "octets_to_proof",
    "octets_to_pubkey",
    "octets_to_signature",
    "proof_to_octets",
    "signature_to_octets",
]

#: expand_len = ceil((ceil(log2(r)) + k) / 8) with k = 128 (draft §7.1).
EXPAND_LEN: Final = 48
#: octet_scalar_length (draft §7.1).
OCTET_SCALAR_LENGTH: Final = 32
#: octet_point_length of a G1 point (draft §7.1).
OCTET_POINT_LENGTH: Final = 48
#: L of hash_to_field for BLS12-381 (RFC 9380 §8.8.1).
_H2F_L: Final = 64


def i2osp(x: int, length: int) -> bytes:
    """I2OSP (RFC 8017 §4.1): x as `length` big-endian bytes; BBSError if too big."""
    if x < 0 or x >= 1 << (8 * length):
        raise BBSError(f"integer too large for {length} bytes")
    return x.to_bytes(length, "big")


def expand_message_xmd(msg: bytes, dst: bytes, len_in_bytes: int) -> bytes:
    """expand_message_xmd with SHA-256 (RFC 9380 §5.3.1; oversize DST §5.3.3)."""
    b_in_bytes, s_in_bytes = 32, 64
    if len(dst) > 255:
        dst = hashlib.sha256(b"H2C-OVERSIZE-DST-" + dst).digest()
    ell = -(-len_in_bytes // b_in_bytes)
    if ell > 255 or len_in_bytes > 65535 or len_in_bytes < 0:
        raise BBSError("expand_message_xmd: requested length too large")
    dst_prime = dst + i2osp(len(dst), 1)
    msg_prime = bytes(s_in_bytes) + msg + i2osp(len_in_bytes, 2) + b"\x00" + dst_prime
    b0 = hashlib.sha256(msg_prime).digest()
    bi = hashlib.sha256(b0 + b"\x01" + dst_prime).digest()
    out = [bi]
    for i in range(2, ell + 1):
        mixed = bytes(x ^ y for x, y in zip(b0, bi, strict=True))
        bi = hashlib.sha256(mixed + i2osp(i, 1) + dst_prime).digest()
        out.append(bi)
    return b"".join(out)[:len_in_bytes]


def expand_message_xof(msg: bytes, dst: bytes, len_in_bytes: int) -> bytes:
    """expand_message_xof with SHAKE-256, k = 128 (RFC 9380 §5.3.2; oversize DST §5.3.3)."""
    if len(dst) > 255:
        dst = hashlib.shake_256(b"H2C-OVERSIZE-DST-" + dst).digest(32)  # ceil(2k/8)
    if len_in_bytes > 65535 or len_in_bytes < 0:
        raise BBSError("expand_message_xof: requested length too large")
    dst_prime = dst + i2osp(len(dst), 1)
    msg_prime = msg + i2osp(len_in_bytes, 2) + dst_prime
    return hashlib.shake_256(msg_prime).digest(len_in_bytes)


@dataclass(frozen=True)
class Proof:
    """A decoded BBS proof (draft §4.7.4): (Abar, Bbar, D, ê, r̂1, r̂3, (m̂_j), c)."""

    abar: G1
    bbar: G1
    d: G1
    e_hat: int
    r1_hat: int
    r3_hat: int
    commitments: tuple[int, ...]
    challenge: int


@dataclass(frozen=True)
class Ciphersuite:
    """One BBS ciphersuite (draft §7): its identifier, expander and P1.

    The methods are the draft's suite-dependent utilities; curve operations go
    through the `CurveBackend` passed in.
    """

    #: ciphersuite_id, e.g. b"BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_".
    ciphersuite_id: bytes
    #: Which expand_message the suite uses.
    expander: Literal["xmd", "xof"]
    #: P1, the compressed fixed G1 point of the suite (draft §7.2.1, §7.2.2).
    p1_bytes: bytes

    @property
    def api_id(self) -> bytes:
        """api_id of the BBS interface (draft §3.4): ciphersuite_id || "H2G_HM2S_"."""
        return self.ciphersuite_id + b"H2G_HM2S_"

    def expand_message(self, msg: bytes, dst: bytes, len_in_bytes: int) -> bytes:
        """The suite's expand_message (draft §7.1)."""
        if self.expander == "xmd":
            return expand_message_xmd(msg, dst, len_in_bytes)
        return expand_message_xof(msg, dst, len_in_bytes)

    def hash_to_scalar(self, msg_octets: bytes, dst: bytes) -> int:
        """hash_to_scalar (draft §4.3): OS2IP(expand_message(msg, dst, 48)) mod r."""
        return int.from_bytes(self.expand_message(msg_octets, dst, EXPAND_LEN), "big") % ORDER

    def hash_to_curve_g1(self, backend: CurveBackend, msg: bytes, dst: bytes) -> G1:
        """hash_to_curve_g1 (draft §7.1, RFC 9380 §3 with the suite's expander)."""
        if self.expander == "xmd":
            return backend.hash_to_g1_xmd_sha256(msg, dst)
        if not 0 < len(dst) <= 255:
            raise BBSError("hash_to_curve DST must be 1..255 bytes")
        uniform = expand_message_xof(msg, dst, 2 * _H2F_L)
        u0 = int.from_bytes(uniform[:_H2F_L], "big") % FIELD_PRIME
        u1 = int.from_bytes(uniform[_H2F_L:], "big") % FIELD_PRIME
        return backend.map_to_g1(u0, u1)

    def create_generators(
        self, backend: CurveBackend, count: int, api_id: bytes
    ) -> tuple[G1, ...]:
        """create_generators(count, api_id) (draft §4.1.1), cached (see module doc)."""
        if count < 0:
            raise BBSError("negative generator count")
        return _create_generators(self, backend, count, api_id)

    def p1(self, backend: CurveBackend) -> G1:
        """P1 as a point of `backend` (decoded, hence validated, from the suite's
        constant; cached like the generators)."""
        return _p1(self, backend)

    def domain_point(self, backend: CurveBackend, q_1: G1, domain: int) -> G1:
        """P1 + Q_1·domain, the message-independent part of B (draft §3.6.1, §5.1,
        §5.4), memoised by (suite, backend, Q_1, domain); all three are public.

        Every B (CoreSign, ProofInit, ProofVerifyInit's Bv, CoreVerify's A·e − B)
        starts with it; with the memo their MSM has one multiplication fewer.
        """
        if not 0 <= domain < ORDER:
            raise BBSError("domain out of range")
        return _domain_point(self, backend, backend.g1_to_bytes(q_1), domain)

    def messages_to_scalars(self, messages: Sequence[bytes], api_id: bytes) -> list[int]:
        """messages_to_scalars (draft §4.2.1): hash_to_scalar(msg, api_id || MAP_…)."""
        map_dst = api_id + b"MAP_MSG_TO_SCALAR_AS_HASH_"
        if len(messages) > 2**64 - 1:
            raise BBSError("too many messages")
        return [self.hash_to_scalar(bytes(m), map_dst) for m in messages]

    def mocked_calculate_random_scalars(self, count: int, seed: bytes, dst: bytes) -> list[int]:
        """mocked_calculate_random_scalars (draft Appendix, "Mocked Random Scalars"):
        deterministic scalars for the test vectors — never for real proofs."""
        out_len = EXPAND_LEN * count
        if out_len > 65535:
            raise BBSError("too many mocked scalars")
        v = self.expand_message(seed, dst, out_len)
        return [
            int.from_bytes(v[i * EXPAND_LEN : (i + 1) * EXPAND_LEN], "big") % ORDER
            for i in range(count)
        ]


@functools.lru_cache(maxsize=64)
def _create_generators(
    suite: Ciphersuite, backend: CurveBackend, count: int, api_id: bytes
) -> tuple[G1, ...]:
    """draft §4.1.1 create_generators (memoised by `Ciphersuite.create_generators`)."""
    seed_dst = api_id + b"SIG_GENERATOR_SEED_"
    generator_dst = api_id + b"SIG_GENERATOR_DST_"
    generator_seed = api_id + b"MESSAGE_GENERATOR_SEED"
    v = suite.expand_message(generator_seed, seed_dst, EXPAND_LEN)
    out = []
    for i in range(1, count + 1):
        v = suite.expand_message(v + i2osp(i, 8), seed_dst, EXPAND_LEN)
        out.append(suite.hash_to_curve_g1(backend, v, generator_dst))
    return tuple(out)


@functools.lru_cache(maxsize=16)
def _p1(suite: Ciphersuite, backend: CurveBackend) -> G1:
    return backend.g1_from_bytes(suite.p1_bytes)


@functools.lru_cache(maxsize=256)
def _domain_point(suite: Ciphersuite, backend: CurveBackend, q_1: bytes, domain: int) -> G1:
    # Q_1 is passed encoded so that the key is hashable; it was a valid point
    # (a generator), so decoding it again cannot fail.
    return backend.g1_msm([_p1(suite, backend), backend.g1_from_bytes(q_1)], [1, domain])


def calculate_random_scalars(count: int) -> list[int]:
    """calculate_random_scalars (draft §4.4): OS2IP(get_random(48)) mod r, from the OS CSPRNG."""
    return [int.from_bytes(secrets.token_bytes(EXPAND_LEN), "big") % ORDER for _ in range(count)]


def _scalar(data: bytes, *, allow_zero: bool = False) -> int:
    s = int.from_bytes(data, "big")
    if s >= ORDER or (s == 0 and not allow_zero):
        raise BBSError("scalar out of range")
    return s


def signature_to_octets(backend: CurveBackend, a: G1, e: int) -> bytes:
    """signature_to_octets (draft §4.7.2): A (48 bytes) || I2OSP(e, 32)."""
    return backend.g1_to_bytes(a) + i2osp(e, OCTET_SCALAR_LENGTH)


def octets_to_signature(backend: CurveBackend, data: bytes) -> tuple[G1, int]:
    """octets_to_signature (draft §4.7.3): A ≠ Identity_G1 in G1, 0 < e < r; else BBSError."""
    if len(data) != OCTET_POINT_LENGTH + OCTET_SCALAR_LENGTH:
        raise BBSError("a signature is 80 bytes")
    a = backend.g1_from_bytes(bytes(data[:OCTET_POINT_LENGTH]))
    if backend.g1_is_identity(a):
        raise BBSError("signature point is the identity")
    return a, _scalar(bytes(data[OCTET_POINT_LENGTH:]))


def octets_to_pubkey(backend: CurveBackend, data: bytes) -> G2:
    """octets_to_pubkey (draft §4.7.6): a G2 point in the subgroup, not the identity.

    Memoised per (backend, octets) (see the module doc): decoding with the
    subgroup check costs ≈ 80 µs on blst, and one issuer's key is decoded by
    every verification of its credentials. Only successful decodings are kept
    (a raising call stores nothing), the result is a pure function of the
    octets, and points are immutable, so a hit returns exactly what a fresh
    decoding would.
    """
    return _pubkey(backend, bytes(data))


@functools.lru_cache(maxsize=256)
def _pubkey(backend: CurveBackend, data: bytes) -> G2:
    w = backend.g2_from_bytes(data)
    if backend.g2_is_identity(w):
        raise BBSError("public key is the identity")
    return w


def proof_to_octets(backend: CurveBackend, proof: Proof) -> bytes:
    """proof_to_octets (draft §4.7.4): Abar || Bbar || D || ê || r̂1 || r̂3 || m̂_j… || c."""
    scalars = (proof.e_hat, proof.r1_hat, proof.r3_hat, *proof.commitments, proof.challenge)
    return b"".join(
        [backend.g1_to_bytes(p) for p in (proof.abar, proof.bbar, proof.d)]
        + [i2osp(s, OCTET_SCALAR_LENGTH) for s in scalars]
    )


MAX_HIDDEN_MESSAGES: Final = 1024
"""A decoding bound, not the draft's: each hidden message costs the verifier a generator
(hash-to-curve) and a multiplication, so an untrusted proof may not ask for millions."""


def octets_to_proof(backend: CurveBackend, data: bytes) -> Proof:
    """octets_to_proof (draft §4.7.5): three G1 points (not the identity) and at
    least four scalars in (0, r); length 272 + 32·U. Raises BBSError."""
    floor = 3 * OCTET_POINT_LENGTH + 4 * OCTET_SCALAR_LENGTH
    if len(data) < floor or (len(data) - floor) % OCTET_SCALAR_LENGTH:
        raise BBSError("proof length is not 272 + 32·U")
    if (len(data) - floor) // OCTET_SCALAR_LENGTH > MAX_HIDDEN_MESSAGES:
        raise BBSError(f"a proof hides at most {MAX_HIDDEN_MESSAGES} messages")
    points = []
    for i in range(3):
        chunk = bytes(data[i * OCTET_POINT_LENGTH : (i + 1) * OCTET_POINT_LENGTH])
        p = backend.g1_from_bytes(chunk)
        if backend.g1_is_identity(p):
            raise BBSError("proof point is the identity")
        points.append(p)
    off = 3 * OCTET_POINT_LENGTH
    scalars = [
        _scalar(bytes(data[j : j + OCTET_SCALAR_LENGTH]))
        for j in range(off, len(data), OCTET_SCALAR_LENGTH)
    ]
    return Proof(
        abar=points[0],
        bbar=points[1],
        d=points[2],
        e_hat=scalars[0],
        r1_hat=scalars[1],
        r3_hat=scalars[2],
        commitments=tuple(scalars[3:-1]),
        challenge=scalars[-1],
    )


#: BLS12-381-SHA-256 (draft §7.2.2).
SHA_256: Final = Ciphersuite(
    ciphersuite_id=b"BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_",
    expander="xmd",
    p1_bytes=bytes.fromhex(
        "a8ce256102840821a3e94ea9025e4662b205762f9776b3a766c872b948f1fd22"
        "5e7c59698588e70d11406d161b4e28c9"
    ),
)

#: BLS12-381-SHAKE-256 (draft §7.2.1).
SHAKE_256: Final = Ciphersuite(
    ciphersuite_id=b"BBS_BLS12381G1_XOF:SHAKE-256_SSWU_RO_",
    expander="xof",
    p1_bytes=bytes.fromhex(
        "8929dfbc7e6642c4ed9cba0856e493f8b9d7d5fcb0c31ef8fdcd34d50648a56c"
        "795e106e9eada6e0bda386b414150755"
    ),
)

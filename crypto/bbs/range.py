"""A range proof for a Pedersen commitment in BLS12-381 G1, in commit/challenge/response form.

Statement (docs/credentials.md, "Cryptography" §4.2): public G, H ∈ G1 (the
Pedersen generators, `pedersen_generators`), a commitment C ∈ G1 and integers
lo < hi with hi − lo < 2^64; the prover knows v, ρ with C = v·G + ρ·H and
lo ≤ v ≤ hi (v and the bounds are integers, taken mod r in the group, so
negative values such as dates before 1970 work).

Construction: d = hi − lo, n = bitlen(d), weights w_i = 2^i for i < n − 1 and
w_{n−1} = d − 2^{n−1} + 1, so that {Σ b_i·w_i : b_i ∈ {0, 1}} is exactly
[0, d]. The prover writes a = v − lo = Σ b_i·w_i and commits to each bit,
C_i = b_i·G + ρ_i·H, with ρ_0 = ρ − Σ_{i≥1} w_i·ρ_i so that, since w_0 = 1,

    C_0 = (C − lo·G) − Σ_{i≥1} w_i·C_i          (derived by the verifier, not sent)

and proves for every bit the OR "C_i = ρ_i·H or C_i − G = ρ_i·H"
(Cramer–Damgård–Schoenmakers, CRYPTO '94) with per-bit challenges
c_{i,0} + c_{i,1} = c, c being the one challenge of the enclosing proof:

    announce:  real branch k = b_i:   A_{i,k} = t_i·H
               other branch:          A_{i,1−k} = s_{i,1−k}·H − c_{i,1−k}·(C_i − (1−k)·G)
    respond:   c_{i,k} = c − c_{i,1−k},  s_{i,k} = t_i + c_{i,k}·ρ_i
    verify:    A_{i,0} = s_{i,0}·H − c_{i,0}·C_i
               A_{i,1} = s_{i,1}·H − (c − c_{i,0})·(C_i − G)

and the caller recomputes c over the announcements (`RangeAnnouncement.octets`).
Every bit sum Σ b_i·w_i lies in [0, d] as an integer (d < 2^64 ≪ r), so a
valid proof shows lo ≤ v ≤ hi. Proof: C_1..C_{n−1}, then (c_{i,0}, s_{i,0},
s_{i,1}) for i = 0..n−1: 48·(n−1) + 96·n bytes.

The functions here are pure; the prover's nonces come from `random_scalar`
(`secrets` by default, injectable for tests). `prove_range` / `verify_range`
wrap the three moves with a challenge of their own, for standalone use.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, final

from crypto.bbs.backend import G1, ORDER, BBSError, CurveBackend
from crypto.bbs.suite import Ciphersuite

__all__ = [
    "MAX_RANGE_BITS",
    "PEDERSEN_API_ID",
    "PedersenGenerators",
    "RangeAnnouncement",
    "RangeProof",
    "RangeProverState",
    "pedersen_commit",
    "pedersen_generators",
    "prove_range",
    "range_announce",
    "range_bits",
    "range_respond",
    "range_verify_announcement",
    "size",
    "verify_range",
]

#: hi − lo must be below 2^MAX_RANGE_BITS.
MAX_RANGE_BITS: Final = 64
#: The api_id under which create_generators derives G and H (the Pnyx DST).
PEDERSEN_API_ID: Final = b"PNYX_V1_BBS_PREDICATE_PEDERSEN_"
#: The DST of `prove_range`'s own challenge (hash_to_scalar).
RANGE_CHALLENGE_DST: Final = b"PNYX_V1_BBS_RANGE_PROOF_H2S_"

_POINT: Final = 48
_SCALAR: Final = 32
_MIN_INT: Final = -(2**63)
_MAX_INT: Final = 2**63 - 1


def _default_random_scalar() -> int:
    return secrets.randbelow(ORDER - 1) + 1


@final
@dataclass(frozen=True, slots=True)
class PedersenGenerators:
    """G and H: nothing-up-my-sleeve points of G1 (see `pedersen_generators`)."""

    g: G1
    h: G1


def pedersen_generators(suite: Ciphersuite, backend: CurveBackend) -> PedersenGenerators:
    """(G, H) = create_generators(2, PEDERSEN_API_ID) of the suite (draft-irtf-cfrg-bbs-
    signatures-09 §4.1.1): hash_to_curve_g1 with the Pnyx DST
    PEDERSEN_API_ID || "SIG_GENERATOR_DST_", so nobody knows log_G H (RFC 9380
    §10.1). Memoised by the suite, like the BBS generators.
    """
    g, h = suite.create_generators(backend, 2, PEDERSEN_API_ID)
    return PedersenGenerators(g=g, h=h)


def pedersen_commit(
    backend: CurveBackend, gens: PedersenGenerators, value: int, blinding: int
) -> G1:
    """C = value·G + blinding·H (value taken mod r, so it may be negative)."""
    return backend.g1_msm((gens.g, gens.h), (value % ORDER, blinding % ORDER))


def range_bits(lo: int, hi: int) -> tuple[int, ...]:
    """The weights w_0..w_{n−1} for [lo, hi] (see the module docstring).

    Raises BBSError unless lo < hi, hi − lo < 2^64 and both fit a signed 64-bit integer.
    """
    if not (_MIN_INT <= lo <= _MAX_INT and _MIN_INT <= hi <= _MAX_INT):
        raise BBSError("range bounds must be signed 64-bit integers")
    d = hi - lo
    if not 0 < d < 2**MAX_RANGE_BITS:
        raise BBSError("a range needs lo < hi and hi - lo < 2^64")
    n = d.bit_length()
    return (*(1 << i for i in range(n - 1)), d - (1 << (n - 1)) + 1)


def _decompose(a: int, weights: Sequence[int]) -> list[int]:
    """Bits b with Σ b_i·w_i = a, for 0 ≤ a ≤ d."""
    n = len(weights)
    top = 1 if a > (1 << (n - 1)) - 1 else 0
    rest = a - top * weights[-1]
    bits = [(rest >> i) & 1 for i in range(n - 1)]
    bits.append(top)
    return bits


@final
@dataclass(frozen=True, slots=True)
class RangeAnnouncement:
    """The prover's first move: C_1..C_{n−1} and the A_{i,0}, A_{i,1}; all public."""

    bit_commitments: tuple[bytes, ...]
    announcements: tuple[tuple[bytes, bytes], ...]

    def octets(self) -> bytes:
        """What the challenge absorbs: C_1 ‖ … ‖ C_{n−1} ‖ A_{0,0} ‖ A_{0,1} ‖ … (48 bytes each)."""
        return b"".join(self.bit_commitments) + b"".join(a0 + a1 for a0, a1 in self.announcements)


@final
@dataclass(frozen=True, slots=True)
class RangeProverState:
    """The prover's secrets between announce and respond. Never serialised or shown."""

    bits: tuple[int, ...] = field(repr=False)
    blindings: tuple[int, ...] = field(repr=False)
    nonces: tuple[int, ...] = field(repr=False)
    simulated: tuple[tuple[int, int], ...] = field(repr=False)
    bit_commitments: tuple[bytes, ...]

    def __repr__(self) -> str:
        return f"<RangeProverState {len(self.bits)} bits>"


@final
@dataclass(frozen=True, slots=True)
class RangeProof:
    """C_1..C_{n−1} (encoded) and (c_{i,0}, s_{i,0}, s_{i,1}) for i = 0..n−1."""

    bit_commitments: tuple[bytes, ...]
    responses: tuple[tuple[int, int, int], ...]

    def to_bytes(self) -> bytes:
        """C_1 ‖ … ‖ C_{n−1} ‖ c_{0,0} ‖ s_{0,0} ‖ s_{0,1} ‖ … (scalars I2OSP 32 bytes)."""
        out = bytearray(b"".join(self.bit_commitments))
        for triple in self.responses:
            for x in triple:
                out += x.to_bytes(_SCALAR, "big")
        return bytes(out)

    @classmethod
    def from_bytes(cls, data: bytes, n: int) -> RangeProof:
        """Decode a proof of n bits; scalars must be canonical (< r). Points are checked on use."""
        if not 1 <= n <= MAX_RANGE_BITS or len(data) != size(n):
            raise BBSError("wrong length for a range proof")
        cut = _POINT * (n - 1)
        commitments = tuple(data[i : i + _POINT] for i in range(0, cut, _POINT))
        scalars = [
            int.from_bytes(data[i : i + _SCALAR], "big") for i in range(cut, len(data), _SCALAR)
        ]
        if any(s >= ORDER for s in scalars):
            raise BBSError("non-canonical scalar in a range proof")
        responses = tuple(
            (scalars[3 * i], scalars[3 * i + 1], scalars[3 * i + 2]) for i in range(n)
        )
        return cls(commitments, responses)


def size(n: int) -> int:
    """The encoded size of a range proof of n bits."""
    return _POINT * (n - 1) + 3 * _SCALAR * n


def range_announce(
    backend: CurveBackend,
    gens: PedersenGenerators,
    value: int,
    blinding: int,
    lo: int,
    hi: int,
    random_scalar: Callable[[], int] = _default_random_scalar,
) -> tuple[RangeProverState, RangeAnnouncement]:
    """The prover's first move for C = value·G + blinding·H and [lo, hi].

    Raises BBSError if value is not in [lo, hi]: a predicate that does not hold
    cannot be proven.
    """
    weights = range_bits(lo, hi)
    a = value - lo
    if not 0 <= a <= hi - lo:
        raise BBSError("the value is outside the range: the predicate does not hold")
    n = len(weights)
    bits = _decompose(a, weights)
    rhos = [0] + [random_scalar() for _ in range(1, n)]
    rhos[0] = (blinding - sum(w * r for w, r in zip(weights[1:], rhos[1:], strict=True))) % ORDER
    g, h = gens.g, gens.h
    commitments: list[bytes] = []
    announcements: list[tuple[bytes, bytes]] = []
    nonces: list[int] = []
    simulated: list[tuple[int, int]] = []
    for i in range(n):
        b, rho = bits[i], rhos[i]
        if i > 0:
            c_i = backend.g1_mul(h, rho)
            if b:
                c_i = backend.g1_add(c_i, g)
            commitments.append(backend.g1_to_bytes(c_i))
        t = random_scalar()
        c_sim, s_sim = random_scalar(), random_scalar()
        real = backend.g1_mul(h, t)
        # A_{1−b} = s·H − c·(C_i − (1−b)·G) = (s − c·ρ)·H − c·(2b − 1)·G
        sim = backend.g1_msm(
            (h, g), ((s_sim - c_sim * rho) % ORDER, (-c_sim * (2 * b - 1)) % ORDER)
        )
        pair = (real, sim) if b == 0 else (sim, real)
        announcements.append((backend.g1_to_bytes(pair[0]), backend.g1_to_bytes(pair[1])))
        nonces.append(t)
        simulated.append((c_sim, s_sim))
    state = RangeProverState(
        bits=tuple(bits),
        blindings=tuple(rhos),
        nonces=tuple(nonces),
        simulated=tuple(simulated),
        bit_commitments=tuple(commitments),
    )
    return state, RangeAnnouncement(tuple(commitments), tuple(announcements))


def range_respond(state: RangeProverState, challenge: int) -> RangeProof:
    """The prover's last move, given the enclosing proof's challenge c."""
    responses: list[tuple[int, int, int]] = []
    for b, rho, t, (c_sim, s_sim) in zip(
        state.bits, state.blindings, state.nonces, state.simulated, strict=True
    ):
        c_real = (challenge - c_sim) % ORDER
        s_real = (t + c_real * rho) % ORDER
        if b == 0:
            responses.append((c_real, s_real, s_sim))
        else:
            responses.append((c_sim, s_sim, s_real))
    return RangeProof(state.bit_commitments, tuple(responses))


def range_verify_announcement(
    backend: CurveBackend,
    gens: PedersenGenerators,
    commitment: G1,
    lo: int,
    hi: int,
    proof: RangeProof,
    challenge: int,
) -> RangeAnnouncement:
    """Recompute the announcement from the proof and c; the caller then checks c.

    Raises BBSError for a malformed proof (wrong bit count, a point that does not
    decode or is the identity).
    """
    weights = range_bits(lo, hi)
    n = len(weights)
    if len(proof.bit_commitments) != n - 1 or len(proof.responses) != n:
        raise BBSError("range proof has the wrong number of bits")
    points = []
    for enc in proof.bit_commitments:
        p = backend.g1_from_bytes(enc)
        if backend.g1_is_identity(p):
            raise BBSError("identity bit commitment in a range proof")
        points.append(p)
    # Everything here is public (the verifier's side): `g1_msm_public`, with
    # G and H as fixed bases and the weights as small scalars.
    g, h = gens.g, gens.h
    shifted = backend.g1_add(commitment, backend.g1_msm_public((g,), ((-lo) % ORDER,), fixed=1))
    c_0 = backend.g1_add(
        shifted,
        backend.g1_neg(backend.g1_msm_public(points, weights[1:]))
        if points
        else backend.g1_identity(),
    )
    announcements: list[tuple[bytes, bytes]] = []
    for c_i, (c0, s0, s1) in zip([c_0, *points], proof.responses, strict=True):
        c1 = (challenge - c0) % ORDER
        a0 = backend.g1_msm_public((h, c_i), (s0, (-c0) % ORDER), fixed=1)
        a1 = backend.g1_msm_public((h, g, c_i), (s1, c1, (-c1) % ORDER), fixed=2)
        announcements.append((backend.g1_to_bytes(a0), backend.g1_to_bytes(a1)))
    return RangeAnnouncement(proof.bit_commitments, tuple(announcements))


def _standalone_challenge(
    suite: Ciphersuite,
    backend: CurveBackend,
    commitment: G1,
    lo: int,
    hi: int,
    context: bytes,
    announcement: RangeAnnouncement,
) -> int:
    data = (
        len(context).to_bytes(8, "big")
        + context
        + backend.g1_to_bytes(commitment)
        + lo.to_bytes(8, "big", signed=True)
        + hi.to_bytes(8, "big", signed=True)
        + announcement.octets()
    )
    return suite.hash_to_scalar(data, RANGE_CHALLENGE_DST)


def prove_range(
    backend: CurveBackend,
    suite: Ciphersuite,
    gens: PedersenGenerators,
    value: int,
    blinding: int,
    lo: int,
    hi: int,
    context: bytes = b"",
    random_scalar: Callable[[], int] = _default_random_scalar,
) -> tuple[int, RangeProof]:
    """A standalone (non-interactive) range proof for value·G + blinding·H ∈ [lo, hi].

    Returns (c, proof): the verifier needs c to rebuild the announcements.
    """
    commitment = pedersen_commit(backend, gens, value, blinding)
    state, ann = range_announce(backend, gens, value, blinding, lo, hi, random_scalar)
    c = _standalone_challenge(suite, backend, commitment, lo, hi, context, ann)
    return c, range_respond(state, c)


def verify_range(
    backend: CurveBackend,
    suite: Ciphersuite,
    gens: PedersenGenerators,
    commitment: G1,
    lo: int,
    hi: int,
    challenge: int,
    proof: RangeProof,
    context: bytes = b"",
) -> bool:
    """Whether (challenge, proof) from `prove_range` shows `commitment` hides [lo, hi]."""
    try:
        c = challenge
        ann = range_verify_announcement(backend, gens, commitment, lo, hi, proof, c)
        return c == _standalone_challenge(suite, backend, commitment, lo, hi, context, ann)
    except BBSError:
        return False

"""Aggregated Bulletproofs range proofs for Pedersen commitments in BLS12-381 G1.

Bünz, Bootle, Boneh, Poelstra, Wuille, Maxwell, "Bulletproofs: Short Proofs for
Confidential Transactions and More" (IEEE S&P 2018): the range proof of §4.1, its
aggregation over m values (§4.3), the inner-product argument of §3 (Protocol 2)
in place of sending l and r (§4.2), and verification as one multi-scalar
multiplication (§6.2). docs/credentials.md, "Cryptography" §4.2, fixes every byte.

Statement: public g, h (`pedersen_generators`), and for v = 0..m−1 a commitment
C_v ∈ G1 with integer bounds lo_v < hi_v, d_v = hi_v − lo_v < 2^64; the prover
knows (x_v, ρ_v) with C_v = x_v·g + ρ_v·h and lo_v ≤ x_v ≤ hi_v.

One change to the paper, for exact ranges (not only [0, 2^k)): the powers of two
2^k of value v become the weights of `range_weights`, w_v = (1, 2, …, 2^(k_v−2),
d_v − 2^(k_v−1) + 1) with k_v = bitlen(d_v), whose 0/1 combinations are exactly
[0, d_v]. The values' bit blocks (k_v bits each, v ascending) are concatenated and
padded with zero-weight bits to n = the next power of two (`padded_length`); ω is
the length-n vector with ω_i = z^(2+v)·w_{v,i−off_v} in block v and 0 in the
padding. The prover shows, for a_v = x_v − lo_v and V_v = C_v − lo_v·g,

    ⟨a_L, a_R ∘ y^n⟩ = 0,  a_L − a_R = 1^n,  Σ_v z^(2+v)·⟨a_L|block v, w_v⟩ = Σ_v z^(2+v)·a_v

exactly as §4.1/§4.3 with 2^n replaced by ω, so that
t_0 = Σ_v z^(2+v)·a_v + δ(y, z), δ(y, z) = (z − z²)·Σ_{i<n} y^i − Σ_v z^(3+v)·d_v
(⟨1, w_v⟩ = d_v). Soundness is the paper's: the extractor yields bits a_L with
⟨a_L|block v, w_v⟩ = a_v, an integer in [0, d_v] (d_v < 2^64 ≪ r, no wrap-around),
hence lo_v ≤ x_v ≤ hi_v. One value per predicate suffices; with powers of two an
exact [lo, hi] needs two (x − lo and hi − x), and every range a 64-bit block.

Generators: g, h = create_generators(2, PEDERSEN_API_ID); G_i, H_i =
create_generators(2n, BULLETPROOFS_API_ID)[2i], [2i + 1] (hash_to_curve_g1 with
documented DSTs, nobody knows a relation; the points for n are a prefix of those
for 2n, so a table kept for G_i serves every size). Fiat–Shamir: `_challenge`;
u = w·g for the inner product (w a challenge).

Cost (docs/credentials.md §4.7): verification is one MSM with 2n + 2 fixed bases
and 3 + m + 2·log2(n) variable ones, after 4 + 2·log2(n) decompressions. The
fixed bases pay off only if the backend keeps a table for each of them: with the
BBS generators of the same presentation, that is 2n + 2 + L + 1 tables, which
must fit the backend's table cache (blst: `backend_blst._fixed_base_table`).

Secrets and timing: the bits a_L, the blindings and s_L, s_R are secret, so A,
S, T1, T2 use only additions or `g1_msm` (constant-time multiplications). The
vectors l(x), r(x) are not: Protocol 1 of §4.1 sends them in the clear (zero
knowledge comes from s_L, s_R), so the inner-product rounds, like the verifier,
use `g1_msm_public` over the fixed generators (precomputed tables on blst).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, final

from crypto.bbs.backend import G1, ORDER, BBSError, CurveBackend
from crypto.bbs.core import RandomScalars
from crypto.bbs.suite import Ciphersuite, calculate_random_scalars, i2osp

__all__ = [
    "BULLETPROOFS_API_ID",
    "MAX_RANGE_BITS",
    "PEDERSEN_API_ID",
    "RANGE_CHALLENGE_DST",
    "PedersenGenerators",
    "RangeProof",
    "VectorGenerators",
    "check_ranges",
    "padded_length",
    "pedersen_commit",
    "pedersen_generators",
    "proof_size",
    "prove_ranges",
    "range_equation",
    "range_weights",
    "vector_generators",
    "verify_ranges",
]

#: hi − lo must be below 2^MAX_RANGE_BITS.
MAX_RANGE_BITS: Final = 64
#: The api_id under which create_generators derives g and h (the Pnyx DST).
PEDERSEN_API_ID: Final = b"PNYX_V1_BBS_PREDICATE_PEDERSEN_"
#: The api_id under which create_generators derives G_0, H_0, G_1, H_1, ….
BULLETPROOFS_API_ID: Final = b"PNYX_V1_BBS_BULLETPROOFS_"
#: The DST of every challenge of the transcript (the suite's hash_to_scalar).
RANGE_CHALLENGE_DST: Final = b"PNYX_V1_BBS_BULLETPROOFS_H2S_"

_POINT: Final = 48
_SCALAR: Final = 32
_MIN_INT: Final = -(2**63)
_MAX_INT: Final = 2**63 - 1
#: Transcript step tags (docs/credentials.md §4.2.3).
_Y, _Z, _X, _W, _ROUND, _BATCH = 1, 2, 3, 4, 5, 6


@final
@dataclass(frozen=True, slots=True)
class PedersenGenerators:
    """g and h: nothing-up-my-sleeve points of G1 (see `pedersen_generators`)."""

    g: G1
    h: G1


def pedersen_generators(suite: Ciphersuite, backend: CurveBackend) -> PedersenGenerators:
    """(g, h) = create_generators(2, PEDERSEN_API_ID) of the suite (draft-irtf-cfrg-bbs-
    signatures-09 §4.1.1): hash_to_curve_g1 with the DST
    PEDERSEN_API_ID || "SIG_GENERATOR_DST_", so nobody knows log_g h (RFC 9380
    §10.1). Memoised by the suite, like the BBS generators.
    """
    g, h = suite.create_generators(backend, 2, PEDERSEN_API_ID)
    return PedersenGenerators(g=g, h=h)


@final
@dataclass(frozen=True, slots=True)
class VectorGenerators:
    """G_0..G_{n−1} and H_0..H_{n−1} of the inner-product argument (Bulletproofs §3)."""

    gs: tuple[G1, ...]
    hs: tuple[G1, ...]


def vector_generators(suite: Ciphersuite, backend: CurveBackend, n: int) -> VectorGenerators:
    """(G_i, H_i) = (P_{2i}, P_{2i+1}) for P = create_generators(2n, BULLETPROOFS_API_ID)
    (draft §4.1.1; hash_to_curve_g1 with DST BULLETPROOFS_API_ID || "SIG_GENERATOR_DST_").

    Memoised by the suite (per n); the points are long-lived, so verifiers pass them
    to `g1_msm_public` as fixed bases.
    """
    if n < 1:
        raise BBSError("a range proof needs at least one bit")
    points = suite.create_generators(backend, 2 * n, BULLETPROOFS_API_ID)
    return VectorGenerators(gs=points[0::2], hs=points[1::2])


def pedersen_commit(
    backend: CurveBackend, gens: PedersenGenerators, value: int, blinding: int
) -> G1:
    """C = value·g + blinding·h (value taken mod r, so it may be negative)."""
    return backend.g1_msm((gens.g, gens.h), (value % ORDER, blinding % ORDER))


def range_weights(lo: int, hi: int) -> tuple[int, ...]:
    """The weights w_0..w_{k−1} of [lo, hi], k = bitlen(hi − lo): 2^i for i < k − 1 and
    d − 2^(k−1) + 1 last, so {Σ b_i·w_i : b ∈ {0,1}^k} = [0, d] and Σ w_i = d.

    Raises BBSError unless lo < hi, hi − lo < 2^64 and both fit a signed 64-bit integer.
    """
    if (
        isinstance(lo, bool)
        or isinstance(hi, bool)
        or not isinstance(lo, int)
        or not isinstance(hi, int)
    ):
        raise BBSError("range bounds must be integers")
    if not (_MIN_INT <= lo <= _MAX_INT and _MIN_INT <= hi <= _MAX_INT):
        raise BBSError("range bounds must be signed 64-bit integers")
    d = hi - lo
    if not 0 < d < 2**MAX_RANGE_BITS:
        raise BBSError("a range needs lo < hi and hi - lo < 2^64")
    k = d.bit_length()
    return (*(1 << i for i in range(k - 1)), d - (1 << (k - 1)) + 1)


def padded_length(ranges: Sequence[tuple[int, int]]) -> int:
    """n: the smallest power of two ≥ Σ_v bitlen(hi_v − lo_v) (BBSError for no range)."""
    if not ranges:
        raise BBSError("a range proof needs at least one range")
    total = sum(len(range_weights(lo, hi)) for lo, hi in ranges)
    return 1 << (total - 1).bit_length()


def proof_size(n: int) -> int:
    """The encoded size of a proof over n (a power of two) bits: 352 + 96·log2(n)."""
    return 4 * _POINT + 3 * _SCALAR + 2 * _POINT * _log2(n) + 2 * _SCALAR


def _log2(n: int) -> int:
    if n < 1 or n & (n - 1):
        raise BBSError("the bit count of a range proof is a power of two")
    return n.bit_length() - 1


@final
@dataclass(frozen=True, slots=True)
class RangeProof:
    """A, S, T1, T2 (encoded), τ_x, μ, t̂, the rounds' (L_k, R_k) (encoded), a, b.

    Everything here is public. Points stay encoded until a verifier decodes them
    (with the subgroup check) in `verify_ranges`.
    """

    a_point: bytes
    s_point: bytes
    t1: bytes
    t2: bytes
    tau_x: int
    mu: int
    t_hat: int
    ls: tuple[bytes, ...]
    rs: tuple[bytes, ...]
    a: int
    b: int

    def to_bytes(self) -> bytes:
        """A || S || T1 || T2 || τ_x || μ || t̂ || L_1 || R_1 || … || L_k || R_k || a || b
        (points 48 bytes compressed, scalars I2OSP(·, 32))."""
        out = bytearray(self.a_point + self.s_point + self.t1 + self.t2)
        out += b"".join(i2osp(s, _SCALAR) for s in (self.tau_x, self.mu, self.t_hat))
        out += b"".join(left + right for left, right in zip(self.ls, self.rs, strict=True))
        return bytes(out + i2osp(self.a, _SCALAR) + i2osp(self.b, _SCALAR))

    @classmethod
    def from_bytes(cls, data: bytes, n: int) -> RangeProof:
        """Decode a proof over n bits: exact length, scalars canonical (< r), point
        fields 48 bytes each (validated by `verify_ranges`). BBSError otherwise."""
        data = bytes(data)
        if len(data) != proof_size(n):
            raise BBSError("wrong length for a range proof")
        a_pt, s_pt, t1, t2 = (data[i : i + _POINT] for i in range(0, 4 * _POINT, _POINT))
        pos = 4 * _POINT
        head = [int.from_bytes(data[pos + i : pos + i + _SCALAR], "big") for i in (0, 32, 64)]
        pos += 3 * _SCALAR
        rounds = _log2(n)
        ls = tuple(data[pos + 96 * k : pos + 96 * k + 48] for k in range(rounds))
        rs = tuple(data[pos + 96 * k + 48 : pos + 96 * k + 96] for k in range(rounds))
        pos += 96 * rounds
        a, b = (int.from_bytes(data[pos + i : pos + i + _SCALAR], "big") for i in (0, 32))
        if any(s >= ORDER for s in (*head, a, b)):
            raise BBSError("non-canonical scalar in a range proof")
        tau_x, mu, t_hat = head
        return cls(a_pt, s_pt, t1, t2, tau_x, mu, t_hat, ls, rs, a, b)


def _challenge(suite: Ciphersuite, tag: int, data: bytes) -> int:
    """A Fiat–Shamir challenge (docs/credentials.md §4.2.3):
    hash_to_scalar(I2OSP(tag, 1) || data, RANGE_CHALLENGE_DST); each step's data
    starts with the previous challenge. A challenge 0 is refused (BBSError): the
    verifier needs inverses, and an honest prover meets it with probability ≈ 2^−255."""
    e = suite.hash_to_scalar(bytes([tag]) + data, RANGE_CHALLENGE_DST)
    if e == 0:
        raise BBSError("zero challenge in a range proof")
    return e


def _statement(
    backend: CurveBackend,
    seed: bytes,
    commitments: Sequence[G1],
    ranges: Sequence[tuple[int, int]],
) -> bytes:
    """I2OSP(len(seed), 8) || seed || I2OSP(m, 8) || (lo_v || hi_v || C_v for each v),
    bounds as 8-byte two's complement."""
    parts = [i2osp(len(seed), 8), bytes(seed), i2osp(len(ranges), 8)]
    for (lo, hi), c in zip(ranges, commitments, strict=True):
        parts += [
            lo.to_bytes(8, "big", signed=True),
            hi.to_bytes(8, "big", signed=True),
            backend.g1_to_bytes(c),
        ]
    return b"".join(parts)


def _omega_parts(
    ranges: Sequence[tuple[int, int]],
) -> tuple[list[tuple[int, int]], list[int], int]:
    """Per bit i < n: (value index v, weight w) with v = −1 for padding; the d_v; n."""
    bits: list[tuple[int, int]] = []
    ds = []
    for v, (lo, hi) in enumerate(ranges):
        bits += [(v, w) for w in range_weights(lo, hi)]
        ds.append(hi - lo)
    n = 1 << (len(bits) - 1).bit_length()
    bits += [(-1, 0)] * (n - len(bits))
    return bits, ds, n


def _powers(x: int, count: int, start: int = 1) -> list[int]:
    out = []
    p = start % ORDER
    for _ in range(count):
        out.append(p)
        p = p * x % ORDER
    return out


def _delta(y: int, z: int, n: int, ds: Sequence[int]) -> int:
    """δ(y, z) = (z − z²)·Σ_{i<n} y^i − Σ_v z^(3+v)·d_v."""
    sum_y = sum(_powers(y, n)) % ORDER
    z3 = _powers(z, len(ds), z * z * z)
    return ((z - z * z) * sum_y - sum(zv * d for zv, d in zip(z3, ds, strict=True))) % ORDER


def _decompose(a: int, weights: Sequence[int]) -> list[int]:
    """Bits b with Σ b_i·w_i = a, for 0 ≤ a ≤ d = Σ w_i (the top weight is used iff
    a does not fit the k − 1 powers of two)."""
    k = len(weights)
    top = 1 if a > (1 << (k - 1)) - 1 else 0
    rest = a - top * weights[-1]
    return [(rest >> i) & 1 for i in range(k - 1)] + [top]


def prove_ranges(
    suite: Ciphersuite,
    backend: CurveBackend,
    seed: bytes,
    commitments: Sequence[G1],
    openings: Sequence[tuple[int, int]],
    ranges: Sequence[tuple[int, int]],
    random_scalars: RandomScalars = calculate_random_scalars,
) -> RangeProof:
    """Prove lo_v ≤ x_v ≤ hi_v for every C_v = x_v·g + ρ_v·h, openings[v] = (x_v, ρ_v).

    `seed` starts the transcript (a presentation passes its BBS challenge; a
    standalone proof a context string); the verifier must pass the same seed,
    commitments and ranges. Raises BBSError if a value is outside its range (a
    false statement cannot be proven) or the lengths disagree. The commitments
    are the caller's: a commitment that is not x_v·g + ρ_v·h gives a proof that
    does not verify.
    """
    if not len(commitments) == len(openings) == len(ranges):
        raise BBSError("as many commitments and openings as ranges")
    a_l: list[int] = []
    for (x, _), (lo, hi) in zip(openings, ranges, strict=True):
        weights = range_weights(lo, hi)
        if isinstance(x, bool) or not isinstance(x, int) or not lo <= x <= hi:
            raise BBSError("the value is outside the range: the predicate does not hold")
        a_l += _decompose(x - lo, weights)
    blindings = [rho % ORDER for _, rho in openings]
    return _prove(suite, backend, seed, commitments, blindings, ranges, a_l, random_scalars)


def _prove(
    suite: Ciphersuite,
    backend: CurveBackend,
    seed: bytes,
    commitments: Sequence[G1],
    blindings: Sequence[int],
    ranges: Sequence[tuple[int, int]],
    bits: Sequence[int],
    random_scalars: RandomScalars,
) -> RangeProof:
    """The prover of §4.1–§4.3 + §3 for the bits a_L (Σ_v k_v of them, 0 or 1) and the
    blindings ρ_v of the C_v.

    Takes the bits as given (tests pass those of another value to play a cheating
    prover); `prove_ranges` derives them from the values.
    """
    pg = pedersen_generators(suite, backend)
    omega_bits, _, n = _omega_parts(ranges)
    vg = vector_generators(suite, backend, n)
    a_l = [*bits, *[0] * (n - len(bits))]
    a_r = [(b - 1) % ORDER for b in a_l]
    rnd = [s % ORDER for s in random_scalars(4 + 2 * n)]
    alpha, rho_s, tau1, tau2 = rnd[:4]
    s_l, s_r = rnd[4 : 4 + n], rnd[4 + n :]
    enc = backend.g1_to_bytes

    # A = α·h + Σ (a_L,i·G_i + a_R,i·H_i): for each i one addition, G_i or −H_i,
    # chosen by indexing (no branch on the secret bit).
    acc = backend.g1_mul(pg.h, alpha)
    for i, bit in enumerate(a_l):
        acc = backend.g1_add(acc, (backend.g1_neg(vg.hs[i]), vg.gs[i])[bit])
    a_point = enc(acc)
    s_point = enc(backend.g1_msm((pg.h, *vg.gs, *vg.hs), (rho_s, *s_l, *s_r)))
    stmt = _statement(backend, seed, commitments, ranges)
    y = _challenge(suite, _Y, stmt + a_point + s_point)
    z = _challenge(suite, _Z, i2osp(y, _SCALAR))

    y_pow = _powers(y, n)
    z_pow = _powers(z, len(ranges), z * z)  # z^(2+v)
    omega = [z_pow[v] * w % ORDER if v >= 0 else 0 for v, w in omega_bits]
    l0 = [(b - z) % ORDER for b in a_l]
    r0 = [(yi * (ar + z) + om) % ORDER for yi, ar, om in zip(y_pow, a_r, omega, strict=True)]
    r1 = [yi * sr % ORDER for yi, sr in zip(y_pow, s_r, strict=True)]
    t1 = (_inner(l0, r1) + _inner(s_l, r0)) % ORDER
    t2 = _inner(s_l, r1)
    t1_point = enc(backend.g1_msm((pg.g, pg.h), (t1, tau1)))
    t2_point = enc(backend.g1_msm((pg.g, pg.h), (t2, tau2)))
    x = _challenge(suite, _X, i2osp(z, _SCALAR) + t1_point + t2_point)

    lv = [(a + s * x) % ORDER for a, s in zip(l0, s_l, strict=True)]
    rv = [(a + s * x) % ORDER for a, s in zip(r0, r1, strict=True)]
    t_hat = _inner(lv, rv)
    blind = sum(zv * rho for zv, rho in zip(z_pow, blindings, strict=True))
    tau_x = (tau2 * x * x + tau1 * x + blind) % ORDER
    mu = (alpha + rho_s * x) % ORDER
    w = _challenge(suite, _W, b"".join(i2osp(s, _SCALAR) for s in (x, tau_x, mu, t_hat)))

    ls, rs, a, b = _inner_product(suite, backend, pg.g, vg, y, w, lv, rv)
    return RangeProof(a_point, s_point, t1_point, t2_point, tau_x, mu, t_hat, ls, rs, a, b)


def _inner(u: Sequence[int], v: Sequence[int]) -> int:
    return sum(a * b for a, b in zip(u, v, strict=True)) % ORDER


def _inner_product(
    suite: Ciphersuite,
    backend: CurveBackend,
    g: G1,
    vg: VectorGenerators,
    y: int,
    w: int,
    a: list[int],
    b: list[int],
) -> tuple[tuple[bytes, ...], tuple[bytes, ...], int, int]:
    """Protocol 2 (§3) for P = ⟨a, G⟩ + ⟨b, H'⟩ + ⟨a, b⟩·u, H'_i = y^−i·H_i, u = w·g.

    Round with length n': L = ⟨a_lo, G'_hi⟩ + ⟨b_hi, H'_lo⟩ + ⟨a_lo, b_hi⟩·u,
    R = ⟨a_hi, G'_lo⟩ + ⟨b_lo, H'_hi⟩ + ⟨a_hi, b_lo⟩·u; x_k from (L, R);
    a' = a_lo·x + a_hi·x⁻¹, b' = b_lo·x⁻¹ + b_hi·x, G' = G_lo·x⁻¹ + G_hi·x,
    H' = H'_lo·x + H'_hi·x⁻¹. The folded generators are never formed: the point
    G'_i is Σ_{j ≡ i mod n'} gc_j·G_j (likewise H' with hc), so L and R are MSMs
    over the fixed G_j, H_j with public scalars.
    """
    n = len(a)
    gc = [1] * n
    hc = _powers(pow(y, -1, ORDER), n)
    ls: list[bytes] = []
    rs: list[bytes] = []
    prev = w
    size = n
    fixed_bases = (g, *vg.gs, *vg.hs)
    while size > 1:
        half = size // 2
        a_lo, a_hi, b_lo, b_hi = a[:half], a[half:], b[:half], b[half:]
        left = [_inner(a_lo, b_hi) * w % ORDER, *[0] * (2 * n)]
        right = [_inner(a_hi, b_lo) * w % ORDER, *[0] * (2 * n)]
        for j in range(n):
            i = j % size
            if i < half:
                right[1 + j] = a_hi[i] * gc[j] % ORDER
                left[1 + n + j] = b_hi[i] * hc[j] % ORDER
            else:
                left[1 + j] = a_lo[i - half] * gc[j] % ORDER
                right[1 + n + j] = b_lo[i - half] * hc[j] % ORDER
        l_enc = backend.g1_to_bytes(_msm_fixed(backend, fixed_bases, left))
        r_enc = backend.g1_to_bytes(_msm_fixed(backend, fixed_bases, right))
        ls.append(l_enc)
        rs.append(r_enc)
        prev = _challenge(suite, _ROUND, i2osp(prev, _SCALAR) + l_enc + r_enc)
        x, x_inv = prev, pow(prev, -1, ORDER)
        a = [(lo * x + hi * x_inv) % ORDER for lo, hi in zip(a_lo, a_hi, strict=True)]
        b = [(lo * x_inv + hi * x) % ORDER for lo, hi in zip(b_lo, b_hi, strict=True)]
        for j in range(n):
            if j % size < half:
                gc[j] = gc[j] * x_inv % ORDER
                hc[j] = hc[j] * x % ORDER
            else:
                gc[j] = gc[j] * x % ORDER
                hc[j] = hc[j] * x_inv % ORDER
        size = half
    return tuple(ls), tuple(rs), a[0], b[0]


def _msm_fixed(backend: CurveBackend, bases: Sequence[G1], scalars: Sequence[int]) -> G1:
    """Σ k_i·P_i over fixed generators with public scalars, skipping the zeros."""
    live = [(p, k) for p, k in zip(bases, scalars, strict=True) if k]
    return backend.g1_msm_public([p for p, _ in live], [k for _, k in live], fixed=len(live))


def verify_ranges(
    suite: Ciphersuite,
    backend: CurveBackend,
    seed: bytes,
    commitments: Sequence[G1],
    ranges: Sequence[tuple[int, int]],
    proof: RangeProof,
) -> bool:
    """Whether `proof` shows lo_v ≤ x_v ≤ hi_v for the openings of every C_v.

    `commitments` are decoded (validated) points; `seed` and `ranges` as given to
    `prove_ranges`. Returns False for a malformed or failing proof; never raises.
    """
    try:
        return check_ranges(suite, backend, seed, commitments, ranges, proof)
    except (BBSError, TypeError, ValueError):
        return False


def check_ranges(
    suite: Ciphersuite,
    backend: CurveBackend,
    seed: bytes,
    commitments: Sequence[G1],
    ranges: Sequence[tuple[int, int]],
    proof: RangeProof,
) -> bool:
    """`verify_ranges`, raising BBSError for a malformed proof or statement (a point
    that does not decode to the subgroup or is the identity, a wrong round count, a
    zero challenge) and returning whether the verification equation of
    `range_equation` holds (its MSM is the identity).
    """
    bases, scalars, fixed = range_equation(suite, backend, seed, commitments, ranges, proof)
    return backend.g1_is_identity(backend.g1_msm_public(bases, scalars, fixed=fixed))


def range_equation(
    suite: Ciphersuite,
    backend: CurveBackend,
    seed: bytes,
    commitments: Sequence[G1],
    ranges: Sequence[tuple[int, int]],
    proof: RangeProof,
) -> tuple[list[G1], list[int], int]:
    """The verification equation of `proof` as an MSM that must sum to the identity:
    (bases, scalars, fixed), the first `fixed` bases being the long-lived
    generators g, h, G_i, H_i. Raises BBSError for a malformed proof or statement.
    A batch (batch.py) weighs it and adds it to others; `check_ranges` evaluates it:

        O = A + x·S − ξx·T1 − ξx²·T2 − Σ_v ξz^(2+v)·C_v + Σ_k (x_k²·L_k + x_k^−2·R_k)
            + Σ_i (−z − a·s_i)·G_i + Σ_i (z + y^−i·(ω_i − b·s_i⁻¹))·H_i
            + (w·(t̂ − a·b) + ξ·(t̂ − δ(y, z) + Σ_v z^(2+v)·lo_v))·g + (ξ·τ_x − μ)·h

    with s_i = Π_k x_k^(±1) (+ iff bit log2(n) − k of i is set): the inner-product
    check (§3, §6.2) plus ξ times the check of t̂ (§4.1 (72)), one MSM (§6.2).
    """
    if len(commitments) != len(ranges):
        raise BBSError("as many commitments as ranges")
    omega_bits, ds, n = _omega_parts(ranges)
    rounds = _log2(n)
    if len(proof.ls) != rounds or len(proof.rs) != rounds:
        raise BBSError("range proof has the wrong number of rounds")
    pg = pedersen_generators(suite, backend)
    vg = vector_generators(suite, backend, n)
    encoded = (proof.a_point, proof.s_point, proof.t1, proof.t2, *proof.ls, *proof.rs)
    points = []
    for enc in encoded:
        p = backend.g1_from_bytes(enc)
        if backend.g1_is_identity(p):
            raise BBSError("identity point in a range proof")
        points.append(p)
    for k in (proof.tau_x, proof.mu, proof.t_hat, proof.a, proof.b):
        if not 0 <= k < ORDER:
            raise BBSError("scalar out of range in a range proof")
    a_pt, s_pt, t1_pt, t2_pt = points[:4]
    l_pts, r_pts = points[4 : 4 + rounds], points[4 + rounds :]

    stmt = _statement(backend, seed, commitments, ranges)
    y = _challenge(suite, _Y, stmt + proof.a_point + proof.s_point)
    z = _challenge(suite, _Z, i2osp(y, _SCALAR))
    x = _challenge(suite, _X, i2osp(z, _SCALAR) + proof.t1 + proof.t2)
    head = (x, proof.tau_x, proof.mu, proof.t_hat)
    w = _challenge(suite, _W, b"".join(i2osp(s, _SCALAR) for s in head))
    xs = []
    prev = w
    for l_enc, r_enc in zip(proof.ls, proof.rs, strict=True):
        prev = _challenge(suite, _ROUND, i2osp(prev, _SCALAR) + l_enc + r_enc)
        xs.append(prev)
    tail = i2osp(prev, _SCALAR) + i2osp(proof.a, _SCALAR) + i2osp(proof.b, _SCALAR)
    xi = _challenge(suite, _BATCH, tail)

    # s_0 = Π x_k⁻¹; s_i = s_{i − 2^t}·x_{log n − t}² for t the top bit of i; s_i⁻¹ = s_{n−1−i}.
    x_invs = [pow(xk, -1, ORDER) for xk in xs]
    sv = [1] * n
    for xk_inv in x_invs:
        sv[0] = sv[0] * xk_inv % ORDER
    for i in range(1, n):
        t = i.bit_length() - 1
        xk = xs[rounds - 1 - t]
        sv[i] = sv[i - (1 << t)] * xk * xk % ORDER
    y_inv = pow(y, -1, ORDER)
    y_inv_pow = _powers(y_inv, n)
    z_pow = _powers(z, len(ranges), z * z)
    a, b = proof.a, proof.b
    g_scalars = [(-z - a * si) % ORDER for si in sv]
    h_scalars = []
    for i, (v, wt) in enumerate(omega_bits):
        om = z_pow[v] * wt if v >= 0 else 0
        h_scalars.append((z + y_inv_pow[i] * (om - b * sv[n - 1 - i])) % ORDER)
    lo_term = sum(zv * lo for zv, (lo, _) in zip(z_pow, ranges, strict=True))
    t_hat = proof.t_hat
    g_scalar = (w * (t_hat - a * b) + xi * (t_hat - _delta(y, z, n, ds) + lo_term)) % ORDER
    h_scalar = (xi * proof.tau_x - proof.mu) % ORDER
    bases = [
        pg.g,
        pg.h,
        *vg.gs,
        *vg.hs,
        a_pt,
        s_pt,
        t1_pt,
        t2_pt,
        *commitments,
        *l_pts,
        *r_pts,
    ]
    scalars = [
        g_scalar,
        h_scalar,
        *g_scalars,
        *h_scalars,
        1,
        x,
        (-xi * x) % ORDER,
        (-xi * x * x) % ORDER,
        *[(-xi * zv) % ORDER for zv in z_pow],
        *[xk * xk % ORDER for xk in xs],
        *[xk_inv * xk_inv % ORDER for xk_inv in x_invs],
    ]
    return bases, scalars, 2 + 2 * n

"""BBS core operations (draft-irtf-cfrg-bbs-signatures-09 §3.6, §4, §5).

Every function here is one subroutine of the draft, with its name and its
parameters in the draft's order, and with what the draft fixes per interface
passed explicitly: the `api_id`, the `generators` (Q_1, H_1, …, H_L) and the
messages already mapped to scalars. The blind-signature and per-verifier
pseudonym drafts call these same subroutines with other api_ids, extra
generators and extra proof terms, so they are public and stable:

    calculate_domain            §4.5 (the domain scalar)
    core_sign / core_verify     §3.6.1 CoreSign, §3.6.2 CoreVerify
    core_proof_gen              §3.6.3 CoreProofGen
      = proof_init              §5.1 ProofInit
      + proof_challenge_calculate  §5.3 ProofChallengeCalculate
      + proof_finalize          §5.2 ProofFinalize
    core_proof_verify           §3.6.4 CoreProofVerify
      = proof_verify_init       §5.4 ProofVerifyInit
      + proof_challenge_calculate + the pairing check

Curve arithmetic goes through a `CurveBackend`; each sum of multiples is one
multi-scalar multiplication, and each pairing equation one pairing-product
check with a single final exponentiation.

Verification equations (-09): CoreVerify checks e(A, W) · e(A·e − B, BP2) = 1,
computing A·e − B = A·e − P1 − Q_1·domain − Σ H_i·m_i as one MSM;
CoreProofVerify checks e(Abar, W) · e(Bbar, −BP2) = 1.

The issuer's secret key. Python integers and the arkworks and py_ecc scalar
multiplications are not constant-time (blst's is), and this module runs on
all three. So no operation multiplies a point by a value that depends on SK
alone: `core_sign` computes A = B·(1/(SK + e)) as (B·ρ)·(1/((SK + e)·ρ)) with a
fresh uniform ρ, so each multiplier, and the inversion's input, is uniformly
distributed and independent of SK; `sk_to_pk` (interface.py) computes
W = BP2·(SK − ρ) + BP2·ρ. The result is the same point, so the output stays
deterministic and the fixtures still match byte for byte. What remains
secret-dependent is SHA-256/SHAKE-256 of SK (for e) and a few bignum additions
and multiplications mod r, whose timing in CPython depends on operand sizes
(fixed here at ~255 bits) rather than on their bits.

Random scalars of proofs are injectable (`random_scalars`, a function
count ↦ scalars) so that the fixtures' mocked values (draft Appendix, seeded
mocked_calculate_random_scalars) reproduce their proofs byte for byte; the
default draws from the OS CSPRNG (§4.4).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from crypto.bbs.backend import G1, G2, ORDER, BBSError, CurveBackend
from crypto.bbs.suite import (
    OCTET_SCALAR_LENGTH,
    Ciphersuite,
    Proof,
    calculate_random_scalars,
    i2osp,
    octets_to_proof,
    octets_to_pubkey,
    octets_to_signature,
    proof_to_octets,
    signature_to_octets,
)

__all__ = [
    "InitResult",
    "RandomScalars",
    "calculate_domain",
    "core_proof_gen",
    "core_proof_verify",
    "core_sign",
    "core_verify",
    "proof_challenge_calculate",
    "proof_finalize",
    "proof_init",
    "proof_verify_init",
]

#: A source of random scalars: count ↦ that many scalars in [0, r) (draft §4.4).
RandomScalars = Callable[[int], Sequence[int]]


@dataclass(frozen=True)
class InitResult:
    """init_res of ProofInit / ProofVerifyInit (draft §5.1, §5.4):
    (Abar, Bbar, D, T1, T2, domain)."""

    abar: G1
    bbar: G1
    d: G1
    t1: G1
    t2: G1
    domain: int


def _scalar_octets(s: int) -> bytes:
    return i2osp(s, OCTET_SCALAR_LENGTH)


def _split_generators(generators: Sequence[G1], length: int) -> tuple[G1, Sequence[G1]]:
    if len(generators) != length + 1:
        raise BBSError("need exactly L + 1 generators (Q_1, H_1..H_L)")
    return generators[0], generators[1:]


def calculate_domain(
    suite: Ciphersuite,
    backend: CurveBackend,
    pk: bytes,
    q_1: G1,
    h_points: Sequence[G1],
    header: bytes,
    api_id: bytes,
) -> int:
    """calculate_domain (draft §4.5).

    dom_octs = serialize((L, Q_1, H_1, …, H_L)) || api_id;
    dom_input = PK || dom_octs || I2OSP(length(header), 8) || header;
    domain = hash_to_scalar(dom_input, api_id || "H2S_").
    """
    dom_octs = b"".join(
        [i2osp(len(h_points), 8), backend.g1_to_bytes(q_1)]
        + [backend.g1_to_bytes(h) for h in h_points]
    )
    dom_input = bytes(pk) + dom_octs + api_id + i2osp(len(header), 8) + bytes(header)
    return suite.hash_to_scalar(dom_input, api_id + b"H2S_")


def _b_point(
    suite: Ciphersuite,
    backend: CurveBackend,
    q_1: G1,
    h_points: Sequence[G1],
    domain: int,
    messages: Sequence[int],
) -> G1:
    """B = (P1 + Q_1·domain) + H_1·msg_1 + … + H_L·msg_L (one MSM; the first
    term is memoised, `Ciphersuite.domain_point`)."""
    return backend.g1_msm(
        [suite.domain_point(backend, q_1, domain), *h_points],
        [1, *[m % ORDER for m in messages]],
    )


def _check_scalars(messages: Sequence[int]) -> None:
    for m in messages:
        if not isinstance(m, int) or not 0 <= m < ORDER:
            raise BBSError("message scalar out of range [0, r)")


def core_sign(
    suite: Ciphersuite,
    backend: CurveBackend,
    sk: int,
    pk: bytes,
    generators: Sequence[G1],
    header: bytes,
    messages: Sequence[int],
    api_id: bytes,
) -> bytes:
    """CoreSign (draft §3.6.1). Deterministic; raises BBSError.

    domain = calculate_domain(PK, Q_1, (H_1..H_L), header, api_id);
    e = hash_to_scalar(serialize((SK, msg_1, …, msg_L, domain)), api_id || "H2S_");
    B = P1 + Q_1·domain + Σ H_i·msg_i;  A = B·(1/(SK + e)).
    A is computed blinded (module docstring).
    """
    if not 0 < sk < ORDER:
        raise BBSError("secret key out of range")
    _check_scalars(messages)
    q_1, h_points = _split_generators(generators, len(messages))
    domain = calculate_domain(suite, backend, pk, q_1, h_points, header, api_id)
    e_input = b"".join(_scalar_octets(s) for s in (sk, *messages, domain))
    e = suite.hash_to_scalar(e_input, api_id + b"H2S_")
    b = _b_point(suite, backend, q_1, h_points, domain, messages)
    rho = 1 + secrets.randbelow(ORDER - 1)
    blinded = (sk + e) * rho % ORDER
    if blinded == 0:
        raise BBSError("SK + e = 0 mod r")
    a = backend.g1_mul(backend.g1_mul(b, rho), pow(blinded, -1, ORDER))
    return signature_to_octets(backend, a, e)


def core_verify(
    suite: Ciphersuite,
    backend: CurveBackend,
    pk: bytes,
    signature: bytes,
    generators: Sequence[G1],
    header: bytes,
    messages: Sequence[int],
    api_id: bytes,
) -> bool:
    """CoreVerify (draft §3.6.2): e(A, W) · e(A·e − B, BP2) = Identity_GT.

    Returns False for an invalid signature; raises BBSError for malformed input
    (the interface turns that into False).
    """
    a, e = octets_to_signature(backend, signature)
    w = octets_to_pubkey(backend, pk)
    _check_scalars(messages)
    q_1, h_points = _split_generators(generators, len(messages))
    domain = calculate_domain(suite, backend, pk, q_1, h_points, header, api_id)
    # A·e − B = A·e − (P1 + Q_1·domain) − Σ H_i·msg_i, one MSM.
    c = backend.g1_msm(
        [a, suite.domain_point(backend, q_1, domain), *h_points],
        [e, ORDER - 1, *[-m % ORDER for m in messages]],
    )
    return backend.pairing_check([(a, w), (c, backend.g2_generator())])


def proof_init(
    suite: Ciphersuite,
    backend: CurveBackend,
    pk: bytes,
    signature: tuple[G1, int],
    generators: Sequence[G1],
    random_scalars: Sequence[int],
    header: bytes,
    messages: Sequence[int],
    undisclosed_indexes: Sequence[int],
    api_id: bytes,
) -> InitResult:
    """ProofInit (draft §5.1).

    (r1, r2, ẽ, r̃1, r̃3, m̃_j1, …, m̃_jU) = random_scalars;
    B = P1 + Q_1·domain + Σ H_i·msg_i;  D = B·r2;  Abar = A·(r1·r2);
    Bbar = D·r1 − Abar·e;  T1 = Abar·ẽ + D·r̃1;  T2 = D·r̃3 + Σ H_j·m̃_j.
    """
    a, e = signature
    length, u = len(messages), len(undisclosed_indexes)
    if len(random_scalars) != u + 5:
        raise BBSError("need U + 5 random scalars")
    if u > length or any(not 0 <= j < length for j in undisclosed_indexes):
        raise BBSError("undisclosed index out of range")
    _check_scalars(messages)
    r1, r2, e_tilde, r1_tilde, r3_tilde, *m_tilde = (s % ORDER for s in random_scalars)
    q_1, h_points = _split_generators(generators, length)
    domain = calculate_domain(suite, backend, pk, q_1, h_points, header, api_id)
    b = _b_point(suite, backend, q_1, h_points, domain, messages)
    d = backend.g1_mul(b, r2)
    abar = backend.g1_mul(a, r1 * r2 % ORDER)
    bbar = backend.g1_msm([d, abar], [r1, -e % ORDER])
    t1 = backend.g1_msm([abar, d], [e_tilde, r1_tilde])
    t2 = backend.g1_msm([d, *[h_points[j] for j in undisclosed_indexes]], [r3_tilde, *m_tilde])
    return InitResult(abar=abar, bbar=bbar, d=d, t1=t1, t2=t2, domain=domain)


def proof_challenge_calculate(
    suite: Ciphersuite,
    backend: CurveBackend,
    init_res: InitResult,
    i_array: Sequence[int],
    msg_array: Sequence[int],
    ph: bytes,
    api_id: bytes,
) -> int:
    """ProofChallengeCalculate (draft §5.3).

    c_arr = (R, i1, msg_i1, …, iR, msg_iR, Abar, Bbar, D, T1, T2, domain);
    c_octs = serialize(c_arr) || I2OSP(length(ph), 8) || ph;
    challenge = hash_to_scalar(c_octs, api_id || "H2S_").
    """
    if len(i_array) != len(msg_array):
        raise BBSError("as many disclosed messages as disclosed indexes")
    parts = [i2osp(len(i_array), 8)]
    for i, m in zip(i_array, msg_array, strict=True):
        parts += [i2osp(i, 8), _scalar_octets(m)]
    parts += [
        backend.g1_to_bytes(p)
        for p in (init_res.abar, init_res.bbar, init_res.d, init_res.t1, init_res.t2)
    ]
    parts += [_scalar_octets(init_res.domain), i2osp(len(ph), 8), bytes(ph)]
    return suite.hash_to_scalar(b"".join(parts), api_id + b"H2S_")


def proof_finalize(
    backend: CurveBackend,
    init_res: InitResult,
    challenge: int,
    e_value: int,
    random_scalars: Sequence[int],
    undisclosed_messages: Sequence[int],
) -> bytes:
    """ProofFinalize (draft §5.2).

    r3 = r2⁻¹;  ê = ẽ + e·c;  r̂1 = r̃1 − r1·c;  r̂3 = r̃3 − r3·c;
    m̂_j = m̃_j + undisclosed_j·c;  proof = (Abar, Bbar, D, ê, r̂1, r̂3, (m̂_j), c).
    """
    r1, r2, e_tilde, r1_tilde, r3_tilde, *m_tilde = (s % ORDER for s in random_scalars)
    if len(m_tilde) != len(undisclosed_messages):
        raise BBSError("need U + 5 random scalars")
    if r2 == 0:
        raise BBSError("r2 = 0")
    r3 = pow(r2, -1, ORDER)
    c = challenge
    proof = Proof(
        abar=init_res.abar,
        bbar=init_res.bbar,
        d=init_res.d,
        e_hat=(e_tilde + e_value * c) % ORDER,
        r1_hat=(r1_tilde - r1 * c) % ORDER,
        r3_hat=(r3_tilde - r3 * c) % ORDER,
        commitments=tuple(
            (mt + m * c) % ORDER for mt, m in zip(m_tilde, undisclosed_messages, strict=True)
        ),
        challenge=c,
    )
    return proof_to_octets(backend, proof)


def proof_verify_init(
    suite: Ciphersuite,
    backend: CurveBackend,
    pk: bytes,
    proof: Proof,
    generators: Sequence[G1],
    header: bytes,
    messages: Sequence[int],
    disclosed_indexes: Sequence[int],
    api_id: bytes,
) -> InitResult:
    """ProofVerifyInit (draft §5.4).

    T1 = Bbar·c + Abar·ê + D·r̂1;
    Bv = P1 + Q_1·domain + Σ_{i disclosed} H_i·msg_i;
    T2 = Bv·c + D·r̂3 + Σ_{j undisclosed} H_j·m̂_j  (one MSM with Bv expanded,
    its P1 + Q_1·domain term memoised: `Ciphersuite.domain_point`).
    """
    u, r = len(proof.commitments), len(disclosed_indexes)
    length = u + r
    if len(messages) != r:
        raise BBSError("as many disclosed messages as disclosed indexes")
    _check_scalars(messages)
    _check_ascending(disclosed_indexes, length)
    disclosed = set(disclosed_indexes)
    undisclosed = [j for j in range(length) if j not in disclosed]
    q_1, h_points = _split_generators(generators, length)
    domain = calculate_domain(suite, backend, pk, q_1, h_points, header, api_id)
    c = proof.challenge
    t1 = backend.g1_msm_public([proof.bbar, proof.abar, proof.d], [c, proof.e_hat, proof.r1_hat])
    # Every scalar here is public (c, the disclosed messages, the proof's
    # responses): the generators go first, as fixed bases (`g1_msm_public`).
    fixed = [*[h_points[i] for i in disclosed_indexes], *[h_points[j] for j in undisclosed]]
    t2 = backend.g1_msm_public(
        [*fixed, suite.domain_point(backend, q_1, domain), proof.d],
        [*[c * m % ORDER for m in messages], *proof.commitments, c, proof.r3_hat],
        fixed=length,
    )
    return InitResult(abar=proof.abar, bbar=proof.bbar, d=proof.d, t1=t1, t2=t2, domain=domain)


def _check_ascending(indexes: Sequence[int], length: int) -> None:
    """Indexes strictly ascending in [0, length): unique and sorted (draft §3.5.3)."""
    prev = -1
    for i in indexes:
        if not isinstance(i, int) or not prev < i < length:
            raise BBSError("disclosed indexes must be strictly ascending, in [0, L)")
        prev = i


def core_proof_gen(
    suite: Ciphersuite,
    backend: CurveBackend,
    pk: bytes,
    signature: bytes,
    generators: Sequence[G1],
    header: bytes,
    ph: bytes,
    messages: Sequence[int],
    disclosed_indexes: Sequence[int],
    api_id: bytes,
    random_scalars: RandomScalars = calculate_random_scalars,
) -> bytes:
    """CoreProofGen (draft §3.6.3). Raises BBSError on malformed input.

    The signature is decoded and validated but not verified (as in the draft):
    a holder checks a credential once, with `core_verify`, when it receives it.
    """
    a, e = octets_to_signature(backend, signature)
    length = len(messages)
    _check_ascending(disclosed_indexes, length)
    disclosed = set(disclosed_indexes)
    undisclosed_indexes = [j for j in range(length) if j not in disclosed]
    scalars = list(random_scalars(5 + len(undisclosed_indexes)))
    init_res = proof_init(
        suite,
        backend,
        pk,
        (a, e),
        generators,
        scalars,
        header,
        messages,
        undisclosed_indexes,
        api_id,
    )
    challenge = proof_challenge_calculate(
        suite,
        backend,
        init_res,
        disclosed_indexes,
        [messages[i] for i in disclosed_indexes],
        ph,
        api_id,
    )
    return proof_finalize(
        backend, init_res, challenge, e, scalars, [messages[j] for j in undisclosed_indexes]
    )


def core_proof_verify(
    suite: Ciphersuite,
    backend: CurveBackend,
    pk: bytes,
    proof: bytes,
    generators: Sequence[G1],
    header: bytes,
    ph: bytes,
    disclosed_messages: Sequence[int],
    disclosed_indexes: Sequence[int],
    api_id: bytes,
) -> bool:
    """CoreProofVerify (draft §3.6.4).

    init_res = ProofVerifyInit(…); c' = ProofChallengeCalculate(init_res, …);
    valid iff c' = c and e(Abar, W) · e(Bbar, −BP2) = Identity_GT.
    Returns False for an invalid proof; raises BBSError for malformed input.
    """
    decoded = octets_to_proof(backend, proof)
    w: G2 = octets_to_pubkey(backend, pk)
    init_res = proof_verify_init(
        suite,
        backend,
        pk,
        decoded,
        generators,
        header,
        disclosed_messages,
        disclosed_indexes,
        api_id,
    )
    challenge = proof_challenge_calculate(
        suite, backend, init_res, disclosed_indexes, disclosed_messages, ph, api_id
    )
    if challenge != decoded.challenge:
        return False
    return backend.pairing_check(
        [(decoded.abar, w), (decoded.bbar, backend.g2_neg(backend.g2_generator()))]
    )

"""Blind BBS signatures (draft-irtf-cfrg-bbs-blind-signatures), as the published fixtures pin them.

The Prover commits to messages the Signer must not see (`commit`: a Pedersen
commitment C = Q_2·secret_prover_blind + Σ J_i·msg_i with a Schnorr proof of
knowledge of its opening); the Signer checks the proof and signs
B = P1 + Q_1·domain + Σ H_i·msg_i + C (`blind_sign`); the Prover then holds an
ordinary BBS signature over the generators (Q_1, H_1..H_L, Q_2, J_1..J_M) and
the scalars (msg_1..msg_L, secret_prover_blind, committed_1..committed_M), so
verification and proofs are the core's (`core_verify`, `proof_init`,
`proof_challenge_calculate`, `proof_finalize`, `proof_verify_init`), called
with these generators and the interface's api_id = ciphersuite_id ||
"BLIND_H2G_HM2S_" (blind generators under "BLIND_" || api_id).

Which text. The fixtures in ../shared/vectors/bbs-blind (last changed
2025-02-27, after the signer_blind parameter was removed) match, byte for
byte, the draft -02 era text implemented here:

- §"Core Commitment Computation" / "Blind Challenge Calculation":
  challenge = hash_to_scalar(serialize((M, Q_2, J_1..J_M, C, Cbar)), api_id || "H2S_");
  commitment_with_proof = C || s^ || m^_1..m^_M || challenge.
- §"Finalize Blind Sign": domain = calculate_domain(PK, Q_1, (H_1..H_L, Q_2,
  J_1..J_M), header, api_id) — Q_2 included, even with no commitment — and
  e = hash_to_scalar(serialize((SK, B)), api_id || "H2S_"). The editor's copy
  of 2026 writes serialize((SK, B, domain)); domain already enters e through
  the Q_1·domain term of B, and the fixtures pin the (SK, B) form, which a
  later revision of the editor's copy restored.
- Proof generation: the core ProofGen over the combined vector, committed
  message j at index L + 1 + j. The 2026 editor's copy ("add extension commits
  during ProofGen", "update challenge calc") adds committed disclosure, a
  length-prefixed proof encoding and keybinding; no fixture exists for that
  form, and it is not implemented here (the predicate presentation of
  predicates.py plays the committed-disclosure role, see docs/credentials.md).

Secret-key hygiene follows core.py: A = (B·ρ)·(1/((SK + e)·ρ)) with a fresh ρ.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from crypto.bbs.backend import G1, ORDER, BBSError, CurveBackend, get_backend
from crypto.bbs.core import (
    RandomScalars,
    calculate_domain,
    core_verify,
    proof_challenge_calculate,
    proof_finalize,
    proof_init,
    proof_verify_init,
)
from crypto.bbs.suite import (
    OCTET_POINT_LENGTH,
    OCTET_SCALAR_LENGTH,
    Ciphersuite,
    calculate_random_scalars,
    i2osp,
    octets_to_proof,
    octets_to_pubkey,
    octets_to_signature,
    signature_to_octets,
)

__all__ = [
    "BlindGenerators",
    "blind_api_id",
    "blind_generators_for",
    "blind_proof_gen",
    "blind_proof_gen_scalars",
    "blind_proof_verify",
    "blind_proof_verify_scalars",
    "blind_sign",
    "blind_sign_scalars",
    "calculate_blind_challenge",
    "commit",
    "core_commit",
    "core_commit_verify",
    "deserialize_and_validate_commit",
    "finalize_blind_sign",
    "octets_to_commitment_with_proof",
    "parse_secret_key",
    "verify_blind_sign",
    "verify_blind_sign_scalars",
]


def blind_api_id(suite: Ciphersuite) -> bytes:
    """api_id of the Blind BBS interface: ciphersuite_id || "BLIND_H2G_HM2S_"."""
    return suite.ciphersuite_id + b"BLIND_H2G_HM2S_"


def parse_secret_key(sk: bytes) -> int:
    """OS2IP of a 32-byte secret key in (0, r); BBSError otherwise."""
    if len(sk) != OCTET_SCALAR_LENGTH:
        raise BBSError("a secret key is 32 bytes")
    x = int.from_bytes(sk, "big")
    if not 0 < x < ORDER:
        raise BBSError("secret key out of range")
    return x


@dataclass(frozen=True)
class BlindGenerators:
    """The signer's generators (Q_1, H_1..H_L) and the blind ones (Q_2, J_1..J_M)."""

    generators: tuple[G1, ...]
    blind: tuple[G1, ...]

    @property
    def combined(self) -> tuple[G1, ...]:
        """(Q_1, H_1..H_L, Q_2, J_1..J_M): the core's generators for the signed vector."""
        return self.generators + self.blind


def blind_generators_for(
    suite: Ciphersuite, backend: CurveBackend, length: int, committed: int, api_id: bytes
) -> BlindGenerators:
    """create_generators(L + 1, api_id) and create_generators(M + 1, "BLIND_" || api_id)."""
    return BlindGenerators(
        generators=suite.create_generators(backend, length + 1, api_id),
        blind=suite.create_generators(backend, committed + 1, b"BLIND_" + api_id),
    )


def calculate_blind_challenge(
    suite: Ciphersuite,
    backend: CurveBackend,
    c: G1,
    cbar: G1,
    blind_generators: Sequence[G1],
    api_id: bytes,
) -> int:
    """calculate_blind_challenge: hash_to_scalar(serialize((M, Q_2, J_1..J_M, C, Cbar)),
    api_id || "H2S_") with M = length(blind_generators) − 1."""
    if not blind_generators:
        raise BBSError("no blind generators")
    octs = i2osp(len(blind_generators) - 1, 8) + b"".join(
        backend.g1_to_bytes(p) for p in (*blind_generators, c, cbar)
    )
    return suite.hash_to_scalar(octs, api_id + b"H2S_")


def core_commit(
    suite: Ciphersuite,
    backend: CurveBackend,
    committed_scalars: Sequence[int],
    blind_generators: Sequence[G1],
    api_id: bytes,
    random_scalars: RandomScalars = calculate_random_scalars,
) -> tuple[bytes, int]:
    """CoreCommit: (commitment_with_proof, secret_prover_blind).

    (secret_prover_blind, s~, m~_1..m~_M) = random_scalars(M + 2);
    C = Q_2·secret_prover_blind + Σ J_i·msg_i;  Cbar = Q_2·s~ + Σ J_i·m~_i;
    c = calculate_blind_challenge(C, Cbar, …);  s^ = s~ + secret_prover_blind·c;
    m^_i = m~_i + msg_i·c;  output C || s^ || m^_1..m^_M || c.
    """
    m = len(committed_scalars)
    if len(blind_generators) != m + 1:
        raise BBSError("need M + 1 blind generators")
    if any(not 0 <= x < ORDER for x in committed_scalars):
        raise BBSError("committed scalar out of range")
    blind, s_tilde, *m_tilde = (x % ORDER for x in random_scalars(m + 2))
    c_point = backend.g1_msm(blind_generators, [blind, *committed_scalars])
    cbar = backend.g1_msm(blind_generators, [s_tilde, *m_tilde])
    c = calculate_blind_challenge(suite, backend, c_point, cbar, blind_generators, api_id)
    s_hat = (s_tilde + blind * c) % ORDER
    m_hat = [(t + x * c) % ORDER for t, x in zip(m_tilde, committed_scalars, strict=True)]
    octs = backend.g1_to_bytes(c_point) + b"".join(
        i2osp(x, OCTET_SCALAR_LENGTH) for x in (s_hat, *m_hat, c)
    )
    return octs, blind


def commit(
    suite: Ciphersuite,
    committed_messages: Sequence[bytes] = (),
    *,
    api_id: bytes | None = None,
    backend: CurveBackend | None = None,
    random_scalars: RandomScalars = calculate_random_scalars,
) -> tuple[bytes, int]:
    """Commit(committed_messages, api_id): the Prover's first move.

    Returns (commitment_with_proof, secret_prover_blind); the latter stays with
    the Prover (it is needed for every proof).
    """
    backend = backend or get_backend()
    api = blind_api_id(suite) if api_id is None else api_id
    scalars = suite.messages_to_scalars(committed_messages, api)
    gens = suite.create_generators(backend, len(scalars) + 1, b"BLIND_" + api)
    return core_commit(suite, backend, scalars, gens, api, random_scalars)


def octets_to_commitment_with_proof(
    backend: CurveBackend, data: bytes
) -> tuple[G1, int, tuple[int, ...], int]:
    """octets_to_commitment_with_proof: (C, s^, (m^_1..m^_M), c); BBSError if malformed.

    C must be a valid G1 point other than the identity; every scalar in (0, r).
    """
    floor = OCTET_POINT_LENGTH + 2 * OCTET_SCALAR_LENGTH
    if len(data) < floor or (len(data) - OCTET_POINT_LENGTH) % OCTET_SCALAR_LENGTH:
        raise BBSError("malformed commitment_with_proof length")
    c_point = backend.g1_from_bytes(bytes(data[:OCTET_POINT_LENGTH]))
    if backend.g1_is_identity(c_point):
        raise BBSError("commitment is the identity")
    scalars = [
        int.from_bytes(data[i : i + OCTET_SCALAR_LENGTH], "big")
        for i in range(OCTET_POINT_LENGTH, len(data), OCTET_SCALAR_LENGTH)
    ]
    if any(not 0 < s < ORDER for s in scalars):
        raise BBSError("commitment proof scalar out of range")
    return c_point, scalars[0], tuple(scalars[1:-1]), scalars[-1]


def core_commit_verify(
    suite: Ciphersuite,
    backend: CurveBackend,
    commitment: G1,
    s_hat: int,
    m_hats: Sequence[int],
    challenge: int,
    blind_generators: Sequence[G1],
    api_id: bytes,
) -> bool:
    """CoreCommitVerify: Cbar = Q_2·s^ + Σ J_i·m^_i − C·c; valid iff
    calculate_blind_challenge(C, Cbar) = c."""
    if len(blind_generators) != len(m_hats) + 1:
        return False
    cbar = backend.g1_msm_public(  # public scalars; the blind generators are fixed bases
        [*blind_generators, commitment],
        [s_hat, *m_hats, (-challenge) % ORDER],
        fixed=len(blind_generators),
    )
    cv = calculate_blind_challenge(suite, backend, commitment, cbar, blind_generators, api_id)
    return secrets.compare_digest(i2osp(cv, 32), i2osp(challenge, 32))


def deserialize_and_validate_commit(
    suite: Ciphersuite, backend: CurveBackend, commitment_with_proof: bytes, api_id: bytes
) -> tuple[G1, tuple[G1, ...]]:
    """deserialize_and_validate_commit: (C, blind_generators) with the proof checked.

    An empty input gives (Identity_G1, (Q_2,)): a blind signature without a
    commitment still carries Q_2 (secret_prover_blind = 0). BBSError if the
    encoding or the proof of knowledge is invalid.
    """
    if not commitment_with_proof:
        return backend.g1_identity(), suite.create_generators(backend, 1, b"BLIND_" + api_id)
    c_point, s_hat, m_hats, challenge = octets_to_commitment_with_proof(
        backend, commitment_with_proof
    )
    gens = suite.create_generators(backend, len(m_hats) + 1, b"BLIND_" + api_id)
    if not core_commit_verify(suite, backend, c_point, s_hat, m_hats, challenge, gens, api_id):
        raise BBSError("invalid commitment proof")
    return c_point, gens


def finalize_blind_sign(
    suite: Ciphersuite, backend: CurveBackend, sk: int, b: G1, api_id: bytes
) -> bytes:
    """FinalizeBlindSign: e = hash_to_scalar(serialize((SK, B)), api_id || "H2S_"),
    A = B·(1/(SK + e)), computed as (B·ρ)·(1/((SK + e)·ρ)) (see core.py)."""
    if backend.g1_is_identity(b):
        raise BBSError("B is the identity")
    e = suite.hash_to_scalar(
        i2osp(sk, OCTET_SCALAR_LENGTH) + backend.g1_to_bytes(b), api_id + b"H2S_"
    )
    rho = 1 + secrets.randbelow(ORDER - 1)
    blinded = (sk + e) * rho % ORDER
    if blinded == 0:
        raise BBSError("SK + e = 0 mod r")
    a = backend.g1_mul(backend.g1_mul(b, rho), pow(blinded, -1, ORDER))
    return signature_to_octets(backend, a, e)


def blind_sign_scalars(
    suite: Ciphersuite,
    backend: CurveBackend,
    sk: bytes,
    pk: bytes,
    commitment_with_proof: bytes,
    header: bytes,
    message_scalars: Sequence[int],
    api_id: bytes,
    extra_blind_terms: Sequence[tuple[int, int]] = (),
    header_suffix: bytes = b"",
) -> bytes:
    """BlindSign over messages already mapped to scalars (integer attributes).

    B = P1 + Q_1·domain + Σ H_i·msg_i + C (+ Σ J_k·x for (k, x) in
    `extra_blind_terms`, the pseudonym draft's signer_nym_entropy, indexes into
    the blind generators); domain over header || header_suffix. BBSError if the
    commitment proof fails.
    """
    x = parse_secret_key(sk)
    octets_to_pubkey(backend, pk)
    if any(not 0 <= m < ORDER for m in message_scalars):
        raise BBSError("message scalar out of range")
    commitment, blind_gens = deserialize_and_validate_commit(
        suite, backend, commitment_with_proof, api_id
    )
    gens = suite.create_generators(backend, len(message_scalars) + 1, api_id)
    domain = calculate_domain(
        suite, backend, pk, gens[0], (*gens[1:], *blind_gens), header + header_suffix, api_id
    )
    points = [suite.domain_point(backend, gens[0], domain), *gens[1:], commitment]
    scalars = [1, *message_scalars, 1]
    for k, value in extra_blind_terms:
        if not 0 <= k < len(blind_gens):
            raise BBSError("blind generator index out of range")
        points.append(blind_gens[k])
        scalars.append(value % ORDER)
    b = backend.g1_msm(points, scalars)
    return finalize_blind_sign(suite, backend, x, b, api_id)


def blind_sign(
    suite: Ciphersuite,
    sk: bytes,
    pk: bytes,
    commitment_with_proof: bytes = b"",
    header: bytes = b"",
    messages: Sequence[bytes] = (),
    *,
    backend: CurveBackend | None = None,
) -> bytes:
    """BlindSign(SK, PK, commitment_with_proof, header, messages): the Signer's move.

    Raises BBSError for a malformed key or commitment, or a commitment whose
    proof of knowledge does not verify (the Signer then signs nothing).
    """
    backend = backend or get_backend()
    api = blind_api_id(suite)
    scalars = suite.messages_to_scalars(messages, api)
    return blind_sign_scalars(suite, backend, sk, pk, commitment_with_proof, header, scalars, api)


def verify_blind_sign_scalars(
    suite: Ciphersuite,
    backend: CurveBackend,
    pk: bytes,
    signature: bytes,
    header: bytes,
    message_scalars: Sequence[int],
    committed_scalars: Sequence[int],
    secret_prover_blind: int,
    api_id: bytes,
) -> bool:
    """CoreVerify over (msgs, secret_prover_blind, committed) with the combined generators."""
    gens = blind_generators_for(
        suite, backend, len(message_scalars), len(committed_scalars), api_id
    )
    return core_verify(
        suite,
        backend,
        pk,
        signature,
        gens.combined,
        header,
        [*message_scalars, secret_prover_blind % ORDER, *committed_scalars],
        api_id,
    )


def verify_blind_sign(
    suite: Ciphersuite,
    pk: bytes,
    signature: bytes,
    header: bytes = b"",
    messages: Sequence[bytes] = (),
    committed_messages: Sequence[bytes] = (),
    secret_prover_blind: int = 0,
    *,
    backend: CurveBackend | None = None,
) -> bool:
    """Verify a blind signature (the Prover, on receipt). False for anything invalid."""
    try:
        backend = backend or get_backend()
        api = blind_api_id(suite)
        return verify_blind_sign_scalars(
            suite,
            backend,
            pk,
            signature,
            header,
            suite.messages_to_scalars(messages, api),
            suite.messages_to_scalars(committed_messages, api),
            secret_prover_blind,
            api,
        )
    except BBSError:
        return False


def _combined_indexes(
    length: int,
    committed: int,
    disclosed_indexes: Sequence[int],
    disclosed_commitment_indexes: Sequence[int],
) -> list[int]:
    """Indexes into (msgs, secret_prover_blind, committed): i, and L + 1 + j."""
    for seq, bound in ((disclosed_indexes, length), (disclosed_commitment_indexes, committed)):
        prev = -1
        for i in seq:
            if not isinstance(i, int) or not prev < i < bound:
                raise BBSError("disclosed indexes must be strictly ascending and in range")
            prev = i
    return [*disclosed_indexes, *(length + 1 + j for j in disclosed_commitment_indexes)]


def blind_proof_gen_scalars(
    suite: Ciphersuite,
    backend: CurveBackend,
    pk: bytes,
    signature: bytes,
    header: bytes,
    ph: bytes,
    message_scalars: Sequence[int],
    committed_scalars: Sequence[int],
    disclosed_indexes: Sequence[int],
    disclosed_commitment_indexes: Sequence[int],
    secret_prover_blind: int,
    api_id: bytes,
    random_scalars: RandomScalars = calculate_random_scalars,
) -> bytes:
    """BlindProofGen at the scalar level: the core ProofInit / ProofChallengeCalculate /
    ProofFinalize over the combined generators and scalars."""
    a, e = octets_to_signature(backend, signature)
    length = len(message_scalars)
    gens = blind_generators_for(suite, backend, length, len(committed_scalars), api_id)
    scalars = [*message_scalars, secret_prover_blind % ORDER, *committed_scalars]
    disclosed = _combined_indexes(
        length, len(committed_scalars), disclosed_indexes, disclosed_commitment_indexes
    )
    shown = set(disclosed)
    undisclosed = [j for j in range(len(scalars)) if j not in shown]
    rs = list(random_scalars(5 + len(undisclosed)))
    init_res = proof_init(
        suite, backend, pk, (a, e), gens.combined, rs, header, scalars, undisclosed, api_id
    )
    c = proof_challenge_calculate(
        suite, backend, init_res, disclosed, [scalars[i] for i in disclosed], ph, api_id
    )
    return proof_finalize(backend, init_res, c, e, rs, [scalars[j] for j in undisclosed])


def blind_proof_gen(
    suite: Ciphersuite,
    pk: bytes,
    signature: bytes,
    header: bytes = b"",
    ph: bytes = b"",
    messages: Sequence[bytes] = (),
    committed_messages: Sequence[bytes] = (),
    disclosed_indexes: Sequence[int] = (),
    disclosed_commitment_indexes: Sequence[int] = (),
    secret_prover_blind: int = 0,
    *,
    backend: CurveBackend | None = None,
    random_scalars: RandomScalars = calculate_random_scalars,
) -> bytes:
    """BlindProofGen: a BBS proof disclosing messages[i] for i in disclosed_indexes and
    committed_messages[j] for j in disclosed_commitment_indexes. Raises BBSError."""
    backend = backend or get_backend()
    api = blind_api_id(suite)
    return blind_proof_gen_scalars(
        suite,
        backend,
        pk,
        signature,
        header,
        ph,
        suite.messages_to_scalars(messages, api),
        suite.messages_to_scalars(committed_messages, api),
        disclosed_indexes,
        disclosed_commitment_indexes,
        secret_prover_blind,
        api,
        random_scalars,
    )


def blind_proof_verify_scalars(
    suite: Ciphersuite,
    backend: CurveBackend,
    pk: bytes,
    proof: bytes,
    header: bytes,
    ph: bytes,
    length: int,
    disclosed_scalars: Sequence[int],
    disclosed_committed_scalars: Sequence[int],
    disclosed_indexes: Sequence[int],
    disclosed_committed_indexes: Sequence[int],
    api_id: bytes,
) -> bool:
    """BlindProofVerify at the scalar level; raises BBSError for malformed input.

    M = U + R − L − 1 from the proof's length; then the core ProofVerifyInit,
    challenge and pairing check e(Abar, W)·e(Bbar, −BP2) = 1.
    """
    decoded = octets_to_proof(backend, proof)
    w = octets_to_pubkey(backend, pk)
    if len(disclosed_scalars) != len(disclosed_indexes) or len(disclosed_committed_scalars) != len(
        disclosed_committed_indexes
    ):
        raise BBSError("as many disclosed messages as indexes")
    total = len(decoded.commitments) + len(disclosed_indexes) + len(disclosed_committed_indexes)
    committed = total - length - 1
    if length < 0 or committed < 0:
        raise BBSError("proof too short for L signer messages")
    disclosed = _combined_indexes(length, committed, disclosed_indexes, disclosed_committed_indexes)
    gens = blind_generators_for(suite, backend, length, committed, api_id)
    values = [*disclosed_scalars, *disclosed_committed_scalars]
    init_res = proof_verify_init(
        suite, backend, pk, decoded, gens.combined, header, values, disclosed, api_id
    )
    c = proof_challenge_calculate(suite, backend, init_res, disclosed, values, ph, api_id)
    if c != decoded.challenge:
        return False
    return backend.pairing_check(
        [(decoded.abar, w), (decoded.bbar, backend.g2_neg(backend.g2_generator()))]
    )


def blind_proof_verify(
    suite: Ciphersuite,
    pk: bytes,
    proof: bytes,
    header: bytes = b"",
    ph: bytes = b"",
    length: int = 0,
    disclosed_messages: Sequence[bytes] = (),
    disclosed_committed_messages: Sequence[bytes] = (),
    disclosed_indexes: Sequence[int] = (),
    disclosed_committed_indexes: Sequence[int] = (),
    *,
    backend: CurveBackend | None = None,
) -> bool:
    """BlindProofVerify (L = `length` signer messages). False for anything invalid."""
    try:
        backend = backend or get_backend()
        api = blind_api_id(suite)
        return blind_proof_verify_scalars(
            suite,
            backend,
            pk,
            proof,
            header,
            ph,
            length,
            suite.messages_to_scalars(disclosed_messages, api),
            suite.messages_to_scalars(disclosed_committed_messages, api),
            disclosed_indexes,
            disclosed_committed_indexes,
            api,
        )
    except BBSError:
        return False

"""Per-verifier pseudonyms for BBS (draft-irtf-cfrg-bbs-per-verifier-linkability-02).

The holder's pseudonym secrets (`nym_secrets`, a vector of N scalars) are
signed blindly (blind.py), the Signer adding entropy to the last one, and the
holder shows, for a context_id, the pseudonym

    OP = hash_to_curve_g1(context_id, api_id),  z = hash_to_scalar(context_id,
    api_id || "VECT_NYM_SECRETS"),  pseudonym = OP · Σ_i nym_secrets[i]·z^i

with a proof, inside the BBS proof, that the nym secrets are the last N signed
(undisclosed) messages: the same random scalars m~ of those messages give
Ut = OP · Σ_i m~_i·z^i, the verifier recomputes Uv = OP · Σ_i m^_i·z^i −
pseudonym·c, and (pseudonym, Ut) enter the challenge between T2 and domain,
context_id after the presentation header (§8.1):

    c = hash_to_scalar(serialize((R, i1, msg_i1, …, Abar, Bbar, D, T1, T2,
        pseudonym, Ut, domain)) || I2OSP(len(ph), 8) || ph
        || I2OSP(len(context_id), 8) || context_id, api_id || "H2S_").

The interface's api_id is ciphersuite_id || "H2G_HM2S_PSEUDONYM_"; the signed
vector is (msgs, secret_prover_blind, committed, nym_secrets) over
(Q_1, H.., Q_2, J..) exactly as in blind.py, and the domain is computed over
header || I2OSP(N, 8) (the nym vector's length is bound to the signature).
The pseudonym is fixed for one (credential, context_id) and, under DDH in G1,
unlinkable across contexts. These are the forms the fixtures in
../shared/vectors/bbs-pseudonyms pin, all of which pass (tests).
"""

from __future__ import annotations

from collections.abc import Sequence

from crypto.bbs.backend import G1, ORDER, BBSError, CurveBackend, get_backend
from crypto.bbs.blind import (
    blind_generators_for,
    blind_sign_scalars,
    core_commit,
    octets_to_commitment_with_proof,
    verify_blind_sign_scalars,
)
from crypto.bbs.core import (
    InitResult,
    RandomScalars,
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
)

__all__ = [
    "blind_sign_with_nym",
    "blind_sign_with_nym_scalars",
    "calculate_pseudonym",
    "challenge_with_extensions",
    "commit_with_nym",
    "nym_header",
    "nym_origin",
    "nym_poly",
    "proof_gen_with_nym",
    "proof_verify_with_nym",
    "pseudonym_api_id",
    "verify_finalize_with_nym",
]


def pseudonym_api_id(suite: Ciphersuite) -> bytes:
    """api_id of the pseudonym interface: ciphersuite_id || "H2G_HM2S_PSEUDONYM_"."""
    return suite.ciphersuite_id + b"H2G_HM2S_PSEUDONYM_"


def nym_header(header: bytes, length_nym_vector: int) -> bytes:
    """header || I2OSP(length_nym_vector, 8): what the domain is computed over."""
    return bytes(header) + i2osp(length_nym_vector, 8)


def nym_origin(
    suite: Ciphersuite, backend: CurveBackend, context_id: bytes, api_id: bytes
) -> tuple[G1, int]:
    """(OP, z) = (hash_to_curve_g1(context_id, api_id),
    hash_to_scalar(context_id, api_id || "VECT_NYM_SECRETS"))."""
    op = suite.hash_to_curve_g1(backend, bytes(context_id), api_id)
    z = suite.hash_to_scalar(bytes(context_id), api_id + b"VECT_NYM_SECRETS")
    return op, z


def nym_poly(values: Sequence[int], z: int) -> int:
    """Σ_i values[i]·z^i mod r."""
    acc, power = 0, 1
    for v in values:
        acc = (acc + v * power) % ORDER
        power = power * z % ORDER
    return acc


def calculate_pseudonym(
    suite: Ciphersuite,
    context_id: bytes,
    nym_secrets: Sequence[int],
    *,
    backend: CurveBackend | None = None,
) -> bytes:
    """CalculatePseudonym: OP · Σ nym_secrets[i]·z^i, encoded (48 bytes).

    BBSError if the result is the identity or BP1 (the draft forbids both).
    """
    backend = backend or get_backend()
    if not nym_secrets or any(not 0 <= s < ORDER for s in nym_secrets):
        raise BBSError("nym secrets must be a non-empty vector of scalars")
    op, z = nym_origin(suite, backend, context_id, pseudonym_api_id(suite))
    point = backend.g1_mul(op, nym_poly(nym_secrets, z))
    if backend.g1_is_identity(point) or backend.g1_eq(point, backend.g1_generator()):
        raise BBSError("degenerate pseudonym")
    return backend.g1_to_bytes(point)


def commit_with_nym(
    suite: Ciphersuite,
    committed_messages: Sequence[bytes],
    prover_nyms: Sequence[int],
    *,
    backend: CurveBackend | None = None,
    random_scalars: RandomScalars = calculate_random_scalars,
) -> tuple[bytes, int]:
    """CommitWithNym: Blind.CoreCommit over (committed scalars, prover_nyms) →
    (commitment_with_proof, secret_prover_blind)."""
    backend = backend or get_backend()
    api = pseudonym_api_id(suite)
    if not prover_nyms or any(not 0 <= s < ORDER for s in prover_nyms):
        raise BBSError("prover nyms must be a non-empty vector of scalars")
    scalars = [*suite.messages_to_scalars(committed_messages, api), *prover_nyms]
    gens = suite.create_generators(backend, len(scalars) + 1, b"BLIND_" + api)
    return core_commit(suite, backend, scalars, gens, api, random_scalars)


def blind_sign_with_nym_scalars(
    suite: Ciphersuite,
    backend: CurveBackend,
    sk: bytes,
    pk: bytes,
    commitment_with_proof: bytes,
    length_nym_vector: int,
    signer_nym_entropy: int,
    header: bytes,
    message_scalars: Sequence[int],
) -> bytes:
    """BlindSignWithNym over scalars: B gains J_{M}·signer_nym_entropy (the last
    blind generator, the last nym's) and the domain covers header || I2OSP(N, 8)."""
    _, _, m_hats, _ = octets_to_commitment_with_proof(backend, commitment_with_proof)
    if not 1 <= length_nym_vector <= len(m_hats):
        raise BBSError("length_nym_vector must be in [1, number of committed scalars]")
    if not 0 <= signer_nym_entropy < ORDER:
        raise BBSError("signer_nym_entropy out of range")
    return blind_sign_scalars(
        suite,
        backend,
        sk,
        pk,
        commitment_with_proof,
        header,
        message_scalars,
        pseudonym_api_id(suite),
        extra_blind_terms=[(len(m_hats), signer_nym_entropy)],
        header_suffix=i2osp(length_nym_vector, 8),
    )


def blind_sign_with_nym(
    suite: Ciphersuite,
    sk: bytes,
    pk: bytes,
    commitment_with_proof: bytes,
    length_nym_vector: int,
    signer_nym_entropy: int,
    header: bytes = b"",
    messages: Sequence[bytes] = (),
    *,
    backend: CurveBackend | None = None,
) -> bytes:
    """BlindSignWithNym(SK, PK, commitment_with_proof, length_nym_vector,
    signer_nym_entropy, header, messages). The Signer draws signer_nym_entropy
    fresh (`calculate_random_scalars(1)[0]`) and returns it with the signature."""
    backend = backend or get_backend()
    scalars = suite.messages_to_scalars(messages, pseudonym_api_id(suite))
    return blind_sign_with_nym_scalars(
        suite,
        backend,
        sk,
        pk,
        commitment_with_proof,
        length_nym_vector,
        signer_nym_entropy,
        header,
        scalars,
    )


def verify_finalize_with_nym(
    suite: Ciphersuite,
    pk: bytes,
    signature: bytes,
    header: bytes,
    message_scalars: Sequence[int],
    committed_scalars: Sequence[int],
    prover_nyms: Sequence[int],
    signer_nym_entropy: int,
    secret_prover_blind: int,
    *,
    backend: CurveBackend | None = None,
) -> tuple[int, ...]:
    """VerifyFinalizeWithNym: nym_secrets = prover_nyms with signer_nym_entropy
    added to the last one (mod r), if the signature verifies; BBSError otherwise.

    Messages are given as scalars (`suite.messages_to_scalars(msgs,
    pseudonym_api_id(suite))` for octet strings; integers for integer attributes).
    """
    backend = backend or get_backend()
    if not prover_nyms:
        raise BBSError("no prover nyms")
    nym_secrets = (*prover_nyms[:-1], (prover_nyms[-1] + signer_nym_entropy) % ORDER)
    ok = verify_blind_sign_scalars(
        suite,
        backend,
        pk,
        signature,
        nym_header(header, len(nym_secrets)),
        message_scalars,
        [*committed_scalars, *nym_secrets],
        secret_prover_blind,
        pseudonym_api_id(suite),
    )
    if not ok:
        raise BBSError("the blind signature does not verify")
    return nym_secrets


def challenge_with_extensions(
    suite: Ciphersuite,
    backend: CurveBackend,
    init_res: InitResult,
    disclosed_indexes: Sequence[int],
    disclosed_scalars: Sequence[int],
    ph: bytes,
    api_id: bytes,
    nym: tuple[G1, G1, bytes] | None = None,
    extension: bytes = b"",
) -> int:
    """ProofWithPseudonymChallengeCalculate (§8.1), and the core's challenge when
    `nym` is None; `extension` (Pnyx predicates) is appended last.

    c_octs = serialize((R, i1, msg_i1, …, Abar, Bbar, D, T1, T2, [pseudonym, Ut,]
    domain)) || I2OSP(len(ph), 8) || ph [|| I2OSP(len(context_id), 8) || context_id]
    || extension;  c = hash_to_scalar(c_octs, api_id || "H2S_").
    """
    if len(disclosed_indexes) != len(disclosed_scalars):
        raise BBSError("as many disclosed messages as indexes")
    parts = [i2osp(len(disclosed_indexes), 8)]
    for i, m in zip(disclosed_indexes, disclosed_scalars, strict=True):
        parts += [i2osp(i, 8), i2osp(m, OCTET_SCALAR_LENGTH)]
    points = [init_res.abar, init_res.bbar, init_res.d, init_res.t1, init_res.t2]
    if nym is not None:
        points += [nym[0], nym[1]]
    parts += [backend.g1_to_bytes(p) for p in points]
    parts += [i2osp(init_res.domain, OCTET_SCALAR_LENGTH), i2osp(len(ph), 8), bytes(ph)]
    if nym is not None:
        parts += [i2osp(len(nym[2]), 8), bytes(nym[2])]
    parts.append(extension)
    return suite.hash_to_scalar(b"".join(parts), api_id + b"H2S_")


def _indexes(
    length: int, committed: int, disclosed: Sequence[int], disclosed_committed: Sequence[int]
) -> list[int]:
    for seq, bound in ((disclosed, length), (disclosed_committed, committed)):
        prev = -1
        for i in seq:
            if not isinstance(i, int) or not prev < i < bound:
                raise BBSError("disclosed indexes must be strictly ascending and in range")
            prev = i
    return [*disclosed, *(length + 1 + j for j in disclosed_committed)]


def proof_gen_with_nym_scalars(
    suite: Ciphersuite,
    backend: CurveBackend,
    pk: bytes,
    signature: bytes,
    header: bytes,
    ph: bytes,
    nym_secrets: Sequence[int],
    context_id: bytes,
    message_scalars: Sequence[int],
    committed_scalars: Sequence[int],
    disclosed_indexes: Sequence[int],
    disclosed_commitment_indexes: Sequence[int],
    secret_prover_blind: int,
    random_scalars: RandomScalars = calculate_random_scalars,
) -> tuple[bytes, bytes]:
    """ProofGenWithNym over scalars → (proof, pseudonym). Raises BBSError."""
    api = pseudonym_api_id(suite)
    a, e = octets_to_signature(backend, signature)
    n = len(nym_secrets)
    if n == 0:
        raise BBSError("no nym secrets")
    length, m = len(message_scalars), len(committed_scalars)
    gens = blind_generators_for(suite, backend, length, m + n, api)
    scalars = [*message_scalars, secret_prover_blind % ORDER, *committed_scalars, *nym_secrets]
    disclosed = _indexes(length, m, disclosed_indexes, disclosed_commitment_indexes)
    shown = set(disclosed)
    undisclosed = [j for j in range(len(scalars)) if j not in shown]
    rs = list(random_scalars(5 + len(undisclosed)))
    hdr = nym_header(header, n)
    init_res = proof_init(
        suite, backend, pk, (a, e), gens.combined, rs, hdr, scalars, undisclosed, api
    )
    op, z = nym_origin(suite, backend, context_id, api)
    pseudonym = backend.g1_mul(op, nym_poly(nym_secrets, z))
    ut = backend.g1_mul(op, nym_poly(rs[len(rs) - n :], z))
    c = challenge_with_extensions(
        suite,
        backend,
        init_res,
        disclosed,
        [scalars[i] for i in disclosed],
        ph,
        api,
        nym=(pseudonym, ut, bytes(context_id)),
    )
    proof = proof_finalize(backend, init_res, c, e, rs, [scalars[j] for j in undisclosed])
    return proof, backend.g1_to_bytes(pseudonym)


def proof_gen_with_nym(
    suite: Ciphersuite,
    pk: bytes,
    signature: bytes,
    header: bytes,
    ph: bytes,
    nym_secrets: Sequence[int],
    context_id: bytes,
    messages: Sequence[bytes] = (),
    committed_messages: Sequence[bytes] = (),
    disclosed_indexes: Sequence[int] = (),
    disclosed_commitment_indexes: Sequence[int] = (),
    secret_prover_blind: int = 0,
    *,
    backend: CurveBackend | None = None,
    random_scalars: RandomScalars = calculate_random_scalars,
) -> tuple[bytes, bytes]:
    """ProofGenWithNym(PK, signature, header, ph, nym_secrets, context_id, messages,
    committed_messages, disclosed_indexes, disclosed_commitment_indexes,
    secret_prover_blind) → (proof, pseudonym)."""
    backend = backend or get_backend()
    api = pseudonym_api_id(suite)
    return proof_gen_with_nym_scalars(
        suite,
        backend,
        pk,
        signature,
        header,
        ph,
        nym_secrets,
        context_id,
        suite.messages_to_scalars(messages, api),
        suite.messages_to_scalars(committed_messages, api),
        disclosed_indexes,
        disclosed_commitment_indexes,
        secret_prover_blind,
        random_scalars,
    )


def nym_verify_point(
    backend: CurveBackend, op: G1, z: int, pseudonym: G1, nym_hats: Sequence[int], c: int
) -> G1:
    """Uv = OP · Σ m^_i·z^i − pseudonym·c (PseudonymProofVerifyInit)."""
    return backend.g1_msm([op, pseudonym], [nym_poly(nym_hats, z), (-c) % ORDER])


def decode_pseudonym(backend: CurveBackend, data: bytes) -> G1:
    """octets_to_point_g1 for a pseudonym: valid, not the identity, not BP1."""
    if len(data) != OCTET_POINT_LENGTH:
        raise BBSError("a pseudonym is 48 bytes")
    p = backend.g1_from_bytes(bytes(data))
    if backend.g1_is_identity(p) or backend.g1_eq(p, backend.g1_generator()):
        raise BBSError("degenerate pseudonym")
    return p


def proof_verify_with_nym_scalars(
    suite: Ciphersuite,
    backend: CurveBackend,
    pk: bytes,
    proof: bytes,
    header: bytes,
    ph: bytes,
    pseudonym: bytes,
    context_id: bytes,
    length: int,
    length_nym_vector: int,
    disclosed_scalars: Sequence[int],
    disclosed_committed_scalars: Sequence[int],
    disclosed_indexes: Sequence[int],
    disclosed_committed_indexes: Sequence[int],
) -> bool:
    """ProofVerifyWithNym over scalars; raises BBSError for malformed input."""
    api = pseudonym_api_id(suite)
    decoded = octets_to_proof(backend, proof)
    w = octets_to_pubkey(backend, pk)
    nym_point = decode_pseudonym(backend, pseudonym)
    n = length_nym_vector
    if len(disclosed_scalars) != len(disclosed_indexes) or len(disclosed_committed_scalars) != len(
        disclosed_committed_indexes
    ):
        raise BBSError("as many disclosed messages as indexes")
    total = len(decoded.commitments) + len(disclosed_indexes) + len(disclosed_committed_indexes)
    committed = total - length - 1 - n
    if n < 1 or length < 0 or committed < 0:
        raise BBSError("proof length inconsistent with L and N")
    disclosed = _indexes(length, committed, disclosed_indexes, disclosed_committed_indexes)
    gens = blind_generators_for(suite, backend, length, committed + n, api)
    values = [*disclosed_scalars, *disclosed_committed_scalars]
    init_res = proof_verify_init(
        suite, backend, pk, decoded, gens.combined, nym_header(header, n), values, disclosed, api
    )
    op, z = nym_origin(suite, backend, context_id, api)
    uv = nym_verify_point(backend, op, z, nym_point, decoded.commitments[-n:], decoded.challenge)
    c = challenge_with_extensions(
        suite, backend, init_res, disclosed, values, ph, api, nym=(nym_point, uv, context_id)
    )
    if c != decoded.challenge:
        return False
    return backend.pairing_check(
        [(decoded.abar, w), (decoded.bbar, backend.g2_neg(backend.g2_generator()))]
    )


def proof_verify_with_nym(
    suite: Ciphersuite,
    pk: bytes,
    proof: bytes,
    header: bytes,
    ph: bytes,
    pseudonym: bytes,
    context_id: bytes,
    length: int,
    length_nym_vector: int,
    disclosed_messages: Sequence[bytes] = (),
    disclosed_committed_messages: Sequence[bytes] = (),
    disclosed_indexes: Sequence[int] = (),
    disclosed_committed_indexes: Sequence[int] = (),
    *,
    backend: CurveBackend | None = None,
) -> bool:
    """ProofVerifyWithNym (L signer messages, N nym secrets). False for anything invalid."""
    try:
        backend = backend or get_backend()
        api = pseudonym_api_id(suite)
        return proof_verify_with_nym_scalars(
            suite,
            backend,
            pk,
            proof,
            header,
            ph,
            pseudonym,
            context_id,
            length,
            length_nym_vector,
            suite.messages_to_scalars(disclosed_messages, api),
            suite.messages_to_scalars(disclosed_committed_messages, api),
            disclosed_indexes,
            disclosed_committed_indexes,
        )
    except BBSError:
        return False

"""Presentations with range predicates on hidden integer attributes (docs/credentials.md,
"Cryptography" §4).

A presentation is one BBS proof (draft-irtf-cfrg-bbs-signatures-09 §5, over the
core interface, or over the pseudonym interface of pseudonym.py with a
pseudonym for a context_id) extended, for each predicate attribute j with
bounds [lo_j, hi_j], by

- a Pedersen commitment C_j = m_j·G + ρ_j·H (G, H from range.py),
- a Schnorr proof that C_j opens to the signed, hidden message m_j: the
  announcement K_j = m~_j·G + r~_j·H uses the *same* random scalar m~_j as the
  BBS proof's T2, so the BBS response m^_j = m~_j + m_j·c serves both, with
  r^_j = r~_j + ρ_j·c; the verifier recomputes K_j = m^_j·G + r^_j·H − c·C_j,

all under one challenge c: the draft's challenge octets (core §5.3, or the
pseudonym draft's §8.1) followed by the extension

    "PNYX_V1_PREDICATES" || I2OSP(P, 8) || for each j ascending:
        I2OSP(j, 8) || lo_j, hi_j (8-byte two's complement) || C_j || K_j

and then one aggregated Bulletproofs range proof (range.py) that C_j hides a
value in [lo_j, hi_j] for every j, whose transcript starts from I2OSP(c, 32)
and absorbs every (lo_j, hi_j, C_j) again. The link: C_j is in c's octets
through K_j, whose response m^_j is the BBS proof's own, so C_j opens to the
signed m_j (else log_G H is known); the range proof shows C_j opens to a value
in range; Pedersen binding makes the two openings one.

With no predicate the extension is empty and the presentation's proof is
exactly a draft proof (ProofGen or ProofGenWithNym) and verifies as one.

Integer attributes are signed as scalars directly: an int attribute v (a
signed 64-bit integer, e.g. days since 1970-01-01) becomes the scalar v mod r
(`attribute_scalars`), octet-string attributes are hashed as the draft's
messages_to_scalars does. Use `sign_attributes` / `blind_sign_attributes` to
issue such credentials.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from crypto.bbs.backend import G1, ORDER, BBSError, CurveBackend, get_backend
from crypto.bbs.batch import deferred
from crypto.bbs.blind import blind_generators_for
from crypto.bbs.core import (
    RandomScalars,
    core_sign,
    core_verify,
    proof_finalize,
    proof_init,
    proof_verify_init,
)
from crypto.bbs.interface import BBSInterface
from crypto.bbs.pseudonym import (
    blind_sign_with_nym_scalars,
    challenge_with_extensions,
    decode_pseudonym,
    nym_header,
    nym_origin,
    nym_poly,
    nym_verify_point,
    pseudonym_api_id,
)
from crypto.bbs.range import (
    PedersenGenerators,
    RangeProof,
    padded_length,
    pedersen_generators,
    proof_size,
    prove_ranges,
    range_equation,
    range_weights,
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
    "Attribute",
    "NymInput",
    "PredicateProof",
    "Presentation",
    "attribute_scalars",
    "blind_sign_attributes",
    "present",
    "sign_attributes",
    "verify_attributes",
    "verify_presentation",
]

#: An attribute: an octet string (hashed to a scalar) or a signed 64-bit integer.
Attribute = bytes | int

#: The label that opens the predicate extension of the challenge.
PREDICATES_LABEL: Final = b"PNYX_V1_PREDICATES"
#: The presentation encoding's version byte (2: one aggregated Bulletproofs range proof;
#: version 1 carried a bit-decomposition proof per predicate and is no longer read).
PRESENTATION_VERSION: Final = 2
_MIN_INT: Final = -(2**63)
_MAX_INT: Final = 2**63 - 1


def _ciphersuite(suite: Ciphersuite | BBSInterface) -> Ciphersuite:
    return suite.suite if isinstance(suite, BBSInterface) else suite


def attribute_scalars(
    suite: Ciphersuite | BBSInterface, attributes: Sequence[Attribute], api_id: bytes
) -> list[int]:
    """bytes ↦ hash_to_scalar(msg, api_id || "MAP_MSG_TO_SCALAR_AS_HASH_") (draft
    §4.2.1); int v (−2^63 ≤ v < 2^63) ↦ v mod r. BBSError for anything else."""
    cs = _ciphersuite(suite)
    out = []
    for a in attributes:
        if isinstance(a, bool) or not isinstance(a, bytes | int):
            raise BBSError("an attribute is bytes or an int")
        if isinstance(a, int):
            if not _MIN_INT <= a <= _MAX_INT:
                raise BBSError("integer attribute outside the signed 64-bit range")
            out.append(a % ORDER)
        else:
            out.append(cs.messages_to_scalars([a], api_id)[0])
    return out


@dataclass(frozen=True)
class NymInput:
    """What a holder of a pseudonym credential (pseudonym.py) presents with.

    `context_id` is public; the rest is secret and never shown in reprs.
    """

    context_id: bytes
    nym_secrets: tuple[int, ...] = field(repr=False)
    secret_prover_blind: int = field(repr=False)
    committed_messages: tuple[bytes, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class PredicateProof:
    """For attribute `index` and [lo, hi]: C (48 bytes) and r^ (module docstring)."""

    index: int
    lo: int
    hi: int
    commitment: bytes
    blinding_response: int


@dataclass(frozen=True)
class Presentation:
    """A BBS proof with an optional pseudonym and range predicates (module docstring).

    `num_messages` is L (signer attributes); `committed` (M) and `nym_length`
    (N) are 0 for a credential of the core interface. `range_proof` covers every
    predicate at once and is None iff there is none.
    """

    proof: bytes
    num_messages: int
    committed: int
    nym_length: int
    pseudonym: bytes | None
    predicates: tuple[PredicateProof, ...]
    range_proof: RangeProof | None = None

    def to_bytes(self) -> bytes:
        """version (1) || flags (1; bit 0: pseudonym) || I2OSP(L, 2) || I2OSP(M, 2) ||
        I2OSP(N, 2) || I2OSP(len(proof), 4) || proof || [pseudonym (48)] ||
        I2OSP(P, 1) || per predicate: I2OSP(j, 2) || lo, hi (8 bytes two's
        complement each) || C (48) || r^ (32); then, iff P > 0, the range proof
        (range.py, its size fixed by the bounds). BBSError if inconsistent."""
        if (self.range_proof is None) != (not self.predicates):
            raise BBSError("a range proof comes with the predicates, and only with them")
        out = bytearray([PRESENTATION_VERSION, 1 if self.pseudonym is not None else 0])
        out += i2osp(self.num_messages, 2) + i2osp(self.committed, 2) + i2osp(self.nym_length, 2)
        out += i2osp(len(self.proof), 4) + self.proof
        if self.pseudonym is not None:
            out += self.pseudonym
        out += i2osp(len(self.predicates), 1)
        for p in self.predicates:
            out += i2osp(p.index, 2)
            out += p.lo.to_bytes(8, "big", signed=True) + p.hi.to_bytes(8, "big", signed=True)
            out += p.commitment + i2osp(p.blinding_response, OCTET_SCALAR_LENGTH)
        if self.range_proof is not None:
            out += self.range_proof.to_bytes()
        return bytes(out)

    @classmethod
    def from_bytes(cls, data: bytes) -> Presentation:
        """Decode (lengths and scalar ranges checked; points are checked on use)."""
        data = bytes(data)
        pos = 0

        def take(n: int) -> bytes:
            nonlocal pos
            if n < 0 or pos + n > len(data):
                raise BBSError("truncated presentation")
            chunk = data[pos : pos + n]
            pos += n
            return chunk

        version, flags = take(1)[0], take(1)[0]
        if version != PRESENTATION_VERSION or flags not in (0, 1):
            raise BBSError("unknown presentation version or flags")
        length = int.from_bytes(take(2), "big")
        committed = int.from_bytes(take(2), "big")
        nym_length = int.from_bytes(take(2), "big")
        proof = take(int.from_bytes(take(4), "big"))
        pseudonym = take(OCTET_POINT_LENGTH) if flags & 1 else None
        if (pseudonym is None) != (nym_length == 0) or (nym_length == 0 and committed):
            raise BBSError("inconsistent pseudonym fields")
        predicates = []
        for _ in range(take(1)[0]):
            index = int.from_bytes(take(2), "big")
            lo = int.from_bytes(take(8), "big", signed=True)
            hi = int.from_bytes(take(8), "big", signed=True)
            commitment = take(OCTET_POINT_LENGTH)
            r_hat = int.from_bytes(take(OCTET_SCALAR_LENGTH), "big")
            if r_hat >= ORDER:
                raise BBSError("non-canonical scalar")
            predicates.append(PredicateProof(index, lo, hi, commitment, r_hat))
        range_proof = None
        if predicates:
            n = padded_length([(p.lo, p.hi) for p in predicates])
            range_proof = RangeProof.from_bytes(take(proof_size(n)), n)
        if pos != len(data):
            raise BBSError("trailing bytes after the presentation")
        return cls(proof, length, committed, nym_length, pseudonym, tuple(predicates), range_proof)


@dataclass(frozen=True)
class _Layout:
    """The signed vector's generators, api_id, header and scalar positions."""

    api_id: bytes
    generators: tuple[G1, ...]
    header: bytes
    total: int


def _layout(
    cs: Ciphersuite,
    backend: CurveBackend,
    length: int,
    committed: int,
    nym_length: int,
    header: bytes,
) -> _Layout:
    if nym_length == 0:
        api = cs.api_id
        gens = cs.create_generators(backend, length + 1, api)
        return _Layout(api, gens, bytes(header), length)
    api = pseudonym_api_id(cs)
    both = blind_generators_for(cs, backend, length, committed + nym_length, api)
    return _Layout(
        api, both.combined, nym_header(header, nym_length), length + 1 + committed + nym_length
    )


def _check_predicates(
    predicates: Mapping[int, tuple[int, int]], length: int, disclosed: Sequence[int]
) -> list[tuple[int, int, int]]:
    out = []
    for j in sorted(predicates):
        lo, hi = predicates[j]
        if not isinstance(j, int) or not 0 <= j < length or j in disclosed:
            raise BBSError("a predicate names an undisclosed signer attribute")
        range_weights(lo, hi)
        out.append((j, lo, hi))
    if len(out) > 255:
        raise BBSError("too many predicates")
    return out


def _extension_octets(
    backend: CurveBackend, items: Sequence[tuple[int, int, int, G1, G1]]
) -> bytes:
    if not items:
        return b""
    parts = [PREDICATES_LABEL, i2osp(len(items), 8)]
    for j, lo, hi, c_point, k_point in items:
        parts += [
            i2osp(j, 8),
            lo.to_bytes(8, "big", signed=True),
            hi.to_bytes(8, "big", signed=True),
            backend.g1_to_bytes(c_point),
            backend.g1_to_bytes(k_point),
        ]
    return b"".join(parts)


def present(
    suite: Ciphersuite | BBSInterface,
    pk: bytes,
    sig: bytes,
    header: bytes,
    ph: bytes,
    messages: Sequence[Attribute],
    disclosed_indexes: Sequence[int],
    *,
    predicates: Mapping[int, tuple[int, int]] | None = None,
    nym: NymInput | None = None,
    backend: CurveBackend | None = None,
    random_scalars: RandomScalars = calculate_random_scalars,
) -> Presentation:
    """Present a credential: disclose `messages[i]` for i in disclosed_indexes, prove
    lo ≤ messages[j] ≤ hi for each predicate j ↦ (lo, hi), and, with `nym`, show
    the pseudonym for nym.context_id.

    `messages` are the signer's attributes (index space 0..L−1); with `nym` the
    credential is a pseudonym credential (pseudonym.py) and the holder's
    committed messages, blind and nym secrets come from `nym`. Raises BBSError
    for malformed input and for a predicate that does not hold.
    """
    cs = _ciphersuite(suite)
    backend = backend or get_backend()
    preds = _check_predicates(predicates or {}, len(messages), disclosed_indexes)
    a, e = octets_to_signature(backend, sig)
    octets_to_pubkey(backend, pk)
    n = len(nym.nym_secrets) if nym else 0
    committed = len(nym.committed_messages) if nym else 0
    lay = _layout(cs, backend, len(messages), committed, n, header)
    scalars = attribute_scalars(cs, messages, lay.api_id)
    if nym is not None:
        if any(not 0 <= s < ORDER for s in nym.nym_secrets):
            raise BBSError("nym secret out of range")
        scalars += [
            nym.secret_prover_blind % ORDER,
            *cs.messages_to_scalars(nym.committed_messages, lay.api_id),
            *nym.nym_secrets,
        ]
    prev = -1
    for i in disclosed_indexes:
        if not isinstance(i, int) or not prev < i < len(messages):
            raise BBSError("disclosed indexes must be strictly ascending, in [0, L)")
        prev = i
    shown = set(disclosed_indexes)
    undisclosed = [j for j in range(len(scalars)) if j not in shown]
    rs = [x % ORDER for x in random_scalars(5 + len(undisclosed))]
    init_res = proof_init(
        cs, backend, pk, (a, e), lay.generators, rs, lay.header, scalars, undisclosed, lay.api_id
    )
    nym_terms = None
    pseudonym = None
    if nym is not None:
        op, z = nym_origin(cs, backend, nym.context_id, lay.api_id)
        nym_point = backend.g1_mul(op, nym_poly(nym.nym_secrets, z))
        ut = backend.g1_mul(op, nym_poly(rs[len(rs) - n :], z))
        nym_terms = (nym_point, ut, bytes(nym.context_id))
        pseudonym = backend.g1_to_bytes(nym_point)
    gens: PedersenGenerators | None = pedersen_generators(cs, backend) if preds else None
    states = []
    ext_items = []
    for j, lo, hi in preds:
        assert gens is not None
        value = messages[j]
        if not isinstance(value, int) or isinstance(value, bool):
            raise BBSError("a predicate attribute must be an integer attribute")
        rho, r_tilde = calculate_random_scalars(2)
        c_point = backend.g1_msm((gens.g, gens.h), (value % ORDER, rho))
        if not lo <= value <= hi:
            raise BBSError("the value is outside the range: the predicate does not hold")
        m_tilde = rs[5 + undisclosed.index(j)]
        k_point = backend.g1_msm((gens.g, gens.h), (m_tilde, r_tilde))
        states.append((j, lo, hi, c_point, value, rho, r_tilde))
        ext_items.append((j, lo, hi, c_point, k_point))
    disclosed_scalars = [scalars[i] for i in disclosed_indexes]
    c = challenge_with_extensions(
        cs,
        backend,
        init_res,
        list(disclosed_indexes),
        disclosed_scalars,
        ph,
        lay.api_id,
        nym=nym_terms,
        extension=_extension_octets(backend, ext_items),
    )
    proof = proof_finalize(backend, init_res, c, e, rs, [scalars[j] for j in undisclosed])
    pred_proofs = tuple(
        PredicateProof(
            index=j,
            lo=lo,
            hi=hi,
            commitment=backend.g1_to_bytes(c_point),
            blinding_response=(r_tilde + rho * c) % ORDER,
        )
        for j, lo, hi, c_point, _, rho, r_tilde in states
    )
    range_proof = None
    if states:
        range_proof = prove_ranges(
            cs,
            backend,
            i2osp(c, OCTET_SCALAR_LENGTH),
            [st[3] for st in states],
            [(st[4], st[5]) for st in states],
            [(st[1], st[2]) for st in states],
        )
    return Presentation(proof, len(messages), committed, n, pseudonym, pred_proofs, range_proof)


def verify_presentation(
    suite: Ciphersuite | BBSInterface,
    pk: bytes,
    presentation: bytes | Presentation,
    header: bytes,
    ph: bytes,
    disclosed: Mapping[int, Attribute],
    *,
    predicates: Mapping[int, tuple[int, int]] | None = None,
    context_id: bytes | None = None,
    num_messages: int | None = None,
    backend: CurveBackend | None = None,
) -> bool:
    """Whether `presentation` proves, under `pk`: a signature on the disclosed
    attributes (index ↦ value), exactly the requested `predicates`, and — iff
    `context_id` is given — the pseudonym it carries for that context.

    `num_messages`, if given, must equal L (the schema's attribute count).
    Returns False for anything invalid or malformed; never raises.
    """
    try:
        return _verify(
            _ciphersuite(suite),
            backend or get_backend(),
            pk,
            presentation,
            header,
            ph,
            disclosed,
            predicates or {},
            context_id,
            num_messages,
        )
    except (BBSError, ValueError, TypeError, IndexError):
        return False


def _verify(
    cs: Ciphersuite,
    backend: CurveBackend,
    pk: bytes,
    presentation: bytes | Presentation,
    header: bytes,
    ph: bytes,
    disclosed: Mapping[int, Attribute],
    predicates: Mapping[int, tuple[int, int]],
    context_id: bytes | None,
    num_messages: int | None,
) -> bool:
    pres = (
        presentation
        if isinstance(presentation, Presentation)
        else Presentation.from_bytes(presentation)
    )
    length = pres.num_messages
    if num_messages is not None and num_messages != length:
        return False
    if (context_id is None) != (pres.pseudonym is None):
        return False
    disclosed_indexes = sorted(disclosed)
    preds = _check_predicates(predicates, length, disclosed_indexes)
    if [(p.index, p.lo, p.hi) for p in pres.predicates] != preds:
        return False
    decoded = octets_to_proof(backend, pres.proof)
    w = octets_to_pubkey(backend, pk)
    lay = _layout(cs, backend, length, pres.committed, pres.nym_length, header)
    if len(decoded.commitments) + len(disclosed_indexes) != lay.total:
        return False
    prev = -1
    for i in disclosed_indexes:
        if not isinstance(i, int) or not prev < i < length:
            return False
        prev = i
    values = attribute_scalars(cs, [disclosed[i] for i in disclosed_indexes], lay.api_id)
    init_res = proof_verify_init(
        cs, backend, pk, decoded, lay.generators, lay.header, values, disclosed_indexes, lay.api_id
    )
    c = decoded.challenge
    nym_terms = None
    if pres.pseudonym is not None:
        assert context_id is not None
        n = pres.nym_length
        nym_point = decode_pseudonym(backend, pres.pseudonym)
        op, z = nym_origin(cs, backend, context_id, lay.api_id)
        uv = nym_verify_point(backend, op, z, nym_point, decoded.commitments[-n:], c)
        nym_terms = (nym_point, uv, bytes(context_id))
    shown = set(disclosed_indexes)
    undisclosed = [j for j in range(lay.total) if j not in shown]
    if (pres.range_proof is None) != (not pres.predicates):
        return False
    ext_items = []
    if pres.predicates:
        gens = pedersen_generators(cs, backend)
        for p in pres.predicates:
            c_point = backend.g1_from_bytes(p.commitment)
            if backend.g1_is_identity(c_point):
                return False
            m_hat = decoded.commitments[undisclosed.index(p.index)]
            k_point = backend.g1_msm_public(
                (gens.g, gens.h, c_point), (m_hat, p.blinding_response, (-c) % ORDER), fixed=2
            )
            ext_items.append((p.index, p.lo, p.hi, c_point, k_point))
    expected = challenge_with_extensions(
        cs,
        backend,
        init_res,
        disclosed_indexes,
        values,
        ph,
        lay.api_id,
        nym=nym_terms,
        extension=_extension_octets(backend, ext_items),
    )
    if expected != c:
        return False
    # The last two equations need no hashing: inside a `Batch.collect` block they go
    # to the batch (batch.py), which checks them with every other item's at once.
    later = deferred(backend)
    if pres.range_proof is not None:
        equation = range_equation(
            cs,
            backend,
            i2osp(c, OCTET_SCALAR_LENGTH),
            [item[3] for item in ext_items],
            [(p.lo, p.hi) for p in pres.predicates],
            pres.range_proof,
        )
        if later is None:
            bases, scalars, fixed = equation
            if not backend.g1_is_identity(backend.g1_msm_public(bases, scalars, fixed=fixed)):
                return False
    if later is None:
        return backend.pairing_check(
            [(decoded.abar, w), (decoded.bbar, backend.g2_neg(backend.g2_generator()))]
        )
    if pres.range_proof is not None:
        later.msms.append(equation)
    later.pairings.append((decoded.abar, decoded.bbar, w))
    return True


def sign_attributes(
    suite: Ciphersuite | BBSInterface,
    sk: bytes,
    pk: bytes,
    header: bytes,
    attributes: Sequence[Attribute],
    *,
    backend: CurveBackend | None = None,
) -> bytes:
    """Sign a credential of the core interface whose attributes may be integers."""
    cs = _ciphersuite(suite)
    backend = backend or get_backend()
    scalars = attribute_scalars(cs, attributes, cs.api_id)
    if len(sk) != OCTET_SCALAR_LENGTH or not 0 < int.from_bytes(sk, "big") < ORDER:
        raise BBSError("secret key out of range")
    octets_to_pubkey(backend, pk)
    gens = cs.create_generators(backend, len(scalars) + 1, cs.api_id)
    return core_sign(cs, backend, int.from_bytes(sk, "big"), pk, gens, header, scalars, cs.api_id)


def verify_attributes(
    suite: Ciphersuite | BBSInterface,
    pk: bytes,
    sig: bytes,
    header: bytes,
    attributes: Sequence[Attribute],
    *,
    backend: CurveBackend | None = None,
) -> bool:
    """Verify a core-interface credential with integer attributes. Never raises."""
    try:
        cs = _ciphersuite(suite)
        backend = backend or get_backend()
        scalars = attribute_scalars(cs, attributes, cs.api_id)
        gens = cs.create_generators(backend, len(scalars) + 1, cs.api_id)
        return core_verify(cs, backend, pk, sig, gens, header, scalars, cs.api_id)
    except (BBSError, ValueError, TypeError):
        return False


def blind_sign_attributes(
    suite: Ciphersuite | BBSInterface,
    sk: bytes,
    pk: bytes,
    commitment_with_proof: bytes,
    length_nym_vector: int,
    signer_nym_entropy: int,
    header: bytes,
    attributes: Sequence[Attribute],
    *,
    backend: CurveBackend | None = None,
) -> bytes:
    """BlindSignWithNym (pseudonym.py) over attributes that may be integers.

    The holder finalises with `pseudonym.verify_finalize_with_nym`, passing
    `attribute_scalars(suite, attributes, pseudonym_api_id(suite))`.
    """
    cs = _ciphersuite(suite)
    backend = backend or get_backend()
    return blind_sign_with_nym_scalars(
        cs,
        backend,
        sk,
        pk,
        commitment_with_proof,
        length_nym_vector,
        signer_nym_entropy,
        header,
        attribute_scalars(cs, attributes, pseudonym_api_id(cs)),
    )

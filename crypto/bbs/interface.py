"""The BBS signatures interface (draft-irtf-cfrg-bbs-signatures-09 §3.4, §3.5).

`BBSInterface` binds one ciphersuite to the interface identifier
api_id = ciphersuite_id || "H2G_HM2S_" (hash-to-generators, hash messages to
scalars) and offers the draft's operations on octet strings:

    keygen(key_material, key_info=b"", *, key_dst=None) -> 32-byte SK   §3.3.1 KeyGen
    sk_to_pk(sk) -> 96-byte PK                                           §3.3.2 SkToPk
    sign(sk, pk, header, messages) -> 80-byte signature                  §3.5.1 Sign
    verify(pk, signature, header, messages) -> bool                     §3.5.2 Verify
    proof_gen(pk, signature, header, ph, messages, disclosed_indexes)
        -> 272 + 32·U bytes                                              §3.5.3 ProofGen
    proof_verify(pk, proof, header, ph, disclosed_messages, disclosed_indexes)
        -> bool                                                          §3.5.4 ProofVerify

and the same at the level of scalars, for credentials that encode some
attributes directly as scalars (integers for range predicates) instead of
hashing octets (draft §4.2 allows other message-to-scalar mappings under the
same api_id's rules; callers mix both by mapping octet messages with
`messages_to_scalars` first):

    messages_to_scalars(messages) -> list[int]
    sign_scalars(sk, pk, header, scalars) -> bytes
    verify_scalars(pk, signature, header, scalars) -> bool
    proof_gen_scalars(pk, signature, header, ph, scalars, disclosed_indexes) -> bytes
    proof_verify_scalars(pk, proof, header, ph, disclosed_scalars, disclosed_indexes) -> bool

`verify*` and `proof_verify*` return False, never raise, for any invalid or
malformed input; `keygen`, `sk_to_pk`, `sign*` and `proof_gen*` raise
`BBSError` (a ValueError). Indexes are 0-based and must be strictly ascending.
Every method takes the keyword `backend` (default: `get_backend()`, i.e.
$PNYX_CURVE_BACKEND read at call time); `proof_gen*` also take
`random_scalars` (count ↦ scalars), for the test vectors' mocked values only.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from crypto.bbs.backend import ORDER, BBSError, CurveBackend, get_backend
from crypto.bbs.core import (
    RandomScalars,
    core_proof_gen,
    core_proof_verify,
    core_sign,
    core_verify,
)
from crypto.bbs.suite import (
    OCTET_POINT_LENGTH,
    OCTET_SCALAR_LENGTH,
    Ciphersuite,
    calculate_random_scalars,
    i2osp,
    octets_to_pubkey,
)

__all__ = ["BBSInterface"]

_PROOF_FLOOR = 3 * OCTET_POINT_LENGTH + 4 * OCTET_SCALAR_LENGTH


def _octets(x: bytes, what: str) -> bytes:
    if not isinstance(x, bytes | bytearray | memoryview):
        raise BBSError(f"{what} must be bytes")
    return bytes(x)


def _octet_list(xs: Sequence[bytes], what: str) -> list[bytes]:
    if isinstance(xs, bytes | bytearray | str):
        raise BBSError(f"{what} must be a sequence of byte strings")
    return [_octets(x, what) for x in xs]


def _scalar_list(xs: Sequence[int]) -> list[int]:
    out = []
    for x in xs:
        if isinstance(x, bool) or not isinstance(x, int) or not 0 <= x < ORDER:
            raise BBSError("message scalars must be integers in [0, r)")
        out.append(x)
    return out


def _index_list(xs: Sequence[int]) -> list[int]:
    out = []
    for x in xs:
        if isinstance(x, bool) or not isinstance(x, int):
            raise BBSError("indexes must be integers")
        out.append(x)
    return out


def _decode_sk(sk: bytes) -> int:
    sk = _octets(sk, "secret key")
    if len(sk) != OCTET_SCALAR_LENGTH:
        raise BBSError("a secret key is 32 bytes")
    x = int.from_bytes(sk, "big")
    if not 0 < x < ORDER:
        raise BBSError("secret key out of range (0, r)")
    return x


@dataclass(frozen=True)
class BBSInterface:
    """One ciphersuite's BBS interface (see the module docstring)."""

    suite: Ciphersuite

    @property
    def api_id(self) -> bytes:
        """ciphersuite_id || "H2G_HM2S_" (draft §3.4)."""
        return self.suite.api_id

    def __repr__(self) -> str:
        return f"<BBS {self.suite.ciphersuite_id.decode()}>"

    # --- keys (§3.3) ---
    def keygen(
        self, key_material: bytes, key_info: bytes = b"", *, key_dst: bytes | None = None
    ) -> bytes:
        """KeyGen (§3.3.1): SK = hash_to_scalar(key_material || I2OSP(len(key_info), 2)
        || key_info, key_dst), key_dst defaulting to api_id || "KEYGEN_DST_".
        key_material must hold at least 32 bytes of entropy."""
        key_material = _octets(key_material, "key_material")
        key_info = _octets(key_info, "key_info")
        if len(key_material) < 32:
            raise BBSError("key_material must be at least 32 bytes")
        if len(key_info) > 65535:
            raise BBSError("key_info longer than 65535 bytes")
        dst = self.api_id + b"KEYGEN_DST_" if key_dst is None else _octets(key_dst, "key_dst")
        derive_input = key_material + i2osp(len(key_info), 2) + key_info
        sk = self.suite.hash_to_scalar(derive_input, dst)
        if sk == 0:
            raise BBSError("KeyGen produced SK = 0")
        return i2osp(sk, OCTET_SCALAR_LENGTH)

    def sk_to_pk(self, sk: bytes, *, backend: CurveBackend | None = None) -> bytes:
        """SkToPk (§3.3.2): W = SK·BP2, computed as BP2·(SK − ρ) + BP2·ρ for a
        fresh uniform ρ so that no multiplier depends on SK alone (core.py)."""
        b = backend or get_backend()
        x = _decode_sk(sk)
        rho = secrets.randbelow(ORDER)
        bp2 = b.g2_generator()
        w = b.g2_add(b.g2_mul(bp2, (x - rho) % ORDER), b.g2_mul(bp2, rho))
        return b.g2_to_bytes(w)

    def messages_to_scalars(self, messages: Sequence[bytes]) -> list[int]:
        """messages_to_scalars(messages, api_id) (§4.2.1)."""
        return self.suite.messages_to_scalars(_octet_list(messages, "messages"), self.api_id)

    # --- octet-string interface (§3.5) ---
    def sign(
        self,
        sk: bytes,
        pk: bytes,
        header: bytes = b"",
        messages: Sequence[bytes] = (),
        *,
        backend: CurveBackend | None = None,
    ) -> bytes:
        """Sign (§3.5.1). Raises BBSError."""
        scalars = self.messages_to_scalars(messages)
        return self.sign_scalars(sk, pk, header, scalars, backend=backend)

    def verify(
        self,
        pk: bytes,
        signature: bytes,
        header: bytes = b"",
        messages: Sequence[bytes] = (),
        *,
        backend: CurveBackend | None = None,
    ) -> bool:
        """Verify (§3.5.2). False for anything invalid or malformed; never raises."""
        try:
            scalars = self.messages_to_scalars(messages)
        except (ValueError, TypeError):
            return False
        return self.verify_scalars(pk, signature, header, scalars, backend=backend)

    def proof_gen(
        self,
        pk: bytes,
        signature: bytes,
        header: bytes = b"",
        ph: bytes = b"",
        messages: Sequence[bytes] = (),
        disclosed_indexes: Sequence[int] = (),
        *,
        backend: CurveBackend | None = None,
        random_scalars: RandomScalars = calculate_random_scalars,
    ) -> bytes:
        """ProofGen (§3.5.3). Raises BBSError."""
        return self.proof_gen_scalars(
            pk,
            signature,
            header,
            ph,
            self.messages_to_scalars(messages),
            disclosed_indexes,
            backend=backend,
            random_scalars=random_scalars,
        )

    def proof_verify(
        self,
        pk: bytes,
        proof: bytes,
        header: bytes = b"",
        ph: bytes = b"",
        disclosed_messages: Sequence[bytes] = (),
        disclosed_indexes: Sequence[int] = (),
        *,
        backend: CurveBackend | None = None,
    ) -> bool:
        """ProofVerify (§3.5.4). False for anything invalid or malformed; never raises."""
        try:
            scalars = self.messages_to_scalars(disclosed_messages)
        except (ValueError, TypeError):
            return False
        return self.proof_verify_scalars(
            pk, proof, header, ph, scalars, disclosed_indexes, backend=backend
        )

    # --- scalar-level interface ---
    def sign_scalars(
        self,
        sk: bytes,
        pk: bytes,
        header: bytes,
        scalars: Sequence[int],
        *,
        backend: CurveBackend | None = None,
    ) -> bytes:
        """Sign over messages already mapped to scalars in [0, r). Raises BBSError.

        The public key is validated (a subgroup point, not the identity) but
        not checked against SK, as in the draft; pass the key's own PK.
        """
        b = backend or get_backend()
        x = _decode_sk(sk)
        pk = _octets(pk, "public key")
        header = _octets(header, "header")
        ms = _scalar_list(scalars)
        octets_to_pubkey(b, pk)
        generators = self.suite.create_generators(b, len(ms) + 1, self.api_id)
        return core_sign(self.suite, b, x, pk, generators, header, ms, self.api_id)

    def verify_scalars(
        self,
        pk: bytes,
        signature: bytes,
        header: bytes,
        scalars: Sequence[int],
        *,
        backend: CurveBackend | None = None,
    ) -> bool:
        """Verify over message scalars. False for anything invalid; never raises."""
        try:
            b = backend or get_backend()
            pk = _octets(pk, "public key")
            signature = _octets(signature, "signature")
            header = _octets(header, "header")
            ms = _scalar_list(scalars)
            generators = self.suite.create_generators(b, len(ms) + 1, self.api_id)
            return core_verify(self.suite, b, pk, signature, generators, header, ms, self.api_id)
        except (ValueError, TypeError):
            return False

    def proof_gen_scalars(
        self,
        pk: bytes,
        signature: bytes,
        header: bytes,
        ph: bytes,
        scalars: Sequence[int],
        disclosed_indexes: Sequence[int],
        *,
        backend: CurveBackend | None = None,
        random_scalars: RandomScalars = calculate_random_scalars,
    ) -> bytes:
        """ProofGen over message scalars. Raises BBSError."""
        b = backend or get_backend()
        pk = _octets(pk, "public key")
        signature = _octets(signature, "signature")
        header = _octets(header, "header")
        ph = _octets(ph, "presentation header")
        ms = _scalar_list(scalars)
        idx = _index_list(disclosed_indexes)
        if len(idx) > len(ms):
            raise BBSError("more disclosed indexes than messages")
        octets_to_pubkey(b, pk)
        generators = self.suite.create_generators(b, len(ms) + 1, self.api_id)
        return core_proof_gen(
            self.suite, b, pk, signature, generators, header, ph, ms, idx, self.api_id,
            random_scalars,
        )

    def proof_verify_scalars(
        self,
        pk: bytes,
        proof: bytes,
        header: bytes,
        ph: bytes,
        disclosed_scalars: Sequence[int],
        disclosed_indexes: Sequence[int],
        *,
        backend: CurveBackend | None = None,
    ) -> bool:
        """ProofVerify over disclosed message scalars. False for anything invalid;
        never raises. L = U + R, with U read from the proof's length (§3.5.4)."""
        try:
            b = backend or get_backend()
            pk = _octets(pk, "public key")
            proof = _octets(proof, "proof")
            header = _octets(header, "header")
            ph = _octets(ph, "presentation header")
            ms = _scalar_list(disclosed_scalars)
            idx = _index_list(disclosed_indexes)
            if len(proof) < _PROOF_FLOOR or (len(proof) - _PROOF_FLOOR) % OCTET_SCALAR_LENGTH:
                return False
            u = (len(proof) - _PROOF_FLOOR) // OCTET_SCALAR_LENGTH
            if len(ms) != len(idx):
                return False
            generators = self.suite.create_generators(b, u + len(idx) + 1, self.api_id)
            return core_proof_verify(
                self.suite, b, pk, proof, generators, header, ph, ms, idx, self.api_id
            )
        except (ValueError, TypeError):
            return False

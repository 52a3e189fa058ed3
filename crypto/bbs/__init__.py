"""BBS signatures over BLS12-381 (draft-irtf-cfrg-bbs-signatures-09).

Bytes in, bytes out::

    from crypto import bbs
    s = bbs.BLS12_381_SHA_256            # or bbs.BLS12_381_SHAKE_256
    sk = s.keygen(key_material, key_info=b"")   # 32 bytes
    pk = s.sk_to_pk(sk)                          # 96 bytes
    sig = s.sign(sk, pk, header, messages)       # 80 bytes
    s.verify(pk, sig, header, messages) -> bool
    proof = s.proof_gen(pk, sig, header, ph, messages, disclosed_indexes)
    s.proof_verify(pk, proof, header, ph, disclosed_messages, disclosed_indexes) -> bool

plus the scalar-level entry points (`sign_scalars`, `verify_scalars`,
`proof_gen_scalars`, `proof_verify_scalars`, `messages_to_scalars`), see
`interface.py`. The draft's core subroutines, for extensions (blind
signatures, pseudonyms, predicates), are in `core.py`; ciphersuites, hashing
and encodings in `suite.py`; the curve backends behind `backend.py`
($PNYX_CURVE_BACKEND = py_ecc | blst | arkworks, default blst).
"""

from __future__ import annotations

from typing import Final

from crypto.bbs.backend import BBSError, CurveBackend, backend_by_name, get_backend
from crypto.bbs.interface import BBSInterface
from crypto.bbs.suite import SHA_256, SHAKE_256

__all__ = [
    "BLS12_381_SHAKE_256",
    "BLS12_381_SHA_256",
    "BBSError",
    "BBSInterface",
    "CurveBackend",
    "backend_by_name",
    "get_backend",
]

#: BLS12-381-SHA-256 (draft §7.2.2), interface api_id = ciphersuite_id || "H2G_HM2S_".
BLS12_381_SHA_256: Final = BBSInterface(SHA_256)
#: BLS12-381-SHAKE-256 (draft §7.2.1).
BLS12_381_SHAKE_256: Final = BBSInterface(SHAKE_256)

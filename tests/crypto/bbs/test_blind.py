"""Blind BBS signatures (crypto/bbs/blind.py) against ../shared/vectors/bbs-blind, both
suites, every backend (the `backend` fixture of conftest.py); plus round trips
and rejections.

All 2 commitment, 5 signature and 8 proof fixtures of each suite are matched
byte for byte (the proofs with the fixtures' mocked random scalars).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from crypto.bbs import blind
from crypto.bbs.backend import BBSError, CurveBackend, backend_by_name
from crypto.bbs.suite import SHA_256, SHAKE_256, Ciphersuite

SUITES = {"bls12-381-sha-256": SHA_256, "bls12-381-shake-256": SHAKE_256}
SK = bytes.fromhex("60e55110f76883a13d030b2f6bd11883422d5abde717569fc0731f51237169fc")
PK = bytes.fromhex(
    "a820f230f6ae38503b86c70dc50b61c58a77e45c39ab25c0652bbaa8fa136f2851bd4781c9dcde39fc9d1d52c9e"
    "60268061e7d7632171d91aa8d460acee0e96f1e7c4cfb12d3ff9ab5d5dc91c277db75c845d649ef3c4f63aebc36"
    "4cd55ded0c"
)


def _cases(vectors: Path, kind: str) -> list[tuple[Ciphersuite, dict]]:
    out = []
    for folder, suite in SUITES.items():
        for f in sorted((vectors / "bbs-blind" / folder / kind).glob("*.json")):
            out.append((suite, json.loads(f.read_text())))
    return out


def _mock(suite: Ciphersuite, params: dict) -> Callable[[int], Sequence[int]]:
    seed, dst = params["SEED"].encode(), params["DST"].encode()
    return lambda n: suite.mocked_calculate_random_scalars(n, seed, dst)


def _hexes(items: Sequence[str] | None) -> list[bytes]:
    return [bytes.fromhex(x) for x in items or []]


def test_generators(vectors: Path, backend: CurveBackend) -> None:
    for folder, suite in SUITES.items():
        fx = json.loads((vectors / "bbs-blind" / folder / "generators.json").read_text())
        api = blind.blind_api_id(suite)
        assert fx["generators"]["api_id"].encode() == api
        gens = blind.blind_generators_for(suite, backend, 10, 5, api)
        enc = [backend.g1_to_bytes(p).hex() for p in gens.generators]
        assert enc == [fx["generators"]["Q1"], *fx["generators"]["MsgGenerators"]]
        enc = [backend.g1_to_bytes(p).hex() for p in gens.blind]
        assert enc == [fx["blindGenerators"]["Q1"], *fx["blindGenerators"]["MsgGenerators"]]


def test_commit_fixtures(vectors: Path, backend: CurveBackend) -> None:
    cases = _cases(vectors, "commit")
    assert len(cases) == 4
    for suite, fx in cases:
        rng = _mock(suite, {**fx["mockRngParameters"]["commit"], **fx["mockRngParameters"]})
        cwp, prover_blind = blind.commit(
            suite, _hexes(fx["committedMessages"]), backend=backend, random_scalars=rng
        )
        assert cwp.hex() == fx["commitmentWithProof"], fx["caseName"]
        assert prover_blind == int(fx["proverBlind"], 16)
        # the Signer accepts it
        commitment, gens = blind.deserialize_and_validate_commit(
            suite, backend, cwp, blind.blind_api_id(suite)
        )
        assert len(gens) == len(fx["committedMessages"]) + 1
        assert backend.g1_to_bytes(commitment) == cwp[:48]


def test_signature_fixtures(vectors: Path, backend: CurveBackend) -> None:
    cases = _cases(vectors, "signature")
    assert len(cases) == 10
    for suite, fx in cases:
        cwp = bytes.fromhex(fx["commitmentWithProof"] or "")
        header = bytes.fromhex(fx["header"])
        messages = _hexes(fx["messages"])
        sk = bytes.fromhex(fx["signerKeyPair"]["secretKey"])
        pk = bytes.fromhex(fx["signerKeyPair"]["publicKey"])
        sig = blind.blind_sign(suite, sk, pk, cwp, header, messages, backend=backend)
        assert sig.hex() == fx["signature"], fx["caseName"]
        committed = _hexes(fx["committedMessages"])
        prover_blind = int(fx["proverBlind"] or "0", 16)
        assert blind.verify_blind_sign(
            suite, pk, sig, header, messages, committed, prover_blind, backend=backend
        )
        # without the prover blind (or with another one) the signature does not verify
        assert not blind.verify_blind_sign(
            suite, pk, sig, header, messages, committed, prover_blind + 1, backend=backend
        )


def test_proof_fixtures(vectors: Path, backend: CurveBackend) -> None:
    messages = json.loads((vectors / "bbs-blind" / "messages.json").read_text())
    cases = _cases(vectors, "proof")
    assert len(cases) == 16
    for suite, fx in cases:
        msgs = _hexes(messages["messages"])
        committed = _hexes(messages["committedMessages"]) if fx["commitmentWithProof"] else []
        prover_blind = int(fx["proverBlind"] or "0", 16)
        disclosed = sorted(int(k) for k in fx["revealedMessages"])
        disclosed_c = sorted(int(k) for k in fx["revealedCommittedMessages"] or {})
        rng = _mock(suite, {**fx["mockRngParameters"]["proof"], **fx["mockRngParameters"]})
        header, ph = bytes.fromhex(fx["header"]), bytes.fromhex(fx["presentationHeader"])
        sig = bytes.fromhex(fx["signature"])
        pk = bytes.fromhex(fx["signerPublicKey"])
        proof = blind.blind_proof_gen(
            suite,
            pk,
            sig,
            header,
            ph,
            msgs,
            committed,
            disclosed,
            disclosed_c,
            prover_blind,
            backend=backend,
            random_scalars=rng,
        )
        assert proof.hex() == fx["proof"], fx["caseName"]
        shown = [msgs[i] for i in disclosed]
        shown_c = [committed[j] for j in disclosed_c]
        assert blind.blind_proof_verify(
            suite,
            pk,
            proof,
            header,
            ph,
            fx["L"],
            shown,
            shown_c,
            disclosed,
            disclosed_c,
            backend=backend,
        )
        assert not blind.blind_proof_verify(
            suite,
            pk,
            proof,
            header,
            ph + b"x",
            fx["L"],
            shown,
            shown_c,
            disclosed,
            disclosed_c,
            backend=backend,
        )


def test_round_trip_and_rejections() -> None:
    backend = backend_by_name("blst")
    suite = SHA_256
    cwp, pb = blind.commit(suite, [b"secret key", b"pin"], backend=backend)
    sig = blind.blind_sign(suite, SK, PK, cwp, b"h", [b"name", b"district 7"], backend=backend)
    assert blind.verify_blind_sign(
        suite,
        PK,
        sig,
        b"h",
        [b"name", b"district 7"],
        [b"secret key", b"pin"],
        pb,
        backend=backend,
    )
    proof = blind.blind_proof_gen(
        suite,
        PK,
        sig,
        b"h",
        b"nonce",
        [b"name", b"district 7"],
        [b"secret key", b"pin"],
        [1],
        [],
        pb,
        backend=backend,
    )
    ok = blind.blind_proof_verify(
        suite, PK, proof, b"h", b"nonce", 2, [b"district 7"], [], [1], [], backend=backend
    )
    assert ok
    # a tampered disclosed value, another nonce, a wrong L: rejected, never raised
    assert not blind.blind_proof_verify(
        suite, PK, proof, b"h", b"nonce", 2, [b"district 8"], [], [1], [], backend=backend
    )
    assert not blind.blind_proof_verify(
        suite, PK, proof, b"h", b"other", 2, [b"district 7"], [], [1], [], backend=backend
    )
    assert not blind.blind_proof_verify(
        suite, PK, proof, b"h", b"nonce", 3, [b"district 7"], [], [1], [], backend=backend
    )
    assert not blind.blind_proof_verify(
        suite, PK, proof[:-1], b"h", b"nonce", 2, [b"district 7"], [], [1], [], backend=backend
    )
    # the Signer refuses a commitment whose proof of knowledge is altered
    bad = bytearray(cwp)
    bad[60] ^= 1
    with pytest.raises(BBSError):
        blind.blind_sign(suite, SK, PK, bytes(bad), b"h", [], backend=backend)
    with pytest.raises(BBSError):
        blind.blind_sign(suite, SK, PK, cwp[:-1], b"h", [], backend=backend)
    # a commitment made for another interface (api_id) is refused as well
    other, _ = blind.commit(suite, [b"x"], api_id=suite.api_id, backend=backend)
    with pytest.raises(BBSError):
        blind.blind_sign(suite, SK, PK, other, b"h", [], backend=backend)

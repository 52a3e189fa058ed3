"""Per-verifier pseudonyms (crypto/bbs/pseudonym.py) against ../shared/vectors/bbs-pseudonyms:
all 4 nymCommit, 6 nymSignature and 11 nymProof cases of each suite, byte for byte,
every backend; then the pseudonym's properties: fixed within a context,
unrelated across contexts, and two presentations sharing nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from crypto.bbs import pseudonym as nym
from crypto.bbs.backend import CurveBackend, backend_by_name
from crypto.bbs.suite import SHA_256, SHAKE_256, Ciphersuite, calculate_random_scalars

SUITES = {"bls12-381-sha-256": SHA_256, "bls12-381-shake-256": SHAKE_256}
SK = bytes.fromhex("60e55110f76883a13d030b2f6bd11883422d5abde717569fc0731f51237169fc")


def _cases(vectors: Path, kind: str) -> list[tuple[Ciphersuite, dict]]:
    out = []
    for folder, suite in SUITES.items():
        for f in sorted((vectors / "bbs-pseudonyms" / folder / kind).glob("*.json")):
            out.append((suite, json.loads(f.read_text())))
    return out


def _mock(suite: Ciphersuite, seed: str, dst: str) -> Callable[[int], Sequence[int]]:
    return lambda n: suite.mocked_calculate_random_scalars(n, seed.encode(), dst.encode())


def _hexes(items: Sequence[str] | None) -> list[bytes]:
    return [bytes.fromhex(x) for x in items or []]


def _ints(items: Sequence[str]) -> list[int]:
    return [int(x, 16) for x in items]


def test_generators(vectors: Path, backend: CurveBackend) -> None:
    for folder, suite in SUITES.items():
        fx = json.loads((vectors / "bbs-pseudonyms" / folder / "generators.json").read_text())
        api = nym.pseudonym_api_id(suite)
        assert fx["generators"]["api_id"].encode() == api
        gens = suite.create_generators(backend, 11, api)
        assert [backend.g1_to_bytes(p).hex() for p in gens] == [
            fx["generators"]["Q1"],
            *fx["generators"]["MsgGenerators"],
        ]
        blind = suite.create_generators(backend, 7, b"BLIND_" + api)
        assert [backend.g1_to_bytes(p).hex() for p in blind] == [
            fx["blindGenerators"]["Q1"],
            *fx["blindGenerators"]["MsgGenerators"],
        ]


def test_nym_commit_fixtures(vectors: Path, backend: CurveBackend) -> None:
    cases = _cases(vectors, "nymCommit")
    assert len(cases) == 8
    for suite, fx in cases:
        params = fx["mockRngParameters"]
        cwp, prover_blind = nym.commit_with_nym(
            suite,
            _hexes(fx["committedMessages"]),
            _ints(fx["proverNyms"]),
            backend=backend,
            random_scalars=_mock(suite, params["SEED"], params["commit"]["DST"]),
        )
        assert cwp.hex() == fx["commitmentWithProof"], fx["caseName"]
        assert prover_blind == int(fx["proverBlind"], 16)


def test_nym_signature_fixtures(vectors: Path, backend: CurveBackend) -> None:
    cases = _cases(vectors, "nymSignature")
    assert len(cases) == 12
    for suite, fx in cases:
        api = nym.pseudonym_api_id(suite)
        sk = bytes.fromhex(fx["signerKeyPair"]["secretKey"])
        pk = bytes.fromhex(fx["signerKeyPair"]["publicKey"])
        header = bytes.fromhex(fx["header"])
        messages = _hexes(fx["messages"])
        entropy = int(fx["signer_nym_entropy"], 16)
        prover_nyms = _ints(fx["proverNyms"])
        sig = nym.blind_sign_with_nym(
            suite,
            sk,
            pk,
            bytes.fromhex(fx["commitmentWithProof"]),
            len(prover_nyms),
            entropy,
            header,
            messages,
            backend=backend,
        )
        assert sig.hex() == fx["signature"], fx["caseName"]
        secrets_ = nym.verify_finalize_with_nym(
            suite,
            pk,
            sig,
            header,
            suite.messages_to_scalars(messages, api),
            suite.messages_to_scalars(_hexes(fx["committedMessages"]), api),
            prover_nyms,
            entropy,
            int(fx["proverBlind"], 16),
            backend=backend,
        )
        assert list(secrets_) == _ints(fx["nym_secrets"])


def test_nym_proof_fixtures(vectors: Path, backend: CurveBackend) -> None:
    cases = _cases(vectors, "nymProof")
    assert len(cases) == 22
    for suite, fx in cases:
        params = fx["mockRngParameters"]
        pk = bytes.fromhex(fx["signerPublicKey"])
        header, ph = bytes.fromhex(fx["header"]), bytes.fromhex(fx["presentationHeader"])
        context_id = bytes.fromhex(fx["context_id"])
        msgs, committed = _hexes(fx["messages"]), _hexes(fx["committedMessages"])
        nym_secrets = _ints(fx["nym_secrets"])
        disclosed = sorted(int(k) for k in fx["revealedMessages"])
        disclosed_c = sorted(int(k) for k in fx["revealedCommittedMessages"])
        assert (
            nym.calculate_pseudonym(suite, context_id, nym_secrets, backend=backend).hex()
            == fx["pseudonym"]
        )
        proof, pseudonym = nym.proof_gen_with_nym(
            suite,
            pk,
            bytes.fromhex(fx["signature"]),
            header,
            ph,
            nym_secrets,
            context_id,
            msgs,
            committed,
            disclosed,
            disclosed_c,
            int(fx["proverBlind"], 16),
            backend=backend,
            random_scalars=_mock(suite, params["SEED"], params["proof"]["DST"]),
        )
        assert pseudonym.hex() == fx["pseudonym"], fx["caseName"]
        assert proof.hex() == fx["proof"], fx["caseName"]
        args = (
            [msgs[i] for i in disclosed],
            [committed[j] for j in disclosed_c],
            disclosed,
            disclosed_c,
        )
        assert nym.proof_verify_with_nym(
            suite,
            pk,
            proof,
            header,
            ph,
            pseudonym,
            context_id,
            fx["L"],
            len(nym_secrets),
            *args,
            backend=backend,
        )
        # another context id, another pseudonym, another nym-vector length: rejected
        assert not nym.proof_verify_with_nym(
            suite,
            pk,
            proof,
            header,
            ph,
            pseudonym,
            context_id + b"x",
            fx["L"],
            len(nym_secrets),
            *args,
            backend=backend,
        )
        other = nym.calculate_pseudonym(suite, context_id, [1, *nym_secrets[1:]], backend=backend)
        assert not nym.proof_verify_with_nym(
            suite,
            pk,
            proof,
            header,
            ph,
            other,
            context_id,
            fx["L"],
            len(nym_secrets),
            *args,
            backend=backend,
        )
        assert not nym.proof_verify_with_nym(
            suite,
            pk,
            proof,
            header,
            ph,
            pseudonym,
            context_id,
            fx["L"],
            len(nym_secrets) + 1,
            *args,
            backend=backend,
        )


def _issue(suite: Ciphersuite, backend: CurveBackend) -> tuple[bytes, bytes, tuple[int, ...], int]:
    """A holder with one nym secret, blindly signed with signer entropy."""
    pk = bytes.fromhex(
        "a820f230f6ae38503b86c70dc50b61c58a77e45c39ab25c0652bbaa8fa136f2851bd4781c9dcde39fc9d1d5"
        "2c9e60268061e7d7632171d91aa8d460acee0e96f1e7c4cfb12d3ff9ab5d5dc91c277db75c845d649ef3c4f"
        "63aebc364cd55ded0c"
    )
    prover_nym = calculate_random_scalars(1)[0]
    cwp, prover_blind = nym.commit_with_nym(suite, [], [prover_nym], backend=backend)
    entropy = calculate_random_scalars(1)[0]
    api = nym.pseudonym_api_id(suite)
    msgs = [b"name", b"district 7"]
    sig = nym.blind_sign_with_nym(suite, SK, pk, cwp, 1, entropy, b"", msgs, backend=backend)
    secrets_ = nym.verify_finalize_with_nym(
        suite,
        pk,
        sig,
        b"",
        suite.messages_to_scalars(msgs, api),
        [],
        [prover_nym],
        entropy,
        prover_blind,
        backend=backend,
    )
    return pk, sig, secrets_, prover_blind


def test_pseudonym_fixed_per_context_unlinkable_across() -> None:
    suite, backend = SHA_256, backend_by_name("blst")
    pk, sig, secrets_, prover_blind = _issue(suite, backend)
    msgs = [b"name", b"district 7"]

    def present(ctx: bytes, ph: bytes) -> tuple[bytes, bytes]:
        return nym.proof_gen_with_nym(
            suite,
            pk,
            sig,
            b"",
            ph,
            secrets_,
            ctx,
            msgs,
            [],
            [1],
            [],
            prover_blind,
            backend=backend,
        )

    p1, n1 = present(b"election-2026", b"ballot-hash-1")
    p2, n2 = present(b"election-2026", b"ballot-hash-2")
    p3, n3 = present(b"election-2027", b"ballot-hash-1")
    assert n1 == n2  # fixed within one context
    assert n1 != n3  # another context: another pseudonym
    for p, n, ctx, ph in (
        (p1, n1, b"election-2026", b"ballot-hash-1"),
        (p2, n2, b"election-2026", b"ballot-hash-2"),
        (p3, n3, b"election-2027", b"ballot-hash-1"),
    ):
        assert nym.proof_verify_with_nym(
            suite, pk, p, b"", ph, n, ctx, 2, 1, [b"district 7"], [], [1], [], backend=backend
        )
    # a proof replayed with another presentation header is rejected
    assert not nym.proof_verify_with_nym(
        suite,
        pk,
        p1,
        b"",
        b"ballot-hash-2",
        n1,
        b"election-2026",
        2,
        1,
        [b"district 7"],
        [],
        [1],
        [],
        backend=backend,
    )
    # two presentations share no 32- or 48-byte value but the pseudonym itself
    chunks = {p1[i : i + 32] for i in range(144, len(p1), 32)} | {
        p1[i : i + 48] for i in (0, 48, 96)
    }
    others = {p2[i : i + 32] for i in range(144, len(p2), 32)} | {
        p2[i : i + 48] for i in (0, 48, 96)
    }
    assert not chunks & others
    # the two contexts' pseudonyms are unrelated points: neither is ±the other
    assert n3 != n1 and n3 != backend.g1_to_bytes(backend.g1_neg(backend.g1_from_bytes(n1)))

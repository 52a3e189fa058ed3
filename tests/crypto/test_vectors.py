"""tests/vectors: the committed files equal the generator's output, and every
vector is checked through the public API as a third-party verifier would."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from crypto.contest import ContestShape, EncryptedContest, verify_contest
from crypto.dlog import discrete_log
from crypto.elgamal import Ciphertext, decrypt_to_point, sum_ciphertexts, verify_nonce
from crypto.errors import InvalidEncoding, InvalidProof
from crypto.group import (
    GENERATOR,
    ORDER,
    Point,
    Scalar,
    hash_to_point,
    hash_to_scalar,
    length_prefixed,
)
from crypto.proofs.decryption import verify_decryption, verify_decryption_share
from crypto.proofs.dleq import DleqProof, verify_dleq
from crypto.proofs.range import RangeProof, verify_range
from crypto.proofs.schnorr import SchnorrProof, verify_knowledge
from crypto.threshold import (
    CeremonyParameters,
    CoefficientCommitments,
    PartialDecryption,
    combine_partial_decryptions,
    joint_public_key,
    lagrange_coefficient,
    verification_key,
    verify_commitments,
    verify_share,
)
from crypto.transcript import Transcript

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def _load_generator() -> Any:
    spec = importlib.util.spec_from_file_location(
        "generate_ballot_vectors", VECTORS / "generate_ballot_vectors.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / f"{name}.json").read_text(encoding="utf-8"))
    assert data["version"] == 1
    return data


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def test_committed_vectors_equal_the_generator() -> None:
    generated = _load_generator().generate()
    assert set(generated) == {f"{n}.json" for n in _load_generator().FILES}
    for name, text in generated.items():
        assert (VECTORS / name).read_text(encoding="utf-8") == text, name


def test_group_vectors() -> None:
    v = load("group")
    assert int(v["order"]) == ORDER
    assert Point.from_hex(v["generator"]) == GENERATOR
    assert Point.from_hex(v["identity"], allow_identity=True).is_identity()
    for case in v["multiples_of_generator"]:
        assert Scalar.from_hex(case["scalar"]) * GENERATOR == Point.from_hex(case["point"])
    for case in v["point_arithmetic"]:
        p, q, k = Point.from_hex(case["p"]), Point.from_hex(case["q"]), Scalar.from_hex(case["k"])
        assert (p + q).hex() == case["p_plus_q"]
        assert (p - q).hex() == case["p_minus_q"]
        assert (k * p).hex() == case["k_times_p"]
    for case in v["scalar_arithmetic"]:
        a, b = Scalar.from_hex(case["a"]), Scalar.from_hex(case["b"])
        assert (a + b).hex() == case["a_plus_b"]
        assert (a - b).hex() == case["a_minus_b"]
        assert (a * b).hex() == case["a_times_b"]
        assert a.invert().hex() == case["inverse_a"]
    wide = v["wide_reduction"]
    assert Scalar.from_hex(wide["scalar"]).to_int() == (
        int.from_bytes(h(wide["input"]), "little") % ORDER
    )
    for case in v["hash_to_scalar"]:
        assert hash_to_scalar(case["dst"].encode(), h(case["message"])).hex() == case["scalar"]
    for case in v["hash_to_point"]:
        dst, message = case["dst"].encode(), h(case["message"])
        uniform = hashlib.sha512(length_prefixed(dst) + length_prefixed(message)).digest()
        assert uniform.hex() == case["uniform_bytes"]
        assert hash_to_point(dst, message).hex() == case["point"]
    assert len(v["invalid_points"]) >= 36
    for case in v["invalid_points"]:
        with pytest.raises(InvalidEncoding):
            Point.from_bytes(h(case["encoding"]))
    for case in v["invalid_scalars"]:
        with pytest.raises(InvalidEncoding):
            Scalar.from_bytes(h(case["encoding"]))


def test_transcript_vectors() -> None:
    v = load("transcript")
    t = Transcript.start(v["protocol"].encode(), context=h(v["context"]), prover=h(v["prover"]))
    for item in v["items"]:
        t = t.append(item["label"].encode(), h(item["value"]))
    assert t.digest().hex() == v["digest"]
    assert t.challenge(v["challenge_label"].encode()).hex() == v["challenge"]
    nonces = v["nonces"]
    seed = h(nonces["seed"])
    values = t.nonces(len(nonces["values"]), h(nonces["witness"]), lambda _n: seed)
    assert [n.hex() for n in values] == nonces["values"]


def test_elgamal_vectors() -> None:
    v = load("elgamal")
    secret, public = Scalar.from_hex(v["secret_key"]), Point.from_hex(v["public_key"])
    assert secret * GENERATOR == public
    ciphertexts = []
    for case in v["encryptions"]:
        ciphertext = Ciphertext.from_bytes(h(case["ciphertext"]))
        assert verify_nonce(public, ciphertext, case["message"], Scalar.from_hex(case["nonce"]))
        assert not verify_nonce(
            public, ciphertext, case["message"] + 1, Scalar.from_hex(case["nonce"])
        )
        ciphertexts.append(ciphertext)
    total = sum_ciphertexts(ciphertexts)
    assert total.to_bytes().hex() == v["sum"]["ciphertext"]
    plaintext = decrypt_to_point(secret, total)
    assert plaintext.hex() == v["sum"]["plaintext_point"]
    assert discrete_log(plaintext, 2000) == v["sum"]["plaintext"]


def _flip(data: bytes, index: int) -> bytes:
    out = bytearray(data)
    out[index] ^= 1
    return bytes(out)


def test_proof_vectors() -> None:
    v = load("proofs")
    context = h(v["context"])

    def t(case: dict[str, Any]) -> Transcript:
        return Transcript.start(
            case["protocol"].encode(), context=context, prover=h(case["prover"])
        )

    s = v["schnorr"]
    public = Point.from_hex(s["public"])
    assert Scalar.from_hex(s["secret"]) * GENERATOR == public
    verify_knowledge(public, SchnorrProof.from_bytes(h(s["proof"])), t(s))
    with pytest.raises(InvalidProof):
        verify_knowledge(public, SchnorrProof.from_bytes(_flip(h(s["proof"]), 0)), t(s))

    d = v["dleq"]
    g1, h1, g2, h2 = (Point.from_hex(d[k]) for k in ("g1", "h1", "g2", "h2"))
    verify_dleq(g1, h1, g2, h2, DleqProof.from_bytes(h(d["proof"])), t(d))
    with pytest.raises(InvalidProof):
        verify_dleq(g1, h1, g2, h2, DleqProof.from_bytes(_flip(h(d["proof"]), 40)), t(d))

    r = v["range"]
    key = Point.from_hex(r["public_key"])
    for case in r["cases"]:
        ciphertext = Ciphertext.from_bytes(h(case["ciphertext"]))
        branches = case["upper"] - case["lower"] + 1
        proof = RangeProof.from_bytes(h(case["proof"]), branches)
        verify_range(key, ciphertext, case["lower"], case["upper"], proof, t(r))
        assert verify_nonce(key, ciphertext, case["value"], Scalar.from_hex(case["nonce"]))
        with pytest.raises(InvalidProof):
            verify_range(
                key,
                ciphertext,
                case["lower"],
                case["upper"],
                RangeProof.from_bytes(_flip(h(case["proof"]), 5), branches),
                t(r),
            )

    dec = v["decryption"]
    key = Point.from_hex(dec["public_key"])
    ciphertext = Ciphertext.from_bytes(h(dec["ciphertext"]))
    proof_d = DleqProof.from_bytes(h(dec["proof"]))
    verify_decryption_share(key, ciphertext, Point.from_hex(dec["share"]), proof_d, t(dec))
    verify_decryption(key, ciphertext, dec["plaintext"], proof_d, t(dec))
    with pytest.raises(InvalidProof):
        verify_decryption(key, ciphertext, dec["plaintext"] + 1, proof_d, t(dec))


def test_contest_vectors() -> None:
    v = load("contest")
    context = h(v["context"])
    secret, key = Scalar.from_hex(v["secret_key"]), Point.from_hex(v["public_key"])
    for case in v["cases"]:
        shape = ContestShape(
            h(case["contest_id"]),
            case["options"],
            case["minimum"],
            case["maximum"],
            case["option_limit"],
        )
        contest = EncryptedContest.from_bytes(h(case["encrypted"]), shape)
        prover = h(case["prover"])
        verify_contest(key, shape, contest, context=context, prover=prover)
        for ciphertext, selection, nonce in zip(
            contest.ciphertexts, case["selections"], case["nonces"], strict=True
        ):
            assert verify_nonce(key, ciphertext, selection, Scalar.from_hex(nonce))
            assert discrete_log(decrypt_to_point(secret, ciphertext), 10) == selection
        with pytest.raises(InvalidProof):
            verify_contest(key, shape, contest, context=context, prover=prover + b"x")
        tampered = _flip(h(case["encrypted"]), len(h(case["encrypted"])) - 40)
        with pytest.raises(InvalidProof):
            verify_contest(
                key,
                shape,
                EncryptedContest.from_bytes(tampered, shape),
                context=context,
                prover=prover,
            )


def test_threshold_vectors() -> None:
    v = load("threshold")
    parameters = CeremonyParameters(h(v["context"]), v["threshold"], v["trustees"])
    qualified = []
    for dealer in v["dealers"]:
        commitments = CoefficientCommitments.from_bytes(h(dealer["commitments"]), 2)
        assert commitments.dealer == dealer["index"]
        verify_commitments(parameters, commitments, h(dealer["digest"]))
        for j, share in dealer["shares"].items():
            assert verify_share(commitments, int(j), Scalar.from_hex(share))
        qualified.append(commitments)
    assert joint_public_key(qualified).hex() == v["joint_public_key"]
    keys = {int(j): Point.from_hex(k) for j, k in v["verification_keys"].items()}
    for j, key in keys.items():
        assert verification_key(qualified, j) == key
        assert Scalar.from_hex(v["trustee_shares"][str(j)]) * GENERATOR == key
    for j, weight in v["lagrange_1_3"].items():
        assert lagrange_coefficient(int(j), [1, 3]).hex() == weight
    ciphertext = Ciphertext.from_bytes(h(v["ciphertext"]))
    partials = [PartialDecryption.from_bytes(h(p)) for p in v["partial_decryptions"]]
    outcome = combine_partial_decryptions(parameters, keys, ciphertext, partials)
    assert outcome.plaintext.hex() == v["plaintext_point"]
    assert discrete_log(outcome.plaintext, 100) == v["plaintext"]

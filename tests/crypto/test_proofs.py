"""crypto/proofs: Schnorr, DLEQ, decryption shares, range proofs (adversarial)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.elgamal import Ciphertext, encrypt, generate_keypair
from crypto.errors import InvalidEncoding, InvalidProof
from crypto.group import GENERATOR, IDENTITY, ORDER, Scalar, hash_to_point
from crypto.proofs.decryption import (
    prove_decryption_share,
    verify_decryption,
    verify_decryption_share,
)
from crypto.proofs.dleq import DleqProof, prove_dleq, verify_dleq
from crypto.proofs.range import RangeProof, prove_range, verify_range
from crypto.proofs.schnorr import SchnorrProof, prove_knowledge, verify_knowledge
from crypto.transcript import Transcript
from tests.crypto.forgery import cheat_range_proof

CONTEXT = bytes(range(32))
OTHER_CONTEXT = bytes(range(1, 33))
FAST = settings(max_examples=10, deadline=None)


def t(context: bytes = CONTEXT, prover: bytes = b"voter", protocol: bytes = b"test") -> Transcript:
    return Transcript.start(protocol, context=context, prover=prover)


# -- Schnorr ---------------------------------------------------------------


def test_schnorr_roundtrip_and_bindings() -> None:
    x = Scalar.random()
    public, proof = prove_knowledge(x, t())
    verify_knowledge(public, proof, t())
    verify_knowledge(public, SchnorrProof.from_bytes(proof.to_bytes()), t())
    for wrong in (t(OTHER_CONTEXT), t(prover=b"other"), t(protocol=b"other")):
        with pytest.raises(InvalidProof):
            verify_knowledge(public, proof, wrong)
    with pytest.raises(InvalidProof):
        verify_knowledge(public + GENERATOR, proof, t())
    with pytest.raises(InvalidProof):
        verify_knowledge(IDENTITY, proof, t())


def test_schnorr_zeroed_and_random_proofs_fail() -> None:
    public, _ = prove_knowledge(Scalar.random(), t())
    for proof in (
        SchnorrProof.from_bytes(bytes(64)),
        SchnorrProof(Scalar.random(), Scalar.random()),
    ):
        with pytest.raises(InvalidProof):
            verify_knowledge(public, proof, t())
    with pytest.raises(InvalidEncoding):
        SchnorrProof.from_bytes(ORDER.to_bytes(32, "little") + bytes(32))


@FAST
@given(st.integers(min_value=0, max_value=63), st.integers(min_value=1, max_value=255))
def test_schnorr_any_bit_flip_fails(position: int, mask: int) -> None:
    public, proof = prove_knowledge(Scalar.random(), t())
    data = bytearray(proof.to_bytes())
    data[position] ^= mask
    try:
        tampered = SchnorrProof.from_bytes(bytes(data))
    except InvalidEncoding:
        return
    with pytest.raises(InvalidProof):
        verify_knowledge(public, tampered, t())


# -- DLEQ and decryption -----------------------------------------------------


def test_dleq_roundtrip_and_wrong_statements() -> None:
    x = Scalar.random()
    g2 = hash_to_point(b"test", b"g2")
    h1, h2, proof = prove_dleq(x, GENERATOR, g2, t())
    verify_dleq(GENERATOR, h1, g2, h2, DleqProof.from_bytes(proof.to_bytes()), t())
    with pytest.raises(InvalidProof):
        verify_dleq(GENERATOR, h1, g2, h2 + GENERATOR, proof, t())
    with pytest.raises(InvalidProof):
        verify_dleq(GENERATOR, h1, g2, Scalar.random() * g2, proof, t())  # different logs
    with pytest.raises(InvalidProof):
        verify_dleq(GENERATOR, h1, g2, h2, proof, t(OTHER_CONTEXT))
    with pytest.raises(InvalidProof):
        verify_dleq(GENERATOR, h1, g2, h2, DleqProof.from_bytes(bytes(64)), t())


def test_decryption_share_proofs() -> None:
    keys = generate_keypair()
    ciphertext, _ = encrypt(keys.public, 3)
    share, proof = prove_decryption_share(keys.secret, ciphertext, t())
    verify_decryption_share(keys.public, ciphertext, share, proof, t())
    verify_decryption(keys.public, ciphertext, 3, proof, t())
    with pytest.raises(InvalidProof):
        verify_decryption(keys.public, ciphertext, 4, proof, t())
    other, _ = encrypt(keys.public, 3)
    with pytest.raises(InvalidProof):  # wrong ciphertext
        verify_decryption_share(keys.public, other, share, proof, t())
    with pytest.raises(InvalidProof):  # wrong key
        verify_decryption_share(generate_keypair().public, ciphertext, share, proof, t())
    with pytest.raises(InvalidProof):  # wrong share
        verify_decryption_share(keys.public, ciphertext, share + GENERATOR, proof, t())
    with pytest.raises(InvalidProof):
        verify_decryption_share(keys.public, ciphertext, share, proof, t(prover=b"x"))


# -- range proofs ---------------------------------------------------------------


@pytest.mark.parametrize(("lower", "upper"), [(0, 1), (0, 3), (2, 5), (1, 1)])
def test_range_proof_every_value(lower: int, upper: int) -> None:
    keys = generate_keypair()
    for value in range(lower, upper + 1):
        ciphertext, nonce = encrypt(keys.public, value)
        proof = prove_range(keys.public, ciphertext, value, nonce, lower, upper, t())
        assert len(proof.to_bytes()) == 64 * (upper - lower + 1)
        decoded = RangeProof.from_bytes(proof.to_bytes(), upper - lower + 1)
        verify_range(keys.public, ciphertext, lower, upper, decoded, t())


def test_range_proof_moved_to_another_ciphertext_context_or_prover() -> None:
    keys = generate_keypair()
    ciphertext, nonce = encrypt(keys.public, 1)
    other, _ = encrypt(keys.public, 1)
    proof = prove_range(keys.public, ciphertext, 1, nonce, 0, 1, t())
    verify_range(keys.public, ciphertext, 0, 1, proof, t())
    cases = [
        (other, t()),
        (ciphertext, t(OTHER_CONTEXT)),
        (ciphertext, t(prover=b"someone else")),
        (Ciphertext(ciphertext.alpha, other.beta), t()),
    ]
    for target, transcript in cases:
        with pytest.raises(InvalidProof):
            verify_range(keys.public, target, 0, 1, proof, transcript)
    with pytest.raises(InvalidProof):  # the same proof claimed for another range
        verify_range(keys.public, ciphertext, 1, 2, proof, t())
    with pytest.raises(InvalidProof):  # another key
        verify_range(generate_keypair().public, ciphertext, 0, 1, proof, t())
    with pytest.raises(InvalidProof):  # the identity as key would make every statement true
        verify_range(IDENTITY, ciphertext, 0, 1, proof, t())


def test_range_proof_zeroed_random_and_swapped() -> None:
    keys = generate_keypair()
    ciphertext, nonce = encrypt(keys.public, 0)
    proof = prove_range(keys.public, ciphertext, 0, nonce, 0, 1, t())
    forged = [
        RangeProof.from_bytes(bytes(128), 2),
        RangeProof(
            tuple(Scalar.random() for _ in range(2)), tuple(Scalar.random() for _ in range(2))
        ),
        RangeProof(proof.challenges[::-1], proof.responses[::-1]),  # swapped branches
        RangeProof(proof.challenges, proof.responses[::-1]),
        RangeProof(proof.challenges[::-1], proof.responses),
    ]
    for bad in forged:
        with pytest.raises(InvalidProof):
            verify_range(keys.public, ciphertext, 0, 1, bad, t())
    with pytest.raises(InvalidProof):  # wrong branch count
        verify_range(keys.public, ciphertext, 0, 2, proof, t())
    with pytest.raises(InvalidEncoding):
        RangeProof.from_bytes(proof.to_bytes()[:-1], 2)
    with pytest.raises(InvalidEncoding):
        RangeProof.from_bytes(proof.to_bytes()[:64] + ORDER.to_bytes(32, "little") + bytes(32), 2)


@pytest.mark.parametrize("value", [2, 3, ORDER - 1, ORDER - 2])
@pytest.mark.parametrize("pretend", [0, 1])
def test_range_proof_for_a_value_outside_0_1_fails(value: int, pretend: int) -> None:
    keys = generate_keypair()
    nonce = Scalar.random()
    message = Scalar.from_int(value) * GENERATOR
    ciphertext = Ciphertext(nonce * GENERATOR, message + nonce * keys.public)
    forged = cheat_range_proof(keys.public, ciphertext, value, nonce, 0, 1, t(), pretend)
    with pytest.raises(InvalidProof):
        verify_range(keys.public, ciphertext, 0, 1, forged, t())
    # The same forger on an in-range value produces a valid proof: the test can fail.
    honest_ct = Ciphertext(
        nonce * GENERATOR, Scalar.from_int(pretend) * GENERATOR + nonce * keys.public
    )
    honest = cheat_range_proof(keys.public, honest_ct, pretend, nonce, 0, 1, t(), pretend)
    verify_range(keys.public, honest_ct, 0, 1, honest, t())


def test_prover_refuses_out_of_range_and_bad_bounds() -> None:
    keys = generate_keypair()
    ciphertext, nonce = encrypt(keys.public, 2)
    with pytest.raises(ValueError):
        prove_range(keys.public, ciphertext, 2, nonce, 0, 1, t())
    with pytest.raises(ValueError):
        prove_range(keys.public, ciphertext, 2, nonce, 3, 1, t())
    with pytest.raises(ValueError):
        verify_range(keys.public, ciphertext, 0, 5000, RangeProof.from_bytes(bytes(64), 1), t())

"""crypto/elgamal.py and crypto/dlog.py."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.dlog import DiscreteLogTable, discrete_log
from crypto.elgamal import (
    Ciphertext,
    decrypt_to_point,
    encrypt,
    generate_keypair,
    sum_ciphertexts,
    verify_nonce,
)
from crypto.errors import DiscreteLogOutOfRange, InvalidEncoding
from crypto.group import GENERATOR, IDENTITY, Scalar

FAST = settings(max_examples=15, deadline=None)


def test_encrypt_decrypt_roundtrip_and_encoding() -> None:
    keys = generate_keypair()
    for m in (0, 1, 2, 1000):
        ciphertext, nonce = encrypt(keys.public, m)
        assert ciphertext.alpha == nonce * GENERATOR
        assert decrypt_to_point(keys.secret, ciphertext) == Scalar.from_int(m) * GENERATOR
        assert Ciphertext.from_bytes(ciphertext.to_bytes()) == ciphertext
        assert len(ciphertext.to_bytes()) == Ciphertext.ENCODED_LENGTH
    zero, _ = encrypt(keys.public, 0)
    assert decrypt_to_point(keys.secret, zero) == IDENTITY


def test_encryption_of_zero_is_not_the_identity_and_identity_is_refused() -> None:
    keys = generate_keypair()
    ciphertext, _ = encrypt(keys.public, 0)
    assert not ciphertext.beta.is_identity()
    with pytest.raises(InvalidEncoding):
        Ciphertext.from_bytes(IDENTITY.to_bytes() + ciphertext.beta.to_bytes())
    with pytest.raises(InvalidEncoding):
        Ciphertext.from_bytes(ciphertext.alpha.to_bytes() + IDENTITY.to_bytes())
    with pytest.raises(InvalidEncoding):
        Ciphertext.from_bytes(ciphertext.to_bytes()[:63])


def test_verify_nonce_is_the_benaloh_check() -> None:
    keys = generate_keypair()
    ciphertext, nonce = encrypt(keys.public, 1)
    assert verify_nonce(keys.public, ciphertext, 1, nonce)
    assert not verify_nonce(keys.public, ciphertext, 0, nonce)
    assert not verify_nonce(keys.public, ciphertext, 1, nonce + Scalar.from_int(1))
    other = generate_keypair()
    assert not verify_nonce(other.public, ciphertext, 1, nonce)
    assert not verify_nonce(keys.public, ciphertext, -1, nonce)


def test_empty_sum_is_the_neutral_element() -> None:
    keys = generate_keypair()
    empty = sum_ciphertexts([])
    assert empty == Ciphertext.zero()
    assert decrypt_to_point(keys.secret, empty) == IDENTITY
    assert discrete_log(decrypt_to_point(keys.secret, empty), 10) == 0


@FAST
@given(st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=8))
def test_homomorphic_sum(votes: list[int]) -> None:
    keys = generate_keypair()
    total = sum_ciphertexts(encrypt(keys.public, v)[0] for v in votes)
    assert discrete_log(decrypt_to_point(keys.secret, total), 3 * len(votes)) == sum(votes)


@pytest.mark.parametrize("bound", [0, 1, 2, 3, 15, 16, 17, 99, 100])
def test_dlog_whole_range_and_rejection_above_bound(bound: int) -> None:
    table = DiscreteLogTable(bound)
    assert table.bound == bound
    for m in range(bound + 1):
        assert table.log(Scalar.from_int(m) * GENERATOR) == m
    for m in (bound + 1, bound + 2, (bound + 1) ** 2 + 3):
        with pytest.raises(DiscreteLogOutOfRange):
            table.log(Scalar.from_int(m) * GENERATOR)


def test_dlog_rejects_unrelated_points_and_bad_bounds() -> None:
    table = DiscreteLogTable(10_000)
    assert table.log(Scalar.from_int(9_999) * GENERATOR) == 9_999
    with pytest.raises(DiscreteLogOutOfRange):
        table.log(Scalar.random() * GENERATOR)
    with pytest.raises(DiscreteLogOutOfRange):
        table.log(-GENERATOR)
    with pytest.raises(ValueError):
        DiscreteLogTable(-1)
    with pytest.raises(ValueError):
        DiscreteLogTable(2**60)
    assert issubclass(DiscreteLogOutOfRange, ValueError)

"""crypto/contest.py: a contest's ciphertexts, option proofs and sum proof."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.contest import ContestShape, EncryptedContest, encrypt_contest, verify_contest
from crypto.elgamal import Ciphertext, generate_keypair, sum_ciphertexts, verify_nonce
from crypto.errors import InvalidEncoding, InvalidProof
from crypto.group import GENERATOR, Scalar
from crypto.proofs.range import prove_range, verify_range
from crypto.transcript import Transcript
from tests.crypto.forgery import cheat_range_proof

CONTEXT = bytes(32)
VOTER = b"pseudonym-1"
PICK_ONE = ContestShape(b"mayor", options=3, minimum=0, maximum=1)


def test_every_valid_pick_one_ballot_verifies_and_roundtrips() -> None:
    keys = generate_keypair()
    for selections in ([0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]):
        contest, nonces = encrypt_contest(
            keys.public, PICK_ONE, selections, context=CONTEXT, prover=VOTER
        )
        verify_contest(keys.public, PICK_ONE, contest, context=CONTEXT, prover=VOTER)
        data = contest.to_bytes()
        assert len(data) == PICK_ONE.encoded_length
        decoded = EncryptedContest.from_bytes(data, PICK_ONE)
        verify_contest(keys.public, PICK_ONE, decoded, context=CONTEXT, prover=VOTER)
        for ciphertext, selection, nonce in zip(
            contest.ciphertexts, selections, nonces, strict=True
        ):
            assert verify_nonce(keys.public, ciphertext, selection, nonce)


def test_pick_up_to_three_of_ten_and_minimums() -> None:
    keys = generate_keypair()
    shape = ContestShape(b"council", options=10, minimum=1, maximum=3)
    for selections in ([1] + [0] * 9, [1, 1, 1] + [0] * 7, [0] * 8 + [1, 1]):
        contest, _ = encrypt_contest(keys.public, shape, selections, context=CONTEXT, prover=VOTER)
        verify_contest(keys.public, shape, contest, context=CONTEXT, prover=VOTER)
    for bad in ([0] * 10, [1] * 4 + [0] * 6, [2] + [0] * 9, [1] * 9):
        with pytest.raises(ValueError):
            encrypt_contest(keys.public, shape, bad, context=CONTEXT, prover=VOTER)


def test_cumulative_option_limit() -> None:
    keys = generate_keypair()
    shape = ContestShape(b"points", options=3, minimum=0, maximum=4, option_limit=3)
    contest, _ = encrypt_contest(keys.public, shape, [3, 0, 1], context=CONTEXT, prover=VOTER)
    verify_contest(keys.public, shape, contest, context=CONTEXT, prover=VOTER)


def test_contest_bound_to_context_prover_contest_and_shape() -> None:
    keys = generate_keypair()
    contest, _ = encrypt_contest(keys.public, PICK_ONE, [0, 1, 0], context=CONTEXT, prover=VOTER)
    wrong: list[tuple[bytes, bytes, ContestShape]] = [
        (bytes([1]) * 32, VOTER, PICK_ONE),
        (CONTEXT, b"pseudonym-2", PICK_ONE),
        (CONTEXT, VOTER, ContestShape(b"clerk", 3, 0, 1)),
        (CONTEXT, VOTER, ContestShape(b"mayor", 3, 0, 2)),
    ]
    for context, prover, shape in wrong:
        with pytest.raises(InvalidProof):
            verify_contest(keys.public, shape, contest, context=context, prover=prover)


def test_copied_ciphertext_and_proof_onto_another_ballot_fails() -> None:
    keys = generate_keypair()
    mine, _ = encrypt_contest(keys.public, PICK_ONE, [1, 0, 0], context=CONTEXT, prover=VOTER)
    theirs, _ = encrypt_contest(keys.public, PICK_ONE, [0, 0, 1], context=CONTEXT, prover=b"p2")
    # replace my first option (ciphertext and its valid proof) with theirs
    spliced = EncryptedContest(
        (theirs.ciphertexts[0], *mine.ciphertexts[1:]),
        (theirs.option_proofs[0], *mine.option_proofs[1:]),
        mine.sum_proof,
    )
    with pytest.raises(InvalidProof):
        verify_contest(keys.public, PICK_ONE, spliced, context=CONTEXT, prover=VOTER)
    # swap two options of my own ballot (with their proofs)
    permuted = EncryptedContest(
        (mine.ciphertexts[1], mine.ciphertexts[0], mine.ciphertexts[2]),
        (mine.option_proofs[1], mine.option_proofs[0], mine.option_proofs[2]),
        mine.sum_proof,
    )
    with pytest.raises(InvalidProof):
        verify_contest(keys.public, PICK_ONE, permuted, context=CONTEXT, prover=VOTER)


def _overvote(shape: ContestShape, selections: list[int]) -> tuple[object, EncryptedContest]:
    """Every option honestly proven in 0..1; the sum proof forged for an over-limit sum."""
    keys = generate_keypair()
    nonces = [Scalar.random() for _ in selections]
    ciphertexts = tuple(
        Ciphertext(r * GENERATOR, Scalar.from_int(s) * GENERATOR + r * keys.public)
        for s, r in zip(selections, nonces, strict=True)
    )
    # the transcript the verifier will use (§4.5), rebuilt by the attacker
    transcript = (
        Transcript.start(b"pnyx/contest/v1", context=CONTEXT, prover=VOTER)
        .append(b"contest", shape.contest_id)
        .append_int(b"options", shape.options)
        .append_int(b"option-limit", shape.option_limit)
        .append_int(b"minimum", shape.minimum)
        .append_int(b"maximum", shape.maximum)
    )
    for c in ciphertexts:
        transcript = transcript.append(b"ciphertext", c.to_bytes())
    option_proofs = tuple(
        prove_range(keys.public, c, s, r, 0, 1, transcript.append_int(b"option", i))
        for i, (c, s, r) in enumerate(zip(ciphertexts, selections, nonces, strict=True))
    )
    total = sum(nonces[1:], nonces[0])
    sum_ct = sum_ciphertexts(ciphertexts)
    sum_proof = cheat_range_proof(
        keys.public,
        sum_ct,
        sum(selections),
        total,
        shape.minimum,
        shape.maximum,
        transcript.append(b"sum", b""),
        pretend=shape.maximum - shape.minimum,
    )
    contest = EncryptedContest(ciphertexts, option_proofs, sum_proof)
    # each option proof is valid on its own
    for i, (c, p) in enumerate(zip(ciphertexts, option_proofs, strict=True)):
        verify_range(keys.public, c, 0, 1, p, transcript.append_int(b"option", i))
    return keys.public, contest


@pytest.mark.parametrize("selections", [[1, 1, 0], [1, 1, 1]])
def test_each_option_valid_but_sum_over_limit_is_rejected(selections: list[int]) -> None:
    public, contest = _overvote(PICK_ONE, selections)
    with pytest.raises(InvalidProof):
        verify_contest(public, PICK_ONE, contest, context=CONTEXT, prover=VOTER)  # type: ignore[arg-type]


def test_sum_under_minimum_is_rejected() -> None:
    shape = ContestShape(b"x", options=3, minimum=1, maximum=2)
    public, contest = _overvote(shape, [0, 0, 0])
    with pytest.raises(InvalidProof):
        verify_contest(public, shape, contest, context=CONTEXT, prover=VOTER)  # type: ignore[arg-type]


def test_forger_control_valid_sum_passes() -> None:
    # The forging helper produces a valid contest when the sum is within limits,
    # so the two tests above fail for the right reason.
    public, contest = _overvote(PICK_ONE, [0, 1, 0])
    verify_contest(public, PICK_ONE, contest, context=CONTEXT, prover=VOTER)  # type: ignore[arg-type]


def test_malformed_encodings_are_rejected() -> None:
    keys = generate_keypair()
    contest, _ = encrypt_contest(keys.public, PICK_ONE, [1, 0, 0], context=CONTEXT, prover=VOTER)
    data = contest.to_bytes()
    with pytest.raises(InvalidEncoding):
        EncryptedContest.from_bytes(data[:-1], PICK_ONE)
    with pytest.raises(InvalidEncoding):
        EncryptedContest.from_bytes(bytes(32) + data[32:], PICK_ONE)  # α = identity
    top_bit = data[:31] + bytes([data[31] | 0x80]) + data[32:]
    with pytest.raises(InvalidEncoding):
        EncryptedContest.from_bytes(top_bit, PICK_ONE)  # α with bit 255 set (an alias)
    with pytest.raises(InvalidEncoding):
        EncryptedContest.from_bytes(data, ContestShape(b"mayor", 4, 0, 1))


def test_zeroed_proofs_in_a_contest_fail() -> None:
    keys = generate_keypair()
    contest, _ = encrypt_contest(keys.public, PICK_ONE, [1, 0, 0], context=CONTEXT, prover=VOTER)
    data = bytearray(contest.to_bytes())
    for start, end in ((192, 192 + 128), (len(data) - 128, len(data))):
        zeroed = bytes(data[:start]) + bytes(end - start) + bytes(data[end:])
        with pytest.raises(InvalidProof):
            verify_contest(
                keys.public,
                PICK_ONE,
                EncryptedContest.from_bytes(zeroed, PICK_ONE),
                context=CONTEXT,
                prover=VOTER,
            )


def test_shape_validation() -> None:
    for args in ((0, 0, 0), (3, 2, 1), (3, 0, 4)):
        with pytest.raises(ValueError):
            ContestShape(b"x", *args)
    assert PICK_ONE.encoded_length == 3 * (64 + 128) + 128


_KEYS = generate_keypair()
_CONTEST, _ = encrypt_contest(_KEYS.public, PICK_ONE, [0, 0, 1], context=CONTEXT, prover=VOTER)
_DATA = _CONTEST.to_bytes()


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=len(_DATA) - 1), st.integers(min_value=1, max_value=255))
def test_any_byte_flip_in_a_contest_is_rejected(position: int, mask: int) -> None:
    tampered = bytearray(_DATA)
    tampered[position] ^= mask
    with pytest.raises((InvalidEncoding, InvalidProof)):
        contest = EncryptedContest.from_bytes(bytes(tampered), PICK_ONE)
        verify_contest(_KEYS.public, PICK_ONE, contest, context=CONTEXT, prover=VOTER)

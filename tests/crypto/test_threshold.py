"""crypto/threshold.py: dealerless k-of-n keys, complaints, threshold decryption."""

from __future__ import annotations

import random
from dataclasses import dataclass

import nacl.bindings as sodium
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.dlog import DiscreteLogTable
from crypto.elgamal import Ciphertext, encrypt, sum_ciphertexts
from crypto.errors import InvalidEncoding, InvalidProof, ThresholdError
from crypto.group import GENERATOR, IDENTITY, Point, Scalar
from crypto.proofs.schnorr import SchnorrProof
from crypto.threshold import (
    SEALED_SHARE_LENGTH,
    BoxKeyPair,
    CeremonyParameters,
    CoefficientCommitments,
    Complaint,
    DealerSecret,
    Dealing,
    PartialDecryption,
    Verdict,
    combine_partial_decryptions,
    commit,
    deal,
    generate_box_keypair,
    joint_public_key,
    judge_answer,
    judge_complaint,
    lagrange_coefficient,
    make_complaint,
    open_share,
    partial_decrypt,
    trustee_secret_share,
    verification_key,
    verify_commitments,
    verify_share,
)

CONTEXT = bytes(range(32))


@dataclass
class Ceremony:
    parameters: CeremonyParameters
    secrets: dict[int, DealerSecret]
    commitments: dict[int, CoefficientCommitments]
    digests: dict[int, bytes]
    boxes: dict[int, BoxKeyPair]
    dealings: dict[int, Dealing]
    shares: dict[int, Scalar]
    public_key: Point
    verification_keys: dict[int, Point]


def run_ceremony(k: int, n: int) -> Ceremony:
    """The honest ceremony of §5, every public check included."""
    parameters = CeremonyParameters(CONTEXT, k, n)
    indices = range(1, n + 1)
    boxes = {j: generate_box_keypair() for j in indices}
    secrets = {i: DealerSecret.generate(parameters, i) for i in indices}
    commitments = {i: commit(parameters, secrets[i]) for i in indices}
    digests = {i: commitments[i].digest(parameters) for i in indices}  # phase 1 on the board
    for i in indices:  # phase 2: reveals, checked by everyone
        verify_commitments(parameters, commitments[i], digests[i])
    dealings = {
        i: deal(parameters, secrets[i], {j: boxes[j].public for j in indices}) for i in indices
    }
    shares: dict[int, Scalar] = {}
    for j in indices:
        received = {j: secrets[j].evaluate(j)}
        for i in indices:
            if i != j:
                received[i] = open_share(parameters, commitments[i], dealings[i], j, boxes[j])
        shares[j] = trustee_secret_share(received)
    qualified = list(commitments.values())
    keys = {j: verification_key(qualified, j) for j in indices}
    for j in indices:
        assert shares[j] * GENERATOR == keys[j]
    return Ceremony(
        parameters,
        secrets,
        commitments,
        digests,
        boxes,
        dealings,
        shares,
        joint_public_key(qualified),
        keys,
    )


@pytest.fixture(scope="module")
def ceremony() -> Ceremony:
    return run_ceremony(3, 5)


def test_joint_key_is_the_sum_of_constant_terms(ceremony: Ceremony) -> None:
    secret = Scalar.from_int(0)
    for s in ceremony.secrets.values():
        secret = secret + s.coefficients[0]
    assert secret * GENERATOR == ceremony.public_key
    # Any k shares interpolate to the joint secret; fewer do not determine it.
    chosen = [1, 3, 5]
    interpolated = Scalar.from_int(0)
    for j in chosen:
        interpolated = interpolated + lagrange_coefficient(j, chosen) * ceremony.shares[j]
    assert interpolated == secret


def test_threshold_decryption_with_any_k(ceremony: Ceremony) -> None:
    ciphertext, _ = encrypt(ceremony.public_key, 42)
    table = DiscreteLogTable(100)
    for subset in ([1, 2, 3], [2, 4, 5], [5, 1, 3], [1, 2, 3, 4, 5]):
        partials = [
            partial_decrypt(ceremony.parameters, j, ceremony.shares[j], ciphertext) for j in subset
        ]
        outcome = combine_partial_decryptions(
            ceremony.parameters, ceremony.verification_keys, ciphertext, partials
        )
        assert table.log(outcome.plaintext) == 42
        assert outcome.used == tuple(sorted(subset)[:3])
        assert not outcome.rejected
        for partial in partials:
            assert PartialDecryption.from_bytes(partial.to_bytes()) == partial


def test_bad_partials_are_excluded_attributed_and_decryption_proceeds(ceremony: Ceremony) -> None:
    parameters = ceremony.parameters
    ciphertext, _ = encrypt(ceremony.public_key, 7)
    other, _ = encrypt(ceremony.public_key, 9)
    good = {j: partial_decrypt(parameters, j, ceremony.shares[j], ciphertext) for j in (1, 2, 3)}
    # trustee 4: a valid partial, but for another ciphertext
    wrong_ciphertext = partial_decrypt(parameters, 4, ceremony.shares[4], other)
    # trustee 5: a partial under the wrong key (trustee 1's share, claimed as 5's)
    wrong_key = partial_decrypt(parameters, 5, ceremony.shares[1], ciphertext)
    partials = [wrong_ciphertext, good[1], wrong_key, good[2], good[3]]
    outcome = combine_partial_decryptions(
        parameters, ceremony.verification_keys, ciphertext, partials
    )
    assert set(outcome.rejected) == {4, 5}
    assert outcome.used == (1, 2, 3)
    assert DiscreteLogTable(10).log(outcome.plaintext) == 7
    # with only two good ones left, decryption refuses (and names the culprits)
    with pytest.raises(ThresholdError, match=r"\[4, 5\]"):
        combine_partial_decryptions(
            parameters,
            ceremony.verification_keys,
            ciphertext,
            [wrong_ciphertext, good[1], wrong_key, good[2]],
        )


def test_tampered_share_value_is_rejected(ceremony: Ceremony) -> None:
    ciphertext, _ = encrypt(ceremony.public_key, 1)
    honest = partial_decrypt(ceremony.parameters, 2, ceremony.shares[2], ciphertext)
    forged = PartialDecryption(2, honest.share + GENERATOR, honest.proof)
    moved = PartialDecryption(3, honest.share, honest.proof)  # 2's proof claimed by 3
    for bad in (forged, moved):
        outcome = combine_partial_decryptions(
            ceremony.parameters,
            ceremony.verification_keys,
            ciphertext,
            [bad]
            + [
                partial_decrypt(ceremony.parameters, j, ceremony.shares[j], ciphertext)
                for j in (1, 4, 5)
            ],
        )
        assert set(outcome.rejected) == {bad.trustee}
        assert DiscreteLogTable(2).log(outcome.plaintext) == 1


def test_fewer_than_k_partials(ceremony: Ceremony) -> None:
    ciphertext, _ = encrypt(ceremony.public_key, 1)
    partials = [
        partial_decrypt(ceremony.parameters, j, ceremony.shares[j], ciphertext) for j in (1, 2)
    ]
    with pytest.raises(ThresholdError):
        combine_partial_decryptions(
            ceremony.parameters, ceremony.verification_keys, ciphertext, partials
        )
    with pytest.raises(ThresholdError):
        combine_partial_decryptions(ceremony.parameters, ceremony.verification_keys, ciphertext, [])


def test_duplicate_or_zero_trustee_index(ceremony: Ceremony) -> None:
    parameters = ceremony.parameters
    ciphertext, _ = encrypt(ceremony.public_key, 1)
    p1 = partial_decrypt(parameters, 1, ceremony.shares[1], ciphertext)
    p2 = partial_decrypt(parameters, 2, ceremony.shares[2], ciphertext)
    with pytest.raises(ThresholdError):
        combine_partial_decryptions(
            parameters, ceremony.verification_keys, ciphertext, [p1, p2, p2]
        )
    zero = PartialDecryption(0, p1.share, p1.proof)
    with pytest.raises(ThresholdError):
        combine_partial_decryptions(
            parameters, ceremony.verification_keys, ciphertext, [zero, p1, p2]
        )
    too_big = PartialDecryption(6, p1.share, p1.proof)
    with pytest.raises(ThresholdError):
        combine_partial_decryptions(
            parameters, ceremony.verification_keys, ciphertext, [too_big, p1, p2]
        )
    with pytest.raises(ThresholdError):
        partial_decrypt(parameters, 0, ceremony.shares[1], ciphertext)
    with pytest.raises(ThresholdError):
        DealerSecret.generate(parameters, 0)
    dup = [ceremony.commitments[1], ceremony.commitments[1]]
    with pytest.raises(ThresholdError):
        joint_public_key(dup)
    with pytest.raises(ThresholdError):
        verification_key(list(ceremony.commitments.values()), 0)


def test_rogue_key_commitment_without_knowledge_is_rejected(ceremony: Ceremony) -> None:
    parameters = ceremony.parameters
    # Dealer 5 wants the joint key to be X (whose secret it knows) whatever the
    # others chose: A_{5,0} = X − Σ_{i<5} A_{i,0}. It cannot prove knowledge of
    # that discrete log, so it reuses another proof or makes one up.
    x = Scalar.random()
    others = ceremony.commitments[1].commitments[0]
    for i in (2, 3, 4):
        others = others + ceremony.commitments[i].commitments[0]
    rogue_constant = x * GENERATOR - others
    honest = ceremony.commitments[5]
    for proof in (honest.proofs[0], SchnorrProof(Scalar.random(), Scalar.random())):
        rogue = CoefficientCommitments(
            5, (rogue_constant, *honest.commitments[1:]), (proof, *honest.proofs[1:])
        )
        with pytest.raises(InvalidProof):
            verify_commitments(parameters, rogue, rogue.digest(parameters))


def test_commitments_are_bound_to_dealer_and_coefficient(ceremony: Ceremony) -> None:
    parameters = ceremony.parameters
    copied = ceremony.commitments[1]
    as_dealer_2 = CoefficientCommitments(2, copied.commitments, copied.proofs)
    with pytest.raises(InvalidProof):
        verify_commitments(parameters, as_dealer_2, as_dealer_2.digest(parameters))
    swapped = CoefficientCommitments(
        1,
        (copied.commitments[1], copied.commitments[0], copied.commitments[2]),
        (copied.proofs[1], copied.proofs[0], copied.proofs[2]),
    )
    with pytest.raises(InvalidProof):
        verify_commitments(parameters, swapped, swapped.digest(parameters))
    other_context = CeremonyParameters(bytes(32), 3, 5)
    with pytest.raises(InvalidProof):
        verify_commitments(other_context, copied, copied.digest(other_context))


def test_reveal_must_match_the_phase_one_commitment(ceremony: Ceremony) -> None:
    parameters = ceremony.parameters
    # Dealer 3 committed, then saw the others' reveals and wants another polynomial.
    replacement = commit(parameters, DealerSecret.generate(parameters, 3))
    with pytest.raises(ThresholdError):
        verify_commitments(parameters, replacement, ceremony.digests[3])
    with pytest.raises(ThresholdError):  # wrong number of coefficients
        short = CoefficientCommitments(3, replacement.commitments[:2], replacement.proofs[:2])
        verify_commitments(parameters, short, short.digest(parameters))
    decoded = CoefficientCommitments.from_bytes(ceremony.commitments[3].to_bytes(), 3)
    verify_commitments(parameters, decoded, ceremony.digests[3])
    with pytest.raises(InvalidEncoding):
        CoefficientCommitments.from_bytes(ceremony.commitments[3].to_bytes(), 2)


def test_bad_share_is_judged_by_a_third_party(ceremony: Ceremony) -> None:
    parameters = ceremony.parameters
    indices = range(1, 6)
    public_boxes = {j: ceremony.boxes[j].public for j in indices}
    # Dealer 2 cheats trustee 4: the share it seals is off by one.
    cheat = DealerSecret(2, ceremony.secrets[2].coefficients)
    dealing = deal(parameters, cheat, public_boxes)
    bad_plain = (
        len(b"pnyx/vss-share/v1").to_bytes(4, "big")
        + b"pnyx/vss-share/v1"
        + CONTEXT
        + (2).to_bytes(4, "big")
        + (4).to_bytes(4, "big")
        + (cheat.evaluate(4) + Scalar.from_int(1)).to_bytes()
    )
    boxes = dict(dealing.boxes)
    boxes[4] = sodium.crypto_box_seal(bad_plain, public_boxes[4])
    bad_dealing = Dealing(2, boxes)
    commitments = ceremony.commitments[2]
    with pytest.raises(ThresholdError):
        open_share(parameters, commitments, bad_dealing, 4, ceremony.boxes[4])
    complaint = make_complaint(bad_dealing, 4, ceremony.boxes[4])
    # The judge holds only public data: commitments, the dealing, the complaint, pk_4.
    verdict = judge_complaint(parameters, commitments, bad_dealing, complaint, public_boxes[4])
    assert verdict is Verdict.DEALER_AT_FAULT
    # An unfounded complaint against an honest box is recognised as such.
    honest_complaint = make_complaint(dealing, 4, ceremony.boxes[4])
    assert (
        judge_complaint(parameters, commitments, dealing, honest_complaint, public_boxes[4])
        is Verdict.COMPLAINT_UNFOUNDED
    )
    # A complainer who lies about the key cannot frame the dealer: an answer is required,
    # and the honest dealer's public answer clears it.
    lying = Complaint(2, 4, bytes(32))
    assert (
        judge_complaint(parameters, commitments, dealing, lying, public_boxes[4])
        is Verdict.ANSWER_REQUIRED
    )
    assert judge_answer(commitments, 4, cheat.evaluate(4).to_bytes())
    assert not judge_answer(commitments, 4, (cheat.evaluate(4) + Scalar.from_int(1)).to_bytes())
    assert not judge_answer(commitments, 4, b"\xff" * 32)
    # A correct share in a box that names another dealer (binding) is the dealer's fault too.
    misbound_plain = bad_plain[:-40] + (5).to_bytes(4, "big") + (4).to_bytes(4, "big")
    misbound_plain += cheat.evaluate(4).to_bytes()
    boxes[4] = sodium.crypto_box_seal(misbound_plain, public_boxes[4])
    misbound = Dealing(2, boxes)
    assert (
        judge_complaint(
            parameters,
            commitments,
            misbound,
            make_complaint(misbound, 4, ceremony.boxes[4]),
            public_boxes[4],
        )
        is Verdict.DEALER_AT_FAULT
    )
    # A missing box is the dealer's fault.
    missing = Dealing(2, {j: b for j, b in dealing.boxes.items() if j != 4})
    assert (
        judge_complaint(
            parameters,
            commitments,
            missing,
            make_complaint(missing, 4, ceremony.boxes[4]),
            public_boxes[4],
        )
        is Verdict.DEALER_AT_FAULT
    )


def test_excluding_a_disqualified_dealer_keeps_decryption_consistent() -> None:
    c = run_ceremony(2, 4)
    qualified = [c.commitments[i] for i in (1, 2, 4)]  # dealer 3 disqualified
    key = joint_public_key(qualified)
    keys = {j: verification_key(qualified, j) for j in range(1, 5)}
    shares = {
        j: trustee_secret_share({i: c.secrets[i].evaluate(j) for i in (1, 2, 4)})
        for j in range(1, 5)
    }
    ciphertext, _ = encrypt(key, 5)
    partials = [partial_decrypt(c.parameters, j, shares[j], ciphertext) for j in (3, 4)]
    outcome = combine_partial_decryptions(c.parameters, keys, ciphertext, partials)
    assert DiscreteLogTable(10).log(outcome.plaintext) == 5


def test_share_verification_and_parameters() -> None:
    c = run_ceremony(2, 3)
    share = c.secrets[1].evaluate(2)
    assert verify_share(c.commitments[1], 2, share)
    assert not verify_share(c.commitments[1], 3, share)
    assert not verify_share(c.commitments[1], 2, share + Scalar.from_int(1))
    for args in ((bytes(32), 0, 3), (bytes(32), 4, 3), (bytes(31), 1, 1), (bytes(32), 1, 256)):
        with pytest.raises(ValueError):
            CeremonyParameters(*args)
    assert "coefficients" not in repr(c.secrets[1])
    assert c.boxes[1].secret.hex() not in repr(c.boxes[1])


@settings(max_examples=20, deadline=None)
@given(st.data())
def test_property_encrypt_add_threshold_decrypt(data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=1, max_value=7), label="n")
    k = data.draw(st.integers(min_value=1, max_value=n), label="k")
    votes = data.draw(
        st.lists(st.integers(min_value=0, max_value=5), min_size=0, max_size=6), label="votes"
    )
    seed = data.draw(st.integers(min_value=0, max_value=2**32), label="seed")
    subset = sorted(random.Random(seed).sample(range(1, n + 1), k))
    c = run_ceremony(k, n)
    tally = sum_ciphertexts(encrypt(c.public_key, v)[0] for v in votes)
    if not votes:
        assert tally == Ciphertext.zero()
        tally = encrypt(c.public_key, 0)[0]  # the empty tally has α = O: decrypt a zero instead
    partials = [partial_decrypt(c.parameters, j, c.shares[j], tally) for j in subset]
    outcome = combine_partial_decryptions(c.parameters, c.verification_keys, tally, partials)
    assert outcome.used == tuple(subset)
    assert DiscreteLogTable(5 * max(len(votes), 1)).log(outcome.plaintext) == sum(votes)
    if not votes:
        assert outcome.plaintext == IDENTITY


def test_dealing_and_complaint_encodings(ceremony: Ceremony) -> None:
    dealing = ceremony.dealings[2]
    data = dealing.to_bytes()
    assert len(data) == 4 + 4 * (4 + SEALED_SHARE_LENGTH)
    decoded = Dealing.from_bytes(data)
    assert decoded == dealing
    opened = open_share(ceremony.parameters, ceremony.commitments[2], decoded, 1, ceremony.boxes[1])
    assert opened == ceremony.secrets[2].evaluate(1)
    assert Dealing.from_bytes(data[:4]).boxes == {}
    zero_recipient = data[:4] + bytes(4) + data[8 : 4 + 4 + SEALED_SHARE_LENGTH]
    for bad in (data[:-1], b"\x00" * 3, zero_recipient):
        with pytest.raises(InvalidEncoding):
            Dealing.from_bytes(bad)
    record = 4 + SEALED_SHARE_LENGTH
    swapped = (
        data[:4] + data[4 + record : 4 + 2 * record] + data[4 : 4 + record] + data[4 + 2 * record :]
    )
    with pytest.raises(InvalidEncoding):  # recipients out of order
        Dealing.from_bytes(swapped)
    complaint = make_complaint(dealing, 3, ceremony.boxes[3])
    assert Complaint.from_bytes(complaint.to_bytes()) == complaint
    assert complaint.box_key.hex() not in repr(complaint)
    with pytest.raises(InvalidEncoding):
        Complaint.from_bytes(complaint.to_bytes()[:-1])


@pytest.mark.parametrize(("k", "n"), [(1, 1), (1, 7), (4, 7), (7, 7)])
def test_extreme_thresholds(k: int, n: int) -> None:
    c = run_ceremony(k, n)
    votes = [1, 0, 1, 1, 0, 1]
    tally = sum_ciphertexts(encrypt(c.public_key, v)[0] for v in votes)
    subset = sorted(random.Random(k * 10 + n).sample(range(1, n + 1), k))
    partials = [partial_decrypt(c.parameters, j, c.shares[j], tally) for j in subset]
    outcome = combine_partial_decryptions(c.parameters, c.verification_keys, tally, partials)
    assert DiscreteLogTable(len(votes)).log(outcome.plaintext) == sum(votes)
    if k > 1:
        with pytest.raises(ThresholdError):
            combine_partial_decryptions(c.parameters, c.verification_keys, tally, partials[1:])

"""Presentations with range predicates (crypto/bbs/predicates.py, one aggregated range
proof from crypto/bbs/range.py): valid ones verify; a predicate that does not hold
cannot be proven; forgeries (commitment swapped, bounds or index moved, the range
proof of another presentation, another presentation header, another context) are
rejected; fuzzed encodings never crash the verifier; property tests over values and
ranges. The range proof itself is tested in test_range.py.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.bbs import predicates as pr
from crypto.bbs import pseudonym as nym
from crypto.bbs import range as rp
from crypto.bbs.backend import BBSError, CurveBackend, backend_by_name
from crypto.bbs.suite import SHA_256, SHAKE_256, calculate_random_scalars

SK = bytes.fromhex("60e55110f76883a13d030b2f6bd11883422d5abde717569fc0731f51237169fc")
PK = bytes.fromhex(
    "a820f230f6ae38503b86c70dc50b61c58a77e45c39ab25c0652bbaa8fa136f2851bd4781c9dcde39fc9d1d52c9e"
    "60268061e7d7632171d91aa8d460acee0e96f1e7c4cfb12d3ff9ab5d5dc91c277db75c845d649ef3c4f63aebc36"
    "4cd55ded0c"
)
BIRTH, VALID_UNTIL = 3, 4  # days since 1970-01-01
TODAY = 20_400
ATTRS: list[bytes | int] = [
    b"Ada",
    b"Lovelace",
    b"district 7",
    -3_000,  # born 1961-10-12
    TODAY + 30,
    b"citizen",
    b"vaccinated",
    b"e-ID",
    b"serial 42",
    7,
]
# As the identity layer asks: birth date in [0001-01-01, today − 18 years] (20 bits),
# valid-until in [today, today + 3660] (12 bits); aggregated, n = 32.
ADULT = (-719_162, TODAY - 6_575)
VALID = (TODAY, TODAY + 3_660)
BLST = backend_by_name("blst")


@pytest.fixture(scope="module")
def credential() -> bytes:
    return pr.sign_attributes(SHA_256, SK, PK, b"schema-v1", ATTRS, backend=BLST)


def _present(sig: bytes, ph: bytes = b"nonce", **kw: object) -> pr.Presentation:
    return pr.present(
        SHA_256,
        PK,
        sig,
        b"schema-v1",
        ph,
        ATTRS,
        [2, 5],
        backend=BLST,
        **kw,  # type: ignore[arg-type]
    )


def _verify(p: pr.Presentation | bytes, ph: bytes = b"nonce", **kw: object) -> bool:
    return pr.verify_presentation(
        SHA_256,
        PK,
        p,
        b"schema-v1",
        ph,
        {2: b"district 7", 5: b"citizen"},
        backend=BLST,
        **kw,  # type: ignore[arg-type]
    )


def test_credential_with_integers_verifies(credential: bytes) -> None:
    assert pr.verify_attributes(SHA_256, PK, credential, b"schema-v1", ATTRS, backend=BLST)
    assert not pr.verify_attributes(
        SHA_256, PK, credential, b"schema-v1", [*ATTRS[:3], -2_999, *ATTRS[4:]], backend=BLST
    )
    with pytest.raises(BBSError):
        pr.attribute_scalars(SHA_256, [2**63], SHA_256.api_id)


def test_presentation_with_predicates(credential: bytes) -> None:
    preds = {BIRTH: ADULT, VALID_UNTIL: VALID}
    p = _present(credential, predicates=preds)
    assert _verify(p, predicates=preds)
    encoded = p.to_bytes()
    assert pr.Presentation.from_bytes(encoded) == p
    assert _verify(encoded, predicates=preds, num_messages=10)
    assert not _verify(encoded, predicates=preds, num_messages=11)
    # the verifier must ask for exactly the predicates proven
    assert not _verify(p, predicates={BIRTH: ADULT})
    assert not _verify(p, predicates={BIRTH: ADULT, VALID_UNTIL: (TODAY + 1, 2**40)})
    assert not _verify(p)
    # another presentation header (a replay under another nonce)
    assert not _verify(p, ph=b"other nonce", predicates=preds)
    # a tampered disclosed value
    assert not pr.verify_presentation(
        SHA_256,
        PK,
        p,
        b"schema-v1",
        b"nonce",
        {2: b"district 8", 5: b"citizen"},
        predicates=preds,
        backend=BLST,
    )
    # truncated or garbage bytes: False, never an exception
    for bad in (encoded[:-1], encoded + b"\0", b"", b"\x01" * 40):
        assert not _verify(bad, predicates=preds)
    # the encoding of version 1 (a bit-decomposition proof per predicate) is not read
    assert encoded[0] == 2 and not _verify(b"\x01" + encoded[1:], predicates=preds)
    # one range proof for both predicates: 352 + 96·log2(32) bytes
    assert p.range_proof is not None and len(p.range_proof.to_bytes()) == 832


def test_without_predicates_is_a_draft_proof(credential: bytes) -> None:
    p = _present(credential)
    assert p.predicates == () and p.pseudonym is None and p.range_proof is None
    assert len(p.proof) <= 1024
    assert _verify(p)
    # the proof alone is a draft-09 BBS proof over the attribute scalars
    from crypto import bbs

    scalars = pr.attribute_scalars(SHA_256, [b"district 7", b"citizen"], SHA_256.api_id)
    assert bbs.BLS12_381_SHA_256.proof_verify_scalars(
        PK, p.proof, b"schema-v1", b"nonce", scalars, [2, 5], backend=BLST
    )


def test_predicate_that_does_not_hold_cannot_be_proven(credential: bytes) -> None:
    with pytest.raises(BBSError):
        _present(credential, predicates={BIRTH: (-2_999, TODAY)})  # born before lo
    with pytest.raises(BBSError):
        _present(credential, predicates={VALID_UNTIL: (TODAY + 31, 2**40)})
    with pytest.raises(BBSError):
        _present(credential, predicates={0: (0, 10)})  # not an integer attribute
    with pytest.raises(BBSError):
        _present(credential, predicates={2: (0, 10)})  # a disclosed attribute


def test_forgeries_are_rejected(credential: bytes) -> None:
    preds = {BIRTH: ADULT, VALID_UNTIL: VALID}
    p = _present(credential, predicates=preds)
    birth, valid = p.predicates
    # bounds rewritten in the presentation to what the verifier asks
    moved = dataclasses.replace(birth, hi=TODAY)
    assert not _verify(
        dataclasses.replace(p, predicates=(moved, valid)),
        predicates={BIRTH: (ADULT[0], TODAY), VALID_UNTIL: VALID},
    )
    # response moved to another attribute: the birth-date proof relabelled as attribute 9
    relabelled = dataclasses.replace(birth, index=9)
    assert not _verify(
        dataclasses.replace(p, predicates=(valid, relabelled)),
        predicates={VALID_UNTIL: VALID, 9: ADULT},
    )
    # a commitment to an in-range value from another credential, whose holder is an adult
    other_attrs = list(ATTRS)
    other_attrs[BIRTH] = 0
    other_sig = pr.sign_attributes(SHA_256, SK, PK, b"schema-v1", other_attrs, backend=BLST)
    other = pr.present(
        SHA_256,
        PK,
        other_sig,
        b"schema-v1",
        b"nonce",
        other_attrs,
        [2, 5],
        predicates=preds,
        backend=BLST,
    )
    assert not _verify(
        dataclasses.replace(p, predicates=(other.predicates[0], valid)), predicates=preds
    )
    # the other presentation's range proof (same predicates, another challenge), or
    # its commitments and range proof together (the BBS proof then fails)
    assert not _verify(dataclasses.replace(p, range_proof=other.range_proof), predicates=preds)
    assert not _verify(
        dataclasses.replace(p, predicates=other.predicates, range_proof=other.range_proof),
        predicates=preds,
    )
    # the range proof missing, or one without predicates
    assert not _verify(dataclasses.replace(p, range_proof=None), predicates=preds)
    with pytest.raises(BBSError):
        dataclasses.replace(p, range_proof=None).to_bytes()
    plain = _present(credential)
    assert not _verify(dataclasses.replace(plain, range_proof=p.range_proof))
    # a tampered commitment or blinding response
    c2 = rp.pedersen_commit(BLST, rp.pedersen_generators(SHA_256, BLST), -3_000, 1)
    assert not _verify(
        dataclasses.replace(
            p, predicates=(dataclasses.replace(birth, commitment=BLST.g1_to_bytes(c2)), valid)
        ),
        predicates=preds,
    )
    assert not _verify(
        dataclasses.replace(
            p,
            predicates=(
                dataclasses.replace(birth, blinding_response=birth.blinding_response + 1),
                valid,
            ),
        ),
        predicates=preds,
    )


@settings(max_examples=30, deadline=None)
@given(
    pos=st.integers(0, 10_000),
    mask=st.integers(1, 255),
    mode=st.sampled_from(["flip", "cut", "insert", "point"]),
)
def test_fuzzed_presentations_never_crash(
    fuzz_case: tuple[bytes, dict[int, tuple[int, int]]], pos: int, mask: int, mode: str
) -> None:
    encoded, preds = fuzz_case
    data = bytearray(encoded)
    i = pos % len(data)
    if mode == "flip":
        data[i] ^= mask
    elif mode == "cut":
        data = data[:i]
    elif mode == "insert":
        data[i:i] = bytes([mask])
    else:  # a valid point where 48 bytes were: passes decoding, must fail the proof
        point = BLST.g1_to_bytes(BLST.g1_mul(BLST.g1_generator(), mask))
        data[i : i + 48] = point[: len(data[i : i + 48])]
    if bytes(data) == encoded:
        return
    assert not _verify(bytes(data), predicates=preds)


@pytest.fixture(scope="module")
def fuzz_case(credential: bytes) -> tuple[bytes, dict[int, tuple[int, int]]]:
    preds = {BIRTH: ADULT, VALID_UNTIL: VALID}
    return _present(credential, predicates=preds).to_bytes(), preds


def _nym_credential(backend: CurveBackend) -> tuple[bytes, pr.NymInput]:
    prover_nym = calculate_random_scalars(1)[0]
    cwp, blind = nym.commit_with_nym(SHA_256, [], [prover_nym], backend=backend)
    entropy = calculate_random_scalars(1)[0]
    sig = pr.blind_sign_attributes(
        SHA_256, SK, PK, cwp, 1, entropy, b"schema-v1", ATTRS, backend=backend
    )
    secrets_ = nym.verify_finalize_with_nym(
        SHA_256,
        PK,
        sig,
        b"schema-v1",
        pr.attribute_scalars(SHA_256, ATTRS, nym.pseudonym_api_id(SHA_256)),
        [],
        [prover_nym],
        entropy,
        blind,
        backend=backend,
    )
    return sig, pr.NymInput(b"election-2026", secrets_, blind)


def test_pseudonym_and_predicate_in_one_presentation(native: CurveBackend) -> None:
    sig, nym_in = _nym_credential(native)
    preds = {BIRTH: ADULT}
    p = pr.present(
        SHA_256,
        PK,
        sig,
        b"schema-v1",
        b"ballot",
        ATTRS,
        [2],
        predicates=preds,
        nym=nym_in,
        backend=native,
    )
    q = pr.present(
        SHA_256,
        PK,
        sig,
        b"schema-v1",
        b"ballot-2",
        ATTRS,
        [2],
        predicates=preds,
        nym=nym_in,
        backend=native,
    )
    args = (SHA_256, PK)
    assert pr.verify_presentation(
        *args,
        p.to_bytes(),
        b"schema-v1",
        b"ballot",
        {2: b"district 7"},
        predicates=preds,
        context_id=b"election-2026",
        backend=native,
    )
    assert not pr.verify_presentation(
        *args,
        p,
        b"schema-v1",
        b"ballot",
        {2: b"district 7"},
        predicates=preds,
        context_id=b"election-2027",
        backend=native,
    )
    assert not pr.verify_presentation(
        *args, p, b"schema-v1", b"ballot", {2: b"district 7"}, predicates=preds, backend=native
    )
    assert p.pseudonym == q.pseudonym

    # two presentations share no value but the disclosed ones and the pseudonym
    def chunks(x: pr.Presentation) -> set[bytes]:
        raw = x.to_bytes()
        body = raw.replace(x.pseudonym or b"", b"")
        return {body[i : i + 32] for i in range(16, len(body) - 31)}

    assert not chunks(p) & chunks(q)
    # without predicates the proof is the pseudonym draft's ProofGenWithNym output
    r = pr.present(
        SHA_256, PK, sig, b"schema-v1", b"ballot", ATTRS, [2], nym=nym_in, backend=native
    )
    api = nym.pseudonym_api_id(SHA_256)
    assert nym.proof_verify_with_nym_scalars(
        SHA_256,
        native,
        PK,
        r.proof,
        b"schema-v1",
        b"ballot",
        r.pseudonym or b"",
        b"election-2026",
        10,
        1,
        pr.attribute_scalars(SHA_256, [b"district 7"], api),
        [],
        [2],
        [],
    )


def test_shake_suite_round_trip() -> None:
    # a 15-bit range (n = 16): the SHAKE-256 generators are hashed through py_ecc on blst
    near = {BIRTH: (-10_000, TODAY - 6_575)}
    sig = pr.sign_attributes(SHAKE_256, SK, PK, b"h", ATTRS, backend=BLST)
    p = pr.present(
        SHAKE_256, PK, sig, b"h", b"n", ATTRS, [0], predicates=near, backend=BLST
    )
    assert pr.verify_presentation(
        SHAKE_256, PK, p, b"h", b"n", {0: b"Ada"}, predicates=near, backend=BLST
    )
    assert not pr.verify_presentation(
        SHA_256, PK, p, b"h", b"n", {0: b"Ada"}, predicates=near, backend=BLST
    )


@settings(max_examples=10, deadline=None)
@given(
    lo=st.integers(-(2**62), 2**62),
    width=st.integers(1, 2**63 - 1),
    offset=st.integers(0, 2**64),
)
def test_property_ranges(lo: int, width: int, offset: int) -> None:
    """Any range up to 63 bits wide (on arkworks, whose MSM needs no per-generator table:
    a 64-bit block makes n = 64)."""
    ark = backend_by_name("arkworks")
    hi = min(lo + width, 2**63 - 1)
    if hi <= lo:
        return
    value = lo + offset % (hi - lo + 1)
    attrs: list[bytes | int] = [b"x", value]
    sig = pr.sign_attributes(SHA_256, SK, PK, b"", attrs, backend=ark)
    p = pr.present(SHA_256, PK, sig, b"", b"n", attrs, [0], predicates={1: (lo, hi)}, backend=ark)
    assert pr.verify_presentation(
        SHA_256, PK, p.to_bytes(), b"", b"n", {0: b"x"}, predicates={1: (lo, hi)}, backend=ark
    )
    outside = hi + 1 + offset % 1000 if hi + 1000 < 2**63 else lo - 1 - offset % 1000
    attrs2: list[bytes | int] = [b"x", outside]
    sig2 = pr.sign_attributes(SHA_256, SK, PK, b"", attrs2, backend=ark)
    with pytest.raises(BBSError):
        pr.present(
            SHA_256, PK, sig2, b"", b"n", attrs2, [0], predicates={1: (lo, hi)}, backend=ark
        )

"""Batch verification (crypto/bbs/batch.py) and the bucket MSM under it (backend.py).

The batch must give exactly the verdicts of verifying one by one: valid
presentations pass together; a presentation whose range proof or whose BBS
pairing fails is named (and only it), whatever else is in the batch; equations
that fail but would cancel in an unweighted sum are still caught (the random
weights are what catches them).
"""

from __future__ import annotations

import dataclasses
import operator
import secrets
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.bbs import predicates as pr
from crypto.bbs.backend import ORDER, CurveBackend, backend_by_name, pippenger, pippenger_window
from crypto.bbs.batch import WEIGHT_BITS, Batch, Deferred, deferred
from crypto.bbs.suite import SHA_256
from tests.crypto.bbs.test_predicates import ADULT, ATTRS, PK, SK, VALID

BLST = backend_by_name("blst")
HEADER = b"schema-v1"
DISCLOSED = {2: b"district 7", 5: b"citizen"}
PREDS = {3: ADULT, 4: VALID}
KINDS = ("valid", "range", "pairing")


def _present(sig: bytes, ph: bytes) -> pr.Presentation:
    return pr.present(SHA_256, PK, sig, HEADER, ph, ATTRS, [2, 5], predicates=PREDS, backend=BLST)


def _verify(p: pr.Presentation, ph: bytes) -> bool:
    return pr.verify_presentation(
        SHA_256, PK, p, HEADER, ph, DISCLOSED, predicates=PREDS, backend=BLST
    )


@pytest.fixture(scope="module")
def cases() -> dict[str, tuple[pr.Presentation, bytes]]:
    """One presentation of each kind, with its presentation header:
    valid; its range proof's last response changed (the BBS challenge does not
    cover it: only the range equation fails); made from a signature on other
    attributes (ProofGen does not verify the signature: only the pairing fails)."""
    good = pr.sign_attributes(SHA_256, SK, PK, HEADER, ATTRS, backend=BLST)
    forged = pr.sign_attributes(SHA_256, SK, PK, HEADER, [b"Eve", *ATTRS[1:]], backend=BLST)
    valid = _present(good, b"ph valid")
    made = _present(good, b"ph range")
    assert made.range_proof is not None
    bad_range = dataclasses.replace(
        made, range_proof=dataclasses.replace(made.range_proof, b=(made.range_proof.b + 1) % ORDER)
    )
    return {
        "valid": (valid, b"ph valid"),
        "range": (bad_range, b"ph range"),
        "pairing": (_present(forged, b"ph pairing"), b"ph pairing"),
    }


def test_each_case_fails_where_it_should(cases: dict[str, tuple[pr.Presentation, bytes]]) -> None:
    """Alone: only the valid one verifies; deferred: all three pass up to the
    deferred equations (so only the batch can tell the bad ones)."""
    assert [_verify(*cases[k]) for k in KINDS] == [True, False, False]
    batch = Batch(BLST)
    for k in KINDS:
        with batch.collect(k):
            assert _verify(*cases[k])
    assert batch.failed() == {"range", "pairing"}


@settings(max_examples=15, deadline=None)
@given(st.lists(st.sampled_from(KINDS), min_size=1, max_size=7))
def test_batch_names_exactly_what_fails_alone(
    cases: dict[str, tuple[pr.Presentation, bytes]], kinds: list[str]
) -> None:
    batch = Batch(BLST)
    for tag, k in enumerate(kinds):
        with batch.collect(tag):
            assert _verify(*cases[k])
    assert batch.failed() == {tag for tag, k in enumerate(kinds) if k != "valid"}


def test_outside_a_batch_nothing_is_deferred(
    cases: dict[str, tuple[pr.Presentation, bytes]],
) -> None:
    assert deferred(BLST) is None
    arkworks = backend_by_name("arkworks")
    batch = Batch(arkworks)
    with batch.collect("x") as item:
        assert deferred(BLST) is None  # a batch of another backend: verified now
        assert deferred(arkworks) is item
        assert not _verify(*cases["pairing"])
    assert deferred(arkworks) is None
    assert batch.failed() == set()


def test_discarded_items_are_not_checked(
    cases: dict[str, tuple[pr.Presentation, bytes]],
) -> None:
    batch = Batch(BLST)
    for k in KINDS:
        with batch.collect(k):
            _verify(*cases[k])
    batch.discard("range")
    batch.discard("pairing")
    assert len(batch) == 1 and batch.failed() == set()


def _points(n: int) -> list[object]:
    g = BLST.g1_generator()
    return [BLST.g1_mul(g, 7 + 1000 * i) for i in range(n)]


def test_weights_catch_equations_that_cancel() -> None:
    """Two failing MSM equations, Σ = P and Σ = −P, and two failing pairing
    equations, e(2P, W) = e(P, BP2) and e(P, W) = e(2P, BP2) for W = BP2: unweighted,
    each pair's product holds. Weighted, the batch names all four."""
    p, q = _points(2)
    w = BLST.g2_generator()
    two_q = BLST.g1_add(q, q)
    items = {
        "plus": Deferred(BLST, msms=[([p], [1], 0)]),
        "minus": Deferred(BLST, msms=[([p], [ORDER - 1], 0)]),
        "pair up": Deferred(BLST, pairings=[(two_q, q, w)]),
        "pair down": Deferred(BLST, pairings=[(q, two_q, w)]),
    }

    def batch_of(randbits: object) -> Batch:
        b = Batch(BLST, randbits=randbits)  # type: ignore[arg-type]
        for tag, d in items.items():
            with b.collect(tag) as item:
                item.msms.extend(d.msms)
                item.pairings.extend(d.pairings)
        return b

    assert not any(d.holds() for d in items.values())
    assert batch_of(lambda bits: 1).failed() == set()  # equal weights: they cancel
    assert batch_of(secrets.randbits).failed() == set(items)


def test_a_weight_is_never_zero() -> None:
    """A zero weight would drop its equation: the batch draws again."""
    draws: Iterator[int] = iter([0, 0, 5])
    p = _points(1)[0]
    b = Batch(BLST, randbits=lambda bits: next(draws))
    with b.collect("x") as item:
        item.msms.append(([p], [1], 0))
    assert b.failed() == {"x"}
    assert WEIGHT_BITS == 128


@pytest.mark.parametrize("name", ["blst", "arkworks"])
@settings(max_examples=25, deadline=None)
@given(
    scalars=st.lists(
        st.one_of(
            st.integers(0, ORDER - 1),
            st.sampled_from([0, 1, 2, ORDER - 1, ORDER - 2, 2**64, 2**128 - 1]),
            st.integers(0, 2**16),
        ),
        max_size=40,
    )
)
def test_bucket_msm_equals_the_plain_msm(name: str, scalars: list[int]) -> None:
    be: CurveBackend = backend_by_name(name)
    g = be.g1_generator()
    points = [be.g1_mul(g, 3 + 977 * i) for i in range(len(scalars))]
    expected = be.g1_msm(points, scalars)
    assert be.g1_eq(be.g1_msm_vartime(points, scalars), expected)
    assert be.g1_eq(pippenger(be.g1_add, be.g1_neg, be.g1_identity(), points, scalars), expected)


def test_bucket_window_grows_with_the_count() -> None:
    assert pippenger_window(1, 255) <= pippenger_window(100, 255) <= pippenger_window(10**4, 255)
    assert pippenger_window(4000, 255) in range(8, 12)


def test_bucket_msm_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError):
        pippenger(operator.add, operator.neg, BLST.g1_identity(), _points(2), [1])

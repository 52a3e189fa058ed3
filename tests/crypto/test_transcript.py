"""crypto/transcript.py: the documented byte layout, binding and immutability."""

from __future__ import annotations

import hashlib

import pytest

from crypto.group import GENERATOR, ORDER, Scalar
from crypto.transcript import Transcript

CONTEXT = bytes(range(32))


def lp(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def item(label: bytes, value: bytes) -> bytes:
    return lp(label) + lp(value)


def test_challenge_follows_the_documented_layout() -> None:
    t = (
        Transcript.start(b"pnyx/test/v1", context=CONTEXT, prover=b"voter-7")
        .append(b"x", b"\x01\x02")
        .append_point(b"G", GENERATOR)
        .append_int(b"n", 3)
    )
    data = (
        lp(b"pnyx-transcript/v1")
        + item(b"protocol", b"pnyx/test/v1")
        + item(b"context", CONTEXT)
        + item(b"prover", b"voter-7")
        + item(b"x", b"\x01\x02")
        + item(b"G", GENERATOR.to_bytes())
        + item(b"n", (3).to_bytes(8, "big"))
    )
    assert t.digest() == hashlib.sha512(data).digest()
    digest = hashlib.sha512(data + item(b"challenge", b"c")).digest()
    assert t.challenge(b"c").to_int() == int.from_bytes(digest, "little") % ORDER


def test_context_prover_protocol_and_labels_all_bind() -> None:
    base = Transcript.start(b"p", context=CONTEXT, prover=b"a").append(b"x", b"1")
    variants = [
        Transcript.start(b"q", context=CONTEXT, prover=b"a").append(b"x", b"1"),
        Transcript.start(b"p", context=bytes(32), prover=b"a").append(b"x", b"1"),
        Transcript.start(b"p", context=CONTEXT, prover=b"b").append(b"x", b"1"),
        Transcript.start(b"p", context=CONTEXT, prover=b"a").append(b"y", b"1"),
        Transcript.start(b"p", context=CONTEXT, prover=b"a").append(b"x", b"2"),
        # length prefixing: moving a byte between label and value changes the hash
        Transcript.start(b"p", context=CONTEXT, prover=b"a").append(b"x1", b""),
    ]
    challenges = {base.challenge()} | {v.challenge() for v in variants}
    assert len(challenges) == len(variants) + 1
    assert base.challenge(b"c") != base.challenge(b"d")


def test_immutable_forks() -> None:
    base = Transcript.start(b"p", context=CONTEXT, prover=b"")
    before = base.digest()
    left = base.append(b"side", b"left")
    right = base.append(b"side", b"right")
    assert base.digest() == before
    assert left.challenge() != right.challenge()
    assert base.append(b"side", b"left").challenge() == left.challenge()
    with pytest.raises(AttributeError):
        base._state = None  # type: ignore[assignment]


def test_context_must_be_a_32_byte_hash() -> None:
    for bad in (b"", bytes(31), bytes(33)):
        with pytest.raises(ValueError):
            Transcript.start(b"p", context=bad, prover=b"")
    with pytest.raises(ValueError):
        Transcript.start(b"", context=CONTEXT, prover=b"")
    with pytest.raises(ValueError):
        Transcript.start(b"p", context=CONTEXT, prover=b"").append_int(b"n", -1)


def test_nonces_are_hedged() -> None:
    t = Transcript.start(b"p", context=CONTEXT, prover=b"")
    fixed = lambda n: bytes(n)  # noqa: E731
    a = t.nonces(3, b"witness", fixed)
    assert len(set(a)) == 3
    assert t.nonces(3, b"witness", fixed) == a  # reproducible with a fixed source
    assert t.nonces(3, b"other", fixed)[0] != a[0]  # secret witness enters
    assert t.append(b"x", b"").nonces(1, b"witness", fixed)[0] != a[0]  # statement enters
    assert t.nonces(1, b"witness", lambda n: b"\x01" * n)[0] != a[0]  # randomness enters
    seed = bytes(32)
    state = (
        lp(b"pnyx-nonce/v1") + lp(t.digest()) + lp(b"witness") + lp(seed) + (1).to_bytes(4, "big")
    )
    expected = int.from_bytes(hashlib.sha512(state).digest(), "little") % ORDER
    assert a[1] == Scalar.from_int(expected)

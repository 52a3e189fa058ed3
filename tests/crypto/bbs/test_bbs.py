"""crypto/bbs beyond the fixtures: round trips, malformed input, backend
selection, backend agreement, and property tests (verify and proof_verify
return False, never raise, on arbitrary bytes)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py_ecc.bls.point_compression import compress_G2, modular_squareroot_in_FQ2
from py_ecc.fields import optimized_bls12_381_FQ2 as FQ2
from py_ecc.optimized_bls12_381 import b2

from crypto import bbs
from crypto.bbs.backend import (
    BACKEND_ENV,
    DEFAULT_BACKEND,
    FIELD_PRIME,
    ORDER,
    BBSError,
    CurveBackend,
    backend_by_name,
    get_backend,
)
from crypto.bbs.suite import expand_message_xmd, expand_message_xof, i2osp

FAST = settings(max_examples=40, deadline=None)
S = bbs.BLS12_381_SHA_256
SUITES = [bbs.BLS12_381_SHA_256, bbs.BLS12_381_SHAKE_256]
MESSAGES = [f"attribute {i}".encode() for i in range(10)] + [b""]
HEADER = b"pnyx test header"
SK = S.keygen(b"k" * 32, b"test")
PK_BY_BACKEND = {}


def _keys(backend: CurveBackend) -> tuple[bytes, bytes]:
    if backend.name not in PK_BY_BACKEND:
        PK_BY_BACKEND[backend.name] = S.sk_to_pk(SK, backend=backend)
    return SK, PK_BY_BACKEND[backend.name]


# --- RFC 9380 Appendix K expanders ---


def test_expand_message_xmd_rfc9380_k1() -> None:
    dst = b"QUUX-V01-CS02-with-expander-SHA256-128"
    out = expand_message_xmd(b"abcdef0123456789", dst, 0x20)
    assert out.hex() == "eff31487c770a893cfb36f912fbfcbff40d5661771ca4b2cb4eafe524333f5c1"


def test_expand_message_xof_rfc9380_k6() -> None:
    dst = b"QUUX-V01-CS02-with-expander-SHAKE256"
    assert (
        expand_message_xof(b"", dst, 0x20).hex()
        == "2ffc05c48ed32b95d72e807f6eab9f7530dd1c2f013914c8fed38c5ccc15ad76"
    )
    assert (
        expand_message_xof(b"abc", dst, 0x20).hex()
        == "b39e493867e2767216792abce1f2676c197c0692aed061560ead251821808e07"
    )


def test_expanders_oversize_dst_and_limits() -> None:
    long_dst = b"D" * 300
    short = hashlib.sha256(b"H2C-OVERSIZE-DST-" + long_dst).digest()
    assert expand_message_xmd(b"m", long_dst, 48) == expand_message_xmd(b"m", short, 48)
    short_xof = hashlib.shake_256(b"H2C-OVERSIZE-DST-" + long_dst).digest(32)
    assert expand_message_xof(b"m", long_dst, 48) == expand_message_xof(b"m", short_xof, 48)
    with pytest.raises(BBSError):
        expand_message_xmd(b"m", b"dst", 255 * 32 + 1)
    with pytest.raises(BBSError):
        expand_message_xof(b"m", b"dst", 65536)


# --- backend selection ---


def test_backend_is_read_from_the_environment_at_call_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(BACKEND_ENV, raising=False)
    assert get_backend().name == DEFAULT_BACKEND == "blst"
    monkeypatch.setenv(BACKEND_ENV, "py_ecc")
    assert get_backend().name == "py_ecc"
    monkeypatch.setenv(BACKEND_ENV, "arkworks")
    assert get_backend().name == "arkworks"
    monkeypatch.setenv(BACKEND_ENV, "openssl")
    with pytest.raises(BBSError):
        get_backend()
    assert not S.verify(b"\x00" * 96, b"\x00" * 80, b"", [])  # still False, not raised


# --- backend agreement ---


def test_backends_agree_byte_for_byte() -> None:
    backends = [backend_by_name(n) for n in ("py_ecc", "blst", "arkworks")]
    mocked = S.suite.mocked_calculate_random_scalars(5 + 3, b"seed" * 8, b"agreement")
    for suite in SUITES:
        pks = {suite.sk_to_pk(SK, backend=b) for b in backends}
        assert len(pks) == 1
        (pk,) = pks
        msgs = MESSAGES[:4]
        sigs = {suite.sign(SK, pk, HEADER, msgs, backend=b) for b in backends}
        assert len(sigs) == 1
        (sig,) = sigs
        proofs = {
            suite.proof_gen(pk, sig, HEADER, b"ph", msgs, [1], backend=b,
                            random_scalars=lambda n: mocked)
            for b in backends
        }
        assert len(proofs) == 1
        (proof,) = proofs
        for b in backends:
            assert suite.proof_verify(pk, proof, HEADER, b"ph", [msgs[1]], [1], backend=b)
    for b in backends:
        h = b.hash_to_g1_xmd_sha256(b"abc", b"QUUX-V01-CS02-with-BLS12381G1_XMD:SHA-256_SSWU_RO_")
        assert b.g1_to_bytes(h).hex() == (
            "83567bc5ef9c690c2ab2ecdf6a96ef1c139cc0b2f284dca0a9a7943388a49a3a"
            "ee664ba5379a7655d3c68900be2f6903"
        )
    k = 0x1234567890ABCDEF << 180
    g1 = {b.g1_to_bytes(b.g1_mul(b.g1_generator(), k)) for b in backends}
    g2 = {b.g2_to_bytes(b.g2_mul(b.g2_generator(), k)) for b in backends}
    assert len(g1) == 1 and len(g2) == 1


def test_msm_and_pairing_laws(native: CurveBackend) -> None:
    b = native
    g, h = b.g1_generator(), b.g2_generator()
    pts = [b.g1_mul(g, 3 + i) for i in range(12)]
    ks = [(7 ** (i + 40)) % ORDER for i in range(12)]
    expect = b.g1_identity()
    for p, k in zip(pts, ks, strict=True):
        expect = b.g1_add(expect, b.g1_mul(p, k))
    assert b.g1_eq(b.g1_msm(pts, ks), expect)
    assert b.g1_is_identity(b.g1_msm([], []))
    a = b.g1_mul(g, 5)
    assert b.pairing_check([(a, h), (b.g1_neg(g), b.g2_mul(h, 5))])
    assert not b.pairing_check([(a, h), (b.g1_neg(g), b.g2_mul(h, 6))])
    assert b.pairing_check([(b.g1_identity(), h)])
    assert not b.pairing_check([(a, h)])


# --- decoding is validation ---


def _g1_off_subgroup() -> bytes:
    x = 1
    while True:
        rhs = (x**3 + 4) % FIELD_PRIME
        y = pow(rhs, (FIELD_PRIME + 1) // 4, FIELD_PRIME)
        if y * y % FIELD_PRIME == rhs:
            break
        x += 1
    flags = 0x80 | (0x20 if y > FIELD_PRIME - y else 0)
    return bytes([flags | (x >> 376)]) + (x % (1 << 376)).to_bytes(47, "big")


def _g2_off_subgroup() -> bytes:
    i = 1
    while True:
        x = FQ2([i, 1])
        y = modular_squareroot_in_FQ2(x**3 + b2)
        if y is not None:
            z1, z2 = compress_G2((x, y, FQ2.one()))
            return int(z1).to_bytes(48, "big") + int(z2).to_bytes(48, "big")
        i += 1


def test_decoding_rejects_bad_points(backend: CurveBackend) -> None:
    b = backend
    g1 = b.g1_to_bytes(b.g1_generator())
    g2 = b.g2_to_bytes(b.g2_generator())
    # a subgroup point whose x + p still fits in 381 bits: encode x + p (non-canonical x ≥ p)
    k = 2
    while (x := int.from_bytes(small := b.g1_to_bytes(b.g1_mul(b.g1_generator(), k)), "big")
           & ((1 << 381) - 1)) + FIELD_PRIME >= 1 << 381:
        k += 1
    assert b.g1_from_bytes(small)
    bad_g1 = [
        b"",
        g1[:-1],
        g1 + b"\x00",
        bytes([g1[0] & 0x7F]) + g1[1:],  # uncompressed flag
        bytes([g1[0] | 0x40]) + g1[1:],  # infinity flag on a point
        bytes.fromhex("c0" + "00" * 46 + "01"),  # non-canonical identity
        bytes.fromhex("e0" + "00" * 47),  # identity with the sign flag
        ((x + FIELD_PRIME) | (small[0] & 0xE0) << 376).to_bytes(48, "big"),  # x ≥ p
        _g1_off_subgroup(),
    ]
    for data in bad_g1:
        with pytest.raises(BBSError):
            b.g1_from_bytes(data)
    for data in [g2[:48], bytes([g2[0] & 0x7F]) + g2[1:], _g2_off_subgroup()]:
        with pytest.raises(BBSError):
            b.g2_from_bytes(data)
    assert b.g1_is_identity(b.g1_from_bytes(bytes.fromhex("c0" + "00" * 47)))
    assert b.g1_eq(b.g1_from_bytes(g1), b.g1_generator())


# --- sign / verify / proofs: round trips and rejections (native backends) ---


def test_round_trip_and_tampering(native: CurveBackend) -> None:
    for suite in SUITES:
        sk, pk = SK, suite.sk_to_pk(SK)
        sig = suite.sign(sk, pk, HEADER, MESSAGES)
        assert len(sig) == 80 and len(pk) == 96
        assert suite.verify(pk, sig, HEADER, MESSAGES)
        assert not suite.verify(pk, sig, HEADER + b"!", MESSAGES)
        assert not suite.verify(pk, sig, HEADER, [*MESSAGES[:-1], b"x"])
        assert not suite.verify(pk, sig, HEADER, MESSAGES[:-1])
        other = suite.sk_to_pk(suite.keygen(b"o" * 32))
        assert not suite.verify(other, sig, HEADER, MESSAGES)
        idx = [0, 3]
        disclosed = [MESSAGES[i] for i in idx]
        p1 = suite.proof_gen(pk, sig, HEADER, b"nonce-1", MESSAGES, idx)
        p2 = suite.proof_gen(pk, sig, HEADER, b"nonce-1", MESSAGES, idx)
        assert len(p1) == 272 + 32 * (len(MESSAGES) - 2)
        assert suite.proof_verify(pk, p1, HEADER, b"nonce-1", disclosed, idx)
        # Unlinkable: two proofs of one signature share no 32-byte window.
        assert p1 != p2
        windows = {p1[i : i + 32] for i in range(0, len(p1) - 31, 16)}
        assert not any(p2[i : i + 32] in windows for i in range(0, len(p2) - 31, 16))
        assert not suite.proof_verify(pk, p1, HEADER, b"nonce-2", disclosed, idx)  # replay
        assert not suite.proof_verify(pk, p1, HEADER, b"nonce-1", [b"forged", disclosed[1]], idx)
        assert not suite.proof_verify(pk, p1, HEADER, b"nonce-1", disclosed, [0, 4])
        assert not suite.proof_verify(pk, p1, HEADER, b"nonce-1", disclosed, [3, 0])
        assert not suite.proof_verify(pk, p1, HEADER, b"nonce-1", disclosed[:1], idx)
        assert not suite.proof_verify(pk, p1, b"", b"nonce-1", disclosed, idx)
        assert not suite.proof_verify(other, p1, HEADER, b"nonce-1", disclosed, idx)
        assert not suite.proof_verify(pk, p1[:-32], HEADER, b"nonce-1", disclosed, idx)
        assert not suite.proof_verify(pk, p1 + p1[-32:], HEADER, b"nonce-1", disclosed, idx)
        # all and none disclosed
        all_idx = list(range(len(MESSAGES)))
        p_all = suite.proof_gen(pk, sig, HEADER, b"", MESSAGES, all_idx)
        assert suite.proof_verify(pk, p_all, HEADER, b"", MESSAGES, all_idx)
        p_none = suite.proof_gen(pk, sig, HEADER, b"", MESSAGES, [])
        assert suite.proof_verify(pk, p_none, HEADER, b"", [], [])
        # a proof from a signature that does not verify does not verify
        bad_sig = suite.sign(sk, pk, HEADER, [b"other", *MESSAGES[1:]])
        p_bad = suite.proof_gen(pk, bad_sig, HEADER, b"", MESSAGES, idx)
        assert not suite.proof_verify(pk, p_bad, HEADER, b"", disclosed, idx)


def test_scalar_level_api(native: CurveBackend) -> None:
    """Integer attributes as scalars (range predicates), mixed with hashed octets."""
    s = S
    pk = s.sk_to_pk(SK)
    birth = 20000101
    scalars = [*s.messages_to_scalars([b"name", b"district 7"]), birth, 0, ORDER - 1]
    sig = s.sign_scalars(SK, pk, HEADER, scalars)
    assert s.verify_scalars(pk, sig, HEADER, scalars)
    assert not s.verify_scalars(pk, sig, HEADER, [*scalars[:2], birth + 1, 0, ORDER - 1])
    proof = s.proof_gen_scalars(pk, sig, HEADER, b"ph", scalars, [1, 3])
    assert s.proof_verify_scalars(pk, proof, HEADER, b"ph", [scalars[1], 0], [1, 3])
    assert not s.proof_verify_scalars(pk, proof, HEADER, b"ph", [scalars[1], 1], [1, 3])
    assert not s.verify_scalars(pk, sig, HEADER, [*scalars[:4], ORDER])  # out of range
    with pytest.raises(BBSError):
        s.sign_scalars(SK, pk, HEADER, [ORDER])
    with pytest.raises(BBSError):
        s.sign_scalars(SK, pk, HEADER, [-1])


def test_typed_errors_from_sign_and_proof_gen(native: CurveBackend) -> None:
    s = S
    pk = s.sk_to_pk(SK)
    sig = s.sign(SK, pk, HEADER, MESSAGES[:3])
    with pytest.raises(BBSError):
        s.keygen(b"short")
    with pytest.raises(BBSError):
        s.keygen(b"k" * 32, b"i" * 65536)
    for bad_sk in (SK[:-1], bytes(32), i2osp(ORDER, 32), i2osp(ORDER + 1, 32)):
        with pytest.raises(BBSError):
            s.sign(bad_sk, pk, HEADER, MESSAGES[:3])
        with pytest.raises(BBSError):
            s.sk_to_pk(bad_sk)
    for bad_pk in (pk[:-1], bytes.fromhex("c0" + "00" * 95), b"\x00" * 96):
        with pytest.raises(BBSError):
            s.sign(SK, bad_pk, HEADER, MESSAGES[:3])
        with pytest.raises(BBSError):
            s.proof_gen(bad_pk, sig, HEADER, b"", MESSAGES[:3], [0])
    for bad_idx in ([3], [-1], [1, 0], [1, 1], [0, 1, 2, 2]):
        with pytest.raises(BBSError):
            s.proof_gen(pk, sig, HEADER, b"", MESSAGES[:3], bad_idx)
    for bad_sig in (sig[:-1], sig[:48] + bytes(32), sig[:48] + i2osp(ORDER, 32),
                    bytes.fromhex("c0" + "00" * 47) + sig[48:]):
        with pytest.raises(BBSError):
            s.proof_gen(pk, bad_sig, HEADER, b"", MESSAGES[:3], [0])
        assert not s.verify(pk, bad_sig, HEADER, MESSAGES[:3])
    with pytest.raises(BBSError):
        s.sign(SK, pk, "header", MESSAGES[:3])  # type: ignore[arg-type]
    with pytest.raises(BBSError):
        s.sign(SK, pk, HEADER, b"not a list")  # type: ignore[arg-type]
    assert isinstance(BBSError("x"), ValueError)


def test_secret_key_never_in_repr() -> None:
    assert SK.hex() not in repr(S) and "SHA-256" in repr(S)


# --- property tests: never raise, always False on garbage ---


@FAST
@given(
    pk=st.binary(min_size=0, max_size=120),
    sig=st.binary(min_size=0, max_size=100),
    header=st.binary(max_size=20),
    msgs=st.lists(st.binary(max_size=8), max_size=3),
)
def test_verify_on_arbitrary_bytes_is_false(
    pk: bytes, sig: bytes, header: bytes, msgs: list[bytes]
) -> None:
    for suite in SUITES:
        assert suite.verify(pk, sig, header, msgs) is False


@FAST
@given(
    proof=st.binary(min_size=0, max_size=400),
    idx=st.lists(st.integers(min_value=-2, max_value=6), max_size=4),
    msgs=st.lists(st.binary(max_size=8), max_size=4),
)
def test_proof_verify_on_arbitrary_bytes_is_false(
    proof: bytes, idx: list[int], msgs: list[bytes]
) -> None:
    pk = S.sk_to_pk(SK)
    for suite in SUITES:
        assert suite.proof_verify(pk, proof, b"h", b"ph", msgs, idx) is False


@FAST
@given(data=st.data())
def test_proof_verify_on_mutated_proofs_is_false(data: st.DataObject) -> None:
    pk = S.sk_to_pk(SK)
    msgs = MESSAGES[:4]
    sig = S.sign(SK, pk, HEADER, msgs)
    proof = S.proof_gen(pk, sig, HEADER, b"ph", msgs, [2])
    pos = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
    bit = data.draw(st.integers(min_value=0, max_value=7))
    mutated = proof[:pos] + bytes([proof[pos] ^ (1 << bit)]) + proof[pos + 1 :]
    assert S.proof_verify(pk, mutated, HEADER, b"ph", [msgs[2]], [2]) is False
    assert S.proof_verify(pk, proof, HEADER, b"ph", [msgs[2]], [2]) is True


@settings(max_examples=10, deadline=None)
@given(proof=st.binary(min_size=272, max_size=400), sig=st.binary(min_size=80, max_size=80))
def test_reference_backend_never_raises(proof: bytes, sig: bytes) -> None:
    b = backend_by_name("py_ecc")
    pk = S.sk_to_pk(SK, backend=backend_by_name("blst"))
    assert S.verify(pk, sig, b"", [b"m"], backend=b) is False
    assert S.proof_verify(pk, proof, b"", b"", [], [], backend=b) is False


def test_a_proof_hiding_too_many_messages_is_refused_before_any_work() -> None:
    import pytest as _pytest

    from crypto import bbs
    from crypto.bbs.backend import BBSError
    from crypto.bbs.suite import MAX_HIDDEN_MESSAGES, octets_to_proof

    s = bbs.BLS12_381_SHA_256
    sk = s.keygen(b"k" * 32)
    pk = s.sk_to_pk(sk)
    msgs = [b"a", b"b"]
    sig = s.sign(sk, pk, b"", msgs)
    proof = s.proof_gen(pk, sig, b"", b"", msgs, [0])
    backend = bbs.get_backend()
    assert len(octets_to_proof(backend, proof).commitments) == 1
    one = (1).to_bytes(32, "big")  # a valid scalar: only the count is wrong
    at_limit = proof[:-32] + one * (MAX_HIDDEN_MESSAGES - 1) + proof[-32:]
    assert len(octets_to_proof(backend, at_limit).commitments) == MAX_HIDDEN_MESSAGES
    over = proof[:-32] + one * MAX_HIDDEN_MESSAGES + proof[-32:]
    with _pytest.raises(BBSError, match="at most"):
        octets_to_proof(backend, over)
    assert not s.proof_verify(pk, over, b"", b"", [b"a"], [0])

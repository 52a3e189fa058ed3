"""Record encryption and key wrapping: any change to a blob or a wrapped key is refused."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.public import PrivateKey

from services.health.errors import RecordUndecryptable
from services.health.keys import PatientKeys, Reader, pseudonym_id
from services.health.messages import (
    GRANT_PREFIX,
    REVOKE_PREFIX,
    sign,
    valid_box_key,
    valid_sign_key,
    verify,
)
from services.health.sealing import (
    NONCE_BYTES,
    TAG_BYTES,
    WRAPPED_BYTES,
    open_record,
    record_aad,
    seal_record,
    unwrap_key,
    wrap_key,
)

AAD = record_aad("aa" * 32, "bb" * 32)


@settings(max_examples=40, deadline=None)
@given(plaintext=st.binary(max_size=200), data=st.data())
def test_any_byte_flip_in_a_blob_is_refused(plaintext: bytes, data: st.DataObject) -> None:
    key, blob = seal_record(plaintext, AAD)
    assert len(blob) == len(plaintext) + NONCE_BYTES + TAG_BYTES
    assert open_record(key, blob, AAD) == plaintext
    i = data.draw(st.integers(0, len(blob) - 1))
    bit = data.draw(st.integers(0, 7))
    bad = blob[:i] + bytes([blob[i] ^ (1 << bit)]) + blob[i + 1 :]
    with pytest.raises(RecordUndecryptable):
        open_record(key, bad, AAD)


def test_a_blob_is_bound_to_its_provider_and_pseudonym() -> None:
    key, blob = seal_record(b"{}", AAD)
    for aad in (record_aad("aa" * 32, "cc" * 32), record_aad("cc" * 32, "bb" * 32)):
        with pytest.raises(RecordUndecryptable):
            open_record(key, blob, aad)
    with pytest.raises(RecordUndecryptable):
        open_record(bytes(32), blob, AAD)
    with pytest.raises(RecordUndecryptable):
        open_record(key, blob[: NONCE_BYTES + TAG_BYTES - 1], AAD)


@settings(max_examples=30, deadline=None)
@given(i=st.integers(0, WRAPPED_BYTES - 1), bit=st.integers(0, 7))
def test_wrapped_keys_open_only_for_their_holder(i: int, bit: int) -> None:
    holder, other = PrivateKey.generate(), PrivateKey.generate()
    key = bytes(range(32))
    wrapped = wrap_key(key, bytes(holder.public_key))
    assert len(wrapped) == WRAPPED_BYTES
    assert unwrap_key(wrapped, holder) == key
    with pytest.raises(RecordUndecryptable):
        unwrap_key(wrapped, other)
    bad = wrapped[:i] + bytes([wrapped[i] ^ (1 << bit)]) + wrapped[i + 1 :]
    with pytest.raises(RecordUndecryptable):
        unwrap_key(bad, holder)


def test_signatures_are_separated_by_purpose() -> None:
    ps = PatientKeys(bytes(32)).pseudonym("aa" * 32)
    doc = {"grant": "cd" * 32}
    sig = sign(ps.signing_key, REVOKE_PREFIX, doc)
    assert verify(ps.sign_public, REVOKE_PREFIX, doc, sig)
    assert not verify(ps.sign_public, GRANT_PREFIX, doc, sig)
    assert not verify(ps.sign_public, REVOKE_PREFIX, {"grant": "ce" * 32}, sig)
    for junk in (None, 5, "zz" * 64, sig[:-2], sig.upper()):
        assert not verify(ps.sign_public, REVOKE_PREFIX, doc, junk)
    assert pseudonym_id(ps.sign_public) == ps.id


def test_pseudonym_derivation_is_fixed() -> None:
    """Known-answer: the derivation (HMAC-SHA256 labels) must not change silently."""
    master = bytes(range(32))
    provider = "ab" * 32
    ps = PatientKeys(master).pseudonym(provider)
    seed = hmac.new(
        master, b"pnyx/health/pseudonym/v1/sign\n" + provider.encode(), hashlib.sha256
    ).digest()
    assert bytes(ps.signing_key) == seed
    box = hmac.new(
        master, b"pnyx/health/pseudonym/v1/box\n" + provider.encode(), hashlib.sha256
    ).digest()
    assert bytes(ps.box_secret) == box
    assert ps.id == hashlib.sha256(ps.sign_public).hexdigest()
    with pytest.raises(ValueError):
        PatientKeys(b"short")


def test_key_validation() -> None:
    r = Reader.generate().card()
    assert valid_sign_key(r["sign"]) is not None and valid_box_key(r["box"]) is not None
    for bad in (None, 3, "", "00" * 32, "zz" * 32, r["sign"].upper(), r["sign"][:-2]):
        assert valid_sign_key(bad) is None
    for bad in (None, "00" * 32, "01" + "00" * 31, "zz" * 32, r["box"][:-2]):
        assert valid_box_key(bad) is None

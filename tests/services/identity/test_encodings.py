"""Schemas, attribute encodings and W3C bitstring status lists (no board, no curve)."""

from __future__ import annotations

import base64
import gzip
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import DomainRejection
from services.identity.schema import Schema, day_number, from_day_number, schema_body
from services.identity.status_list import MIN_BITS, StatusList

EID = schema_body(
    "eid",
    "Electronic identity",
    [
        ("givenName", "string"),
        ("birthDate", "date"),
        ("district", "integer"),
        ("resident", "boolean"),
    ],
    "short_lived",
    30,
)


def test_encodings_are_fixed_by_type() -> None:
    s = Schema.from_body("cityhall", EID)
    assert [a.encoding for a in s.attributes] == [
        "utf8-hash",
        "days-scalar",
        "int64-scalar",
        "bool-scalar",
    ]
    values = {"givenName": "Zoë", "birthDate": "1969-12-31", "district": 7, "resident": True}
    assert s.encode(values) == ["Zoë".encode(), -1, 7, 1]
    assert s.attribute("birthDate").integer("1970-01-02") == 1
    assert day_number(from_day_number(20_000)) == 20_000


def test_digest_binds_issuer_and_every_field() -> None:
    s = Schema.from_body("cityhall", EID)
    assert s.digest == Schema.from_body("cityhall", dict(EID)).digest
    assert s.digest != Schema.from_body("county", EID).digest
    assert s.digest != Schema.from_body("cityhall", {**EID, "max_validity_days": 31}).digest
    assert s.to_body() == EID


def bad(**changes: Any) -> dict[str, Any]:
    return {**EID, **changes}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (bad(id="Bad Id"), "schema id"),
        (bad(title=""), "title"),
        (bad(attributes=[]), "1 to 64"),
        (bad(attributes=[{"name": "x", "type": "float", "encoding": "x"}]), "unknown type"),
        (bad(attributes=[{"name": "x", "type": "integer", "encoding": "utf8-hash"}]), "encoded"),
        (bad(attributes=[{"name": "id", "type": "string", "encoding": "utf8-hash"}]), "reserved"),
        (
            bad(attributes=[{"name": "x", "type": "string", "encoding": "utf8-hash"}] * 2),
            "distinct",
        ),
        (bad(attributes=[{"name": "x", "type": "string"}]), "name, type, encoding"),
        (bad(revocation="none"), "revocation"),
        (bad(max_validity_days=93), "1 to 92"),
        (bad(max_validity_days=True), "max_validity_days"),
        ({**EID, "extra": 1}, "exactly the fields"),
    ],
)
def test_bad_schemas(body: dict[str, Any], reason: str) -> None:
    with pytest.raises(DomainRejection, match=reason):
        Schema.from_body("cityhall", body)


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"givenName": "A", "birthDate": "2001-02-30", "district": 7, "resident": True}, "date"),
        (
            {"givenName": "A", "birthDate": "2001-02-03", "district": "7", "resident": True},
            "integer",
        ),
        (
            {"givenName": "A", "birthDate": "2001-02-03", "district": 2**63, "resident": True},
            r"2\^63",
        ),
        (
            {"givenName": "A", "birthDate": "2001-02-03", "district": True, "resident": True},
            "integer",
        ),
        (
            {"givenName": "A", "birthDate": "2001-02-03", "district": 7, "resident": 1},
            "true or false",
        ),
        ({"givenName": 5, "birthDate": "2001-02-03", "district": 7, "resident": True}, "string"),
        ({"givenName": "A", "birthDate": "2001-02-03", "district": 7}, "missing"),
        (
            {"givenName": "A", "birthDate": "2001-02-03", "district": 7, "resident": True, "x": 1},
            "unknown",
        ),
    ],
)
def test_bad_values(values: dict[str, Any], reason: str) -> None:
    with pytest.raises(DomainRejection, match=reason):
        Schema.from_body("cityhall", EID).encode(values)


def test_parse_text_for_the_command_line() -> None:
    s = Schema.from_body("cityhall", EID)
    assert s.attribute("district").parse_text("-12") == -12
    assert s.attribute("resident").parse_text("false") is False
    assert s.attribute("birthDate").parse_text("2000-01-01") == "2000-01-01"
    for name, text in [("district", "7.5"), ("resident", "yes"), ("birthDate", "2000-13-01")]:
        with pytest.raises(DomainRejection):
            s.attribute(name).parse_text(text)


# -------------------------------------------------------------- status lists


def test_status_list_bit_order_and_w3c_encoding() -> None:
    """§4.1: index 0 is the left-most bit; §3.1: multibase 'u' + base64url(GZIP), no padding."""
    sl = StatusList.empty().with_set(0, 9, MIN_BITS - 1)
    assert sl.bits[0] == 0x80 and sl.bits[1] == 0x40 and sl.bits[-1] == 0x01
    assert sl.get(0) and sl.get(9) and not sl.get(1) and sl.get(MIN_BITS - 1)
    assert sl.set_indexes() == [0, 9, MIN_BITS - 1]
    enc = sl.encode()
    assert enc.startswith("u") and "=" not in enc and "+" not in enc and "/" not in enc
    raw = base64.urlsafe_b64decode(enc[1:] + "=" * (-len(enc[1:]) % 4))
    assert gzip.decompress(raw) == sl.bits
    assert StatusList.decode(enc) == sl
    assert enc == sl.encode()  # deterministic (mtime 0)


def test_status_list_decodes_other_encoders_output() -> None:
    bits = bytearray(MIN_BITS // 8)
    bits[5] = 0b0010_0000
    packed = gzip.compress(bytes(bits), mtime=12345)
    enc = "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode()
    assert StatusList.decode(enc).set_indexes() == [42]


def _enc(data: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("encoded", "reason"),
    [
        (_enc(gzip.compress(bytes(MIN_BITS // 8 - 1), mtime=0)), "entries"),
        (_enc(gzip.compress(bytes(2 * 1024 * 1024), mtime=0)), "inflates beyond"),
        (_enc(b"not gzip at all"), "GZIP"),
        (_enc(gzip.compress(bytes(MIN_BITS // 8), mtime=0) + b"trailing"), "exactly one"),
        (_enc(gzip.compress(bytes(MIN_BITS // 8), mtime=0)[:-4]), "exactly one"),
        ("z" + _enc(gzip.compress(bytes(MIN_BITS // 8), mtime=0))[1:], "prefix"),
        (_enc(gzip.compress(bytes(MIN_BITS // 8), mtime=0)) + "==", "base64url"),
        (_enc(gzip.compress(bytes(MIN_BITS // 8), mtime=0)).replace("-", "+"), "base64url"),
        (42, "prefix"),
    ],
)
def test_bad_status_lists(encoded: object, reason: str) -> None:
    with pytest.raises(DomainRejection, match=reason):
        StatusList.decode(encoded)


def test_index_range() -> None:
    sl = StatusList.empty()
    for i in (-1, MIN_BITS, True):
        with pytest.raises(DomainRejection, match="outside"):
            sl.get(i)


@settings(max_examples=40, deadline=None)
@given(st.sets(st.integers(0, MIN_BITS - 1), max_size=30))
def test_status_list_round_trip(indexes: set[int]) -> None:
    sl = StatusList.empty().with_set(*indexes)
    back = StatusList.decode(sl.encode())
    assert back.set_indexes() == sorted(indexes)
    assert back.covers(StatusList.empty())
    assert all(back.get(i) for i in indexes)
    if indexes:
        assert not StatusList.empty().covers(back)

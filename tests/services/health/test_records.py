"""Records: FHIR validation, encryption off the board, pseudonymous entries, refusals."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from ledger.errors import DomainRejection, RoleNotAllowed
from ledger.store import Store
from services.health import domain as d
from services.health.errors import BadPatientSignature, MalformedRecord, RecordUndecryptable
from services.health.fhir import validate_bundle
from services.health.keys import PatientKeys
from services.health.service import HealthService
from tests.kit import entry
from tests.services.health.kit import (
    BUNDLE,
    MARKERS,
    T0,
    HealthKit,
    blobs,
    kid,
    make_health_kit,
    refused,
    register,
)


@pytest.fixture
def hk(db_url: str) -> HealthKit:
    return make_health_kit(db_url)


def test_record_is_encrypted_off_the_board_and_opens_for_the_patient(hk: HealthKit) -> None:
    ps = hk.pseudonym
    rec = hk.service.write_record(hk.provider, ps.card(), BUNDLE, T0)
    assert rec.patient == ps.id and rec.provider == kid(hk.provider)
    stored = blobs(hk)
    assert list(stored) == [bytes.fromhex(rec.sha256)]
    blob = stored[bytes.fromhex(rec.sha256)]
    assert rec.size == len(blob)
    assert ps.open(rec, blob) == BUNDLE
    assert hk.service.records(ps.id) == [rec]
    # the board: a pseudonym card and a record entry, no identity, no plaintext
    kinds = [json.loads(leaf)["kind"] for _, leaf in hk.board.entries(0, hk.board.size())]
    assert kinds[-2:] == [d.PSEUDONYM, d.RECORD]
    board_bytes = b"".join(leaf for _, leaf in hk.board.entries(0, hk.board.size()))
    for marker in MARKERS:
        assert marker.encode() not in board_bytes and marker.encode() not in blob
    assert hk.board.verify() == [] and hk.board.replay() == []


def test_second_record_reuses_the_pseudonym_and_gets_a_fresh_key(hk: HealthKit) -> None:
    ps = hk.pseudonym
    a = hk.service.write_record(hk.provider, ps.card(), BUNDLE, T0)
    size = hk.board.size()
    b = hk.service.write_record(hk.provider, ps.card(), BUNDLE, T0)
    assert hk.board.size() == size + 1  # no second pseudonym entry
    assert a.sha256 != b.sha256
    assert ps.record_key(a) != ps.record_key(b)
    assert [r.sha256 for r in hk.service.records(ps.id)] == [a.sha256, b.sha256]


def test_pseudonyms_differ_per_provider_and_are_derived(hk: HealthKit) -> None:
    other = register(hk.kit, "county-clinic", ["provider"])
    p1, p2 = hk.patient.pseudonym(kid(hk.provider)), hk.patient.pseudonym(kid(other))
    assert p1.id != p2.id and p1.box_public != p2.box_public
    assert PatientKeys(hk.patient.master).pseudonym(kid(other)).id == p2.id
    assert hk.patient.master.hex() not in repr(hk.patient) + repr(p1)
    r1 = hk.service.write_record(hk.provider, p1.card(), BUNDLE, T0)
    r2 = hk.service.write_record(other, p2.card(), BUNDLE, T0)
    assert r1.patient != r2.patient
    with pytest.raises(RecordUndecryptable):
        p2.open(r1, blobs(hk)[bytes.fromhex(r1.sha256)])


def test_record_from_an_authority_without_the_provider_role(hk: HealthKit) -> None:
    refused(
        hk,
        lambda: hk.service.write_record(hk.gateway, hk.pseudonym.card(), BUNDLE, T0),
        RoleNotAllowed,
        "provider",
    )


def test_provider_cannot_write_under_another_providers_pseudonym(hk: HealthKit) -> None:
    ps = hk.pseudonym
    hk.service.write_record(hk.provider, ps.card(), BUNDLE, T0)
    refused(
        hk,
        lambda: hk.service.write_record(hk.er, ps.card(), BUNDLE, T0),
        DomainRejection,
        "pseudonym",
    )


def test_pseudonym_card_must_be_signed_by_its_key(hk: HealthKit) -> None:
    card = hk.pseudonym.card()
    forged = {**card, "box": hk.patient.pseudonym("0" * 64).card()["box"]}
    refused(
        hk,
        lambda: hk.service.write_record(hk.provider, forged, BUNDLE, T0),
        BadPatientSignature,
    )
    bad_sig = {**card, "signature": "00" * 64}
    refused(
        hk, lambda: hk.service.register_pseudonym(hk.provider, bad_sig, T0), BadPatientSignature
    )


def _invalid_bundles() -> list[Any]:
    out: list[Any] = [
        [],
        "Bundle",
        {"resourceType": "Patient"},
        {"resourceType": "Bundle", "type": "collection"},
        {"resourceType": "Bundle", "type": "collection", "entry": []},
        {"resourceType": "Bundle", "type": "collection", "entry": [{"fullUrl": "x"}]},
    ]
    wrong_type = copy.deepcopy(BUNDLE)
    wrong_type["entry"][0]["resource"] = {"resourceType": "Practitioner"}
    unknown = copy.deepcopy(BUNDLE)
    unknown["entry"][0]["resource"] = {"resourceType": "NoSuchThing"}
    missing = copy.deepcopy(BUNDLE)
    del missing["entry"][1]["resource"]["code"]  # Observation.code is 1..1
    bad_status = copy.deepcopy(BUNDLE)
    bad_status["entry"][1]["resource"]["status"] = 7
    bad_date = copy.deepcopy(BUNDLE)
    bad_date["entry"][0]["resource"]["birthDate"] = "yesterday"
    extra = copy.deepcopy(BUNDLE)
    extra["entry"][2]["resource"]["notAFhirField"] = True
    bad_quantity = copy.deepcopy(BUNDLE)
    bad_quantity["entry"][2]["resource"]["valueQuantity"]["value"] = "lots"
    deep: Any = "x"
    for _ in range(80):
        deep = {"extension": [deep]}
    too_deep = copy.deepcopy(BUNDLE)
    too_deep["entry"][0]["resource"]["_birthDate"] = deep
    return [
        *out,
        wrong_type,
        unknown,
        missing,
        bad_status,
        bad_date,
        extra,
        bad_quantity,
        too_deep,
    ]


@pytest.mark.parametrize("bundle", _invalid_bundles())
def test_malformed_fhir_is_refused_before_anything_is_written(bundle: Any, tmp_path: Any) -> None:
    hk = make_health_kit(f"sqlite:///{tmp_path / 'h.db'}", emergency=False)
    refused(
        hk,
        lambda: hk.service.write_record(hk.provider, hk.pseudonym.card(), bundle, T0),
        MalformedRecord,
    )


def test_malformed_fhir_is_refused_on_postgresql_too(db_url: str) -> None:
    hk = make_health_kit(db_url, emergency=False)
    refused(
        hk,
        lambda: hk.service.write_record(
            hk.provider, hk.pseudonym.card(), _invalid_bundles()[8], T0
        ),
        MalformedRecord,
    )


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(
    resource=st.dictionaries(
        st.sampled_from(["resourceType", "status", "code", "subject", "valueString", "x"]),
        JSON,
        max_size=5,
    ),
    rtype=st.sampled_from(["Observation", "Condition", "Patient", "Immunization", "Foo"]),
)
def test_validation_raises_only_malformed_record(resource: dict[str, Any], rtype: str) -> None:
    doc = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": resource}]}
    resource.setdefault("resourceType", rtype)
    try:
        plaintext = validate_bundle(doc)
    except MalformedRecord:
        return
    assert json.loads(plaintext) == doc


def _raw_record(hk: HealthKit, **changes: Any) -> bytes:
    ps = hk.pseudonym
    if hk.board.state(d.NAME, f"pseudonym/{ps.id}") is None:
        hk.service.register_pseudonym(hk.provider, ps.card(), T0)
    body = {
        "patient": ps.id,
        "sha256": "ab" * 32,
        "size": 100,
        "key": "00" * 80,
        "emergency": {kid(hk.er): "00" * 80},
    }
    return entry(hk.provider, d.RECORD, {**body, **changes}, T0)


@pytest.mark.parametrize(
    "changes",
    [
        {"emergency": {}},  # the emergency key may not be left out
        {"emergency": {"ab" * 32: "00" * 80}},
        {"size": 3},
        {"size": "100"},
        {"key": "00" * 79},
        {"sha256": "AB" * 32},
        {"patient": "cd" * 32},
    ],
)
def test_record_entry_rules(hk: HealthKit, changes: dict[str, Any]) -> None:
    leaf = _raw_record(hk, **changes)
    refused(hk, lambda: hk.board.append(leaf), DomainRejection)
    hk.board.append(_raw_record(hk))  # the unchanged body is admitted


def test_duplicate_blob_hash_is_refused(hk: HealthKit) -> None:
    hk.board.append(_raw_record(hk))
    again = entry(
        hk.provider, d.RECORD, json.loads(_raw_record(hk))["body"], "2027-03-02T00:00:00Z"
    )
    refused(hk, lambda: hk.board.append(again), DomainRejection, "exists already")


def test_blob_table_is_created_in_an_older_database(db_url: str) -> None:
    hk = make_health_kit(db_url)
    with hk.board.store.write() as tx:
        tx.s.connection().execute(text("DROP TABLE health_blobs"))
    service = HealthService(hk.board)
    rec = service.write_record(hk.provider, hk.pseudonym.card(), BUNDLE, T0)
    assert bytes.fromhex(rec.sha256) in blobs(hk)
    Store(db_url).dispose()

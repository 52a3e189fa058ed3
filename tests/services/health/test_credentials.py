"""Health credentials: one fact from a record, shown alone, with a date predicate where useful."""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto import bbs
from ledger.board import Board
from ledger.errors import Rejected
from ledger.note import Signer
from services.health.credentials import (
    ALLERGY,
    BLOOD_TYPE,
    IMMUNIZATION,
    SCHEMAS,
    AllergyStatus,
    BloodType,
    Immunization,
    blood_group,
    fact_request,
    facts_from_bundle,
    issue_fact,
    issuer_bodies,
    parse_fact,
)
from services.identity import issuance
from services.identity.board_data import BoardData
from services.identity.errors import (
    BadDocument,
    CannotPresent,
    IdentityError,
    PresentationRejected,
)
from services.identity.presentation import present, verify_presentation
from services.identity.request import PresentationRequest
from tests.kit import ORIGIN, entry, make_kit
from tests.services.identity.kit import register_issuer

PROVIDER = "st-luke"
TODAY = date.today()
MMR = "http://hl7.org/fhir/sid/cvx|03"
PENICILLIN = "http://snomed.info/sct|764146007"

RECORD: dict[str, Any] = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {"resource": {"resourceType": "Patient", "name": [{"family": "Oyelaran-Voss"}]}},
        {
            "resource": {
                "resourceType": "Immunization",
                "status": "completed",
                "vaccineCode": {
                    "coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "03"}]
                },
                "patient": {"reference": "Patient/1"},
                "occurrenceDateTime": "2019-05-14T10:30:00Z",
            }
        },
        {
            "resource": {
                "resourceType": "Immunization",
                "status": "not-done",
                "vaccineCode": {
                    "coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "08"}]
                },
                "patient": {"reference": "Patient/1"},
                "occurrenceDateTime": "2020-01-01",
            }
        },
        {
            "resource": {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "882-1"}]},
                "valueCodeableConcept": {"text": "O Rh(D) negative"},
            }
        },
        {
            "resource": {
                "resourceType": "AllergyIntolerance",
                "verificationStatus": {"coding": [{"code": "refuted"}]},
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": "764146007"}]},
                "patient": {"reference": "Patient/1"},
            }
        },
        {
            "resource": {
                "resourceType": "AllergyIntolerance",
                "verificationStatus": {"coding": [{"code": "unconfirmed"}]},
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": "91935009"}]},
                "patient": {"reference": "Patient/1"},
            }
        },
    ],
}
VACCINATED = Immunization(MMR, date(2019, 5, 14))
FACTS = [VACCINATED, BloodType("O-"), AllergyStatus(PENICILLIN, False)]


class Provider:
    """A board with a provider that holds the roles ``provider`` and ``issuer``."""

    def __init__(self, url: str) -> None:
        kit = make_kit(url)
        self.board: Board = kit.board
        self.signer = register_issuer(kit, PROVIDER, ["provider", "issuer"])
        self.sk = bbs.BLS12_381_SHA_256.keygen(b"st-luke health issuer key 32 byt", b"test")
        self.board.append_many(
            [entry(self.signer, k, b) for k, b in issuer_bodies(PROVIDER, self.sk, ORIGIN)]
        )

    @property
    def data(self) -> BoardData:
        return BoardData.from_board(self.board)

    def credential(self, fact: Any) -> dict[str, Any]:
        """The patient's wallet record for ``fact``: request, blind issuance, check."""
        req, secrets = issuance.make_request(self.data, PROVIDER, fact.schema)
        issued = issue_fact(self.data, PROVIDER, self.sk, req, fact, TODAY)
        return issuance.accept(self.data, issued, req, secrets)


@pytest.fixture(scope="module")
def prov(tmp_path_factory: pytest.TempPathFactory) -> Provider:
    return Provider(f"sqlite:///{tmp_path_factory.mktemp('cred') / 'board.db'}")


def strings(doc: Any) -> list[str]:
    """Every member name and scalar of a JSON document, as text."""
    if isinstance(doc, dict):
        return [x for k, v in doc.items() for x in (k, *strings(v))]
    if isinstance(doc, list):
        return [x for v in doc for x in strings(v)]
    return [json.dumps(doc)]


# ----------------------------------------------------------------- facts


def test_facts_from_bundle_take_only_plain_statements() -> None:
    assert facts_from_bundle(RECORD) == FACTS
    no_allergy = copy.deepcopy(RECORD)
    no_allergy["entry"][4]["resource"]["verificationStatus"]["coding"][0]["code"] = "confirmed"
    assert facts_from_bundle(no_allergy)[2] == AllergyStatus(PENICILLIN, True)
    assert facts_from_bundle({"resourceType": "Bundle"}) == []


@pytest.mark.parametrize(
    ("text", "group"),
    [("O-", "O-"), ("ab+", "AB+"), ("O Rh(D) negative", "O-"), ("B pos", "B+"), ("A\u2212", "A-")],
)
def test_blood_group_notations(text: str, group: str) -> None:
    assert blood_group(text) == group


@pytest.mark.parametrize("text", ["O", "C+", "AB+-", "O negative, probably", ""])
def test_blood_group_refuses_other_notations(text: str) -> None:
    assert blood_group(text) is None


def test_fact_values_are_checked() -> None:
    with pytest.raises(BadDocument):
        BloodType("Z+")
    with pytest.raises(BadDocument):
        Immunization("measles", TODAY)  # not a system|code token
    with pytest.raises(BadDocument):
        AllergyStatus("http://snomed.info/sct|", False)
    assert parse_fact(BLOOD_TYPE, {"bloodType": "AB-"}) == BloodType("AB-")
    assert parse_fact(IMMUNIZATION, {"vaccine": MMR, "vaccinationDate": "2019-05-14"}) == VACCINATED
    for schema, values in [
        (IMMUNIZATION, {"vaccine": MMR, "vaccinationDate": "20190514"}),
        (IMMUNIZATION, {"vaccine": MMR}),
        (ALLERGY, {"substance": PENICILLIN, "allergic": "no"}),
        ("health-dna", {"x": "y"}),
    ]:
        with pytest.raises(BadDocument):
            parse_fact(schema, values)


# ---------------------------------------------------------- presentations


def test_immunization_shows_the_vaccine_and_proves_the_date(prov: Provider) -> None:
    rec = prov.credential(VACCINATED)
    req = fact_request(PROVIDER, IMMUNIZATION, vaccinated_since=date(2015, 1, 1))
    doc = present(prov.data, rec, req)
    vc = doc["verifiableCredential"][0]
    assert vc["credentialSubject"] == {"vaccine": MMR}
    v = verify_presentation(prov.data, req, doc)
    assert v.disclosed == {"vaccine": MMR}
    assert v.predicates == ("vaccinationDate >= 2015-01-01", f"validUntil >= {req.date}")
    assert v.issuer == PROVIDER and v.schema == IMMUNIZATION


def test_the_verifier_learns_nothing_else(prov: Provider) -> None:
    """The presentation carries the requested fact only: no other attribute, date or secret."""
    data = prov.data
    for fact, req in [
        (VACCINATED, fact_request(PROVIDER, IMMUNIZATION, vaccinated_since=date(2010, 6, 1))),
        (BloodType("O-"), fact_request(PROVIDER, BLOOD_TYPE)),
        (AllergyStatus(PENICILLIN, False), fact_request(PROVIDER, ALLERGY)),
    ]:
        rec = prov.credential(fact)
        doc = present(data, rec, req)
        shown = {n: fact.values()[n] for n in req.disclose}
        assert doc["verifiableCredential"][0]["credentialSubject"] == shown
        assert verify_presentation(data, req, doc).disclosed == shown
        hidden = {k: v for k, v in fact.values().items() if k not in req.disclose}
        words = strings(doc)
        for name, value in hidden.items():
            assert json.dumps(value) not in words  # the hidden value is nowhere
            assert name not in words or name == "vaccinationDate"  # only as the predicate's name
        text = json.dumps(doc)
        cred = rec["credential"]
        for secret in (
            cred["validFrom"][:10],
            cred["validUntil"][:10],
            cred["proof"]["proofValue"][1:],
            rec["secrets"]["nymSecret"],
            rec["secrets"]["proverBlind"],
            "2019-05-14",
            "Oyelaran-Voss",
        ):
            assert secret not in text.replace(req.date, "")
        assert "credentialStatus" not in text and "validFrom" not in text


def test_a_predicate_that_fails_cannot_be_shown(prov: Provider) -> None:
    rec = prov.credential(VACCINATED)
    late = fact_request(PROVIDER, IMMUNIZATION, vaccinated_since=date(2019, 5, 15))
    with pytest.raises(CannotPresent):
        present(prov.data, rec, late)
    on_the_day = fact_request(PROVIDER, IMMUNIZATION, vaccinated_since=date(2019, 5, 14))
    assert verify_presentation(prov.data, on_the_day, present(prov.data, rec, on_the_day))


def test_a_proof_for_an_earlier_cut_off_does_not_pass_for_a_later_one(prov: Provider) -> None:
    """Rewriting the proved bound (same nonce) to the later cut-off fails the proof."""
    rec = prov.credential(VACCINATED)
    early = fact_request(PROVIDER, IMMUNIZATION, vaccinated_since=date(2018, 1, 1))
    doc = present(prov.data, rec, early)
    later_json = early.to_json()
    later_json["predicates"][0]["value"] = "2020-01-01"
    later = PresentationRequest.from_json(later_json)
    forged = copy.deepcopy(doc)
    forged["verifiableCredential"][0]["proof"]["predicates"][0]["value"] = "2020-01-01"
    with pytest.raises(PresentationRejected) as e:
        verify_presentation(prov.data, later, forged)
    assert e.value.reason == "proof_invalid"
    with pytest.raises(PresentationRejected) as e:
        verify_presentation(prov.data, later, doc)
    assert e.value.reason == "predicate_failed"


def test_a_tampered_fact_does_not_verify(prov: Provider) -> None:
    rec = prov.credential(BloodType("O-"))
    req = fact_request(PROVIDER, BLOOD_TYPE)
    doc = present(prov.data, rec, req)
    doc["verifiableCredential"][0]["credentialSubject"]["bloodType"] = "AB+"
    with pytest.raises(PresentationRejected) as e:
        verify_presentation(prov.data, req, doc)
    assert e.value.reason == "proof_invalid"


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    vaccinated=st.dates(date(1950, 1, 1), date(2030, 12, 31)),
    offset=st.integers(-4000, 4000),
)
def test_cut_off_property(prov: Provider, vaccinated: date, offset: int) -> None:
    """A presentation exists and verifies exactly when vaccinated on or after the cut-off."""
    cut = vaccinated + timedelta(days=offset)
    rec = prov.credential(Immunization(MMR, vaccinated))
    req = fact_request(PROVIDER, IMMUNIZATION, vaccinated_since=cut)
    if vaccinated >= cut:
        assert verify_presentation(prov.data, req, present(prov.data, rec, req)).disclosed
    else:
        with pytest.raises(CannotPresent):
            present(prov.data, rec, req)


# ---------------------------------------------------------------- issuance


def test_issue_checks_the_request(prov: Provider) -> None:
    data = prov.data
    req, _ = issuance.make_request(data, PROVIDER, BLOOD_TYPE)
    with pytest.raises(IdentityError, match="the request is for health-blood-type"):
        issue_fact(data, PROVIDER, prov.sk, req, VACCINATED, TODAY)
    with pytest.raises(IdentityError, match="addressed to st-luke"):
        issue_fact(data, "other", prov.sk, req, BloodType("O-"), TODAY)
    with pytest.raises(IdentityError):
        issue_fact(data, PROVIDER, prov.sk, req, BloodType("O-"), TODAY, valid_days=93)


def test_fact_request_refuses_nonsense() -> None:
    with pytest.raises(BadDocument):
        fact_request(PROVIDER, "health-dna")
    with pytest.raises(BadDocument):
        fact_request(PROVIDER, BLOOD_TYPE, vaccinated_since=TODAY)


def test_a_provider_without_the_issuer_role_cannot_publish_schemas(tmp_path: Path) -> None:
    kit = make_kit(f"sqlite:///{tmp_path / 'board.db'}")
    only_provider: Signer = register_issuer(kit, "clinic", ["provider"])
    sk = bbs.BLS12_381_SHA_256.keygen(b"clinic health issuer key 32 byte", b"test")
    size = kit.board.size()
    with pytest.raises(Rejected) as e:
        kit.board.append_many(
            [entry(only_provider, k, b) for k, b in issuer_bodies("clinic", sk, ORIGIN)]
        )
    assert e.value.code == "role_not_allowed"
    assert kit.board.size() == size
    assert set(SCHEMAS) == {IMMUNIZATION, BLOOD_TYPE, ALLERGY}

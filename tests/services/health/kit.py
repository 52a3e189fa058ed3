"""A health test board: the ledger test kit plus a provider, a gateway and an emergency service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from nacl.public import PrivateKey
from sqlalchemy import select

from ledger import authorities
from ledger.entry import key_id
from ledger.note import Signer
from services.health.blobs import BLOBS
from services.health.keys import PatientKeys, Pseudonym, Reader
from services.health.service import HealthService
from tests.kit import Kit, entry, make_kit
from tests.ledger.test_board import snapshot

T0 = "2027-03-01T09:00:00Z"
"""The kit's clock: entries are signed at fixed times so that tests can cross an expiry."""

BUNDLE: dict[str, Any] = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {
            "resource": {
                "resourceType": "Patient",
                "name": [{"family": "Quixotically", "given": ["Zenobia"]}],
                "birthDate": "1984-02-29",
            }
        },
        {
            "resource": {
                "resourceType": "Observation",
                "status": "final",
                "code": {
                    "coding": [{"system": "http://loinc.org", "code": "882-1", "display": "ABO+Rh"}]
                },
                "valueCodeableConcept": {"text": "O negative bloodtype-marker-7731"},
            }
        },
        {
            "resource": {
                "resourceType": "Observation",
                "status": "final",
                "code": {"text": "Haemoglobin"},
                "valueQuantity": {"value": 13.25, "unit": "g/dL"},
            }
        },
        {
            "resource": {
                "resourceType": "Immunization",
                "status": "completed",
                "vaccineCode": {
                    "coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "03"}]
                },
                "patient": {"reference": "urn:uuid:7d3c1c52-0000-4000-8000-000000000001"},
                "occurrenceDateTime": "2019-05-14",
            }
        },
        {
            "resource": {
                "resourceType": "AllergyIntolerance",
                "patient": {"reference": "urn:uuid:7d3c1c52-0000-4000-8000-000000000001"},
                "code": {"text": "penicillin-marker-5512"},
            }
        },
        {
            "resource": {
                "resourceType": "Condition",
                "subject": {"reference": "urn:uuid:7d3c1c52-0000-4000-8000-000000000001"},
                "code": {"text": "asthma-marker-9043"},
            }
        },
        {
            "resource": {
                "resourceType": "MedicationStatement",
                "status": "active",
                "subject": {"reference": "urn:uuid:7d3c1c52-0000-4000-8000-000000000001"},
                "medicationCodeableConcept": {"text": "salbutamol-marker-2207"},
            }
        },
    ],
}
MARKERS = (
    "Quixotically",
    "Zenobia",
    "bloodtype-marker-7731",
    "penicillin-marker-5512",
    "asthma-marker-9043",
    "salbutamol-marker-2207",
)
"""Values of :data:`BUNDLE` that must never appear in the database."""


def register(kit: Kit, name: str, roles: list[str]) -> Signer:
    signer = Signer.generate(name)
    kit.board.append(
        entry(
            kit.root,
            authorities.AUTHORITY,
            {"name": name, "public_key": signer.verifier().public_key.hex(), "roles": roles},
        )
    )
    return signer


def kid(signer: Signer) -> str:
    return key_id(signer.verifier().public_key)


@dataclass
class HealthKit:
    kit: Kit
    service: HealthService
    provider: Signer
    gateway: Signer
    er: Signer
    """A provider with the role ``emergency``, its emergency key registered."""
    er_box: PrivateKey
    patient: PatientKeys
    doctor: Reader

    @property
    def board(self) -> Any:
        return self.kit.board

    @property
    def pseudonym(self) -> Pseudonym:
        return self.patient.pseudonym(kid(self.provider))


def make_health_kit(url: str, emergency: bool = True) -> HealthKit:
    kit = make_kit(url)
    provider = register(kit, "st-mary", ["provider"])
    gateway = register(kit, "health-gw", ["health_gateway"])
    er = register(kit, "er-central", ["provider", "emergency"])
    service = HealthService(kit.board)
    er_box = PrivateKey.generate()
    if emergency:
        service.register_emergency_key(er, bytes(er_box.public_key), T0)
    return HealthKit(
        kit, service, provider, gateway, er, er_box, PatientKeys.generate(), Reader.generate()
    )


def blobs(kit: HealthKit) -> dict[bytes, bytes]:
    """Every stored blob, by hash."""
    with kit.board.store.read() as tx:
        return {bytes(h): bytes(b) for h, b in tx.s.execute(select(BLOBS.c.sha256, BLOBS.c.data))}


def refused(
    kit: HealthKit, call: Any, error: type[Exception], match: str | None = None
) -> Exception:
    """``call()`` raises ``error`` and neither the board nor the blob table changes."""
    before = (snapshot(kit.board), blobs(kit))
    with pytest.raises(error, match=match) as e:
        call()
    assert (snapshot(kit.board), blobs(kit)) == before
    return e.value

"""A health board for the patient portal's tests (tests/webapp/test_pages_portal.py,
test_browser_portal.py): two providers hold records of one patient, a third holds none,
an emergency department broke the glass once, and the server's key folder holds the
log key and the ``health-gw`` gateway key (``pnyx serve --keys``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.note import Signer
from services.health.keys import Pseudonym
from services.health.views import RecordInfo
from tests.services.health.kit import BUNDLE, MARKERS, HealthKit, kid, make_health_kit, register
from webapp.cli_health import HealthKeys
from webapp.keystore import KeyStore

REASON = "unconscious on arrival"
DOCTOR = "Dr Ward"

LAB: dict[str, Any] = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {
            "resource": {
                "resourceType": "Observation",
                "status": "final",
                "code": {"text": "Ferritin ferritin-marker-3318"},
                "valueQuantity": {"value": 41.5, "unit": "ng/mL"},
                "effectiveDateTime": "2026-10-02",
            }
        }
    ],
}
ALLERGY: dict[str, Any] = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {
            "resource": {
                "resourceType": "AllergyIntolerance",
                "patient": {"reference": "urn:uuid:7d3c1c52-0000-4000-8000-000000000001"},
                "code": {"text": "latex-marker-6620"},
                "criticality": "high",
            }
        }
    ],
}
PLAIN = (*MARKERS, "ferritin-marker-3318", "latex-marker-6620")
"""Values of the records that must never leave the page."""


@dataclass
class PortalBoard:
    hk: HealthKit
    server_keys: Path
    """The server's key folder: the log key and the gateway's key."""
    patient_file: Path
    """The key file ``pnyx health patient new zenobia`` wrote."""
    clinic: Signer
    """A provider with no record of this patient (its pseudonym is not registered)."""
    records: list[RecordInfo]
    """st-mary: BUNDLE, LAB; er-central: ALLERGY (oldest first)."""
    bundles: list[dict[str, Any]]
    emergency_index: int

    @property
    def pseudonyms(self) -> list[Pseudonym]:
        """The patient's pseudonyms at st-mary, er-central and the clinic."""
        return [
            self.hk.patient.pseudonym(kid(s)) for s in (self.hk.provider, self.hk.er, self.clinic)
        ]

    def secrets(self) -> list[str]:
        """The patient's master secret, every derived secret and every record key, as hex."""
        out = [self.hk.patient.master.hex()]
        for p in self.pseudonyms:
            out += [bytes(p.signing_key).hex(), bytes(p.box_secret).hex()]
        by_pid = {p.id: p for p in self.pseudonyms}
        out += [by_pid[r.patient].record_key(r).hex() for r in self.records]
        return out

    def card_text(self) -> str:
        """The doctor's card as ``pnyx health reader card`` prints it."""
        return json.dumps(self.hk.doctor.card(), sort_keys=True, indent=2) + "\n"


def portal_board(db_url: str, folder: Path) -> PortalBoard:
    hk = make_health_kit(db_url, emergency=False)
    hk.service.register_emergency_key(hk.er, bytes(hk.er_box.public_key))
    clinic = register(hk.kit, "north-clinic", ["provider"])
    patients = HealthKeys(KeyStore(folder / "patient"))
    hk.patient = patients.new_patient("zenobia")
    st_mary = hk.patient.pseudonym(kid(hk.provider))
    er = hk.patient.pseudonym(kid(hk.er))
    bundles = [BUNDLE, LAB, ALLERGY]
    records = [
        hk.service.write_record(hk.provider, st_mary.card(), BUNDLE),
        hk.service.write_record(hk.provider, st_mary.card(), LAB),
        hk.service.write_record(hk.er, er.card(), ALLERGY),
    ]
    emergency = hk.service.emergency_read(hk.er, records[0].sha256, REASON)
    server = KeyStore(folder / "server")
    server.save_log(hk.kit.log)
    server.save_authority(hk.gateway)
    return PortalBoard(
        hk,
        folder / "server",
        patients.patient_path("zenobia"),
        clinic,
        records,
        bundles,
        emergency.access_index,
    )

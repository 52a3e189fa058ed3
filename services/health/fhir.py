"""FHIR records: a Bundle of the resource types a Pnyx record may carry (docs/health.md §Records).

The issue asks for FHIR R4.  ``fhir.resources`` 8 publishes the R4B models
(``fhir.resources.R4B``), the closest published model set to R4: R4B changed
no resource used here (Patient, Observation, Immunization, AllergyIntolerance,
Condition, MedicationStatement, Bundle) in any way that matters to validation.
A record is validated once, on the provider's side, before encryption; its
plaintext is the RFC 8785 canonical JSON of the document as given.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from services.health.errors import MalformedRecord

RESOURCE_TYPES = frozenset(
    {
        "Patient",
        "Observation",
        "Immunization",
        "AllergyIntolerance",
        "Condition",
        "MedicationStatement",
    }
)
MAX_RECORD_BYTES = 1 << 20
"""The largest record plaintext (canonical JSON) accepted: 1 MiB."""
MAX_DEPTH = 64


def _depth(value: Any, limit: int) -> None:
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        v, d = stack.pop()
        if d > limit:
            raise MalformedRecord(f"the record is nested deeper than {limit} levels")
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)


def validate_bundle(doc: Any) -> bytes:
    """Validate a FHIR Bundle (as parsed JSON); returns its canonical bytes, the plaintext.

    Raises :class:`MalformedRecord` when it is not a JSON object, too large or
    deep, not a valid R4B ``Bundle``, has no entries, or holds an entry whose
    resource is missing or of a type outside :data:`RESOURCE_TYPES`.
    """
    if not isinstance(doc, dict) or doc.get("resourceType") != "Bundle":
        raise MalformedRecord("a record is a FHIR Bundle (resourceType 'Bundle')")
    _depth(doc, MAX_DEPTH)
    entries = doc.get("entry")
    if not isinstance(entries, list) or not entries:
        raise MalformedRecord("the Bundle has no entries")
    for i, e in enumerate(entries):
        rtype = e.get("resource", {}).get("resourceType") if isinstance(e, dict) else None
        if not isinstance(e, dict) or not isinstance(e.get("resource"), dict):
            raise MalformedRecord(f"Bundle entry {i} has no resource")
        if not isinstance(rtype, str) or rtype not in RESOURCE_TYPES:
            raise MalformedRecord(
                f"Bundle entry {i}: resource type {rtype!r} is not one of "
                f"{', '.join(sorted(RESOURCE_TYPES))}"
            )
    try:
        Bundle.model_validate(doc)
    except (ValidationError, KeyError, TypeError, ValueError) as e:
        first = str(e).splitlines()
        raise MalformedRecord("not a valid FHIR R4B Bundle: " + " ".join(first[:3])[:500]) from None
    try:
        plaintext = rfc8785.dumps(doc)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as e:
        raise MalformedRecord(f"the record is not representable as canonical JSON: {e}") from None
    if len(plaintext) > MAX_RECORD_BYTES:
        raise MalformedRecord(f"the record is larger than {MAX_RECORD_BYTES} bytes")
    return plaintext


def parse_record(plaintext: bytes) -> dict[str, Any]:
    """The record document from decrypted plaintext."""
    doc = json.loads(plaintext)
    if not isinstance(doc, dict):
        raise MalformedRecord("the decrypted record is not a JSON object")
    return doc

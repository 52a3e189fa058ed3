"""Medical records: FHIR bundles encrypted per record, kept off the board; pseudonymous
record entries, patient-signed consent, break-glass access and an access log on the board."""

from services.health.blobs import BLOBS
from services.health.domain import (
    ACCESS,
    DOMAIN,
    EMERGENCY,
    EMERGENCY_KEY,
    EMERGENCY_ROLE,
    GATEWAY_ROLE,
    GRANT,
    PROVIDER_ROLE,
    PSEUDONYM,
    RECORD,
    REVOKE,
)

__all__ = [
    "ACCESS",
    "BLOBS",
    "DOMAIN",
    "EMERGENCY",
    "EMERGENCY_KEY",
    "EMERGENCY_ROLE",
    "GATEWAY_ROLE",
    "GRANT",
    "PROVIDER_ROLE",
    "PSEUDONYM",
    "RECORD",
    "REVOKE",
]

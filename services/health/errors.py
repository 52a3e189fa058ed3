"""Typed refusals of the health domain and service (docs/health.md §Errors).

Every one is a :class:`ledger.errors.Rejected`: the board or the service
refuses, and nothing is written.  Refusals by a domain rule derive from
:class:`DomainRejection` (the board raises them from ``check``).
"""

from __future__ import annotations

from ledger.errors import DomainRejection, Rejected


class MalformedRecord(Rejected):
    """The record is not a valid FHIR R4B Bundle of the accepted resource types."""

    code = "malformed_record"


class NoGrant(DomainRejection):
    """The reader holds no grant covering this record (or the grant names another reader)."""

    code = "no_grant"


class GrantRevoked(DomainRejection):
    """The grant was revoked by the patient."""

    code = "grant_revoked"


class GrantExpired(DomainRejection):
    """The grant's expiry is not after the time of the read."""

    code = "grant_expired"


class BadPatientSignature(DomainRejection):
    """A grant, revocation or pseudonym card is not signed by the patient pseudonym's key."""

    code = "bad_patient_signature"


class BadReaderSignature(DomainRejection):
    """A read request is not signed by the reader it names."""

    code = "bad_reader_signature"


class UnknownRecord(DomainRejection):
    """No record with this hash is on the board (or it belongs to another pseudonym)."""

    code = "unknown_record"


class BlobTampered(Rejected):
    """The stored ciphertext does not hash to its commitment on the board: nothing released."""

    code = "blob_tampered"


class StaleRequest(Rejected):
    """A signed read request's time is too far from the service's clock."""

    code = "stale_request"


class RecordUndecryptable(Exception):
    """A key does not unwrap, or a ciphertext does not authenticate, for its holder."""

"""Typed failures of the identity service (docs/credentials.md §Formats).

They subclass :class:`ledger.errors.Rejected`, so every caller (board, API,
CLI) reports them the same way: a short machine code and one sentence.  The
sentences never contain secrets (holder secrets, blinds, signatures of
credentials that were not disclosed).
"""

from __future__ import annotations

from ledger.errors import Rejected


class IdentityError(Rejected):
    """A credential, request or document that this service cannot accept."""

    code = "identity"


class BadDocument(IdentityError):
    """A JSON document (schema, credential, request, presentation) with the wrong shape."""

    code = "bad_document"


class PresentationRejected(IdentityError):
    """A presentation that does not satisfy its request.

    ``reason`` is one of the codes of docs/credentials.md §Verifying a
    presentation (``proof_invalid``, ``nonce_mismatch``, ``predicate_failed``,
    ``revoked``, ``unknown_issuer``, ``schema_mismatch``, ...).
    """

    code = "presentation_rejected"

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


class CannotPresent(IdentityError):
    """The holder's credential cannot satisfy a request (e.g. a predicate that does not hold)."""

    code = "cannot_present"


class WalletError(IdentityError):
    """The wallet file is missing, locked with another passphrase, or damaged."""

    code = "wallet"

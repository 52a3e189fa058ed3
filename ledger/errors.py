"""Typed rejections: why the board refused an entry (or a request).

Every rejection carries a short machine-readable ``code`` (the API's ``error``
field) and a human sentence (``detail``).  A rejected entry leaves nothing on
the board: no entry, no index used, no state.
"""

from __future__ import annotations


class Rejected(Exception):
    """The base of every refusal by the board or a domain."""

    code = "rejected"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class MalformedEntry(Rejected):
    """Not a well-formed entry: bad UTF-8 or JSON, duplicate keys, wrong fields or types."""

    code = "malformed_entry"


class NonCanonicalEntry(Rejected):
    """The bytes are not the RFC 8785 canonical form of the JSON they carry."""

    code = "non_canonical"


class EntryTooLarge(Rejected):
    """Over the entry size limit (65,535 bytes: a tlog-tiles entry bundle length is 16 bits)."""

    code = "entry_too_large"


class UnknownAuthor(Rejected):
    """The ``author`` is not a registered (and unrevoked) authority of this board."""

    code = "unknown_author"


class BadSignature(Rejected):
    """The Ed25519 signature does not verify under the author's key."""

    code = "bad_signature"


class RoleNotAllowed(Rejected):
    """The author's roles do not include the role that may write this kind."""

    code = "role_not_allowed"


class UnknownKind(Rejected):
    """No registered domain owns this entry kind."""

    code = "unknown_kind"


class DuplicateEntry(Rejected):
    """An identical entry (same leaf hash) is already on the board: a replay."""

    code = "duplicate_entry"


class DomainRejection(Rejected):
    """A domain's ``check`` refused the entry (state transition not allowed)."""

    code = "domain_rejection"


class BoardNotInitialised(Rejected):
    """The board has no genesis entry yet (``pnyx init``)."""

    code = "not_initialised"


class NotFound(Rejected):
    """A requested index, size or checkpoint does not exist."""

    code = "not_found"


class BadRequest(Rejected):
    """A request's parameters are out of range or inconsistent."""

    code = "bad_request"

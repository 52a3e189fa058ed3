"""Credentials: issuer keys, schemas and status lists on the board; blind issuance,
presentations with selective disclosure, predicates and pseudonyms; the holder wallet."""

from services.identity.domain import DOMAIN, ISSUER_KEY, ROLE, SCHEMA, STATUS_LIST

__all__ = ["DOMAIN", "ISSUER_KEY", "ROLE", "SCHEMA", "STATUS_LIST"]

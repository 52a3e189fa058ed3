"""Every domain this deployment runs, in one registry (the board's own domain first)."""

from __future__ import annotations

from ledger.authorities import BOARD
from ledger.domains import Registry
from services import health, identity, notices, voting


def default_registry() -> Registry:
    return Registry([BOARD, notices.DOMAIN, identity.DOMAIN, health.DOMAIN, voting.DOMAIN])

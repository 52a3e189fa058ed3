"""What a verifier reads from the board: issuer keys, schemas, status lists.

A verifier needs no server: :meth:`BoardData.from_leaves` replays exported
board entries (``pnyx board entries --json``) through the board's own
admission rules (signatures, authors, roles, every domain rule) into a state
held in memory, and :meth:`BoardData.from_board` reads the state of a board
it has.  Either way the answers come from the log alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ledger import authorities
from ledger.board import Admission, Board
from ledger.domains import Overlay, Registry, View
from ledger.entry import Entry
from ledger.errors import Rejected
from services.identity.domain import NAME
from services.identity.errors import BadDocument
from services.identity.keys import IssuerKey
from services.identity.schema import Schema
from services.identity.status_list import StatusList

StateGetter = Callable[[str, str], Any]
"""``(domain, key) -> JSON value or None``."""
StateScanner = Callable[[str, str], list[tuple[str, Any]]]
"""``(domain, prefix) -> [(key, JSON value)]`` in key order."""


@dataclass(frozen=True)
class BoardData:
    get: StateGetter
    scan: StateScanner

    @classmethod
    def from_board(cls, board: Board) -> BoardData:
        return cls(board.state, board.scan)

    @classmethod
    def from_leaves(cls, leaves: Iterable[bytes], registry: Registry) -> BoardData:
        """Replay exported entries (index order from 0) with full admission, in memory."""
        state = Overlay()
        admission = Admission(registry)
        seen: set[bytes] = set()
        for index, leaf in enumerate(leaves):
            try:
                entry = Entry.from_leaf(leaf)
                if entry.leaf_hash in seen:
                    raise BadDocument("duplicate entry")
                seen.add(entry.leaf_hash)
                admission.admit(entry, index, state)
            except Rejected as e:
                raise BadDocument(f"board entry {index} is not admissible: {e.detail}") from None

        def get(domain: str, key: str) -> Any:
            return View(state, domain, 0, None).read(domain, key)

        def scan(domain: str, prefix: str) -> list[tuple[str, Any]]:
            return list(View(state, domain, 0, None).scan(prefix))

        return cls(get, scan)

    def origin(self) -> str | None:
        g = self.get(authorities.DOMAIN, "genesis")
        return None if g is None else str(g["origin"])

    def issuer_key(self, key_id: str) -> IssuerKey | None:
        rec = self.get(NAME, f"key/{key_id}")
        return None if rec is None else IssuerKey.from_state(key_id, rec)

    def scan_keys(self) -> list[tuple[str, Any]]:
        """Every published issuer key record, ``("key/<key id>", record)``."""
        return self.scan(NAME, "key/")

    def authority_active(self, author_key_id: str) -> bool:
        """The authority is registered and not revoked (docs/board.md §3)."""
        return self.get(authorities.DOMAIN, f"authority/{author_key_id}") is not None

    def schema(self, issuer: str, schema_id: str) -> Schema | None:
        rec = self.get(NAME, f"schema/{issuer}/{schema_id}")
        if rec is None:
            return None
        body = {k: rec[k] for k in ("id", "title", "attributes", "revocation", "max_validity_days")}
        return Schema.from_body(issuer, body)

    def status_list(self, issuer: str, list_id: str) -> StatusList | None:
        rec = self.get(NAME, f"status/{issuer}/{list_id}")
        return None if rec is None else StatusList.decode(rec["encodedList"])

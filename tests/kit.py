"""Test kit: a small board with known keys, built through the public API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ledger import authorities
from ledger.board import Board
from ledger.cosignature import CosignatureSigner
from ledger.entry import key_id, make_entry
from ledger.note import Signer
from ledger.store import Store
from services.notices import PUBLISH, notice_body
from services.registry import default_registry

ORIGIN = "test.pnyx.example/board"


def entry(signer: Signer, kind: str, body: dict[str, Any], time: str | None = None) -> bytes:
    return make_entry(kind, body, key_id(signer.verifier().public_key), signer.sign, time)


def notice(signer: Signer, i: int) -> bytes:
    return entry(signer, PUBLISH, notice_body(f"notice {i}", f"text {i}"))


@dataclass
class Kit:
    board: Board
    log: Signer
    root: Signer
    publisher: Signer
    witnesses: list[CosignatureSigner] = field(default_factory=list)

    def publish(self, n: int, start: int = 0) -> list[int]:
        return self.board.append_many([notice(self.publisher, start + i) for i in range(n)])


def make_kit(url: str, notices: int = 0, witnesses: int = 0, quorum: int = 0) -> Kit:
    """A board with a genesis, a publisher ``city`` and optionally witnesses and notices."""
    board = Board(Store(url), default_registry())
    log, root, city = Signer.generate(ORIGIN), Signer.generate("root"), Signer.generate("city")
    board.append(
        entry(
            root,
            authorities.GENESIS,
            {
                "origin": ORIGIN,
                "log_key": log.verifier().vkey(),
                "root": {"name": "root", "public_key": root.verifier().public_key.hex()},
            },
        )
    )
    board.append(
        entry(
            root,
            authorities.AUTHORITY,
            {
                "name": "city",
                "public_key": city.verifier().public_key.hex(),
                "roles": ["publisher"],
            },
        )
    )
    kit = Kit(board, log, root, city)
    if witnesses:
        kit.witnesses = [CosignatureSigner.generate(f"w{i}.test.example") for i in range(witnesses)]
        board.append(
            entry(
                root,
                authorities.WITNESSES,
                {"witnesses": [w.verifier().vkey() for w in kit.witnesses], "quorum": quorum},
            )
        )
    if notices:
        kit.publish(notices)
    return kit

"""An election as the board's state describes it (docs/voting.md §7), for the service side.

The domain keeps ``election/<id>``; :class:`ElectionInfo` reads it (through
a :class:`services.identity.board_data.BoardData`, i.e. a live board or a
replay of exported entries) into typed values: the shapes, the joint key as a
validated point, the contexts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crypto.contest import ContestShape
from crypto.group import Point
from crypto.threshold import CeremonyParameters
from services.identity.board_data import BoardData
from services.voting.errors import UnknownElection, WrongPhase
from services.voting.manifest import CredentialRule, parse_eligibility

NAME = "voting"
"""The voting domain's name: its state lives under it."""


@dataclass(frozen=True)
class ElectionInfo:
    """What a voter, trustee or official needs to know of an election on the board."""

    id: str
    phase: str
    manifest_hash: bytes
    threshold: int
    trustees: tuple[tuple[str, str], ...]
    """(key id, X25519 box key) of trustees 1..n, hex."""
    shapes: tuple[ContestShape, ...]
    revote: str
    eligibility: dict[str, Any]
    opens: str
    closes: str
    public_key: Point | None
    context: bytes | None
    index: int

    @classmethod
    def from_state(cls, rec: dict[str, Any]) -> ElectionInfo:
        return cls(
            rec["id"],
            rec["phase"],
            bytes.fromhex(rec["manifest"]),
            rec["threshold"],
            tuple((k, b) for k, b in rec["trustees"]),
            tuple(ContestShape(c.encode(), m, lo, hi) for c, m, lo, hi in rec["shapes"]),
            rec["revote"],
            dict(rec["eligibility"]),
            rec["opens"],
            rec["closes"],
            None if rec["key"] is None else Point.from_bytes(bytes.fromhex(rec["key"])),
            None if rec["context"] is None else bytes.fromhex(rec["context"]),
            rec["index"],
        )

    @classmethod
    def load(cls, data: BoardData, election: str) -> ElectionInfo:
        rec = data.get(NAME, f"election/{election}")
        if rec is None:
            raise UnknownElection(f"no election {election!r} on this board")
        return cls.from_state(rec)

    @property
    def n(self) -> int:
        return len(self.trustees)

    @property
    def ceremony(self) -> CeremonyParameters:
        """``CeremonyParameters(H_M, k, n)``."""
        return CeremonyParameters(self.manifest_hash, self.threshold, self.n)

    @property
    def decryption(self) -> CeremonyParameters:
        """``CeremonyParameters(H_C, k, n)``; the election must be keyed."""
        return CeremonyParameters(self.keyed()[1], self.threshold, self.n)

    def keyed(self) -> tuple[Point, bytes]:
        """The joint key and the election context, once the ceremony is over."""
        if self.public_key is None or self.context is None:
            raise WrongPhase(f"election {self.id} has no joint key yet")
        return self.public_key, self.context

    def credential_rule(self) -> CredentialRule:
        e = self.eligibility
        if e["type"] != "credential":
            raise WrongPhase(f"election {self.id} uses a roll, not credentials")
        parsed = parse_eligibility(e)
        assert isinstance(parsed, CredentialRule)
        return parsed

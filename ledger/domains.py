"""Domain plug-ins: who may write which entry kind, and how each kind changes state.

A domain (``notices``, ``identity``, ``voting``, ...) registers its entry
kinds.  For each kind it names the *role* an authority needs to write it and
two functions:

- ``check(entry, view)`` raises a :class:`ledger.errors.Rejected` (usually
  :class:`DomainRejection`) when the entry may not be appended now;
- ``apply(entry, view)`` updates the domain's state.

The board runs both inside the append transaction, so a rejected entry, or one
whose ``apply`` fails, leaves nothing behind.  ``replay`` runs ``apply`` over
the whole log again and must reach the same state: the log is the only source
of truth.  State is a key-value map per domain of JSON values; a domain reads
other domains' state (``view.read``) but writes only its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

from ledger.entry import Entry, Json
from ledger.errors import UnknownKind


def encode_state(value: Json) -> str:
    """State values are stored as sorted, compact JSON: deterministic, so replays compare equal.

    (Not RFC 8785: state is never hashed or signed; the C encoder is much faster.)
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Authority:
    """A registered signer of entries (docs/board.md §Authorities)."""

    name: str
    key_id: str
    public_key: bytes
    roles: tuple[str, ...]


class StateSource(Protocol):
    """Canonical-JSON text of state values, keyed by ``(domain, key)``."""

    def get(self, domain: str, key: str) -> str | None: ...

    def scan(self, domain: str, prefix: str) -> list[tuple[str, str]]: ...


class Overlay:
    """Pending state changes on top of a source (the database or nothing).

    Writes stay here until the board flushes them in the append transaction,
    or are dropped with it.
    """

    def __init__(self, base: StateSource | None = None) -> None:
        self.base = base
        self.changes: dict[tuple[str, str], str | None] = {}
        self._read: dict[tuple[str, str], str | None] = {}

    def get(self, domain: str, key: str) -> str | None:
        k = (domain, key)
        if k in self.changes:
            return self.changes[k]
        if self.base is None:
            return None
        if k not in self._read:
            self._read[k] = self.base.get(domain, key)
        return self._read[k]

    def scan(self, domain: str, prefix: str) -> list[tuple[str, str]]:
        merged = dict(self.base.scan(domain, prefix)) if self.base is not None else {}
        for (d, k), v in self.changes.items():
            if d == domain and k.startswith(prefix):
                if v is None:
                    merged.pop(k, None)
                else:
                    merged[k] = v
        return sorted(merged.items())

    def set(self, domain: str, key: str, value: str | None) -> None:
        self.changes[(domain, key)] = value

    def snapshot(self) -> dict[tuple[str, str], str]:
        """Every live value (for a memory-only overlay: the whole state)."""
        return {k: v for k, v in self.changes.items() if v is not None}


class View:
    """What ``check`` and ``apply`` see: their own domain's state, read access to others."""

    def __init__(self, state: Overlay, domain: str, index: int, author: Authority | None) -> None:
        self._state = state
        self.domain = domain
        self.index = index
        self.author = author

    def get(self, key: str) -> Json | None:
        return self.read(self.domain, key)

    def read(self, domain: str, key: str) -> Json | None:
        raw = self._state.get(domain, key)
        return None if raw is None else json.loads(raw)

    def scan(self, prefix: str = "", domain: str | None = None) -> Iterator[tuple[str, Json]]:
        for k, v in self._state.scan(domain or self.domain, prefix):
            yield k, json.loads(v)

    def put(self, key: str, value: Json) -> None:
        self._state.set(self.domain, key, encode_state(value))

    def delete(self, key: str) -> None:
        self._state.set(self.domain, key, None)


Rule = Callable[[Entry, View], None]


@dataclass(frozen=True)
class Kind:
    """One entry kind: its name (``domain.action``), the role that may write it, its rules."""

    name: str
    role: str
    check: Rule
    apply: Rule


@dataclass(frozen=True)
class Domain:
    name: str
    kinds: tuple[Kind, ...]

    def __post_init__(self) -> None:
        for k in self.kinds:
            if not k.name.startswith(self.name + "."):
                raise ValueError(f"kind {k.name!r} is not in domain {self.name!r}")


class Registry:
    """The domains a board knows, by kind."""

    def __init__(self, domains: Iterable[Domain]) -> None:
        self.domains: tuple[Domain, ...] = tuple(domains)
        kinds: dict[str, tuple[Domain, Kind]] = {}
        for d in self.domains:
            for k in d.kinds:
                if k.name in kinds:
                    raise ValueError(f"kind {k.name!r} registered twice")
                kinds[k.name] = (d, k)
        self._kinds: Mapping[str, tuple[Domain, Kind]] = kinds

    def kind(self, name: str) -> tuple[Domain, Kind]:
        try:
            return self._kinds[name]
        except KeyError:
            raise UnknownKind(f"no domain on this board accepts entries of kind {name!r}") from None

    def kinds(self) -> list[Kind]:
        return [k for _, k in self._kinds.values()]

    def roles(self) -> set[str]:
        return {k.role for k in self.kinds()}

"""Domain plug-ins: who may write which entry kind, and how each kind changes state.

A domain (``notices``, ``identity``, ``voting``, ...) registers its entry
kinds.  For each kind it names the *role* an authority needs to write it and
two functions:

- ``check(entry, view)`` raises a :class:`ledger.errors.Rejected` (usually
  :class:`DomainRejection`) when the entry may not be appended now;
- ``apply(entry, view)`` updates the domain's state;
- optionally ``precheck(entry, view)``: the costly part of ``check`` that is a
  pure function of the entry and of the state values it reads (proof
  verification), run *before* the sequencing lock against a read snapshot.

The board runs ``check`` and ``apply`` inside the append transaction, so a
rejected entry, or one whose ``apply`` fails, leaves nothing behind.  A
precheck's outcome travels to ``check`` as a :class:`Token` that names every
state value the precheck read (by digest); the board hands the token to
``check`` (``view.token``) only when each of those values is unchanged in the
lock, and ``check`` then takes the outcome from it through :func:`prechecked`
instead of running the precheck again (docs/board.md §2, "Prechecks").  A
``check`` without a token does all the work itself: replay and verification
never depend on a precheck.  ``replay`` runs ``apply`` over
the whole log again and must reach the same state: the log is the only source
of truth.  State is a key-value map per domain of JSON values; a domain reads
other domains' state (``view.read``) but writes only its own.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from ledger.entry import Entry, Json
from ledger.errors import Rejected, UnknownKind


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


def state_digest(value: str | None) -> bytes | None:
    """SHA-256 of a state value's text; ``None`` for an absent value."""
    return (
        None if value is None else hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()
    )


def scan_digest(items: list[tuple[str, str]]) -> bytes:
    """SHA-256 of a prefix scan's ``(key, value)`` pairs, in key order (code points)."""
    text = json.dumps(sorted(items), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


@dataclass(frozen=True)
class Read:
    """One thing a precheck read: the value at ``(domain, key)``, or a scan of a key prefix."""

    domain: str
    key: str
    """The key, or the prefix when ``scan``."""
    scan: bool
    digest: bytes | None
    """:func:`state_digest` of the value (``None``: absent), or :func:`scan_digest`."""


@dataclass(frozen=True)
class Token:
    """A precheck's outcome for one entry, and the state it relied on (docs/board.md §2).

    Made and sealed by the board's :class:`ledger.board.Admission` only: the
    seal is an HMAC under a key that never leaves that object, over every
    other field, so a token made elsewhere, changed, or made for another
    entry (``leaf_hash``) or another precheck is never honoured.
    """

    kind: str
    leaf_hash: bytes
    precheck: str
    """:func:`precheck_name` of the precheck that made it."""
    reads: tuple[Read, ...]
    facts: str
    """The precheck's JSON result as text (``null`` when it refused)."""
    refusal: str | None
    """:func:`refusal_text` of the rejection the precheck raised, or ``None``."""
    seal: bytes = field(repr=False)

    def outcome(self) -> Json:
        """The precheck's result again: a fresh copy of its facts, or its rejection raised."""
        if self.refusal is not None:
            raise refusal_from_text(self.refusal)
        return json.loads(self.facts)


def refusal_text(r: Rejected) -> str | None:
    """A rejection as JSON text (class, args, attributes), or ``None`` if it has no such form.

    What a precheck in another process sends back instead of a pickle.
    """
    cls = type(r)
    try:
        return json.dumps(
            {
                "class": f"{cls.__module__}:{cls.__qualname__}",
                "args": list(r.args),
                "attrs": dict(sorted(vars(r).items())),
            },
            ensure_ascii=False,
        )
    except (TypeError, ValueError):
        return None


def refusal_from_text(text: str) -> Rejected:
    """The rejection :func:`refusal_text` wrote, as a new exception object.

    The class must be a :class:`Rejected` of a module already imported; it is
    rebuilt as pickle would, without calling its ``__init__``.
    """
    doc = json.loads(text)
    module, _, qualname = doc["class"].partition(":")
    obj: object = sys.modules.get(module)
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    if not isinstance(obj, type) or not issubclass(obj, Rejected):
        raise TypeError(f"a token's refusal is not a known rejection: {doc['class']}")
    r = obj.__new__(obj, *doc["args"])
    r.args = tuple(doc["args"])
    vars(r).update(doc["attrs"])
    return r


Precheck = Callable[[Entry, "View"], Json]
"""The costly, state-independent part of a ``check``, run before the lock (a JSON result)."""


def precheck_name(precheck: Precheck) -> str:
    """``module:qualified name``: which precheck a :class:`Token` came from."""
    return f"{precheck.__module__}:{precheck.__qualname__}"


class View:
    """What ``check`` and ``apply`` see: their own domain's state, read access to others.

    ``token`` is the entry's precheck :class:`Token` when the board verified,
    in the lock, that the state values it relied on are unchanged; else ``None``.
    """

    def __init__(
        self,
        state: Overlay,
        domain: str,
        index: int,
        author: Authority | None,
        token: Token | None = None,
    ) -> None:
        self._state = state
        self.domain = domain
        self._index = index
        self._author = author
        self.token = token

    @property
    def index(self) -> int:
        """The index the entry is admitted at."""
        return self._index

    @property
    def author(self) -> Authority | None:
        """The entry's author (``None`` for the genesis's own check and for reads)."""
        return self._author

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


class PrecheckContract(Exception):
    """A precheck used what it may not: the index, the author, a write (never a rejection)."""


class SnapshotView(View):
    """What a precheck sees: state as of a read before the lock, read-only.

    The entry's index and author are not known before the lock: a precheck
    that asks for them, or writes, raises :class:`PrecheckContract` and its
    outcome is dropped (``check`` then does the work in the lock).
    """

    def __init__(self, state: Overlay, domain: str) -> None:
        super().__init__(state, domain, -1, None)
        self.broken = False
        """Set when the precheck broke the contract (even if it caught the exception)."""

    def _break(self, what: str) -> PrecheckContract:
        self.broken = True
        return PrecheckContract(f"a precheck may not {what}")

    @property
    def index(self) -> int:
        raise self._break("depend on the entry's index")

    @property
    def author(self) -> Authority | None:
        raise self._break("depend on the entry's author")

    def put(self, key: str, value: Json) -> None:
        raise self._break("write state")

    def delete(self, key: str) -> None:
        raise self._break("write state")


def prechecked(view: View, entry: Entry, precheck: Precheck) -> Json:
    """``precheck(entry, view)``, taken from the entry's token when the board honoured one.

    A ``check`` calls this where it needs the costly result.  The token is
    used only when it is this entry's (leaf hash) and this precheck's; the
    board already verified its seal and that every state value it read is
    the same now, so its outcome (facts, or the same rejection) is what the
    call would return.  Without one the precheck runs here, in the lock.
    """
    token = view.token
    if (
        token is not None
        and token.leaf_hash == entry.leaf_hash
        and token.kind == entry.kind
        and token.precheck == precheck_name(precheck)
    ):
        return token.outcome()
    return precheck(entry, view)


Rule = Callable[[Entry, View], None]


@dataclass(frozen=True)
class Kind:
    """One entry kind: its name (``domain.action``), the role that may write it, its rules.

    ``precheck``, when given, is the part of ``check`` that the board may run
    before the lock (docs/board.md §2, "Prechecks").  Its contract: a
    deterministic function of the entry and of the state values it reads
    through its view (no clock, no randomness, no other I/O, never the
    index or the author), whose result is JSON; it refuses by raising the
    :class:`ledger.errors.Rejected` that ``check`` would raise at that point.
    ``check`` must reach it through :func:`prechecked` and stay complete
    without a token.
    """

    name: str
    role: str
    check: Rule
    apply: Rule
    precheck: Precheck | None = None


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

"""The bulletin board: admit, append, prove, checkpoint, verify, replay.

Admission of an entry at index ``i`` (docs/board.md §Admission), in order:

1. it decodes (:meth:`Entry.from_leaf`: size, strict canonical JSON, fields);
2. its leaf hash is not on the board yet (no replay);
3. a registered domain owns its kind;
4. entry 0 is the genesis and only entry 0 is; otherwise the author is a
   registered, unrevoked authority;
5. the Ed25519 signature verifies under the author's key;
6. the author holds the role the kind requires;
7. the domain's ``check`` accepts it; then its ``apply`` updates state.

All of it runs inside the sequenced append transaction: a refusal at any step
rolls everything back.

Two kinds of work are done ahead, outside the sequencing lock, so that the
lock is held only for the cheap, state-dependent steps: the Ed25519 checks of
a long batch (:class:`Verdicts`, a thread pool), and the domains' *prechecks*
(:meth:`Admission.prechecks`): a kind's ``precheck`` verifies the entry's
proofs against a read snapshot and returns a sealed
:class:`ledger.domains.Token` naming, by digest, every state value it read.
In the lock, step 7 hands the token to ``check`` only if each of those values
is still the same (:meth:`Admission.honoured`); otherwise ``check`` verifies
in full.  Prechecks of a batch of :data:`POOL_MIN` entries or more run in a
process pool (docs/board.md §2, "Prechecks").
"""

from __future__ import annotations

import hashlib
import hmac
import json
import multiprocessing
import os
import secrets
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from crypto.bbs.batch import Batch, undeferred
from ledger import authorities
from ledger.checkpoint import Checkpoint, CheckpointError
from ledger.cosignature import verify_cosignature
from ledger.domains import (
    Authority,
    Kind,
    Overlay,
    Precheck,
    Read,
    Registry,
    SnapshotView,
    StateSource,
    Token,
    View,
    encode_state,
    precheck_name,
    refusal_text,
    scan_digest,
    state_digest,
)
from ledger.entry import KIND_RE, Entry
from ledger.errors import (
    BadRequest,
    BadSignature,
    BoardNotInitialised,
    DuplicateEntry,
    NotFound,
    Rejected,
    RoleNotAllowed,
    UnknownAuthor,
)
from ledger.merkle import (
    Node,
    ProofError,
    completed_nodes,
    consistency_ranges,
    inclusion_ranges,
    leaf_hash,
    range_hashes,
    range_nodes,
    root_from,
    verify_consistency,
)
from ledger.note import (
    InvalidSignature,
    NoteError,
    NoteSignature,
    Signer,
    UnverifiedNote,
    Verifier,
    add_signatures,
    open_note,
    parse_note,
    sign_note,
)
from ledger.store import Store, Txn

TILE_WIDTH = 256
PREVERIFY_MIN = 32
"""Batches at least this long have their signatures checked ahead, in a thread pool."""
PREVERIFY_CHUNK = 64
"""Signatures per thread-pool job."""
POOL_MIN = 64
"""Batches with at least this many entries to precheck spread them over a process pool."""
POOL_CHUNK = 16
"""Prechecks per process-pool job."""
POOL_TRIES = 3
"""Times an entry goes to the pool again with a value its job lacked."""
Progress = Callable[[int], None]
"""Called now and then with the number of entries done."""


class _TxnState:
    """The database's state, as an overlay's base."""

    def __init__(self, tx: Txn) -> None:
        self.tx = tx

    def get(self, domain: str, key: str) -> str | None:
        return self.tx.state_get(domain, key)

    def scan(self, domain: str, prefix: str) -> list[tuple[str, str]]:
        return self.tx.state_scan(domain, prefix)


@dataclass(frozen=True)
class _Missing:
    """A state value a worker's snapshot lacked: ``(domain, key)``, or a prefix scan."""

    domain: str
    key: str
    scan: bool


class _Miss(Exception):
    def __init__(self, missing: _Missing) -> None:
        super().__init__(f"{missing.domain}/{missing.key}")
        self.missing = missing


class _Memo:
    """A batch's read snapshot: each value read once from ``base`` and kept for the batch.

    A worker of the process pool gets one without a base, filled with the
    values the parent read (:meth:`shipped`); anything else is a :class:`_Miss`.
    """

    def __init__(self, base: StateSource | None) -> None:
        self.base = base
        self.gets: dict[tuple[str, str], str | None] = {}
        self.scans: dict[tuple[str, str], list[tuple[str, str]]] = {}

    def get(self, domain: str, key: str) -> str | None:
        k = (domain, key)
        if k not in self.gets:
            if self.base is None:
                raise _Miss(_Missing(domain, key, False))
            self.gets[k] = self.base.get(domain, key)
        return self.gets[k]

    def scan(self, domain: str, prefix: str) -> list[tuple[str, str]]:
        k = (domain, prefix)
        if k not in self.scans:
            if self.base is None:
                raise _Miss(_Missing(domain, prefix, True))
            self.scans[k] = list(self.base.scan(domain, prefix))
        return list(self.scans[k])

    def fetch(self, missing: _Missing) -> None:
        """Read a value a worker lacked, for the next job's snapshot."""
        if missing.scan:
            self.scan(missing.domain, missing.key)
        else:
            self.get(missing.domain, missing.key)

    def shipped(self) -> tuple[list[tuple[str, str, str | None]], list[Any]]:
        """The values read so far, as plain lists (what crosses to a worker)."""
        return (
            [(d, k, v) for (d, k), v in self.gets.items()],
            [(d, p, items) for (d, p), items in self.scans.items()],
        )

    @classmethod
    def from_shipped(cls, gets: list[tuple[str, str, str | None]], scans: list[Any]) -> _Memo:
        memo = cls(None)
        memo.gets = {(d, k): v for d, k, v in gets}
        memo.scans = {(d, p): [(k, v) for k, v in items] for d, p, items in scans}
        return memo


class _Recorder:
    """A state source that notes the digest of every value it hands a precheck."""

    def __init__(self, source: _Memo) -> None:
        self.source = source
        self.reads: dict[tuple[str, str, bool], bytes | None] = {}
        self.missing: _Missing | None = None

    def get(self, domain: str, key: str) -> str | None:
        try:
            value = self.source.get(domain, key)
        except _Miss as m:
            self.missing = self.missing or m.missing
            raise
        self.reads.setdefault((domain, key, False), state_digest(value))
        return value

    def scan(self, domain: str, prefix: str) -> list[tuple[str, str]]:
        try:
            items = self.source.scan(domain, prefix)
        except _Miss as m:
            self.missing = self.missing or m.missing
            raise
        self.reads.setdefault((domain, prefix, True), scan_digest(items))
        return items


_Outcome = tuple[str, str | None, list[tuple[str, str, bool, bytes | None]]]
"""A precheck's outcome as plain values: facts (JSON text), refusal (JSON text), reads."""
_Item = tuple[int, Entry, str, Precheck]
"""An entry to precheck: its position in the batch, itself, its domain, its precheck."""


def _run_precheck(
    precheck: Precheck, domain: str, entry: Entry, memo: _Memo
) -> _Outcome | _Missing | None:
    """Run one precheck on a recording, read-only view of ``memo``.

    A rejection is an outcome (the same rejection, raised again in the lock
    if the token is honoured).  A value the snapshot lacks gives its
    :class:`_Missing` (the first one: the caller may fetch it and try again).
    Anything else it raises, a breach of the precheck contract, or a result
    that is not JSON gives ``None``, no token: ``check`` then does the work
    itself in the lock.
    """
    recorder = _Recorder(memo)
    view = SnapshotView(Overlay(recorder), domain)
    facts: str | None = "null"
    refusal: str | None = None
    try:
        facts = encode_state(precheck(entry, view))
    except Rejected as r:
        refusal = refusal_text(r)
        if refusal is None:
            facts = None
    except Exception:  # the check in the lock meets it again, or not, on its own
        facts = None
    if recorder.missing is not None:  # even if the precheck caught the miss
        return recorder.missing
    if view.broken or facts is None:
        return None
    return facts, refusal, [(d, k, scan, h) for (d, k, scan), h in recorder.reads.items()]


def _end_pool(pool: ProcessPoolExecutor, pid: int) -> None:
    """Shut a process pool down, in the process that made it only (a forked child has none)."""
    if os.getpid() == pid:
        pool.shutdown(wait=True, cancel_futures=True)


def _precheck_chunk(
    prechecks: dict[str, tuple[str, Precheck]],
    leaves: list[bytes],
    gets: list[tuple[str, str, str | None]],
    scans: list[Any],
) -> list[_Outcome | _Missing | None]:
    """A process-pool job: decode each leaf and run its kind's precheck on the shipped snapshot."""
    memo = _Memo.from_shipped(gets, scans)
    items: list[tuple[Entry, str, Precheck] | None] = []
    for leaf in leaves:
        try:
            entry = Entry.from_leaf(leaf)
        except Rejected:
            items.append(None)
            continue
        items.append((entry, *prechecks[entry.kind]))
    return _run_batched(items, memo)


def _run_batched(
    items: Sequence[tuple[Entry, str, Precheck] | None], memo: _Memo
) -> list[_Outcome | _Missing | None]:
    """`_run_precheck` of each item (None: no outcome), their signature-free proof
    equations checked as one batch (:class:`crypto.bbs.batch.Batch`): a precheck
    that passed is kept only if the batch does not name it; one it names is run
    again alone, which gives the outcome a run without a batch gives.
    """
    batch = Batch()
    out: list[_Outcome | _Missing | None] = []
    for i, item in enumerate(items):
        if item is None:
            out.append(None)
            continue
        entry, domain, precheck = item
        with batch.collect(i):
            res = _run_precheck(precheck, domain, entry, memo)
        if not isinstance(res, tuple) or res[1] is not None:
            batch.discard(i)  # a refusal, a miss, no outcome: nothing rests on the batch
        out.append(res)
    for tag in batch.failed():
        assert isinstance(tag, int)
        item = items[tag]
        assert item is not None
        entry, domain, precheck = item
        out[tag] = _run_precheck(precheck, domain, entry, memo)
    return out


@dataclass(frozen=True)
class InclusionProof:
    index: int
    size: int
    leaf_hash: bytes
    root: bytes
    path: list[bytes]

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "size": self.size,
            "leaf_hash": self.leaf_hash.hex(),
            "root": self.root.hex(),
            "path": [h.hex() for h in self.path],
        }


@dataclass(frozen=True)
class ConsistencyProof:
    old_size: int
    size: int
    old_root: bytes
    root: bytes
    path: list[bytes]

    def to_json(self) -> dict[str, Any]:
        return {
            "old_size": self.old_size,
            "size": self.size,
            "old_root": self.old_root.hex(),
            "root": self.root.hex(),
            "path": [h.hex() for h in self.path],
        }


@dataclass(frozen=True)
class CheckpointStatus:
    size: int
    note: bytes
    """The log-signed note with every stored cosignature appended."""
    cosigned_by: tuple[str, ...]
    quorum: int
    witnesses: tuple[str, ...]

    @property
    def final(self) -> bool:
        return len(self.cosigned_by) >= self.quorum


def _check_signatures(vk: VerifyKey, items: list[tuple[bytes, bytes]]) -> list[bool]:
    """Ed25519 verdicts for ``(signed bytes, signature)`` pairs under one key."""
    out: list[bool] = []
    for message, signature in items:
        try:
            vk.verify(message, signature)
        except BadSignatureError:
            out.append(False)
        else:
            out.append(True)
    return out


class Verdicts:
    """Ed25519 checks of a batch's signatures, run ahead of admission in a thread pool.

    PyNaCl's cffi call releases the GIL, so the checks run beside the decoding
    and the admission of the batch.  A verdict is a pure function of (public
    key, signed bytes, signature) and answers only for the key it was computed
    under: admission still resolves the author at the entry's own position (step
    4) and asks for the verdict under *that* key, checking in line when there is
    none.  So the order of the steps and their outcome are those of a sequential
    admission; an entry whose author key is unknown ahead (the genesis, an
    authority registered earlier in the same batch) is simply checked in line.
    Entries are identified by object identity for the life of the batch.
    """

    def __init__(self, pool: ThreadPoolExecutor | None, vkey: Callable[[bytes], VerifyKey]) -> None:
        self._pool = pool
        self._vkey = vkey
        self._at: dict[int, tuple[bytes, Future[list[bool]], int]] = {}
        self._futures: list[Future[list[bool]]] = []
        self._waiting: list[Entry] = []

    def start(self, entries: Iterable[Entry], key_of: Callable[[str], bytes | None]) -> None:
        """Start checking ``entries`` whose author key ``key_of`` knows; keep the others waiting."""
        if self._pool is None:
            return
        groups: dict[bytes, list[Entry]] = {}
        for e in entries:
            pk = key_of(e.author)
            if pk is None:
                self._waiting.append(e)
            else:
                groups.setdefault(pk, []).append(e)
        for pk, group in groups.items():
            vk = self._vkey(pk)
            for k in range(0, len(group), PREVERIFY_CHUNK):
                part = group[k : k + PREVERIFY_CHUNK]
                items = [(e.signed_bytes(), e.signature) for e in part]
                job = self._pool.submit(_check_signatures, vk, items)
                self._futures.append(job)
                for offset, e in enumerate(part):
                    self._at[id(e)] = (pk, job, offset)

    def start_waiting(self, key_of: Callable[[str], bytes | None]) -> None:
        """Start the entries left waiting, with a better ``key_of`` (the board's state)."""
        waiting, self._waiting = self._waiting, []
        self.start(waiting, key_of)

    def verdict(self, entry: Entry, public_key: bytes) -> bool | None:
        """The verdict for ``entry`` under ``public_key``, or ``None`` when there is none."""
        at = self._at.get(id(entry))
        if at is None or at[0] != public_key:
            return None
        return at[1].result()[at[2]]

    def cancel(self) -> None:
        for job in self._futures:
            job.cancel()


class Admission:
    """Runs the admission steps; caches verify keys for the life of one board object.

    It also runs the prechecks and seals their tokens with a key of its own
    (HMAC-SHA-256, random per object, never stored), and keeps the pools:
    a thread pool for signatures, a process pool for prechecks, each made on
    first use and reused (:meth:`close` ends them).
    """

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._keys: dict[bytes, VerifyKey] = {}
        self._authors: dict[str, bytes] = {}
        """Key id -> public key of authors admitted before: a guess, to start checks early."""
        self._pool: ThreadPoolExecutor | None = None
        self._pool_pid = 0
        self._procs: ProcessPoolExecutor | None = None
        self._procs_pid = 0
        self._lock = threading.Lock()
        self._seal_key = secrets.token_bytes(32)
        self.counts: Counter[str] = Counter()
        """Prechecks run ``here`` or in the ``pool``, ``missed`` there; tokens ``honoured``,
        ``stale`` (a value read changed) or ``forged`` (not sealed for this entry)."""

    def _vkey(self, public_key: bytes) -> VerifyKey:
        vk = self._keys.get(public_key)
        if vk is None:
            vk = self._keys[public_key] = VerifyKey(public_key)
        return vk

    def verdicts(self, batch: int) -> Verdicts:
        """A collector of signature checks run ahead for a batch of ``batch`` entries.

        Only for batches of :data:`PREVERIFY_MIN` or more on a machine with
        more than one core; otherwise every check is done in line.
        """
        workers = min(4, os.cpu_count() or 1)
        if batch < PREVERIFY_MIN or workers < 2:
            return Verdicts(None, self._vkey)
        with self._lock:
            if self._pool is None or self._pool_pid != os.getpid():  # a forked child: no threads
                self._pool = ThreadPoolExecutor(workers, thread_name_prefix="pnyx-verify")
                self._pool_pid = os.getpid()
            return Verdicts(self._pool, self._vkey)

    def _process_pool(self) -> ProcessPoolExecutor | None:
        """``os.cpu_count()`` precheck workers (forkserver: no threads are forked), or none."""
        workers = os.cpu_count() or 1
        if workers < 2:
            return None
        with self._lock:
            if self._procs is None or self._procs_pid != os.getpid():
                method = "forkserver"
                if method not in multiprocessing.get_all_start_methods():
                    method = "spawn"
                ctx = multiprocessing.get_context(method)
                self._procs = ProcessPoolExecutor(workers, mp_context=ctx)
                self._procs_pid = os.getpid()
                # ended with this object, not later by the executor's own garbage collection,
                # which races the interpreter's exit (its wake-up pipe closed under a write)
                weakref.finalize(self, _end_pool, self._procs, self._procs_pid)
            return self._procs

    def close(self) -> None:
        """End the pools (they are made again when needed)."""
        with self._lock:
            pools = [(self._pool, self._pool_pid), (self._procs, self._procs_pid)]
            self._pool = self._procs = None
        for pool, pid in pools:
            if pool is not None and pid == os.getpid():
                pool.shutdown(wait=True, cancel_futures=True)

    # ------------------------------------------------------------- prechecks

    def _precheck_of(self, entry: Entry) -> tuple[str, Precheck] | None:
        try:
            domain, kind = self.registry.kind(entry.kind)
        except Rejected:
            return None
        return None if kind.precheck is None else (domain.name, kind.precheck)

    def wants_precheck(self, entries: Iterable[Entry]) -> bool:
        """Whether any of ``entries`` is of a kind with a precheck."""
        return any(self._precheck_of(e) is not None for e in entries)

    def prechecks(self, entries: Sequence[Entry], source: StateSource) -> list[Token | None]:
        """Run the prechecks of ``entries`` against ``source`` (a read before the lock).

        One token (or ``None``) per entry, in order.  When :data:`POOL_MIN`
        or more entries have a precheck, the first of each kind runs here,
        reading from ``source`` the values it needs; the rest go to the
        process pool in jobs of :data:`POOL_CHUNK` (:meth:`_pooled`).
        """
        memo = _Memo(source)
        tokens: list[Token | None] = [None] * len(entries)
        todo: list[_Item] = []
        for i, e in enumerate(entries):
            found = self._precheck_of(e)
            if found is not None:
                todo.append((i, e, *found))
        pool = self._process_pool() if len(todo) >= POOL_MIN else None
        if pool is None:
            if len(todo) == 1:  # alone: no batch to share the equations with
                i, e, domain, precheck = todo[0]
                tokens[i] = self._precheck_here(e, domain, precheck, memo)
                return tokens
            self.counts["here"] += len(todo)
            outs = _run_batched([(e, domain, precheck) for _, e, domain, precheck in todo], memo)
            for (i, e, _, precheck), out in zip(todo, outs, strict=True):
                tokens[i] = self._token(e, precheck, out) if isinstance(out, tuple) else None
            return tokens
        probed: set[str] = set()
        rest = []
        for item in todo:
            i, e, domain, precheck = item
            if e.kind in probed:
                rest.append(item)
            else:
                probed.add(e.kind)
                tokens[i] = self._precheck_here(e, domain, precheck, memo)
        self._pooled(pool, rest, memo, tokens)
        return tokens

    def _pooled(
        self,
        pool: ProcessPoolExecutor,
        items: list[_Item],
        memo: _Memo,
        tokens: list[Token | None],
    ) -> None:
        """Prechecks of ``items`` in the process pool, their tokens sealed here.

        Each job carries leaf bytes and the state values read so far (as
        text); a worker decodes the leaves and runs the prechecks on those
        values alone.  When entries of a job needed a value it lacked, the
        first of them is prechecked here (reading every value its path
        needs into the snapshot) and the others go again with the values
        read since (at most :data:`POOL_TRIES` times); an entry that still
        lacks, or whose job failed (a broken pool, a precheck that does not
        pickle), is prechecked here while the other jobs run.
        """
        fns = {e.kind: (domain, precheck) for _, e, domain, precheck in items}
        jobs: dict[Future[list[_Outcome | _Missing | None]], list[_Item]] = {}
        here: list[_Item] = []
        tries: Counter[int] = Counter()

        def submit(part: list[_Item]) -> None:
            gets, scans = memo.shipped()
            leaves = [e.leaf for _, e, _, _ in part]
            try:
                jobs[pool.submit(_precheck_chunk, fns, leaves, gets, scans)] = part
            except (BrokenProcessPool, RuntimeError):  # broken, or shut down meanwhile
                self._drop_process_pool(pool)
                here.extend(part)

        for k in range(0, len(items), POOL_CHUNK):
            submit(items[k : k + POOL_CHUNK])
        try:
            while jobs or here:
                done, _ = wait(jobs, timeout=0 if here else None, return_when=FIRST_COMPLETED)
                if not done:
                    i, e, domain, precheck = here.pop()
                    self.counts["missed"] += 1
                    tokens[i] = self._precheck_here(e, domain, precheck, memo)
                    continue
                for job in done:
                    part = jobs.pop(job)
                    try:
                        outs = job.result()
                    except BrokenProcessPool:
                        self._drop_process_pool(pool)
                        outs = [None] * len(part)
                    except Exception:  # e.g. a precheck that does not pickle
                        outs = [None] * len(part)
                    again = []
                    for item, out in zip(part, outs, strict=True):
                        if isinstance(out, _Missing) and tries[item[0]] < POOL_TRIES:
                            tries[item[0]] += 1
                            memo.fetch(out)
                            again.append(item)
                        elif isinstance(out, tuple):
                            self.counts["pool"] += 1
                            tokens[item[0]] = self._token(item[1], item[3], out)
                        else:
                            here.append(item)
                    if again:  # one of them here: it reads all the values its path needs
                        i, e, domain, precheck = again.pop(0)
                        self.counts["missed"] += 1
                        tokens[i] = self._precheck_here(e, domain, precheck, memo)
                    if again:
                        submit(again)
        finally:
            for job in jobs:
                job.cancel()

    def _drop_process_pool(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._procs is pool:
                self._procs = None
        pool.shutdown(wait=False, cancel_futures=True)

    def _precheck_here(
        self, entry: Entry, domain: str, precheck: Precheck, memo: _Memo
    ) -> Token | None:
        self.counts["here"] += 1
        out = _run_precheck(precheck, domain, entry, memo)
        return self._token(entry, precheck, out) if isinstance(out, tuple) else None

    def _seal(
        self,
        kind: str,
        leaf_hash: bytes,
        precheck: str,
        reads: Iterable[Read],
        facts: str,
        refusal: str | None,
    ) -> bytes:
        fields = [
            kind,
            leaf_hash.hex(),
            precheck,
            [[r.domain, r.key, r.scan, r.digest.hex() if r.digest else None] for r in reads],
            facts,
            refusal,
        ]
        message = json.dumps(fields, ensure_ascii=False).encode("utf-8", "surrogatepass")
        return hmac.new(self._seal_key, message, hashlib.sha256).digest()

    def _token(self, entry: Entry, precheck: Precheck, out: _Outcome) -> Token:
        facts, refusal, raw = out
        reads = tuple(Read(d, k, scan, h) for d, k, scan, h in raw)
        name = precheck_name(precheck)
        seal = self._seal(entry.kind, entry.leaf_hash, name, reads, facts, refusal)
        return Token(entry.kind, entry.leaf_hash, name, reads, facts, refusal, seal)

    def honoured(
        self, token: Token | None, entry: Entry, kind: Kind, state: Overlay
    ) -> Token | None:
        """``token`` if it may stand in for ``kind.precheck(entry)`` in ``state``, else ``None``.

        It must be sealed by this object for exactly this entry (leaf hash),
        kind and precheck, and every state value it read must have the same
        digest in ``state`` (the lock's state, with the batch's earlier
        entries applied).  Then a run of the precheck now would read the
        same values, so it would give the same outcome.
        """
        if token is None or kind.precheck is None:
            return None
        seal = self._seal(
            token.kind, token.leaf_hash, token.precheck, token.reads, token.facts, token.refusal
        )
        if (
            token.kind != entry.kind
            or token.leaf_hash != entry.leaf_hash
            or token.precheck != precheck_name(kind.precheck)
            or not hmac.compare_digest(token.seal, seal)
        ):
            self.counts["forged"] += 1
            return None
        for r in token.reads:
            now = (
                scan_digest(state.scan(r.domain, r.key))
                if r.scan
                else state_digest(state.get(r.domain, r.key))
            )
            if now != r.digest:
                self.counts["stale"] += 1
                return None
        self.counts["honoured"] += 1
        return token

    def known_author(self, kid: str) -> bytes | None:
        """The public key of an author admitted before (a guess: verdicts are per key)."""
        return self._authors.get(kid)

    def state_author(self, state: Overlay) -> Callable[[str], bytes | None]:
        """Key lookup in the board's state as it is now (the batch's start)."""
        view = View(state, authorities.DOMAIN, 0, None)
        found: dict[str, bytes | None] = {}

        def key_of(kid: str) -> bytes | None:
            if kid not in found:
                a = authorities.authority(view, kid)
                found[kid] = None if a is None else a.public_key
            return found[kid]

        return key_of

    def _verify(self, public_key: bytes, entry: Entry, verdicts: Verdicts | None = None) -> None:
        ok = None if verdicts is None else verdicts.verdict(entry, public_key)
        if ok is None:
            ok = _check_signatures(
                self._vkey(public_key), [(entry.signed_bytes(), entry.signature)]
            )[0]
        if not ok:
            raise BadSignature("the entry's signature does not verify under its author's key")
        if len(self._authors) > 4096:
            self._authors.clear()
        self._authors[entry.author] = public_key

    def admit(
        self,
        entry: Entry,
        index: int,
        state: Overlay,
        verdicts: Verdicts | None = None,
        token: Token | None = None,
    ) -> None:
        """Steps 3–7 for one entry at ``index`` (steps 1–2 are the caller's).

        ``verdicts`` may hold signature checks done ahead (step 5), ``token``
        the entry's precheck (step 7, used only if :meth:`honoured`).
        """
        domain, kind = self.registry.kind(entry.kind)
        board_view = View(state, authorities.DOMAIN, index, None)
        author: Authority | None
        if entry.kind == authorities.GENESIS:
            kind.check(entry, board_view)
            author = authorities.genesis_root(entry)
            self._verify(author.public_key, entry, verdicts)
        else:
            genesis = state.get(authorities.DOMAIN, "genesis")  # as board_view.get, undecoded
            if index == 0 or genesis is None or genesis == "null":
                raise BoardNotInitialised("the board has no genesis: entry 0 must be board.genesis")
            author = authorities.authority(board_view, entry.author)
            if author is None:
                raise UnknownAuthor(f"no registered authority has key id {entry.author}")
            self._verify(author.public_key, entry, verdicts)
            if kind.role not in author.roles:
                raise RoleNotAllowed(
                    f"{author.name} (roles {', '.join(author.roles)}) may not write "
                    f"{entry.kind}, which needs the role {kind.role!r}"
                )
        view = View(state, domain.name, index, author, self.honoured(token, entry, kind, state))
        kind.check(entry, view)
        kind.apply(entry, view)


class Board:
    """A bulletin board over a :class:`Store` with the domains of a :class:`Registry`."""

    def __init__(self, store: Store, registry: Registry) -> None:
        self.store = store
        self.registry = registry
        self.admission = Admission(registry)

    # ------------------------------------------------------------- appending

    def append(self, leaf: bytes) -> int:
        """Admit and append one entry; returns its index."""
        return self.append_many([leaf])[0]

    def append_many(
        self, leaves: Sequence[bytes], then: Callable[[Txn, list[int]], None] | None = None
    ) -> list[int]:
        """Admit and append entries in one transaction: all of them or none.

        ``then(tx, indices)``, when given, runs inside the same transaction
        after the entries are admitted and written: a domain with data kept off
        the board (e.g. encrypted blobs) stores or releases it there, so that
        the entry and the data change together or not at all.  An exception in
        ``then`` rolls everything back.

        Signatures are checked ahead in a thread pool (:class:`Verdicts`) while
        the batch is decoded and admitted; the domains' prechecks run before
        the write lock is taken (:meth:`Admission.prechecks`: here, or in a
        process pool for a long batch); admission itself stays sequential.
        """
        verdicts = self.admission.verdicts(len(leaves))
        try:
            # a caller's batch (crypto/bbs/batch.py) never reaches admission: what the
            # board writes is verified in full here, never left to a later check
            with undeferred():
                return self._append_many(leaves, verdicts, then)
        finally:
            verdicts.cancel()

    def _append_many(
        self,
        leaves: Sequence[bytes],
        verdicts: Verdicts,
        then: Callable[[Txn, list[int]], None] | None = None,
    ) -> list[int]:
        entries: list[Entry] = []
        for i, leaf in enumerate(leaves):
            entries.append(_decode(leaf, i, len(leaves)))
            if len(entries) % PREVERIFY_CHUNK == 0:
                verdicts.start(entries[-PREVERIFY_CHUNK:], self.admission.known_author)
        verdicts.start(
            entries[len(entries) - len(entries) % PREVERIFY_CHUNK :], self.admission.known_author
        )
        hashes = [e.leaf_hash for e in entries]
        tokens: list[Token | None] = [None] * len(entries)
        if self.admission.wants_precheck(entries):
            with self.store.read() as snapshot:
                tokens = self.admission.prechecks(entries, _TxnState(snapshot))
        with self.store.write() as tx:
            size = tx.size()
            state = Overlay(_TxnState(tx))
            verdicts.start_waiting(self.admission.state_author(state))
            seen = tx.existing_leaf_hashes(hashes)
            for i, e in enumerate(entries):
                if hashes[i] in seen:
                    raise _in_batch(
                        DuplicateEntry("this exact entry is on the board already"), i, len(entries)
                    )
                seen.add(hashes[i])
                try:
                    self.admission.admit(e, size + i, state, verdicts, tokens[i])
                except Rejected as r:
                    raise _in_batch(r, i, len(entries)) from None
            compact = tx.nodes(range_nodes(0, size))
            node_rows: list[dict[str, Any]] = []
            entry_rows: list[dict[str, Any]] = []
            for i, e in enumerate(entries):
                index = size + i
                for (level, idx), h in completed_nodes(index, hashes[i], compact.__getitem__):
                    compact[(level, idx)] = h
                    if level > 0:
                        node_rows.append({"level": level, "idx": idx, "hash": h})
                entry_rows.append(
                    {"idx": index, "leaf_hash": hashes[i], "kind": e.kind, "leaf": e.leaf}
                )
            tx.insert_entries(entry_rows)
            tx.insert_nodes(node_rows)
            tx.state_write(state.changes)
            indices = list(range(size, size + len(entries)))
            if then is not None:
                then(tx, indices)
        return indices

    def close(self) -> None:
        """End the admission's worker pools (the store stays open)."""
        self.admission.close()

    # ---------------------------------------------------------------- reading

    def size(self) -> int:
        with self.store.read() as tx:
            return tx.size()

    def state(self, domain: str, key: str) -> Any:
        with self.store.read() as tx:
            return View(Overlay(_TxnState(tx)), domain, tx.size(), None).get(key)

    def scan(self, domain: str, prefix: str = "") -> list[tuple[str, Any]]:
        with self.store.read() as tx:
            return list(View(Overlay(_TxnState(tx)), domain, tx.size(), None).scan(prefix))

    def entries(self, start: int, end: int, kind: str | None = None) -> list[tuple[int, bytes]]:
        if start < 0 or end < start:
            raise BadRequest("need 0 <= start <= end")
        if end - start > 1000:
            raise BadRequest("at most 1000 entries per request")
        if kind is not None and (len(kind) > 64 or not KIND_RE.fullmatch(kind)):
            raise BadRequest(f"bad kind {kind[:64]!r}")
        with self.store.read() as tx:
            return [(r.idx, bytes(r.leaf)) for r in tx.entries(start, end, kind)]

    def origin(self) -> str:
        return str(self._genesis()["origin"])

    def log_verifier(self) -> Verifier:
        return Verifier.from_vkey(self._genesis()["log_key"])

    def _genesis(self) -> dict[str, Any]:
        g = self.state(authorities.DOMAIN, "genesis")
        if g is None:
            raise BoardNotInitialised("the board has no genesis yet: run `pnyx init`")
        return dict(g)

    def witnesses(self) -> tuple[list[Verifier], int]:
        w = self.state(authorities.DOMAIN, "witnesses")
        if w is None:
            return [], 0
        return authorities.witness_verifiers(w), int(w["quorum"])

    # ----------------------------------------------------------------- proofs

    def _sized(self, tx: Txn, size: int | None) -> int:
        current = tx.size()
        if size is None:
            return current
        if not 0 <= size <= current:
            raise NotFound(f"size {size} is outside 0..{current}")
        return size

    def root(self, size: int | None = None) -> tuple[int, bytes]:
        with self.store.read() as tx:
            n = self._sized(tx, size)
            return n, root_from(n, tx.nodes)

    def inclusion_proof(self, index: int, size: int | None = None) -> InclusionProof:
        """RFC 9162 §2.1.3.1 ``PATH(index, D[0:size])`` with the leaf hash and root."""
        with self.store.read() as tx:
            n = self._sized(tx, size)
            if not 0 <= index < n:
                raise NotFound(f"index {index} is outside a tree of size {n}")
            ranges = [*inclusion_ranges(index, n), (index, index + 1), (0, n)]
            hashes = range_hashes(ranges, tx.nodes)
        return InclusionProof(index, n, hashes[-2], hashes[-1], hashes[:-2])

    def consistency_proof(self, old_size: int, size: int | None = None) -> ConsistencyProof:
        """RFC 9162 §2.1.4.1 ``PROOF(old_size, D[0:size])`` with both roots."""
        with self.store.read() as tx:
            n = self._sized(tx, size)
            if not 0 <= old_size <= n:
                raise NotFound(f"old size {old_size} is outside 0..{n}")
            ranges = consistency_ranges(old_size, n) if 0 < old_size < n else []
            hashes = range_hashes([*ranges, (0, old_size), (0, n)], tx.nodes)
        return ConsistencyProof(old_size, n, hashes[-2], hashes[-1], hashes[:-2])

    # ------------------------------------------------------------------ tiles

    def tile(self, level: int, index: int, width: int) -> bytes:
        """C2SP tlog-tiles: the hashes of tile ``level``/``index`` (``width`` of 1..256).

        A tile at level L holds the hashes of the complete subtrees of height
        8L numbered ``index*256 .. index*256 + width - 1``; it exists once all
        of them are complete.
        """
        if not (0 <= level <= 63 and index >= 0 and 1 <= width <= TILE_WIDTH):
            raise NotFound("no such tile")
        start = index * TILE_WIDTH
        with self.store.read() as tx:
            hashes = tx.level_hashes(8 * level, start, start + width)
        if len(hashes) != width:
            raise NotFound(f"tile {level}/{index} is not {width} wide yet")
        return b"".join(hashes)

    def entry_bundle(self, index: int, width: int) -> bytes:
        """C2SP tlog-tiles: entries from ``index*256``, each a uint16 length + its bytes."""
        if not (index >= 0 and 1 <= width <= TILE_WIDTH):
            raise NotFound("no such entry bundle")
        start = index * TILE_WIDTH
        with self.store.read() as tx:
            rows = tx.entries(start, start + width)
        if len(rows) != width:
            raise NotFound(f"entry bundle {index} is not {width} wide yet")
        return b"".join(len(r.leaf).to_bytes(2, "big") + bytes(r.leaf) for r in rows)

    # ------------------------------------------------------------ checkpoints

    def sign_checkpoint(self, signer: Signer) -> bytes:
        """Sign a checkpoint of the current tree unless the latest one already covers it."""
        log = self.log_verifier()
        if signer.verifier().vkey() != log.vkey():
            raise BadRequest("this key is not the board's log key")
        origin = self.origin()
        with self.store.write() as tx:
            size = tx.size()
            latest = tx.latest_checkpoint()
            if latest is not None and latest.size == size:
                return latest.note.encode()
            cp = Checkpoint(origin, size, root_from(size, tx.nodes))
            note = sign_note(cp.to_text(), [signer])
            tx.add_checkpoint(size, note.decode())
            return note

    def checkpoint(self, size: int | None = None) -> CheckpointStatus:
        """The latest (or the given size's) checkpoint note with its cosignatures."""
        ws, quorum = self.witnesses()
        with self.store.read() as tx:
            row = tx.latest_checkpoint() if size is None else tx.checkpoint(size)
            if row is None:
                raise NotFound(
                    "no checkpoint has been signed" + ("" if size is None else f" at size {size}")
                )
            cosigs = tx.cosignatures(row.size)
        note = row.note.encode()
        extra: list[NoteSignature] = []
        names: list[str] = []
        for c in cosigs:
            try:
                extra.append(NoteSignature.from_line(c.line))
            except NoteError:
                continue  # a damaged row is `pnyx board verify`'s finding, never served
            if any(w.name == c.witness for w in ws):
                names.append(c.witness)
        full = add_signatures(note, extra) if extra else note
        return CheckpointStatus(
            row.size, full, tuple(sorted(names)), quorum, tuple(w.name for w in ws)
        )

    def add_cosignature(self, size: int, sig: NoteSignature) -> None:
        """Store a witness's cosignature after checking it against a registered witness key."""
        ws, _ = self.witnesses()
        witness = next((w for w in ws if w.name == sig.name and w.key_id == sig.key_id), None)
        if witness is None:
            raise UnknownAuthor(f"{sig.name} is not a witness of this board")
        with self.store.write() as tx:
            row = tx.checkpoint(size)
            if row is None:
                raise NotFound(f"no checkpoint at size {size}")
            text = parse_note(row.note.encode()).text
            try:
                verify_cosignature(witness, text, sig)
            except InvalidSignature:
                raise BadSignature(f"the cosignature by {sig.name} does not verify") from None
            tx.put_cosignature(size, witness.name, sig.line())

    # ----------------------------------------------------------- audit paths

    def replay(self, progress: Progress | None = None) -> list[str]:
        """Rebuild every domain's state from the log; returns the differences (none = same)."""
        findings, state = self._replay_log(progress)
        with self.store.read() as tx:
            stored = tx.all_state()
        return findings + _diff_state(state, stored)

    def _replay_log(
        self, progress: Progress | None = None
    ) -> tuple[list[str], dict[tuple[str, str], str]]:
        state = Overlay()
        findings: list[str] = []
        admission = Admission(self.registry)
        with self.store.read() as tx:
            for row in tx.iter_entries():
                try:
                    entry = Entry.from_leaf(bytes(row.leaf))
                    admission.admit(entry, row.idx, state)
                except Rejected as r:
                    findings.append(f"entry {row.idx}: {r.code}: {r.detail}")
                if progress is not None and row.idx % 1000 == 999:
                    progress(row.idx + 1)
        return findings, state.snapshot()

    def verify(self, progress: Progress | None = None) -> list[str]:
        """Check everything stored: entries, tree, checkpoints, cosignatures, state.

        Returns one line per finding; an empty list means the board is sound.
        """
        findings: list[str] = []
        recomputed: dict[Node, bytes] = {}
        hashes_seen: set[bytes] = set()
        with self.store.read() as tx:
            size, last = 0, -1
            for row in tx.iter_entries():
                if row.idx != last + 1:
                    # the tree goes on over the rows as stored: jumping to row.idx would
                    # leave it without the left siblings its next nodes need
                    findings.append(f"entry index {row.idx} follows {last}: a gap")
                last = row.idx
                leaf = bytes(row.leaf)
                lh = leaf_hash(leaf)
                if not hmac.compare_digest(lh, bytes(row.leaf_hash)):
                    findings.append(f"entry {row.idx}: stored leaf hash does not match the leaf")
                if lh in hashes_seen:
                    findings.append(f"entry {row.idx}: a duplicate of an earlier entry")
                hashes_seen.add(lh)
                try:
                    kind = Entry.from_leaf(leaf).kind
                except Rejected:
                    kind = None  # reported by the replay below
                if kind is not None and kind != row.kind:
                    findings.append(
                        f"entry {row.idx}: stored kind {row.kind!r} is not the entry's {kind!r}"
                    )
                for node, h in completed_nodes(size, lh, recomputed.__getitem__):
                    recomputed[node] = h
                size += 1
                if progress is not None and size % 1000 == 0:
                    progress(size // 2)
            # iter_entries stops at a short batch: rows past a gap or below 0 are not read
            for row in tx.entries(-(2**63), 0) + tx.entries(last + 1, 2**63 - 1):
                findings.append(f"entry index {row.idx}: outside the log read (0..{last})")
            stored = tx.all_nodes()
            checkpoints = tx.checkpoints()
            cosigs = tx.cosignatures()
            stored_state = tx.all_state()
        inner = {n: h for n, h in recomputed.items() if n[0] > 0}
        for node in sorted(stored.keys() | inner.keys()):
            if node not in inner:
                findings.append(f"node {node}: stored but not part of the tree")
            elif node not in stored:
                findings.append(f"node {node}: missing from the store")
            elif not hmac.compare_digest(stored[node], inner[node]):
                findings.append(f"node {node}: stored hash does not match the entries")

        half = size // 2

        def second_half(done: int) -> None:
            if progress is not None:
                progress(half + done // 2)

        replay_findings, state = self._replay_log(second_half)
        findings += replay_findings
        findings += _diff_state(state, stored_state)
        findings += self._verify_checkpoints(size, recomputed, checkpoints, cosigs, state)
        if progress is not None:
            progress(size)
        return findings

    def _verify_checkpoints(
        self,
        size: int,
        nodes: dict[Node, bytes],
        checkpoints: Iterable[Any],
        cosigs: Iterable[Any],
        state: dict[tuple[str, str], str],
    ) -> list[str]:
        findings: list[str] = []
        genesis_raw = state.get((authorities.DOMAIN, "genesis"))
        if genesis_raw is None:
            return ["the board has no genesis"] if size or checkpoints else []
        genesis = json.loads(genesis_raw)
        log = Verifier.from_vkey(genesis["log_key"])
        w_raw = state.get((authorities.DOMAIN, "witnesses"))
        witnesses = authorities.witness_verifiers(json.loads(w_raw)) if w_raw else []

        def source(wanted: Iterable[Node]) -> dict[Node, bytes]:
            return {n: nodes[n] for n in wanted if n in nodes}

        texts: dict[int, str] = {}
        previous: Checkpoint | None = None
        for row in checkpoints:
            try:
                note, _ = open_note(row.note.encode(), [log])
                cp = Checkpoint.from_text(note.text)
            except (NoteError, InvalidSignature, UnverifiedNote, CheckpointError) as e:
                findings.append(f"checkpoint {row.size}: {type(e).__name__}: {e}")
                continue
            if len(note.signatures) != 1:
                findings.append(f"checkpoint {row.size}: carries signatures besides the log's")
            if cp.origin != genesis["origin"] or cp.size != row.size:
                findings.append(f"checkpoint {row.size}: origin or size does not match")
                continue
            if cp.size > size:
                findings.append(f"checkpoint {row.size}: larger than the tree ({size})")
                continue
            root = root_from(cp.size, source)
            if not hmac.compare_digest(root, cp.root_hash):
                findings.append(f"checkpoint {row.size}: root does not match the entries")
                continue
            if previous is not None and previous.size > 0:
                ranges = (
                    consistency_ranges(previous.size, cp.size) if previous.size < cp.size else []
                )
                try:
                    verify_consistency(
                        previous.size,
                        cp.size,
                        previous.root_hash,
                        cp.root_hash,
                        range_hashes(ranges, source),
                    )
                except ProofError as e:
                    findings.append(
                        f"checkpoint {row.size}: not consistent with {previous.size}: {e}"
                    )
            previous = cp
            texts[row.size] = note.text
        for c in cosigs:
            w = next((w for w in witnesses if w.name == c.witness), None)
            if w is None:
                findings.append(f"cosignature {c.size}/{c.witness}: not a witness of this board")
                continue
            if c.size not in texts:
                findings.append(
                    f"cosignature {c.size}/{c.witness}: no valid checkpoint of that size"
                )
                continue
            try:
                sig = NoteSignature.from_line(c.line)
                if sig.name != w.name:
                    raise InvalidSignature("name mismatch")
                verify_cosignature(w, texts[c.size], sig)
            except (NoteError, InvalidSignature, ValueError) as e:
                findings.append(f"cosignature {c.size}/{c.witness}: does not verify ({e})")
        return findings


def _decode(leaf: bytes, i: int, n: int) -> Entry:
    try:
        return Entry.from_leaf(leaf)
    except Rejected as r:
        raise _in_batch(r, i, n) from None


def _in_batch(r: Rejected, i: int, n: int) -> Rejected:
    if n > 1:
        r.detail = f"entry {i} of the batch: {r.detail}"
        r.args = (r.detail,)
    return r


def _diff_state(
    replayed: dict[tuple[str, str], str], stored: dict[tuple[str, str], str]
) -> list[str]:
    out = []
    for k in sorted(replayed.keys() | stored.keys()):
        a, b = replayed.get(k), stored.get(k)
        if a != b:
            what = (
                "missing from the store"
                if b is None
                else "not derived from the log"
                if a is None
                else "differs"
            )
            out.append(f"state {k[0]}/{k[1]}: {what}")
    return out

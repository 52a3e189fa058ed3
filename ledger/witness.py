"""A transparency-log witness, C2SP ``tlog-witness`` ``add-checkpoint`` semantics.

In process only: the HTTP transport (status codes, request body parsing) lives
in ``webapp/``; a refusal's :class:`RefusalReason` names the spec's status:

=====================  ======================================================
reason                 tlog-witness §add-checkpoint
=====================  ======================================================
``malformed``          400 Bad Request (also: old size above the checkpoint size)
``unknown_log``        404 Not Found (unknown origin)
``bad_signature``      403 Forbidden (no valid signature from the log's key)
``old_size_mismatch``  409 Conflict, body = the witness's size (``known_size``)
``stale``              409 Conflict: smaller than the last cosigned checkpoint
``conflicting_root``   409 Conflict: same size, another root (an alarm is kept)
``inconsistent_proof`` 422 Unprocessable Entity
=====================  ======================================================

For each origin the witness keeps only the latest checkpoint it cosigned (size
and root hash) and cosigns a new one only after a consistency proof from it;
two roots for one size are a split view and are recorded as an alarm.  The
quorum of witnesses a checkpoint needs is the board's business, not this one's.
"""

from __future__ import annotations

import hmac
import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from ledger.checkpoint import MAX_TREE_SIZE, Checkpoint, CheckpointError
from ledger.cosignature import CosignatureSigner
from ledger.merkle import EMPTY_ROOT, HASH_SIZE, ProofError, verify_consistency
from ledger.note import (
    SIG_ED25519,
    InvalidSignature,
    NoteError,
    NoteSignature,
    UnverifiedNote,
    Verifier,
    open_note,
    parse_note,
)

__all__ = [
    "MAX_PROOF_HASHES",
    "STATE_VERSION",
    "Alarm",
    "RefusalReason",
    "StateError",
    "TreeHead",
    "Witness",
    "WitnessRefusal",
    "WitnessState",
]

#: §add-checkpoint: the client MUST NOT send more than 63 consistency proof lines.
MAX_PROOF_HASHES = 63
#: The version of :meth:`WitnessState.to_json`'s document.
STATE_VERSION = 1
#: The largest time an alarm can carry as an RFC 3339 date (9999-12-31T23:59:59Z).
MAX_TIME = 253402300799

_HEX_HASH = re.compile(r"[0-9a-f]{64}")
_RFC3339_UTC = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


class RefusalReason(StrEnum):
    """Why a witness refused to cosign (see the module table)."""

    MALFORMED = "malformed"
    UNKNOWN_LOG = "unknown_log"
    BAD_SIGNATURE = "bad_signature"
    OLD_SIZE_MISMATCH = "old_size_mismatch"
    STALE = "stale"
    CONFLICTING_ROOT = "conflicting_root"
    INCONSISTENT_PROOF = "inconsistent_proof"


class WitnessRefusal(Exception):
    """The witness did not cosign.

    ``reason`` is a :class:`RefusalReason`; ``known_size`` is the size of the
    latest checkpoint the witness cosigned for the origin (0 if none), given
    when the client should learn it (``old_size_mismatch``, ``stale``,
    ``conflicting_root``), else None.
    """

    def __init__(self, reason: RefusalReason, detail: str, known_size: int | None = None) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
        self.known_size = known_size


class StateError(ValueError):
    """A witness state document that is not a valid version-1 document."""


@dataclass(frozen=True)
class TreeHead:
    """The latest checkpoint a witness cosigned for one origin."""

    size: int
    root_hash: bytes


@dataclass(frozen=True)
class Alarm:
    """Evidence of a split view: a validly signed checkpoint whose root differs
    from the one the witness cosigned at the same size.

    ``known_root`` and ``conflicting_root`` are lowercase hex; ``note`` is the
    whole offending signed note; ``time`` is POSIX seconds.
    """

    origin: str
    size: int
    known_root: str
    conflicting_root: str
    note: str
    time: int


def _rfc3339(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _from_rfc3339(s: object) -> int:
    if not isinstance(s, str) or not _RFC3339_UTC.fullmatch(s):
        raise StateError("time is not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)")
    try:
        parsed = datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise StateError(f"time {s!r} is not a valid date") from exc
    return int(parsed.timestamp())


def _uint64(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TREE_SIZE:
        raise StateError(f"{what} is not an integer in 0..2^64-1")
    return value


def _hex_hash(value: object, what: str) -> str:
    if not isinstance(value, str) or not _HEX_HASH.fullmatch(value):
        raise StateError(f"{what} is not 64 lowercase hex digits")
    return value


def _origin(value: object) -> str:
    if not isinstance(value, str):
        raise StateError("origin is not a string")
    try:
        Checkpoint(value, 0, EMPTY_ROOT)
    except CheckpointError as exc:
        raise StateError(f"invalid origin {value!r}") from exc
    return value


def _object(value: object, keys: set[str], what: str) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) != keys:
        raise StateError(f"{what} must be an object with exactly the keys {sorted(keys)}")
    return value


@dataclass
class WitnessState:
    """What a witness persists: per origin the latest cosigned tree head, and alarms.

    :meth:`to_json` writes this document (keys sorted, two-space indent, so the
    same state always gives the same text)::

        {
          "alarms": [
            {"conflicting_root": "<hex>", "known_root": "<hex>",
             "note": "<the whole signed note>", "origin": "<origin>",
             "size": <int>, "time": "<RFC 3339 UTC, e.g. 2026-01-01T00:00:00Z>"}
          ],
          "logs": {"<origin>": {"root_hash": "<64 hex>", "size": <int>}},
          "version": 1
        }

    :meth:`from_json` accepts exactly that (no missing or extra keys) or raises
    :class:`StateError`.
    """

    logs: dict[str, TreeHead] = field(default_factory=dict)
    alarms: list[Alarm] = field(default_factory=list)

    def latest(self, origin: str) -> TreeHead | None:
        """The latest tree head cosigned for ``origin``, or None."""
        return self.logs.get(origin)

    def to_json(self) -> str:
        doc = {
            "version": STATE_VERSION,
            "logs": {
                origin: {"size": head.size, "root_hash": head.root_hash.hex()}
                for origin, head in self.logs.items()
            },
            "alarms": [
                {
                    "origin": a.origin,
                    "size": a.size,
                    "known_root": a.known_root,
                    "conflicting_root": a.conflicting_root,
                    "note": a.note,
                    "time": _rfc3339(a.time),
                }
                for a in self.alarms
            ],
        }
        return json.dumps(doc, sort_keys=True, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> WitnessState:
        try:
            doc = json.loads(text)
        except (ValueError, TypeError, RecursionError) as exc:
            raise StateError("witness state is not JSON") from exc
        doc = _object(doc, {"version", "logs", "alarms"}, "witness state")
        version = doc["version"]
        if isinstance(version, bool) or version != STATE_VERSION:
            raise StateError(f"unsupported witness state version {version!r}")
        if not isinstance(doc["logs"], dict):
            raise StateError("logs must be an object")
        logs: dict[str, TreeHead] = {}
        for origin, entry in doc["logs"].items():
            entry = _object(entry, {"size", "root_hash"}, f"log {origin!r}")
            logs[_origin(origin)] = TreeHead(
                _uint64(entry["size"], "size"),
                bytes.fromhex(_hex_hash(entry["root_hash"], "root_hash")),
            )
        if not isinstance(doc["alarms"], list):
            raise StateError("alarms must be a list")
        alarms: list[Alarm] = []
        keys = {"origin", "size", "known_root", "conflicting_root", "note", "time"}
        for entry in doc["alarms"]:
            entry = _object(entry, keys, "alarm")
            if not isinstance(entry["note"], str):
                raise StateError("alarm note is not a string")
            alarms.append(
                Alarm(
                    origin=_origin(entry["origin"]),
                    size=_uint64(entry["size"], "alarm size"),
                    known_root=_hex_hash(entry["known_root"], "known_root"),
                    conflicting_root=_hex_hash(entry["conflicting_root"], "conflicting_root"),
                    note=entry["note"],
                    time=_from_rfc3339(entry["time"]),
                )
            )
        return cls(logs, alarms)


class Witness:
    """Cosigns checkpoints of known logs after checking their consistency.

    ``logs`` maps each origin to the log's Ed25519 (``0x01``) verifier, whose
    name must be the origin.  Calls are serialized by a lock: checking the old
    size and recording the new checkpoint are one atomic step, as
    §add-checkpoint requires (else a request could roll the state back).
    """

    def __init__(
        self, signer: CosignatureSigner, logs: Mapping[str, Verifier], state: WitnessState
    ) -> None:
        for origin, verifier in logs.items():
            if verifier.name != origin:
                raise ValueError(
                    f"log {origin!r}: verifier name {verifier.name!r} is not the origin"
                )
            if verifier.sig_type != SIG_ED25519:
                raise ValueError(f"log {origin!r}: verifier is not an Ed25519 (0x01) key")
        self._signer = signer
        self._logs = dict(logs)
        self._state = state
        self._lock = threading.Lock()

    @property
    def state(self) -> WitnessState:
        return self._state

    def add_checkpoint(
        self, note: bytes, old_size: int, consistency_proof: Sequence[bytes], now: int
    ) -> NoteSignature:
        """tlog-witness §add-checkpoint: cosign ``note`` or raise :class:`WitnessRefusal`.

        1. The note parses as a signed note whose text is a checkpoint (else
           ``malformed``).
        2. The origin is a known log (else ``unknown_log``).
        3. A signature from the log's key verifies, and none from it fails (else
           ``bad_signature``); other signatures are ignored.
        4. The request is well formed: ``old_size`` an integer ≥ 0, at most 63
           proof hashes of 32 bytes, a size-0 checkpoint carries the empty
           tree's root (else ``malformed``).
        5. Same size as the last cosigned checkpoint but another root: record an
           :class:`Alarm` and refuse (``conflicting_root``).
        6. Smaller than the last cosigned checkpoint: ``stale``.
        7. ``old_size`` above the checkpoint size: ``malformed``.
        8. ``old_size`` is not the size last cosigned (0 if none):
           ``old_size_mismatch`` with ``known_size`` so the client can retry.
        9. Consistency: from the empty tree (``old_size`` 0) the proof must be
           empty, as it must for the same size (whose root equals, step 5);
           otherwise ``verify_consistency`` from the last cosigned tree head
           (else ``inconsistent_proof``).
        10. Cosign at ``now``, record the checkpoint, return the signature.

        The state changes only in step 10 (and alarms in step 5).
        """
        if isinstance(now, bool) or not isinstance(now, int) or not 0 <= now <= MAX_TIME:
            raise ValueError("now must be POSIX seconds in 0..253402300799")

        # 1. Parse.
        try:
            parsed = parse_note(note)
            checkpoint = Checkpoint.from_text(parsed.text)
        except (NoteError, CheckpointError) as exc:
            raise WitnessRefusal(RefusalReason.MALFORMED, str(exc)) from exc

        # 2. Known log.
        verifier = self._logs.get(checkpoint.origin)
        if verifier is None:
            raise WitnessRefusal(RefusalReason.UNKNOWN_LOG, f"unknown origin {checkpoint.origin!r}")

        # 3. The log's signature.
        try:
            open_note(note, [verifier])
        except (UnverifiedNote, InvalidSignature) as exc:
            raise WitnessRefusal(RefusalReason.BAD_SIGNATURE, str(exc)) from exc

        # 4. Request shape.
        if isinstance(old_size, bool) or not isinstance(old_size, int) or old_size < 0:
            raise WitnessRefusal(RefusalReason.MALFORMED, "old size is not an integer ≥ 0")
        proof = list(consistency_proof)
        if len(proof) > MAX_PROOF_HASHES:
            raise WitnessRefusal(RefusalReason.MALFORMED, "more than 63 consistency proof hashes")
        if not all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in proof):
            raise WitnessRefusal(RefusalReason.MALFORMED, "a proof hash is not 32 bytes")
        if checkpoint.size == 0 and not hmac.compare_digest(checkpoint.root_hash, EMPTY_ROOT):
            raise WitnessRefusal(
                RefusalReason.MALFORMED,
                "a size-0 checkpoint must carry the empty tree's root, SHA-256 of nothing",
            )

        with self._lock:
            last = self._state.latest(checkpoint.origin)
            known_size = last.size if last is not None else 0

            # 5. Split view.
            if (
                last is not None
                and checkpoint.size == last.size
                and not hmac.compare_digest(checkpoint.root_hash, last.root_hash)
            ):
                alarm = Alarm(
                    origin=checkpoint.origin,
                    size=checkpoint.size,
                    known_root=last.root_hash.hex(),
                    conflicting_root=checkpoint.root_hash.hex(),
                    note=bytes(note).decode("utf-8"),
                    time=now,
                )
                if not any(_same_evidence(alarm, a) for a in self._state.alarms):
                    self._state.alarms.append(alarm)
                raise WitnessRefusal(
                    RefusalReason.CONFLICTING_ROOT,
                    f"size {checkpoint.size} was cosigned with another root",
                    known_size,
                )

            # 6. Stale.
            if checkpoint.size < known_size:
                raise WitnessRefusal(
                    RefusalReason.STALE,
                    f"size {checkpoint.size} is below the cosigned size {known_size}",
                    known_size,
                )

            # 7. Old size within the checkpoint.
            if old_size > checkpoint.size:
                raise WitnessRefusal(
                    RefusalReason.MALFORMED,
                    f"old size {old_size} is above the checkpoint size {checkpoint.size}",
                )

            # 8. Old size is what we cosigned.
            if old_size != known_size:
                raise WitnessRefusal(
                    RefusalReason.OLD_SIZE_MISMATCH,
                    f"old size {old_size}, but the latest cosigned size is {known_size}",
                    known_size,
                )

            # 9. Consistency.
            if old_size == 0 or old_size == checkpoint.size:
                if proof:
                    raise WitnessRefusal(
                        RefusalReason.INCONSISTENT_PROOF,
                        "the proof must be empty from the empty tree or for the same size",
                    )
            else:
                assert last is not None  # old_size == known_size > 0
                try:
                    verify_consistency(
                        last.size, checkpoint.size, last.root_hash, checkpoint.root_hash, proof
                    )
                except ProofError as exc:
                    raise WitnessRefusal(RefusalReason.INCONSISTENT_PROOF, str(exc)) from exc

            # 10. Cosign and record.
            cosignature = self._signer.cosign(parsed.text, now)
            self._state.logs[checkpoint.origin] = TreeHead(checkpoint.size, checkpoint.root_hash)
            return cosignature


def _same_evidence(a: Alarm, b: Alarm) -> bool:
    """Two alarms about the same offending note (time aside)."""
    return (a.origin, a.size, a.known_root, a.conflicting_root, a.note) == (
        b.origin,
        b.size,
        b.known_root,
        b.conflicting_root,
        b.note,
    )

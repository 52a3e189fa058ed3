"""The independent verifier of an election record (docs/election-record.md §3, steps V1–V19).

It reads nothing but the record (a JSON document) and the board's log
verifier key: no board, no database.  It uses the cryptography of ``crypto/``,
the board's pure rules for ``board.*`` entries (``ledger.authorities``), the
identity domain's pure rules and presentation check, and the voting
package's pure decoders (manifest, ballot form and hash, contest decoding,
challenge opening); the voting *state* — the trustee ceremony's outcome, the
phases, the counted set, the tally, the partials' validity and the result —
it derives itself, from the entries, and compares with what they claim.

The functions here mirror the numbered steps: ``_v1_shape`` … ``_v19_summary``.
Every finding names its step, the item that failed and the cause; all
findings are collected.  Ballots (V13) are checked on every core with a
process pool: each is independent of the others once the state of V7 as of
its index is known.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import itertools
import json
import os
from collections.abc import Callable, Hashable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crypto.bbs.batch import Batch
from crypto.contest import verify_contest
from crypto.elgamal import Ciphertext
from crypto.errors import InvalidEncoding, InvalidProof, ThresholdError
from crypto.group import GENERATOR, Point, Scalar, add_encodings
from crypto.threshold import (
    CeremonyParameters,
    CoefficientCommitments,
    Complaint,
    Dealing,
    PartialDecryption,
    Verdict,
    combine_partial_decryptions,
    joint_public_key,
    judge_answer,
    judge_complaint,
    verification_key,
    verify_commitments,
)
from ledger import authorities
from ledger.checkpoint import Checkpoint, CheckpointError
from ledger.cosignature import verify_cosignature
from ledger.domains import Domain, Overlay, View
from ledger.entry import Entry
from ledger.errors import BadSignature, BoardNotInitialised, Rejected, RoleNotAllowed, UnknownAuthor
from ledger.merkle import ProofError, leaf_hash, verify_consistency, verify_inclusion
from ledger.note import (
    SIG_COSIGNATURE_V1,
    SIG_ED25519,
    InvalidSignature,
    NoteError,
    NoteSignature,
    Verifier,
    ed25519_verify,
    parse_note,
)
from services.identity import DOMAIN as IDENTITY_DOMAIN
from services.identity.board_data import BoardData
from services.identity.errors import PresentationRejected
from services.identity.presentation import verify_presentation
from services.voting.ballot import (
    KEY_ID_HEX,
    PSEUDONYM_HEX,
    ballot_fields,
    ballot_hash,
    check_roll_signature,
    decode_contests,
    open_challenge,
    presentation_request,
)
from services.voting.manifest import CredentialRule, Manifest, election_context, manifest_hash

VERSION = 1
RECORD_TYPE = "PnyxElectionRecord"
TALLY_PREFIX = b"pnyx/voting/tally/v1\n"

STEPS: dict[str, str] = {
    "V1": "Shape",
    "V2": "Log key",
    "V3": "Checkpoints",
    "V4": "Consistency",
    "V5": "Cosignatures",
    "V6": "Inclusion",
    "V7": "Entries",
    "V8": "Sections and span",
    "V9": "Manifest",
    "V10": "Trustee ceremony",
    "V11": "Joint key and context",
    "V12": "Phases and times",
    "V13": "Ballots",
    "V14": "Challenges",
    "V15": "Uniqueness and the counted set",
    "V16": "Tally",
    "V17": "Partial decryptions",
    "V18": "Result",
    "V19": "Summary",
}

TOP_MEMBERS = (
    "version",
    "type",
    "election",
    "checkpoints",
    "consistency",
    "board",
    "eligibility",
    "election_entries",
    "other",
    "summary",
)
SINGLE = ("manifest", "joint_key", "open", "close", "tally", "result")
MULTI = ("ceremony", "ballots", "challenges", "partials")
SECTION_KINDS: dict[str, tuple[str, ...]] = {
    "manifest": ("voting.election",),
    "ceremony": (
        "voting.trustee_commit",
        "voting.trustee_reveal",
        "voting.trustee_complaint",
        "voting.trustee_answer",
    ),
    "joint_key": ("voting.joint_key",),
    "open": ("voting.open",),
    "ballots": ("voting.ballot",),
    "challenges": ("voting.challenge",),
    "close": ("voting.close",),
    "tally": ("voting.tally",),
    "partials": ("voting.partial",),
    "result": ("voting.result",),
}
VOTING_ROLES: dict[str, str] = {
    "voting.election": "election_official",
    "voting.trustee_commit": "trustee",
    "voting.trustee_reveal": "trustee",
    "voting.trustee_complaint": "trustee",
    "voting.trustee_answer": "trustee",
    "voting.joint_key": "election_official",
    "voting.open": "election_official",
    "voting.ballot": "ballot_box",
    "voting.challenge": "ballot_box",
    "voting.close": "election_official",
    "voting.tally": "election_official",
    "voting.partial": "trustee",
    "voting.result": "election_official",
}
SUMMARY_MEMBERS = (
    "manifest",
    "manifest_hash",
    "context",
    "joint_key",
    "verification_keys",
    "qualified",
    "counted",
    "challenged",
    "tally",
    "used",
    "excluded",
    "totals",
)

INVALID = "invalid"
INCOMPLETE = "incomplete"
VALID = "valid"

Progress = Callable[[int, int], None]
"""Called with (ballots checked, ballots in all)."""


class RecordError(ValueError):
    """The verifier cannot start: the verifier key or the file cannot be used at all."""


# ------------------------------------------------------------------ the report


@dataclass(frozen=True)
class Finding:
    step: str
    item: str
    detail: str
    severity: str = INVALID

    def to_json(self) -> dict[str, str]:
        return {"item": self.item, "detail": self.detail, "severity": self.severity}


@dataclass(frozen=True)
class StepReport:
    step: str
    title: str
    checked: int
    findings: tuple[Finding, ...]

    @property
    def passed(self) -> bool:
        return not self.findings

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "title": self.title,
            "checked": self.checked,
            "passed": self.passed,
            "findings": [f.to_json() for f in self.findings],
        }


@dataclass(frozen=True)
class Report:
    """The outcome of every step, and the status (docs/election-record.md §4)."""

    election: str | None
    steps: tuple[StepReport, ...]

    @property
    def findings(self) -> list[Finding]:
        return [f for s in self.steps for f in s.findings]

    @property
    def status(self) -> str:
        severities = {f.severity for f in self.findings}
        if INVALID in severities:
            return INVALID
        if INCOMPLETE in severities:
            return INCOMPLETE
        return VALID

    @property
    def exit_code(self) -> int:
        return {VALID: 0, INVALID: 1, INCOMPLETE: 2}[self.status]

    def step(self, name: str) -> StepReport:
        return next(s for s in self.steps if s.step == name)

    def failed_steps(self) -> list[str]:
        return [s.step for s in self.steps if not s.passed]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "election": self.election,
            "status": self.status,
            "steps": [s.to_json() for s in self.steps],
        }


class _Findings:
    def __init__(self) -> None:
        self.found: dict[str, list[Finding]] = {s: [] for s in STEPS}
        self.checked: dict[str, int] = dict.fromkeys(STEPS, 0)

    def fail(self, step: str, item: str, detail: str, severity: str = INVALID) -> None:
        self.found[step].append(Finding(step, item, detail, severity))

    def skip(self, step: str, why: str) -> None:
        self.fail(step, "-", f"not run: {why}", INCOMPLETE)

    def count(self, step: str, n: int = 1) -> None:
        self.checked[step] += n

    def report(self, election: str | None) -> Report:
        return Report(
            election,
            tuple(
                StepReport(s, t, self.checked[s], tuple(self.found[s])) for s, t in STEPS.items()
            ),
        )


# ------------------------------------------------------------------ entry items


@dataclass
class _Item:
    """One entry item of the record: where it is, its index, its bytes and proof."""

    where: str
    index: int
    leaf: bytes
    path: list[bytes]
    entry: Entry | None = None
    author_key: bytes | None = None
    """The author's public key as of the entry's index (V7), once known."""
    epoch: int = 0
    """Which state snapshot of V7 was in force at the entry's index."""

    @property
    def name(self) -> str:
        return f"{self.where} (entry {self.index})"

    @property
    def tracker(self) -> str:
        return leaf_hash(self.leaf).hex()


def _parse_item(doc: Any, where: str, f: _Findings) -> _Item | None:
    if not isinstance(doc, dict) or set(doc) != {"index", "leaf", "path"}:
        f.fail("V1", where, "an entry item is exactly {index, leaf, path}")
        return None
    index, leaf, path = doc["index"], doc["leaf"], doc["path"]
    if type(index) is not int or index < 0:
        f.fail("V1", where, "index is an integer ≥ 0")
        return None
    try:
        if not isinstance(leaf, str):
            raise ValueError
        raw = base64.b64decode(leaf, validate=True)
        if base64.b64encode(raw).decode("ascii") != leaf:
            raise ValueError
    except (ValueError, binascii.Error):
        f.fail("V1", f"{where} (entry {index})", "leaf is not canonical padded base64")
        return None
    if not isinstance(path, list) or not all(
        isinstance(h, str) and len(h) == 64 and h == h.lower() for h in path
    ):
        f.fail("V1", f"{where} (entry {index})", "path is a list of 64-hex-digit hashes")
        return None
    try:
        hashes = [bytes.fromhex(h) for h in path]
    except ValueError:
        f.fail("V1", f"{where} (entry {index})", "path is a list of 64-hex-digit hashes")
        return None
    return _Item(where, index, raw, hashes)


# ------------------------------------------------------------------ state snapshots


class _SnapshotData:
    """Board and identity state (V7) as of one index, for the presentation check."""

    def __init__(self, state: dict[tuple[str, str], str]) -> None:
        self._state = state
        self._cache: dict[tuple[str, str], Any] = {}

    def get(self, domain: str, key: str) -> Any:
        k = (domain, key)
        if k not in self._cache:
            raw = self._state.get(k)
            self._cache[k] = None if raw is None else json.loads(raw)
        return self._cache[k]

    def scan(self, domain: str, prefix: str) -> list[tuple[str, Any]]:
        return sorted(
            (k, json.loads(v))
            for (d, k), v in self._state.items()
            if d == domain and k.startswith(prefix)
        )

    def board_data(self) -> BoardData:
        return BoardData(self.get, self.scan)


# ------------------------------------------------------------------ ballot worker


@dataclass(frozen=True)
class _BallotJob:
    """What a worker needs to check a chunk of ballots (V13 and their signatures, V7)."""

    manifest: dict[str, Any]
    context: bytes
    key: bytes
    snapshots: dict[int, dict[tuple[str, str], str]]
    ballots: list[tuple[int, int, bytes, bytes | None, int]]
    """(position, index, leaf, author key or None, epoch)."""


@dataclass
class _BallotResult:
    position: int
    valid: bool
    problems: list[tuple[str, str]] = field(default_factory=list)
    """(step, detail) pairs."""
    election: str | None = None
    voter: str | None = None
    hash: str | None = None
    ciphertexts: list[bytes] = field(default_factory=list)
    """The option ciphertexts in contest then option order, 64 bytes each."""


def _check_ballots(job: _BallotJob) -> list[_BallotResult]:
    manifest = Manifest.from_json(job.manifest)
    shapes = manifest.shapes
    key = Point.from_bytes(job.key)
    datas: dict[int, BoardData] = {}
    out = []
    # The presentations' last equations (range MSM, pairing) are checked for the whole
    # chunk at once (crypto/bbs/batch.py); those the batch names are verified again alone.
    batch = Batch()
    again: dict[Hashable, tuple[_BallotResult, Callable[[], str | None]]] = {}
    for position, _index, leaf, author_key, epoch in job.ballots:
        res = _BallotResult(position, True)
        out.append(res)
        try:
            entry = Entry.from_leaf(leaf)
        except Rejected as e:
            res.valid = False
            res.problems.append(("V7", f"does not decode: {e.detail}"))
            continue
        if author_key is not None and not ed25519_verify(
            author_key, entry.signed_bytes(), entry.signature
        ):
            res.problems.append(("V7", "the entry's signature does not verify"))
        body = entry.body
        if set(body) != {"ballot", "eligibility"}:
            res.valid = False
            res.problems.append(("V13", "a ballot entry's body is exactly {ballot, eligibility}"))
            continue
        try:
            election, voter, contests = ballot_fields(body["ballot"])
        except Rejected as e:
            res.valid = False
            res.problems.append(("V13", e.detail))
            continue
        h_b = ballot_hash(body["ballot"])
        res.election, res.voter, res.hash = election, voter, h_b.hex()
        if election != manifest.id:
            res.valid = False
            res.problems.append(("V13", f"the ballot is for election {election!r}"))
            continue
        credential = isinstance(manifest.eligibility, CredentialRule)
        if len(voter) != (PSEUDONYM_HEX if credential else KEY_ID_HEX):
            res.valid = False
            res.problems.append(("V13", "the voter has the wrong length for this election"))
            continue
        try:
            decoded = decode_contests(contests, shapes)
        except Rejected as e:
            res.valid = False
            res.problems.append(("V13", e.detail))
            continue
        prover = bytes.fromhex(voter)
        for c, (shape, contest) in enumerate(zip(shapes, decoded, strict=True)):
            try:
                verify_contest(key, shape, contest, context=job.context, prover=prover)
            except InvalidProof as e:
                res.valid = False
                res.problems.append(("V13", f"contest {c} ({shape.contest_id.decode()}): {e}"))
        res.ciphertexts = [ct.to_bytes() for contest in decoded for ct in contest.ciphertexts]
        if epoch not in datas:
            datas[epoch] = _SnapshotData(job.snapshots.get(epoch, {})).board_data()
        check = functools.partial(
            _eligibility_problem, manifest, datas[epoch], body["eligibility"], voter, h_b
        )
        with batch.collect(position):
            problem = check()
        if problem is not None:
            batch.discard(position)
            res.valid = False
            res.problems.append(("V13", problem))
        else:
            again[position] = (res, check)
    for tag in batch.failed():
        failed, recheck = again[tag]
        failed.valid = False
        failed.problems.append(("V13", recheck() or "eligibility: the presentation fails"))
    return out


def _eligibility_problem(
    manifest: Manifest, data: BoardData, eligibility: Any, voter: str, h_b: bytes
) -> str | None:
    """docs/voting.md §5, rebuilt from the manifest and the ballot; None when eligible."""
    rule = manifest.eligibility
    if not isinstance(rule, CredentialRule):
        if not isinstance(eligibility, dict) or set(eligibility) != {"key", "signature"}:
            return "eligibility: a roll ballot's eligibility is {key, signature}"
        try:
            key = check_roll_signature(eligibility, voter, h_b)
        except Rejected as e:
            return f"eligibility: {e.detail}"
        if key not in rule.voters:
            return "eligibility: the key is not on the election's roll"
        return None
    if not isinstance(eligibility, dict) or set(eligibility) != {"presentation"}:
        return "eligibility: a credential ballot's eligibility is {presentation}"
    request = presentation_request(rule, manifest.id, h_b)
    try:
        verified = verify_presentation(data, request, eligibility["presentation"])
    except PresentationRejected as e:
        return f"eligibility: presentation refused ({e.reason}): {e.detail}"
    except Rejected as e:
        return f"eligibility: presentation refused: {e.detail}"
    for name, value in rule.attributes:
        if verified.disclosed.get(name) != value:
            return f"eligibility: the credential's {name} is not the required {value!r}"
    if verified.pseudonym != voter:
        return "eligibility: the presentation proves another pseudonym than the ballot's voter"
    return None


# ------------------------------------------------------------------ the verifier


def _time(t: str) -> datetime:
    return datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _add_point(a: bytes, b: bytes) -> bytes:
    return add_encodings(a, b)


class _Verifier:
    def __init__(self, record: Any, vkey: str, workers: int | None, progress: Progress | None):
        self.record = record
        self.vkey = vkey
        self.workers = workers
        self.progress = progress
        self.f = _Findings()
        self.election: str | None = None
        self.items: list[_Item] = []
        self.sections: dict[str, list[_Item]] = {}
        self.single: dict[str, _Item | None] = {}
        self.board_items: list[_Item] = []
        self.eligibility_items: list[_Item] = []
        self.other_items: list[_Item] = []
        self.checkpoints: list[tuple[Checkpoint, str, tuple[NoteSignature, ...]]] = []
        self.consistency: list[list[bytes]] = []
        self.log: Verifier | None = None
        self.snapshots: dict[int, dict[tuple[str, str], str]] = {}
        self.genesis: dict[str, Any] | None = None
        self.witness_entries: list[tuple[int, dict[str, Any]]] = []
        self.manifest: Manifest | None = None
        self.manifest_body: dict[str, Any] | None = None
        self.h_m: bytes | None = None
        self.qual: list[int] | None = None
        self.commitments: dict[int, CoefficientCommitments] = {}
        self.key: Point | None = None
        self.vks: list[Point] | None = None
        self.h_c: bytes | None = None
        self.ballot_results: dict[int, _BallotResult] = {}
        self.counted: list[tuple[_Item, _BallotResult]] | None = None
        self.tally: list[list[bytes]] | None = None
        self.h_t: bytes | None = None
        self.valid_partials: dict[int, list[list[PartialDecryption]]] = {}
        self.invalid_partials: dict[int, str] = {}
        self.used: list[int] | None = None
        self.totals: list[list[int]] | None = None
        self.challenged_trackers: list[str] = []
        self.missing: set[str] = set()

    # ------------------------------------------------------------ V1

    def v1_shape(self) -> bool:
        f, r = self.f, self.record
        f.count("V1")
        if not isinstance(r, dict):
            f.fail("V1", "record", "the record is not a JSON object")
            return False
        missing = [m for m in TOP_MEMBERS if m not in r]
        self.missing.update(missing)
        for m in missing:
            f.fail("V1", m, "required member is missing", INCOMPLETE)
        extra = sorted(set(r) - set(TOP_MEMBERS))
        if extra:
            f.fail("V1", "record", f"unknown members {extra}")
        if "version" in r and r["version"] != VERSION:
            f.fail("V1", "version", f"version must be {VERSION}")
        if "type" in r and r["type"] != RECORD_TYPE:
            f.fail("V1", "type", f"type must be {RECORD_TYPE!r}")
        if "election" in r:
            if isinstance(r["election"], str):
                self.election = r["election"]
            else:
                f.fail("V1", "election", "election is a string")

        def items(value: Any, where: str) -> list[_Item]:
            if not isinstance(value, list):
                f.fail("V1", where, "must be a list of entry items")
                return []
            out = []
            for k, doc in enumerate(value):
                it = _parse_item(doc, f"{where}[{k}]", f)
                if it is not None:
                    out.append(it)
            for a, b in itertools.pairwise(out):
                if b.index <= a.index:
                    f.fail("V1", b.name, f"{where} is not in increasing index order")
            return out

        self.board_items = items(r["board"], "board") if "board" in r else []
        self.eligibility_items = (
            items(r["eligibility"], "eligibility") if "eligibility" in r else []
        )
        self.other_items = items(r["other"], "other") if "other" in r else []
        ee = r.get("election_entries")
        if "election_entries" in r and not isinstance(ee, dict):
            f.fail("V1", "election_entries", "must be an object")
            ee = None
        if isinstance(ee, dict):
            for name in (*SINGLE, *MULTI):
                if name not in ee:
                    self.missing.add(f"election_entries.{name}")
                    f.fail(
                        "V1", f"election_entries.{name}", "required member is missing", INCOMPLETE
                    )
            extra = sorted(set(ee) - set(SINGLE) - set(MULTI))
            if extra:
                f.fail("V1", "election_entries", f"unknown members {extra}")
            for name in SINGLE:
                if name in ee:
                    self.single[name] = _parse_item(ee[name], f"election_entries.{name}", f)
            for name in MULTI:
                if name in ee:
                    self.sections[name] = items(ee[name], f"election_entries.{name}")
        for name in SINGLE:
            self.single.setdefault(name, None)
        for name in MULTI:
            self.sections.setdefault(name, [])
        self.items = [
            *self.board_items,
            *self.eligibility_items,
            *(it for it in self.single.values() if it is not None),
            *(it for name in MULTI for it in self.sections[name]),
            *self.other_items,
        ]
        seen: dict[int, _Item] = {}
        for it in self.items:
            if it.index in seen:
                f.fail("V1", it.name, f"index {it.index} is also {seen[it.index].where}")
            seen[it.index] = it
        if "checkpoints" in r:
            cps = r["checkpoints"]
            if not isinstance(cps, list) or not all(isinstance(c, str) for c in cps):
                f.fail("V1", "checkpoints", "must be a list of note texts")
        if "consistency" in r:
            cons = r["consistency"]
            ok = isinstance(cons, list) and all(
                isinstance(p, list)
                and all(isinstance(h, str) and len(h) == 64 and h == h.lower() for h in p)
                for p in cons
            )
            if ok:
                try:
                    self.consistency = [[bytes.fromhex(h) for h in p] for p in cons]
                except ValueError:
                    ok = False
            if not ok:
                f.fail("V1", "consistency", "must be a list of lists of 64-hex-digit hashes")
        if "summary" in r and not isinstance(r["summary"], dict):
            f.fail("V1", "summary", "must be an object")
        for it in self.items:
            try:
                it.entry = Entry.from_leaf(it.leaf)
            except Rejected as e:
                f.fail("V7", it.name, f"the leaf does not decode as an entry: {e.detail}")
        return True

    # ------------------------------------------------------------ V2

    def v2_log_key(self) -> None:
        f = self.f
        f.count("V2")
        try:
            log = Verifier.from_vkey(self.vkey)
        except NoteError as e:
            f.fail("V2", "vkey", f"not a signed-note verifier key: {e}")
            return
        if log.sig_type != SIG_ED25519:
            f.fail("V2", "vkey", "the log key must be an Ed25519 (0x01) note key")
            return
        self.log = log
        first = self.board_items[0] if self.board_items else None
        if first is None or first.entry is None:
            f.fail("V2", "board[0]", "the record has no genesis entry", INCOMPLETE)
            return
        if first.index != 0 or first.entry.kind != authorities.GENESIS:
            f.fail("V2", first.name, "the first board entry is not the genesis at index 0")
            return
        body = first.entry.body
        self.genesis = body
        if body.get("log_key") != self.vkey:
            f.fail("V2", first.name, "the genesis names another log key than --vkey")
        if body.get("origin") != log.name:
            f.fail("V2", first.name, "the genesis origin is not the log key's name")

    # ------------------------------------------------------------ V3–V5

    def v3_checkpoints(self) -> None:
        f = self.f
        cps = self.record.get("checkpoints") if isinstance(self.record, dict) else None
        if not isinstance(cps, list) or not cps:
            f.fail("V3", "checkpoints", "the record has no checkpoint", INCOMPLETE)
            return
        if self.log is None:
            f.skip("V3", "no usable log key (V2)")
            return
        last = -1
        for k, text in enumerate(cps):
            f.count("V3")
            where = f"checkpoints[{k}]"
            if not isinstance(text, str):
                continue
            try:
                note = parse_note(text.encode("utf-8"))
                cp = Checkpoint.from_text(note.text)
            except (NoteError, CheckpointError) as e:
                f.fail("V3", where, f"not a signed checkpoint: {e}")
                continue
            if cp.origin != self.log.name:
                f.fail("V3", where, f"origin {cp.origin!r} is not the log's")
                continue
            logsigs = [s for s in note.signatures if self.log.matches(s)]
            if not logsigs:
                f.fail("V3", where, "carries no signature by the log key")
                continue
            if not all(self.log.verify(note.text.encode("utf-8"), s.signature) for s in logsigs):
                f.fail("V3", where, "the log's signature does not verify")
                continue
            if cp.size <= last:
                f.fail("V3", where, f"size {cp.size} does not increase (after {last})")
                continue
            last = cp.size
            others = tuple(s for s in note.signatures if not self.log.matches(s))
            self.checkpoints.append((cp, note.text, others))

    def v4_consistency(self) -> None:
        f = self.f
        cps = self.checkpoints
        if not cps:
            f.skip("V4", "no valid checkpoint (V3)")
            return
        raw = self.record.get("checkpoints")
        if isinstance(raw, list) and len(self.consistency) != len(raw) - 1:
            f.fail(
                "V4", "consistency", f"{len(self.consistency)} proofs for {len(raw)} checkpoints"
            )
        for k, ((a, _, _), (b, _, _)) in enumerate(itertools.pairwise(cps)):
            f.count("V4")
            if k >= len(self.consistency):
                break
            if a.size == 0:
                continue
            try:
                verify_consistency(a.size, b.size, a.root_hash, b.root_hash, self.consistency[k])
            except ProofError as e:
                f.fail("V4", f"consistency[{k}]", f"{a.size} → {b.size}: {e}")

    def v5_cosignatures(self) -> None:
        f = self.f
        if not self.checkpoints:
            f.skip("V5", "no valid checkpoint (V3)")
            return
        final = self.checkpoints[-1][0]
        body: dict[str, Any] | None = None
        for it in self.board_items:
            if it.entry is not None and it.entry.kind == authorities.WITNESSES:
                if it.index < final.size:
                    body = it.entry.body
        witnesses: list[Verifier] = []
        quorum = 0
        if body is not None:
            try:
                witnesses = authorities.witness_verifiers(body)
                quorum = int(body["quorum"])
            except (Rejected, KeyError, ValueError, TypeError) as e:
                f.fail("V5", "board.witnesses", f"unusable witness list: {e}")
        for k, (cp, text, sigs) in enumerate(self.checkpoints):
            good: set[str] = set()
            for sig in sigs:
                f.count("V5")
                w = next((w for w in witnesses if w.matches(sig)), None)
                where = f"checkpoints[{k}] (size {cp.size}) / {sig.name}"
                if w is None or w.sig_type != SIG_COSIGNATURE_V1:
                    f.fail("V5", where, "a signature by neither the log nor a registered witness")
                    continue
                try:
                    verify_cosignature(w, text, sig)
                except (InvalidSignature, NoteError) as e:
                    f.fail("V5", where, f"the cosignature does not verify: {e}")
                    continue
                good.add(w.name)
            if k == len(self.checkpoints) - 1 and len(good) < quorum:
                f.fail(
                    "V5",
                    f"checkpoints[{k}] (size {cp.size})",
                    f"cosigned by {len(good)} witnesses, the quorum is {quorum}: not final",
                    INCOMPLETE,
                )

    # ------------------------------------------------------------ V6

    def v6_inclusion(self) -> None:
        f = self.f
        if not self.checkpoints:
            f.skip("V6", "no final checkpoint (V3)")
            return
        final = self.checkpoints[-1][0]
        for it in self.items:
            f.count("V6")
            try:
                verify_inclusion(leaf_hash(it.leaf), it.index, final.size, it.path, final.root_hash)
            except ProofError as e:
                f.fail("V6", it.name, f"not in the final checkpoint's tree: {e}")

    # ------------------------------------------------------------ V7

    def v7_entries(self) -> None:
        """Replay board.* and identity.* entries; authors, roles and signatures of all others.

        Ballot signatures are checked with the ballots (V13, in the worker pool).
        """
        f = self.f
        domains: dict[str, Domain] = {"board": authorities.BOARD, "identity": IDENTITY_DOMAIN}
        state = Overlay()
        epoch = 0
        self.snapshots[0] = {}
        replayed = [*self.board_items, *self.eligibility_items]
        voting = [
            *(it for it in self.single.values() if it is not None),
            *(it for name in MULTI for it in self.sections[name]),
        ]
        for it in sorted([*replayed, *voting], key=lambda x: x.index):
            e = it.entry
            if e is None:
                continue
            f.count("V7")
            dname = e.kind.split(".", 1)[0]
            if dname in domains and it in replayed:
                try:
                    kind = next(k for k in domains[dname].kinds if k.name == e.kind)
                except StopIteration:
                    f.fail("V7", it.name, f"unknown kind {e.kind}")
                    continue
                try:
                    self._admit(it, kind.role, state, kind.check, kind.apply)
                except Rejected as r:
                    f.fail("V7", it.name, f"{r.code}: {r.detail}")
                    continue
                epoch += 1
                self.snapshots[epoch] = state.snapshot()
                continue
            role = VOTING_ROLES.get(e.kind)
            if role is None:
                f.fail("V7", it.name, f"{e.kind} is not a voting kind")
                continue
            author = authorities.authority(View(state, "board", it.index, None), e.author)
            if author is None:
                f.fail("V7", it.name, "its author is not a registered, unrevoked authority")
            elif role not in author.roles:
                f.fail("V7", it.name, f"its author {author.name} lacks the role {role}")
            else:
                it.author_key = author.public_key
            it.epoch = epoch
            if (
                e.kind != "voting.ballot"
                and it.author_key is not None
                and not ed25519_verify(it.author_key, e.signed_bytes(), e.signature)
            ):
                f.fail("V7", it.name, "the entry's signature does not verify")

    def _admit(
        self,
        it: _Item,
        role: str,
        state: Overlay,
        check: Callable[[Entry, View], None],
        apply: Callable[[Entry, View], None],
    ) -> None:
        e = it.entry
        assert e is not None
        board_view = View(state, "board", it.index, None)
        domain = e.kind.split(".", 1)[0]
        if e.kind == authorities.GENESIS:
            check(e, board_view)
            author = authorities.genesis_root(e)
        else:
            if state.get("board", "genesis") is None:
                raise BoardNotInitialised("no genesis before this entry")
            found = authorities.authority(board_view, e.author)
            if found is None:
                raise UnknownAuthor("its author is not a registered, unrevoked authority")
            author = found
        if not ed25519_verify(author.public_key, e.signed_bytes(), e.signature):
            raise BadSignature("the entry's signature does not verify")
        if e.kind != authorities.GENESIS and role not in author.roles:
            raise RoleNotAllowed(f"its author {author.name} lacks the role {role}")
        view = View(state, domain, it.index, author)
        check(e, view)
        apply(e, view)

    # ------------------------------------------------------------ V8

    def v8_sections(self) -> None:
        f = self.f
        for name, it in self.single.items():
            if it is not None:
                self._section_kind(name, it)
        for name in MULTI:
            for it in self.sections[name]:
                self._section_kind(name, it)
        for it in self.board_items:
            f.count("V8")
            if it.entry is not None and not it.entry.kind.startswith("board."):
                f.fail("V8", it.name, f"a {it.entry.kind} entry in the board section")
        issuer_kid = self._issuer_key_id()
        for it in self.eligibility_items:
            f.count("V8")
            if it.entry is None:
                continue
            if not it.entry.kind.startswith("identity."):
                f.fail("V8", it.name, f"a {it.entry.kind} entry in the eligibility section")
            elif issuer_kid is not None and it.entry.author != issuer_kid:
                f.fail("V8", it.name, "an identity entry by another authority than the issuer")
        first, last = self.single.get("manifest"), self.single.get("result")
        if first is None or last is None:
            f.fail(
                "V8",
                "election_entries",
                "no manifest or no result: the election's span is unknown",
                INCOMPLETE,
            )
            return
        lo, hi = first.index, last.index
        for it in self.eligibility_items:
            if it.index > hi:
                f.fail("V8", it.name, "after the election's result")
        for it in self.other_items:
            f.count("V8")
            if not lo <= it.index <= hi:
                f.fail("V8", it.name, f"outside the election's span {lo}..{hi}")
            e = it.entry
            if e is None:
                continue
            if e.kind.startswith("board."):
                f.fail("V8", it.name, "a board entry belongs in the board section")
            elif e.kind.startswith("identity.") and e.author == issuer_kid:
                f.fail("V8", it.name, "an entry of the issuer belongs in the eligibility section")
            elif e.kind.startswith("voting.") and self._election_of(e) == self.election:
                f.fail("V8", it.name, "an entry of this election hidden among the others")
        present = {it.index for it in self.items}
        gaps = [i for i in range(lo, hi + 1) if i not in present]
        for i in gaps[:50]:
            f.fail("V8", f"entry {i}", f"missing from the record inside the span {lo}..{hi}")
        if len(gaps) > 50:
            f.fail("V8", "span", f"{len(gaps) - 50} more indices missing")
        f.count("V8", hi - lo + 1)

    def _section_kind(self, name: str, it: _Item) -> None:
        self.f.count("V8")
        e = it.entry
        if e is None:
            return
        if e.kind not in SECTION_KINDS[name]:
            self.f.fail("V8", it.name, f"a {e.kind} entry in the {name} section")
        elif self._election_of(e) != self.election:
            self.f.fail("V8", it.name, f"an entry of election {self._election_of(e)!r}")

    @staticmethod
    def _election_of(e: Entry) -> Any:
        body = e.body
        if e.kind == "voting.election":
            return body.get("id")
        if e.kind in ("voting.ballot", "voting.challenge"):
            ballot = body.get("ballot")
            return ballot.get("election") if isinstance(ballot, dict) else None
        return body.get("election")

    def _issuer_key_id(self) -> str | None:
        m = self.single.get("manifest")
        if m is None or m.entry is None:
            return None
        elig = m.entry.body.get("eligibility")
        if not isinstance(elig, dict) or elig.get("type") != "credential":
            return None
        for it in self.board_items:
            e = it.entry
            if e is not None and e.kind == authorities.AUTHORITY:
                if e.body.get("name") == elig.get("issuer"):
                    pk = e.body.get("public_key")
                    if isinstance(pk, str):
                        return hashlib.sha256(bytes.fromhex(pk)).hexdigest()
        return None

    # ------------------------------------------------------------ V9

    def v9_manifest(self) -> None:
        f = self.f
        it = self.single.get("manifest")
        if it is None or it.entry is None:
            f.skip("V9", "no manifest entry")
            return
        f.count("V9")
        body = it.entry.body
        try:
            self.manifest = Manifest.from_json(body)
        except Rejected as e:
            f.fail("V9", it.name, f"not a valid manifest: {e.detail}")
            return
        self.manifest_body = body
        self.h_m = manifest_hash(body)
        if self.manifest.id != self.election:
            f.fail("V9", it.name, f"the manifest is of election {self.manifest.id!r}")
        snap = _SnapshotData(self.snapshots.get(it.epoch, {}))
        for t in self.manifest.trustees:
            a = snap.get("board", f"authority/{t.key_id}")
            if a is None or "trustee" not in a.get("roles", []):
                f.fail("V9", f"trustee {t.index}", "not a registered authority with role trustee")
        rule = self.manifest.eligibility
        if isinstance(rule, CredentialRule):
            if snap.board_data().schema(rule.issuer, rule.schema) is None:
                f.fail("V9", it.name, f"no schema {rule.issuer}/{rule.schema} before the manifest")

    # ------------------------------------------------------------ V10–V11

    def v10_ceremony(self) -> None:
        f = self.f
        m = self.manifest
        if m is None or self.h_m is None:
            f.skip("V10", "no valid manifest (V9)")
            return
        n, k = len(m.trustees), m.threshold
        params = CeremonyParameters(self.h_m, k, n)
        commits: dict[int, bytes] = {}
        dealings: dict[int, Dealing] = {}
        complaints: dict[tuple[int, int], str] = {}
        faults: set[int] = set()
        for it in self.sections["ceremony"]:
            e = it.entry
            if e is None:
                continue
            f.count("V10")
            b = e.body
            try:
                self._ceremony_step(it, e, b, params, commits, dealings, complaints, faults)
            except (KeyError, TypeError, ValueError, InvalidEncoding) as exc:
                f.fail("V10", it.name, f"malformed ceremony entry: {exc}")
        pending = {i for (i, _), v in complaints.items() if v == Verdict.ANSWER_REQUIRED.value}
        self.qual = sorted(i for i in self.commitments if i not in faults and i not in pending)
        if len(self.qual) < k:
            f.fail("V10", "QUAL", f"{len(self.qual)} qualified trustees, the threshold is {k}")

    def _ceremony_step(
        self,
        it: _Item,
        e: Entry,
        b: dict[str, Any],
        params: CeremonyParameters,
        commits: dict[int, bytes],
        dealings: dict[int, Dealing],
        complaints: dict[tuple[int, int], str],
        faults: set[int],
    ) -> None:
        f = self.f
        m = self.manifest
        assert m is not None
        n = len(m.trustees)

        def acting(i: Any) -> bool:
            if type(i) is not int or not 1 <= i <= n:
                f.fail("V10", it.name, f"trustee index {i!r} is not in 1..{n}")
                return False
            if e.author != m.trustees[i - 1].key_id:
                f.fail("V10", it.name, f"the author is not trustee {i}")
                return False
            return True

        if e.kind == "voting.trustee_commit":
            i = b["trustee"]
            if not acting(i):
                return
            if self.commitments:
                f.fail("V10", it.name, "a commitment after the first reveal")
            elif i in commits:
                f.fail("V10", it.name, f"trustee {i} commits twice")
            else:
                commits[i] = bytes.fromhex(b["digest"])
        elif e.kind == "voting.trustee_reveal":
            i = b["trustee"]
            if not acting(i):
                return
            if i not in commits:
                f.fail("V10", it.name, f"trustee {i} reveals without a commitment")
                return
            if i in self.commitments:
                f.fail("V10", it.name, f"trustee {i} reveals twice")
                return
            if len(commits) < params.threshold:
                f.fail("V10", it.name, "a reveal before k commitments")
                return
            cc = CoefficientCommitments.from_bytes(
                bytes.fromhex(b["commitments"]), params.threshold
            )
            dealing = Dealing.from_bytes(bytes.fromhex(b["dealing"]))
            if cc.dealer != i or dealing.dealer != i:
                f.fail("V10", it.name, f"the commitments or dealing are not trustee {i}'s")
                return
            try:
                verify_commitments(params, cc, commits[i])
            except (ThresholdError, InvalidProof) as exc:
                f.fail("V10", it.name, f"trustee {i}'s commitments: {exc}")
                return
            if set(dealing.boxes) != set(range(1, n + 1)) - {i}:
                f.fail("V10", it.name, f"trustee {i}'s dealing lacks a box for another trustee")
                return
            self.commitments[i] = cc
            dealings[i] = dealing
        elif e.kind == "voting.trustee_complaint":
            c = Complaint.from_bytes(bytes.fromhex(b["complaint"]))
            if not acting(c.recipient):
                return
            i, j = c.dealer, c.recipient
            if i == j or i not in self.commitments or (i, j) in complaints:
                f.fail("V10", it.name, f"complaint {j} → {i}: self, unrevealed dealer or repeat")
                return
            verdict = judge_complaint(
                params, self.commitments[i], dealings[i], c, bytes.fromhex(m.trustees[j - 1].box)
            )
            complaints[(i, j)] = verdict.value
            if verdict is Verdict.DEALER_AT_FAULT:
                faults.add(i)
        elif e.kind == "voting.trustee_answer":
            i, j = b["trustee"], b["recipient"]
            if not acting(i):
                return
            if complaints.get((i, j)) != Verdict.ANSWER_REQUIRED.value:
                f.fail("V10", it.name, f"an answer of {i} to no pending complaint of {j}")
                return
            share = bytes.fromhex(b["share"])
            if judge_answer(self.commitments[i], j, share):
                complaints[(i, j)] = "answered"
            else:
                complaints[(i, j)] = Verdict.DEALER_AT_FAULT.value
                faults.add(i)

    def v11_joint_key(self) -> None:
        f = self.f
        it = self.single.get("joint_key")
        if it is None or it.entry is None:
            f.skip("V11", "no joint key entry")
            return
        if self.qual is None or self.manifest is None or self.h_m is None:
            f.skip("V11", "no ceremony outcome (V10)")
            return
        f.count("V11")
        b = it.entry.body
        if set(b) != {"election", "qualified", "public_key", "verification_keys", "context"}:
            f.fail("V11", it.name, "the joint key body has the wrong members")
            return
        if len(self.qual) < self.manifest.threshold:
            return
        dealers = [self.commitments[i] for i in self.qual]
        key = joint_public_key(dealers)
        n = len(self.manifest.trustees)
        vks = [verification_key(dealers, j) for j in range(1, n + 1)]
        h_c = election_context(self.h_m, key.to_bytes())
        if b["qualified"] != self.qual:
            f.fail(
                "V11", it.name, f"qualified is {b['qualified']!r}, the ceremony gives {self.qual}"
            )
        if b["public_key"] != key.hex():
            f.fail("V11", it.name, "the joint key is not Σ A_i0 over the qualified trustees")
        if b["verification_keys"] != [v.hex() for v in vks]:
            f.fail("V11", it.name, "the verification keys do not follow from the commitments")
        if b["context"] != h_c.hex():
            f.fail("V11", it.name, "the context is not H_C of the manifest and the joint key")
        self.key, self.vks, self.h_c = key, vks, h_c

    # ------------------------------------------------------------ V12

    def v12_phases(self) -> None:
        f = self.f
        s = self.single
        order: list[tuple[str, list[_Item]]] = [
            ("manifest", [s["manifest"]] if s["manifest"] else []),
            ("ceremony", self.sections["ceremony"]),
            ("joint_key", [s["joint_key"]] if s["joint_key"] else []),
            ("open", [s["open"]] if s["open"] else []),
            ("ballots and challenges", self.sections["ballots"] + self.sections["challenges"]),
            ("close", [s["close"]] if s["close"] else []),
            ("tally", [s["tally"]] if s["tally"] else []),
            ("partials", self.sections["partials"]),
            ("result", [s["result"]] if s["result"] else []),
        ]
        prev_name, prev_max = None, -1
        for name, group in order:
            if not group:
                continue
            f.count("V12", len(group))
            lo = min(it.index for it in group)
            if lo < prev_max:
                bad = min((it for it in group if it.index < prev_max), key=lambda x: x.index)
                f.fail("V12", bad.name, f"{name} before the end of {prev_name}")
            prev_name, prev_max = name, max(prev_max, max(it.index for it in group))
        m = self.manifest
        if m is None:
            return
        opens, closes = _time(m.opens), _time(m.closes)
        timed = [s["open"]] if s["open"] else []
        for it in timed + self.sections["ballots"] + self.sections["challenges"]:
            if it.entry is not None and not opens <= _time(it.entry.time) < closes:
                f.fail("V12", it.name, f"time {it.entry.time} is not in {m.opens}..{m.closes}")
        c = s["close"]
        if c is not None and c.entry is not None and _time(c.entry.time) < closes:
            f.fail("V12", c.name, f"closed at {c.entry.time}, before {m.closes}")

    # ------------------------------------------------------------ V13

    def v13_ballots(self) -> None:
        f = self.f
        ballots = self.sections["ballots"]
        if self.manifest is None or self.key is None or self.h_c is None:
            if ballots:
                f.skip("V13", "no manifest, joint key or context (V9–V11)")
            return
        jobs_input = [
            (pos, it.index, it.leaf, it.author_key, it.epoch) for pos, it in enumerate(ballots)
        ]
        workers = self.workers or os.cpu_count() or 1
        chunk = max(8, min(250, -(-len(jobs_input) // (workers * 8)) if jobs_input else 8))
        chunks = [jobs_input[a : a + chunk] for a in range(0, len(jobs_input), chunk)]
        needs_state = isinstance(self.manifest.eligibility, CredentialRule)

        def job(part: list[tuple[int, int, bytes, bytes | None, int]]) -> _BallotJob:
            epochs = {p[4] for p in part}
            snaps = {e: self.snapshots.get(e, {}) for e in epochs} if needs_state else {}
            assert self.manifest_body is not None and self.key is not None
            assert self.h_c is not None
            return _BallotJob(self.manifest_body, self.h_c, self.key.to_bytes(), snaps, part)

        done = 0
        total = len(jobs_input)
        results: list[_BallotResult] = []
        if workers <= 1 or len(chunks) <= 1:
            for part in chunks:
                results.extend(_check_ballots(job(part)))
                done += len(part)
                if self.progress is not None:
                    self.progress(done, total)
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                futures = {pool.submit(_check_ballots, job(part)): len(part) for part in chunks}
                for fut in as_completed(futures):
                    results.extend(fut.result())
                    done += futures[fut]
                    if self.progress is not None:
                        self.progress(done, total)
        for res in results:
            it = ballots[res.position]
            self.ballot_results[it.index] = res
            f.count("V13")
            for step, detail in res.problems:
                f.fail(step, f"{it.name} / ballot {res.hash or '?'}", detail)

    # ------------------------------------------------------------ V14–V15

    def v14_v15_challenges_and_counted_set(self) -> None:
        f = self.f
        m = self.manifest
        if m is None or self.key is None:
            if self.sections["challenges"]:
                f.skip("V14", "no manifest or joint key (V9–V11)")
            f.skip("V15", "no manifest or joint key (V9–V11)")
            return
        challenged: dict[int, str] = {}
        for it in self.sections["challenges"]:
            e = it.entry
            if e is None:
                continue
            f.count("V14")
            h = self._challenge(it, e, m)
            if h is not None:
                challenged[it.index] = h
        seen: dict[str, str] = {}
        counted: dict[str, tuple[_Item, _BallotResult]] = {}
        events: list[tuple[int, str, _Item | None]] = [
            (i, "challenge", None) for i in challenged
        ] + [(it.index, "ballot", it) for it in self.sections["ballots"]]
        for index, what, ballot_item in sorted(events, key=lambda x: x[0]):
            f.count("V15")
            if what == "challenge":
                h = challenged[index]
                if h in seen:
                    f.fail("V15", f"challenge (entry {index})", f"ballot {h} was {seen[h]} before")
                seen.setdefault(h, "challenged")
                continue
            assert ballot_item is not None
            res = self.ballot_results.get(index)
            if res is None or not res.valid or res.hash is None or res.voter is None:
                continue
            where = f"{ballot_item.name} / ballot {res.hash}"
            if res.hash in seen:
                code = "ballot_challenged" if seen[res.hash] == "challenged" else "ballot_replayed"
                f.fail("V15", where, f"{code}: this ballot was {seen[res.hash]} before")
                continue
            seen[res.hash] = "cast"
            if res.voter in counted and m.revote == "deny":
                f.fail("V15", where, "already_voted: a second ballot of a voter, re-votes denied")
                continue
            counted[res.voter] = (ballot_item, res)
        self.counted = sorted(counted.values(), key=lambda x: x[0].index)
        self.challenged_trackers = [
            it.tracker for it in self.sections["challenges"] if it.index in challenged
        ]

    def _challenge(self, it: _Item, e: Entry, m: Manifest) -> str | None:
        f = self.f
        assert self.key is not None
        b = e.body
        if set(b) != {"ballot", "nonces", "selections"}:
            f.fail("V14", it.name, "a challenge body is exactly {ballot, nonces, selections}")
            return None
        try:
            election, _, contests = ballot_fields(b["ballot"])
            if election != m.id:
                f.fail("V14", it.name, f"a challenge of election {election!r}")
                return None
            decoded = decode_contests(contests, m.shapes)
            open_challenge(self.key, decoded, b["nonces"], b["selections"])
        except Rejected as r:
            f.fail("V14", it.name, f"{r.code}: {r.detail}")
            return None
        return ballot_hash(b["ballot"]).hex()

    # ------------------------------------------------------------ V16

    def v16_tally(self) -> None:
        f = self.f
        it = self.single.get("tally")
        if it is None or it.entry is None:
            f.skip("V16", "no tally entry")
            return
        if self.counted is None or self.manifest is None:
            f.skip("V16", "no counted set (V15)")
            return
        f.count("V16")
        widths = [s.options for s in self.manifest.shapes]
        width = sum(widths)
        sums: list[bytes] | None = None
        for _, res in self.counted:
            parts = [p for ct in res.ciphertexts for p in (ct[:32], ct[32:])]
            if len(parts) != 2 * width:
                continue
            sums = (
                parts
                if sums is None
                else [_add_point(a, b) for a, b in zip(sums, parts, strict=True)]
            )
        derived: list[list[bytes]] = []
        if sums is not None:
            k = 0
            for w in widths:
                derived.append([sums[2 * (k + o)] + sums[2 * (k + o) + 1] for o in range(w)])
                k += w
        b = it.entry.body
        if set(b) != {"election", "ballots", "tally"}:
            f.fail("V16", it.name, "the tally body has the wrong members")
            return
        if b["ballots"] != len(self.counted):
            f.fail(
                "V16",
                it.name,
                f"the tally counts {b['ballots']!r} ballots, the record's counted set "
                f"has {len(self.counted)}",
            )
        if b["tally"] != [[ct.hex() for ct in c] for c in derived]:
            f.fail("V16", it.name, "the tally is not the sum of the counted ballots' ciphertexts")
        self.tally = derived
        h = hashlib.sha256(TALLY_PREFIX)
        for c in derived:
            for ct in c:
                h.update(ct)
        self.h_t = h.digest()

    # ------------------------------------------------------------ V17–V18

    def v17_partials(self) -> None:
        f = self.f
        m = self.manifest
        if self.tally is None or self.h_t is None or m is None or self.vks is None:
            if self.sections["partials"]:
                f.skip("V17", "no tally or verification keys (V11, V16)")
            return
        assert self.h_c is not None
        params = CeremonyParameters(self.h_c, 1, len(m.trustees))
        cts = [[Ciphertext.from_bytes(ct) for ct in c] for c in self.tally]
        for it in self.sections["partials"]:
            e = it.entry
            if e is None:
                continue
            f.count("V17")
            b = e.body
            if set(b) != {"election", "trustee", "tally", "shares"}:
                f.fail("V17", it.name, "a partial's body has the wrong members")
                continue
            j = b["trustee"]
            if type(j) is not int or not 1 <= j <= len(m.trustees):
                f.fail("V17", it.name, f"trustee {j!r} is not in the manifest")
                continue
            if e.author != m.trustees[j - 1].key_id:
                f.fail("V17", it.name, f"the author is not trustee {j}")
                continue
            if j in self.valid_partials or j in self.invalid_partials:
                f.fail("V17", it.name, f"a second partial of trustee {j}")
                continue
            if b["tally"] != self.h_t.hex():
                f.fail("V17", it.name, "not_the_tally: the partial decrypts another tally")
                continue
            shares = b["shares"]
            if not isinstance(shares, list) or [
                len(c) if isinstance(c, list) else -1 for c in shares
            ] != [len(c) for c in cts]:
                f.fail("V17", it.name, "not one partial decryption per tally ciphertext")
                continue
            try:
                parsed = [
                    [PartialDecryption.from_bytes(bytes.fromhex(s)) for s in c] for c in shares
                ]
            except (InvalidEncoding, ValueError, TypeError) as exc:
                f.fail("V17", it.name, f"a partial decryption does not decode: {exc}")
                continue
            if any(p.trustee != j for c in parsed for p in c):
                f.fail("V17", it.name, f"a partial decryption names another trustee than {j}")
                continue
            reason = ""
            vk = self.vks[j - 1]
            for c, (row, prow) in enumerate(zip(cts, parsed, strict=True)):
                for o, (ct, p) in enumerate(zip(row, prow, strict=True)):
                    if reason:
                        break
                    try:
                        out = combine_partial_decryptions(params, {j: vk}, ct, [p])
                        bad = bool(out.rejected)
                    except ThresholdError:
                        bad = True
                    if bad:
                        reason = f"contest {c} option {o}: the decryption proof does not verify"
            if reason:
                self.invalid_partials[j] = reason
            else:
                self.valid_partials[j] = parsed

    def v18_result(self) -> None:
        f = self.f
        it = self.single.get("result")
        m = self.manifest
        if it is None or it.entry is None:
            f.skip("V18", "no result entry")
            return
        if self.tally is None or self.h_t is None or m is None or self.vks is None:
            f.skip("V18", "no tally or verification keys (V11, V16)")
            return
        assert self.h_c is not None
        f.count("V18")
        b = it.entry.body
        if set(b) != {"election", "tally", "totals", "used", "excluded"}:
            f.fail("V18", it.name, "the result body has the wrong members")
            return
        if b["tally"] != self.h_t.hex():
            f.fail("V18", it.name, "the result names another tally")
        if len(self.valid_partials) < m.threshold:
            f.fail(
                "V18",
                it.name,
                f"{len(self.valid_partials)} valid partials, {m.threshold} needed",
            )
            return
        used = sorted(self.valid_partials)[: m.threshold]
        self.used = used
        if b["used"] != used:
            f.fail("V18", it.name, f"the result uses {b['used']!r}, the valid partials give {used}")
        excluded = b["excluded"]
        named = (
            [x.get("trustee") for x in excluded if isinstance(x, dict)]
            if isinstance(excluded, list)
            else None
        )
        if (
            named is None
            or len(named) != len(excluded)
            or named != sorted(self.invalid_partials)
            or not all(isinstance(x.get("reason"), str) for x in excluded)
        ):
            f.fail(
                "V18",
                it.name,
                f"excluded must name exactly trustees {sorted(self.invalid_partials)}, "
                "each with a reason",
            )
        totals = b["totals"]
        if not isinstance(totals, list) or [
            len(t) if isinstance(t, list) else -1 for t in totals
        ] != [len(c) for c in self.tally]:
            f.fail("V18", it.name, "the result has not one total per tally ciphertext")
            return
        params = CeremonyParameters(self.h_c, m.threshold, len(m.trustees))
        vks = {j: self.vks[j - 1] for j in used}
        for c, (row, trow) in enumerate(zip(self.tally, totals, strict=True)):
            for o, (ct, t) in enumerate(zip(row, trow, strict=True)):
                f.count("V18")
                where = f"{it.name} / {m.contests[c].id} / {m.contests[c].choices[o]}"
                if type(t) is not int or t < 0 or t >= 2**63:
                    f.fail("V18", where, f"total {t!r} is not a count")
                    continue
                partials = [self.valid_partials[j][c][o] for j in used]
                out = combine_partial_decryptions(params, vks, Ciphertext.from_bytes(ct), partials)
                if out.plaintext != Scalar.from_int(t) * GENERATOR:
                    f.fail("V18", where, f"{t} is not what the partial decryptions give")
        self.totals = totals

    # ------------------------------------------------------------ V19

    def v19_summary(self) -> None:
        f = self.f
        s = self.record.get("summary") if isinstance(self.record, dict) else None
        if not isinstance(s, dict):
            f.skip("V19", "no summary")
            return
        missing = [k for k in SUMMARY_MEMBERS if k not in s]
        for k in missing:
            f.fail("V19", f"summary.{k}", "required member is missing", INCOMPLETE)
        extra = sorted(set(s) - set(SUMMARY_MEMBERS))
        if extra:
            f.fail("V19", "summary", f"unknown members {extra}")
        m = self.manifest
        derived: dict[str, Any] = {}
        if m is not None and self.h_m is not None:
            derived["manifest"] = self.manifest_body
            derived["manifest_hash"] = self.h_m.hex()
        if self.key is not None and self.h_c is not None and self.vks is not None:
            derived["joint_key"] = self.key.hex()
            derived["context"] = self.h_c.hex()
            derived["verification_keys"] = [v.hex() for v in self.vks]
        if self.qual is not None:
            derived["qualified"] = self.qual
        if self.counted is not None:
            derived["counted"] = [it.tracker for it, _ in self.counted]
            derived["challenged"] = self.challenged_trackers
        if self.h_t is not None:
            derived["tally"] = self.h_t.hex()
        if self.used is not None:
            derived["used"] = self.used
            derived["excluded"] = sorted(self.invalid_partials)
        if self.totals is not None and m is not None:
            derived["totals"] = [
                {"contest": c.id, "counts": dict(zip(c.choices, t, strict=True))}
                for c, t in zip(m.contests, self.totals, strict=True)
            ]
        for k in SUMMARY_MEMBERS:
            if k not in s:
                continue
            f.count("V19")
            if k not in derived:
                f.fail(
                    "V19", f"summary.{k}", "cannot be checked: an earlier step failed", INCOMPLETE
                )
            elif s[k] != derived[k]:
                f.fail("V19", f"summary.{k}", "differs from the value the entries give")

    # ------------------------------------------------------------ all

    @staticmethod
    def _needs(step: str, entries: set[str]) -> set[str]:
        """The record members a step needs (docs/election-record.md §4: not run without them)."""
        n = int(step[1:])
        if n == 2:
            return {"board"}
        if n in (3, 6):
            return {"checkpoints"}
        if n == 4:
            return {"checkpoints", "consistency"}
        if n == 5:
            return {"checkpoints", "board"}
        return entries | ({"summary"} if n == 19 else set())

    def run(self) -> Report:
        self.v1_shape()
        if not isinstance(self.record, dict):
            for step in list(STEPS)[1:]:
                self.f.skip(step, "the record is not a JSON object")
            return self.f.report(None)
        steps: list[tuple[str, Callable[[], None]]] = [
            ("V2", self.v2_log_key),
            ("V3", self.v3_checkpoints),
            ("V4", self.v4_consistency),
            ("V5", self.v5_cosignatures),
            ("V6", self.v6_inclusion),
            ("V7", self.v7_entries),
            ("V8", self.v8_sections),
            ("V9", self.v9_manifest),
            ("V10", self.v10_ceremony),
            ("V11", self.v11_joint_key),
            ("V12", self.v12_phases),
            ("V13", self.v13_ballots),
            ("V14", self.v14_v15_challenges_and_counted_set),
            ("V16", self.v16_tally),
            ("V17", self.v17_partials),
            ("V18", self.v18_result),
            ("V19", self.v19_summary),
        ]
        entries = {
            m
            for m in self.missing
            if m in ("board", "eligibility", "other") or m.startswith("election_entries")
        }
        for step, run in steps:
            lacking = sorted(self._needs(step, entries) & self.missing)
            if lacking:
                for s in ("V14", "V15") if step == "V14" else (step,):
                    self.f.skip(s, f"the record lacks {', '.join(lacking)}")
                continue
            run()
        return self.f.report(self.election)


def verify_record(
    record: Any,
    vkey: str,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Report:
    """Run V1–V19 over a parsed record with the board's log verifier key.

    ``workers`` processes check the ballots (default: every core); ``progress``
    is called with (ballots checked, ballots).
    """
    return _Verifier(record, vkey.strip(), workers, progress).run()


def load_record(path: Path) -> Any:
    """Read a record file (JSON); :class:`RecordError` when it is not JSON at all."""
    try:
        return json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise RecordError(f"{path}: not a JSON document ({e})") from None


def verify_file(
    path: Path,
    vkey: str,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Report:
    """:func:`verify_record` of a record file."""
    return verify_record(load_record(path), vkey, workers=workers, progress=progress)

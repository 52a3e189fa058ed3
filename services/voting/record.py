"""Export of an election record (docs/election-record.md §1–§2).

:func:`export_record` reads a board and writes down everything a third party
needs to verify one election with :mod:`services.voting.verifier`: every
entry of the election's span (the manifest's index to the result's) sorted
into its section, the ``board.*`` entries and the issuer's ``identity.*``
entries the checks depend on, each with its exact bytes and an inclusion
proof into the tree of the board's latest checkpoint, every checkpoint signed
since the election was created (with the witnesses' cosignatures) and the
consistency proofs between consecutive ones, and a summary for readers.

All proofs are computed in one read transaction of the board's store, from
the stored complete subtrees (``O(log n)`` hashes each).
"""

from __future__ import annotations

import base64
import itertools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ledger import authorities
from ledger.board import Board
from ledger.entry import Entry
from ledger.merkle import consistency_ranges, inclusion_ranges, leaf_hash, range_hashes
from ledger.note import NoteError, NoteSignature, add_signatures
from ledger.store import Txn
from services.identity.domain import ISSUER_KEY, SCHEMA, STATUS_LIST
from services.voting.errors import UnknownElection, VotingRejection

VERSION = 1
RECORD_TYPE = "PnyxElectionRecord"
VOTING = "voting"
SINGLE_KINDS: dict[str, str] = {
    "voting.election": "manifest",
    "voting.joint_key": "joint_key",
    "voting.open": "open",
    "voting.close": "close",
    "voting.tally": "tally",
    "voting.result": "result",
}
MULTI_KINDS: dict[str, str] = {
    "voting.trustee_commit": "ceremony",
    "voting.trustee_reveal": "ceremony",
    "voting.trustee_complaint": "ceremony",
    "voting.trustee_answer": "ceremony",
    "voting.ballot": "ballots",
    "voting.challenge": "challenges",
    "voting.partial": "partials",
}
BOARD_KINDS = (
    authorities.GENESIS,
    authorities.AUTHORITY,
    authorities.REVOKE,
    authorities.WITNESSES,
)
IDENTITY_KINDS = (ISSUER_KEY, SCHEMA, STATUS_LIST)
SCAN = 2000
Progress = Callable[[int, int], None]


class ExportError(VotingRejection):
    """The board cannot give a record of this election (yet)."""

    code = "export_failed"


def election_of(entry: Entry) -> Any:
    """The election a ``voting.*`` entry belongs to (its body's, or its ballot's)."""
    body = entry.body
    if entry.kind == "voting.election":
        return body.get("id")
    if entry.kind in ("voting.ballot", "voting.challenge"):
        ballot = body.get("ballot")
        return ballot.get("election") if isinstance(ballot, dict) else None
    return body.get("election")


def _b64(leaf: bytes) -> str:
    return base64.b64encode(leaf).decode("ascii")


def _checkpoints(tx: Txn, after: int, size: int) -> list[tuple[int, str]]:
    """Every checkpoint of size in ``(after, size]``, with its stored cosignature lines."""
    lines: dict[int, list[NoteSignature]] = {}
    for c in tx.cosignatures():
        try:
            lines.setdefault(c.size, []).append(NoteSignature.from_line(c.line))
        except NoteError:
            continue  # a damaged row is `pnyx board verify`'s finding, never exported
    out = []
    for row in tx.checkpoints():
        if after < row.size <= size:
            note = row.note.encode()
            if row.size in lines:
                note = add_signatures(note, lines[row.size])
            out.append((row.size, note.decode()))
    return out


def export_record(
    board: Board, election_id: str, *, progress: Progress | None = None
) -> dict[str, Any]:
    """The record of ``election_id`` against the board's latest checkpoint.

    Raises :class:`UnknownElection`, or :class:`ExportError` when the latest
    checkpoint does not cover the election's last entry (sign one first).
    """
    rec = board.state(VOTING, f"election/{election_id}")
    if rec is None:
        raise UnknownElection(f"no election {election_id[:64]!r} on this board")
    start = int(rec["index"])
    try:
        status = board.checkpoint()
    except Exception as e:  # NotFound: no checkpoint signed at all
        raise ExportError(f"the board has no signed checkpoint: {e}") from None
    size = status.size
    if size <= start:
        raise ExportError(
            f"the latest checkpoint (size {size}) predates the election (entry {start}): "
            "sign a checkpoint first"
        )
    result = board.state(VOTING, f"result/{election_id}")
    if result is not None and int(result["index"]) >= size:
        raise ExportError(
            f"the latest checkpoint (size {size}) does not cover the result (entry "
            f"{result['index']}): sign a checkpoint first"
        )
    issuer_kid: str | None = None
    eligibility = rec["eligibility"]
    if eligibility.get("type") == "credential":
        issuer_kid = board.state(authorities.DOMAIN, f"name/{eligibility['issuer']}")
    singles: dict[str, tuple[int, bytes]] = {}
    multis: dict[str, list[tuple[int, bytes]]] = {
        "ceremony": [],
        "ballots": [],
        "challenges": [],
        "partials": [],
    }
    others: list[tuple[int, bytes]] = []
    board_entries: list[tuple[int, bytes]] = []
    identity_entries: list[tuple[int, bytes]] = []
    with board.store.read() as tx:
        latest = tx.size()
        if latest < size:
            raise ExportError("the store is smaller than its latest checkpoint")
        # the election's entries, from the manifest to the end of the final tree
        for lo in range(start, size, SCAN):
            for row in tx.entries(lo, min(size, lo + SCAN)):
                leaf = bytes(row.leaf)
                kind = row.kind
                if kind.startswith("voting."):
                    if election_of(Entry.from_leaf(leaf)) == election_id:
                        if kind in SINGLE_KINDS:
                            singles[SINGLE_KINDS[kind]] = (row.idx, leaf)
                        else:
                            multis[MULTI_KINDS[kind]].append((row.idx, leaf))
                        continue
                others.append((row.idx, leaf))
            if progress is not None:
                progress(min(size, lo + SCAN) - start, 2 * (size - start))
        end = (
            singles["result"][0]
            if "result" in singles
            else max([i for i, _ in singles.values()] + [i for v in multis.values() for i, _ in v])
        )
        span_others = [(i, leaf) for i, leaf in others if i <= end]
        # board.* entries up to the final size; the issuer's identity entries up to the end
        for kind in BOARD_KINDS:
            for row in tx.entries(0, size, kind):
                board_entries.append((row.idx, bytes(row.leaf)))
        if issuer_kid is not None:
            identity_entries = [
                (row.idx, bytes(row.leaf))
                for kind in IDENTITY_KINDS
                for row in tx.entries(0, end + 1, kind)
                if Entry.from_leaf(bytes(row.leaf)).author == issuer_kid
            ]
        board_entries.sort()
        identity_entries.sort()
        moved = {i for i, _ in board_entries} | {i for i, _ in identity_entries}
        span_others = [(i, leaf) for i, leaf in span_others if i not in moved]
        everything = (
            board_entries
            + identity_entries
            + list(singles.values())
            + [x for v in multis.values() for x in v]
            + span_others
        )
        proofs: dict[int, list[str]] = {}
        for i, _ in everything:
            ranges = inclusion_ranges(i, size)
            proofs[i] = [h.hex() for h in range_hashes(ranges, tx.nodes)]
        cps = _checkpoints(tx, start, size)
        consistency = []
        for (a, _), (b, _) in itertools.pairwise(cps):
            consistency.append([h.hex() for h in range_hashes(consistency_ranges(a, b), tx.nodes)])
    if progress is not None:
        progress(2 * (size - start), 2 * (size - start))

    def item(x: tuple[int, bytes]) -> dict[str, Any]:
        return {"index": x[0], "leaf": _b64(x[1]), "path": proofs[x[0]]}

    election_entries: dict[str, Any] = {
        name: item(singles[name]) for name in SINGLE_KINDS.values() if name in singles
    }
    for name, entries in multis.items():
        election_entries[name] = [item(x) for x in entries]
    return {
        "version": VERSION,
        "type": RECORD_TYPE,
        "election": election_id,
        "checkpoints": [note for _, note in cps],
        "consistency": consistency,
        "board": [item(x) for x in board_entries],
        "eligibility": [item(x) for x in identity_entries],
        "election_entries": election_entries,
        "other": [item(x) for x in span_others],
        "summary": _summary(board, election_id, singles, multis),
    }


def _summary(
    board: Board,
    election_id: str,
    singles: dict[str, tuple[int, bytes]],
    multis: dict[str, list[tuple[int, bytes]]],
) -> dict[str, Any]:
    """docs/election-record.md §2, from the board's state (each member only once it exists)."""
    rec = board.state(VOTING, f"election/{election_id}")
    out: dict[str, Any] = {}
    manifest = Entry.from_leaf(singles["manifest"][1]).body
    out["manifest"] = manifest
    out["manifest_hash"] = rec["manifest"]
    keys = board.state(VOTING, f"keys/{election_id}")
    if rec.get("key") is not None and keys is not None:
        out["joint_key"] = rec["key"]
        out["context"] = rec["context"]
        out["verification_keys"] = keys["verification_keys"]
        out["qualified"] = keys["qualified"]
    trackers = {i: leaf_hash(leaf).hex() for i, leaf in multis["ballots"]}
    counted = sorted(int(c["index"]) for _, c in board.scan(VOTING, f"cast/{election_id}/"))
    out["counted"] = [trackers[i] for i in counted]
    out["challenged"] = [leaf_hash(leaf).hex() for _, leaf in multis["challenges"]]
    tally = board.state(VOTING, f"tally/{election_id}")
    if tally is not None:
        out["tally"] = tally["digest"]
    result = board.state(VOTING, f"result/{election_id}")
    if result is not None:
        out["used"] = result["used"]
        out["excluded"] = [x["trustee"] for x in result["excluded"]]
        choices = [
            [*c["options"], *(["blank"] if c["blank"] else [])] for c in manifest["contests"]
        ]
        out["totals"] = [
            {"contest": c["id"], "counts": dict(zip(names, t, strict=True))}
            for c, names, t in zip(manifest["contests"], choices, result["totals"], strict=True)
        ]
    return out


def write_record(
    board: Board, election_id: str, path: Path, *, progress: Progress | None = None
) -> dict[str, Any]:
    """Export the record to ``path`` (compact JSON, written atomically); returns the record."""
    record = export_record(board, election_id, progress=progress)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(record, fh, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        fh.write("\n")
    os.replace(tmp, path)
    return record

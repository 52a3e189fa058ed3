"""The voter's receipt and its check (docs/voting.md §8).

A receipt names the ballot (its hash), its tracker (the RFC 9162 leaf hash of
the ``voting.ballot`` entry), the entry's index, an inclusion proof into the
tree of a signed checkpoint, and that checkpoint.  :func:`check_receipt`
re-verifies all of it against a board or against exported entries, and
against a newer checkpoint by a consistency proof (docs/board.md §5–§6).

The ballot box makes a receipt inside the write transaction that appends the
ballot (:func:`sign_receipt`, run by ``Board.append_many(then=...)``): the
checkpoint of the tree that ends with the ballot is signed and stored in the
same transaction as the entry, from the subtree hashes that transaction
wrote, so a receipt costs no second transaction, no re-read of the entry and
no wait, and two worker processes never sign two trees of one size (the
database sequences their appends).  :func:`make_receipt` makes the receipt
of a ballot already on the board: from the latest stored checkpoint when it
covers the ballot, else from a newly signed one.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ledger.board import Board
from ledger.checkpoint import Checkpoint, CheckpointError
from ledger.entry import Entry
from ledger.errors import Rejected
from ledger.merkle import (
    MemoryTree,
    ProofError,
    inclusion_ranges,
    leaf_hash,
    range_hashes,
    verify_consistency,
    verify_inclusion,
)
from ledger.note import (
    InvalidSignature,
    NoteError,
    Signer,
    UnverifiedNote,
    Verifier,
    open_note,
    sign_note,
)
from ledger.store import Txn
from services.voting.ballot import ballot_fields, ballot_hash
from services.voting.election import NAME

VERSION = 1
TYPE = "PnyxBallotReceipt"
BALLOT_KIND = "voting.ballot"


class ReceiptInvalid(Rejected):
    """A receipt that does not check against the board (the detail names the failed step)."""

    code = "receipt_invalid"


@dataclass(frozen=True)
class Receipt:
    election: str
    ballot: str
    tracker: str
    index: int
    size: int
    path: tuple[str, ...]
    root: str
    checkpoint: str

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "type": TYPE,
            "election": self.election,
            "ballot": self.ballot,
            "tracker": self.tracker,
            "index": self.index,
            "inclusion": {
                "index": self.index,
                "size": self.size,
                "leaf_hash": self.tracker,
                "root": self.root,
                "path": list(self.path),
            },
            "checkpoint": self.checkpoint,
        }

    @classmethod
    def from_json(cls, doc: Any) -> Receipt:
        fields = {
            "version",
            "type",
            "election",
            "ballot",
            "tracker",
            "index",
            "inclusion",
            "checkpoint",
        }
        if not isinstance(doc, dict) or doc.keys() != fields:
            raise ReceiptInvalid(f"a receipt has exactly the members {sorted(fields)}")
        if doc["version"] != VERSION or doc["type"] != TYPE:
            raise ReceiptInvalid(f"not a version {VERSION} {TYPE}")
        inc = doc["inclusion"]
        if not isinstance(inc, dict) or inc.keys() != {
            "index",
            "size",
            "leaf_hash",
            "root",
            "path",
        }:
            raise ReceiptInvalid("inclusion is {index, size, leaf_hash, root, path}")
        if inc["index"] != doc["index"] or inc["leaf_hash"] != doc["tracker"]:
            raise ReceiptInvalid("the inclusion proof is for another entry than the receipt's")
        for name in ("election", "ballot", "tracker", "checkpoint"):
            if not isinstance(doc[name], str):
                raise ReceiptInvalid(f"{name} must be a string")
        if type(doc["index"]) is not int or type(inc["size"]) is not int:
            raise ReceiptInvalid("index and size are integers")
        if not isinstance(inc["path"], list) or not all(isinstance(p, str) for p in inc["path"]):
            raise ReceiptInvalid("the inclusion path is a list of hex hashes")
        return cls(
            doc["election"],
            doc["ballot"],
            doc["tracker"],
            doc["index"],
            inc["size"],
            tuple(inc["path"]),
            str(inc["root"]),
            doc["checkpoint"],
        )


def _receipt(
    ballot: dict[str, Any], index: int, size: int, hashes: list[bytes], note: bytes
) -> Receipt:
    """The receipt from ``range_hashes`` of the inclusion ranges, the leaf and the root."""
    return Receipt(
        ballot["election"],
        ballot_hash(ballot).hex(),
        hashes[-2].hex(),
        index,
        size,
        tuple(h.hex() for h in hashes[:-2]),
        hashes[-1].hex(),
        note.decode(),
    )


def _ranges(index: int, size: int) -> list[tuple[int, int]]:
    """RFC 9162 §2.1.3.1 ``PATH(index, D[0:size])``'s ranges, then the leaf's and the root's."""
    return [*inclusion_ranges(index, size), (index, index + 1), (0, size)]


def sign_receipt(
    tx: Txn, index: int, size: int, ballot: dict[str, Any], origin: str, log: Signer
) -> Receipt:
    """The receipt of the ballot just appended at ``index`` in the write transaction ``tx``.

    Run inside the append's transaction (``Board.append_many(then=...)``),
    where the tree has ``size`` entries and ends with the ballot's batch: signs
    the checkpoint of that tree with the board's ``log`` key (``origin`` is the
    genesis's), stores it in the same transaction (docs/board.md §5; no
    checkpoint of that size can exist yet, the tree just grew to it) and
    proves the ballot's inclusion into it.  ``ballot`` is the entry's
    ``body["ballot"]``.
    """
    if not 0 <= index < size:
        raise ValueError(f"index {index} is outside a tree of size {size}")
    hashes = range_hashes(_ranges(index, size), tx.nodes)
    note = sign_note(Checkpoint(origin, size, hashes[-1]).to_text(), [log])
    tx.add_checkpoint(size, note.decode())
    return _receipt(ballot, index, size, hashes, note)


def make_receipt(board: Board, index: int, log: Signer) -> Receipt:
    """The receipt of the ballot entry at ``index``, already on the board.

    From the latest stored checkpoint when it covers ``index``; else a
    checkpoint of the current tree is signed first.
    """
    rows = board.entries(index, index + 1)
    if not rows:
        raise ReceiptInvalid(f"the board has no entry {index}")
    entry = Entry.from_leaf(rows[0][1])
    if entry.kind != BALLOT_KIND:
        raise ReceiptInvalid(f"entry {index} is not a ballot")
    with board.store.read() as tx:
        latest = tx.latest_checkpoint()
    if latest is not None and latest.size > index:
        size, note = latest.size, latest.note.encode()
    else:
        note = board.sign_checkpoint(log)
        size = Checkpoint.from_text(open_note(note, [log.verifier()])[0].text).size
    with board.store.read() as tx:
        hashes = range_hashes(_ranges(index, size), tx.nodes)
    return _receipt(entry.body["ballot"], index, size, hashes, note)


@dataclass(frozen=True)
class ReceiptCheck:
    """What a valid receipt established."""

    index: int
    size: int
    checked_to: int
    """The size of the newest checkpoint the receipt was tied to by a consistency proof."""
    counted: bool | None
    """Whether the ballot is its voter's counted ballot now (known with a live board only)."""


def _hex32(value: str, what: str) -> bytes:
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise ReceiptInvalid(f"{what} is not hex") from None
    if len(raw) != 32:
        raise ReceiptInvalid(f"{what} is not 32 bytes")
    return raw


def _checkpoint(note: bytes, log_key: Verifier, what: str) -> Checkpoint:
    try:
        parsed, _ = open_note(note, [log_key])
        return Checkpoint.from_text(parsed.text)
    except (NoteError, InvalidSignature, UnverifiedNote, CheckpointError) as e:
        raise ReceiptInvalid(f"{what}: not signed by the board's log key ({e})") from None


def check_receipt(
    receipt: Receipt | dict[str, Any],
    source: Board | Sequence[bytes],
    log_key: Verifier | None = None,
    newer_checkpoint: bytes | None = None,
) -> ReceiptCheck:
    """Re-verify a receipt against a board or exported entries (index order from 0).

    Steps: 1. the checkpoint is signed by the log key; 2. the inclusion proof
    leads from the tracker to its root; 3. the entry at ``index`` hashes to the
    tracker and is a ballot of the receipt's hash and election; 4. the source's
    tree at the checkpoint's size has that root; 5. the newer checkpoint (given,
    or the board's latest) is signed, not smaller, and consistent with it.
    Raises :class:`ReceiptInvalid` naming the step that failed.
    """
    r = receipt if isinstance(receipt, Receipt) else Receipt.from_json(receipt)
    board = source if isinstance(source, Board) else None
    leaves: list[bytes] = [] if isinstance(source, Board) else list(source)
    if log_key is None:
        if board is None:
            raise ReceiptInvalid("checking against exported entries needs the board's log key")
        log_key = board.log_verifier()
    cp = _checkpoint(r.checkpoint.encode(), log_key, "1. the receipt's checkpoint")
    tracker = _hex32(r.tracker, "the tracker")
    if cp.size != r.size:
        raise ReceiptInvalid("2. the inclusion proof is for another size than the checkpoint")
    try:
        verify_inclusion(
            tracker, r.index, cp.size, [_hex32(p, "a path hash") for p in r.path], cp.root_hash
        )
    except ProofError as e:
        raise ReceiptInvalid(f"2. the inclusion proof does not verify: {e}") from None
    if board is not None:
        rows = board.entries(r.index, r.index + 1)
        if not rows:
            raise ReceiptInvalid(f"3. the board has no entry {r.index}")
        leaf = rows[0][1]
        size = board.size()
    else:
        if not 0 <= r.index < len(leaves):
            raise ReceiptInvalid(f"3. the exported entries have no entry {r.index}")
        leaf = leaves[r.index]
        size = len(leaves)
    if not hmac.compare_digest(leaf_hash(leaf), tracker):
        raise ReceiptInvalid(f"3. entry {r.index} is not the ballot of this tracker")
    try:
        entry = Entry.from_leaf(leaf)
        if entry.kind != BALLOT_KIND:
            raise ReceiptInvalid(f"3. entry {r.index} is not a ballot")
        ballot = entry.body["ballot"]
        ballot_fields(ballot)
    except Rejected as e:
        raise ReceiptInvalid(f"3. entry {r.index} is not a ballot: {e.detail}") from None
    if ballot_hash(ballot).hex() != r.ballot or ballot["election"] != r.election:
        raise ReceiptInvalid(f"3. entry {r.index} carries another ballot than the receipt's")
    if size < cp.size:
        raise ReceiptInvalid(f"4. the source has {size} entries, the checkpoint {cp.size}")
    tree = None
    if board is not None:
        _, root = board.root(cp.size)
    else:
        tree = MemoryTree(leaves)
        root = tree.root(cp.size)
    if not hmac.compare_digest(root, cp.root_hash):
        raise ReceiptInvalid("4. the source's tree at the checkpoint's size has another root")
    checked_to = cp.size
    newer = newer_checkpoint
    if newer is None and board is not None:
        newer = board.checkpoint().note
    if newer is not None:
        ncp = _checkpoint(newer, log_key, "5. the newer checkpoint")
        if ncp.origin != cp.origin or ncp.size < cp.size:
            raise ReceiptInvalid("5. the newer checkpoint is of another log or smaller")
        if ncp.size > size:
            raise ReceiptInvalid(f"5. the source has {size} entries, the newer checkpoint more")
        if ncp.size > cp.size:
            proof = (
                board.consistency_proof(cp.size, ncp.size).path
                if board is not None
                else (tree or MemoryTree(leaves)).consistency_proof(cp.size, ncp.size)
            )
            try:
                verify_consistency(cp.size, ncp.size, cp.root_hash, ncp.root_hash, proof)
            except ProofError as e:
                raise ReceiptInvalid(f"5. not consistent with the newer checkpoint: {e}") from None
        elif not hmac.compare_digest(ncp.root_hash, cp.root_hash):
            raise ReceiptInvalid("5. two checkpoints of the same size with different roots")
        checked_to = ncp.size
    counted = None
    if board is not None:
        cast = board.state(NAME, f"cast/{r.election}/{ballot['voter']}")
        counted = cast is not None and cast["ballot"] == r.ballot
    return ReceiptCheck(r.index, cp.size, checked_to, counted)

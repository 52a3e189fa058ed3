"""Merkle trees as RFC 9162 section 2.1 defines them (SHA-256).

The tree over leaves ``D[0:n]`` (RFC 9162 §2.1.1)::

    MTH({})       = SHA-256()
    MTH({d0})     = SHA-256(0x00 || d0)
    MTH(D[0:n])   = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))   k = largest power of 2 < n

Every node that the recursion visits covers a range ``[start, end)`` whose left
part is a *complete* subtree: ``2**level`` leaves starting at a multiple of
``2**level``.  A store that keeps the hash of every complete subtree (at most
``2n`` of them, each written once, when its last leaf arrives) can therefore
produce any root or proof with ``O(log n)`` reads and never rebuilds the tree:
the hash of a range is the right fold of the complete subtrees that tile it
(:func:`range_nodes`).

Proof *generation* here is written against a node source: a callable that
returns the hashes of a batch of complete subtrees ``(level, index)``, so that
the database store answers a proof with one query.  Proof *verification*
(§2.1.3.2, §2.1.4.2) needs only hashes.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Node = tuple[int, int]
"""A complete subtree: ``(level, index)`` covers leaves ``[index*2**level, (index+1)*2**level)``."""

NodeSource = Callable[[Iterable[Node]], dict[Node, bytes]]
"""Returns the stored hash of each requested complete subtree."""


class ProofError(ValueError):
    """A Merkle proof (or its inputs) does not verify."""


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 §2.1.1: ``SHA-256(0x00 || data)``."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 §2.1.1: ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


# --------------------------------------------------------------------------- ranges


def range_nodes(start: int, end: int) -> list[Node]:
    """The complete subtrees that tile ``[start, end)``, left to right.

    ``start`` must be a multiple of the largest power of two ``>= end - start``
    (true for every range the RFC 9162 recursion visits).  The hash of the range
    is ``fold_right(node_hash, hashes)``.
    """
    nodes: list[Node] = []
    while start < end:
        size = end - start
        level = size.bit_length() - 1  # largest power of two <= size
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def fold_range(hashes: Sequence[bytes]) -> bytes:
    """Right fold of complete-subtree hashes into the hash of their range."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The ranges whose hashes form ``PATH(index, D[0:size])`` (RFC 9162 §2.1.3.1), leaf first."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of size {size}")
    path: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index - start < k:
            path.append((start + k, end))
            end = start + k
        else:
            path.append((start, start + k))
            start += k
    path.reverse()
    return path


def consistency_ranges(old_size: int, size: int) -> list[tuple[int, int]]:
    """The ranges whose hashes form ``PROOF(m, D[0:n])`` (RFC 9162 §2.1.4.1).

    ``SUBPROOF(m, D[a:b], b)`` in the RFC's words; the result lists the
    ranges in the order the proof carries them.
    """
    if not 0 < old_size <= size:
        raise ProofError(f"no consistency proof from size {old_size} to size {size}")
    out: list[tuple[int, int]] = []
    start, end, complete = 0, size, True
    m = old_size
    while True:
        n = end - start
        if m == n:
            if not complete:
                out.append((start, end))
            break
        k = split_point(n)
        if m <= k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start += k
            m -= k
            complete = False
    out.reverse()
    return out


def range_hashes(ranges: Sequence[tuple[int, int]], source: NodeSource) -> list[bytes]:
    """Hashes of the given ranges, fetching every needed complete subtree in one call."""
    plans = [range_nodes(a, b) for a, b in ranges]
    wanted = {node for plan in plans for node in plan}
    got = source(wanted)
    missing = wanted - got.keys()
    if missing:
        raise LookupError(
            f"node store lacks {len(missing)} complete subtree(s), e.g. {min(missing)}"
        )
    return [fold_range([got[node] for node in plan]) for plan in plans]


def root_from(size: int, source: NodeSource) -> bytes:
    """``MTH(D[0:size])`` from a node source."""
    if size == 0:
        return EMPTY_ROOT
    return range_hashes([(0, size)], source)[0]


def completed_nodes(
    index: int, leaf: bytes, left_sibling: Callable[[Node], bytes]
) -> list[tuple[Node, bytes]]:
    """The complete subtrees that appending leaf hash ``leaf`` at ``index`` completes.

    Returns ``(level 0, index) -> leaf`` and each parent whose right-most leaf
    this is; ``left_sibling(node)`` returns the stored hash of a left sibling.
    Amortised, two nodes per append.
    """
    out: list[tuple[Node, bytes]] = [((0, index), leaf)]
    level, i, h = 0, index, leaf
    while i & 1:
        h = node_hash(left_sibling((level, i - 1)), h)
        level, i = level + 1, i >> 1
        out.append(((level, i), h))
    return out


# ---------------------------------------------------------------- verification


def _check_hash(name: str, value: bytes) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise ProofError(f"{name} must be {HASH_SIZE} bytes")


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 §2.1.3.2: verify that ``leaf_hash`` is at ``index`` in the tree ``root``.

    Raises :class:`ProofError` when it does not hold.
    """
    _check_hash("leaf hash", leaf_hash)
    _check_hash("root", root)
    for p in proof:
        _check_hash("proof element", p)
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of size {size}")
    fn, sn = index, size - 1
    r = bytes(leaf_hash)
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    if not hmac.compare_digest(r, root):
        raise ProofError("inclusion proof does not lead to the root")


def verify_consistency(
    old_size: int, size: int, old_root: bytes, root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 §2.1.4.2: verify that the tree ``old_root`` is a prefix of ``root``.

    Edge rules (those of the transparency-dev fixtures): an old size of 0 is
    never accepted here (a witness treats the empty tree itself); equal sizes
    need an empty proof and equal roots.  Raises :class:`ProofError`.
    """
    if old_size < 0 or size < old_size:
        raise ProofError(f"size {size} is smaller than old size {old_size}")
    if old_size == 0:
        raise ProofError("a consistency proof from the empty tree is meaningless")
    if old_size == size:
        if proof:
            raise ProofError("equal sizes need an empty proof")
        if not hmac.compare_digest(old_root, root):
            raise ProofError("equal sizes but different roots")
        return
    if not proof:
        raise ProofError("empty consistency proof")
    _check_hash("old root", old_root)
    _check_hash("root", root)
    for p in proof:
        _check_hash("proof element", p)
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        path.insert(0, bytes(old_root))
    fn, sn = old_size - 1, size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    if not hmac.compare_digest(fr, old_root):
        raise ProofError("consistency proof does not lead to the old root")
    if not hmac.compare_digest(sr, root):
        raise ProofError("consistency proof does not lead to the new root")


# ----------------------------------------------------------------- in memory


class MemoryTree:
    """An in-memory tree that keeps complete subtrees exactly as the board store does.

    For tests, fixtures and verifiers that replay a board: the same node
    arithmetic as the database store, without the database.
    """

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self._nodes: dict[Node, bytes] = {}
        self.size = 0
        for leaf in leaves:
            self.append(leaf)

    def append(self, data: bytes) -> int:
        """Append a leaf (its raw bytes); returns its index."""
        return self.append_hash(leaf_hash(data))

    def append_hash(self, h: bytes) -> int:
        index = self.size
        for node, value in completed_nodes(index, h, self._nodes.__getitem__):
            self._nodes[node] = value
        self.size += 1
        return index

    def nodes(self) -> dict[Node, bytes]:
        """Every stored complete subtree."""
        return dict(self._nodes)

    def _source(self, wanted: Iterable[Node]) -> dict[Node, bytes]:
        return {n: self._nodes[n] for n in wanted if n in self._nodes}

    def _size(self, size: int | None) -> int:
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ProofError(f"size {size} is outside 0..{self.size}")
        return size

    def root(self, size: int | None = None) -> bytes:
        return root_from(self._size(size), self._source)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return range_hashes(inclusion_ranges(index, self._size(size)), self._source)

    def consistency_proof(self, old_size: int, size: int | None = None) -> list[bytes]:
        size = self._size(size)
        if old_size == size:
            return []
        return range_hashes(consistency_ranges(old_size, size), self._source)

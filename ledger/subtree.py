"""Subtrees of an RFC 9162 Merkle tree, as Merkle Tree Certificates define them.

Source: IETF draft "Merkle Tree Certificates" (draft-ietf-plants-merkle-tree-certs,
formerly draft-davidben-tls-merkle-tree-certs), section 4 "Subtrees"; the same
subtrees are what C2SP ``tlog-cosignature`` cosigners sign.

§4.1: a *subtree* of the tree over ``D_n`` is ``MTH(D[start:end])``, the RFC 9162
tree built over the interval ``[start, end)`` as an independent list, where::

    0 <= start <= end <= n
    start is a multiple of BIT_CEIL(end - start)

so ``[0, x)`` and ``[x, x)`` are always subtrees.  The alignment makes a subtree
either a complete node of the big tree (``end - start`` a power of two) or a
prefix of one: its hash is the right fold of the complete subtrees that tile it,
exactly what :func:`ledger.merkle.range_nodes` computes, and it never changes as
the log grows past ``end``.

Two proofs (hashes ordered as they travel, lowest first):

* §4.3 subtree inclusion: ``PATH(index - start, D[start:end])``, an RFC 9162
  inclusion proof inside the subtree;
* §4.4 subtree consistency: ``SUBTREE_PROOF(start, end, D_n)``, enough nodes to
  rebuild both ``MTH(D[start:end])`` and ``MTH(D_n)`` such that every input of
  the first is an input of the second.  ``SUBTREE_PROOF(0, m, D_n)`` is the RFC
  9162 consistency proof ``PROOF(m, D_n)``; ``SUBTREE_PROOF(i, i + 1, D_n)`` is
  the inclusion proof ``PATH(i, D_n)``.

Generation, as in :mod:`ledger.merkle`, is range arithmetic first (which
``[a, b)`` hashes a proof carries) and hashes second (:func:`range_hashes` fetches
every complete subtree a proof needs in one call, so a database store answers
with one query).  Verification needs only hashes and raises
:class:`~ledger.merkle.ProofError` on any failure, an invalid subtree included.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    MemoryTree,
    ProofError,
    inclusion_ranges,
    node_hash,
    range_hashes,
    split_point,
    verify_inclusion,
)

__all__ = [
    "bit_ceil",
    "is_valid_subtree",
    "subtree_consistency_proof",
    "subtree_consistency_ranges",
    "subtree_hash",
    "subtree_inclusion_proof",
    "subtree_inclusion_ranges",
    "verify_subtree_consistency",
    "verify_subtree_inclusion",
]


# ------------------------------------------------------------------ definitions


def bit_ceil(n: int) -> int:
    """§2 ``BIT_CEIL(n)``: the smallest power of two ``>= n`` (``BIT_CEIL(0) = 1``)."""
    if n < 0:
        raise ValueError("BIT_CEIL is defined on non-negative integers")
    return 1 if n <= 1 else 1 << (n - 1).bit_length()


def is_valid_subtree(start: int, end: int) -> bool:
    """§4.1: ``0 <= start <= end`` and ``start`` is a multiple of ``BIT_CEIL(end - start)``.

    The tree size bound ``end <= n`` is the caller's (it depends on the tree).
    """
    return 0 <= start <= end and start % bit_ceil(end - start) == 0


def _require_subtree(start: int, end: int, size: int | None = None) -> None:
    if not is_valid_subtree(start, end):
        raise ProofError(f"[{start}, {end}) is not a valid subtree")
    if size is not None and end > size:
        raise ProofError(f"subtree [{start}, {end}) ends beyond a tree of size {size}")


def _check_hash(name: str, value: bytes) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise ProofError(f"{name} must be {HASH_SIZE} bytes")


# ------------------------------------------------------------------- generation


def subtree_inclusion_ranges(index: int, start: int, end: int) -> list[tuple[int, int]]:
    """§4.3: the ranges whose hashes form the inclusion proof of ``index`` in ``[start, end)``.

    ``PATH(index - start, D[start:end])`` (RFC 9162 §2.1.3.1), shifted back to
    positions in the log; leaf first.  Every range is aligned (``start`` is a
    multiple of ``BIT_CEIL(end - start)``), so :func:`range_hashes` can fold it.
    """
    _require_subtree(start, end)
    if not start <= index < end:
        raise ProofError(f"index {index} is outside the subtree [{start}, {end})")
    return [(start + a, start + b) for a, b in inclusion_ranges(index - start, end - start)]


def subtree_consistency_ranges(start: int, end: int, size: int) -> list[tuple[int, int]]:
    """§4.4.1: the ranges whose hashes form ``SUBTREE_PROOF(start, end, D_size)``.

    The recursion of the draft, unrolled top-down (``base`` is where the current
    ``D_n`` begins in the log, ``start``/``end`` are relative to it), then
    reversed into proof order::

        SUBTREE_PROOF(start, start, D_n)    = {}
        SUBTREE_PROOF(start, end, D_n)      = SUBTREE_SUBPROOF(start, end, D_n, true)
        SUBTREE_SUBPROOF(0, n, D_n, true)   = {}
        SUBTREE_SUBPROOF(0, n, D_n, false)  = {MTH(D_n)}
        end <= k:        SUBTREE_SUBPROOF(start, end, D[0:k], b) : MTH(D[k:n])
        k <= start:      SUBTREE_SUBPROOF(start - k, end - k, D[k:n], b) : MTH(D[0:k])
        start < k < end: SUBTREE_SUBPROOF(0, end - k, D[k:n], false) : MTH(D[0:k])

    (``k`` the largest power of two smaller than ``n``; the last case implies
    ``start == 0`` for a valid subtree.)
    """
    _require_subtree(start, end, size)
    if start == end:
        return []
    out: list[tuple[int, int]] = []
    base, n, known = 0, size, True
    while not (start == 0 and end == n):
        k = split_point(n)
        if end <= k:
            out.append((base + k, base + n))
            n = k
        elif k <= start:
            out.append((base, base + k))
            base, n, start, end = base + k, n - k, start - k, end - k
        else:
            out.append((base, base + k))
            base, n, end, known = base + k, n - k, end - k, False
    if not known:
        out.append((base, base + n))
    out.reverse()
    return out


def _tree_size(tree: MemoryTree, size: int | None) -> int:
    size = tree.size if size is None else size
    if not 0 <= size <= tree.size:
        raise ProofError(f"size {size} is outside 0..{tree.size}")
    return size


def subtree_hash(tree: MemoryTree, start: int, end: int) -> bytes:
    """§4.1: ``MTH(D[start:end])`` of a valid subtree of ``tree``."""
    _require_subtree(start, end, tree.size)
    if start == end:
        return EMPTY_ROOT
    return range_hashes([(start, end)], tree._source)[0]


def subtree_inclusion_proof(tree: MemoryTree, index: int, start: int, end: int) -> list[bytes]:
    """§4.3: the inclusion proof of entry ``index`` in the subtree ``[start, end)`` of ``tree``."""
    _require_subtree(start, end, tree.size)
    return range_hashes(subtree_inclusion_ranges(index, start, end), tree._source)


def subtree_consistency_proof(
    tree: MemoryTree, start: int, end: int, size: int | None = None
) -> list[bytes]:
    """§4.4.1: ``SUBTREE_PROOF(start, end, D_size)`` for the tree's first ``size`` entries."""
    size = _tree_size(tree, size)
    return range_hashes(subtree_consistency_ranges(start, end, size), tree._source)


# ----------------------------------------------------------------- verification


def verify_subtree_inclusion(
    entry_hash: bytes,
    index: int,
    start: int,
    end: int,
    proof: Sequence[bytes],
    subtree_hash: bytes,
) -> None:
    """§4.3.2, §4.3.3: verify that ``entry_hash`` is entry ``index`` of subtree ``[start, end)``.

    1. ``[start, end)`` must be a valid subtree (§4.1) and ``start <= index < end``.
    2.-6. Evaluate the proof as RFC 9162 §2.1.3.2 does, with ``leaf_index =
       index - start`` and ``tree_size = end - start`` (the draft says exactly
       this), and compare the result with ``subtree_hash``.

    Every hash must be 32 bytes (an empty entry hash never verifies, even
    against an equally empty subtree hash).  Raises :class:`ProofError`.
    """
    _require_subtree(start, end)
    if not start <= index < end:
        raise ProofError(f"index {index} is outside the subtree [{start}, {end})")
    verify_inclusion(entry_hash, index - start, end - start, proof, subtree_hash)


def verify_subtree_consistency(
    start: int,
    end: int,
    size: int,
    subtree_hash: bytes,
    root: bytes,
    proof: Sequence[bytes],
) -> None:
    """§4.4.3: verify that the subtree ``[start, end)`` with hash ``subtree_hash`` is part of
    the tree of ``size`` entries with root hash ``root``.

    The steps of the draft, numbered as there (``fn``, ``sn``, ``tn`` are the
    subtree's first and last entry and the tree's last entry, climbing one
    level per right-shift; ``fr`` rebuilds the subtree hash, ``sr`` the root).

    Hash lengths: proof hashes must be 32 bytes, and so must ``subtree_hash``
    and ``root`` once a proof hash is combined with them.  Where the draft only
    compares (an empty subtree, or the whole tree with an empty proof) the
    comparison is of bytes, like RFC 9162 consistency between equal sizes.
    Raises :class:`ProofError`.
    """
    # 1. A valid subtree that ends within the tree: 0 <= start <= end <= size.
    _require_subtree(start, end, size)
    # 2. The empty subtree: an empty proof and the hash of the empty string; root unused.
    if start == end:
        if proof:
            raise ProofError("an empty subtree needs an empty proof")
        if not hmac.compare_digest(subtree_hash, EMPTY_ROOT):
            raise ProofError("the hash of an empty subtree must be HASH()")
        return
    for p in proof:
        _check_hash("proof element", p)
    if proof:
        _check_hash("subtree hash", subtree_hash)
        _check_hash("root", root)
    path = list(proof)
    # 3. Cursors on the subtree's first and last entries and on the tree's last.
    fn, sn, tn = start, end - 1, size - 1
    if sn == tn:
        # 4. Flush with the tree's right edge: climb to the subtree's root.
        while fn != sn:
            fn, sn, tn = fn >> 1, sn >> 1, tn >> 1
    else:
        # 5. Otherwise climb while the last entry is a right child.
        while fn != sn and sn & 1:
            fn, sn, tn = fn >> 1, sn >> 1, tn >> 1
    if fn == sn:
        # 6. The node reached is the subtree's root: its hash is known.
        fr = sr = bytes(subtree_hash)
    else:
        # 7. Otherwise the proof starts with the hash of the node reached.
        if not path:
            raise ProofError("subtree consistency proof is empty")
        fr = sr = path.pop(0)
    # 8. Climb to the root; left siblings feed both hashes while still inside
    #    the subtree (fn < sn), right siblings only the tree's root.
    for c in path:
        if tn == 0:
            raise ProofError("subtree consistency proof is too long")
        if sn & 1 or sn == tn:
            if fn < sn:
                fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not sn & 1:
                fn, sn, tn = fn >> 1, sn >> 1, tn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn, tn = fn >> 1, sn >> 1, tn >> 1
    # 9. Both hashes rebuilt, and the whole tree climbed.
    if tn != 0:
        raise ProofError("subtree consistency proof is too short")
    if not hmac.compare_digest(fr, subtree_hash):
        raise ProofError("subtree consistency proof does not lead to the subtree hash")
    if not hmac.compare_digest(sr, root):
        raise ProofError("subtree consistency proof does not lead to the root")

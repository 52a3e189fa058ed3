"""Subtrees (Merkle Tree Certificates draft §4) against the transparency-dev probes."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import merkle, subtree
from ledger.merkle import MemoryTree, ProofError
from tests.conftest import VECTORS

TD = VECTORS / "merkle" / "transparency-dev"


def _b64(v: str | None) -> bytes:
    return base64.b64decode(v) if v else b""


def _probes(kind: str) -> list[Path]:
    if not (TD / kind).is_dir():
        return []
    return sorted((TD / kind).rglob("*.json"))


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(TD)) for p in paths]


INCLUSION = _probes("subtreeinclusion")
CONSISTENCY = _probes("subtreeconsistency")


def test_probe_folders_are_present(vectors: Path) -> None:
    assert len(INCLUSION) == 204
    assert len(CONSISTENCY) == 118


@pytest.mark.parametrize("path", INCLUSION, ids=_ids(INCLUSION))
def test_transparency_dev_subtree_inclusion(vectors: Path, path: Path) -> None:
    p = json.loads(path.read_text())
    proof = [_b64(x) for x in (p["proof"] or [])]
    args = (_b64(p["leafHash"]), p["leafIdx"], p["start"], p["end"], proof, _b64(p["root"]))
    if p["wantErr"]:
        with pytest.raises(ProofError):
            subtree.verify_subtree_inclusion(*args)
    else:
        subtree.verify_subtree_inclusion(*args)


@pytest.mark.parametrize("path", CONSISTENCY, ids=_ids(CONSISTENCY))
def test_transparency_dev_subtree_consistency(vectors: Path, path: Path) -> None:
    p = json.loads(path.read_text())
    proof = [_b64(x) for x in (p["proof"] or [])]
    args = (p["start"], p["end"], p["size"], _b64(p["root1"]), _b64(p["root2"]), proof)
    if p["wantErr"]:
        with pytest.raises(ProofError):
            subtree.verify_subtree_consistency(*args)
    else:
        subtree.verify_subtree_consistency(*args)


# ------------------------------------------------------------- the definitions


def test_valid_subtrees_follow_the_definition() -> None:
    assert [subtree.bit_ceil(n) for n in range(10)] == [1, 1, 2, 4, 4, 8, 8, 8, 8, 16]
    # §4.1: [0, x) and [x, x) are always subtrees.
    for x in range(40):
        assert subtree.is_valid_subtree(0, x)
        assert subtree.is_valid_subtree(x, x)
    assert subtree.is_valid_subtree(4, 8) and subtree.is_valid_subtree(8, 13)
    for start, end in [(1, 3), (2, 5), (2, 6), (1, 15), (3, 5), (2, 1), (-1, 0), (8, 17)]:
        assert not subtree.is_valid_subtree(start, end)
    assert not subtree.is_valid_subtree(1, 2**63 + 2)


def _mth(leaf_hashes: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 ``MTH`` by its recursive definition (no range arithmetic)."""
    n = len(leaf_hashes)
    if n == 0:
        return merkle.EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = merkle.split_point(n)
    return merkle.node_hash(_mth(leaf_hashes[:k]), _mth(leaf_hashes[k:]))


def _subproof(start: int, end: int, d: list[bytes], known: bool) -> list[bytes]:
    """``SUBTREE_SUBPROOF`` of the draft §4.4.1, transcribed literally."""
    n = len(d)
    if start == 0 and end == n:
        return [] if known else [_mth(d)]
    k = merkle.split_point(n)
    if end <= k:
        return [*_subproof(start, end, d[:k], known), _mth(d[k:])]
    if k <= start:
        return [*_subproof(start - k, end - k, d[k:], known), _mth(d[:k])]
    assert start == 0
    return [*_subproof(0, end - k, d[k:], False), _mth(d[:k])]


def _path(m: int, d: list[bytes]) -> list[bytes]:
    """RFC 9162 §2.1.3.1 ``PATH(m, D_n)``, transcribed literally."""
    n = len(d)
    if n == 1:
        return []
    k = merkle.split_point(n)
    if m < k:
        return [*_path(m, d[:k]), _mth(d[k:])]
    return [*_path(m - k, d[k:]), _mth(d[:k])]


def _leaves(n: int) -> list[bytes]:
    return [i.to_bytes(4, "big") for i in range(n)]


def test_every_subtree_of_small_trees_against_the_recursive_definitions() -> None:
    """Every valid subtree of every tree up to 33 entries: hashes, both proofs, verification."""
    count = 0
    for size in range(34):
        data = _leaves(size)
        hashes = [merkle.leaf_hash(x) for x in data]
        tree = MemoryTree(data)
        root = tree.root()
        for end in range(size + 1):
            for start in range(end + 1):
                if not subtree.is_valid_subtree(start, end):
                    with pytest.raises(ProofError):
                        subtree.subtree_consistency_proof(tree, start, end)
                    # Proofs that the hash arithmetic alone would accept are still
                    # refused: the inclusion proof inside MTH(D[start:end]) ...
                    sub = hashes[start:end]
                    with pytest.raises(ProofError):
                        subtree.verify_subtree_inclusion(
                            sub[0], start, start, end, _path(0, sub), _mth(sub)
                        )
                    # ... and PROOF(end, D_n) of [0, end) relabelled as [start, end).
                    with pytest.raises(ProofError):
                        subtree.verify_subtree_consistency(
                            start, end, size, _mth(hashes[:end]), root,
                            _subproof(0, end, hashes, True),
                        )
                    continue
                count += 1
                h = subtree.subtree_hash(tree, start, end)
                assert h == _mth(hashes[start:end])
                proof = subtree.subtree_consistency_proof(tree, start, end)
                want = [] if start == end else _subproof(start, end, hashes, True)
                assert proof == want, (start, end, size)
                subtree.verify_subtree_consistency(start, end, size, h, root, proof)
                for index in range(start, end):
                    path = subtree.subtree_inclusion_proof(tree, index, start, end)
                    assert path == _path(index - start, hashes[start:end])
                    subtree.verify_subtree_inclusion(hashes[index], index, start, end, path, h)
    assert count > 500


def test_special_cases_named_by_the_draft() -> None:
    tree = MemoryTree(_leaves(20))
    for size in range(1, 21):
        root = tree.root(size)
        for end in range(1, size + 1):
            # SUBTREE_PROOF(0, end, D_n) = PROOF(end, D_n)  (RFC 9162 consistency)
            proof = subtree.subtree_consistency_proof(tree, 0, end, size)
            assert proof == tree.consistency_proof(end, size)
            if end < size:
                merkle.verify_consistency(end, size, tree.root(end), root, proof)
        for start in range(size):
            # SUBTREE_PROOF(start, start + 1, D_n) = PATH(start, D_n)  (RFC 9162 inclusion)
            proof = subtree.subtree_consistency_proof(tree, start, start + 1, size)
            assert proof == tree.inclusion_proof(start, size)


def test_examples_of_the_draft() -> None:
    """§4.3.1 and §4.4.2: the example proofs, hash by hash."""
    data = _leaves(14)
    d = [merkle.leaf_hash(x) for x in data]
    tree = MemoryTree(data)
    # entry 10 of [8, 13): MTH({d[11]}), MTH(D[8:10]), MTH({d[12]})
    assert subtree.subtree_inclusion_proof(tree, 10, 8, 13) == [d[11], _mth(d[8:10]), d[12]]
    # [4, 8) in a tree of 14: MTH(D[0:4]), MTH(D[8:14])
    assert subtree.subtree_consistency_proof(tree, 4, 8) == [_mth(d[0:4]), _mth(d[8:14])]
    # [8, 13) in a tree of 14: MTH({d[12]}), MTH({d[13]}), MTH(D[8:12]), MTH(D[0:8])
    assert subtree.subtree_consistency_proof(tree, 8, 13) == [
        d[12], d[13], _mth(d[8:12]), _mth(d[0:8])
    ]
    # the ranges, for a store that fetches them in one query
    assert subtree.subtree_consistency_ranges(8, 13, 14) == [(12, 13), (13, 14), (8, 12), (0, 8)]
    assert subtree.subtree_inclusion_ranges(10, 8, 13) == [(11, 12), (8, 10), (12, 13)]


def test_edge_rules() -> None:
    tree = MemoryTree(_leaves(5))
    root = tree.root()
    h = subtree.subtree_hash(tree, 4, 5)
    # the empty subtree: empty proof and HASH(), whatever the root
    subtree.verify_subtree_consistency(3, 3, 5, merkle.EMPTY_ROOT, b"anything", [])
    with pytest.raises(ProofError):
        subtree.verify_subtree_consistency(3, 3, 5, root, root, [])
    with pytest.raises(ProofError):
        subtree.verify_subtree_consistency(3, 3, 5, merkle.EMPTY_ROOT, root, [root])
    with pytest.raises(ProofError):  # ends beyond the tree
        subtree.verify_subtree_consistency(6, 6, 5, merkle.EMPTY_ROOT, root, [])
    # the whole tree: empty proof, equal hashes
    subtree.verify_subtree_consistency(0, 5, 5, root, root, [])
    with pytest.raises(ProofError):
        subtree.verify_subtree_consistency(0, 5, 5, root, root, [h])
    with pytest.raises(ProofError):
        subtree.verify_subtree_consistency(0, 5, 5, root, h, [])
    # invalid subtrees never verify, whatever else is right
    with pytest.raises(ProofError):
        subtree.verify_subtree_consistency(1, 3, 5, root, root, [])
    with pytest.raises(ProofError):
        subtree.verify_subtree_inclusion(h, 4, 3, 5, [], h)
    with pytest.raises(ProofError):  # index outside the subtree
        subtree.verify_subtree_inclusion(h, 3, 4, 5, [], h)
    subtree.verify_subtree_inclusion(h, 4, 4, 5, [], h)
    with pytest.raises(ProofError):  # hashes are 32 bytes
        subtree.verify_subtree_inclusion(b"", 4, 4, 5, [], b"")
    with pytest.raises(ProofError):
        subtree.subtree_hash(tree, 4, 6)
    with pytest.raises(ProofError):
        subtree.subtree_consistency_proof(tree, 0, 4, 6)
    with pytest.raises(ProofError):
        subtree.subtree_inclusion_proof(tree, 5, 4, 5)
    with pytest.raises(ProofError):
        subtree.subtree_inclusion_proof(tree, 0, 0, 0)


# ------------------------------------------------------------------ properties


@st.composite
def tree_and_subtree(draw: st.DrawFn) -> tuple[MemoryTree, int, int, int]:
    """A tree, a size within it, a non-empty valid subtree ``[start, end)`` with ``end <= size``."""
    n = draw(st.integers(min_value=1, max_value=300))
    size = draw(st.integers(min_value=1, max_value=n))
    level = draw(st.integers(min_value=0, max_value=(size - 1).bit_length()))
    block = 1 << level
    start = block * draw(st.integers(min_value=0, max_value=(size - 1) // block))
    end = start + draw(st.integers(min_value=1, max_value=min(block, size - start)))
    assert subtree.is_valid_subtree(start, end)
    return MemoryTree(_leaves(n)), size, start, end


def _flip(proof: list[bytes], i: int, bit: int) -> list[bytes]:
    out = list(proof)
    b = bytearray(out[i])
    b[bit // 8] ^= 1 << (bit % 8)
    out[i] = bytes(b)
    return out


@settings(max_examples=200, deadline=None)
@given(tree_and_subtree(), st.data())
def test_property_subtree_inclusion_proofs_verify_and_alterations_fail(
    t: tuple[MemoryTree, int, int, int], data: st.DataObject
) -> None:
    tree, _, start, end = t
    index = data.draw(st.integers(start, end - 1))
    entry = merkle.leaf_hash(index.to_bytes(4, "big"))
    h = subtree.subtree_hash(tree, start, end)
    assert h == MemoryTree(_leaves(tree.size)[start:end]).root()
    proof = subtree.subtree_inclusion_proof(tree, index, start, end)
    subtree.verify_subtree_inclusion(entry, index, start, end, proof, h)
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        with pytest.raises(ProofError):
            subtree.verify_subtree_inclusion(entry, index, start, end, _flip(proof, i, bit), h)
        with pytest.raises(ProofError):
            subtree.verify_subtree_inclusion(entry, index, start, end, proof[:-1], h)
        with pytest.raises(ProofError):
            subtree.verify_subtree_inclusion(entry, index, start, end, proof[1:], h)
    with pytest.raises(ProofError):
        subtree.verify_subtree_inclusion(entry, index, start, end, [*proof, h], h)
    with pytest.raises(ProofError):
        subtree.verify_subtree_inclusion(entry, index, start, end, proof, _flip([h], 0, 7)[0])
    if end - start > 1:
        other = data.draw(st.integers(start, end - 1).filter(lambda j: j != index))
        with pytest.raises(ProofError):
            subtree.verify_subtree_inclusion(entry, other, start, end, proof, h)


@settings(max_examples=200, deadline=None)
@given(tree_and_subtree(), st.data())
def test_property_subtree_consistency_proofs_verify_and_alterations_fail(
    t: tuple[MemoryTree, int, int, int], data: st.DataObject
) -> None:
    tree, size, start, end = t
    h = subtree.subtree_hash(tree, start, end)
    root = tree.root(size)
    proof = subtree.subtree_consistency_proof(tree, start, end, size)
    subtree.verify_subtree_consistency(start, end, size, h, root, proof)
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        with pytest.raises(ProofError):
            subtree.verify_subtree_consistency(start, end, size, h, root, _flip(proof, i, bit))
        with pytest.raises(ProofError):
            subtree.verify_subtree_consistency(start, end, size, h, root, proof[:-1])
        with pytest.raises(ProofError):
            subtree.verify_subtree_consistency(start, end, size, h, root, proof[1:])
    with pytest.raises(ProofError):
        subtree.verify_subtree_consistency(start, end, size, h, root, [*proof, root])
    with pytest.raises(ProofError):
        subtree.verify_subtree_consistency(start, end, size, _flip([h], 0, 3)[0], root, proof)
    with pytest.raises(ProofError):
        subtree.verify_subtree_consistency(start, end, size, h, _flip([root], 0, 3)[0], proof)
    if size < tree.size:  # the proof is for this size, not a later one
        with pytest.raises(ProofError):
            subtree.verify_subtree_consistency(start, end, size + 1, h, tree.root(size + 1), proof)
    # the same hash and proof claimed at another valid position of the same width
    block = subtree.bit_ceil(end - start)
    moved = data.draw(st.integers(0, (size - (end - start)) // block)) * block
    if moved != start:
        with pytest.raises(ProofError):
            subtree.verify_subtree_consistency(moved, moved + end - start, size, h, root, proof)

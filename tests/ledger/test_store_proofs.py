"""Property tests over proofs served by the database store (not the in-memory tree)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import merkle
from ledger.merkle import ProofError
from tests.kit import Kit, make_kit

N = 300


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Kit:
    path: Path = tmp_path_factory.mktemp("proofs") / "board.db"
    return make_kit(f"sqlite:///{path}", notices=N - 2)


@pytest.fixture(scope="module")
def leaves(kit: Kit) -> list[bytes]:
    return [leaf for _, leaf in kit.board.entries(0, N)]


def _flip(path: list[bytes], i: int, bit: int) -> list[bytes]:
    out = list(path)
    b = bytearray(out[i])
    b[bit // 8] ^= 1 << (bit % 8)
    out[i] = bytes(b)
    return out


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_any_inclusion_proof_from_the_store_verifies_and_any_alteration_fails(
    kit: Kit, leaves: list[bytes], data: st.DataObject
) -> None:
    size = data.draw(st.integers(1, N))
    index = data.draw(st.integers(0, size - 1))
    p = kit.board.inclusion_proof(index, size)
    assert p.leaf_hash == merkle.leaf_hash(leaves[index])
    assert p.root == merkle.MemoryTree(leaves[:size]).root()
    merkle.verify_inclusion(p.leaf_hash, index, size, p.path, p.root)
    if p.path:
        i = data.draw(st.integers(0, len(p.path) - 1))
        bit = data.draw(st.integers(0, 255))
        with pytest.raises(ProofError):
            merkle.verify_inclusion(p.leaf_hash, index, size, _flip(p.path, i, bit), p.root)
        with pytest.raises(ProofError):
            merkle.verify_inclusion(p.leaf_hash, index, size, p.path[1:], p.root)
    other = data.draw(st.integers(0, N - 1).filter(lambda j: j != index))
    with pytest.raises(ProofError):
        merkle.verify_inclusion(merkle.leaf_hash(leaves[other]), index, size, p.path, p.root)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_any_consistency_proof_from_the_store_verifies_and_any_alteration_fails(
    kit: Kit, data: st.DataObject
) -> None:
    size = data.draw(st.integers(1, N))
    old = data.draw(st.integers(1, size))
    c = kit.board.consistency_proof(old, size)
    assert (c.old_root, c.root) == (kit.board.root(old)[1], kit.board.root(size)[1])
    merkle.verify_consistency(old, size, c.old_root, c.root, c.path)
    if c.path:
        i = data.draw(st.integers(0, len(c.path) - 1))
        bit = data.draw(st.integers(0, 255))
        with pytest.raises(ProofError):
            merkle.verify_consistency(old, size, c.old_root, c.root, _flip(c.path, i, bit))
        with pytest.raises(ProofError):
            merkle.verify_consistency(old, size, c.old_root, c.root, c.path[:-1])
    if old < size:
        with pytest.raises(ProofError):
            merkle.verify_consistency(old, size, c.root, c.old_root, c.path)

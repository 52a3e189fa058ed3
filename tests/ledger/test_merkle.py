"""RFC 9162 §2.1 Merkle trees against every fixture in shared/vectors/merkle."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import merkle
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


def _load(vectors: Path, name: str) -> dict:
    return json.loads((vectors / "merkle" / name).read_text())


def test_probe_folders_are_present(vectors: Path) -> None:
    assert len(_probes("inclusion")) > 50
    assert len(_probes("consistency")) > 50


@pytest.mark.parametrize("path", _probes("inclusion"), ids=_ids(_probes("inclusion")))
def test_transparency_dev_inclusion(vectors: Path, path: Path) -> None:
    p = json.loads(path.read_text())
    proof = [_b64(x) for x in (p["proof"] or [])]
    args = (_b64(p["leafHash"]), p["leafIdx"], p["treeSize"], proof, _b64(p["root"]))
    if p["wantErr"]:
        with pytest.raises(ProofError):
            merkle.verify_inclusion(*args)
    else:
        merkle.verify_inclusion(*args)


@pytest.mark.parametrize("path", _probes("consistency"), ids=_ids(_probes("consistency")))
def test_transparency_dev_consistency(vectors: Path, path: Path) -> None:
    p = json.loads(path.read_text())
    proof = [_b64(x) for x in (p["proof"] or [])]
    args = (p["size1"], p["size2"], _b64(p["root1"]), _b64(p["root2"]), proof)
    if p["wantErr"]:
        with pytest.raises(ProofError):
            merkle.verify_consistency(*args)
    else:
        merkle.verify_consistency(*args)


def test_sizes_0_to_8_roots_and_every_proof(vectors: Path) -> None:
    d = _load(vectors, "rfc9162-sizes-0-8.json")
    leaves = [bytes.fromhex(x) for x in d["leaf_inputs_hex"]]
    assert [merkle.leaf_hash(x).hex() for x in leaves] == d["leaf_hashes"]
    tree = MemoryTree(leaves)
    for r in d["roots"]:
        assert tree.root(r["tree_size"]).hex() == r["root"]
        assert MemoryTree(leaves[: r["tree_size"]]).root().hex() == r["root"]
    assert len(d["inclusion"]) == 36 and len(d["consistency"]) == 36
    for c in d["inclusion"]:
        path = tree.inclusion_proof(c["leaf_index"], c["tree_size"])
        assert [h.hex() for h in path] == c["path"]
        merkle.verify_inclusion(
            bytes.fromhex(c["leaf_hash"]),
            c["leaf_index"],
            c["tree_size"],
            path,
            bytes.fromhex(c["root"]),
        )
    for c in d["consistency"]:
        proof = tree.consistency_proof(c["size1"], c["size2"])
        assert [h.hex() for h in proof] == c["proof"]
        merkle.verify_consistency(
            c["size1"], c["size2"], bytes.fromhex(c["root1"]), bytes.fromhex(c["root2"]), proof
        )


def test_go_constants(vectors: Path) -> None:
    d = _load(vectors, "transcribed-go-constants.json")
    for h in d["hasher"]:
        if h["fn"] == "empty_root":
            got = merkle.EMPTY_ROOT
        elif h["fn"] == "leaf":
            got = merkle.leaf_hash(bytes.fromhex(h["input_hex"]))
        else:
            got = merkle.node_hash(bytes.fromhex(h["left_hex"]), bytes.fromhex(h["right_hex"]))
        assert got.hex() == h["want"], h["desc"]
    leaves = [bytes.fromhex(x) for x in d["leaf_inputs_hex"]]
    tree = MemoryTree(leaves)
    nodes = tree.nodes()
    for level, row in enumerate(d["node_hashes_by_level"]):
        for index, want in enumerate(row):
            assert nodes[(level, index)].hex() == want
    for size, want in enumerate(d["root_hashes_by_size"]):
        assert tree.root(size).hex() == want
    for size, compact in enumerate(d["compact_trees_by_size"]):
        # a compact range is exactly the complete subtrees that tile [0, size)
        got = [nodes[n].hex() for n in merkle.range_nodes(0, size)]
        assert got == compact
    for c in d["proofgen_inclusion"]:
        assert [h.hex() for h in tree.inclusion_proof(c["leaf_index"], c["tree_size"])] == c["path"]
    for c in d["proofgen_consistency"]:
        got = tree.consistency_proof(c["size1"], c["size2"])
        assert [h.hex() for h in got] == c["proof"]


def test_edge_rules() -> None:
    tree = MemoryTree([b"a", b"b", b"c"])
    root = tree.root()
    with pytest.raises(ProofError):
        merkle.verify_consistency(0, 0, merkle.EMPTY_ROOT, merkle.EMPTY_ROOT, [])
    with pytest.raises(ProofError):
        merkle.verify_consistency(0, 3, merkle.EMPTY_ROOT, root, [])
    merkle.verify_consistency(3, 3, root, root, [])
    with pytest.raises(ProofError):
        merkle.verify_consistency(3, 3, root, root, [root])
    with pytest.raises(ProofError):
        merkle.verify_consistency(3, 2, root, root, [root])
    with pytest.raises(ProofError):
        tree.inclusion_proof(3, 3)
    with pytest.raises(ProofError):
        tree.root(4)
    assert MemoryTree().root() == merkle.EMPTY_ROOT


@st.composite
def tree_and_sizes(draw: st.DrawFn) -> tuple[MemoryTree, int, int]:
    n = draw(st.integers(min_value=1, max_value=300))
    leaves = [i.to_bytes(4, "big") for i in range(n)]
    size = draw(st.integers(min_value=1, max_value=n))
    other = draw(st.integers(min_value=1, max_value=size))
    return MemoryTree(leaves), size, other


def _flip(proof: list[bytes], i: int, bit: int) -> list[bytes]:
    out = list(proof)
    b = bytearray(out[i])
    b[bit // 8] ^= 1 << (bit % 8)
    out[i] = bytes(b)
    return out


@settings(max_examples=150, deadline=None)
@given(tree_and_sizes(), st.data())
def test_property_any_inclusion_proof_verifies_and_any_alteration_fails(
    t: tuple[MemoryTree, int, int], data: st.DataObject
) -> None:
    tree, size, index = t
    index -= 1
    proof = tree.inclusion_proof(index, size)
    lh = merkle.leaf_hash(index.to_bytes(4, "big"))
    root = tree.root(size)
    merkle.verify_inclusion(lh, index, size, proof, root)
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        with pytest.raises(ProofError):
            merkle.verify_inclusion(lh, index, size, _flip(proof, i, bit), root)
        with pytest.raises(ProofError):
            merkle.verify_inclusion(lh, index, size, proof[:-1], root)
    with pytest.raises(ProofError):
        merkle.verify_inclusion(lh, index, size, [*proof, root], root)
    wrong = data.draw(st.integers(0, size - 1).filter(lambda j: j != index)) if size > 1 else None
    if wrong is not None:
        with pytest.raises(ProofError):
            merkle.verify_inclusion(lh, wrong, size, proof, root)


@settings(max_examples=150, deadline=None)
@given(tree_and_sizes(), st.data())
def test_property_any_consistency_proof_verifies_and_any_alteration_fails(
    t: tuple[MemoryTree, int, int], data: st.DataObject
) -> None:
    tree, size, old = t
    proof = tree.consistency_proof(old, size)
    old_root, root = tree.root(old), tree.root(size)
    merkle.verify_consistency(old, size, old_root, root, proof)
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        with pytest.raises(ProofError):
            merkle.verify_consistency(old, size, old_root, root, _flip(proof, i, bit))
        with pytest.raises(ProofError):
            merkle.verify_consistency(old, size, old_root, root, proof[:-1])
        with pytest.raises(ProofError):
            merkle.verify_consistency(old, size, old_root, root, [*proof, root])
    if old < size:
        with pytest.raises(ProofError):
            merkle.verify_consistency(old, size, root, old_root, proof)

"""C2SP tlog-tiles read paths: hash tiles, entry bundles, paths, and a client that uses them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from ledger.checkpoint import Checkpoint
from ledger.errors import NotFound
from ledger.merkle import MemoryTree, fold_range, leaf_hash, node_hash, range_nodes
from ledger.note import open_note
from tests.kit import Kit, make_kit
from webapp.app import create_app
from webapp.tiles import encode_index, parse_tile_path

SIZE = 600  # genesis, the publisher, 598 notices: two full tiles and a partial one of 88
HASH = 32
W = 256


@pytest.fixture
def kit(db_url: str) -> Kit:
    kit = make_kit(db_url)
    kit.publish(SIZE - kit.board.size())
    kit.board.sign_checkpoint(kit.log)
    assert kit.board.size() == SIZE
    return kit


@pytest.fixture
def client(kit: Kit, db_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(db_url), raise_server_exceptions=False) as c:
        yield c


def leaves(kit: Kit, start: int, end: int) -> list[bytes]:
    return [leaf for _, leaf in kit.board.entries(start, end)]


def is_404(r) -> bool:
    return r.status_code == 404 and set(r.json()) == {"error", "detail"}


# --------------------------------------------------------------- a tile client


class TileClient:
    """Rebuilds a tree head from the checkpoint and hash tiles alone (tlog-tiles, RFC 9162)."""

    def __init__(self, http: TestClient) -> None:
        self.http = http
        self.tiles: dict[tuple[int, int], bytes] = {}
        self.fetched: list[str] = []

    def tile(self, level: int, index: int, size: int) -> bytes:
        """Tile ``level``/``index`` at the width the tree of ``size`` has reached."""
        width = min(W, (size >> (8 * level)) - index * W)
        assert width > 0
        if (level, index) not in self.tiles:
            path = f"/tile/{level}/{encode_index(index)}" + ("" if width == W else f".p/{width}")
            r = self.http.get(path)
            assert r.status_code == 200, (path, r.text)
            assert len(r.content) == width * HASH
            self.fetched.append(path)
            self.tiles[(level, index)] = r.content
        return self.tiles[(level, index)]

    def subtree(self, level: int, index: int, size: int) -> bytes:
        """The hash of complete subtree ``(level, index)`` (``2**level`` leaves)."""
        if level % 8 == 0:
            t = self.tile(level // 8, index // W, size)
            i = index % W
            return t[i * HASH : (i + 1) * HASH]
        return node_hash(
            self.subtree(level - 1, 2 * index, size), self.subtree(level - 1, 2 * index + 1, size)
        )

    def root(self, size: int) -> bytes:
        """RFC 9162 MTH(D[0:size]): the right fold of the complete subtrees that tile it."""
        return fold_range([self.subtree(lv, i, size) for lv, i in range_nodes(0, size)])


def test_tile_client_rebuilds_the_checkpoint_root(client: TestClient, kit: Kit) -> None:
    r = client.get("/checkpoint")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-cache"
    assert r.text == client.get("/api/v1/board/checkpoint").text
    note, _ = open_note(r.content, [kit.log.verifier()])
    cp = Checkpoint.from_text(note.text)
    assert cp.size == SIZE
    tc = TileClient(client)
    assert tc.root(cp.size) == cp.root_hash
    # 600 = 512 + 88: the level-1 tile gives the 512, the partial level-0 tile the rest
    assert sorted(tc.fetched) == ["/tile/0/002.p/88", "/tile/1/000.p/2"]
    # and every smaller tree head too, from tiles served at the widths that tree had
    for size in (1, 2, 255, 256, 257, 300, 511, 512, 513, 599):
        assert TileClient(client).root(size) == kit.board.root(size)[1], size


def test_hash_tiles(client: TestClient, kit: Kit) -> None:
    hashes = [leaf_hash(x) for x in leaves(kit, 0, SIZE)]
    full = client.get("/tile/0/000")
    assert full.status_code == 200
    assert full.headers["content-type"] == "application/octet-stream"
    assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert len(full.content) == W * HASH
    assert full.content == b"".join(hashes[:256])
    assert client.get("/tile/0/001").content == b"".join(hashes[256:512])

    part = client.get("/tile/0/002.p/88")
    assert part.status_code == 200
    assert part.content == b"".join(hashes[512:600])
    assert "immutable" not in part.headers.get("cache-control", "")
    assert client.get("/tile/0/002.p/5").content == b"".join(hashes[512:517])
    assert client.get("/tile/0/000.p/7").content == b"".join(hashes[:7])

    tree = MemoryTree(leaves(kit, 0, SIZE)).nodes()
    level1 = client.get("/tile/1/000.p/2")
    assert level1.status_code == 200
    assert level1.content == tree[(8, 0)] + tree[(8, 1)]
    assert client.get("/tile/1/000.p/1").content == tree[(8, 0)]


def test_entry_bundles(client: TestClient, kit: Kit) -> None:
    def parse(bundle: bytes) -> list[bytes]:
        out, i = [], 0
        while i < len(bundle):
            n = int.from_bytes(bundle[i : i + 2], "big")
            out.append(bundle[i + 2 : i + 2 + n])
            i += 2 + n
        assert i == len(bundle)
        return out

    r = client.get("/tile/entries/000")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert parse(r.content) == leaves(kit, 0, 256)
    assert r.content == b"".join(len(x).to_bytes(2, "big") + x for x in leaves(kit, 0, 256))
    assert parse(client.get("/tile/entries/001").content) == leaves(kit, 256, 512)
    r = client.get("/tile/entries/002.p/88")
    assert r.status_code == 200
    assert "immutable" not in r.headers.get("cache-control", "")
    assert parse(r.content) == leaves(kit, 512, 600)


BEYOND = [
    "/tile/0/002",  # not full yet
    "/tile/0/002.p/89",  # wider than the tree
    "/tile/0/003.p/1",
    "/tile/1/000",
    "/tile/1/000.p/3",
    "/tile/2/000.p/1",
    "/tile/entries/002",
    "/tile/entries/002.p/89",
    "/tile/entries/003.p/1",
    "/tile/0/x001/000",
    "/tile/0/x999/x999/x999/x999/x999/x999/999",  # beyond any database
    "/tile/entries/x999/x999/x999/x999/x999/x999/999",
    "/tile/63/000.p/1",
]
MALFORMED = [
    "/tile/0/1",
    "/tile/0/01",
    "/tile/0/0000",
    "/tile/0/x000/001",
    "/tile/0/000.p/256",
    "/tile/0/000.p/0",
    "/tile/0/000.p/01",
    "/tile/0/000.p/",
    "/tile/0/000.p/x",
    "/tile/0/000/",
    "/tile/0/x001",
    "/tile/0/x1/000",
    "/tile/0/abc",
    "/tile/01/000",
    "/tile/00/000",
    "/tile/-1/000",
    "/tile/64/000",
    "/tile/100/000",
    "/tile/x/000",
    "/tile/entries/1",
    "/tile/entries/000.p/0",
    "/tile/entries/000.p/256",
    "/tile/entries/x000/001",
    "/tile/0",
    "/tile/",
]


def test_missing_and_malformed_tiles_are_404_json(client: TestClient) -> None:
    for path in BEYOND + MALFORMED:
        r = client.get(path)
        assert is_404(r), (path, r.status_code, r.text)


def test_encode_index() -> None:
    assert encode_index(1234067) == "x001/x234/067"
    assert encode_index(0) == "000"
    assert encode_index(7) == "007"
    assert encode_index(999) == "999"
    assert encode_index(1000) == "x001/000"
    assert encode_index(1000000) == "x001/x000/000"
    assert parse_tile_path("x001/x234/067") == (1234067, 256)
    assert parse_tile_path("x001/x234/067.p/9") == (1234067, 9)
    for bad in ["1", "x000/001", "000.p/256", "000.p/0", "0001", "x01/000", "000.p/007", ""]:
        with pytest.raises(NotFound):
            parse_tile_path(bad)


@given(st.integers(min_value=0, max_value=2**55 - 1), st.integers(min_value=1, max_value=256))
def test_tile_path_round_trip(n: int, width: int) -> None:
    path = encode_index(n)
    assert all(len(g) == 4 and g[0] == "x" for g in path.split("/")[:-1])
    if width == W:
        assert parse_tile_path(path) == (n, W)
    else:
        assert parse_tile_path(f"{path}.p/{width}") == (n, width)

"""The HTTP read API: the same answers as the CLI, proofs that verify, JSON errors, no 5xx."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.checkpoint import Checkpoint
from ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from ledger.note import open_note
from tests.kit import ORIGIN, Kit, make_kit
from tests.webapp.conftest import Cli
from webapp.app import create_app


@pytest.fixture
def kit(db_url: str) -> Kit:
    kit = make_kit(db_url, notices=10)
    kit.board.sign_checkpoint(kit.log)
    return kit


@pytest.fixture
def client(kit: Kit, db_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(db_url), raise_server_exceptions=False) as c:
        yield c


def open_cp(kit: Kit, note: str) -> Checkpoint:
    opened, _ = open_note(note.encode(), [kit.log.verifier()])
    return Checkpoint.from_text(opened.text)


def is_error(r) -> bool:
    return (
        400 <= r.status_code < 500
        and r.headers["content-type"].startswith("application/json")
        and set(r.json()) == {"error", "detail"}
        and isinstance(r.json()["error"], str)
        and isinstance(r.json()["detail"], str)
    )


def test_checkpoint(client: TestClient, kit: Kit) -> None:
    r = client.get("/api/v1/board/checkpoint")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    cp = open_cp(kit, r.text)
    assert cp.origin == ORIGIN
    assert (cp.size, cp.root_hash) == kit.board.root()
    assert cp.size == 12


def test_entries(client: TestClient, kit: Kit) -> None:
    r = client.get("/api/v1/board/entries", params={"start": 3, "end": 8})
    assert r.status_code == 200
    rows = r.json()["entries"]
    assert [e["index"] for e in rows] == [3, 4, 5, 6, 7]
    stored = dict(kit.board.entries(3, 8))
    for e in rows:
        leaf = base64.b64decode(e["leaf"], validate=True)
        assert leaf == stored[e["index"]]
        assert e["kind"] == json.loads(leaf)["kind"] == "notice.publish"
    # the default range, and the kind filter
    assert len(client.get("/api/v1/board/entries").json()["entries"]) == 12
    r = client.get("/api/v1/board/entries", params={"start": 0, "end": 12, "kind": "board.genesis"})
    assert [e["index"] for e in r.json()["entries"]] == [0]
    r = client.get("/api/v1/board/entries", params={"start": 12, "end": 12})
    assert r.json() == {"entries": [], "next": None}


def test_proofs_verify(client: TestClient, kit: Kit) -> None:
    old = open_cp(kit, client.get("/api/v1/board/checkpoint").text)
    kit.publish(5, start=100)
    kit.board.sign_checkpoint(kit.log)
    cp = open_cp(kit, client.get("/api/v1/board/checkpoint").text)
    assert cp.size == old.size + 5

    rows = client.get("/api/v1/board/entries", params={"start": 0, "end": cp.size}).json()
    for e in rows["entries"]:
        leaf = base64.b64decode(e["leaf"])
        p = client.get("/api/v1/board/proof/inclusion", params={"index": e["index"]}).json()
        assert p["leaf_hash"] == leaf_hash(leaf).hex()
        assert (p["size"], p["root"]) == (cp.size, cp.root_hash.hex())
        path = [bytes.fromhex(h) for h in p["path"]]
        verify_inclusion(leaf_hash(leaf), e["index"], cp.size, path, cp.root_hash)

    p = client.get("/api/v1/board/proof/inclusion", params={"index": 2, "size": old.size}).json()
    verify_inclusion(
        bytes.fromhex(p["leaf_hash"]),
        2,
        old.size,
        [bytes.fromhex(h) for h in p["path"]],
        old.root_hash,
    )

    c = client.get("/api/v1/board/proof/consistency", params={"old": old.size}).json()
    assert (c["old_size"], c["size"]) == (old.size, cp.size)
    assert (c["old_root"], c["root"]) == (old.root_hash.hex(), cp.root_hash.hex())
    verify_consistency(
        old.size, cp.size, old.root_hash, cp.root_hash, [bytes.fromhex(h) for h in c["path"]]
    )
    same = client.get("/api/v1/board/proof/consistency", params={"old": cp.size}).json()
    assert same["path"] == []
    assert same["old_root"] == same["root"] == cp.root_hash.hex()


def test_api_and_cli_agree(
    client: TestClient, kit: Kit, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = Cli(db_url, tmp_path / "no-keys", capsys)  # read commands need no keys
    assert cli.ok("board", "checkpoint").out == client.get("/api/v1/board/checkpoint").text
    assert cli.ok("board", "checkpoint").out == client.get("/checkpoint").text
    api = client.get("/api/v1/board/entries", params={"start": 1, "end": 11}).json()["entries"]
    assert cli.ok("board", "entries", "--start", "1", "--end", "11", "--json").json_lines() == api
    for index, size in [(0, None), (5, None), (3, 7)]:
        args = ["--index", str(index)] + ([] if size is None else ["--size", str(size)])
        params = {"index": index} | ({} if size is None else {"size": size})
        assert (
            cli.ok("board", "prove", "inclusion", *args, "--json").json_lines()[0]
            == client.get("/api/v1/board/proof/inclusion", params=params).json()
        )
    for old, size in [(1, None), (5, None), (3, 9), (12, None)]:
        args = ["--old", str(old)] + ([] if size is None else ["--size", str(size)])
        params = {"old": old} | ({} if size is None else {"size": size})
        assert (
            cli.ok("board", "prove", "consistency", *args, "--json").json_lines()[0]
            == client.get("/api/v1/board/proof/consistency", params=params).json()
        )


BAD_REQUESTS = {
    "index out of range": ("/api/v1/board/proof/inclusion?index=12", 404),
    "index at size": ("/api/v1/board/proof/inclusion?index=5&size=5", 404),
    "size out of range": ("/api/v1/board/proof/inclusion?index=0&size=13", 404),
    "old out of range": ("/api/v1/board/proof/consistency?old=13", 404),
    "old above size": ("/api/v1/board/proof/consistency?old=5&size=4", 404),
    "size above tree": ("/api/v1/board/proof/consistency?old=1&size=99", 404),
    "negative index": ("/api/v1/board/proof/inclusion?index=-1", 400),
    "negative size": ("/api/v1/board/proof/inclusion?index=0&size=-1", 400),
    "negative old": ("/api/v1/board/proof/consistency?old=-1", 400),
    "negative start": ("/api/v1/board/entries?start=-1", 400),
    "non-integer index": ("/api/v1/board/proof/inclusion?index=abc", 400),
    "float index": ("/api/v1/board/proof/inclusion?index=1.5", 400),
    "non-integer end": ("/api/v1/board/entries?start=0&end=x", 400),
    "missing index": ("/api/v1/board/proof/inclusion", 400),
    "missing old": ("/api/v1/board/proof/consistency", 400),
    "too many entries": ("/api/v1/board/entries?start=0&end=1001", 400),
    "start > end": ("/api/v1/board/entries?start=5&end=2", 400),
    "start beyond size": ("/api/v1/board/entries?start=50", 400),
    "huge start": (f"/api/v1/board/entries?start={10**20}&end={10**20 + 1}", 400),
    "huge index": (f"/api/v1/board/proof/inclusion?index={10**30}", 400),
    "long kind": ("/api/v1/board/entries?kind=" + "k" * 65, 400),
    "unknown route": ("/api/v1/board/nope", 404),
    "unknown root route": ("/nope", 404),
    "wrong method": ("POST /api/v1/board/checkpoint", 405),
}


def test_errors_are_json_4xx(client: TestClient, kit: Kit) -> None:
    before = kit.board.root()
    for name, (url, status) in BAD_REQUESTS.items():
        method, _, path = url.rpartition(" ")
        r = client.request(method or "GET", path)
        assert r.status_code == status, (name, r.text)
        assert is_error(r), (name, r.text)
    assert kit.board.root() == before


def test_empty_board_errors(db_url: str) -> None:
    with TestClient(create_app(db_url), raise_server_exceptions=False) as c:
        for path in ["/api/v1/board/checkpoint", "/checkpoint", "/tile/0/000"]:
            r = c.get(path)
            assert r.status_code == 404
            assert is_error(r)
        assert c.get("/").status_code == 200


# Arbitrary query values: integers of any size and sign, and arbitrary text.
VALUES = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.integers(min_value=-3, max_value=40).map(str),
    st.text(max_size=30),
    st.sampled_from(["", " 1", "1e3", "0x10", "١", "NaN", "-0", "+5", "01"]),
)
PARAMS = {
    "/api/v1/board/entries": ["start", "end", "kind"],
    "/api/v1/board/proof/inclusion": ["index", "size"],
    "/api/v1/board/proof/consistency": ["old", "size"],
}


@pytest.fixture
def fuzz_client(client: TestClient) -> TestClient:
    return client


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    route=st.sampled_from(sorted(PARAMS)),
    values=st.dictionaries(
        st.sampled_from(["start", "end", "kind", "index", "size", "old", "x"]), VALUES, max_size=4
    ),
)
def test_fuzz_query_parameters(fuzz_client: TestClient, route: str, values: dict) -> None:
    r = fuzz_client.get(route, params=values)
    assert r.status_code < 500, (route, values, r.text)
    if r.status_code >= 400:
        assert is_error(r), (route, values, r.text)
    else:
        assert r.status_code == 200
        assert isinstance(r.json(), dict)

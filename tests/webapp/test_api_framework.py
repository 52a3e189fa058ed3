"""The application's frame: the status of every rejection, the body size and depth limits,
the error shape of the framework's own refusals, static and vendor files, OpenAPI, and the
optional routers and pages."""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, Request
from fastapi.testclient import TestClient

from ledger.errors import Rejected
from tests.kit import Kit, make_kit
from tests.webapp.test_api_kit import is_error, post_bytes, state_of
from webapp import app as app_module
from webapp.app import NODE_MODULES, STATIC, STATUS, BodyLimits, create_app, json_depth, status_of
from webapp.keystore import KeyStore

# A router of "another domain", included through the optional-router mechanism.
router = APIRouter(prefix="/api/v1/probe")
BODY_LIMITS = {"/api/v1/probe/big": 300_000}


@router.post("/big")
async def probe_big(request: Request) -> dict[str, int]:
    return {"received": len(await request.body())}


@router.post("/small")
async def probe_small(request: Request) -> dict[str, int]:
    return {"received": len(await request.body())}


MODULES = (
    "ledger.errors",
    "services.identity.errors",
    "services.health.errors",
    "services.voting.errors",
    "services.voting.record",
    "services.voting.receipt",
    "webapp.api",
    "webapp.cli_voting",
    "webapp.cli_health",
    "services.identity.mailbox",
    "services.identity.sessions",
)
EXPECTED = {
    "malformed_entry": 400,
    "non_canonical": 400,
    "bad_body": 400,
    "too_deep": 400,
    "bad_request": 400,
    "malformed_voting_entry": 400,
    "bad_document": 400,
    "malformed_record": 400,
    "role_not_allowed": 403,
    "genesis_refused": 403,
    "not_found": 404,
    "not_initialised": 404,
    "unknown_author": 404,
    "unknown_kind": 404,
    "unknown_election": 404,
    "unknown_record": 404,
    "duplicate_entry": 409,
    "wrong_phase": 409,
    "election_exists": 409,
    "window_passed": 409,
    "already_voted": 409,
    "ballot_replayed": 409,
    "ballot_challenged": 409,
    "no_ballot_box": 409,
    "export_failed": 409,
    "entry_too_large": 413,
    "body_too_large": 413,
    "unsupported_media_type": 415,
    "bad_signature": 422,
    "domain_rejection": 422,
    "invalid_ballot": 422,
    "not_eligible": 422,
    "invalid_challenge": 422,
    "tally_mismatch": 422,
    "not_the_tally": 422,
    "not_enough_partials": 422,
    "result_mismatch": 422,
    "ceremony": 422,
    "not_the_trustee": 422,
    "presentation_rejected": 422,
    "no_grant": 422,
    "grant_revoked": 422,
    "grant_expired": 422,
    "request_expired": 410,
    "mailbox_full": 429,
    "unknown_request": 404,
}


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_rejection_has_a_4xx() -> None:
    for name in MODULES:
        importlib.import_module(name)
    classes = {Rejected, *_subclasses(Rejected)}
    codes = set()
    for cls in classes:
        r = cls.__new__(cls)
        r.detail = "x"
        status = status_of(r)
        assert 400 <= status < 500, (cls, status)
        assert status in (400, 403, 404, 409, 410, 413, 415, 422, 429), (cls, status)
        codes.add(cls.code)
        if cls.code in EXPECTED:
            assert status == EXPECTED[cls.code], (cls.__name__, cls.code, status)
    assert set(EXPECTED) <= codes, sorted(set(EXPECTED) - codes)
    assert set(STATUS) <= codes | {"health_input"}, sorted(set(STATUS) - codes)


@pytest.fixture
def kit(db_url: str) -> Kit:
    kit = make_kit(db_url, notices=3)
    kit.board.sign_checkpoint(kit.log)
    return kit


@pytest.fixture
def client(kit: Kit, db_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(db_url), raise_server_exceptions=False) as c:
        yield c


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_json_depth() -> None:
    assert json_depth(1) == 1
    assert json_depth([]) == 1
    assert json_depth([1]) == 2
    assert json_depth({"a": [1, {"b": []}]}) == 4
    assert json_depth(json.loads(nested(32))) == 32


def test_body_size_limit(client: TestClient, kit: Kit) -> None:
    before = state_of(kit.board)
    path = "/api/v1/board/entries"
    r = post_bytes(client, path, b" " * (128 * 1024 + 1))
    assert is_error(r, 413) and r.json()["error"] == "body_too_large"
    # a streamed body without Content-Length is counted as it arrives
    chunks = (b"x" * 4096 for _ in range(40))
    r = client.post(path, content=chunks, headers={"content-type": "application/json"})
    assert is_error(r, 413) and r.json()["error"] == "body_too_large"
    # at the limit, the route decides (an entry is at most 65,535 bytes)
    r = post_bytes(client, path, b" " * (128 * 1024))
    assert is_error(r, 413) and r.json()["error"] == "entry_too_large"
    r = post_bytes(client, "/api/v1/voting/receipts/check", b" " * (128 * 1024))
    assert is_error(r, 400) and r.json()["error"] == "bad_body"
    assert state_of(kit.board) == before


def test_json_depth_limit(client: TestClient, kit: Kit) -> None:
    before = state_of(kit.board)
    for path in ["/api/v1/board/entries", "/api/v1/voting/receipts/check",
                 "/api/v1/voting/elections/x/ballots"]:  # fmt: skip
        for depth in (33, 1000, 60_000):
            r = post_bytes(client, path, nested(depth))
            assert is_error(r, 400) and r.json()["error"] == "too_deep", (path, depth, r.text)
    # 32 levels pass the frame; the route then refuses what is not its document
    r = post_bytes(client, "/api/v1/voting/receipts/check", nested(32))
    assert is_error(r, 400) and r.json()["error"] == "bad_body"
    # a scalar is a level too, as in entries (docs/board.md §1)
    r = post_bytes(client, "/api/v1/voting/receipts/check", b'{"a":' * 31 + b"1" + b"}" * 31)
    assert is_error(r, 400) and r.json()["error"] == "bad_body"
    r = post_bytes(client, "/api/v1/voting/receipts/check", b'{"a":' * 32 + b"1" + b"}" * 32)
    assert is_error(r, 400) and r.json()["error"] == "too_deep"
    # brackets inside strings are not nesting
    r = post_bytes(client, "/api/v1/voting/receipts/check", json.dumps(["[" * 100]).encode())
    assert is_error(r, 400) and r.json()["error"] == "bad_body"
    assert state_of(kit.board) == before


def _asgi(app: Any, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> dict[str, Any]:
    """One request straight through an ASGI app; the status and body it sends."""
    sent: dict[str, Any] = {"body": b""}
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
                for i, c in enumerate(chunks)]  # fmt: skip

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            sent["status"] = message["status"]
        else:
            sent["body"] += message.get("body", b"")

    scope = {"type": "http", "method": "POST", "path": "/x", "headers": headers,
             "query_string": b"", "http_version": "1.1"}  # fmt: skip
    asyncio.run(app(scope, receive, send))
    return sent


def test_body_limits_middleware_alone() -> None:
    seen: list[bytes] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        seen.append(message["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    mw = BodyLimits(inner, max_body=10, max_depth=2, limits={"/x": 12})
    assert mw.limit_for("/x/y") == 12 and mw.limit_for("/y") == 10
    json_type = [(b"content-type", b"application/json")]
    out = _asgi(mw, json_type, [b"[[", b"]]"])
    assert out["status"] == 200 and seen == [b"[[]]"]  # reassembled from its chunks
    out = _asgi(mw, json_type, [b"[[[", b"]]]"])
    assert out["status"] == 400 and json.loads(out["body"])["error"] == "too_deep"
    out = _asgi(mw, [(b"content-type", b"text/plain")], [b"[[[", b"]]]"])
    assert out["status"] == 200  # not JSON: the depth is the route's business
    out = _asgi(mw, json_type, [b"1234567", b"890123"])
    assert out["status"] == 413 and json.loads(out["body"])["error"] == "body_too_large"
    out = _asgi(mw, [(b"content-length", b"13"), *json_type], [b"1"])
    assert out["status"] == 413
    out = _asgi(mw, [(b"content-length", b"-1"), *json_type], [b"1"])
    assert out["status"] == 400 and json.loads(out["body"])["error"] == "bad_request"
    assert len(seen) == 2


def test_framework_refusals_have_the_error_shape(client: TestClient) -> None:
    r = client.get("/api/v1/nothing")
    assert is_error(r, 404) and r.json()["error"] == "not_found"
    r = client.delete("/api/v1/board/entries")
    assert is_error(r, 405) and r.json()["error"] == "method_not_allowed"
    assert "GET" in r.headers["allow"]
    r = client.get("/api/v1/board/entries", params={"limit": "many"})
    assert is_error(r, 400) and r.json()["error"] == "bad_request" and "limit" in r.json()["detail"]
    r = client.post("/api/v1/board/entries", content=b"{}", headers={"content-type": "text/plain"})
    assert is_error(r, 415) and r.json()["error"] == "unsupported_media_type"
    r = client.post("/api/v1/board/entries", content=b"{}")
    assert is_error(r, 415)


def test_static_and_vendor(client: TestClient) -> None:
    js = NODE_MODULES / "@noble" / "curves" / "ed25519.js"
    assert js.is_file(), "webapp/node_modules is missing: run `make install`"
    r = client.get("/vendor/@noble/curves/ed25519.js")
    assert r.status_code == 200 and r.content == js.read_bytes()
    assert r.headers["content-type"].startswith("text/javascript")
    r = client.get("/vendor/canonicalize/lib/canonicalize.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    r = client.get("/vendor/qrcode-generator/dist/qrcode.mjs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    hashes = NODE_MODULES / "@noble" / "hashes" / "sha2.js"
    assert client.get("/vendor/@noble/hashes/sha2.js").content == hashes.read_bytes()
    # only the three package folders, read-only, no way out of them
    for path in ["/vendor/.package-lock.json", "/vendor/@noble/../../package.json",
                 "/vendor/@noble/%2e%2e/%2e%2e/app.py", "/vendor/canonicalize/%2e%2e/%2e%2e/app.py",
                 "/static/%2e%2e/app.py", "/vendor/", "/static/nothing.js"]:  # fmt: skip
        r = client.get(path)
        assert is_error(r, 404), (path, r.status_code, r.text[:80])
    r = client.post("/vendor/canonicalize/lib/canonicalize.js")
    assert is_error(r, 405)
    served = [p for p in STATIC.rglob("*") if p.is_file()]
    for p in served[:20]:
        r = client.get("/static/" + p.relative_to(STATIC).as_posix())
        assert r.status_code == 200 and r.content == p.read_bytes(), p


def test_openapi_documents_every_api_route(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    ops = [(path, method, op) for path, item in doc["paths"].items() for method, op in item.items()]
    api = [(p, m, o) for p, m, o in ops if p.startswith("/api/v1/")]
    assert len(api) >= 22
    for path, method, op in api:
        codes = set(op["responses"])
        assert {"400", "404", "409", "413", "415", "422"} <= codes, (path, method, codes)
        assert any(c.startswith("2") for c in codes), (path, method, codes)
        for code in ("400", "404", "409", "413", "415", "422"):
            error = op["responses"][code]["content"]
            assert list(error) == ["application/json"], (path, method, code)
            assert error["application/json"]["schema"]["required"] == ["error", "detail"]
        if method == "post":
            assert "application/json" in op["requestBody"]["content"], path
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]
    # offline: every script and style of the page is served by us, none from a CDN
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert assets and all(a.startswith("/") for a in assets), assets
    assert "//" not in " ".join(assets), assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert "/openapi.json" in docs.text


def test_optional_router_and_its_body_limit(
    monkeypatch: pytest.MonkeyPatch, kit: Kit, db_url: str
) -> None:
    monkeypatch.setattr(
        app_module, "OPTIONAL_ROUTERS", ("webapp.api.nothing_here", __name__, "no_package.x")
    )
    c = TestClient(create_app(db_url), raise_server_exceptions=False)
    r = c.post("/api/v1/probe/big", content=b"x" * 200_000)
    assert r.status_code == 200 and r.json() == {"received": 200_000}
    r = c.post("/api/v1/probe/small", content=b"x" * 200_000)
    assert is_error(r, 413)
    r = c.post("/api/v1/probe/big", content=b"x" * 300_001)
    assert is_error(r, 413)
    assert "/api/v1/probe/big" in c.get("/openapi.json").json()["paths"]


def test_pages_are_installed(client: TestClient) -> None:
    if importlib.util.find_spec("webapp.pages") is None:
        assert is_error(client.get("/"), 404)
    else:
        r = client.get("/")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")


def test_server_keys_are_optional_and_never_shown(tmp_path: Path, kit: Kit, db_url: str) -> None:
    """Without keys nothing is signed; with them, the log key signs, and no key is in a repr."""
    keys = KeyStore(tmp_path / "keys")
    keys.save_log(kit.log)
    app = create_app(db_url, keys)
    server = app.state.server
    assert "PRIVATE" not in repr(server) and kit.log.to_skey() not in repr(server)
    assert server.sign_checkpoint(kit.board) is not None
    assert create_app(db_url).state.server.sign_checkpoint(kit.board) is None
    assert create_app(db_url, tmp_path / "none").state.server.log() is None

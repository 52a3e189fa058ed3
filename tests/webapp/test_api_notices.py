"""The notices API: newest first, paged, each with its text, publisher and leaf hash."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from ledger.merkle import leaf_hash
from services.notices import PUBLISH, notice_body
from tests.kit import Kit, entry, make_kit
from tests.webapp.test_api_kit import is_error
from webapp.app import create_app

NOTICES = "/api/v1/notices"


@pytest.fixture
def kit(db_url: str) -> Kit:
    kit = make_kit(db_url, notices=5)
    attached = notice_body(
        "Minutes <b>3 December</b>", "Line one\nline two", [{"name": "m.pdf", "sha256": "ab" * 32}]
    )
    kit.board.append(entry(kit.publisher, PUBLISH, attached))
    return kit


@pytest.fixture
def client(kit: Kit, db_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(db_url), raise_server_exceptions=False) as c:
        yield c


def test_latest_first_and_paged(client: TestClient, kit: Kit) -> None:
    first = client.get(NOTICES, params={"limit": 2}).json()
    assert first["count"] == 6
    assert [n["index"] for n in first["notices"]] == [7, 6]
    newest = first["notices"][0]
    assert newest["title"] == "Minutes <b>3 December</b>"  # JSON carries text as written
    assert newest["text"] == "Line one\nline two"
    assert newest["attachments"] == [{"name": "m.pdf", "sha256": "ab" * 32}]
    assert newest["publisher"] == "city"
    leaf = base64.b64decode(client.get(f"/api/v1/board/entries/{7}").json()["leaf"])
    assert newest["leaf_hash"] == leaf_hash(leaf).hex()
    seen, before = [], None
    while True:
        params = {"limit": 2} | ({} if before is None else {"before": before})
        page = client.get(NOTICES, params=params).json()
        seen += [n["index"] for n in page["notices"]]
        before = page["next"]
        if before is None:
            break
    assert seen == [7, 6, 5, 4, 3, 2]
    assert client.get(NOTICES, params={"before": 2}).json()["notices"] == []
    assert client.get(f"{NOTICES}/4").json()["title"] == "notice 2"


def test_notice_errors(client: TestClient, kit: Kit) -> None:
    r = client.get(f"{NOTICES}/0")  # the genesis
    assert is_error(r, 404) and "not a notice" in r.json()["detail"]
    assert is_error(client.get(f"{NOTICES}/99"), 404)
    for params in [{"limit": 0}, {"limit": 101}, {"before": -1}, {"before": "x"}]:
        assert is_error(client.get(NOTICES, params=params), 400), params
    assert is_error(client.get(f"{NOTICES}/-3"), 400)

"""The board API's writes and new reads: entries signed on the client and posted as their
canonical bytes, refusals that write nothing, one entry, kind paging, witnesses, authorities,
stats."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledger import authorities
from ledger.checkpoint import Checkpoint
from ledger.entry import MAX_ENTRY_SIZE, key_id, make_entry
from ledger.merkle import leaf_hash, verify_inclusion
from ledger.note import Signer, open_note
from services.notices import PUBLISH, notice_body
from tests.kit import Kit, entry, make_kit
from tests.webapp.test_api_kit import is_error, post_bytes, state_of
from webapp.app import create_app
from webapp.keystore import KeyStore

ENTRIES = "/api/v1/board/entries"


@pytest.fixture
def kit(db_url: str) -> Kit:
    kit = make_kit(db_url, notices=4, witnesses=3, quorum=2)
    kit.board.sign_checkpoint(kit.log)
    return kit


@pytest.fixture
def keys(kit: Kit, tmp_path: Path) -> KeyStore:
    keys = KeyStore(tmp_path / "keys")
    keys.save_log(kit.log)
    return keys


@pytest.fixture
def client(kit: Kit, db_url: str, keys: KeyStore) -> Iterator[TestClient]:
    with TestClient(create_app(db_url, keys), raise_server_exceptions=False) as c:
        yield c


def test_post_an_entry_signed_on_the_client(client: TestClient, kit: Kit) -> None:
    leaf = entry(kit.publisher, PUBLISH, notice_body("Budget 2027", "Adopted."))
    r = post_bytes(client, ENTRIES, leaf)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["index"] == kit.board.size() - 1
    assert out["leaf_hash"] == leaf_hash(leaf).hex()
    # the checkpoint covers it, and an inclusion proof ties the two
    note, _ = open_note(out["checkpoint"].encode(), [kit.log.verifier()])
    cp = Checkpoint.from_text(note.text)
    assert cp.size == out["index"] + 1
    p = client.get(
        "/api/v1/board/proof/inclusion", params={"index": out["index"], "size": cp.size}
    ).json()
    verify_inclusion(leaf_hash(leaf), out["index"], cp.size, [bytes.fromhex(h) for h in p["path"]],
                     cp.root_hash)  # fmt: skip
    one = client.get(f"{ENTRIES}/{out['index']}").json()
    assert base64.b64decode(one["leaf"]) == leaf
    assert one["leaf_hash"] == out["leaf_hash"] and one["kind"] == PUBLISH
    assert one["entry"] == json.loads(leaf)
    notice = client.get(f"/api/v1/notices/{out['index']}").json()
    assert notice["title"] == "Budget 2027" and notice["publisher"] == "city"


def test_without_the_log_key_no_checkpoint(kit: Kit, db_url: str) -> None:
    c = TestClient(create_app(db_url), raise_server_exceptions=False)
    r = post_bytes(c, ENTRIES, entry(kit.publisher, PUBLISH, notice_body("t", "x")))
    assert r.status_code == 201 and r.json()["checkpoint"] is None


def _not_canonical(leaf: bytes) -> list[tuple[str, bytes]]:
    """The same JSON as ``leaf`` in other bytes: each is refused."""
    doc = json.loads(leaf)
    return [
        ("spaces", json.dumps(doc).encode()),
        ("member order", json.dumps(dict(reversed(doc.items())), separators=(",", ":")).encode()),
        ("trailing newline", leaf + b"\n"),
        ("leading space", b" " + leaf),
        ("escaped letter", leaf.replace(b'"fine"', b'"\\u0066ine"', 1)),
    ]


def test_refused_entries_write_nothing(client: TestClient, kit: Kit, db_url: str) -> None:
    good = entry(kit.publisher, PUBLISH, notice_body("fine", "text"))
    stranger = Signer.generate("mallory")
    sig = json.loads(good)["signature"]
    flipped = good.replace(
        sig.encode(), ("0" if sig[0] != "0" else "1").encode() + sig[1:].encode()
    )
    big = entry(kit.publisher, PUBLISH, notice_body("big", "x" * 19_000))
    huge = big.replace(b'"text":"', b'"text":"' + b"y" * (MAX_ENTRY_SIZE - len(big) + 1), 1)
    assert MAX_ENTRY_SIZE < len(huge) < 128 * 1024
    ballot_by_publisher = entry(kit.publisher, "voting.ballot", {"ballot": {}, "eligibility": {}})
    genesis = entry(
        kit.root,
        authorities.GENESIS,
        {
            "origin": "x.example/board",
            "log_key": kit.log.verifier().vkey(),
            "root": {"name": "root", "public_key": kit.root.verifier().public_key.hex()},
        },
    )
    bad_notice = make_entry(
        PUBLISH,
        {"title": "a\nb", "text": "", "attachments": []},
        key_id(kit.publisher.verifier().public_key),
        kit.publisher.sign,
    )
    cases = [
        *[(name, data, 400, "non_canonical") for name, data in _not_canonical(good)],
        ("not JSON", b"{", 400, "malformed_entry"),
        ("not an object", b"[]", 400, "malformed_entry"),
        ("missing members", b"{}", 400, "malformed_entry"),
        ("float", good.replace(b'"version":1', b'"version":1.0'), 400, "malformed_entry"),
        ("not UTF-8", good.replace(b"fine", b"f\xffne"), 400, "malformed_entry"),
        ("bad signature", flipped, 422, "bad_signature"),
        ("unknown author", entry(stranger, PUBLISH, notice_body("x", "y")), 404, "unknown_author"),
        ("unknown kind", entry(kit.publisher, "foo.bar", {}), 404, "unknown_kind"),
        ("root publishes", entry(kit.root, PUBLISH, notice_body("x", "y")), 403,
         "role_not_allowed"),
        ("a ballot not by the box", ballot_by_publisher, 403, "role_not_allowed"),
        ("genesis", genesis, 403, "genesis_refused"),
        ("domain rule", bad_notice, 422, "domain_rejection"),
        ("too large", huge, 413, "entry_too_large"),
        ("empty", b"", 400, "malformed_entry"),
        ("huge integer", b'{"version":' + b"9" * 5000 + b"}", 400, "malformed_entry"),
        ("a health record without its blob",
         entry(kit.root, "health.record", {"patient": "p", "sha256": "0" * 64, "size": 1,
                                           "key": "k", "emergency": "e"}), 400,
         "malformed_entry"),
    ]  # fmt: skip
    assert post_bytes(client, ENTRIES, good).status_code == 201
    before = state_of(kit.board)
    with kit.board.store.read() as tx:
        checkpoints = len(tx.checkpoints())
    cases.append(("duplicate", good, 409, "duplicate_entry"))
    for name, data, status, code in cases:
        r = post_bytes(client, ENTRIES, data)
        assert is_error(r, status), (name, r.status_code, r.text)
        assert r.json()["error"] == code, (name, r.text)
    assert state_of(kit.board) == before
    with kit.board.store.read() as tx:
        assert len(tx.checkpoints()) == checkpoints


def test_genesis_refused_on_an_empty_board(tmp_path: Path) -> None:
    """Nobody claims a fresh board through the API: the genesis is `pnyx init`'s."""
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    root, log = Signer.generate("root"), Signer.generate("x.example/board")
    genesis = entry(
        root,
        authorities.GENESIS,
        {
            "origin": "x.example/board",
            "log_key": log.verifier().vkey(),
            "root": {"name": "root", "public_key": root.verifier().public_key.hex()},
        },
    )
    c = TestClient(create_app(url), raise_server_exceptions=False)
    r = post_bytes(c, ENTRIES, genesis)
    assert is_error(r, 403) and r.json()["error"] == "genesis_refused"
    r = post_bytes(c, ENTRIES, entry(root, PUBLISH, notice_body("x", "y")))
    assert is_error(r, 404) and r.json()["error"] == "not_initialised"
    for path in ["/api/v1/board/stats", "/api/v1/board/witnesses", "/api/v1/board/authorities",
                 "/api/v1/notices", "/api/v1/voting/elections"]:  # fmt: skip
        assert c.get(path).status_code == 200, path
    assert c.get("/api/v1/board/stats").json() == {
        "origin": None, "log_key": None, "size": 0, "kinds": {}, "checkpoint": None,
    }  # fmt: skip
    assert is_error(c.get(f"{ENTRIES}/0"), 404)


def test_kind_paging(client: TestClient, kit: Kit) -> None:
    kit.publish(7, start=10)
    everything = client.get(ENTRIES, params={"start": 0, "end": kit.board.size()}).json()
    notices = [e for e in everything["entries"] if e["kind"] == PUBLISH]
    assert len(notices) == 11
    seen, start, pages = [], 0, 0
    while start is not None:
        page = client.get(ENTRIES, params={"kind": PUBLISH, "start": start, "limit": 3}).json()
        seen += page["entries"]
        start, pages = page["next"], pages + 1
    assert seen == notices and pages == 4
    # without a kind: plain pages
    page = client.get(ENTRIES, params={"start": 2, "limit": 5}).json()
    assert [e["index"] for e in page["entries"]] == [2, 3, 4, 5, 6] and page["next"] == 7
    last = client.get(ENTRIES, params={"start": kit.board.size() - 1}).json()
    assert len(last["entries"]) == 1 and last["next"] is None
    r = client.get(ENTRIES, params={"kind": "Bad Kind"})
    assert is_error(r, 400)
    assert client.get(ENTRIES, params={"kind": "no.such_kind"}).json() == {
        "entries": [],
        "next": None,
    }


def test_one_entry_errors(client: TestClient, kit: Kit) -> None:
    n = kit.board.size()
    assert is_error(client.get(f"{ENTRIES}/{n}"), 404)
    for bad in ["-1", "x", "1.5", str(2**63), str(10**30)]:
        assert is_error(client.get(f"{ENTRIES}/{bad}"), 400), bad


def test_witnesses_authorities_stats(client: TestClient, kit: Kit) -> None:
    w = client.get("/api/v1/board/witnesses").json()
    assert [x["name"] for x in w["witnesses"]] == [s.name for s in kit.witnesses]
    assert [x["vkey"] for x in w["witnesses"]] == [s.verifier().vkey() for s in kit.witnesses]
    assert w["quorum"] == 2
    cp = w["checkpoint"]
    assert cp["size"] == kit.board.size() and cp["cosigned_by"] == [] and cp["final"] is False
    assert cp["root"] == kit.board.root()[1].hex()

    a = client.get("/api/v1/board/authorities").json()["authorities"]
    assert [x["name"] for x in a] == ["city", "root"]
    city = a[0]
    assert city["key_id"] == key_id(kit.publisher.verifier().public_key)
    assert city["roles"] == ["publisher"] and city["revoked_at"] is None
    revoke = entry(kit.root, authorities.REVOKE, {"key_id": city["key_id"], "reason": "moved"})
    index = post_bytes(client, ENTRIES, revoke).json()["index"]
    a = client.get("/api/v1/board/authorities").json()["authorities"]
    assert a[0]["revoked_at"] == index and a[0]["reason"] == "moved"
    r = post_bytes(client, ENTRIES, entry(kit.publisher, PUBLISH, notice_body("late", "x")))
    assert is_error(r, 404) and r.json()["error"] == "unknown_author"

    s = client.get("/api/v1/board/stats").json()
    assert s["size"] == kit.board.size() and sum(s["kinds"].values()) == s["size"]
    assert s["kinds"] == {
        "board.authority": 1,
        "board.genesis": 1,
        "board.revoke": 1,
        "board.witnesses": 1,
        "notice.publish": 4,
    }
    assert s["origin"] == kit.board.origin() and s["log_key"] == kit.log.verifier().vkey()
    assert s["checkpoint"]["size"] == s["size"]  # the server signed after the revocation

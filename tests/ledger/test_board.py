"""Admission, appends, proofs and checkpoints of the board (runs on every db_url backend)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from ledger import authorities, merkle
from ledger.board import Board
from ledger.checkpoint import Checkpoint
from ledger.entry import MAX_ENTRY_SIZE, SIGNING_PREFIX, Entry, key_id, make_entry, signing_bytes
from ledger.errors import (
    BadRequest,
    BadSignature,
    BoardNotInitialised,
    DomainRejection,
    DuplicateEntry,
    EntryTooLarge,
    MalformedEntry,
    NonCanonicalEntry,
    NotFound,
    Rejected,
    RoleNotAllowed,
    UnknownAuthor,
    UnknownKind,
)
from ledger.note import Signer, open_note
from ledger.store import Store
from services.notices import PUBLISH, notice_body
from services.registry import default_registry
from tests.kit import ORIGIN, Kit, entry, make_kit, notice


def snapshot(board: Board) -> tuple[int, bytes, dict[Any, Any], int]:
    """Everything a refused entry must leave untouched."""
    size, root = board.root()
    with board.store.read() as tx:
        state = tx.all_state()
        nodes = len(tx.all_nodes())
    return size, root, state, nodes


def unchanged_after(kit: Kit, leaf: bytes, error: type[Rejected]) -> Rejected:
    before = snapshot(kit.board)
    with pytest.raises(error) as e:
        kit.board.append(leaf)
    assert snapshot(kit.board) == before
    assert e.value.detail
    return e.value


def reencode(leaf: bytes, **changes: Any) -> bytes:
    doc = json.loads(leaf)
    doc.update(changes)
    return rfc8785.dumps(doc)


# ---------------------------------------------------------------- the happy path


def test_append_assigns_consecutive_indices_and_state(db_url: str) -> None:
    kit = make_kit(db_url)
    assert kit.board.size() == 2
    assert kit.publish(3) == [2, 3, 4]
    assert kit.board.append(notice(kit.publisher, 99)) == 5
    assert kit.board.state("notice", "count") == 4
    rec = kit.board.state("notice", "notice/000000000002")
    assert rec["title"] == "notice 0" and rec["publisher"] == "city"
    assert kit.board.verify() == []
    assert kit.board.replay() == []


def test_entries_are_the_exact_leaves(db_url: str) -> None:
    kit = make_kit(db_url)
    leaf = notice(kit.publisher, 1)
    i = kit.board.append(leaf)
    [(index, stored)] = kit.board.entries(i, i + 1)
    assert (index, stored) == (i, leaf)
    assert kit.board.entries(0, 10, kind=PUBLISH) == [(i, leaf)]


def test_proofs_from_the_store_match_a_memory_tree(db_url: str) -> None:
    kit = make_kit(db_url, notices=40)
    leaves = [leaf for _, leaf in kit.board.entries(0, 1000)]
    tree = merkle.MemoryTree(leaves)
    for size in (1, 2, 7, 8, 9, 31, 42):
        assert kit.board.root(size) == (size, tree.root(size))
        for index in {0, size // 2, size - 1}:
            p = kit.board.inclusion_proof(index, size)
            assert p.path == tree.inclusion_proof(index, size)
            merkle.verify_inclusion(merkle.leaf_hash(leaves[index]), index, size, p.path, p.root)
        for old in {1, size // 2 or 1, size}:
            c = kit.board.consistency_proof(old, size)
            assert c.path == tree.consistency_proof(old, size)
            merkle.verify_consistency(old, size, c.old_root, c.root, c.path)


def test_entry_listing_refuses_a_bad_kind(db_url: str) -> None:
    kit = make_kit(db_url, notices=1)
    for kind in ("\x00", "notice.publish\x00", "x" * 65, "Notice.Publish", "a'; drop"):
        with pytest.raises(BadRequest):
            kit.board.entries(0, 10, kind)
    assert len(kit.board.entries(0, 10, PUBLISH)) == 1


def test_proof_requests_out_of_range(db_url: str) -> None:
    kit = make_kit(db_url, notices=3)
    for call in (
        lambda: kit.board.inclusion_proof(5),
        lambda: kit.board.inclusion_proof(0, 99),
        lambda: kit.board.inclusion_proof(-1),
        lambda: kit.board.inclusion_proof(3, 3),
        lambda: kit.board.consistency_proof(6),
        lambda: kit.board.consistency_proof(1, 99),
        lambda: kit.board.root(6),
    ):
        with pytest.raises(NotFound):
            call()


# ------------------------------------------------------------------- bad input


def test_unknown_author(db_url: str) -> None:
    kit = make_kit(db_url)
    mallory = Signer.generate("mallory")
    e = unchanged_after(kit, notice(mallory, 1), UnknownAuthor)
    assert key_id(mallory.verifier().public_key) in e.detail


def test_bad_signature(db_url: str) -> None:
    kit = make_kit(db_url)
    leaf = notice(kit.publisher, 1)
    doc = json.loads(leaf)
    sig = bytearray(bytes.fromhex(doc["signature"]))
    sig[7] ^= 1
    unchanged_after(kit, reencode(leaf, signature=sig.hex()), BadSignature)
    # a valid signature over another body
    unchanged_after(kit, reencode(leaf, body=notice_body("forged", "")), BadSignature)
    # signed without the domain-separation prefix
    other = kit.publisher.sign(
        signing_bytes(doc["kind"], doc["time"], doc["author"], doc["body"])[len(SIGNING_PREFIX) :]
    )
    unchanged_after(kit, reencode(leaf, signature=other.hex()), BadSignature)


def test_role_not_allowed(db_url: str) -> None:
    kit = make_kit(db_url)
    unchanged_after(kit, notice(kit.root, 1), RoleNotAllowed)
    body = {"name": "x", "public_key": "00" * 32, "roles": ["publisher"]}
    unchanged_after(kit, entry(kit.publisher, authorities.AUTHORITY, body), RoleNotAllowed)


def test_too_large(db_url: str) -> None:
    kit = make_kit(db_url)
    author = key_id(kit.publisher.verifier().public_key)
    body = {"title": "x", "text": "a" * MAX_ENTRY_SIZE, "attachments": []}
    t = "2026-01-01T00:00:00Z"
    sig = kit.publisher.sign(signing_bytes(PUBLISH, t, author, body))
    doc = {"version": 1, "kind": PUBLISH, "time": t, "author": author, "body": body}
    big = rfc8785.dumps({**doc, "signature": sig.hex()})
    assert len(big) > MAX_ENTRY_SIZE
    unchanged_after(kit, big, EntryTooLarge)
    with pytest.raises(EntryTooLarge):
        make_entry(PUBLISH, body, author, kit.publisher.sign)


def test_non_canonical_forms(db_url: str) -> None:
    kit = make_kit(db_url)
    leaf = notice(kit.publisher, 1)
    doc = json.loads(leaf)
    for variant in (
        json.dumps(doc).encode(),  # spaces
        json.dumps(doc, sort_keys=True, indent=1).encode(),
        leaf + b"\n",
        b" " + leaf,
        leaf.replace(b'"kind"', b'"\\u006bind"'),  # escaped key
        json.dumps(dict(reversed(list(doc.items()))), separators=(",", ":")).encode(),  # order
    ):
        assert variant != leaf
        unchanged_after(kit, variant, NonCanonicalEntry)


def test_duplicate_keys(db_url: str) -> None:
    kit = make_kit(db_url)
    leaf = notice(kit.publisher, 1)
    dup = leaf.replace(b'"kind":', b'"kind":"x.y","kind":', 1)
    unchanged_after(kit, dup, MalformedEntry)
    dup_body = leaf.replace(b'"attachments":[]', b'"attachments":[],"attachments":[]', 1)
    unchanged_after(kit, dup_body, MalformedEntry)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"null",
        b"[]",
        b"\xff\xfe",
        b'{"a":1.5}',
        b'{"a":NaN}',
        b"[" * 5000 + b"]" * 5000,
        b'{"version":1}',
    ],
)
def test_malformed(db_url: str, data: bytes) -> None:
    kit = make_kit(db_url)
    unchanged_after(kit, data, MalformedEntry)


def test_malformed_fields(db_url: str) -> None:
    kit = make_kit(db_url)
    leaf = notice(kit.publisher, 1)
    for change in (
        {"version": 2},
        {"version": True},
        {"kind": "Notice.Publish"},
        {"kind": "notice"},
        {"time": "2026-13-01T00:00:00Z"},
        {"time": "yesterday"},
        {"time": "\u0662\u0660\u0662\u0666-01-01T00:00:00Z"},  # Arabic-Indic digits
        {"author": "AB" * 32},
        {"body": []},
        {"signature": "00"},
        {"extra": 1},
    ):
        unchanged_after(kit, reencode(leaf, **change), MalformedEntry)


def test_unknown_kind(db_url: str) -> None:
    kit = make_kit(db_url)
    unchanged_after(kit, entry(kit.publisher, "lottery.draw", {}), UnknownKind)


def test_domain_rejections(db_url: str) -> None:
    kit = make_kit(db_url)
    for body in (
        {"title": "", "text": "", "attachments": []},
        {"title": "a\nb", "text": "", "attachments": []},
        {"title": "t", "text": "", "attachments": [{"name": "a", "sha256": "zz"}]},
        {"title": "t", "text": ""},
        {"title": "t", "text": 5, "attachments": []},
    ):
        unchanged_after(kit, entry(kit.publisher, PUBLISH, body), DomainRejection)


def test_replayed_entry_is_refused(db_url: str) -> None:
    kit = make_kit(db_url)
    leaf = notice(kit.publisher, 1)
    kit.board.append(leaf)
    unchanged_after(kit, leaf, DuplicateEntry)


def test_batch_is_all_or_nothing(db_url: str) -> None:
    kit = make_kit(db_url)
    good = [notice(kit.publisher, i) for i in range(5)]
    bad = notice(Signer.generate("mallory"), 9)
    before = snapshot(kit.board)
    with pytest.raises(UnknownAuthor) as e:
        kit.board.append_many([*good[:3], bad, *good[3:]])
    assert "entry 3 of the batch" in e.value.detail
    assert snapshot(kit.board) == before
    with pytest.raises(DuplicateEntry):
        kit.board.append_many([good[0], good[1], good[0]])
    assert snapshot(kit.board) == before
    assert kit.board.append_many(good) == [2, 3, 4, 5, 6]


def test_failing_apply_leaves_nothing(db_url: str) -> None:
    """An exception inside a domain's apply rolls the entry and every state write back."""
    from ledger.domains import Domain, Kind, Registry, View

    def apply_then_fail(e: Entry, view: View) -> None:
        view.put("half-done", 1)
        raise DomainRejection("apply failed half way")

    boom = Domain("boom", (Kind("boom.now", "publisher", lambda e, v: None, apply_then_fail),))
    kit = make_kit(db_url)
    board = Board(Store(db_url), Registry([authorities.BOARD, boom]))
    kit.board = board
    unchanged_after(kit, entry(kit.publisher, "boom.now", {}), DomainRejection)
    assert board.state("boom", "half-done") is None


# ------------------------------------------------------------- genesis & roles


def test_genesis_rules(db_url: str) -> None:
    board = Board(Store(db_url), default_registry())
    log, root = Signer.generate(ORIGIN), Signer.generate("root")
    city = Signer.generate("city")
    with pytest.raises(BoardNotInitialised):
        board.append(notice(city, 1))
    body = {
        "origin": ORIGIN,
        "log_key": log.verifier().vkey(),
        "root": {"name": "root", "public_key": root.verifier().public_key.hex()},
    }
    # signed by a key other than the root it names
    with pytest.raises(DomainRejection):
        board.append(entry(city, authorities.GENESIS, body))
    # the log key must be named by the origin
    wrong = {**body, "log_key": Signer.generate("other.origin").verifier().vkey()}
    with pytest.raises(DomainRejection):
        board.append(entry(root, authorities.GENESIS, wrong))
    assert board.size() == 0
    board.append(entry(root, authorities.GENESIS, body))
    with pytest.raises(DomainRejection):
        board.append(entry(root, authorities.GENESIS, body, time="2030-01-01T00:00:00Z"))
    assert board.size() == 1
    assert board.origin() == ORIGIN


def test_authority_names_keys_and_revocation(db_url: str) -> None:
    kit = make_kit(db_url)
    pk = kit.publisher.verifier().public_key.hex()
    for body in (
        {
            "name": "city",
            "public_key": Signer.generate("c").verifier().public_key.hex(),
            "roles": ["a"],
        },
        {"name": "city2", "public_key": pk, "roles": ["publisher"]},
        {"name": "Bad Name", "public_key": "11" * 32, "roles": ["publisher"]},
        {"name": "n", "public_key": "11" * 32, "roles": []},
        {"name": "n", "public_key": "11" * 32, "roles": ["genesis"]},
        {"name": "n", "public_key": "11" * 32, "roles": ["a", "a"]},
    ):
        unchanged_after(kit, entry(kit.root, authorities.AUTHORITY, body), DomainRejection)
    kid = key_id(kit.publisher.verifier().public_key)
    kit.board.append(entry(kit.root, authorities.REVOKE, {"key_id": kid, "reason": "key lost"}))
    unchanged_after(kit, notice(kit.publisher, 5), UnknownAuthor)
    # its earlier entries stay valid and the board still verifies
    assert kit.board.verify() == []
    rid = key_id(kit.root.verifier().public_key)
    unchanged_after(
        kit, entry(kit.root, authorities.REVOKE, {"key_id": rid, "reason": ""}), DomainRejection
    )


def test_witness_configuration(db_url: str) -> None:
    kit = make_kit(db_url)
    from ledger.cosignature import CosignatureSigner

    w = CosignatureSigner.generate("w.example")
    for body in (
        {"witnesses": [w.verifier().vkey()], "quorum": 2},
        {"witnesses": [kit.log.verifier().vkey()], "quorum": 1},  # an 0x01 key
        {"witnesses": [w.verifier().vkey(), w.verifier().vkey()], "quorum": 1},
        {"witnesses": ["garbage"], "quorum": 0},
    ):
        unchanged_after(kit, entry(kit.root, authorities.WITNESSES, body), DomainRejection)
    kit.board.append(
        entry(kit.root, authorities.WITNESSES, {"witnesses": [w.verifier().vkey()], "quorum": 1})
    )
    ws, q = kit.board.witnesses()
    assert [x.name for x in ws] == ["w.example"] and q == 1


# ----------------------------------------------------------------- checkpoints


def test_checkpoints_and_quorum(db_url: str) -> None:
    from ledger.witness import Witness

    kit = make_kit(db_url, notices=5, witnesses=3, quorum=2)
    note = kit.board.sign_checkpoint(kit.log)
    assert kit.board.sign_checkpoint(kit.log) == note  # no growth, same checkpoint
    opened, _ = open_note(note, [kit.board.log_verifier()])
    cp = Checkpoint.from_text(opened.text)
    assert (cp.origin, cp.size) == (ORIGIN, kit.board.size())
    assert cp.root_hash == kit.board.root()[1]
    status = kit.board.checkpoint()
    assert not status.final and status.quorum == 2
    lv = kit.board.log_verifier()
    for w in kit.witnesses[:2]:
        witness = Witness(w, {lv.name: lv}, __import__("ledger.witness").witness.WitnessState())
        kit.board.add_cosignature(cp.size, witness.add_checkpoint(note, 0, [], 1_767_225_600))
    status = kit.board.checkpoint()
    assert status.final and len(status.cosigned_by) == 2
    # the served note carries the log's and both witnesses' signatures
    assert status.note.decode().count("\n— ") == 3
    # another key's signature is refused by the log-key check
    with pytest.raises(Rejected):
        kit.board.sign_checkpoint(Signer.generate(ORIGIN))
    kit.publish(2, start=100)
    assert kit.board.sign_checkpoint(kit.log) != note
    assert kit.board.verify() == []


def test_cosignature_from_a_stranger_or_forged(db_url: str) -> None:
    from ledger.cosignature import CosignatureSigner

    kit = make_kit(db_url, notices=2, witnesses=1, quorum=1)
    note = kit.board.sign_checkpoint(kit.log)
    text = note.decode().split("\n\n")[0] + "\n"
    size = kit.board.size()
    stranger = CosignatureSigner.generate("stranger.example")
    with pytest.raises(UnknownAuthor):
        kit.board.add_cosignature(size, stranger.cosign(text, 1))
    forged = kit.witnesses[0].cosign(text.replace(str(size), str(size + 1), 1), 1)
    with pytest.raises(BadSignature):
        kit.board.add_cosignature(size, forged)
    with pytest.raises(NotFound):
        kit.board.add_cosignature(size + 5, kit.witnesses[0].cosign(text, 1))
    assert kit.board.checkpoint().cosigned_by == ()


def test_replay_detects_state_drift(db_url: str) -> None:
    kit = make_kit(db_url, notices=3)
    assert kit.board.replay() == []
    with kit.board.store.engine.begin() as c:
        c.execute(text("UPDATE state SET value = '7' WHERE domain = 'notice' AND key = 'count'"))
    diffs = kit.board.replay()
    assert diffs == ["state notice/count: differs"]
    assert "state notice/count: differs" in kit.board.verify()


# ------------------------------------------------------------------ property


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=300))
def test_fuzz_any_bytes_never_crash_and_never_write(tmp_path_factory: Any, data: bytes) -> None:
    url = f"sqlite:///{tmp_path_factory.mktemp('fz') / 'b.db'}"
    kit = make_kit(url)
    before = snapshot(kit.board)
    try:
        kit.board.append(data)
    except Rejected:
        pass
    assert snapshot(kit.board) == before


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pos=st.integers(min_value=0, max_value=10_000), bit=st.integers(0, 7))
def test_fuzz_any_bit_flip_of_a_valid_entry_is_refused(
    tmp_path_factory: Any, pos: int, bit: int
) -> None:
    url = f"sqlite:///{tmp_path_factory.mktemp('fz') / 'b.db'}"
    kit = make_kit(url)
    leaf = bytearray(notice(kit.publisher, 1))
    leaf[pos % len(leaf)] ^= 1 << bit
    before = snapshot(kit.board)
    with pytest.raises(Rejected):
        kit.board.append(bytes(leaf))
    assert snapshot(kit.board) == before


def test_make_entry_round_trip() -> None:
    s = Signer.generate("a")
    leaf = make_entry(PUBLISH, notice_body("t", "x"), key_id(s.verifier().public_key), s.sign)
    e = Entry.from_leaf(leaf)
    assert e.signed_bytes() == signing_bytes(e.kind, e.time, e.author, e.body)
    assert e.leaf == leaf and e.leaf_hash == merkle.leaf_hash(leaf)


def test_then_runs_in_the_append_transaction(db_url: str) -> None:
    """A domain's off-board write commits with its entry, and a failure undoes both."""
    kit = make_kit(db_url)
    seen: list[list[int]] = []

    def record(tx: Any, indices: list[int]) -> None:
        assert tx.size() == indices[-1] + 1  # the entries are visible inside
        seen.append(indices)

    assert kit.board.append_many([notice(kit.publisher, 1)], then=record) == [2]
    assert seen == [[2]]

    def fail(tx: Any, indices: list[int]) -> None:
        raise DomainRejection("the blob store refused")

    before = snapshot(kit.board)
    with pytest.raises(DomainRejection):
        kit.board.append_many([notice(kit.publisher, 2)], then=fail)
    assert snapshot(kit.board) == before

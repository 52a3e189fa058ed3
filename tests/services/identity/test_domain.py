"""The identity domain on the board: issuer keys, schemas, status lists; refusals change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from crypto import bbs
from ledger import authorities
from ledger.errors import DomainRejection, Rejected, RoleNotAllowed
from ledger.note import Signer
from services.identity.board_data import BoardData
from services.identity.domain import ISSUER_KEY, SCHEMA, STATUS_LIST, status_list_body
from services.identity.keys import issuer_key_body, issuer_key_id
from services.identity.schema import Schema
from services.identity.status_list import MIN_BITS, StatusList
from services.registry import default_registry
from tests.kit import ORIGIN, entry
from tests.ledger.test_board import snapshot
from tests.services.identity.kit import (
    EID,
    ISSUER,
    SUITE,
    IdentityKit,
    make_identity_kit,
    register_issuer,
)

LATER = "2030-01-01T00:00:00Z"
"""A signing time that makes an entry differ from an identical earlier one (not a replay)."""


@pytest.fixture
def ik(db_url: str) -> IdentityKit:
    return make_identity_kit(db_url)


def refused(ik: IdentityKit, leaf: bytes, error: type[Rejected], match: str) -> None:
    """The entry is refused with a clear reason and the board does not change at all."""
    before = snapshot(ik.board)
    with pytest.raises(error, match=match):
        ik.board.append(leaf)
    assert snapshot(ik.board) == before


# --------------------------------------------------------------- happy path


def test_published_state_and_replay(ik: IdentityKit) -> None:
    data = BoardData.from_board(ik.board)
    key = data.issuer_key(ik.key_id)
    assert key is not None
    assert key.issuer == ISSUER and key.ciphersuite == SUITE
    assert key.public_key == bbs.BLS12_381_SHA_256.sk_to_pk(ik.sk)
    assert ik.board.state(authorities.DOMAIN, f"name/{ISSUER}") == key.author
    assert data.authority_active(key.author)
    schema = data.schema(ISSUER, "eid")
    assert schema == Schema.from_body(ISSUER, EID)
    rec = ik.board.state("identity", "schema/cityhall/eid")
    assert rec["digest"] == schema.digest
    assert data.status_list(ISSUER, "permit-1") == StatusList.empty()
    assert ik.board.verify() == []
    assert ik.board.replay() == []


def test_board_data_from_exported_entries_equals_the_board(ik: IdentityKit) -> None:
    leaves = [leaf for _, leaf in ik.board.entries(0, ik.board.size())]
    offline = BoardData.from_leaves(leaves, default_registry())
    online = BoardData.from_board(ik.board)
    assert offline.issuer_key(ik.key_id) == online.issuer_key(ik.key_id)
    assert offline.schema(ISSUER, "permit") == online.schema(ISSUER, "permit")
    assert offline.status_list(ISSUER, "permit-1") == online.status_list(ISSUER, "permit-1")
    assert offline.origin() == ORIGIN


def test_exported_entries_are_admitted_again(ik: IdentityKit) -> None:
    """A doctored export (another issuer key slipped in) does not pass the replay."""
    leaves = [leaf for _, leaf in ik.board.entries(0, ik.board.size())]
    rogue = Signer.generate(ISSUER)
    sk = bbs.BLS12_381_SHA_256.keygen(b"r" * 32)
    leaves.append(entry(rogue, ISSUER_KEY, issuer_key_body(SUITE, sk, ORIGIN, ISSUER)))
    with pytest.raises(Rejected, match="entry 7 is not admissible"):
        BoardData.from_leaves(leaves, default_registry())
    with pytest.raises(Rejected, match="entry 1 is not admissible"):
        BoardData.from_leaves([leaves[0], leaves[0]], default_registry())


def test_revocation_sets_bits_and_never_clears_them(ik: IdentityKit) -> None:
    one = StatusList.empty().with_set(42)
    ik.publish(STATUS_LIST, status_list_body("permit-1", one))
    rec = ik.board.state("identity", "status/cityhall/permit-1")
    assert rec["size"] == MIN_BITS and rec["updated"] > rec["since"]
    assert BoardData.from_board(ik.board).status_list(ISSUER, "permit-1") == one
    refused(
        ik,
        entry(ik.issuer, STATUS_LIST, status_list_body("permit-1", StatusList.empty()), LATER),
        DomainRejection,
        "cannot be reinstated",
    )
    refused(
        ik,
        entry(ik.issuer, STATUS_LIST, status_list_body("permit-1", one), LATER),
        DomainRejection,
        "did not change",
    )
    refused(
        ik,
        entry(ik.issuer, STATUS_LIST, status_list_body("permit-1", StatusList.empty(2 * MIN_BITS))),
        DomainRejection,
        "size is fixed",
    )
    ik.publish(STATUS_LIST, status_list_body("permit-1", one.with_set(7)))
    data = BoardData.from_board(ik.board)
    listed = data.status_list(ISSUER, "permit-1")
    assert listed is not None and listed.set_indexes() == [7, 42]


def test_another_issuers_list_is_its_own(ik: IdentityKit) -> None:
    other = register_issuer(ik.kit, "county")
    ik.publish(STATUS_LIST, status_list_body("permit-1", StatusList.empty().with_set(1)), other)
    data = BoardData.from_board(ik.board)
    assert data.status_list(ISSUER, "permit-1") == StatusList.empty()
    assert data.status_list("county", "permit-1") == StatusList.empty().with_set(1)


# ----------------------------------------------------------------- refusals


def key_body(**changes: Any) -> dict[str, Any]:
    sk = bbs.BLS12_381_SHA_256.keygen(b"another key material of 32 bytes")
    return {**issuer_key_body(SUITE, sk, ORIGIN, ISSUER), **changes}


def test_issuer_key_refusals(ik: IdentityKit) -> None:
    good = key_body()
    other_pk = bbs.BLS12_381_SHA_256.sk_to_pk(bbs.BLS12_381_SHA_256.keygen(b"x" * 32))
    identity_g2 = "c0" + "00" * 95
    cases: list[tuple[dict[str, Any], str]] = [
        (key_body(ciphersuite="BLS12-381-SHA-512"), "unknown ciphersuite"),
        (key_body(public_key="ab" * 95), "192 lowercase hex"),
        (key_body(public_key=good["public_key"].upper()), "192 lowercase hex"),
        (key_body(key_id="00" * 32), "SHA-256 of the public key"),
        (
            key_body(public_key=other_pk.hex(), key_id=issuer_key_id(other_pk)),
            "proof of possession",
        ),
        (
            key_body(public_key=identity_g2, key_id=issuer_key_id(bytes.fromhex(identity_g2))),
            "proof of possession",
        ),
        (key_body(possession="zz"), "hex BBS signature"),
        ({k: v for k, v in good.items() if k != "possession"}, "exactly the fields"),
    ]
    for body, reason in cases:
        refused(ik, entry(ik.issuer, ISSUER_KEY, body), DomainRejection, reason)
    # the same key again, and a key whose possession proof names another issuer or board
    existing = ik.board.state("identity", f"key/{ik.key_id}")
    assert existing is not None
    sk = bbs.BLS12_381_SHA_256.keygen(b"cityhall issuer key material 32b", b"test")
    refused(
        ik,
        entry(ik.issuer, ISSUER_KEY, issuer_key_body(SUITE, sk, ORIGIN, ISSUER), LATER),
        DomainRejection,
        "published already",
    )
    county = register_issuer(ik.kit, "county")
    stolen = key_body()
    refused(ik, entry(county, ISSUER_KEY, stolen), DomainRejection, "proof of possession")
    sk2 = bbs.BLS12_381_SHA_256.keygen(b"z" * 32)
    elsewhere = issuer_key_body(SUITE, sk2, "other.example/board", ISSUER)
    refused(ik, entry(ik.issuer, ISSUER_KEY, elsewhere), DomainRejection, "proof of possession")


def test_only_issuers_publish(ik: IdentityKit) -> None:
    refused(ik, entry(ik.kit.publisher, SCHEMA, {**EID, "id": "x"}), RoleNotAllowed, "issuer")
    refused(ik, entry(ik.kit.publisher, ISSUER_KEY, key_body()), RoleNotAllowed, "issuer")
    body = status_list_body("l", StatusList.empty())
    refused(ik, entry(ik.kit.publisher, STATUS_LIST, body), RoleNotAllowed, "issuer")


def test_schema_refusals(ik: IdentityKit) -> None:
    refused(ik, entry(ik.issuer, SCHEMA, EID, LATER), DomainRejection, "never changes")
    refused(
        ik, entry(ik.issuer, SCHEMA, {**EID, "title": "Changed"}), DomainRejection, "never changes"
    )
    bad_attr = {**EID, "id": "x", "attributes": [{"name": "a", "type": "float", "encoding": "x"}]}
    refused(ik, entry(ik.issuer, SCHEMA, bad_attr), DomainRejection, "unknown type")
    refused(ik, entry(ik.issuer, SCHEMA, {"id": "x"}), DomainRejection, "exactly the fields")


def test_status_list_refusals(ik: IdentityKit) -> None:
    good = status_list_body("new-list", StatusList.empty())
    for body, reason in [
        ({**good, "purpose": "suspension"}, "statusPurpose"),
        ({**good, "id": "Bad Id"}, "status list id"),
        ({**good, "encodedList": "u" + good["encodedList"][5:]}, "GZIP|base64url"),
        ({**good, "encodedList": good["encodedList"][1:]}, "prefix"),
        ({k: v for k, v in good.items() if k != "purpose"}, "exactly the fields"),
    ]:
        refused(ik, entry(ik.issuer, STATUS_LIST, body), DomainRejection, reason)


def test_revoked_issuer_can_no_longer_publish(ik: IdentityKit) -> None:
    kid = ik.board.state(authorities.DOMAIN, f"name/{ISSUER}")
    ik.board.append(entry(ik.kit.root, authorities.REVOKE, {"key_id": kid, "reason": "test"}))
    key = BoardData.from_board(ik.board).issuer_key(ik.key_id)
    assert key is not None and not BoardData.from_board(ik.board).authority_active(key.author)
    refused(
        ik,
        entry(ik.issuer, SCHEMA, {**EID, "id": "later"}),
        Rejected,
        "no registered authority",
    )

"""Break-glass access: by the `emergency` role only, always with a reason, always on the board."""

from __future__ import annotations

import pytest
from nacl.public import PrivateKey

from ledger import authorities
from ledger.entry import key_id
from ledger.errors import DomainRejection, RoleNotAllowed
from services.health.keys import open_release
from tests.kit import entry
from tests.services.health.kit import (
    BUNDLE,
    T0,
    HealthKit,
    blobs,
    kid,
    make_health_kit,
    refused,
    register,
)

T1 = "2027-03-10T12:00:00Z"


@pytest.fixture
def hk(db_url: str) -> HealthKit:
    return make_health_kit(db_url)


def test_emergency_read_is_logged_with_its_reason(hk: HealthKit) -> None:
    rec = hk.service.write_record(hk.provider, hk.pseudonym.card(), BUNDLE, T0)
    assert set(rec.emergency) == {kid(hk.er)}
    release = hk.service.emergency_read(hk.er, rec.sha256, "unconscious, no relatives", T1)
    assert open_release(hk.er_box, release) == BUNDLE
    [item] = hk.service.access_log([hk.pseudonym.id])
    assert (item.via, item.reader, item.reason, item.index) == (
        "emergency",
        "er-central",
        "unconscious, no relatives",
        release.access_index,
    )
    assert hk.board.verify() == [] and hk.board.replay() == []


def test_emergency_needs_the_role(hk: HealthKit) -> None:
    rec = hk.service.write_record(hk.provider, hk.pseudonym.card(), BUNDLE, T0)
    refused(
        hk,
        lambda: hk.service.emergency_read(hk.provider, rec.sha256, "curious", T1),
        RoleNotAllowed,
        "emergency",
    )


@pytest.mark.parametrize("reason", ["", "   ", "two\nlines", "x" * 1001, 7])
def test_emergency_needs_a_reason(hk: HealthKit, reason: object) -> None:
    rec = hk.service.write_record(hk.provider, hk.pseudonym.card(), BUNDLE, T0)
    refused(
        hk,
        lambda: hk.service.emergency_read(hk.er, rec.sha256, reason, T1),  # type: ignore[arg-type]
        DomainRejection,
        "reason",
    )


def test_emergency_read_of_a_tampered_or_unknown_record(hk: HealthKit) -> None:
    refused(
        hk, lambda: hk.service.emergency_read(hk.er, "ab" * 32, "trauma bay", T1), DomainRejection
    )
    assert blobs(hk) == {}


def test_only_records_sealed_for_the_emergency_key(db_url: str) -> None:
    hk = make_health_kit(db_url, emergency=False)
    before = hk.service.write_record(hk.provider, hk.pseudonym.card(), BUNDLE, T0)
    assert before.emergency == {}
    refused(
        hk,
        lambda: hk.service.emergency_read(hk.er, before.sha256, "trauma bay", T1),
        DomainRejection,
        "no emergency key",
    )
    box = PrivateKey.generate()
    hk.service.register_emergency_key(hk.er, bytes(box.public_key), T0)
    refused(
        hk,
        lambda: hk.service.register_emergency_key(hk.er, bytes(box.public_key), T1),
        DomainRejection,
        "already",
    )
    after = hk.service.write_record(hk.provider, hk.pseudonym.card(), BUNDLE, T1)
    assert open_release(box, hk.service.emergency_read(hk.er, after.sha256, "trauma bay", T1))


def test_a_revoked_emergency_authority_is_no_longer_sealed_for(hk: HealthKit) -> None:
    second = register(hk.kit, "er-north", ["emergency"])
    hk.service.register_emergency_key(second, bytes(PrivateKey.generate().public_key), T0)
    assert set(hk.service.emergency_keys()) == {kid(hk.er), kid(second)}
    hk.board.append(
        entry(
            hk.kit.root,
            authorities.REVOKE,
            {"key_id": key_id(second.verifier().public_key), "reason": "closed"},
        )
    )
    rec = hk.service.write_record(hk.provider, hk.pseudonym.card(), BUNDLE, T0)
    assert set(rec.emergency) == {kid(hk.er)}


def test_small_order_box_keys_are_refused(hk: HealthKit) -> None:
    second = register(hk.kit, "er-south", ["emergency"])
    for bad in (bytes(32), bytes([1]) + bytes(31)):
        refused(
            hk,
            lambda b=bad: hk.service.register_emergency_key(second, b, T0),
            DomainRejection,
            "X25519",
        )

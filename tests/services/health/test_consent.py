"""Grants, revocations, reads and the access log; every refused read releases and logs nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import SessionTransaction

from ledger.errors import DomainRejection, RoleNotAllowed
from services.health import messages
from services.health import service as service_module
from services.health.errors import (
    BadPatientSignature,
    BadReaderSignature,
    BlobTampered,
    GrantExpired,
    GrantRevoked,
    NoGrant,
    StaleRequest,
    UnknownRecord,
)
from services.health.keys import PatientKeys, Reader
from services.health.views import GrantInfo, RecordInfo
from tests.ledger.test_board import snapshot
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

EXPIRES = "2027-04-01T00:00:00Z"
T1 = "2027-03-10T12:00:00Z"
"""A read time inside the grant."""


@pytest.fixture
def hk(db_url: str) -> HealthKit:
    return make_health_kit(db_url)


def setup(hk: HealthKit, n: int = 2) -> tuple[list[RecordInfo], GrantInfo]:
    """``n`` records, the first granted to the doctor until :data:`EXPIRES`."""
    ps = hk.pseudonym
    recs = [hk.service.write_record(hk.provider, ps.card(), BUNDLE, T0) for _ in range(n)]
    g = hk.service.grant(hk.gateway, ps.grant(hk.doctor.card(), recs[:1], EXPIRES), T0)
    return recs, g


def read(hk: HealthKit, reader: Reader, record: str, grant: str, at: str = T1) -> Any:
    return hk.service.read(hk.gateway, reader.request(record, grant, at), now=at)


def test_grant_read_and_log(hk: HealthKit) -> None:
    recs, g = setup(hk)
    assert g.records == (recs[0].sha256,) and g.revoked is None and g.expires == EXPIRES
    assert g.grantee_sign == hk.doctor.card()["sign"]
    assert hk.service.grants(hk.pseudonym.id) == [g]
    release = read(hk, hk.doctor, recs[0].sha256, g.grant_id)
    assert hk.doctor.open(release) == BUNDLE
    [item] = hk.service.access_log([hk.pseudonym.id])
    assert item.index == release.access_index == hk.board.size() - 1
    assert (item.via, item.reader, item.grant, item.record, item.time) == (
        "grant",
        hk.doctor.card()["sign"],
        g.grant_id,
        recs[0].sha256,
        T1,
    )
    assert hk.board.verify() == [] and hk.board.replay() == []


def test_patient_reads_own_record_logged(hk: HealthKit) -> None:
    recs, _ = setup(hk)
    ps = hk.pseudonym
    release = hk.service.read(hk.gateway, ps.request(recs[1].sha256, T1), now=T1)
    assert ps.open(release.record, release.blob) == BUNDLE
    [item] = hk.service.access_log([ps.id])
    assert (item.via, item.reader, item.grant) == ("patient", ps.sign_public.hex(), None)


def test_read_without_a_grant(hk: HealthKit) -> None:
    recs, g = setup(hk)
    stranger = Reader.generate()
    # a record the grant does not cover
    refused(hk, lambda: read(hk, hk.doctor, recs[1].sha256, g.grant_id), NoGrant)
    # someone else using the doctor's grant
    refused(hk, lambda: read(hk, stranger, recs[0].sha256, g.grant_id), NoGrant)
    # no grant at all, or a grant id that does not exist
    refused(hk, lambda: read(hk, stranger, recs[0].sha256, "ab" * 32), NoGrant)
    refused(hk, lambda: read(hk, stranger, recs[0].sha256, "not-a-grant-id"), DomainRejection)
    own_request_by_stranger = stranger.request(recs[0].sha256, "x", T1)
    own_request_by_stranger["request"]["grant"] = None
    refused(
        hk,
        lambda: hk.service.read(hk.gateway, own_request_by_stranger, now=T1),
        BadReaderSignature,
    )
    assert hk.service.access_log([hk.pseudonym.id]) == []


def test_reader_signature_is_checked(hk: HealthKit) -> None:
    recs, g = setup(hk)
    other = Reader.generate()
    body = other.request(recs[0].sha256, g.grant_id, T1)
    body["request"]["reader"] = hk.doctor.card()["sign"]  # claims to be the doctor
    refused(hk, lambda: hk.service.read(hk.gateway, body, now=T1), BadReaderSignature)


def test_read_after_revocation(hk: HealthKit) -> None:
    recs, g = setup(hk)
    read(hk, hk.doctor, recs[0].sha256, g.grant_id)
    revoked = hk.service.revoke(hk.gateway, hk.pseudonym.revoke(g.grant_id), T1)
    assert revoked.revoked is not None
    refused(
        hk,
        lambda: read(hk, hk.doctor, recs[0].sha256, g.grant_id, "2027-03-11T00:00:00Z"),
        GrantRevoked,
    )
    refused(
        hk,
        lambda: hk.service.revoke(
            hk.gateway, hk.pseudonym.revoke(g.grant_id), "2027-03-11T00:00:00Z"
        ),
        GrantRevoked,
    )
    assert len(hk.service.access_log([hk.pseudonym.id])) == 1


def test_read_after_expiry(hk: HealthKit) -> None:
    recs, g = setup(hk)
    refused(hk, lambda: read(hk, hk.doctor, recs[0].sha256, g.grant_id, EXPIRES), GrantExpired)
    refused(
        hk,
        lambda: read(hk, hk.doctor, recs[0].sha256, g.grant_id, "2028-01-01T00:00:00Z"),
        GrantExpired,
    )
    read(hk, hk.doctor, recs[0].sha256, g.grant_id, "2027-03-31T23:59:59Z")


def test_grant_signed_by_someone_else(hk: HealthKit) -> None:
    recs, _ = setup(hk)
    ps = hk.pseudonym
    impostor = PatientKeys.generate().pseudonym(kid(hk.provider))
    forged = impostor.grant(hk.doctor.card(), [], EXPIRES)
    forged["grant"] = {**forged["grant"], "patient": ps.id}
    forged["grant"]["keys"] = ps.grant(hk.doctor.card(), recs, EXPIRES)["grant"]["keys"]
    refused(hk, lambda: hk.service.grant(hk.gateway, forged, T0), BadPatientSignature)
    # the patient's signature does not survive a change (a later expiry, another grantee)
    genuine = ps.grant(hk.doctor.card(), recs[:1], EXPIRES)
    for change in ({"expires": "2099-01-01T00:00:00Z"}, {"grantee": Reader.generate().card()}):
        tampered = {**genuine, "grant": {**genuine["grant"], **change}}
        refused(hk, lambda t=tampered: hk.service.grant(hk.gateway, t, T0), BadPatientSignature)
    # a revocation by someone other than the patient
    g = hk.service.grant(hk.gateway, genuine, T0)
    rogue = impostor.revoke(g.grant_id)
    refused(hk, lambda: hk.service.revoke(hk.gateway, rogue, T1), BadPatientSignature)


def test_grant_rules(hk: HealthKit) -> None:
    recs, _ = setup(hk)
    ps = hk.pseudonym
    other = register(hk.kit, "county-clinic", ["provider"])
    p2 = hk.patient.pseudonym(kid(other))
    foreign = hk.service.write_record(other, p2.card(), BUNDLE, T0)
    # a grant under one pseudonym cannot name another pseudonym's record
    body = ps.grant(hk.doctor.card(), recs[:1], EXPIRES)
    mixed = p2.grant(hk.doctor.card(), [foreign], EXPIRES)["grant"]["keys"]
    body2 = ps.grant(hk.doctor.card(), recs[:1], EXPIRES)
    body2["grant"]["keys"].update(mixed)
    # re-signed: the rule holds even for the patient
    body2["signature"] = messages.sign(ps.signing_key, messages.GRANT_PREFIX, body2["grant"])
    refused(hk, lambda: hk.service.grant(hk.gateway, body2, T0), UnknownRecord)
    # expiring before it is posted
    refused(
        hk,
        lambda: hk.service.grant(hk.gateway, body, "2027-05-01T00:00:00Z"),
        GrantExpired,
    )
    # only the gateway posts grants
    refused(hk, lambda: hk.service.grant(hk.provider, body, T0), RoleNotAllowed)
    hk.service.grant(hk.gateway, body, T0)


def test_stale_request(hk: HealthKit) -> None:
    recs, g = setup(hk)
    body = hk.doctor.request(recs[0].sha256, g.grant_id, T1)
    refused(hk, lambda: hk.service.read(hk.gateway, body, now="2027-03-10T12:05:01Z"), StaleRequest)
    hk.service.read(hk.gateway, body, now="2027-03-10T12:05:00Z")


def test_later_records_are_not_covered(hk: HealthKit) -> None:
    _, g = setup(hk)
    later = hk.service.write_record(hk.provider, hk.pseudonym.card(), BUNDLE, T1)
    refused(hk, lambda: read(hk, hk.doctor, later.sha256, g.grant_id), NoGrant)


@pytest.mark.parametrize("damage", ["flip", "truncate", "delete"])
def test_tampered_blob_is_detected_and_nothing_is_released_or_logged(
    hk: HealthKit, damage: str
) -> None:
    recs, g = setup(hk)
    sha = bytes.fromhex(recs[0].sha256)
    blob = blobs(hk)[sha]
    with hk.board.store.write() as tx:
        conn = tx.s.connection()
        if damage == "delete":
            conn.execute(text("DELETE FROM health_blobs WHERE sha256 = :h"), {"h": sha})
        else:
            bad = blob[:40] + bytes([blob[40] ^ 1]) + blob[41:] if damage == "flip" else blob[:-1]
            conn.execute(
                text("UPDATE health_blobs SET data = :d WHERE sha256 = :h"), {"d": bad, "h": sha}
            )
    refused(hk, lambda: read(hk, hk.doctor, recs[0].sha256, g.grant_id), BlobTampered)
    assert hk.service.access_log([hk.pseudonym.id]) == []


def test_a_read_that_is_not_logged_cannot_happen(
    hk: HealthKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The blob is read inside the transaction that appends the log entry, after it.

    A spy on the release sees the access entry already written in its
    transaction; when that transaction then fails to commit, the read fails
    and the caller gets no blob, and the board has no entry.
    """
    recs, g = setup(hk)
    seen: list[tuple[int, str]] = []
    real = service_module.release_blob

    def spy(tx: Any, sha256: str) -> bytes:
        size = tx.size()
        [row] = tx.entries(size - 1, size)
        seen.append((size - 1, row.kind))
        return real(tx, sha256)

    monkeypatch.setattr(service_module, "release_blob", spy)
    release = read(hk, hk.doctor, recs[0].sha256, g.grant_id)
    assert seen == [(release.access_index, "health.access")]

    class CommitFailed(Exception):
        pass

    real_commit = SessionTransaction.commit

    def failing_commit(self: SessionTransaction, *a: Any, **k: Any) -> Any:
        if seen and seen[-1][1] == "health.access":
            seen.append((-1, "commit"))
            raise CommitFailed("the database went away")
        return real_commit(self, *a, **k)

    before = snapshot(hk.board)
    monkeypatch.setattr(SessionTransaction, "commit", failing_commit)
    with pytest.raises(CommitFailed):
        read(hk, hk.doctor, recs[0].sha256, g.grant_id, "2027-03-10T12:00:01Z")
    monkeypatch.setattr(SessionTransaction, "commit", real_commit)
    assert seen[-2:] == [(release.access_index + 1, "health.access"), (-1, "commit")]
    assert snapshot(hk.board) == before
    assert len(hk.service.access_log([hk.pseudonym.id])) == 1


def test_patient_lists_every_read_across_providers(hk: HealthKit) -> None:
    recs, g = setup(hk)
    other = register(hk.kit, "county-clinic", ["provider"])
    p2 = hk.patient.pseudonym(kid(other))
    r2 = hk.service.write_record(other, p2.card(), BUNDLE, T0)
    g2 = hk.service.grant(hk.gateway, p2.grant(hk.doctor.card(), [r2], EXPIRES), T0)
    read(hk, hk.doctor, recs[0].sha256, g.grant_id)
    read(hk, hk.doctor, r2.sha256, g2.grant_id, "2027-03-10T12:00:01Z")
    hk.service.emergency_read(hk.er, recs[1].sha256, "unconscious on arrival", T1)
    log = hk.service.access_log([hk.pseudonym.id, p2.id])
    assert [(i.via, i.record) for i in log] == [
        ("grant", recs[0].sha256),
        ("grant", r2.sha256),
        ("emergency", recs[1].sha256),
    ]
    assert log[2].reader == "er-central" and log[2].reason == "unconscious on arrival"
    # another patient sees none of it
    assert hk.service.access_log([PatientKeys.generate().pseudonym(kid(hk.provider)).id]) == []

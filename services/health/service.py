"""The health service: write records, post consent, release blobs with their log entry.

docs/health.md §Service.  Every method that changes anything appends board
entries through :meth:`ledger.board.Board.append_many`; blobs are written and
released in its ``then`` callback, inside the same sequenced transaction:

- :meth:`HealthService.write_record` stores the blob with its ``health.record``
  entry (and the ``health.pseudonym`` entry the first time);
- :meth:`HealthService.read` and :meth:`HealthService.emergency_read` append
  the access-log entry and, in the same transaction, read the blob and check
  it against its commitment.  If the entry is refused nothing is read; if the
  blob does not match (:class:`BlobTampered`) the entry is rolled back and
  nothing is released: a failed read leaves no trace on the board (it is the
  operator's storage fault, reported to the caller, not a disclosure).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ledger.board import Board
from ledger.domains import Overlay, View
from ledger.entry import key_id, make_entry, now_rfc3339
from ledger.errors import DomainRejection
from ledger.note import Signer
from ledger.store import Txn
from services.health import domain as d
from services.health.blobs import ensure_table, put_blob, release_blob
from services.health.errors import NoGrant, StaleRequest, UnknownRecord
from services.health.fhir import validate_bundle
from services.health.keys import pseudonym_id
from services.health.messages import digest, valid_box_key, valid_sign_key
from services.health.sealing import blob_hash, record_aad, seal_record, wrap_key
from services.health.views import AccessLogItem, GrantInfo, RecordInfo, Release

MAX_SKEW_SECONDS = 300
"""How far a signed read request's time may be from the service's clock."""


def _seconds(t: str) -> float:
    return datetime.strptime(t, d.TIME_FORMAT).replace(tzinfo=UTC).timestamp()


def _author(signer: Signer) -> str:
    return key_id(signer.verifier().public_key)


def _entry(signer: Signer, kind: str, body: dict[str, Any], time: str | None) -> bytes:
    return make_entry(kind, body, _author(signer), signer.sign, time)


class _TxnState:
    """A read transaction's state as an overlay's base (what the board's check sees)."""

    def __init__(self, tx: Txn) -> None:
        self.tx = tx

    def get(self, domain: str, key: str) -> str | None:
        return self.tx.state_get(domain, key)

    def scan(self, domain: str, prefix: str) -> list[tuple[str, str]]:
        return self.tx.state_scan(domain, prefix)


class HealthService:
    """Medical records on a board: the provider's, gateway's and reader's operations."""

    def __init__(self, board: Board) -> None:
        self.board = board
        ensure_table(board.store)

    # -------------------------------------------------------------- providers

    def register_pseudonym(
        self, provider: Signer, card: dict[str, Any], time: str | None = None
    ) -> int:
        """Post a patient's pseudonym card (``health.pseudonym``); returns the entry index."""
        return self.board.append(_entry(provider, d.PSEUDONYM, card, time))

    def write_record(
        self, provider: Signer, card: dict[str, Any], bundle: Any, time: str | None = None
    ) -> RecordInfo:
        """Validate, encrypt and post a record for the patient behind ``card``.

        The bundle is validated as FHIR (:class:`MalformedRecord`), encrypted
        under a fresh key bound to the provider and pseudonym, the key sealed
        for the pseudonym and every registered emergency key; the blob is
        stored with the ``health.record`` entry in one transaction, preceded
        by the ``health.pseudonym`` entry when the card is new on the board.
        """
        plaintext = validate_bundle(bundle)
        sign = valid_sign_key(card.get("sign")) if isinstance(card, dict) else None
        box = valid_box_key(card.get("box")) if isinstance(card, dict) else None
        if sign is None or box is None:
            raise DomainRejection("the pseudonym card needs valid sign and box public keys")
        pid = pseudonym_id(sign)
        provider_id = _author(provider)
        key, blob = seal_record(plaintext, record_aad(provider_id, pid))
        sha = blob_hash(blob)
        with self.board.store.read() as tx:
            view = View(Overlay(_TxnState(tx)), d.NAME, 0, None)
            known = view.get(f"pseudonym/{pid}") is not None
            emergency = d.active_emergency_keys(view)
        body: dict[str, Any] = {
            "patient": pid,
            "sha256": sha,
            "size": len(blob),
            "key": wrap_key(key, box).hex(),
            "emergency": {
                kid: wrap_key(key, bytes.fromhex(pk)).hex() for kid, pk in emergency.items()
            },
        }
        leaves = []
        if not known:
            leaves.append(_entry(provider, d.PSEUDONYM, card, time))
        leaves.append(_entry(provider, d.RECORD, body, time))

        def store(tx: Txn, indices: list[int]) -> None:
            put_blob(tx, sha, blob)

        index = self.board.append_many(leaves, then=store)[-1]
        wrapped = body["emergency"]
        return RecordInfo(
            sha,
            pid,
            provider_id,
            len(blob),
            bytes.fromhex(body["key"]),
            {k: bytes.fromhex(v) for k, v in wrapped.items()},
            index,
            str(json.loads(leaves[-1])["time"]),
        )

    # ---------------------------------------------------------------- consent

    def grant(self, gateway: Signer, body: dict[str, Any], time: str | None = None) -> GrantInfo:
        """Post a patient-signed grant (``health.grant``, by the gateway authority)."""
        self.board.append(_entry(gateway, d.GRANT, body, time))
        return self.grant_info(digest(body["grant"]))

    def revoke(self, gateway: Signer, body: dict[str, Any], time: str | None = None) -> GrantInfo:
        """Post a patient-signed revocation (``health.revoke``, by the gateway authority)."""
        self.board.append(_entry(gateway, d.REVOKE, body, time))
        return self.grant_info(body["revoke"]["grant"])

    # ------------------------------------------------------------------ reads

    def read(self, gateway: Signer, body: dict[str, Any], now: str | None = None) -> Release:
        """Release a blob under a reader-signed request, logging the read in the same transaction.

        ``body`` is a ``health.access`` body (:meth:`Reader.request`,
        :meth:`Pseudonym.request`); the entry's time is the request's signed
        time, which must be within :data:`MAX_SKEW_SECONDS` of ``now``.
        """
        request = body.get("request") if isinstance(body, dict) else None
        if not isinstance(request, dict):
            raise DomainRejection("a read is a signed request {request, signature}")
        t = d._time(request.get("time"), "request time")
        clock = now or now_rfc3339()
        if abs(_seconds(t) - _seconds(d._time(clock, "now"))) > MAX_SKEW_SECONDS:
            raise StaleRequest(
                f"the request's time {t} is not within {MAX_SKEW_SECONDS} s of {clock}"
            )
        leaf = _entry(gateway, d.ACCESS, body, t)
        released: list[Release] = []

        def release(tx: Txn, indices: list[int]) -> None:
            rec = _record_in(tx, request["record"])
            if request["grant"] is None:
                wrapped = rec.key
            else:
                g = GrantInfo.from_state(
                    request["grant"], _state_in(tx, f"grant/{request['grant']}")
                )
                wrapped = g.keys[rec.sha256]
            released.append(Release(rec, release_blob(tx, rec.sha256), wrapped, indices[0]))

        self.board.append_many([leaf], then=release)
        return released[0]

    def emergency_read(
        self, authority: Signer, record: str, reason: str, time: str | None = None
    ) -> Release:
        """Break glass: an ``emergency`` authority reads a record without consent, with a reason.

        The ``health.emergency`` entry (who, which record, why) is appended in
        the transaction that releases the blob; the key comes sealed for the
        authority's registered emergency key.
        """
        leaf = _entry(authority, d.EMERGENCY, {"record": record, "reason": reason}, time)
        kid = _author(authority)
        released: list[Release] = []

        def release(tx: Txn, indices: list[int]) -> None:
            rec = _record_in(tx, record)
            released.append(
                Release(rec, release_blob(tx, rec.sha256), rec.emergency[kid], indices[0])
            )

        self.board.append_many([leaf], then=release)
        return released[0]

    def register_emergency_key(
        self, authority: Signer, box_public_key: bytes, time: str | None = None
    ) -> int:
        """Post an emergency authority's X25519 key (``health.emergency_key``)."""
        return self.board.append(
            _entry(authority, d.EMERGENCY_KEY, {"box": box_public_key.hex()}, time)
        )

    # ---------------------------------------------------------------- queries

    def record(self, sha256: str) -> RecordInfo:
        rec = self.board.state(d.NAME, f"record/{sha256}")
        if rec is None:
            raise UnknownRecord(f"no record {sha256} on the board")
        return RecordInfo.from_state(sha256, rec)

    def records(self, patient: str) -> list[RecordInfo]:
        """A pseudonym's records, oldest first."""
        return [self.record(sha) for _, sha in self.board.scan(d.NAME, f"records/{patient}/")]

    def grant_info(self, grant_id: str) -> GrantInfo:
        rec = self.board.state(d.NAME, f"grant/{grant_id}")
        if rec is None:
            raise NoGrant(f"no grant {grant_id} on the board")
        return GrantInfo.from_state(grant_id, rec)

    def grants(self, patient: str) -> list[GrantInfo]:
        """A pseudonym's grants, oldest first (revoked ones included)."""
        return [self.grant_info(g) for _, g in self.board.scan(d.NAME, f"grants/{patient}/")]

    def access_log(self, patients: Iterable[str]) -> list[AccessLogItem]:
        """Every logged read of the records of these pseudonyms, in board order."""
        items = [
            AccessLogItem.from_state(v)
            for pid in patients
            for _, v in self.board.scan(d.NAME, f"log/{pid}/")
        ]
        return sorted(items, key=lambda i: i.index)

    def emergency_keys(self) -> dict[str, str]:
        """Key id → X25519 public key (hex) of the active emergency authorities."""
        with self.board.store.read() as tx:
            return d.active_emergency_keys(View(Overlay(_TxnState(tx)), d.NAME, 0, None))


def _state_in(tx: Txn, key: str) -> dict[str, Any]:
    raw = tx.state_get(d.NAME, key)
    if raw is None:
        raise UnknownRecord(f"no {key} in the health state")
    return dict(json.loads(raw))


def _record_in(tx: Txn, sha256: str) -> RecordInfo:
    return RecordInfo.from_state(sha256, _state_in(tx, f"record/{sha256}"))

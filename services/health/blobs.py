"""Encrypted record blobs, kept off the board in the board's database (docs/health.md §Blobs).

Table ``health_blobs``: ``sha256`` (32 bytes, the primary key: a blob is
addressed by its hash) and ``data`` (the XChaCha20-Poly1305 blob).  Rows are
written and read only inside a board append transaction (``Board.append_many``
with ``then``), so a blob exists exactly when its record entry does, and a
blob leaves the database only together with its access-log entry.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import Column, LargeBinary, MetaData, Table, insert, select
from sqlalchemy import inspect as sa_inspect

from ledger.store import Store, Txn
from services.health.errors import BlobTampered

BLOBS = Table(
    "health_blobs",
    MetaData(),
    Column("sha256", LargeBinary, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)
"""Outside ``SQLModel.metadata`` on purpose: the board's store creates and verifies the
board's own tables only (``pnyx board verify`` covers them byte for byte); this table is
created by :func:`ensure_table` when a health service first opens the database."""


def ensure_table(store: Store) -> None:
    """Create ``health_blobs`` in the board's database unless it is there.

    Under the sequencer (a write transaction), so that processes starting at
    once do not race.
    """
    if sa_inspect(store.engine).has_table(BLOBS.name):
        return
    with store.write() as tx:
        BLOBS.create(tx.s.connection(), checkfirst=True)


def put_blob(tx: Txn, sha256: str, data: bytes) -> None:
    """Store a blob under its hash (the caller has computed it from ``data``)."""
    if not hmac.compare_digest(hashlib.sha256(data).hexdigest(), sha256):
        raise BlobTampered("the blob does not hash to the commitment it is stored under")
    tx.s.execute(insert(BLOBS).values(sha256=bytes.fromhex(sha256), data=data))


def release_blob(tx: Txn, sha256: str) -> bytes:
    """Read a blob and check it against its commitment; raises :class:`BlobTampered`.

    A missing row counts as tampering too: the board says the blob exists.
    """
    row = tx.s.execute(select(BLOBS.c.data).where(BLOBS.c.sha256 == bytes.fromhex(sha256))).first()
    if row is None:
        raise BlobTampered(f"the blob of record {sha256} is missing from storage")
    data = bytes(row[0])
    if not hmac.compare_digest(hashlib.sha256(data).digest(), bytes.fromhex(sha256)):
        raise BlobTampered(f"the stored blob of record {sha256} does not match its commitment")
    return data

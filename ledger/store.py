"""The board's storage through SQLModel: SQLite (embedded default) or PostgreSQL.

Tables (docs/board.md §Storage):

- ``entries``: ``idx`` (0-based position), ``leaf`` (the entry's canonical
  bytes), ``leaf_hash`` (RFC 9162 leaf hash, unique: a replay is refused),
  ``kind`` (for listing by kind).
- ``nodes``: the hash of every complete subtree of level >= 1 (level 0 is
  ``entries.leaf_hash``), written once when its last leaf arrives.
- ``checkpoints``: the log-signed checkpoint note of each size that was signed.
- ``cosignatures``: witness cosignature lines per checkpoint size and witness key.
- ``state``: every domain's state as canonical JSON values, keyed ``(domain, key)``.

Appends are serialised by one sequencer: on SQLite a ``BEGIN IMMEDIATE``
transaction (one writer at a time, WAL for readers); on PostgreSQL a
transaction-scoped advisory lock.  Within it the next index is
``max(idx) + 1``, so several processes may append at once without a gap or a
duplicate index.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, Column, Engine, LargeBinary, event, func, tuple_
from sqlalchemy import delete as sa_delete
from sqlalchemy import insert as sa_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import Field, Session, SQLModel, create_engine, select

from ledger.merkle import Node

ADVISORY_LOCK_KEY = 0x706E7978  # "pnyx"


class EntryRow(SQLModel, table=True):
    __tablename__ = "entries"
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    leaf_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False, unique=True))
    kind: str = Field(index=True)
    leaf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class NodeRow(SQLModel, table=True):
    __tablename__ = "nodes"
    level: int = Field(primary_key=True)
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class CheckpointRow(SQLModel, table=True):
    __tablename__ = "checkpoints"
    size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    note: str


class CosignatureRow(SQLModel, table=True):
    __tablename__ = "cosignatures"
    size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    witness: str = Field(primary_key=True)
    line: str


class StateRow(SQLModel, table=True):
    __tablename__ = "state"
    domain: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    value: str


TABLES = ("entries", "nodes", "checkpoints", "cosignatures", "state")


class StoreError(Exception):
    """The database URL is unusable or the database cannot be reached."""


def _sqlite_path(url: str) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def make_engine(url: str) -> Engine:
    """An engine for ``sqlite:///FILE`` or ``postgresql+psycopg://...`` set up for sequencing."""
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError as e:
        raise StoreError(f"bad database URL {url!r}: {e}") from None
    if backend == "sqlite":
        path = _sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            write = conn.get_execution_options().get("pnyx_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    if backend == "postgresql":
        return create_engine(url, pool_pre_ping=True)
    raise StoreError(
        f"unsupported database {backend!r}: use sqlite:///FILE or postgresql+psycopg://"
    )


class Txn:
    """One database transaction on the board's tables."""

    def __init__(self, session: Session) -> None:
        self.s = session

    # ---------------------------------------------------------------- entries
    def size(self) -> int:
        top = self.s.exec(select(func.max(EntryRow.idx))).one()
        return 0 if top is None else int(top) + 1

    def entry(self, index: int) -> EntryRow | None:
        return self.s.get(EntryRow, index)

    def entries(self, start: int, end: int, kind: str | None = None) -> list[EntryRow]:
        q = select(EntryRow).where(EntryRow.idx >= start, EntryRow.idx < end)
        if kind is not None:
            q = q.where(EntryRow.kind == kind)
        return list(self.s.exec(q.order_by(EntryRow.idx)))  # type: ignore[arg-type]

    def iter_entries(self, batch: int = 2000) -> Iterator[EntryRow]:
        start = 0
        while True:
            rows = self.entries(start, start + batch)
            yield from rows
            if len(rows) < batch:
                return
            start += batch

    def existing_leaf_hashes(self, hashes: Iterable[bytes]) -> set[bytes]:
        hs = list(hashes)
        found: set[bytes] = set()
        for i in range(0, len(hs), 500):
            q = select(EntryRow.leaf_hash).where(EntryRow.leaf_hash.in_(hs[i : i + 500]))  # type: ignore[attr-defined]
            found.update(bytes(h) for h in self.s.exec(q))
        return found

    def insert_entries(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.s.execute(sa_insert(EntryRow.__table__), rows)  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ nodes
    def nodes(self, wanted: Iterable[Node]) -> dict[Node, bytes]:
        """Stored hashes of complete subtrees (level 0 read from ``entries``)."""
        leaves = [i for lv, i in wanted if lv == 0]
        inner = [(lv, i) for lv, i in wanted if lv > 0]
        out: dict[Node, bytes] = {}
        for k in range(0, len(leaves), 500):
            q0 = select(EntryRow.idx, EntryRow.leaf_hash).where(
                EntryRow.idx.in_(leaves[k : k + 500])  # type: ignore[attr-defined]
            )
            out.update(((0, int(i)), bytes(h)) for i, h in self.s.exec(q0))
        for k in range(0, len(inner), 500):
            q1 = select(NodeRow.level, NodeRow.idx, NodeRow.hash).where(
                tuple_(NodeRow.level, NodeRow.idx).in_(inner[k : k + 500])
            )
            out.update(((int(lv), int(i)), bytes(h)) for lv, i, h in self.s.exec(q1))
        return out

    def insert_nodes(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.s.execute(sa_insert(NodeRow.__table__), rows)  # type: ignore[attr-defined]

    def level_hashes(self, level: int, start: int, end: int) -> list[bytes]:
        """Hashes of the complete subtrees ``(level, start) .. (level, end - 1)``, in order."""
        if level == 0:
            q0 = (
                select(EntryRow.leaf_hash)
                .where(EntryRow.idx >= start, EntryRow.idx < end)
                .order_by(EntryRow.idx)  # type: ignore[arg-type]
            )
            return [bytes(h) for h in self.s.exec(q0)]
        q = (
            select(NodeRow.hash)
            .where(NodeRow.level == level, NodeRow.idx >= start, NodeRow.idx < end)
            .order_by(NodeRow.idx)  # type: ignore[arg-type]
        )
        return [bytes(h) for h in self.s.exec(q)]

    def all_nodes(self) -> dict[Node, bytes]:
        q = select(NodeRow.level, NodeRow.idx, NodeRow.hash)
        return {(int(lv), int(i)): bytes(h) for lv, i, h in self.s.exec(q)}

    # ------------------------------------------------------------ checkpoints
    def latest_checkpoint(self) -> CheckpointRow | None:
        q = select(CheckpointRow).order_by(CheckpointRow.size.desc()).limit(1)  # type: ignore[attr-defined]
        return self.s.exec(q).first()

    def checkpoint(self, size: int) -> CheckpointRow | None:
        return self.s.get(CheckpointRow, size)

    def checkpoints(self) -> list[CheckpointRow]:
        return list(self.s.exec(select(CheckpointRow).order_by(CheckpointRow.size)))  # type: ignore[arg-type]

    def add_checkpoint(self, size: int, note: str) -> None:
        self.s.add(CheckpointRow(size=size, note=note))

    def cosignatures(self, size: int | None = None) -> list[CosignatureRow]:
        q = select(CosignatureRow)
        if size is not None:
            q = q.where(CosignatureRow.size == size)
        return list(self.s.exec(q.order_by(CosignatureRow.size, CosignatureRow.witness)))  # type: ignore[arg-type]

    def put_cosignature(self, size: int, witness: str, line: str) -> None:
        row = self.s.get(CosignatureRow, (size, witness))
        if row is None:
            self.s.add(CosignatureRow(size=size, witness=witness, line=line))
        else:
            row.line = line
            self.s.add(row)

    # ------------------------------------------------------------------ state
    def state_get(self, domain: str, key: str) -> str | None:
        row = self.s.get(StateRow, (domain, key))
        return None if row is None else row.value

    def state_scan(self, domain: str, prefix: str) -> list[tuple[str, str]]:
        q = select(StateRow.key, StateRow.value).where(StateRow.domain == domain)
        if prefix:
            q = q.where(StateRow.key >= prefix, StateRow.key < prefix + "\U0010ffff")
        return [(k, v) for k, v in self.s.exec(q.order_by(StateRow.key))]

    def state_write(self, changes: Mapping[tuple[str, str], str | None]) -> None:
        """Apply an overlay: a value to upsert, ``None`` to delete."""
        if not changes:
            return
        keys = list(changes)
        for i in range(0, len(keys), 400):
            chunk = keys[i : i + 400]
            self.s.execute(
                sa_delete(StateRow).where(tuple_(StateRow.domain, StateRow.key).in_(chunk))
            )
        rows = [
            {"domain": d, "key": k, "value": v} for (d, k), v in changes.items() if v is not None
        ]
        if rows:
            self.s.execute(sa_insert(StateRow.__table__), rows)  # type: ignore[attr-defined]

    def all_state(self) -> dict[tuple[str, str], str]:
        q = select(StateRow.domain, StateRow.key, StateRow.value)
        return {(d, k): v for d, k, v in self.s.exec(q)}


class Store:
    """The board's database: sequenced write transactions, plain read transactions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.backend = self.engine.dialect.name
        SQLModel.metadata.create_all(self.engine)

    @contextmanager
    def write(self) -> Iterator[Txn]:
        """A transaction that holds the sequencer: commits on success, rolls back on error."""
        bind = self.engine.execution_options(pnyx_write=True)
        with Session(bind, expire_on_commit=False) as s:
            with s.begin():
                if self.backend == "postgresql":
                    s.connection().exec_driver_sql(
                        f"SELECT pg_advisory_xact_lock({ADVISORY_LOCK_KEY})"
                    )
                yield Txn(s)

    @contextmanager
    def read(self) -> Iterator[Txn]:
        with Session(self.engine, expire_on_commit=False) as s, s.begin():
            yield Txn(s)

    def dispose(self) -> None:
        self.engine.dispose()

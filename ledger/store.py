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

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, Column, Engine, Integer, LargeBinary, event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import Field, Session, SQLModel, create_engine, select

from ledger.merkle import Node

ADVISORY_LOCK_KEY = 0x706E7978  # "pnyx"
SQL_CHUNK = 250
"""Rows per ``IN``/``OR`` list on SQLite (its host-parameter limit is 32766 since 3.32)."""


INDEX = BigInteger().with_variant(Integer(), "sqlite")
"""A 64-bit index; on SQLite ``INTEGER PRIMARY KEY``, the rowid itself (no second index)."""


class EntryRow(SQLModel, table=True):
    __tablename__ = "entries"
    idx: int = Field(sa_column=Column(INDEX, primary_key=True, autoincrement=False))
    leaf_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False, unique=True))
    kind: str = Field(index=True)
    leaf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class NodeRow(SQLModel, table=True):
    __tablename__ = "nodes"
    __table_args__ = {"sqlite_with_rowid": False}  # the primary key is the table
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
    __table_args__ = {"sqlite_with_rowid": False}
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
            cur.execute("PRAGMA cache_size=-65536")  # 64 MiB: the leaf-hash index stays in memory
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


@lru_cache(maxsize=256)
def _sqlite_nodes_sql(leaves: int, inner: int) -> str:
    """One statement for ``leaves`` leaf hashes and ``inner`` inner nodes (SQLite).

    Each inner node is an ``(level = ? AND idx = ?)`` term: SQLite answers an
    ``OR`` of them with one primary-key search each ("MULTI-INDEX OR"), where a
    row-value ``(level, idx) IN (...)`` would scan the whole table.
    """
    parts = []
    if leaves:
        parts.append(
            "SELECT 0, idx, leaf_hash FROM entries WHERE idx IN (" + ",".join("?" * leaves) + ")"
        )
    if inner:
        parts.append(
            "SELECT level, idx, hash FROM nodes WHERE "
            + " OR ".join(["(level = ? AND idx = ?)"] * inner)
        )
    return " UNION ALL ".join(parts)


# PostgreSQL: arrays are passed in binary (``%b``): psycopg's text form of an
# array escapes every element with a regular expression.
_PG_NODES_SQL = (
    "SELECT 0, idx, leaf_hash FROM entries WHERE idx = ANY(%b::bigint[])"
    " UNION ALL SELECT n.level, n.idx, n.hash FROM nodes n"
    " JOIN unnest(%b::integer[], %b::bigint[]) AS w(level, idx)"
    " ON n.level = w.level AND n.idx = w.idx"
)


class Txn:
    """One database transaction on the board's tables.

    The hot paths (size, node and leaf-hash lookups, the inserts of an append,
    state reads and writes) go to the DB-API connection under the session's
    transaction with plain SQL: the same transaction, without the ORM's
    per-statement cost.  The tables they touch are never written through ORM
    objects, so there is no pending unit of work for them to miss.
    """

    def __init__(self, session: Session) -> None:
        self.s = session
        self._dbapi: Any = None
        self._pg = False

    def _cursor(self) -> Any:
        """A DB-API cursor on the connection of this transaction."""
        if self._dbapi is None:
            conn = self.s.connection()
            self._pg = conn.dialect.name == "postgresql"
            self._dbapi = conn.connection.dbapi_connection
        return self._dbapi.cursor()

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Rows of ``sql``; write ``?`` placeholders (turned into ``%s`` on PostgreSQL)."""
        cur = self._cursor()
        try:
            cur.execute(sql.replace("?", "%s") if self._pg else sql, params)
            return list(cur.fetchall())
        finally:
            cur.close()

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        cur = self._cursor()
        try:
            cur.execute(sql.replace("?", "%s") if self._pg else sql, params)
        finally:
            cur.close()

    def _executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        cur = self._cursor()
        try:
            cur.executemany(sql.replace("?", "%s") if self._pg else sql, rows)
        finally:
            cur.close()

    def _copy(self, table: str, columns: str, rows: Iterable[Sequence[Any]]) -> None:
        """PostgreSQL ``COPY ... FROM STDIN``: the fastest bulk insert (no conflict handling)."""
        cur = self._cursor()
        try:
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            cur.close()

    # ---------------------------------------------------------------- entries
    def size(self) -> int:
        top = self._query("SELECT max(idx) FROM entries")[0][0]
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
        if not hs:
            return set()
        self._cursor()
        if self._pg:
            rows = self._query("SELECT leaf_hash FROM entries WHERE leaf_hash = ANY(%b)", [hs])
            return {bytes(h) for (h,) in rows}
        found: set[bytes] = set()
        for i in range(0, len(hs), SQL_CHUNK):
            chunk = hs[i : i + SQL_CHUNK]
            sql = "SELECT leaf_hash FROM entries WHERE leaf_hash IN (" + ",".join("?" * len(chunk))
            found.update(bytes(h) for (h,) in self._query(sql + ")", chunk))
        return found

    def insert_entries(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        values = [(r["idx"], r["leaf_hash"], r["kind"], r["leaf"]) for r in rows]
        self._cursor()
        if self._pg:
            self._copy("entries", "idx, leaf_hash, kind, leaf", values)
        else:
            self._executemany(
                "INSERT INTO entries (idx, leaf_hash, kind, leaf) VALUES (?, ?, ?, ?)", values
            )

    # ------------------------------------------------------------------ nodes
    def nodes(self, wanted: Iterable[Node]) -> dict[Node, bytes]:
        """Stored hashes of complete subtrees (level 0 read from ``entries``).

        One round trip on PostgreSQL, one per :data:`SQL_CHUNK` nodes on SQLite.
        """
        leaves: list[int] = []
        inner: list[Node] = []
        for node in wanted:
            if node[0]:
                inner.append(node)
            else:
                leaves.append(node[1])
        out: dict[Node, bytes] = {}
        if not leaves and not inner:
            return out
        self._cursor()
        if self._pg:
            levels = [lv for lv, _ in inner]
            idxs = [i for _, i in inner]
            rows = self._query(_PG_NODES_SQL, [leaves, levels, idxs])
        else:
            rows = []
            for k in range(0, max(len(leaves), len(inner)), SQL_CHUNK):
                ls, ns = leaves[k : k + SQL_CHUNK], inner[k : k + SQL_CHUNK]
                params: list[int] = [*ls]
                for lv, i in ns:
                    params += (lv, i)
                rows += self._query(_sqlite_nodes_sql(len(ls), len(ns)), params)
        for lv, i, h in rows:
            out[(int(lv), int(i))] = bytes(h)
        return out

    def insert_nodes(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        values = [(r["level"], r["idx"], r["hash"]) for r in rows]
        self._cursor()
        if self._pg:
            self._copy("nodes", "level, idx, hash", values)
        else:
            self._executemany("INSERT INTO nodes (level, idx, hash) VALUES (?, ?, ?)", values)

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
        rows = self._query("SELECT value FROM state WHERE domain = ? AND key = ?", (domain, key))
        return None if not rows else str(rows[0][0])

    def state_scan(self, domain: str, prefix: str) -> list[tuple[str, str]]:
        q = select(StateRow.key, StateRow.value).where(StateRow.domain == domain)
        if prefix:
            q = q.where(StateRow.key >= prefix, StateRow.key < prefix + "\U0010ffff")
        return [(k, v) for k, v in self.s.exec(q.order_by(StateRow.key))]

    def state_write(self, changes: Mapping[tuple[str, str], str | None]) -> None:
        """Apply an overlay: a value to upsert, ``None`` to delete.

        An upsert per key (``ON CONFLICT ... DO UPDATE``, SQLite >= 3.24 and
        PostgreSQL) and a delete per removed key, each looked up by primary key;
        on PostgreSQL each is one statement over arrays.
        """
        if not changes:
            return
        gone = [(d, k) for (d, k), v in changes.items() if v is None]
        put = [(d, k, v) for (d, k), v in changes.items() if v is not None]
        upsert = (
            "INSERT INTO state (domain, key, value) {} "
            "ON CONFLICT (domain, key) DO UPDATE SET value = excluded.value"
        )
        self._cursor()
        if self._pg:
            if gone:
                self._execute(
                    "DELETE FROM state WHERE (domain, key) IN "
                    "(SELECT * FROM unnest(%b::varchar[], %b::varchar[]))",
                    [[d for d, _ in gone], [k for _, k in gone]],
                )
            if put:
                cols = [[r[0] for r in put], [r[1] for r in put], [r[2] for r in put]]
                arrays = "SELECT * FROM unnest(%b::varchar[], %b::varchar[], %b::varchar[])"
                self._execute(upsert.format(arrays), cols)
            return
        if gone:
            self._executemany("DELETE FROM state WHERE domain = ? AND key = ?", gone)
        if put:
            self._executemany(upsert.format("VALUES (?, ?, ?)"), put)

    def all_state(self) -> dict[tuple[str, str], str]:
        q = select(StateRow.domain, StateRow.key, StateRow.value)
        return {(d, k): v for d, k, v in self.s.exec(q)}


class Store:
    """The board's database: sequenced write transactions, plain read transactions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.backend = self.engine.dialect.name
        if set(TABLES) <= set(sa_inspect(self.engine).get_table_names()):
            return
        # Under the sequencer: processes that start at once on a fresh database would
        # otherwise race to create the tables (PostgreSQL: duplicate pg_type rows;
        # SQLite: two deferred transactions that both upgrade to write, "locked").
        with self.engine.execution_options(pnyx_write=True).begin() as conn:
            if self.backend == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({ADVISORY_LOCK_KEY})")
            SQLModel.metadata.create_all(conn)

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

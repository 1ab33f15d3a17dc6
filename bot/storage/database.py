"""Agora's database: SQLite (embedded, the default) or PostgreSQL, behind one interface.

How a query is written for both backends
========================================

A repository holds ONE text of each query, written in SQLite's SQL with ``?``
placeholders, and runs it through ``db.fetch_all`` / ``db.fetch_one`` or, for writes,
``async with db.transaction() as conn: await conn.execute(...)``. On SQLite the text
goes to aiosqlite untouched. On PostgreSQL ``bot.storage.postgres.to_postgres`` rewrites
it once (the result is cached), mechanically:

=================================  ============================================
written (SQLite)                   run on PostgreSQL
=================================  ============================================
``?`` and ``?1``                   ``$1`` ...
``max(a, b)`` / ``min(a, b)``      ``greatest(a, b)`` / ``least(a, b)`` (the
                                   one-argument aggregates stay)
``x LIKE ?``                       ``x ILIKE ?`` (SQLite's LIKE ignores case)
``instr(text, part)``              ``strpos(text, part)``
``json_group_array``,              ``json_agg``, ``json_build_array``,
``json_array``, ``json(x)``        ``to_json(x)``
``NOT INDEXED``, ``INDEXED BY i``  removed (planner hints)
``/*FOR UPDATE SKIP LOCKED*/``     ``FOR UPDATE SKIP LOCKED``: rows another
                                   process is claiming are passed over; on
                                   SQLite, the only writer, a comment
=================================  ============================================

Write everything else in the SQL both engines share:

* ``INSERT ... ON CONFLICT (cols) DO UPDATE SET col = excluded.col`` or
  ``ON CONFLICT DO NOTHING`` (never ``INSERT OR IGNORE`` / ``OR REPLACE``); in an
  upsert's SET, name the table's own columns with the table name
  (``SET n = discussion_activity.n + excluded.n``): PostgreSQL finds a bare name ambiguous.
* ``INSERT ... RETURNING id`` to learn a new row's id (never ``cursor.lastrowid``);
  ``cursor.rowcount`` works on both for INSERT, UPDATE and DELETE.
* No alias of the select list in WHERE, no ``rowid``, no ``strftime``/``datetime()``:
  times come from Python (``db_time`` or Unix seconds) as parameters.
* ``except IntegrityError`` (this module's) for a refused unique or check constraint:
  PostgreSQL's violations are raised as it too.
* Unix-second columns are ``bigint`` and ISO-time columns ``timestamptz`` on PostgreSQL,
  and each comes back to Python exactly as SQLite gives it (int, ISO text); JSON columns
  are ``jsonb`` there and come back as JSON text. See ``migrations/README.md``.
* Where the engines truly differ, a repository branches on ``db.dialect``; that is the
  exception, two places today: full-text search (FTS5 against a ``tsvector``,
  ``DirectoryRepository.search``) and title lookups (SQLite calls the services' Python
  fold from SQL, PostgreSQL cannot: ``ResourceRepository.use_title_key``).

The storage and service tests run every repository on both backends (``tests/storage``,
``tests/services``, the ``database_url`` fixture), so a query one engine refuses fails
there.

Why a thin layer and not SQLAlchemy
===================================

Counted in the repositories when PostgreSQL was added: ~180 statements, every one with
``?`` placeholders; of them 5 ``INSERT OR IGNORE``, 6 reading ``lastrowid``, 1 function
reading ``total_changes``, 6 two-argument ``max``/``min``, 2 with numbered ``?N``, 1
``LIKE``, 2 planner hints, 1 JSON aggregate, 1 ``strftime``, 3 upserts naming their own
columns bare (ambiguous on PostgreSQL), 1 FTS5 search (2 statements), 1 Python function
called from SQL (2 statements), and ``sqlite3.IntegrityError`` caught in 6 places.
Everything else was already SQL both engines accept. The rewrite above and a few
portable edits cover them; SQLAlchemy Core would wrap every statement in ``text()``, still
need the same branches for FTS5 and the Python fold, and add its execution machinery to
every query.

Measured (``python bench/database.py``: 10k initiatives, 100k memberships, 10k meetings;
medians of 30 rounds, the lowest of several runs on a shared 2-core machine): the same
statements through SQLAlchemy's async engine over aiosqlite instead of aiosqlite took
99.8 ms against 97.5 ms for the directory load (+2%) and 2.35 ms against 1.45 ms for
``/meeting list`` (+62%): far over the 10% allowed. This layer adds nothing on SQLite,
which runs the repositories' text as before: Agora's directory load 151.8 ms before and
153.0 ms after, ``/meeting list`` 2.00 ms and 1.91 ms, title lookups over 500 items
0.91 ms and 0.95 ms (noise on this machine is several percent).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Generator, Iterable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Protocol, cast

import aiosqlite

log = logging.getLogger(__name__)

Dialect = Literal["sqlite", "postgresql"]
DIALECTS: tuple[Dialect, ...] = ("sqlite", "postgresql")

# A refused constraint on either backend (PostgreSQL's violations are raised as this).
IntegrityError = sqlite3.IntegrityError

# NNN_name.sql (SQLite's, and PostgreSQL's unless overridden), NNN_name.postgresql.sql.
_MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)(\.postgresql)?\.sql$")
# The first schema version written with secure_delete on (008_forgotten_members.sql).
SECURE_DELETE_SINCE = 8
_CHECKPOINT_TRIES = 20


class Row(Protocol):
    """A result row: by position or by column name (sqlite3.Row, asyncpg.Record)."""

    def __getitem__(self, key: Any, /) -> Any: ...

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[Any]: ...


class Cursor(Protocol):
    """What an executed statement gives: its rows, and how many rows it changed."""

    @property
    def rowcount(self) -> int: ...

    async def fetchone(self) -> Any: ...

    async def fetchall(self) -> Iterable[Any]: ...


class Statement(Protocol):
    """``conn.execute(...)``: awaited for its cursor, or entered with ``async with``."""

    def __await__(self) -> Generator[Any, None, Cursor]: ...

    async def __aenter__(self) -> Cursor: ...

    async def __aexit__(self, *exc: object) -> Any: ...


class Connection(Protocol):
    """The connection a transaction hands out (aiosqlite's own on SQLite)."""

    def execute(self, sql: str, parameters: Iterable[Any] = ..., /) -> Statement: ...

    def executemany(self, sql: str, parameters: Iterable[Iterable[Any]], /) -> Any: ...


class Database:
    """What the repositories use; ``SqliteDatabase`` or ``PostgresDatabase``.

    Writes that span several statements go through ``transaction()`` so two coroutines
    never interleave inside one transaction.
    """

    dialect: Dialect
    # Goes up when a write transaction starts and when it ends (committed or not): the
    # same number before and after a read means no write of this process overlapped it.
    writes: int = 0

    def transaction(self) -> contextlib.AbstractAsyncContextManager[Connection]:
        raise NotImplementedError

    async def fetch_all(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        raise NotImplementedError

    async def fetch_one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        raise NotImplementedError

    async def checkpoint(self) -> bool:
        """Leave no copy of erased rows in the database's files (see SqliteDatabase)."""
        return True

    async def close(self) -> None:
        raise NotImplementedError


def sqlite_path(target: str | Path) -> str | None:
    """The SQLite file ``target`` names (a path, or ``sqlite:///path``); None for a
    PostgreSQL URL."""
    text = str(target)
    if text.startswith(("postgresql://", "postgres://")):
        return None
    if text.startswith("sqlite:///"):
        return text[len("sqlite:///") :]
    if "://" in text:
        raise ValueError(
            f"unknown database URL {text!r}: use sqlite:///path or postgresql://user@host/db"
        )
    return text


def migration_files(dialect: Dialect = "sqlite") -> list[tuple[int, str, str]]:
    """The migrations for ``dialect`` as (version, name, sql), in order.

    PostgreSQL takes ``NNN_name.postgresql.sql`` where one exists, else ``NNN_name.sql``.
    """
    folder = resources.files("bot.storage").joinpath("migrations")
    shared: dict[int, tuple[str, str]] = {}
    postgres: dict[int, tuple[str, str]] = {}
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if not match:
            continue
        version = int(match.group(1))
        chosen = postgres if match.group(3) else shared
        if version in chosen:
            raise RuntimeError(
                f"two migrations share the number {version:03d}:"
                f" {chosen[version][0]} and {entry.name}"
            )
        chosen[version] = (entry.name, entry.read_text(encoding="utf-8"))
    for version, (name, _) in postgres.items():
        stem = name.removesuffix(".postgresql.sql")
        if shared.get(version, ("",))[0] != f"{stem}.sql":
            raise RuntimeError(f"{name} has no {stem}.sql beside it")
    if dialect == "postgresql":
        shared.update(postgres)
    return [(version, *shared[version]) for version in sorted(shared)]


# --- SQLite -----------------------------------------------------------------


async def connect(path: str | Path) -> aiosqlite.Connection:
    """Open the database in WAL mode with foreign keys on and migrate it."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(str(path))
    conn.row_factory = aiosqlite.Row
    await conn.execute("PRAGMA journal_mode=WAL")
    await conn.execute("PRAGMA foreign_keys=ON")
    # NORMAL is durable across process crashes in WAL mode; only an OS crash
    # can lose the last transactions.
    await conn.execute("PRAGMA synchronous=NORMAL")
    await conn.execute("PRAGMA busy_timeout=5000")
    # Deleted and overwritten content is zeroed, in the table and index pages and in
    # freed (free-list and overflow) pages, so an erased id leaves no copy in the file.
    await conn.execute("PRAGMA secure_delete=ON")
    before = await schema_version(conn)
    await migrate(conn)
    if 0 < before < SECURE_DELETE_SINCE <= await schema_version(conn):
        # Written before secure_delete: freed pages may still hold erased ids. Once.
        log.info("rewriting the database once so no erased data lingers in free space")
        await conn.execute("VACUUM")
        await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return conn


async def schema_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def migrate(conn: aiosqlite.Connection) -> list[str]:
    """Apply every migration newer than the database; return the names applied."""
    current = await schema_version(conn)
    applied: list[str] = []
    for version, name, sql in migration_files("sqlite"):
        if version <= current:
            continue
        log.info("applying migration %s", name)
        # executescript commits first; the script and the version bump are one
        # transaction so a crash mid-migration leaves the old version intact.
        await conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
        applied.append(name)
    return applied


class SqliteDatabase(Database):
    """One aiosqlite connection shared by the repositories.

    aiosqlite runs every statement on one worker thread, so reads need no
    locking; writes that span several statements go through ``transaction()``
    so two coroutines never interleave inside one transaction.
    """

    dialect: Dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> SqliteDatabase:
        return cls(await connect(path))

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
        async with self._write_lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            self.writes += 1
            try:
                yield cast(Connection, self.conn)
            except BaseException:
                await self.conn.rollback()
                raise
            else:
                await self.conn.commit()
            finally:
                self.writes += 1

    async def fetch_all(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        # One turn of the database thread (execute and fetch together), not three
        # (execute, fetch, close): each turn costs the event loop a wake-up.
        return cast(list[Row], list(await self.conn.execute_fetchall(sql, params)))

    async def fetch_one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        async with self.conn.execute(sql, params) as cursor:
            return cast(Row | None, await cursor.fetchone())

    async def checkpoint(self) -> bool:
        """Copy the write-ahead log into the database file and truncate it to zero bytes.

        After an erase, the log still holds the pages as they were before it; this
        leaves them nowhere. False when a reader kept it from completing (the log is
        then truncated by a later checkpoint).
        """
        for _ in range(_CHECKPOINT_TRIES):
            async with self._write_lock:
                row = await self.fetch_one("PRAGMA wal_checkpoint(TRUNCATE)")
            if row is None or (row[0] == 0 and row[1] in (0, -1)):
                return True
            await asyncio.sleep(0)  # let a read in progress on this connection finish
        log.warning("the write-ahead log could not be emptied now; the next checkpoint will")
        return False

    async def close(self) -> None:
        await self.conn.close()

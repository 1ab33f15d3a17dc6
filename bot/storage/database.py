"""The SQLite connection and its numbered migrations.

Everything SQLite-specific (pragmas, FTS5, the migration runner) lives in
``bot/storage`` so another backend can be added without touching services.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Sequence
from importlib import resources
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
# The first schema version written with secure_delete on (008_forgotten_members.sql).
SECURE_DELETE_SINCE = 8
_CHECKPOINT_TRIES = 20


def migration_files() -> list[tuple[int, str, str]]:
    """All migrations shipped with Agora as (version, name, sql), in order."""
    folder = resources.files("bot.storage").joinpath("migrations")
    found: list[tuple[int, str, str]] = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [version for version, _, _ in found]
    if len(versions) != len(set(versions)):
        raise RuntimeError(f"two migrations share a number: {versions}")
    return found


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
    for version, name, sql in migration_files():
        if version <= current:
            continue
        log.info("applying migration %s", name)
        # executescript commits first; the script and the version bump are one
        # transaction so a crash mid-migration leaves the old version intact.
        await conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
        applied.append(name)
    return applied


class Database:
    """One aiosqlite connection shared by the repositories.

    aiosqlite runs every statement on one worker thread, so reads need no
    locking; writes that span several statements go through ``transaction()``
    so two coroutines never interleave inside one transaction.
    """

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        return cls(await connect(path))

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
        async with self._write_lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.rollback()
                raise
            else:
                await self.conn.commit()

    async def fetch_all(self, sql: str, params: Sequence[object] = ()) -> list[aiosqlite.Row]:
        async with self.conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def fetch_one(self, sql: str, params: Sequence[object] = ()) -> aiosqlite.Row | None:
        async with self.conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

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

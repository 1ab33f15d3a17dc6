"""PostgreSQL behind the repositories' SQL (see the top of ``bot/storage/database.py``).

asyncpg, a small pool; each query text is rewritten once by ``to_postgres`` and cached.
ISO-time columns are ``timestamptz`` and come back as the text ``db_time`` writes;
``jsonb`` comes back as JSON text (asyncpg's default), as SQLite gives both.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
from collections.abc import AsyncIterator, Generator, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, cast

import asyncpg

from bot.storage.database import (
    Connection,
    Database,
    Dialect,
    IntegrityError,
    Row,
    migration_files,
)

log = logging.getLogger(__name__)

# Held while migrating, so several processes starting at once migrate once.
_MIGRATION_LOCK = 0x4147_4F52_41  # "AGORA"

_REWRITES = (
    (re.compile(r"\bNOT\s+INDEXED\b", re.IGNORECASE), ""),
    (re.compile(r"\bINDEXED\s+BY\s+\w+", re.IGNORECASE), ""),
    (re.compile(r"\bLIKE\b", re.IGNORECASE), "ILIKE"),
    (re.compile(r"\binstr\(", re.IGNORECASE), "strpos("),
    (re.compile(r"\bjson_group_array\(", re.IGNORECASE), "json_agg("),
    (re.compile(r"\bjson_array\(", re.IGNORECASE), "json_build_array("),
    (re.compile(r"(?<![\w.])json\(", re.IGNORECASE), "to_json("),
    # A row lock SQLite has no need of (one writer): written as a comment there.
    (re.compile(r"/\*\s*(FOR\s+UPDATE\s+SKIP\s+LOCKED)\s*\*/", re.IGNORECASE), r"\1"),
)
_SCALAR = re.compile(r"\b(max|min)\s*\(", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\?(\d*)")
_RETURNS_ROWS = re.compile(r"^\s*(SELECT|WITH|VALUES|EXPLAIN|SHOW)\b|\bRETURNING\b", re.IGNORECASE)
_COUNT = re.compile(r"(\d+)$")


@functools.lru_cache(maxsize=4096)
def to_postgres(sql: str) -> str:
    """The repositories' SQLite text as PostgreSQL runs it (the table in database.py)."""
    parts = re.split(r"('(?:[^']|'')*')", sql)  # odd parts are string literals
    out: list[str] = []
    numbered = plain = 0
    for index, part in enumerate(parts):
        if index % 2:
            out.append(part)
            continue
        for pattern, replacement in _REWRITES:
            part = pattern.sub(replacement, part)
        part = _scalar_extremes(part)

        def placeholder(match: re.Match[str]) -> str:
            nonlocal numbered, plain
            if match.group(1):
                numbered += 1
                return f"${match.group(1)}"
            plain += 1
            return f"${plain}"

        out.append(_PLACEHOLDER.sub(placeholder, part))
    if numbered and plain:
        raise ValueError(f"mixed ? and ?N placeholders: {sql}")
    return "".join(out)


def _scalar_extremes(sql: str) -> str:
    """``max(a, b)`` -> ``greatest(a, b)``; ``max(a)`` (the aggregate) stays."""
    result = sql
    start = 0
    while match := _SCALAR.search(result, start):
        depth, commas, position = 0, 0, match.end()
        while position < len(result):
            char = result[position]
            if char == "(":
                depth += 1
            elif char == ")":
                if depth == 0:
                    break
                depth -= 1
            elif char == "," and depth == 0:
                commas += 1
            position += 1
        if commas:
            name = "greatest" if match.group(1).lower() == "max" else "least"
            result = result[: match.start()] + name + "(" + result[match.end() :]
        start = match.start() + 1
    return result


def _rowcount(status: str) -> int:
    found = _COUNT.search(status)
    return int(found.group(1)) if found else -1


class _Cursor:
    def __init__(self, rows: list[asyncpg.Record], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    async def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    async def fetchall(self) -> Iterable[Any]:
        return list(self._rows)


class _Statement:
    """Awaitable and an async context manager, like aiosqlite's ``execute``."""

    def __init__(self, conn: asyncpg.Connection, sql: str, params: Sequence[Any]) -> None:
        self._conn = conn
        self._sql = sql
        self._params = params

    async def _run(self) -> _Cursor:
        sql = to_postgres(self._sql)
        try:
            if _RETURNS_ROWS.search(sql):
                rows = await self._conn.fetch(sql, *self._params)
                return _Cursor(rows, len(rows))
            status = await self._conn.execute(sql, *self._params)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(str(exc)) from exc
        return _Cursor([], _rowcount(status))

    def __await__(self) -> Generator[Any, None, _Cursor]:
        return self._run().__await__()

    async def __aenter__(self) -> _Cursor:
        return await self._run()

    async def __aexit__(self, *exc: object) -> None:
        return None


class _Connection:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, parameters: Iterable[Any] = (), /) -> _Statement:
        return _Statement(self._conn, sql, list(parameters))

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]], /) -> None:
        rows = [list(row) for row in parameters]
        if not rows:
            return
        try:
            await self._conn.executemany(to_postgres(sql), rows)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(str(exc)) from exc


def _encode_time(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _decode_time(text: str) -> str:
    """PostgreSQL's ``2026-01-31 09:00:00.5+00`` as ``db_time`` writes it."""
    if text.endswith(("+00", "-00")):
        text += ":00"
    return datetime.fromisoformat(text).astimezone(UTC).isoformat()


async def _keep_session(conn: asyncpg.Connection) -> None:
    """What the pool does to a connection given back, instead of asyncpg's default
    ``RESET ALL; CLOSE ALL; UNLISTEN *; pg_advisory_unlock_all()``: nothing on the server.

    That default is one more round trip to the server for every query run through the
    pool: with it, ``/initiative info``'s one read took two. Agora changes no session
    state: no ``SET``, ``LISTEN``, cursors or session advisory locks (the migration lock
    is a transaction's), and the settings it needs are the connection's own from its
    start (``server_settings``). A transaction left open is still rolled back before the
    pool hands the connection out again (asyncpg does that on the client's side).
    """


async def _set_up_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "timestamptz",
        schema="pg_catalog",
        encoder=_encode_time,
        decoder=_decode_time,
        format="text",
    )


class PostgresDatabase(Database):
    """A pool of asyncpg connections.

    Transactions are serialised within the process, as on SQLite, so the repositories'
    read-then-write steps (a cap counted, then an insert) never interleave here.
    """

    dialect: Dialect = "postgresql"

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, url: str, max_connections: int = 8) -> PostgresDatabase:
        pool = await asyncpg.create_pool(
            url,
            min_size=1,
            max_size=max_connections,
            init=_set_up_connection,
            reset=_keep_session,
            server_settings={"TimeZone": "UTC", "DateStyle": "ISO"},
        )
        assert pool is not None
        database = cls(pool)
        try:
            await database.migrate()
        except BaseException:
            await pool.close()
            raise
        return database

    async def schema_version(self) -> int:
        async with self.pool.acquire() as conn:
            return await _schema_version(conn)

    async def migrate(self) -> list[str]:
        """Apply every migration newer than the database, each in its own transaction."""
        applied: list[str] = []
        async with self.pool.acquire() as conn:
            await conn.execute("CREATE TABLE IF NOT EXISTS agora_schema (version integer NOT NULL)")
            for version, name, sql in migration_files("postgresql"):
                async with conn.transaction():
                    await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
                    if version <= await _schema_version(conn):
                        continue
                    log.info("applying migration %s", name)
                    await conn.execute(sql)
                    await conn.execute("DELETE FROM agora_schema")
                    await conn.execute("INSERT INTO agora_schema (version) VALUES ($1)", version)
                applied.append(name)
        return applied

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        async with self._write_lock, self.pool.acquire() as conn:
            self.writes += 1
            try:
                async with conn.transaction():
                    yield cast(Connection, _Connection(conn))
            finally:
                self.writes += 1

    async def fetch_all(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        return cast(list[Row], await self.pool.fetch(to_postgres(sql), *params))

    async def fetch_one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        return cast(Row | None, await self.pool.fetchrow(to_postgres(sql), *params))

    async def close(self) -> None:
        await self.pool.close()


async def _schema_version(conn: asyncpg.Connection) -> int:
    value = await conn.fetchval("SELECT max(version) FROM agora_schema")
    return int(value) if value is not None else 0

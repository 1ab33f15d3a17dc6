"""Copy an SQLite database of Agora's into PostgreSQL, then check the copy
(``run_bot.py migrate-db``).

What is copied
==============

Every table of the SQLite file, found in its schema (``sqlite_master``), not from a list
kept here, with every row and column as stored: ids, history (memberships that ended,
reminders and outcome timers in every state, answers of closed polls), tombstones of
forgotten members and the secret they are hashed with. The PostgreSQL database is first
migrated to the same schema version, so both have the same tables and columns (the
migrations' rule); a table or column on one side only stops the copy before anything is
written.

Left out, because they are derived and rebuilt, never stored facts:

* SQLite's full-text index ``initiatives_fts`` (an FTS5 virtual table) and its shadow
  tables (``initiatives_fts_data``, ``_idx``, ``_docsize``, ``_config``): PostgreSQL
  searches a ``tsvector`` instead;
* PostgreSQL's generated columns (``initiatives.search``, that ``tsvector``): PostgreSQL
  computes them from the copied name and goal as each row arrives;
* SQLite's own tables (``sqlite_sequence``, ``sqlite_stat1``) and PostgreSQL's
  ``agora_schema`` (the schema version, written by the migrations).

How
===

One transaction on the target: (with ``replace``, every table emptied first), the tables'
own triggers switched off so the rows arrive exactly as stored (PostgreSQL's document
numbering trigger would otherwise count them again), each table streamed in parents-first
order through one binary ``COPY`` fed in batches from SQLite, every identity sequence set
past the highest id copied (new rows get fresh ids), the triggers switched back on. A
failure rolls all of it back. Values are converted as the PostgreSQL migrations type them
(``migrations/README.md``): ISO text to ``timestamptz``, JSON text to ``jsonb``, Unix
seconds and flags stay integers (``bigint``, ``smallint``).

Then each table is checked: the row count on both sides, and a SHA-256 over its rows read
through each side's ``Database`` (as the repositories read them), normalised the same way on
both: times as instants in UTC, JSON as its parsed value (``jsonb`` keeps no key order or
spacing), bytes as hex, rows in primary-key order.

The source is opened read-only and never written. Agora must not be running on it during
the copy: what it writes meanwhile would be missing from the target.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import aiosqlite
import asyncpg

from bot.storage.database import Database, SqliteDatabase, migration_files, schema_version
from bot.storage.postgres import PostgresDatabase

BATCH_ROWS = 5000
# PostgreSQL's own tables among Agora's: the schema version the migrations keep.
_TARGET_OWN_TABLES = frozenset({"agora_schema"})

Progress = Callable[[str], None]


class CopyError(Exception):
    """The copy was refused or failed; ``message`` says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class TableCheck:
    """One table after the copy: its rows and checksum on each side."""

    name: str
    source_rows: int
    target_rows: int
    source_checksum: str
    target_checksum: str

    @property
    def matches(self) -> bool:
        return self.source_rows == self.target_rows and self.source_checksum == self.target_checksum


@dataclass(frozen=True)
class CopyReport:
    schema_version: int
    tables: tuple[TableCheck, ...]
    left_out: tuple[str, ...]
    seconds: float  # the whole run: migrate the target, copy, check
    copy_seconds: float  # the copy's transaction alone

    @property
    def matches(self) -> bool:
        return all(table.matches for table in self.tables)

    @property
    def rows(self) -> int:
        return sum(table.source_rows for table in self.tables)


@dataclass(frozen=True)
class Column:
    name: str
    pg_type: str  # information_schema's data_type: "bigint", "timestamp with time zone" ...


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]  # empty: ordered by every column


def redact_url(url: str) -> str:
    """The URL with its password (if any) replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- the source ---------------------------------------------------------------


def _existing_file(path: str) -> str | None:
    file = Path(path)
    return str(file.resolve()) if file.is_file() else None


async def open_source(path: str) -> aiosqlite.Connection:
    """The SQLite file, read-only (``mode=ro``, ``query_only``): nothing is written to it."""
    file = await asyncio.to_thread(_existing_file, path)
    if file is None:
        raise CopyError(f"no SQLite database at {path}: name it with --from sqlite:///path")
    conn = await aiosqlite.connect(f"file:{quote(file)}?mode=ro", uri=True)
    conn.row_factory = aiosqlite.Row
    try:
        await conn.execute("PRAGMA query_only=ON")
        await conn.execute("PRAGMA busy_timeout=5000")
        await conn.execute("SELECT count(*) FROM sqlite_master")
    except Exception as error:
        await conn.close()
        raise CopyError(f"cannot read {path} as an SQLite database: {error}") from error
    return conn


async def source_tables(conn: aiosqlite.Connection) -> tuple[dict[str, list[str]], list[str]]:
    """The source's stored tables (name -> columns in order, and primary key columns) and
    the derived ones left out (virtual tables and their shadow tables)."""
    async with conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name"
    ) as cursor:
        entries = [(str(row[0]), str(row[1] or "")) for row in await cursor.fetchall()]
    virtual = [name for name, sql in entries if sql.upper().startswith("CREATE VIRTUAL TABLE")]
    left_out: list[str] = []
    tables: dict[str, list[str]] = {}
    for name, _ in entries:
        if name.startswith("sqlite_"):
            continue
        if name in virtual or any(name.startswith(f"{owner}_") for owner in virtual):
            left_out.append(name)
            continue
        async with conn.execute(f"PRAGMA table_info({_quoted(name)})") as cursor:
            tables[name] = [str(row["name"]) for row in await cursor.fetchall()]
    return tables, left_out


async def source_primary_key(conn: aiosqlite.Connection, table: str) -> tuple[str, ...]:
    async with conn.execute(f"PRAGMA table_info({_quoted(table)})") as cursor:
        found = [(int(row["pk"]), str(row["name"])) for row in await cursor.fetchall()]
    return tuple(name for order, name in sorted(found) if order > 0)


# --- the target ---------------------------------------------------------------


async def target_columns(conn: asyncpg.Connection) -> tuple[dict[str, list[Column]], list[str]]:
    """The target's tables (name -> stored columns) and its generated columns
    (``table.column``), which PostgreSQL computes itself."""
    rows = await conn.fetch(
        "SELECT c.table_name, c.column_name, c.data_type, c.is_generated"
        "  FROM information_schema.columns c"
        "  JOIN information_schema.tables t"
        "    ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
        " WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'"
        " ORDER BY c.table_name, c.ordinal_position"
    )
    tables: dict[str, list[Column]] = {}
    generated: list[str] = []
    for row in rows:
        name = str(row["table_name"])
        if name in _TARGET_OWN_TABLES:
            continue
        columns = tables.setdefault(name, [])
        if row["is_generated"] == "ALWAYS":
            generated.append(f"{name}.{row['column_name']}")
            continue
        columns.append(Column(str(row["column_name"]), str(row["data_type"])))
    return tables, generated


async def parents_first(conn: asyncpg.Connection, names: Sequence[str]) -> list[str]:
    """``names`` ordered so a table comes after every table its foreign keys name."""
    rows = await conn.fetch(
        "SELECT child.relname AS child, parent.relname AS parent"
        "  FROM pg_constraint con"
        "  JOIN pg_class child ON child.oid = con.conrelid"
        "  JOIN pg_class parent ON parent.oid = con.confrelid"
        "  JOIN pg_namespace ns ON ns.oid = child.relnamespace"
        " WHERE con.contype = 'f' AND ns.nspname = current_schema()"
    )
    parents: dict[str, set[str]] = {name: set() for name in names}
    for row in rows:
        child, parent = str(row["child"]), str(row["parent"])
        if child in parents and parent in parents and child != parent:
            parents[child].add(parent)
    ordered: list[str] = []
    placed: set[str] = set()
    while len(ordered) < len(parents):
        ready = sorted(n for n in parents if n not in placed and parents[n] <= placed)
        if not ready:
            raise CopyError("the target's foreign keys form a cycle; cannot order the copy")
        ordered.extend(ready)
        placed.update(ready)
    return ordered


async def _identity_columns(conn: asyncpg.Connection) -> list[tuple[str, str, str]]:
    rows = await conn.fetch(
        "SELECT table_name, column_name,"
        "       pg_get_serial_sequence(quote_ident(table_name), column_name) AS sequence"
        "  FROM information_schema.columns"
        " WHERE table_schema = current_schema()"
        "   AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')"
    )
    return [
        (str(row["table_name"]), str(row["column_name"]), str(row["sequence"]))
        for row in rows
        if row["sequence"] is not None
    ]


# --- values -------------------------------------------------------------------


def _instant(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def to_target(value: object, pg_type: str) -> object:
    """An SQLite value as the binary COPY takes it for a column of ``pg_type``."""
    if value is None:
        return None
    if pg_type in ("bigint", "integer", "smallint"):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return int(value) if isinstance(value, bool) else value
    if pg_type == "boolean":
        return bool(value)
    if pg_type == "timestamp with time zone" and isinstance(value, str):
        return _instant(value)
    if pg_type in ("jsonb", "json") and not isinstance(value, str):
        return json.dumps(value)
    if pg_type in ("real", "double precision") and isinstance(value, int):
        return float(value)
    return value


# Types both engines give back as the same Python value (int, str): compared as read.
_AS_READ = frozenset({"bigint", "integer", "smallint", "text"})


def normalised(value: object, pg_type: str) -> object:
    """A value as read through either ``Database``, in the one form both are compared in."""
    if value is None:
        return None
    if pg_type == "timestamp with time zone" and isinstance(value, str):
        try:
            return "t:" + _instant(value).isoformat()
        except ValueError:
            return value
    if pg_type in ("jsonb", "json") and isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return "j:" + json.dumps(parsed, sort_keys=True, ensure_ascii=False)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "b:" + bytes(value).hex()
    return value


def _sort_key(value: object) -> tuple[int, str, Any]:
    if value is None:
        return (0, "", 0)
    return (1, type(value).__name__, value)


async def table_checksum(db: Database, table: Table) -> tuple[int, str]:
    """Rows and SHA-256 of ``table`` read through ``db``, normalised (see ``normalised``)."""
    names = [column.name for column in table.columns]
    order = table.primary_key or tuple(names)
    rows = await db.fetch_all(
        f"SELECT {', '.join(map(_quoted, names))} FROM {_quoted(table.name)}"
        f" ORDER BY {', '.join(map(_quoted, order))}"
    )
    types = [column.pg_type for column in table.columns]
    if all(pg_type in _AS_READ for pg_type in types):
        values = [tuple(row) for row in rows]
    else:
        values = [tuple(normalised(v, t) for v, t in zip(row, types, strict=True)) for row in rows]
    positions = [names.index(name) for name in order]
    # Sorted again here: the two engines may collate text keys differently.
    values.sort(key=lambda row: tuple(_sort_key(row[p]) for p in positions))
    digest = hashlib.sha256()
    for row in values:
        digest.update(repr(row).encode())
        digest.update(b"\n")
    return len(values), digest.hexdigest()


# --- the copy -----------------------------------------------------------------


async def _stream(
    source: aiosqlite.Connection, table: Table, batch_rows: int
) -> AsyncIterator[tuple[object, ...]]:
    names = ", ".join(_quoted(column.name) for column in table.columns)
    types = [column.pg_type for column in table.columns]
    async with source.execute(f"SELECT {names} FROM {_quoted(table.name)}") as cursor:
        while batch := await cursor.fetchmany(batch_rows):
            for row in batch:
                yield tuple(to_target(v, t) for v, t in zip(row, types, strict=True))


async def _has_rows(conn: asyncpg.Connection, tables: Sequence[Table]) -> list[str]:
    found = []
    for table in tables:
        if await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {_quoted(table.name)})"):
            found.append(table.name)
    return found


async def copy_sqlite_to_postgres(
    source_path: str,
    target_url: str,
    *,
    replace: bool = False,
    batch_rows: int = BATCH_ROWS,
    progress: Progress | None = None,
) -> CopyReport:
    """Copy the SQLite database at ``source_path`` into ``target_url`` and check it.

    Raises ``CopyError`` when refused (source not at this Agora's schema version, target
    not empty without ``replace``, schemas differing) or when the copy fails (nothing is
    left half-copied: one transaction). A report whose ``matches`` is False means the
    copy was committed but does not read back the same; the target keeps it for a look,
    to be emptied by a run with ``replace``.
    """
    say = progress or (lambda _line: None)
    started = time.perf_counter()
    if not target_url.startswith(("postgresql://", "postgres://")):
        raise CopyError(
            "--to must be a PostgreSQL URL (postgresql://user@host/db),"
            f" not {redact_url(target_url)!r}"
        )
    latest = migration_files("postgresql")[-1][0]
    source = await open_source(source_path)
    try:
        version = await schema_version(source)
        if version == 0:
            raise CopyError(f"{source_path} holds no Agora database (no schema version)")
        if version < latest:
            raise CopyError(
                f"{source_path} is at schema version {version}, this Agora at {latest}:"
                " migrate it first (start this version of Agora on it once, then stop it)"
                " and run migrate-db again"
            )
        if version > latest:
            raise CopyError(
                f"{source_path} is at schema version {version}, newer than this Agora"
                f" ({latest}): run migrate-db from the Agora version that wrote it"
            )
        stored, left_out = await source_tables(source)
        target_db = await _open_target(target_url)
        try:
            checks, derived, copy_seconds = await _copy(
                source, stored, left_out, target_db, target_url, replace, batch_rows, say
            )
        finally:
            await target_db.close()
    finally:
        await source.close()
    return CopyReport(version, checks, derived, time.perf_counter() - started, copy_seconds)


async def _open_target(url: str) -> PostgresDatabase:
    try:
        return await PostgresDatabase.open(url, max_connections=2)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        raise CopyError(f"cannot open {redact_url(url)}: {error}") from error


async def _copy(
    source: aiosqlite.Connection,
    stored: dict[str, list[str]],
    left_out: list[str],
    target_db: PostgresDatabase,
    target_url: str,
    replace: bool,
    batch_rows: int,
    say: Progress,
) -> tuple[tuple[TableCheck, ...], tuple[str, ...], float]:
    latest = migration_files("postgresql")[-1][0]
    target_version = await target_db.schema_version()
    if target_version != latest:
        raise CopyError(
            f"{redact_url(target_url)} is at schema version {target_version}, this Agora at"
            f" {latest}: run migrate-db from the Agora version that migrated it"
        )
    conn = await asyncpg.connect(target_url, server_settings={"TimeZone": "UTC"})
    try:
        columns, generated = await target_columns(conn)
        only_source = sorted(set(stored) - set(columns))
        only_target = sorted(set(columns) - set(stored))
        if only_source or only_target:
            raise CopyError(
                "the two schemas differ (tables only in SQLite:"
                f" {', '.join(only_source) or 'none'}; only in PostgreSQL:"
                f" {', '.join(only_target) or 'none'})"
            )
        tables: dict[str, Table] = {}
        for name, source_names in stored.items():
            by_name = {column.name: column for column in columns[name]}
            generated_here = {g.split(".", 1)[1] for g in generated if g.startswith(f"{name}.")}
            wanted = [n for n in source_names if n not in generated_here]
            if set(wanted) != set(by_name):
                raise CopyError(
                    f"the two schemas differ in {name}: SQLite has {', '.join(sorted(wanted))};"
                    f" PostgreSQL {', '.join(sorted(by_name))}"
                )
            tables[name] = Table(
                name,
                tuple(by_name[n] for n in wanted),
                await source_primary_key(source, name),
            )
        order = [tables[name] for name in await parents_first(conn, list(tables))]
        holding = await _has_rows(conn, order)
        if holding and not replace:
            shown = ", ".join(holding[:5]) + (" ..." if len(holding) > 5 else "")
            raise CopyError(
                f"{redact_url(target_url)} already holds data ({shown}): point --to at an"
                " empty database, or add --replace to empty it first"
            )
        try:
            copy_started = time.perf_counter()
            await _copy_rows(conn, source, order, replace, batch_rows, say)
            copy_seconds = time.perf_counter() - copy_started
        except (asyncpg.PostgresError, ValueError, TypeError, OverflowError) as error:
            raise CopyError(f"the copy failed and was rolled back: {error}") from error
    finally:
        await conn.close()
    say("checking: row counts and checksums, table by table")
    checks = []
    reader = SqliteDatabase(source)
    for table in order:
        source_rows, source_sum = await table_checksum(reader, table)
        target_rows, target_sum = await table_checksum(target_db, table)
        checks.append(TableCheck(table.name, source_rows, target_rows, source_sum, target_sum))
    return tuple(sorted(checks, key=lambda c: c.name)), (*left_out, *generated), copy_seconds


async def _copy_rows(
    conn: asyncpg.Connection,
    source: aiosqlite.Connection,
    order: Sequence[Table],
    replace: bool,
    batch_rows: int,
    say: Progress,
) -> None:
    names = [_quoted(table.name) for table in order]
    async with conn.transaction():
        if replace:
            await conn.execute(f"TRUNCATE {', '.join(names)} RESTART IDENTITY")
        for name in names:
            await conn.execute(f"ALTER TABLE {name} DISABLE TRIGGER USER")
        say(f"copying {len(order)} tables in one transaction")
        for table in order:
            status = await conn.copy_records_to_table(
                table.name,
                records=_stream(source, table, batch_rows),
                columns=[column.name for column in table.columns],
            )
            copied = int(status.split()[-1])
            if copied:
                say(f"copied {table.name}: {copied:,} row{'' if copied == 1 else 's'}")
        for name in names:
            await conn.execute(f"ALTER TABLE {name} ENABLE TRIGGER USER")
        for table_name, column, sequence in await _identity_columns(conn):
            await conn.execute(
                f"SELECT setval($1, coalesce((SELECT max({_quoted(column)})"
                f" FROM {_quoted(table_name)}), 0) + 1, false)",
                sequence,
            )

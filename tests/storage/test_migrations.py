"""Every migration applies on both backends and leaves the same tables and columns."""

from __future__ import annotations

from pathlib import Path

from bot.storage.database import Database, migration_files
from bot.storage.postgres import PostgresDatabase
from bot.storage.store import open_database
from tests.support.postgres import PostgresServer

# Columns only one engine has, by design: PostgreSQL keeps the search vector in the table
# (SQLite's is the FTS5 table initiatives_fts and its shadow tables).
_ONLY_POSTGRES = {("initiatives", "search"), ("agora_schema", "version")}


async def _sqlite_columns(db: Database) -> set[tuple[str, str]]:
    tables = await db.fetch_all(
        "SELECT name FROM sqlite_master WHERE type = 'table'"
        " AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'initiatives_fts%'"
    )
    found: set[tuple[str, str]] = set()
    for (table,) in tables:
        for row in await db.fetch_all(f'PRAGMA table_info("{table}")'):
            found.add((table, row[1]))
    return found


async def _postgres_columns(db: Database) -> set[tuple[str, str]]:
    rows = await db.fetch_all(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = 'public'"
    )
    return {(row[0], row[1]) for row in rows} - _ONLY_POSTGRES


async def test_both_backends_reach_the_same_tables_and_columns(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    sqlite = await open_database(tmp_path / "agora.db")
    postgres = await open_database(await postgres_server.new_database(migrated=False))
    try:
        assert isinstance(postgres, PostgresDatabase)
        assert await postgres.schema_version() == migration_files("postgresql")[-1][0]
        assert await postgres.migrate() == []  # nothing left: a restart applies nothing
        assert await _postgres_columns(postgres) == await _sqlite_columns(sqlite)
    finally:
        await sqlite.close()
        await postgres.close()


def test_each_number_has_one_text_per_backend() -> None:
    sqlite = migration_files("sqlite")
    postgres = migration_files("postgresql")
    assert [version for version, _, _ in sqlite] == [version for version, _, _ in postgres]
    for (_, shared, _), (_, chosen, _) in zip(sqlite, postgres, strict=True):
        assert chosen in (shared, shared.removesuffix(".sql") + ".postgresql.sql")

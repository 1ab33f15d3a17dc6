"""Migrations: an old database upgrades, one migration at a time, and keeps its data.

Generic over every file in ``bot/storage/migrations``: a new migration is
covered without touching this test.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from bot.storage.database import connect, migrate, migration_files, schema_version

GUILD = 111

# Directory data written with 001's schema, before any later migration exists.
CORE_ROWS = [
    "INSERT INTO clusters (id, guild_id, slug, name, created_at, updated_at)"
    " VALUES (1, 111, 'citizen-focus', 'Citizen Focus', '2017-06-20T09:00:00+00:00',"
    " '2017-06-20T09:00:00+00:00')",
    "INSERT INTO initiatives (id, guild_id, slug, name, goal, cluster_id, channel_id,"
    " source_members, created_at, updated_at) VALUES (5, 111, 'humble-lamppost',"
    " 'Humble Lamppost', '10 Million Smart Lampposts across EU Cities', 1, 5001, 18,"
    " '2017-06-20T09:00:00+00:00', '2017-06-20T09:00:00+00:00')",
    "INSERT INTO memberships (guild_id, initiative_id, user_id, role, joined_at, join_reason,"
    " left_at, left_reason) VALUES (111, 5, 42, 'member', '2017-06-20T09:00:00+00:00', 'joined',"
    " '2017-07-01T09:00:00+00:00', 'left')",
    "INSERT INTO memberships (guild_id, initiative_id, user_id, role, joined_at, join_reason)"
    " VALUES (111, 5, 43, 'lead', '2017-06-20T09:00:00+00:00', 'appointed')",
    "INSERT INTO resources (guild_id, initiative_id, kind, title, url, added_by, added_at,"
    " updated_at) VALUES (111, 5, 'document', 'Spec', 'https://e.org/spec', 43,"
    " '2017-06-21T09:00:00+00:00', '2017-06-21T09:00:00+00:00')",
    "INSERT INTO guild_settings (guild_id, timezone, updated_at)"
    " VALUES (111, 'Europe/Brussels', '2017-06-20T09:00:00+00:00')",
    "INSERT INTO dm_opt_outs (guild_id, user_id, kind, created_at)"
    " VALUES (111, 42, 'digest', '2017-06-20T09:00:00+00:00')",
]


def apply_one(conn: sqlite3.Connection, version: int, sql: str) -> None:
    """Exactly what ``migrate`` does for one file."""
    conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")


def table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND name NOT LIKE '%_fts%'"
        )
    ]
    return {
        table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables
    }


def core_snapshot(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    queries = [
        "SELECT id, guild_id, slug, name, category_channel_id FROM clusters ORDER BY id",
        "SELECT id, slug, name, goal, cluster_id, channel_id, source_members FROM initiatives",
        "SELECT initiative_id, user_id, role, joined_at, left_at, left_reason FROM memberships"
        " ORDER BY id",
        "SELECT initiative_id, kind, title, url, added_by FROM resources",
        "SELECT guild_id, timezone FROM guild_settings",
        "SELECT guild_id, user_id, kind FROM dm_opt_outs",
    ]
    return [tuple(row) for query in queries for row in conn.execute(query)]


def test_migration_files_are_numbered_from_one_without_gaps() -> None:
    versions = [version for version, _, _ in migration_files()]
    assert versions == list(range(1, len(versions) + 1))


def test_an_old_database_upgrades_one_migration_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    files = migration_files()
    assert files[0][0] == 1, "the core migration comes first"
    apply_one(conn, files[0][0], files[0][2])
    conn.executescript("BEGIN;\n" + ";\n".join(CORE_ROWS) + ";\nCOMMIT;")
    expected = core_snapshot(conn)
    counts = table_counts(conn)

    for version, name, sql in files[1:]:
        apply_one(conn, version, sql)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == version
        assert core_snapshot(conn) == expected, f"{name} changed the directory data"
        now = table_counts(conn)
        for table, count in counts.items():
            assert now.get(table, 0) >= count, f"{name} lost rows of {table}"
        counts = now
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    # The search index still covers the rows written before the upgrades.
    hits = conn.execute(
        "SELECT rowid FROM initiatives_fts WHERE initiatives_fts MATCH 'lampp*'"
    ).fetchall()
    assert hits == [(5,)]
    conn.close()


async def test_connect_upgrades_a_version_zero_database_and_keeps_its_state(
    tmp_path: Path,
) -> None:
    path = tmp_path / "legacy.db"
    with sqlite3.connect(path) as legacy:
        # Something a user left in the file before Agora managed it.
        legacy.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        legacy.execute("INSERT INTO notes (text) VALUES ('kept')")
    legacy.close()

    conn = await connect(path)
    try:
        latest = migration_files()[-1][0]
        assert await schema_version(conn) == latest
        async with conn.execute("SELECT text FROM notes") as cursor:
            assert [tuple(row) for row in await cursor.fetchall()] == [("kept",)]
        assert await migrate(conn) == []  # nothing left to apply
    finally:
        await conn.close()


async def test_connect_upgrades_a_version_one_database_with_data(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    first = migration_files()[0]
    with sqlite3.connect(path, isolation_level=None) as old:
        apply_one(old, first[0], first[2])
        old.executescript("BEGIN;\n" + ";\n".join(CORE_ROWS) + ";\nCOMMIT;")
        expected = core_snapshot(old)
    old.close()

    conn = await connect(path)
    await conn.close()
    with sqlite3.connect(path) as upgraded:
        assert upgraded.execute("PRAGMA user_version").fetchone()[0] == migration_files()[-1][0]
        assert core_snapshot(upgraded) == expected
    upgraded.close()


async def test_a_database_newer_than_the_code_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    conn = await connect(path)
    latest = await schema_version(conn)
    await conn.execute(f"PRAGMA user_version = {latest + 5}")
    assert await migrate(conn) == []
    assert await schema_version(conn) == latest + 5
    await conn.close()


@pytest.mark.parametrize("statement", CORE_ROWS[:1])
async def test_unique_slugs_per_guild(tmp_path: Path, statement: str) -> None:
    conn = await connect(tmp_path / "u.db")
    try:
        await conn.execute(statement)
        with pytest.raises(aiosqlite.IntegrityError):
            await conn.execute(statement.replace("VALUES (1,", "VALUES (2,"))
        # Another guild may use the same slug.
        await conn.execute(statement.replace("VALUES (1, 111,", "VALUES (3, 222,"))
    finally:
        await conn.close()

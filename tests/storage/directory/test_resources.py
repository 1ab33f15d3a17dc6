"""Numbers of documents and projects on a real SQLite file: per initiative and kind, from 1,
never reused, given atomically, and filled in for items stored before numbering existed."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.storage.database import IntegrityError, migration_files
from bot.storage.directory.models import ClusterDraft, InitiativeDraft, ResourceKind
from bot.storage.store import Store

GUILD = 111
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
STAMP = "'2026-03-01T09:00:00+00:00'"
NUMBERING = next(version for version, name, _ in migration_files() if "resource_numbers" in name)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = await Store.open(database_url)
    await store.directory.create_cluster(GUILD, ClusterDraft("c", "Cluster"), NOW)
    yield store
    await store.close()


async def initiative(store: Store, slug: str) -> int:
    draft = InitiativeDraft(slug=slug, name=slug.title(), cluster_slug="c", goal="")
    return (await store.directory.create_initiative(GUILD, draft, NOW)).id


async def add(store: Store, initiative_id: int, kind: ResourceKind, n: int) -> int:
    added = await store.resources.add(
        GUILD, initiative_id, kind, f"{kind} {n}", f"https://e.org/{kind}/{n}", 42, NOW
    )
    return added.number


async def test_numbers_start_at_one_per_initiative_and_kind(store: Store) -> None:
    lamp, data = await initiative(store, "lamp"), await initiative(store, "data")
    assert [await add(store, lamp, "document", n) for n in range(3)] == [1, 2, 3]
    # The first project of an initiative is #1, documents or not.
    assert await add(store, lamp, "project", 0) == 1
    # Another initiative counts on its own.
    assert await add(store, data, "project", 0) == 1
    assert await add(store, data, "document", 0) == 1
    assert await add(store, lamp, "project", 1) == 2


async def test_a_removed_number_is_never_given_again(store: Store) -> None:
    lamp = await initiative(store, "lamp")
    ids = {}
    for n in range(3):
        added = await store.resources.add(
            GUILD, lamp, "document", f"Doc {n}", f"https://e.org/{n}", 42, NOW
        )
        ids[added.number] = added.id
    await store.resources.remove(GUILD, ids[3])  # the newest: the highest number goes
    await store.resources.remove(GUILD, ids[2])
    assert await add(store, lamp, "document", 9) == 4
    assert await store.resources.get_numbered(GUILD, lamp, "document", 2) is None
    first = await store.resources.get_numbered(GUILD, lamp, "document", 1)
    assert first is not None and first.title == "Doc 0"


async def test_the_high_water_mark_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "agora.db"
    store = await Store.open(path)
    await store.directory.create_cluster(GUILD, ClusterDraft("c", "Cluster"), NOW)
    lamp = await initiative(store, "lamp")
    await add(store, lamp, "project", 1)
    newest = await store.resources.add(GUILD, lamp, "project", "P", "https://e.org/p", 42, NOW)
    await store.resources.remove(GUILD, newest.id)
    await store.close()
    reopened = await Store.open(path)
    try:
        assert await add(reopened, lamp, "project", 3) == 3
    finally:
        await reopened.close()


async def test_adds_at_once_get_distinct_numbers(store: Store) -> None:
    lamp = await initiative(store, "lamp")
    numbers = await asyncio.gather(*(add(store, lamp, "document", n) for n in range(20)))
    assert sorted(numbers) == list(range(1, 21))


async def test_a_number_is_unique_per_initiative_and_kind(store: Store) -> None:
    lamp = await initiative(store, "lamp")
    await add(store, lamp, "document", 1)
    with pytest.raises(IntegrityError):
        async with store.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO resources (guild_id, initiative_id, kind, number, title, url,"
                f" added_at, updated_at) VALUES ({GUILD}, {lamp}, 'document', 1, 't',"
                f" 'https://e.org/other', {STAMP}, {STAMP})"
            )


async def test_any_insert_is_numbered_and_a_given_number_raises_the_mark(store: Store) -> None:
    lamp = await initiative(store, "lamp")
    await add(store, lamp, "document", 1)
    # Rows written by plain SQL (a bulk load, a script) are numbered the same way.
    async with store.db.transaction() as conn:
        await conn.execute(
            "INSERT INTO resources (guild_id, initiative_id, kind, title, url, added_at,"
            f" updated_at) VALUES ({GUILD}, {lamp}, 'document', 't', 'https://e.org/raw',"
            f" {STAMP}, {STAMP})"
        )
    raw = await store.resources.get_numbered(GUILD, lamp, "document", 2)
    assert raw is not None and raw.url == "https://e.org/raw"
    async with store.db.transaction() as conn:
        await conn.execute(
            "INSERT INTO resources (guild_id, initiative_id, kind, number, title, url,"
            f" added_at, updated_at) VALUES ({GUILD}, {lamp}, 'document', 10, 't',"
            f" 'https://e.org/10', {STAMP}, {STAMP})"
        )
    assert await add(store, lamp, "document", 3) == 11


def test_the_migration_numbers_stored_items_in_the_order_they_were_added(
    tmp_path: Path,
) -> None:
    conn = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    files = migration_files()
    for version, _, sql in files:
        if version >= NUMBERING:
            break
        conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
    stamp = "'2017-06-20T09:00:00+00:00'"
    conn.execute(
        f"INSERT INTO clusters (id, guild_id, slug, name, created_at, updated_at)"
        f" VALUES (1, {GUILD}, 'c', 'C', {stamp}, {stamp})"
    )
    for initiative_id in (5, 6):
        conn.execute(
            "INSERT INTO initiatives (id, guild_id, slug, name, goal, cluster_id, created_at,"
            f" updated_at) VALUES ({initiative_id}, {GUILD}, 'i{initiative_id}',"
            f" 'I{initiative_id}', '', 1, {stamp}, {stamp})"
        )
    # One id sequence across initiatives and kinds, as before numbering; #4 was removed.
    rows = [(5, "document"), (5, "project"), (6, "project"), (5, "document"), (5, "project")]
    for row_id, (initiative_id, kind) in enumerate(rows, start=1):
        conn.execute(
            "INSERT INTO resources (id, guild_id, initiative_id, kind, title, url, added_at,"
            f" updated_at) VALUES ({row_id}, {GUILD}, {initiative_id}, '{kind}', 't{row_id}',"
            f" 'https://e.org/{row_id}', {stamp}, {stamp})"
        )
    conn.execute("DELETE FROM resources WHERE id = 4")
    for version, _, sql in files:
        if version >= NUMBERING:
            conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
    numbered = conn.execute(
        "SELECT id, initiative_id, kind, number FROM resources ORDER BY id"
    ).fetchall()
    assert numbered == [
        (1, 5, "document", 1),
        (2, 5, "project", 1),
        (3, 6, "project", 1),
        (5, 5, "project", 2),
    ]
    marks = conn.execute(
        "SELECT initiative_id, kind, last_number FROM resource_numbers ORDER BY 1, 2"
    ).fetchall()
    assert marks == [(5, "document", 1), (5, "project", 2), (6, "project", 1)]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()

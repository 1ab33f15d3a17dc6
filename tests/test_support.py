"""The shared test support (tests/support/) does what the tests rely on it for."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.storage.store import Store
from tests.support.directory import GUILD as CORE_GUILD
from tests.support.directory import OTHER_GUILD as CORE_OTHER_GUILD
from tests.support.directory import open_core
from tests.support.discussions import GUILD, OTHER_GUILD, PERSON_COLUMN, rows_naming_user
from tests.support.meetings import Clock, open_area


async def test_open_core_seeds_the_bundled_directory(tmp_path: Path) -> None:
    async with open_core(tmp_path / "core.db") as core:
        await core.seed()
        assert len(await core.directory.all_clusters(CORE_GUILD)) == 6
        assert len(await core.directory.all_initiatives(CORE_GUILD)) == 9
        assert await core.directory.all_initiatives(CORE_OTHER_GUILD) == []


async def test_scan_finds_user_in_person_columns_only_for_the_guild(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "scan.db")
    try:
        await store.db.conn.execute(
            "CREATE TABLE probe (guild_id INTEGER, author_id INTEGER, note TEXT, size INTEGER)"
        )
        await store.db.conn.executemany(
            "INSERT INTO probe VALUES (?, ?, ?, ?)",
            [(GUILD, 42, "x", 1), (OTHER_GUILD, 42, "y", 2), (GUILD, 7, "mentions 42", 42)],
        )
        named = await rows_naming_user(store.db, GUILD, 42)
        assert [(table, column, row["note"]) for table, column, row in named] == [
            ("probe", "author_id", "x")
        ]
        everywhere = await rows_naming_user(store.db, GUILD, 42, every_column=True)
        assert sorted((column, row["note"]) for _, column, row in everywhere) == [
            ("author_id", "x"),
            ("note", "mentions 42"),
            ("size", "mentions 42"),
        ]
    finally:
        await store.close()


def test_person_column_names() -> None:
    for name in ("user_id", "author_id", "owner_id", "organiser_id", "added_by", "lead_id"):
        assert PERSON_COLUMN.search(name), name
    for name in ("thread_id", "guild_id", "initiative_id", "message_count", "role_id"):
        assert not PERSON_COLUMN.search(name), name


async def test_support_clock_and_store_work(tmp_path: Path) -> None:
    clock = Clock()
    before = clock()
    assert clock.advance(hours=1) - before == timedelta(hours=1)
    area = await open_area(tmp_path / "a.db", clock)
    try:
        assert await area.store.reminders.next_fire_at() is None
    finally:
        await area.store.close()

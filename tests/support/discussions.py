"""Shared setup for the discussions tests, and the "no row names the user" scan
(``rows_naming_user``, which other areas use for their privacy tests too).

Tested in tests/test_support.py.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.services.discussions.activity import ActivityService
from bot.services.discussions.service import DiscussionService
from bot.storage.database import Database
from bot.storage.directory.models import ClusterDraft, InitiativeDraft
from bot.storage.store import Store

GUILD = 1000
OTHER_GUILD = 2000

# Columns that hold a person's id by naming convention.
PERSON_COLUMN = re.compile(
    r"(^|_)(user|author|owner|member|lead|organiser|organizer|creator|actor|added_by|"
    r"created_by|updated_by|invited_by|requested_by)(_id)?$"
)


async def rows_naming_user(
    db: Database, guild_id: int, user_id: int, every_column: bool = False
) -> list[tuple[str, str, dict[str, object]]]:
    """(table, column, row) for every row of ``guild_id`` whose person column is ``user_id``.

    Every table of the database is scanned, so a new table cannot be forgotten.
    With ``every_column`` any column equal to the id counts (and text containing it),
    which catches ids kept under unconventional names or inside JSON.
    """
    if db.dialect == "postgresql":
        listed = await db.fetch_all(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
    else:
        listed = await db.fetch_all(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'"
        )
    tables = [row[0] for row in listed]
    found: list[tuple[str, str, dict[str, object]]] = []
    for table in tables:
        if table.startswith("initiatives_fts"):  # FTS shadow tables hold text only
            continue
        columns = await _columns(db, table)
        watched = [c for c in columns if every_column or PERSON_COLUMN.search(c)]
        if not watched:
            continue
        where = " WHERE guild_id = ?" if "guild_id" in columns else ""
        params = (guild_id,) if where else ()
        for row in await db.fetch_all(f'SELECT * FROM "{table}"{where}', params):
            values = dict(zip(columns, tuple(row), strict=True))
            for column in watched:
                value = values[column]
                if value == user_id or (
                    every_column and isinstance(value, str) and str(user_id) in value
                ):
                    found.append((table, column, values))
    return found


async def _columns(db: Database, table: str) -> list[str]:
    if db.dialect == "postgresql":
        rows = await db.fetch_all(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name = ? ORDER BY ordinal_position",
            (table,),
        )
        return [row[0] for row in rows]
    return [row[1] for row in await db.fetch_all(f'PRAGMA table_info("{table}")')]


class Clock:
    """A settable clock for services that take ``clock``."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class DirectoryChannels:
    """ChannelLookup over the real directory (what the core service answers)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def initiative_for_channel(self, guild_id: int, channel_id: int) -> int | None:
        for initiative in await self.store.directory.list_initiatives(guild_id):
            if initiative.channel_id == channel_id:
                return initiative.id
        return None


@dataclass
class World:
    """A database with the EIP-SCC clusters and initiatives, and the services."""

    store: Store
    clock: Clock
    activity: ActivityService
    discussions: DiscussionService
    clusters: dict[str, int] = field(default_factory=dict)
    initiatives: dict[str, int] = field(default_factory=dict)
    channels: dict[str, int] = field(default_factory=dict)


START = datetime(2017, 6, 20, 9, 0, tzinfo=UTC)

_INITIATIVES = {
    # slug: (name, cluster slug, channel id)
    "humble-lamppost": ("Humble Lamppost", "integrated", 501),
    "urban-data-platform": ("Urban Data Platform", "integrated", 502),
    "small-giants": ("Small Giants", "integrated", 503),
    "citizen-data": ("Citizen Centric Approach to Data", "citizen-focus", 504),
}


async def make_world(database: str | Path, flush_interval_seconds: float = 3600.0) -> World:
    """The discussions area over ``database`` (a ``database_url``), with its initiatives."""
    store = await Store.open(database)
    clock = Clock(START)
    activity = ActivityService(store.activity, store.discussions, flush_interval_seconds, clock)
    discussions = DiscussionService(store.discussions, activity, DirectoryChannels(store), clock)
    world = World(store, clock, activity, discussions)
    for slug, name in (
        ("integrated", "Integrated Infrastructures and Processes"),
        ("citizen-focus", "Citizen Focus"),
    ):
        cluster = await store.directory.create_cluster(GUILD, ClusterDraft(slug, name), START)
        world.clusters[slug] = cluster.id
    for slug, (name, cluster_slug, channel_id) in _INITIATIVES.items():
        created = START - timedelta(days=60)
        initiative = await store.directory.create_initiative(
            GUILD, InitiativeDraft(slug, name, cluster_slug), created
        )
        await store.directory.set_channel(GUILD, initiative.id, channel_id, created)
        world.initiatives[slug] = initiative.id
        world.channels[slug] = channel_id
    await activity.start()
    await discussions.start()
    return world


async def world_fixture(database_url: str) -> AsyncIterator[World]:
    """A fresh world on each backend, closed after the test:
    ``world = pytest.fixture(world_fixture)``."""
    world = await make_world(database_url)
    yield world
    await world.activity.close()
    await world.store.close()

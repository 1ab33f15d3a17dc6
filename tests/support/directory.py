"""Shared setup for the directory services' tests (directory, memberships, resources,
import): a real SQLite store, a settable clock, the services built as the bot builds them.
Tested in tests/test_support.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.services.common.permissions import Actor
from bot.services.directory.cache import DirectoryCache
from bot.services.directory.importer import DirectoryImporter, bundled_seed
from bot.services.directory.memberships import MembershipService
from bot.services.directory.resources import ResourceService
from bot.services.directory.service import DirectoryService
from bot.storage.store import Store

GUILD = 111
OTHER_GUILD = 222
ADMIN = Actor(user_id=1, is_admin=True)
ORGANISER = Actor(user_id=2, is_organiser=True)


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 3, 1, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class FixedDiscussionCounts:
    """Stands in for the discussions service's in-memory counts (another area)."""

    counts: dict[int, dict[int, int]] = field(default_factory=dict)

    def count_for_initiative(self, guild_id: int, initiative_id: int) -> int:
        return self.counts.get(guild_id, {}).get(initiative_id, 0)

    def count_by_initiative(self, guild_id: int) -> dict[int, int]:
        return dict(self.counts.get(guild_id, {}))


@dataclass
class Core:
    store: Store
    cache: DirectoryCache
    clock: Clock
    directory: DirectoryService
    memberships: MembershipService
    resources: ResourceService
    importer: DirectoryImporter
    discussions: FixedDiscussionCounts

    async def seed(self, guild_id: int = GUILD) -> None:
        await self.importer.import_directory(guild_id, bundled_seed(), "eip-scc.toml")

    async def restart(self) -> Core:
        """Fresh services and cache over the same database, as after a restart."""
        return build(self.store, self.clock, self.discussions)


def build(store: Store, clock: Clock, discussions: FixedDiscussionCounts) -> Core:
    cache = DirectoryCache(store)
    return Core(
        store=store,
        cache=cache,
        clock=clock,
        directory=DirectoryService(store, cache, discussions, clock),
        memberships=MembershipService(store, cache, clock),
        resources=ResourceService(store, cache, clock),
        importer=DirectoryImporter(store, cache, clock),
        discussions=discussions,
    )


@contextlib.asynccontextmanager
async def open_core(database: str | Path) -> AsyncIterator[Core]:
    """The directory's services over ``database`` (a ``database_url``)."""
    store = await Store.open(database)
    try:
        yield build(store, Clock(), FixedDiscussionCounts())
    finally:
        await store.close()

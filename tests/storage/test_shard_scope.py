"""A process running some shards warms and catches up only the guilds of its shards: the
scoped start-up reads on SQLite and PostgreSQL, and ``Services.start`` with a scope."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.config import Config
from bot.launch import seed_path
from bot.storage.discussions.models import NewThread
from bot.storage.fleet import EVERYTHING, ShardScope, shard_of
from bot.storage.store import Store
from bot.wiring import build_services

# Ids as Discord makes them (a timestamp in the high bits): the shard is (id >> 22) % count.
ON_0 = (300_000_000_000 << 22) | 17  # shard 0 of 2
ON_1 = (300_000_000_001 << 22) | 17  # shard 1 of 2
ALSO_ON_0 = (300_000_000_002 << 22) | 3
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SHARD_0, SHARD_1 = ShardScope(2, (0,)), ShardScope(2, (1,))


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """Three guilds with the seed directory, an organiser role and a discussion each."""
    store = await Store.open(database_url)
    services = build_services(store=store, config=Config())
    await services.start()
    for number, guild_id in enumerate((ON_0, ON_1, ALSO_ON_0)):
        assert await services.importer.import_seed_if_empty(guild_id, seed_path()) is not None
        await store.guilds.set_organiser_role(guild_id, 900 + number, NOW)
        initiative = (await store.directory.list_initiatives(guild_id))[0]
        thread = NewThread(700 + number, 500, initiative.id, "Kick-off", 11, 1_770_000_000)
        await store.discussions.add(guild_id, thread)
    await services.close()
    yield store
    await store.close()


def test_the_guilds_are_where_discord_puts_them() -> None:
    assert [shard_of(guild, 2) for guild in (ON_0, ON_1, ALSO_ON_0)] == [0, 1, 0]


async def test_the_start_up_reads_only_the_scope_s_guilds(store: Store) -> None:
    assert await store.directory.guild_ids(SHARD_0) == [ON_0, ALSO_ON_0]
    assert await store.directory.guild_ids(SHARD_1) == [ON_1]
    assert await store.directory.guild_ids(EVERYTHING) == [ON_0, ON_1, ALSO_ON_0]
    assert await store.directory.guild_ids(ShardScope(2, (1, 0))) == [ON_0, ON_1, ALSO_ON_0]
    assert await store.guilds.organiser_role_ids(SHARD_1) == {ON_1: 901}
    assert await store.guilds.organiser_role_ids(SHARD_0) == {ON_0: 900, ALSO_ON_0: 902}
    assert sorted(await store.discussions.tracked_threads(SHARD_0)) == [
        (ON_0, 700),
        (ALSO_ON_0, 702),
    ]
    assert {guild for guild, _ in await store.discussions.counts_by_initiative(SHARD_1)} == {ON_1}
    # Three shards: each guild on its own.
    for shard, guild in enumerate((ON_0, ON_1, ALSO_ON_0)):
        assert shard_of(guild, 3) == shard
        assert await store.directory.guild_ids(ShardScope(3, (shard,))) == [guild]


async def test_services_started_for_a_shard_warm_only_its_guilds(store: Store) -> None:
    services = build_services(store=store, config=Config(), scope=SHARD_1)
    assert services.scope == SHARD_1
    await services.start()
    try:
        assert services.cache.loaded(ON_1)
        assert not services.cache.loaded(ON_0) and not services.cache.loaded(ALSO_ON_0)
        assert services.organisers.role_id(ON_1) == 901
        assert services.organisers.role_id(ON_0) is None
        assert services.activity.is_tracked(ON_1, 701)
        assert not services.activity.is_tracked(ON_0, 700)
        # A guild of another shard is still loaded when asked for (a lookup on demand).
        directory = await services.cache.get(ON_0)
        assert directory.initiatives and services.cache.loaded(ON_0)
    finally:
        await services.close()

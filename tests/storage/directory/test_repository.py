"""The rows the in-memory directory is loaded from: memberships as tuples, initiatives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.storage.directory.models import ClusterDraft, InitiativeDraft, SourceCounts
from bot.storage.directory.repository import DirectoryChanges
from bot.storage.store import Store

GUILD = 111
OTHER = 222
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = await Store.open(database_url)
    for guild_id in (GUILD, OTHER):
        await store.directory.create_cluster(guild_id, ClusterDraft("c", "Cluster"), NOW)
    yield store
    await store.close()


def draft(slug: str, name: str, **kwargs: Any) -> InitiativeDraft:
    return InitiativeDraft(slug=slug, name=name, cluster_slug="c", **kwargs)


async def test_memberships_by_user_are_the_current_ones_with_a_user(store: Store) -> None:
    lamp = await store.directory.create_initiative(GUILD, draft("lamp", "Lamp"), NOW)
    pole = await store.directory.create_initiative(GUILD, draft("pole", "Pole"), NOW)
    elsewhere = await store.directory.create_initiative(OTHER, draft("lamp", "Lamp"), NOW)
    await store.memberships.start(GUILD, lamp.id, 1, "member", "joined", NOW)
    await store.memberships.start(GUILD, lamp.id, 2, "lead", "appointed", NOW)
    await store.memberships.start(GUILD, pole.id, 2, "member", "joined", NOW)
    await store.memberships.start(GUILD, pole.id, 3, "member", "joined", NOW)
    await store.memberships.end(GUILD, 3, None, "left", NOW)  # history only
    await store.memberships.start(GUILD, pole.id, 4, "member", "joined", NOW)
    await store.memberships.forget_user(GUILD, 4, NOW)  # no user any more
    await store.memberships.start(OTHER, elsewhere.id, 1, "lead", "appointed", NOW)

    users = await store.memberships.current_by_user(GUILD)

    assert [(user, sorted(ids), leads) for user, ids, leads in users] == [
        (1, [lamp.id], []),
        (2, sorted([lamp.id, pole.id]), [lamp.id]),
    ]
    current = await store.memberships.current_for_guild(GUILD)
    assert sorted((i, u) for u, ids, _ in users for i in ids) == sorted(
        (m.initiative_id, m.user_id) for m in current if m.user_id is not None
    )


async def test_memberships_by_user_of_a_guild_without_any(store: Store) -> None:
    assert await store.memberships.current_by_user(GUILD) == []


async def test_memberships_by_user_keep_large_ids_exact(store: Store) -> None:
    lamp = await store.directory.create_initiative(GUILD, draft("lamp", "Lamp"), NOW)
    user = 2**62 + 12345  # a snowflake-sized id must survive the JSON round trip
    await store.memberships.start(GUILD, lamp.id, user, "lead", "appointed", NOW)
    assert await store.memberships.current_by_user(GUILD) == [(user, [lamp.id], [lamp.id])]


async def test_listed_initiatives_have_every_column_in_place(store: Store) -> None:
    counts = SourceCounts(members=18, documents=2, projects=None, discussions=5)
    changes = DirectoryChanges(
        new_initiatives=[
            draft("lamp", "Humble Lamppost", goal="Poles", source_counts=counts, source_note="n"),
            draft("giants", "Small Giants", title_missing=True, goal_truncated=True),
            draft("data", "Urban Data", source_counts=counts),
        ]
    )
    await store.directory.apply(GUILD, changes, NOW)
    later = NOW + timedelta(hours=1)
    await store.directory.update_initiative(
        GUILD, draft("data", "Urban Data", source_counts=counts), later
    )
    lamp, giants, data = await store.directory.list_initiatives(GUILD)

    assert (lamp.slug, lamp.name, lamp.goal, lamp.source_note) == (
        "lamp",
        "Humble Lamppost",
        "Poles",
        "n",
    )
    assert lamp.guild_id == GUILD and lamp.cluster_id == giants.cluster_id
    assert (lamp.title_missing, lamp.goal_truncated) == (False, False)
    assert (giants.title_missing, giants.goal_truncated) == (True, True)
    assert lamp.source_counts == counts and giants.source_counts == SourceCounts()
    assert (lamp.created_at, lamp.updated_at, data.updated_at) == (NOW, NOW, later)
    assert (lamp.channel_id, lamp.role_id) == (None, None)
    for initiative in (lamp, giants, data):
        assert initiative == await store.directory.get_initiative(GUILD, initiative.id)
    # Equal values are shared between the rows of one listing.
    assert lamp.source_counts is data.source_counts
    assert lamp.created_at is giants.created_at


async def test_listed_initiatives_carry_their_channel_and_role(store: Store) -> None:
    lamp = await store.directory.create_initiative(GUILD, draft("lamp", "Lamp"), NOW)
    await store.directory.set_channel(GUILD, lamp.id, 5, NOW)
    await store.directory.set_role(GUILD, lamp.id, 6, NOW)
    (listed,) = await store.directory.list_initiatives(GUILD)
    assert (listed.channel_id, listed.role_id) == (5, 6)

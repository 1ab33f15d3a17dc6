"""The challenges and pitches repositories on both backends: the same answers from
SQLite and PostgreSQL (ids, newest first, title search with % and _, the cap, authors
forgotten, upserted pitches)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import NotFound
from bot.storage.challenges.repository import ChallengeLimitReached, ChallengeRepository
from bot.storage.directory.models import ClusterDraft, InitiativeDraft
from bot.storage.directory.pitches import PitchRepository
from bot.storage.store import Store

GUILD = 111
OTHER_GUILD = 222
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
DORA = 345_678_901_234_567_890  # snowflake-sized: bigint on PostgreSQL


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = await Store.open(database_url)
    await store.directory.create_cluster(GUILD, ClusterDraft("c", "Cluster"), NOW)
    yield store
    await store.close()


async def initiative(store: Store, slug: str) -> int:
    draft = InitiativeDraft(slug=slug, name=slug.title(), cluster_slug="c", goal="")
    return (await store.directory.create_initiative(GUILD, draft, NOW)).id


async def test_challenges_add_list_search_remove_and_forget(store: Store) -> None:
    challenges = ChallengeRepository(store.db)
    lamp, data = await initiative(store, "lamp"), await initiative(store, "data")
    first = await challenges.add(GUILD, lamp, "Dark poles", "No power at night.", DORA, NOW)
    second = await challenges.add(
        GUILD, data, "100% open_data", "Who pays?", 7, NOW + timedelta(minutes=1)
    )
    assert first.id != second.id and first.added_by == DORA and first.added_at == NOW

    items, total = await challenges.list_page(GUILD, None, 10, 0)
    assert total == 2 and [c.id for c in items] == [second.id, first.id]
    only_lamp, total = await challenges.list_page(GUILD, [lamp], 10, 0)
    assert total == 1 and only_lamp == [first]
    assert await challenges.list_page(GUILD, [], 10, 0) == ([], 0)
    assert await challenges.list_page(OTHER_GUILD, None, 10, 0) == ([], 0)

    # % and _ typed are themselves, not wildcards; case does not matter.
    assert [c.id for c in await challenges.search_titles(GUILD, "0% OPEN_", 5)] == [second.id]
    assert await challenges.search_titles(GUILD, "_", 5) == [second]
    assert [c.id for c in await challenges.search_titles(GUILD, "", 5)] == [second.id, first.id]
    assert await challenges.find_titled(GUILD, "DARK POLES") == first

    with pytest.raises(ChallengeLimitReached):
        await challenges.add(GUILD, lamp, "One more", "Too many.", DORA, NOW, cap=1)

    assert await challenges.describe_user(GUILD, DORA) == [(first, "Lamp")]
    assert await challenges.forget_author(GUILD, DORA) == 1
    kept = await challenges.get(GUILD, first.id)
    assert kept.added_by is None and kept.title == "Dark poles"
    assert await challenges.describe_user(GUILD, DORA) == []

    await challenges.remove(GUILD, second.id)
    with pytest.raises(NotFound):
        await challenges.get(GUILD, second.id)


async def test_pitches_are_one_per_initiative_and_forget_their_author(store: Store) -> None:
    pitches = PitchRepository(store.db)
    lamp, data = await initiative(store, "lamp"), await initiative(store, "data")
    assert await pitches.get(GUILD, lamp) is None
    await pitches.set(GUILD, lamp, "Light.", "", DORA, NOW)
    later = NOW + timedelta(days=1)
    replaced = await pitches.set(GUILD, lamp, "Light and data.", "https://s.example", 7, later)
    assert (replaced.text, replaced.url, replaced.set_by, replaced.set_at) == (
        "Light and data.",
        "https://s.example",
        7,
        later,
    )
    await pitches.set(GUILD, data, "Data.", "", DORA, NOW)
    assert set(await pitches.of_initiatives(GUILD, None)) == {lamp, data}
    assert set(await pitches.of_initiatives(GUILD, [data])) == {data}
    assert await pitches.of_initiatives(GUILD, []) == {}
    assert [name for _, name in await pitches.describe_user(GUILD, DORA)] == ["Data"]
    assert await pitches.forget_author(GUILD, DORA) == 1
    forgotten = await pitches.get(GUILD, data)
    assert forgotten is not None and forgotten.set_by is None and forgotten.text == "Data."

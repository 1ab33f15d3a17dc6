"""The discussion and activity repositories on their own: edge cases of the SQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.services.discussions.activity import ActivityService
from bot.storage.discussions.models import ActivityBatch, DiscussionState, NewThread, to_epoch
from bot.storage.discussions.repository import hour_of
from bot.storage.store import Store

GUILD, OTHER_GUILD = 1000, 2000
T0 = to_epoch(datetime(2017, 6, 20, 9, 0, tzinfo=UTC))


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = await Store.open(database_url)
    yield store
    await store.close()


def thread(thread_id: int, initiative_id: int = 1, author: int | None = 11) -> NewThread:
    return NewThread(thread_id, 500, initiative_id, f"Thread {thread_id}", author, T0)


async def test_a_batch_for_unknown_threads_is_dropped_not_failed(store: Store) -> None:
    await store.discussions.add(GUILD, thread(1))
    await store.activity.apply_batch(
        ActivityBatch(
            threads=[(2, T0 + 60, GUILD, 1), (5, T0 + 60, GUILD, 999)],
            participants=[(GUILD, 1, 12, 2, T0, T0 + 60), (GUILD, 999, 12, 5, T0, T0 + 60)],
            hours=[(GUILD, 1, hour_of(T0), 2), (GUILD, 999, hour_of(T0), 5)],
        )
    )
    known = await store.discussions.get(GUILD, 1)
    assert known is not None and (known.message_count, known.participant_count) == (2, 2)
    assert await store.discussions.get(GUILD, 999) is None
    rows = await store.db.fetch_all("SELECT thread_id FROM discussion_activity")
    assert [row[0] for row in rows] == [1]


async def test_archive_time_is_kept_while_archived_and_cleared_on_unarchive(store: Store) -> None:
    await store.discussions.add(GUILD, thread(1))
    first = await store.discussions.update_state(GUILD, 1, "Thread 1", True, False, T0 + 10)
    again = await store.discussions.update_state(GUILD, 1, "Renamed", True, True, T0 + 20)
    assert first is not None and again is not None
    assert first.archived_at == again.archived_at == datetime.fromtimestamp(T0 + 10, UTC)
    reopened = await store.discussions.update_state(GUILD, 1, "Renamed", False, True, T0 + 30)
    assert reopened is not None and reopened.archived_at is None
    assert await store.discussions.update_state(GUILD, 404, "x", True, False, T0) is None


async def test_guilds_are_kept_apart(store: Store) -> None:
    await store.discussions.add(GUILD, thread(1))
    await store.discussions.add(OTHER_GUILD, thread(2))
    assert await store.discussions.count(GUILD, None, DiscussionState.ALL) == 1
    assert await store.discussions.get(OTHER_GUILD, 1) is None
    assert await store.discussions.counts_by_initiative() == {(GUILD, 1): 1, (OTHER_GUILD, 1): 1}
    assert await store.discussions.forget_user(OTHER_GUILD, 11) == 2  # participant + author
    kept = await store.discussions.get(GUILD, 1)
    assert kept is not None and kept.author_id == 11


async def test_top_between_bounds_uses_whole_hours(store: Store) -> None:
    await store.discussions.add(GUILD, thread(1))
    await store.activity.apply_batch(
        ActivityBatch(
            threads=[(5, T0 + 7200, GUILD, 1)],
            participants=[(GUILD, 1, 12, 5, T0, T0 + 7200)],
            hours=[(GUILD, 1, T0, 2), (GUILD, 1, T0 + 3600, 3)],
        )
    )
    ranked = await store.discussions.top(GUILD, None, T0 + 3600, T0 + 7200, 10, 0)
    assert [(r.discussion.thread_id, r.messages_in_period) for r in ranked] == [(1, 3)]
    everything = await store.discussions.top(GUILD, None, None, None, 10, 0)
    assert [r.messages_in_period for r in everything] == [5]


async def test_old_hour_buckets_are_pruned_but_totals_stay(store: Store) -> None:
    now = datetime(2017, 6, 20, 9, 0, tzinfo=UTC)
    await store.discussions.add(GUILD, thread(1))
    old, recent = to_epoch(now - timedelta(days=40)), to_epoch(now - timedelta(days=2))
    await store.activity.apply_batch(
        ActivityBatch(
            threads=[(7, recent, GUILD, 1)],
            participants=[(GUILD, 1, 12, 7, old, recent)],
            hours=[(GUILD, 1, hour_of(old), 4), (GUILD, 1, hour_of(recent), 3)],
        )
    )
    activity = ActivityService(store.activity, store.discussions, 3600, lambda: now)
    assert await activity.prune() == 1
    month = await store.discussions.top(GUILD, None, to_epoch(now - timedelta(days=30)), None, 5, 0)
    assert [r.messages_in_period for r in month] == [3]
    total = await store.discussions.get(GUILD, 1)
    assert total is not None and total.message_count == 7

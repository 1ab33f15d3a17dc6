"""Message counting through the batcher: flush on close, periodic flush, crash loss."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.services.discussions.activity import ActivityAccumulator
from bot.services.privacy.service import discussion_lines
from bot.storage.store import Store
from tests.support.discussions import GUILD, World, make_world

ALICE, BOB, CAROL = 11, 12, 13
THREAD = 9001
REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    world = await make_world(database_url)
    await world.discussions.thread_created(
        GUILD, THREAD, world.channels["humble-lamppost"], "Pole standards", ALICE, world.clock.now
    )
    yield world
    await world.activity.close()
    await world.store.close()


async def test_messages_are_counted_and_written_on_close(world: World) -> None:
    start = world.clock.now
    for minute, author in enumerate([ALICE, BOB, BOB, CAROL, BOB]):
        assert world.activity.record_message(
            GUILD, THREAD, author, start + timedelta(minutes=minute)
        )
    # Nothing is written until a flush.
    before = await world.store.discussions.get(GUILD, THREAD)
    assert before is not None and before.message_count == 0
    assert world.activity.pending_messages == 5

    await world.activity.close()

    after = await world.store.discussions.get(GUILD, THREAD)
    assert after is not None
    assert after.message_count == 5
    assert after.participant_count == 3
    assert after.last_activity_at == start + timedelta(minutes=4)
    assert world.activity.pending_messages == 0
    lines = discussion_lines(await world.store.discussions.describe_user(GUILD, BOB))
    assert any("3 messages counted" in line for line in lines)


async def test_untracked_threads_and_forum_opening_posts_are_not_counted(world: World) -> None:
    now = world.clock.now
    assert not world.activity.record_message(GUILD, 424242, ALICE, now)  # not a discussion
    # A forum post's opening message has the thread's id; Discord does not count it either.
    assert not world.activity.record_message(GUILD, THREAD, ALICE, now, message_id=THREAD)
    assert world.activity.record_message(GUILD, THREAD, ALICE, now, message_id=THREAD + 1)
    result = await world.activity.flush()
    assert (result.messages, result.threads, result.participants) == (1, 1, 1)


async def test_messages_after_a_deletion_are_dropped(world: World) -> None:
    now = world.clock.now
    world.activity.record_message(GUILD, THREAD, BOB, now)
    await world.discussions.thread_deleted(GUILD, THREAD)
    assert not world.activity.record_message(GUILD, THREAD, BOB, now)
    await world.activity.flush()  # the pending message still lands on the (deleted) row
    row = await world.store.discussions.get(GUILD, THREAD)
    assert row is not None and row.message_count == 1


async def test_the_flush_task_writes_every_interval(database_url: str) -> None:
    world = await make_world(database_url, flush_interval_seconds=0.05)
    try:
        await world.discussions.thread_created(
            GUILD, THREAD, world.channels["small-giants"], "50 cities", ALICE, world.clock.now
        )
        for _ in range(3):
            world.activity.record_message(GUILD, THREAD, BOB, world.clock.now)
        await asyncio.wait_for(world.activity.wait_for_flush(), 5)
        row = await world.store.discussions.get(GUILD, THREAD)
        assert row is not None and row.message_count == 3
        assert world.activity.flushes >= 1
    finally:
        await world.activity.close()
        await world.store.close()


def test_accumulator_groups_by_thread_participant_and_hour() -> None:
    pending = ActivityAccumulator()
    base = 1_497_949_200  # 2017-06-20 09:00 UTC, an hour boundary
    pending.add(GUILD, 1, ALICE, base + 10)
    pending.add(GUILD, 1, ALICE, base + 5)
    pending.add(GUILD, 1, BOB, base + 3600)
    pending.add(GUILD, 2, BOB, base + 20)
    batch = pending.drain()
    assert sorted(batch.threads) == [(1, base + 20, GUILD, 2), (3, base + 3600, GUILD, 1)]
    assert sorted(batch.participants) == [
        (GUILD, 1, ALICE, 2, base + 5, base + 10),
        (GUILD, 1, BOB, 1, base + 3600, base + 3600),
        (GUILD, 2, BOB, 1, base + 20, base + 20),
    ]
    assert sorted(batch.hours) == [
        (GUILD, 1, base, 2),
        (GUILD, 1, base + 3600, 1),
        (GUILD, 2, base, 1),
    ]
    assert pending.drain().is_empty()

    pending.restore(batch)  # a failed write is retried with nothing lost
    assert sorted(pending.drain().threads) == sorted(batch.threads)


_CRASHING_CHILD = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from datetime import datetime, UTC
    from bot.services.discussions.activity import ActivityService
    from bot.storage.store import Store

    async def main(path):
        store = await Store.open(path)
        activity = ActivityService(store.activity, store.discussions, 0.05)
        await activity.start()
        now = datetime(2017, 6, 20, 10, 0, tzinfo=UTC)
        for _ in range(100):
            activity.record_message(1000, 9001, 11, now)
        await activity.wait_for_flush()
        for _ in range(7):  # never flushed: no await between these and the kill
            activity.record_message(1000, 9001, 12, now)
        os.kill(os.getpid(), signal.SIGKILL)

    asyncio.run(main(sys.argv[1]))
    """
)


async def test_a_crash_loses_only_what_was_not_yet_flushed(world: World, database_url: str) -> None:
    db_path = database_url
    # The child process opens the same database and dies without closing.
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _CRASHING_CHILD,
        str(db_path),
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stderr=subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(child.communicate(), 30)
    assert child.returncode == -9, stderr.decode()

    reopened = await Store.open(db_path)
    try:
        row = await reopened.discussions.get(GUILD, THREAD)
        assert row is not None
        assert row.message_count == 100  # the flushed batch, not the last 7
        assert discussion_lines(await reopened.discussions.describe_user(GUILD, 12)) == []
    finally:
        await reopened.close()

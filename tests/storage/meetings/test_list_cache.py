"""``/meeting list`` answers are kept between writes: a kept answer is never stale.

A random walk of writes and clock moves over a real SQLite file compares every kept
answer with a fresh read of the same database; and a repeated list is served without SQL.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.storage.meetings.list_cache import MeetingListCache
from bot.storage.meetings.models import Location, RecurrenceRule, Scope
from bot.storage.meetings.repository import MeetingFields, MeetingRepository, SessionFields
from bot.storage.store import Store

GUILD, OTHER = 1000, 2000
ACTIONS = (
    *("insert", "insert", "update", "cancel", "session", "unsession", "shift"),
    *("exception", "forget", "other_guild", "tick", "tick", "tick", "day"),
)
START = datetime(2017, 6, 1, 8, tzinfo=UTC)
FILTERS: list[dict[str, object]] = [
    {},
    {"upcoming": False, "include_cancelled": True},
    {"cluster_id": 1},
    {"cluster_id": 2, "upcoming": False, "include_cancelled": True},
    {"initiative_id": 7},
    {"initiative_id": 8, "include_cancelled": True},
]


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(database_url)
    yield opened
    await opened.close()


def _fields(rng: random.Random, now: datetime) -> MeetingFields:
    start = now + timedelta(minutes=rng.randint(-600, 600))
    recurrence = None
    if rng.random() < 0.2:
        first = start.date()
        recurrence = RecurrenceRule(
            frequency="weekly",
            interval=1,
            weekday=first.weekday(),
            nth=None,
            local_time=time(10, 0),
            first_date=first,
            until=first + timedelta(days=rng.randint(0, 2)),
            duration_seconds=3600,
            timezone="UTC",
        )
    return MeetingFields(
        title=f"Meeting {rng.randint(1, 999)}",
        description="",
        starts_at=start,
        ends_at=start + timedelta(minutes=rng.choice([1, 30, 120])),
        timezone="UTC",
        location=Location(kind="venue", name="Hotel Metropole"),
        organiser_id=rng.choice([42, 43, None]),
        scope=Scope(
            cluster_ids=tuple(sorted(rng.sample([1, 2, 3], rng.randint(0, 2)))),
            initiative_ids=tuple(sorted(rng.sample([7, 8], rng.randint(0, 1)))),
        ),
        recurrence=recurrence,
    )


async def _assert_fresh(store: Store, now: datetime) -> None:
    fresh = MeetingRepository(store.meetings.db)  # its own empty cache: reads SQL
    for options in FILTERS:
        for limit, offset in ((8, 0), (3, 3)):
            kept = await store.meetings.list_meetings(
                GUILD, now, limit=limit, offset=offset, **options
            )
            read = await fresh.list_meetings(GUILD, now, limit=limit, offset=offset, **options)
            assert kept == read, (now, options, limit, offset)
        assert await store.meetings.count_meetings(GUILD, now, **options) == (
            await fresh.count_meetings(GUILD, now, **options)
        ), (now, options)


@pytest.mark.parametrize("seed", range(4))
async def test_kept_lists_always_match_a_fresh_read(store: Store, seed: int) -> None:
    rng = random.Random(seed)
    meetings = store.meetings
    now = START
    ids: list[int] = []
    sessions: list[tuple[int, int]] = []
    for _ in range(120):
        action = rng.choice(ACTIONS)
        if action == "insert" or not ids:
            ids.append(await meetings.insert(GUILD, _fields(rng, now), now))
        elif action == "update":
            await meetings.update(GUILD, rng.choice(ids), _fields(rng, now), now)
        elif action == "cancel":
            await meetings.set_status(GUILD, rng.choice(ids), "cancelled", now)
        elif action == "session":
            meeting_id = rng.choice(ids)
            session = SessionFields(
                now,
                now + timedelta(hours=1),
                "Workshop",
                "cluster_workshop",
                cluster_id=rng.choice([1, 2, None]),
                initiative_id=rng.choice([7, None]),
            )
            sessions.append((meeting_id, await meetings.add_session(GUILD, meeting_id, session)))
        elif action == "unsession" and sessions:
            meeting_id, session_id = sessions.pop(rng.randrange(len(sessions)))
            await meetings.remove_session(GUILD, meeting_id, session_id)
        elif action == "shift":
            await meetings.shift_sessions(GUILD, rng.choice(ids), rng.choice([-3600, 3600]))
        elif action == "exception":
            await meetings.set_exception(GUILD, rng.choice(ids), now, "cancelled")
        elif action == "forget":
            await meetings.forget_user(GUILD, 42)
        elif action == "other_guild":
            await meetings.insert(OTHER, _fields(rng, now), now)
        elif action == "tick":
            now += timedelta(seconds=rng.choice([1, 59, 600, 3600]))
        elif action == "day":
            now += timedelta(days=1)
        await _assert_fresh(store, now)


async def test_a_repeated_list_reads_no_sql_until_a_write(tmp_path: Path) -> None:
    # SQLite's statement trace sees every read; the cache is the same on both backends.
    store = await Store.open(tmp_path / "agora.db")
    await store.meetings.insert(GUILD, _fields(random.Random(1), START), START)
    statements: list[str] = []
    await store.meetings.db.conn.set_trace_callback(statements.append)
    first = await store.meetings.list_meetings(GUILD, START, cluster_id=1)
    assert statements, "the first list reads the database"
    statements.clear()
    assert await store.meetings.list_meetings(GUILD, START, cluster_id=1) == first
    assert statements == []
    await store.meetings.set_status(GUILD, 1, "cancelled", START)
    statements.clear()
    await store.meetings.list_meetings(GUILD, START, cluster_id=1)
    assert any("SELECT" in statement for statement in statements)
    await store.meetings.db.conn.set_trace_callback(None)
    await store.close()


async def test_a_meeting_leaves_upcoming_one_second_after_it_ends(store: Store) -> None:
    fields = replace(_fields(random.Random(2), START), recurrence=None)
    meeting_id = await store.meetings.insert(GUILD, fields, START)
    ends = fields.ends_at
    assert [m.id for m in await store.meetings.list_meetings(GUILD, ends)] == [meeting_id]
    after = ends + timedelta(seconds=1)
    assert await store.meetings.list_meetings(GUILD, after) == []
    assert [m.id for m in await store.meetings.list_meetings(GUILD, after, upcoming=False)] == [
        meeting_id
    ]


def test_an_answer_read_while_a_write_ran_is_not_kept() -> None:
    cache = MeetingListCache()
    today = date(2017, 6, 1)
    generation = cache.generation(GUILD)
    with cache.writing(GUILD):
        pass  # a write that started and ended while the answer was read
    cache.put(GUILD, "k", 1, read_at_generation=generation, holds_through=None, today=today)
    assert cache.get(GUILD, "k", 0, today) is None
    cache.put(
        GUILD, "k", 2, read_at_generation=cache.generation(GUILD), holds_through=10, today=today
    )
    assert cache.get(GUILD, "k", 10, today) == 2
    assert cache.get(GUILD, "k", 11, today) is None
    assert cache.get(GUILD, "k", 5, today + timedelta(days=1)) is None
    assert cache.get(OTHER, "k", 5, today) is None

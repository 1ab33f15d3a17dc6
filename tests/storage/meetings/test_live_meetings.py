"""The per-guild and per-scope reads behind the sweeps (scheduled events at start and
hourly, ``/remind offsets``, the daily series refresh), on SQLite and PostgreSQL: one
guild's live meetings, never another guild's; a scope's series, never another shard's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.storage.fleet import EVERYTHING, ShardScope
from bot.storage.meetings.models import Location, RecurrenceRule, Scope
from bot.storage.meetings.repository import MeetingFields
from bot.storage.store import Store

# Ids as Discord makes them: the shard is (id >> 22) % shard_count.
GUILD = (300_000_000_000 << 22) | 17  # shard 0 of 2
OTHER = (300_000_000_001 << 22) | 17  # shard 1 of 2
NOW = datetime(2017, 6, 1, 8, tzinfo=UTC)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(database_url)
    yield opened
    await opened.close()


def _fields(title: str, start: datetime) -> MeetingFields:
    return MeetingFields(
        title=title,
        description="",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        timezone="Europe/Brussels",
        location=Location(kind="venue", name="Hotel Metropole"),
        organiser_id=42,
        scope=Scope(),
    )


def _series(title: str, start: datetime, until: date | None) -> MeetingFields:
    rule = RecurrenceRule(
        frequency="weekly",
        interval=1,
        weekday=start.weekday(),
        local_time=time(10, 0),
        duration_seconds=7200,
        timezone="Europe/Brussels",
        first_date=start.date(),
        until=until,
    )
    return replace(_fields(title, start), recurrence=rule)


async def _meetings(store: Store, guild_id: int) -> dict[str, int]:
    """A guild's meetings, by what makes them live or not."""
    ids = {
        "upcoming": await store.meetings.insert(
            guild_id, _fields("Upcoming", NOW + timedelta(days=2)), NOW
        ),
        "under way": await store.meetings.insert(
            guild_id, _fields("Under way", NOW - timedelta(hours=1)), NOW
        ),
        "over": await store.meetings.insert(
            guild_id, _fields("Over", NOW - timedelta(days=3)), NOW
        ),
        "cancelled": await store.meetings.insert(
            guild_id, _fields("Cancelled", NOW + timedelta(days=4)), NOW
        ),
        # A series whose first occurrence is past but whose last date is not.
        "series": await store.meetings.insert(
            guild_id, _series("Weekly", NOW - timedelta(days=20), date(2017, 7, 1)), NOW
        ),
        "endless series": await store.meetings.insert(
            guild_id, _series("Endless", NOW - timedelta(days=60), None), NOW
        ),
        "finished series": await store.meetings.insert(
            guild_id, _series("Finished", NOW - timedelta(days=60), date(2017, 5, 1)), NOW
        ),
        "cancelled series": await store.meetings.insert(
            guild_id, _series("Cancelled weekly", NOW - timedelta(days=6), None), NOW
        ),
    }
    await store.meetings.set_status(guild_id, ids["cancelled"], "cancelled", NOW)
    await store.meetings.set_status(guild_id, ids["cancelled series"], "cancelled", NOW)
    return ids


async def test_live_meetings_are_the_guild_s_own(store: Store) -> None:
    mine = await _meetings(store, GUILD)
    theirs = await _meetings(store, OTHER)
    live = ("upcoming", "under way", "series", "endless series")
    assert await store.meetings.live_meeting_ids(GUILD, NOW) == sorted(mine[k] for k in live)
    assert await store.meetings.live_meeting_ids(OTHER, NOW) == sorted(theirs[k] for k in live)
    assert await store.meetings.live_meeting_ids(12345, NOW) == []
    # The last day of a series is still live; the day after, it is over.
    on_last_day = datetime(2017, 7, 1, 20, tzinfo=UTC)
    assert mine["series"] in await store.meetings.live_meeting_ids(GUILD, on_last_day)
    after = await store.meetings.live_meeting_ids(GUILD, on_last_day + timedelta(days=1))
    assert after == [mine["endless series"]]


async def test_recurring_meetings_of_a_scope(store: Store) -> None:
    mine = await _meetings(store, GUILD)
    theirs = await _meetings(store, OTHER)
    series = ("series", "endless series", "finished series")
    assert await store.meetings.recurring_meeting_ids(ShardScope(2, (0,))) == [
        (GUILD, mine[k]) for k in series
    ]
    assert await store.meetings.recurring_meeting_ids(ShardScope(2, (1,))) == [
        (OTHER, theirs[k]) for k in series
    ]
    everything = await store.meetings.recurring_meeting_ids(EVERYTHING)
    assert everything == [(GUILD, mine[k]) for k in series] + [(OTHER, theirs[k]) for k in series]

"""The sweeps that run for each guild or for a process's shards, on SQLite and PostgreSQL:
the scheduled-event sweep plans one guild's meetings (other guilds' are never read),
``/remind offsets`` re-plans that guild's, and the daily series refresh extends only the
series of the shards the process runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import Config
from bot.services.meetings.reminders import ReminderService
from bot.services.meetings.service import MeetingDraft, RepeatSpec
from bot.storage.fleet import ShardScope, shard_of
from bot.wiring import build_services
from tests.support.meetings import ORGANISER, Area, Clock, open_area

# Ids as Discord makes them: the shard is (id >> 22) % shard_count.
ON_0 = (300_000_000_000 << 22) | 17  # shard 0 of 2
ON_1 = (300_000_000_001 << 22) | 17  # shard 1 of 2
OFFSETS = (86400, 3600, 0)
FIRST = datetime(2017, 6, 5, 7, 0, tzinfo=UTC)  # 09:00 Brussels
SECOND = FIRST + timedelta(days=7)


@pytest.fixture
async def area(database_url: str) -> AsyncIterator[Area]:
    area = await open_area(database_url, Clock())  # 2017-06-01 08:00 UTC
    try:
        yield area
    finally:
        await area.store.close()


async def _create(area: Area, guild_id: int, title: str, weekly: bool = False) -> int:
    draft = MeetingDraft(
        title=title,
        start="2017-06-05 09:00",
        end="2h",
        repeat=RepeatSpec("weekly") if weekly else None,
    )
    return (await area.meetings.create(guild_id, ORGANISER, draft)).view.meeting.id


async def _both_guilds(area: Area) -> dict[int, set[int]]:
    """A one-off and a weekly series in each guild, and a one-off that is over."""
    made: dict[int, set[int]] = {}
    for guild_id in (ON_0, ON_1):
        made[guild_id] = {
            await _create(area, guild_id, "Lamppost review"),
            await _create(area, guild_id, "Weekly sync", weekly=True),
        }
        over = MeetingDraft(title="Kick-off", start="2017-05-20 09:00", end="2h", confirm_past=True)
        await area.meetings.create(guild_id, ORGANISER, over)
    return made


async def test_the_event_sweep_plans_only_the_guild_s_meetings(area: Area) -> None:
    made = await _both_guilds(area)
    for guild_id in (ON_0, ON_1):
        plans = await area.meetings.events_needed(guild_id)
        assert {plan.meeting.id for plan in plans} == made[guild_id]
        assert {plan.meeting.guild_id for plan in plans} == {guild_id}
    assert await area.meetings.events_needed(12345) == []
    # Once linked, a meeting needs no event; the other guild's plans are untouched.
    first = min(made[ON_0])
    await area.meetings.link_event(ON_0, first, 555)
    left = await area.meetings.events_needed(ON_0)
    assert {plan.meeting.id for plan in left} == made[ON_0] - {first}
    assert {plan.meeting.id for plan in await area.meetings.events_needed(ON_1)} == made[ON_1]


async def test_guild_offsets_replan_only_the_guild_s_meetings(area: Area) -> None:
    made = await _both_guilds(area)
    await area.reminders.set_guild_offsets(ON_0, ["2h"])
    for meeting_id in made[ON_0]:
        live = await area.store.reminders.for_meeting(meeting_id, ("pending",))
        assert {r.offset_seconds for r in live if r.kind == "meeting"} == {7200}
    for meeting_id in made[ON_1]:
        live = await area.store.reminders.for_meeting(meeting_id, ("pending",))
        assert {r.offset_seconds for r in live if r.kind == "meeting"} == set(OFFSETS)


async def test_the_series_refresh_extends_only_the_scope_s_guilds(area: Area) -> None:
    assert (shard_of(ON_0, 2), shard_of(ON_1, 2)) == (0, 1)
    series = {
        guild: await _create(area, guild, "Weekly sync", weekly=True) for guild in (ON_0, ON_1)
    }

    async def planned(guild_id: int) -> set[datetime]:
        rows = await area.store.reminders.for_meeting(series[guild_id], ("pending",))
        return {row.occurrence_start for row in rows}

    # 5 June is within the 8-day horizon, 12 June not yet.
    assert await planned(ON_0) == await planned(ON_1) == {FIRST}
    # A week on, 12 June comes within it: shard 0's process plans it for its guild only;
    # shard 1's guild waits for its own process.
    area.clock.advance(days=7)
    shard_0 = ReminderService(area.store, area.clock, OFFSETS, scope=ShardScope(2, (0,)))
    assert await shard_0.refresh_recurring() == len(OFFSETS)
    assert SECOND in await planned(ON_0)
    assert SECOND not in await planned(ON_1)
    shard_1 = ReminderService(area.store, area.clock, OFFSETS, scope=ShardScope(2, (1,)))
    assert await shard_1.refresh_recurring() == len(OFFSETS)
    assert SECOND in await planned(ON_1)
    # Planning again changes nothing.
    assert await shard_0.refresh_recurring() == 0


async def test_a_process_s_services_refresh_its_shards_series(area: Area) -> None:
    series = {
        guild: await _create(area, guild, "Weekly sync", weekly=True) for guild in (ON_0, ON_1)
    }
    area.clock.advance(days=7)
    services = build_services(
        store=area.store, config=Config(), clock=area.clock, scope=ShardScope(2, (1,))
    )
    # What the reminder dispatcher runs at start and daily.
    assert await services.reminders.refresh_recurring() == len(Config().meetings.reminder_offsets)
    for guild, extended in ((ON_0, False), (ON_1, True)):
        rows = await area.store.reminders.for_meeting(series[guild], ("pending",))
        assert (SECOND in {row.occurrence_start for row in rows}) is extended

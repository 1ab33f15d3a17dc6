"""The outcomes area's timers on a settable clock, on SQLite and PostgreSQL: a meeting's
thread and summary timers follow it, an action's owner is reminded two days before and
on the due date exactly once (also across a restart in the middle of the schedule, and
a crash mid-send), and a done action stops reminding. The real dispatcher
(``OutcomeDispatcher``) runs its passes; its send callback records what would go out."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.services.common.permissions import Actor
from bot.services.meetings.service import MeetingEdit
from tests.support.outcomes import (
    ALICE,
    GUILD,
    ORGANISER,
    World,
    add_action,
    meeting_with_sessions,
    world_fixture,
)

world = pytest.fixture(world_fixture)


async def test_a_meeting_gets_its_thread_and_summary_timers_and_they_follow_it(
    world: World,
) -> None:
    meeting_id, _ = await meeting_with_sessions(world)
    timers = {t.slot: t for t in await world.store.outcome_timers.for_meeting(meeting_id)}
    assert timers["threads"].due_at == datetime(2027, 6, 20, 15, 0, tzinfo=UTC)  # 17:00
    assert timers["summary"].due_at == datetime(2027, 6, 20, 10, 0, tzinfo=UTC)  # 12:00
    # Moved by a day: both follow, no second row.
    await world.services.meetings.edit(
        GUILD, meeting_id, ORGANISER, MeetingEdit(start="2027-06-21 09:00")
    )
    timers = {t.slot: t for t in await world.store.outcome_timers.for_meeting(meeting_id)}
    assert timers["threads"].due_at == datetime(2027, 6, 21, 15, 0, tzinfo=UTC)
    assert timers["summary"].due_at == datetime(2027, 6, 21, 10, 0, tzinfo=UTC)
    assert await world.states(meeting_id) == {"threads": ["pending"], "summary": ["pending"]}

    # Due: each sent once; planning again (an edit, a restart) adds nothing.
    world.clock.now = datetime(2027, 6, 21, 15, 0, 5, tzinfo=UTC)
    assert sorted(await world.dispatch()) == ["summary", "threads"]
    assert await world.dispatch() == []
    world = await world.restart()
    await world.services.outcome_timers.plan_live_meetings()
    await world.services.outcome_timers.sync_meeting(GUILD, meeting_id)
    assert await world.dispatch() == []
    assert await world.states(meeting_id) == {"threads": ["sent"], "summary": ["late_sent"]}


async def test_a_cancelled_meeting_opens_no_threads(world: World) -> None:
    meeting_id, _ = await meeting_with_sessions(world)
    await world.services.meetings.cancel(GUILD, meeting_id, ORGANISER)
    assert await world.states(meeting_id) == {"threads": ["cancelled"], "summary": ["cancelled"]}
    world.clock.now = datetime(2027, 6, 21, tzinfo=UTC)
    assert await world.dispatch() == []


async def test_down_too_long_the_threads_are_skipped(world: World) -> None:
    meeting_id, _ = await meeting_with_sessions(world)
    world.clock.now = datetime(2027, 6, 28, tzinfo=UTC)  # more than a week after
    assert await world.dispatch() == []
    assert await world.states(meeting_id) == {"threads": ["skipped"], "summary": ["skipped"]}


async def test_an_owner_is_reminded_two_days_before_and_on_the_day_once_across_a_restart(
    world: World,
) -> None:
    meeting_id, _ = await meeting_with_sessions(world)
    action = await add_action(world, meeting_id, "2027-06-30")  # 09:00 Brussels
    due = datetime(2027, 6, 30, 7, 0, tzinfo=UTC)
    rows = await world.store.outcome_timers.for_outcome(action)
    assert [(r.kind, r.due_at) for r in rows] == [
        ("action_soon", due - timedelta(days=2)),
        ("action_due", due),
    ]
    world.clock.now = due - timedelta(days=2, seconds=-5)
    assert f"a{action}:soon" in await world.dispatch()
    # Agora restarts between the two reminders: the first is not sent again.
    world = await world.restart()
    await world.services.outcome_timers.plan_live_meetings()
    world.clock.advance(hours=1)
    assert [s for s in await world.dispatch() if s.startswith("a")] == []
    world.clock.now = due + timedelta(seconds=3)
    assert await world.dispatch() == [f"a{action}:due"]
    world.clock.advance(days=1)
    assert await world.dispatch() == []
    states = await world.states(meeting_id)
    assert states[f"a{action}:soon"] == ["sent"] and states[f"a{action}:due"] == ["sent"]


async def test_a_crash_mid_send_repeats_the_reminder_with_the_same_nonce(world: World) -> None:
    meeting_id, _ = await meeting_with_sessions(world)
    action = await add_action(world, meeting_id, "2027-06-30")
    due = datetime(2027, 6, 30, 7, 0, tzinfo=UTC)
    world.clock.now = due - timedelta(days=2)
    # The row is claimed ("sending" committed), then Agora dies before finishing it.
    due_now = await world.store.outcome_timers.due(world.clock.now)
    (soon,) = [t for t in due_now if t.kind == "action_soon"]
    await world.store.outcome_timers.claim([soon.id], world.clock.now)
    world = await world.restart()
    assert await world.dispatch() == [f"a{action}:soon"]
    again = world.sent[-1]
    assert again.id == soon.id and again.nonce_for(123) == soon.nonce_for(123)
    assert (await world.states(meeting_id))[f"a{action}:soon"] == ["sent"]


async def test_down_on_the_due_date_the_reminder_is_sent_late_that_day_and_never_after(
    world: World,
) -> None:
    meeting_id, _ = await meeting_with_sessions(world)
    first = await add_action(world, meeting_id, "2027-06-30")
    second = await add_action(world, meeting_id, "2027-07-01")
    # 30 June 20:00 in Brussels: the first is due today (late), the second's "two days
    # before" passed yesterday and its own day has not come.
    world.clock.now = datetime(2027, 6, 30, 18, 0, tzinfo=UTC)
    sent = await world.dispatch()
    assert sent == [f"a{first}:due"]
    states = await world.states(meeting_id)
    assert states[f"a{first}:soon"] == ["skipped"]
    assert states[f"a{first}:due"] == ["late_sent"]
    assert states[f"a{second}:soon"] == ["skipped"]
    assert states[f"a{second}:due"] == ["pending"]


async def test_a_done_action_is_not_reminded(world: World) -> None:
    meeting_id, _ = await meeting_with_sessions(world)
    action = await add_action(world, meeting_id, "2027-06-30")
    await world.services.outcomes.mark_done(GUILD, Actor(user_id=ALICE), str(action))
    world.clock.now = datetime(2027, 7, 1, tzinfo=UTC)
    assert [s for s in await world.dispatch() if s.startswith("a")] == []
    states = await world.states(meeting_id)
    assert states[f"a{action}:soon"] == ["cancelled"] and states[f"a{action}:due"] == ["cancelled"]


async def test_an_action_due_sooner_than_two_days_gets_only_its_day(world: World) -> None:
    meeting_id, _ = await meeting_with_sessions(world)
    target = await world.services.outcomes.target(
        GUILD, Actor(user_id=ALICE), meeting_id, None, ALICE, "tomorrow"
    )
    recorded = await world.services.outcomes.record(
        GUILD, Actor(user_id=ALICE), replace(target, notes=()), "action", "Book the room"
    )
    rows = await world.store.outcome_timers.for_outcome(recorded.outcome.id)
    assert [r.kind for r in rows] == ["action_due"]
    assert recorded.reminders == 1

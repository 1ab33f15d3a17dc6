"""Reminder planning and dispatch over a real SQLite file: re-timing, cancellation,
late vs skipped after downtime, and exactly-once delivery across simulated crashes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import Conflict
from bot.services.meetings.programme import SessionDraft
from bot.services.meetings.reminder_scheduler import ReminderScheduler, SendCallback
from bot.services.meetings.service import MeetingDraft, MeetingEdit, RepeatSpec
from bot.storage.directory.models import GuildSettings
from bot.storage.meetings.models import Reminder
from tests.support.meetings import (
    GUILD,
    ORGANISER,
    Area,
    Clock,
    area_fixture,
    open_area,
)

area = pytest.fixture(area_fixture)
START = datetime(2017, 6, 20, 7, 0, tzinfo=UTC)  # 09:00 Brussels


@dataclass
class FakeDiscord:
    """Stands in for Discord's side of enforce_nonce: a repeated nonce in a channel
    returns the message already created instead of posting a second one.
    """

    messages: dict[tuple[int, str], int] = field(default_factory=dict)
    posts: int = 0

    def post(self, channel_id: int, nonce: str) -> int:
        self.posts += 1
        return self.messages.setdefault((channel_id, nonce), len(self.messages) + 1)

    def count_in(self, channel_id: int) -> int:
        return sum(1 for channel, _ in self.messages if channel == channel_id)


async def _meeting(area: Area, start: str = "2017-06-20 09:00") -> int:
    change = await area.meetings.create(
        GUILD, ORGANISER, MeetingDraft(title="Humble Lamppost", start=start, end="3h")
    )
    return change.view.meeting.id


async def test_create_plans_one_reminder_per_offset(area: Area) -> None:
    meeting_id = await _meeting(area)
    pending = await area.store.reminders.for_meeting(meeting_id, ("pending",))
    assert [r.due_at for r in pending] == [
        START - timedelta(days=1),
        START - timedelta(hours=1),
        START,
    ]
    assert {r.kind for r in pending} == {"meeting"}
    assert all(len(r.nonce_for(2**63 - 1)) <= 25 for r in pending)
    # Planning again changes nothing.
    again = await area.reminders.sync_meeting(GUILD, meeting_id)
    assert (again.created, again.retimed, again.cancelled) == (0, 0, 0)


async def test_offsets_come_from_meeting_then_guild_then_config(area: Area) -> None:
    await area.store.guilds.save(GuildSettings(GUILD, reminder_offsets=(7200,)), area.clock())
    meeting_id = await _meeting(area)
    assert [r.offset_seconds for r in await area.store.reminders.for_meeting(meeting_id)] == [7200]
    await area.meetings.edit(
        GUILD, meeting_id, ORGANISER, MeetingEdit(reminder_offsets=["30m", "0s"])
    )
    live = await area.store.reminders.for_meeting(meeting_id, ("pending",))
    assert [r.offset_seconds for r in live] == [1800, 0]


async def test_editing_the_start_retimes_pending_reminders(area: Area) -> None:
    meeting_id = await _meeting(area)
    before = await area.store.reminders.for_meeting(meeting_id, ("pending",))
    change = await area.meetings.edit(
        GUILD, meeting_id, ORGANISER, MeetingEdit(start="2017-06-21 10:00")
    )
    assert change.moved and change.plan.retimed == 3
    after = await area.store.reminders.for_meeting(meeting_id, ("pending",))
    new_start = datetime(2017, 6, 21, 8, 0, tzinfo=UTC)
    assert [r.id for r in after] == [r.id for r in before]
    assert [r.due_at for r in after] == [
        new_start - timedelta(days=1),
        new_start - timedelta(hours=1),
        new_start,
    ]
    assert change.view.meeting.ends_at == new_start + timedelta(hours=3)
    # Moved to 30 minutes from now: the 1 day and 1 hour reminders are obsolete.
    soon = area.clock() + timedelta(minutes=30)
    change = await area.meetings.edit(
        GUILD, meeting_id, ORGANISER, MeetingEdit(start=soon.isoformat())
    )
    assert change.plan.cancelled == 2
    live = await area.store.reminders.for_meeting(meeting_id, ("pending",))
    assert [r.offset_seconds for r in live] == [0]


async def test_programme_moves_with_the_meeting(area: Area) -> None:
    meeting_id = await _meeting(area)
    await area.programme.add_session(
        GUILD,
        meeting_id,
        ORGANISER.user_id,
        True,
        SessionDraft(
            title="Lamppost pitch", start="10:00", end="10:30", kind="pitch", initiative_id=9
        ),
    )
    session_reminder = [
        r for r in await area.store.reminders.for_meeting(meeting_id) if r.kind == "session"
    ]
    assert len(session_reminder) == 1
    assert (session_reminder[0].target_kind, session_reminder[0].target_id) == ("initiative", 9)
    assert session_reminder[0].due_at == START + timedelta(minutes=50)
    await area.meetings.edit(GUILD, meeting_id, ORGANISER, MeetingEdit(start="2017-06-20 10:00"))
    (session,) = await area.programme.programme(GUILD, meeting_id)
    assert session.starts_at == START + timedelta(hours=2)
    live = [
        r
        for r in await area.store.reminders.for_meeting(meeting_id, ("pending",))
        if r.kind == "session"
    ]
    assert [r.due_at for r in live] == [START + timedelta(hours=1, minutes=50)]


async def test_cancel_cancels_pending_and_queues_one_notice(area: Area) -> None:
    meeting_id = await _meeting(area)
    cancellation = await area.meetings.cancel(GUILD, meeting_id, ORGANISER)
    assert cancellation.reminders.cancelled_reminders == 3
    notice = cancellation.reminders.notice
    assert notice is not None and notice.kind == "cancellation" and notice.due_at == area.clock()
    rows = await area.store.reminders.for_meeting(meeting_id)
    assert sorted(r.state for r in rows) == ["cancelled"] * 3 + ["pending"]
    with pytest.raises(Conflict):
        await area.meetings.cancel(GUILD, meeting_id, ORGANISER)
    assert len(await area.store.reminders.for_meeting(meeting_id)) == 4


def _recorder(
    discord: FakeDiscord, channels: tuple[int, ...] = (500,)
) -> tuple[list[Reminder], SendCallback]:
    sent: list[Reminder] = []

    async def send(reminder: Reminder) -> None:
        for channel in channels:
            discord.post(channel, reminder.nonce_for(channel))
        sent.append(reminder)

    return sent, send


async def test_downtime_sends_late_if_not_started_and_skips_otherwise(area: Area) -> None:
    meeting_id = await _meeting(area)
    discord = FakeDiscord()
    sent, send = _recorder(discord)
    scheduler = ReminderScheduler(area.store, area.reminders, send)
    # Agora was down from before the 1-day reminder until 30 minutes before the start.
    area.clock.now = START - timedelta(minutes=30)
    report = await scheduler.dispatch_all_due()
    assert len(report.late_sent) == 2 and not report.sent and not report.skipped
    # ...and down again across the start: the "at start" reminder is skipped.
    area.clock.now = START + timedelta(minutes=10)
    report = await scheduler.dispatch_all_due()
    assert len(report.skipped) == 1 and not report.late_sent
    states = sorted(r.state for r in await area.store.reminders.for_meeting(meeting_id))
    assert states == ["late_sent", "late_sent", "skipped"]
    assert len(sent) == 2 and discord.count_in(500) == 2


async def test_on_time_reminder_is_sent_once(area: Area) -> None:
    meeting_id = await _meeting(area)
    discord = FakeDiscord()
    sent, send = _recorder(discord)
    scheduler = ReminderScheduler(area.store, area.reminders, send)
    area.clock.now = START - timedelta(days=1) + timedelta(seconds=2)
    report = await scheduler.dispatch_all_due()
    assert len(report.sent) == 1
    assert (await scheduler.dispatch_all_due()).handled == 0
    assert [r.offset_seconds for r in sent] == [86400]
    assert (await area.store.reminders.for_meeting(meeting_id, ("sent",)))[0].offset_seconds == (
        86400
    )


async def test_exactly_once_across_crashes_between_steps(database_url: str) -> None:
    """Crash after claiming, and crash after a partial send: one message per channel."""
    path = database_url
    clock = Clock()
    discord = FakeDiscord()
    channels = (500, 501)
    first = await open_area(path, clock)
    meeting_id = await _meeting(first)
    clock.now = START - timedelta(hours=1)
    due = await first.store.reminders.due(clock.now)
    assert [r.offset_seconds for r in due] == [86400, 3600]
    # Crash 1: both claimed ("sending" committed); the first reached one channel, then died.
    await first.store.reminders.claim([r.id for r in due], clock.now)
    discord.post(500, due[0].nonce_for(500))
    await first.store.close()

    second = await open_area(path, clock)
    assert {r.state for r in await second.store.reminders.for_meeting(meeting_id)} == {
        "sending",
        "pending",
    }

    crashed: list[int] = []

    async def send_then_die(reminder: Reminder) -> None:
        for channel in channels:
            discord.post(channel, reminder.nonce_for(channel))
        crashed.append(reminder.id)

    # Crash 2: every send went out, but the process died before marking them sent.
    due = await second.store.reminders.due(clock.now)
    await second.store.reminders.claim([r.id for r in due], clock.now)
    for reminder in due:
        await send_then_die(reminder)
    await second.store.close()

    third = await open_area(path, clock)
    resent, send = _recorder(discord, channels)
    scheduler = ReminderScheduler(third.store, third.reminders, send)
    report = await scheduler.dispatch_all_due()
    assert len(report.sent) + len(report.late_sent) == 2 == len(resent)
    assert (await scheduler.dispatch_all_due()).handled == 0
    # Sent several times, but Discord holds exactly one message per reminder per channel.
    assert discord.posts > len(discord.messages)
    assert discord.count_in(500) == 2 and discord.count_in(501) == 2
    final = await third.store.reminders.for_meeting(meeting_id)
    assert sorted(r.state for r in final) == ["late_sent", "pending", "sent"]
    await third.store.close()


async def test_failed_send_is_retried_with_the_same_row(area: Area) -> None:
    await _meeting(area)
    attempts: list[int] = []

    async def flaky(reminder: Reminder) -> None:
        attempts.append(reminder.id)
        if len(attempts) == 1:
            raise RuntimeError("Discord is having a moment")

    scheduler = ReminderScheduler(area.store, area.reminders, flaky, retry_delay_seconds=30)
    area.clock.now = START - timedelta(days=1)
    report = await scheduler.dispatch_all_due()
    assert report.failed == attempts
    row = await area.store.reminders.get(attempts[0])
    assert row is not None and row.state == "pending" and "moment" in row.last_error
    assert row.fire_at == area.clock() + timedelta(seconds=30)
    area.clock.advance(seconds=31)
    report = await scheduler.dispatch_all_due()
    assert report.sent == [attempts[0]] and attempts[0] == attempts[1]


async def test_dm_recipients_are_opted_in_going_or_maybe(area: Area) -> None:
    meeting_id = await _meeting(area)
    for user, answer in ((1, "going"), (2, "maybe"), (3, "declined"), (4, "going")):
        await area.rsvp.respond(GUILD, meeting_id, user, answer)
        await area.reminders.set_dm(GUILD, user, True)
    await area.reminders.set_dm(GUILD, 4, False)
    await area.store.guilds.set_dm_opt_out(GUILD, 2, "all", True, area.clock())
    reminder = (await area.store.reminders.for_meeting(meeting_id))[0]
    context = await area.reminders.context(reminder)
    assert context.dm_user_ids == (1,)
    assert context.meeting.id == meeting_id


async def test_series_reminders_cover_the_horizon_and_extend(area: Area) -> None:
    change = await area.meetings.create(
        GUILD,
        ORGANISER,
        MeetingDraft(
            title="Weekly UDP call",
            start="2017-06-06 09:00",
            end="1h",
            repeat=RepeatSpec("weekly"),
            reminder_offsets=["1h"],
        ),
    )
    meeting_id = change.view.meeting.id
    live = await area.store.reminders.for_meeting(meeting_id, ("pending",))
    # Clock is 1 June; horizon 8 days + 1 h: only the 6 June occurrence.
    assert [r.occurrence_start for r in live] == [datetime(2017, 6, 6, 7, tzinfo=UTC)]
    sent, send = _recorder(FakeDiscord())
    scheduler = ReminderScheduler(area.store, area.reminders, send)
    area.clock.now = datetime(2017, 6, 6, 6, 0, 1, tzinfo=UTC)
    await scheduler.dispatch_all_due()
    assert len(sent) == 1
    live = await area.store.reminders.for_meeting(meeting_id, ("pending",))
    assert [r.occurrence_start for r in live] == [datetime(2017, 6, 13, 7, tzinfo=UTC)]
    # Cancelling that occurrence cancels its reminder and queues a notice for it.
    cancellation = await area.meetings.cancel_occurrence(
        GUILD, meeting_id, ORGANISER, "2017-06-13 09:00"
    )
    assert cancellation.reminders.notice is not None
    assert cancellation.reminders.notice.occurrence_start == datetime(2017, 6, 13, 7, tzinfo=UTC)
    pending = await area.store.reminders.for_meeting(meeting_id, ("pending",))
    assert [r.kind for r in pending] == ["cancellation"]

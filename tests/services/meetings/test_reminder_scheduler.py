"""The real APScheduler dispatcher fires reminders seconds ahead, and wakes early."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.services.meetings.reminder_scheduler import DispatchReport, ReminderScheduler
from bot.services.meetings.service import MeetingDraft
from bot.storage.meetings.models import Reminder
from bot.storage.store import Store
from tests.support.meetings import GUILD, ORGANISER, build_area


def _real_now() -> datetime:
    return datetime.now(UTC)


async def test_reminders_fire_for_real_a_second_ahead(database_url: str) -> None:
    store = await Store.open(database_url)
    area = build_area(store, _real_now, offsets=(2, 0))  # type: ignore[arg-type]
    fired: list[tuple[Reminder, datetime]] = []
    recorded: list[int] = []
    both_recorded = asyncio.Event()

    async def send(reminder: Reminder) -> None:
        fired.append((reminder, _real_now()))

    def on_dispatch(report: DispatchReport) -> None:
        recorded.extend(report.sent)
        if len(recorded) == 2:
            both_recorded.set()

    scheduler = ReminderScheduler(store, area.reminders, send, on_dispatch=on_dispatch)
    await scheduler.start()
    try:
        # Created after the scheduler started: the new reminders must wake it early.
        start = (_real_now() + timedelta(seconds=3)).replace(microsecond=0)
        change = await area.meetings.create(
            GUILD,
            ORGANISER,
            MeetingDraft(title="Quick sync", start=start.isoformat(), end="30m"),
        )
        await asyncio.wait_for(both_recorded.wait(), timeout=10)
        assert [r.offset_seconds for r, _ in fired] == [2, 0]
        for reminder, at in fired:
            assert reminder.due_at <= at < reminder.due_at + timedelta(seconds=1.5)
        rows = await store.reminders.for_meeting(change.view.meeting.id)
        assert [r.state for r in rows] == ["sent", "sent"]
    finally:
        await scheduler.stop()
        await store.close()


async def test_start_rearms_pending_reminders_from_the_database(database_url: str) -> None:
    path = database_url
    store = await Store.open(path)
    area = build_area(store, _real_now, offsets=(0,))  # type: ignore[arg-type]
    start = (_real_now() + timedelta(seconds=2)).replace(microsecond=0)
    await area.meetings.create(
        GUILD, ORGANISER, MeetingDraft(title="Armed at start", start=start.isoformat(), end="1h")
    )
    await store.close()  # "Agora restarts": nothing armed in memory survives

    store = await Store.open(path)
    area = build_area(store, _real_now, offsets=(0,))  # type: ignore[arg-type]
    fired = asyncio.Event()

    async def send(reminder: Reminder) -> None:
        fired.set()

    scheduler = ReminderScheduler(store, area.reminders, send)
    await scheduler.start()
    try:
        assert scheduler.scheduler.get_job("agora-reminders-dispatch") is not None
        await asyncio.wait_for(fired.wait(), timeout=10)
    finally:
        await scheduler.stop()
        await store.close()


async def test_reminders_falling_due_during_a_slow_pass_are_sent_after_it(
    database_url: str,
) -> None:
    """The first pass sends slowly; a reminder falling due meanwhile is sent when it ends,
    by the same pass: never by a job armed in the past while the pass still runs, which
    APScheduler may skip (the fleet test, tests/e2e_postgres/test_fleet.py, caught one
    left pending that way)."""
    store = await Store.open(database_url)
    area = build_area(store, _real_now, offsets=(0,))  # type: ignore[arg-type]
    start = (_real_now() + timedelta(seconds=2)).replace(microsecond=0)
    for number, offset in enumerate((0.0, 0.5)):
        at = start + timedelta(seconds=offset)
        draft = MeetingDraft(title=f"Back to back {number}", start=at.isoformat(), end="1h")
        await area.meetings.create(GUILD, ORGANISER, draft)
    sent: list[str] = []
    both = asyncio.Event()

    async def slow_send(reminder: Reminder) -> None:
        await asyncio.sleep(1.5)  # the second falls due while the first is being sent
        sent.append(str(reminder.meeting_id))
        if len(sent) == 2:
            both.set()

    scheduler = ReminderScheduler(store, area.reminders, slow_send)
    await scheduler.start()
    try:
        await asyncio.wait_for(both.wait(), timeout=15)
        assert len(set(sent)) == 2
    finally:
        await scheduler.stop()
        await store.close()

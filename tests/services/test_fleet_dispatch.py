"""Work done once across the fleet, on PostgreSQL and SQLite: two processes (two stores,
each its own connections, different worker ids) over one database.

Two reminder dispatchers whose scopes overlap send each of 200 due reminders exactly
once; a worker that dies after claiming leaves its rows to another only after the lease,
and to itself restarted at once; a dispatcher sends only its shards' guilds' rows; a
poll's deadline closes and announces it once with two dispatchers; a digest or nudge run
key is taken by one process, taken over after its lease, never again once done.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.services.common.fleet_runs import FleetRuns
from bot.services.common.permissions import Actor
from bot.services.meetings.reminder_scheduler import ReminderScheduler
from bot.services.meetings.service import MeetingDraft
from bot.services.polls.deadlines import PollDeadlines
from bot.services.polls.service import PollDraft, PollService, PollView
from bot.storage.fleet import EVERYTHING, ShardScope
from bot.storage.meetings.models import Reminder
from bot.storage.store import Store
from bot.storage.timer_claims import DEFAULT_LEASE_SECONDS
from tests.support.meetings import ORGANISER, Area, Clock, build_area

# Two guilds on different shards of 2: (id >> 22) % 2 is 0 for the first, 1 for the second.
SHARD0_GUILD = 1000
SHARD1_GUILD = (1 << 22) + 1000
LEASE = timedelta(seconds=DEFAULT_LEASE_SECONDS)
POLL_ORGANISER = Actor(user_id=42, is_organiser=True)


@dataclass
class Fleet:
    """Two processes' areas over one database, on one settable clock."""

    url: str
    clock: Clock
    first: Area
    second: Area


@pytest.fixture
async def fleet(database_url: str) -> AsyncIterator[Fleet]:
    clock = Clock(now=datetime(2027, 6, 1, 8, 0, tzinfo=UTC))
    first = build_area(await Store.open(database_url), clock, offsets=(3600,))
    second = build_area(await Store.open(database_url), clock, offsets=(3600,))
    try:
        yield Fleet(database_url, clock, first, second)
    finally:
        await first.store.close()
        await second.store.close()


async def _due_reminders(fleet: Fleet, per_guild: int) -> list[int]:
    """``per_guild`` one-off meetings in each of the two guilds, each with one reminder an
    hour before its start, and the clock moved to then: their reminders' ids. (Taken
    over after a lease they are still sent, late: their meeting has not started.)"""
    start = fleet.clock.now + timedelta(days=1)
    for guild_id in (SHARD0_GUILD, SHARD1_GUILD):
        for n in range(per_guild):
            await fleet.first.meetings.create(
                guild_id,
                ORGANISER,
                MeetingDraft(title=f"Sync {n}", start=start.isoformat(), end="1h"),
            )
    fleet.clock.now = start - timedelta(hours=1)
    due = await fleet.first.store.reminders.due(fleet.clock.now, 10_000)
    assert len(due) == 2 * per_guild
    return [r.id for r in due]


def _counter() -> tuple[Counter[int], Callable[[Reminder], Awaitable[None]]]:
    sends: Counter[int] = Counter()

    async def send(reminder: Reminder) -> None:
        await asyncio.sleep(0)  # let the other process's pass run in between
        sends[reminder.id] += 1

    return sends, send


async def test_two_dispatchers_send_each_of_200_reminders_exactly_once(fleet: Fleet) -> None:
    ids = await _due_reminders(fleet, 100)
    assert len(ids) == 200
    sends, send = _counter()
    dispatchers = [
        ReminderScheduler(area.store, area.reminders, send, batch_size=25, worker_id=worker)
        for area, worker in ((fleet.first, "process a"), (fleet.second, "process b"))
    ]
    reports = await asyncio.gather(*(d.dispatch_all_due() for d in dispatchers))
    assert sorted(sends) == sorted(ids)
    assert set(sends.values()) == {1}
    handled = [report.sent + report.late_sent for report in reports]
    assert sorted(handled[0] + handled[1]) == sorted(ids)
    states = await fleet.first.store.reminders.state_counts()
    assert states.get("sent", 0) + states.get("late_sent", 0) == 200
    assert states.get("pending", 0) == states.get("sending", 0) == 0


async def test_a_worker_dying_after_its_claim_leaves_the_rows_to_another_after_the_lease(
    fleet: Fleet,
) -> None:
    ids = await _due_reminders(fleet, 5)
    now = fleet.clock.now
    # Process a claims every row, then dies before sending or finishing any.
    claimed = await fleet.first.store.reminders.claim(ids, now, "process a", now + LEASE)
    assert sorted(claimed) == sorted(ids)
    sends, send = _counter()
    other = ReminderScheduler(
        fleet.second.store, fleet.second.reminders, send, worker_id="process b"
    )
    assert (await other.dispatch_all_due()).handled == 0
    assert await fleet.second.store.reminders.claim(ids, now, "process b", now + LEASE) == []
    # It looks again when the lease ends.
    assert await fleet.second.store.reminders.next_fire_at(EVERYTHING) == now + LEASE
    fleet.clock.advance(seconds=LEASE.total_seconds() - 1)
    assert (await other.dispatch_all_due()).handled == 0
    fleet.clock.advance(seconds=1)
    report = await other.dispatch_all_due()
    assert sorted(report.sent + report.late_sent) == sorted(ids)
    assert set(sends.values()) == {1} and len(sends) == len(ids)
    # What process a would finish now is no longer its own: nothing changes.
    before = await fleet.first.store.reminders.state_counts()
    await fleet.first.store.reminders.finish([(i, "skipped") for i in ids], now, "process a")
    assert await fleet.first.store.reminders.state_counts() == before
    assert "skipped" not in before and "sending" not in before


async def test_the_same_worker_restarted_takes_its_claims_at_once(fleet: Fleet) -> None:
    ids = await _due_reminders(fleet, 5)
    now = fleet.clock.now
    await fleet.first.store.reminders.claim(ids, now, "shards 0 of 2", now + LEASE)
    await fleet.first.store.close()  # "the process dies"
    restarted = build_area(await Store.open(fleet.url), fleet.clock, (3600,))
    fleet.first = restarted
    # Another worker must wait for the lease; the same worker, back, does not.
    assert await fleet.second.store.reminders.next_fire_at(EVERYTHING) == now + LEASE
    assert await restarted.store.reminders.release("shards 0 of 2") == len(ids)
    assert await restarted.store.reminders.next_fire_at(EVERYTHING) == datetime(
        1970, 1, 1, tzinfo=UTC
    )
    sends, send = _counter()
    again = ReminderScheduler(restarted.store, restarted.reminders, send, worker_id="shards 0 of 2")
    report = await again.dispatch_all_due()
    assert sorted(report.sent + report.late_sent) == sorted(ids)
    assert set(sends.values()) == {1}


async def test_a_dispatcher_sends_only_its_shards_guilds(fleet: Fleet) -> None:
    ids = await _due_reminders(fleet, 3)
    rows = {r.id: r for r in await fleet.first.store.reminders.due(fleet.clock.now, 100)}
    sends, send = _counter()
    shard0 = ReminderScheduler(
        fleet.first.store,
        fleet.first.reminders,
        send,
        scope=ShardScope(2, (0,)),
    )
    assert shard0.worker_id == "shards 0 of 2"
    report = await shard0.dispatch_all_due()
    assert {rows[i].guild_id for i in report.sent + report.late_sent} == {SHARD0_GUILD}
    assert len(sends) == 3
    # What is left is shard 1's: the shard-0 process neither sees it due nor waits for it.
    assert await fleet.first.store.reminders.due(fleet.clock.now, 100, ShardScope(2, (0,))) == []
    assert await fleet.first.store.reminders.next_fire_at(ShardScope(2, (0,))) is None
    shard1 = ReminderScheduler(
        fleet.second.store,
        fleet.second.reminders,
        send,
        scope=ShardScope(2, (1,)),
    )
    report = await shard1.dispatch_all_due()
    assert {rows[i].guild_id for i in report.sent + report.late_sent} == {SHARD1_GUILD}
    assert sorted(sends) == sorted(ids) and set(sends.values()) == {1}


async def test_a_poll_deadline_closes_and_announces_once_with_two_dispatchers(
    fleet: Fleet,
) -> None:
    announced: Counter[int] = Counter()

    async def announce(view: PollView) -> None:
        await asyncio.sleep(0)
        assert not view.poll.is_open
        announced[view.poll.id] += 1

    services = [
        PollService(area.store, fleet.clock, "Europe/Brussels")
        for area in (fleet.first, fleet.second)
    ]
    poll_ids = []
    for n in range(20):
        guild = SHARD0_GUILD if n % 2 else SHARD1_GUILD
        draft = PollDraft(
            title=f"Slot {n}", slots="2027-06-20 09:00; 2027-06-21 09:00", closes="1h"
        )
        poll_ids.append((await services[0].create(guild, POLL_ORGANISER, draft)).view.poll.id)
    deadlines = [
        PollDeadlines(service, announce=announce, worker_id=f"process {n}")
        for n, service in enumerate(services)
    ]
    assert await asyncio.gather(*(d.close_due() for d in deadlines)) == [[], []]
    fleet.clock.advance(hours=1)
    closed = await asyncio.gather(*(d.close_due() for d in deadlines))
    assert sorted(closed[0] + closed[1]) == sorted(poll_ids)
    assert sorted(announced) == sorted(poll_ids) and set(announced.values()) == {1}
    for n, poll_id in enumerate(poll_ids):
        poll = await services[1].store.polls.get(SHARD0_GUILD if n % 2 else SHARD1_GUILD, poll_id)
        assert poll.state == "closed" and poll.announced and poll.closed_at == fleet.clock.now
    # Closed once: further passes find nothing.
    assert await asyncio.gather(*(d.close_due() for d in deadlines)) == [[], []]
    assert await services[0].store.poll_deadlines.next_fire_at() is None


async def test_a_run_key_is_taken_once_taken_over_after_its_lease_and_never_again_done(
    fleet: Fleet,
) -> None:
    first = FleetRuns(fleet.first.store, "process a", fleet.clock)
    second = FleetRuns(fleet.second.store, "process b", fleet.clock)
    key = f"digest:{SHARD0_GUILD}:2027-W22"
    started = asyncio.Event()
    release = asyncio.Event()
    ran: list[str] = []

    async def slow() -> str:
        ran.append("a")
        started.set()
        await release.wait()
        return "posted by a"

    running = asyncio.create_task(first.run_once(key, slow))
    await started.wait()

    async def work_b() -> str:
        ran.append("b")
        return "posted by b"

    held = await second.run_once(key, work_b)
    assert not held.ran and held.retry_at == fleet.clock.now + LEASE
    release.set()
    assert (await running).value == "posted by a"
    done = await second.run_once(key, work_b)
    assert not done.ran and done.done_before and done.retry_at is None
    assert ran == ["a"]

    # A holder that dies mid-run: another takes the key only after the lease.
    nudges = f"nudges:{SHARD0_GUILD}:2027-06-01"
    now = fleet.clock.now
    assert await fleet.first.store.fleet_claims.claim(nudges, "process a", now, now + LEASE)
    assert (await second.run_once(nudges, work_b)).retry_at == now + LEASE
    fleet.clock.advance(seconds=LEASE.total_seconds())
    assert (await second.run_once(nudges, work_b)).value == "posted by b"
    # The same worker, restarted, takes its own key back at once.
    own = f"nudges:{SHARD1_GUILD}:2027-06-01"
    now = fleet.clock.now
    assert await fleet.first.store.fleet_claims.claim(own, "process a", now, now + LEASE)
    assert (await first.run_once(own, slow_done)).value == "again"


async def slow_done() -> str:
    return "again"

"""The outcomes area's durable timers: when a meeting ends its outcome threads open, when
its last session ends its summary is posted, and an action's owner is reminded two days
before the due date and on it.

Every timer is a row (``bot.storage.outcomes.timers``) sent by the reminder dispatcher
(``TimerDispatcher``): claimed in the database, sent with fixed nonces, finished, so
each happens exactly once, across restarts and across the processes of a fleet too (each
dispatches its own shards' guilds; see the dispatcher's docstring). A meeting's timers
follow it: the meetings area tells ``sync_meeting`` after every change
(``ReminderService.subscribe_meetings``), which re-times, adds or cancels them like
``ReminderService.sync_meeting`` does reminders. A thread opening or a summary, once
done (or skipped), is never planned again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.errors import NotFound
from bot.services.common import timeparse
from bot.services.common.clock import Clock
from bot.services.meetings.reminder_scheduler import TimerDispatcher
from bot.services.meetings.reminders import Verdict
from bot.storage.fleet import EVERYTHING, ShardScope
from bot.storage.meetings.models import Meeting, Session
from bot.storage.outcomes.models import NewTimer, Outcome, OutcomeTimer
from bot.storage.store import Store

log = logging.getLogger(__name__)

WakeListener = Callable[[datetime], None]
DISPATCH_JOB_ID = "agora-outcomes-dispatch"

# A timer that fell due while Agora was down is still sent this long after its time.
MEETING_STALE = timedelta(days=7)
# "Two days before": the owner's first reminder.
SOON = timedelta(days=2)
DONE_STATES = ("sending", "sent", "late_sent", "skipped")


def last_session_end(meeting: Meeting, sessions: Sequence[Session]) -> datetime:
    """When the meeting's last session ends (its own end when it has no programme)."""
    return max((session.ends_at for session in sessions), default=meeting.ends_at)


def end_of_day(moment: datetime, zone_name: str) -> datetime:
    """The midnight after ``moment``'s local day in ``zone_name``, as UTC."""
    zone = timeparse.resolve_zone(zone_name)
    local = moment.astimezone(zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), zone)
    return midnight.astimezone(moment.tzinfo)


class OutcomeTimerService:
    """Plans the outcomes area's timer rows; the dispatcher fires them.

    ``late_after_seconds``: a timer dispatched more than this after its due time counts as
    late: sent (late_sent) until its ``stale_at``, skipped after.
    """

    def __init__(self, store: Store, clock: Clock, late_after_seconds: int = 60) -> None:
        self.store = store
        self.clock = clock
        self.late_after = timedelta(seconds=late_after_seconds)
        self._listeners: list[WakeListener] = []

    def subscribe(self, listener: WakeListener) -> None:
        """Call ``listener(fire_at)`` whenever a timer is added or moved (the dispatcher)."""
        self._listeners.append(listener)

    def _notify(self, moments: Sequence[datetime]) -> None:
        if moments:
            earliest = min(moments)
            for listener in self._listeners:
                listener(earliest)

    # -- planning -------------------------------------------------------------

    def _wanted(self, meeting: Meeting, sessions: Sequence[Session]) -> dict[str, NewTimer]:
        if meeting.is_cancelled or meeting.recurrence is not None:
            return {}
        summary_at = last_session_end(meeting, sessions)
        return {
            "threads": NewTimer(
                guild_id=meeting.guild_id,
                meeting_id=meeting.id,
                outcome_id=None,
                kind="threads",
                slot="threads",
                due_at=meeting.ends_at,
                stale_at=meeting.ends_at + MEETING_STALE,
            ),
            "summary": NewTimer(
                guild_id=meeting.guild_id,
                meeting_id=meeting.id,
                outcome_id=None,
                kind="summary",
                slot="summary",
                due_at=summary_at,
                stale_at=summary_at + MEETING_STALE,
            ),
        }

    async def sync_meeting(self, guild_id: int, meeting_id: int) -> None:
        """Bring the meeting's thread and summary timers in step with it (idempotent).

        A one-off meeting gets both; a repeating or cancelled one none (pending ones are
        cancelled). A live timer whose time moved is re-timed; a missing one is added if
        its time is still to come and it has not been done already.
        """
        now = self.clock()
        try:
            meeting = await self.store.meetings.get(guild_id, meeting_id)
        except NotFound:
            return
        sessions = await self.store.meetings.sessions(guild_id, meeting_id)
        wanted = self._wanted(meeting, sessions)
        rows = [
            row
            for row in await self.store.outcome_timers.for_meeting(meeting_id)
            if row.kind in ("threads", "summary")
        ]
        live = {row.slot: row for row in rows if row.state == "pending"}
        done = {row.slot for row in rows if row.state in DONE_STATES}
        create: list[NewTimer] = []
        retime: list[tuple[int, datetime, datetime]] = []
        for slot, new in wanted.items():
            row = live.get(slot)
            if row is not None:
                if (row.due_at, row.stale_at) != (new.due_at, new.stale_at):
                    retime.append((row.id, new.due_at, new.stale_at))
            elif slot not in done and new.due_at > now:
                create.append(new)
        cancel = [row.id for slot, row in live.items() if slot not in wanted]
        if create or retime or cancel:
            await self.store.outcome_timers.apply_plan(create, retime, cancel, now)
        self._notify([new.due_at for new in create] + [due for _, due, _ in retime])

    async def plan_live_meetings(self, scope: ShardScope = EVERYTHING) -> None:
        """At start: meetings created before this area existed get their timers. Every
        other meeting was planned when it was created or changed (``subscribe_meetings``),
        so only those without any timer row are read (10,000 meetings: 30,000 queries
        and seconds of start-up otherwise)."""
        for guild_id, meeting_id in await self.store.outcome_timers.unplanned_meetings(
            self.clock(), scope
        ):
            await self.sync_meeting(guild_id, meeting_id)

    async def plan_action(self, action: Outcome) -> int:
        """The owner's reminders of a new action: two days before its due time and at it,
        those still to come; how many were planned."""
        if action.owner_id is None or action.due_at is None or action.is_done:
            return 0
        now = self.clock()
        due = action.due_at
        wanted = [
            NewTimer(
                guild_id=action.guild_id,
                meeting_id=action.meeting_id,
                outcome_id=action.id,
                kind="action_soon",
                slot=f"a{action.id}:soon",
                due_at=due - SOON,
                # Over a day late, "in two days" has become "tomorrow": the day's own
                # reminder is near, so this one is left out.
                stale_at=due - SOON + timedelta(days=1),
            ),
            NewTimer(
                guild_id=action.guild_id,
                meeting_id=action.meeting_id,
                outcome_id=action.id,
                kind="action_due",
                slot=f"a{action.id}:due",
                due_at=due,
                stale_at=end_of_day(due, action.timezone),
            ),
        ]
        create = [timer for timer in wanted if timer.due_at > now]
        created = await self.store.outcome_timers.apply_plan(create, [], [], now)
        self._notify([timer.due_at for timer in create])
        return len(created)

    # -- firing ---------------------------------------------------------------

    def verdict(self, timer: OutcomeTimer, now: datetime) -> Verdict:
        """What to do with a timer that has come due at ``now``."""
        if now - timer.due_at <= self.late_after:
            return "sent"
        return "late_sent" if now < timer.stale_at else "skipped"


class OutcomeDispatcher(TimerDispatcher[OutcomeTimer]):
    """The reminder dispatcher over the outcomes area's timers; at each start it first
    gives every meeting not over yet its timers."""

    name = "outcome timers"

    def __init__(
        self,
        store: Store,
        timers: OutcomeTimerService,
        send: Callable[[OutcomeTimer], Awaitable[None]] | None = None,
        scheduler: AsyncIOScheduler | None = None,
        scope: ShardScope = EVERYTHING,
        worker_id: str | None = None,
    ) -> None:
        super().__init__(
            store.outcome_timers,
            timers.verdict,
            timers.clock,
            send,
            scheduler,
            job_id=DISPATCH_JOB_ID,
            scope=scope,
            worker_id=worker_id,
        )
        self.timers = timers
        self._backfill: asyncio.Task[None] | None = None
        timers.subscribe(self.wake)

    async def before_arming(self) -> None:
        # Only meetings from before outcomes existed need planning, once; on a large
        # database that is thousands of reads, so it runs beside start-up, not before
        # it (each timer it adds wakes the dispatcher).
        self._backfill = asyncio.create_task(self._plan_unplanned())

    async def _plan_unplanned(self) -> None:
        try:
            await self.timers.plan_live_meetings(self.scope)
        except Exception:
            log.exception("could not plan the outcome timers of older meetings")

    async def stop(self) -> None:
        if self._backfill is not None:
            self._backfill.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._backfill
        await super().stop()

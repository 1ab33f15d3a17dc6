"""Fires reminder rows on time, exactly once per target channel.

Design (RoboDanny's durable-timer pattern on APScheduler 3.x): the database
holds every reminder; APScheduler holds a single ``date`` job, the dispatcher,
armed at the earliest live reminder's fire time. When it runs it sends every
reminder that has come due, then re-arms itself for the next one. A new or
re-timed reminder earlier than the armed time wakes it early (``wake``).
Re-arming at start is one indexed query, however many reminders there are.

Exactly once, per target channel
--------------------------------
Each reminder goes through three durable steps:

1. ``claim``: the row becomes "sending" (committed) before anything is sent.
2. ``send(reminder)``: the callback posts to each target channel with the
   deterministic nonce ``reminder.nonce_for(channel_id)`` and
   ``enforce_nonce=True``.
3. ``finish``: the row becomes "sent" / "late_sent" (committed).

A crash before 1 commits leaves the row "pending": nothing was sent, it is
sent after the restart. A crash after 1, during or after 2, before 3 leaves it
"sending": after the restart it is sent again with the *same* nonces, and
Discord answers a repeated nonce with the message it already created instead
of posting another, so every channel holds exactly one message — channels
reached before the crash are deduplicated, the others get theirs now. After 3
commits the row is never picked again. The send callback must therefore be
idempotent per (reminder, channel) through the nonce, which is also why DMs
use the DM channel's id in the nonce.

Limit: Discord only remembers nonces for a few minutes. A "sending" row found
after a longer outage is still re-sent if what it announces has not started
(a rare possible duplicate is preferred to a missed reminder), and skipped
otherwise, like any reminder that fell due while Agora was down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services.meetings.reminders import ReminderService, Verdict
from bot.storage.meetings.models import Reminder, ReminderState
from bot.storage.store import Store

log = logging.getLogger(__name__)

SendCallback = Callable[[Reminder], Awaitable[None]]
DISPATCH_JOB_ID = "agora-reminders-dispatch"
REFRESH_JOB_ID = "agora-reminders-refresh-recurring"


@dataclass
class DispatchReport:
    """What one dispatch pass did (for logs, tests and the benchmark)."""

    sent: list[int] = field(default_factory=list)
    late_sent: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    def merge(self, other: DispatchReport) -> None:
        self.sent += other.sent
        self.late_sent += other.late_sent
        self.skipped += other.skipped
        self.failed += other.failed

    @property
    def handled(self) -> int:
        return len(self.sent) + len(self.late_sent) + len(self.skipped) + len(self.failed)


class ReminderScheduler:
    """Arms APScheduler from the reminder rows and dispatches them.

    ``scheduler``: pass the bot's AsyncIOScheduler to share it (it must be
    started by its owner), or leave None and this object owns one.
    """

    def __init__(
        self,
        store: Store,
        reminders: ReminderService,
        send: SendCallback | None = None,
        scheduler: AsyncIOScheduler | None = None,
        batch_size: int = 1000,
        concurrency: int = 50,
        send_timeout_seconds: float = 60.0,
        max_attempts: int = 5,
        retry_delay_seconds: int = 30,
        on_dispatch: Callable[[DispatchReport], None] | None = None,
    ) -> None:
        self.store = store
        self.reminders = reminders
        self.send = send
        self._owns_scheduler = scheduler is None
        self.scheduler = scheduler if scheduler is not None else AsyncIOScheduler(timezone=UTC)
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.send_timeout = send_timeout_seconds
        self.max_attempts = max_attempts
        self.retry_delay = timedelta(seconds=retry_delay_seconds)
        # Told after each pass has recorded its outcomes (metrics, tests, benchmark).
        self.on_dispatch = on_dispatch
        # The last dispatch passes, for logs and for tests that await a reminder's outcome.
        self.reports: list[DispatchReport] = []
        self._report_seen = asyncio.Event()
        self._armed_at: datetime | None = None
        self._dispatching = False
        self._running = False
        self._idle = asyncio.Event()
        self._idle.set()
        reminders.subscribe(self.wake)

    # -- lifecycle ----------------------------------------------------------

    async def start(self, send: SendCallback | None = None) -> None:
        """Extend recurring meetings' reminders, then arm the dispatcher from the rows;
        ``send`` delivers each reminder (the meetings cog's, when Agora runs)."""
        if send is not None:
            self.send = send
        if self.send is None:
            raise RuntimeError("the reminder dispatcher has nothing to send with")
        self._running = True
        if self._owns_scheduler and not self.scheduler.running:
            self.scheduler.start()
        await self.reminders.refresh_recurring()
        self.scheduler.add_job(
            self.reminders.refresh_recurring,
            "interval",
            hours=24,
            id=REFRESH_JOB_ID,
            replace_existing=True,
            coalesce=True,
        )
        await self.rearm()

    async def stop(self) -> None:
        self._running = False
        for job_id in (DISPATCH_JOB_ID, REFRESH_JOB_ID):
            if self.scheduler.get_job(job_id) is not None:
                self.scheduler.remove_job(job_id)
        await self._idle.wait()
        if self._owns_scheduler and self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def rearm(self) -> datetime | None:
        """Arm the dispatcher at the earliest live reminder; returns that time."""
        next_at = await self.store.reminders.next_fire_at()
        self._armed_at = None
        if next_at is not None:
            self._arm(next_at)
        elif self.scheduler.get_job(DISPATCH_JOB_ID) is not None:
            self.scheduler.remove_job(DISPATCH_JOB_ID)
        return next_at

    def wake(self, fire_at: datetime) -> None:
        """A reminder now fires at ``fire_at``: run the dispatcher then if that is earlier."""
        if not self._running or self._dispatching:
            return  # a running pass re-arms from the database when it ends
        if self._armed_at is None or fire_at < self._armed_at:
            self._arm(fire_at)

    def _arm(self, at: datetime) -> None:
        self._armed_at = at
        self.scheduler.add_job(
            self._run,
            "date",
            run_date=at,
            id=DISPATCH_JOB_ID,
            replace_existing=True,
            misfire_grace_time=None,  # never drop a pass: late reminders are decided per row
            coalesce=True,
        )

    async def _run(self) -> None:
        if self._dispatching or not self._running:
            return
        self._dispatching = True
        self._idle.clear()
        try:
            await self.dispatch_all_due()
        except Exception:
            log.exception("reminder dispatch failed; retrying shortly")
            self._dispatching = False
            self._arm(datetime.now(UTC) + timedelta(seconds=5))
            return
        finally:
            self._dispatching = False
            self._idle.set()
        if self._running:
            await self.rearm()

    # -- dispatching --------------------------------------------------------

    async def dispatch_all_due(self) -> DispatchReport:
        """Run passes until nothing is due."""
        total = DispatchReport()
        while True:
            report = await self.dispatch_due()
            total.merge(report)
            if report.handled < self.batch_size:
                return total

    async def dispatch_due(self) -> DispatchReport:
        """One pass: decide, claim, send and record every reminder due now (one batch)."""
        now = self.reminders.clock()
        due = await self.store.reminders.due(now, self.batch_size)
        report = DispatchReport()
        if not due:
            return report
        verdicts: dict[int, Verdict] = {r.id: self.reminders.verdict(r, now) for r in due}
        skipped: list[tuple[int, ReminderState]] = [
            (r.id, "skipped") for r in due if verdicts[r.id] == "skipped"
        ]
        await self.store.reminders.finish(skipped, now)
        report.skipped = [reminder_id for reminder_id, _ in skipped]
        to_send = [r for r in due if verdicts[r.id] != "skipped"]
        claimed = set(await self.store.reminders.claim([r.id for r in to_send], now))
        gate = asyncio.Semaphore(self.concurrency)

        async def deliver(reminder: Reminder) -> BaseException | None:
            async with gate:
                try:
                    assert self.send is not None  # start() refuses to run without it
                    await asyncio.wait_for(self.send(reminder), self.send_timeout)
                except Exception as exc:  # one bad send must not stop the others
                    return exc
            return None

        sending = [r for r in to_send if r.id in claimed]
        errors = await asyncio.gather(*(deliver(r) for r in sending))
        finished_at = self.reminders.clock()
        outcomes: list[tuple[int, ReminderState]] = []
        for reminder, error in zip(sending, errors, strict=True):
            if error is None:
                state = verdicts[reminder.id]
                outcomes.append((reminder.id, state))
                (report.sent if state == "sent" else report.late_sent).append(reminder.id)
                continue
            log.warning("reminder %s failed to send: %r", reminder.id, error)
            report.failed.append(reminder.id)
            give_up = reminder.attempts + 1 >= self.max_attempts
            await self.store.reminders.retry_later(
                reminder.id,
                repr(error),
                finished_at + self.retry_delay * (reminder.attempts + 1),
                give_up,
                finished_at,
            )
        await self.store.reminders.finish(outcomes, finished_at)
        self._record(report)
        if self.on_dispatch is not None:
            self.on_dispatch(report)
        await self._extend_series(sending)
        return report

    def _record(self, report: DispatchReport) -> None:
        log.info(
            "reminders: %d sent, %d sent late, %d skipped, %d failed",
            len(report.sent),
            len(report.late_sent),
            len(report.skipped),
            len(report.failed),
        )
        self.reports = [*self.reports[-99:], report]
        self._report_seen.set()

    async def wait_for_dispatch(
        self,
        predicate: Callable[[DispatchReport], bool],
        timeout: float = 10.0,  # noqa: ASYNC109 - like asyncio.wait_for
    ) -> DispatchReport:
        """The first dispatch pass (already seen or still to come) matching ``predicate``."""

        async def wait() -> DispatchReport:
            while True:
                for report in self.reports:
                    if predicate(report):
                        return report
                self._report_seen.clear()
                await self._report_seen.wait()

        return await asyncio.wait_for(wait(), timeout)

    async def _extend_series(self, fired: list[Reminder]) -> None:
        """After a series' occurrence was reminded, plan the occurrences after it."""
        series = {
            (r.guild_id, r.meeting_id)
            for r in fired
            if r.kind == "meeting" and not r.slot.startswith("m:0:")
        }
        for guild_id, meeting_id in series:
            await self.reminders.sync_meeting(guild_id, meeting_id)

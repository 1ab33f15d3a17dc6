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

Exactly once across the fleet
-----------------------------
Several processes (each running some of Discord's shards) share one PostgreSQL database.
Each dispatcher looks only at its ``scope``'s guilds (``ShardScope.sql_filter``), and step
1 is a claim under its ``worker_id`` with a lease (``bot.storage.timer_claims``: ``SELECT
... FOR UPDATE SKIP LOCKED`` then ``UPDATE ... SET state = 'sending', claimed_by,
lease_until``): of two processes whose scopes overlap (a rolling restart, two shard sets
configured over the same guild) one takes a row, the other passes over it. Steps 3 and
the retry touch only rows the worker still holds. A process that dies after 1 leaves its
rows "sending" under its name: another process takes them once the lease has run out
and re-sends with the same nonces (step 2's argument again); the same process restarted
(the same shards, so the same ``worker_id``) releases its own claims at start and takes
them at once, as a lone process always did.

The lease: 3 minutes by default (``DEFAULT_LEASE_SECONDS``), always longer than one
send's timeout (60 s, checked at construction). Short, so a dead process's reminders are
late by minutes at most (inside a reminder's late window) and a re-send after a takeover
still falls within the few minutes Discord remembers a nonce. A live process never loses
a claim mid-pass: a batch (up to 1000 rows, 50 sends at a time, each up to 60 s) can
take longer than one lease, so while its sends last the pass renews the lease of its
rows every third of a lease (``_keep_claims``). Only a process stalled for a whole lease
(its event loop blocked minutes) could lose rows to another, and then the nonces still
hold a repeat to one message while Discord remembers them.

The same machinery, other rows
------------------------------
``TimerDispatcher`` is that dispatcher over any table of timer rows with the same life
(``ClaimedTimerTable`` in ``bot.storage.timer_claims``: next fire time, due rows, claim,
finish, retry): ``ReminderScheduler`` runs it over meeting reminders, and the outcomes
area over its own timers (outcome threads, the summary, action reminders), each with its
own APScheduler job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Generic, Protocol, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services.common.clock import Clock
from bot.services.meetings.reminders import ReminderService, Verdict
from bot.storage.fleet import EVERYTHING, ShardScope
from bot.storage.meetings.models import Reminder
from bot.storage.store import Store
from bot.storage.timer_claims import DEFAULT_LEASE_SECONDS, ClaimedTimerTable

log = logging.getLogger(__name__)

SendCallback = Callable[[Reminder], Awaitable[None]]
DISPATCH_JOB_ID = "agora-reminders-dispatch"
REFRESH_JOB_ID = "agora-reminders-refresh-recurring"


class TimerRow(Protocol):
    """What the dispatcher reads of a row: its id and how often it was tried."""

    @property
    def id(self) -> int: ...

    @property
    def attempts(self) -> int: ...


RowT = TypeVar("RowT", bound=TimerRow)


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


class TimerDispatcher(Generic[RowT]):
    """Arms APScheduler from timer rows and dispatches them, exactly once per target.

    ``verdict(row, now)`` decides what to do with a row that has come due (sent, sent
    late, skipped); ``send(row)`` delivers it, idempotently through its nonces.
    ``scheduler``: pass the bot's AsyncIOScheduler to share it (it must be started by its
    owner), or leave None and this object owns one. ``job_id`` names its APScheduler job.
    ``scope``: the guilds whose rows it dispatches; ``worker_id``: the name it claims
    rows under (default ``scope.worker_id``), ``lease_seconds`` how long a claim holds.
    """

    name = "timers"

    def __init__(
        self,
        rows: ClaimedTimerTable[RowT],
        verdict: Callable[[RowT, datetime], Verdict],
        clock: Clock,
        send: Callable[[RowT], Awaitable[None]] | None = None,
        scheduler: AsyncIOScheduler | None = None,
        *,
        job_id: str,
        batch_size: int = 1000,
        concurrency: int = 50,
        send_timeout_seconds: float = 60.0,
        max_attempts: int = 5,
        retry_delay_seconds: int = 30,
        on_dispatch: Callable[[DispatchReport], None] | None = None,
        scope: ShardScope = EVERYTHING,
        worker_id: str | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> None:
        if lease_seconds <= send_timeout_seconds:
            raise ValueError("a claim's lease must outlast a send's timeout")
        self.rows = rows
        self.scope = scope
        self.worker_id = worker_id if worker_id is not None else scope.worker_id
        self.lease = timedelta(seconds=lease_seconds)
        self.verdict = verdict
        self.clock = clock
        self.send = send
        self.job_id = job_id
        self._owns_scheduler = scheduler is None
        self.scheduler = scheduler if scheduler is not None else AsyncIOScheduler(timezone=UTC)
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.send_timeout = send_timeout_seconds
        self.max_attempts = max_attempts
        self.retry_delay = timedelta(seconds=retry_delay_seconds)
        # Told after each pass has recorded its outcomes (metrics, tests, benchmark).
        self.on_dispatch = on_dispatch
        # The last dispatch passes, for logs and for tests that await a row's outcome.
        self.reports: list[DispatchReport] = []
        self._report_seen = asyncio.Event()
        self._armed_at: datetime | None = None
        self._dispatching = False
        self._running = False
        # The last pass: how many rows were due, and whether another process claimed
        # every one of them first (then what is still due is looked at again at once).
        self._last_due = 0
        self._contended = False
        self._idle = asyncio.Event()
        self._idle.set()

    # -- lifecycle ----------------------------------------------------------

    async def start(self, send: Callable[[RowT], Awaitable[None]] | None = None) -> None:
        """Arm the dispatcher from the rows; ``send`` delivers each one."""
        if send is not None:
            self.send = send
        if self.send is None:
            raise RuntimeError(f"the {self.name} dispatcher has nothing to send with")
        self._running = True
        if self._owns_scheduler and not self.scheduler.running:
            self.scheduler.start()
        # What this worker held when its previous life ended is taken again at once.
        released = await self.rows.release(self.worker_id)
        if released:
            log.info("%s: %d claimed before a restart, taken again", self.name, released)
        await self.before_arming()
        await self.rearm()

    async def before_arming(self) -> None:
        """What a subclass plans before the first arming (at each start)."""

    def job_ids(self) -> tuple[str, ...]:
        """The APScheduler jobs this dispatcher adds (removed by ``stop``)."""
        return (self.job_id,)

    async def stop(self) -> None:
        self._running = False
        for job_id in self.job_ids():
            if self.scheduler.get_job(job_id) is not None:
                self.scheduler.remove_job(job_id)
        await self._idle.wait()
        if self._owns_scheduler and self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def rearm(self, not_before: datetime | None = None) -> datetime | None:
        """Arm the dispatcher at the earliest live row; returns that time.

        ``not_before``: from inside a pass, a time already past (a row another process is
        claiming this instant) is armed a moment later, when this pass has ended; a job
        armed while its own job still runs would be skipped by APScheduler."""
        next_at = await self.rows.next_fire_at(self.scope)
        self._armed_at = None
        if next_at is not None:
            self._arm(next_at if not_before is None else max(next_at, not_before))
        elif self.scheduler.get_job(self.job_id) is not None:
            self.scheduler.remove_job(self.job_id)
        return next_at

    def wake(self, fire_at: datetime) -> None:
        """A row now fires at ``fire_at``: run the dispatcher then if that is earlier."""
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
            id=self.job_id,
            replace_existing=True,
            misfire_grace_time=None,  # never drop a pass: late rows are decided per row
            coalesce=True,
        )

    async def _run(self) -> None:
        if self._dispatching or not self._running:
            return
        self._dispatching = True
        self._idle.clear()
        try:
            try:
                # Rows that came due while a pass was sending (slow sends, a big burst) are
                # dispatched here, not by a job armed in the past: APScheduler would skip
                # that job as this one is still running, and nothing would re-arm it.
                while self._running and (await self.dispatch_all_due()).handled:
                    next_at = await self.rows.next_fire_at(self.scope)
                    if next_at is None or next_at > self.clock():
                        break
            except Exception:
                log.exception("%s dispatch failed; retrying shortly", self.name)
                self._dispatching = False
                self._arm(datetime.now(UTC) + timedelta(seconds=5))
                return
            finally:
                self._dispatching = False
            if self._running:
                await self.rearm(not_before=datetime.now(UTC) + timedelta(seconds=1))
        finally:
            # Only now: ``stop`` waits for the re-arming too, so the database is never
            # closed under it.
            self._idle.set()

    # -- dispatching --------------------------------------------------------

    async def dispatch_all_due(self) -> DispatchReport:
        """Run passes until nothing is due (for this worker: rows another process holds
        are its own to send)."""
        total = DispatchReport()
        while True:
            report = await self.dispatch_due()
            total.merge(report)
            if self._last_due < self.batch_size and not self._contended:
                return total

    async def dispatch_due(self) -> DispatchReport:
        """One pass: claim, decide, send and record every row due now (one batch)."""
        now = self.clock()
        due = await self.rows.due(now, self.batch_size, self.scope, self.worker_id)
        report = DispatchReport()
        self._last_due = len(due)
        self._contended = False
        if not due:
            return report
        taken = set(
            await self.rows.claim([row.id for row in due], now, self.worker_id, now + self.lease)
        )
        # Only what this worker now holds: the rest went to another process first.
        mine = [row for row in due if row.id in taken]
        self._contended = not mine
        verdicts: dict[int, Verdict] = {row.id: self.verdict(row, now) for row in mine}
        skipped: list[tuple[int, Verdict]] = [
            (row.id, "skipped") for row in mine if verdicts[row.id] == "skipped"
        ]
        await self.rows.finish(skipped, now, self.worker_id)
        report.skipped = [row_id for row_id, _ in skipped]
        sending = [row for row in mine if verdicts[row.id] != "skipped"]
        gate = asyncio.Semaphore(self.concurrency)

        async def deliver(row: RowT) -> BaseException | None:
            async with gate:
                try:
                    assert self.send is not None  # start() refuses to run without it
                    await asyncio.wait_for(self.send(row), self.send_timeout)
                except Exception as exc:  # one bad send must not stop the others
                    return exc
            return None

        keeper = asyncio.create_task(self._keep_claims([row.id for row in sending]))
        try:
            errors = await asyncio.gather(*(deliver(row) for row in sending))
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        finished_at = self.clock()
        outcomes: list[tuple[int, Verdict]] = []
        for row, error in zip(sending, errors, strict=True):
            if error is None:
                state = verdicts[row.id]
                outcomes.append((row.id, state))
                (report.sent if state == "sent" else report.late_sent).append(row.id)
                continue
            log.warning("%s %s failed to send: %r", self.name, row.id, error)
            report.failed.append(row.id)
            give_up = row.attempts + 1 >= self.max_attempts
            await self.rows.retry_later(
                row.id,
                repr(error),
                finished_at + self.retry_delay * (row.attempts + 1),
                give_up,
                finished_at,
                self.worker_id,
            )
        await self.rows.finish(outcomes, finished_at, self.worker_id)
        self._record(report)
        if self.on_dispatch is not None:
            self.on_dispatch(report)
        await self.after_pass(sending)
        return report

    async def _keep_claims(self, ids: list[int]) -> None:
        """Renew the lease on rows being sent a third of the way through it, for as long
        as the pass's sends last (a batch waiting on slow sends can outlast one lease)."""
        if not ids:
            return
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                held = await self.rows.renew(ids, self.worker_id, self.clock() + self.lease)
            except Exception:
                log.exception("%s: could not renew the claims of a pass", self.name)
                continue
            if held < len(ids):
                log.warning(
                    "%s: %d of %d claims lost mid-pass (this process stalled past a lease)",
                    self.name,
                    len(ids) - held,
                    len(ids),
                )

    async def after_pass(self, fired: list[RowT]) -> None:
        """What a subclass does after rows were sent (or tried)."""

    def _record(self, report: DispatchReport) -> None:
        log.info(
            "%s: %d sent, %d sent late, %d skipped, %d failed",
            self.name,
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


class ReminderScheduler(TimerDispatcher[Reminder]):
    """The dispatcher of meeting reminders; it also extends repeating meetings' reminders
    (at start, daily, and after one of a series' dates was reminded)."""

    name = "reminders"

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
        scope: ShardScope = EVERYTHING,
        worker_id: str | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> None:
        super().__init__(
            store.reminders,
            reminders.verdict,
            reminders.clock,
            send,
            scheduler,
            job_id=DISPATCH_JOB_ID,
            batch_size=batch_size,
            concurrency=concurrency,
            send_timeout_seconds=send_timeout_seconds,
            max_attempts=max_attempts,
            retry_delay_seconds=retry_delay_seconds,
            on_dispatch=on_dispatch,
            scope=scope,
            worker_id=worker_id,
            lease_seconds=lease_seconds,
        )
        self.store = store
        self.reminders = reminders
        reminders.subscribe(self.wake)

    async def before_arming(self) -> None:
        """Extend recurring meetings' reminders, and every day after."""
        await self.reminders.refresh_recurring()
        self.scheduler.add_job(
            self.reminders.refresh_recurring,
            "interval",
            hours=24,
            id=REFRESH_JOB_ID,
            replace_existing=True,
            coalesce=True,
        )

    def job_ids(self) -> tuple[str, ...]:
        return (DISPATCH_JOB_ID, REFRESH_JOB_ID)

    async def after_pass(self, fired: list[Reminder]) -> None:
        """After a series' occurrence was reminded, plan the occurrences after it."""
        series = {
            (r.guild_id, r.meeting_id)
            for r in fired
            if r.kind == "meeting" and not r.slot.startswith("m:0:")
        }
        for guild_id, meeting_id in series:
            await self.reminders.sync_meeting(guild_id, meeting_id)

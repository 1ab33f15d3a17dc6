"""Closes polls at their deadline, exactly once, across restarts.

The same durable-timer design as the reminders (``bot/services/meetings/
reminder_scheduler.py``): the database holds every deadline; APScheduler holds one
``date`` job armed at the earliest open poll's deadline, which closes everything due and
re-arms itself; a new poll with an earlier deadline wakes it early.

Exactly once: a poll is closed by ``claim_close`` (open -> closed in one statement), so
of the deadline, ``/poll close`` and any other process, one alone goes on to announce.
The announcement is recorded (``announced``) after it was posted; a poll closed but not
announced when Agora stopped is announced at the next start, with the same message
nonces, so Discord answers a repeat with the message it already has.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services.polls.service import PollService, PollView

log = logging.getLogger(__name__)

AnnounceCallback = Callable[[PollView], Awaitable[None]]
DEADLINE_JOB_ID = "agora-polls-deadline"
RETRY_SECONDS = 5


class PollDeadlines:
    """Arms APScheduler from the polls' deadlines and closes them (the polls cog starts it
    with its announcer and stops it)."""

    def __init__(self, polls: PollService, scheduler: AsyncIOScheduler) -> None:
        self.polls = polls
        self.scheduler = scheduler
        self.announce: AnnounceCallback | None = None
        self._armed_at: datetime | None = None
        self._running = False
        self._dispatching = False
        self._idle = asyncio.Event()
        self._idle.set()
        # Polls this dispatcher closed and announced, for logs and tests.
        self.closed: list[int] = []
        self._closed_seen = asyncio.Event()
        polls.subscribe(self.wake)

    async def start(self, announce: AnnounceCallback) -> None:
        """Announce what was closed but not announced, then arm at the next deadline."""
        self.announce = announce
        self._running = True
        for view in await self.polls.unannounced():
            await self.announce_closed(view)
        await self.rearm()

    async def stop(self) -> None:
        self._running = False
        if self.scheduler.get_job(DEADLINE_JOB_ID) is not None:
            self.scheduler.remove_job(DEADLINE_JOB_ID)
        await self._idle.wait()

    async def rearm(self) -> datetime | None:
        next_at = await self.polls.next_deadline()
        self._armed_at = None
        if next_at is not None:
            self._arm(next_at)
        elif self.scheduler.get_job(DEADLINE_JOB_ID) is not None:
            self.scheduler.remove_job(DEADLINE_JOB_ID)
        return next_at

    def wake(self, closes_at: datetime) -> None:
        """A poll now closes at ``closes_at``: run then if that is earlier than armed."""
        if not self._running or self._dispatching:
            return  # a running pass re-arms from the database when it ends
        if self._armed_at is None or closes_at < self._armed_at:
            self._arm(closes_at)

    def _arm(self, at: datetime) -> None:
        self._armed_at = at
        self.scheduler.add_job(
            self._run,
            "date",
            run_date=at,
            id=DEADLINE_JOB_ID,
            replace_existing=True,
            misfire_grace_time=None,  # a deadline passed while away still closes the poll
            coalesce=True,
        )

    async def _run(self) -> None:
        if self._dispatching or not self._running:
            return
        self._dispatching = True
        self._idle.clear()
        try:
            await self.close_due()
        except Exception:
            log.exception("closing polls at their deadline failed; retrying shortly")
            self._dispatching = False
            self._arm(datetime.now(UTC) + timedelta(seconds=RETRY_SECONDS))
            return
        finally:
            self._dispatching = False
            self._idle.set()
        if self._running:
            await self.rearm()

    async def close_due(self) -> list[int]:
        """Close and announce every poll whose deadline has come; the ids closed here."""
        closed: list[int] = []
        while True:
            batch = await self.polls.close_due()
            for view in batch:
                await self.announce_closed(view)
                closed.append(view.poll.id)
            if not batch:
                return closed

    async def announce_closed(self, view: PollView) -> None:
        """Post the result of a poll just closed, then record that it was posted."""
        assert self.announce is not None  # start() sets it
        try:
            await self.announce(view)
        except Exception:
            # Closed but not announced: the next start announces it (same nonces).
            log.exception("could not announce the result of poll %s", view.poll.id)
            return
        await self.polls.mark_announced(view.poll.id)
        self.closed.append(view.poll.id)
        self._closed_seen.set()

    async def wait_closed(self, poll_id: int, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Until this dispatcher has closed and announced ``poll_id`` (tests, logs)."""

        async def wait() -> None:
            while poll_id not in self.closed:
                self._closed_seen.clear()
                await self._closed_seen.wait()

        await asyncio.wait_for(wait(), timeout)

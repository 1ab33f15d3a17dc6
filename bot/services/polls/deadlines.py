"""Closes polls at their deadline, exactly once, across restarts and across the fleet.

The reminders' dispatcher (``TimerDispatcher``, ``bot/services/meetings/
reminder_scheduler.py``) over the polls (``bot.storage.polls.deadlines``): the database
holds every deadline; APScheduler holds one ``date`` job armed at the earliest open
poll's deadline, which closes everything due and re-arms itself; a new poll with an
earlier deadline wakes it early. Its claim, lease and scope are the reminders' too: a
process closes only its own shards' polls, and of several processes one alone takes a
poll.

Exactly once: a poll is closed by the claim (open -> closed in the statement that takes
it, or ``claim_close`` for ``/poll close``), so of the deadline, ``/poll close`` and any
other process, one alone goes on to announce. The announcement is recorded
(``announced``) after it was posted; a poll closed but not announced (Agora stopped in
between, or the post failed) is taken again by whichever process serves its guild once
the lease has run out (at once by the same process restarted) and announced with the
same message nonces, so Discord answers a repeat with the message it already has. A
post that keeps failing is retried like a reminder and given up after ``max_attempts``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services.meetings.reminder_scheduler import TimerDispatcher
from bot.services.meetings.reminders import Verdict
from bot.services.polls.service import PollService, PollView
from bot.storage.fleet import EVERYTHING, ShardScope
from bot.storage.polls.models import PollDeadline

log = logging.getLogger(__name__)

AnnounceCallback = Callable[[PollView], Awaitable[None]]
DEADLINE_JOB_ID = "agora-polls-deadline"


def _always_on_time(poll: PollDeadline, now: datetime) -> Verdict:
    """A deadline passed while Agora was away still closes the poll and announces it."""
    return "sent"


class PollDeadlines(TimerDispatcher[PollDeadline]):
    """Arms APScheduler from the polls' deadlines and closes them (the polls cog starts it
    with its announcer and stops it)."""

    name = "poll deadlines"

    def __init__(
        self,
        polls: PollService,
        scheduler: AsyncIOScheduler | None = None,
        *,
        announce: AnnounceCallback | None = None,
        scope: ShardScope = EVERYTHING,
        worker_id: str | None = None,
    ) -> None:
        super().__init__(
            polls.store.poll_deadlines,
            _always_on_time,
            polls.clock,
            self._announce_row,
            scheduler,
            job_id=DEADLINE_JOB_ID,
            batch_size=100,
            scope=scope,
            worker_id=worker_id,
        )
        self.polls = polls
        # Posts a closed poll's result (the polls cog's, given at start).
        self.announce = announce
        # Polls this process closed (or found closed) and announced, for logs and tests.
        self.closed: list[int] = []
        self._closed_seen = asyncio.Event()
        polls.subscribe(self.wake)

    async def start(  # type: ignore[override]
        self, announce: AnnounceCallback | None = None
    ) -> None:
        """Arm at the next deadline (or at once for what was closed but not announced);
        ``announce`` posts a poll's result."""
        if announce is not None:
            self.announce = announce
        if self.announce is None:
            raise RuntimeError("the poll deadlines have nothing to announce with")
        await super().start()

    async def _announce_row(self, row: PollDeadline) -> None:
        if self.announce is None:
            raise RuntimeError("the poll deadlines have nothing to announce with")
        await self.announce(await self.polls.view(row.guild_id, row.id))

    async def after_pass(self, fired: list[PollDeadline]) -> None:
        announced = set(self.reports[-1].sent) if self.reports else set()
        self._seen([row.id for row in fired if row.id in announced])

    async def close_due(self) -> list[int]:
        """Close and announce every poll of this scope whose deadline has come; the ids
        this call announced."""
        report = await self.dispatch_all_due()
        return report.sent

    async def announce_closed(self, view: PollView) -> None:
        """Post the result of a poll ``/poll close`` just closed, then record it posted.
        Should the post fail, the poll is left to the dispatchers after its lease."""
        if self.announce is None:
            raise RuntimeError("the poll deadlines have nothing to announce with")
        try:
            await self.announce(view)
        except Exception:
            log.exception("could not announce the result of poll %s", view.poll.id)
            return
        await self.polls.mark_announced(view.poll.id)
        self._seen([view.poll.id])

    def _seen(self, poll_ids: list[int]) -> None:
        if poll_ids:
            self.closed.extend(poll_ids)
            self._closed_seen.set()

    async def wait_closed(self, poll_id: int, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Until this dispatcher has closed and announced ``poll_id`` (tests, logs)."""

        async def wait() -> None:
            while poll_id not in self.closed:
                self._closed_seen.clear()
                await self._closed_seen.wait()

        await asyncio.wait_for(wait(), timeout)

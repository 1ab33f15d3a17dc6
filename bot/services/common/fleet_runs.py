"""Named runs done once across the fleet: a guild's weekly digest, its daily nudges.

Every process runs the digest and nudge jobs over its own guilds; before a guild's run it
claims the run's key in the database (``bot.storage.fleet_claims``), and goes on only if
it got it. While the run lasts its lease is renewed, so a live process never loses it; a
process that dies mid-run leaves the key to whoever tries after the lease (``retry_at``
tells a caller who found the key held when to try again), and a done key is never taken
again. The same worker (a process restarted with the same shards) takes its own key back
at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from bot.services.common.clock import Clock, utc_now
from bot.storage.store import Store
from bot.storage.timer_claims import DEFAULT_LEASE_SECONDS, DEFAULT_WORKER

log = logging.getLogger(__name__)

T = TypeVar("T")
# Done runs are kept this long (a week's digest key is looked at only that week).
KEEP_DONE = timedelta(days=30)


@dataclass(frozen=True)
class RunOutcome(Generic[T]):
    """What ``run_once`` did: ran (with the work's value), found the run done already, or
    found it held by another live process (try again at ``retry_at``)."""

    ran: bool
    value: T | None = None
    done_before: bool = False
    retry_at: datetime | None = None


class FleetRuns:
    """Runs work under a key at most once across the processes sharing the database."""

    def __init__(
        self,
        store: Store,
        worker: str = DEFAULT_WORKER,
        clock: Clock = utc_now,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> None:
        self.claims = store.fleet_claims
        self.worker = worker
        self.clock = clock
        self.lease = timedelta(seconds=lease_seconds)

    async def run_once(self, key: str, work: Callable[[], Awaitable[T]]) -> RunOutcome[T]:
        """Claim ``key`` and run ``work``; marked done when it returns. When it raises the
        key stays claimed until its lease ends, then anyone may take it over."""
        now = self.clock()
        if not await self.claims.claim(key, self.worker, now, now + self.lease):
            held = await self.claims.get(key)
            if held is None or held.done_at is not None:
                return RunOutcome(ran=False, done_before=True)
            return RunOutcome(ran=False, retry_at=held.lease_until)
        keeper = asyncio.create_task(self._keep(key))
        try:
            value = await work()
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        finished = self.clock()
        if not await self.claims.done(key, self.worker, finished):
            log.warning("%s: the claim on %s was lost before the run finished", self.worker, key)
        await self.claims.prune(finished - KEEP_DONE)
        return RunOutcome(ran=True, value=value)

    async def _keep(self, key: str) -> None:
        """Renew the lease a third of the way through it, for as long as the run lasts."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                if not await self.claims.renew(key, self.worker, self.clock() + self.lease):
                    log.warning("%s: lost the claim on %s mid-run", self.worker, key)
                    return
            except Exception:
                log.exception("could not renew the claim on %s", key)

"""Message activity, counted in memory and written in batches.

Gateway events arrive far faster than one transaction each could keep up with
(≥ 5,000 messages/s), so ``record_message`` only touches dictionaries and a
background task writes everything gathered every ``flush_interval`` seconds in
one transaction. A crash loses at most the last interval; ``close()`` flushes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.services.common.clock import Clock, utc_now
from bot.storage.discussions.activity import ActivityRepository
from bot.storage.discussions.models import ActivityBatch, to_epoch
from bot.storage.discussions.repository import DiscussionRepository, hour_of
from bot.storage.fleet import EVERYTHING, ShardScope

log = logging.getLogger(__name__)

# Hour buckets serve "most active this day/week/month" and the weekly digest;
# older ones are deleted (all-time totals live on the thread itself).
BUCKET_RETENTION = timedelta(days=35)
_PRUNE_EVERY_SECONDS = 3600.0

ThreadKey = tuple[int, int]  # (guild_id, thread_id)


@dataclass
class _ThreadTally:
    messages: int = 0
    last_at: int = 0
    # user_id -> [messages, first_at, last_at]; lists so updates need no new objects.
    participants: dict[int, list[int]] = field(default_factory=dict)


class ActivityAccumulator:
    """Counts messages per thread, per participant and per hour; O(1) per message.

    Pure bookkeeping, no I/O: ``drain()`` hands the tallies over as an
    ActivityBatch and starts afresh.
    """

    def __init__(self) -> None:
        self._threads: dict[ThreadKey, _ThreadTally] = {}
        self._hours: dict[tuple[int, int, int], int] = {}
        self.pending_messages = 0

    def add(self, guild_id: int, thread_id: int, author_id: int, at: int) -> None:
        key = (guild_id, thread_id)
        tally = self._threads.get(key)
        if tally is None:
            tally = self._threads[key] = _ThreadTally()
        tally.messages += 1
        if at > tally.last_at:
            tally.last_at = at
        seen = tally.participants.get(author_id)
        if seen is None:
            tally.participants[author_id] = [1, at, at]
        else:
            seen[0] += 1
            if at < seen[1]:
                seen[1] = at
            if at > seen[2]:
                seen[2] = at
        hour = (guild_id, thread_id, hour_of(at))
        self._hours[hour] = self._hours.get(hour, 0) + 1
        self.pending_messages += 1

    def drain(self) -> ActivityBatch:
        threads, hours = self._threads, self._hours
        self._threads, self._hours = {}, {}
        self.pending_messages = 0
        return ActivityBatch(
            threads=[
                (tally.messages, tally.last_at, guild_id, thread_id)
                for (guild_id, thread_id), tally in threads.items()
            ],
            participants=[
                (guild_id, thread_id, user_id, seen[0], seen[1], seen[2])
                for (guild_id, thread_id), tally in threads.items()
                for user_id, seen in tally.participants.items()
            ],
            hours=[(*hour, messages) for hour, messages in hours.items()],
        )

    def restore(self, batch: ActivityBatch) -> None:
        """Put a batch that could not be written back, to be retried next flush."""
        for messages, last_at, guild_id, thread_id in batch.threads:
            tally = self._threads.setdefault((guild_id, thread_id), _ThreadTally())
            tally.messages += messages
            tally.last_at = max(tally.last_at, last_at)
            self.pending_messages += messages
        for guild_id, thread_id, user_id, messages, first_at, last_at in batch.participants:
            tally = self._threads.setdefault((guild_id, thread_id), _ThreadTally())
            seen = tally.participants.setdefault(user_id, [0, first_at, last_at])
            seen[0] += messages
            seen[1] = min(seen[1], first_at)
            seen[2] = max(seen[2], last_at)
        for guild_id, thread_id, hour_start, messages in batch.hours:
            hour = (guild_id, thread_id, hour_start)
            self._hours[hour] = self._hours.get(hour, 0) + messages

    def discard_user(self, guild_id: int, user_id: int) -> None:
        """Drop pending participation of a user being forgotten; their counts stay."""
        for (tally_guild, _), tally in self._threads.items():
            if tally_guild == guild_id:
                tally.participants.pop(user_id, None)


@dataclass(frozen=True)
class FlushResult:
    messages: int
    threads: int
    participants: int
    hours: int


class ActivityService:
    """Records messages in tracked discussions and flushes them periodically.

    ``start()`` loads which threads are discussions and starts the flush task;
    the discussion service calls ``track``/``untrack`` as threads come and go.
    """

    def __init__(
        self,
        activity: ActivityRepository,
        discussions: DiscussionRepository,
        flush_interval_seconds: float,
        clock: Clock = utc_now,
    ) -> None:
        if flush_interval_seconds <= 0:
            raise ValueError("flush_interval_seconds must be positive")
        self._activity = activity
        self._discussions = discussions
        self.flush_interval_seconds = flush_interval_seconds
        self._pending = ActivityAccumulator()
        self._tracked: set[ThreadKey] = set()
        self._flush_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._flush_waiters: list[asyncio.Future[None]] = []
        self._clock = clock
        self._last_prune = float("-inf")  # so the first round prunes
        self.flushes = 0

    async def start(self, scope: ShardScope = EVERYTHING) -> None:
        """Load the tracked threads of ``scope``'s guilds and start flushing every interval."""
        self._tracked = set(await self._discussions.tracked_threads(scope))
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._flush_forever(), name="activity-flush")

    async def close(self) -> None:
        """Stop the flush task and write whatever is still pending."""
        if self._task is not None:
            # Asked to stop rather than cancelled: cancelling during a commit
            # would leave us unsure whether the batch was written.
            self._stopping.set()
            await self._task
            self._task = None
        await self.flush()

    def track(self, guild_id: int, thread_id: int) -> None:
        self._tracked.add((guild_id, thread_id))

    def untrack(self, guild_id: int, thread_id: int) -> None:
        self._tracked.discard((guild_id, thread_id))

    def is_tracked(self, guild_id: int, thread_id: int) -> bool:
        return (guild_id, thread_id) in self._tracked

    @property
    def pending_messages(self) -> int:
        return self._pending.pending_messages

    def record_message(
        self,
        guild_id: int,
        thread_id: int,
        author_id: int,
        at: datetime,
        message_id: int | None = None,
    ) -> bool:
        """Count a message posted in a thread; True if it was a discussion's reply.

        O(1) and never awaits. Messages outside discussions are ignored, and so
        is a forum post's opening message (its id is the thread's id), which
        Discord's own message_count does not count either.
        """
        return self.record_message_at(guild_id, thread_id, author_id, to_epoch(at), message_id)

    def record_message_at(
        self,
        guild_id: int,
        thread_id: int,
        author_id: int,
        at_epoch: int,
        message_id: int | None = None,
    ) -> bool:
        """``record_message`` with the time as Unix seconds (the gateway listener's hot path:
        no datetime is built for the many messages outside discussions)."""
        if message_id == thread_id or (guild_id, thread_id) not in self._tracked:
            return False
        self._pending.add(guild_id, thread_id, author_id, at_epoch)
        return True

    def discard_user(self, guild_id: int, user_id: int) -> None:
        """Forget pending participation of a user (their message counts stay)."""
        self._pending.discard_user(guild_id, user_id)

    async def flush(self) -> FlushResult:
        """Write everything pending in one transaction; kept for retry if it fails."""
        async with self._flush_lock:
            batch = self._pending.drain()
            if batch.is_empty():
                return FlushResult(0, 0, 0, 0)
            try:
                await self._activity.apply_batch(batch)
            except Exception:
                self._pending.restore(batch)
                raise
            self.flushes += 1
            return FlushResult(
                batch.message_count, len(batch.threads), len(batch.participants), len(batch.hours)
            )

    async def prune(self) -> int:
        """Delete activity buckets older than the retention; returns how many went."""
        cutoff = to_epoch(self._clock() - BUCKET_RETENTION)
        return await self._activity.prune_hours(cutoff)

    async def wait_for_flush(self) -> None:
        """Return after the flush task's next round (for tests and benchmarks)."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._flush_waiters.append(waiter)
        await waiter

    async def _flush_forever(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.flush_interval_seconds)
            try:
                await self.flush()
                loop_time = asyncio.get_running_loop().time()
                if loop_time - self._last_prune >= _PRUNE_EVERY_SECONDS:
                    self._last_prune = loop_time
                    await self.prune()
            except Exception:
                # Kept in memory and retried next time; a broken database must
                # not kill the loop that counts activity.
                log.exception("activity flush failed; will retry")
            waiters, self._flush_waiters = self._flush_waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

"""Repository: polls as the deadline dispatcher's timer rows, claimed across the fleet.

A poll's deadline lives like a reminder row (``bot.storage.timer_claims``): an open poll
whose ``closes_at`` has come is due; ``claim`` closes it (open -> closed, in the
statement that takes the row, so of the deadline, ``/poll close`` and every other
process exactly one closes it) and holds it under the worker until ``lease_until`` while
the result is posted; ``finish`` records it announced. A poll closed but not announced
(its holder died mid-post, or ``/poll close`` could not post) is due again once its lease
has run out, for whichever process serves its guild: the result goes out with the same
nonces, so Discord answers a repeat with the message it already has.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.storage.database import Database
from bot.storage.fleet import EVERYTHING, ShardScope
from bot.storage.polls.models import PollDeadline
from bot.storage.timer_claims import DEFAULT_WORKER, lease_or_default

_UNANNOUNCED = "state = 'closed' AND announced = 0"
_AVAILABLE = (
    "((state = 'open' AND closes_at IS NOT NULL AND closes_at <= ?)"
    f" OR ({_UNANNOUNCED} AND (lease_until <= ? OR claimed_by = ?)))"
)


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def _dt(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class PollDeadlineRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def next_fire_at(self, scope: ShardScope = EVERYTHING) -> datetime | None:
        """The earliest deadline of an open poll, or the earliest end of the lease on a
        poll closed and not announced, in ``scope``'s guilds."""
        where, params = scope.sql_filter()
        deadline = await self.db.fetch_one(
            "SELECT closes_at FROM polls WHERE state = 'open' AND closes_at IS NOT NULL"
            f"{where} ORDER BY closes_at LIMIT 1",
            params,
        )
        lease = await self.db.fetch_one(
            f"SELECT MIN(lease_until) FROM polls WHERE {_UNANNOUNCED}{where}", params
        )
        found = [int(row[0]) for row in (deadline, lease) if row is not None and row[0] is not None]
        return _dt(min(found)) if found else None

    async def due(
        self,
        now: datetime,
        limit: int = 100,
        scope: ShardScope = EVERYTHING,
        worker: str = DEFAULT_WORKER,
    ) -> list[PollDeadline]:
        """Polls of ``scope`` ``worker`` may claim now: those left unannounced first, then
        open ones by deadline."""
        where, params = scope.sql_filter()
        unannounced = await self.db.fetch_all(
            f"SELECT id, guild_id, attempts FROM polls WHERE {_UNANNOUNCED}"
            f" AND (lease_until <= ? OR claimed_by = ?){where} ORDER BY id LIMIT ?",
            [_ts(now), worker, *params, limit],
        )
        closing = await self.db.fetch_all(
            "SELECT id, guild_id, attempts FROM polls WHERE state = 'open'"
            f" AND closes_at IS NOT NULL AND closes_at <= ?{where} ORDER BY closes_at, id LIMIT ?",
            [_ts(now), *params, limit],
        )
        rows = [*unannounced, *closing][:limit]
        return [PollDeadline(id=row[0], guild_id=row[1], attempts=row[2]) for row in rows]

    async def claim(
        self,
        poll_ids: Sequence[int],
        now: datetime,
        worker: str = DEFAULT_WORKER,
        lease_until: datetime | None = None,
    ) -> list[int]:
        """Close the due open polls among ``poll_ids`` and take the unannounced ones whose
        lease ran out (or ``worker``'s own), all held by ``worker`` until ``lease_until``;
        the ids taken."""
        if not poll_ids:
            return []
        until = lease_or_default(now, lease_until)
        marks = ",".join("?" * len(poll_ids))
        async with self.db.transaction() as conn:
            async with conn.execute(
                f"SELECT id FROM polls WHERE id IN ({marks}) AND {_AVAILABLE}"
                " ORDER BY id /*FOR UPDATE SKIP LOCKED*/",
                [*poll_ids, _ts(now), _ts(now), worker],
            ) as cursor:
                claimed = [int(row[0]) for row in await cursor.fetchall()]
            await conn.executemany(
                "UPDATE polls SET closed_at = CASE WHEN state = 'open' THEN ? ELSE closed_at END,"
                " state = 'closed', claimed_by = ?, lease_until = ?, attempts = attempts + 1"
                " WHERE id = ?",
                [(_ts(now), worker, until, poll_id) for poll_id in claimed],
            )
        return claimed

    async def renew(self, poll_ids: Sequence[int], worker: str, lease_until: datetime) -> int:
        if not poll_ids:
            return 0
        marks = ",".join("?" * len(poll_ids))
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                f"UPDATE polls SET lease_until = ? WHERE id IN ({marks}) AND {_UNANNOUNCED}"
                " AND claimed_by = ?",
                [_ts(lease_until), *poll_ids, worker],
            )
            return cursor.rowcount

    async def release(self, worker: str) -> int:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                f"UPDATE polls SET lease_until = 0 WHERE {_UNANNOUNCED} AND claimed_by = ?",
                (worker,),
            )
            return cursor.rowcount

    async def finish(
        self, outcomes: Sequence[tuple[int, str]], now: datetime, worker: str = DEFAULT_WORKER
    ) -> None:
        """The results of these polls ``worker`` holds were posted."""
        if not outcomes:
            return
        async with self.db.transaction() as conn:
            await conn.executemany(
                f"UPDATE polls SET announced = 1 WHERE id = ? AND {_UNANNOUNCED}"
                " AND claimed_by = ?",
                [(poll_id, worker) for poll_id, _ in outcomes],
            )

    async def retry_later(
        self,
        poll_id: int,
        error: str,
        retry_at: datetime,
        give_up: bool,
        now: datetime,
        worker: str = DEFAULT_WORKER,
    ) -> None:
        """Posting the result failed: free for anyone at ``retry_at`` (the poll stays
        closed), or, giving up, recorded as announced so it is not tried again."""
        async with self.db.transaction() as conn:
            if give_up:
                await conn.execute(
                    f"UPDATE polls SET announced = 1 WHERE id = ? AND {_UNANNOUNCED}"
                    " AND claimed_by = ?",
                    (poll_id, worker),
                )
            else:
                await conn.execute(
                    "UPDATE polls SET lease_until = ?, claimed_by = NULL"
                    f" WHERE id = ? AND {_UNANNOUNCED} AND claimed_by = ?",
                    (_ts(retry_at), poll_id, worker),
                )

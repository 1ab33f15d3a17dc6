"""The claim of timer rows across the fleet: the SQL the timer tables share.

A timer table (``reminders``, ``outcome_timers``) holds rows that live pending ->
sending -> sent | late_sent | skipped, with ``fire_at``, ``attempts``, ``last_error``,
``sending_at``, ``finished_at``, ``claimed_by`` and ``lease_until`` (migration 015).

A row is *available* to a worker (``ShardScope.worker_id``, or a test's own name) when it
is pending, or "sending" with an expired lease (its holder died mid-send), or "sending"
held by that worker itself (its own previous life, or a pass of its own that failed
before finishing). ``claim`` takes exactly the available rows among those asked for, in
one transaction: on PostgreSQL ``SELECT ... FOR UPDATE SKIP LOCKED`` passes over rows
another process is claiming at that moment, and the ``UPDATE`` that follows marks them
"sending" under this worker until ``lease_until``. Another process sees them again only
after that moment. On SQLite the same text runs (the lock clause is a comment there:
one process is the only writer, and its transactions are serialised).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.storage.database import Database, Row
from bot.storage.fleet import EVERYTHING, ShardScope

# Who claims when no worker is named: the one process serving everything.
DEFAULT_WORKER = EVERYTHING.worker_id
# A claim's lease when none is given (the dispatchers pass theirs, see
# ``bot/services/meetings/reminder_scheduler.py``).
DEFAULT_LEASE_SECONDS = 180

AVAILABLE = "(state = 'pending' OR lease_until <= ? OR claimed_by = ?)"


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def _dt(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def lease_or_default(now: datetime, lease_until: datetime | None) -> int:
    """``lease_until`` in Unix seconds, or the default lease from ``now``."""
    if lease_until is None:
        return _ts(now) + DEFAULT_LEASE_SECONDS
    return _ts(lease_until)


class TimerClaims:
    """Next fire time, due rows, claim, renew, release, finish and retry of one table."""

    def __init__(self, db: Database, table: str, columns: str) -> None:
        self.db = db
        self.table = table
        self.columns = columns

    async def next_fire_at(self, scope: ShardScope = EVERYTHING) -> datetime | None:
        """When the dispatcher of ``scope`` should look next: the earliest pending row's
        fire time, or the earliest end of a claim's lease (a row another process holds is
        free again then), whichever comes first; None when nothing is live."""
        where, params = scope.sql_filter()
        pending = await self.db.fetch_one(
            f"SELECT fire_at FROM {self.table} WHERE state IN ('pending', 'sending')"
            f" AND state = 'pending'{where} ORDER BY fire_at LIMIT 1",
            params,
        )
        claimed = await self.db.fetch_one(
            f"SELECT MIN(lease_until) FROM {self.table} WHERE state = 'sending'{where}", params
        )
        found = [
            int(row[0]) for row in (pending, claimed) if row is not None and row[0] is not None
        ]
        return _dt(min(found)) if found else None

    async def due(self, now: datetime, limit: int, scope: ShardScope, worker: str) -> list[Row]:
        """Rows of ``scope`` whose fire time has come and that ``worker`` may claim,
        earliest first (an index scan of the table's live rows by fire time)."""
        where, params = scope.sql_filter()
        return await self.db.fetch_all(
            f"SELECT {self.columns} FROM {self.table} WHERE state IN ('pending', 'sending')"
            f" AND fire_at <= ? AND {AVAILABLE}{where} ORDER BY fire_at, id LIMIT ?",
            [_ts(now), _ts(now), worker, *params, limit],
        )

    async def claim(
        self, ids: Sequence[int], now: datetime, worker: str, lease_until: datetime | None
    ) -> list[int]:
        """Mark the available rows among ``ids`` "sending" under ``worker`` until
        ``lease_until`` (committed before any send); the ids taken."""
        if not ids:
            return []
        until = lease_or_default(now, lease_until)
        marks = ",".join("?" * len(ids))
        async with self.db.transaction() as conn:
            async with conn.execute(
                f"SELECT id FROM {self.table} WHERE id IN ({marks})"
                f" AND state IN ('pending', 'sending') AND fire_at <= ? AND {AVAILABLE}"
                " ORDER BY id /*FOR UPDATE SKIP LOCKED*/",
                [*ids, _ts(now), _ts(now), worker],
            ) as cursor:
                claimed = [int(row[0]) for row in await cursor.fetchall()]
            await conn.executemany(
                f"UPDATE {self.table} SET state = 'sending', sending_at = ?, claimed_by = ?,"
                " lease_until = ?, attempts = attempts + 1 WHERE id = ?",
                [(_ts(now), worker, until, row_id) for row_id in claimed],
            )
        return claimed

    async def renew(self, ids: Sequence[int], worker: str, lease_until: datetime) -> int:
        """Extend ``worker``'s claim on those of ``ids`` it still holds; how many."""
        if not ids:
            return 0
        marks = ",".join("?" * len(ids))
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                f"UPDATE {self.table} SET lease_until = ? WHERE id IN ({marks})"
                " AND state = 'sending' AND claimed_by = ?",
                [_ts(lease_until), *ids, worker],
            )
            return cursor.rowcount

    async def release(self, worker: str) -> int:
        """End every lease ``worker`` holds (it starts again: what it had claimed died
        with its previous life and is taken again at once); how many rows."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                f"UPDATE {self.table} SET lease_until = 0"
                " WHERE state = 'sending' AND claimed_by = ?",
                (worker,),
            )
            return cursor.rowcount

    async def finish(self, outcomes: Sequence[tuple[int, str]], now: datetime, worker: str) -> None:
        """Record final states of rows ``worker`` holds (one it lost to another process
        after its lease is that process's to finish)."""
        if not outcomes:
            return
        async with self.db.transaction() as conn:
            await conn.executemany(
                f"UPDATE {self.table} SET state = ?, finished_at = ?"
                " WHERE id = ? AND state = 'sending' AND claimed_by = ?",
                [(state, _ts(now), row_id, worker) for row_id, state in outcomes],
            )

    async def retry_later(
        self,
        row_id: int,
        error: str,
        retry_at: datetime,
        give_up: bool,
        now: datetime,
        worker: str,
    ) -> None:
        """After a failed send of a row ``worker`` holds: back to pending for
        ``retry_at`` (for whichever process looks then), or skipped when giving up."""
        async with self.db.transaction() as conn:
            if give_up:
                await conn.execute(
                    f"UPDATE {self.table} SET state = 'skipped', last_error = ?, finished_at = ?"
                    " WHERE id = ? AND state = 'sending' AND claimed_by = ?",
                    (error[:500], _ts(now), row_id, worker),
                )
            else:
                await conn.execute(
                    f"UPDATE {self.table} SET state = 'pending', last_error = ?, fire_at = ?,"
                    " claimed_by = NULL, lease_until = NULL"
                    " WHERE id = ? AND state = 'sending' AND claimed_by = ?",
                    (error[:500], _ts(retry_at), row_id, worker),
                )

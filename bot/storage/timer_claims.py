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

Each table's repository extends :class:`ClaimedTimerTable`, which writes every one of
these operations once. The polls (``bot.storage.polls.deadlines``) are timer rows of
another life (open -> closed, then announced): they name their own conditions and
write only what differs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import ClassVar, Generic, TypeVar

from bot.storage.database import Database, Row
from bot.storage.fleet import EVERYTHING, ShardScope

# Who claims when no worker is named: the one process serving everything.
DEFAULT_WORKER = EVERYTHING.worker_id
# A claim's lease when none is given (the dispatchers pass theirs, see
# ``bot/services/meetings/reminder_scheduler.py``).
DEFAULT_LEASE_SECONDS = 180

RowT = TypeVar("RowT")

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


class ClaimedTimerTable(ABC, Generic[RowT]):
    """A table of timer rows claimed across the fleet, the dispatcher's rows
    (``TimerDispatcher``, ``bot/services/meetings/reminder_scheduler.py``): next fire
    time, due rows, claim, renew, release, finish and retry.

    A subclass names its ``table``, the ``columns`` its ``_row`` reads, and, where its
    rows live otherwise than pending -> sending -> a final state, the conditions below.
    """

    table: ClassVar[str]
    # What ``due`` reads of a row (``_row`` makes it the repository's dataclass).
    columns: ClassVar[str]
    # Rows waiting for their fire time (the column ``fire_at``).
    waiting: ClassVar[str] = "state IN ('pending', 'sending') AND state = 'pending'"
    fire_at: ClassVar[str] = "fire_at"
    # Rows under a claim: ``claimed_by`` holds them until ``lease_until``.
    held: ClassVar[str] = "state = 'sending'"
    # Rows a worker may claim now; its parameters: now, now, the worker.
    available: ClassVar[str] = f"state IN ('pending', 'sending') AND fire_at <= ? AND {AVAILABLE}"
    # What a claim sets; its parameters: now, the worker, the end of the lease.
    take: ClassVar[str] = (
        "state = 'sending', sending_at = ?, claimed_by = ?, lease_until = ?,"
        " attempts = attempts + 1"
    )

    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    @abstractmethod
    def _row(row: Row) -> RowT:
        """The repository's dataclass of a row read with ``columns``."""

    async def next_fire_at(self, scope: ShardScope = EVERYTHING) -> datetime | None:
        """When the dispatcher of ``scope`` should look next: the earliest waiting row's
        fire time, or the earliest end of a claim's lease (a row another process holds is
        free again then), whichever comes first; None when nothing is live."""
        where, params = scope.sql_filter()
        waiting = await self.db.fetch_one(
            f"SELECT {self.fire_at} FROM {self.table} WHERE {self.waiting}{where}"
            f" ORDER BY {self.fire_at} LIMIT 1",
            params,
        )
        claimed = await self.db.fetch_one(
            f"SELECT MIN(lease_until) FROM {self.table} WHERE {self.held}{where}", params
        )
        found = [
            int(row[0]) for row in (waiting, claimed) if row is not None and row[0] is not None
        ]
        return _dt(min(found)) if found else None

    async def due(
        self,
        now: datetime,
        limit: int = 500,
        scope: ShardScope = EVERYTHING,
        worker: str = DEFAULT_WORKER,
    ) -> list[RowT]:
        """Rows of ``scope`` whose fire time has come and that ``worker`` may claim
        (pending, or "sending" with an expired lease or held by ``worker``), earliest
        first (an index scan of the table's live rows by fire time)."""
        where, params = scope.sql_filter()
        rows = await self.db.fetch_all(
            f"SELECT {self.columns} FROM {self.table} WHERE {self.available}{where}"
            " ORDER BY fire_at, id LIMIT ?",
            [_ts(now), _ts(now), worker, *params, limit],
        )
        return [self._row(row) for row in rows]

    async def claim(
        self,
        ids: Sequence[int],
        now: datetime,
        worker: str = DEFAULT_WORKER,
        lease_until: datetime | None = None,
    ) -> list[int]:
        """Take the available rows among ``ids`` for ``worker`` until ``lease_until``
        (committed before any send); the ids taken. A row another worker holds whose
        lease has not run out is left to it; one of ``worker``'s own (its previous life
        died mid-send) is taken again: its send is repeated with the same nonces."""
        if not ids:
            return []
        until = lease_or_default(now, lease_until)
        marks = ",".join("?" * len(ids))
        async with self.db.transaction() as conn:
            async with conn.execute(
                f"SELECT id FROM {self.table} WHERE id IN ({marks}) AND {self.available}"
                " ORDER BY id /*FOR UPDATE SKIP LOCKED*/",
                [*ids, _ts(now), _ts(now), worker],
            ) as cursor:
                claimed = [int(row[0]) for row in await cursor.fetchall()]
            await conn.executemany(
                f"UPDATE {self.table} SET {self.take} WHERE id = ?",
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
                f" AND {self.held} AND claimed_by = ?",
                [_ts(lease_until), *ids, worker],
            )
            return cursor.rowcount

    async def release(self, worker: str) -> int:
        """End every lease ``worker`` holds (it starts again: what it had claimed died
        with its previous life and is taken again at once); how many rows."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                f"UPDATE {self.table} SET lease_until = 0 WHERE {self.held} AND claimed_by = ?",
                (worker,),
            )
            return cursor.rowcount

    async def finish(
        self, outcomes: Sequence[tuple[int, str]], now: datetime, worker: str = DEFAULT_WORKER
    ) -> None:
        """Record final states (sent, late_sent, skipped) of rows ``worker`` holds (one it
        lost to another process after its lease is that process's to finish)."""
        await self._update_held(
            "state = ?, finished_at = ?",
            [(state, _ts(now), row_id) for row_id, state in outcomes],
            worker,
        )

    async def retry_later(
        self,
        row_id: int,
        error: str,
        retry_at: datetime,
        give_up: bool,
        now: datetime,
        worker: str = DEFAULT_WORKER,
    ) -> None:
        """After a failed send of a row ``worker`` holds: back to pending for
        ``retry_at`` (for whichever process looks then), or skipped when giving up."""
        if give_up:
            await self._update_held(
                "state = 'skipped', last_error = ?, finished_at = ?",
                [(error[:500], _ts(now), row_id)],
                worker,
            )
        else:
            await self._update_held(
                "state = 'pending', last_error = ?, fire_at = ?,"
                " claimed_by = NULL, lease_until = NULL",
                [(error[:500], _ts(retry_at), row_id)],
                worker,
            )

    async def _update_held(
        self, assignments: str, rows: Sequence[tuple[object, ...]], worker: str
    ) -> None:
        """``SET assignments`` on each row (its values, then its id) ``worker`` still
        holds, in one transaction."""
        if not rows:
            return
        async with self.db.transaction() as conn:
            await conn.executemany(
                f"UPDATE {self.table} SET {assignments}"
                f" WHERE id = ? AND {self.held} AND claimed_by = ?",
                [(*row, worker) for row in rows],
            )

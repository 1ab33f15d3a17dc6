"""Repository: the outcomes area's durable timers, sent by the reminder dispatcher.

The same life as a meeting reminder's row (``bot.storage.meetings.reminders``): pending ->
sending -> sent | late_sent, or pending -> skipped | cancelled. "sending" is committed
(under the claiming worker, with a lease: ``bot.storage.timer_claims``) before anything
goes out, so after a crash the send is repeated with the same nonces.
At most one live row per (meeting, slot).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.storage.fleet import EVERYTHING, ShardScope
from bot.storage.outcomes.models import NewTimer, OutcomeTimer
from bot.storage.timer_claims import ClaimedTimerTable

_COLUMNS = (
    "id, guild_id, meeting_id, outcome_id, kind, slot, due_at, fire_at, stale_at, state, attempts"
)


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def _dt(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _timer(row: Any) -> OutcomeTimer:
    return OutcomeTimer(
        id=row[0],
        guild_id=row[1],
        meeting_id=row[2],
        outcome_id=row[3],
        kind=row[4],
        slot=row[5],
        due_at=_dt(row[6]),
        fire_at=_dt(row[7]),
        stale_at=_dt(row[8]),
        state=row[9],
        attempts=row[10],
    )


class OutcomeTimerRepository(ClaimedTimerTable[OutcomeTimer]):
    table = "outcome_timers"
    columns = _COLUMNS
    _row = staticmethod(_timer)

    # -- planning -------------------------------------------------------------

    async def apply_plan(
        self,
        create: Sequence[NewTimer],
        retime: Sequence[tuple[int, datetime, datetime]],
        cancel: Sequence[int],
        now: datetime,
    ) -> list[int]:
        """Insert, re-time (id, due, stale) and cancel timers in one transaction; the ids
        created. Only pending rows are re-timed or cancelled (a claimed one finishes); a new
        row whose slot is already live is ignored."""
        created: list[int] = []
        async with self.db.transaction() as conn:
            for new in create:
                async with conn.execute(
                    "INSERT INTO outcome_timers (guild_id, meeting_id, outcome_id, kind, slot,"
                    " due_at, fire_at, stale_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT DO NOTHING RETURNING id",
                    (
                        new.guild_id,
                        new.meeting_id,
                        new.outcome_id,
                        new.kind,
                        new.slot,
                        _ts(new.due_at),
                        _ts(new.due_at),
                        _ts(new.stale_at),
                        _ts(now),
                    ),
                ) as cursor:
                    row = await cursor.fetchone()
                if row is not None:
                    created.append(int(row[0]))
            for timer_id, due, stale in retime:
                await conn.execute(
                    "UPDATE outcome_timers SET due_at = ?, fire_at = ?, stale_at = ?,"
                    " attempts = 0, last_error = '' WHERE id = ? AND state = 'pending'",
                    (_ts(due), _ts(due), _ts(stale), timer_id),
                )
            for timer_id in cancel:
                await conn.execute(
                    "UPDATE outcome_timers SET state = 'cancelled', finished_at = ?"
                    " WHERE id = ? AND state = 'pending'",
                    (_ts(now), timer_id),
                )
        return created

    async def unplanned_meetings(
        self, now: datetime, scope: ShardScope = EVERYTHING
    ) -> list[tuple[int, int]]:
        """(guild_id, meeting_id) of one-off meetings still to end that have no timer row
        at all: those created before outcomes existed. Every other meeting got its timers
        when it was created or changed, so start-up plans only these (none after the
        first start) instead of re-reading every meeting. Only ``scope``'s guilds."""
        where, params = scope.sql_filter("m.guild_id")
        rows = await self.db.fetch_all(
            "SELECT m.guild_id, m.id FROM meetings m"
            " WHERE m.status = 'scheduled' AND m.ends_at >= ?"
            " AND NOT EXISTS (SELECT 1 FROM meeting_recurrences r WHERE r.meeting_id = m.id)"
            f" AND NOT EXISTS (SELECT 1 FROM outcome_timers t WHERE t.meeting_id = m.id){where}"
            " ORDER BY m.id",
            [int(now.timestamp()), *params],
        )
        return [(row[0], row[1]) for row in rows]

    async def for_meeting(self, meeting_id: int) -> list[OutcomeTimer]:
        rows = await self.db.fetch_all(
            f"SELECT {_COLUMNS} FROM outcome_timers WHERE meeting_id = ? ORDER BY due_at, id",
            (meeting_id,),
        )
        return [_timer(row) for row in rows]

    async def for_outcome(self, outcome_id: int) -> list[OutcomeTimer]:
        rows = await self.db.fetch_all(
            f"SELECT {_COLUMNS} FROM outcome_timers WHERE outcome_id = ? ORDER BY due_at, id",
            (outcome_id,),
        )
        return [_timer(row) for row in rows]

    # -- dispatching: next_fire_at, due, claim, renew, release, finish and retry_later
    # are ClaimedTimerTable's (the reminder dispatcher's, claimed across the fleet) ----

    async def state_counts(self) -> dict[str, int]:
        rows = await self.db.fetch_all("SELECT state, COUNT(*) FROM outcome_timers GROUP BY state")
        return {row[0]: row[1] for row in rows}

"""Repository: reminder rows, the source of truth for every reminder.

A row moves pending -> sending -> sent | late_sent, or pending -> skipped |
cancelled. "sending" is written (with the moment, the claiming worker and its lease)
before the message goes out so a restart knows a send may have happened and re-sends
with the same nonce; another process takes it only after the lease
(``bot.storage.timer_claims``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.storage.database import Row
from bot.storage.meetings.models import NewReminder, Reminder, ReminderState
from bot.storage.timer_claims import ClaimedTimerTable

_COLUMNS = (
    "id, guild_id, meeting_id, session_id, kind, slot, offset_seconds, occurrence_start,"
    " due_at, fire_at, target_kind, target_id, state, attempts, last_error"
)
LIVE_STATES = ("pending", "sending")
FINAL_STATES = ("sent", "late_sent", "skipped", "cancelled")


@dataclass(frozen=True)
class UserReminderRecord:
    """What the reminders area holds about one user (for a privacy request)."""

    dm_opted_in: bool


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def _dt(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


# A new row whose slot is already live is ignored (the unique index on live slots).
_INSERT = (
    "INSERT INTO reminders (guild_id, meeting_id, session_id, kind, slot,"
    " offset_seconds, occurrence_start, due_at, fire_at, target_kind, target_id,"
    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)


def _insert_row(new: NewReminder, now: datetime) -> tuple[object, ...]:
    """The values of :data:`_INSERT` for ``new``; it fires when due (``fire_at = due_at``)."""
    return (
        new.guild_id,
        new.meeting_id,
        new.session_id,
        new.kind,
        new.slot,
        new.offset_seconds,
        _ts(new.occurrence_start),
        _ts(new.due_at),
        _ts(new.due_at),
        new.target_kind,
        new.target_id,
        _ts(now),
    )


def _reminder(row: Row) -> Reminder:
    return Reminder(
        id=row[0],
        guild_id=row[1],
        meeting_id=row[2],
        session_id=row[3],
        kind=row[4],
        slot=row[5],
        offset_seconds=row[6],
        occurrence_start=_dt(row[7]),
        due_at=_dt(row[8]),
        fire_at=_dt(row[9]),
        target_kind=row[10],
        target_id=row[11],
        state=row[12],
        attempts=row[13],
        last_error=row[14],
    )


class ReminderRepository(ClaimedTimerTable[Reminder]):
    table = "reminders"
    columns = _COLUMNS
    _row = staticmethod(_reminder)

    # -- planning -----------------------------------------------------------

    async def apply_plan(
        self,
        create: Sequence[NewReminder],
        retime: Sequence[tuple[int, datetime, datetime]],
        cancel: Sequence[int],
        now: datetime,
    ) -> list[int]:
        """Insert, re-time and cancel reminders in one transaction; ids of those created.

        ``retime`` holds (id, new due time, new start of what it announces): a reminder
        of a moved meeting, occurrence or session says the new start. Re-timing and
        cancelling touch only rows still pending: a row the
        scheduler already claimed ("sending") is left to finish. A new row whose
        slot is already live is ignored.
        """
        created: list[int] = []
        async with self.db.transaction() as conn:
            for new in create:
                cursor = await conn.execute(_INSERT + " RETURNING id", _insert_row(new, now))
                inserted = await cursor.fetchone()
                if inserted is not None:
                    created.append(int(inserted[0]))
            await conn.executemany(
                "UPDATE reminders SET due_at = ?, fire_at = ?, occurrence_start = ?,"
                " attempts = 0, last_error = '' WHERE id = ? AND state = 'pending'",
                [
                    (_ts(due), _ts(due), _ts(start), reminder_id)
                    for reminder_id, due, start in retime
                ],
            )
            await conn.executemany(
                "UPDATE reminders SET state = 'cancelled', finished_at = ?"
                " WHERE id = ? AND state = 'pending'",
                [(_ts(now), reminder_id) for reminder_id in cancel],
            )
        return created

    async def insert_many(self, reminders: Sequence[NewReminder], now: datetime) -> int:
        """Bulk insert (seeding, benchmarks); returns how many were new."""
        count = "SELECT count(*) FROM reminders"
        async with self.db.transaction() as conn:
            async with conn.execute(count) as cursor:
                before = int((await cursor.fetchone())[0])
            await conn.executemany(_INSERT, [_insert_row(new, now) for new in reminders])
            async with conn.execute(count) as cursor:
                return int((await cursor.fetchone())[0]) - before

    async def get(self, reminder_id: int) -> Reminder | None:
        row = await self.db.fetch_one(
            f"SELECT {_COLUMNS} FROM reminders WHERE id = ?", (reminder_id,)
        )
        return None if row is None else _reminder(row)

    async def for_meeting(
        self, meeting_id: int, states: Sequence[ReminderState] | None = None
    ) -> list[Reminder]:
        sql = f"SELECT {_COLUMNS} FROM reminders WHERE meeting_id = ?"
        params: list[object] = [meeting_id]
        if states is not None:
            sql += f" AND state IN ({','.join('?' * len(states))})"
            params += list(states)
        rows = await self.db.fetch_all(sql + " ORDER BY due_at, id", params)
        return [_reminder(row) for row in rows]

    async def cancel_live(self, meeting_id: int, now: datetime) -> int:
        """Cancel every pending reminder of a meeting; how many."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE reminders SET state = 'cancelled', finished_at = ?"
                " WHERE meeting_id = ? AND state = 'pending'",
                (_ts(now), meeting_id),
            )
            return cursor.rowcount

    # -- dispatching: next_fire_at, due, claim, renew, release, finish and retry_later
    # are ClaimedTimerTable's (claimed across the fleet) --------------------------

    async def live_count(self) -> int:
        row = await self.db.fetch_one(
            "SELECT COUNT(*) FROM reminders WHERE state IN ('pending', 'sending')"
        )
        return int(row[0]) if row else 0

    async def state_counts(self) -> dict[str, int]:
        rows = await self.db.fetch_all("SELECT state, COUNT(*) FROM reminders GROUP BY state")
        return {row[0]: row[1] for row in rows}

    # -- settings -----------------------------------------------------------

    async def set_dm_opt_in(self, guild_id: int, user_id: int, on: bool, now: datetime) -> None:
        async with self.db.transaction() as conn:
            if on:
                await conn.execute(
                    "INSERT INTO reminder_dm_optins (guild_id, user_id, opted_in_at)"
                    " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    (guild_id, user_id, _ts(now)),
                )
            else:
                await conn.execute(
                    "DELETE FROM reminder_dm_optins WHERE guild_id = ? AND user_id = ?",
                    (guild_id, user_id),
                )

    async def dm_opted_in(self, guild_id: int, user_id: int) -> bool:
        row = await self.db.fetch_one(
            "SELECT 1 FROM reminder_dm_optins WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        return row is not None

    async def dm_recipients(self, guild_id: int, meeting_id: int) -> list[int]:
        """Opted-in users answering Going or Maybe to the meeting."""
        rows = await self.db.fetch_all(
            "SELECT o.user_id FROM reminder_dm_optins o JOIN meeting_rsvps r"
            " ON r.user_id = o.user_id AND r.guild_id = o.guild_id"
            " WHERE o.guild_id = ? AND r.meeting_id = ? AND r.answer IN ('going', 'maybe')"
            " ORDER BY o.user_id",
            (guild_id, meeting_id),
        )
        return [row[0] for row in rows]

    # -- privacy ------------------------------------------------------------

    async def describe_user(self, guild_id: int, user_id: int) -> UserReminderRecord:
        return UserReminderRecord(dm_opted_in=await self.dm_opted_in(guild_id, user_id))

    async def forget_user(self, guild_id: int, user_id: int) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "DELETE FROM reminder_dm_optins WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )

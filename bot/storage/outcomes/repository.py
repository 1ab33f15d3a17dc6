"""Repository: outcomes (decisions, actions, links, notes) and the threads opened for them.

Plain SQL both SQLite and PostgreSQL accept (see migrations/README.md): ``?``
placeholders, ``RETURNING``, ``ON CONFLICT DO NOTHING``; instants are Unix seconds and a
due date is its ISO text.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from bot.errors import NotFound
from bot.storage.database import Database
from bot.storage.outcomes.models import (
    NewOutcome,
    Outcome,
    OutcomeThread,
    UserOutcomeRecord,
)

_COLUMNS = (
    "id, guild_id, meeting_id, session_id, kind, text, url, added_by, added_at,"
    " owner_id, due_at, due_date, timezone, done_at"
)
# Qualified for queries that join other tables.
_O_COLUMNS = ", ".join(f"o.{column.strip()}" for column in _COLUMNS.split(","))


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def _dt(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def _outcome(row: Any) -> Outcome:
    added_at = _dt(row[8])
    assert added_at is not None
    return Outcome(
        id=row[0],
        guild_id=row[1],
        meeting_id=row[2],
        session_id=row[3],
        kind=row[4],
        text=row[5],
        url=row[6],
        added_by=row[7],
        added_at=added_at,
        owner_id=row[9],
        due_at=_dt(row[10]),
        due_date=None if row[11] is None else date.fromisoformat(row[11]),
        timezone=row[12],
        done_at=_dt(row[13]),
    )


class OutcomeRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- outcomes -------------------------------------------------------------

    async def add(self, new: NewOutcome, now: datetime) -> int:
        """Store an outcome; its id (an action's number)."""
        async with self.db.transaction() as conn:
            async with conn.execute(
                "INSERT INTO outcomes (guild_id, meeting_id, session_id, kind, text, url,"
                " added_by, added_at, owner_id, due_at, due_date, timezone)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    new.guild_id,
                    new.meeting_id,
                    new.session_id,
                    new.kind,
                    new.text,
                    new.url,
                    new.added_by,
                    _ts(now),
                    new.owner_id,
                    None if new.due_at is None else _ts(new.due_at),
                    None if new.due_date is None else new.due_date.isoformat(),
                    new.timezone,
                ),
            ) as cursor:
                row = await cursor.fetchone()
        assert row is not None
        return int(row[0])

    async def get(self, guild_id: int, outcome_id: int) -> Outcome:
        row = await self.db.fetch_one(
            f"SELECT {_COLUMNS} FROM outcomes WHERE guild_id = ? AND id = ?",
            (guild_id, outcome_id),
        )
        if row is None:
            raise NotFound(f"There is no outcome #{outcome_id} on this server.")
        return _outcome(row)

    async def for_meeting(self, guild_id: int, meeting_id: int) -> list[Outcome]:
        """The meeting's outcomes in the order they were recorded."""
        rows = await self.db.fetch_all(
            f"SELECT {_COLUMNS} FROM outcomes WHERE guild_id = ? AND meeting_id = ? ORDER BY id",
            (guild_id, meeting_id),
        )
        return [_outcome(row) for row in rows]

    async def count_for_meeting(self, guild_id: int, meeting_id: int) -> int:
        row = await self.db.fetch_one(
            "SELECT COUNT(*) FROM outcomes WHERE guild_id = ? AND meeting_id = ?",
            (guild_id, meeting_id),
        )
        return int(row[0]) if row else 0

    async def actions(
        self,
        guild_id: int,
        *,
        owner_id: int | None = None,
        meeting_id: int | None = None,
        initiative_id: int | None = None,
        done: bool | None = False,
        limit: int = 500,
    ) -> list[Outcome]:
        """Actions, soonest due first (those without a due date last).

        ``initiative_id``: those of a session for the initiative, or of a meeting held for
        it. ``done``: False the open ones, True the done ones, None both.
        """
        sql = (
            f"SELECT {_O_COLUMNS} FROM outcomes o"
            " LEFT JOIN meeting_sessions s ON s.id = o.session_id"
            " WHERE o.guild_id = ? AND o.kind = 'action'"
        )
        params: list[object] = [guild_id]
        if owner_id is not None:
            sql += " AND o.owner_id = ?"
            params.append(owner_id)
        if meeting_id is not None:
            sql += " AND o.meeting_id = ?"
            params.append(meeting_id)
        if initiative_id is not None:
            sql += (
                " AND (s.initiative_id = ? OR (s.id IS NULL AND EXISTS (SELECT 1 FROM"
                " meeting_scopes ms WHERE ms.meeting_id = o.meeting_id"
                " AND ms.kind = 'initiative' AND ms.ref_id = ?)))"
            )
            params += [initiative_id, initiative_id]
        if done is True:
            sql += " AND o.done_at IS NOT NULL"
        elif done is False:
            sql += " AND o.done_at IS NULL"
        sql += " ORDER BY CASE WHEN o.due_at IS NULL THEN 1 ELSE 0 END, o.due_at, o.id LIMIT ?"
        params.append(limit)
        rows = await self.db.fetch_all(sql, params)
        return [_outcome(row) for row in rows]

    async def open_actions_due_before(self, guild_id: int, moment: datetime) -> list[Outcome]:
        """Open actions whose due moment is before ``moment`` (candidates for overdue)."""
        rows = await self.db.fetch_all(
            f"SELECT {_COLUMNS} FROM outcomes WHERE guild_id = ? AND kind = 'action'"
            " AND done_at IS NULL AND due_at IS NOT NULL AND due_at < ? ORDER BY due_at, id",
            (guild_id, _ts(moment)),
        )
        return [_outcome(row) for row in rows]

    async def mark_done(self, guild_id: int, outcome_id: int, by: int, now: datetime) -> bool:
        """Mark an open action done and cancel its reminders still to come; False if it was
        done already."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE outcomes SET done_at = ?, done_by_user_id = ?"
                " WHERE guild_id = ? AND id = ? AND kind = 'action' AND done_at IS NULL",
                (_ts(now), by, guild_id, outcome_id),
            )
            changed = cursor.rowcount > 0
            if changed:
                await conn.execute(
                    "UPDATE outcome_timers SET state = 'cancelled', finished_at = ?"
                    " WHERE outcome_id = ? AND state = 'pending'",
                    (_ts(now), outcome_id),
                )
        return changed

    # -- threads --------------------------------------------------------------

    async def add_thread(self, guild_id: int, thread: OutcomeThread, now: datetime) -> None:
        """Record a thread opened for outcomes; recording it again changes nothing."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO outcome_threads (meeting_id, guild_id, session_id, channel_id,"
                " thread_id, opened_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (
                    thread.meeting_id,
                    guild_id,
                    thread.session_id,
                    thread.channel_id,
                    thread.thread_id,
                    _ts(now),
                ),
            )

    async def threads(self, guild_id: int, meeting_id: int) -> list[OutcomeThread]:
        rows = await self.db.fetch_all(
            "SELECT meeting_id, session_id, channel_id, thread_id FROM outcome_threads"
            " WHERE guild_id = ? AND meeting_id = ? ORDER BY session_id",
            (guild_id, meeting_id),
        )
        return [OutcomeThread(row[0], row[1], row[2], row[3]) for row in rows]

    # -- privacy --------------------------------------------------------------

    async def describe_user(self, guild_id: int, user_id: int) -> UserOutcomeRecord:
        async def matching(column: str) -> tuple[Outcome, ...]:
            rows = await self.db.fetch_all(
                f"SELECT {_COLUMNS} FROM outcomes WHERE guild_id = ? AND {column} = ? ORDER BY id",
                (guild_id, user_id),
            )
            return tuple(_outcome(row) for row in rows)

        return UserOutcomeRecord(
            added=await matching("added_by"),
            owned=await matching("owner_id"),
            marked_done=await matching("done_by_user_id"),
        )

    async def forget_user(self, guild_id: int, user_id: int, now: datetime) -> int:
        """Anonymise every outcome naming the person: what they recorded loses its author,
        an action they own keeps its text but loses its owner (and its reminders to come),
        one they marked done loses who did. How many rows changed."""
        changed = 0
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE outcome_timers SET state = 'cancelled', finished_at = ?"
                " WHERE state = 'pending' AND outcome_id IN (SELECT id FROM outcomes"
                " WHERE guild_id = ? AND owner_id = ?)",
                (_ts(now), guild_id, user_id),
            )
            for column in ("added_by", "owner_id", "done_by_user_id"):
                cursor = await conn.execute(
                    f"UPDATE outcomes SET {column} = NULL WHERE guild_id = ? AND {column} = ?",
                    (guild_id, user_id),
                )
                changed += max(cursor.rowcount, 0)
        return changed

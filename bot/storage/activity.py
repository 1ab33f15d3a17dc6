"""Repository: message activity counts (written in batches) and discussion nudges."""

from __future__ import annotations

from collections.abc import Sequence

from bot.storage.database import Database
from bot.storage.models_discussions import ActivityBatch, NudgeOptOut, from_epoch

# Every statement only touches threads Agora tracks: activity for a thread it
# does not know (or no longer knows) is dropped rather than failing the batch.
_ADD_THREAD_MESSAGES = """
UPDATE discussions
   SET message_count = message_count + ?,
       last_activity_at = MAX(last_activity_at, ?)
 WHERE guild_id = ? AND thread_id = ?
"""

_ADD_PARTICIPANT = """
INSERT INTO discussion_participants (guild_id, thread_id, user_id, message_count, first_at,
                                     last_at)
SELECT ?1, ?2, ?3, ?4, ?5, ?6
 WHERE EXISTS (SELECT 1 FROM discussions WHERE guild_id = ?1 AND thread_id = ?2)
ON CONFLICT (guild_id, thread_id, user_id) DO UPDATE SET
    message_count = message_count + excluded.message_count,
    first_at = MIN(first_at, excluded.first_at),
    last_at = MAX(last_at, excluded.last_at)
"""

_ADD_HOUR = """
INSERT INTO discussion_activity (guild_id, thread_id, hour_start, messages)
SELECT ?1, ?2, ?3, ?4
 WHERE EXISTS (SELECT 1 FROM discussions WHERE guild_id = ?1 AND thread_id = ?2)
ON CONFLICT (guild_id, thread_id, hour_start) DO UPDATE SET
    messages = messages + excluded.messages
"""


class ActivityRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def apply_batch(self, batch: ActivityBatch) -> None:
        """Write one flush's worth of message activity in a single transaction."""
        if batch.is_empty():
            return
        async with self.db.transaction() as conn:
            await conn.executemany(_ADD_THREAD_MESSAGES, batch.threads)
            await conn.executemany(_ADD_PARTICIPANT, batch.participants)
            await conn.executemany(_ADD_HOUR, batch.hours)

    # -- nudges -------------------------------------------------------------

    async def set_nudge_opt_out(self, guild_id: int, user_id: int, at: int) -> bool:
        """Opt the user out; False if they already were."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO nudge_opt_outs (guild_id, user_id, opted_out_at) VALUES (?, ?, ?)"
                " ON CONFLICT (guild_id, user_id) DO NOTHING",
                (guild_id, user_id, at),
            )
            return cursor.rowcount > 0

    async def clear_nudge_opt_out(self, guild_id: int, user_id: int) -> bool:
        """Opt the user back in; False if they were not opted out."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM nudge_opt_outs WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )
            return cursor.rowcount > 0

    async def nudge_opt_out(self, guild_id: int, user_id: int) -> NudgeOptOut | None:
        row = await self.db.fetch_one(
            "SELECT opted_out_at FROM nudge_opt_outs WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        return None if row is None else NudgeOptOut(guild_id, user_id, from_epoch(row[0]))

    async def nudge_opt_outs(self, guild_id: int, user_ids: Sequence[int]) -> set[int]:
        """Which of ``user_ids`` opted out of nudges."""
        if not user_ids:
            return set()
        marks = ", ".join("?" * len(user_ids))
        rows = await self.db.fetch_all(
            f"SELECT user_id FROM nudge_opt_outs WHERE guild_id = ? AND user_id IN ({marks})",
            (guild_id, *user_ids),
        )
        return {row[0] for row in rows}

    async def last_nudges(self, guild_id: int) -> dict[int, int]:
        """When each initiative was last nudged (Unix seconds)."""
        rows = await self.db.fetch_all(
            "SELECT initiative_id, last_nudged_at FROM initiative_nudges WHERE guild_id = ?",
            (guild_id,),
        )
        return {row[0]: row[1] for row in rows}

    async def record_nudges(self, guild_id: int, initiative_ids: Sequence[int], at: int) -> None:
        async with self.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO initiative_nudges (guild_id, initiative_id, last_nudged_at)"
                " VALUES (?, ?, ?) ON CONFLICT (guild_id, initiative_id)"
                " DO UPDATE SET last_nudged_at = excluded.last_nudged_at",
                [(guild_id, initiative_id, at) for initiative_id in initiative_ids],
            )

    # -- members' data rights ------------------------------------------------

    async def describe_user(self, guild_id: int, user_id: int) -> list[str]:
        """What this repository holds about the user, one line per fact."""
        opt_out = await self.nudge_opt_out(guild_id, user_id)
        if opt_out is None:
            return []
        return [f"Opted out of discussion nudges on {opt_out.opted_out_at:%Y-%m-%d}"]

    async def forget_user(self, guild_id: int, user_id: int) -> int:
        """Erase the user's nudge preference; returns the rows erased.

        Message activity buckets never name anyone, so nothing else is held here.
        """
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM nudge_opt_outs WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )
            return cursor.rowcount

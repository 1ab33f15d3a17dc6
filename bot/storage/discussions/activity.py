"""Repository: message activity counts (written in batches) and when initiatives were nudged.

Nothing here names a user: participants live with the discussions, and nudge
opt-outs are the guild settings' DM opt-outs.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.storage.database import Database
from bot.storage.discussions.models import ActivityBatch

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
    message_count = discussion_participants.message_count + excluded.message_count,
    first_at = MIN(discussion_participants.first_at, excluded.first_at),
    last_at = MAX(discussion_participants.last_at, excluded.last_at)
"""

_ADD_HOUR = """
INSERT INTO discussion_activity (guild_id, thread_id, hour_start, messages)
SELECT ?1, ?2, ?3, ?4
 WHERE EXISTS (SELECT 1 FROM discussions WHERE guild_id = ?1 AND thread_id = ?2)
ON CONFLICT (guild_id, thread_id, hour_start) DO UPDATE SET
    messages = discussion_activity.messages + excluded.messages
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

    async def prune_hours(self, before: int) -> int:
        """Delete hour buckets that started before ``before``; returns how many went."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM discussion_activity WHERE hour_start < ?", (before,)
            )
            return cursor.rowcount

    # -- nudges -------------------------------------------------------------

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

"""Repository: ``/meeting create`` forms waiting for their title and description."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.storage.database import Database


@dataclass(frozen=True)
class StoredDraft:
    id: int
    guild_id: int
    user_id: int
    draft: str  # JSON
    created_at: datetime


class MeetingDraftRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def insert(self, guild_id: int, user_id: int, draft: str, now: datetime) -> int:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO meeting_drafts (guild_id, user_id, draft, created_at)"
                " VALUES (?, ?, ?, ?) RETURNING id",
                (guild_id, user_id, draft, int(now.timestamp())),
            )
            draft_id = int((await cursor.fetchone())[0])
        return draft_id

    async def since(self, moment: datetime) -> list[StoredDraft]:
        """Every draft created at or after ``moment``, oldest first."""
        rows = await self.db.fetch_all(
            "SELECT id, guild_id, user_id, draft, created_at FROM meeting_drafts"
            " WHERE created_at >= ? ORDER BY id",
            (int(moment.timestamp()),),
        )
        return [
            StoredDraft(row[0], row[1], row[2], row[3], datetime.fromtimestamp(row[4], UTC))
            for row in rows
        ]

    async def delete(self, draft_id: int, user_id: int) -> None:
        """Delete the draft if ``user_id`` owns it (nobody else's form is ever dropped)."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "DELETE FROM meeting_drafts WHERE id = ? AND user_id = ?", (draft_id, user_id)
            )

    async def delete_before(self, moment: datetime) -> int:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM meeting_drafts WHERE created_at < ?", (int(moment.timestamp()),)
            )
            return cursor.rowcount

    async def count_for_user(self, guild_id: int, user_id: int) -> int:
        row = await self.db.fetch_one(
            "SELECT count(*) FROM meeting_drafts WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        return int(row[0]) if row else 0

    async def forget_user(self, guild_id: int, user_id: int) -> int:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM meeting_drafts WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )
            return cursor.rowcount

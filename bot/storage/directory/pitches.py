"""Repository: initiatives' pitches, one per initiative (setting it again replaces it).

Plain SQL that SQLite and PostgreSQL read alike (``ON CONFLICT ... DO UPDATE``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.storage.database import Database
from bot.storage.directory.models import Pitch, db_time, parse_db_time

_COLUMNS = "guild_id, initiative_id, body, url, set_by, set_at"


class PitchRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def set(
        self, guild_id: int, initiative_id: int, text: str, url: str, set_by: int, now: datetime
    ) -> Pitch:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO initiative_pitches (guild_id, initiative_id, body, url, set_by,"
                " set_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (initiative_id) DO UPDATE SET body = excluded.body,"
                " url = excluded.url, set_by = excluded.set_by, set_at = excluded.set_at",
                (guild_id, initiative_id, text, url, set_by, db_time(now)),
            )
        pitch = await self.get(guild_id, initiative_id)
        assert pitch is not None
        return pitch

    async def get(self, guild_id: int, initiative_id: int) -> Pitch | None:
        row = await self.db.fetch_one(
            f"SELECT {_COLUMNS} FROM initiative_pitches WHERE guild_id = ? AND initiative_id = ?",
            (guild_id, initiative_id),
        )
        return None if row is None else _pitch(row)

    async def of_initiatives(
        self, guild_id: int, initiative_ids: Sequence[int] | None
    ) -> dict[int, Pitch]:
        """The pitches of these initiatives (of all, for None), by initiative id."""
        if initiative_ids is not None and not initiative_ids:
            return {}
        sql = f"SELECT {_COLUMNS} FROM initiative_pitches WHERE guild_id = ?"
        params: list[int] = [guild_id]
        if initiative_ids is not None:
            sql += f" AND initiative_id IN ({', '.join('?' * len(initiative_ids))})"
            params += list(initiative_ids)
        rows = await self.db.fetch_all(sql, params)
        return {pitch.initiative_id: pitch for pitch in map(_pitch, rows)}

    async def describe_user(self, guild_id: int, user_id: int) -> list[tuple[Pitch, str]]:
        """The pitches ``user_id`` wrote (as they stand), each with its initiative's name."""
        columns = ", ".join(f"p.{column.strip()}" for column in _COLUMNS.split(","))
        rows = await self.db.fetch_all(
            f"SELECT {columns}, i.name FROM initiative_pitches AS p"
            " JOIN initiatives AS i ON i.id = p.initiative_id"
            " WHERE p.guild_id = ? AND p.set_by = ? ORDER BY i.name, p.initiative_id",
            (guild_id, user_id),
        )
        return [(_pitch(row), str(row[6])) for row in rows]

    async def forget_author(self, guild_id: int, user_id: int) -> int:
        """Keep the pitches but erase who wrote them; how many rows changed."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE initiative_pitches SET set_by = NULL WHERE guild_id = ? AND set_by = ?",
                (guild_id, user_id),
            )
            return cursor.rowcount


def _pitch(row: Any) -> Pitch:
    return Pitch(
        guild_id=int(row[0]),
        initiative_id=int(row[1]),
        text=row[2],
        url=row[3],
        set_by=None if row[4] is None else int(row[4]),
        set_at=parse_db_time(row[5]),
    )

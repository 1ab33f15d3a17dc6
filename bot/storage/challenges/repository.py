"""Repository: the challenges initiatives face, for challenge workshops.

Plain SQL that SQLite and PostgreSQL read alike: ``?`` parameters, ``RETURNING`` for new
ids, ``LIKE`` with an explicit escape, no SQLite-only functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.errors import NotFound
from bot.storage.challenges.models import Challenge
from bot.storage.database import Database
from bot.storage.directory.models import db_time, parse_db_time

_COLUMNS = "id, guild_id, initiative_id, title, description, added_by, added_at"
_GONE = (
    "That challenge is no longer listed (it may have just been removed); see the current"
    " ones with /challenge list."
)


class ChallengeLimitReached(Exception):
    """The initiative already lists ``count`` challenges (at least the cap)."""

    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.count = count


def _like(text: str) -> str:
    """``text`` as a LIKE pattern matching itself anywhere (``\\`` escapes % and _)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _in(column: str, ids: Sequence[int]) -> tuple[str, list[int]]:
    """``column IN (?, ?, ...)`` and its parameters; never true for no ids."""
    if not ids:
        return "1 = 0", []
    return f"{column} IN ({', '.join('?' * len(ids))})", list(ids)


class ChallengeRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self,
        guild_id: int,
        initiative_id: int,
        title: str,
        description: str,
        added_by: int,
        now: datetime,
        cap: int | None = None,
    ) -> Challenge:
        """Insert; ``ChallengeLimitReached`` when the initiative already lists ``cap``
        (counted in the same transaction, so two adds at once cannot both pass)."""
        async with self.db.transaction() as conn:
            if cap is not None:
                async with conn.execute(
                    "SELECT count(*) FROM challenges WHERE guild_id = ? AND initiative_id = ?",
                    (guild_id, initiative_id),
                ) as cursor:
                    row = await cursor.fetchone()
                count = int(row[0]) if row else 0
                if count >= cap:
                    raise ChallengeLimitReached(count)
            async with conn.execute(
                "INSERT INTO challenges (guild_id, initiative_id, title, description, added_by,"
                " added_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (guild_id, initiative_id, title, description, added_by, db_time(now)),
            ) as cursor:
                row = await cursor.fetchone()
        assert row is not None
        return await self.get(guild_id, int(row[0]))

    async def get(self, guild_id: int, challenge_id: int) -> Challenge:
        row = await self.db.fetch_one(
            f"SELECT {_COLUMNS} FROM challenges WHERE guild_id = ? AND id = ?",
            (guild_id, challenge_id),
        )
        if row is None:
            raise NotFound(_GONE)
        return _challenge(row)

    async def find_titled(self, guild_id: int, title: str) -> Challenge | None:
        """The newest challenge titled ``title`` (case-insensitive), or None."""
        row = await self.db.fetch_one(
            f"SELECT {_COLUMNS} FROM challenges WHERE guild_id = ? AND lower(title) = lower(?)"
            " ORDER BY id DESC LIMIT 1",
            (guild_id, title),
        )
        return None if row is None else _challenge(row)

    async def list_page(
        self, guild_id: int, initiative_ids: Sequence[int] | None, limit: int, offset: int
    ) -> tuple[list[Challenge], int]:
        """Newest first (of the given initiatives, or all), and the total."""
        where, params = self._where(guild_id, initiative_ids)
        rows = await self.db.fetch_all(
            f"SELECT {_COLUMNS} FROM challenges WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        total = await self.db.fetch_one(f"SELECT count(*) FROM challenges WHERE {where}", params)
        return [_challenge(row) for row in rows], int(total[0]) if total else 0

    async def newest(
        self, guild_id: int, initiative_ids: Sequence[int] | None, limit: int
    ) -> list[Challenge]:
        """At most ``limit`` challenges (of the given initiatives, or all), newest first."""
        challenges, _ = await self.list_page(guild_id, initiative_ids, limit, 0)
        return challenges

    async def search_titles(self, guild_id: int, needle: str, limit: int) -> list[Challenge]:
        """Challenges whose title contains ``needle`` (case-insensitive), newest first."""
        rows = await self.db.fetch_all(
            f"SELECT {_COLUMNS} FROM challenges WHERE guild_id = ?"
            " AND lower(title) LIKE lower(?) ESCAPE '\\' ORDER BY id DESC LIMIT ?",
            (guild_id, _like(needle), limit),
        )
        return [_challenge(row) for row in rows]

    async def remove(self, guild_id: int, challenge_id: int) -> Challenge:
        challenge = await self.get(guild_id, challenge_id)
        async with self.db.transaction() as conn:
            await conn.execute(
                "DELETE FROM challenges WHERE guild_id = ? AND id = ?", (guild_id, challenge_id)
            )
        return challenge

    async def added_by(self, guild_id: int, user_id: int) -> list[Challenge]:
        rows = await self.db.fetch_all(
            f"SELECT {_COLUMNS} FROM challenges WHERE guild_id = ? AND added_by = ? ORDER BY id",
            (guild_id, user_id),
        )
        return [_challenge(row) for row in rows]

    async def describe_user(self, guild_id: int, user_id: int) -> list[tuple[Challenge, str]]:
        """The challenges ``user_id`` added, oldest first, each with its initiative's name."""
        columns = ", ".join(f"c.{column.strip()}" for column in _COLUMNS.split(","))
        rows = await self.db.fetch_all(
            f"SELECT {columns}, i.name FROM challenges AS c"
            " JOIN initiatives AS i ON i.id = c.initiative_id"
            " WHERE c.guild_id = ? AND c.added_by = ? ORDER BY c.id",
            (guild_id, user_id),
        )
        return [(_challenge(row), str(row[7])) for row in rows]

    async def forget_author(self, guild_id: int, user_id: int) -> int:
        """Keep the challenges but erase who added them; how many rows changed."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE challenges SET added_by = NULL WHERE guild_id = ? AND added_by = ?",
                (guild_id, user_id),
            )
            return cursor.rowcount

    @staticmethod
    def _where(guild_id: int, initiative_ids: Sequence[int] | None) -> tuple[str, list[int]]:
        if initiative_ids is None:
            return "guild_id = ?", [guild_id]
        clause, params = _in("initiative_id", initiative_ids)
        return f"guild_id = ? AND {clause}", [guild_id, *params]


def _challenge(row: Any) -> Challenge:
    return Challenge(
        id=int(row[0]),
        guild_id=int(row[1]),
        initiative_id=int(row[2]),
        title=row[3],
        description=row[4],
        added_by=None if row[5] is None else int(row[5]),
        added_at=parse_db_time(row[6]),
    )

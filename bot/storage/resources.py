"""Repository: documents and projects of initiatives (one table, told apart by kind)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import aiosqlite

from bot.errors import Conflict, NotFound
from bot.storage.database import Database
from bot.storage.models_core import Resource, ResourceKind, db_time, parse_db_time

_COLUMNS = "id, guild_id, initiative_id, kind, title, url, added_by, added_at, updated_at"


class ResourceRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self,
        guild_id: int,
        initiative_id: int,
        kind: ResourceKind,
        title: str,
        url: str,
        added_by: int,
        now: datetime,
    ) -> Resource:
        async with self.db.transaction() as conn:
            try:
                cursor = await conn.execute(
                    "INSERT INTO resources (guild_id, initiative_id, kind, title, url, added_by,"
                    " added_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (guild_id, initiative_id, kind, title, url, added_by, *[db_time(now)] * 2),
                )
            except sqlite3.IntegrityError:
                raise Conflict(f"That {kind} link is already listed for this initiative.") from None
            resource_id = cursor.lastrowid
        assert resource_id is not None
        return await self.get(guild_id, resource_id)

    async def get(self, guild_id: int, resource_id: int) -> Resource:
        row = await self.db.fetch_one(
            f"SELECT {_COLUMNS} FROM resources WHERE guild_id = ? AND id = ?",
            (guild_id, resource_id),
        )
        if row is None:
            raise NotFound(f"No document or project #{resource_id} on this server.")
        return _resource(row)

    async def list_page(
        self, guild_id: int, initiative_id: int, kind: ResourceKind, limit: int, offset: int
    ) -> tuple[list[Resource], int]:
        """Newest first, and the total."""
        rows = await self.db.fetch_all(
            f"SELECT {_COLUMNS} FROM resources WHERE guild_id = ? AND initiative_id = ?"
            " AND kind = ? ORDER BY added_at DESC, id DESC LIMIT ? OFFSET ?",
            (guild_id, initiative_id, kind, limit, offset),
        )
        total = await self.db.fetch_one(
            "SELECT count(*) FROM resources WHERE guild_id = ? AND initiative_id = ? AND kind = ?",
            (guild_id, initiative_id, kind),
        )
        return [_resource(row) for row in rows], int(total[0]) if total else 0

    async def update(
        self, guild_id: int, resource_id: int, title: str, url: str, now: datetime
    ) -> Resource:
        async with self.db.transaction() as conn:
            try:
                cursor = await conn.execute(
                    "UPDATE resources SET title = ?, url = ?, updated_at = ?"
                    " WHERE guild_id = ? AND id = ?",
                    (title, url, db_time(now), guild_id, resource_id),
                )
            except sqlite3.IntegrityError:
                raise Conflict("That link is already listed for this initiative.") from None
            if cursor.rowcount == 0:
                raise NotFound(f"No document or project #{resource_id} on this server.")
        return await self.get(guild_id, resource_id)

    async def remove(self, guild_id: int, resource_id: int) -> Resource:
        resource = await self.get(guild_id, resource_id)
        async with self.db.transaction() as conn:
            await conn.execute(
                "DELETE FROM resources WHERE guild_id = ? AND id = ?", (guild_id, resource_id)
            )
        return resource

    async def counts(self, guild_id: int) -> dict[tuple[int, ResourceKind], int]:
        """{(initiative id, kind): count} for the whole guild."""
        rows = await self.db.fetch_all(
            "SELECT initiative_id, kind, count(*) FROM resources WHERE guild_id = ?"
            " GROUP BY initiative_id, kind",
            (guild_id,),
        )
        return {(int(row[0]), row[1]): int(row[2]) for row in rows}

    async def added_by(self, guild_id: int, user_id: int) -> list[Resource]:
        rows = await self.db.fetch_all(
            f"SELECT {_COLUMNS} FROM resources WHERE guild_id = ? AND added_by = ?"
            " ORDER BY added_at, id",
            (guild_id, user_id),
        )
        return [_resource(row) for row in rows]

    async def forget_author(self, guild_id: int, user_id: int) -> int:
        """Keep the links but erase who added them; returns how many rows changed."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE resources SET added_by = NULL WHERE guild_id = ? AND added_by = ?",
                (guild_id, user_id),
            )
            return cursor.rowcount


def _resource(row: aiosqlite.Row) -> Resource:
    return Resource(
        id=row["id"],
        guild_id=row["guild_id"],
        initiative_id=row["initiative_id"],
        kind=row["kind"],
        title=row["title"],
        url=row["url"],
        added_by=row["added_by"],
        added_at=parse_db_time(row["added_at"]),
        updated_at=parse_db_time(row["updated_at"]),
    )

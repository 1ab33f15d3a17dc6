"""Repository: documents and projects of initiatives (one table, told apart by kind)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.errors import Conflict, NotFound
from bot.storage.database import Database, IntegrityError, Row, SqliteDatabase
from bot.storage.directory.models import Resource, ResourceKind, db_time, parse_db_time

_COLUMNS = "id, guild_id, initiative_id, kind, number, title, url, added_by, added_at, updated_at"
# SQLite's SQL function through which titles are compared (see ``use_title_key``).
_TITLE_KEY = "agora_title_key"
# Folded titles remembered at most (then forgotten all at once): ~2 MB.
_FOLDED_KEPT = 20_000
# People name items by their number within an initiative (``number``); an internal id
# that names nothing means the item was removed in the meantime.
_GONE = (
    "That document or project is no longer listed (it may have just been removed); see"
    " the current ones with /initiative doc list or /initiative project list."
)


class ItemLimitReached(Exception):
    """The initiative already lists ``count`` items of that kind (at least the cap)."""

    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.count = count


class ResourceRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._title_key: Callable[[str], str] | None = None
        self._folded: dict[str, str] = {}  # title -> its key

    async def use_title_key(self, key: Callable[[str], str]) -> None:
        """How titles compare (the services' fold: case, accents, punctuation).

        The fold is Python's. On SQLite it is the SQL function ``agora_title_key``, so
        title lookups are answered inside SQLite over every item of an initiative and
        only the items found are read into Python (twice as fast as folding here at 500
        items). PostgreSQL cannot call Python: there the initiative's items of a kind (at
        most the cap, 500) are read and their folded titles, remembered between lookups,
        compared here. The one place the two backends run different code for the same
        answer, as full-text search is; tests/storage/directory runs both.
        """
        if self._title_key is not key:
            self._title_key = key
            self._folded.clear()
            if isinstance(self.db, SqliteDatabase):
                await self.db.conn.create_function(_TITLE_KEY, 1, key, deterministic=True)

    async def _keyed(
        self, guild_id: int, initiative_id: int, kind: ResourceKind
    ) -> list[tuple[str, Row]]:
        """(title key, row) of the initiative's items of ``kind``, newest first."""
        key = self._require_title_key()
        rows = await self.db.fetch_all(
            f"SELECT {_COLUMNS} FROM resources WHERE guild_id = ? AND initiative_id = ?"
            " AND kind = ? ORDER BY added_at DESC, id DESC",
            (guild_id, initiative_id, kind),
        )
        folded = self._folded
        if len(folded) > _FOLDED_KEPT:
            folded.clear()
        keyed = []
        for row in rows:
            title = row[5]
            title_key = folded.get(title)
            if title_key is None:
                title_key = folded[title] = key(title)
            keyed.append((title_key, row))
        return keyed

    def _require_title_key(self) -> Callable[[str], str]:
        if self._title_key is None:
            raise RuntimeError("call use_title_key before looking items up by title")
        return self._title_key

    async def add(
        self,
        guild_id: int,
        initiative_id: int,
        kind: ResourceKind,
        title: str,
        url: str,
        added_by: int,
        now: datetime,
        cap: int | None = None,
    ) -> Resource:
        """Insert; ``ItemLimitReached`` when the initiative already has ``cap`` of that kind
        (counted in the same transaction, so two adds at once cannot both pass)."""
        async with self.db.transaction() as conn:
            if cap is not None:
                async with conn.execute(
                    "SELECT count(*) FROM resources"
                    " WHERE guild_id = ? AND initiative_id = ? AND kind = ?",
                    (guild_id, initiative_id, kind),
                ) as cursor:
                    row = await cursor.fetchone()
                count = int(row[0]) if row else 0
                if count >= cap:
                    raise ItemLimitReached(count)
            try:
                # Numbered by the resources_number_next trigger (migration 010) within this
                # statement: per initiative and kind, never a number given before.
                cursor = await conn.execute(
                    "INSERT INTO resources (guild_id, initiative_id, kind, title, url, added_by,"
                    " added_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (guild_id, initiative_id, kind, title, url, added_by, *[db_time(now)] * 2),
                )
                resource_id = int((await cursor.fetchone())[0])
            except IntegrityError:
                raise Conflict(f"That {kind} link is already listed for this initiative.") from None
        return await self.get(guild_id, resource_id)

    async def get(self, guild_id: int, resource_id: int) -> Resource:
        row = await self.db.fetch_one(
            f"SELECT {_COLUMNS} FROM resources WHERE guild_id = ? AND id = ?",
            (guild_id, resource_id),
        )
        if row is None:
            raise NotFound(_GONE)
        return _resource(row)

    async def get_numbered(
        self, guild_id: int, initiative_id: int, kind: ResourceKind, number: int
    ) -> Resource | None:
        """The initiative's item of that kind numbered ``number`` (``#3``), or None."""
        row = await self.db.fetch_one(
            f"SELECT {_COLUMNS} FROM resources WHERE guild_id = ? AND initiative_id = ?"
            " AND kind = ? AND number = ?",
            (guild_id, initiative_id, kind, number),
        )
        return None if row is None else _resource(row)

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

    async def find_titled(
        self, guild_id: int, initiative_id: int, kind: ResourceKind, key: str
    ) -> Resource | None:
        """The newest item whose title's key (``use_title_key``) is ``key``."""
        if self.db.dialect == "sqlite":
            self._require_title_key()
            row = await self.db.fetch_one(
                f"SELECT {_COLUMNS} FROM resources WHERE guild_id = ? AND initiative_id = ?"
                f" AND kind = ? AND {_TITLE_KEY}(title) = ?"
                " ORDER BY added_at DESC, id DESC LIMIT 1",
                (guild_id, initiative_id, kind, key),
            )
            return None if row is None else _resource(row)
        for title_key, row in await self._keyed(guild_id, initiative_id, kind):
            if title_key == key:
                return _resource(row)
        return None

    async def search_titles(
        self, guild_id: int, initiative_id: int, kind: ResourceKind, needle: str, limit: int
    ) -> list[Resource]:
        """Items whose title's key starts with ``needle``, then those containing it, newest
        first within each; at most ``limit`` (every item for an empty needle)."""
        if self.db.dialect == "sqlite":
            self._require_title_key()
            rows = await self.db.fetch_all(
                f"SELECT {_COLUMNS}, instr({_TITLE_KEY}(title), ?) AS at FROM resources"
                " WHERE guild_id = ? AND initiative_id = ? AND kind = ? AND at > 0"
                " ORDER BY at > 1, added_at DESC, id DESC LIMIT ?",
                (needle, guild_id, initiative_id, kind, limit),
            )
            return [_resource(row) for row in rows]
        starting: list[Row] = []
        containing: list[Row] = []
        for title_key, row in await self._keyed(guild_id, initiative_id, kind):
            at = title_key.find(needle)
            if at == 0:
                starting.append(row)
            elif at > 0:
                containing.append(row)
        return [_resource(row) for row in (starting + containing)[: max(limit, 0)]]

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
            except IntegrityError:
                raise Conflict("That link is already listed for this initiative.") from None
            if cursor.rowcount == 0:
                raise NotFound(_GONE)
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


def _resource(row: Row) -> Resource:
    return Resource(
        id=row["id"],
        guild_id=row["guild_id"],
        initiative_id=row["initiative_id"],
        kind=row["kind"],
        number=row["number"],
        title=row["title"],
        url=row["url"],
        added_by=row["added_by"],
        added_at=parse_db_time(row["added_at"]),
        updated_at=parse_db_time(row["updated_at"]),
    )

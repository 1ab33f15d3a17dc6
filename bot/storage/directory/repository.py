"""Repository: clusters and initiatives, with FTS5 search."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.errors import Conflict, NotFound
from bot.storage.database import Connection, Database, IntegrityError, Row
from bot.storage.directory.models import (
    Cluster,
    ClusterDraft,
    Initiative,
    InitiativeDraft,
    SourceCounts,
    db_time,
    parse_db_time,
)
from bot.storage.fleet import EVERYTHING, ShardScope

_INITIATIVE_COLUMNS = (
    "id, guild_id, slug, name, title_missing, goal, goal_truncated, cluster_id, channel_id,"
    " role_id, source_members, source_documents, source_projects, source_discussions,"
    " source_note, created_at, updated_at"
)
_CLUSTER_COLUMNS = (
    "id, guild_id, slug, name, description, category_channel_id, channel_id, created_at, updated_at"
)


@dataclass(frozen=True)
class DirectoryChanges:
    """One batch of directory writes, applied in a single transaction (imports)."""

    new_clusters: Sequence[ClusterDraft] = ()
    changed_clusters: Sequence[ClusterDraft] = ()  # matched by slug
    new_initiatives: Sequence[InitiativeDraft] = ()
    changed_initiatives: Sequence[InitiativeDraft] = ()  # matched by slug


@dataclass(frozen=True)
class ClearedMappings:
    """What a deleted Discord channel or role was mapped to."""

    initiative_ids: tuple[int, ...] = ()
    cluster_ids: tuple[int, ...] = ()


_FTS_WORD = re.compile(r'"((?:[^"]|"")*)"(\*?)')


def tsquery(match: str) -> str:
    """The FTS5 expression the services build (quoted words, each maybe a prefix, joined by
    spaces or ``OR``) as a PostgreSQL tsquery: ``'word':* & 'other':*``."""
    joiner = " | " if " OR " in match else " & "
    terms = []
    for word, star in _FTS_WORD.findall(match):
        text = word.replace('""', '"').replace("'", "''").replace("\\", "\\\\")
        if text.strip():
            terms.append(f"'{text}'" + (":*" if star else ""))
    return joiner.join(terms)


class DirectoryRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- reads -----------------------------------------------------------

    async def list_clusters(self, guild_id: int) -> list[Cluster]:
        rows = await self.db.fetch_all(
            f"SELECT {_CLUSTER_COLUMNS} FROM clusters WHERE guild_id = ? ORDER BY id", (guild_id,)
        )
        return [_cluster(row) for row in rows]

    async def list_initiatives(self, guild_id: int) -> list[Initiative]:
        rows = await self.db.fetch_all(
            f"SELECT {_INITIATIVE_COLUMNS} FROM initiatives WHERE guild_id = ? ORDER BY id",
            (guild_id,),
        )
        # An import writes its initiatives with one time and often the same source
        # counts: keep one object per distinct value rather than one per initiative
        # (the in-memory directory holds all 10,000 of a big guild for good).
        times: dict[str, datetime] = {}
        counts: dict[tuple[int | None, ...], SourceCounts] = {}
        return [_initiative(row, times, counts) for row in rows]

    async def get_initiative(self, guild_id: int, initiative_id: int) -> Initiative:
        row = await self.db.fetch_one(
            f"SELECT {_INITIATIVE_COLUMNS} FROM initiatives WHERE guild_id = ? AND id = ?",
            (guild_id, initiative_id),
        )
        if row is None:
            raise NotFound(f"No initiative with id {initiative_id} on this server.")
        return _initiative(row)

    async def guild_ids(self, scope: ShardScope = EVERYTHING) -> list[int]:
        """Guilds of ``scope`` that have a directory (to warm caches at start)."""
        among, params = scope.sql_filter("guild_id")
        rows = await self.db.fetch_all(
            f"SELECT DISTINCT guild_id FROM clusters WHERE guild_id > 0{among} ORDER BY guild_id",
            params,
        )
        return [int(row[0]) for row in rows]

    async def search(
        self, guild_id: int, match: str, limit: int, offset: int
    ) -> tuple[list[tuple[int, float]], int]:
        """(initiative id, bm25 rank) best first for an FTS5 MATCH expression, and the total.

        ``match`` must already be a safe FTS5 expression; bm25 weighs a hit in the
        name five times a hit in the goal. On PostgreSQL the expression becomes a
        tsquery over the ``search`` column (migration 001) and the rank is
        ``-ts_rank`` with the same weights, so lower is better on both.
        """
        if not match:
            return [], 0
        if self.db.dialect == "postgresql":
            return await self._search_postgres(guild_id, match, limit, offset)
        rows = await self.db.fetch_all(
            "SELECT i.id, bm25(initiatives_fts, 5.0, 1.0) AS rank"
            " FROM initiatives_fts JOIN initiatives i ON i.id = initiatives_fts.rowid"
            " WHERE initiatives_fts MATCH ? AND i.guild_id = ?"
            " ORDER BY rank, i.name LIMIT ? OFFSET ?",
            (match, guild_id, limit, offset),
        )
        total_row = await self.db.fetch_one(
            "SELECT count(*) FROM initiatives_fts"
            " JOIN initiatives i ON i.id = initiatives_fts.rowid"
            " WHERE initiatives_fts MATCH ? AND i.guild_id = ?",
            (match, guild_id),
        )
        total = int(total_row[0]) if total_row else 0
        return [(int(row[0]), float(row[1])) for row in rows], total

    async def _search_postgres(
        self, guild_id: int, match: str, limit: int, offset: int
    ) -> tuple[list[tuple[int, float]], int]:
        query = tsquery(match)
        if not query:
            return [], 0
        rows = await self.db.fetch_all(
            "SELECT id, -ts_rank('{0, 0, 0.2, 1}', search, to_tsquery('simple', ?)) AS rank"
            " FROM initiatives WHERE guild_id = ? AND search @@ to_tsquery('simple', ?)"
            " ORDER BY rank, name LIMIT ? OFFSET ?",
            (query, guild_id, query, limit, offset),
        )
        total_row = await self.db.fetch_one(
            "SELECT count(*) FROM initiatives"
            " WHERE guild_id = ? AND search @@ to_tsquery('simple', ?)",
            (guild_id, query),
        )
        total = int(total_row[0]) if total_row else 0
        return [(int(row[0]), float(row[1])) for row in rows], total

    # --- writes ----------------------------------------------------------

    async def create_cluster(self, guild_id: int, draft: ClusterDraft, now: datetime) -> Cluster:
        async with self.db.transaction() as conn:
            await _insert_cluster(conn, guild_id, draft, now)
        return await self._cluster_by_slug(guild_id, draft.slug)

    async def create_initiative(
        self, guild_id: int, draft: InitiativeDraft, now: datetime
    ) -> Initiative:
        async with self.db.transaction() as conn:
            await _insert_initiative(conn, guild_id, draft, now)
        return await self._initiative_by_slug(guild_id, draft.slug)

    async def update_initiative(
        self, guild_id: int, draft: InitiativeDraft, now: datetime
    ) -> Initiative:
        """Overwrite the initiative with ``draft.slug``'s directory fields."""
        async with self.db.transaction() as conn:
            await _update_initiative(conn, guild_id, draft, now)
        return await self._initiative_by_slug(guild_id, draft.slug)

    async def delete_initiative(self, guild_id: int, initiative_id: int) -> None:
        """Delete it with its memberships, documents and projects."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "DELETE FROM initiatives WHERE guild_id = ? AND id = ?", (guild_id, initiative_id)
            )

    async def apply(self, guild_id: int, changes: DirectoryChanges, now: datetime) -> None:
        """Write a whole batch or nothing."""
        async with self.db.transaction() as conn:
            for cluster in changes.new_clusters:
                await _insert_cluster(conn, guild_id, cluster, now)
            for cluster in changes.changed_clusters:
                await conn.execute(
                    "UPDATE clusters SET name = ?, description = ?, updated_at = ?"
                    " WHERE guild_id = ? AND slug = ?",
                    (cluster.name, cluster.description, db_time(now), guild_id, cluster.slug),
                )
            # Renames go through a unique placeholder first (no valid name starts
            # with a newline) so two initiatives swapping names in one file do not
            # trip the unique name index.
            for draft in changes.changed_initiatives:
                await conn.execute(
                    "UPDATE initiatives SET name = ? || slug WHERE guild_id = ? AND slug = ?"
                    " AND name <> ?",
                    ("\n", guild_id, draft.slug, draft.name),
                )
            for draft in changes.changed_initiatives:
                await _update_initiative(conn, guild_id, draft, now)
            for draft in changes.new_initiatives:
                await _insert_initiative(conn, guild_id, draft, now)

    async def set_channel(
        self, guild_id: int, initiative_id: int, channel_id: int | None, now: datetime
    ) -> Initiative:
        await self._set_mapping(guild_id, initiative_id, "channel_id", channel_id, now)
        return await self.get_initiative(guild_id, initiative_id)

    async def set_role(
        self, guild_id: int, initiative_id: int, role_id: int | None, now: datetime
    ) -> Initiative:
        await self._set_mapping(guild_id, initiative_id, "role_id", role_id, now)
        return await self.get_initiative(guild_id, initiative_id)

    async def set_category(
        self, guild_id: int, cluster_id: int, category_channel_id: int | None, now: datetime
    ) -> Cluster:
        return await self._set_cluster_channel_column(
            "category_channel_id", guild_id, cluster_id, category_channel_id, now
        )

    async def set_cluster_channel(
        self, guild_id: int, cluster_id: int, channel_id: int | None, now: datetime
    ) -> Cluster:
        return await self._set_cluster_channel_column(
            "channel_id", guild_id, cluster_id, channel_id, now
        )

    async def _set_cluster_channel_column(
        self,
        column: Literal["category_channel_id", "channel_id"],
        guild_id: int,
        cluster_id: int,
        channel_id: int | None,
        now: datetime,
    ) -> Cluster:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                f"UPDATE clusters SET {column} = ?, updated_at = ? WHERE guild_id = ? AND id = ?",
                (channel_id, db_time(now), guild_id, cluster_id),
            )
            if cursor.rowcount == 0:
                raise NotFound(f"No cluster with id {cluster_id} on this server.")
        row = await self.db.fetch_one(
            f"SELECT {_CLUSTER_COLUMNS} FROM clusters WHERE guild_id = ? AND id = ?",
            (guild_id, cluster_id),
        )
        assert row is not None
        return _cluster(row)

    async def clear_channel(self, guild_id: int, channel_id: int, now: datetime) -> ClearedMappings:
        """Forget ``channel_id`` wherever it is mapped (the channel was deleted)."""
        async with self.db.transaction() as conn:
            initiatives = await _ids(
                conn,
                "SELECT id FROM initiatives WHERE guild_id = ? AND channel_id = ?",
                (guild_id, channel_id),
            )
            clusters = await _ids(
                conn,
                "SELECT id FROM clusters WHERE guild_id = ?"
                " AND (category_channel_id = ? OR channel_id = ?)",
                (guild_id, channel_id, channel_id),
            )
            await conn.execute(
                "UPDATE initiatives SET channel_id = NULL, updated_at = ?"
                " WHERE guild_id = ? AND channel_id = ?",
                (db_time(now), guild_id, channel_id),
            )
            await conn.execute(
                "UPDATE clusters SET category_channel_id = NULL, updated_at = ?"
                " WHERE guild_id = ? AND category_channel_id = ?",
                (db_time(now), guild_id, channel_id),
            )
            await conn.execute(
                "UPDATE clusters SET channel_id = NULL, updated_at = ?"
                " WHERE guild_id = ? AND channel_id = ?",
                (db_time(now), guild_id, channel_id),
            )
        return ClearedMappings(initiative_ids=tuple(initiatives), cluster_ids=tuple(clusters))

    async def clear_role(self, guild_id: int, role_id: int, now: datetime) -> ClearedMappings:
        """Forget ``role_id`` wherever it is mapped (the role was deleted)."""
        async with self.db.transaction() as conn:
            initiatives = await _ids(
                conn,
                "SELECT id FROM initiatives WHERE guild_id = ? AND role_id = ?",
                (guild_id, role_id),
            )
            await conn.execute(
                "UPDATE initiatives SET role_id = NULL, updated_at = ?"
                " WHERE guild_id = ? AND role_id = ?",
                (db_time(now), guild_id, role_id),
            )
        return ClearedMappings(initiative_ids=tuple(initiatives))

    # --- helpers ---------------------------------------------------------

    async def _set_mapping(
        self, guild_id: int, initiative_id: int, column: str, value: int | None, now: datetime
    ) -> None:
        # column is one of two literals chosen by this class, never user input.
        assert column in ("channel_id", "role_id")
        async with self.db.transaction() as conn:
            if value is not None:
                async with conn.execute(
                    f"SELECT name FROM initiatives WHERE guild_id = ? AND {column} = ? AND id <> ?",
                    (guild_id, value, initiative_id),
                ) as cursor:
                    taken = await cursor.fetchone()
                if taken is not None:
                    what = "channel" if column == "channel_id" else "role"
                    raise Conflict(
                        f"That {what} already belongs to the initiative {taken[0]}; "
                        f"unlink it there first."
                    )
            cursor = await conn.execute(
                f"UPDATE initiatives SET {column} = ?, updated_at = ?"
                " WHERE guild_id = ? AND id = ?",
                (value, db_time(now), guild_id, initiative_id),
            )
            if cursor.rowcount == 0:
                raise NotFound(f"No initiative with id {initiative_id} on this server.")

    async def _cluster_by_slug(self, guild_id: int, slug: str) -> Cluster:
        row = await self.db.fetch_one(
            f"SELECT {_CLUSTER_COLUMNS} FROM clusters WHERE guild_id = ? AND slug = ?",
            (guild_id, slug),
        )
        if row is None:
            raise NotFound(f"No cluster `{slug}` on this server.")
        return _cluster(row)

    async def _initiative_by_slug(self, guild_id: int, slug: str) -> Initiative:
        row = await self.db.fetch_one(
            f"SELECT {_INITIATIVE_COLUMNS} FROM initiatives WHERE guild_id = ? AND slug = ?",
            (guild_id, slug),
        )
        if row is None:
            raise NotFound(f"No initiative `{slug}` on this server.")
        return _initiative(row)


async def _ids(conn: Connection, sql: str, params: Sequence[object]) -> list[int]:
    async with conn.execute(sql, params) as cursor:
        return [int(row[0]) for row in await cursor.fetchall()]


async def _insert_cluster(
    conn: Connection, guild_id: int, draft: ClusterDraft, now: datetime
) -> None:
    try:
        await conn.execute(
            "INSERT INTO clusters (guild_id, slug, name, description, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (guild_id, draft.slug, draft.name, draft.description, db_time(now), db_time(now)),
        )
    except IntegrityError:
        raise Conflict(
            f"A cluster with the slug `{draft.slug}` or the name {draft.name!r} already exists."
        ) from None


async def _cluster_id(conn: Connection, guild_id: int, slug: str) -> int:
    async with conn.execute(
        "SELECT id FROM clusters WHERE guild_id = ? AND slug = ?", (guild_id, slug)
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        raise NotFound(f"No cluster `{slug}` on this server.")
    return int(row[0])


def _initiative_values(draft: InitiativeDraft) -> tuple[object, ...]:
    counts = draft.source_counts
    return (
        draft.name,
        int(draft.title_missing),
        draft.goal,
        int(draft.goal_truncated),
        counts.members,
        counts.documents,
        counts.projects,
        counts.discussions,
        draft.source_note,
    )


async def _insert_initiative(
    conn: Connection, guild_id: int, draft: InitiativeDraft, now: datetime
) -> None:
    cluster_id = await _cluster_id(conn, guild_id, draft.cluster_slug)
    try:
        await conn.execute(
            "INSERT INTO initiatives (name, title_missing, goal, goal_truncated, source_members,"
            " source_documents, source_projects, source_discussions, source_note,"
            " guild_id, slug, cluster_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                *_initiative_values(draft),
                guild_id,
                draft.slug,
                cluster_id,
                db_time(now),
                db_time(now),
            ),
        )
    except IntegrityError:
        raise Conflict(
            f"An initiative with the slug `{draft.slug}` or the name {draft.name!r} already exists."
        ) from None


async def _update_initiative(
    conn: Connection, guild_id: int, draft: InitiativeDraft, now: datetime
) -> None:
    cluster_id = await _cluster_id(conn, guild_id, draft.cluster_slug)
    try:
        cursor = await conn.execute(
            "UPDATE initiatives SET name = ?, title_missing = ?, goal = ?, goal_truncated = ?,"
            " source_members = ?, source_documents = ?, source_projects = ?,"
            " source_discussions = ?, source_note = ?, cluster_id = ?, updated_at = ?"
            " WHERE guild_id = ? AND slug = ?",
            (*_initiative_values(draft), cluster_id, db_time(now), guild_id, draft.slug),
        )
    except IntegrityError:
        raise Conflict(f"Another initiative is already named {draft.name!r}.") from None
    if cursor.rowcount == 0:
        raise NotFound(f"No initiative `{draft.slug}` on this server.")


def _cluster(row: Row) -> Cluster:
    return Cluster(
        id=row["id"],
        guild_id=row["guild_id"],
        slug=row["slug"],
        name=row["name"],
        description=row["description"],
        category_channel_id=row["category_channel_id"],
        channel_id=row["channel_id"],
        created_at=parse_db_time(row["created_at"]),
        updated_at=parse_db_time(row["updated_at"]),
    )


def _initiative(
    row: Row,
    times: dict[str, datetime] | None = None,
    counts: dict[tuple[int | None, ...], SourceCounts] | None = None,
) -> Initiative:
    """An Initiative from a row of ``_INITIATIVE_COLUMNS``.

    ``times`` and ``counts`` share equal values between the rows of one listing.
    Columns are read by position: by name, sqlite3.Row looks each one up among
    the 17 columns, a third of the cost of listing a big guild.
    """
    (
        initiative_id,
        guild_id,
        slug,
        name,
        title_missing,
        goal,
        goal_truncated,
        cluster_id,
        channel_id,
        role_id,
        source_members,
        source_documents,
        source_projects,
        source_discussions,
        source_note,
        created_at,
        updated_at,
    ) = row
    source = (source_members, source_documents, source_projects, source_discussions)
    source_counts = None if counts is None else counts.get(source)
    if source_counts is None:
        source_counts = SourceCounts(*source)
        if counts is not None:
            counts[source] = source_counts
    return Initiative(
        id=initiative_id,
        guild_id=guild_id,
        slug=slug,
        name=name,
        title_missing=bool(title_missing),
        goal=goal,
        goal_truncated=bool(goal_truncated),
        cluster_id=cluster_id,
        channel_id=channel_id,
        role_id=role_id,
        source_counts=source_counts,
        source_note=source_note,
        created_at=_time(created_at, times),
        updated_at=_time(updated_at, times),
    )


def _time(text: str, seen: dict[str, datetime] | None) -> datetime:
    if seen is None:
        return parse_db_time(text)
    moment = seen.get(text)
    if moment is None:
        moment = seen[text] = parse_db_time(text)
    return moment

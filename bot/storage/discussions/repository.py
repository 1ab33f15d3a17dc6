"""Repository: discussion threads of initiatives and who took part in them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.storage.database import Connection, Database, Row
from bot.storage.discussions.models import (
    AuthoredDiscussion,
    Discussion,
    DiscussionParticipation,
    DiscussionState,
    NewThread,
    RankedDiscussion,
    ThreadStateChange,
    UserDiscussionRecord,
    from_epoch,
    from_epoch_or_none,
)
from bot.storage.fleet import EVERYTHING, ShardScope
from bot.storage.privacy.forgotten import ForgottenRepository

# The participant count is computed, not stored, so forgetting a user updates it.
_COLUMNS = """
d.guild_id, d.thread_id, d.parent_channel_id, d.initiative_id, d.name, d.author_id,
d.created_at, d.archived, d.locked, d.archived_at, d.deleted_at, d.message_count,
d.last_activity_at,
(SELECT COUNT(*) FROM discussion_participants p
  WHERE p.guild_id = d.guild_id AND p.thread_id = d.thread_id) AS participant_count
"""
_SELECT = f"SELECT {_COLUMNS} FROM discussions d"

_STATE_FILTER = {
    DiscussionState.OPEN: " AND d.archived = 0",
    DiscussionState.ARCHIVED: " AND d.archived = 1",
    DiscussionState.ALL: "",
}

_INSERT_THREAD = """
INSERT INTO discussions (guild_id, thread_id, parent_channel_id, initiative_id, name,
                         author_id, created_at, archived, locked, archived_at, message_count,
                         last_activity_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (guild_id, thread_id) DO UPDATE SET
    name = excluded.name,
    parent_channel_id = excluded.parent_channel_id,
    initiative_id = excluded.initiative_id,
    archived = excluded.archived,
    locked = excluded.locked,
    archived_at = excluded.archived_at,
    deleted_at = NULL
"""

_INSERT_AUTHOR = """
INSERT INTO discussion_participants (guild_id, thread_id, user_id, message_count, first_at,
                                     last_at)
VALUES (?, ?, ?, 0, ?, ?)
ON CONFLICT (guild_id, thread_id, user_id) DO NOTHING
"""

_ADD_HOUR = """
INSERT INTO discussion_activity (guild_id, thread_id, hour_start, messages)
VALUES (?, ?, ?, ?)
ON CONFLICT (guild_id, thread_id, hour_start) DO UPDATE SET
    messages = discussion_activity.messages + excluded.messages
"""


def hour_of(epoch_seconds: int) -> int:
    """The start of the hour bucket that ``epoch_seconds`` falls in."""
    return epoch_seconds - epoch_seconds % 3600


def _discussion(row: Row) -> Discussion:
    return Discussion(
        guild_id=row["guild_id"],
        thread_id=row["thread_id"],
        parent_channel_id=row["parent_channel_id"],
        initiative_id=row["initiative_id"],
        name=row["name"],
        author_id=row["author_id"],
        created_at=from_epoch(row["created_at"]),
        archived=bool(row["archived"]),
        locked=bool(row["locked"]),
        archived_at=from_epoch_or_none(row["archived_at"]),
        deleted_at=from_epoch_or_none(row["deleted_at"]),
        message_count=row["message_count"],
        participant_count=row["participant_count"],
        last_activity_at=from_epoch(row["last_activity_at"]),
    )


class DiscussionRepository:
    def __init__(self, db: Database, forgotten: ForgottenRepository) -> None:
        self.db = db
        self._forgotten = forgotten

    async def _unattributed(self, guild_id: int, threads: Sequence[NewThread]) -> list[NewThread]:
        """Threads opened by someone before they asked to be forgotten lose their author.

        Every way a thread is recorded (live thread events, a thread Agora missed and
        meets again, the catch-up after downtime) comes through here, so re-reading
        Discord never names the person again; threads they open afterwards are theirs.
        """
        authors = {thread.author_id for thread in threads if thread.author_id is not None}
        if not authors:
            return list(threads)
        forgotten = await self._forgotten.forgotten_among(guild_id, authors, "discussions")
        return [
            replace(thread, author_id=None)
            if thread.author_id is not None
            and thread.created_at <= forgotten.get(thread.author_id, -1)
            else thread
            for thread in threads
        ]

    # -- writes ---------------------------------------------------------------

    async def add(self, guild_id: int, thread: NewThread) -> Discussion:
        """Insert a thread (or revive/refresh it if already known); return it."""
        (thread,) = await self._unattributed(guild_id, [thread])
        async with self.db.transaction() as conn:
            await _insert_threads(conn, guild_id, [thread])
        found = await self.get(guild_id, thread.thread_id)
        assert found is not None  # just written
        return found

    async def update_state(
        self, guild_id: int, thread_id: int, name: str, archived: bool, locked: bool, at: int
    ) -> Discussion | None:
        """Apply a rename/archive/unarchive/lock; None if the thread is unknown or deleted."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                """
                UPDATE discussions
                   SET name = ?, locked = ?, archived = ?,
                       archived_at = CASE WHEN ? = 0 THEN NULL
                                          WHEN archived = 1 THEN archived_at
                                          ELSE ? END
                 WHERE guild_id = ? AND thread_id = ? AND deleted_at IS NULL
                """,
                (name, int(locked), int(archived), int(archived), at, guild_id, thread_id),
            )
            changed = cursor.rowcount
        if not changed:
            return None
        return await self.get(guild_id, thread_id)

    async def mark_deleted(self, guild_id: int, thread_id: int, at: int) -> Discussion | None:
        """Mark a thread deleted; its counts stay for history. None if not tracked."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE discussions SET deleted_at = ?"
                " WHERE guild_id = ? AND thread_id = ? AND deleted_at IS NULL",
                (at, guild_id, thread_id),
            )
            changed = cursor.rowcount
        if not changed:
            return None
        return await self.get(guild_id, thread_id)

    async def apply_reconciliation(
        self,
        guild_id: int,
        created: Sequence[NewThread],
        changed: Sequence[ThreadStateChange],
        deleted_thread_ids: Sequence[int],
        at: int,
    ) -> None:
        """Write everything a reconciliation found, in one transaction."""
        created = await self._unattributed(guild_id, created)
        async with self.db.transaction() as conn:
            await _insert_threads(conn, guild_id, created)
            await conn.executemany(
                """
                UPDATE discussions
                   SET name = ?, archived = ?, locked = ?, archived_at = ?,
                       message_count = message_count + ?,
                       last_activity_at = MAX(last_activity_at, COALESCE(?, 0)),
                       deleted_at = CASE WHEN ? THEN NULL ELSE deleted_at END
                 WHERE guild_id = ? AND thread_id = ?
                """,
                [
                    (
                        change.name,
                        int(change.archived),
                        int(change.locked),
                        change.archived_at,
                        change.extra_messages,
                        change.extra_messages_at if change.extra_messages else None,
                        change.restore,
                        guild_id,
                        change.thread_id,
                    )
                    for change in changed
                ],
            )
            await conn.executemany(
                _ADD_HOUR,
                [
                    (guild_id, change.thread_id, hour_of(change.extra_messages_at or at), extra)
                    for change in changed
                    if (extra := change.extra_messages) > 0
                ],
            )
            await conn.executemany(
                "UPDATE discussions SET deleted_at = ? WHERE guild_id = ? AND thread_id = ?"
                " AND deleted_at IS NULL",
                [(at, guild_id, thread_id) for thread_id in deleted_thread_ids],
            )

    async def delete_initiative(self, guild_id: int, initiative_id: int) -> list[int]:
        """Delete an initiative's discussions and their activity; returns their thread ids."""
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT thread_id FROM discussions WHERE guild_id = ? AND initiative_id = ?",
                (guild_id, initiative_id),
            ) as cursor:
                thread_ids = [int(row[0]) for row in await cursor.fetchall()]
            # Participants and hour buckets go with them (ON DELETE CASCADE).
            await conn.execute(
                "DELETE FROM discussions WHERE guild_id = ? AND initiative_id = ?",
                (guild_id, initiative_id),
            )
            await conn.execute(
                "DELETE FROM initiative_nudges WHERE guild_id = ? AND initiative_id = ?",
                (guild_id, initiative_id),
            )
        return thread_ids

    # -- reads ----------------------------------------------------------------

    async def get(self, guild_id: int, thread_id: int) -> Discussion | None:
        row = await self.db.fetch_one(
            _SELECT + " WHERE d.guild_id = ? AND d.thread_id = ?", (guild_id, thread_id)
        )
        return None if row is None else _discussion(row)

    async def in_guild(self, guild_id: int, include_deleted: bool = False) -> list[Discussion]:
        """Every discussion of a guild (for reconciliation)."""
        where = "" if include_deleted else " AND d.deleted_at IS NULL"
        rows = await self.db.fetch_all(
            _SELECT + " WHERE d.guild_id = ?" + where + " ORDER BY d.thread_id", (guild_id,)
        )
        return [_discussion(row) for row in rows]

    async def page(
        self,
        guild_id: int,
        initiative_id: int | None,
        state: DiscussionState,
        limit: int,
        offset: int,
    ) -> list[Discussion]:
        """Discussions, most recently active first; deleted ones are left out."""
        sql, params = self._filtered(guild_id, initiative_id, state)
        rows = await self.db.fetch_all(
            _SELECT + sql + " ORDER BY d.last_activity_at DESC, d.thread_id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [_discussion(row) for row in rows]

    async def count(self, guild_id: int, initiative_id: int | None, state: DiscussionState) -> int:
        sql, params = self._filtered(guild_id, initiative_id, state)
        row = await self.db.fetch_one("SELECT COUNT(*) FROM discussions d" + sql, params)
        return int(row[0]) if row else 0

    @staticmethod
    def _filtered(
        guild_id: int, initiative_id: int | None, state: DiscussionState
    ) -> tuple[str, tuple[int, ...]]:
        sql = " WHERE d.guild_id = ? AND d.deleted_at IS NULL" + _STATE_FILTER[state]
        if initiative_id is None:
            return sql, (guild_id,)
        return sql + " AND d.initiative_id = ?", (guild_id, initiative_id)

    async def top(
        self,
        guild_id: int,
        cluster_id: int | None,
        since: int | None,
        until: int | None,
        limit: int,
        offset: int,
    ) -> list[RankedDiscussion]:
        """Most messages in [since, until) first; no bounds means all time.

        All time reads the thread's own count, which includes messages that
        reconciliation found; periods read the hour buckets.
        """
        scope = ""
        scope_params: list[int] = []
        if cluster_id is not None:
            # Initiatives belong to the directory's schema (migration 001).
            scope = (
                " AND d.initiative_id IN"
                " (SELECT i.id FROM initiatives i WHERE i.guild_id = ? AND i.cluster_id = ?)"
            )
            scope_params = [guild_id, cluster_id]
        params: list[int] = []
        if since is None and until is None:
            sql = (
                f"SELECT {_COLUMNS}, d.message_count AS period_messages FROM discussions d"
                " WHERE d.guild_id = ? AND d.deleted_at IS NULL AND d.message_count > 0"
            )
        else:
            window = ""
            for bound, condition in (
                (since, " AND a.hour_start >= ?"),
                (until, " AND a.hour_start < ?"),
            ):
                if bound is not None:
                    window += condition
                    params.append(bound)
            sql = (
                f"SELECT {_COLUMNS}, period.messages AS period_messages FROM discussions d"
                "  JOIN (SELECT a.thread_id, SUM(a.messages) AS messages"
                "          FROM discussion_activity a"
                f"        WHERE a.guild_id = ?{window} GROUP BY a.thread_id) AS period"
                "    ON period.thread_id = d.thread_id"
                " WHERE d.guild_id = ? AND d.deleted_at IS NULL AND period.messages > 0"
            )
            params.insert(0, guild_id)
        params += [guild_id, *scope_params]
        sql += scope + (
            " ORDER BY period_messages DESC, d.last_activity_at DESC, d.thread_id LIMIT ? OFFSET ?"
        )
        rows = await self.db.fetch_all(sql, (*params, limit, offset))
        return [RankedDiscussion(_discussion(row), int(row["period_messages"])) for row in rows]

    async def counts_by_initiative(
        self, scope: ShardScope = EVERYTHING
    ) -> dict[tuple[int, int], int]:
        """Discussions not deleted, per (guild_id, initiative_id) of the guilds of ``scope``,
        to warm the live counters."""
        among, params = scope.sql_filter("guild_id")
        rows = await self.db.fetch_all(
            "SELECT guild_id, initiative_id, COUNT(*) AS n FROM discussions"
            f" WHERE deleted_at IS NULL{among} GROUP BY guild_id, initiative_id",
            params,
        )
        return {(row["guild_id"], row["initiative_id"]): row["n"] for row in rows}

    async def tracked_threads(self, scope: ShardScope = EVERYTHING) -> list[tuple[int, int]]:
        """(guild_id, thread_id) of every discussion not deleted in the guilds of ``scope``,
        for the activity filter."""
        among, params = scope.sql_filter("guild_id")
        rows = await self.db.fetch_all(
            f"SELECT guild_id, thread_id FROM discussions WHERE deleted_at IS NULL{among}",
            params,
        )
        return [(row["guild_id"], row["thread_id"]) for row in rows]

    async def last_activity_by_initiative(self, guild_id: int) -> dict[int, int]:
        """Latest thread creation or counted message per initiative (Unix seconds)."""
        rows = await self.db.fetch_all(
            "SELECT initiative_id, MAX(MAX(created_at, last_activity_at)) AS last"
            " FROM discussions WHERE guild_id = ? GROUP BY initiative_id",
            (guild_id,),
        )
        return {row["initiative_id"]: row["last"] for row in rows}

    # -- members' data rights ------------------------------------------------

    async def describe_user(self, guild_id: int, user_id: int) -> UserDiscussionRecord:
        """What this repository holds about the user: discussions started, and taken part in."""
        authored = await self.db.fetch_all(
            "SELECT name, created_at FROM discussions WHERE guild_id = ? AND author_id = ?"
            " ORDER BY created_at",
            (guild_id, user_id),
        )
        posted = await self.db.fetch_all(
            "SELECT d.name, p.message_count, p.first_at, p.last_at"
            "  FROM discussion_participants p JOIN discussions d"
            "    ON d.guild_id = p.guild_id AND d.thread_id = p.thread_id"
            " WHERE p.guild_id = ? AND p.user_id = ? ORDER BY p.first_at",
            (guild_id, user_id),
        )
        return UserDiscussionRecord(
            authored=tuple(
                AuthoredDiscussion(row["name"], from_epoch(row["created_at"])) for row in authored
            ),
            posted=tuple(
                DiscussionParticipation(
                    row["name"],
                    row["message_count"],
                    from_epoch(row["first_at"]),
                    from_epoch(row["last_at"]),
                )
                for row in posted
            ),
        )

    async def forget_user(self, guild_id: int, user_id: int) -> int:
        """Erase the user's participation; authored threads stay, author unset.

        Returns the number of rows erased or anonymised. Message counts stay:
        they no longer say who wrote what.
        """
        async with self.db.transaction() as conn:
            removed = await conn.execute(
                "DELETE FROM discussion_participants WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )
            anonymised = await conn.execute(
                "UPDATE discussions SET author_id = NULL WHERE guild_id = ? AND author_id = ?",
                (guild_id, user_id),
            )
            return removed.rowcount + anonymised.rowcount


async def _insert_threads(conn: Connection, guild_id: int, threads: Sequence[NewThread]) -> None:
    await conn.executemany(
        _INSERT_THREAD,
        [
            (
                guild_id,
                thread.thread_id,
                thread.parent_channel_id,
                thread.initiative_id,
                thread.name,
                thread.author_id,
                thread.created_at,
                int(thread.archived),
                int(thread.locked),
                thread.archived_at,
                thread.message_count,
                thread.last_activity_at or thread.created_at,
            )
            for thread in threads
        ],
    )
    await conn.executemany(
        _INSERT_AUTHOR,
        [
            (guild_id, thread.thread_id, thread.author_id, thread.created_at, thread.created_at)
            for thread in threads
            if thread.author_id is not None
        ],
    )
    await conn.executemany(
        _ADD_HOUR,
        [
            (
                guild_id,
                thread.thread_id,
                hour_of(thread.last_activity_at or thread.created_at),
                thread.message_count,
            )
            for thread in threads
            if thread.message_count > 0
        ],
    )

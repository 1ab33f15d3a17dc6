"""Repository: what Agora's public web pages need stored (migration 011_web.sql)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.storage.database import Database


@dataclass(frozen=True)
class MeetingRevision:
    """How the calendar feeds last served a meeting."""

    meeting_id: int
    fingerprint: str
    sequence: int
    changed_at: datetime


@dataclass(frozen=True)
class ChangeCounts:
    """How often each area a guild's pages show was written (migration 016: counted by
    triggers in the writing transaction)."""

    directory: int = 0
    meetings: int = 0
    discussions: int = 0
    web: int = 0


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def _dt(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class WebRepository:
    """Who agreed to be named is asked on every initiative page: it is kept in memory per
    guild once read, and every write to it goes through here (so it never goes stale)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._named: dict[int, set[int]] = {}
        self._named_writes = 0  # a read that overlapped a write is not kept

    # --- published guilds --------------------------------------------------

    async def published_guilds(self) -> dict[int, datetime]:
        """{guild id: published since}."""
        rows = await self.db.fetch_all("SELECT guild_id, published_at FROM web_published_guilds")
        return {int(row[0]): _dt(row[1]) for row in rows}

    async def set_published(self, guild_id: int, published: bool, now: datetime) -> bool:
        """Publish or withdraw the guild; False when it already was so."""
        async with self.db.transaction() as conn:
            if published:
                cursor = await conn.execute(
                    "INSERT INTO web_published_guilds (guild_id, published_at)"
                    " VALUES (?, ?) ON CONFLICT (guild_id) DO NOTHING",
                    (guild_id, _ts(now)),
                )
            else:
                cursor = await conn.execute(
                    "DELETE FROM web_published_guilds WHERE guild_id = ?", (guild_id,)
                )
            return cursor.rowcount > 0

    # --- members who agreed to be named ----------------------------------

    async def name_optins(self, guild_id: int) -> dict[int, datetime]:
        """{user id: agreed since} for the guild."""
        rows = await self.db.fetch_all(
            "SELECT user_id, opted_in_at FROM web_name_optins WHERE guild_id = ?", (guild_id,)
        )
        return {int(row[0]): _dt(row[1]) for row in rows}

    async def name_optin(self, guild_id: int, user_id: int) -> datetime | None:
        row = await self.db.fetch_one(
            "SELECT opted_in_at FROM web_name_optins WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        return None if row is None else _dt(row[0])

    async def named_among(self, guild_id: int, user_ids: Iterable[int]) -> frozenset[int]:
        """Those of ``user_ids`` who agreed to be named."""
        named = self._named.get(guild_id)
        if named is None:
            writes = self._named_writes
            named = set(await self.name_optins(guild_id))
            if writes == self._named_writes:
                self._named[guild_id] = named
        return frozenset(user_id for user_id in user_ids if user_id in named)

    async def set_name_optin(self, guild_id: int, user_id: int, shown: bool, now: datetime) -> bool:
        """Record or withdraw the member's agreement; False when it already was so."""
        async with self.db.transaction() as conn:
            if shown:
                cursor = await conn.execute(
                    "INSERT INTO web_name_optins (guild_id, user_id, opted_in_at)"
                    " VALUES (?, ?, ?) ON CONFLICT (guild_id, user_id) DO NOTHING",
                    (guild_id, user_id, _ts(now)),
                )
            else:
                cursor = await conn.execute(
                    "DELETE FROM web_name_optins WHERE guild_id = ? AND user_id = ?",
                    (guild_id, user_id),
                )
        self._named_writes += 1
        self._named.pop(guild_id, None)  # read again, after the commit
        return cursor.rowcount > 0

    async def forget_user(self, guild_id: int, user_id: int) -> int:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM web_name_optins WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )
        self._named_writes += 1
        self._named.pop(guild_id, None)
        return cursor.rowcount

    def forget_named(self, guild_id: int) -> None:
        """Read who agreed again next time (another process wrote it)."""
        self._named_writes += 1
        self._named.pop(guild_id, None)

    # --- what changed, for a web process of its own ---------------------------

    async def change_counts(self) -> dict[int, ChangeCounts]:
        """{guild id: its counters}; one small table, read whole."""
        rows = await self.db.fetch_all(
            "SELECT guild_id, directory, meetings, discussions, web FROM web_changes"
        )
        return {
            int(row[0]): ChangeCounts(int(row[1]), int(row[2]), int(row[3]), int(row[4]))
            for row in rows
        }

    # --- calendar feed revisions -------------------------------------------

    async def revisions(
        self, guild_id: int, meeting_ids: Sequence[int]
    ) -> dict[int, MeetingRevision]:
        found: dict[int, MeetingRevision] = {}
        for start in range(0, len(meeting_ids), 500):
            chunk = list(meeting_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = await self.db.fetch_all(
                "SELECT meeting_id, fingerprint, sequence, changed_at FROM web_meeting_revisions"
                f" WHERE guild_id = ? AND meeting_id IN ({marks})",
                (guild_id, *chunk),
            )
            for row in rows:
                found[int(row[0])] = MeetingRevision(int(row[0]), row[1], int(row[2]), _dt(row[3]))
        return found

    async def save_revisions(self, guild_id: int, revisions: Iterable[MeetingRevision]) -> None:
        rows = [
            (r.meeting_id, guild_id, r.fingerprint, r.sequence, _ts(r.changed_at))
            for r in revisions
        ]
        if not rows:
            return
        async with self.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO web_meeting_revisions (meeting_id, guild_id, fingerprint, sequence,"
                " changed_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (meeting_id) DO UPDATE SET"
                " fingerprint = excluded.fingerprint, sequence = excluded.sequence,"
                " changed_at = excluded.changed_at",
                rows,
            )

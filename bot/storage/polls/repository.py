"""Repository: availability polls, their candidate times, answers and messages.

Plain SQL both backends read alike: ``?`` placeholders, ``INSERT ... RETURNING id``,
``ON CONFLICT ... DO UPDATE`` for upserts, instants as whole seconds (no date functions).
Closing is claimed: ``claim_close`` (``/poll close``) here and the deadline dispatcher's
claim (``bot.storage.polls.deadlines``) move a poll from open to closed in one
statement, so of everyone trying (the command, the deadline, another process) exactly one
gets it and announces the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.errors import NotFound
from bot.storage.database import Database
from bot.storage.meetings.models import Scope
from bot.storage.polls.models import (
    Poll,
    PollAnswer,
    PollForgetOutcome,
    PollListing,
    PollMessage,
    SlotAnswer,
    SlotTally,
    UserPollAnswer,
    UserPollRecord,
)
from bot.storage.timer_claims import lease_or_default

_POLL_COLUMNS = (
    "id, guild_id, title, timezone, organiser_id, length_seconds, closes_at, state,"
    " closed_at, announced, created_at"
)


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def _dt(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _missing(poll_id: int) -> NotFound:
    return NotFound(
        f"There is no poll #{poll_id} in this server; pick one from the list as you type."
    )


class PollRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- writing --------------------------------------------------------------

    async def insert(
        self,
        guild_id: int,
        *,
        title: str,
        timezone: str,
        organiser_id: int,
        length_seconds: int,
        closes_at: datetime | None,
        scope: Scope,
        slots: Sequence[datetime],
        now: datetime,
    ) -> int:
        """A new open poll with its slots (in the order given, numbered from 1)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO polls (guild_id, title, timezone, organiser_id, length_seconds,"
                " closes_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    guild_id,
                    title,
                    timezone,
                    organiser_id,
                    length_seconds,
                    None if closes_at is None else _ts(closes_at),
                    _ts(now),
                ),
            )
            row = await cursor.fetchone()
            assert row is not None
            poll_id = int(row[0])
            await conn.executemany(
                "INSERT INTO poll_slots (poll_id, guild_id, position, starts_at)"
                " VALUES (?, ?, ?, ?)",
                [(poll_id, guild_id, n, _ts(start)) for n, start in enumerate(slots, 1)],
            )
            scope_rows = [(poll_id, guild_id, "cluster", ref) for ref in scope.cluster_ids]
            scope_rows += [(poll_id, guild_id, "initiative", ref) for ref in scope.initiative_ids]
            await conn.executemany(
                "INSERT INTO poll_scopes (poll_id, guild_id, kind, ref_id) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (poll_id, kind, ref_id) DO NOTHING",
                scope_rows,
            )
        return poll_id

    async def set_answer(
        self,
        guild_id: int,
        poll_id: int,
        position: int,
        user_id: int,
        answer: PollAnswer,
        now: datetime,
    ) -> tuple[bool, PollAnswer | None]:
        """Record the answer if the poll is still open: (recorded, the answer before).

        Not recorded when the poll is closed (or not this guild's); the check and the write
        are one transaction, so no answer lands after a close.
        """
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT state FROM polls WHERE id = ? AND guild_id = ?", (poll_id, guild_id)
            )
            state = await cursor.fetchone()
            if state is None or state[0] != "open":
                return False, None
            cursor = await conn.execute(
                "SELECT answer FROM poll_answers WHERE poll_id = ? AND position = ?"
                " AND user_id = ?",
                (poll_id, position, user_id),
            )
            before = await cursor.fetchone()
            await conn.execute(
                "INSERT INTO poll_answers (poll_id, guild_id, position, user_id, answer,"
                " answered_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (poll_id, position, user_id)"
                " DO UPDATE SET answer = excluded.answer, answered_at = excluded.answered_at",
                (poll_id, guild_id, position, user_id, answer, _ts(now)),
            )
        return True, None if before is None else before[0]

    async def claim_close(self, guild_id: int, poll_id: int, now: datetime) -> bool:
        """Open -> closed; True only for the one caller that made the change.

        The caller posts the result at once; should it fail, the poll is left to the
        deadline dispatchers after a lease (``bot.storage.polls.deadlines``)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE polls SET state = 'closed', closed_at = ?, claimed_by = NULL,"
                " lease_until = ? WHERE id = ? AND guild_id = ? AND state = 'open'",
                (_ts(now), lease_or_default(now, None), poll_id, guild_id),
            )
            return cursor.rowcount == 1

    async def mark_announced(self, poll_id: int) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE polls SET announced = 1 WHERE id = ?", (poll_id,))

    async def add_message(
        self, guild_id: int, poll_id: int, channel_id: int, message_id: int, part: int
    ) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO poll_messages (message_id, poll_id, guild_id, channel_id, part)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING",
                (message_id, poll_id, guild_id, channel_id, part),
            )

    # -- reading --------------------------------------------------------------

    async def get(self, guild_id: int, poll_id: int) -> Poll:
        """The poll, or NotFound (also for another guild's poll)."""
        row = await self.db.fetch_one(
            f"SELECT {_POLL_COLUMNS} FROM polls WHERE guild_id = ? AND id = ?",
            (guild_id, poll_id),
        )
        if row is None:
            raise _missing(poll_id)
        return await self._hydrate(row)

    async def _hydrate(self, row: Any) -> Poll:
        """The poll of a row of ``_POLL_COLUMNS``."""
        poll_id = int(row[0])
        slots = await self.db.fetch_all(
            "SELECT starts_at FROM poll_slots WHERE poll_id = ? ORDER BY position", (poll_id,)
        )
        scopes = await self.db.fetch_all(
            "SELECT kind, ref_id FROM poll_scopes WHERE poll_id = ? ORDER BY kind, ref_id",
            (poll_id,),
        )
        return Poll(
            id=poll_id,
            guild_id=row[1],
            title=row[2],
            timezone=row[3],
            organiser_id=row[4],
            length_seconds=row[5],
            closes_at=None if row[6] is None else _dt(row[6]),
            state=row[7],
            closed_at=None if row[8] is None else _dt(row[8]),
            announced=bool(row[9]),
            created_at=_dt(row[10]),
            scope=Scope(
                cluster_ids=tuple(r[1] for r in scopes if r[0] == "cluster"),
                initiative_ids=tuple(r[1] for r in scopes if r[0] == "initiative"),
            ),
            slots=tuple(_dt(r[0]) for r in slots),
        )

    async def tallies(self, poll: Poll) -> list[SlotTally]:
        """Per slot, how many answered Yes, If need be and No."""
        counts: dict[tuple[int, str], int] = {
            (row[0], row[1]): row[2]
            for row in await self.db.fetch_all(
                "SELECT position, answer, count(*) FROM poll_answers WHERE poll_id = ?"
                " GROUP BY position, answer",
                (poll.id,),
            )
        }
        return [
            SlotTally(
                position=n,
                starts_at=start,
                yes=counts.get((n, "yes"), 0),
                maybe=counts.get((n, "maybe"), 0),
                no=counts.get((n, "no"), 0),
            )
            for n, start in enumerate(poll.slots, 1)
        ]

    async def answers(self, poll_id: int) -> list[SlotAnswer]:
        """Every named answer, by slot then in the order given."""
        rows = await self.db.fetch_all(
            "SELECT position, user_id, answer FROM poll_answers"
            " WHERE poll_id = ? AND user_id IS NOT NULL ORDER BY position, answered_at, id",
            (poll_id,),
        )
        return [SlotAnswer(row[0], row[1], row[2]) for row in rows]

    async def answers_of(self, poll_id: int, user_id: int) -> dict[int, PollAnswer]:
        rows = await self.db.fetch_all(
            "SELECT position, answer FROM poll_answers WHERE poll_id = ? AND user_id = ?",
            (poll_id, user_id),
        )
        return {row[0]: row[1] for row in rows}

    async def yes_voters(self, poll_id: int, positions: Sequence[int]) -> list[int]:
        """Members who answered Yes to any of ``positions``, each once, in id order."""
        if not positions:
            return []
        marks = ", ".join("?" for _ in positions)
        rows = await self.db.fetch_all(
            "SELECT DISTINCT user_id FROM poll_answers WHERE poll_id = ? AND answer = 'yes'"
            f" AND user_id IS NOT NULL AND position IN ({marks}) ORDER BY user_id",
            (poll_id, *positions),
        )
        return [row[0] for row in rows]

    async def messages(self, poll_id: int) -> list[PollMessage]:
        rows = await self.db.fetch_all(
            "SELECT channel_id, message_id, part FROM poll_messages WHERE poll_id = ?"
            " ORDER BY channel_id, part",
            (poll_id,),
        )
        return [PollMessage(row[0], row[1], row[2]) for row in rows]

    async def search(self, guild_id: int, text: str, limit: int) -> list[PollListing]:
        """Polls whose title contains ``text`` (all when empty): open first, newest first."""
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = await self.db.fetch_all(
            "SELECT id, title, state, created_at FROM polls WHERE guild_id = ?"
            " AND lower(title) LIKE lower(?) ESCAPE '\\'"
            " ORDER BY CASE WHEN state = 'open' THEN 0 ELSE 1 END, id DESC LIMIT ?",
            (guild_id, pattern, limit),
        )
        return [PollListing(row[0], row[1], row[2], _dt(row[3])) for row in rows]

    # -- privacy --------------------------------------------------------------

    async def describe_user(self, guild_id: int, user_id: int) -> UserPollRecord:
        organised = await self.db.fetch_all(
            "SELECT id, title, state, created_at FROM polls WHERE guild_id = ?"
            " AND organiser_id = ? ORDER BY id",
            (guild_id, user_id),
        )
        answers = await self.db.fetch_all(
            "SELECT a.poll_id, p.title, a.position, s.starts_at, a.answer, a.answered_at"
            " FROM poll_answers a JOIN polls p ON p.id = a.poll_id"
            " JOIN poll_slots s ON s.poll_id = a.poll_id AND s.position = a.position"
            " WHERE a.guild_id = ? AND a.user_id = ? ORDER BY a.poll_id, a.position",
            (guild_id, user_id),
        )
        return UserPollRecord(
            organised=tuple(PollListing(r[0], r[1], r[2], _dt(r[3])) for r in organised),
            answers=tuple(
                UserPollAnswer(r[0], r[1], r[2], _dt(r[3]), r[4], _dt(r[5])) for r in answers
            ),
        )

    async def forget_user(self, guild_id: int, user_id: int) -> PollForgetOutcome:
        """Answers to open polls withdrawn, to closed ones kept without the member; polls
        they organised no longer name them."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT DISTINCT a.poll_id FROM poll_answers a JOIN polls p ON p.id = a.poll_id"
                " WHERE a.guild_id = ? AND a.user_id = ? AND p.state = 'open' ORDER BY a.poll_id",
                (guild_id, user_id),
            )
            open_ids = tuple(int(row[0]) for row in await cursor.fetchall())
            await conn.execute(
                "DELETE FROM poll_answers WHERE guild_id = ? AND user_id = ? AND poll_id IN"
                " (SELECT id FROM polls WHERE guild_id = ? AND state = 'open')",
                (guild_id, user_id, guild_id),
            )
            cursor = await conn.execute(
                "UPDATE poll_answers SET user_id = NULL WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )
            anonymised = cursor.rowcount
            cursor = await conn.execute(
                "UPDATE polls SET organiser_id = NULL WHERE guild_id = ? AND organiser_id = ?",
                (guild_id, user_id),
            )
            organised = cursor.rowcount
        return PollForgetOutcome(open_ids, anonymised, organised)

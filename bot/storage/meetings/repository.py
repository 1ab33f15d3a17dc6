"""Repository: meetings, their programme, recurrence, RSVPs and Discord links."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import TypeVar, cast

from bot.errors import NotFound
from bot.storage.database import Connection, Database, Row
from bot.storage.fleet import EVERYTHING, ShardScope
from bot.storage.meetings.list_cache import MeetingListCache
from bot.storage.meetings.models import (
    Announcement,
    Answer,
    AnswerOutcome,
    AnswerSource,
    Location,
    Meeting,
    OccurrenceException,
    RecurrenceRule,
    Rsvp,
    ScheduledEventLink,
    Scope,
    Session,
    SessionKind,
)


@dataclass(frozen=True)
class MeetingFields:
    """Everything about a meeting that organisers set; written whole on insert and edit."""

    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    location: Location
    organiser_id: int | None
    attendee_cap: int | None = None
    reminder_offsets: tuple[int, ...] | None = None
    scope: Scope = field(default_factory=Scope)
    recurrence: RecurrenceRule | None = None


@dataclass(frozen=True)
class SessionFields:
    starts_at: datetime
    ends_at: datetime
    title: str
    kind: SessionKind
    cluster_id: int | None = None
    initiative_id: int | None = None
    room: str = ""


@dataclass(frozen=True)
class UserMeetingRecord:
    """What the meetings area holds about one user (for a privacy request)."""

    rsvps: tuple[Rsvp, ...]
    organised_meeting_ids: tuple[int, ...]


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def _dt(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


_MEETING_COLUMNS = (
    "m.id, m.guild_id, m.title, m.description, m.starts_at, m.ends_at, m.timezone, "
    "m.location_kind, m.location_name, m.location_address, m.location_url, "
    "m.location_channel_id, m.organiser_id, m.attendee_cap, m.reminder_offsets, m.status, "
    "m.created_at, m.updated_at"
)

# Still relevant "now": not ended yet, or a series whose last date is not past.
_NOT_OVER = (
    "(m.ends_at >= ? OR (r.meeting_id IS NOT NULL AND (r.until_date IS NULL OR r.until_date >= ?)))"
)


def _not_over_params(now: datetime) -> list[object]:
    return [_ts(now), now.date().isoformat()]


# ``_NOT_OVER`` for ``/meeting list``, written so that SQLite reads the meetings not over
# yet through ``meetings_by_guild_end`` (and the series from ``meeting_recurrences``)
# rather than walking every meeting of the guild (10,000 meetings: 7-18 ms per query).
_NOT_OVER_IDS = (
    "m.id {} (SELECT e.id FROM meetings e WHERE e.guild_id = ? AND e.ends_at >= ?"
    " UNION ALL SELECT q.meeting_id FROM meeting_recurrences q"
    " WHERE q.until_date IS NULL OR q.until_date >= ?)"
)


def _list_filter(
    guild_id: int,
    now: datetime,
    upcoming: bool,
    cluster_id: int | None,
    initiative_id: int | None,
    include_cancelled: bool,
) -> tuple[str, list[object]]:
    """The WHERE clause (over ``meetings m``) and its parameters shared by
    ``list_meetings`` and ``count_meetings``."""
    # Upcoming: the few ids not over drive the read (the unary + keeps SQLite, which has
    # no statistics, from walking the guild's meetings instead). Past: most meetings are
    # past, so ``list_meetings`` walks them newest first and stops at the page.
    where = [
        "+m.guild_id = ?" if upcoming else "m.guild_id = ?",
        _NOT_OVER_IDS.format("IN" if upcoming else "NOT IN"),
    ]
    params: list[object] = [guild_id, guild_id, *_not_over_params(now)]
    if not include_cancelled:
        where.append("m.status = 'scheduled'")
    for kind, ref in (("cluster", cluster_id), ("initiative", initiative_id)):
        if ref is None:
            continue
        # Scoped to it, or with a session of it: read through the indexes on the ref.
        where.append(
            "m.id IN (SELECT s.meeting_id FROM meeting_scopes s WHERE s.guild_id = ?"
            f" AND s.kind = '{kind}' AND s.ref_id = ?"
            f" UNION SELECT x.meeting_id FROM meeting_sessions x WHERE x.{kind}_id = ?)"
        )
        params += [guild_id, ref, ref]
    return " AND ".join(where), params


T = TypeVar("T")


class MeetingRepository:
    """Writes that can change what ``/meeting list`` shows (a meeting, its scope, rule,
    programme or occurrences) go through ``_meeting_write`` so kept lists are dropped."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lists = MeetingListCache()

    def write_generation(self, guild_id: int) -> int:
        """Goes up with every write to the guild's meetings (their programme, occurrences
        and scopes too); the same number means nothing of them changed in this process."""
        return self._lists.generation(guild_id)

    def written_elsewhere(self, guild_id: int) -> None:
        """Another process wrote the guild's meetings: drop what was kept of them and move
        the write generation on (the public pages' web process, bot/services/web/changes.py)."""
        with self._lists.writing(guild_id):
            pass

    @asynccontextmanager
    async def _meeting_write(self, guild_id: int) -> AsyncIterator[Connection]:
        with self._lists.writing(guild_id):
            async with self.db.transaction() as conn:
                yield conn

    async def _kept_or_read(
        self, guild_id: int, now: datetime, key: Hashable, read: Callable[[], Awaitable[T]]
    ) -> T:
        """A kept answer for ``key``, or ``read()``'s, kept until a write or until the next
        meeting of the guild ends (or the date changes)."""
        now_seconds, today = _ts(now), now.date()
        kept = self._lists.get(guild_id, key, now_seconds, today)
        if kept is not None:
            return cast(T, kept)
        generation = self._lists.generation(guild_id)
        value = await read()
        row = await self.db.fetch_one(
            "SELECT MIN(ends_at) FROM meetings WHERE guild_id = ? AND ends_at >= ?",
            (guild_id, now_seconds),
        )
        self._lists.put(
            guild_id,
            key,
            value,
            read_at_generation=generation,
            holds_through=None if row is None else row[0],
            today=today,
        )
        return value

    # -- meetings -----------------------------------------------------------

    async def insert(self, guild_id: int, fields: MeetingFields, now: datetime) -> int:
        async with self._meeting_write(guild_id) as conn:
            cursor = await conn.execute(
                "INSERT INTO meetings (guild_id, title, description, starts_at, ends_at, timezone,"
                " location_kind, location_name, location_address, location_url,"
                " location_channel_id, organiser_id, attendee_cap, reminder_offsets,"
                " created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (guild_id, *self._field_values(fields), _ts(now), _ts(now)),
            )
            meeting_id = int((await cursor.fetchone())[0])
            await self._write_scope_and_rule(conn, guild_id, meeting_id, fields)
        return meeting_id

    async def update(
        self, guild_id: int, meeting_id: int, fields: MeetingFields, now: datetime
    ) -> None:
        async with self._meeting_write(guild_id) as conn:
            cursor = await conn.execute(
                "UPDATE meetings SET title = ?, description = ?, starts_at = ?, ends_at = ?,"
                " timezone = ?, location_kind = ?, location_name = ?, location_address = ?,"
                " location_url = ?, location_channel_id = ?, organiser_id = ?, attendee_cap = ?,"
                " reminder_offsets = ?, updated_at = ? WHERE guild_id = ? AND id = ?",
                (*self._field_values(fields), _ts(now), guild_id, meeting_id),
            )
            if cursor.rowcount == 0:
                raise NotFound(f"There is no meeting #{meeting_id} in this server.")
            await conn.execute("DELETE FROM meeting_scopes WHERE meeting_id = ?", (meeting_id,))
            await conn.execute(
                "DELETE FROM meeting_recurrences WHERE meeting_id = ?", (meeting_id,)
            )
            await self._write_scope_and_rule(conn, guild_id, meeting_id, fields)

    async def set_status(self, guild_id: int, meeting_id: int, status: str, now: datetime) -> None:
        async with self._meeting_write(guild_id) as conn:
            await conn.execute(
                "UPDATE meetings SET status = ?, updated_at = ? WHERE guild_id = ? AND id = ?",
                (status, _ts(now), guild_id, meeting_id),
            )

    async def shift_sessions(self, guild_id: int, meeting_id: int, seconds: int) -> None:
        """Move the whole programme by ``seconds`` (when the meeting moves)."""
        async with self._meeting_write(guild_id) as conn:
            await conn.execute(
                "UPDATE meeting_sessions SET starts_at = starts_at + ?, ends_at = ends_at + ?"
                " WHERE guild_id = ? AND meeting_id = ?",
                (seconds, seconds, guild_id, meeting_id),
            )

    @staticmethod
    def _field_values(fields: MeetingFields) -> tuple[object, ...]:
        location = fields.location
        offsets = None if fields.reminder_offsets is None else json.dumps(fields.reminder_offsets)
        return (
            fields.title,
            fields.description,
            _ts(fields.starts_at),
            _ts(fields.ends_at),
            fields.timezone,
            location.kind,
            location.name,
            location.address,
            location.url,
            location.channel_id,
            fields.organiser_id,
            fields.attendee_cap,
            offsets,
        )

    @staticmethod
    async def _write_scope_and_rule(
        conn: Connection, guild_id: int, meeting_id: int, fields: MeetingFields
    ) -> None:
        scope_rows = [(meeting_id, guild_id, "cluster", ref) for ref in fields.scope.cluster_ids]
        scope_rows += [
            (meeting_id, guild_id, "initiative", ref) for ref in fields.scope.initiative_ids
        ]
        await conn.executemany(
            "INSERT INTO meeting_scopes (meeting_id, guild_id, kind, ref_id)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            scope_rows,
        )
        rule = fields.recurrence
        if rule is not None:
            await conn.execute(
                "INSERT INTO meeting_recurrences (meeting_id, guild_id, frequency, interval,"
                " weekday, nth, local_time, first_date, until_date, duration_seconds)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    meeting_id,
                    guild_id,
                    rule.frequency,
                    rule.interval,
                    rule.weekday,
                    rule.nth,
                    rule.local_time.isoformat(),
                    rule.first_date.isoformat(),
                    None if rule.until is None else rule.until.isoformat(),
                    rule.duration_seconds,
                ),
            )

    async def get(self, guild_id: int, meeting_id: int) -> Meeting:
        """The meeting, or NotFound (also for another guild's meeting)."""
        rows = await self.db.fetch_all(
            f"SELECT {_MEETING_COLUMNS} FROM meetings m WHERE m.guild_id = ? AND m.id = ?",
            (guild_id, meeting_id),
        )
        if not rows:
            raise NotFound(
                f"There is no meeting #{meeting_id} in this server; "
                "pick one from the list (/meeting list)."
            )
        return (await self._hydrate(rows))[0]

    async def get_many(self, guild_id: int, meeting_ids: Sequence[int]) -> list[Meeting]:
        if not meeting_ids:
            return []
        marks = ",".join("?" * len(meeting_ids))
        rows = await self.db.fetch_all(
            f"SELECT {_MEETING_COLUMNS} FROM meetings m"
            f" WHERE m.guild_id = ? AND m.id IN ({marks}) ORDER BY m.starts_at",
            (guild_id, *meeting_ids),
        )
        return await self._hydrate(rows)

    async def list_meetings(
        self,
        guild_id: int,
        now: datetime,
        upcoming: bool = True,
        cluster_id: int | None = None,
        initiative_id: int | None = None,
        include_cancelled: bool = False,
        limit: int = 25,
        offset: int = 0,
    ) -> list[Meeting]:
        """Upcoming (soonest first) or past (latest first) meetings, optionally for one
        cluster or initiative: scoped to it, or with a session of it; ``offset`` skips the
        first ones (a page of a list)."""
        where, params = _list_filter(
            guild_id, now, upcoming, cluster_id, initiative_id, include_cancelled
        )
        order = "m.starts_at ASC" if upcoming else "m.starts_at DESC"
        walk = "" if upcoming else " INDEXED BY meetings_by_guild_start"

        async def read() -> tuple[Meeting, ...]:
            rows = await self.db.fetch_all(
                f"SELECT {_MEETING_COLUMNS} FROM meetings m{walk}"
                f" WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
                [*params, limit, max(0, offset)],
            )
            return tuple(await self._hydrate(rows))

        key = ("list", upcoming, cluster_id, initiative_id, include_cancelled, limit, offset)
        return list(await self._kept_or_read(guild_id, now, key, read))

    async def count_meetings(
        self,
        guild_id: int,
        now: datetime,
        upcoming: bool = True,
        cluster_id: int | None = None,
        initiative_id: int | None = None,
        include_cancelled: bool = False,
    ) -> int:
        """How many meetings :meth:`list_meetings` would list without a limit."""
        where, params = _list_filter(
            guild_id, now, upcoming, cluster_id, initiative_id, include_cancelled
        )

        async def read() -> int:
            row = await self.db.fetch_one(f"SELECT COUNT(*) FROM meetings m WHERE {where}", params)
            return int(row[0]) if row else 0

        key = ("count", upcoming, cluster_id, initiative_id, include_cancelled)
        return await self._kept_or_read(guild_id, now, key, read)

    async def search_titles(
        self, guild_id: int, text: str, now: datetime, limit: int = 25
    ) -> list[tuple[int, str, datetime, str, str]]:
        """(id, title, starts_at, status, timezone) matching ``text``, upcoming first."""
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = await self.db.fetch_all(
            "SELECT m.id, m.title, m.starts_at, m.status, m.timezone FROM meetings m"
            " LEFT JOIN meeting_recurrences r ON r.meeting_id = m.id"
            " WHERE m.guild_id = ? AND m.title LIKE ? ESCAPE '\\'"
            f" ORDER BY {_NOT_OVER} DESC,"
            f" CASE WHEN {_NOT_OVER} THEN m.starts_at ELSE -m.starts_at END"
            " LIMIT ?",
            [guild_id, f"%{escaped}%", *_not_over_params(now), *_not_over_params(now), limit],
        )
        return [(row[0], row[1], _dt(row[2]), row[3], row[4]) for row in rows]

    async def live_meeting_ids(self, guild_id: int, now: datetime) -> list[int]:
        """Ids of the guild's scheduled meetings not over yet (``_NOT_OVER``), in id order:
        the one-offs still to end through ``meetings_by_guild_end``, the series not past
        their last date through ``meeting_recurrences_by_guild``, never another guild's."""
        rows = await self.db.fetch_all(
            "SELECT e.id FROM meetings e"
            " WHERE e.guild_id = ? AND e.ends_at >= ? AND e.status = 'scheduled'"
            " UNION SELECT q.meeting_id FROM meeting_recurrences q"
            " JOIN meetings m ON m.id = q.meeting_id"
            " WHERE q.guild_id = ? AND (q.until_date IS NULL OR q.until_date >= ?)"
            " AND m.status = 'scheduled'"
            " ORDER BY 1",
            [guild_id, _ts(now), guild_id, now.date().isoformat()],
        )
        return [row[0] for row in rows]

    async def recurring_meeting_ids(self, scope: ShardScope = EVERYTHING) -> list[tuple[int, int]]:
        """(guild_id, meeting_id) of every scheduled series of ``scope``'s guilds."""
        where, params = scope.sql_filter("m.guild_id")
        rows = await self.db.fetch_all(
            "SELECT m.guild_id, m.id FROM meetings m"
            " JOIN meeting_recurrences r ON r.meeting_id = m.id"
            f" WHERE m.status = 'scheduled'{where} ORDER BY m.id",
            params,
        )
        return [(row[0], row[1]) for row in rows]

    async def _hydrate(self, rows: Sequence[Row]) -> list[Meeting]:
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        marks = ",".join("?" * len(ids))
        scopes: dict[int, tuple[list[int], list[int]]] = {i: ([], []) for i in ids}
        for scope_row in await self.db.fetch_all(
            f"SELECT meeting_id, kind, ref_id FROM meeting_scopes WHERE meeting_id IN ({marks})"
            " ORDER BY ref_id",
            ids,
        ):
            clusters, initiatives = scopes[scope_row[0]]
            (clusters if scope_row[1] == "cluster" else initiatives).append(scope_row[2])
        rules: dict[int, RecurrenceRule] = {}
        for rule_row in await self.db.fetch_all(
            "SELECT r.meeting_id, r.frequency, r.interval, r.weekday, r.nth, r.local_time,"
            " r.first_date, r.until_date, r.duration_seconds, m.timezone"
            " FROM meeting_recurrences r JOIN meetings m ON m.id = r.meeting_id"
            f" WHERE r.meeting_id IN ({marks})",
            ids,
        ):
            rules[rule_row[0]] = RecurrenceRule(
                frequency=rule_row[1],
                interval=rule_row[2],
                weekday=rule_row[3],
                nth=rule_row[4],
                local_time=time.fromisoformat(rule_row[5]),
                first_date=date.fromisoformat(rule_row[6]),
                until=None if rule_row[7] is None else date.fromisoformat(rule_row[7]),
                duration_seconds=rule_row[8],
                timezone=rule_row[9],
            )
        meetings = []
        for row in rows:
            clusters, initiatives = scopes[row["id"]]
            offsets = row["reminder_offsets"]
            meetings.append(
                Meeting(
                    id=row["id"],
                    guild_id=row["guild_id"],
                    title=row["title"],
                    description=row["description"],
                    starts_at=_dt(row["starts_at"]),
                    ends_at=_dt(row["ends_at"]),
                    timezone=row["timezone"],
                    location=Location(
                        kind=row["location_kind"],
                        name=row["location_name"],
                        address=row["location_address"],
                        url=row["location_url"],
                        channel_id=row["location_channel_id"],
                    ),
                    organiser_id=row["organiser_id"],
                    attendee_cap=row["attendee_cap"],
                    reminder_offsets=None if offsets is None else tuple(json.loads(offsets)),
                    status=row["status"],
                    scope=Scope(tuple(clusters), tuple(initiatives)),
                    recurrence=rules.get(row["id"]),
                    created_at=_dt(row["created_at"]),
                    updated_at=_dt(row["updated_at"]),
                )
            )
        return meetings

    # -- programme ----------------------------------------------------------

    async def add_session(self, guild_id: int, meeting_id: int, fields: SessionFields) -> int:
        async with self._meeting_write(guild_id) as conn:
            cursor = await conn.execute(
                "INSERT INTO meeting_sessions (meeting_id, guild_id, starts_at, ends_at, title,"
                " kind, cluster_id, initiative_id, room) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " RETURNING id",
                (
                    meeting_id,
                    guild_id,
                    _ts(fields.starts_at),
                    _ts(fields.ends_at),
                    fields.title,
                    fields.kind,
                    fields.cluster_id,
                    fields.initiative_id,
                    fields.room,
                ),
            )
            session_id = int((await cursor.fetchone())[0])
        return session_id

    async def remove_session(self, guild_id: int, meeting_id: int, session_id: int) -> bool:
        async with self._meeting_write(guild_id) as conn:
            cursor = await conn.execute(
                "DELETE FROM meeting_sessions WHERE guild_id = ? AND meeting_id = ? AND id = ?",
                (guild_id, meeting_id, session_id),
            )
            return cursor.rowcount > 0

    async def sessions(self, guild_id: int, meeting_id: int) -> list[Session]:
        """The programme in order: by start, then by when it was added."""
        rows = await self.db.fetch_all(
            "SELECT id, meeting_id, guild_id, starts_at, ends_at, title, kind, cluster_id,"
            " initiative_id, room FROM meeting_sessions WHERE guild_id = ? AND meeting_id = ?"
            " ORDER BY starts_at, id",
            (guild_id, meeting_id),
        )
        return [
            Session(
                id=row[0],
                meeting_id=row[1],
                guild_id=row[2],
                starts_at=_dt(row[3]),
                ends_at=_dt(row[4]),
                title=row[5],
                kind=row[6],
                cluster_id=row[7],
                initiative_id=row[8],
                room=row[9],
            )
            for row in rows
        ]

    # -- occurrences of recurring meetings ----------------------------------

    async def set_exception(
        self,
        guild_id: int,
        meeting_id: int,
        original_start: datetime,
        status: str,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
    ) -> None:
        async with self._meeting_write(guild_id) as conn:
            await conn.execute(
                "INSERT INTO meeting_exceptions (meeting_id, guild_id, original_start, status,"
                " starts_at, ends_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (meeting_id, original_start) DO UPDATE SET status = excluded.status,"
                " starts_at = excluded.starts_at, ends_at = excluded.ends_at",
                (
                    meeting_id,
                    guild_id,
                    _ts(original_start),
                    status,
                    None if starts_at is None else _ts(starts_at),
                    None if ends_at is None else _ts(ends_at),
                ),
            )

    async def clear_exceptions(self, guild_id: int, meeting_id: int) -> int:
        """Forget every moved/cancelled occurrence (the series itself was re-timed)."""
        async with self._meeting_write(guild_id) as conn:
            cursor = await conn.execute(
                "DELETE FROM meeting_exceptions WHERE guild_id = ? AND meeting_id = ?",
                (guild_id, meeting_id),
            )
            return cursor.rowcount

    async def exceptions(self, guild_id: int, meeting_id: int) -> list[OccurrenceException]:
        rows = await self.db.fetch_all(
            "SELECT meeting_id, original_start, status, starts_at, ends_at FROM meeting_exceptions"
            " WHERE guild_id = ? AND meeting_id = ? ORDER BY original_start",
            (guild_id, meeting_id),
        )
        return [
            OccurrenceException(
                meeting_id=row[0],
                original_start=_dt(row[1]),
                status=row[2],
                starts_at=None if row[3] is None else _dt(row[3]),
                ends_at=None if row[4] is None else _dt(row[4]),
            )
            for row in rows
        ]

    # -- RSVPs --------------------------------------------------------------

    async def rsvp(self, meeting_id: int, user_id: int) -> Rsvp | None:
        row = await self.db.fetch_one(
            "SELECT meeting_id, user_id, answer, source, answered_at FROM meeting_rsvps"
            " WHERE meeting_id = ? AND user_id = ?",
            (meeting_id, user_id),
        )
        return None if row is None else _rsvp(row)

    async def rsvps(self, meeting_id: int) -> list[Rsvp]:
        """Every answer, in the order given (the waitlist's order for waitlisted ones)."""
        rows = await self.db.fetch_all(
            "SELECT meeting_id, user_id, answer, source, answered_at FROM meeting_rsvps"
            " WHERE meeting_id = ? ORDER BY answered_seq",
            (meeting_id,),
        )
        return [_rsvp(row) for row in rows]

    async def answer_counts(self, meeting_id: int) -> dict[str, int]:
        rows = await self.db.fetch_all(
            "SELECT answer, COUNT(*) FROM meeting_rsvps WHERE meeting_id = ? GROUP BY answer",
            (meeting_id,),
        )
        counts = {"going": 0, "maybe": 0, "declined": 0, "waitlist": 0}
        counts.update({row[0]: row[1] for row in rows})
        return counts

    async def record_answer(
        self,
        guild_id: int,
        meeting_id: int,
        user_id: int,
        answer: Answer | None,
        source: AnswerSource,
        cap: int | None,
        now: datetime,
        only_if_source: AnswerSource | None = None,
    ) -> AnswerOutcome:
        """Set (or with ``answer=None`` clear) one user's answer, keeping the cap.

        In one transaction: a new "going" beyond ``cap`` is stored as "waitlist";
        then, while there is room, the longest-waiting are promoted to "going".
        ``only_if_source`` makes a clear apply only to an answer from that source.
        """
        async with self.db.transaction() as conn:
            previous = await _fetch_rsvp(conn, meeting_id, user_id)
            if (
                answer is None
                and only_if_source is not None
                and (previous is None or previous.source != only_if_source)
            ):
                return AnswerOutcome(previous, previous, None, ())
            if answer is None:
                await conn.execute(
                    "DELETE FROM meeting_rsvps WHERE meeting_id = ? AND user_id = ?",
                    (meeting_id, user_id),
                )
            else:
                stored = answer
                already_in = previous is not None and previous.answer in ("going", "waitlist")
                if answer == "going" and already_in and previous is not None:
                    stored = previous.answer  # keeps a place, or a place in the queue
                elif answer == "going" and cap is not None:
                    if await _count(conn, meeting_id, "going") >= cap:
                        stored = "waitlist"
                if previous is None or previous.answer != stored or previous.source != source:
                    keep_seq = previous is not None and previous.answer == stored
                    await self._upsert(
                        conn, guild_id, meeting_id, user_id, stored, source, now, keep_seq
                    )
            promoted = await _promote(conn, meeting_id, cap)
            current = await _fetch_rsvp(conn, meeting_id, user_id)
            position = None
            if current is not None and current.answer == "waitlist":
                position = await _waitlist_position(conn, meeting_id, user_id)
        return AnswerOutcome(previous, current, position, promoted)

    async def rebalance(self, meeting_id: int, cap: int | None) -> tuple[int, ...]:
        """Promote from the waitlist while there is room (after the cap was raised)."""
        async with self.db.transaction() as conn:
            return await _promote(conn, meeting_id, cap)

    @staticmethod
    async def _upsert(
        conn: Connection,
        guild_id: int,
        meeting_id: int,
        user_id: int,
        answer: str,
        source: str,
        now: datetime,
        keep_seq: bool,
    ) -> None:
        # A changed answer goes to the back of the queue; a changed source alone does not.
        async with conn.execute(
            "SELECT COALESCE(MAX(answered_seq), 0) + 1 FROM meeting_rsvps WHERE meeting_id = ?",
            (meeting_id,),
        ) as cursor:
            row = await cursor.fetchone()
        next_seq = int(row[0]) if row else 1
        await conn.execute(
            "INSERT INTO meeting_rsvps (meeting_id, guild_id, user_id, answer, source,"
            " answered_seq, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (meeting_id, user_id) DO UPDATE SET answer = excluded.answer,"
            " source = excluded.source, answered_at = excluded.answered_at,"
            " answered_seq = CASE WHEN ? THEN meeting_rsvps.answered_seq"
            " ELSE excluded.answered_seq END",
            (meeting_id, guild_id, user_id, answer, source, next_seq, _ts(now), keep_seq),
        )

    # -- Discord links ------------------------------------------------------

    async def set_event(
        self,
        guild_id: int,
        meeting_id: int,
        event_id: int,
        occurrence_start: datetime | None = None,
    ) -> None:
        """Remember the scheduled event of a meeting (or of one occurrence of a series)."""
        key = 0 if occurrence_start is None else _ts(occurrence_start)
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO meeting_events (meeting_id, guild_id, occurrence_start, event_id)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (meeting_id, occurrence_start)"
                " DO UPDATE SET event_id = excluded.event_id",
                (meeting_id, guild_id, key, event_id),
            )

    async def remove_event(self, guild_id: int, event_id: int) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "DELETE FROM meeting_events WHERE guild_id = ? AND event_id = ?",
                (guild_id, event_id),
            )

    async def events(self, guild_id: int, meeting_id: int) -> list[ScheduledEventLink]:
        rows = await self.db.fetch_all(
            "SELECT meeting_id, occurrence_start, event_id FROM meeting_events"
            " WHERE guild_id = ? AND meeting_id = ? ORDER BY occurrence_start",
            (guild_id, meeting_id),
        )
        return [_event_link(row) for row in rows]

    async def find_event(self, guild_id: int, event_id: int) -> ScheduledEventLink | None:
        row = await self.db.fetch_one(
            "SELECT meeting_id, occurrence_start, event_id FROM meeting_events"
            " WHERE guild_id = ? AND event_id = ?",
            (guild_id, event_id),
        )
        return None if row is None else _event_link(row)

    async def add_announcement(
        self, guild_id: int, meeting_id: int, channel_id: int, message_id: int
    ) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO meeting_announcements (meeting_id, guild_id, channel_id,"
                " message_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (meeting_id, guild_id, channel_id, message_id),
            )

    async def announcements(self, guild_id: int, meeting_id: int) -> list[Announcement]:
        rows = await self.db.fetch_all(
            "SELECT meeting_id, channel_id, message_id FROM meeting_announcements"
            " WHERE guild_id = ? AND meeting_id = ? ORDER BY channel_id, message_id",
            (guild_id, meeting_id),
        )
        return [Announcement(row[0], row[1], row[2]) for row in rows]

    # -- privacy ------------------------------------------------------------

    async def describe_user(self, guild_id: int, user_id: int) -> UserMeetingRecord:
        rsvp_rows = await self.db.fetch_all(
            "SELECT meeting_id, user_id, answer, source, answered_at FROM meeting_rsvps"
            " WHERE guild_id = ? AND user_id = ? ORDER BY meeting_id",
            (guild_id, user_id),
        )
        organised = await self.db.fetch_all(
            "SELECT id FROM meetings WHERE guild_id = ? AND organiser_id = ? ORDER BY id",
            (guild_id, user_id),
        )
        return UserMeetingRecord(
            rsvps=tuple(_rsvp(row) for row in rsvp_rows),
            organised_meeting_ids=tuple(row[0] for row in organised),
        )

    async def forget_user(self, guild_id: int, user_id: int) -> None:
        """Erase the user from RSVPs and as organiser; answers stay as anonymous counts.

        A waitlist place is dropped (nobody could be told of a promotion).
        """
        async with self._meeting_write(guild_id) as conn:
            await conn.execute(
                "DELETE FROM meeting_rsvps WHERE guild_id = ? AND user_id = ?"
                " AND answer = 'waitlist'",
                (guild_id, user_id),
            )
            await conn.execute(
                "UPDATE meeting_rsvps SET user_id = NULL WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )
            await conn.execute(
                "UPDATE meetings SET organiser_id = NULL WHERE guild_id = ? AND organiser_id = ?",
                (guild_id, user_id),
            )


def _rsvp(row: Row) -> Rsvp:
    return Rsvp(
        meeting_id=row[0], user_id=row[1], answer=row[2], source=row[3], answered_at=_dt(row[4])
    )


def _event_link(row: Row) -> ScheduledEventLink:
    return ScheduledEventLink(
        meeting_id=row[0], occurrence_start=None if row[1] == 0 else _dt(row[1]), event_id=row[2]
    )


async def _fetch_rsvp(conn: Connection, meeting_id: int, user_id: int) -> Rsvp | None:
    async with conn.execute(
        "SELECT meeting_id, user_id, answer, source, answered_at FROM meeting_rsvps"
        " WHERE meeting_id = ? AND user_id = ?",
        (meeting_id, user_id),
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else _rsvp(row)


async def _count(conn: Connection, meeting_id: int, answer: str) -> int:
    async with conn.execute(
        "SELECT COUNT(*) FROM meeting_rsvps WHERE meeting_id = ? AND answer = ?",
        (meeting_id, answer),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _waitlist_position(conn: Connection, meeting_id: int, user_id: int) -> int:
    async with conn.execute(
        "SELECT COUNT(*) FROM meeting_rsvps WHERE meeting_id = ? AND answer = 'waitlist'"
        " AND answered_seq <= (SELECT answered_seq FROM meeting_rsvps"
        " WHERE meeting_id = ? AND user_id = ?)",
        (meeting_id, meeting_id, user_id),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _promote(conn: Connection, meeting_id: int, cap: int | None) -> tuple[int, ...]:
    """Move the longest-waiting to "going" while there is room; their user ids."""
    async with conn.execute(
        "SELECT id, user_id FROM meeting_rsvps WHERE meeting_id = ? AND answer = 'waitlist'"
        " ORDER BY answered_seq",
        (meeting_id,),
    ) as cursor:
        waiting = list(await cursor.fetchall())
    if not waiting:
        return ()
    room = len(waiting) if cap is None else cap - await _count(conn, meeting_id, "going")
    chosen = waiting[: max(room, 0)]
    await conn.executemany(
        "UPDATE meeting_rsvps SET answer = 'going' WHERE id = ?", [(row[0],) for row in chosen]
    )
    return tuple(row[1] for row in chosen if row[1] is not None)

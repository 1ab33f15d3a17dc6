"""Calendar feeds that stay in sync: what ``/calendar.ics`` and its per-cluster and
per-initiative variants serve to subscribed calendar apps.

A feed holds a guild's meetings not over yet and those of the last ``PAST_DAYS`` days
(cancelled ones as ``STATUS:CANCELLED``, so a subscribed calendar drops them rather
than keeping a stale copy), written by the same builder as ``/meeting ics``
(bot/services/meetings/ics.py): stable UIDs, a series as one event with its rule,
EXDATEs for cancelled dates and ``RECURRENCE-ID`` overrides for moved ones.

``SEQUENCE`` goes up by one whenever what the feed says about a meeting changes:
each meeting's content is fingerprinted when a feed is built and compared with the
revision stored last time (``web_meeting_revisions``), which survives restarts.

Feeds are polled (often every few minutes, by every subscriber), so a built feed is
kept with its version and answered again until the guild's meetings are written to
(``MeetingRepository.write_generation``), the scope's name changes or the day turns; a
poll with a matching ``If-None-Match`` gets its 304 from ``version`` alone, with no
query and no rendering.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.services.common.clock import Clock, utc_now
from bot.services.meetings import ics
from bot.storage.meetings.models import Meeting, OccurrenceException, Session
from bot.storage.store import Store
from bot.storage.web.repository import MeetingRevision

PAST_DAYS = 180
MAX_UPCOMING = 500
MAX_PAST = 250


@dataclass(frozen=True)
class FeedScope:
    """A whole guild's meetings, or one cluster's, or one initiative's."""

    guild_id: int
    cluster_id: int | None = None
    initiative_id: int | None = None
    name: str = "Agora meetings"


@dataclass(frozen=True)
class Feed:
    body: bytes
    gzipped: bytes  # the same, compressed once for every poll that accepts gzip
    etag: str  # quoted, as in the header
    last_modified: datetime
    meetings: int


def fingerprint(
    meeting: Meeting, sessions: Sequence[Session], exceptions: Sequence[OccurrenceException]
) -> str:
    """A hash of everything a feed says about the meeting (not who organises it, nor
    its reminders, cap or answers)."""
    said = (
        meeting.title,
        meeting.description,
        meeting.starts_at.isoformat(),
        meeting.ends_at.isoformat(),
        meeting.timezone,
        repr(meeting.location),
        meeting.status,
        repr(meeting.recurrence),
        tuple(
            (s.starts_at.isoformat(), s.ends_at.isoformat(), s.title, s.kind, s.room)
            for s in sessions
        ),
        tuple(repr(e) for e in exceptions),
    )
    return hashlib.sha256(repr(said).encode()).hexdigest()[:32]


@functools.lru_cache(maxsize=1024)
def _name_tag(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:8]


def _rendered(entries: list[ics.CalendarEntry], name: str) -> tuple[bytes, bytes]:
    body = ics.calendar_ics(entries, name)
    return body, gzip.compress(body, compresslevel=6, mtime=0)


class CalendarFeeds:
    def __init__(self, store: Store, clock: Clock = utc_now, keep: int = 256) -> None:
        self._store = store
        self._clock = clock
        self._keep = keep
        # Versions from another run of Agora never match this one's.
        self._run = secrets.token_hex(4)
        self._built: dict[FeedScope, Feed] = {}
        self.builds = 0  # feeds built (queried and rendered) since start

    def version(self, scope: FeedScope) -> str:
        """The feed's ETag as it would be built now; no query, no rendering."""
        generation = self._store.meetings.write_generation(scope.guild_id)
        day = self._clock().astimezone(UTC).date().isoformat()
        return f'"{self._run}-{generation}-{day}-{_name_tag(scope.name)}"'

    async def feed(self, scope: FeedScope) -> Feed:
        """The feed, built again only when its version moved on."""
        version = self.version(scope)
        kept = self._built.get(scope)
        if kept is not None and kept.etag == version:
            return kept
        feed = await self._build(scope, version)
        if self.version(scope) == version:  # no write overlapped the build
            if len(self._built) >= self._keep:
                self._built.clear()
            self._built[scope] = feed
        return feed

    async def _build(self, scope: FeedScope, version: str) -> Feed:
        self.builds += 1
        now = self._clock()
        meetings = await self._store.meetings.list_meetings(
            scope.guild_id,
            now,
            upcoming=True,
            cluster_id=scope.cluster_id,
            initiative_id=scope.initiative_id,
            include_cancelled=True,
            limit=MAX_UPCOMING,
        )
        since = now - timedelta(days=PAST_DAYS)
        past = await self._store.meetings.list_meetings(
            scope.guild_id,
            now,
            upcoming=False,
            cluster_id=scope.cluster_id,
            initiative_id=scope.initiative_id,
            include_cancelled=True,
            limit=MAX_PAST,
        )
        meetings += [meeting for meeting in past if meeting.ends_at >= since]
        parts = []
        for meeting in meetings:
            sessions = tuple(await self._store.meetings.sessions(scope.guild_id, meeting.id))
            exceptions = tuple(await self._store.meetings.exceptions(scope.guild_id, meeting.id))
            parts.append((meeting, sessions, exceptions))
        revisions = await self._revise(scope.guild_id, parts, now)
        entries = [
            ics.CalendarEntry(meeting, sessions, exceptions, revisions[meeting.id].sequence)
            for meeting, sessions, exceptions in parts
        ]
        # icalendar is pure Python: in a thread, the event loop keeps its turns meanwhile.
        body, gzipped = await asyncio.to_thread(_rendered, entries, scope.name)
        changed = [revision.changed_at for revision in revisions.values()]
        last_modified = max(changed, default=datetime(2017, 1, 1, tzinfo=UTC))
        return Feed(body, gzipped, version, last_modified.replace(microsecond=0), len(entries))

    async def _revise(
        self,
        guild_id: int,
        parts: Sequence[tuple[Meeting, tuple[Session, ...], tuple[OccurrenceException, ...]]],
        now: datetime,
    ) -> dict[int, MeetingRevision]:
        """Each meeting's revision, raised (and stored) where its content changed."""
        stored = await self._store.web.revisions(guild_id, [m.id for m, _, _ in parts])
        current: dict[int, MeetingRevision] = {}
        changed: list[MeetingRevision] = []
        for meeting, sessions, exceptions in parts:
            mark = fingerprint(meeting, sessions, exceptions)
            previous = stored.get(meeting.id)
            if previous is None:
                revision = MeetingRevision(meeting.id, mark, 0, meeting.updated_at)
            elif previous.fingerprint != mark:
                revision = MeetingRevision(meeting.id, mark, previous.sequence + 1, now)
            else:
                revision = previous
            if revision is not previous:
                changed.append(revision)
            current[meeting.id] = revision
        await self._store.web.save_revisions(guild_id, changed)
        return current

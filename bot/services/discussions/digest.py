"""The weekly digest of an Action Cluster, and when it is next due.

The digest is built as sections of plain-text lines, then rendered here into a
structure that already fits Discord's embed limits, so the cog only copies
strings into an embed. Times are written as Discord timestamps (``<t:…:f>``),
which every reader sees in their own time zone.

Posted once across the fleet: before a guild's digests go out, the process claims the
run ``digest:<guild>:<ISO week>`` (``FleetRuns``); its messages carry nonces derived from
that key (``digest_nonce``), so a run taken over after a crash mid-post does not post a
cluster's digest twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.errors import InvalidInput, NotFound
from bot.services.common.clock import Clock, utc_now
from bot.services.common.fleet_runs import FleetRuns
from bot.services.common.links import masked_link
from bot.services.common.text import plural
from bot.services.common.text_fit import clip, fit_lines
from bot.services.common.weekdays import CRON_DAYS, WEEKDAYS
from bot.storage.directory.models import Cluster, Initiative, ResourceKind
from bot.storage.discussions.models import to_epoch
from bot.storage.store import Store

# Discord's embed limits.
MAX_FIELDS = 25
MAX_FIELD_VALUE = 1024
MAX_FIELD_NAME = 256
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FOOTER = 2048
MAX_TOTAL = 6000

LIVELIEST_COUNT = 5


class MeetingLike(Protocol):
    @property
    def title(self) -> str: ...

    @property
    def starts_at(self) -> datetime: ...


class UpcomingMeetings(Protocol):
    """Meetings of a cluster starting in [since, until) (the meetings area provides it)."""

    async def upcoming_for_cluster(
        self, guild_id: int, cluster_id: int, since: datetime, until: datetime
    ) -> Sequence[MeetingLike]: ...


class NoMeetings:
    """For when the meetings area is not wired: the digest just has no meetings."""

    async def upcoming_for_cluster(
        self, guild_id: int, cluster_id: int, since: datetime, until: datetime
    ) -> Sequence[MeetingLike]:
        return []


class MeetingsFromRepository:
    """UpcomingMeetings over the meetings repository (series listed once, by first date)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def upcoming_for_cluster(
        self, guild_id: int, cluster_id: int, since: datetime, until: datetime
    ) -> Sequence[MeetingLike]:
        meetings = await self._store.meetings.list_meetings(
            guild_id, since, upcoming=True, cluster_id=cluster_id
        )
        return [m for m in meetings if since <= m.starts_at < until]


class OverdueActions(Protocol):
    """Lines naming a cluster's open actions whose due date is over (the outcomes area)."""

    async def overdue_for_cluster(
        self, guild_id: int, cluster_id: int, now: datetime
    ) -> Sequence[str]: ...


class NoOverdueActions:
    """For when the outcomes area is not wired: the digest has no overdue actions."""

    async def overdue_for_cluster(
        self, guild_id: int, cluster_id: int, now: datetime
    ) -> Sequence[str]:
        return []


@dataclass(frozen=True)
class DigestSection:
    title: str
    lines: tuple[str, ...]
    empty_text: str


@dataclass(frozen=True)
class Digest:
    guild_id: int
    cluster_id: int
    cluster_name: str
    since: datetime
    until: datetime
    sections: tuple[DigestSection, ...]

    @property
    def is_quiet(self) -> bool:
        """Nothing happened and nothing is coming up: the cog may skip posting."""
        return not any(section.lines for section in self.sections)

    def section(self, title: str) -> DigestSection:
        for section in self.sections:
            if section.title == title:
                return section
        raise KeyError(title)


@dataclass(frozen=True)
class EmbedField:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True)
class DigestEmbed:
    """Strings that fit an embed as they are (every Discord limit already applied)."""

    title: str
    description: str
    fields: tuple[EmbedField, ...]
    footer: str

    @property
    def total_chars(self) -> int:
        return (
            len(self.title)
            + len(self.description)
            + len(self.footer)
            + sum(len(f.name) + len(f.value) for f in self.fields)
        )


NEW_INITIATIVES = "New initiatives"
NEW_MEMBERS = "New members"
NEW_DOCUMENTS = "New documents"
NEW_PROJECTS = "New projects"
LIVELIEST = "Liveliest discussions"
UPCOMING = "Upcoming meetings"
OVERDUE = "Overdue actions"


class DigestService:
    def __init__(
        self,
        store: Store,
        meetings: UpcomingMeetings,
        clock: Clock = utc_now,
        upcoming_days: int = 14,
        overdue_actions: OverdueActions | None = None,
        runs: FleetRuns | None = None,
    ) -> None:
        self._store = store
        # Each guild's weekly run, claimed once across the fleet.
        self.runs = runs if runs is not None else FleetRuns(store, clock=clock)
        self._meetings = meetings
        self._overdue = overdue_actions if overdue_actions is not None else NoOverdueActions()
        self._clock = clock
        self._upcoming = timedelta(days=upcoming_days)

    def run_key(self, guild_id: int, zone: str) -> str:
        """The name of this week's digest run of a guild: ``digest:<guild>:<ISO week>``,
        the week of now in ``zone`` (where the job's day and time are read)."""
        year, week, _ = self._clock().astimezone(ZoneInfo(zone)).isocalendar()
        return f"digest:{guild_id}:{year}-W{week:02d}"

    async def announcement_channel_id(self, guild_id: int) -> int | None:
        """The guild's announcement channel set by an admin, if any (else config's name)."""
        return (await self._store.guilds.get(guild_id)).announcement_channel_id

    async def build_all(self, guild_id: int, until: datetime | None = None) -> list[Digest]:
        """One digest per cluster of the guild, for the week ending ``until`` (default now)."""
        end = until or self._clock()
        clusters = await self._store.directory.list_clusters(guild_id)
        initiatives = await self._store.directory.list_initiatives(guild_id)
        return [await self._build(cluster, initiatives, end) for cluster in clusters]

    async def build(self, guild_id: int, cluster_id: int, until: datetime | None = None) -> Digest:
        """The digest of one cluster for the week ending ``until`` (default now)."""
        end = until or self._clock()
        clusters = {c.id: c for c in await self._store.directory.list_clusters(guild_id)}
        if cluster_id not in clusters:
            raise NotFound(f"No Action Cluster with id {cluster_id} on this server.")
        initiatives = await self._store.directory.list_initiatives(guild_id)
        return await self._build(clusters[cluster_id], initiatives, end)

    async def _build(
        self, cluster: Cluster, everything: list[Initiative], until: datetime
    ) -> Digest:
        guild_id = cluster.guild_id
        since = until - timedelta(days=7)
        in_cluster = {i.id: i for i in everything if i.cluster_id == cluster.id}

        def in_week(moment: datetime) -> bool:
            return since <= moment < until

        new_initiatives = [
            f"**{i.name}**" + (f" — {clip(_one_line(i.goal), 120)}" if i.goal else "")
            for i in sorted(in_cluster.values(), key=lambda i: i.created_at)
            if in_week(i.created_at)
        ]

        joined: dict[int, list[int]] = {}
        for membership in await self._store.memberships.current_joined_between(
            guild_id, since, until
        ):
            if membership.initiative_id in in_cluster and membership.user_id is not None:
                joined.setdefault(membership.initiative_id, []).append(membership.user_id)
        new_members = [
            f"**{in_cluster[initiative_id].name}**: " + ", ".join(f"<@{u}>" for u in users)
            for initiative_id, users in joined.items()
        ]

        documents: list[str] = []
        projects: list[str] = []
        listings: tuple[tuple[ResourceKind, list[str]], ...] = (
            ("document", documents),
            ("project", projects),
        )
        for initiative in in_cluster.values():
            for kind, lines in listings:
                resources, _ = await self._store.resources.list_page(
                    guild_id, initiative.id, kind, 50, 0
                )
                lines.extend(
                    f"{masked_link(clip(_one_line(r.title), 200), r.url)} — {initiative.name}"
                    for r in resources
                    if in_week(r.added_at)
                )

        liveliest = [
            f"<#{ranked.discussion.thread_id}> — {_messages(ranked.messages_in_period)}"
            f" ({in_cluster[ranked.discussion.initiative_id].name})"
            if ranked.discussion.initiative_id in in_cluster
            else f"<#{ranked.discussion.thread_id}> — {_messages(ranked.messages_in_period)}"
            for ranked in await self._store.discussions.top(
                guild_id, cluster.id, to_epoch(since), to_epoch(until), LIVELIEST_COUNT, 0
            )
        ]

        meetings = sorted(
            await self._meetings.upcoming_for_cluster(
                guild_id, cluster.id, until, until + self._upcoming
            ),
            key=lambda m: m.starts_at,
        )
        upcoming = [f"**{m.title}** — <t:{to_epoch(m.starts_at)}:f>" for m in meetings]
        overdue = await self._overdue.overdue_for_cluster(guild_id, cluster.id, until)

        return Digest(
            guild_id=guild_id,
            cluster_id=cluster.id,
            cluster_name=cluster.name,
            since=since,
            until=until,
            sections=(
                DigestSection(NEW_INITIATIVES, tuple(new_initiatives), "No new initiatives."),
                DigestSection(NEW_MEMBERS, tuple(new_members), "Nobody joined this week."),
                DigestSection(NEW_DOCUMENTS, tuple(documents), "No new documents."),
                DigestSection(NEW_PROJECTS, tuple(projects), "No new projects."),
                DigestSection(
                    LIVELIEST,
                    tuple(liveliest),
                    "No discussion this week: start one with `/discussion start`.",
                ),
                DigestSection(UPCOMING, tuple(upcoming), "No meetings in the next two weeks."),
                # Shown only when there are some: most weeks nothing is late.
                *([DigestSection(OVERDUE, tuple(overdue), "")] if overdue else []),
            ),
        )


def render_digest(digest: Digest) -> DigestEmbed:
    """Fit the digest into one embed: ≤ 25 fields, values ≤ 1024, total ≤ 6000."""
    title = clip(f"Weekly digest: {digest.cluster_name}", MAX_TITLE)
    description = (
        f"What happened in **{clip(digest.cluster_name, 200)}**"
        f" from <t:{to_epoch(digest.since)}:D> to <t:{to_epoch(digest.until)}:D>."
    )
    footer = "Agora weekly digest"
    sections = list(digest.sections)
    if len(sections) > MAX_FIELDS:
        hidden = len(sections) - (MAX_FIELDS - 1)
        sections = [
            *sections[: MAX_FIELDS - 1],
            DigestSection("More", (f"… and {plural(hidden, 'more section')}",), ""),
        ]
    fixed = len(title) + len(description) + len(footer)
    names = [clip(section.title, MAX_FIELD_NAME) for section in sections]
    budget = MAX_TOTAL - fixed - sum(len(name) for name in names)
    # Share what is left fairly: small sections keep all they need and give
    # the rest to the big ones.
    needs = sorted(range(len(sections)), key=lambda index: len(_full_value(sections[index])))
    caps: dict[int, int] = {}
    remaining, left = budget, len(sections)
    for index in needs:
        share = min(MAX_FIELD_VALUE, remaining // left)
        caps[index] = min(share, len(_full_value(sections[index])))
        remaining -= caps[index]
        left -= 1
    fields = tuple(
        EmbedField(name, _fit_lines(section, caps[index]))
        for index, (name, section) in enumerate(zip(names, sections, strict=True))
    )
    return DigestEmbed(title=title, description=description, fields=fields, footer=footer)


def _full_value(section: DigestSection) -> str:
    return "\n".join(section.lines) if section.lines else section.empty_text


def _fit_lines(section: DigestSection, limit: int) -> str:
    """As many whole lines as fit in ``limit``, then "… and N more"."""
    if not section.lines:
        return clip(section.empty_text, limit)
    return fit_lines(section.lines, limit)


def _messages(count: int) -> str:
    return plural(count, "message")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _weekday_index(weekday: str) -> int:
    try:
        return WEEKDAYS.index(weekday.lower())
    except ValueError:
        raise InvalidInput(
            f"“{weekday}” is not a weekday; use one of {', '.join(WEEKDAYS)}."
        ) from None


def next_digest_time(weekday: str, at: time, tz: str, now: datetime) -> datetime:
    """The next ``weekday`` at local time ``at`` in ``tz`` strictly after ``now`` (aware)."""
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    days_ahead = (_weekday_index(weekday) - local_now.weekday()) % 7
    for extra_weeks in (0, 1):
        day = local_now.date() + timedelta(days=days_ahead + 7 * extra_weeks)
        # Through UTC and back so a wall time inside a DST gap still lands on a real instant.
        candidate = datetime.combine(day, at, zone).astimezone(UTC).astimezone(zone)
        if candidate > local_now:
            return candidate
    raise AssertionError("unreachable: a week later is always in the future")


def digest_nonce(run_key: str, cluster_id: int) -> str:
    """The nonce of a cluster's digest in the run ``run_key``: the same on every try of
    that run, within Discord's 25 characters ("d" + 19 base-36 digits of a hash)."""
    digest = hashlib.blake2b(f"{run_key}/{cluster_id}".encode(), digest_size=12).digest()
    number = int.from_bytes(digest, "big")
    text = ""
    while number:
        number, remainder = divmod(number, 36)
        text = "0123456789abcdefghijklmnopqrstuvwxyz"[remainder] + text
    return "d" + (text or "0")


def cron_kwargs(weekday: str, at: time, tz: str) -> dict[str, object]:
    """Keyword arguments for APScheduler 3's ``CronTrigger`` firing the digest."""
    return {
        "day_of_week": CRON_DAYS[_weekday_index(weekday)],
        "hour": at.hour,
        "minute": at.minute,
        "second": 0,
        "timezone": ZoneInfo(tz),
    }

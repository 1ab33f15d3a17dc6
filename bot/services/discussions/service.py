"""Discussions: threads in initiative channels and posts in initiative forums.

The cog forwards thread gateway events here; the service works out which
initiative a thread belongs to, keeps the live per-initiative counts in memory
(``/initiative info`` must answer in milliseconds), and after downtime
reconciles what Agora knows with the thread listings Discord returns.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot.errors import InvalidInput
from bot.services.common.clock import Clock, utc_now
from bot.services.common.text import plural
from bot.services.discussions.activity import ActivityService
from bot.services.discussions.counts import LiveDiscussionCounts
from bot.storage.discussions.models import (
    Discussion,
    DiscussionState,
    NewThread,
    RankedDiscussion,
    ThreadStateChange,
    to_epoch,
)
from bot.storage.discussions.repository import DiscussionRepository
from bot.storage.fleet import EVERYTHING, ShardScope

MAX_PAGE_SIZE = 25


class ChannelLookup(Protocol):
    """Which initiative owns a channel (the core directory service provides this)."""

    async def initiative_for_channel(self, guild_id: int, channel_id: int) -> int | None: ...


class Period(StrEnum):
    """Windows for "most active": rolling, ending now."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    ALL = "all"

    @property
    def length(self) -> timedelta | None:
        return _PERIOD_LENGTHS[self]


_PERIOD_LENGTHS = {
    Period.DAY: timedelta(days=1),
    Period.WEEK: timedelta(days=7),
    Period.MONTH: timedelta(days=30),
    Period.ALL: None,
}


@dataclass(frozen=True)
class ThreadSnapshot:
    """One thread as Discord lists it (active or archived threads endpoints)."""

    thread_id: int
    parent_channel_id: int
    name: str
    owner_id: int | None
    archived: bool
    locked: bool
    created_at: datetime
    archived_at: datetime | None = None
    # No message count: Discord's counts the bot's replies, interaction responses,
    # webhooks and system messages too, and Agora counts only what members post.


@dataclass(frozen=True)
class ReconcileReport:
    """What changed while Agora was away, by thread id."""

    created: tuple[int, ...] = ()
    archived: tuple[int, ...] = ()
    unarchived: tuple[int, ...] = ()
    renamed: tuple[int, ...] = ()
    deleted: tuple[int, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(
            self.created or self.archived or self.unarchived or self.renamed or self.deleted
        )


@dataclass(frozen=True)
class DiscussionPage:
    items: list[Discussion]
    page: int
    page_size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


@dataclass(frozen=True)
class TopDiscussions:
    """The most active discussions of a period, ranked from ``first_rank``."""

    period: Period
    since: datetime | None
    until: datetime
    items: list[RankedDiscussion]
    page: int
    page_size: int
    has_more: bool

    @property
    def first_rank(self) -> int:
        return (self.page - 1) * self.page_size + 1


class DiscussionService:
    def __init__(
        self,
        discussions: DiscussionRepository,
        activity: ActivityService,
        channels: ChannelLookup,
        clock: Clock = utc_now,
        counts: LiveDiscussionCounts | None = None,
    ) -> None:
        self._discussions = discussions
        self._activity = activity
        self._channels = channels
        self._clock = clock
        self._counts = counts if counts is not None else LiveDiscussionCounts()

    async def start(self, scope: ShardScope = EVERYTHING) -> None:
        """Load the live counts of ``scope``'s guilds; call once before serving commands."""
        self._counts.replace(await self._discussions.counts_by_initiative(scope))

    # -- gateway events -------------------------------------------------------

    async def thread_created(
        self,
        guild_id: int,
        thread_id: int,
        parent_channel_id: int,
        name: str,
        author_id: int | None,
        created_at: datetime,
    ) -> Discussion | None:
        """Track a new thread; None if its channel is not an initiative's."""
        initiative_id = await self._channels.initiative_for_channel(guild_id, parent_channel_id)
        if initiative_id is None:
            return None
        # Tracked before the insert so replies racing the insert are counted;
        # the batch writer ignores threads not yet in the database.
        self._activity.track(guild_id, thread_id)
        previous = await self._discussions.get(guild_id, thread_id)
        discussion = await self._discussions.add(
            guild_id,
            NewThread(
                thread_id=thread_id,
                parent_channel_id=parent_channel_id,
                initiative_id=initiative_id,
                name=name,
                author_id=author_id,
                created_at=to_epoch(created_at),
            ),
        )
        self._recount(previous, discussion)
        return discussion

    async def thread_updated(
        self,
        guild_id: int,
        thread_id: int,
        name: str,
        archived: bool,
        locked: bool,
        archived_at: datetime | None = None,
    ) -> Discussion | None:
        """Apply a rename, archive, unarchive, lock or unlock; None if not a discussion.

        ``archived_at`` is Discord's archive_timestamp when known; else now.
        """
        at = archived_at or self._clock()
        return await self._discussions.update_state(
            guild_id, thread_id, name, archived, locked, to_epoch(at)
        )

    async def thread_deleted(self, guild_id: int, thread_id: int) -> Discussion | None:
        """Mark a discussion deleted; None if it was not one."""
        self._activity.untrack(guild_id, thread_id)
        discussion = await self._discussions.mark_deleted(
            guild_id, thread_id, to_epoch(self._clock())
        )
        if discussion is not None:
            self._counts.add(guild_id, discussion.initiative_id, -1)
        return discussion

    async def channel_deleted(self, guild_id: int, channel_id: int) -> list[Discussion]:
        """A channel was deleted: its threads went with it (Discord sends no THREAD_DELETE)."""
        gone = []
        for discussion in await self._discussions.in_guild(guild_id):
            if discussion.parent_channel_id == channel_id:
                deleted = await self.thread_deleted(guild_id, discussion.thread_id)
                if deleted is not None:
                    gone.append(deleted)
        return gone

    async def initiative_deleted(self, guild_id: int, initiative_id: int) -> int:
        """Drop the discussions of a deleted initiative (the threads stay in Discord)."""
        thread_ids = await self._discussions.delete_initiative(guild_id, initiative_id)
        for thread_id in thread_ids:
            self._activity.untrack(guild_id, thread_id)
        self._counts.forget_initiative(guild_id, initiative_id)
        return len(thread_ids)

    # -- after downtime -----------------------------------------------------

    async def reconcile(
        self,
        guild_id: int,
        active: Sequence[ThreadSnapshot],
        archived: Sequence[ThreadSnapshot],
        listed_parent_ids: Iterable[int],
    ) -> ReconcileReport:
        """Catch up with threads created, changed, archived or deleted while away.

        ``active`` is the guild's active thread listing; ``archived`` the
        archived listings of the channels in ``listed_parent_ids``, fetched in
        full. A known discussion of one of those channels that is in neither
        listing was deleted. Message counts are left alone: Discord's thread
        counts include messages by bots (Agora's own replies among them), webhooks
        and the system, which Agora never counts, so they cannot tell how many
        members posted while Agora was away; those messages go uncounted.
        """
        await self._activity.flush()  # so our counts are complete before comparing
        now = to_epoch(self._clock())
        listed_parents = set(listed_parent_ids)
        known = {d.thread_id: d for d in await self._discussions.in_guild(guild_id, True)}
        seen: dict[int, ThreadSnapshot] = {}
        for snapshot in (*archived, *active):  # active wins if listed twice
            seen[snapshot.thread_id] = snapshot

        created: list[NewThread] = []
        changes: list[ThreadStateChange] = []
        report = _ReportBuilder()
        initiative_of_parent: dict[int, int | None] = {}
        for snapshot in seen.values():
            parent = snapshot.parent_channel_id
            if parent not in initiative_of_parent:
                initiative_of_parent[parent] = await self._channels.initiative_for_channel(
                    guild_id, parent
                )
            initiative_id = initiative_of_parent[parent]
            current = known.get(snapshot.thread_id)
            if current is None:
                if initiative_id is not None:
                    created.append(_new_thread(snapshot, initiative_id))
                    report.created.append(snapshot.thread_id)
                continue
            change = _state_change(current, snapshot, now, report)
            if change is not None:
                changes.append(change)

        deleted = [
            d.thread_id
            for d in known.values()
            if not d.deleted and d.parent_channel_id in listed_parents and d.thread_id not in seen
        ]
        report.deleted.extend(deleted)
        await self._discussions.apply_reconciliation(guild_id, created, changes, deleted, now)

        for thread in created:
            self._activity.track(guild_id, thread.thread_id)
            self._counts.add(guild_id, thread.initiative_id, 1)
        for change in changes:
            if change.restore:
                self._activity.track(guild_id, change.thread_id)
                self._counts.add(guild_id, known[change.thread_id].initiative_id, 1)
        for thread_id in deleted:
            self._activity.untrack(guild_id, thread_id)
            self._counts.add(guild_id, known[thread_id].initiative_id, -1)
        return report.build()

    # -- queries ------------------------------------------------------------

    def count_by_initiative(self, guild_id: int) -> dict[int, int]:
        """Live number of discussions (open or archived) per initiative; from memory."""
        return self._counts.count_by_initiative(guild_id)

    def count_for_initiative(self, guild_id: int, initiative_id: int) -> int:
        return self._counts.count_for_initiative(guild_id, initiative_id)

    async def get(self, guild_id: int, thread_id: int) -> Discussion | None:
        return await self._discussions.get(guild_id, thread_id)

    async def list_discussions(
        self,
        guild_id: int,
        initiative_id: int | None = None,
        state: str = DiscussionState.OPEN,
        page: int = 1,
        page_size: int = 10,
    ) -> DiscussionPage:
        """A page of discussions, most recently active first."""
        parsed_state = _parse_state(state)
        _check_paging(page, page_size)
        total = await self._discussions.count(guild_id, initiative_id, parsed_state)
        pages = max(1, math.ceil(total / page_size))
        if page > pages:
            raise InvalidInput(
                f"There {'is' if pages == 1 else 'are'} only {plural(pages, 'page')}"
                f" of discussions; pick a page from 1 to {pages}."
            )
        items = await self._discussions.page(
            guild_id, initiative_id, parsed_state, page_size, (page - 1) * page_size
        )
        return DiscussionPage(items=items, page=page, page_size=page_size, total=total)

    async def recent(self, guild_id: int, initiative_id: int, limit: int = 10) -> list[Discussion]:
        """The initiative's most recently active discussions (open or archived), without
        counting them all."""
        return await self._discussions.page(guild_id, initiative_id, DiscussionState.ALL, limit, 0)

    async def top_discussions(
        self,
        guild_id: int,
        cluster_id: int | None = None,
        period: str = Period.WEEK,
        page: int = 1,
        page_size: int = 10,
    ) -> TopDiscussions:
        """The discussions with the most messages in the last day/week/month or ever."""
        parsed = _parse_period(period)
        _check_paging(page, page_size)
        now = self._clock()
        length = parsed.length
        since = None if length is None else now - length
        ranked = await self.ranked_between(
            guild_id, cluster_id, since, None, page_size + 1, (page - 1) * page_size
        )
        if not ranked and page > 1:
            raise InvalidInput(
                f"There are no more active discussions after page {page - 1}; pick a lower page."
            )
        return TopDiscussions(
            period=parsed,
            since=since,
            until=now,
            items=ranked[:page_size],
            page=page,
            page_size=page_size,
            has_more=len(ranked) > page_size,
        )

    async def ranked_between(
        self,
        guild_id: int,
        cluster_id: int | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        offset: int = 0,
    ) -> list[RankedDiscussion]:
        """Discussions by messages posted in [since, until) (hour precision)."""
        return await self._discussions.top(
            guild_id,
            cluster_id,
            None if since is None else to_epoch(since),
            None if until is None else to_epoch(until),
            limit,
            offset,
        )

    # -- internals ------------------------------------------------------------

    def _recount(self, previous: Discussion | None, current: Discussion) -> None:
        if previous is not None and not previous.deleted:
            self._counts.add(previous.guild_id, previous.initiative_id, -1)
        self._counts.add(current.guild_id, current.initiative_id, 1)


@dataclass
class _ReportBuilder:
    created: list[int] = field(default_factory=list)
    archived: list[int] = field(default_factory=list)
    unarchived: list[int] = field(default_factory=list)
    renamed: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)

    def build(self) -> ReconcileReport:
        return ReconcileReport(
            created=tuple(self.created),
            archived=tuple(self.archived),
            unarchived=tuple(self.unarchived),
            renamed=tuple(self.renamed),
            deleted=tuple(self.deleted),
        )


def _new_thread(snapshot: ThreadSnapshot, initiative_id: int) -> NewThread:
    created_at = to_epoch(snapshot.created_at)
    return NewThread(
        thread_id=snapshot.thread_id,
        parent_channel_id=snapshot.parent_channel_id,
        initiative_id=initiative_id,
        name=snapshot.name,
        author_id=snapshot.owner_id,
        created_at=created_at,
        archived=snapshot.archived,
        locked=snapshot.locked,
        archived_at=None if snapshot.archived_at is None else to_epoch(snapshot.archived_at),
        last_activity_at=created_at,
    )


def _state_change(
    current: Discussion, snapshot: ThreadSnapshot, now: int, report: _ReportBuilder
) -> ThreadStateChange | None:
    restore = current.deleted
    if (
        not restore
        and current.name == snapshot.name
        and current.archived == snapshot.archived
        and current.locked == snapshot.locked
    ):
        return None
    if current.name != snapshot.name:
        report.renamed.append(snapshot.thread_id)
    if snapshot.archived and not current.archived:
        report.archived.append(snapshot.thread_id)
    if current.archived and not snapshot.archived:
        report.unarchived.append(snapshot.thread_id)
    if snapshot.archived:
        archived_at = (
            current.archived_at or snapshot.archived_at or datetime.fromtimestamp(now, UTC)
        )
        archived_epoch: int | None = to_epoch(archived_at)
    else:
        archived_epoch = None
    return ThreadStateChange(
        thread_id=snapshot.thread_id,
        name=snapshot.name,
        archived=snapshot.archived,
        locked=snapshot.locked,
        archived_at=archived_epoch,
        restore=restore,
    )


def _parse_state(state: str) -> DiscussionState:
    try:
        return DiscussionState(state.lower())
    except ValueError:
        raise InvalidInput(
            f"“{state}” is not a discussion state; use open, archived or all."
        ) from None


def _parse_period(period: str) -> Period:
    try:
        return Period(period.lower())
    except ValueError:
        raise InvalidInput(f"“{period}” is not a period; use day, week, month or all.") from None


def _check_paging(page: int, page_size: int) -> None:
    if page < 1:
        raise InvalidInput(f"Page {page} does not exist; pages start at 1.")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput(f"Show between 1 and {MAX_PAGE_SIZE} discussions per page.")

"""What Agora's public web pages show, read through the directory, meetings and
discussions services (the web handlers in bot/web only render it).

Privacy by design: nothing here leaves a guild that is not published (``NotPublic``),
and no member is named unless they agreed (``WebPublication.named_users``); member ids
never leave this module. Discussions are titles and counts: Agora never stores messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Hashable, Mapping
from dataclasses import dataclass
from typing import Protocol

from bot.errors import AgoraError, InvalidInput, NotFound
from bot.services.common.links import link_host
from bot.services.common.text import plural
from bot.services.directory.pitches import PitchService
from bot.services.directory.resources import ResourceService
from bot.services.directory.service import (
    MAX_PAGE_SIZE,
    DirectoryService,
    InitiativeSummary,
    LiveCounts,
    Page,
)
from bot.services.discussions.service import DiscussionService
from bot.services.meetings import recurrence
from bot.services.meetings.programme import KIND_LABELS, session_name
from bot.services.meetings.recurrence import Occurrence
from bot.services.meetings.rsvp import RsvpCounts, RsvpService
from bot.services.meetings.service import MeetingService
from bot.services.web.feeds import CalendarFeeds, Feed, FeedScope
from bot.services.web.publication import WebPublication
from bot.storage.directory.models import Cluster, Initiative, Pitch
from bot.storage.meetings.models import Meeting, Session

PAGE_SIZE = MAX_PAGE_SIZE
CLUSTER_PREVIEW = 10  # initiatives per cluster on the directory's first page
MEETINGS_PER_PAGE = 20
UPCOMING_SCAN = 500  # upcoming meetings an initiative's page picks its own from
MAX_QUERY = 200
MAX_PAGE = 10_000


class NotPublic(AgoraError):
    """Nothing to show at this address (unknown, or not published): a 404."""


class MemberNames(Protocol):
    """Display names from the chat platform, never stored: Discord's member cache in the
    bot's process, Discord's REST API in the web process (bot/web/names.py). Asked only
    for members who agreed to be named."""

    async def display_names(self, guild_id: int, user_ids: Collection[int]) -> dict[int, str]:
        """{user id: display name} for those of ``user_ids`` it knows."""
        ...

    async def guild_name(self, guild_id: int) -> str | None: ...


@dataclass(frozen=True)
class ClusterSection:
    cluster: Cluster
    initiatives: Page[InitiativeSummary]


@dataclass(frozen=True)
class DirectoryView:
    community: str
    clusters: tuple[Cluster, ...]
    sections: tuple[ClusterSection, ...]  # by cluster (no search)
    cluster: Cluster | None  # the filter
    query: str
    results: Page[InitiativeSummary] | None  # a search's, or a cluster's page


@dataclass(frozen=True)
class LinkView:
    title: str
    url: str
    host: str


@dataclass(frozen=True)
class PitchView:
    """An initiative's pitch as its page shows it: the text as written (the page escapes
    it) and its optional link, with the link's real host; never who wrote it."""

    text: str
    link: LinkView | None


@dataclass(frozen=True)
class DiscussionLine:
    title: str
    messages: int
    participants: int
    state: str


@dataclass(frozen=True)
class MeetingLine:
    meeting: Meeting
    going: int
    maybe: int
    starts_at_next: Occurrence | None  # a series' next date


@dataclass(frozen=True)
class InitiativeView:
    community: str
    initiative: Initiative
    cluster: Cluster
    counts: LiveCounts
    lead_names: tuple[str, ...]
    unnamed_leads: int
    # Part of the view, so part of the rendered page's key: a pitch set or changed is
    # on the next request.
    pitch: PitchView | None
    documents: tuple[LinkView, ...]
    more_documents: int
    projects: tuple[LinkView, ...]
    more_projects: int
    discussions: tuple[DiscussionLine, ...]
    meetings: tuple[MeetingLine, ...]

    @property
    def leads_text(self) -> str:
        names = list(self.lead_names)
        if self.unnamed_leads:
            others = "other lead" if names else "lead"
            names.append(plural(self.unnamed_leads, others, others + "s"))
        return ", ".join(names) if names else "No lead yet"


@dataclass(frozen=True)
class SessionLine:
    session: Session
    name: str
    kind_label: str
    cluster: str | None
    initiative: Initiative | None


@dataclass(frozen=True)
class MeetingDetail:
    community: str
    meeting: Meeting
    sessions: tuple[SessionLine, ...]
    counts: RsvpCounts
    recurrence_text: str | None
    next_occurrences: tuple[Occurrence, ...]
    changed_occurrences: tuple[Occurrence, ...]
    has_ended: bool
    clusters: tuple[Cluster, ...]
    initiatives: tuple[Initiative, ...]


@dataclass(frozen=True)
class MeetingsView:
    community: str
    when: str
    items: tuple[MeetingLine, ...]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class ClusterView:
    community: str
    info: Page[InitiativeSummary]
    cluster: Cluster
    meetings: tuple[MeetingLine, ...]


class PublicSite:
    def __init__(
        self,
        publication: WebPublication,
        directory: DirectoryService,
        resources: ResourceService,
        meetings: MeetingService,
        rsvp: RsvpService,
        discussions: DiscussionService,
        feeds: CalendarFeeds,
        pitches: PitchService,
    ) -> None:
        self.publication = publication
        self._directory = directory
        self._resources = resources
        self._pitches = pitches
        self._meetings = meetings
        self._rsvp = rsvp
        self._discussions = discussions
        self.feeds = feeds
        # Moved on by the web process once it refreshed what another process wrote
        # (bot/services/web/changes.py); never in the bot's own process.
        self.epoch = 0
        self._pitches_kept: dict[int, tuple[Hashable, Mapping[int, Pitch]]] = {}

    def version(self) -> Hashable:
        """Cheap, read on every request: while it stays the same, nothing the pages show
        was written (this process's writes and, in a web process, the bot's), and the
        guild shown is the same. What time alone changes (a meeting ending) and names
        from Discord are not in it: rendered pages are kept a few seconds at most."""
        return (self.publication.site_guild(), self.publication.data_version(), self.epoch)

    def guild(self) -> int:
        """The guild shown; NotPublic when none is published."""
        guild_id = self.publication.site_guild()
        if guild_id is None:
            raise NotPublic("Nothing is published here yet.")
        return guild_id

    # --- the directory ---------------------------------------------------

    async def directory(
        self, names: MemberNames, cluster: str = "", query: str = "", page: int = 1
    ) -> DirectoryView:
        guild_id = self.guild()
        page = _page(page)
        query = " ".join(query.split())[:MAX_QUERY]
        clusters = tuple(await self._directory.all_clusters(guild_id))
        chosen = None
        if cluster:
            chosen = _cluster_by_slug(clusters, cluster)
        results = None
        sections: tuple[ClusterSection, ...] = ()
        if query and chosen is None:
            hits = await self._directory.search(guild_id, query, page, PAGE_SIZE)
            summaries = await self._summaries(guild_id, [hit.initiative for hit in hits.items])
            results = Page(tuple(summaries), hits.total, hits.page, hits.page_size)
        elif query and chosen is not None:
            results = await self._search_in_cluster(guild_id, query, chosen, page)
        elif chosen is not None:
            results = await self._directory.list_initiatives(guild_id, chosen.slug, page, PAGE_SIZE)
        else:
            sections = tuple(
                [
                    ClusterSection(
                        c,
                        await self._directory.list_initiatives(
                            guild_id, c.slug, 1, CLUSTER_PREVIEW
                        ),
                    )
                    for c in clusters
                ]
            )
        return DirectoryView(
            community=await _community(names, guild_id),
            clusters=clusters,
            sections=sections,
            cluster=chosen,
            query=query,
            results=results,
        )

    async def _search_in_cluster(
        self, guild_id: int, query: str, cluster: Cluster, page: int
    ) -> Page[InitiativeSummary]:
        """A search's hits in one cluster, best first (among the best 500 overall)."""
        found: list[Initiative] = []
        for number in range(1, 21):
            hits = await self._directory.search(guild_id, query, number, PAGE_SIZE)
            found += [hit.initiative for hit in hits.items if hit.cluster.id == cluster.id]
            if number >= hits.pages:
                break
        pages = max(1, -(-len(found) // PAGE_SIZE))
        page = min(page, pages)
        window = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return Page(tuple(await self._summaries(guild_id, window)), len(found), page, PAGE_SIZE)

    async def _summaries(
        self, guild_id: int, initiatives: list[Initiative]
    ) -> list[InitiativeSummary]:
        summaries = []
        for initiative in initiatives:
            info = await self._directory.initiative_info(guild_id, initiative.slug)
            summaries.append(InitiativeSummary(info.initiative, info.cluster, info.counts))
        return summaries

    async def cluster(self, names: MemberNames, slug: str, page: int = 1) -> ClusterView:
        guild_id = self.guild()
        clusters = tuple(await self._directory.all_clusters(guild_id))
        chosen = _cluster_by_slug(clusters, slug)
        listed = await self._directory.list_initiatives(
            guild_id, chosen.slug, _page(page), PAGE_SIZE
        )
        meetings = await self._meeting_lines(
            guild_id, await self._meetings.list_meetings(guild_id, cluster_id=chosen.id, limit=10)
        )
        return ClusterView(
            community=await _community(names, guild_id),
            info=listed,
            cluster=chosen,
            meetings=meetings,
        )

    # --- an initiative ---------------------------------------------------

    async def initiative(self, names: MemberNames, slug: str) -> InitiativeView:
        guild_id = self.guild()
        initiative = await self._initiative(guild_id, slug)
        info = await self._directory.initiative_info(guild_id, initiative.slug)
        named = await self.publication.named_among(guild_id, info.leads)
        # Only those who agreed are looked up at all.
        known = await names.display_names(guild_id, named) if named else {}
        lead_names = []
        unnamed = 0
        for user_id in info.leads:
            name = known.get(user_id) if user_id in named else None
            if name:
                lead_names.append(name)
            else:
                unnamed += 1
        # What the live counts say is empty is not asked for; the rest is asked at once
        # (the database thread runs the queries back to back).
        counts = info.counts
        pitch, documents, projects, discussions, upcoming = await asyncio.gather(
            self._pitch(guild_id, initiative.id),
            self._links(guild_id, initiative.slug, "document", counts.documents),
            self._links(guild_id, initiative.slug, "project", counts.projects),
            self._recent_discussions(guild_id, initiative.id, counts.discussions),
            # One list for every initiative page, kept by the meetings repository until a
            # meeting changes or ends; a list per initiative would push out the lists
            # /meeting list keeps for Discord.
            self._meetings.list_meetings(guild_id, limit=UPCOMING_SCAN),
        )
        meetings = [m for m in upcoming if initiative.id in m.scope.initiative_ids][:10]
        return InitiativeView(
            community=await _community(names, guild_id),
            initiative=info.initiative,
            cluster=info.cluster,
            counts=info.counts,
            lead_names=tuple(sorted(lead_names, key=str.casefold)),
            unnamed_leads=unnamed,
            pitch=pitch,
            documents=documents[0],
            more_documents=documents[1],
            projects=projects[0],
            more_projects=projects[1],
            discussions=discussions,
            meetings=await self._meeting_lines(guild_id, meetings),
        )

    async def _pitch(self, guild_id: int, initiative_id: int) -> PitchView | None:
        pitch = (await self._guild_pitches(guild_id)).get(initiative_id)
        if pitch is None:
            return None
        link = _link("Slides or video", pitch.url) if pitch.url else None
        return PitchView(text=pitch.text, link=link)

    async def _guild_pitches(self, guild_id: int) -> Mapping[int, Pitch]:
        """The guild's pitches by initiative id, read in one query and kept while
        ``version()`` stays the same: most initiatives have none, and a page that asks for
        its own would pay a database round trip to learn it."""
        version = self.version()
        kept = self._pitches_kept.get(guild_id)
        if kept is not None and kept[0] == version:
            return kept[1]
        found = {item.initiative.id: item.pitch for item in await self._pitches.for_scope(guild_id)}
        self._pitches_kept[guild_id] = (version, found)  # the version read before
        return found

    async def _links(
        self, guild_id: int, slug: str, kind: str, count: int
    ) -> tuple[tuple[LinkView, ...], int]:
        """The newest documents or projects, and how many more there are."""
        if count == 0:
            return (), 0
        listed = await self._resources.list_resources(guild_id, slug, kind, 1, PAGE_SIZE)
        links = tuple(_link(r.title, r.url) for r in listed.items)
        return links, max(0, listed.total - len(links))

    async def _recent_discussions(
        self, guild_id: int, initiative_id: int, count: int | None
    ) -> tuple[DiscussionLine, ...]:
        if count == 0:
            return ()
        listed = await self._discussions.recent(guild_id, initiative_id, 10)
        return tuple(
            DiscussionLine(d.name, d.message_count, d.participant_count, d.state) for d in listed
        )

    # --- meetings --------------------------------------------------------

    async def meetings(self, names: MemberNames, when: str, page: int = 1) -> MeetingsView:
        guild_id = self.guild()
        if when not in ("upcoming", "past"):
            raise InvalidInput("Choose upcoming or past meetings.")
        page = _page(page)
        total = await self._meetings.count_meetings(guild_id, when)
        pages = max(1, -(-total // MEETINGS_PER_PAGE))
        page = min(page, pages)
        listed = await self._meetings.list_meetings(
            guild_id, when, limit=MEETINGS_PER_PAGE, offset=(page - 1) * MEETINGS_PER_PAGE
        )
        return MeetingsView(
            community=await _community(names, guild_id),
            when=when,
            items=await self._meeting_lines(guild_id, listed),
            page=page,
            pages=pages,
            total=total,
        )

    async def meeting(self, names: MemberNames, meeting_id: int) -> MeetingDetail:
        guild_id = self.guild()
        try:
            view = await self._meetings.view(guild_id, meeting_id)
        except NotFound:
            raise NotPublic(f"There is no meeting #{meeting_id}.") from None
        clusters, initiatives = await self._directory.by_id(guild_id)
        sessions = tuple(
            SessionLine(
                session=s,
                name=session_name(s),
                kind_label=KIND_LABELS[s.kind],
                cluster=_name_of(clusters, s.cluster_id),
                initiative=None if s.initiative_id is None else initiatives.get(s.initiative_id),
            )
            for s in view.sessions
        )
        meeting = view.meeting
        return MeetingDetail(
            community=await _community(names, guild_id),
            meeting=meeting,
            sessions=sessions,
            counts=view.counts,
            recurrence_text=view.recurrence_text,
            next_occurrences=view.next_occurrences,
            changed_occurrences=view.changed_occurrences,
            has_ended=view.has_ended,
            clusters=tuple(clusters[c] for c in meeting.scope.cluster_ids if c in clusters),
            initiatives=tuple(
                initiatives[i] for i in meeting.scope.initiative_ids if i in initiatives
            ),
        )

    async def _meeting_lines(
        self, guild_id: int, meetings: list[Meeting]
    ) -> tuple[MeetingLine, ...]:

        async def line(meeting: Meeting) -> MeetingLine:
            counts = await self._rsvp.counts(guild_id, meeting.id)
            upcoming = None
            if meeting.recurrence is not None:
                following = await self._meetings.occurrences(guild_id, meeting.id, limit=1)
                upcoming = following[0] if following else None
            return MeetingLine(meeting, counts.going, counts.maybe, upcoming)

        return tuple(await asyncio.gather(*(line(meeting) for meeting in meetings)))

    # --- calendar feeds ----------------------------------------------------

    async def feed_scope(self, cluster: str = "", initiative: str = "") -> FeedScope:
        guild_id = self.guild()
        if cluster:
            found = _cluster_by_slug(tuple(await self._directory.all_clusters(guild_id)), cluster)
            return FeedScope(guild_id, cluster_id=found.id, name=f"{found.name} meetings")
        if initiative:
            chosen = await self._initiative(guild_id, initiative)
            return FeedScope(guild_id, initiative_id=chosen.id, name=f"{chosen.name} meetings")
        return FeedScope(guild_id, name="Meetings")

    async def _initiative(self, guild_id: int, slug: str) -> Initiative:
        """By its slug (from memory); a name or a near miss is not an address."""
        try:
            initiative = await self._directory.get_initiative(guild_id, slug[:200])
        except NotFound:
            raise NotPublic("There is no initiative at this address.") from None
        if initiative.slug != slug:
            raise NotPublic("There is no initiative at this address.")
        return initiative

    async def feed(self, scope: FeedScope) -> Feed:
        return await self.feeds.feed(scope)

    def recurrence_day(self, occurrence: Occurrence, zone: str) -> str:
        return recurrence.day_text(occurrence.original_start, zone)


def _page(page: int) -> int:
    return max(1, min(page, MAX_PAGE))


async def _community(names: MemberNames, guild_id: int) -> str:
    return await names.guild_name(guild_id) or "Agora"


def _cluster_by_slug(clusters: tuple[Cluster, ...], slug: str) -> Cluster:
    for cluster in clusters:
        if cluster.slug == slug:
            return cluster
    raise NotPublic("There is no Action Cluster at this address.")


def _name_of(items: Mapping[int, Cluster], key: int | None) -> str | None:
    if key is None:
        return None
    found = items.get(key)
    return None if found is None else found.name


def _link(title: str, url: str) -> LinkView:
    return LinkView(title=title, url=url, host=link_host(url))

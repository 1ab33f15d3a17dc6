"""The directory: clusters and initiatives, their info, listing, search and autocomplete.

Reads come from the in-memory ``DirectoryCache`` (no SQL on the hot path);
full-text search asks SQLite's FTS5. Writes go to the database first and then
to the cache, so a failed write changes nothing anywhere.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Generic, Protocol, TypeVar

from bot.errors import Conflict, InvalidInput, NotFound
from bot.services.common.clock import Clock, utc_now
from bot.services.common.fuzzy import fold
from bot.services.common.name_matcher import Accept, Candidate, Found, Kind, pick, rank_names
from bot.services.common.names import invisible_problem, normalise_name, skeleton
from bot.services.common.permissions import Actor, require_admin, require_manage_initiative
from bot.services.directory.cache import DirectoryCache, GuildDirectory
from bot.storage.directory.models import Cluster, Initiative, InitiativeDraft
from bot.storage.directory.repository import ClearedMappings
from bot.storage.store import Store

# Limits that fit Discord: a name is a channel topic, role name and embed title.
MAX_NAME_LENGTH = 100
MAX_SLUG_LENGTH = 100
MAX_GOAL_LENGTH = 1000
MAX_DESCRIPTION_LENGTH = 1000
MAX_SOURCE_NOTE_LENGTH = 500
MAX_PAGE_SIZE = 25
MAX_CHOICES = 25  # Discord's limit for autocomplete choices

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SEARCH_WORD = re.compile(r"\w+")
_MAX_SEARCH_WORDS = 8

T = TypeVar("T")


def slug_problem(slug: str) -> str | None:
    """Why ``slug`` is not a valid slug, or None."""
    if not slug:
        return "the slug is empty"
    if len(slug) > MAX_SLUG_LENGTH:
        return f"the slug is {len(slug)} characters long; the limit is {MAX_SLUG_LENGTH}"
    if not _SLUG.match(slug):
        return (
            f"the slug `{slug}` must be lowercase letters and digits joined by single "
            f"dashes, like `humble-lamppost`"
        )
    return None


def name_problem(name: str) -> str | None:
    """Why ``name`` (already normalised, see ``names.normalise_name``) cannot name anything."""
    if not name.strip():
        return "the name is empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"the name is {len(name)} characters long; the limit is {MAX_NAME_LENGTH}"
    return invisible_problem(name)


def lookalike_problem(name: str, kind: str, holder: str, holder_slug: str) -> str:
    """The reason a name is refused because another ``kind`` looks the same."""
    if holder.casefold() == name.casefold():
        return f"the name {name!r} is already used by {kind} `{holder_slug}`"
    return (
        f"the name {name!r} looks the same as {holder!r} ({kind} `{holder_slug}`); "
        f"pick a name that reads differently"
    )


def goal_problem(goal: str) -> str | None:
    if len(goal) > MAX_GOAL_LENGTH:
        return f"the goal is {len(goal)} characters long; the limit is {MAX_GOAL_LENGTH}"
    return None


def slugify(text: str) -> str:
    """A slug proposal for a name: "Humble Lamppost" -> "humble-lamppost"."""
    return "-".join(fold(text).split())[:MAX_SLUG_LENGTH].strip("-")


class DiscussionCounts(Protocol):
    """Live discussion counts, from memory (the discussions service provides this)."""

    def count_for_initiative(self, guild_id: int, initiative_id: int) -> int: ...

    def count_by_initiative(self, guild_id: int) -> dict[int, int]: ...


@dataclass(frozen=True)
class LiveCounts:
    """Agora's own counts; ``discussions`` is None when that area is not wired in."""

    members: int = 0
    documents: int = 0
    projects: int = 0
    discussions: int | None = None

    def __add__(self, other: LiveCounts) -> LiveCounts:
        discussions = (
            None
            if self.discussions is None or other.discussions is None
            else self.discussions + other.discussions
        )
        return LiveCounts(
            members=self.members + other.members,
            documents=self.documents + other.documents,
            projects=self.projects + other.projects,
            discussions=discussions,
        )


@dataclass(frozen=True)
class InitiativeSummary:
    initiative: Initiative
    cluster: Cluster
    counts: LiveCounts


@dataclass(frozen=True)
class InitiativeInfo:
    initiative: Initiative
    cluster: Cluster
    leads: tuple[int, ...]  # user ids, sorted
    counts: LiveCounts


@dataclass(frozen=True)
class ClusterInfo:
    cluster: Cluster
    initiatives: tuple[InitiativeSummary, ...]  # by name
    totals: LiveCounts  # summed over its initiatives (members counted per initiative)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    total: int
    page: int  # 1-based, clamped to the last page
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


@dataclass(frozen=True)
class SearchHit:
    initiative: Initiative
    cluster: Cluster
    rank: float  # bm25: lower is better


@dataclass(frozen=True)
class Choice:
    """An autocomplete choice: show ``name``, send back ``value`` (the slug)."""

    name: str
    value: str


def check_page(page: int, page_size: int) -> None:
    if page < 1:
        raise InvalidInput(f"Page numbers start at 1; you asked for page {page}.")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput(f"A page holds 1 to {MAX_PAGE_SIZE} items; you asked for {page_size}.")


def clamp_page(page: int, page_size: int, total: int) -> int:
    return min(page, max(1, math.ceil(total / page_size)))


def fts_query(text: str, any_word: bool = False) -> str:
    """A safe FTS5 expression for user text: each word quoted, as a prefix.

    Quoting makes operators, quotes, brackets and stars plain text, so no input
    can raise an FTS5 syntax error.
    """
    words = _SEARCH_WORD.findall(text.casefold())[:_MAX_SEARCH_WORDS]
    joiner = " OR " if any_word else " "
    return joiner.join(f'"{word}"*' for word in words)


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class NamesById(Mapping[int, str]):
    """Names by id, read through to the directory's own mapping (no copy)."""

    def __init__(self, items: Mapping[int, _Named]) -> None:
        self._items = items

    def __getitem__(self, key: int) -> str:
        return self._items[key].name

    def __iter__(self) -> Iterator[int]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


class DirectoryService:
    def __init__(
        self,
        store: Store,
        cache: DirectoryCache,
        discussions: DiscussionCounts | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._cache = cache
        self._discussions = discussions
        self._clock = clock

    # --- lookups ---------------------------------------------------------

    async def get_initiative(self, guild_id: int, text: str) -> Initiative:
        """By slug or name, case-insensitive; NotFound names the closest matches."""
        directory = await self._cache.get(guild_id)
        return resolve_initiative(directory, text)

    async def find_initiative(
        self, guild_id: int, text: str, accept: Accept = "close"
    ) -> Found[Initiative]:
        """The initiative ``text`` names, by the name matcher: a unique part of its
        name or (with ``accept="close"``) a typo of it is used, and said so."""
        directory = await self._cache.get(guild_id)
        return match_initiative(directory, text, accept)

    async def get_cluster(self, guild_id: int, text: str) -> Cluster:
        """By slug or name; NotFound suggests the close ones, or lists them all."""
        return (await self.find_cluster(guild_id, text, "exact")).key

    async def find_cluster(
        self, guild_id: int, text: str, accept: Accept = "close"
    ) -> Found[Cluster]:
        directory = await self._cache.get(guild_id)
        cluster = directory.cluster_by_slug_or_name(text)
        if cluster is not None:
            return Found(cluster, cluster.name, text.strip(), corrected=False)
        candidates = [Candidate(c.id, c.name) for c in directory.clusters.values()]
        found = pick(text[: MAX_NAME_LENGTH * 2], candidates, CLUSTER, accept)
        return Found(directory.clusters[found.key], found.name, found.typed, found.corrected)

    async def initiative_for_channel(self, guild_id: int, channel_id: int) -> int | None:
        """The id of the initiative whose channel this is (from memory), or None."""
        initiative = (await self._cache.get(guild_id)).by_channel(channel_id)
        return None if initiative is None else initiative.id

    async def initiative_by_channel(self, guild_id: int, channel_id: int) -> Initiative | None:
        return (await self._cache.get(guild_id)).by_channel(channel_id)

    async def initiative_by_role(self, guild_id: int, role_id: int) -> Initiative | None:
        return (await self._cache.get(guild_id)).by_role(role_id)

    async def all_clusters(self, guild_id: int) -> list[Cluster]:
        return list((await self._cache.get(guild_id)).clusters.values())

    async def all_initiatives(self, guild_id: int) -> list[Initiative]:
        return list((await self._cache.get(guild_id)).initiatives.values())

    async def by_id(self, guild_id: int) -> tuple[Mapping[int, Cluster], Mapping[int, Initiative]]:
        """Clusters and initiatives by id: read-only views of memory, not copies."""
        directory = await self._cache.get(guild_id)
        return MappingProxyType(directory.clusters), MappingProxyType(directory.initiatives)

    async def names_by_id(self, guild_id: int) -> tuple[NamesById, NamesById]:
        """Cluster and initiative names by id, from memory, without copying them."""
        directory = await self._cache.get(guild_id)
        return NamesById(directory.clusters), NamesById(directory.initiatives)

    # --- info ------------------------------------------------------------

    async def initiative_info(self, guild_id: int, text: str) -> InitiativeInfo:
        directory = await self._cache.get(guild_id)
        initiative = resolve_initiative(directory, text)
        return InitiativeInfo(
            initiative=initiative,
            cluster=directory.clusters[initiative.cluster_id],
            leads=tuple(sorted(directory.leads(initiative.id))),
            counts=self._counts(directory, initiative.id),
        )

    async def cluster_info(self, guild_id: int, text: str) -> ClusterInfo:
        cluster = await self.get_cluster(guild_id, text)
        return self._cluster_info(await self._cache.get(guild_id), cluster)

    async def list_clusters(self, guild_id: int) -> list[ClusterInfo]:
        """Every cluster with its initiatives and totals, in creation order."""
        directory = await self._cache.get(guild_id)
        return [self._cluster_info(directory, cluster) for cluster in directory.clusters.values()]

    async def list_initiatives(
        self, guild_id: int, cluster: str | None = None, page: int = 1, page_size: int = 10
    ) -> Page[InitiativeSummary]:
        """Initiatives by name, optionally of one cluster (slug or name)."""
        check_page(page, page_size)
        directory = await self._cache.get(guild_id)
        if cluster is None:
            chosen = directory.initiatives_by_name()
        else:
            chosen = directory.initiatives_of_cluster(
                (await self.get_cluster(guild_id, cluster)).id
            )
        page = clamp_page(page, page_size, len(chosen))
        window = chosen[(page - 1) * page_size : page * page_size]
        return Page(
            items=tuple(self._summary(directory, initiative) for initiative in window),
            total=len(chosen),
            page=page,
            page_size=page_size,
        )

    # --- search and autocomplete ----------------------------------------

    async def search(
        self, guild_id: int, query: str, page: int = 1, page_size: int = 10
    ) -> Page[SearchHit]:
        """Full-text search over names and goals, best first (every word, else any word)."""
        check_page(page, page_size)
        directory = await self._cache.get(guild_id)
        offset = (page - 1) * page_size
        ranked, total = await self._store.directory.search(
            guild_id, fts_query(query), page_size, offset
        )
        if total == 0 and len(_SEARCH_WORD.findall(query)) > 1:
            ranked, total = await self._store.directory.search(
                guild_id, fts_query(query, any_word=True), page_size, offset
            )
        hits = []
        for initiative_id, rank in ranked:
            initiative = directory.initiatives.get(initiative_id)
            if initiative is not None:
                hits.append(SearchHit(initiative, directory.clusters[initiative.cluster_id], rank))
        return Page(items=tuple(hits), total=total, page=page, page_size=page_size)

    async def autocomplete(
        self, guild_id: int, current: str, limit: int = MAX_CHOICES
    ) -> list[Choice]:
        """Up to 25 initiatives for what the user has typed so far, best first."""
        directory = await self._cache.get(guild_id)
        limit = max(1, min(limit, MAX_CHOICES))
        typed = current[:MAX_NAME_LENGTH]
        # The index narrows 10,000 names to a few; the name matcher ranks those
        # as it ranks every other kind of name.
        keys = [match.key for match in directory.names.search(typed, limit)]
        ranked = rank_names(typed, _initiative_candidates(directory, keys), limit)
        return [Choice(name=c.name, value=directory.initiatives[c.key].slug) for c in ranked]

    async def cluster_autocomplete(self, guild_id: int, current: str) -> list[Choice]:
        """Clusters ranked by the name matcher (typos too), best first."""
        directory = await self._cache.get(guild_id)
        candidates = [Candidate(c.slug, c.name) for c in directory.clusters.values()]
        ranked = rank_names(current[:MAX_NAME_LENGTH], candidates, MAX_CHOICES)
        return [Choice(name=c.name, value=c.key) for c in ranked]

    # --- editing (admins / leads) -----------------------------------------

    async def create_initiative(
        self, guild_id: int, actor: Actor, name: str, cluster: str, goal: str = "", slug: str = ""
    ) -> Initiative:
        """A new initiative; its slug (channel name) is made from the name unless given."""
        require_admin(actor, "create initiatives")
        directory = await self._cache.get(guild_id)
        name, goal = normalise_name(name), goal.strip()
        slug = slug.strip().lower() or slugify(name)
        problem = name_problem(name) or goal_problem(goal) or slug_problem(slug)
        if problem:
            raise InvalidInput(f"Cannot create the initiative: {problem}.")
        target = await self.get_cluster(guild_id, cluster)
        existing = directory.by_slug_or_name(slug) or directory.by_slug_or_name(name)
        if existing is not None:
            raise Conflict(
                f"There is already an initiative {existing.name} (`{existing.slug}`); "
                f"pick another name or slug."
            )
        twin = initiative_looking_like(directory, name)
        if twin is not None:
            raise Conflict(
                f"Cannot create the initiative: "
                f"{lookalike_problem(name, 'initiative', twin.name, twin.slug)}."
            )
        draft = InitiativeDraft(slug=slug, name=name, cluster_slug=target.slug, goal=goal)
        initiative = await self._store.directory.create_initiative(guild_id, draft, self._clock())
        directory.put_initiative(initiative)
        return initiative

    async def edit_initiative(
        self,
        guild_id: int,
        actor: Actor,
        text: str,
        *,
        name: str | None = None,
        goal: str | None = None,
        cluster: str | None = None,
    ) -> Initiative:
        """Change name, goal or cluster; the slug (and so the channel name) stays."""
        directory = await self._cache.get(guild_id)
        initiative = resolve_initiative(directory, text)
        require_manage_initiative(actor, initiative.id, initiative.name, "edit it")
        cluster_slug = directory.clusters[initiative.cluster_id].slug
        if cluster is not None:
            cluster_slug = (await self.get_cluster(guild_id, cluster)).slug
        draft = InitiativeDraft.of(initiative, cluster_slug)
        new_name = initiative.name if name is None else normalise_name(name)
        new_goal = initiative.goal if goal is None else goal.strip()
        problem = (name_problem(new_name) if name is not None else None) or goal_problem(new_goal)
        if problem:
            raise InvalidInput(f"Cannot change {initiative.name}: {problem}.")
        clash = directory.by_slug_or_name(new_name)
        if clash is not None and clash.id != initiative.id:
            raise Conflict(f"Another initiative is already named {clash.name}.")
        twin = None if name is None else initiative_looking_like(directory, new_name, initiative.id)
        if twin is not None:
            raise Conflict(
                f"Cannot change {initiative.name}: "
                f"{lookalike_problem(new_name, 'initiative', twin.name, twin.slug)}."
            )
        # A new name is a real title now; a shortened goal is no longer the truncated source.
        draft = InitiativeDraft(
            slug=draft.slug,
            name=new_name,
            cluster_slug=cluster_slug,
            goal=new_goal,
            title_missing=draft.title_missing and name is None,
            goal_truncated=draft.goal_truncated and goal is None,
            source_counts=draft.source_counts,
            source_note=draft.source_note,
        )
        updated = await self._store.directory.update_initiative(guild_id, draft, self._clock())
        directory.put_initiative(updated)
        return updated

    async def delete_initiative(self, guild_id: int, actor: Actor, text: str) -> Initiative:
        """Delete it with its memberships, documents and projects (not its Discord channel)."""
        require_admin(actor, "delete initiatives")
        directory = await self._cache.get(guild_id)
        initiative = resolve_initiative(directory, text)
        await self._store.directory.delete_initiative(guild_id, initiative.id)
        directory.remove_initiative(initiative.id)
        return initiative

    # --- Discord channel / role mapping ---------------------------------

    async def link_channel(
        self, guild_id: int, initiative_id: int, channel_id: int | None
    ) -> Initiative:
        """Map (or with None, unmap) the initiative's channel."""
        directory = await self._cache.get(guild_id)
        _known(directory, initiative_id)
        updated = await self._store.directory.set_channel(
            guild_id, initiative_id, channel_id, self._clock()
        )
        directory.put_initiative(updated)
        return updated

    async def link_role(self, guild_id: int, initiative_id: int, role_id: int | None) -> Initiative:
        directory = await self._cache.get(guild_id)
        _known(directory, initiative_id)
        updated = await self._store.directory.set_role(
            guild_id, initiative_id, role_id, self._clock()
        )
        directory.put_initiative(updated)
        return updated

    async def link_category(
        self, guild_id: int, cluster_id: int, category_channel_id: int | None
    ) -> Cluster:
        directory = await self._cache.get(guild_id)
        updated = await self._store.directory.set_category(
            guild_id, cluster_id, category_channel_id, self._clock()
        )
        directory.put_cluster(updated)
        return updated

    async def link_cluster_channel(
        self, guild_id: int, cluster_id: int, channel_id: int | None
    ) -> Cluster:
        """Map (or with None, unmap) the cluster's own channel (digests, cluster meetings)."""
        directory = await self._cache.get(guild_id)
        updated = await self._store.directory.set_cluster_channel(
            guild_id, cluster_id, channel_id, self._clock()
        )
        directory.put_cluster(updated)
        return updated

    async def channel_deleted(self, guild_id: int, channel_id: int) -> ClearedMappings:
        """A Discord channel was deleted: clear every mapping to it."""
        directory = await self._cache.get(guild_id)
        if (
            directory.by_channel(channel_id) is None
            and directory.cluster_for_category(channel_id) is None
            and all(c.channel_id != channel_id for c in directory.clusters.values())
        ):
            return ClearedMappings()
        cleared = await self._store.directory.clear_channel(guild_id, channel_id, self._clock())
        await self._cache.refresh_directory(guild_id)
        return cleared

    async def role_deleted(self, guild_id: int, role_id: int) -> ClearedMappings:
        """A Discord role was deleted: clear its mapping (memberships stay)."""
        directory = await self._cache.get(guild_id)
        if directory.by_role(role_id) is None:
            return ClearedMappings()
        cleared = await self._store.directory.clear_role(guild_id, role_id, self._clock())
        await self._cache.refresh_directory(guild_id)
        return cleared

    async def channel_renamed(self, guild_id: int, channel_id: int) -> Initiative | None:
        """Mappings are by id, so a rename changes nothing; returns the mapped initiative."""
        return await self.initiative_by_channel(guild_id, channel_id)

    # --- helpers ---------------------------------------------------------

    def _counts(self, directory: GuildDirectory, initiative_id: int) -> LiveCounts:
        discussions = (
            None
            if self._discussions is None
            else self._discussions.count_for_initiative(directory.guild_id, initiative_id)
        )
        return LiveCounts(
            members=directory.member_count(initiative_id),
            documents=directory.resource_count(initiative_id, "document"),
            projects=directory.resource_count(initiative_id, "project"),
            discussions=discussions,
        )

    def _summary(self, directory: GuildDirectory, initiative: Initiative) -> InitiativeSummary:
        return InitiativeSummary(
            initiative=initiative,
            cluster=directory.clusters[initiative.cluster_id],
            counts=self._counts(directory, initiative.id),
        )

    def _cluster_info(self, directory: GuildDirectory, cluster: Cluster) -> ClusterInfo:
        summaries = tuple(
            self._summary(directory, initiative)
            for initiative in directory.initiatives_of_cluster(cluster.id)
        )
        totals = LiveCounts(discussions=None if self._discussions is None else 0)
        for summary in summaries:
            totals = totals + summary.counts
        return ClusterInfo(cluster=cluster, initiatives=summaries, totals=totals)


def _known(directory: GuildDirectory, initiative_id: int) -> Initiative:
    initiative = directory.initiatives.get(initiative_id)
    if initiative is None:
        raise NotFound(f"No initiative with id {initiative_id} on this server.")
    return initiative


def initiative_looking_like(
    directory: GuildDirectory, name: str, except_id: int | None = None
) -> Initiative | None:
    """Another initiative whose name looks the same as ``name`` (same TR39 skeleton)."""
    wanted = skeleton(name)
    for initiative in directory.initiatives.values():
        if initiative.id != except_id and skeleton(initiative.name) == wanted:
            return initiative
    return None


CLUSTER = Kind(
    singular="Action Cluster",
    plural="clusters",
    missing="No Action Cluster named “{typed}”.",
    where="/cluster list shows them all.",
    list_all_below=30,
)
INITIATIVE = Kind(
    singular="initiative",
    plural="initiatives",
    missing="No initiative named “{typed}”.",
    where="/initiative list shows them all.",
)


def resolve_initiative(directory: GuildDirectory, text: str) -> Initiative:
    """The initiative with this slug or name (case-insensitive); NotFound with suggestions."""
    return match_initiative(directory, text, "exact").key


def match_initiative(directory: GuildDirectory, text: str, accept: Accept) -> Found[Initiative]:
    """The name matcher over the initiatives the name index finds close to ``text``."""
    initiative = directory.by_slug_or_name(text)
    if initiative is not None:
        return Found(initiative, initiative.name, text.strip(), corrected=False)
    if not directory.initiatives:
        raise NotFound(
            "This server has no initiatives yet; an admin can import them with /admin import."
        )
    typed = text.strip()[:MAX_NAME_LENGTH]
    keys = [match.key for match in directory.names.search(typed, MAX_CHOICES)]
    keys += directory.names.closest(typed, 5)
    found = pick(typed, _initiative_candidates(directory, keys), INITIATIVE, accept)
    return Found(directory.initiatives[found.key], found.name, found.typed, found.corrected)


def _initiative_candidates(directory: GuildDirectory, keys: Sequence[int]) -> list[Candidate[int]]:
    seen: set[int] = set()
    candidates = []
    for key in keys:
        initiative = directory.initiatives.get(key)
        if initiative is not None and key not in seen:
            seen.add(key)
            candidates.append(Candidate(key, initiative.name))
    return candidates

"""The hot directory data of each guild, in memory.

``/initiative info`` and its autocomplete must answer in a few milliseconds
with 10,000 initiatives and 100,000 memberships, so lookups, names, leads and
live counts (members, documents, projects) never touch SQL. A guild's data is
loaded once on first use (or at start) and then updated by the services right
after each successful write; the database stays the source of truth and
``reload`` rebuilds a guild from it.

A big guild is a million long-lived objects (sets of members, name indexes).
Python's full garbage collections walk every one of them: 100-300 ms pauses
in the middle of serving interactions (bench/lookups.py saw p99 > 200 ms at
200 requests/s). So each directory is loaded inside ``heap.loading()`` and
declared long-lived with ``heap.settled()`` (the start-up code's ``Heap``,
bot/runtime.py, pauses the collector meanwhile and then moves the directory out
of its sight; reference counting still frees what is dropped, and the
directory has no cycles).

Memberships are the bulk of it, so they are kept lean: sorted lists of ids
rather than sets (a set of ten ids takes about four times the memory of a
list of them), and one int object per user however many initiatives the user
is in. A directory is built in one pass from the memberships grouped per user
(``load_memberships``), not membership by membership.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.services.common.fuzzy import NameIndex
from bot.services.common.heap import Heap, UntunedHeap
from bot.storage.directory.memberships import UserMemberships
from bot.storage.directory.models import Cluster, Initiative, Membership, ResourceKind
from bot.storage.fleet import EVERYTHING, ShardScope
from bot.storage.store import Store


@dataclass
class GuildDirectory:
    """One guild's directory and counters. Mutated only through its methods."""

    guild_id: int
    clusters: dict[int, Cluster] = field(default_factory=dict)
    initiatives: dict[int, Initiative] = field(default_factory=dict)
    names: NameIndex = field(default_factory=NameIndex)
    _cluster_by_slug: dict[str, int] = field(default_factory=dict)
    _cluster_by_name: dict[str, int] = field(default_factory=dict)
    _cluster_by_category: dict[int, int] = field(default_factory=dict)
    _by_slug: dict[str, int] = field(default_factory=dict)
    _by_name: dict[str, int] = field(default_factory=dict)
    _by_channel: dict[int, int] = field(default_factory=dict)
    _by_role: dict[int, int] = field(default_factory=dict)
    # Sorted lists of ids, never empty (an emptied list is dropped).
    _members: dict[int, list[int]] = field(default_factory=dict)  # initiative -> users
    _leads: dict[int, list[int]] = field(default_factory=dict)  # initiative -> users
    _member_of: dict[int, list[int]] = field(default_factory=dict)  # user -> initiatives
    _lead_of: dict[int, list[int]] = field(default_factory=dict)  # user -> initiatives
    _resources: Counter[tuple[int, ResourceKind]] = field(default_factory=Counter)
    # Initiatives by name, built on first use and dropped when names change: listing
    # pages must not sort 10,000 initiatives per click.
    _by_name_order: list[Initiative] | None = None
    # Initiatives by cluster, each by name; built from (and rebuilt with) ``_by_name_order``.
    _by_cluster_order: dict[int, list[Initiative]] | None = None
    _by_cluster_of: list[Initiative] | None = None

    # --- clusters --------------------------------------------------------

    def put_cluster(self, cluster: Cluster) -> None:
        old = self.clusters.get(cluster.id)
        if old is not None:
            self._cluster_by_name.pop(old.name.casefold(), None)
            if old.category_channel_id is not None:
                self._cluster_by_category.pop(old.category_channel_id, None)
        self.clusters[cluster.id] = cluster
        self._cluster_by_slug[cluster.slug] = cluster.id
        self._cluster_by_name[cluster.name.casefold()] = cluster.id
        if cluster.category_channel_id is not None:
            self._cluster_by_category[cluster.category_channel_id] = cluster.id

    def cluster_by_slug_or_name(self, text: str) -> Cluster | None:
        key = text.strip()
        cluster_id = self._cluster_by_slug.get(key.lower())
        if cluster_id is None:
            cluster_id = self._cluster_by_name.get(key.casefold())
        return None if cluster_id is None else self.clusters[cluster_id]

    def cluster_for_category(self, category_channel_id: int) -> Cluster | None:
        cluster_id = self._cluster_by_category.get(category_channel_id)
        return None if cluster_id is None else self.clusters[cluster_id]

    def initiatives_by_name(self) -> list[Initiative]:
        """Every initiative, sorted by name (cached until the directory changes)."""
        if self._by_name_order is None:
            self._by_name_order = sorted(
                self.initiatives.values(), key=lambda initiative: initiative.name.casefold()
            )
        return self._by_name_order

    def initiatives_of_cluster(self, cluster_id: int) -> list[Initiative]:
        """The cluster's initiatives by name (grouped once per change of the directory:
        a page of a cluster's list must not walk 10,000 initiatives)."""
        by_name = self.initiatives_by_name()
        if self._by_cluster_order is None or self._by_cluster_of is not by_name:
            grouped: defaultdict[int, list[Initiative]] = defaultdict(list)
            for initiative in by_name:
                grouped[initiative.cluster_id].append(initiative)
            self._by_cluster_order, self._by_cluster_of = dict(grouped), by_name
        return list(self._by_cluster_order.get(cluster_id, ()))

    # --- initiatives -----------------------------------------------------

    def put_initiative(self, initiative: Initiative) -> None:
        if self._index(initiative):
            self.names.add(initiative.id, initiative.name, initiative.slug)

    def put_initiatives(self, initiatives: Iterable[Initiative]) -> None:
        """``put_initiative`` for each, with the name index updated in one pass."""
        self.names.add_many(
            (initiative.id, initiative.name, initiative.slug)
            for initiative in initiatives
            if self._index(initiative)
        )

    def _index(self, initiative: Initiative) -> bool:
        """Store and index ``initiative``; True when its name or slug is new or changed."""
        old = self.initiatives.get(initiative.id)
        self._by_name_order = None
        if old is not None:
            self._unindex(old)
        self.initiatives[initiative.id] = initiative
        self._by_slug[initiative.slug] = initiative.id
        self._by_name[initiative.name.casefold()] = initiative.id
        if initiative.channel_id is not None:
            self._by_channel[initiative.channel_id] = initiative.id
        if initiative.role_id is not None:
            self._by_role[initiative.role_id] = initiative.id
        return old is None or old.name != initiative.name or old.slug != initiative.slug

    def remove_initiative(self, initiative_id: int) -> None:
        old = self.initiatives.pop(initiative_id, None)
        self._by_name_order = None
        if old is None:
            return
        self._unindex(old)
        self.names.remove(initiative_id)
        for user_id in self._members.pop(initiative_id, ()):
            _remove(self._member_of, user_id, initiative_id)
        for user_id in self._leads.pop(initiative_id, ()):
            _remove(self._lead_of, user_id, initiative_id)
        for kind in ("document", "project"):
            self._resources.pop((initiative_id, kind), None)

    def _unindex(self, old: Initiative) -> None:
        """Drop ``old``'s entries from the lookup indexes (before replacing or removing it)."""
        self._by_name.pop(old.name.casefold(), None)
        self._by_slug.pop(old.slug, None)
        if old.channel_id is not None:
            self._by_channel.pop(old.channel_id, None)
        if old.role_id is not None:
            self._by_role.pop(old.role_id, None)

    def by_slug_or_name(self, text: str) -> Initiative | None:
        key = text.strip()
        initiative_id = self._by_slug.get(key.lower())
        if initiative_id is None:
            initiative_id = self._by_name.get(key.casefold())
        return None if initiative_id is None else self.initiatives[initiative_id]

    def by_channel(self, channel_id: int) -> Initiative | None:
        initiative_id = self._by_channel.get(channel_id)
        return None if initiative_id is None else self.initiatives[initiative_id]

    def by_role(self, role_id: int) -> Initiative | None:
        initiative_id = self._by_role.get(role_id)
        return None if initiative_id is None else self.initiatives[initiative_id]

    def role_ids(self) -> dict[int, int]:
        """{role id: initiative id} of every mapped role."""
        return dict(self._by_role)

    # --- memberships -----------------------------------------------------

    def add_membership(self, membership: Membership) -> None:
        if membership.user_id is None or not membership.is_current:
            return
        self._add(membership.initiative_id, membership.user_id, membership.role == "lead")

    def load_memberships(self, users: Iterable[UserMemberships]) -> None:
        """Index current memberships given per user: (user id, initiatives, led ones).

        The same as ``add_membership`` for each, in one pass: loading 100,000
        memberships one by one keeps four lists sorted at every step. Each
        (initiative, user) must come at most once, as the memberships table
        guarantees for current rows.
        """
        if self._members or self._member_of:
            for user_id, initiative_ids, lead_ids in users:
                for initiative_id in initiative_ids:
                    self._add(initiative_id, user_id, initiative_id in lead_ids)
            return
        # Ids read from the database are new int objects, one per mention; keep
        # the directory's own, so 100,000 memberships do not hold 100,000 ints.
        canonical = _Canonical({initiative_id: initiative_id for initiative_id in self.initiatives})
        members: defaultdict[int, list[int]] = defaultdict(list)
        leads: defaultdict[int, list[int]] = defaultdict(list)
        for user_id, initiative_ids, lead_ids in users:
            if initiative_ids:
                mine = sorted(map(canonical.__getitem__, initiative_ids))
                self._member_of[user_id] = mine
                for initiative_id in mine:
                    members[initiative_id].append(user_id)
            if lead_ids:
                led = sorted(map(canonical.__getitem__, lead_ids))
                self._lead_of[user_id] = led
                for initiative_id in led:
                    leads[initiative_id].append(user_id)
        for index, built in ((self._members, members), (self._leads, leads)):
            for ids in built.values():
                ids.sort()  # already in order when users come sorted, as they do
            index.update(built)

    def _add(self, initiative_id: int, user_id: int, is_lead: bool) -> None:
        _insert(self._members, initiative_id, user_id)
        _insert(self._member_of, user_id, initiative_id)
        self.set_lead(initiative_id, user_id, is_lead)

    def remove_membership(self, initiative_id: int, user_id: int) -> None:
        _remove(self._members, initiative_id, user_id)
        _remove(self._member_of, user_id, initiative_id)
        self.set_lead(initiative_id, user_id, False)

    def set_lead(self, initiative_id: int, user_id: int, is_lead: bool) -> None:
        if is_lead:
            _insert(self._leads, initiative_id, user_id)
            _insert(self._lead_of, user_id, initiative_id)
        else:
            _remove(self._leads, initiative_id, user_id)
            _remove(self._lead_of, user_id, initiative_id)

    def member_count(self, initiative_id: int) -> int:
        return len(self._members.get(initiative_id, ()))

    def is_member(self, initiative_id: int, user_id: int) -> bool:
        return _contains(self._members.get(initiative_id), user_id)

    def leads(self, initiative_id: int) -> frozenset[int]:
        return frozenset(self._leads.get(initiative_id, ()))

    def users_with_memberships(self) -> frozenset[int]:
        """Everyone who is currently a member of at least one initiative."""
        return frozenset(self._member_of)

    def member_of(self, user_id: int) -> frozenset[int]:
        return frozenset(self._member_of.get(user_id, ()))

    def lead_of(self, user_id: int) -> frozenset[int]:
        return frozenset(self._lead_of.get(user_id, ()))

    # --- documents and projects -----------------------------------------

    def adjust_resources(self, initiative_id: int, kind: ResourceKind, delta: int) -> None:
        self._resources[(initiative_id, kind)] += delta

    def resource_count(self, initiative_id: int, kind: ResourceKind) -> int:
        return self._resources[(initiative_id, kind)]


class DirectoryCache:
    """GuildDirectory per guild, loaded from the store on first use."""

    def __init__(self, store: Store, heap: Heap | None = None) -> None:
        self._store = store
        self._heap: Heap = heap if heap is not None else UntunedHeap()
        self._guilds: dict[int, GuildDirectory] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    async def get(self, guild_id: int) -> GuildDirectory:
        directory = self._guilds.get(guild_id)
        if directory is not None:
            return directory
        lock = self._locks.setdefault(guild_id, asyncio.Lock())
        async with lock:
            directory = self._guilds.get(guild_id)
            if directory is None:
                directory = await self._load(guild_id)
                self._guilds[guild_id] = directory
        return directory

    async def reload(self, guild_id: int) -> GuildDirectory:
        """Rebuild the guild from the database (after a bulk import, or to recover)."""
        lock = self._locks.setdefault(guild_id, asyncio.Lock())
        async with lock:
            directory = await self._load(guild_id)
            self._guilds[guild_id] = directory
        return directory

    def loaded(self, guild_id: int) -> bool:
        return guild_id in self._guilds

    def forget(self, guild_id: int) -> None:
        """Drop the guild's directory (another process wrote it); the next use loads it."""
        self._guilds.pop(guild_id, None)

    async def refresh_directory(self, guild_id: int) -> GuildDirectory:
        """Re-read clusters and initiatives only (after an import or a mapping change).

        Cheaper than ``reload``: memberships and counters, the bulk of the data,
        stay as they are. Initiatives are never deleted by these writes.
        """
        directory = await self.get(guild_id)
        for cluster in await self._store.directory.list_clusters(guild_id):
            directory.put_cluster(cluster)
        directory.put_initiatives(await self._store.directory.list_initiatives(guild_id))
        return directory

    async def warm(self, scope: ShardScope = EVERYTHING) -> int:
        """Load every guild of ``scope`` that has a directory; returns how many. (A process
        running some of the shards warms their guilds only; another guild is still loaded
        on first use, by ``get``.)"""
        guild_ids = await self._store.directory.guild_ids(scope)
        for guild_id in guild_ids:
            await self.get(guild_id)
        return len(guild_ids)

    async def _load(self, guild_id: int) -> GuildDirectory:
        with self._heap.loading():
            directory = await self._build(guild_id)
            # Settled before the collector resumes, which would otherwise walk the
            # whole new directory at its first pass.
            self._heap.settled()
        return directory

    async def _build(self, guild_id: int) -> GuildDirectory:
        directory = GuildDirectory(guild_id=guild_id)
        for cluster in await self._store.directory.list_clusters(guild_id):
            directory.put_cluster(cluster)
        initiatives = await self._store.directory.list_initiatives(guild_id)
        # SQLite groups the memberships in its own thread, without Python's GIL:
        # start that first and index the names meanwhile.
        by_user = asyncio.create_task(self._store.memberships.current_by_user(guild_id))
        try:
            await asyncio.sleep(0)  # the task hands its query to the database thread
            directory.put_initiatives(initiatives)
            users = await by_user
        finally:
            by_user.cancel()  # when indexing failed; a finished task ignores it
        directory.load_memberships(users)
        for (initiative_id, kind), count in (await self._store.resources.counts(guild_id)).items():
            directory.adjust_resources(initiative_id, kind, count)
        directory.names.prepare()
        return directory


class _Canonical(dict[int, int]):
    """Maps an id to the one int object kept for it (itself, the first time)."""

    def __missing__(self, key: int) -> int:
        self[key] = key
        return key


def _contains(ids: list[int] | None, value: int) -> bool:
    if not ids:
        return False
    at = bisect_left(ids, value)
    return at < len(ids) and ids[at] == value


def _insert(index: dict[int, list[int]], key: int, value: int) -> None:
    """Add ``value`` to the sorted list under ``key`` unless it is there."""
    ids = index.get(key)
    if ids is None:
        index[key] = [value]
        return
    at = bisect_left(ids, value)
    if at == len(ids) or ids[at] != value:
        ids.insert(at, value)


def _remove(index: dict[int, list[int]], key: int, value: int) -> None:
    """Drop ``value`` from the sorted list under ``key``, and the list once empty."""
    ids = index.get(key)
    if ids is None:
        return
    at = bisect_left(ids, value)
    if at < len(ids) and ids[at] == value:
        del ids[at]
        if not ids:
            del index[key]

"""What ``/admin setup`` should do in Discord: a pure plan, computed before anything is touched.

Given the directory and the guild's existing channels and roles, the plan says
which categories (one per cluster), initiative channels (named by slug) and
initiative roles (named like the initiative) to create, which existing ones
to adopt (same name, so a rerun after a crash or a hand-made channel is not
duplicated), and which to skip, with the reason. It never deletes anything.

Running it again on the guild after the plan was carried out gives nothing
to create: everything is either linked already or adopted by name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from bot.storage.models_core import Cluster, Initiative

MAX_CHANNEL_NAME = 100
MAX_TOPIC = 1024  # Discord's limit for a text channel topic

ChannelKind = Literal["text", "forum"]
ThingKind = Literal["category", "channel", "cluster_channel", "role"]

# Discord turns spaces into dashes and drops most punctuation in text channel names.
_DROPPED = re.compile(r"[^\w\-]+", re.UNICODE)
_DASHES = re.compile(r"-{2,}")


def channel_name(name: str) -> str:
    """The name Discord gives a text or forum channel created as ``name``."""
    lowered = "-".join(name.lower().split())
    cleaned = _DASHES.sub("-", _DROPPED.sub("", lowered)).strip("-")
    return cleaned[:MAX_CHANNEL_NAME]


@dataclass(frozen=True)
class ExistingChannel:
    id: int
    name: str
    type: str  # 'text', 'forum', 'voice', 'stage', 'category', 'news', ...
    parent_id: int | None = None


@dataclass(frozen=True)
class ExistingRole:
    id: int
    name: str
    managed: bool = False  # bot and integration roles cannot be given to members


@dataclass(frozen=True)
class CreateCategory:
    cluster_slug: str
    name: str


@dataclass(frozen=True)
class CreateChannel:
    initiative_slug: str
    name: str
    kind: ChannelKind
    topic: str
    cluster_slug: str
    # The category to put it in: an existing one, or None when the category is
    # created by this same plan (look it up by cluster_slug after creating it).
    category_id: int | None


@dataclass(frozen=True)
class CreateClusterChannel:
    cluster_slug: str
    name: str
    topic: str
    category_id: int | None  # None: the category this same plan creates


@dataclass(frozen=True)
class CreateRole:
    initiative_slug: str
    name: str


@dataclass(frozen=True)
class Adopt:
    """Link an existing category/channel/role found by name."""

    kind: ThingKind
    slug: str  # of the cluster (category) or initiative (channel, role)
    id: int
    name: str


@dataclass(frozen=True)
class Skip:
    kind: ThingKind
    slug: str
    name: str
    reason: str


@dataclass(frozen=True)
class SetupPlan:
    create_categories: tuple[CreateCategory, ...] = ()
    create_channels: tuple[CreateChannel, ...] = ()
    create_cluster_channels: tuple[CreateClusterChannel, ...] = ()
    create_roles: tuple[CreateRole, ...] = ()
    adopt: tuple[Adopt, ...] = ()
    skipped: tuple[Skip, ...] = ()
    linked: int = 0  # mappings that already point at an existing channel or role

    @property
    def has_work(self) -> bool:
        return bool(
            self.create_categories
            or self.create_channels
            or self.create_cluster_channels
            or self.create_roles
            or self.adopt
        )

    def summary(self) -> str:
        return (
            f"create {len(self.create_categories)} categories, "
            f"{len(self.create_cluster_channels)} cluster channels, {len(self.create_channels)} "
            f"channels, {len(self.create_roles)} roles; adopt {len(self.adopt)}; "
            f"skip {len(self.skipped)}; {self.linked} already linked"
        )


@dataclass
class _Builder:
    channels: Sequence[ExistingChannel]
    roles: Sequence[ExistingRole]
    create_categories: list[CreateCategory] = field(default_factory=list)
    create_channels: list[CreateChannel] = field(default_factory=list)
    create_cluster_channels: list[CreateClusterChannel] = field(default_factory=list)
    create_roles: list[CreateRole] = field(default_factory=list)
    adopt: list[Adopt] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    linked: int = 0
    claimed: set[int] = field(default_factory=set)  # ids linked or adopted already

    def plan(self) -> SetupPlan:
        return SetupPlan(
            create_categories=tuple(self.create_categories),
            create_channels=tuple(self.create_channels),
            create_cluster_channels=tuple(self.create_cluster_channels),
            create_roles=tuple(self.create_roles),
            adopt=tuple(self.adopt),
            skipped=tuple(self.skipped),
            linked=self.linked,
        )


def plan_setup(
    clusters: Sequence[Cluster],
    initiatives: Sequence[Initiative],
    *,
    channel_kind: ChannelKind,
    category_prefix: str,
    channels: Sequence[ExistingChannel],
    roles: Sequence[ExistingRole],
) -> SetupPlan:
    builder = _Builder(channels=channels, roles=roles)
    channel_ids = {channel.id for channel in channels}
    role_ids = {role.id for role in roles}
    # Every id already mapped is off limits for adoption by another entry.
    for cluster in clusters:
        if cluster.category_channel_id in channel_ids:
            builder.claimed.add(cluster.category_channel_id)
        if cluster.channel_id in channel_ids:
            builder.claimed.add(cluster.channel_id)
    for initiative in initiatives:
        if initiative.channel_id in channel_ids:
            builder.claimed.add(initiative.channel_id)
        if initiative.role_id in role_ids:
            builder.claimed.add(initiative.role_id)

    category_of: dict[int, int | None] = {}  # cluster id -> category id (None: planned)
    for cluster in clusters:
        category_of[cluster.id] = _plan_category(builder, cluster, category_prefix, channel_ids)
        _plan_cluster_channel(builder, cluster, category_of[cluster.id], channel_ids)
    for initiative in initiatives:
        cluster = next(c for c in clusters if c.id == initiative.cluster_id)
        _plan_channel(
            builder, initiative, cluster, category_of[cluster.id], channel_kind, channel_ids
        )
        _plan_role(builder, initiative, role_ids)
    return builder.plan()


def _plan_category(
    builder: _Builder, cluster: Cluster, prefix: str, channel_ids: set[int]
) -> int | None:
    if cluster.category_channel_id in channel_ids:
        builder.linked += 1
        return cluster.category_channel_id
    name = f"{prefix}{cluster.name}"[:MAX_CHANNEL_NAME]
    matches = [
        c
        for c in builder.channels
        if c.type == "category"
        and c.name.casefold() == name.casefold()
        and c.id not in builder.claimed
    ]
    if len(matches) > 1:
        builder.skipped.append(
            Skip(
                "category",
                cluster.slug,
                name,
                f"{len(matches)} categories are named {name!r}; "
                "rename all but one, or link one by hand",
            )
        )
        return None
    if matches:
        builder.claimed.add(matches[0].id)
        builder.adopt.append(Adopt("category", cluster.slug, matches[0].id, matches[0].name))
        return matches[0].id
    builder.create_categories.append(CreateCategory(cluster.slug, name))
    return None


def _plan_channel(
    builder: _Builder,
    initiative: Initiative,
    cluster: Cluster,
    category_id: int | None,
    kind: ChannelKind,
    channel_ids: set[int],
) -> None:
    if initiative.channel_id in channel_ids:
        builder.linked += 1
        return
    name = channel_name(initiative.slug)
    if _adopt_or_skip(builder, "channel", initiative.slug, name, kind, category_id):
        return
    builder.create_channels.append(
        CreateChannel(
            initiative_slug=initiative.slug,
            name=name,
            kind=kind,
            topic=_topic(initiative),
            cluster_slug=cluster.slug,
            category_id=category_id,
        )
    )


def cluster_channel_name(cluster: Cluster) -> str:
    """The cluster's own channel; "-cluster" keeps it apart from a same-named initiative."""
    return channel_name(f"{cluster.slug}-cluster")


def _plan_cluster_channel(
    builder: _Builder, cluster: Cluster, category_id: int | None, channel_ids: set[int]
) -> None:
    if cluster.channel_id in channel_ids:
        builder.linked += 1
        return
    name = cluster_channel_name(cluster)
    if _adopt_or_skip(builder, "cluster_channel", cluster.slug, name, "text", category_id):
        return
    builder.create_cluster_channels.append(
        CreateClusterChannel(
            cluster_slug=cluster.slug,
            name=name,
            topic=f"{cluster.name}: the Action Cluster's news, digests and meetings"[:MAX_TOPIC],
            category_id=category_id,
        )
    )


def _adopt_or_skip(
    builder: _Builder,
    thing: ThingKind,
    slug: str,
    name: str,
    kind: ChannelKind,
    category_id: int | None,
) -> bool:
    """Adopt the one existing channel named ``name`` (True), or skip with a reason (True);
    False when there is none and it should be created."""
    same_name = [
        c
        for c in builder.channels
        if c.type != "category" and channel_name(c.name) == name and c.id not in builder.claimed
    ]
    right_kind = [c for c in same_name if c.type == kind]
    if right_kind:
        # Prefer the one already in the cluster's category.
        in_category = [
            c for c in right_kind if category_id is not None and c.parent_id == category_id
        ]
        candidates = in_category or right_kind
        if len(candidates) > 1:
            builder.skipped.append(
                Skip(
                    thing,
                    slug,
                    name,
                    f"{len(candidates)} {kind} channels are "
                    f"named #{name}; rename all but one, or link one by hand",
                )
            )
            return True
        chosen = candidates[0]
        builder.claimed.add(chosen.id)
        builder.adopt.append(Adopt(thing, slug, chosen.id, chosen.name))
        return True
    if same_name:
        other = same_name[0].type
        builder.skipped.append(
            Skip(
                thing,
                slug,
                name,
                f"a {other} channel is named #{name}, but "
                f"it should be a {kind} channel; rename it, or link a channel by hand",
            )
        )
        return True
    return False


def _plan_role(builder: _Builder, initiative: Initiative, role_ids: set[int]) -> None:
    if initiative.role_id in role_ids:
        builder.linked += 1
        return
    name = initiative.name[:MAX_CHANNEL_NAME]
    matches = [r for r in builder.roles if r.name == name and r.id not in builder.claimed]
    if not matches:
        matches = [
            r
            for r in builder.roles
            if r.name.casefold() == name.casefold() and r.id not in builder.claimed
        ]
    usable = [r for r in matches if not r.managed and r.name != "@everyone"]
    if matches and not usable:
        builder.skipped.append(
            Skip(
                "role",
                initiative.slug,
                name,
                f"the role {name!r} belongs to a bot or "
                "integration and cannot be given to members; rename the initiative or link a role",
            )
        )
        return
    if len(usable) > 1:
        builder.skipped.append(
            Skip(
                "role",
                initiative.slug,
                name,
                f"{len(usable)} roles are named {name!r}; rename all but one, or link one by hand",
            )
        )
        return
    if usable:
        builder.claimed.add(usable[0].id)
        builder.adopt.append(Adopt("role", initiative.slug, usable[0].id, usable[0].name))
        return
    builder.create_roles.append(CreateRole(initiative.slug, name))


def _topic(initiative: Initiative) -> str:
    topic = f"{initiative.name}: {initiative.goal}" if initiative.goal else initiative.name
    if initiative.goal_truncated:
        topic += " […]"
    return topic[:MAX_TOPIC]

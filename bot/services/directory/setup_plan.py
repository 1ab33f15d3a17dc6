"""What ``/admin setup`` should do in Discord: a pure plan, computed before anything is touched.

Given the directory and the guild's existing channels and roles, the plan says
which categories (one per cluster), initiative channels (named by slug) and
initiative roles (named like the initiative) to create, which existing ones
to adopt (same name, so a rerun after a crash or a hand-made channel is not
duplicated), and which to skip, with the reason. It never deletes anything.

Running it again on the guild after the plan was carried out gives nothing
to create: everything is either linked already or adopted by name.

A role is adopted only when Agora may hand it out (``role_safety``): a
same-named role with powers (Kick Members, the organiser role, ...) is refused,
and a distinct role "<name> (initiative)" is adopted or created instead.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from bot.services.common.text import plural
from bot.services.directory.role_safety import RoleFacts, RoleGuard, initiative_role_name
from bot.storage.directory.models import Cluster, Initiative

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


# An existing role: its name, and what decides whether Agora may hand it out.
ExistingRole = RoleFacts


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
class RefusedRole:
    """A role Agora will not hand out: not adopted (``instead`` is used), or linked already."""

    slug: str  # of the initiative
    name: str
    reason: str  # from RoleGuard.why_unsafe
    instead: str | None = None  # the role adopted or created in its place; None: linked

    def line(self) -> str:
        if self.instead is None:
            return (
                f"role {self.name} is linked but not given to members: {self.reason}. "
                "Fix the role in Server Settings → Roles."
            )
        return (
            f"role {self.name} not adopted: {self.reason}. "
            f"Agora uses the role {self.instead} instead."
        )


@dataclass(frozen=True)
class SetupPlan:
    create_categories: tuple[CreateCategory, ...] = ()
    create_channels: tuple[CreateChannel, ...] = ()
    create_cluster_channels: tuple[CreateClusterChannel, ...] = ()
    create_roles: tuple[CreateRole, ...] = ()
    adopt: tuple[Adopt, ...] = ()
    skipped: tuple[Skip, ...] = ()
    linked: int = 0  # mappings that already point at an existing channel or role
    refused_roles: tuple[RefusedRole, ...] = ()

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
            f"create {plural(len(self.create_categories), 'category', 'categories')}, "
            f"{plural(len(self.create_cluster_channels), 'cluster channel')}, "
            f"{plural(len(self.create_channels), 'channel')}, "
            f"{plural(len(self.create_roles), 'role')}; adopt {len(self.adopt)}; "
            f"skip {len(self.skipped)}; {self.linked} already linked"
        )


@dataclass
class _Builder:
    channels: Sequence[ExistingChannel]
    roles: Sequence[ExistingRole]
    guard: RoleGuard
    create_categories: list[CreateCategory] = field(default_factory=list)
    create_channels: list[CreateChannel] = field(default_factory=list)
    create_cluster_channels: list[CreateClusterChannel] = field(default_factory=list)
    create_roles: list[CreateRole] = field(default_factory=list)
    adopt: list[Adopt] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    linked: int = 0
    claimed: set[int] = field(default_factory=set)  # ids linked or adopted already
    refused_roles: list[RefusedRole] = field(default_factory=list)

    def plan(self) -> SetupPlan:
        return SetupPlan(
            create_categories=tuple(self.create_categories),
            create_channels=tuple(self.create_channels),
            create_cluster_channels=tuple(self.create_cluster_channels),
            create_roles=tuple(self.create_roles),
            adopt=tuple(self.adopt),
            skipped=tuple(self.skipped),
            linked=self.linked,
            refused_roles=tuple(self.refused_roles),
        )


def plan_setup(
    clusters: Sequence[Cluster],
    initiatives: Sequence[Initiative],
    *,
    channel_kind: ChannelKind,
    category_prefix: str,
    channels: Sequence[ExistingChannel],
    roles: Sequence[ExistingRole],
    guard: RoleGuard,
) -> SetupPlan:
    builder = _Builder(channels=channels, roles=roles, guard=guard)
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
    guard = builder.guard
    if initiative.role_id in role_ids:
        builder.linked += 1
        linked = next(r for r in builder.roles if r.id == initiative.role_id)
        why = guard.why_unsafe(linked)
        if why is not None:
            builder.refused_roles.append(RefusedRole(initiative.slug, linked.name, why))
        return
    name = initiative.name[:MAX_CHANNEL_NAME]
    found = _role_named(builder, initiative.slug, name)
    if found == "done":
        return
    if found is None:
        why = guard.why_not_create(name)
        if why is None:
            builder.create_roles.append(CreateRole(initiative.slug, name))
            return
        refused = RefusedRole(initiative.slug, name, why)
    else:
        why = guard.why_unsafe(found) or ""
        refused = RefusedRole(initiative.slug, found.name, why)
    # A distinct, clearly named role instead: adopted when a safe one exists (a rerun).
    instead = initiative_role_name(name)
    refused = dataclasses.replace(refused, instead=instead)
    other = _role_named(builder, initiative.slug, instead)
    if other == "done":
        if any(a.kind == "role" and a.slug == initiative.slug for a in builder.adopt):
            builder.refused_roles.append(refused)
        return
    if other is not None or guard.why_not_create(instead) is not None:
        builder.skipped.append(
            Skip(
                "role",
                initiative.slug,
                name,
                f"Agora will not hand out the roles named {name!r} and {instead!r} ({why}); "
                "remove their extra permissions, or rename the initiative",
            )
        )
        return
    builder.refused_roles.append(refused)
    builder.create_roles.append(CreateRole(initiative.slug, instead))


def _role_named(builder: _Builder, slug: str, name: str) -> ExistingRole | Literal["done"] | None:
    """Adopt the one safe role named ``name``, or skip when several are ("done"); the first
    same-named role Agora must not hand out when there are only such; None when none."""
    matches = [r for r in builder.roles if r.name == name and r.id not in builder.claimed]
    if not matches:
        matches = [
            r
            for r in builder.roles
            if r.name.casefold() == name.casefold() and r.id not in builder.claimed
        ]
    safe = [r for r in matches if builder.guard.is_safe(r)]
    if len(safe) > 1:
        builder.skipped.append(
            Skip(
                "role",
                slug,
                name,
                f"{len(safe)} roles are named {name!r}; rename all but one, or link one by hand",
            )
        )
        return "done"
    if safe:
        builder.claimed.add(safe[0].id)
        builder.adopt.append(Adopt("role", slug, safe[0].id, safe[0].name))
        return "done"
    return matches[0] if matches else None


def _topic(initiative: Initiative) -> str:
    topic = f"{initiative.name}: {initiative.goal}" if initiative.goal else initiative.name
    if initiative.goal_truncated:
        topic += " […]"
    return topic[:MAX_TOPIC]

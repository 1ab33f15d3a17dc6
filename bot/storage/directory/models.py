"""Frozen records returned by the core repositories (directory, memberships, resources, guilds)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

MembershipRole = Literal["member", "lead"]
JoinReason = Literal["joined", "role_added", "appointed", "imported"]
LeaveReason = Literal["left", "role_removed", "left_server", "removed", "forgotten"]
ResourceKind = Literal["document", "project"]


@dataclass(frozen=True)
class SourceCounts:
    """Counts as the source listed them (informational); None where not given."""

    members: int | None = None
    documents: int | None = None
    projects: int | None = None
    discussions: int | None = None

    def is_empty(self) -> bool:
        values = (self.members, self.documents, self.projects, self.discussions)
        return all(value is None for value in values)


@dataclass(frozen=True)
class Cluster:
    id: int
    guild_id: int
    slug: str
    name: str
    description: str
    category_channel_id: int | None
    created_at: datetime
    updated_at: datetime
    channel_id: int | None = None  # the cluster's own channel, inside its category


@dataclass(frozen=True)
class Initiative:
    id: int
    guild_id: int
    slug: str
    name: str
    title_missing: bool
    goal: str
    goal_truncated: bool
    cluster_id: int
    channel_id: int | None
    role_id: int | None
    source_counts: SourceCounts
    source_note: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ClusterDraft:
    """What an import or an admin supplies for a cluster (no ids, no times)."""

    slug: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class InitiativeDraft:
    """What an import or an admin supplies for an initiative; the cluster is named by slug."""

    slug: str
    name: str
    cluster_slug: str
    goal: str = ""
    title_missing: bool = False
    goal_truncated: bool = False
    source_counts: SourceCounts = SourceCounts()
    source_note: str = ""

    @staticmethod
    def of(initiative: Initiative, cluster_slug: str) -> InitiativeDraft:
        return InitiativeDraft(
            slug=initiative.slug,
            name=initiative.name,
            cluster_slug=cluster_slug,
            goal=initiative.goal,
            title_missing=initiative.title_missing,
            goal_truncated=initiative.goal_truncated,
            source_counts=initiative.source_counts,
            source_note=initiative.source_note,
        )


@dataclass(frozen=True)
class Membership:
    id: int
    guild_id: int
    initiative_id: int
    user_id: int | None  # None once the user asked to be forgotten
    role: MembershipRole
    joined_at: datetime
    join_reason: JoinReason
    left_at: datetime | None
    left_reason: LeaveReason | None

    @property
    def is_current(self) -> bool:
        return self.left_at is None


@dataclass(frozen=True)
class Resource:
    """A document or a project of an initiative."""

    id: int
    guild_id: int
    initiative_id: int
    kind: ResourceKind
    number: int  # "#3": per initiative and kind, from 1, never reused; ``id`` is internal
    title: str
    url: str
    added_by: int | None  # None once the author asked to be forgotten
    added_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class GuildSettings:
    """Per-guild overrides; None means "use the value from config.toml"."""

    guild_id: int
    timezone: str | None = None
    announcement_channel_id: int | None = None
    organiser_role_id: int | None = None
    reminder_offsets: tuple[int, ...] | None = None


def db_time(moment: datetime) -> str:
    """How times are stored: ISO 8601 in UTC, so text order is time order."""
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return moment.astimezone(UTC).isoformat()


def parse_db_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass(frozen=True)
class Pitch:
    """An initiative's pitch: a short text for other clusters, stakeholders and funders,
    and an optional link (slides, a video)."""

    guild_id: int
    initiative_id: int
    text: str
    url: str  # "" when there is no link
    set_by: int | None  # None once its author asked to be forgotten
    set_at: datetime

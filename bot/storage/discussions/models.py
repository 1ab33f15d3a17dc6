"""Dataclasses the discussion and activity repositories return, and time helpers.

Times are stored as Unix seconds (UTC) and handed out as aware datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


def to_epoch(moment: datetime) -> int:
    """Unix seconds of ``moment``; a naive datetime is taken to be UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def from_epoch_or_none(seconds: int | None) -> datetime | None:
    return None if seconds is None else from_epoch(seconds)


class DiscussionState(StrEnum):
    """Which discussions a listing shows; deleted ones are never listed."""

    OPEN = "open"
    ARCHIVED = "archived"
    ALL = "all"


@dataclass(frozen=True)
class Discussion:
    """A thread in an initiative's channel, or a post in its forum channel."""

    guild_id: int
    thread_id: int
    parent_channel_id: int
    initiative_id: int
    name: str
    author_id: int | None
    created_at: datetime
    archived: bool
    locked: bool
    archived_at: datetime | None
    deleted_at: datetime | None
    message_count: int
    participant_count: int
    last_activity_at: datetime

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def state(self) -> str:
        """ "open", "archived" or "deleted", for display."""
        if self.deleted:
            return "deleted"
        return "archived" if self.archived else "open"


@dataclass(frozen=True)
class RankedDiscussion:
    """A discussion with the messages it had in a period."""

    discussion: Discussion
    messages_in_period: int


@dataclass(frozen=True)
class NewThread:
    """A thread to insert (from a live event or found by reconciliation)."""

    thread_id: int
    parent_channel_id: int
    initiative_id: int
    name: str
    author_id: int | None
    created_at: int
    archived: bool = False
    locked: bool = False
    archived_at: int | None = None
    message_count: int = 0
    last_activity_at: int | None = None


@dataclass(frozen=True)
class ThreadStateChange:
    """New name/archived/locked of a known thread, and extra messages seen by Discord."""

    thread_id: int
    name: str
    archived: bool
    locked: bool
    archived_at: int | None
    extra_messages: int = 0
    # The hour the extra messages are booked to (their exact times are unknown).
    extra_messages_at: int | None = None
    restore: bool = False


@dataclass(frozen=True)
class ActivityBatch:
    """Message activity gathered in memory since the last flush, ready to write.

    Each list holds plain tuples in the column order of the statement that
    writes it, so a flush is three ``executemany`` calls and nothing else.
    """

    # (messages, last_at, guild_id, thread_id)
    threads: list[tuple[int, int, int, int]] = field(default_factory=list)
    # (guild_id, thread_id, user_id, messages, first_at, last_at)
    participants: list[tuple[int, int, int, int, int, int]] = field(default_factory=list)
    # (guild_id, thread_id, hour_start, messages)
    hours: list[tuple[int, int, int, int]] = field(default_factory=list)

    @property
    def message_count(self) -> int:
        return sum(row[0] for row in self.threads)

    def is_empty(self) -> bool:
        return not self.threads


@dataclass(frozen=True)
class AuthoredDiscussion:
    """A discussion the user started."""

    name: str
    created_at: datetime


@dataclass(frozen=True)
class DiscussionParticipation:
    """A discussion the user posted in: how many messages were counted, from when to when."""

    name: str
    message_count: int
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True)
class UserDiscussionRecord:
    """What the discussions area holds about one user (for a privacy request)."""

    authored: tuple[AuthoredDiscussion, ...]
    posted: tuple[DiscussionParticipation, ...]

"""Frozen dataclasses returned by the meeting and reminder repositories.

Instants are aware UTC datetimes; ``timezone`` names the IANA zone they are
shown in and that recurring wall-clock times belong to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal

LocationKind = Literal["none", "venue", "online", "channel"]
SessionKind = Literal["plenary", "pitch", "challenge_workshop", "cluster_workshop", "other"]
SESSION_KINDS: tuple[SessionKind, ...] = (
    "plenary",
    "pitch",
    "challenge_workshop",
    "cluster_workshop",
    "other",
)
Answer = Literal["going", "maybe", "declined", "waitlist"]
AnswerSource = Literal["button", "event"]
MeetingStatus = Literal["scheduled", "cancelled"]
ReminderKind = Literal["meeting", "session", "cancellation"]
ReminderTarget = Literal["meeting", "cluster", "initiative"]
ReminderState = Literal["pending", "sending", "sent", "late_sent", "skipped", "cancelled"]
Frequency = Literal["weekly", "monthly"]


@dataclass(frozen=True)
class Location:
    """Where a meeting happens: a venue, an online link, a voice/stage channel, or unset."""

    kind: LocationKind = "none"
    name: str = ""
    address: str = ""
    url: str = ""
    channel_id: int | None = None

    def describe(self) -> str:
        if self.kind == "venue":
            return ", ".join(part for part in (self.name, self.address) if part)
        if self.kind == "online":
            return self.url
        if self.kind == "channel":
            return f"<#{self.channel_id}>"
        return ""


@dataclass(frozen=True)
class Scope:
    """Who a meeting is for; both empty means the whole community."""

    cluster_ids: tuple[int, ...] = ()
    initiative_ids: tuple[int, ...] = ()

    @property
    def is_community(self) -> bool:
        return not self.cluster_ids and not self.initiative_ids


@dataclass(frozen=True)
class RecurrenceRule:
    """When a meeting repeats, in the meeting's zone.

    ``first_date`` is the first occurrence's local date; ``weekday`` 0 is Monday;
    ``nth`` (monthly only) is 1..4, or -1 for the last such weekday of the month;
    ``until`` is the last local date an occurrence may fall on (inclusive).
    """

    frequency: Frequency
    interval: int
    weekday: int
    local_time: time
    duration_seconds: int
    timezone: str
    first_date: date
    nth: int | None = None
    until: date | None = None


@dataclass(frozen=True)
class Meeting:
    id: int
    guild_id: int
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    location: Location
    organiser_id: int | None
    attendee_cap: int | None
    # None: the guild's offsets apply.
    reminder_offsets: tuple[int, ...] | None
    status: MeetingStatus
    scope: Scope
    recurrence: RecurrenceRule | None
    created_at: datetime
    updated_at: datetime

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"


@dataclass(frozen=True)
class Session:
    """One item of a meeting's programme."""

    id: int
    meeting_id: int
    guild_id: int
    starts_at: datetime
    ends_at: datetime
    title: str
    kind: SessionKind
    cluster_id: int | None
    initiative_id: int | None
    room: str


@dataclass(frozen=True)
class OccurrenceException:
    """A changed occurrence of a recurring meeting, keyed by its rule start."""

    meeting_id: int
    original_start: datetime
    status: Literal["cancelled", "moved"]
    starts_at: datetime | None
    ends_at: datetime | None


@dataclass(frozen=True)
class Rsvp:
    meeting_id: int
    user_id: int | None  # None once the user asked to be forgotten
    answer: Answer
    source: AnswerSource
    answered_at: datetime


@dataclass(frozen=True)
class AnswerOutcome:
    """What recording one answer did, including anyone promoted off the waitlist."""

    previous: Rsvp | None
    current: Rsvp | None
    waitlist_position: int | None
    promoted_user_ids: tuple[int, ...]


@dataclass(frozen=True)
class ScheduledEventLink:
    meeting_id: int
    occurrence_start: datetime | None  # None for a one-off meeting
    event_id: int


@dataclass(frozen=True)
class Announcement:
    meeting_id: int
    channel_id: int
    message_id: int


def reminder_nonce(reminder_id: int, channel_id: int) -> str:
    """Deterministic Discord message nonce for one reminder in one channel.

    Base 36 keeps it within Discord's 25-character limit: a 64-bit channel id
    needs at most 13 characters, "r" + id + "." leaves 11 for the reminder id.
    """
    return f"r{_base36(reminder_id)}.{_base36(channel_id)}"


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    if number == 0:
        return "0"
    text = ""
    while number:
        number, remainder = divmod(number, 36)
        text = digits[remainder] + text
    return text


@dataclass(frozen=True)
class Reminder:
    """One durable reminder row; the scheduler's source of truth."""

    id: int
    guild_id: int
    meeting_id: int
    session_id: int | None
    kind: ReminderKind
    slot: str
    offset_seconds: int
    # Start of what it announces: the meeting, the occurrence or the session.
    occurrence_start: datetime
    due_at: datetime
    fire_at: datetime
    target_kind: ReminderTarget
    target_id: int | None
    state: ReminderState
    attempts: int
    last_error: str

    def nonce_for(self, channel_id: int) -> str:
        """The nonce to send this reminder with in ``channel_id`` (enforce_nonce=True)."""
        return reminder_nonce(self.id, channel_id)


@dataclass(frozen=True)
class NewReminder:
    guild_id: int
    meeting_id: int
    session_id: int | None
    kind: ReminderKind
    slot: str
    offset_seconds: int
    occurrence_start: datetime
    due_at: datetime
    target_kind: ReminderTarget
    target_id: int | None

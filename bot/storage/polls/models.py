"""What the polls' repository returns: polls, their slots, answers and messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.storage.meetings.models import Scope

PollAnswer = Literal["yes", "maybe", "no"]
POLL_ANSWERS: tuple[PollAnswer, ...] = ("yes", "maybe", "no")
PollState = Literal["open", "closed"]


@dataclass(frozen=True)
class PollDeadline:
    """A poll for the deadline dispatcher: open with its deadline come (to close and
    announce), or closed and not yet announced (to announce)."""

    id: int
    guild_id: int
    attempts: int


@dataclass(frozen=True)
class Poll:
    """An availability poll: candidate times (``slots``, in time order, numbered from 1)."""

    id: int
    guild_id: int
    title: str
    timezone: str
    organiser_id: int | None
    length_seconds: int
    closes_at: datetime | None
    state: PollState
    closed_at: datetime | None
    announced: bool
    created_at: datetime
    scope: Scope
    slots: tuple[datetime, ...]

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    def slot(self, position: int) -> datetime:
        """The start of slot ``position`` (1-based)."""
        return self.slots[position - 1]


@dataclass(frozen=True)
class SlotTally:
    """How many answered each way for one slot (nobody named)."""

    position: int
    starts_at: datetime
    yes: int = 0
    maybe: int = 0
    no: int = 0

    @property
    def rank(self) -> tuple[int, int]:
        """Most Yes first, then most If need be."""
        return (self.yes, self.maybe)


@dataclass(frozen=True)
class SlotAnswer:
    """One member's answer to one slot (for /poll results)."""

    position: int
    user_id: int
    answer: PollAnswer


@dataclass(frozen=True)
class PollMessage:
    channel_id: int
    message_id: int
    part: int  # 0: slots 1-5, 1: slots 6-10


@dataclass(frozen=True)
class PollListing:
    """A poll as autocomplete and lookups list it."""

    id: int
    title: str
    state: PollState
    created_at: datetime


@dataclass(frozen=True)
class UserPollAnswer:
    """One answer a member gave (for /privacy show)."""

    poll_id: int
    title: str
    position: int
    starts_at: datetime
    answer: PollAnswer
    answered_at: datetime


@dataclass(frozen=True)
class UserPollRecord:
    """What the polls hold about one member."""

    organised: tuple[PollListing, ...]
    answers: tuple[UserPollAnswer, ...]


@dataclass(frozen=True)
class PollForgetOutcome:
    """What forgetting a member did to the polls."""

    withdrawn_from: tuple[int, ...]  # open polls whose answers were deleted
    anonymised: int  # answers to closed polls kept without the member
    organised: int  # polls no longer naming their organiser

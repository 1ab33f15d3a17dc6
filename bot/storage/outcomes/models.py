"""Frozen dataclasses returned by the outcomes repositories.

An outcome is what a meeting (or one of its sessions) produced: a decision, an action, a
link (slides, minutes) or a note. An action is an outcome with an owner and a due date;
its number is the outcome's. Instants are aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

OutcomeKind = Literal["decision", "action", "link", "note"]
OUTCOME_KINDS: tuple[OutcomeKind, ...] = ("decision", "action", "link", "note")
TimerKind = Literal["threads", "summary", "action_soon", "action_due"]
TimerState = Literal["pending", "sending", "sent", "late_sent", "skipped", "cancelled"]


@dataclass(frozen=True)
class NewOutcome:
    guild_id: int
    meeting_id: int
    session_id: int | None
    kind: OutcomeKind
    text: str
    url: str
    added_by: int
    owner_id: int | None = None
    due_at: datetime | None = None
    due_date: date | None = None
    timezone: str = ""


@dataclass(frozen=True)
class Outcome:
    id: int
    guild_id: int
    meeting_id: int
    session_id: int | None
    kind: OutcomeKind
    text: str
    url: str
    added_by: int | None  # None once the person asked to be forgotten
    added_at: datetime
    # Actions only: the owner (None once forgotten: the action keeps its text), the due
    # moment and its local date in ``timezone``, and when it was marked done.
    owner_id: int | None
    due_at: datetime | None
    due_date: date | None
    timezone: str
    done_at: datetime | None

    @property
    def is_action(self) -> bool:
        return self.kind == "action"

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


@dataclass(frozen=True)
class OutcomeThread:
    """A thread Agora opened for recording a meeting's (session 0) or a session's outcomes."""

    meeting_id: int
    session_id: int  # 0: the meeting's own thread
    channel_id: int
    thread_id: int


@dataclass(frozen=True)
class UserOutcomeRecord:
    """What the outcomes area holds about one person (for a privacy request)."""

    added: tuple[Outcome, ...]
    owned: tuple[Outcome, ...]
    marked_done: tuple[Outcome, ...]


@dataclass(frozen=True)
class NewTimer:
    guild_id: int
    meeting_id: int
    outcome_id: int | None
    kind: TimerKind
    slot: str
    due_at: datetime
    stale_at: datetime  # after this, a timer that fell due while Agora was down is skipped


@dataclass(frozen=True)
class OutcomeTimer:
    """One durable timer row: opening outcome threads, posting the summary, or reminding
    an action's owner. Sent through the reminder dispatcher's claim/send/finish."""

    id: int
    guild_id: int
    meeting_id: int
    outcome_id: int | None
    kind: TimerKind
    slot: str
    due_at: datetime
    fire_at: datetime
    stale_at: datetime
    state: TimerState
    attempts: int

    def nonce_for(self, target: int) -> str:
        """The nonce of this timer's message about ``target`` (a channel, a session or a
        part number): "o" + base 36 of the timer's id + "." + base 36 of the target,
        within Discord's 25 characters."""
        return f"o{_base36(self.id)}.{_base36(target)}"


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    if number == 0:
        return "0"
    text = ""
    while number:
        number, remainder = divmod(number, 36)
        text = digits[remainder] + text
    return text

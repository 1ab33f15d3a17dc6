"""Availability polls: candidate times for a meeting, answered Yes / If need be / No.

An organiser (or an initiative's lead, for a poll of their initiatives) proposes 2 to 10
times, read like ``/meeting create``'s start by Agora's time parser in the poll's zone;
members answer each time; the poll closes by hand or at its deadline and the best time
(most Yes, then most If need be; ties kept together) can become a meeting with the poll's
title and scope. Every method validates first and writes after: bad input raises a
``bot.errors`` exception with the reason and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.errors import Conflict, InvalidInput, PermissionDenied
from bot.services.common import timeparse
from bot.services.common.clock import Clock
from bot.services.common.durations import format_duration, parse_duration
from bot.services.common.ids import plain_id
from bot.services.common.name_matcher import Accept, Candidate, Found, Kind, pick, rank_names
from bot.services.common.names import clean_text
from bot.services.common.permissions import Actor
from bot.services.meetings.service import MeetingDraft
from bot.storage.meetings.models import Scope
from bot.storage.polls.models import (
    POLL_ANSWERS,
    Poll,
    PollAnswer,
    PollMessage,
    SlotAnswer,
    SlotTally,
)
from bot.storage.store import Store

MIN_SLOTS = 2
MAX_SLOTS = 10
MAX_TITLE = 100  # the meeting it may become takes no longer a title
DEFAULT_LENGTH_SECONDS = 3600
MAX_LENGTH_SECONDS = 86400
MAX_DEADLINE = timedelta(days=366)
AUTOCOMPLETE_LIMIT = 25
SEARCH_WINDOW = 300  # polls a typo is compared with
POLL = Kind(
    singular="poll",
    plural="polls",
    missing="No poll matches “{typed}”.",
    where="Start typing and pick one from the list.",
)
_DURATION = re.compile(r"(\d+\s*[dhms]\s*)+")
_LENGTH = re.compile(r"(\d+\s*[dhm]\s*)+")
# Told of each new deadline, so the deadline dispatcher can arm itself earlier.
WakeListener = Callable[[datetime], None]
SLOT_EXAMPLE = "2027-06-20 09:00; 2027-06-21 14:00; next friday 10am"


@dataclass(frozen=True)
class PollDraft:
    """What ``/poll create`` was given. ``slots``: times separated by ";"; ``closes``: a
    time or a duration from now (None: closed by hand); ``length``: how long the meeting
    would last (None: an hour); ``timezone`` None: the server's."""

    title: str
    slots: str
    scope: Scope = field(default_factory=Scope)
    closes: str | None = None
    timezone: str | None = None
    length: str | None = None


@dataclass(frozen=True)
class PollView:
    """A poll with its tallies (nobody named) and the messages showing it."""

    poll: Poll
    tallies: tuple[SlotTally, ...]
    messages: tuple[PollMessage, ...] = ()

    @property
    def best(self) -> tuple[int, ...]:
        """The leading slots: most Yes, then most If need be; all of them when tied. None
        while nobody has answered Yes or If need be to anything."""
        top = max((tally.rank for tally in self.tallies), default=(0, 0))
        if top == (0, 0):
            return ()
        return tuple(tally.position for tally in self.tallies if tally.rank == top)

    @property
    def answered(self) -> int:
        """How many answers were given (to all slots)."""
        return sum(tally.yes + tally.maybe + tally.no for tally in self.tallies)


@dataclass(frozen=True)
class PollCreated:
    view: PollView
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PollAnswerResult:
    """An answer given: ``changed`` False when it was already the member's answer."""

    poll: Poll
    position: int
    answer: PollAnswer
    changed: bool


@dataclass(frozen=True)
class PollResults:
    """Who answered what (``/poll results``, shown only to the one who asks)."""

    view: PollView
    answers: tuple[SlotAnswer, ...]

    def named(self, position: int, answer: PollAnswer) -> list[int]:
        return [a.user_id for a in self.answers if a.position == position and a.answer == answer]


@dataclass(frozen=True)
class PollChoice:
    """An autocomplete choice: ``name`` shown (≤ 100 chars), ``value`` the poll id."""

    name: str
    value: int


def can_run(actor: Actor, scope: Scope) -> bool:
    """Organisers and admins for any scope; leads for a poll of their initiatives only."""
    if actor.is_staff:
        return True
    return (
        bool(scope.initiative_ids)
        and not scope.cluster_ids
        and all(initiative in actor.lead_of for initiative in scope.initiative_ids)
    )


def can_close(actor: Actor, poll: Poll) -> bool:
    return can_run(actor, poll.scope) or (
        poll.organiser_id is not None and poll.organiser_id == actor.user_id
    )


def _title(text: str) -> str:
    title = " ".join(clean_text(text).split())
    if not title:
        raise InvalidInput("Give the poll a title, e.g. “Lamppost pilot review”.")
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"The title is {len(title)} characters; keep it to {MAX_TITLE}.")
    return title


def _length(text: str | None) -> int:
    if text is None or not text.strip():
        return DEFAULT_LENGTH_SECONDS
    cleaned = text.strip().lower().replace(" ", "")
    if not _LENGTH.fullmatch(cleaned) or len(cleaned) > 20:
        raise InvalidInput(
            f"I can't read {text.strip()[:40]!r} as a length; write it like 1h, 90m or 1h30m."
        )
    seconds = parse_duration(cleaned)
    if not 60 <= seconds <= MAX_LENGTH_SECONDS:
        raise InvalidInput("A meeting from a poll lasts from 1 minute to 24 hours (e.g. 90m).")
    return seconds


def split_slots(text: str) -> list[str]:
    """ "2027-06-20 09:00; friday 10am" -> the two times as typed (";" or new lines)."""
    return [part.strip() for part in text.replace("\n", ";").split(";") if part.strip()]


class PollService:
    def __init__(self, store: Store, clock: Clock, default_timezone: str) -> None:
        self.store = store
        self.clock = clock
        self.default_timezone = default_timezone
        # Told of each new deadline (the deadline dispatcher arms itself earlier).
        self._deadline_listeners: list[WakeListener] = []

    def subscribe(self, listener: WakeListener) -> None:
        self._deadline_listeners.append(listener)

    async def guild_timezone(self, guild_id: int) -> str:
        return (await self.store.guilds.get(guild_id)).timezone or self.default_timezone

    # -- creating -------------------------------------------------------------

    async def create(self, guild_id: int, actor: Actor, draft: PollDraft) -> PollCreated:
        if not can_run(actor, draft.scope):
            raise PermissionDenied(
                "Only organisers (Manage Events, Manage Server or the organiser role) can start"
                " a poll, or an initiative's leads for their own initiative (give it as"
                " `initiatives`). Ask an organiser."
            )
        title = _title(draft.title)
        now = self.clock()
        zone = timeparse.resolve_zone(draft.timezone or await self.guild_timezone(guild_id)).key
        slots, notes = self._slots(draft.slots, zone, now)
        length = _length(draft.length)
        closes_at = None
        if draft.closes is not None and draft.closes.strip():
            closes_at = self._closes_at(draft.closes, zone, now, slots[0])
        poll_id = await self.store.polls.insert(
            guild_id,
            title=title,
            timezone=zone,
            organiser_id=actor.user_id,
            length_seconds=length,
            closes_at=closes_at,
            scope=draft.scope,
            slots=slots,
            now=now,
        )
        if closes_at is not None:
            for listener in self._deadline_listeners:
                listener(closes_at)
        return PollCreated(await self.view(guild_id, poll_id), notes)

    @staticmethod
    def _slots(text: str, zone: str, now: datetime) -> tuple[list[datetime], tuple[str, ...]]:
        parts = split_slots(text)
        if not MIN_SLOTS <= len(parts) <= MAX_SLOTS:
            given = "one time" if len(parts) == 1 else f"{len(parts)} times"
            raise InvalidInput(
                f"Give {MIN_SLOTS} to {MAX_SLOTS} candidate times separated by “;” (you gave"
                f" {given}), e.g. {SLOT_EXAMPLE}."
            )
        found: list[tuple[datetime, int]] = []
        notes: list[str] = []
        for number, part in enumerate(parts, 1):
            try:
                parsed = timeparse.parse_time(part, zone, now)
            except InvalidInput as error:
                raise InvalidInput(f"Time {number}: {error.message}") from None
            if parsed.utc <= now:
                raise InvalidInput(
                    f"Time {number} ({timeparse.discord_timestamp(parsed.utc, 'F')}) is in the"
                    " past: propose times still to come."
                )
            for earlier, earlier_number in found:
                if earlier == parsed.utc:
                    raise InvalidInput(
                        f"Times {earlier_number} and {number} are the same"
                        f" ({timeparse.discord_timestamp(parsed.utc, 'F')}): give each once."
                    )
            found.append((parsed.utc, number))
            notes += [f"Time {number}: {note}" for note in parsed.notes]
        return sorted(start for start, _ in found), tuple(notes)

    @staticmethod
    def _closes_at(text: str, zone: str, now: datetime, first: datetime) -> datetime:
        cleaned = text.strip().lower()
        if _DURATION.fullmatch(cleaned) and len(cleaned) <= 20:
            seconds = parse_duration(cleaned)
            if seconds <= 0 or seconds > MAX_DEADLINE.total_seconds():
                raise InvalidInput(
                    "Give `closes` as a time, or a duration from now from 1s to 366d (e.g. 2d)."
                )
            at = now + timedelta(seconds=seconds)
        else:
            try:
                at = timeparse.parse_time(text, zone, now).utc
            except InvalidInput as error:
                raise InvalidInput(
                    f"closes: {error.message} Or give a duration from now, like 2d or 12h."
                ) from None
            if at <= now:
                raise InvalidInput(
                    f"The deadline ({timeparse.discord_timestamp(at, 'F')}) is in the past:"
                    " give a time still to come, or a duration like 2d."
                )
        if at > first:
            raise InvalidInput(
                "The poll must close by its first time"
                f" ({timeparse.discord_timestamp(first, 'F')}), not at"
                f" {timeparse.discord_timestamp(at, 'F')}: choose an earlier deadline."
            )
        return at

    async def add_message(
        self, guild_id: int, poll_id: int, channel_id: int, message_id: int, part: int
    ) -> None:
        await self.store.polls.add_message(guild_id, poll_id, channel_id, message_id, part)

    # -- answering ------------------------------------------------------------

    async def answer(
        self, guild_id: int, poll_id: int, position: int, user_id: int, answer: str
    ) -> PollAnswerResult:
        poll = await self.store.polls.get(guild_id, poll_id)
        if answer not in POLL_ANSWERS or not 1 <= position <= len(poll.slots):
            raise InvalidInput("This button is out of date; use the poll's latest message.")
        chosen: PollAnswer = answer
        recorded, before = await self.store.polls.set_answer(
            guild_id, poll_id, position, user_id, chosen, self.clock()
        )
        if not recorded:
            raise Conflict(
                f"“{poll.title}” is closed: answers can no longer change."
                " Its result was announced where the poll was posted."
            )
        return PollAnswerResult(poll, position, chosen, changed=before != chosen)

    # -- reading --------------------------------------------------------------

    async def view(self, guild_id: int, poll_id: int) -> PollView:
        poll = await self.store.polls.get(guild_id, poll_id)
        return PollView(
            poll=poll,
            tallies=tuple(await self.store.polls.tallies(poll)),
            messages=tuple(await self.store.polls.messages(poll_id)),
        )

    async def results(self, guild_id: int, poll_id: int) -> PollResults:
        view = await self.view(guild_id, poll_id)
        return PollResults(view, tuple(await self.store.polls.answers(poll_id)))

    async def answers_of(self, guild_id: int, poll_id: int, user_id: int) -> dict[int, str]:
        await self.store.polls.get(guild_id, poll_id)
        return dict(await self.store.polls.answers_of(poll_id, user_id))

    async def find(self, guild_id: int, text: str, accept: Accept = "partial") -> Found[int]:
        """The poll ``text`` names: its id (what autocomplete sends) or its title."""
        cleaned = text.strip().lstrip("#").strip()
        poll_id = plain_id(cleaned)
        if poll_id is not None:
            poll = await self.store.polls.get(guild_id, poll_id)
            return Found(poll.id, poll.title, cleaned, corrected=False)
        return pick(cleaned, await self._candidates(guild_id, cleaned), POLL, accept)

    async def _candidates(self, guild_id: int, text: str) -> list[Candidate[int]]:
        rows = await self.store.polls.search(guild_id, text, AUTOCOMPLETE_LIMIT)
        if text:
            rows += await self.store.polls.search(guild_id, "", SEARCH_WINDOW)
        candidates: dict[int, Candidate[int]] = {}
        for row in rows:
            if row.id not in candidates:
                detail = f"#{row.id}, {'open' if row.state == 'open' else 'closed'}"
                candidates[row.id] = Candidate(row.id, row.title, (f"#{row.id}",), detail)
        return list(candidates.values())

    async def autocomplete(self, guild_id: int, text: str) -> list[PollChoice]:
        """Up to 25 polls for ``text``, open ones first."""
        cleaned = text.strip()[:100]
        ranked = rank_names(cleaned, await self._candidates(guild_id, cleaned), AUTOCOMPLETE_LIMIT)
        choices = []
        for candidate in ranked:
            suffix = f" · {candidate.detail}"
            title = candidate.name
            name = title if len(title) + len(suffix) <= 100 else title[: 99 - len(suffix)] + "…"
            choices.append(PollChoice(name=name + suffix, value=candidate.key))
        return choices

    # -- closing --------------------------------------------------------------

    async def close(self, guild_id: int, poll_id: int, actor: Actor) -> PollView:
        """Close by hand: the poll's organiser, organisers, or its initiatives' leads."""
        poll = await self.store.polls.get(guild_id, poll_id)
        if not can_close(actor, poll):
            raise PermissionDenied(
                f"Only whoever started “{poll.title}”, organisers, or the leads of its"
                " initiatives can close it."
            )
        if not await self.store.polls.claim_close(guild_id, poll_id, self.clock()):
            raise Conflict(f"“{poll.title}” is already closed; its result was announced.")
        return await self.view(guild_id, poll_id)

    async def mark_announced(self, poll_id: int) -> None:
        await self.store.polls.mark_announced(poll_id)

    async def dm_recipients(self, view: PollView) -> list[int]:
        """Who answered Yes to a best slot and asked for reminder DMs (/remind dm on)."""
        voters = await self.store.polls.yes_voters(view.poll.id, view.best)
        return [
            user_id
            for user_id in voters
            if await self.store.reminders.dm_opted_in(view.poll.guild_id, user_id)
        ]

    # -- becoming a meeting ---------------------------------------------------

    async def meeting_draft(self, guild_id: int, poll_id: int, position: int) -> MeetingDraft:
        """``/meeting create``'s draft for slot ``position``: the poll's title, scope and
        zone, starting then and lasting the poll's length."""
        poll = await self.store.polls.get(guild_id, poll_id)
        if not 1 <= position <= len(poll.slots):
            raise InvalidInput("This button is out of date; use the poll's latest result.")
        start = poll.slot(position).astimezone(timeparse.resolve_zone(poll.timezone))
        return MeetingDraft(
            title=poll.title,
            start=start.isoformat(),
            end=format_duration(poll.length_seconds),
            timezone=poll.timezone,
            scope=poll.scope,
        )

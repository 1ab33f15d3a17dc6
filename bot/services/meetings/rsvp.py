"""RSVP: Going / Maybe / Can't go, with an optional cap and a waitlist.

One current answer per user per meeting. Marking "Interested" on the
meeting's Discord scheduled event counts as Going (source "event"); removing
that interest removes only an event-sourced Going, never a button answer.
When Going is full a new Going joins the waitlist; when someone drops out the
longest-waiting is promoted and returned so the cog can DM them.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import Conflict, InvalidInput
from bot.services.common.clock import Clock
from bot.storage.meetings.models import Answer, Meeting, Rsvp
from bot.storage.store import Store

_ANSWER_WORDS: dict[str, Answer] = {
    "going": "going",
    "yes": "going",
    "maybe": "maybe",
    "declined": "declined",
    "cant": "declined",
    "can't": "declined",
    "can't go": "declined",
    "cant go": "declined",
    "not going": "declined",
    "no": "declined",
}


@dataclass(frozen=True)
class RsvpCounts:
    going: int
    maybe: int
    declined: int
    waitlist: int
    cap: int | None

    @property
    def is_full(self) -> bool:
        return self.cap is not None and self.going >= self.cap


@dataclass(frozen=True)
class RsvpResult:
    """After an answer: what is stored now (``answer`` "waitlist" when Going was full,
    None when cleared), the waitlist position, who got promoted, and the counts.
    """

    meeting: Meeting
    user_id: int
    answer: Answer | None
    previous: Answer | None
    changed: bool
    waitlist_position: int | None
    promoted_user_ids: tuple[int, ...]
    counts: RsvpCounts


@dataclass(frozen=True)
class Attendees:
    """``/meeting attendees``: user ids per answer; the waitlist in order.

    ``anonymous`` counts answers of users who asked to be forgotten.
    """

    meeting: Meeting
    going: tuple[int, ...]
    maybe: tuple[int, ...]
    declined: tuple[int, ...]
    waitlist: tuple[int, ...]
    anonymous: RsvpCounts
    counts: RsvpCounts


def parse_answer(text: str) -> Answer:
    answer = _ANSWER_WORDS.get(" ".join(text.strip().lower().split()))
    if answer is None:
        raise InvalidInput("Answer Going, Maybe or Can't go.")
    return answer


class RsvpService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def respond(
        self, guild_id: int, meeting_id: int, user_id: int, answer: str
    ) -> RsvpResult:
        """A button press: Going, Maybe or Can't go (replaces any earlier answer)."""
        parsed = parse_answer(answer)
        meeting = await self._open_meeting(guild_id, meeting_id)
        return await self._record(meeting, user_id, parsed, "button")

    async def withdraw(self, guild_id: int, meeting_id: int, user_id: int) -> RsvpResult:
        """Remove the user's answer altogether."""
        meeting = await self.store.meetings.get(guild_id, meeting_id)
        return await self._record(meeting, user_id, None, "button")

    async def event_interest_added(
        self, guild_id: int, event_id: int, user_id: int
    ) -> RsvpResult | None:
        """Interested on the scheduled event = Going, unless already Going or waitlisted.

        None when the event is not one of Agora's, or its meeting is over or cancelled.
        """
        meeting = await self._meeting_for_event(guild_id, event_id)
        if meeting is None:
            return None
        current = await self.store.meetings.rsvp(meeting.id, user_id)
        if current is not None and current.answer in ("going", "waitlist"):
            return await self._result(meeting, user_id, current, current, ())
        return await self._record(meeting, user_id, "going", "event")

    async def event_interest_caught_up(
        self, guild_id: int, event_id: int, user_id: int
    ) -> RsvpResult | None:
        """An "Interested" found by re-reading the event (at start-up), not seen live.

        As ``event_interest_added``, except for someone who asked to be forgotten: their
        mark may predate that, so it is not recorded again (None) unless they have
        answered this meeting live since.
        """
        if await self.store.forgotten.forgotten_at(guild_id, user_id, "meetings") is not None:
            meeting = await self._meeting_for_event(guild_id, event_id)
            if meeting is None or await self.store.meetings.rsvp(meeting.id, user_id) is None:
                return None
        return await self.event_interest_added(guild_id, event_id, user_id)

    async def withdraw_open_answers(self, guild_id: int, user_id: int) -> list[RsvpResult]:
        """Withdraw the user's answers to meetings still taking answers (forgetting them).

        Answers to meetings that are over or cancelled stay as anonymous counts; those
        to open meetings go, so that an answer given again later is counted once, not
        next to an anonymous copy of the old one. The waitlist moves up as usual.
        """
        record = await self.store.meetings.describe_user(guild_id, user_id)
        meeting_ids = sorted({rsvp.meeting_id for rsvp in record.rsvps})
        results = []
        for meeting in await self.store.meetings.get_many(guild_id, meeting_ids):
            if not meeting.is_cancelled and not self._is_over(meeting):
                results.append(await self._record(meeting, user_id, None, "button"))
        return results

    async def event_interest_removed(
        self, guild_id: int, event_id: int, user_id: int
    ) -> RsvpResult | None:
        """Removing interest clears only a Going (or waitlist place) that came from the event."""
        meeting = await self._meeting_for_event(guild_id, event_id)
        if meeting is None:
            return None
        outcome = await self.store.meetings.record_answer(
            meeting.guild_id,
            meeting.id,
            user_id,
            None,
            "event",
            meeting.attendee_cap,
            self.clock(),
            only_if_source="event",
        )
        return await self._result(
            meeting,
            user_id,
            outcome.previous,
            outcome.current,
            outcome.promoted_user_ids,
            outcome.waitlist_position,
        )

    async def counts(self, guild_id: int, meeting_id: int) -> RsvpCounts:
        meeting = await self.store.meetings.get(guild_id, meeting_id)
        return await self._counts(meeting)

    async def attendees(self, guild_id: int, meeting_id: int) -> Attendees:
        meeting = await self.store.meetings.get(guild_id, meeting_id)
        groups: dict[str, list[int]] = {"going": [], "maybe": [], "declined": [], "waitlist": []}
        anonymous = {"going": 0, "maybe": 0, "declined": 0, "waitlist": 0}
        for rsvp in await self.store.meetings.rsvps(meeting.id):
            if rsvp.user_id is None:
                anonymous[rsvp.answer] += 1
            else:
                groups[rsvp.answer].append(rsvp.user_id)
        return Attendees(
            meeting=meeting,
            going=tuple(groups["going"]),
            maybe=tuple(groups["maybe"]),
            declined=tuple(groups["declined"]),
            waitlist=tuple(groups["waitlist"]),
            anonymous=RsvpCounts(cap=meeting.attendee_cap, **anonymous),
            counts=await self._counts(meeting),
        )

    async def answer_of(self, guild_id: int, meeting_id: int, user_id: int) -> Rsvp | None:
        await self.store.meetings.get(guild_id, meeting_id)
        return await self.store.meetings.rsvp(meeting_id, user_id)

    # -- internals ----------------------------------------------------------

    async def _record(
        self, meeting: Meeting, user_id: int, answer: Answer | None, source: str
    ) -> RsvpResult:
        outcome = await self.store.meetings.record_answer(
            meeting.guild_id,
            meeting.id,
            user_id,
            answer,
            "event" if source == "event" else "button",
            meeting.attendee_cap,
            self.clock(),
        )
        return await self._result(
            meeting,
            user_id,
            outcome.previous,
            outcome.current,
            outcome.promoted_user_ids,
            outcome.waitlist_position,
        )

    async def _result(
        self,
        meeting: Meeting,
        user_id: int,
        previous: Rsvp | None,
        current: Rsvp | None,
        promoted: tuple[int, ...],
        position: int | None = None,
    ) -> RsvpResult:
        before = None if previous is None else previous.answer
        after = None if current is None else current.answer
        return RsvpResult(
            meeting=meeting,
            user_id=user_id,
            answer=after,
            previous=before,
            changed=before != after,
            waitlist_position=position,
            promoted_user_ids=promoted,
            counts=await self._counts(meeting),
        )

    async def _counts(self, meeting: Meeting) -> RsvpCounts:
        counts = await self.store.meetings.answer_counts(meeting.id)
        return RsvpCounts(cap=meeting.attendee_cap, **counts)

    async def _open_meeting(self, guild_id: int, meeting_id: int) -> Meeting:
        meeting = await self.store.meetings.get(guild_id, meeting_id)
        if meeting.is_cancelled:
            raise Conflict(f"“{meeting.title}” was cancelled, so it takes no answers.")
        if self._is_over(meeting):
            raise Conflict(f"“{meeting.title}” has already ended.")
        return meeting

    def _is_over(self, meeting: Meeting) -> bool:
        now = self.clock()
        if meeting.recurrence is None:
            return meeting.ends_at <= now
        return meeting.recurrence.until is not None and meeting.recurrence.until < now.date()

    async def _meeting_for_event(self, guild_id: int, event_id: int) -> Meeting | None:
        link = await self.store.meetings.find_event(guild_id, event_id)
        if link is None:
            return None
        meeting = await self.store.meetings.get(guild_id, link.meeting_id)
        if meeting.is_cancelled or self._is_over(meeting):
            return None
        return meeting

"""RSVP answers, event interest, the cap and its waitlist, and forgetting a user."""

from __future__ import annotations

import pytest

from bot.errors import Conflict, InvalidInput
from bot.services.meetings.service import MeetingDraft, MeetingEdit
from tests.support.meetings import GUILD, ORGANISER, Area, area_fixture

area = pytest.fixture(area_fixture)


async def _meeting(area: Area, cap: int | None = None) -> int:
    change = await area.meetings.create(
        GUILD,
        ORGANISER,
        MeetingDraft(
            title="Small Giants workshop", start="2017-06-20 09:00", end="12:00", attendee_cap=cap
        ),
    )
    return change.view.meeting.id


async def test_one_changeable_answer_per_user(area: Area) -> None:
    meeting_id = await _meeting(area)
    first = await area.rsvp.respond(GUILD, meeting_id, 1, "going")
    assert (first.answer, first.previous, first.changed) == ("going", None, True)
    second = await area.rsvp.respond(GUILD, meeting_id, 1, "Can't go")
    assert (second.answer, second.previous) == ("declined", "going")
    await area.rsvp.respond(GUILD, meeting_id, 2, "maybe")
    counts = await area.rsvp.counts(GUILD, meeting_id)
    assert (counts.going, counts.maybe, counts.declined) == (0, 1, 1)
    with pytest.raises(InvalidInput, match="Going, Maybe or Can't go"):
        await area.rsvp.respond(GUILD, meeting_id, 1, "perhaps")


async def test_waitlist_positions_and_promotion_in_order(area: Area) -> None:
    meeting_id = await _meeting(area, cap=2)
    await area.rsvp.respond(GUILD, meeting_id, 1, "going")
    await area.rsvp.respond(GUILD, meeting_id, 2, "going")
    third = await area.rsvp.respond(GUILD, meeting_id, 3, "going")
    fourth = await area.rsvp.respond(GUILD, meeting_id, 4, "going")
    assert (third.answer, third.waitlist_position) == ("waitlist", 1)
    assert (fourth.answer, fourth.waitlist_position) == ("waitlist", 2)
    # Pressing Going again keeps the place in the queue.
    again = await area.rsvp.respond(GUILD, meeting_id, 3, "going")
    assert (again.answer, again.waitlist_position, again.changed) == ("waitlist", 1, False)
    dropped = await area.rsvp.respond(GUILD, meeting_id, 1, "declined")
    assert dropped.promoted_user_ids == (3,)
    attendees = await area.rsvp.attendees(GUILD, meeting_id)
    assert attendees.going == (2, 3)
    assert attendees.waitlist == (4,)
    assert attendees.declined == (1,)
    assert attendees.counts.is_full


async def test_raising_the_cap_promotes_waiting_people(area: Area) -> None:
    meeting_id = await _meeting(area, cap=1)
    for user in (1, 2, 3):
        await area.rsvp.respond(GUILD, meeting_id, user, "going")
    change = await area.meetings.edit(GUILD, meeting_id, ORGANISER, MeetingEdit(attendee_cap=2))
    assert change.promoted_user_ids == (2,)
    change = await area.meetings.edit(GUILD, meeting_id, ORGANISER, MeetingEdit(attendee_cap=0))
    assert change.promoted_user_ids == (3,)
    assert (await area.rsvp.counts(GUILD, meeting_id)).going == 3


async def test_event_interest_counts_as_going_and_only_removes_its_own(area: Area) -> None:
    meeting_id = await _meeting(area)
    await area.meetings.link_event(GUILD, meeting_id, event_id=555)
    added = await area.rsvp.event_interest_added(GUILD, 555, 1)
    assert added is not None and added.answer == "going"
    assert (await area.rsvp.answer_of(GUILD, meeting_id, 1)).source == "event"  # type: ignore[union-attr]
    removed = await area.rsvp.event_interest_removed(GUILD, 555, 1)
    assert removed is not None and removed.answer is None
    # A button Going survives removing interest on the event.
    await area.rsvp.respond(GUILD, meeting_id, 2, "going")
    await area.rsvp.event_interest_added(GUILD, 555, 2)
    kept = await area.rsvp.event_interest_removed(GUILD, 555, 2)
    assert kept is not None and kept.answer == "going"
    # Events that are not Agora's are ignored.
    assert await area.rsvp.event_interest_added(GUILD, 999, 3) is None


async def test_no_answers_for_cancelled_or_ended_meetings(area: Area) -> None:
    meeting_id = await _meeting(area)
    await area.meetings.cancel(GUILD, meeting_id, ORGANISER)
    with pytest.raises(Conflict, match="cancelled"):
        await area.rsvp.respond(GUILD, meeting_id, 1, "going")
    other = await _meeting(area)
    area.clock.advance(days=30)
    with pytest.raises(Conflict, match="already ended"):
        await area.rsvp.respond(GUILD, other, 1, "going")


async def test_forget_user_keeps_anonymous_counts(area: Area) -> None:
    meeting_id = await _meeting(area, cap=1)
    await area.rsvp.respond(GUILD, meeting_id, 1, "going")
    await area.rsvp.respond(GUILD, meeting_id, 2, "going")  # waitlisted
    await area.rsvp.respond(GUILD, meeting_id, 3, "maybe")
    await area.reminders.set_dm(GUILD, 1, True)
    record = await area.store.meetings.describe_user(GUILD, 1)
    assert [r.answer for r in record.rsvps] == ["going"]
    assert (await area.store.reminders.describe_user(GUILD, 1)).dm_opted_in
    await area.store.meetings.forget_user(GUILD, 1)
    await area.store.meetings.forget_user(GUILD, 2)
    await area.store.reminders.forget_user(GUILD, 1)
    attendees = await area.rsvp.attendees(GUILD, meeting_id)
    assert attendees.going == () and attendees.anonymous.going == 1
    assert attendees.waitlist == ()
    assert attendees.maybe == (3,)
    assert (await area.store.meetings.describe_user(GUILD, 1)).rsvps == ()
    assert not (await area.store.reminders.describe_user(GUILD, 1)).dm_opted_in
    rows = await area.store.db.fetch_all(
        "SELECT COUNT(*) FROM meeting_rsvps WHERE user_id IN (1, 2)"
    )
    assert rows[0][0] == 0

"""ICS export parses back with the same times, zones, recurrence and exceptions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from bot.services.meetings.programme import SessionDraft
from bot.services.meetings.service import MeetingDraft, RepeatSpec
from bot.storage.meetings.models import Location
from tests.support.meetings import GUILD, ORGANISER, Area, area_fixture

area = pytest.fixture(area_fixture)


def _events(data: bytes) -> list[icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(data)
    return [c for c in calendar.walk("VEVENT")]


async def test_meeting_ics_round_trip(area: Area) -> None:
    change = await area.meetings.create(
        GUILD,
        ORGANISER,
        MeetingDraft(
            title="Action Clusters Meeting",
            start="2017-06-20 09:00",
            end="17:00",
            description="Plenary, pitches and workshops.",
            location=Location(kind="venue", name="Hotel Metropole", address="Brussels"),
        ),
    )
    meeting_id = change.view.meeting.id
    await area.programme.add_session(
        GUILD,
        meeting_id,
        ORGANISER.user_id,
        True,
        SessionDraft(
            title="Enablers to the Market Place",
            start="09:30",
            end="10:30",
            kind="plenary",
            room="Ballroom",
        ),
    )
    data = await area.meetings.meeting_ics(GUILD, meeting_id)
    calendar = icalendar.Calendar.from_ical(data)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Brussels"]
    (event,) = _events(data)
    start = event.decoded("dtstart")
    assert start == datetime(2017, 6, 20, 9, 0, tzinfo=ZoneInfo("Europe/Brussels"))
    assert start.astimezone(UTC) == datetime(2017, 6, 20, 7, 0, tzinfo=UTC)
    assert event["DTSTART"].params["TZID"] == "Europe/Brussels"
    assert event.decoded("dtend").astimezone(UTC) == datetime(2017, 6, 20, 15, 0, tzinfo=UTC)
    assert str(event["LOCATION"]) == "Hotel Metropole, Brussels"
    assert "09:30–10:30 Plenary: Enablers to the Market Place (Ballroom)" in str(
        event["DESCRIPTION"]
    )
    assert str(event["UID"]) == f"meeting-{meeting_id}-guild-{GUILD}@agora"
    again = _events(await area.meetings.meeting_ics(GUILD, meeting_id))[0]
    assert again["UID"] == event["UID"]


async def test_series_ics_has_rrule_exdate_and_override(area: Area) -> None:
    change = await area.meetings.create(
        GUILD,
        ORGANISER,
        MeetingDraft(
            title="Urban Data Platform call",
            start="2017-06-06 09:00",
            end="1h",
            repeat=RepeatSpec("weekly"),
            location=Location(kind="online", url="https://meet.example.org/udp"),
        ),
    )
    meeting_id = change.view.meeting.id
    await area.meetings.cancel_occurrence(GUILD, meeting_id, ORGANISER, "2017-06-13 09:00")
    await area.meetings.move_occurrence(
        GUILD, meeting_id, ORGANISER, "2017-06-20 09:00", "2017-06-21 11:00"
    )
    main, moved = _events(await area.meetings.meeting_ics(GUILD, meeting_id))
    assert main["RRULE"]["FREQ"] == ["WEEKLY"] and main["RRULE"]["BYDAY"] == ["TU"]
    exdates = [d.dt for d in main["EXDATE"].dts]
    assert [d.astimezone(UTC) for d in exdates] == [datetime(2017, 6, 13, 7, 0, tzinfo=UTC)]
    assert moved.decoded("recurrence-id").astimezone(UTC) == datetime(2017, 6, 20, 7, tzinfo=UTC)
    assert moved.decoded("dtstart").astimezone(UTC) == datetime(2017, 6, 21, 9, tzinfo=UTC)
    assert moved.decoded("dtend") - moved.decoded("dtstart") == timedelta(hours=1)
    assert main["UID"] == moved["UID"]


async def test_calendar_ics_holds_every_upcoming_meeting(area: Area) -> None:
    for day in ("2017-06-20 09:00", "2017-06-27 09:00"):
        await area.meetings.create(
            GUILD, ORGANISER, MeetingDraft(title=f"Meeting {day}", start=day, end="2h")
        )
    events = _events(await area.meetings.calendar_ics(GUILD))
    assert sorted(str(e["SUMMARY"]) for e in events) == [
        "Meeting 2017-06-20 09:00",
        "Meeting 2017-06-27 09:00",
    ]
    assert len({str(e["UID"]) for e in events}) == 2

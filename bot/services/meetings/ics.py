"""iCalendar export of meetings (``/meeting ics``, ``/calendar ics``) with icalendar.

Times are written in the meeting's own zone (DTSTART;TZID=Europe/Brussels)
with a matching VTIMEZONE, so calendars keep 09:00 at 09:00 across DST.
A series is one VEVENT with an RRULE, EXDATEs for cancelled occurrences and
a RECURRENCE-ID override per moved one. UIDs are stable per meeting.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from bot.services.common.weekdays import ICAL_DAYS
from bot.services.meetings import programme
from bot.storage.meetings.models import Meeting, OccurrenceException, RecurrenceRule, Session

PRODID = "-//Agora//Meetings//EN"


@dataclass(frozen=True)
class CalendarEntry:
    meeting: Meeting
    sessions: tuple[Session, ...] = ()
    exceptions: tuple[OccurrenceException, ...] = ()
    # SEQUENCE: raised by each change a subscribed calendar should pick up (bot/services/web).
    sequence: int = 0


def meeting_uid(meeting: Meeting) -> str:
    return f"meeting-{meeting.id}-guild-{meeting.guild_id}@agora"


def meeting_ics(
    meeting: Meeting,
    sessions: Sequence[Session] = (),
    exceptions: Sequence[OccurrenceException] = (),
) -> bytes:
    """One meeting (or series) as an .ics file."""
    return calendar_ics([CalendarEntry(meeting, tuple(sessions), tuple(exceptions))], meeting.title)


def calendar_ics(entries: Iterable[CalendarEntry], name: str = "Agora meetings") -> bytes:
    """Several meetings in one calendar, one VTIMEZONE per zone used."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    stamp = datetime.now(UTC)
    for entry in entries:
        for event in _events(entry, stamp):
            calendar.add_component(event)
    # Generates a VTIMEZONE for every TZID used, from zoneinfo's data.
    calendar.add_missing_timezones(
        first_date=datetime(1970, 1, 1).date(), last_date=datetime(2038, 1, 1).date()
    )
    result: bytes = calendar.to_ical()
    return result


def _events(entry: CalendarEntry, stamp: datetime) -> list[icalendar.Event]:
    meeting = entry.meeting
    zone = ZoneInfo(meeting.timezone)
    main = _base_event(meeting, entry.sessions, stamp, entry.sequence)
    main.add("dtstart", meeting.starts_at.astimezone(zone))
    main.add("dtend", meeting.ends_at.astimezone(zone))
    events = [main]
    rule = meeting.recurrence
    if rule is None:
        return events
    main.add("rrule", _rrule(rule))
    for exception in entry.exceptions:
        original = exception.original_start.astimezone(zone)
        if exception.status == "cancelled":
            main.add("exdate", original)
            continue
        moved = _base_event(meeting, (), stamp, entry.sequence)
        moved.add("recurrence-id", original)
        starts_at = exception.starts_at or exception.original_start
        ends_at = exception.ends_at or starts_at + timedelta(seconds=rule.duration_seconds)
        moved.add("dtstart", starts_at.astimezone(zone))
        moved.add("dtend", ends_at.astimezone(zone))
        events.append(moved)
    return events


def _base_event(
    meeting: Meeting, sessions: Sequence[Session], stamp: datetime, sequence: int = 0
) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", meeting_uid(meeting))
    event.add("dtstamp", stamp)
    event.add("sequence", sequence)
    event.add("last-modified", meeting.updated_at)
    event.add("summary", meeting.title)
    event.add("status", "CANCELLED" if meeting.is_cancelled else "CONFIRMED")
    description = meeting.description
    if sessions:
        lines = programme.programme_lines(sessions, meeting.timezone)
        description = (description + "\n\n" if description else "") + "Programme:\n"
        description += "\n".join(lines)
    if description:
        event.add("description", description)
    location = _location_text(meeting)
    if location:
        event.add("location", location)
    if meeting.location.kind == "online":
        event.add("url", meeting.location.url)
    return event


def _location_text(meeting: Meeting) -> str:
    location = meeting.location
    if location.kind == "channel":
        return "Discord voice channel"
    return location.describe()


def _rrule(rule: RecurrenceRule) -> dict[str, object]:
    day = ICAL_DAYS[rule.weekday]
    value: dict[str, object] = {
        "freq": "WEEKLY" if rule.frequency == "weekly" else "MONTHLY",
        "interval": rule.interval,
    }
    if rule.frequency == "weekly":
        value["byday"] = day
    else:
        value["byday"] = f"{rule.nth or 1}{day}"
    if rule.until is not None:
        # UNTIL is inclusive and must be UTC when DTSTART has a TZID: the end of that day.
        last = datetime.combine(rule.until, datetime.max.time(), ZoneInfo(rule.timezone))
        value["until"] = last.astimezone(UTC).replace(microsecond=0)
    return value

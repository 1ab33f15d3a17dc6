"""Daylight saving and calendar files: 09:00 Brussels stays 09:00 in winter and summer,
a weekly series crosses the October change on the same wall-clock time, and the .ics
attachments of /meeting ics and /calendar ics parse back cleanly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from tests.support.meetings_e2e import (
    announcement,
    create_meeting,
    create_weekly_series,
    field,
    meeting_id_of,
    next_year_day,
)

BRUSSELS = ZoneInfo("Europe/Brussels")


def fall_back_sunday() -> date:
    """The last Sunday of October next year: Brussels goes from +02:00 to +01:00."""
    last = date(datetime.now(UTC).year + 1, 10, 31)
    return last - timedelta(days=(last.weekday() - 6) % 7)


async def test_nine_o_clock_stays_nine_across_dst(sandbox: Sandbox, agora: RunningAgora) -> None:
    year = datetime.now(UTC).year + 1
    winter = await create_meeting(
        sandbox, "Winter plenary", start=f"20/01/{year} 9:00", end="12:00", zone="Europe/Brussels"
    )
    summer = await create_meeting(
        sandbox, "Summer plenary", start=f"{year}-06-20T09:00", end="3h", zone="Europe/Brussels"
    )
    for result, utc_hour in ((winter, 8), (summer, 7)):
        meeting_id = meeting_id_of(result)
        when = field(announcement(sandbox, "announcements", meeting_id), "When")
        unix = int(when.split("<t:")[1].split(":")[0])
        start = datetime.fromtimestamp(unix, UTC)
        assert (start.hour, start.astimezone(BRUSSELS).hour) == (utc_hour, 9)

    # A weekly series across the October change keeps 09:00 local.
    first = fall_back_sunday() - timedelta(days=5)  # the Tuesday before
    series_id = await create_weekly_series(
        sandbox, first, repeat_until=str(first + timedelta(weeks=3))
    )
    guild_id = int(sandbox.guild.id)
    occurrences = await agora.bot.services.meetings.occurrences(guild_id, series_id, limit=10)
    assert len(occurrences) == 4
    assert [o.starts_at.astimezone(BRUSSELS).hour for o in occurrences] == [9, 9, 9, 9]
    assert [o.starts_at.hour for o in occurrences] == [7, 8, 8, 8]
    posted = announcement(sandbox, "announcements", series_id)
    assert "every week on Tuesday at 09:00 Europe/Brussels" in field(posted, "Repeats")
    # Only the next occurrence has a native event; the bot creates the others in turn.
    events = [e for e in sandbox.guild.scheduled_events.values() if "weekly" in e.name]
    assert len(events) == 1 and events[0].location == "https://meet.example.eu/udp"
    assert events[0].scheduled_start_time.startswith(f"{first}T07:00:00")

    # One date cancelled: the calendar file leaves it out (EXDATE), the rest go on.
    second = first + timedelta(weeks=1)
    skipped = await sandbox.user("admin").slash(
        "meeting occurrence cancel", meeting=str(series_id), date=f"{second} 09:00"
    )
    assert "the others go on" in skipped.text
    third = first + timedelta(weeks=2)
    moved = await sandbox.user("admin").slash(
        "meeting occurrence move",
        meeting=str(series_id),
        date=f"{third} 09:00",
        new_start=f"{third + timedelta(days=1)} 10:00",
    )
    assert "Moved **Urban Data Platform weekly** from <t:" in moved.text
    after = await agora.bot.services.meetings.occurrences(guild_id, series_id, limit=10)
    assert [o.starts_at.astimezone(BRUSSELS).strftime("%a %H:%M") for o in after] == [
        "Tue 09:00",
        "Wed 10:00",
        "Tue 09:00",
    ]
    ics = await sandbox.user("alice").slash("meeting ics", meeting=str(series_id))
    (attachment,) = ics.attachments
    assert attachment.filename.endswith(".ics")
    calendar = icalendar.Calendar.from_ical(attachment.data)
    event = calendar.walk("VEVENT")[0]
    assert event["RRULE"]["FREQ"] == ["WEEKLY"] and event["RRULE"]["BYDAY"] == ["TU"]
    start = event.decoded("DTSTART")
    assert str(start.tzinfo) == "Europe/Brussels" and start.hour == 9
    override = calendar.walk("VEVENT")[1]
    assert override.decoded("DTSTART").astimezone(BRUSSELS).hour == 10
    excluded = [d.dt for d in event["EXDATE"].dts]
    assert [d.astimezone(BRUSSELS).date() for d in excluded] == [second]
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/Brussels"


async def test_ics_round_trip(sandbox: Sandbox, agora: RunningAgora) -> None:
    day = next_year_day()
    admin = sandbox.user("admin")
    brussels = await create_meeting(
        sandbox,
        "Action Clusters Meeting",
        description="Six Action Clusters meet.",
        start=f"{day} 09:00",
        end="18:00",
        zone="Europe/Brussels",
        venue="Hotel Metropole",
        address="Place de Brouckère 31, Brussels",
    )
    meeting_id = meeting_id_of(brussels)
    await admin.slash(
        "meeting session add",
        meeting=str(meeting_id),
        title="Opening plenary",
        start="09:00",
        end="10:00",
        kind="plenary",
    )
    scoped = await create_meeting(
        sandbox,
        "Humble Lamppost pitch rehearsal",
        start=f"{day} 19:00",
        end="1h",
        zone="Europe/Brussels",
        initiatives="Humble Lamppost",
    )
    scoped_id = meeting_id_of(scoped)

    hall = await sandbox.create_channel("Plenary hall", 2)
    await sandbox.drain_gateway()
    online = await create_meeting(
        sandbox, "Small Giants call", start=f"{day} 16:00", end="1h", channel="Plenary hall"
    )
    voice_event = next(
        e for e in sandbox.guild.scheduled_events.values() if e.name == "Small Giants call"
    )
    assert (voice_event.entity_type, voice_event.channel_id) == (2, hall.id)
    call_post = announcement(sandbox, "announcements", meeting_id_of(online))
    assert field(call_post, "Where") == f"On Discord: <#{hall.id}>"

    result = await sandbox.user("alice").slash("meeting ics", meeting=str(meeting_id))
    assert result.ephemeral
    (attachment,) = result.attachments
    calendar = icalendar.Calendar.from_ical(attachment.data)
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Action Clusters Meeting"
    assert str(event["LOCATION"]) == "Hotel Metropole, Place de Brouckère 31, Brussels"
    assert "Six Action Clusters meet." in str(event["DESCRIPTION"])
    assert "09:00–10:00 Plenary: Opening plenary" in str(event["DESCRIPTION"])
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert (start.hour, end.hour, str(start.tzinfo)) == (9, 18, "Europe/Brussels")
    assert start.astimezone(UTC).hour == 7
    assert "RRULE" not in event

    everything = await sandbox.user("alice").slash("calendar ics")
    summaries = {
        str(e["SUMMARY"])
        for e in icalendar.Calendar.from_ical(everything.attachments[0].data).walk("VEVENT")
    }
    assert summaries == {
        "Action Clusters Meeting",
        "Humble Lamppost pitch rehearsal",
        "Small Giants call",
    }
    only = await sandbox.user("alice").slash("calendar ics", initiative="Humble Lamppost")
    (file,) = only.attachments
    assert file.filename == "humble-lamppost-meetings.ics"
    (rehearsal,) = icalendar.Calendar.from_ical(file.data).walk("VEVENT")
    assert f"meeting-{scoped_id}-" in str(rehearsal["UID"])
    both = await sandbox.user("alice").slash(
        "calendar ics", initiative="Humble Lamppost", cluster="Integrated Infrastructures"
    )
    assert both.ephemeral and "not both" in (both.content or "")

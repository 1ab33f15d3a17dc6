"""Calendar feeds that stay in sync: valid iCalendar (parsed back with icalendar), stable
UIDs, SEQUENCE raised by each change, a cancelled meeting as STATUS:CANCELLED, a moved
date as a RECURRENCE-ID override, a cancelled date as an EXDATE; ETag and Last-Modified
with 304 answers, the 304 to If-None-Match without building the feed again."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

import icalendar

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from tests.support.meetings_e2e import create_meeting, meeting_id_of
from tests.web.conftest import Web

BRUSSELS = ZoneInfo("Europe/Brussels")


def events(body: str) -> list[icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return list(calendar.walk("VEVENT"))


def by_uid(body: str, meeting_id: int) -> list[icalendar.Event]:
    return [e for e in events(body) if str(e["UID"]).startswith(f"meeting-{meeting_id}-")]


def next_wednesday() -> date:
    today = datetime.now(UTC).date() + timedelta(days=14)
    return today + timedelta(days=(2 - today.weekday()) % 7)


async def test_feed_round_trips_meetings_series_moves_and_cancellations(
    web: Web, sandbox: Sandbox, seeded: RunningAgora
) -> None:
    year = datetime.now(UTC).year + 1
    one_off = meeting_id_of(
        await create_meeting(
            sandbox,
            "Action Clusters Meeting",
            start=f"{year}-06-20 09:00",
            end="17:00",
            zone="Europe/Brussels",
            venue="Hotel Metropole",
            address="Boulevard Adolphe Max 31, Brussels",
            initiatives="Humble Lamppost",
        )
    )
    first = next_wednesday()
    series = meeting_id_of(
        await create_meeting(
            sandbox,
            "Urban Data Platform weekly",
            start=f"{first} 09:00",
            end="1h",
            zone="Europe/Brussels",
            link="https://meet.example.eu/udp",
            repeat="weekly:1",
        )
    )
    status, body, headers = await web.get("/calendar.ics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/calendar")
    assert "max-age" in headers["Cache-Control"]
    etag, modified = headers["ETag"], headers["Last-Modified"]
    (meeting,) = by_uid(body, one_off)
    assert str(meeting["SUMMARY"]) == "Action Clusters Meeting"
    assert meeting.decoded("DTSTART") == datetime(year, 6, 20, 9, 0, tzinfo=BRUSSELS)
    assert "Hotel Metropole" in str(meeting["LOCATION"])
    assert int(meeting["SEQUENCE"]) == 0 and str(meeting["STATUS"]) == "CONFIRMED"
    (weekly,) = by_uid(body, series)
    assert weekly["RRULE"]["FREQ"] == ["WEEKLY"]
    assert int(weekly["SEQUENCE"]) == 0

    # Polled again unchanged: 304 from the version alone, nothing built.
    feeds = seeded.bot.services.site.feeds
    built = feeds.builds
    status, body_again, headers = await web.get("/calendar.ics", **{"If-None-Match": etag})
    assert (status, body_again, headers["ETag"]) == (304, "", etag)
    assert feeds.builds == built
    status, _, _ = await web.get("/calendar.ics", **{"If-Modified-Since": modified})
    assert status == 304

    # One date moved in Discord: the feed changes, with an override for that date.
    second = first + timedelta(weeks=1)
    moved = await sandbox.user("admin").slash(
        "meeting occurrence move",
        meeting=str(series),
        date=f"{second} 09:00",
        new_start=f"{second + timedelta(days=1)} 11:00",
    )
    assert "moved" in moved.text.lower(), moved.text
    status, body, headers = await web.get("/calendar.ics", **{"If-None-Match": etag})
    assert status == 200 and headers["ETag"] != etag
    master, override = sorted(by_uid(body, series), key=lambda e: "RECURRENCE-ID" in e)
    assert int(master["SEQUENCE"]) == 1
    assert override.decoded("RECURRENCE-ID") == datetime.combine(
        second, datetime.min.time().replace(hour=9), BRUSSELS
    )
    assert override.decoded("DTSTART") == datetime.combine(
        second + timedelta(days=1), datetime.min.time().replace(hour=11), BRUSSELS
    )
    assert parsedate_to_datetime(headers["Last-Modified"]) >= parsedate_to_datetime(modified)

    # Another date cancelled: an EXDATE, and the sequence goes up again.
    third = first + timedelta(weeks=2)
    await sandbox.user("admin").slash(
        "meeting occurrence cancel", meeting=str(series), date=f"{third} 09:00"
    )
    _, body, _ = await web.get("/calendar.ics")
    master = next(e for e in by_uid(body, series) if "RECURRENCE-ID" not in e)
    assert int(master["SEQUENCE"]) == 2
    excluded = [d.dt for d in master["EXDATE"].dts]
    assert datetime.combine(third, datetime.min.time().replace(hour=9), BRUSSELS) in excluded

    # The one-off meeting cancelled: still in the feed, as cancelled, so calendars drop it.
    admin = sandbox.user("admin")
    question = await admin.slash("meeting cancel", meeting=str(one_off))
    await admin.click(question, "Yes, cancel the meeting")
    _, body, _ = await web.get("/calendar.ics")
    (meeting,) = by_uid(body, one_off)
    assert str(meeting["STATUS"]) == "CANCELLED" and int(meeting["SEQUENCE"]) == 1
    # UIDs are stable: the same meeting, the same UID, in every feed.
    (in_initiative,) = by_uid(await web.page("/initiatives/humble-lamppost/calendar.ics"), one_off)
    assert in_initiative["UID"] == meeting["UID"]


async def test_scoped_feeds_hold_their_own_meetings(web: Web, sandbox: Sandbox) -> None:
    year = datetime.now(UTC).year + 1
    lamppost = meeting_id_of(
        await create_meeting(
            sandbox,
            "Lamppost working group",
            start=f"{year}-05-12 14:00",
            end="1h",
            initiatives="Humble Lamppost",
        )
    )
    assert by_uid(await web.page("/initiatives/humble-lamppost/calendar.ics"), lamppost)
    assert not by_uid(await web.page("/initiatives/small-giants/calendar.ics"), lamppost)
    assert by_uid(await web.page("/calendar.ics"), lamppost)
    # Compressed for clients that take gzip (aiohttp's does), plain for the others.
    status, plain, headers = await web.get("/calendar.ics", **{"Accept-Encoding": "identity"})
    assert status == 200 and "Content-Encoding" not in headers and by_uid(plain, lamppost)
    _, _, headers = await web.get("/calendar.ics")
    assert headers["Content-Encoding"] == "gzip" and headers["Vary"] == "Accept-Encoding"
    cluster = await web.page("/clusters/integrated-infrastructures-processes/calendar.ics")
    assert "X-WR-CALNAME:Integrated Infrastructures and Processes meetings" in cluster.replace(
        "\r\n ", ""
    )


async def test_calendar_replies_in_discord_link_the_subscription(
    web: Web, sandbox: Sandbox
) -> None:
    reply = await sandbox.user("bob").slash("calendar ics", initiative="Humble Lamppost")
    feed = web.url.replace("http://", "webcal://") + "initiatives/humble-lamppost/calendar.ics"
    assert feed in reply.text
    year = datetime.now(UTC).year + 1
    meeting = meeting_id_of(
        await create_meeting(sandbox, "Plenary", start=f"{year}-06-21 09:00", end="1h")
    )
    reply = await sandbox.user("bob").slash("meeting ics", meeting=str(meeting))
    assert web.url.replace("http://", "webcal://") + "calendar.ics" in reply.text
    await sandbox.user("admin").slash("admin web off")
    reply = await sandbox.user("bob").slash("meeting ics", meeting=str(meeting))
    assert "webcal://" not in reply.text

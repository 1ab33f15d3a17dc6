"""Times typed the way people say them, end to end through the sandbox: a meeting
created with "20 June 9am", refusals that say exactly what is wrong in the zone
the organiser typed in, plain dates for one occurrence of a series, and the start
option saying back how it reads while it is typed."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from tests.support.meetings_e2e import (
    announcement,
    create_meeting,
    create_weekly_series,
    field,
    first_tuesday_of_june,
    meeting_id_of,
    stored_meetings,
)

BRUSSELS = ZoneInfo("Europe/Brussels")


def _start_of(sandbox: Sandbox, meeting_id: int) -> datetime:
    when = field(announcement(sandbox, "announcements", meeting_id), "When")
    return datetime.fromtimestamp(int(when.split("<t:")[1].split(":")[0]), UTC)


async def test_meeting_from_spoken_times(sandbox: Sandbox, agora: RunningAgora) -> None:
    year = datetime.now(UTC).year + 1
    admin = sandbox.user("admin")

    created = await create_meeting(
        sandbox,
        "Action Clusters Meeting",
        start=f"20 June {year} 9am",
        end="5pm",
        zone="Europe/Brussels",
        venue="Hotel Metropole",
    )
    assert "Discord event created" in created.text
    start = _start_of(sandbox, meeting_id_of(created))
    assert start == datetime(year, 6, 20, 9, 0, tzinfo=BRUSSELS)

    # An impossible date says why, whatever the format; nothing is stored.
    before = await stored_meetings(agora, sandbox)
    days = calendar.monthrange(year, 2)[1]
    for text in (f"31 February {year} 10.00", f"31/02/{year} 10:00", f"February 31st {year}"):
        refused = await admin.slash("meeting create", start=text, end="1h", zone="America/New_York")
        assert refused.modal is None and refused.ephemeral
        assert refused.content == (
            f"{text!r} is not a real date: February has {days} days in {year}."
        )
    # Times in errors are in the zone the organiser typed them in, not UTC.
    backwards = await admin.slash(
        "meeting create", start=f"June 20th {year} at 9am", end="8am", zone="America/New_York"
    )
    assert backwards.modal is None and backwards.ephemeral
    assert backwards.content == (
        f"The end ({year}-06-20 08:00 America/New_York) must be after the start "
        f"({year}-06-20 09:00 America/New_York)."
    )
    assert await stored_meetings(agora, sandbox) == before

    # While the start is typed, its autocomplete says how it reads.
    choices = await admin.autocomplete(
        "meeting create", "start", f"20 June {year} 9am", zone="America/New_York"
    )
    reading = datetime(year, 6, 20, 9, 0)
    assert choices == [
        {
            "name": f"{reading:%a %d %b %Y %H:%M} America/New_York",
            "value": f"20 June {year} 9am",
        }
    ]
    wrong = await admin.autocomplete("meeting create", "start", f"31 February {year} 10.00")
    assert wrong[0]["name"].endswith(f"February has {days} days in {year}.")


async def test_occurrence_named_by_a_plain_date(sandbox: Sandbox, agora: RunningAgora) -> None:
    year = datetime.now(UTC).year + 1
    first = first_tuesday_of_june()
    series_id = await create_weekly_series(sandbox, first)
    second = first + timedelta(weeks=1)
    moved = await sandbox.user("admin").slash(
        "meeting occurrence move",
        meeting=str(series_id),
        date=f"{second.day} June {year}",
        new_start=f"{second + timedelta(days=1)} 10:00",
    )
    assert "Moved **Urban Data Platform weekly** from <t:" in moved.text
    cancelled = await sandbox.user("admin").slash(
        "meeting occurrence cancel", meeting=str(series_id), date=str(first + timedelta(weeks=2))
    )
    assert "the others go on" in cancelled.text
    guild_id = int(sandbox.guild.id)
    after = await agora.bot.services.meetings.occurrences(guild_id, series_id, limit=3)
    assert [o.starts_at.astimezone(BRUSSELS).date() for o in after] == [
        first,
        second + timedelta(days=1),
        first + timedelta(weeks=3),
    ]
    # A day the series does not meet on is refused, and nothing moves.
    missing = await sandbox.user("admin").slash(
        "meeting occurrence cancel", meeting=str(series_id), date=str(first + timedelta(days=1))
    )
    assert missing.ephemeral
    assert f"has no occurrence on '{first + timedelta(days=1)}'" in missing.text
    impossible = await sandbox.user("admin").slash(
        "meeting occurrence cancel", meeting=str(series_id), date="31 June"
    )
    assert impossible.ephemeral
    assert "'31 June' is not a real date: June has 30 days." in impossible.text

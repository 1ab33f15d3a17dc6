"""Meetings as a newcomer uses them day to day, end to end through the sandbox: a moved
date of a series (refused where it can't go, named old and new, shown on the
announcement, reminders following it), a meeting recorded after it took place, an edit
that moves the programme, session titles that already name their kind, and times in the
meeting's zone rather than UTC."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from bot.cogs.meetings.render import DirectoryNames, reminder_text
from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from tests.support.meetings_e2e import (
    MESSAGE,
    MESSAGES,
    announcement,
    create_meeting,
    create_weekly_series,
    expect_call,
    field,
    first_tuesday_of_june,
    meeting_id_of,
    next_year_day,
    reminder_posts,
)

BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture
def agora_config_overrides() -> dict[str, dict[str, object]]:
    return {"meetings": {"reminder_offsets": ["3s", "0s"]}}


def unix(day: date, clock: str) -> int:
    hour, minute = map(int, clock.split(":"))
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=BRUSSELS)
    return int(local.timestamp())


def on(day: date) -> str:
    """How Agora writes a local day: "Tue 9 June"."""
    return f"{day:%a} {day.day} {day:%B}"


def reads(day: date, clock: str) -> str:
    """How Agora writes a local day and time: "Tue 9 June 09:00"."""
    return f"{on(day)} {clock}"


async def test_moved_date_refused_named_and_shown(sandbox: Sandbox, agora: RunningAgora) -> None:
    admin = sandbox.user("admin")
    first = first_tuesday_of_june()
    second, third = first + timedelta(weeks=1), first + timedelta(weeks=2)
    series_id = await create_weekly_series(sandbox, first)
    guild_id = int(sandbox.guild.id)
    meetings = agora.bot.services.meetings
    store = agora.bot.store

    # Before the series' first date: refused, saying when it starts, nothing stored.
    early = await admin.slash(
        "meeting occurrence move",
        meeting=str(series_id),
        date=str(second),
        new_start=f"{first - timedelta(days=3)} 10:00",
    )
    assert early.ephemeral
    assert f"starts on <t:{unix(first, '09:00')}:F>" in early.text
    assert f"({reads(first, '09:00')} Europe/Brussels)" in early.text
    assert "can't move before the series' first" in early.text
    # Onto the day another date takes: refused, naming it.
    onto = await admin.slash(
        "meeting occurrence move",
        meeting=str(series_id),
        date=str(second),
        new_start=f"{third} 14:00",
    )
    assert onto.ephemeral
    assert f"already meets on {reads(third, '09:00')} Europe/Brussels" in onto.text
    assert await store.meetings.exceptions(guild_id, series_id) == []

    # Moved a day later: the reply names the old and the new date, in Discord's
    # timestamps and in the meeting's zone; the announcement is re-rendered to show it.
    moved_to = second + timedelta(days=1)
    edited = expect_call(sandbox, method="PATCH", route=MESSAGE)
    moved = await admin.slash(
        "meeting occurrence move",
        meeting=str(series_id),
        date=str(second),
        new_start=f"{moved_to} 10:00",
    )
    await edited
    assert moved.ephemeral
    assert f"from <t:{unix(second, '09:00')}:F> to <t:{unix(moved_to, '10:00')}:F>" in moved.text
    assert f"{reads(second, '09:00')} → {reads(moved_to, '10:00')}, Europe/Brussels" in moved.text
    posted = announcement(sandbox, "announcements", series_id)
    changed = field(posted, "Changed dates (times in Europe/Brussels)")
    assert f"{on(second)} moved to {reads(moved_to, '10:00')}" in changed
    # The same date moved again (named by its usual date) is allowed: still one change.
    again = await admin.slash(
        "meeting occurrence move",
        meeting=str(series_id),
        date=str(second),
        new_start=f"{moved_to} 11:00",
    )
    assert f"from <t:{unix(moved_to, '10:00')}:F> to <t:{unix(moved_to, '11:00')}:F>" in again.text

    # A cancelled date is listed too, once cancelled.
    edited = expect_call(sandbox, method="PATCH", route=MESSAGE)
    await admin.slash("meeting occurrence cancel", meeting=str(series_id), date=str(third))
    await edited
    changed = field(announcement(sandbox, "announcements", series_id), "Changed dates")
    assert changed.splitlines()[0].startswith(f"{on(second)} moved to {reads(moved_to, '11:00')}")
    assert changed.splitlines()[1] == f"{on(third)}: cancelled"
    after = await meetings.occurrences(guild_id, series_id, limit=3)
    assert [o.starts_at.astimezone(BRUSSELS).date() for o in after] == [
        first,
        moved_to,
        third + timedelta(weeks=1),
    ]


async def test_reminders_follow_a_moved_date(sandbox: Sandbox, agora: RunningAgora) -> None:
    """The series' first date, due in seconds, moved a few seconds later: its reminders
    fire at the new time and say the new start, once each."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=10)
    new_start = start + timedelta(seconds=5)
    created = await create_meeting(
        sandbox, "Small Giants stand-up", start=start.isoformat(), end="15m", repeat="weekly:1"
    )
    series_id = meeting_id_of(created)
    guild_id = int(sandbox.guild.id)
    reminders = agora.bot.services.reminders
    moved = await sandbox.user("admin").slash(
        "meeting occurrence move",
        meeting=str(series_id),
        date=start.isoformat(),
        new_start=new_start.isoformat(),
    )
    assert f"to <t:{int(new_start.timestamp())}:F>" in moved.text
    stored = [
        r
        for r in await reminders.upcoming_for_meeting(guild_id, series_id)
        if r.slot.startswith(f"m:{int(start.timestamp())}:")
    ]
    assert sorted((r.offset_seconds, r.due_at, r.occurrence_start) for r in stored) == [
        (0, new_start, new_start),
        (3, new_start - timedelta(seconds=3), new_start),
    ]
    next_field = field(announcement(sandbox, "announcements", series_id), "Next")
    assert f"<t:{int(new_start.timestamp())}:F>" in next_field and "moved from" in next_field

    now_post = expect_call(
        sandbox,
        method="POST",
        route=MESSAGES,
        where=lambda c: "Small Giants stand-up** is starting now" in str(c.body),
        timeout=30,
    )
    await now_post
    soon = reminder_posts(sandbox, "announcements", "**Small Giants stand-up** starts")
    starting = reminder_posts(sandbox, "announcements", "Small Giants stand-up** is starting")
    assert len(soon) == 1 and len(starting) == 1
    for post in soon + starting:
        assert f"<t:{int(new_start.timestamp())}:F>" in post["content"]
        assert f"<t:{int(start.timestamp())}:" not in post["content"]


async def test_past_meeting_is_a_record(sandbox: Sandbox, agora: RunningAgora) -> None:
    last_year = datetime.now(UTC).year - 1
    created = await create_meeting(
        sandbox,
        "Lighthouse cities kick-off",
        start=f"{last_year}-06-20 09:00",
        end="17:00",
        zone="Europe/Brussels",
        venue="Hotel Metropole",
        confirm_past=True,
    )
    assert created.ephemeral
    meeting_id = meeting_id_of(created)
    assert "as a past meeting" in created.text
    assert "with no answer buttons and no reminders. No Discord event" in created.text
    posted = announcement(sandbox, "announcements", meeting_id)
    assert not posted["components"], "a past meeting asks nobody to come"
    assert f"<t:{unix(date(last_year, 6, 20), '09:00')}:F>" in field(posted, "Took place")
    footer = posted["embeds"][0]["footer"]["text"]
    assert "a record of a meeting that took place" in footer and "button" not in footer
    assert not [e for e in sandbox.guild.scheduled_events.values() if "Lighthouse" in e.name]
    guild_id = int(sandbox.guild.id)
    assert await agora.bot.services.reminders.upcoming_for_meeting(guild_id, meeting_id) == []
    info = await sandbox.user("alice").slash("meeting info", meeting=str(meeting_id))
    assert info.embed is not None
    assert next(f["name"] for f in info.embed["fields"]) == "Took place"


async def test_edit_says_sessions_moved_and_titles_name_their_kind_once(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    admin = sandbox.user("admin")
    day = next_year_day()
    created = await create_meeting(
        sandbox,
        "Action Clusters Meeting",
        start=f"{day} 09:00",
        end="18:00",
        zone="Europe/Brussels",
    )
    meeting_id = meeting_id_of(created)
    programme = [
        ("Opening plenary", "09:00", "10:00", "plenary"),
        ("Plenary session on funding", "10:00", "11:00", "plenary"),
        ("Initiative pitches", "11:00", "12:00", "pitch"),
        ("Challenge workshop: data sharing", "13:00", "14:30", "challenge_workshop"),
        ("Integrated infrastructures", "15:00", "16:30", "cluster_workshop"),
    ]
    for title, start, end, kind in programme:
        added = await admin.slash(
            "meeting session add",
            meeting=str(meeting_id),
            title=title,
            start=start,
            end=end,
            kind=kind,
            **({"initiative": "Humble Lamppost"} if kind == "challenge_workshop" else {}),
        )
        assert "Added to" in added.text
        if kind == "challenge_workshop":
            assert "Challenge workshop**: Challenge" not in added.text
            assert "**Challenge workshop**: data sharing" in added.text

    edited = await admin.slash("meeting edit", meeting=str(meeting_id), start=f"{day} 10:00")
    assert edited.ephemeral
    assert "5 sessions moved by +1 h with the start." in edited.text
    # The re-timed reminders are summarised once, as before, not again with the sessions.
    assert len(re.findall(r"reminders? scheduled", edited.text)) == 1
    # An edit that moves no session says nothing about sessions.
    renamed = await admin.slash("meeting edit", meeting=str(meeting_id), title="ACM 2")
    assert "moved by" not in renamed.text and "1 session reminder" in renamed.text

    # The calendar file, the announcement and /meeting info name each kind once.
    ics = await sandbox.user("alice").slash("meeting ics", meeting=str(meeting_id))
    (event,) = icalendar.Calendar.from_ical(ics.attachments[0].data).walk("VEVENT")
    description = str(event["DESCRIPTION"])
    assert "14:00–15:30 Challenge workshop: data sharing" in description
    assert "11:00–12:00 Plenary session on funding" in description
    assert "10:00–11:00 Plenary: Opening plenary" in description
    assert "Challenge workshop: Challenge workshop" not in description
    shown = field(announcement(sandbox, "announcements", meeting_id), "Programme (5)")
    assert "**Challenge workshop**: data sharing" in shown
    assert "**Plenary** session on funding" in shown and "**Pitch**: Initiative pitches" in shown
    info = await admin.slash("meeting info", meeting=str(meeting_id))
    assert "Challenge workshop**: Challenge" not in info.text
    # A session reminder does not repeat the kind either.
    guild_id = int(sandbox.guild.id)
    meeting, sessions = await agora.bot.services.programme.programme_of(guild_id, meeting_id)
    workshop = next(s for s in sessions if s.kind == "challenge_workshop")
    pending = await agora.bot.services.reminders.upcoming_for_meeting(guild_id, meeting_id)
    reminder = next(r for r in pending if r.session_id == workshop.id)
    text = reminder_text(reminder, meeting, workshop, DirectoryNames())
    assert "Session **Challenge workshop: data sharing** of **ACM 2**" in text

    # The session choices read in the meeting's zone, never bare UTC.
    choices = await admin.autocomplete(
        "meeting session remove", "session", "", meeting=str(meeting_id)
    )
    names_shown = [c["name"] for c in choices]
    assert f"#{workshop.id} 14:00–15:30 Europe/Brussels · Challenge workshop: data sharing" in (
        names_shown
    )
    assert not any("UTC" in name for name in names_shown)

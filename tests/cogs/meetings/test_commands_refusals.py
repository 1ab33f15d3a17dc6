"""Every refused input answers clearly, ephemeral, and stores nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from tests.support.meetings_e2e import (
    create_meeting,
    meeting_id_of,
    next_year_day,
    stored_meetings,
)


def spring_forward_sunday() -> date:
    """The last Sunday of March next year: Brussels skips 02:00-03:00 that night."""
    last = date(datetime.now(UTC).year + 1, 3, 31)
    return last - timedelta(days=(last.weekday() - 6) % 7)


async def test_refused_inputs_store_nothing(sandbox: Sandbox, agora: RunningAgora) -> None:
    day = next_year_day()
    gap = spring_forward_sunday()
    admin = sandbox.user("admin")
    refusals = [
        ({"start": "next blursday", "end": "17:00"}, "can't read 'next blursday' as a time"),
        ({"start": f"{day} 09:00", "end": "08:00"}, "must be after the start"),
        (
            {"start": f"{day} 09:00", "end": "17:00", "zone": "Europe/Brusels"},
            "Did you mean Europe/Brussels",
        ),
        (
            {"start": f"{gap} 02:30", "end": "3h", "zone": "Europe/Brussels"},
            "does not exist in Europe/Brussels",
        ),
        ({"start": "2017-06-20 09:00", "end": "18:00"}, "is in the past"),
        (
            {"start": f"{day} 09:00", "end": "18:00", "venue": "Metropole", "link": "https://x.eu"},
            "Give one kind of place",
        ),
        (
            {"start": f"{day} 09:00", "end": "18:00", "link": "zoom.us/j/1"},
            "must start with https://",
        ),
        (
            {"start": f"{day} 09:00", "end": "18:00", "initiatives": "Humble Lampole"},
            "No initiative named",
        ),
        ({"start": f"{day} 09:00", "end": "18:00", "reminders": "soon"}, "soon"),
    ]
    for options, reason in refusals:
        result = await admin.slash("meeting create", **options)
        assert result.modal is None, options
        assert result.ephemeral, options
        assert reason in (result.content or ""), (options, result.content)
    # Members can't create meetings, nor confirm a past start.
    member = await sandbox.user("alice").slash("meeting create", start=f"{day} 09:00", end="18:00")
    assert member.ephemeral and "Only organisers" in (member.content or "")
    past = await sandbox.user("alice").slash(
        "meeting create", start="2017-06-20 09:00", end="18:00", confirm_past=True
    )
    assert past.ephemeral and "Only organisers" in (past.content or "")
    assert await stored_meetings(agora, sandbox) == 0

    # A title the modal can't refuse but the service does: too long after trimming spaces.
    blank = await create_meeting(sandbox, "   ", start=f"{day} 09:00", end="18:00")
    assert blank.ephemeral and "Give the meeting a title" in blank.text
    assert await stored_meetings(agora, sandbox) == 0

    # An organiser confirms a past meeting on purpose: stored, no Discord event.
    recorded = await create_meeting(
        sandbox,
        "Action Clusters Meeting",
        start="2017-06-20 09:00",
        end="18:00",
        zone="Europe/Brussels",
        venue="Hotel Metropole",
        confirm_past=True,
    )
    assert "No Discord event" in recorded.text
    assert not sandbox.guild.scheduled_events
    meeting_id = meeting_id_of(recorded)

    # Sessions outside the meeting, and edits that would push sessions out, are refused.
    upcoming = await create_meeting(sandbox, "Workshop day", start=f"{day} 09:00", end="12:00")
    upcoming_id = meeting_id_of(upcoming)
    outside = await admin.slash(
        "meeting session add", meeting=str(upcoming_id), title="Late", start="13:00", end="14:00"
    )
    assert outside.ephemeral and "must fit inside the meeting" in outside.text
    inside = await admin.slash(
        "meeting session add", meeting=str(upcoming_id), title="Plenary", start="10:00", end="11:00"
    )
    assert "Added" in inside.text
    shrink = await admin.slash("meeting edit", meeting=str(upcoming_id), end="10:30")
    assert shrink.ephemeral and "would fall outside the new times: Plenary" in shrink.text
    nothing = await admin.slash("meeting edit", meeting=str(upcoming_id))
    assert nothing.ephemeral and "Nothing to change" in (nothing.content or "")
    sessions = await agora.bot.services.programme.programme(int(sandbox.guild.id), upcoming_id)
    assert [s.title for s in sessions] == ["Plenary"]
    member_edit = await sandbox.user("alice").slash(
        "meeting edit", meeting=str(upcoming_id), title="Mine now"
    )
    assert member_edit.ephemeral and "Only the meeting's organiser" in member_edit.text
    unknown = await sandbox.user("alice").slash("meeting info", meeting="Smart Lampposts Summit")
    assert unknown.ephemeral and "No meeting matches" in (unknown.content or "")

    # Past meetings list separately; the recorded one is there.
    past_list = await sandbox.user("alice").slash("meeting list", when="past")
    assert "Action Clusters Meeting" in past_list.text and f"#{meeting_id}" in past_list.text
    coming = await sandbox.user("alice").slash("meeting list")
    assert "Workshop day" in coming.text and "Action Clusters Meeting" not in coming.text

    # Autocomplete: zones, ";" lists of initiatives, meetings by title.
    alice = sandbox.user("alice")
    zones = await alice.autocomplete("meeting create", "zone", "brus")
    assert zones[0]["value"] == "Europe/Brussels"
    lists = await alice.autocomplete("meeting create", "initiatives", "Humble Lamppost; urban dat")
    assert lists and all(c["value"].startswith("Humble Lamppost; ") for c in lists)
    assert any("Urban Data" in c["value"] for c in lists)
    created = await create_meeting(
        sandbox, "Small Giants kick-off", start=f"{next_year_day()} 14:00", end="2h"
    )
    meeting_id = meeting_id_of(created)
    found = await alice.autocomplete("meeting info", "meeting", "giants")
    assert found[0]["value"] == str(meeting_id) and "Small Giants kick-off" in found[0]["name"]
    by_title = await alice.slash("meeting info", meeting="small giants kick-off")
    assert by_title.embed is not None and by_title.embed["title"] == "Small Giants kick-off"

    # Enough meetings for two pages: Next turns the page (state in the button's custom_id).
    for number in range(8):
        await create_meeting(
            sandbox,
            f"Urban Data Platform sprint {number + 1}",
            start=f"{day} 1{number}:00",
            end="30m",
        )
    first = await alice.slash("meeting list")
    assert first.embed is not None and "Page 1 of 2" in first.embed["footer"]["text"]
    second = await alice.click(first, "Next ▶")
    assert "Page 2 of 2" in (second.embed or {})["footer"]["text"]
    assert "Urban Data Platform sprint 8" in second.text

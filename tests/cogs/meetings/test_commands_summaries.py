"""What /meeting create and edit say about reminders is what was stored, in /meeting info's
words; /meeting info points only at buttons that exist; the form's limits are Discord's."""

from __future__ import annotations

import re

import pytest

from bot.runtime import RunningAgora
from bot.services.meetings.service import MAX_DESCRIPTION, MAX_TITLE
from discord_sandbox import Sandbox
from discord_sandbox.driver import CommandError
from tests.support.meetings_e2e import (
    create_meeting,
    field,
    iso_in,
    meeting_id_of,
    stored_meetings,
)

DAY, HOUR = 86400, 3600


async def stored_reminders(agora: RunningAgora, sandbox: Sandbox, meeting_id: int) -> int:
    rows = await agora.bot.services.reminders.upcoming_for_meeting(
        int(sandbox.guild.id), meeting_id
    )
    return len(rows)


async def info_reminders(sandbox: Sandbox, meeting_id: int) -> str:
    info = await sandbox.user("carol").slash("meeting info", meeting=str(meeting_id))
    return field({"embeds": [info.embed]}, "Reminders")


async def test_a_one_off_meeting_reports_the_reminders_it_stored(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    created = await create_meeting(
        sandbox, "Lamppost pilot review", start=iso_in(3 * DAY), end="1h"
    )
    meeting_id = meeting_id_of(created)
    assert await stored_reminders(agora, sandbox, meeting_id) == 3
    assert "3 reminders scheduled: 1d before, 1h before, at start; the next <t:" in created.text
    assert await info_reminders(sandbox, meeting_id) == "1d before, 1h before, at start"
    assert "(s)" not in created.text

    # Moved to this afternoon: the day-before reminder can no longer go out, and says so.
    edited = await sandbox.user("admin").slash(
        "meeting edit", meeting=str(meeting_id), start=iso_in(3 * HOUR)
    )
    assert await stored_reminders(agora, sandbox, meeting_id) == 2
    assert "2 reminders scheduled: 1h before, at start (1d before: already past)" in edited.text
    assert "re-timed" not in edited.text and "(s)" not in edited.text

    one = await sandbox.user("admin").slash(
        "meeting edit", meeting=str(meeting_id), reminders="30m"
    )
    assert await stored_reminders(agora, sandbox, meeting_id) == 1
    assert "1 reminder scheduled: 30m before;" in one.text


async def test_a_weekly_meeting_reports_the_reminders_it_stored(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    # Three weeks ahead: no date is near enough for a reminder row yet.
    later = await create_meeting(
        sandbox, "Cluster call", start=iso_in(21 * DAY), end="1h", repeat="weekly:1"
    )
    later_id = meeting_id_of(later)
    assert await stored_reminders(agora, sandbox, later_id) == 0
    assert await info_reminders(sandbox, later_id) == "1d before, 1h before, at start"
    assert (
        "Reminders 1d before, 1h before, at start for each date: 0 scheduled so far "
        "(each date's are scheduled 8 days ahead)."
    ) in later.text

    # Starting in a day and a half: two dates within reach, three reminders each.
    soon = await create_meeting(
        sandbox, "Stand-up", start=iso_in(DAY + 12 * HOUR), end="1h", repeat="weekly:1"
    )
    soon_id = meeting_id_of(soon)
    stored = await stored_reminders(agora, sandbox, soon_id)
    assert f"at start for each date: {stored} scheduled so far" in soon.text

    edited = await sandbox.user("admin").slash(
        "meeting edit", meeting=str(soon_id), start=iso_in(DAY + 14 * HOUR)
    )
    stored = await stored_reminders(agora, sandbox, soon_id)
    counted = re.search(r"for each date: (\d+) scheduled so far", edited.text)
    assert counted is not None and int(counted.group(1)) == stored
    assert "re-timed" not in edited.text


async def test_info_points_only_at_buttons_that_exist(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    created = await create_meeting(
        sandbox, "Lamppost pilot review", start=iso_in(3 * DAY), end="1h"
    )
    meeting_id = meeting_id_of(created)
    posted = [
        m
        for m in sandbox.messages("announcements")
        if m["embeds"] and f"Meeting #{meeting_id}" in m["embeds"][0]["footer"]["text"]
    ]
    assert posted and posted[0]["components"]  # the announcement has the RSVP buttons...
    assert "answer with the buttons" in posted[0]["embeds"][0]["footer"]["text"]

    info = await sandbox.user("carol").slash("meeting info", meeting=str(meeting_id))
    assert info.message is not None and not info.message["components"]  # ...info has none
    footer = (info.embed or {})["footer"]["text"]
    assert "answer with the buttons" not in footer
    assert footer == (
        f"Meeting #{meeting_id} · answer on its announcement, or mark Interested on the event"
    )


async def test_the_form_carries_the_limits_the_service_enforces(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    admin = sandbox.user("admin")
    opened = await admin.slash("meeting create", start=iso_in(3 * DAY), end="1h")
    assert opened.modal is not None
    inputs = {
        c["custom_id"]: c
        for row in opened.modal["components"]
        for c in ([row["component"]] if "component" in row else row["components"])
    }
    assert inputs["title"]["max_length"] == MAX_TITLE == 100
    assert inputs["title"]["min_length"] == 1 and inputs["title"]["required"] is True
    assert inputs["description"]["max_length"] == MAX_DESCRIPTION == 1000

    # Discord's client never submits a longer value: the driver refuses it, clearly.
    with pytest.raises(CommandError, match="'Title' takes at most 100 characters, not 319"):
        await admin.submit_modal({"Title": "x" * 319, "Description": ""})
    assert await stored_meetings(agora, sandbox) == 0

    opened = await admin.slash("meeting create", start=iso_in(3 * DAY), end="1h")
    done = await admin.submit_modal({"Title": "x" * 100, "Description": "y" * 1000})
    assert meeting_id_of(done) and await stored_meetings(agora, sandbox) == 1

"""``/meeting create`` keeps what it was given in the database: a form left open while
Agora restarts is still answered, and nothing of it lingers afterwards."""

from __future__ import annotations

from typing import Any

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox, UserDriver
from tests.conftest import AgoraStarter
from tests.support.meetings_e2e import meeting_id_of, next_year_day


async def _draft_rows(agora: RunningAgora) -> int:
    row = await agora.bot.store.db.fetch_one("SELECT count(*) FROM meeting_drafts")
    assert row is not None
    return int(row[0])


async def _open_form(sandbox: Sandbox, **options: Any) -> UserDriver:
    """The organiser runs /meeting create; the form is open (a draft is stored)."""
    organiser = sandbox.user("admin")
    opened = await organiser.slash(
        "meeting create", start=f"{next_year_day()} 09:00", end="3h", **options
    )
    assert opened.modal is not None, opened.text
    return organiser


async def test_a_form_open_across_a_restart_still_creates_the_meeting(
    sandbox: Sandbox, agora: RunningAgora, start_agora_fn: AgoraStarter
) -> None:
    organiser = await _open_form(sandbox, venue="Hotel Metropole", cap=40)
    assert await _draft_rows(agora) == 1
    await agora.stop()

    again = await start_agora_fn()
    result = await organiser.submit_modal(
        {"Title": "Action Clusters Meeting", "Description": "Plenaries and pitches"}
    )
    assert "Action Clusters Meeting" in result.text, result.text
    meeting = await again.bot.store.meetings.get(int(sandbox.guild.id), meeting_id_of(result))
    assert meeting.location.name == "Hotel Metropole"
    assert meeting.attendee_cap == 40
    assert meeting.description == "Plenaries and pitches"
    assert await _draft_rows(again) == 0


async def test_a_refused_title_leaves_no_draft_behind(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    organiser = await _open_form(sandbox)
    result = await organiser.submit_modal({"Title": "   ", "Description": ""})
    assert result.ephemeral and "title" in result.text.lower(), result.text
    assert await _draft_rows(agora) == 0


async def test_forgetting_the_organiser_erases_an_open_form(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    organiser = await _open_form(sandbox)
    shown = await organiser.slash("privacy show")
    assert "/meeting create form" in str(shown.embed)  # /privacy show lists it
    asked = await organiser.slash("privacy forget")
    await organiser.click(asked, "Erase my data")
    assert await _draft_rows(agora) == 0

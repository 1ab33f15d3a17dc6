"""/remind offsets: with no value it only shows the server's reminder times; resetting to
the default is an explicit `offsets:default`, confirmed in the reply."""

from __future__ import annotations

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from tests.support.meetings_e2e import create_meeting, meeting_id_of, next_year_day


async def stored_offsets(agora: RunningAgora, sandbox: Sandbox) -> tuple[int, ...] | None:
    settings = await agora.bot.store.guilds.get(int(sandbox.guild.id))
    return settings.reminder_offsets


async def reminder_times(agora: RunningAgora, sandbox: Sandbox, meeting_id: int) -> list[int]:
    rows = await agora.bot.services.reminders.upcoming_for_meeting(
        int(sandbox.guild.id), meeting_id
    )
    return sorted(row.offset_seconds for row in rows)


async def test_looking_changes_nothing_and_default_resets(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    admin, alice = sandbox.user("admin"), sandbox.user("alice")
    created = await create_meeting(
        sandbox, "Lamppost pilot review", start=f"{next_year_day()} 10:00", end="1h"
    )
    meeting_id = meeting_id_of(created)

    # The configured default, shown as such; nothing stored.
    shown = await admin.slash("remind offsets")
    assert shown.ephemeral
    assert "reminded 1d before, 1h before, at start: Agora's default" in shown.content
    assert await stored_offsets(agora, sandbox) is None

    done = await admin.slash("remind offsets", offsets="2d, 2h")
    assert "now reminded 2d before, 2h before" in done.content
    assert await reminder_times(agora, sandbox, meeting_id) == [7200, 172800]

    # Looking, by an admin or by a member, leaves the server's choice and the reminders alone.
    for who in (admin, alice):
        calls = len(sandbox.log)
        look = await who.slash("remind offsets")
        assert look.ephemeral
        assert "reminded 2d before, 2h before, as set for this server" in look.content
        assert "the default is 1d before, 1h before, at start" in look.content
        assert "`/remind offsets offsets:default`" in look.content
        assert [c.method for c in sandbox.log[calls:]] == ["POST"]  # the answer, nothing else
        assert await stored_offsets(agora, sandbox) == (172800, 7200)
        assert await reminder_times(agora, sandbox, meeting_id) == [7200, 172800]

    # A member cannot reset either.
    refused = await alice.slash("remind offsets", offsets="default")
    assert refused.ephemeral and "Only admins" in refused.content
    assert await stored_offsets(agora, sandbox) == (172800, 7200)

    # Resetting is a choice, confirmed; a second time says nothing changed.
    reset = await admin.slash("remind offsets", offsets="Default")
    assert reset.ephemeral
    assert reset.content == (
        "Back to the default: meetings without their own reminder times are now reminded "
        "1d before, 1h before, at start. Upcoming meetings were re-planned."
    )
    assert await stored_offsets(agora, sandbox) is None
    assert await reminder_times(agora, sandbox, meeting_id) == [0, 3600, 86400]
    again = await admin.slash("remind offsets", offsets="default")
    assert "already uses the default reminder times" in again.content
    assert "Nothing changed" in again.content

"""Reminders observed firing for real: offsets in seconds, a meeting a few seconds ahead.

Each reminder reaches #announcements and the linked initiative channel once, with a
deterministic nonce; opted-in members get a DM; a session reminder pings only its
initiative's role; /remind dm on|off and the server's offsets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from tests.support.meetings_e2e import (
    MESSAGES,
    announcement,
    create_meeting,
    expect_call,
    link_lamppost,
    meeting_id_of,
    reminder_posts,
    rsvp,
)


@pytest.fixture
def agora_config_overrides() -> dict[str, dict[str, object]]:
    return {"meetings": {"reminder_offsets": ["3s", "0s"]}}


async def test_reminders_fire_once_per_channel(sandbox: Sandbox, agora: RunningAgora) -> None:
    lamppost, role_id = await link_lamppost(sandbox, agora)
    bob = sandbox.user("bob")
    on = await bob.slash("remind dm on")
    assert on.ephemeral and "**on**" in (on.content or "")
    off = await sandbox.user("carol").slash("remind dm off")
    assert off.ephemeral and "**off**" in (off.content or "")

    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=6)
    session_start = start + timedelta(minutes=10) - timedelta(seconds=2)
    created = await create_meeting(
        sandbox,
        "Humble Lamppost demo",
        start=start.isoformat(),
        end="1h",
        initiatives="Humble Lamppost",
    )
    meeting_id = meeting_id_of(created)
    await sandbox.user("admin").slash(
        "meeting session add",
        meeting=str(meeting_id),
        title="Lamppost pitch",
        start=session_start.isoformat(),
        end="15m",
        kind="pitch",
        initiative="Humble Lamppost",
    )
    posted = announcement(sandbox, "announcements", meeting_id)
    await rsvp(sandbox, "bob", posted, "Going")
    await rsvp(sandbox, "carol", posted, "Going")

    last_channel = expect_call(
        sandbox,
        method="POST",
        route=MESSAGES,
        where=lambda c: (
            "starting now" in str(c.body) and c.path == f"/channels/{lamppost}/messages"
        ),
        timeout=20,
    )
    last_dm = expect_call(
        sandbox,
        method="POST",
        route=MESSAGES,
        where=lambda c: (
            "starting now" in str(c.body)
            and c.path not in (f"/channels/{lamppost}/messages",)
            and sandbox.channel("announcements").id not in c.path
        ),
        timeout=20,
    )
    await last_channel
    await last_dm

    for channel in ("announcements", lamppost):
        assert len(reminder_posts(sandbox, channel, "⏰ **Humble Lamppost demo** starts")) == 1
        assert len(reminder_posts(sandbox, channel, "is starting now")) == 1
    session = reminder_posts(sandbox, lamppost, "Session **Lamppost pitch**")
    assert len(session) == 1 and session[0]["content"].startswith(f"<@&{role_id}>")
    assert session[0]["mention_roles"] == [role_id]
    everything = reminder_posts(sandbox, "announcements") + reminder_posts(sandbox, lamppost)
    assert not any(m["mention_everyone"] for m in everything)
    assert all(not m["mention_roles"] for m in everything if "Session" not in m["content"])
    # Bob opted in (and answered Going): one DM per meeting reminder, none for the session.
    bob_dms = [m["content"] for m in sandbox.dms("bob") if str(m.get("nonce", "")).startswith("r")]
    assert len(bob_dms) == 2 and "is starting now" in bob_dms[-1]
    assert sandbox.dms("carol") == []
    # Every reminder call carried a nonce and enforce_nonce.
    calls = [
        c
        for c in sandbox.log.find("POST", MESSAGES)
        if str(c.body.get("nonce", "")).startswith("r")
    ]
    assert calls and all(c.body.get("enforce_nonce") is True for c in calls)
    guild_id = int(sandbox.guild.id)
    # The last sends were seen on the wire; their rows are recorded once the pass ends.
    reminders = agora.bot.services.reminders
    in_flight = {r.id for r in await reminders.upcoming_for_meeting(guild_id, meeting_id)}
    await agora.bot.services.reminder_dispatcher.wait_for_dispatch(
        lambda report: in_flight <= {*report.sent, *report.late_sent}
    )
    assert await reminders.upcoming_for_meeting(guild_id, meeting_id) == []

    # The server's own offsets: admins only, re-plan, reset to the configured ones.
    refused = await sandbox.user("alice").slash("remind offsets", offsets="2h")
    assert refused.ephemeral and "Only admins" in (refused.content or "")
    bad = await sandbox.user("admin").slash("remind offsets", offsets="2 fortnights")
    assert bad.ephemeral
    done = await sandbox.user("admin").slash("remind offsets", offsets="2d, 2h, 0s")
    assert "2d before, 2h before, at start" in (done.content or "")
    reset = await sandbox.user("admin").slash("remind offsets", offsets="default")
    assert "3s before, at start" in (reset.content or "")

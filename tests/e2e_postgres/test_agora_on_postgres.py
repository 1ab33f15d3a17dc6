"""Agora against PostgreSQL, end to end: the sandbox, the unmodified discord.py client, and
``[database] url = "postgresql://..."`` on the suite's own server (the rest of the
end-to-end suite keeps SQLite). A lookup, a join, a meeting with an RSVP and a reminder
that fires, and a restart that keeps all of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.runtime import RunningAgora
from bot.storage.postgres import PostgresDatabase
from discord_sandbox import Sandbox
from tests.conftest import AgoraStarter
from tests.support.meetings_e2e import (
    MESSAGES,
    announcement,
    create_meeting,
    expect_call,
    meeting_id_of,
    reminder_posts,
    rsvp,
)
from tests.support.postgres import PostgresServer


@pytest.fixture
async def agora_config_overrides(postgres_server: PostgresServer) -> dict[str, dict[str, object]]:
    # An empty database: Agora migrates it at start, as on a first deployment.
    url = await postgres_server.new_database(migrated=False)
    return {"database": {"url": url}, "meetings": {"reminder_offsets": ["3s", "0s"]}}


async def test_agora_runs_on_postgresql_and_keeps_its_state_across_a_restart(
    sandbox: Sandbox, seeded: RunningAgora, start_agora_fn: AgoraStarter
) -> None:
    assert isinstance(seeded.bot.store.db, PostgresDatabase)
    alice = sandbox.user("alice")

    info = await alice.slash("initiative info", initiative="Humble Lamppost")
    assert info.embed is not None and info.embed["title"] == "Humble Lamppost", info.text
    joined = await alice.slash("initiative join", initiative="humble-lamppost")
    assert joined.content == "Welcome to **Humble Lamppost**!", joined.text
    assert sandbox.role("Humble Lamppost").id in sandbox.member(alice).roles

    lamppost = sandbox.channel("humble-lamppost").id
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
    created = await create_meeting(
        sandbox,
        "Lamppost on PostgreSQL",
        start=start.isoformat(),
        end="1h",
        initiatives="Humble Lamppost",
    )
    meeting_id = meeting_id_of(created)
    posted = announcement(sandbox, "announcements", meeting_id)
    _, confirmation = await rsvp(sandbox, "bob", posted, "Going")
    assert "going" in confirmation.lower(), confirmation

    starting = expect_call(
        sandbox,
        method="POST",
        route=MESSAGES,
        where=lambda c: (
            "starting now" in str(c.body) and c.path == f"/channels/{lamppost}/messages"
        ),
        timeout=20,
    )
    await starting
    assert reminder_posts(sandbox, lamppost, "starting now")

    await seeded.stop()
    again = await start_agora_fn()
    assert isinstance(again.bot.store.db, PostgresDatabase)
    guild_id = int(sandbox.guild.id)
    meeting = await again.bot.store.meetings.get(guild_id, meeting_id)
    assert meeting.title == "Lamppost on PostgreSQL"
    answers = await again.bot.store.meetings.rsvps(meeting_id)
    assert [(a.user_id, a.answer) for a in answers] == [(int(sandbox.user("bob").id), "going")]
    sent = await again.bot.store.reminders.for_meeting(meeting_id, ("sent", "late_sent"))
    assert sent, "the reminder that fired is recorded as sent"
    me = await alice.slash("me")
    assert me.embed is not None and "Humble Lamppost" in me.embed["description"], me.text
    listed = await alice.slash("meeting list")
    assert "Lamppost on PostgreSQL" in listed.text, listed.text

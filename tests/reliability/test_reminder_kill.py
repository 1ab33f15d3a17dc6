"""Exactly once across a restart, in process: Agora stopped around a due reminder.

1. Stopped just before the reminder falls due, restarted: the new instance re-arms
   from the database and sends it, once per channel.
2. Crashed in the middle of sending (the dispatch cancelled after the first channel's
   message went out, while the second channel's request is in flight): the row is
   left "sending"; after the restart it is sent again with the same nonces, and the
   sandbox (like Discord) answers a repeated nonce with the message it already has.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import Config
from bot.runtime import RunningAgora
from bot.storage.store import Store
from discord_sandbox import Sandbox
from tests.conftest import AgoraStarter
from tests.support.meetings_e2e import (
    MESSAGES,
    create_meeting,
    expect_call,
    link_lamppost,
    meeting_id_of,
    reminder_posts,
)

REMINDER = "⏰ **Lamppost pilot review** starts"


@pytest.fixture
def agora_config_overrides() -> dict[str, dict[str, object]]:
    return {"meetings": {"reminder_offsets": ["4s"]}}


async def plan_meeting(sandbox: Sandbox, running: RunningAgora, seconds: int) -> tuple[int, str]:
    """A meeting starting ``seconds`` ahead, for Humble Lamppost: due ``seconds - 4`` ahead."""
    lamppost, _ = await link_lamppost(sandbox, running)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)
    created = await create_meeting(
        sandbox,
        "Lamppost pilot review",
        start=start.isoformat(),
        end="1h",
        initiatives="Humble Lamppost",
    )
    return meeting_id_of(created), lamppost


def reminder_call(channel_id: str) -> object:
    return lambda call: (
        call.path == f"/channels/{channel_id}/messages" and REMINDER in str(call.body)
    )


async def sent_by(running: RunningAgora, meeting_id: int) -> None:
    """Wait until the instance has recorded the reminder as sent (its dispatch report)."""
    dispatcher = running.bot.services.reminder_dispatcher
    await dispatcher.wait_for_dispatch(lambda report: bool(report.sent))


async def reminder_states(config: Config, meeting_id: int) -> list[str]:
    store = await Store.open(config.database.path)
    try:
        return [r.state for r in await store.reminders.for_meeting(meeting_id)]
    finally:
        await store.close()


async def crash_mid_dispatch(running: RunningAgora) -> None:
    """Cancel the reminder dispatch where it stands, then bring the rest down."""
    dispatches = [
        task
        for task in asyncio.all_tasks()
        if getattr(task.get_coro(), "__qualname__", "") == "run_coroutine_job"
    ]
    assert dispatches, "the reminder dispatch should be running"
    for task in dispatches:
        task.cancel()
    await asyncio.gather(*dispatches, return_exceptions=True)
    await running.stop()


async def test_stopped_before_due_sends_once_after_restart(
    sandbox: Sandbox, start_agora_fn: AgoraStarter, agora_config: Config
) -> None:
    running = await start_agora_fn()
    meeting_id, lamppost = await plan_meeting(sandbox, running, seconds=7)
    await running.stop()  # down ~2 s before the reminder is due
    assert await reminder_states(agora_config, meeting_id) == ["pending"]
    # While Agora is down, Bob marks "Interested" on the event: counted after the restart.
    (event,) = sandbox.guild.scheduled_events.values()
    await sandbox.user("bob").interested(event)
    last = expect_call(sandbox, method="POST", route=MESSAGES, where=reminder_call(lamppost))
    recount = expect_call(sandbox, method="PATCH", route=MESSAGES + "/{message_id}")
    restarted = await start_agora_fn()
    await last
    await sent_by(restarted, meeting_id)
    await recount
    going = await restarted.bot.services.rsvp.attendees(int(sandbox.guild.id), meeting_id)
    assert going.going == (int(sandbox.user("bob").id),)
    assert len(reminder_posts(sandbox, "announcements", REMINDER)) == 1
    assert len(reminder_posts(sandbox, lamppost, REMINDER)) == 1
    assert await reminder_states(agora_config, meeting_id) == ["sent"]


async def test_crash_mid_send_sends_once_after_restart(
    sandbox: Sandbox, start_agora_fn: AgoraStarter, agora_config: Config
) -> None:
    running = await start_agora_fn()
    meeting_id, lamppost = await plan_meeting(sandbox, running, seconds=6)
    announcements = sandbox.channel("announcements").id
    # The second channel's send is slow, so the crash lands while it is in flight.
    sandbox.delay_next(f"POST /channels/{lamppost}/messages", 0.5)
    first = expect_call(sandbox, method="POST", route=MESSAGES, where=reminder_call(announcements))
    await first
    await crash_mid_dispatch(running)
    assert await reminder_states(agora_config, meeting_id) == ["sending"]
    assert len(reminder_posts(sandbox, "announcements", REMINDER)) == 1

    resent = expect_call(sandbox, method="POST", route=MESSAGES, where=reminder_call(lamppost))
    restarted = await start_agora_fn()
    call = await resent
    await sent_by(restarted, meeting_id)
    assert call.status == 200
    assert len(reminder_posts(sandbox, "announcements", REMINDER)) == 1
    assert len(reminder_posts(sandbox, lamppost, REMINDER)) == 1
    # The announcements channel got the same nonce twice: deduplicated, not reposted.
    nonces = [
        c.body["nonce"]
        for c in sandbox.log.find("POST", MESSAGES)
        if c.path == f"/channels/{announcements}/messages" and REMINDER in str(c.body)
    ]
    assert len(nonces) == 2 and nonces[0] == nonces[1]
    assert await reminder_states(agora_config, meeting_id) == ["sent"]

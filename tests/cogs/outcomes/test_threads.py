"""A meeting ends: its outcome threads open once (the meeting's in #announcements, a
session's in its initiative's channel), and when its last session ends the summary is
posted once in #announcements; across a restart before the end, after it, and a crash in
the middle of opening the threads, nothing is opened or posted twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.config import Config
from bot.runtime import RunningAgora
from bot.services.meetings.reminder_scheduler import DispatchReport
from bot.storage.store import Store
from discord_sandbox import Sandbox
from tests.conftest import AgoraStarter
from tests.support.meetings_e2e import (
    MESSAGES,
    bot_posts,
    expect_call,
    link_lamppost,
    next_year_day,
)
from tests.support.outcomes_e2e import add_outcome, meeting_ending_soon

THREAD_ROUTE = "/channels/{channel_id}/messages/{message_id}/threads"
TITLE = "Action Clusters Meeting"


def outcome_posts(sandbox: Sandbox, channel: str | int) -> list[dict[str, Any]]:
    """Agora's posts sent by an outcomes timer (nonce "o…")."""
    return [m for m in bot_posts(sandbox, channel) if str(m.get("nonce") or "").startswith("o")]


def threads_of(sandbox: Sandbox, channel: str | int) -> list[Any]:
    parent = sandbox.channel(channel).id
    return [c for c in sandbox.state.channels.values() if c.parent_id == parent and c.is_thread]


async def dispatched(running: RunningAgora, count: int, within: float = 20) -> None:
    """Wait until this instance's outcome dispatcher has sent ``count`` timers."""

    def enough(_: DispatchReport) -> bool:
        reports = running.bot.services.outcome_dispatcher.reports
        return sum(len(r.sent) + len(r.late_sent) for r in reports) >= count

    await running.bot.services.outcome_dispatcher.wait_for_dispatch(enough, within)


async def timer_states(config: Config, meeting_id: int) -> dict[str, str]:
    store = await Store.open(config.database.path)
    try:
        return {t.slot: t.state for t in await store.outcome_timers.for_meeting(meeting_id)}
    finally:
        await store.close()


async def test_the_end_opens_threads_and_posts_the_summary_once(
    sandbox: Sandbox, agora: RunningAgora, start_agora_fn: AgoraStarter
) -> None:
    lamp, _ = await link_lamppost(sandbox, agora)
    bob = await sandbox.join("bob")
    meeting_id, (workshop, plenary) = await meeting_ending_soon(
        sandbox,
        agora,
        TITLE,
        lasts=6,
        sessions=[
            {
                "title": "Lamppost workshop",
                "kind": "cluster_workshop",
                "initiative": "Humble Lamppost",
            },
            {"title": "Closing plenary", "kind": "plenary"},
        ],
    )
    # Recorded through the form during the meeting: one of each kind.
    admin = "admin"
    decision = await add_outcome(
        sandbox, admin, meeting_id, "decision", "Share sensor data openly", session=str(workshop)
    )
    assert "Recorded decision #1" in decision.text, decision.text
    action = await add_outcome(
        sandbox,
        admin,
        meeting_id,
        "action",
        "Write the pilot report",
        owner=bob.user.username,
        due=f"{next_year_day()} 12:00",
    )
    assert f"Owner: <@{bob.id}>" in action.text, action.text
    link = await add_outcome(
        sandbox,
        admin,
        meeting_id,
        "link",
        "Slides",
        "https://slides.example.org/deck",
        session=str(plenary),
    )
    assert "Recorded link #3" in link.text
    note = await add_outcome(sandbox, admin, meeting_id, "note", "Next time: longer breaks")
    assert "Recorded note #4" in note.text

    await dispatched(agora, 2)  # the threads, then the summary (or both in one pass)
    announcements = outcome_posts(sandbox, "announcements")
    opening = [m for m in announcements if "has ended" in m["content"]]
    assert len(opening) == 1 and f"/outcome add meeting:{meeting_id}`" in opening[0]["content"]
    (lamp_opening,) = outcome_posts(sandbox, lamp)
    assert "Lamppost workshop" in lamp_opening["content"]
    assert f"session:{workshop}" in lamp_opening["content"]
    assert [t.name for t in threads_of(sandbox, "announcements")] == [f"Outcomes: {TITLE}"]
    assert [t.name for t in threads_of(sandbox, lamp)] == [
        "Outcomes: Cluster workshop: Lamppost workshop"
    ]
    (summary,) = [m for m in announcements if m["embeds"]]
    embed = summary["embeds"][0]
    assert embed["title"] == f"Outcomes of {TITLE}"
    body = embed["description"]
    for expected in (
        "Share sensor data openly",
        f"**#2** Write the pilot report — <@{bob.id}>, due <t:",
        "[Slides](https://slides.example.org/deck) (slides.example.org)",
        "Next time\\: longer breaks",  # typed text shown as typed
    ):
        assert expected in body, body
    assert not summary["mentions"] and not summary["mention_everyone"]
    # No plenary thread: a session for everyone is covered by the meeting's own.
    assert len(threads_of(sandbox, "announcements")) == 1

    # Restarted after the end: nothing is due any more, nothing is sent again.
    await agora.stop()
    again = await start_agora_fn()
    # Only Bob's reminders are still to come, next year.
    next_at = await again.bot.services.outcome_dispatcher.rearm()
    assert next_at is not None and next_at > datetime.now(UTC) + timedelta(days=30)
    await sandbox.drain_gateway()
    assert len(outcome_posts(sandbox, "announcements")) == len(announcements)
    assert len(outcome_posts(sandbox, lamp)) == 1
    # The same summary on demand, for anyone.
    shown = await sandbox.user("bob").slash("meeting summary", meeting=str(meeting_id))
    assert shown.embed is not None and shown.embed["description"] == body


async def test_stopped_before_the_end_the_threads_open_once_after_the_restart(
    sandbox: Sandbox, start_agora_fn: AgoraStarter, agora_config: Config
) -> None:
    running = await start_agora_fn()
    lamp, _ = await link_lamppost(sandbox, running)
    meeting_id, _ = await meeting_ending_soon(
        sandbox,
        running,
        TITLE,
        starts_in=2,
        lasts=5,
        sessions=[
            {
                "title": "Lamppost workshop",
                "kind": "cluster_workshop",
                "initiative": "Humble Lamppost",
            }
        ],
    )
    await running.stop()  # down a few seconds before the end
    assert await timer_states(agora_config, meeting_id) == {
        "threads": "pending",
        "summary": "pending",
    }
    restarted = await start_agora_fn()
    await dispatched(restarted, 2)
    assert len(threads_of(sandbox, "announcements")) == 1
    assert len(threads_of(sandbox, lamp)) == 1
    assert len([m for m in outcome_posts(sandbox, "announcements") if m["embeds"]]) == 1
    assert await timer_states(agora_config, meeting_id) == {"threads": "sent", "summary": "sent"}


async def timer_id(config: Config, meeting_id: int, slot: str) -> int:
    store = await Store.open(config.database.path)
    try:
        rows = await store.outcome_timers.for_meeting(meeting_id)
    finally:
        await store.close()
    return next(t.id for t in rows if t.slot == slot)


async def crash_mid_dispatch(running: RunningAgora) -> None:
    """Cancel the dispatch where it stands, then bring the rest down."""
    dispatches = [
        task
        for task in asyncio.all_tasks()
        if getattr(task.get_coro(), "__qualname__", "") == "run_coroutine_job"
    ]
    assert dispatches, "the outcome dispatch should be running"
    for task in dispatches:
        task.cancel()
    await asyncio.gather(*dispatches, return_exceptions=True)
    await running.stop()


async def test_a_crash_while_opening_threads_opens_each_once(
    sandbox: Sandbox, start_agora_fn: AgoraStarter, agora_config: Config
) -> None:
    running = await start_agora_fn()
    lamp, _ = await link_lamppost(sandbox, running)
    meeting_id, _ = await meeting_ending_soon(
        sandbox,
        running,
        TITLE,
        lasts=4,
        sessions=[
            {
                "title": "Lamppost workshop",
                "kind": "cluster_workshop",
                "initiative": "Humble Lamppost",
            }
        ],
    )
    announcements = sandbox.channel("announcements").id
    # The meeting's thread is opened; the session's opening post is slow: the crash lands
    # while it is in flight.
    sandbox.delay_next(f"POST /channels/{lamp}/messages", 0.5)
    first_thread = expect_call(
        sandbox,
        method="POST",
        route=THREAD_ROUTE,
        where=lambda call: call.path.startswith(f"/channels/{announcements}/"),
        timeout=20,
    )
    lamp_post = expect_call(
        sandbox,
        method="POST",
        route=MESSAGES,
        where=lambda call: call.path == f"/channels/{lamp}/messages",
        timeout=20,
    )
    await first_thread
    await crash_mid_dispatch(running)
    assert (await timer_states(agora_config, meeting_id))["threads"] == "sending"
    threads_timer = await timer_id(agora_config, meeting_id, "threads")

    restarted = await start_agora_fn()
    await restarted.bot.services.outcome_dispatcher.wait_for_dispatch(
        lambda report: threads_timer in report.sent + report.late_sent, 20
    )
    await lamp_post
    await sandbox.drain_gateway()
    # Each opening post once (the same nonce again is answered with the first), each
    # thread once (a post holds one thread): one per place.
    assert len([m for m in outcome_posts(sandbox, announcements) if not m["embeds"]]) == 1
    assert len(outcome_posts(sandbox, lamp)) == 1
    assert len(threads_of(sandbox, announcements)) == 1
    assert len(threads_of(sandbox, lamp)) == 1
    recorded = await restarted.bot.store.outcomes.threads(int(sandbox.guild.id), meeting_id)
    assert [t.session_id for t in recorded] == sorted(t.session_id for t in recorded)
    assert len(recorded) == 2
    assert (await timer_states(agora_config, meeting_id))["threads"] in ("sent", "late_sent")

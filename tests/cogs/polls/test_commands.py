"""/poll end to end through the sandbox: a poll of three times posted where a meeting for
its initiative would be, answered by members (tallies update, nobody named), the names
for whoever asks (ephemeral), closed with a tie, Create meeting opening /meeting create's
form filled in and creating the meeting, the DM to Yes voters who opted in; a poll that
lives through a restart: answers kept, buttons still working, the deadline firing once;
and /privacy show and forget covering poll answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from bot.cogs.polls.publish import PollPublisher
from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from tests.conftest import AgoraStarter
from tests.support.discussions import rows_naming_user
from tests.support.meetings_e2e import link_lamppost, next_year_day
from tests.support.polls_e2e import labels, poll_messages, results_of, tallies

TITLE = "Lamppost pilot review"


def _publisher(running: RunningAgora) -> PollPublisher:
    return cast(PollPublisher, cast(Any, running.bot.get_cog("Polls")).publisher)


def unix(day: str, clock: str) -> int:
    return int(datetime.fromisoformat(f"{day}T{clock}:00+02:00").timestamp())


async def test_a_poll_from_times_to_a_meeting(sandbox: Sandbox, agora: RunningAgora) -> None:
    lamppost, _ = await link_lamppost(sandbox, agora)
    admin = sandbox.user("admin")
    guild_id = int(sandbox.guild.id)
    days = [next_year_day(6, d) for d in (22, 23, 24)]

    created = await admin.slash(
        "poll create",
        title=TITLE,
        slots=f"{days[1]} 14:00; {days[0]} 09:00; {days[2]} 10:00",
        initiatives="Humble Lamppost",
        zone="Europe/Brussels",
        length="90m",
    )
    assert created.ephemeral, created.text
    assert "Poll #1" in created.text and "3 times" in created.text, created.text
    announcements = sandbox.channel("announcements").id
    assert f"<#{announcements}>" in created.text and f"<#{lamppost}>" in created.text
    (posted,) = poll_messages(sandbox, "announcements", 1)
    (in_lamppost,) = poll_messages(sandbox, lamppost, 1)
    embed = posted["embeds"][0]
    assert embed["title"] == f"📊 {TITLE}"
    assert "Humble Lamppost" in embed["description"]
    # One row per time, in time order, read in Brussels.
    assert [f["value"].split("\n")[0] for f in embed["fields"]] == [
        f"<t:{unix(days[0], '09:00')}:F>",
        f"<t:{unix(days[1], '14:00')}:F>",
        f"<t:{unix(days[2], '10:00')}:F>",
    ]
    assert labels(posted) == [f"{n} · {a}" for n in (1, 2, 3) for a in ("Yes", "If need be", "No")]

    # -- two members answer; changing an answer is one click ----------------------------
    await sandbox.user("carol").slash("remind dm on")
    await sandbox.user("dave").slash("remind dm on")
    clicked = await sandbox.user("alice").click(posted, "1 · Yes")
    said = (await clicked.wait_followups())[0]
    assert said["flags"] & 64 and "**Yes**" in said["content"]
    await sandbox.user("alice").click(posted, "2 · Yes")
    await sandbox.user("bob").click(posted, "2 · No")
    changed = await sandbox.user("bob").click(in_lamppost, "2 · Yes")
    assert "No change" not in (await changed.wait_followups())[0]["content"]
    await sandbox.user("bob").click(posted, "3 · If need be")
    await sandbox.user("carol").click(posted, "1 · Yes")
    await sandbox.user("dave").click(posted, "3 · No")
    await _publisher(agora).refreshes_done()
    for message in (
        poll_messages(sandbox, "announcements", 1)[0],
        poll_messages(sandbox, lamppost, 1)[0],
    ):
        assert tallies(message) == [
            "⭐ Time 1 | ✅ 2 · 🤔 0 · ❌ 0",
            "⭐ Time 2 | ✅ 2 · 🤔 0 · ❌ 0",
            "Time 3 | ✅ 0 · 🤔 1 · ❌ 1",
        ]
        shown = str(message["embeds"])
        for name in ("alice", "bob", "carol", "dave"):
            assert sandbox.user(name).id not in shown and name not in shown

    # -- who answered what: only for whoever asks --------------------------------------
    results = await sandbox.user("dave").slash("poll results", poll=TITLE)
    assert results.ephemeral
    fields = {f["name"]: f["value"] for f in results.embed["fields"]} if results.embed else {}
    assert sandbox.user("alice").mention in fields["⭐ Time 1"].split("\n")[1]
    assert sandbox.user("carol").mention in fields["⭐ Time 1"].split("\n")[1]
    assert "✅ Yes: nobody" in fields["Time 3"]
    assert sandbox.user("dave").mention in fields["Time 3"].split("\n")[3]

    # -- closed: frozen, the tie announced with Create meeting, Yes voters told -------
    closed = await admin.slash("poll close", poll="1")
    assert closed.ephemeral and "2 tied times" in closed.text, closed.text
    frozen = poll_messages(sandbox, "announcements", 1)[0]
    assert frozen["components"] == [] and frozen["embeds"][0]["title"].endswith("(closed)")
    for channel in ("announcements", lamppost):
        (result,) = results_of(sandbox, channel, 1)
        assert "2 times tie for best" in result["embeds"][0]["description"]
        assert labels(result) == ["Create meeting: time 1", "Create meeting: time 2"]
    carol_dm = sandbox.dms("carol")[-1]["content"]
    assert TITLE in carol_dm and "tie for best" in carol_dm
    assert sandbox.dms("dave") == []  # opted in, but said No
    assert sandbox.dms("alice") == [] and sandbox.dms("bob") == []  # did not opt in
    again = await admin.slash("poll close", poll="1")
    assert again.ephemeral and "already closed" in again.text
    assert len(results_of(sandbox, "announcements", 1)) == 1

    # -- Create meeting: organisers only; the form comes filled in ---------------------
    result = results_of(sandbox, "announcements", 1)[0]
    refused = await sandbox.user("alice").click(result, "Create meeting: time 2")
    assert refused.ephemeral and refused.text.startswith("Only organisers"), refused.text
    opened = await admin.click(result, "Create meeting: time 2")
    assert opened.modal is not None, opened.text
    inputs = [
        c.get("component") or c["components"][0] for c in opened.modal["components"]
    ]  # labels (type 18) or action rows
    assert inputs[0]["value"] == TITLE
    made = await admin.submit_modal({})
    assert f"Created **{TITLE}**" in made.text, made.text
    (meeting,) = await agora.bot.services.meetings.list_meetings(guild_id, "upcoming", limit=5)
    assert meeting.title == TITLE
    assert int(meeting.starts_at.timestamp()) == unix(days[1], "14:00")
    assert (meeting.ends_at - meeting.starts_at).total_seconds() == 90 * 60
    assert meeting.timezone == "Europe/Brussels"
    lamp = await agora.bot.services.directory.get_initiative(guild_id, "Humble Lamppost")
    assert meeting.scope.initiative_ids == (lamp.id,)


async def test_a_poll_lives_through_a_restart(
    sandbox: Sandbox, agora: RunningAgora, start_agora_fn: AgoraStarter
) -> None:
    admin = sandbox.user("admin")
    day = next_year_day()
    created = await admin.slash(
        "poll create", title="Digest slot", slots=f"{day} 09:00; {day} 15:00", closes="10s"
    )
    assert "Poll #1" in created.text, created.text
    (posted,) = poll_messages(sandbox, "announcements", 1)
    await sandbox.user("alice").click(posted, "1 · Yes")
    await agora.stop()

    again = await start_agora_fn()
    clicked = await sandbox.user("bob").click(posted, "1 · If need be")
    assert "**If need be**" in (await clicked.wait_followups())[0]["content"]
    assert tallies(clicked.message or {})[0] == "⭐ Time 1 | ✅ 1 · 🤔 1 · ❌ 0"

    deadlines = again.bot.services.poll_deadlines
    await deadlines.wait_closed(1, timeout=30)
    (result,) = results_of(sandbox, "announcements", 1)
    assert "**Best time:**" in result["embeds"][0]["description"]
    assert labels(result) == ["Create meeting"]
    # Fired once: nothing is due any more, and a second pass posts nothing.
    assert await deadlines.close_due() == []
    await sandbox.drain_gateway()
    assert len(results_of(sandbox, "announcements", 1)) == 1
    frozen = poll_messages(sandbox, "announcements", 1)[0]
    assert frozen["components"] == []


async def test_privacy_shows_and_forgets_poll_answers(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    admin = sandbox.user("admin")
    alice = sandbox.user("alice")
    day = next_year_day()
    guild_id = int(sandbox.guild.id)
    for title in ("Open poll", "Closed poll"):
        await admin.slash("poll create", title=title, slots=f"{day} 09:00; {day} 15:00")
    open_message = poll_messages(sandbox, "announcements", 1)[0]
    closed_message = poll_messages(sandbox, "announcements", 2)[0]
    for message in (open_message, closed_message):
        await alice.click(message, "2 · Yes")
        await sandbox.user("bob").click(message, "2 · Yes")
    await admin.slash("poll close", poll="2")

    shown = await alice.slash("privacy show")
    assert shown.ephemeral
    polls_field = next(f for f in (shown.embed or {})["fields"] if f["name"] == "Polls")
    assert "“Open poll”" in polls_field["value"] and "“Closed poll”" in polls_field["value"]

    asked = await alice.slash("privacy forget")
    await alice.click(asked, "Erase my data")
    assert await rows_naming_user(agora.bot.store.db, guild_id, int(alice.id), True) == []
    # Withdrawn from the open poll (its message follows), kept as a count in the closed one.
    await _publisher(agora).refreshes_done()
    assert tallies(poll_messages(sandbox, "announcements", 1)[0])[1].endswith("✅ 1 · 🤔 0 · ❌ 0")
    results = await admin.slash("poll results", poll="2")
    second = next(f for f in (results.embed or {})["fields"] if f["name"].endswith("Time 2"))
    assert "and 1 former member" in second["value"]
    assert alice.mention not in second["value"]

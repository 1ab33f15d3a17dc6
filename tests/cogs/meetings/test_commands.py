"""The Brussels meeting end to end: created with its programme, announced, answered by
button and by "Interested", edited (announcement, native event and reminders follow),
cancelled (notice sent, event cancelled, buttons gone)."""

from __future__ import annotations

from datetime import datetime

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from tests.support.meetings_e2e import (
    EVENT,
    MESSAGE,
    MESSAGES,
    announcement,
    create_meeting,
    expect_call,
    field,
    link_lamppost,
    meeting_id_of,
    next_year_day,
    reminder_posts,
    rsvp,
)


async def test_brussels_meeting_lifecycle(sandbox: Sandbox, agora: RunningAgora) -> None:
    lamppost_channel, _ = await link_lamppost(sandbox, agora)
    day = next_year_day()
    admin = sandbox.user("admin")

    # -- created, with its programme --------------------------------------------
    created = await create_meeting(
        sandbox,
        "Action Clusters Meeting",
        description="City officials, investors, industry and initiative members.",
        start=f"{day} 09:00",
        end="18:00",
        zone="Europe/Brussels",
        venue="Hotel Metropole",
        address="Place de Brouckère 31, Brussels",
        initiatives="Humble Lamppost",
        cap=2,
    )
    assert created.ephemeral and "Discord event created" in created.text
    meeting_id = meeting_id_of(created)
    programme = [
        ("Opening plenary", "09:00", "10:00", "plenary", {}),
        ("Initiative pitches", "10:00", "11:00", "pitch", {"initiative": "Humble Lamppost"}),
        ("Challenge workshop", "11:00", "12:30", "challenge_workshop", {}),
        ("Integrated infrastructures", "14:00", "15:30", "cluster_workshop", {}),
    ]
    for title, start, end, kind, extra in programme:
        added = await admin.slash(
            "meeting session add",
            meeting=str(meeting_id),
            title=title,
            start=start,
            end=end,
            kind=kind,
            room="Salon Royal",
            **extra,
        )
        assert added.ephemeral and "Added to **Action Clusters Meeting**" in added.text

    # -- announced: #announcements and the initiative's channel, with buttons --------
    posted = announcement(sandbox, "announcements", meeting_id)
    in_lamppost = announcement(sandbox, lamppost_channel, meeting_id)
    embed = posted["embeds"][0]
    assert embed["title"] == "Action Clusters Meeting"
    when = field(posted, "When")
    start_unix = int(datetime.fromisoformat(f"{day}T09:00:00+02:00").timestamp())
    assert f"<t:{start_unix}:F>" in when and f"<t:{start_unix}:R>" in when
    assert "Europe/Brussels" in when
    assert field(posted, "Where") == "Hotel Metropole, Place de Brouckère 31, Brussels"
    assert "Humble Lamppost" in field(posted, "For")
    assert "Opening plenary" in field(posted, "Programme (4)")
    assert "**Pitch**: Initiative pitches" in field(posted, "Programme")
    labels = [b["label"] for row in posted["components"] for b in row["components"]]
    assert labels == ["Going", "Maybe", "Can't go"]
    (event,) = sandbox.guild.scheduled_events.values()
    assert event.name == "Action Clusters Meeting" and event.entity_type == 3
    assert event.location == "Hotel Metropole, Place de Brouckère 31, Brussels"
    assert event.scheduled_start_time.startswith(f"{day}T07:00:00")  # 09:00 CEST

    # -- answered by button: the clicked announcement and the other one update ---------
    other_edit = expect_call(
        sandbox,
        method="PATCH",
        route=MESSAGE,
        where=lambda c: c.path.endswith(in_lamppost["id"]),
    )
    going, said = await rsvp(sandbox, "alice", posted, "Going")
    assert "You're **going**" in said
    assert "Going: 1/2" in field(going.message or {}, "Answers")
    await other_edit
    assert "Going: 1/2" in field(announcement(sandbox, lamppost_channel, meeting_id), "Answers")

    # -- answered by "Interested" on the native event: counts as Going -----------------
    edit = expect_call(
        sandbox, method="PATCH", route=MESSAGE, where=lambda c: c.path.endswith(posted["id"])
    )
    await sandbox.user("bob").interested(event)
    await edit
    assert "Going: 2/2" in field(announcement(sandbox, "announcements", meeting_id), "Answers")

    # -- full: carol is waitlisted, then promoted (with a DM) when alice drops out ------
    _, said = await rsvp(sandbox, "carol", posted, "Going")
    assert "number 1 on the **waitlist**" in said
    dm = expect_call(
        sandbox, method="POST", route=MESSAGES, where=lambda c: "place opened" in str(c.body)
    )
    await rsvp(sandbox, "alice", posted, "Can't go")
    await dm
    assert "place opened up" in sandbox.dms("carol")[-1]["content"]
    attendees = await admin.slash("meeting attendees", meeting=str(meeting_id))
    assert attendees.ephemeral
    going_field = field({"embeds": [attendees.embed]}, "✅ Going")
    assert (
        sandbox.user("bob").mention in going_field and sandbox.user("carol").mention in going_field
    )

    # -- edited: an hour later; announcement, native event and reminders follow --------
    reminders = agora.bot.services.reminders
    guild_id = int(sandbox.guild.id)
    before = {r.slot: r.due_at for r in await reminders.upcoming_for_meeting(guild_id, meeting_id)}
    edited = await admin.slash(
        "meeting edit",
        meeting=str(meeting_id),
        start=f"{day} 10:00",
        title="Action Clusters Meeting 2",
    )
    assert edited.ephemeral and "3 reminders scheduled: 1d before, 1h before" in edited.text
    after = {r.slot: r.due_at for r in await reminders.upcoming_for_meeting(guild_id, meeting_id)}
    assert before.keys() == after.keys() and len(after) >= 3
    assert all((after[slot] - before[slot]).total_seconds() == 3600 for slot in after)
    moved = announcement(sandbox, "announcements", meeting_id)
    assert f"<t:{start_unix + 3600}:F>" in field(moved, "When")
    assert moved["embeds"][0]["title"] == "Action Clusters Meeting 2"
    assert announcement(sandbox, lamppost_channel, meeting_id)["embeds"][0]["title"] == (
        "Action Clusters Meeting 2"
    )
    assert event.scheduled_start_time.startswith(f"{day}T08:00:00")
    assert event.name == "Action Clusters Meeting 2"
    info = await admin.slash("meeting info", meeting=str(meeting_id))
    sessions = await agora.bot.services.programme.programme(guild_id, meeting_id)
    assert sessions[0].starts_at.hour == 8  # 10:00 CEST, moved with the meeting
    assert not info.ephemeral and "Reminders" in info.text

    # -- cancelled: asks first, then notice, event cancelled, buttons removed ----------
    question = await admin.slash("meeting cancel", meeting=str(meeting_id))
    assert question.ephemeral and "Cancel **Action Clusters Meeting 2**" in question.text
    kept = await admin.click(question, "No, keep it")
    assert "goes ahead" in (kept.content or "")
    question = await admin.slash("meeting cancel", meeting=str(meeting_id))
    event_cancel = expect_call(sandbox, method="PATCH", route=EVENT)
    notice = expect_call(
        sandbox, method="POST", route=MESSAGES, where=lambda c: "is cancelled" in str(c.body)
    )
    done = await admin.click(question, "Yes, cancel the meeting")
    assert "is cancelled" in (done.content or "")
    await event_cancel
    await notice
    assert event.status == 4
    gone = announcement(sandbox, "announcements", meeting_id)
    assert gone["embeds"][0]["title"].startswith("Cancelled:") and not gone["components"]
    assert len(reminder_posts(sandbox, "announcements", "is cancelled")) == 1
    assert await reminders.upcoming_for_meeting(guild_id, meeting_id) == []
    assert not announcement(sandbox, lamppost_channel, meeting_id)["components"]
    again = await admin.slash("meeting edit", meeting=str(meeting_id), title="Back on")
    assert again.ephemeral and "was cancelled" in (again.content or "")

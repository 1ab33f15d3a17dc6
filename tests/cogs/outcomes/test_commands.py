"""/outcome add (the form, each kind, refusals that change nothing), /outcome list,
/action list and /action done with who may close what, owners' DM reminders (once, across
a restart between them) and /privacy show and forget, through the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.runtime import RunningAgora
from bot.services.common.permissions import Actor
from discord_sandbox import Sandbox
from tests.conftest import AgoraStarter
from tests.support.meetings_e2e import create_meeting, meeting_id_of, next_year_day
from tests.support.outcomes_e2e import add_outcome

LAMP = "Humble Lamppost"


async def workshop_meeting(sandbox: Sandbox, agora: RunningAgora) -> tuple[int, int]:
    """Next June's meeting with a workshop for Humble Lamppost; (meeting, session)."""
    created = await create_meeting(
        sandbox, "Action Clusters Meeting", start=f"{next_year_day()} 09:00", end="17:00"
    )
    meeting_id = meeting_id_of(created)
    added = await sandbox.user("admin").slash(
        "meeting session add",
        meeting=str(meeting_id),
        title="Lamppost workshop",
        start="10:00",
        end="12:00",
        kind="cluster_workshop",
        initiative=LAMP,
    )
    assert "Lamppost workshop" in added.text, added.text
    (session,) = await agora.bot.services.programme.programme(int(sandbox.guild.id), meeting_id)
    return meeting_id, session.id


async def count_outcomes(agora: RunningAgora, sandbox: Sandbox, meeting_id: int) -> int:
    return len(await agora.bot.store.outcomes.for_meeting(int(sandbox.guild.id), meeting_id))


async def test_the_form_records_each_kind_and_refusals_change_nothing(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    meeting_id, session = await workshop_meeting(sandbox, agora)
    alice = await sandbox.join("alice")
    await alice.slash("initiative join", initiative=LAMP)
    bob = await sandbox.join("bob")

    opened = await alice.slash("outcome add", meeting=str(meeting_id), session=str(session))
    assert opened.modal is not None
    labels = [c.get("label") for c in opened.modal["components"]]
    assert labels == ["Kind", "Text", "Link"]
    kind_select = opened.modal["components"][0]["component"]
    assert [o["value"] for o in kind_select["options"]] == ["decision", "action", "link", "note"]
    answer = await alice.submit_modal({"Kind": "decision", "Text": "Open data by default"})
    assert answer.ephemeral and "Recorded decision #1" in answer.text

    # Owner and due date come with the command; the form then proposes an action.
    opened = await alice.slash(
        "outcome add", meeting=str(meeting_id), owner="bob", due=f"{next_year_day(6, 30)}"
    )
    assert opened.modal is not None
    options = opened.modal["components"][0]["component"]["options"]
    assert [o["value"] for o in options if o.get("default")] == ["action"]
    answer = await alice.submit_modal({"Kind": "action", "Text": "Draft the data licence"})
    assert f"Owner: <@{bob.id}>, due <t:" in answer.text
    assert "2 reminders by DM" in answer.text and not answer.message["mentions"]

    link = await add_outcome(
        sandbox, "alice", meeting_id, "link", "Minutes", "https://docs.example.org/minutes"
    )
    assert "Recorded link #3" in link.text
    note = await add_outcome(sandbox, "alice", meeting_id, "note", "Coffee was good")
    assert "Recorded note #4" in note.text

    # Refusals: ephemeral, say what to do, store nothing.
    before = await count_outcomes(agora, sandbox, meeting_id)
    no_address = await add_outcome(sandbox, "alice", meeting_id, "link", "Slides")
    assert no_address.ephemeral and "needs its address" in no_address.text
    assert "Slides" in no_address.text  # the text is given back to paste again
    bad_link = await add_outcome(sandbox, "alice", meeting_id, "note", "x", "ftp://x")
    assert bad_link.ephemeral and "http" in bad_link.text
    outsider = await add_outcome(
        sandbox, "bob", meeting_id, "decision", "Mine", session=str(session)
    )
    assert outsider.modal is None and outsider.text.startswith("Only members of Humble Lamppost")
    past = await alice.slash("outcome add", meeting=str(meeting_id), due="2001-01-01")
    assert past.modal is None and "in the past" in past.text
    to_a_bot = await alice.slash("outcome add", meeting=str(meeting_id), owner=sandbox.bot_user_id)
    assert to_a_bot.modal is None and "is a bot" in to_a_bot.text
    # A forged form (a session it may not record for, a kind that does not exist).
    forged = await bob.submit_modal(
        {"Kind": "decision", "Text": "x"},
        custom_id=f"agora:outcome:{meeting_id}:{session}:0:0",
    )
    assert forged.text.startswith("Only members")
    assert await count_outcomes(agora, sandbox, meeting_id) == before

    listed = await bob.slash("outcome list", meeting=str(meeting_id))
    assert listed.embed is not None
    lines = listed.embed["description"].splitlines()
    assert lines[0].startswith("Decision (Cluster workshop\\: Lamppost workshop): **#1** Open data")
    assert lines[1].startswith(f"Action: **#2** Draft the data licence — <@{bob.id}>")
    assert lines[2] == (
        "Link: **#3** [Minutes](https://docs.example.org/minutes) (docs.example.org)"
    )


async def test_actions_are_listed_and_closed_by_owner_lead_and_organiser(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    meeting_id, session = await workshop_meeting(sandbox, agora)
    guild_id = int(sandbox.guild.id)
    alice = await sandbox.join("alice")
    bob = await sandbox.join("bob")
    lead = await sandbox.join("lead")
    await alice.slash("initiative join", initiative=LAMP)
    owner = Actor(user_id=int(sandbox.user("admin").id), is_admin=True)
    await agora.bot.services.memberships.set_lead(guild_id, owner, LAMP, int(lead.id))
    due = f"{next_year_day(6, 30)}"
    for n, who in enumerate(("alice", "alice", "bob")):
        added = await add_outcome(
            sandbox,
            "admin",
            meeting_id,
            "action",
            f"Task {n}",
            owner=who,
            due=due,
            session=str(session),
        )
        assert f"Recorded action #{n + 1}" in added.text, added.text

    mine = await alice.slash("action list", mine=True)
    assert mine.embed is not None
    assert mine.embed["title"] == "Your open action items"
    assert "Task 0" in mine.embed["description"] and "Task 2" not in mine.embed["description"]
    of_lamp = await bob.slash("action list", initiative=LAMP)
    assert of_lamp.embed is not None and of_lamp.embed["description"].count("**#") == 3
    choices = await alice.autocomplete("action done", "action", "task")
    assert [c["value"] for c in choices][:2] == ["1", "2"]  # her own first

    refused = await bob.slash("action done", action="1")
    assert refused.ephemeral and refused.text.startswith("Only the owner of action #1")
    done = await alice.slash("action done", action="1")
    assert done.ephemeral and done.text.startswith("✅ Action #1 is done")
    again = await alice.slash("action done", action="1")
    assert "already marked done" in again.text
    by_lead = await lead.slash("action done", action="Task 1")
    assert by_lead.text.startswith("✅ Action #2 is done")
    by_organiser = await sandbox.user("admin").slash("action done", action="3")
    assert by_organiser.text.startswith("✅ Action #3 is done")
    left = await bob.slash("action list", meeting=str(meeting_id))
    assert left.embed is not None and left.embed["description"].startswith("None open")


async def test_owners_are_reminded_by_dm_once_across_a_restart(
    sandbox: Sandbox, agora: RunningAgora, start_agora_fn: AgoraStarter
) -> None:
    meeting_id, _ = await workshop_meeting(sandbox, agora)
    bob = await sandbox.join("bob")
    carol = await sandbox.join("carol")
    assert "**on**" in (await bob.slash("remind dm on")).text
    now = datetime.now(UTC).replace(microsecond=0)
    # Due in two days and four seconds: "two days before" comes in four seconds.
    later = await add_outcome(
        sandbox,
        "admin",
        meeting_id,
        "action",
        "Send the specs",
        owner="bob",
        due=(now + timedelta(days=2, seconds=4)).isoformat(),
    )
    assert "2 reminders" in later.text, later.text
    # Due in five seconds: only its day's reminder is still to come.
    today = await add_outcome(
        sandbox,
        "admin",
        meeting_id,
        "action",
        "Book the hall",
        owner="bob",
        due=(now + timedelta(seconds=5)).isoformat(),
    )
    assert "1 reminder" in today.text, today.text
    # Carol did not ask for DMs: her reminders go nowhere.
    await add_outcome(
        sandbox,
        "admin",
        meeting_id,
        "action",
        "Carol's task",
        owner="carol",
        due=(now + timedelta(seconds=5)).isoformat(),
    )
    # Agora restarts before either is due: the new instance sends them, once.
    await agora.stop()
    restarted = await start_agora_fn()
    dispatcher = restarted.bot.services.outcome_dispatcher
    await dispatcher.wait_for_dispatch(
        lambda _: sum(len(r.sent) + len(r.late_sent) for r in dispatcher.reports) >= 3, 20
    )
    dms = [m for m in sandbox.dms(bob) if str(m.get("nonce") or "").startswith("o")]
    assert len(dms) == 2
    contents = sorted(m["content"] for m in dms)
    assert any("**#1** is due <t:" in c and ":R>" in c for c in contents)
    assert any("**#2** is due today" in c for c in contents)
    assert sandbox.dms(carol) == []
    # Restarted again in the middle of #1's schedule: only its day is still to come.
    await restarted.stop()
    third = await start_agora_fn()
    next_at = await third.bot.services.outcome_dispatcher.rearm()
    assert next_at == now + timedelta(days=2, seconds=4)
    assert len([m for m in sandbox.dms(bob) if str(m.get("nonce") or "").startswith("o")]) == 2


async def test_privacy_show_and_forget_cover_outcomes(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    meeting_id, _ = await workshop_meeting(sandbox, agora)
    alice = await sandbox.join("alice")
    added = await add_outcome(
        sandbox,
        "alice",
        meeting_id,
        "action",
        "Publish the pilot report",
        due=f"{next_year_day(6, 30)}",
    )
    assert "Recorded action #1" in added.text
    shown = await alice.slash("privacy show")
    assert shown.embed is not None
    (field,) = [f for f in shown.embed["fields"] if f["name"] == "Meeting outcomes and actions"]
    assert "Owner of action #1 “Publish the pilot report”" in field["value"]
    asked = await alice.slash("privacy forget")
    await alice.click(asked.message, "Erase my data")
    kept = await agora.bot.store.outcomes.get(int(sandbox.guild.id), 1)
    assert kept.text == "Publish the pilot report" and kept.owner_id is None
    listed = await alice.slash("action list")
    assert listed.embed is not None and "no owner" in listed.embed["description"]


async def test_a_long_meeting_summary_pages_through_within_discords_limits(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    """30 sessions, 8 outcomes of 1,000 characters each: /meeting summary answers page by
    page with Previous/Next, every page an embed the sandbox (Discord's spec) accepts."""
    guild_id = int(sandbox.guild.id)
    services = agora.bot.services
    created = await create_meeting(
        sandbox, "Action Clusters Meeting", start=f"{next_year_day()} 08:00", end="20:00"
    )
    meeting_id = meeting_id_of(created)
    admin = sandbox.user("admin")
    for n in range(30):
        hour, minute = divmod(8 * 60 + 20 * n, 60)
        added = await admin.slash(
            "meeting session add",
            meeting=str(meeting_id),
            title=f"Workshop {n}",
            start=f"{hour:02d}:{minute:02d}",
            end="20m",
            initiative=LAMP,
        )
        assert f"Workshop {n}" in added.text, added.text
    organiser = Actor(user_id=int(admin.id), is_admin=True)
    for session in await services.programme.programme(guild_id, meeting_id):
        target = await services.outcomes.target(
            guild_id, organiser, meeting_id, str(session.id), int(admin.id), None
        )
        for n, kind in enumerate(("decision", "action", "link", "note") * 2):
            await services.outcomes.record(
                guild_id,
                organiser,
                target,
                kind,
                f"S{session.id}O{n} " + "x" * 990,
                f"https://minutes.example.org/{session.id}/{n}",
            )
    page = await sandbox.user("bob").slash("meeting summary", meeting=str(meeting_id))
    assert page.embed is not None
    total = int(page.embed["title"].rsplit("/", 1)[1].rstrip(")"))
    seen = [page.embed["description"]]
    for _ in range(total - 1):
        page = await sandbox.user("bob").click(page.message, "Next ▶")
        assert page.embed is not None
        seen.append(page.embed["description"])
    text = "\n".join(seen)
    outcomes = await agora.bot.store.outcomes.for_meeting(guild_id, meeting_id)
    assert len(outcomes) == 240
    for outcome in outcomes:
        assert text.count(f"S{outcome.session_id}O") >= 1
    assert len([line for line in text.splitlines() if line.startswith("• ")]) == 240
    for description in seen:
        assert len(description) <= 4096
    assert not sandbox.failures, sandbox.failures

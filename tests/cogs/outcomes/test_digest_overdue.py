"""An action whose due date has passed shows in its cluster's weekly digest (/digest
preview), with its owner named without a ping, its due date and its text as typed; once
marked done with /action done it is gone. Through the sandbox, on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.runtime import RunningAgora
from bot.services.discussions.digest import OVERDUE, DigestService, MeetingsFromRepository
from discord_sandbox import InteractionResult, Sandbox
from tests.support.meetings_e2e import create_meeting, meeting_id_of, next_year_day
from tests.support.outcomes_e2e import add_outcome
from tests.support.threads import field

LAMP = "Humble Lamppost"
CLUSTER = "Integrated Infrastructures and Processes"
# What the organiser types: markdown that must show as written, never as a link.
TEXT = "Send the *pilot* [report](https://docs.example.org/x)"
SHOWN = r"Send the \*pilot\* \[report\](https\://docs.example.org/x)"


def field_names(preview: InteractionResult) -> list[str]:
    assert preview.embed is not None, preview.text
    return [f["name"] for f in preview.embed.get("fields", [])]


async def test_an_overdue_action_is_in_the_digest_until_it_is_done(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    bot = agora.bot
    guild_id = int(sandbox.guild.id)
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
    (session,) = await bot.services.programme.programme(guild_id, meeting_id)
    bob = await sandbox.join("bob")
    carol = await sandbox.join("carol")

    recorded = await add_outcome(
        sandbox,
        "admin",
        meeting_id,
        "action",
        TEXT,
        owner="bob",
        due=next_year_day(6, 30),
        session=str(session.id),
    )
    assert "Recorded action #1" in recorded.text, recorded.text
    action = await bot.store.outcomes.get(guild_id, 1)
    assert action.due_at is not None
    assert action.due_at.astimezone(ZoneInfo("Europe/Brussels")).date().isoformat() == (
        next_year_day(6, 30)
    )
    due = f"<t:{int(action.due_at.timestamp())}:D>"

    # Before its due date the digest has no overdue actions at all.
    today = await carol.slash("digest preview", cluster=CLUSTER)
    assert today.ephemeral and OVERDUE not in field_names(today)

    # Two days after the due date: the digest is built at that moment.
    later = datetime.fromisoformat(next_year_day(7, 2)).replace(hour=8, tzinfo=UTC)
    bot.services.digest = DigestService(
        bot.store,
        MeetingsFromRepository(bot.store),
        clock=lambda: later,
        overdue_actions=bot.services.outcomes,
    )
    late = await carol.slash("digest preview", cluster=CLUSTER)
    assert late.ephemeral
    assert field_names(late)[-1] == OVERDUE
    assert field(late.embed, OVERDUE) == (
        f"#1 {SHOWN} — <@{bob.id}>, due {due} (Action Clusters Meeting)"
    )
    # Named, not pinged: an embed's mentions never notify, and the content has none.
    assert late.message["mentions"] == [] and f"<@{bob.id}>" not in (late.content or "")
    # Not the digest of another cluster.
    elsewhere = await carol.slash("digest preview", cluster="Citizen Focus")
    assert OVERDUE not in field_names(elsewhere)

    done = await bob.slash("action done", action="1")
    assert done.ephemeral and done.text.startswith("✅ Action #1 is done"), done.text
    after = await carol.slash("digest preview", cluster=CLUSTER)
    assert OVERDUE not in field_names(after)
    # A week later still: done is done.
    later += timedelta(days=7)
    assert OVERDUE not in field_names(await carol.slash("digest preview", cluster=CLUSTER))

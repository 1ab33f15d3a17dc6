"""/challenge add, list, remove and match end to end: the form, who may do what, pages,
the tables proposed with the words they share, and the tables posted to a meeting's
challenge workshop, pinging exactly the roles of each table's initiatives."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from bot.runtime import RunningAgora
from bot.services.common.permissions import Actor
from discord_sandbox import Sandbox, UserDriver
from tests.cogs.shared.test_mentions import bot_payloads
from tests.conftest import AgoraStarter
from tests.support.meetings_e2e import create_meeting, meeting_id_of, next_year_day

LAMP = "Humble Lamppost"
LABELLED = Path(__file__).parents[2] / "services/challenges/challenges.toml"
# From the matcher's labelled set, those of seed initiatives: two tables' worth.
LIGHTING = (1, 2, 4)
DATA_SHARING = (5, 6, 7, 8)


def labelled(ids: tuple[int, ...]) -> list[dict[str, Any]]:
    challenges = tomllib.loads(LABELLED.read_text())["challenges"]
    return [c for c in challenges if c["id"] in ids]


async def add_challenge(driver: UserDriver, initiative: str, title: str, description: str) -> Any:
    opened = await driver.slash("challenge add", initiative=initiative)
    assert opened.modal is not None, opened.text
    return await driver.submit_modal({"Title": title, "The challenge": description})


async def test_add_list_remove_with_permissions(sandbox: Sandbox, agora: RunningAgora) -> None:
    alice, bob, carol, dave = (sandbox.user(n) for n in ("alice", "bob", "carol", "dave"))
    for member in (alice, bob, carol):
        await member.slash("initiative join", initiative=LAMP)
    guild_id = int(sandbox.guild.id)
    await agora.bot.services.memberships.set_lead(
        guild_id, Actor(user_id=0, is_admin=True), LAMP, int(carol.id)
    )

    # Someone who is not a member is told to join first; no form opens.
    refused = await dave.slash("challenge add", initiative=LAMP)
    assert refused.modal is None and refused.ephemeral
    assert refused.text.startswith("Only members of Humble Lamppost can add a challenge")

    opened = await alice.slash("challenge add", initiative=LAMP)
    assert opened.modal is not None
    assert opened.modal["title"] == "Challenge of Humble Lamppost"
    inputs = {
        row["components"][0]["custom_id"]: row["components"][0]
        for row in opened.modal["components"]
    }
    assert inputs["title"]["max_length"] == 100 and inputs["description"]["max_length"] == 1000
    # Spaces only: refused, saying what was wrong; nothing stored.
    blank = await alice.submit_modal({"Title": "   ", "The challenge": "Poles"})
    assert blank.ephemeral and "title is empty" in blank.text and "Nothing was added" in blank.text

    added = await add_challenge(
        alice, LAMP, "Who powers the sensors @everyone", "Poles are **lit** only at night."
    )
    assert not added.ephemeral and added.embed is not None, added.text
    assert "\\*\\*lit\\*\\*" in added.embed["description"]  # members' text, as typed
    await add_challenge(bob, LAMP, "Data ownership", "Who owns the data the poles collect?")
    await add_challenge(sandbox.user("admin"), "Small Giants", "Tenders", "Buying together.")

    everything = await dave.slash("challenge list")
    assert everything.embed is not None
    text = everything.embed["description"]
    assert text.index("Tenders") < text.index("Data ownership") < text.index("Who powers")
    assert "3 challenges, newest first" in everything.embed["footer"]["text"]
    lamp_only = await dave.slash("challenge list", initiative="humble lamppost")
    assert lamp_only.embed is not None and "Tenders" not in lamp_only.embed["description"]
    assert lamp_only.embed["title"] == "Challenges of Humble Lamppost"
    cluster = await dave.slash("challenge list", cluster="Integrated Infrastructures and Processes")
    assert cluster.embed is not None and "3 challenges" in cluster.embed["footer"]["text"]
    both = await dave.slash("challenge list", initiative=LAMP, cluster="Citizen Focus")
    assert both.ephemeral and "not both" in both.text

    # The remove autocomplete lists challenges by title; the value is the number.
    choices = await dave.autocomplete("challenge remove", "challenge", "owner")
    assert [c["name"] for c in choices] == ["#2 Data ownership · Humble Lamppost"]
    number = choices[0]["value"]

    # Not the author, not a lead: refused. The author, or a lead: removed.
    refused = await alice.slash("challenge remove", challenge=number)
    assert refused.ephemeral
    assert refused.text.startswith("Only the person who added this challenge, leads of Humble")
    removed = await bob.slash("challenge remove", challenge=number)
    assert removed.ephemeral and "Removed the challenge **Data ownership** (#2)" in removed.text
    by_lead = await carol.slash("challenge remove", challenge="Who powers the sensors @everyone")
    assert "Removed the challenge" in by_lead.text, by_lead.text
    gone = await carol.slash("challenge remove", challenge=number)
    assert gone.ephemeral and "/challenge list" in gone.text
    left = await dave.slash("challenge list")
    assert left.embed is not None and "1 challenge," in left.embed["footer"]["text"]


async def test_many_challenges_page_with_buttons(sandbox: Sandbox, agora: RunningAgora) -> None:
    admin = sandbox.user("admin")
    for n in range(10):
        await add_challenge(admin, LAMP, f"Challenge {n}", f"Description {n}")
    first = await sandbox.user("dave").slash("challenge list", initiative=LAMP)
    assert first.embed is not None and "Page 1 of 2" in first.embed["footer"]["text"]
    second = await sandbox.user("dave").click(first, "Next ▶")
    assert second.embed is not None and "Page 2 of 2" in second.embed["footer"]["text"]
    assert "Challenge 0" in second.embed["description"]


async def test_match_proposes_tables_with_shared_terms_to_organisers_only(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    admin = sandbox.user("admin")
    for challenge in labelled(LIGHTING + DATA_SHARING):
        await add_challenge(
            admin, challenge["initiative"], challenge["title"], challenge["description"]
        )
    await sandbox.user("alice").slash("initiative join", initiative=LAMP)
    refused = await sandbox.user("alice").slash("challenge match")
    assert refused.ephemeral and refused.text.startswith("Only organisers")

    proposal = await admin.slash("challenge match")
    assert proposal.ephemeral and proposal.embed is not None, proposal.text
    description = proposal.embed["description"]
    tables = description.split("__Table ")[1:]
    assert len(tables) == 2, description
    lighting = next(t for t in tables if "Replacing sodium street lights" in t)
    assert "Dimming street lighting" in lighting and "shared: *" in lighting
    data = next(t for t in tables if t is not lighting)
    assert "Humble Lamppost" not in data and "Urban Data Platform" in data
    assert "2 tables from 7 challenges" in proposal.embed["footer"]["text"]

    # Only one cluster's initiatives: Citizen Focus has two of the data-sharing challenges.
    focused = await admin.slash("challenge match", cluster="Citizen Focus")
    assert focused.embed is not None
    assert "of the Citizen Focus cluster's initiatives" in focused.embed["footer"]["text"]
    assert "Humble Lamppost" not in focused.embed["description"]


async def test_match_posts_the_tables_to_the_workshop_pinging_only_their_roles(
    sandbox: Sandbox, seeded: RunningAgora
) -> None:
    admin = sandbox.user("admin")
    for challenge in labelled(LIGHTING + DATA_SHARING):
        await add_challenge(
            admin, challenge["initiative"], challenge["title"], challenge["description"]
        )
    meeting = meeting_id_of(
        await create_meeting(
            sandbox, "Action Clusters Meeting", start=f"{next_year_day()} 09:00", end="17:00"
        )
    )
    # No challenge workshop yet: refused, nothing posted.
    before = len(sandbox.messages("announcements"))
    refused = await admin.slash("challenge match", meeting=str(meeting))
    assert refused.ephemeral and "no challenge workshop" in refused.text, refused.text
    await admin.slash(
        "meeting session add",
        meeting=str(meeting),
        title="Common challenges",
        start="14:00",
        end="15:30",
        kind="challenge_workshop",
    )
    assert len(sandbox.messages("announcements")) == before

    since = len(sandbox.log)
    posted = await admin.slash("challenge match", meeting=str(meeting))
    assert posted.ephemeral
    assert "Posted 2 tables in" in posted.text, posted.text
    messages = sandbox.messages("announcements")[before:]
    assert len(messages) == 1
    message = messages[0]
    assert "Tables for Common challenges" in message["content"]
    assert "Action Clusters Meeting" in message["content"]

    guild_id = int(sandbox.guild.id)
    services = seeded.bot.services
    roles = {}
    for challenge in labelled(LIGHTING + DATA_SHARING):
        initiative = await services.directory.get_initiative(guild_id, challenge["initiative"])
        assert initiative.role_id is not None
        roles[challenge["initiative"]] = str(initiative.role_id)
    assert sorted(message["mention_roles"]) == sorted(set(roles.values()))
    assert message["mention_everyone"] is False and message["mentions"] == []
    # Each table's block names the roles of its own initiatives, and only those.
    lighting = next(b for b in message["content"].split("\n\n") if "street lights" in b)
    lighting_roles = {roles[labelled((i,))[0]["initiative"]] for i in LIGHTING}
    assert {r for r in set(roles.values()) if f"<@&{r}>" in lighting} == lighting_roles
    # The request allowed exactly those roles and nothing else.
    payloads = [p for p in bot_payloads(sandbox, since) if "Tables for" in p.get("content", "")]
    assert len(payloads) == 1
    allowed = payloads[0]["allowed_mentions"]
    assert allowed["parse"] == [] and sorted(map(str, allowed["roles"])) == sorted(
        set(roles.values())
    )


async def test_a_challenge_form_open_across_a_restart_is_still_answered(
    sandbox: Sandbox, agora: RunningAgora, start_agora_fn: AgoraStarter
) -> None:
    admin = sandbox.user("admin")
    opened = await admin.slash("challenge add", initiative=LAMP)
    assert opened.modal is not None
    await agora.stop()
    await start_agora_fn()
    done = await admin.submit_modal({"Title": "After a restart", "The challenge": "Still here."})
    assert "New challenge of **Humble Lamppost**" in done.text, done.text
    listing = await admin.slash("challenge list")
    assert listing.embed is not None and "After a restart" in listing.embed["description"]

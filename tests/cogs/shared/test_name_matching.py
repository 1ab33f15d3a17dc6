"""Names people type, end to end: one matcher for initiatives, clusters and meetings.

A typo close to one name is read as it on reads and reversible writes (and the
answer says so), suggested on changes; several matches are listed, meetings with
their dates; an unrelated name suggests nothing; ";" separates names that hold commas.
"""

from __future__ import annotations

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from tests.support.meetings_e2e import create_meeting, meeting_id_of, next_year_day


async def test_initiative_typo_is_shown_with_a_note(sandbox: Sandbox, agora: RunningAgora) -> None:
    alice = sandbox.user("alice")
    shown = await alice.slash("initiative info", initiative="humble lampost")
    assert not shown.ephemeral and shown.embed is not None
    assert shown.embed["title"].startswith("Humble Lamppost")
    assert shown.text.startswith('Showing Humble Lamppost (you typed "humble lampost").')

    # Joining is undone by leaving: the typo is used and the answer says so.
    joined = await alice.slash("initiative join", initiative="humble lampost")
    assert "Welcome to **Humble Lamppost**!" in joined.text
    assert 'You typed "humble lampost"' in joined.text
    members = await agora.bot.services.memberships.my_initiatives(
        int(sandbox.guild.id), int(alice.id)
    )
    assert [m.initiative.name for m in members] == ["Humble Lamppost"]


async def test_unrelated_name_suggests_nothing(sandbox: Sandbox, agora: RunningAgora) -> None:
    refused = await sandbox.user("alice").slash("initiative info", initiative="Flying Cars")
    assert refused.ephemeral
    assert refused.text.startswith("No initiative named “Flying Cars”.")
    assert "Did you mean" not in refused.text
    assert "/initiative list shows them all" in refused.text


async def test_cluster_typo(sandbox: Sandbox, agora: RunningAgora) -> None:
    alice = sandbox.user("alice")
    shown = await alice.slash("cluster info", cluster="Citizen Focs")
    assert shown.embed is not None and shown.embed["title"] == "Citizen Focus"
    assert 'Showing Citizen Focus (you typed "Citizen Focs").' in shown.text

    # Autocomplete ranks with the same matcher: a typo finds the cluster.
    choices = await alice.autocomplete("cluster info", "cluster", "citzen focus")
    assert choices and choices[0]["value"] == "citizen-focus"

    # A meeting's scope is a change: the typo is suggested, and nothing is opened.
    refused = await sandbox.user("admin").slash(
        "meeting create", start=f"{next_year_day()} 10:00", end="1h", clusters="Citizen Focs"
    )
    assert refused.ephemeral and refused.modal is None
    assert "No Action Cluster named “Citizen Focs”. Did you mean: Citizen Focus?" in refused.text
    assert "Run the command again with that name." in refused.text


async def test_meeting_typo_read_and_destructive(sandbox: Sandbox, agora: RunningAgora) -> None:
    created = await create_meeting(
        sandbox, "Small Giants kick-off", start=f"{next_year_day()} 14:00", end="2h"
    )
    meeting_id = meeting_id_of(created)
    shown = await sandbox.user("alice").slash("meeting info", meeting="small giants kickof")
    assert shown.embed is not None and shown.embed["title"] == "Small Giants kick-off"
    assert 'Showing Small Giants kick-off (you typed "small giants kickof").' in shown.text

    # Cancelling is not undone: the typo is only suggested, with its date.
    asked = await sandbox.user("admin").slash("meeting cancel", meeting="small giants kickof")
    assert asked.ephemeral and not asked.components
    assert "No meeting matches “small giants kickof”. Did you mean: Small Giants kick-off (" in (
        asked.text
    )
    assert "Run the command again with that name." in asked.text
    meeting = (await agora.bot.services.meetings.view(int(sandbox.guild.id), meeting_id)).meeting
    assert not meeting.is_cancelled


async def test_several_meetings_are_listed_with_dates(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    for title, day in (("Lamppost workshop North", 22), ("Lamppost workshop South", 23)):
        await create_meeting(sandbox, title, start=f"{next_year_day(6, day)} 09:00", end="1h")
    year = next_year_day()[:4]
    several = await sandbox.user("alice").slash("meeting info", meeting="lamppost workshop")
    assert several.ephemeral
    assert several.text == (
        "Several meetings match “lamppost workshop”: "
        f"Lamppost workshop North (22 Jun {year} 09:00); "
        f"Lamppost workshop South (23 Jun {year} 09:00); "
        "pick one from the list or type more of its name."
    )


async def test_cluster_name_with_a_comma_in_a_list(sandbox: Sandbox, agora: RunningAgora) -> None:
    guild_id = int(sandbox.guild.id)
    clusters = await agora.bot.services.directory.all_clusters(guild_id)
    by_name = {cluster.name: cluster.id for cluster in clusters}
    created = await create_meeting(
        sandbox,
        "Finance and citizens",
        start=f"{next_year_day()} 11:00",
        end="1h",
        clusters="Business Models, Finance and Procurement; Citizen Focus",
    )
    meeting = (await agora.bot.services.meetings.view(guild_id, meeting_id_of(created))).meeting
    assert set(meeting.scope.cluster_ids) == {
        by_name["Business Models, Finance and Procurement"],
        by_name["Citizen Focus"],
    }

    # One cluster alone, commas and all, is that cluster, not three names.
    alone = await create_meeting(
        sandbox,
        "Finance only",
        start=f"{next_year_day()} 13:00",
        end="1h",
        clusters="Business Models, Finance and Procurement",
    )
    only = (await agora.bot.services.meetings.view(guild_id, meeting_id_of(alone))).meeting
    assert only.scope.cluster_ids == (by_name["Business Models, Finance and Procurement"],)

    # Autocomplete completes after ";", keeping the name with its commas whole.
    choices = await sandbox.user("admin").autocomplete(
        "meeting create", "clusters", "Business Models, Finance and Procurement; citiz"
    )
    assert choices[0]["value"] == "Business Models, Finance and Procurement; Citizen Focus"

    # Commas that do not split into names: the answer says to use ";".
    refused = await sandbox.user("admin").slash(
        "meeting create", start=f"{next_year_day()} 15:00", end="1h", clusters="Finance, Space"
    )
    assert refused.ephemeral and refused.modal is None
    assert "separate them with “;”" in refused.text

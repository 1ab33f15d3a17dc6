"""Numbers of documents and projects, and counts in words, end to end through the sandbox.

Documents and projects are numbered per initiative and per kind from 1, and a removed
number is never given again. A count of one reads in the singular wherever Agora writes
a count: "1 member", "1 document", "1 message".
"""

from __future__ import annotations

from typing import Any

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from tests.support.threads import expect_discussion, field, link_channel, settle

HUMBLE = "humble-lamppost"


def footer(embed: dict[str, Any] | None) -> str:
    assert embed is not None
    return str(embed["footer"]["text"])


async def test_numbers_are_per_initiative_and_kind_and_never_reused(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    alice, admin = sandbox.user("alice"), sandbox.user("admin")
    for initiative in ("Humble Lamppost", "Small Giants"):
        await alice.slash("initiative join", initiative=initiative)

    async def add(kind: str, initiative: str, title: str) -> str:
        added = await alice.slash(
            f"initiative {kind} add",
            initiative=initiative,
            title=title,
            url=f"https://example.org/{initiative}/{title.replace(' ', '-')}",
        )
        assert not added.ephemeral, added.text
        return footer(added.embed).split(" · ")[0]

    # A document first; the first project of the initiative is still Project #1.
    assert await add("doc", HUMBLE, "Pilot report") == "Document #1"
    assert await add("project", HUMBLE, "Eindhoven") == "Project #1"
    # Another initiative counts from 1 on its own.
    assert await add("project", "small-giants", "Tampere") == "Project #1"
    assert await add("project", HUMBLE, "Brussels") == "Project #2"
    assert await add("project", HUMBLE, "Lyon") == "Project #3"

    # The remove autocomplete shows and sends the initiative's own numbers.
    choices = await alice.autocomplete(
        "initiative project remove", "project", "", initiative=HUMBLE
    )
    assert [(c["name"], c["value"]) for c in choices] == [
        ("Lyon (#3)", "3"),
        ("Brussels (#2)", "2"),
        ("Eindhoven (#1)", "1"),
    ]

    # A project's number is not a document's: /initiative doc remove 3 removes nothing.
    wrong_kind = await admin.slash("initiative doc remove", initiative=HUMBLE, document="3")
    assert wrong_kind.ephemeral and "has no document “3”" in wrong_kind.text

    removed = await alice.slash("initiative project remove", initiative=HUMBLE, project="3")
    assert removed.ephemeral and removed.text == "Removed the project **Lyon** (#3)."
    typed = await alice.slash("initiative project remove", initiative=HUMBLE, project="#2")
    assert typed.text == "Removed the project **Brussels** (#2)."

    # #3 and #2 are gone for good: the next project is #4, and "3" names nothing now.
    assert await add("project", HUMBLE, "Porto") == "Project #4"
    gone = await alice.slash("initiative project remove", initiative=HUMBLE, project="3")
    assert gone.ephemeral and "has no project “3”" in gone.text
    listing = await alice.slash("initiative project list", initiative=HUMBLE)
    assert listing.embed is not None
    lines = listing.embed["description"].split("\n")
    assert [line.split(" ", 1)[0] for line in lines] == ["**#4**", "**#1**"]
    assert "Page 1 of 1 · 2 projects, newest first" == footer(listing.embed)
    # The other initiative's #1 is untouched.
    small = await alice.slash("initiative project list", initiative="small-giants")
    assert small.embed is not None and small.embed["description"].startswith("**#1** [Tampere]")


async def test_counts_of_one_read_in_the_singular(sandbox: Sandbox, agora: RunningAgora) -> None:
    bot = agora.bot
    channel = await link_channel(sandbox, agora, HUMBLE)
    alice, bob = sandbox.user("alice"), sandbox.user("bob")
    await alice.slash("initiative join", initiative="Humble Lamppost")
    await alice.slash(
        "initiative doc add", initiative=HUMBLE, title="Pilot report", url="https://e.org/r"
    )
    await alice.slash(
        "initiative project add", initiative=HUMBLE, title="Eindhoven", url="https://e.org/e"
    )
    created = expect_discussion(bot, "created", "Pilot streets")
    await settle()
    await alice.start_thread(channel, "Pilot streets", "Which streets first?")
    await created
    await bot.services.activity.flush()

    # One of each: the activity line, wherever it is shown, and the lists' footers.
    activity = "Members: 1 · Documents: 1 · Projects: 1 · Discussions: 1"
    info = await bob.slash("initiative info", initiative=HUMBLE)
    assert field(info.embed, "Activity") == activity
    listing = await bob.slash("initiative list", cluster="integrated-infrastructures-processes")
    assert listing.embed is not None
    assert (
        f"**Humble Lamppost** · Integrated Infrastructures and Processes\n{activity}"
        in (listing.embed["description"])
    )
    cluster = await bob.slash("cluster info", cluster="integrated-infrastructures-processes")
    initiatives = field(cluster.embed, "Initiatives (4)")
    assert initiatives.split("\n")[0] == "**Humble Lamppost**: 1 member"
    assert field(cluster.embed, "Totals") == activity
    clusters = await bob.slash("cluster list")
    assert field(clusters.embed, "Integrated Infrastructures and Processes").startswith(
        "4 initiatives\n"
    )

    members = await bob.slash("initiative members", initiative=HUMBLE)
    assert footer(members.embed) == "Page 1 of 1 · 1 member"
    docs = await bob.slash("initiative doc list", initiative=HUMBLE)
    assert footer(docs.embed) == "Page 1 of 1 · 1 document, newest first"
    projects = await bob.slash("initiative project list", initiative=HUMBLE)
    assert footer(projects.embed) == "Page 1 of 1 · 1 project, newest first"
    mine = await alice.slash("me")
    assert footer(mine.embed) == "1 initiative"

    # A discussion with one message: the list and what Agora holds about its author.
    discussions = await bob.slash("discussion list", initiative=HUMBLE)
    assert discussions.embed is not None
    assert "1 message · 1 participant" in discussions.embed["description"]
    assert footer(discussions.embed).endswith("· 1 discussion")
    shown = await alice.slash("privacy show")
    text = str(shown.embed)
    assert "Took part in “Pilot streets”: 1 message counted" in text

    for reply in (info, listing, cluster, clusters, members, docs, projects, mine, discussions):
        words = str(reply.embed)
        for noun in ("member", "document", "project", "discussion", "message", "participant"):
            assert f" 1 {noun}s" not in words and f"(1 {noun}s" not in words, (noun, words)
    assert " 1 messages" not in text

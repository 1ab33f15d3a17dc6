"""/initiative doc|project add, list, remove end to end: who may do what, bad links, pages."""

from __future__ import annotations

from bot.runtime import RunningAgora
from bot.services.common.permissions import Actor
from discord_sandbox import Sandbox

HUMBLE = "humble-lamppost"


async def test_documents_add_list_remove_with_permissions(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    alice, bob, carol, dave = (sandbox.user(n) for n in ("alice", "bob", "carol", "dave"))
    guild_id = int(sandbox.guild.id)
    store = agora.bot.store
    for member in (alice, bob, carol):
        await member.slash("initiative join", initiative="Humble Lamppost")
    await agora.bot.services.memberships.set_lead(
        guild_id, Actor(user_id=0, is_admin=True), HUMBLE, int(carol.id)
    )

    # Someone who is not a member is told to join first; nothing is stored.
    refused = await dave.slash(
        "initiative doc add",
        initiative=HUMBLE,
        title="Pilot report",
        url="https://example.org/pilot.pdf",
    )
    assert refused.ephemeral
    assert "Only members of Humble Lamppost" in refused.text and "Join" in refused.text

    # A member adds one: a public embed linking to it.
    added = await alice.slash(
        "initiative doc add",
        initiative="Humble Lamppost",
        title="Pilot report 2017",
        url="https://example.org/pilot.pdf",
    )
    assert not added.ephemeral
    assert added.embed is not None
    assert added.embed["title"] == "Pilot report 2017"
    assert "url" not in added.embed  # the title is the member's text: not a link
    assert (
        "[Pilot report 2017](https://example.org/pilot.pdf) (example.org)"
        in added.embed["description"]
    )

    # Bad links are refused with what was wrong, and nothing is stored.
    for url, reason in [
        ("ftp://example.org/x", "http:// or https://"),
        ("example.org/report.pdf", "http:// or https://"),
        ("https://exa mple.org", "spaces"),
        ("https://", "no host"),
    ]:
        bad = await alice.slash("initiative doc add", initiative=HUMBLE, title="X", url=url)
        assert bad.ephemeral and reason in bad.text, (url, bad.text)
    blank = await alice.slash(
        "initiative doc add", initiative=HUMBLE, title="   ", url="https://a.b"
    )
    assert blank.ephemeral and "title is empty" in blank.text
    initiative = await agora.bot.services.directory.get_initiative(guild_id, HUMBLE)
    stored, total = await store.resources.list_page(guild_id, initiative.id, "document", 25, 0)
    assert total == 1 and [r.title for r in stored] == ["Pilot report 2017"]
    document_id = stored[0].id

    # A second one by bob, then the list shows both, newest first, with links.
    await bob.slash(
        "initiative doc add", initiative=HUMBLE, title="Lamp [v2] specs", url="https://e.org/s"
    )
    listing = await dave.slash("initiative doc list", initiative="humble lamppost")
    assert listing.embed is not None
    description = listing.embed["description"]
    assert description.index("Lamp (v2) specs") < description.index("Pilot report 2017")
    assert "(https://example.org/pilot.pdf)" in description
    assert "2 documents" in listing.embed["footer"]["text"]
    assert not listing.components  # one page: no buttons

    # The remove autocomplete lists the initiative's documents by title, value = id.
    choices = await bob.autocomplete("initiative doc remove", "document", "pil", initiative=HUMBLE)
    assert [c["value"] for c in choices] == [str(document_id)]
    assert choices[0]["name"].startswith("Pilot report 2017")

    # bob is a member but not the author: refused. carol leads the initiative: removed.
    denied = await bob.slash("initiative doc remove", initiative=HUMBLE, document=str(document_id))
    assert denied.ephemeral and "Only the person who added this document" in denied.text
    assert (await store.resources.get(guild_id, document_id)).title == "Pilot report 2017"
    removed = await carol.slash(
        "initiative doc remove", initiative=HUMBLE, document=str(document_id)
    )
    assert removed.ephemeral and "Removed the document **Pilot report 2017**" in removed.text
    _, total = await store.resources.list_page(guild_id, initiative.id, "document", 25, 0)
    assert total == 1

    # Typing the title instead of picking works; an unknown item is a clear refusal.
    by_title = await bob.slash(
        "initiative doc remove", initiative=HUMBLE, document="lamp [v2] specs"
    )
    assert "Removed the document" in by_title.text
    missing = await bob.slash("initiative doc remove", initiative=HUMBLE, document="Nope")
    assert missing.ephemeral and "has no document “Nope”" in missing.text

    info = await dave.slash("initiative info", initiative=HUMBLE)
    assert "Documents: 0" in info.text


async def test_projects_are_their_own_list_and_paginate(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    alice, admin = sandbox.user("alice"), sandbox.user("admin")
    await alice.slash("initiative join", initiative="Small Giants")
    for number in range(1, 13):
        result = await alice.slash(
            "initiative project add",
            initiative="small-giants",
            title=f"Pilot city {number:02d}",
            url=f"https://example.org/pilot/{number}",
        )
        assert not result.ephemeral
    first = await alice.slash("initiative project list", initiative="Small Giants")
    assert first.embed is not None
    assert "Pilot city 12" in first.embed["description"]
    assert "Pilot city 01" not in first.embed["description"]
    assert "Page 1 of 2 · 12 projects" in first.embed["footer"]["text"]
    second = await alice.click(first, "Next ▶")
    assert second.embed is not None and "Pilot city 01" in second.embed["description"]
    assert "Page 2 of 2" in second.embed["footer"]["text"]

    # Projects are not documents: the doc list stays empty and a project id is not a document.
    docs = await alice.slash("initiative doc list", initiative="Small Giants")
    assert docs.embed is not None and "No documents yet" in docs.embed["description"]
    choices = await alice.autocomplete(
        "initiative project remove", "project", "city 0", initiative="small-giants"
    )
    assert len(choices) == 9
    project_id = choices[0]["value"]
    wrong_kind = await admin.slash(
        "initiative doc remove", initiative="small-giants", document=project_id
    )
    assert wrong_kind.ephemeral and "has no document" in wrong_kind.text
    # An admin (organiser) may remove anyone's project.
    removed = await admin.slash(
        "initiative project remove", initiative="small-giants", project=project_id
    )
    assert "Removed the project" in removed.text
    info = await alice.slash("initiative info", initiative="Small Giants")
    assert "Projects: 11" in info.text

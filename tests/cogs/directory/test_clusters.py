"""/cluster list and /cluster info end to end: initiatives and live totals."""

from __future__ import annotations

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox


async def test_cluster_list_and_info_with_totals(sandbox: Sandbox, seeded: RunningAgora) -> None:
    alice, bob = sandbox.user("alice"), sandbox.user("bob")
    for user in (alice, bob):
        await user.slash("initiative join", initiative="Humble Lamppost")
    await alice.slash("initiative join", initiative="Small Giants")
    await alice.slash(
        "initiative doc add",
        initiative="Humble Lamppost",
        title="Lamppost pilot",
        url="https://example.org/pilot",
    )
    await bob.slash(
        "initiative project add",
        initiative="Humble Lamppost",
        title="Eindhoven",
        url="https://example.org/eindhoven",
    )

    listing = await bob.slash("cluster list")
    assert listing.embed is not None and not listing.ephemeral
    fields = {f["name"]: f["value"] for f in listing.embed["fields"]}
    assert len(fields) == 6
    infra = fields["Integrated Infrastructures and Processes"]
    assert infra.startswith("4 initiatives\n")
    assert "Members: 3 · Documents: 1 · Projects: 1 · Discussions: 0" in infra
    assert fields["Citizen Focus"].startswith("4 initiatives")
    assert fields["Sustainable Urban Mobility"].startswith("0 initiatives")

    choices = await bob.autocomplete("cluster info", "cluster", "infra")
    assert [c["value"] for c in choices] == ["integrated-infrastructures-processes"]
    info = await bob.slash("cluster info", cluster="integrated-infrastructures-processes")
    assert info.embed is not None
    assert info.embed["title"] == "Integrated Infrastructures and Processes"
    fields = {f["name"]: f["value"] for f in info.embed["fields"]}
    assert fields["Initiatives (4)"].split("\n")[0] == "**Humble Lamppost**: 2 members"
    assert "**Small Giants**: 1 member\n" in fields["Initiatives (4)"]
    assert fields["Totals"] == "Members: 3 · Documents: 1 · Projects: 1 · Discussions: 0"
    category = sandbox.channel("Integrated Infrastructures and Processes")
    assert fields["Category"] == f"<#{category.id}>"

    unknown = await bob.slash("cluster info", cluster="Space Travel")
    assert unknown.ephemeral and "No Action Cluster named “Space Travel”" in unknown.text

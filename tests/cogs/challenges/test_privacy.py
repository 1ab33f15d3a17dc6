"""/privacy show and forget with challenges and pitches: shown to their author; forgetting
keeps their text for the workshops and erases who wrote them."""

from __future__ import annotations

from bot.runtime import RunningAgora
from bot.services.common.permissions import Actor
from discord_sandbox import Sandbox

LAMP = "Humble Lamppost"


async def test_privacy_shows_and_forgets_challenges_and_pitches(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    dora, alice = sandbox.user("dora"), sandbox.user("alice")
    guild_id = int(sandbox.guild.id)
    await dora.slash("initiative join", initiative=LAMP)
    await alice.slash("initiative join", initiative=LAMP)
    await agora.bot.services.memberships.set_lead(
        guild_id, Actor(user_id=0, is_admin=True), LAMP, int(dora.id)
    )
    await dora.slash("challenge add", initiative=LAMP)
    await dora.submit_modal({"Title": "Powering sensors", "The challenge": "Poles are dark."})
    await alice.slash("challenge add", initiative=LAMP)
    await alice.submit_modal({"Title": "Alice's own", "The challenge": "Not Dora's."})
    await dora.slash("initiative pitch set", initiative=LAMP)
    await dora.submit_modal({"Pitch": "Light, sense, connect."})

    shown = await dora.slash("privacy show")
    assert shown.ephemeral and shown.embed is not None
    fields = {field["name"]: field["value"] for field in shown.embed["fields"]}
    section = fields["Challenges and pitches"]
    assert "Wrote the pitch of Humble Lamppost" in section
    assert "“Powering sensors” of Humble Lamppost" in section
    assert "Alice's own" not in section

    asked = await dora.slash("privacy forget")
    await dora.click(asked, "Erase my data")

    db = agora.bot.store.db
    rows = await db.fetch_all("SELECT title, added_by FROM challenges ORDER BY id")
    assert [(row[0], row[1]) for row in rows] == [
        ("Powering sensors", None),
        ("Alice's own", int(alice.id)),
    ]
    pitch = await db.fetch_one("SELECT body, set_by FROM initiative_pitches")
    assert pitch is not None and (pitch[0], pitch[1]) == ("Light, sense, connect.", None)

    # The challenge and the pitch are still there for everyone, without a name.
    listing = await alice.slash("challenge list")
    assert listing.embed is not None
    description = listing.embed["description"]
    assert "Powering sensors" in description and dora.id not in description
    info = await alice.slash("initiative info", initiative=LAMP)
    assert info.embed is not None and "Light, sense, connect." in str(info.embed)

    again = await dora.slash("privacy show")
    assert again.embed is not None
    assert "Challenges and pitches" not in {f["name"] for f in again.embed.get("fields", [])}

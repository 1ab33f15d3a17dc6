"""/initiative lead add and remove end to end: who may appoint, what a lead may then do,
what /initiative info, members and /me show, and the history kept of it."""

from __future__ import annotations

from typing import Any

from bot.runtime import RunningAgora
from bot.storage.directory.memberships import RoleChange
from discord_sandbox import InteractionResult, Sandbox
from discord_sandbox.permissions import Permission

LAMP = "Humble Lamppost"


def field(result: InteractionResult, name: str) -> str:
    assert result.embed is not None, result.text
    fields: list[dict[str, Any]] = result.embed.get("fields", [])
    return next(f["value"] for f in fields if f["name"] == name)


async def lead_changes(agora: RunningAgora, sandbox: Sandbox) -> list[RoleChange]:
    guild_id = int(sandbox.guild.id)
    initiative = await agora.bot.services.directory.get_initiative(guild_id, LAMP)
    return await agora.bot.store.memberships.role_changes_for_initiative(guild_id, initiative.id)


async def test_leads_appointed_shown_acting_and_removed(
    sandbox: Sandbox, seeded: RunningAgora
) -> None:
    agora = seeded
    guild_id = int(sandbox.guild.id)
    await sandbox.create_role("Organiser")
    olga = await sandbox.join("olga")
    await sandbox.add_role(olga, "Organiser")
    bob, carol, dave = (sandbox.user(name) for name in ("bob", "carol", "dave"))
    for member in (carol, dave):
        await member.slash("initiative join", initiative=LAMP)
    role = sandbox.role(LAMP)
    before = await bob.slash("initiative info", initiative=LAMP)
    assert field(before, "Leads") == "none yet"

    # An organiser appoints bob, not a member yet: he joins and gets the role too.
    appointed = await olga.slash("initiative lead add", initiative=LAMP, member=bob)
    assert appointed.ephemeral
    assert appointed.text == f"{bob.mention} is now a lead of **{LAMP}**, and a member."
    assert role.id in sandbox.member(bob).roles
    info = await dave.slash("initiative info", initiative=LAMP)
    assert field(info, "Leads") == bob.mention
    members = await dave.slash("initiative members", initiative=LAMP)
    assert members.embed is not None
    first, *others = members.embed["description"].splitlines()
    assert first.startswith(f"{bob.mention} · lead · since")
    assert len(others) == 2 and not any("lead" in line for line in others)
    me = await bob.slash("me")
    assert me.embed is not None
    assert me.embed["description"].startswith(f"**{LAMP}** · lead since <t:")

    # Now a lead, bob does what only leads (and organisers) may: remove dave's document.
    await dave.slash(
        "initiative doc add", initiative=LAMP, title="Pole census", url="https://e.org/census"
    )
    refused = await carol.slash("initiative doc remove", initiative=LAMP, document="Pole census")
    assert refused.ephemeral and refused.text.startswith("Only the person who added")
    removed = await bob.slash("initiative doc remove", initiative=LAMP, document="Pole census")
    assert not removed.text.startswith("Only"), removed.text
    info = await dave.slash("initiative info", initiative=LAMP)
    assert "Documents: 0" in field(info, "Activity")

    # A plain member may not appoint; nothing changes.
    denied = await dave.slash("initiative lead add", initiative=LAMP, member=carol)
    assert denied.ephemeral
    assert denied.text.startswith(f"Only leads of {LAMP} and organisers can choose its leads.")
    assert len(await lead_changes(agora, sandbox)) == 1

    # A lead appoints a member: no second membership, no "and a member".
    co_lead = await bob.slash("initiative lead add", initiative=LAMP, member=carol)
    assert co_lead.text == f"{carol.mention} is now a lead of **{LAMP}**."
    info = await dave.slash("initiative info", initiative=LAMP)
    assert set(field(info, "Leads").split(", ")) == {bob.mention, carol.mention}

    # Already a lead, a bot, someone who left: each said, nothing changed.
    again = await olga.slash("initiative lead add", initiative=LAMP, member=bob)
    assert (
        again.ephemeral
        and again.text == f"{bob.mention} is already a lead of {LAMP}: nothing changed."
    )
    robot = await olga.slash("initiative lead add", initiative=LAMP, member="Agora")
    assert robot.ephemeral and "is a bot, and only people can lead Humble Lamppost" in robot.text
    gone = await sandbox.join("gone")
    await sandbox.leave(gone)
    absent = await olga.slash("initiative lead add", initiative=LAMP, member=gone)
    assert absent.ephemeral
    assert absent.text == "gone is not a member of this server. Choose someone who is."
    assert "error id" not in absent.text
    assert len(await lead_changes(agora, sandbox)) == 2

    # Leads are peers: carol removes bob, who stays a member with his role.
    not_yours = await dave.slash("initiative lead remove", initiative=LAMP, member=bob)
    assert not_yours.ephemeral and not_yours.text.startswith("Only leads of")
    stepped = await carol.slash("initiative lead remove", initiative=LAMP, member=bob)
    assert stepped.ephemeral
    assert stepped.text == f"{bob.mention} is no longer a lead of **{LAMP}**, and still a member."
    assert role.id in sandbox.member(bob).roles
    me = await bob.slash("me")
    assert me.embed is not None and f"**{LAMP}** · member since" in me.embed["description"]
    # The last lead may step back too; then there is none.
    last = await carol.slash("initiative lead remove", initiative=LAMP, member=carol)
    assert last.text == f"You are no longer a lead of **{LAMP}**, and still a member."
    info = await dave.slash("initiative info", initiative=LAMP)
    assert field(info, "Leads") == "none yet"
    no_more = await carol.slash("initiative lead remove", initiative=LAMP, member=carol)
    assert no_more.ephemeral and no_more.text.startswith("Only leads of")
    nothing = await olga.slash("initiative lead remove", initiative=LAMP, member=carol)
    assert nothing.ephemeral
    assert nothing.text.startswith(f"{carol.mention} is not a lead of {LAMP}, so there is nothing")

    # The history: every change with who made it; the memberships themselves go on.
    assert [(c.user_id, c.reason, c.actor_id) for c in await lead_changes(agora, sandbox)] == [
        (int(bob.id), "lead_added", int(olga.id)),
        (int(carol.id), "lead_added", int(bob.id)),
        (int(bob.id), "lead_removed", int(carol.id)),
        (int(carol.id), "lead_removed", int(carol.id)),
    ]
    [stint] = await agora.bot.store.memberships.history_for_user(guild_id, int(bob.id))
    assert (stint.role, stint.join_reason, stint.left_at) == ("member", "appointed", None)
    shown = await bob.slash("privacy show")
    text = str(shown.embed)
    assert "Lead changes (3):" in text
    assert f"{LAMP}: made a lead on" in text and "(by another member)" in text
    assert f"{LAMP}: you made another member a lead on" in text


async def test_appointing_does_not_hand_out_a_role_given_powers(
    sandbox: Sandbox, seeded: RunningAgora
) -> None:
    """The appointee's role goes through /initiative join's role-safety check."""
    role = sandbox.role(LAMP)
    role.permissions |= Permission.BAN_MEMBERS
    sandbox.events.role_update(role)
    await sandbox.drain_gateway()
    admin, erin = sandbox.user("admin"), sandbox.user("erin")
    calls_before = len(sandbox.log)

    appointed = await admin.slash("initiative lead add", initiative=LAMP, member=erin)

    assert appointed.ephemeral
    assert appointed.text == (
        f"{erin.mention} is now a lead of **{LAMP}**, and a member. Agora did not give them "
        f"the {LAMP} role: it grants Ban Members, which @everyone does not have. "
        "Ask an admin to fix the role in Server Settings → Roles."
    )
    assert role.id not in sandbox.member(erin).roles
    assert not [c for c in sandbox.log[calls_before:] if "/roles/" in c.path]
    info = await erin.slash("initiative info", initiative=LAMP)
    assert field(info, "Leads") == erin.mention

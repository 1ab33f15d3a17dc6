"""Agora hands out only roles it can prove are harmless, end to end.

An initiative named like a powerful role ("Moderators", the organiser role) must
not turn ``/initiative join`` into a way to get that power: ``/admin setup`` does
not adopt such a role, ``/initiative join`` checks the role again when it grants
it, and a powerful role given by hand does not count as an initiative role.
Real sandbox over loopback sockets, real discord.py client, real SQLite file.
"""

from __future__ import annotations

import pytest

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from discord_sandbox.permissions import Permission
from tests.support.sync import handled


async def role_id_of(agora: RunningAgora, sandbox: Sandbox, initiative: str) -> int | None:
    found = await agora.bot.services.directory.get_initiative(int(sandbox.guild.id), initiative)
    return found.role_id


async def give_permission(sandbox: Sandbox, role_name: str, permission: int) -> None:
    """An admin edits the role in Server Settings → Roles."""
    role = sandbox.role(role_name)
    role.permissions |= permission
    sandbox.events.role_update(role)
    await sandbox.drain_gateway()


async def test_setup_does_not_adopt_a_same_named_role_that_can_kick(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    moderators = await sandbox.create_role("Small Giants", Permission.KICK_MEMBERS)
    harmless = await sandbox.create_role("Urban Data Platform")  # no permissions: adopted

    report = await sandbox.user("admin").slash("admin setup")

    assert report.ephemeral
    assert (
        "role Small Giants not adopted: it grants Kick Members, which @everyone does not have. "
        "Agora uses the role Small Giants (initiative) instead."
    ) in report.text
    distinct = sandbox.role("Small Giants (initiative)")
    assert await role_id_of(agora, sandbox, "small-giants") == int(distinct.id)
    assert distinct.permissions & Permission.KICK_MEMBERS == 0
    assert await role_id_of(agora, sandbox, "urban-data-platform") == int(harmless.id)

    bob = sandbox.user("bob")
    joined = await bob.slash("initiative join", initiative="Small Giants")
    assert joined.content == "Welcome to **Small Giants**!"
    assert moderators.id not in sandbox.member(bob).roles
    assert distinct.id in sandbox.member(bob).roles

    # A rerun finds the distinct role linked: nothing new, the refusal is not repeated.
    again = await sandbox.user("admin").slash("admin setup")
    assert "Nothing to create" in again.text
    assert "not adopted" not in again.text


@pytest.mark.parametrize(
    "agora_config_overrides", [{"community": {"organiser_role": "humble lamppost"}}]
)
async def test_setup_does_not_adopt_the_organiser_role(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    organisers = await sandbox.create_role("Humble Lamppost")  # no permissions, yet organisers

    report = await sandbox.user("admin").slash("admin setup")

    assert "role Humble Lamppost not adopted: it is the organiser role" in report.text
    assert await role_id_of(agora, sandbox, "humble-lamppost") == int(
        sandbox.role("Humble Lamppost (initiative)").id
    )
    carol = sandbox.user("carol")
    await carol.slash("initiative join", initiative="Humble Lamppost")
    assert organisers.id not in sandbox.member(carol).roles


async def test_join_does_not_grant_a_role_given_powers_after_setup(
    sandbox: Sandbox, seeded: RunningAgora
) -> None:
    await give_permission(sandbox, "Humble Lamppost", Permission.BAN_MEMBERS)
    role = sandbox.role("Humble Lamppost")
    calls_before = len(sandbox.log)

    dave = sandbox.user("dave")
    joined = await dave.slash("initiative join", initiative="Humble Lamppost")

    assert joined.ephemeral
    assert joined.text == (
        "Welcome to **Humble Lamppost**! Agora did not give you the Humble Lamppost role: "
        "it grants Ban Members, which @everyone does not have. "
        "Ask an admin to fix the role in Server Settings → Roles."
    )
    assert role.id not in sandbox.member(dave).roles
    assert not [c for c in sandbox.log[calls_before:] if "/roles/" in c.path]
    guild_id = int(sandbox.guild.id)
    mine = await seeded.bot.services.memberships.my_initiatives(guild_id, int(dave.id))
    assert [m.initiative.slug for m in mine] == ["humble-lamppost"]  # the membership counts


async def test_a_powerful_role_given_by_hand_starts_no_membership(
    sandbox: Sandbox, seeded: RunningAgora
) -> None:
    agora = seeded
    guild_id = int(sandbox.guild.id)
    memberships = agora.bot.services.memberships
    await give_permission(sandbox, "Small Giants", Permission.MANAGE_ROLES)
    erin, frank = sandbox.user("erin"), sandbox.user("frank")
    await frank.slash("initiative join", initiative="Small Giants")  # joined, no role given

    note = await handled(
        agora, "roles_changed", lambda: sandbox.add_role(erin, "Small Giants"), seconds=10
    )
    assert not note.changed
    assert await memberships.my_initiatives(guild_id, int(erin.id)) == []

    # Catching up on a new session (READY again) treats the role the same way: erin is
    # not made a member, and frank, who joined without the role, stays one.
    await handled(agora, "reconciled", lambda: sandbox.gateway_invalid_session(False), seconds=10)
    assert await memberships.my_initiatives(guild_id, int(erin.id)) == []
    frank_now = await memberships.my_initiatives(guild_id, int(frank.id))
    assert [m.initiative.slug for m in frank_now] == ["small-giants"]

    # Harmless again: the same role given by hand counts.
    role = sandbox.role("Small Giants")
    role.permissions &= ~Permission.MANAGE_ROLES
    sandbox.events.role_update(role)
    await sandbox.drain_gateway()
    grace = sandbox.user("grace")
    note = await handled(
        agora, "roles_changed", lambda: sandbox.add_role(grace, "Small Giants"), seconds=10
    )
    assert note.changed
    grace_now = await memberships.my_initiatives(guild_id, int(grace.id))
    assert [m.initiative.slug for m in grace_now] == ["small-giants"]

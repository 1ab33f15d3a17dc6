"""The organiser role is known by id: renamed, it keeps its powers; a new role given the
configured name gains none."""

from __future__ import annotations

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from tests.support.sync import handled

MEETING = {"start": "2040-06-20 09:00", "end": "17:00", "venue": "Metropole"}


async def test_a_renamed_organiser_role_keeps_its_powers_and_its_old_name_gives_none(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    guild_id = int(sandbox.guild.id)
    created = await handled(agora, "role_created", lambda: sandbox.create_role("Organiser"))
    assert created.changed  # first sight of the configured name: recorded by id
    role = sandbox.role("Organiser")
    settings = await agora.bot.store.guilds.get(guild_id)
    assert settings.organiser_role_id == int(role.id)

    bob = await sandbox.join("bob")
    await sandbox.add_role("bob", role)
    opened = await bob.slash("meeting create", **MEETING)
    assert opened.modal is not None, opened.text

    async def rename() -> None:
        role.name = "Coordinators"
        sandbox.events.role_update(role)

    renamed = await handled(agora, "role_updated", rename)
    assert not renamed.changed
    opened = await bob.slash("meeting create", **MEETING)
    assert opened.modal is not None, opened.text

    # A role named as the config names the organiser role is, now, just a role.
    await handled(agora, "role_created", lambda: sandbox.create_role("Organiser"))
    carol = await sandbox.join("carol")
    await sandbox.add_role("carol", "Organiser")
    refused = await carol.slash("meeting create", **MEETING)
    assert refused.modal is None
    assert refused.ephemeral and "organiser" in refused.text.casefold()
    settings = await agora.bot.store.guilds.get(guild_id)
    assert settings.organiser_role_id == int(role.id)


async def test_a_deleted_organiser_role_is_forgotten_and_the_name_finds_the_next(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    guild_id = int(sandbox.guild.id)
    await handled(agora, "role_created", lambda: sandbox.create_role("Organiser"))
    first = sandbox.role("Organiser")
    deleted = await handled(agora, "role_deleted", lambda: sandbox.delete_role(first))
    assert deleted.changed
    assert (await agora.bot.store.guilds.get(guild_id)).organiser_role_id is None
    await handled(agora, "role_created", lambda: sandbox.create_role("Organiser"))
    second = sandbox.role("Organiser")
    assert (await agora.bot.store.guilds.get(guild_id)).organiser_role_id == int(second.id)

"""/admin setup end to end: creates once, adopts on rerun, refuses without permissions."""

from __future__ import annotations

import pytest

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from discord_sandbox.driver import CommandError
from discord_sandbox.permissions import Permission


async def test_setup_twice_creates_nothing_the_second_time(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    admin = sandbox.user("admin")
    first = await admin.slash("admin setup")
    assert first.ephemeral
    assert "Created" in first.text
    humble = sandbox.channel("humble-lamppost")
    assert sandbox.role("Humble Lamppost") is not None
    category = sandbox.channel("Integrated Infrastructures and Processes")
    assert humble.parent_id == category.id
    cluster_channel = sandbox.channel("integrated-infrastructures-processes-cluster")
    assert cluster_channel.parent_id == category.id
    channel_count = len(sandbox.guild.channel_ids)
    role_count = len(sandbox.guild.roles)

    second = await admin.slash("admin setup")
    assert "Nothing to create" in second.text
    assert len(sandbox.guild.channel_ids) == channel_count
    assert len(sandbox.guild.roles) == role_count

    info = await sandbox.user("alice").slash("initiative info", initiative="Humble Lamppost")
    assert info.embed is not None
    channel_field = next(f for f in info.embed["fields"] if f["name"] == "Channel")
    assert channel_field["value"] == f"<#{humble.id}>"


async def test_setup_adopts_existing_channels_by_name(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    existing = await sandbox.create_channel("small-giants")
    result = await sandbox.user("admin").slash("admin setup")
    assert "Adopted" in result.text
    assert [c for c in sandbox.guild.channel_ids if sandbox.channel(c).name == "small-giants"] == [
        existing.id
    ]


async def test_setup_without_manage_roles_changes_nothing(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    bot_role = sandbox.role("Agora")
    bot_role.permissions &= ~Permission.MANAGE_ROLES
    sandbox.events.role_update(bot_role)
    await sandbox.drain_gateway()
    channels_before = len(sandbox.guild.channel_ids)
    roles_before = len(sandbox.guild.roles)
    calls_before = len(sandbox.log)

    result = await sandbox.user("admin").slash("admin setup")
    assert result.ephemeral
    assert "Manage Roles" in result.text and "nothing was changed" in result.text
    assert len(sandbox.guild.channel_ids) == channels_before
    assert len(sandbox.guild.roles) == roles_before
    assert not [
        c for c in sandbox.log[calls_before:] if c.method != "POST" or "callback" not in c.path
    ]


async def test_admin_commands_are_hidden_from_plain_members(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    with pytest.raises(CommandError, match="missing permissions"):
        await sandbox.user("bob").slash("admin setup")

"""What every cog needs from an interaction: the guild, the bot's services, the actor."""

from __future__ import annotations

import discord

from bot.cogs.shared.client import AgoraClient
from bot.errors import InvalidInput
from bot.services.common.permissions import Actor
from bot.wiring import Services


def services_of(interaction: discord.Interaction) -> Services:
    client = interaction.client
    assert isinstance(client, AgoraClient)
    return client.services


def agora_of(interaction: discord.Interaction) -> AgoraClient:
    client = interaction.client
    assert isinstance(client, AgoraClient)
    return client


def guild_id_of(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise InvalidInput("This command only works inside a server, not in direct messages.")
    return interaction.guild_id


def is_organiser(interaction: discord.Interaction) -> bool:
    """The organiser role (by id, see OrganiserRoles) or Manage Events / Manage Server."""
    member = interaction.user
    if not isinstance(member, discord.Member):
        return False
    permissions = member.guild_permissions
    if permissions.administrator or permissions.manage_guild or permissions.manage_events:
        return True
    return _has_organiser_role(interaction, member)


def is_admin(interaction: discord.Interaction) -> bool:
    """Manage Server or Administrator, or the configured organiser role (as the README says)."""
    member = interaction.user
    if not isinstance(member, discord.Member):
        return False
    permissions = member.guild_permissions
    if permissions.administrator or permissions.manage_guild:
        return True
    return _has_organiser_role(interaction, member)


def _has_organiser_role(interaction: discord.Interaction, member: discord.Member) -> bool:
    """The member holds the guild's organiser role, by id (a renamed role keeps working)."""
    return services_of(interaction).organisers.holds(
        member.guild.id, (role.id for role in member.roles)
    )


async def actor_of(interaction: discord.Interaction) -> Actor:
    return await services_of(interaction).memberships.actor(
        guild_id_of(interaction),
        interaction.user.id,
        is_admin=is_admin(interaction),
        is_organiser=is_organiser(interaction),
    )

"""Carrying out a setup plan in Discord: create, then link each thing as soon as it exists."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import discord

from bot.cogs.shared.role_guard import role_facts
from bot.services.common.text import plural
from bot.services.directory.service import DirectoryService
from bot.services.directory.setup_plan import ExistingChannel, ExistingRole, SetupPlan

log = logging.getLogger(__name__)

_CHANNEL_TYPES = {
    discord.ChannelType.text: "text",
    discord.ChannelType.forum: "forum",
    discord.ChannelType.voice: "voice",
    discord.ChannelType.stage_voice: "stage",
    discord.ChannelType.category: "category",
    discord.ChannelType.news: "news",
}


@dataclass
class SetupOutcome:
    created: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    refused_roles: list[str] = field(default_factory=list)  # roles Agora will not hand out


def missing_setup_permissions(permissions: discord.Permissions) -> list[str]:
    missing = []
    if not permissions.manage_channels:
        missing.append("Manage Channels")
    if not permissions.manage_roles:
        missing.append("Manage Roles")
    return missing


def existing_layout(guild: discord.Guild) -> tuple[list[ExistingChannel], list[ExistingRole]]:
    channels = [
        ExistingChannel(
            id=channel.id,
            name=channel.name,
            type=_CHANNEL_TYPES.get(channel.type, str(channel.type)),
            parent_id=channel.category_id,
        )
        for channel in guild.channels
    ]
    roles: list[ExistingRole] = [role_facts(role) for role in guild.roles]
    return channels, roles


async def carry_out_setup(
    guild: discord.Guild, plan: SetupPlan, directory: DirectoryService
) -> SetupOutcome:
    """Create what the plan says, linking each item right away so a rerun never duplicates."""
    outcome = SetupOutcome()
    guild_id = guild.id
    clusters = {c.slug: c for c in await directory.all_clusters(guild_id)}
    initiatives = {i.slug: i for i in await directory.all_initiatives(guild_id)}
    reason = "Agora /admin setup"

    for adopt in plan.adopt:
        if adopt.kind == "category":
            await directory.link_category(guild_id, clusters[adopt.slug].id, adopt.id)
        elif adopt.kind == "cluster_channel":
            await directory.link_cluster_channel(guild_id, clusters[adopt.slug].id, adopt.id)
        elif adopt.kind == "channel":
            await directory.link_channel(guild_id, initiatives[adopt.slug].id, adopt.id)
        else:
            await directory.link_role(guild_id, initiatives[adopt.slug].id, adopt.id)
        outcome.adopted.append(f"{adopt.kind} {adopt.name}")
    outcome.skipped.extend(f"{s.kind} {s.name}: {s.reason}" for s in plan.skipped)
    outcome.refused_roles.extend(refused.line() for refused in plan.refused_roles)
    for refused in plan.refused_roles:
        log.warning("setup in %s: %s", guild.name, refused.line())

    category_ids: dict[str, int] = {}
    for create_category in plan.create_categories:
        try:
            created = await guild.create_category(create_category.name, reason=reason)
        except discord.HTTPException as error:
            outcome.failed.append(f"category {create_category.name}: {error.text}")
            continue
        category_ids[create_category.cluster_slug] = created.id
        await directory.link_category(
            guild_id, clusters[create_category.cluster_slug].id, created.id
        )
        outcome.created.append(f"category {created.name}")

    for create_cluster_channel in plan.create_cluster_channels:
        parent_id = create_cluster_channel.category_id or category_ids.get(
            create_cluster_channel.cluster_slug
        )
        parent = guild.get_channel(parent_id) if parent_id else None
        try:
            cluster_channel = await guild.create_text_channel(
                create_cluster_channel.name,
                category=parent if isinstance(parent, discord.CategoryChannel) else None,
                topic=create_cluster_channel.topic,
                reason=reason,
            )
        except discord.HTTPException as error:
            outcome.failed.append(f"channel #{create_cluster_channel.name}: {error.text}")
            continue
        await directory.link_cluster_channel(
            guild_id, clusters[create_cluster_channel.cluster_slug].id, cluster_channel.id
        )
        outcome.created.append(f"channel #{cluster_channel.name}")

    for create_channel in plan.create_channels:
        parent_id = create_channel.category_id or category_ids.get(create_channel.cluster_slug)
        parent = guild.get_channel(parent_id) if parent_id else None
        home = parent if isinstance(parent, discord.CategoryChannel) else None
        try:
            if create_channel.kind == "forum":
                channel: discord.abc.GuildChannel = await guild.create_forum(
                    create_channel.name,
                    category=home,
                    topic=create_channel.topic,
                    reason=reason,
                )
            else:
                channel = await guild.create_text_channel(
                    create_channel.name,
                    category=home,
                    topic=create_channel.topic,
                    reason=reason,
                )
        except discord.HTTPException as error:
            outcome.failed.append(f"channel #{create_channel.name}: {error.text}")
            continue
        await directory.link_channel(
            guild_id, initiatives[create_channel.initiative_slug].id, channel.id
        )
        outcome.created.append(f"channel #{channel.name}")

    for create_role in plan.create_roles:
        try:
            role = await guild.create_role(name=create_role.name, mentionable=False, reason=reason)
        except discord.HTTPException as error:
            outcome.failed.append(f"role {create_role.name}: {error.text}")
            continue
        await directory.link_role(guild_id, initiatives[create_role.initiative_slug].id, role.id)
        outcome.created.append(f"role {role.name}")
    if outcome.failed:
        log.warning(
            "setup in %s: %s: %s",
            guild.name,
            plural(len(outcome.failed), "failure"),
            outcome.failed,
        )
    return outcome

"""Discord's side of ``role_safety``: a role and its guild described for the one check."""

from __future__ import annotations

import discord

from bot.services.directory.organisers import OrganiserRoles
from bot.services.directory.role_safety import RoleFacts, RoleGuard


def role_facts(role: discord.Role) -> RoleFacts:
    return RoleFacts(
        id=role.id,
        name=role.name,
        managed=(
            role.managed
            or role.is_bot_managed()
            or role.is_premium_subscriber()
            or role.is_integration()
        ),
        permissions=role.permissions.value,
        position=role.position,
        is_default=role.is_default(),
    )


def role_guard(guild: discord.Guild, organisers: OrganiserRoles, organiser_role: str) -> RoleGuard:
    """``organiser_role`` is the configured name, ``organisers`` the recorded roles."""
    me = guild.me
    return RoleGuard(
        everyone_permissions=guild.default_role.permissions.value,
        agora_position=0 if me is None else me.top_role.position,
        organiser_role=organiser_role,
        organiser_role_id=organisers.role_id(guild.id),
    )


def why_unsafe(role: discord.Role, organisers: OrganiserRoles, organiser_role: str) -> str | None:
    """Why Agora must not give or take ``role``; None when it may."""
    return role_guard(role.guild, organisers, organiser_role).why_unsafe(role_facts(role))


def role_names(guild: discord.Guild) -> list[tuple[int, str]]:
    """The guild's roles as (id, name), for ``OrganiserRoles.notice``."""
    return [(role.id, role.name) for role in guild.roles]

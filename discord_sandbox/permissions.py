"""Permission bits and Discord's permission computation algorithm.

See https://discord.com/developers/docs/topics/permissions#permission-overwrites : base
permissions from @everyone + member roles, Administrator short-circuits, then channel
overwrites (@everyone, roles, member) in that order; the guild owner has everything.
Threads inherit the overwrites of their parent channel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from discord_sandbox.models import Channel, Guild, Member


class Permission:
    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    CONNECT = 1 << 20
    MANAGE_NICKNAMES = 1 << 27
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_EVENTS = 1 << 33
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    SEND_MESSAGES_IN_THREADS = 1 << 38
    CREATE_EVENTS = 1 << 44
    PIN_MESSAGES = 1 << 51

    ALL = (1 << 52) - 1

    # What @everyone gets in a freshly created Discord server (abridged to the bits that matter).
    EVERYONE_DEFAULT = (
        CREATE_INSTANT_INVITE
        | ADD_REACTIONS
        | VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | CONNECT
        | USE_APPLICATION_COMMANDS
        | CREATE_PUBLIC_THREADS
        | SEND_MESSAGES_IN_THREADS
        | CREATE_EVENTS
    )


def base_permissions(guild: Guild, member: Member) -> int:
    if member.user_id == guild.owner_id:
        return Permission.ALL
    everyone = guild.roles.get(guild.everyone_role_id)
    perms = everyone.permissions if everyone is not None else 0
    for role_id in member.roles:
        role = guild.roles.get(role_id)
        if role is not None:
            perms |= role.permissions
    if perms & Permission.ADMINISTRATOR:
        return Permission.ALL
    return perms


def channel_permissions(
    guild: Guild, member: Member, channel: Channel, parent: Channel | None = None
) -> int:
    """Permissions of ``member`` in ``channel``; pass ``parent`` for threads."""
    perms = base_permissions(guild, member)
    if perms & Permission.ADMINISTRATOR or member.user_id == guild.owner_id:
        return Permission.ALL
    source = parent if channel.is_thread and parent is not None else channel
    overwrites = source.overwrites
    everyone = overwrites.get(guild.everyone_role_id)
    if everyone is not None:
        perms = (perms & ~everyone.deny) | everyone.allow
    allow = deny = 0
    for role_id in member.roles:
        ow = overwrites.get(role_id)
        if ow is not None and ow.type == 0:
            allow |= ow.allow
            deny |= ow.deny
    perms = (perms & ~deny) | allow
    own = overwrites.get(member.user_id)
    if own is not None and own.type == 1:
        perms = (perms & ~own.deny) | own.allow
    return perms


def highest_role_position(guild: Guild, member: Member) -> int:
    positions = [guild.roles[r].position for r in member.roles if r in guild.roles]
    return max(positions, default=0)

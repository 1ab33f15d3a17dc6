"""What one user of the guild sees, as JSON for the web client: the channel list, the
people and roles, the commands they may use, scheduled events and messages.

Everything is read from :class:`discord_sandbox.state.SandboxState`; nothing here changes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from discord_sandbox.message_build import EPHEMERAL
from discord_sandbox.models import JSON, Channel, ChannelType, Guild, Message, User
from discord_sandbox.permissions import Permission, base_permissions
from discord_sandbox.serialize import message_json

if TYPE_CHECKING:
    from discord_sandbox.server import Sandbox
    from discord_sandbox.state import SandboxState


def is_visible(state: SandboxState, channel: Channel, user_id: str) -> bool:
    """Whether ``user_id`` sees ``channel`` in the client (a thread: its parent, and for a
    private thread, membership or Manage Threads)."""
    if channel.type == ChannelType.DM:
        return user_id in channel.recipients
    perms = state.permissions_in(channel, user_id)
    if not perms & Permission.VIEW_CHANNEL:
        return False
    if channel.type == ChannelType.PRIVATE_THREAD:
        return user_id in channel.thread_members or bool(perms & Permission.MANAGE_THREADS)
    return True


def visible_channels(sb: Sandbox, user_id: str) -> list[Channel]:
    """The guild channels and threads ``user_id`` sees, then their DM with the bot."""
    state = sb.state
    guild = sb.guild
    out = [
        state.channels[cid]
        for cid in guild.channel_ids
        if cid in state.channels and is_visible(state, state.channels[cid], user_id)
    ]
    dm_id = state.dm_channel_ids.get(user_id)
    if dm_id is not None and dm_id in state.channels:
        out.append(state.channels[dm_id])
    return out


def channel_view(state: SandboxState, channel: Channel, user_id: str) -> JSON:
    data: JSON = {
        "id": channel.id,
        "type": channel.type,
        "name": channel.name,
        "parent_id": channel.parent_id,
        "position": channel.position,
        "topic": channel.topic,
    }
    if channel.type == ChannelType.DM:
        data["name"] = state.bot_user.username
    if channel.is_thread:
        data.update(
            archived=channel.archived,
            locked=channel.locked,
            message_count=channel.message_count,
            created=channel.create_timestamp,
            tags=list(channel.applied_tags),
        )
    if channel.type in (ChannelType.GUILD_FORUM, ChannelType.GUILD_MEDIA):
        data["available_tags"] = channel.available_tags
    if channel.type != ChannelType.GUILD_CATEGORY:
        perms = state.permissions_in(channel, user_id)
        send = Permission.SEND_MESSAGES
        if channel.is_thread:
            send = Permission.SEND_MESSAGES_IN_THREADS
        data["can_send"] = bool(perms & send) and not (channel.is_thread and channel.locked)
    return data


def user_view(guild: Guild, user: User) -> JSON:
    member = guild.members.get(user.id)
    return {
        "id": user.id,
        "name": user.username,
        "display_name": (member.nick if member and member.nick else None)
        or user.global_name
        or user.username,
        "bot": user.bot,
        "member": member is not None,
        "roles": list(member.roles) if member else [],
        "owner": user.id == guild.owner_id,
    }


def people_view(sb: Sandbox) -> JSON:
    guild = sb.guild
    roles = sorted(guild.roles.values(), key=lambda r: -r.position)
    return {
        "users": [user_view(guild, u) for u in sb.state.users.values()],
        "roles": [
            {
                "id": r.id,
                "name": r.name,
                "color": r.color,
                "position": r.position,
                "hoist": r.hoist,
                "managed": r.managed,
                "everyone": r.id == guild.everyone_role_id,
            }
            for r in roles
        ],
    }


def commands_view(sb: Sandbox, user_id: str) -> list[JSON]:
    """The slash commands this user may see (Discord hides those whose
    default_member_permissions they lack)."""
    guild = sb.guild
    member = guild.members.get(user_id)
    if member is None:
        return []
    perms = base_permissions(guild, member)
    out: list[JSON] = []
    for cmd in sb.state.commands_for(guild.id):
        if cmd.type != 1:
            continue
        required = cmd.payload.get("default_member_permissions")
        if required is not None and int(required) & ~perms:
            continue
        out.append(
            {
                "name": cmd.name,
                "description": cmd.payload.get("description") or "",
                "options": cmd.payload.get("options") or [],
            }
        )
    return sorted(out, key=lambda c: str(c["name"]))


def events_view(sb: Sandbox, user_id: str) -> list[JSON]:
    guild = sb.guild
    events = sorted(guild.scheduled_events.values(), key=lambda e: e.scheduled_start_time)
    return [
        {
            "id": e.id,
            "name": e.name,
            "start": e.scheduled_start_time,
            "end": e.scheduled_end_time,
            "location": e.location,
            "description": e.description,
            "status": e.status,
            "interested": len(e.interested),
            "me": user_id in e.interested,
        }
        for e in events
    ]


def message_view(sb: Sandbox, msg: Message) -> JSON:
    """``message_json`` and what the client shows besides: ``ephemeral``, the author's
    nickname, and for a reply to a slash command its path (``interaction_name``)."""
    state = sb.state
    data = message_json(state, msg)
    data["ephemeral"] = bool(msg.flags & EPHEMERAL)
    metadata = msg.interaction_metadata or {}
    record = sb.interactions.by_id.get(str(metadata.get("id") or ""))
    if record is not None and record.type == 2:
        data["interaction_name"] = record.name
    guild = state.guilds.get(msg.guild_id or "")
    member = guild.members.get(msg.author_id) if guild else None
    if member is not None and member.nick:
        data["author"]["global_name"] = member.nick
    return data


def sees_ephemeral(msg: Message, user_id: str) -> bool:
    user: dict[str, Any] = (msg.interaction_metadata or {}).get("user") or {}
    return user.get("id") == user_id


def messages_of(sb: Sandbox, channel: Channel, user_id: str) -> list[Message]:
    """The channel's messages and this user's ephemeral replies there, oldest first."""
    state = sb.state
    msgs = list(state.messages.get(channel.id, {}).values())
    msgs += [
        m
        for m in list(state.ephemeral_messages.values())
        if m.channel_id == channel.id and sees_ephemeral(m, user_id)
    ]
    msgs.sort(key=lambda m: int(m.id))
    return msgs


def message_signature(state: SandboxState, msg: Message) -> tuple[Any, ...]:
    """Changes whenever the message as shown changes (edits always stamp or clear a flag)."""
    thread = state.channels.get(msg.thread_id or "")
    return (
        msg.edited_timestamp,
        msg.flags,
        msg.pinned,
        thread.name if thread else None,
        thread.message_count if thread else None,
    )


def state_view(sb: Sandbox, user_id: str) -> JSON:
    """Everything the client shows at start, for ``user_id``."""
    state = sb.state
    guild = sb.guild
    return {
        "guild": {"id": guild.id, "name": guild.name},
        "me": user_view(guild, state.users[user_id]),
        "bot_id": state.bot_user_id,
        "default_channel": guild.system_channel_id or guild.channel_ids[0],
        "channels": [channel_view(state, c, user_id) for c in visible_channels(sb, user_id)],
        "people": people_view(sb),
        "commands": commands_view(sb, user_id),
        "events": events_view(sb, user_id),
        "can_manage_roles": user_id in guild.members
        and bool(base_permissions(guild, guild.members[user_id]) & Permission.MANAGE_ROLES),
    }

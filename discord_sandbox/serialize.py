"""Turn sandbox records into Discord's JSON objects.

Field sets follow the response schemas of Discord's OpenAPI spec (every ``required`` field is
present) and what the gateway adds on top (``guild_id``/``member`` on MESSAGE_CREATE, the
extra GUILD_CREATE fields).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from discord_sandbox.models import (
    JSON,
    AppCommand,
    Attachment,
    Channel,
    ChannelType,
    Guild,
    Member,
    Message,
    Role,
    ScheduledEvent,
    User,
)

if TYPE_CHECKING:
    from discord_sandbox.state import SandboxState


def user_json(user: User) -> JSON:
    data: JSON = {
        "id": user.id,
        "username": user.username,
        "avatar": None,
        "discriminator": "0",
        "public_flags": 0,
        "flags": 0,
        "global_name": user.global_name,
        "primary_guild": None,
        "avatar_decoration_data": None,
        "banner": None,
        "accent_color": None,
    }
    if user.bot:
        data["bot"] = True
    return data


def current_user_json(user: User) -> JSON:
    data = user_json(user)
    data.update(mfa_enabled=False, locale="en-US", verified=True, email=None, premium_type=0)
    return data


def role_json(role: Role) -> JSON:
    data: JSON = {
        "id": role.id,
        "name": role.name,
        "permissions": str(role.permissions),
        "position": role.position,
        "color": role.color,
        "colors": {"primary_color": role.color, "secondary_color": None, "tertiary_color": None},
        "hoist": role.hoist,
        "managed": role.managed,
        "mentionable": role.mentionable,
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
    }
    if role.bot_id is not None:
        data["tags"] = {"bot_id": role.bot_id}
    return data


def member_json(state: SandboxState, member: Member, *, with_user: bool = True) -> JSON:
    data: JSON = {
        "avatar": None,
        "banner": None,
        "communication_disabled_until": None,
        "flags": 0,
        "joined_at": member.joined_at,
        "nick": member.nick,
        "pending": False,
        "premium_since": None,
        "roles": list(member.roles),
        "mute": False,
        "deaf": False,
    }
    if with_user:
        data["user"] = user_json(state.users[member.user_id])
    return data


def overwrite_json(ow: Any) -> JSON:
    return {"id": ow.id, "type": ow.type, "allow": str(ow.allow), "deny": str(ow.deny)}


def channel_json(state: SandboxState, channel: Channel) -> JSON:
    if channel.type == ChannelType.DM:
        return {
            "id": channel.id,
            "type": channel.type,
            "flags": channel.flags,
            "last_message_id": channel.last_message_id,
            "recipients": [user_json(state.users[u]) for u in channel.recipients],
        }
    if channel.is_thread:
        return thread_json(channel)
    data: JSON = {
        "id": channel.id,
        "type": channel.type,
        "flags": channel.flags,
        "guild_id": channel.guild_id,
        "name": channel.name,
        "position": channel.position,
        "parent_id": channel.parent_id,
        "permission_overwrites": [overwrite_json(o) for o in channel.overwrites.values()],
        "nsfw": channel.nsfw,
    }
    if channel.type != ChannelType.GUILD_CATEGORY:
        data["topic"] = channel.topic
        data["last_message_id"] = channel.last_message_id
        data["rate_limit_per_user"] = channel.rate_limit_per_user
    if channel.type in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
        data["default_auto_archive_duration"] = channel.default_auto_archive_duration
        data["last_pin_timestamp"] = channel.last_pin_timestamp
    if channel.type in (ChannelType.GUILD_VOICE, ChannelType.GUILD_STAGE_VOICE):
        data.update(bitrate=64000, user_limit=0, rtc_region=None)
    if channel.type in (ChannelType.GUILD_FORUM, ChannelType.GUILD_MEDIA):
        data.update(
            available_tags=channel.available_tags,
            default_auto_archive_duration=channel.default_auto_archive_duration,
            default_reaction_emoji=None,
            default_sort_order=None,
            default_forum_layout=0,
            default_thread_rate_limit_per_user=0,
        )
    return data


def thread_json(thread: Channel) -> JSON:
    metadata: JSON = {
        "archived": thread.archived,
        "archive_timestamp": thread.archive_timestamp,
        "auto_archive_duration": thread.auto_archive_duration,
        "locked": thread.locked,
        "create_timestamp": thread.create_timestamp,
    }
    if thread.type == ChannelType.PRIVATE_THREAD:
        metadata["invitable"] = thread.invitable
    return {
        "id": thread.id,
        "type": thread.type,
        "flags": thread.flags,
        "guild_id": thread.guild_id,
        "name": thread.name,
        "parent_id": thread.parent_id,
        "owner_id": thread.owner_id,
        "last_message_id": thread.last_message_id,
        "last_pin_timestamp": thread.last_pin_timestamp,
        "rate_limit_per_user": thread.rate_limit_per_user,
        "thread_metadata": metadata,
        "message_count": thread.message_count,
        "member_count": len(thread.thread_members),
        "total_message_sent": thread.total_message_sent,
        "applied_tags": list(thread.applied_tags),
    }


def thread_member_json(thread: Channel, user_id: str) -> JSON:
    return {
        "id": thread.id,
        "user_id": user_id,
        "join_timestamp": thread.thread_members[user_id],
        "flags": 0,
    }


def attachment_json(att: Attachment) -> JSON:
    data: JSON = {
        "id": att.id,
        "filename": att.filename,
        "size": len(att.data),
        "url": att.url,
        "proxy_url": att.url,
    }
    if att.content_type:
        data["content_type"] = att.content_type
    if att.description:
        data["description"] = att.description
    return data


def message_json(state: SandboxState, msg: Message) -> JSON:
    users = state.users
    data: JSON = {
        "id": msg.id,
        "type": msg.type,
        "channel_id": msg.channel_id,
        "author": user_json(users[msg.author_id]),
        "content": msg.content,
        "timestamp": msg.timestamp,
        "edited_timestamp": msg.edited_timestamp,
        "tts": msg.tts,
        "mention_everyone": msg.mention_everyone,
        "mentions": [user_json(users[u]) for u in msg.mentions if u in users],
        "mention_roles": list(msg.mention_roles),
        "attachments": [attachment_json(a) for a in msg.attachments],
        "embeds": msg.embeds,
        "components": msg.components,
        "flags": msg.flags,
        "pinned": msg.pinned,
    }
    if msg.nonce is not None:
        data["nonce"] = msg.nonce
    if msg.webhook_id is not None:
        data["webhook_id"] = msg.webhook_id
    if msg.application_id is not None:
        data["application_id"] = msg.application_id
    if msg.interaction_metadata is not None:
        data["interaction_metadata"] = msg.interaction_metadata
    if msg.message_reference is not None:
        data["message_reference"] = msg.message_reference
    if msg.thread_id is not None and msg.thread_id in state.channels:
        data["thread"] = thread_json(state.channels[msg.thread_id])
    return data


def scheduled_event_json(state: SandboxState, event: ScheduledEvent) -> JSON:
    data: JSON = {
        "id": event.id,
        "guild_id": event.guild_id,
        "name": event.name,
        "description": event.description,
        "channel_id": event.channel_id,
        "creator_id": event.creator_id,
        "image": event.image,
        "scheduled_start_time": event.scheduled_start_time,
        "scheduled_end_time": event.scheduled_end_time,
        "status": event.status,
        "entity_type": event.entity_type,
        "entity_id": None,
        "recurrence_rule": None,
        "privacy_level": event.privacy_level,
        "guild_scheduled_event_exceptions": [],
        "entity_metadata": {"location": event.location or ""} if event.entity_type == 3 else None,
        "user_count": len(event.interested),
    }
    if event.creator_id is not None and event.creator_id in state.users:
        data["creator"] = user_json(state.users[event.creator_id])
    return data


def command_json(cmd: AppCommand) -> JSON:
    p = cmd.payload
    data: JSON = {
        "id": cmd.id,
        "application_id": cmd.application_id,
        "version": cmd.version,
        "default_member_permissions": p.get("default_member_permissions"),
        "type": cmd.type,
        "name": cmd.name,
        "name_localizations": p.get("name_localizations"),
        "description": p.get("description", "") if cmd.type == 1 else "",
        "description_localizations": p.get("description_localizations"),
        "dm_permission": p.get("dm_permission", True),
        "contexts": p.get("contexts"),
        "integration_types": p.get("integration_types") or [0],
        "nsfw": bool(p.get("nsfw", False)),
    }
    if p.get("options"):
        data["options"] = p["options"]
    if cmd.guild_id is not None:
        data["guild_id"] = cmd.guild_id
    return data


_GUILD_CONSTANTS: Mapping[str, Any] = MappingProxyType(
    {
        "icon": None,
        "description": None,
        "home_header": None,
        "splash": None,
        "discovery_splash": None,
        "features": [],
        "banner": None,
        "region": "deprecated",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "system_channel_flags": 0,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": 0,
        "default_message_notifications": 0,
        "mfa_level": 0,
        "explicit_content_filter": 0,
        "max_presences": None,
        "max_members": 500000,
        "max_stage_video_channel_users": 50,
        "max_video_channel_users": 25,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "rules_channel_id": None,
        "safety_alerts_channel_id": None,
        "public_updates_channel_id": None,
        "premium_progress_bar_enabled": False,
        "nsfw": False,
        "nsfw_level": 0,
        "emojis": [],
        "stickers": [],
        "incidents_data": None,
    }
)


def guild_json(guild: Guild, *, with_counts: bool = False) -> JSON:
    data: JSON = dict(_GUILD_CONSTANTS)
    data.update(
        id=guild.id,
        name=guild.name,
        owner_id=guild.owner_id,
        application_id=None,
        system_channel_id=guild.system_channel_id,
        roles=[role_json(r) for r in guild.roles.values()],
        features=[],
        emojis=[],
        stickers=[],
    )
    if with_counts:
        data["approximate_member_count"] = len(guild.members)
        data["approximate_presence_count"] = 0
    return data


def guild_create_json(state: SandboxState, guild: Guild, *, all_members: bool) -> JSON:
    """The GUILD_CREATE payload.

    Without the presence intent Discord only includes the bot's own member (clients are
    expected to chunk with op 8); ``all_members`` selects the full list.
    """
    data = guild_json(guild)
    channels: list[JSON] = []
    threads: list[JSON] = []
    for cid in guild.channel_ids:
        ch = state.channels[cid]
        if ch.is_thread:
            if not ch.archived:
                threads.append(thread_json(ch))
        else:
            channels.append(channel_json(state, ch))
    if all_members:
        members = [member_json(state, m) for m in guild.members.values()]
    else:
        own = guild.members.get(state.bot_user_id)
        members = [member_json(state, own)] if own is not None else []
    data.update(
        joined_at=guild.joined_at,
        large=len(guild.members) > 250,
        unavailable=False,
        member_count=len(guild.members),
        voice_states=[],
        members=members,
        channels=channels,
        threads=threads,
        presences=[],
        stage_instances=[],
        guild_scheduled_events=[
            scheduled_event_json(state, e) for e in guild.scheduled_events.values()
        ],
        soundboard_sounds=[],
        lazy=True,
    )
    return data

"""The sandbox's in-memory records of Discord objects.

These are plain mutable dataclasses; :mod:`discord_sandbox.serialize` turns them into Discord's
JSON shapes. Ids are kept as strings, exactly as they travel in JSON, so nothing is converted
on the hot path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


class ChannelType:
    GUILD_TEXT = 0
    DM = 1
    GUILD_VOICE = 2
    GUILD_CATEGORY = 4
    GUILD_ANNOUNCEMENT = 5
    ANNOUNCEMENT_THREAD = 10
    PUBLIC_THREAD = 11
    PRIVATE_THREAD = 12
    GUILD_STAGE_VOICE = 13
    GUILD_FORUM = 15
    GUILD_MEDIA = 16

    THREADS = frozenset({10, 11, 12})
    MESSAGEABLE = frozenset({0, 1, 2, 5, 10, 11, 12, 13})


@dataclass(slots=True)
class User:
    id: str
    username: str
    global_name: str | None = None
    bot: bool = False


@dataclass(slots=True)
class Role:
    id: str
    guild_id: str
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed: bool = False
    bot_id: str | None = None  # set for the bot's managed integration role


@dataclass(slots=True)
class Member:
    user_id: str
    guild_id: str
    joined_at: str
    roles: list[str] = field(default_factory=list)
    nick: str | None = None


@dataclass(slots=True)
class Overwrite:
    id: str
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0


@dataclass(slots=True)
class Attachment:
    id: str
    filename: str
    data: bytes
    content_type: str | None = None
    description: str | None = None
    url: str = ""


@dataclass(slots=True)
class Channel:
    id: str
    type: int
    name: str = ""
    guild_id: str | None = None
    position: int = 0
    parent_id: str | None = None
    topic: str | None = None
    nsfw: bool = False
    rate_limit_per_user: int = 0
    flags: int = 0
    overwrites: dict[str, Overwrite] = field(default_factory=dict)
    available_tags: list[JSON] = field(default_factory=list)
    default_auto_archive_duration: int = 4320
    last_message_id: str | None = None
    last_pin_timestamp: str | None = None
    recipients: list[str] = field(default_factory=list)  # DM only
    # thread-only fields
    owner_id: str | None = None
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    auto_archive_duration: int = 4320
    archive_timestamp: str | None = None
    create_timestamp: str | None = None
    message_count: int = 0
    total_message_sent: int = 0
    applied_tags: list[str] = field(default_factory=list)
    thread_members: dict[str, str] = field(default_factory=dict)  # user id -> join timestamp

    @property
    def is_thread(self) -> bool:
        return self.type in ChannelType.THREADS


@dataclass(slots=True)
class Message:
    id: str
    channel_id: str
    guild_id: str | None
    author_id: str
    content: str
    timestamp: str
    type: int = 0
    embeds: list[JSON] = field(default_factory=list)
    components: list[JSON] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    nonce: str | int | None = None
    tts: bool = False
    edited_timestamp: str | None = None
    pinned: bool = False
    pinned_at: str | None = None
    mentions: list[str] = field(default_factory=list)
    mention_roles: list[str] = field(default_factory=list)
    mention_everyone: bool = False
    webhook_id: str | None = None
    application_id: str | None = None
    interaction_metadata: JSON | None = None
    message_reference: JSON | None = None
    thread_id: str | None = None  # thread started from this message


@dataclass(slots=True)
class ScheduledEvent:
    id: str
    guild_id: str
    name: str
    scheduled_start_time: str
    entity_type: int
    creator_id: str | None = None
    description: str | None = None
    channel_id: str | None = None
    scheduled_end_time: str | None = None
    status: int = 1
    privacy_level: int = 2
    location: str | None = None
    image: str | None = None
    interested: dict[str, None] = field(default_factory=dict)  # ordered set of user ids


@dataclass(slots=True)
class AppCommand:
    id: str
    application_id: str
    guild_id: str | None
    version: str
    payload: JSON  # what the bot registered (name, description, options, type, ...)

    @property
    def name(self) -> str:
        return str(self.payload["name"])

    @property
    def type(self) -> int:
        return int(self.payload.get("type") or 1)


@dataclass(slots=True)
class Guild:
    id: str
    name: str
    owner_id: str
    joined_at: str
    system_channel_id: str | None = None
    roles: dict[str, Role] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    channel_ids: list[str] = field(default_factory=list)  # guild channels and threads
    scheduled_events: dict[str, ScheduledEvent] = field(default_factory=dict)

    @property
    def everyone_role_id(self) -> str:
        return self.id

"""The sandbox's world: users, guilds, channels, messages, commands.

Only bookkeeping lives here (create/find/mutate records); announcing changes over the gateway
is :mod:`discord_sandbox.events`' job and HTTP semantics are in :mod:`discord_sandbox.rest`.
"""

from __future__ import annotations

from discord_sandbox.models import (
    AppCommand,
    Attachment,
    Channel,
    ChannelType,
    Guild,
    Member,
    Message,
    Overwrite,
    Role,
    ScheduledEvent,
    User,
)
from discord_sandbox.permissions import Permission, channel_permissions
from discord_sandbox.snowflake import SnowflakeGenerator, iso_timestamp

BOT_ROLE_PERMISSIONS = (
    Permission.VIEW_CHANNEL
    | Permission.SEND_MESSAGES
    | Permission.SEND_MESSAGES_IN_THREADS
    | Permission.CREATE_PUBLIC_THREADS
    | Permission.MANAGE_CHANNELS
    | Permission.MANAGE_ROLES
    | Permission.MANAGE_THREADS
    | Permission.MANAGE_EVENTS
    | Permission.EMBED_LINKS
    | Permission.ATTACH_FILES
    | Permission.READ_MESSAGE_HISTORY
    | Permission.USE_APPLICATION_COMMANDS
)


class NotFound(LookupError):
    """A name or id given by a test does not match anything in the sandbox."""


class SandboxState:
    def __init__(self, bot_username: str = "Agora") -> None:
        self.ids = SnowflakeGenerator()
        self.users: dict[str, User] = {}
        self.users_by_name: dict[str, str] = {}
        self.guilds: dict[str, Guild] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: dict[str, dict[str, Message]] = {}  # channel id -> id -> message
        self.message_channel: dict[str, str] = {}  # message id -> channel id
        # Ephemeral interaction replies: visible only to the invoking user, never in history.
        self.ephemeral_messages: dict[str, Message] = {}
        self.attachments: dict[str, Attachment] = {}  # served at attachment_base_url
        self.dm_channel_ids: dict[str, str] = {}  # user id -> DM channel with the bot
        self.global_commands: dict[str, AppCommand] = {}
        self.guild_commands: dict[str, dict[str, AppCommand]] = {}
        self.application_id = self.ids.next()
        bot = self.new_user(bot_username, bot=True)
        self.bot_user_id = bot.id
        self.attachment_base_url = "http://127.0.0.1/attachments"

    # ---- users and guilds -------------------------------------------------------------
    def new_user(self, username: str, *, bot: bool = False) -> User:
        user = User(id=self.ids.next(), username=username, global_name=None if bot else username)
        user.bot = bot
        self.users[user.id] = user
        self.users_by_name.setdefault(username.lower(), user.id)
        return user

    @property
    def bot_user(self) -> User:
        return self.users[self.bot_user_id]

    def find_user(self, ref: str | int) -> User:
        key = str(ref)
        if key in self.users:
            return self.users[key]
        uid = self.users_by_name.get(key.lstrip("@").lower())
        if uid is None:
            raise NotFound(f"no user {ref!r} in the sandbox")
        return self.users[uid]

    def create_guild(
        self, name: str, owner_id: str, *, shard: tuple[int, int] | None = None
    ) -> Guild:
        """A new guild; with ``shard`` = (shard_id, num_shards) its id is picked so that its
        events go to that shard."""
        gid = self.ids.next() if shard is None else self.ids.next_on_shard(*shard)
        guild = Guild(id=gid, name=name, owner_id=owner_id, joined_at=iso_timestamp())
        guild.roles[gid] = Role(
            id=gid, guild_id=gid, name="@everyone", permissions=Permission.EVERYONE_DEFAULT
        )
        self.guilds[gid] = guild
        self.guild_commands[gid] = {}
        return guild

    def find_guild(self, ref: str | int) -> Guild:
        key = str(ref)
        if key in self.guilds:
            return self.guilds[key]
        for guild in self.guilds.values():
            if guild.name == key:
                return guild
        raise NotFound(f"no guild {ref!r} in the sandbox")

    def add_member(self, guild: Guild, user_id: str, roles: list[str] | None = None) -> Member:
        member = Member(
            user_id=user_id, guild_id=guild.id, joined_at=iso_timestamp(), roles=roles or []
        )
        guild.members[user_id] = member
        return member

    # ---- roles --------------------------------------------------------------------------
    def create_role(
        self,
        guild: Guild,
        name: str,
        permissions: int = 0,
        *,
        color: int = 0,
        hoist: bool = False,
        mentionable: bool = False,
        position: int | None = None,
        bot_id: str | None = None,
        shifted: list[Role] | None = None,
    ) -> Role:
        """Create a role; like Discord, a new role goes just above @everyone (position 1)
        unless a position is given, and the roles at or above it move up by one (collected
        in ``shifted``, for GUILD_ROLE_UPDATE)."""
        pos = 1 if position is None else max(1, position)
        for other in guild.roles.values():
            if other.id != guild.id and other.position >= pos:
                other.position += 1
                if shifted is not None:
                    shifted.append(other)
        role = Role(
            id=self.ids.next(),
            guild_id=guild.id,
            name=name,
            permissions=permissions,
            position=pos,
            color=color,
            hoist=hoist,
            mentionable=mentionable,
            managed=bot_id is not None,
            bot_id=bot_id,
        )
        guild.roles[role.id] = role
        return role

    def find_role(self, guild: Guild, ref: str | int) -> Role:
        key = str(ref)
        if key in guild.roles:
            return guild.roles[key]
        name = key.lstrip("@")
        for role in guild.roles.values():
            if role.name == name or role.name == key:
                return role
        raise NotFound(f"no role {ref!r} in guild {guild.name!r}")

    # ---- channels -----------------------------------------------------------------------
    def create_channel(
        self,
        guild: Guild | None,
        type: int,
        name: str = "",
        *,
        parent_id: str | None = None,
        topic: str | None = None,
        position: int | None = None,
        overwrites: list[Overwrite] | None = None,
        available_tags: list[dict[str, object]] | None = None,
    ) -> Channel:
        if position is None:
            position = sum(
                1
                for cid in (guild.channel_ids if guild else ())
                if not self.channels[cid].is_thread
            )
        channel = Channel(
            id=self.ids.next(),
            type=type,
            name=name,
            guild_id=guild.id if guild else None,
            parent_id=parent_id,
            topic=topic,
            position=position,
        )
        for ow in overwrites or ():
            channel.overwrites[ow.id] = ow
        for tag in available_tags or ():
            channel.available_tags.append(
                {
                    "id": str(tag.get("id") or self.ids.next()),
                    "name": tag.get("name", ""),
                    "moderated": bool(tag.get("moderated", False)),
                    "emoji_id": tag.get("emoji_id"),
                    "emoji_name": tag.get("emoji_name"),
                }
            )
        self.channels[channel.id] = channel
        self.messages[channel.id] = {}
        if guild is not None:
            guild.channel_ids.append(channel.id)
        return channel

    def create_thread(
        self,
        parent: Channel,
        name: str,
        owner_id: str,
        *,
        type: int = ChannelType.PUBLIC_THREAD,
        auto_archive_duration: int | None = None,
        applied_tags: list[str] | None = None,
        thread_id: str | None = None,
    ) -> Channel:
        guild = self.guilds[str(parent.guild_id)]
        now = iso_timestamp()
        thread = Channel(
            id=thread_id or self.ids.next(),
            type=type,
            name=name,
            guild_id=guild.id,
            parent_id=parent.id,
            owner_id=owner_id,
            auto_archive_duration=auto_archive_duration or parent.default_auto_archive_duration,
            archive_timestamp=now,
            create_timestamp=now,
            applied_tags=list(applied_tags or ()),
        )
        thread.thread_members[owner_id] = now
        self.channels[thread.id] = thread
        self.messages[thread.id] = {}
        guild.channel_ids.append(thread.id)
        return thread

    def find_channel(self, ref: str | int, guild: Guild | None = None) -> Channel:
        key = str(ref)
        if key in self.channels:
            return self.channels[key]
        name = key.lstrip("#")
        guilds = [guild] if guild is not None else list(self.guilds.values())
        for g in guilds:
            for cid in g.channel_ids:
                if self.channels[cid].name == name:
                    return self.channels[cid]
        raise NotFound(f"no channel or thread {ref!r} in the sandbox")

    def guild_of(self, channel: Channel) -> Guild | None:
        return self.guilds.get(channel.guild_id) if channel.guild_id else None

    def remove_channel(self, channel: Channel) -> None:
        self.channels.pop(channel.id, None)
        for mid in self.messages.pop(channel.id, {}):
            self.message_channel.pop(mid, None)
        guild = self.guild_of(channel)
        if guild is not None and channel.id in guild.channel_ids:
            guild.channel_ids.remove(channel.id)

    def dm_channel(self, user_id: str) -> Channel:
        cid = self.dm_channel_ids.get(user_id)
        if cid is not None:
            return self.channels[cid]
        channel = self.create_channel(None, ChannelType.DM)
        channel.recipients = [user_id]
        self.dm_channel_ids[user_id] = channel.id
        return channel

    def permissions_in(self, channel: Channel, user_id: str) -> int:
        guild = self.guild_of(channel)
        if guild is None:
            return Permission.ALL & ~Permission.ADMINISTRATOR
        member = guild.members.get(user_id)
        if member is None:
            return 0
        parent = self.channels.get(channel.parent_id or "") if channel.is_thread else None
        return channel_permissions(guild, member, channel, parent)

    # ---- messages -----------------------------------------------------------------------
    def add_message(self, msg: Message) -> Message:
        self.messages[msg.channel_id][msg.id] = msg
        self.message_channel[msg.id] = msg.channel_id
        channel = self.channels[msg.channel_id]
        channel.last_message_id = msg.id
        if channel.is_thread:
            channel.message_count += 1
            channel.total_message_sent += 1
        return msg

    def new_message(
        self, channel: Channel, author_id: str, content: str = "", **fields: object
    ) -> Message:
        msg = Message(
            id=self.ids.next(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author_id=author_id,
            content=content,
            timestamp=iso_timestamp(),
            **fields,  # type: ignore[arg-type]
        )
        return self.add_message(msg)

    def find_message(self, channel_id: str, message_id: str) -> Message | None:
        return self.messages.get(channel_id, {}).get(message_id)

    def message_by_id(self, message_id: str) -> Message | None:
        """A channel message or an ephemeral reply, by id."""
        cid = self.message_channel.get(message_id)
        if cid is None:
            return self.ephemeral_messages.get(message_id)
        return self.messages[cid].get(message_id)

    def remove_message(self, msg: Message) -> None:
        self.messages.get(msg.channel_id, {}).pop(msg.id, None)
        self.message_channel.pop(msg.id, None)
        channel = self.channels.get(msg.channel_id)
        if channel is not None and channel.is_thread:
            channel.message_count = max(0, channel.message_count - 1)

    # ---- scheduled events / commands ----------------------------------------------------
    def find_event(self, guild: Guild, ref: str | int) -> ScheduledEvent:
        key = str(ref)
        if key in guild.scheduled_events:
            return guild.scheduled_events[key]
        for event in guild.scheduled_events.values():
            if event.name == key:
                return event
        raise NotFound(f"no scheduled event {ref!r} in guild {guild.name!r}")

    def commands_for(self, guild_id: str | None) -> list[AppCommand]:
        """Commands visible in a guild: guild-specific first, then global."""
        cmds = list(self.guild_commands.get(guild_id, {}).values()) if guild_id else []
        return cmds + list(self.global_commands.values())

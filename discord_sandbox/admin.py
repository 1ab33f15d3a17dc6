"""What people do "by hand in Discord" (admins and members), each change dispatched over the
gateway like Discord does. Mixed into :class:`discord_sandbox.server.Sandbox`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from discord_sandbox.models import (
    JSON,
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
from discord_sandbox.serialize import message_json
from discord_sandbox.snowflake import iso_timestamp

if TYPE_CHECKING:
    from discord_sandbox.driver import UserDriver
    from discord_sandbox.events import EventEmitter
    from discord_sandbox.state import SandboxState


def _user_id(state: SandboxState, user: Any) -> str:
    if hasattr(user, "user") and isinstance(user.user, User):  # a UserDriver
        return str(user.user.id)
    if isinstance(user, User):
        return user.id
    return state.find_user(user).id


class AdminActions:
    state: SandboxState
    events: EventEmitter
    _drivers: dict[str, UserDriver]

    # ---- lookups -------------------------------------------------------------------------------
    @property
    def guild(self) -> Guild:
        """The default (first) guild."""
        if not self.state.guilds:
            raise LookupError("the sandbox has no guild yet: call create_seed_guild() first")
        return next(iter(self.state.guilds.values()))

    def _guild(self, guild: Guild | str | None) -> Guild:
        if guild is None:
            return self.guild
        return guild if isinstance(guild, Guild) else self.state.find_guild(guild)

    def user(self, name: str) -> UserDriver:
        """The driver for user ``name``; created on first mention as a plain member of the
        default guild (GUILD_MEMBER_ADD is dispatched)."""

        return self._user(name, self.guild)

    def _user(self, name: str, join: Guild | None) -> UserDriver:
        """The driver for ``name``; a new user first joins ``join`` (if given)."""
        from discord_sandbox.driver import UserDriver

        key = name.lower()
        driver = self._drivers.get(key)
        if driver is not None:
            return driver
        state = self.state
        uid = state.users_by_name.get(key)
        if uid is None:
            user = state.new_user(name)
            if join is not None:
                member = state.add_member(join, user.id)
                self.events.member_add(member)
        else:
            user = state.users[uid]
        driver = UserDriver(self, user)  # type: ignore[arg-type]
        self._drivers[key] = driver
        return driver

    def channel(self, ref: str | int, guild: Guild | str | None = None) -> Channel:
        """A channel or thread by name (``"general"``, ``"#general"``) or id."""
        return self.state.find_channel(ref, self._guild(guild) if self.state.guilds else None)

    def role(self, ref: str | int, guild: Guild | str | None = None) -> Role:
        return self.state.find_role(self._guild(guild), ref)

    def member(self, user: Any, guild: Guild | str | None = None) -> Member:
        g = self._guild(guild)
        uid = _user_id(self.state, user)
        if uid not in g.members:
            raise LookupError(f"{user!r} is not a member of {g.name!r}")
        return g.members[uid]

    def event(self, ref: str | int, guild: Guild | str | None = None) -> ScheduledEvent:
        return self.state.find_event(self._guild(guild), ref)

    def messages(self, channel: str | int | Channel) -> list[JSON]:
        """Messages of a channel or thread, oldest first (ephemeral replies excluded)."""
        ch = channel if isinstance(channel, Channel) else self.channel(channel)
        return [message_json(self.state, m) for m in self.state.messages.get(ch.id, {}).values()]

    def dms(self, user: Any) -> list[JSON]:
        """Messages in the DM channel between the bot and ``user``, oldest first."""
        uid = _user_id(self.state, user)
        cid = self.state.dm_channel_ids.get(uid)
        if cid is None:
            return []
        return [message_json(self.state, m) for m in self.state.messages[cid].values()]

    def pins(self, channel: str | int | Channel) -> list[JSON]:
        ch = channel if isinstance(channel, Channel) else self.channel(channel)
        return [
            message_json(self.state, m)
            for m in self.state.messages.get(ch.id, {}).values()
            if m.pinned
        ]

    # ---- members and roles -----------------------------------------------------------------
    async def join(self, name: str, guild: Guild | str | None = None) -> UserDriver:
        g = self._guild(guild)
        driver = self._user(name, join=None)
        if driver.user.id not in g.members:
            member = self.state.add_member(g, driver.user.id)
            self.events.member_add(member)
        return driver

    async def leave(self, user: Any, guild: Guild | str | None = None) -> None:
        g = self._guild(guild)
        uid = _user_id(self.state, user)
        if g.members.pop(uid, None) is not None:
            self.events.member_remove(g, uid)

    async def add_role(self, user: Any, role: str | Role, guild: Guild | str | None = None) -> None:
        g = self._guild(guild)
        member = self.member(user, g)
        r = role if isinstance(role, Role) else self.state.find_role(g, role)
        if r.id not in member.roles:
            member.roles.append(r.id)
            self.events.member_update(member)

    async def remove_role(
        self, user: Any, role: str | Role, guild: Guild | str | None = None
    ) -> None:
        g = self._guild(guild)
        member = self.member(user, g)
        r = role if isinstance(role, Role) else self.state.find_role(g, role)
        if r.id in member.roles:
            member.roles.remove(r.id)
            self.events.member_update(member)

    async def set_nick(self, user: Any, nick: str | None, guild: Guild | str | None = None) -> None:
        member = self.member(user, guild)
        member.nick = nick
        self.events.member_update(member)

    async def create_role(
        self, name: str, permissions: int = 0, guild: Guild | str | None = None, **kw: Any
    ) -> Role:
        shifted: list[Role] = []
        role = self.state.create_role(self._guild(guild), name, permissions, shifted=shifted, **kw)
        self.events.role_create(role)
        for other in shifted:
            self.events.role_update(other)
        return role

    async def delete_role(self, role: str | Role, guild: Guild | str | None = None) -> None:
        g = self._guild(guild)
        r = role if isinstance(role, Role) else self.state.find_role(g, role)
        del g.roles[r.id]
        for member in g.members.values():
            if r.id in member.roles:
                member.roles.remove(r.id)
        self.events.role_delete(r)

    # ---- channels and threads -----------------------------------------------------------
    async def create_channel(
        self,
        name: str,
        type: int = ChannelType.GUILD_TEXT,
        *,
        parent: str | Channel | None = None,
        topic: str | None = None,
        tags: list[str] | None = None,
        guild: Guild | str | None = None,
    ) -> Channel:
        """Create a channel (``type``: 0 text, 2 voice, 4 category, 5 announcement, 15 forum;
        ``tags``: forum tag names)."""
        g = self._guild(guild)
        parent_ch = self.channel(parent, g) if isinstance(parent, str) else parent
        ch = self.state.create_channel(
            g,
            type,
            name,
            parent_id=parent_ch.id if parent_ch else None,
            topic=topic,
            available_tags=[{"name": t} for t in tags or ()],
        )
        self.events.channel_create(ch)
        return ch

    async def rename_channel(self, channel: str | Channel, new_name: str) -> Channel:
        ch = channel if isinstance(channel, Channel) else self.channel(channel)
        ch.name = new_name
        self.events.channel_update(ch)
        return ch

    async def set_permissions(
        self,
        channel: str | Channel,
        target: Any,
        *,
        allow: int = 0,
        deny: int = 0,
    ) -> None:
        """Set a permission overwrite for a role (Role or role name) or a member."""
        ch = channel if isinstance(channel, Channel) else self.channel(channel)
        g = self.state.guild_of(ch)
        assert g is not None, "permission overwrites exist in guild channels only"
        if isinstance(target, Role):
            ow = Overwrite(target.id, 0, allow, deny)
        else:
            try:
                ow = Overwrite(self.state.find_role(g, target).id, 0, allow, deny)
            except LookupError:
                ow = Overwrite(_user_id(self.state, target), 1, allow, deny)
        ch.overwrites[ow.id] = ow
        self.events.channel_update(ch)

    async def delete_channel(self, channel: str | Channel) -> None:
        ch = channel if isinstance(channel, Channel) else self.channel(channel)
        g = self.state.guild_of(ch)
        if g is not None and not ch.is_thread:
            for cid in list(g.channel_ids):
                child = self.state.channels[cid]
                if child.is_thread and child.parent_id == ch.id:
                    self.state.remove_channel(child)
        self.state.remove_channel(ch)
        self.events.channel_delete(ch)

    async def archive_thread(self, thread: str | Channel, *, locked: bool = False) -> Channel:
        th = thread if isinstance(thread, Channel) else self.channel(thread)
        th.archived = True
        th.locked = locked or th.locked
        th.archive_timestamp = iso_timestamp()
        self.events.channel_update(th)
        return th

    async def unarchive_thread(self, thread: str | Channel) -> Channel:
        th = thread if isinstance(thread, Channel) else self.channel(thread)
        th.archived = False
        th.locked = False
        th.archive_timestamp = iso_timestamp()
        self.events.channel_update(th)
        return th

    async def delete_thread(self, thread: str | Channel) -> None:
        await self.delete_channel(thread)

    async def delete_message(self, message: JSON | Message | str) -> None:
        mid = (
            message.id
            if isinstance(message, Message)
            else (str(message["id"]) if isinstance(message, dict) else str(message))
        )
        msg = self.state.message_by_id(mid)
        if msg is None:
            raise LookupError(f"no message {mid}")
        self.state.remove_message(msg)
        self.events.message_delete(msg)

    # ---- scheduled events ----------------------------------------------------------------
    async def create_event(
        self,
        name: str,
        start: datetime | str,
        end: datetime | str | None = None,
        *,
        location: str | None = "Online",
        channel: str | Channel | None = None,
        description: str | None = None,
        creator: Any = "admin",
        guild: Guild | str | None = None,
    ) -> ScheduledEvent:
        """Create a scheduled event by hand: external (``location``) or in a voice channel."""
        g = self._guild(guild)
        ch = self.channel(channel, g) if isinstance(channel, str) else channel
        event = ScheduledEvent(
            id=self.state.ids.next(),
            guild_id=g.id,
            name=name,
            scheduled_start_time=start if isinstance(start, str) else iso_timestamp(start),
            scheduled_end_time=(end if isinstance(end, str) or end is None else iso_timestamp(end)),
            entity_type=2 if ch is not None else 3,
            channel_id=ch.id if ch is not None else None,
            location=None if ch is not None else location,
            description=description,
            creator_id=_user_id(self.state, creator),
        )
        g.scheduled_events[event.id] = event
        self.events.scheduled_event("CREATE", event)
        return event

    async def delete_event(
        self, event: str | ScheduledEvent, guild: Guild | str | None = None
    ) -> None:
        g = self._guild(guild)
        ev = event if isinstance(event, ScheduledEvent) else self.state.find_event(g, event)
        g.scheduled_events.pop(ev.id, None)
        self.events.scheduled_event("DELETE", ev)

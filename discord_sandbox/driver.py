"""The user side: what a Discord user does in the client, as coroutines for tests.

Design choice for failures: every interaction method (``slash``, ``click``, ``select``,
``submit_modal``, ``autocomplete``...) raises :class:`InteractionFailed` when the bot did not
answer in time (or only with refused callbacks), so a silent failure cannot pass a test.
The exception carries the :class:`InteractionResult` (``exc.result``) and the reason; the
failure is also recorded in ``sandbox.failures``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from discord_sandbox.interactions import InteractionRecord, InteractionType
from discord_sandbox.models import (
    JSON,
    Attachment,
    Channel,
    ChannelType,
    Guild,
    Message,
    Role,
    User,
)
from discord_sandbox.permissions import Permission, base_permissions, highest_role_position
from discord_sandbox.serialize import attachment_json, message_json
from discord_sandbox.snowflake import iso_timestamp

if TYPE_CHECKING:
    from discord_sandbox.server import Sandbox


class InteractionFailed(AssertionError):
    """The bot did not answer an interaction as Discord requires."""

    def __init__(self, result: InteractionResult, reason: str) -> None:
        super().__init__(f"interaction {result.name!r} failed: {reason}")
        self.result = result
        self.reason = reason


class CommandError(LookupError):
    """The test asked for a command/option/component that the bot did not register or send."""


class ClientRefused(CommandError):
    """Discord's client would not let this user do it: a command hidden by its
    default_member_permissions, a disabled button, a locked thread, a server setting the
    user lacks the permission (or the role position) to change."""


class InteractionResult:
    """What the user sees after an interaction. Properties read the live state, so followups
    sent after the result was returned show up in :attr:`followups`."""

    def __init__(self, sb: Sandbox, record: InteractionRecord) -> None:
        self._sb = sb
        self.record = record

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def failed(self) -> bool:
        return self.record.failure is not None

    @property
    def failure(self) -> str | None:
        return self.record.failure

    @property
    def response_type(self) -> int | None:
        return self.record.response_type

    @property
    def deferred(self) -> bool:
        return self.record.deferred

    @property
    def ephemeral(self) -> bool:
        return self.record.ephemeral

    def _message(self) -> Message | None:
        return self._sb.state.message_by_id(self.record.original_message_id or "")

    @property
    def message(self) -> JSON | None:
        """The response message (for component updates: the updated message)."""
        msg = self._message()
        return None if msg is None else message_json(self._sb.state, msg)

    @property
    def content(self) -> str | None:
        msg = self._message()
        return None if msg is None else msg.content

    @property
    def embeds(self) -> list[JSON]:
        msg = self._message()
        return [] if msg is None else msg.embeds

    @property
    def embed(self) -> JSON | None:
        embeds = self.embeds
        return embeds[0] if embeds else None

    @property
    def components(self) -> list[JSON]:
        msg = self._message()
        return [] if msg is None else msg.components

    @property
    def attachments(self) -> list[Attachment]:
        """Files of the response and its followups (``.filename``, ``.data`` bytes)."""
        state = self._sb.state
        ids = [self.record.original_message_id, *self.record.followup_ids]
        out: list[Attachment] = []
        for mid in ids:
            msg = state.message_by_id(mid or "")
            if msg is not None:
                out.extend(msg.attachments)
        return out

    @property
    def followups(self) -> list[JSON]:
        state = self._sb.state
        msgs = (state.message_by_id(mid) for mid in self.record.followup_ids)
        return [message_json(state, m) for m in msgs if m is not None]

    @property
    def modal(self) -> JSON | None:
        return self.record.modal

    @property
    def choices(self) -> list[JSON] | None:
        return self.record.choices

    @property
    def text(self) -> str:
        """All visible text (content, embed titles/descriptions/fields/footers, followups),
        for loose assertions."""
        state = self._sb.state
        parts: list[str] = []
        for mid in [self.record.original_message_id, *self.record.followup_ids]:
            msg = state.message_by_id(mid or "")
            if msg is None:
                continue
            parts.append(msg.content)
            for e in msg.embeds:
                parts += [e.get("title") or "", e.get("description") or ""]
                for f in e.get("fields") or ():
                    parts += [f.get("name") or "", f.get("value") or ""]
                parts.append((e.get("footer") or {}).get("text") or "")
        return "\n".join(p for p in parts if p)

    async def wait_followups(self, count: int = 1, timeout: float = 5.0) -> list[JSON]:  # noqa: ASYNC109
        """Wait until the bot has sent at least ``count`` followups (event-driven)."""
        record = self.record

        async def reached() -> None:
            while len(record.followup_ids) < count:
                record.changed.clear()
                await record.changed.wait()

        await asyncio.wait_for(reached(), timeout)
        return self.followups

    def __repr__(self) -> str:
        return (
            f"<InteractionResult {self.name!r} type={self.response_type} "
            f"content={self.content!r} failed={self.failure!r}>"
        )


def _walk_components(components: list[JSON]) -> list[JSON]:
    out: list[JSON] = []
    for c in components:
        out.append(c)
        out.extend(_walk_components(c.get("components") or []))
        if isinstance(c.get("component"), dict):
            out.extend(_walk_components([c["component"]]))
        if isinstance(c.get("accessory"), dict):
            out.append(c["accessory"])
    return out


class UserDriver:
    def __init__(self, sb: Sandbox, user: User) -> None:
        self.sb = sb
        self.user = user
        self.last_modal: tuple[JSON, InteractionRecord] | None = None

    @property
    def id(self) -> str:
        return self.user.id

    @property
    def mention(self) -> str:
        return f"<@{self.user.id}>"

    def __repr__(self) -> str:
        return f"<UserDriver {self.user.username}>"

    # ---- helpers ---------------------------------------------------------------------------
    def _channel(self, ref: str | int | Channel | None) -> Channel:
        if isinstance(ref, Channel):
            return ref
        if ref is None:
            guild = self.sb.guild
            return self.sb.state.channels[guild.system_channel_id or guild.channel_ids[0]]
        return self.sb.channel(ref)

    async def _settle(
        self, record: InteractionRecord, *, wait_completion: bool
    ) -> InteractionResult:
        result = InteractionResult(self.sb, record)
        timeout = self.sb.interactions.response_deadline + 2.0
        await asyncio.wait_for(record.answered.wait(), timeout)
        if record.failure is not None:
            raise InteractionFailed(result, record.failure)
        if wait_completion and not record.completed.is_set():
            try:
                await asyncio.wait_for(record.completed.wait(), self.sb.deferred_timeout)
            except TimeoutError:
                raise InteractionFailed(
                    result,
                    f"deferred, but no followup/edit within {self.sb.deferred_timeout:g} s",
                ) from None
        if record.modal is not None:
            self.last_modal = (record.modal, record)
        return result

    async def _run(
        self,
        type: int,
        name: str,
        channel: Channel,
        data: JSON,
        message: Message | None = None,
        opened_by: InteractionRecord | None = None,
    ) -> InteractionResult:
        record = self.sb.interactions.create(
            type, name, self.user.id, channel, data, message, opened_by=opened_by
        )
        return await self._settle(record, wait_completion=True)

    # ---- application commands ----------------------------------------------------------------
    async def slash(
        self, command: str, /, *, in_channel: str | Channel | None = None, **options: Any
    ) -> InteractionResult:
        """Run ``/command [group] [sub]`` with typed options (by option name; ``-`` in names
        may be written ``_``). ``channel=`` is the option named "channel" when the command has
        one, otherwise where the command is typed (``in_channel=`` is always the latter)."""
        from discord_sandbox.slash import build_command_data, check_can_use, resolve_command

        channel = self._channel(in_channel)
        cmd, _, leaf = resolve_command(self.sb, command, channel)
        if in_channel is None and "channel" in options:
            if not any(o.get("name") == "channel" for o in leaf):
                channel = self._channel(options.pop("channel"))
        try:
            check_can_use(self.sb, self.user, cmd, channel)
        except CommandError as error:  # hidden from this user by Discord's client
            raise ClientRefused(str(error)) from None
        data = build_command_data(self.sb, self.user, command, options, channel)
        return await self._run(InteractionType.APPLICATION_COMMAND, command, channel, data)

    async def autocomplete(
        self,
        command: str,
        option: str,
        value: str,
        /,
        *,
        in_channel: str | Channel | None = None,
        **filled: Any,
    ) -> list[JSON]:
        """The choices the bot suggests while the user types ``value`` into ``option``."""
        from discord_sandbox.slash import build_command_data

        channel = self._channel(in_channel)
        data = build_command_data(
            self.sb, self.user, command, filled, channel, focused=(option, value)
        )
        record = self.sb.interactions.create(
            InteractionType.AUTOCOMPLETE, command, self.user.id, channel, data
        )
        result = await self._settle(record, wait_completion=False)
        return list(result.choices or [])

    async def user_command(
        self, name: str, target: Any, *, in_channel: str | None = None
    ) -> InteractionResult:
        """Run a user context-menu command on ``target`` (name, id or driver)."""
        from discord_sandbox.slash import context_menu_data

        channel = self._channel(in_channel)
        data = context_menu_data(self.sb, name, 2, target, channel)
        return await self._run(InteractionType.APPLICATION_COMMAND, name, channel, data)

    async def message_command(self, name: str, message: Any) -> InteractionResult:
        """Run a message context-menu command on ``message``."""
        from discord_sandbox.slash import context_menu_data

        msg = self._find_message(message)
        channel = self.sb.state.channels[msg.channel_id]
        data = context_menu_data(self.sb, name, 3, msg, channel)
        return await self._run(InteractionType.APPLICATION_COMMAND, name, channel, data)

    # ---- components and modals ----------------------------------------------------------------
    def _find_message(self, ref: Any) -> Message:
        state = self.sb.state
        if isinstance(ref, Message):
            return ref
        if isinstance(ref, InteractionResult):
            msg = state.message_by_id(ref.record.original_message_id or "")
            if msg is None:
                raise CommandError(f"{ref!r} has no response message")
            return msg
        if ref == "last":
            candidates = [
                m
                for m in list(state.ephemeral_messages.values())
                if (m.interaction_metadata or {}).get("user", {}).get("id") == self.user.id
            ]
            for msgs in state.messages.values():
                candidates.extend(m for m in msgs.values() if m.author_id == state.bot_user_id)
            candidates = [m for m in candidates if m.components]
            if not candidates:
                raise CommandError("the bot has sent no message with components")
            return max(candidates, key=lambda m: int(m.id))
        mid = str(ref["id"]) if isinstance(ref, dict) else str(ref)
        msg = state.message_by_id(mid)
        if msg is None:
            raise CommandError(f"no message {mid}")
        return msg

    async def click(self, message: Any, label: str) -> InteractionResult:
        """Click the button labelled ``label`` (or with that custom_id) on ``message``
        (a message dict/id, an :class:`InteractionResult`, or ``"last"``)."""
        msg = self._find_message(message)
        for comp in _walk_components(msg.components):
            if comp.get("type") == 2 and label in (comp.get("label"), comp.get("custom_id")):
                if comp.get("disabled"):
                    raise ClientRefused(f"button {label!r} is disabled")
                if not comp.get("custom_id"):
                    raise CommandError(f"button {label!r} is a link/premium button")
                data = {"custom_id": comp["custom_id"], "component_type": 2}
                channel = self.sb.state.channels[msg.channel_id]
                return await self._run(
                    InteractionType.MESSAGE_COMPONENT, comp["custom_id"], channel, data, msg
                )
        labels = [c.get("label") for c in _walk_components(msg.components) if c.get("type") == 2]
        raise CommandError(f"no button {label!r} on message {msg.id}; buttons: {labels}")

    async def select(self, message: Any, select: str, values: list[Any]) -> InteractionResult:
        """Choose ``values`` in the select menu with custom_id or placeholder ``select``
        (string selects accept option labels or values; user/role/channel selects names)."""
        from discord_sandbox.slash import resolve_select_values

        msg = self._find_message(message)
        for comp in _walk_components(msg.components):
            if comp.get("type") in (3, 5, 6, 7, 8) and select in (
                comp.get("custom_id"),
                comp.get("placeholder"),
            ):
                if comp.get("disabled"):
                    raise CommandError(f"select {select!r} is disabled")
                data = resolve_select_values(self.sb, comp, values)
                channel = self.sb.state.channels[msg.channel_id]
                return await self._run(
                    InteractionType.MESSAGE_COMPONENT, comp["custom_id"], channel, data, msg
                )
        raise CommandError(f"no select menu {select!r} on message {msg.id}")

    async def submit_modal(
        self, values: dict[str, Any], *, custom_id: str | None = None
    ) -> InteractionResult:
        """Submit the modal the bot last opened for this user; ``values`` by field label
        (or custom_id). Required fields left out raise :class:`CommandError`.

        ``custom_id=`` forges a submission, as a modified client can: the modal the bot
        last opened with that custom_id, for anyone, submitted by this user (from the
        channel where it was opened)."""
        from discord_sandbox.slash import modal_submission

        if custom_id is not None:
            opened = [
                record
                for record in self.sb.interactions.by_id.values()
                if record.modal is not None and record.modal.get("custom_id") == custom_id
            ]
            if not opened:
                raise CommandError(f"the bot has opened no modal with custom_id {custom_id!r}")
            origin = max(opened, key=lambda record: int(record.id))
            assert origin.modal is not None
            modal = origin.modal
        elif self.last_modal is None:
            raise CommandError(f"the bot has not opened a modal for {self.user.username}")
        else:
            modal, origin = self.last_modal
            self.last_modal = None
        data = modal_submission(modal, values)
        channel = self.sb.state.channels[origin.channel_id]
        source = self.sb.state.message_by_id(origin.source_message_id or "")
        return await self._run(
            InteractionType.MODAL_SUBMIT,
            str(modal.get("custom_id")),
            channel,
            data,
            source,
            opened_by=origin,
        )

    # ---- messages ----------------------------------------------------------------------------
    async def say(
        self,
        channel: str | int | Channel,
        text: str,
        *,
        files: list[tuple[str, bytes]] | None = None,
        reply_to: Any = None,
    ) -> JSON:
        """Post ``text`` in a channel or thread (by name or id); dispatches MESSAGE_CREATE."""
        ch = self._channel(channel)
        return self._post(ch, text, files=files, reply_to=reply_to)

    async def dm(self, text: str) -> JSON:
        """Send the bot a direct message."""
        return self._post(self.sb.state.dm_channel(self.user.id), text)

    def _post(
        self,
        ch: Channel,
        text: str,
        *,
        files: list[tuple[str, bytes]] | None = None,
        reply_to: Any = None,
        message_id: str | None = None,
    ) -> JSON:
        from discord_sandbox.message_build import _mentions

        state = self.sb.state
        if ch.is_thread and ch.archived:
            if ch.locked:
                raise ClientRefused(f"thread {ch.name!r} is locked")
            ch.archived = False  # posting in an archived thread unarchives it, as in Discord
            ch.archive_timestamp = iso_timestamp()
            self.sb.events.channel_update(ch)
        users, roles, everyone = _mentions(state, text, None)
        attachments = []
        for filename, data in files or ():
            att_id = state.ids.next()
            att = Attachment(
                att_id, filename, data, url=f"{state.attachment_base_url}/{att_id}/{filename}"
            )
            state.attachments[att_id] = att
            attachments.append(att)
        msg = Message(
            id=message_id or state.ids.next(),
            channel_id=ch.id,
            guild_id=ch.guild_id,
            author_id=self.user.id,
            content=text,
            timestamp=iso_timestamp(),
            mentions=users,
            mention_roles=roles,
            mention_everyone=everyone,
            attachments=attachments,
        )
        if reply_to is not None:
            target = self._find_message(reply_to)
            msg.type = 19
            msg.message_reference = {
                "type": 0,
                "message_id": target.id,
                "channel_id": target.channel_id,
            }
        state.add_message(msg)
        if ch.is_thread and self.user.id not in ch.thread_members:
            ch.thread_members[self.user.id] = msg.timestamp
        self.sb.events.message_create(msg)
        return message_json(state, msg)

    async def start_thread(
        self,
        channel: str | int | Channel,
        name: str,
        first_post: str,
        *,
        tags: list[str] | None = None,
    ) -> Channel:
        """Start a thread in a text channel, or a post in a forum channel (``tags``: forum tag
        names); dispatches THREAD_CREATE then MESSAGE_CREATE for the first post."""
        parent = self._channel(channel)
        state = self.sb.state
        is_forum = parent.type in (ChannelType.GUILD_FORUM, ChannelType.GUILD_MEDIA)
        if (
            parent.type not in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT)
            and not is_forum
        ):
            raise CommandError(f"cannot start a thread in channel type {parent.type}")
        tag_ids: list[str] = []
        for tag in tags or ():
            match = [t["id"] for t in parent.available_tags if tag in (t["name"], t["id"])]
            if not match:
                raise CommandError(f"forum {parent.name!r} has no tag {tag!r}")
            tag_ids.append(match[0])
        thread = state.create_thread(
            parent,
            name,
            self.user.id,
            type=(
                ChannelType.ANNOUNCEMENT_THREAD
                if parent.type == ChannelType.GUILD_ANNOUNCEMENT
                else ChannelType.PUBLIC_THREAD
            ),
            applied_tags=tag_ids,
        )
        self.sb.events.channel_create(thread)
        # A forum post's starter message has the thread's id, as in Discord.
        self._post(thread, first_post, message_id=thread.id if is_forum else None)
        return thread

    # ---- server settings, by hand ------------------------------------------------------------
    def _permissions(self) -> tuple[Guild, int, bool]:
        """The first guild, this user's guild-wide permissions there, and whether they own it."""
        guild = self.sb.guild
        member = guild.members.get(self.user.id)
        if member is None:
            raise ClientRefused(f"{self.user.username} is not a member of {guild.name!r}")
        return guild, base_permissions(guild, member), member.user_id == guild.owner_id

    def _require(self, permission: int, name: str) -> tuple[Guild, int, bool]:
        guild, perms, owner = self._permissions()
        if not perms & permission:
            raise ClientRefused(f"{self.user.username} lacks the {name} permission")
        return guild, perms, owner

    def _check_role_position(self, guild: Guild, role: Role, owner: bool) -> None:
        if role.managed or role.id == guild.everyone_role_id:
            raise ClientRefused(f"role {role.name!r} cannot be given or taken by hand")
        member = guild.members[self.user.id]
        if not owner and role.position >= highest_role_position(guild, member):
            raise ClientRefused(
                f"{self.user.username} cannot manage role {role.name!r}: it is not below"
                " their highest role"
            )

    async def create_role(self, name: str, permissions: int = 0) -> Role:
        """Server Settings → Roles → Create Role (needs Manage Roles; only permissions the
        user has themselves); dispatches GUILD_ROLE_CREATE."""
        _, perms, _ = self._require(Permission.MANAGE_ROLES, "Manage Roles")
        if permissions & ~perms:
            raise ClientRefused(
                f"{self.user.username} cannot grant permissions they lack ({permissions & ~perms})"
            )
        return await self.sb.create_role(name, permissions)

    async def create_channel(
        self, name: str, type: int = ChannelType.GUILD_TEXT, *, parent: str | None = None
    ) -> Channel:
        """Create Channel (needs Manage Channels); dispatches CHANNEL_CREATE."""
        self._require(Permission.MANAGE_CHANNELS, "Manage Channels")
        return await self.sb.create_channel(name, type, parent=parent)

    async def give_role(self, role: str | Role, member: Any) -> None:
        """Give ``member`` a role in their profile (needs Manage Roles and a higher role);
        dispatches GUILD_MEMBER_UPDATE."""
        guild, _, owner = self._require(Permission.MANAGE_ROLES, "Manage Roles")
        found = role if isinstance(role, Role) else self.sb.state.find_role(guild, role)
        self._check_role_position(guild, found, owner)
        await self.sb.add_role(member, found)

    async def take_role(self, role: str | Role, member: Any) -> None:
        """Take a role from ``member`` (same rules as :meth:`give_role`)."""
        guild, _, owner = self._require(Permission.MANAGE_ROLES, "Manage Roles")
        found = role if isinstance(role, Role) else self.sb.state.find_role(guild, role)
        self._check_role_position(guild, found, owner)
        await self.sb.remove_role(member, found)

    # ---- scheduled events ---------------------------------------------------------------------
    async def interested(self, event: Any) -> None:
        ev = self._event(event)
        if self.user.id not in ev.interested:
            ev.interested[self.user.id] = None
            self.sb.events.scheduled_event_user("ADD", ev, self.user.id)

    async def uninterested(self, event: Any) -> None:
        ev = self._event(event)
        if ev.interested.pop(self.user.id, 0) is None:
            self.sb.events.scheduled_event_user("REMOVE", ev, self.user.id)

    def _event(self, event: Any) -> Any:
        ref = (
            event.id
            if hasattr(event, "id")
            else (event["id"] if isinstance(event, dict) else event)
        )
        for guild in self.sb.state.guilds.values():
            try:
                return self.sb.state.find_event(guild, ref)
            except LookupError:
                continue
        raise CommandError(f"no scheduled event {event!r}")


__all__ = [
    "ClientRefused",
    "CommandError",
    "InteractionFailed",
    "InteractionResult",
    "UserDriver",
    "attachment_json",
]

"""Announce state changes over the gateway with Discord's event payloads."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import orjson

from discord_sandbox.intents import intent_for
from discord_sandbox.models import JSON, Channel, Guild, Member, Message, Role, ScheduledEvent
from discord_sandbox.serialize import (
    channel_json,
    member_json,
    message_json,
    role_json,
    scheduled_event_json,
    thread_json,
    thread_member_json,
    user_json,
)

if TYPE_CHECKING:
    from discord_sandbox.gateway import Gateway
    from discord_sandbox.state import SandboxState


def _append_fields(encoded: bytes, extra: dict[str, Any] | None) -> str:
    """``encoded`` (a serialised JSON object) with the members of ``extra`` appended: the same
    text as serialising the object after ``update(extra)``, without serialising it again."""
    if not extra:
        return encoded.decode()
    # b'{"a":1}' + b'{"b":2}' -> b'{"a":1,"b":2}' (``encoded`` is never the empty object).
    return (encoded[:-1] + b"," + orjson.dumps(extra, option=orjson.OPT_NON_STR_KEYS)[1:]).decode()


class EventEmitter:
    def __init__(self, state: SandboxState, gateway: Gateway) -> None:
        self._state = state
        self._gateway = gateway

    def emit(self, event: str, data: JSON, *, guild_id: str | None) -> None:
        """Dispatch ``event``; ``guild_id`` is the guild it happened in (None: a DM), which
        decides the intent and the shard that receives it."""
        self._gateway.dispatch(
            event,
            data,
            guild_id=guild_id,
            intent=intent_for(event, in_guild=guild_id is not None),
        )

    # ---- messages -------------------------------------------------------------------------
    def _message_payload(
        self, msg: Message, base: JSON | None = None
    ) -> tuple[JSON, JSON | None, dict[str, Any] | None]:
        """(data, its variant without content or None, what the gateway event adds to
        ``message_json`` or None in a DM). ``base``: ``message_json(state, msg)``, if the
        caller has it already."""
        state = self._state
        data = message_json(state, msg) if base is None else dict(base)
        stripped: JSON | None = None
        extra: dict[str, Any] | None = None
        if msg.guild_id is not None:
            extra = {"guild_id": msg.guild_id}
            guild = state.guilds.get(msg.guild_id)
            member = guild.members.get(msg.author_id) if guild else None
            if member is not None:
                extra["member"] = member_json(state, member, with_user=False)
            data.update(extra)
            # Without MESSAGE_CONTENT Discord blanks these, except for the bot's own messages
            # and messages that mention it (DMs are never blanked).
            if msg.author_id != state.bot_user_id and state.bot_user_id not in msg.mentions:
                stripped = dict(data)
                stripped.update(content="", embeds=[], attachments=[], components=[])
                stripped.pop("poll", None)
        return data, stripped, extra

    def message_create(
        self, msg: Message, rest_json: JSON | None = None, rest_bytes: bytes | None = None
    ) -> None:
        """``rest_json`` / ``rest_bytes``: ``message_json(state, msg)`` and its serialisation,
        when the caller made them for its REST reply: the event reuses both (its JSON is the
        same object with ``guild_id`` and ``member`` appended)."""
        data, stripped, extra = self._message_payload(msg, rest_json)
        encode: Callable[[], str] | None = None
        if rest_bytes is not None:
            encode = partial(_append_fields, rest_bytes, extra)
        self._gateway.dispatch(
            "MESSAGE_CREATE",
            data,
            guild_id=msg.guild_id,
            intent=intent_for("MESSAGE_CREATE", in_guild=msg.guild_id is not None),
            without_content=stripped,
            encode=encode,
        )

    def message_update(self, msg: Message) -> None:
        data, stripped, _ = self._message_payload(msg)
        self._gateway.dispatch(
            "MESSAGE_UPDATE",
            data,
            guild_id=msg.guild_id,
            intent=intent_for("MESSAGE_UPDATE", in_guild=msg.guild_id is not None),
            without_content=stripped,
        )

    def message_delete(self, msg: Message) -> None:
        data: JSON = {"id": msg.id, "channel_id": msg.channel_id}
        if msg.guild_id is not None:
            data["guild_id"] = msg.guild_id
        self.emit("MESSAGE_DELETE", data, guild_id=msg.guild_id)

    def pins_update(self, channel: Channel) -> None:
        data: JSON = {"channel_id": channel.id, "last_pin_timestamp": channel.last_pin_timestamp}
        if channel.guild_id is not None:
            data["guild_id"] = channel.guild_id
        self.emit("CHANNEL_PINS_UPDATE", data, guild_id=channel.guild_id)

    # ---- channels and threads ------------------------------------------------------------
    def channel_create(self, channel: Channel) -> None:
        if channel.is_thread:
            data = thread_json(channel)
            data["newly_created"] = True
            if channel.owner_id is not None and channel.owner_id in channel.thread_members:
                data["member"] = thread_member_json(channel, channel.owner_id)
            self.emit("THREAD_CREATE", data, guild_id=channel.guild_id)
        elif channel.guild_id is not None:
            self.emit(
                "CHANNEL_CREATE", channel_json(self._state, channel), guild_id=channel.guild_id
            )

    def channel_update(self, channel: Channel) -> None:
        if channel.is_thread:
            self.emit("THREAD_UPDATE", thread_json(channel), guild_id=channel.guild_id)
        elif channel.guild_id is not None:
            self.emit(
                "CHANNEL_UPDATE", channel_json(self._state, channel), guild_id=channel.guild_id
            )

    def channel_delete(self, channel: Channel) -> None:
        if channel.is_thread:
            self.emit(
                "THREAD_DELETE",
                {
                    "id": channel.id,
                    "guild_id": channel.guild_id,
                    "parent_id": channel.parent_id,
                    "type": channel.type,
                },
                guild_id=channel.guild_id,
            )
        elif channel.guild_id is not None:
            self.emit(
                "CHANNEL_DELETE", channel_json(self._state, channel), guild_id=channel.guild_id
            )

    def thread_members_update(self, thread: Channel, added: list[str], removed: list[str]) -> None:
        data: JSON = {
            "id": thread.id,
            "guild_id": thread.guild_id,
            "member_count": len(thread.thread_members),
        }
        if added:
            data["added_members"] = [thread_member_json(thread, u) for u in added]
        if removed:
            data["removed_member_ids"] = removed
        self.emit("THREAD_MEMBERS_UPDATE", data, guild_id=thread.guild_id)

    # ---- roles and members ----------------------------------------------------------------
    def role_create(self, role: Role) -> None:
        self.emit(
            "GUILD_ROLE_CREATE",
            {"guild_id": role.guild_id, "role": role_json(role)},
            guild_id=role.guild_id,
        )

    def role_update(self, role: Role) -> None:
        self.emit(
            "GUILD_ROLE_UPDATE",
            {"guild_id": role.guild_id, "role": role_json(role)},
            guild_id=role.guild_id,
        )

    def role_delete(self, role: Role) -> None:
        self.emit(
            "GUILD_ROLE_DELETE",
            {"guild_id": role.guild_id, "role_id": role.id},
            guild_id=role.guild_id,
        )

    def member_add(self, member: Member) -> None:
        data = member_json(self._state, member)
        data["guild_id"] = member.guild_id
        self.emit("GUILD_MEMBER_ADD", data, guild_id=member.guild_id)

    def member_update(self, member: Member) -> None:
        data = member_json(self._state, member)
        data["guild_id"] = member.guild_id
        self.emit("GUILD_MEMBER_UPDATE", data, guild_id=member.guild_id)

    def member_remove(self, guild: Guild, user_id: str) -> None:
        user = self._state.users[user_id]
        self.emit(
            "GUILD_MEMBER_REMOVE",
            {"guild_id": guild.id, "user": user_json(user)},
            guild_id=guild.id,
        )

    # ---- scheduled events ----------------------------------------------------------------
    def scheduled_event(self, kind: str, event: ScheduledEvent) -> None:
        """``kind``: CREATE, UPDATE or DELETE."""
        self.emit(
            f"GUILD_SCHEDULED_EVENT_{kind}",
            scheduled_event_json(self._state, event),
            guild_id=event.guild_id,
        )

    def scheduled_event_user(self, kind: str, event: ScheduledEvent, user_id: str) -> None:
        """``kind``: ADD or REMOVE."""
        self.emit(
            f"GUILD_SCHEDULED_EVENT_USER_{kind}",
            {"guild_scheduled_event_id": event.id, "user_id": user_id, "guild_id": event.guild_id},
            guild_id=event.guild_id,
        )

    def interaction_create(self, payload: JSON) -> None:
        guild_id = payload.get("guild_id")
        self._gateway.dispatch(
            "INTERACTION_CREATE", payload, guild_id=None if guild_id is None else str(guild_id)
        )

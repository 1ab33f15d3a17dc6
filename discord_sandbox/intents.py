"""Gateway intent bits, and which intent gates which dispatch event."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType


class Intents:
    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_MODERATION = 1 << 2
    GUILD_PRESENCES = 1 << 8
    GUILD_MESSAGES = 1 << 9
    GUILD_MESSAGE_REACTIONS = 1 << 10
    DIRECT_MESSAGES = 1 << 12
    MESSAGE_CONTENT = 1 << 15
    GUILD_SCHEDULED_EVENTS = 1 << 16


EVENT_INTENTS: Mapping[str, int] = MappingProxyType(
    {
        "GUILD_CREATE": Intents.GUILDS,
        "GUILD_UPDATE": Intents.GUILDS,
        "GUILD_DELETE": Intents.GUILDS,
        "GUILD_ROLE_CREATE": Intents.GUILDS,
        "GUILD_ROLE_UPDATE": Intents.GUILDS,
        "GUILD_ROLE_DELETE": Intents.GUILDS,
        "CHANNEL_CREATE": Intents.GUILDS,
        "CHANNEL_UPDATE": Intents.GUILDS,
        "CHANNEL_DELETE": Intents.GUILDS,
        "THREAD_CREATE": Intents.GUILDS,
        "THREAD_UPDATE": Intents.GUILDS,
        "THREAD_DELETE": Intents.GUILDS,
        "THREAD_LIST_SYNC": Intents.GUILDS,
        "THREAD_MEMBER_UPDATE": Intents.GUILDS,
        "THREAD_MEMBERS_UPDATE": Intents.GUILD_MEMBERS,
        "GUILD_MEMBER_ADD": Intents.GUILD_MEMBERS,
        "GUILD_MEMBER_UPDATE": Intents.GUILD_MEMBERS,
        "GUILD_MEMBER_REMOVE": Intents.GUILD_MEMBERS,
        "GUILD_SCHEDULED_EVENT_CREATE": Intents.GUILD_SCHEDULED_EVENTS,
        "GUILD_SCHEDULED_EVENT_UPDATE": Intents.GUILD_SCHEDULED_EVENTS,
        "GUILD_SCHEDULED_EVENT_DELETE": Intents.GUILD_SCHEDULED_EVENTS,
        "GUILD_SCHEDULED_EVENT_USER_ADD": Intents.GUILD_SCHEDULED_EVENTS,
        "GUILD_SCHEDULED_EVENT_USER_REMOVE": Intents.GUILD_SCHEDULED_EVENTS,
        "INTERACTION_CREATE": 0,
    }
)

MESSAGE_EVENTS = frozenset(
    {"MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK"}
)


def intent_for(event: str, *, in_guild: bool) -> int:
    """The intent bit gating ``event`` (0: not gated)."""
    if event in MESSAGE_EVENTS:
        return Intents.GUILD_MESSAGES if in_guild else Intents.DIRECT_MESSAGES
    if event == "CHANNEL_PINS_UPDATE":
        return Intents.GUILDS if in_guild else Intents.DIRECT_MESSAGES
    return EVENT_INTENTS.get(event, 0)

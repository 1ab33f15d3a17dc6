"""Helpers for the end-to-end tests of discussion threads (tests/cogs/discussions/ and
others that need a tracked thread).

Until ``/admin setup`` lands, a test lays out an initiative's channel the way an
admin would: the channel is created in the sandbox (dispatched over the gateway)
and linked to the initiative through the directory service.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from bot.app import AgoraBot
from bot.cogs.discussions.tracker import DISCUSSION_EVENT, ActivityListener
from bot.runtime import RunningAgora
from bot.storage.discussions.models import Discussion
from discord_sandbox import Sandbox
from discord_sandbox.models import Channel, ChannelType


async def link_channel(
    sandbox: Sandbox,
    agora: RunningAgora,
    slug: str,
    *,
    forum: bool = False,
    tags: list[str] | None = None,
) -> Channel:
    """Create #<slug> (text or forum) and make it the initiative's channel."""
    channel = await sandbox.create_channel(
        slug, ChannelType.GUILD_FORUM if forum else ChannelType.GUILD_TEXT, tags=tags
    )
    guild_id = int(sandbox.guild.id)
    await wait_for_channel(agora.bot, int(channel.id))
    services = agora.bot.services
    initiative = await services.directory.get_initiative(guild_id, slug)
    await services.directory.link_channel(guild_id, initiative.id, int(channel.id))
    return channel


async def wait_for_channel(bot: AgoraBot, channel_id: int) -> None:
    """Until discord.py's cache has the channel (its CHANNEL_CREATE was processed)."""
    for guild in bot.guilds:
        if guild.get_channel(channel_id) is not None:
            return
    await bot.wait_for(
        "guild_channel_create", check=lambda channel: channel.id == channel_id, timeout=5
    )


def expect_discussion(
    bot: AgoraBot, kind: str, name: str | None = None
) -> asyncio.Task[tuple[Any, ...]]:
    """Start waiting for Agora to have processed a thread event (before causing it)."""

    def check(event_kind: str, discussion: Discussion) -> bool:
        return event_kind == kind and (name is None or discussion.name == name)

    return asyncio.ensure_future(bot.wait_for(DISCUSSION_EVENT, check=check, timeout=5))


def listener(bot: AgoraBot) -> ActivityListener:
    """The bot's listener cog (discord.py loads each extension as a fresh module, so the
    class differs between restarts: checked by name, not isinstance)."""
    cog = bot.get_cog("ActivityListener")
    assert cog is not None and type(cog).__name__ == "ActivityListener"
    return cast(ActivityListener, cog)


async def settle() -> None:
    """Let a just-created waiter task register its listener (one loop turn, no timed sleep)."""
    await asyncio.sleep(0)


def field(embed: dict[str, Any] | None, name: str) -> str:
    assert embed is not None
    for item in embed.get("fields", []):
        if item["name"] == name:
            return str(item["value"])
    raise AssertionError(f"no field {name!r} in {embed}")

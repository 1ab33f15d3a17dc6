"""Where Agora posts in a guild: the channel kinds it can post in, and the guild's
announcement channel (an admin's setting, else the configured name)."""

from __future__ import annotations

import discord

from bot.cogs.shared.client import AgoraClient

Postable = discord.TextChannel | discord.Thread | discord.VoiceChannel | discord.StageChannel


async def announcement_channel(bot: AgoraClient, guild: discord.Guild) -> Postable | None:
    """The guild's setting (``/admin`` sets it), else the text channel with the configured
    name (``announcements``), else None."""
    channel_id = await bot.services.meetings.announcement_channel_id(guild.id)
    if channel_id is not None:
        channel = guild.get_channel(channel_id)
        if isinstance(channel, Postable):
            return channel
    wanted = bot.config.channels.announcement_channel.lstrip("#").casefold()
    for found in guild.text_channels:
        if found.name.casefold() == wanted:
            return found
    return None

"""How a privacy report reads in Discord."""

from __future__ import annotations

import discord

from bot.cogs.shared.embeds import AGORA_COLOUR
from bot.services.common.text_fit import fit_lines
from bot.services.privacy.service import PrivacyReport


def privacy_embed(report: PrivacyReport, about_self: bool) -> discord.Embed:
    whose = "you" if about_self else f"<@{report.user_id}>"
    embed = discord.Embed(
        title="What Agora holds about " + ("you" if about_self else "this member"),
        colour=AGORA_COLOUR,
    )
    if report.is_empty:
        embed.description = f"Nothing on this server names {whose}."
    else:
        embed.description = (
            f"Everything Agora stores on this server that names {whose}. Agora never stores"
            " message content. `/privacy forget` erases all of it and keeps only anonymous"
            " counts."
        )
    for section in report.sections:
        if section.lines:
            embed.add_field(
                name=section.area, value=fit_lines(list(section.lines), 1024), inline=False
            )
    return embed

"""/me: the initiatives you belong to, as member or lead, and since when."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.shared.client import AgoraClient
from bot.cogs.shared.context import guild_id_of, services_of
from bot.cogs.shared.embeds import AGORA_COLOUR
from bot.services.common.text import plural
from bot.services.common.text_fit import fit_lines


class MeCog(commands.Cog):
    def __init__(self, bot: AgoraClient) -> None:
        self.bot = bot

    @app_commands.command(name="me", description="Your initiatives: member or lead, and since when")
    @app_commands.guild_only()
    async def me(self, interaction: discord.Interaction) -> None:
        mine = await services_of(interaction).memberships.my_initiatives(
            guild_id_of(interaction), interaction.user.id
        )
        lines = []
        for item in mine:
            name = discord.utils.escape_markdown(item.initiative.name)
            where = (
                f" · <#{item.initiative.channel_id}>"
                if item.initiative.channel_id is not None
                else ""
            )
            since = discord.utils.format_dt(item.joined_at, "D")
            lines.append(f"**{name}** · {item.role} since {since}{where}")
        embed = discord.Embed(
            title="Your initiatives",
            description=fit_lines(lines, 4000)
            or "You have not joined any initiative yet. "
            "Browse them with /initiative list and join with /initiative join.",
            colour=AGORA_COLOUR,
        )
        if mine:
            leads = sum(1 for item in mine if item.role == "lead")
            embed.set_footer(
                text=plural(len(mine), "initiative") + (f", lead of {leads}" if leads else "")
            )
        await interaction.response.send_message(embed=embed, ephemeral=True)

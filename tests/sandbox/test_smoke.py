from __future__ import annotations

import discord
from discord import app_commands

from discord_sandbox import Sandbox
from tests.sandbox.conftest import make_bot, running


async def test_slash_roundtrip(pointed_at: Sandbox) -> None:
    sb = pointed_at
    bot = make_bot()

    @bot.tree.command(name="ping", description="Ping")
    @app_commands.describe(word="a word")
    async def ping(interaction: discord.Interaction, word: str) -> None:
        await interaction.response.send_message(f"pong {word}")

    async with running(sb, bot):
        guild = discord.Object(id=int(sb.guild.id))
        bot.tree.copy_global_to(guild=guild)
        await bot.tree.sync(guild=guild)
        r = await sb.user("alice").slash("ping", word="hi")
        assert r.content == "pong hi"

"""The bare test bot with a few more commands for the console tests: markup to read, options
with colons, a reminder that fires on its own, a file, buttons with emoji, a thread joined
through an internal call, a role-change announcement. Run as a program on a pty by
``tests/sandbox/test_console.py``."""

from __future__ import annotations

import asyncio
import contextlib
import io
import sys
import time

import discord
from discord import app_commands

from discord_sandbox import Sandbox
from tests.sandbox.test_scenario_bare_bot import (
    RunningBareBot,
    build_bare_bot,
    point_discordpy_at,
)

# 2027-06-20 07:00 UTC: 09:00 in Brussels, 16:00 in Tokyo.
WORKSHOP = 1813474800
ICS = "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nSUMMARY:Workshop\nDTSTART:20270620T070000Z\n"
ICS += "END:VEVENT\nEND:VCALENDAR\n"


class Pager(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="◀ Back", custom_id="pager:back")
    async def back(
        self, interaction: discord.Interaction, button: discord.ui.Button[Pager]
    ) -> None:
        await interaction.response.edit_message(content="Page 1 of 2")

    @discord.ui.button(label="Next ▶", custom_id="pager:next")
    async def next(
        self, interaction: discord.Interaction, button: discord.ui.Button[Pager]
    ) -> None:
        await interaction.response.edit_message(content="Page 2 of 2")


def build_console_bot() -> discord.ext.commands.Bot:
    bot = build_bare_bot()

    @bot.tree.command(name="card", description="A message full of markup")
    async def card(interaction: discord.Interaction) -> None:
        guild = interaction.guild
        assert guild is not None
        admin_role = discord.utils.get(guild.roles, name="Admin")
        assert admin_role is not None and interaction.channel is not None
        soon = int(time.time()) + 7300
        await interaction.response.send_message(
            f"**Workshop** on <t:{WORKSHOP}:F> (<t:{WORKSHOP}:t>), <t:{soon}:R>\n"
            f"Going: {interaction.user.mention}; ask {admin_role.mention} in "
            f"<#{interaction.channel.id}>\n"
            "*Bring* __a laptop__, `code` and [the agenda](https://example.org/agenda)\n"
            "- first point\n> a quote",
            embed=discord.Embed(title="Details", description=f"Starts <t:{WORKSHOP}:D>"),
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @bot.tree.command(name="plan", description="Plan an event")
    @app_commands.describe(title="The title", start="When it starts", note="Anything else")
    async def plan(
        interaction: discord.Interaction, title: str, start: str, note: str | None = None
    ) -> None:
        await interaction.response.send_message(
            f"Planned [{title}] at [{start}] note [{note}]", ephemeral=True
        )

    @bot.tree.command(name="remindme", description="A reminder after some seconds")
    async def remindme(interaction: discord.Interaction, seconds: int) -> None:
        await interaction.response.send_message(f"Reminding you in {seconds} s.", ephemeral=True)
        user = interaction.user
        guild = interaction.guild
        assert guild is not None

        async def later() -> None:
            await asyncio.sleep(seconds)
            channel = discord.utils.get(guild.text_channels, name="announcements")
            assert channel is not None
            await channel.send(f"**Reminder** for {user.mention}: the workshop starts now.")
            await user.send("Your reminder: the workshop starts now.")

        asyncio.get_running_loop().create_task(later())

    @bot.tree.command(name="ics", description="A calendar file")
    async def ics(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            "Your calendar file:", file=discord.File(io.BytesIO(ICS.encode()), "workshop.ics")
        )

    @bot.tree.command(name="pages", description="Two pages with emoji buttons")
    async def pages(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Page 1 of 2", view=Pager())

    @bot.tree.command(name="discuss", description="A thread the user is added to")
    async def discuss(interaction: discord.Interaction) -> None:
        channel = interaction.channel
        assert isinstance(channel, discord.TextChannel)
        thread = await channel.create_thread(
            name="Pilot results", type=discord.ChannelType.public_thread
        )
        assert isinstance(interaction.user, discord.Member)
        await thread.add_user(interaction.user)
        await interaction.response.send_message(f"Started {thread.mention}.")

    return bot


async def start_console_bot(sandbox: Sandbox) -> RunningBareBot:
    bot = build_console_bot()
    await bot.login(sandbox.bot_token)
    task = asyncio.create_task(bot.connect(reconnect=True))
    await asyncio.wait_for(bot.wait_until_ready(), 10)
    guild = discord.Object(id=int(sandbox.guild.id))
    bot.tree.copy_global_to(guild=guild)
    await bot.tree.sync(guild=guild)
    return RunningBareBot(bot, task)


async def main() -> int:
    from discord_sandbox.console import run_console

    sandbox = Sandbox()
    await sandbox.start()
    sandbox.create_seed_guild("EIP-SCC")
    await sandbox.create_role("Organiser")
    point_discordpy_at(sandbox)
    running = await start_console_bot(sandbox)

    async def factory() -> RunningBareBot:
        return await start_console_bot(sandbox)

    try:
        return await run_console(sandbox, factory, running=running)
    finally:
        with contextlib.suppress(Exception):
            await running.stop()
        await sandbox.stop()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

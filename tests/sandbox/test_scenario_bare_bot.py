"""A tiny bare discord.py bot (not Agora) for the scenario and console tests.

It is the stand-in for ``agora_factory``: ``await start_bare_bot(sandbox)`` connects a fresh
bot, syncs its commands to the sandbox guild and returns a handle with ``await stop()``.
discord.py is pointed at the sandbox only through ``Route.BASE`` and ``DEFAULT_GATEWAY``
(the ``pointed_at`` fixture, or :func:`point_discordpy_at` in a subprocess).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import discord
import yarl
from discord import app_commands
from discord.ext import commands

from discord_sandbox import Sandbox

INITIATIVES = ("Humble Lamppost", "Green Roofs", "Lamp Library")


def point_discordpy_at(sandbox: Sandbox) -> None:
    discord.http.Route.BASE = sandbox.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sandbox.gateway_url)


class RsvpView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Going", custom_id="rsvp:going", style=discord.ButtonStyle.success)
    async def going(
        self, interaction: discord.Interaction, button: discord.ui.Button[RsvpView]
    ) -> None:
        guild = interaction.guild
        assert guild is not None and isinstance(interaction.user, discord.Member)
        role = discord.utils.get(guild.roles, name="going") or await guild.create_role(name="going")
        await interaction.user.add_roles(role)
        await interaction.response.send_message("You're going.", ephemeral=True)

    @discord.ui.button(label="Maybe", custom_id="rsvp:maybe", style=discord.ButtonStyle.secondary)
    async def maybe(
        self, interaction: discord.Interaction, button: discord.ui.Button[RsvpView]
    ) -> None:
        await interaction.response.edit_message(content="Someone is unsure.")


class ProposeModal(discord.ui.Modal, title="Propose an initiative"):
    name: discord.ui.TextInput[ProposeModal] = discord.ui.TextInput(label="Title", max_length=80)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Proposed {self.name.value}.")
        guild = interaction.guild
        assert guild is not None
        general = discord.utils.get(guild.text_channels, name="announcements")
        assert general is not None
        await general.send(f"New proposal: {self.name.value}")


def build_bare_bot() -> commands.Bot:
    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = True
    bot = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.1)
    initiative = app_commands.Group(name="initiative", description="Initiatives")

    @initiative.command(name="info", description="Show an initiative")
    async def info(interaction: discord.Interaction, initiative: str) -> None:
        embed = discord.Embed(title=initiative, description="Lights that dim at night.")
        embed.add_field(name="Status", value="Pilot")
        embed.set_footer(text="Agora")
        await interaction.response.send_message(embed=embed, view=RsvpView())

    @info.autocomplete("initiative")
    async def complete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=name, value=name)
            for name in INITIATIVES
            if current.lower() in name.lower()
        ]

    @bot.tree.command(name="propose", description="Propose an initiative")
    async def propose(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(ProposeModal())

    @bot.tree.command(name="slow", description="Think first")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await asyncio.sleep(0.3)
        await interaction.followup.send("Done thinking.", ephemeral=True)

    @bot.tree.command(name="silent", description="Never answers")
    async def silent(interaction: discord.Interaction) -> None:
        return None

    @bot.tree.command(name="shout", description="An embed title too long for Discord")
    async def shout(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(embed=discord.Embed(title="A" * 300))

    tallies: dict[int, int] = {}

    @bot.tree.command(name="tally", description="Count up; each member may count twice")
    async def tally(interaction: discord.Interaction) -> None:
        count = tallies.get(interaction.user.id, 0)
        if count >= 2:
            await interaction.response.send_message(
                "You have counted enough: try again tomorrow.", ephemeral=True
            )
            return
        tallies[interaction.user.id] = count + 1
        await interaction.response.send_message(f"Counted {count + 1}.")

    @bot.tree.command(name="upload", description="Read a TOML file")
    async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
        if not file.filename.endswith(".toml"):
            await interaction.response.send_message(
                f"{file.filename} is not a .toml file: nothing was read.", ephemeral=True
            )
            return
        text = (await file.read()).decode()
        await interaction.response.send_message(
            f"Read {file.filename}: {text.splitlines()[0]}", ephemeral=True
        )

    @bot.tree.command(name="purge", description="Moderators only")
    @app_commands.default_permissions(manage_messages=True)
    async def purge(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Purged.", ephemeral=True)

    bot.tree.add_command(initiative)

    @bot.event
    async def setup_hook() -> None:
        bot.add_view(RsvpView())

    @bot.event
    async def on_message(message: discord.Message) -> None:
        if message.author.bot:
            return
        if message.content == "ping":
            await message.channel.send("pong")

    @bot.event
    async def on_member_join(member: discord.Member) -> None:
        await member.send(f"Welcome, {member.name}!")

    @bot.event
    async def on_thread_create(thread: discord.Thread) -> None:
        await thread.send(f"Thread {thread.name} noted.")

    async def announce(guild: discord.Guild, text: str) -> None:
        general = discord.utils.get(guild.text_channels, name="general")
        assert general is not None
        await general.send(text)

    @bot.event
    async def on_guild_role_create(role: discord.Role) -> None:
        await announce(
            role.guild, f"Role {role.name} created (kick: {role.permissions.kick_members})."
        )

    @bot.event
    async def on_guild_channel_create(channel: discord.abc.GuildChannel) -> None:
        await announce(channel.guild, f"Channel {channel.name} created ({channel.type.name}).")

    @bot.event
    async def on_member_update(before: discord.Member, after: discord.Member) -> None:
        for role in set(after.roles) - set(before.roles):
            await announce(after.guild, f"{after.name} got {role.name}.")
        for role in set(before.roles) - set(after.roles):
            await announce(after.guild, f"{after.name} lost {role.name}.")

    @bot.event
    async def on_scheduled_event_user_add(
        event: discord.ScheduledEvent, user: discord.User
    ) -> None:
        await announce(event.guild, f"{user.name} is interested in {event.name}.")

    @bot.event
    async def on_scheduled_event_user_remove(
        event: discord.ScheduledEvent, user: discord.User
    ) -> None:
        await announce(event.guild, f"{user.name} is no longer interested in {event.name}.")

    return bot


@dataclass
class RunningBareBot:
    bot: commands.Bot
    task: asyncio.Task[None]

    async def stop(self) -> None:
        await self.bot.close()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(self.task, 5)


async def start_bare_bot(sandbox: Sandbox) -> RunningBareBot:
    """Connect a fresh bare bot to ``sandbox`` and sync its commands to the seed guild."""
    bot = build_bare_bot()
    await bot.login(sandbox.bot_token)
    task = asyncio.create_task(bot.connect(reconnect=True))
    await asyncio.wait_for(bot.wait_until_ready(), 10)
    guild = discord.Object(id=int(sandbox.guild.id))
    bot.tree.copy_global_to(guild=guild)
    await bot.tree.sync(guild=guild)
    return RunningBareBot(bot, task)

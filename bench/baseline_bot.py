"""The floor: a bare discord.py bot answering Agora's benchmarked commands with constants.

It registers the same command names and options as Agora's ``/initiative info`` (with
autocomplete), ``/initiative list``, ``/meeting list`` (``when`` choices, ``cluster`` and
``initiative`` autocomplete) and the page-turning button (a ``DynamicItem`` on the same
``agora:page:<kind>:<argument>:<page>`` custom ids), with the same gateway intents and
reply visibility, but no storage and no logic: whatever discord.py itself costs per
interaction is what this bot costs. ``bench/run.py`` runs it in its own process.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

INFO_REPLY = "Humble Lamppost · Citizen Focus: lights that dim when nobody is around."
LIST_REPLY = "Initiatives, page {page}."
MEETINGS_REPLY = "Upcoming meetings: Action Clusters Meeting, 20 June 2017, Hotel Metropole."
CHOICES = [app_commands.Choice(name=f"Initiative {n}", value=f"initiative-{n}") for n in range(25)]


def baseline_intents() -> discord.Intents:
    """Agora's intents, so both bots receive the same gateway traffic."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.members = True
    intents.guild_messages = True
    intents.guild_scheduled_events = True
    intents.dm_messages = True
    return intents


class PageButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"agora:page:(?P<kind>[a-z_]+):(?P<argument>[^:]*):(?P<page>-?\d+)",
):
    def __init__(self, kind: str, argument: str, page: int, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"agora:page:{kind}:{argument}:{page}",
            )
        )
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PageButton:
        label = item.label if isinstance(item, discord.ui.Button) else ""
        return cls(match["kind"], match["argument"], int(match["page"]), label or "")

    async def callback(self, interaction: discord.Interaction) -> Any:
        await interaction.response.edit_message(content=LIST_REPLY.format(page=self.page + 1))


def page_view() -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(PageButton("initiatives", "", -1, "◀ Previous"))
    view.add_item(PageButton("initiatives", "", 1, "Next ▶"))
    return view


async def constant_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return CHOICES


initiative = app_commands.Group(name="initiative", description="Initiatives", guild_only=True)
meeting = app_commands.Group(name="meeting", description="Meetings", guild_only=True)


@initiative.command(name="info", description="An initiative's goal, cluster, leads and activity")
@app_commands.describe(initiative="The initiative (start typing its name)")
@app_commands.autocomplete(initiative=constant_choices)
async def initiative_info(interaction: discord.Interaction, initiative: str) -> None:
    await interaction.response.send_message(INFO_REPLY)


@initiative.command(name="list", description="All initiatives, or those of one cluster")
@app_commands.describe(cluster="Only initiatives led by this Action Cluster")
@app_commands.autocomplete(cluster=constant_choices)
async def initiative_list(interaction: discord.Interaction, cluster: str | None = None) -> None:
    await interaction.response.send_message(LIST_REPLY.format(page=1), view=page_view())


@meeting.command(name="list", description="Upcoming or past meetings")
@app_commands.describe(
    when="Upcoming (default) or past",
    cluster="Only meetings for this Action Cluster",
    initiative="Only meetings for this initiative",
)
@app_commands.choices(
    when=[
        app_commands.Choice(name="Upcoming", value="upcoming"),
        app_commands.Choice(name="Past", value="past"),
    ]
)
@app_commands.autocomplete(cluster=constant_choices, initiative=constant_choices)
async def meeting_list(
    interaction: discord.Interaction,
    when: app_commands.Choice[str] | None = None,
    cluster: str | None = None,
    initiative: str | None = None,
) -> None:
    await interaction.response.send_message(MEETINGS_REPLY)


class BaselineBot(commands.Bot):
    def __init__(self, guild_id: int) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=baseline_intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
        )
        self.guild_id = guild_id
        self.ready_event = asyncio.Event()

    async def setup_hook(self) -> None:
        self.tree.add_command(initiative)
        self.tree.add_command(meeting)
        self.add_dynamic_items(PageButton)
        guild = discord.Object(self.guild_id)
        self.tree.copy_global_to(guild=guild)
        await self.tree.sync(guild=guild)

    async def on_ready(self) -> None:
        self.ready_event.set()

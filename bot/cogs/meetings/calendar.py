"""/calendar ics: upcoming meetings as one calendar file."""

from __future__ import annotations

import io

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.meetings.options import clusters_autocomplete, initiatives_autocomplete
from bot.cogs.shared.client import AgoraClient
from bot.cogs.shared.context import guild_id_of, services_of
from bot.errors import InvalidInput


class CalendarCog(
    commands.GroupCog,
    name="Calendar",
    group_name="calendar",
    group_description="Meetings in your own calendar app",
):
    def __init__(self, bot: AgoraClient) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(
        name="ics", description="Upcoming meetings as a calendar file (.ics) to import"
    )
    @app_commands.describe(
        cluster="Only meetings for this Action Cluster",
        initiative="Only meetings for this initiative",
    )
    @app_commands.autocomplete(cluster=clusters_autocomplete, initiative=initiatives_autocomplete)
    @app_commands.guild_only()
    async def ics(
        self,
        interaction: discord.Interaction,
        cluster: app_commands.Range[str, 1, 100] | None = None,
        initiative: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        if cluster and initiative:
            raise InvalidInput("Choose a cluster or an initiative, not both.")
        guild_id = guild_id_of(interaction)
        services = services_of(interaction)
        cluster_id = initiative_id = None
        cluster_slug = initiative_slug = None
        name = "Agora meetings"
        if cluster:
            found = await services.directory.get_cluster(guild_id, cluster)
            cluster_id, cluster_slug, name = found.id, found.slug, f"{found.name} meetings"
        if initiative:
            chosen = await services.directory.get_initiative(guild_id, initiative)
            initiative_id, initiative_slug = chosen.id, chosen.slug
            name = f"{chosen.name} meetings"
        data = await services.meetings.calendar_ics(guild_id, cluster_id, initiative_id, name)
        slug = "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")
        await interaction.response.send_message(
            f"**{name}**: import the file into your calendar app."
            + services.web.subscription_text(guild_id, cluster_slug, initiative_slug),
            file=discord.File(io.BytesIO(data), filename=f"{slug}.ics"),
            ephemeral=True,
        )

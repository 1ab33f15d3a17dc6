"""/cluster: the Action Clusters, each with its initiatives and their totals."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.directory.initiatives import cluster_autocomplete
from bot.cogs.directory.render import cluster_embed, counts_line
from bot.cogs.shared.client import AgoraClient
from bot.cogs.shared.context import guild_id_of, services_of
from bot.cogs.shared.embeds import AGORA_COLOUR
from bot.services.common.text import plural
from bot.services.common.text_fit import clip


@app_commands.guild_only()
class ClusterCog(commands.GroupCog, group_name="cluster"):
    """Action Clusters lead initiatives; these commands show them with live totals."""

    def __init__(self, bot: AgoraClient) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="list", description="Every Action Cluster with its totals")
    async def list_clusters(self, interaction: discord.Interaction) -> None:
        clusters = await services_of(interaction).directory.list_clusters(guild_id_of(interaction))
        embed = discord.Embed(title="Action Clusters", colour=AGORA_COLOUR)
        if not clusters:
            embed.description = "No Action Clusters yet; an admin can load them with /admin import."
        # Discord allows 25 fields; a community has a handful of clusters.
        for info in clusters[:25]:
            count = len(info.initiatives)
            embed.add_field(
                name=clip(info.cluster.name, 256),
                value=f"{plural(count, 'initiative')}\n{counts_line(info.totals)}",
                inline=False,
            )
        embed.set_footer(text="/cluster info <cluster> lists a cluster's initiatives")
        await interaction.response.send_message(embed=embed)

    @app_commands.command(name="info", description="An Action Cluster's initiatives and totals")
    @app_commands.describe(cluster="The Action Cluster (start typing its name)")
    @app_commands.autocomplete(cluster=cluster_autocomplete)
    async def info(self, interaction: discord.Interaction, cluster: str) -> None:
        directory = services_of(interaction).directory
        guild_id = guild_id_of(interaction)
        found = await directory.find_cluster(guild_id, cluster)
        info = await directory.cluster_info(guild_id, found.key.slug)
        embed = cluster_embed(info)
        if info.cluster.category_channel_id is not None:
            embed.add_field(
                name="Category", value=f"<#{info.cluster.category_channel_id}>", inline=False
            )
        await interaction.response.send_message(found.note() or None, embed=embed)

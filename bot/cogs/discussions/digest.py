"""The weekly digest of each Action Cluster: posted by a cron job, previewed with /digest.

The job (APScheduler ``CronTrigger``, day, time and zone from ``[digest]``) is
added when the cog loads, so a restart re-arms it. Each cluster's digest goes
to the cluster's own channel when it has one, else to the announcement
channel (an admin's setting, else the channel named in ``[channels]``). A
cluster with nothing to report is skipped rather than posting an empty digest.

Every process of a fleet runs the job over its own guilds (``bot.guilds`` holds its
shards' only), and posts a guild's digests only once it has claimed that guild's week
(``DigestService.run_key``); a run another process holds is looked at again when that
claim's lease ends, and taken over if it was never finished. The messages carry nonces
derived from the run's key, so a run taken over after a crash mid-post does not post a
digest twice.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import time

import discord
from apscheduler.triggers.cron import CronTrigger
from discord import app_commands
from discord.ext import commands

from bot.cogs.directory.initiatives import cluster_autocomplete
from bot.cogs.discussions.render import digest_embed
from bot.cogs.shared.client import AgoraClient
from bot.cogs.shared.context import guild_id_of, services_of
from bot.cogs.shared.guild_runs import run_guild_once
from bot.cogs.shared.pagination import Page, send_page
from bot.services.directory.models import Cluster
from bot.services.discussions.digest import cron_kwargs, digest_nonce, render_digest

log = logging.getLogger(__name__)

DIGEST_JOB_ID = "agora:weekly-digest"


@dataclass(frozen=True)
class PostedDigest:
    guild_id: int
    cluster_id: int
    channel_id: int
    message_id: int


class DigestCog(commands.GroupCog, group_name="digest"):
    """Weekly digests per Action Cluster."""

    def __init__(self, bot: AgoraClient) -> None:
        self.bot = bot
        bot.pages.register("digest", self.render_preview_page)
        super().__init__()

    async def cog_load(self) -> None:
        config = self.bot.config.digest
        if not config.enabled:
            return
        hour, minute = (int(part) for part in config.time.split(":"))
        kwargs = cron_kwargs(config.weekday, time(hour, minute), self._zone())
        self.bot.scheduler.add_job(
            self.post_digests,
            CronTrigger(**kwargs),
            id=DIGEST_JOB_ID,
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=3600,
        )

    async def cog_unload(self) -> None:
        for job in self.bot.scheduler.get_jobs():
            if job.id == DIGEST_JOB_ID or job.id.startswith(f"{DIGEST_JOB_ID}:"):
                self.bot.scheduler.remove_job(job.id)

    def _zone(self) -> str:
        return self.bot.config.digest.timezone or self.bot.config.community.timezone

    # -- the weekly job -------------------------------------------------------

    async def post_digests(self) -> list[PostedDigest]:
        """Post every cluster's digest of the week ending now; what was posted where."""
        posted: list[PostedDigest] = []
        for guild in list(self.bot.guilds):
            key = self.bot.services.digest.run_key(guild.id, self._zone())
            posted.extend(
                await run_guild_once(
                    self.bot,
                    self.bot.services.digest.runs,
                    guild.id,
                    key,
                    functools.partial(self.post_guild_digests, key=key),
                    DIGEST_JOB_ID,
                )
            )
        return posted

    async def post_guild_digests(self, guild: discord.Guild, key: str) -> list[PostedDigest]:
        """Post each cluster's digest of the run ``key`` (nonces from the key)."""
        services = self.bot.services
        await services.activity.flush()
        clusters = {c.id: c for c in await services.directory.all_clusters(guild.id)}
        fallback = await self._announcement_channel(guild)
        posted: list[PostedDigest] = []
        for digest in await services.digest.build_all(guild.id):
            if digest.is_quiet:
                continue
            channel = self._cluster_channel(guild, clusters.get(digest.cluster_id)) or fallback
            if channel is None:
                log.warning(
                    "no channel for the %s digest: set an announcement channel", digest.cluster_name
                )
                continue
            try:
                message = await channel.send(
                    embed=digest_embed(render_digest(digest)),
                    nonce=digest_nonce(key, digest.cluster_id),
                )
            except discord.HTTPException:
                log.warning("could not post the %s digest in #%s", digest.cluster_name, channel)
                continue
            posted.append(PostedDigest(guild.id, digest.cluster_id, channel.id, message.id))
        return posted

    @staticmethod
    def _cluster_channel(
        guild: discord.Guild, cluster: Cluster | None
    ) -> discord.TextChannel | None:
        channel_id = cluster.channel_id if cluster is not None else None
        channel = guild.get_channel(channel_id) if channel_id is not None else None
        return channel if isinstance(channel, discord.TextChannel) else None

    async def _announcement_channel(self, guild: discord.Guild) -> discord.TextChannel | None:
        channel_id = await self.bot.services.digest.announcement_channel_id(guild.id)
        if channel_id is not None:
            channel = guild.get_channel(channel_id)
            if isinstance(channel, discord.TextChannel):
                return channel
        name = self.bot.config.channels.announcement_channel.lstrip("#").casefold()
        return next((c for c in guild.text_channels if c.name.casefold() == name), None)

    # -- /digest preview --------------------------------------------------------

    @app_commands.command(name="preview", description="This week's digest of a cluster, now")
    @app_commands.describe(cluster="The Action Cluster (leave out to page through all)")
    @app_commands.autocomplete(cluster=cluster_autocomplete)
    @app_commands.guild_only()
    async def preview(self, interaction: discord.Interaction, cluster: str | None = None) -> None:
        services = services_of(interaction)
        guild_id = guild_id_of(interaction)
        argument = ""
        if cluster:
            argument = str((await services.directory.get_cluster(guild_id, cluster)).id)
        await services.activity.flush()
        page = await self.render_preview_page(interaction, argument, 0)
        # Only for the one who asked: the real digest is posted on schedule.
        await send_page(interaction, "digest", argument, page, ephemeral=True)

    async def render_preview_page(
        self, interaction: discord.Interaction, argument: str, page: int
    ) -> Page:
        services = services_of(interaction)
        guild_id = guild_id_of(interaction)
        if argument:
            digest = await services.digest.build(guild_id, int(argument))
            return Page(self._preview_embed(digest_embed(render_digest(digest))), 0, 1)
        clusters = await services.directory.all_clusters(guild_id)
        if not clusters:
            embed = discord.Embed(
                title="Weekly digest", description="There are no Action Clusters yet."
            )
            return Page(embed, 0, 1)
        page = min(max(page, 0), len(clusters) - 1)
        digest = await services.digest.build(guild_id, clusters[page].id)
        embed = self._preview_embed(digest_embed(render_digest(digest)))
        return Page(embed, page, len(clusters))

    def _preview_embed(self, embed: discord.Embed) -> discord.Embed:
        config = self.bot.config.digest
        when = (
            f"Preview · posted every {config.weekday.title()} at {config.time}"
            if config.enabled
            else "Preview · weekly posting is turned off"
        )
        embed.set_footer(text=when)
        return embed

"""Nudges: a daily job DMs the leads of initiatives whose discussions went quiet.

Quiet means no thread created and no message counted for ``[nudges]
quiet_days``; each quiet initiative is nudged once per quiet period (the
service remembers it before the DMs go out, so a crash never sends twice).
``/nudges off`` and ``/nudges on`` are each member's opt-out.

Every process of a fleet runs the job over its own guilds (``bot.guilds``) and nudges a
guild only once it has claimed that guild's day (``NudgeService.run_key``); a run another
process holds is looked at again when that claim's lease ends.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import discord
from apscheduler.triggers.cron import CronTrigger
from discord import app_commands
from discord.ext import commands

from bot.cogs.shared.client import AgoraClient
from bot.cogs.shared.context import guild_id_of, services_of
from bot.cogs.shared.cooldowns import limited
from bot.cogs.shared.guild_runs import run_guild_once

log = logging.getLogger(__name__)

NUDGE_JOB_ID = "agora:discussion-nudges"
# Once a day, in the community's morning: nobody is woken by a nudge.
NUDGE_HOUR = 10


@dataclass(frozen=True)
class SentNudge:
    guild_id: int
    initiative_id: int
    user_id: int
    delivered: bool


class NudgeCog(commands.GroupCog, group_name="nudges"):
    """DMs to leads of quiet initiatives, and each member's opt-out."""

    def __init__(self, bot: AgoraClient) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        if not self.bot.config.nudges.enabled:
            return
        self.bot.scheduler.add_job(
            self.send_nudges,
            CronTrigger(hour=NUDGE_HOUR, minute=0, timezone=self.bot.config.community.timezone),
            id=NUDGE_JOB_ID,
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=6 * 3600,
        )

    async def cog_unload(self) -> None:
        for job in self.bot.scheduler.get_jobs():
            if job.id == NUDGE_JOB_ID or job.id.startswith(f"{NUDGE_JOB_ID}:"):
                self.bot.scheduler.remove_job(job.id)

    # -- the daily job ------------------------------------------------------------

    async def send_nudges(self) -> list[SentNudge]:
        """DM every due nudge in every guild; who was (or could not be) reached."""
        sent: list[SentNudge] = []
        await self.bot.services.activity.flush()  # last activity as of now
        zone = self.bot.config.community.timezone
        for guild in list(self.bot.guilds):
            key = self.bot.services.nudges.run_key(guild.id, zone)
            sent.extend(
                await run_guild_once(
                    self.bot,
                    self.bot.services.nudges.runs,
                    guild.id,
                    key,
                    self.send_guild_nudges,
                    NUDGE_JOB_ID,
                )
            )
        return sent

    async def send_guild_nudges(self, guild: discord.Guild) -> list[SentNudge]:
        sent: list[SentNudge] = []
        for nudge in await self.bot.services.nudges.take_due_nudges(guild.id):
            text = f"From **{discord.utils.escape_markdown(guild.name)}**: {nudge.text}"
            for user_id in nudge.lead_ids:
                delivered = await self._dm(user_id, text)
                sent.append(SentNudge(guild.id, nudge.initiative_id, user_id, delivered))
        return sent

    async def _dm(self, user_id: int, text: str) -> bool:
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            await user.send(text)
        except discord.HTTPException as error:
            # Closed DMs (50007) or a departed user: nothing to do but note it.
            log.info("could not DM a nudge to %s: %s", user_id, error)
            return False
        return True

    # -- /nudges on | off ---------------------------------------------------------

    @app_commands.command(name="on", description="Get a DM when an initiative you lead is quiet")
    @app_commands.guild_only()
    @limited("settings")
    async def turn_on(self, interaction: discord.Interaction) -> None:
        await self._set(interaction, enabled=True)

    @app_commands.command(name="off", description="No more DMs about quiet initiatives you lead")
    @app_commands.guild_only()
    @limited("settings")
    async def turn_off(self, interaction: discord.Interaction) -> None:
        await self._set(interaction, enabled=False)

    async def _set(self, interaction: discord.Interaction, *, enabled: bool) -> None:
        setting = await services_of(interaction).nudges.set_nudges(
            guild_id_of(interaction), interaction.user.id, enabled
        )
        prefix = "" if setting.changed else "No change: "
        await interaction.response.send_message(prefix + setting.message, ephemeral=True)

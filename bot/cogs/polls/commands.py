"""/poll: finding a time. Candidate times, answered Yes / If need be / No by members; the
best one becomes a meeting.

Organisers start polls for anyone, an initiative's leads for their initiative; the
service refuses everyone else (the organiser role cannot be expressed in Discord's
default permissions). Everyone answers and reads the results.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.meetings.options import (
    NameList,
    ZoneName,
    clusters_autocomplete,
    initiatives_autocomplete,
    scope_from,
    zone_autocomplete,
)
from bot.cogs.polls.publish import PollPublisher
from bot.cogs.polls.render import results_embed
from bot.cogs.polls.views import POLL_PUBLISHER, CreateMeetingButton, PollAnswerButton
from bot.cogs.shared.client import AgoraClient
from bot.cogs.shared.context import actor_of, guild_id_of, services_of
from bot.cogs.shared.cooldowns import limited
from bot.services.common.links import escape_markdown
from bot.services.common.text import plural
from bot.services.common.timeparse import full_and_relative
from bot.services.polls.service import PollDraft, PollView
from bot.services.privacy.service import ANSWERS_WITHDRAWN, ForgetResult

log = logging.getLogger(__name__)

PollName = app_commands.Range[str, 1, 100]


async def poll_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    if interaction.guild_id is None:
        return []
    choices = await services_of(interaction).polls.autocomplete(interaction.guild_id, current)
    return [app_commands.Choice(name=c.name, value=str(c.value)) for c in choices]


def _notes(notes: tuple[str, ...]) -> str:
    return "".join(f"\nNote: {note}" for note in notes)


class PollCog(
    commands.GroupCog,
    name="Polls",
    group_name="poll",
    group_description="Find a time: candidate times answered Yes, If need be or No",
):
    def __init__(self, bot: AgoraClient) -> None:
        self.bot = bot
        self.publisher = PollPublisher(bot)
        self.deadlines = bot.services.poll_deadlines
        self._startup: asyncio.Task[None] | None = None
        super().__init__()

    async def cog_load(self) -> None:
        POLL_PUBLISHER.provide(self.bot, self.publisher)
        self.bot.add_dynamic_items(PollAnswerButton, CreateMeetingButton)
        self._startup = asyncio.create_task(self._after_ready())

    async def _after_ready(self) -> None:
        """Once connected: announce what closed unannounced, arm the next deadline."""
        await self.bot.wait_until_ready()
        await self.deadlines.start(self.publisher.announce_result)

    async def cog_unload(self) -> None:
        if self._startup is not None:
            self._startup.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._startup
        await self.deadlines.stop()
        await self.publisher.flush()
        self.bot.remove_dynamic_items(PollAnswerButton, CreateMeetingButton)
        POLL_PUBLISHER.withdraw(self.bot)

    @commands.Cog.listener(f"on_{ANSWERS_WITHDRAWN}")
    async def show_withdrawn_answers(self, result: ForgetResult) -> None:
        """A member forgotten: the polls they had answered show the new tallies."""
        for poll_id in result.withdrawn_poll_ids:
            self.publisher.request_refresh(result.guild_id, poll_id)

    # -- commands ------------------------------------------------------------------

    @app_commands.command(
        name="create", description="Propose 2 to 10 times; members answer Yes, If need be or No"
    )
    @app_commands.describe(
        title="What the meeting would be, e.g. Lamppost pilot review",
        slots="Candidate times separated by ;, e.g. 2027-06-20 09:00; friday 10am; in 3 days",
        clusters="For these Action Clusters (separate with ;); empty: the whole community",
        initiatives="For these initiatives (separate with ;); leads: their own initiative",
        closes="When answers stop: a time (2027-06-18 18:00) or a duration (2d, 12h)",
        zone="Time zone of those times (IANA, e.g. Europe/Brussels); default: the server's",
        length="How long the meeting would last, e.g. 90m (default 1h)",
    )
    @app_commands.autocomplete(
        zone=zone_autocomplete,
        clusters=clusters_autocomplete,
        initiatives=initiatives_autocomplete,
    )
    @app_commands.guild_only()
    @limited("meeting")
    async def create(
        self,
        interaction: discord.Interaction,
        title: app_commands.Range[str, 1, 100],
        slots: app_commands.Range[str, 1, 1000],
        clusters: NameList | None = None,
        initiatives: NameList | None = None,
        closes: app_commands.Range[str, 1, 100] | None = None,
        zone: ZoneName | None = None,
        length: app_commands.Range[str, 1, 20] | None = None,
    ) -> None:
        guild = interaction.guild
        guild_id = guild_id_of(interaction)
        services = services_of(interaction)
        draft = PollDraft(
            title=title,
            slots=slots,
            scope=await scope_from(interaction, guild_id, clusters, initiatives),
            closes=closes,
            timezone=zone,
            length=length,
        )
        created = await services.polls.create(guild_id, await actor_of(interaction), draft)
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert guild is not None  # guild_only
        posted = await self.publisher.post(guild, created.view)
        poll = created.view.poll
        where = ", ".join(channel.mention for channel in posted)
        parts = [
            f"Poll #{poll.id} **{escape_markdown(poll.title)}** with"
            f" {plural(len(poll.slots), 'time')} is up"
            + (f" in {where}." if posted else ", but Agora found no channel to post it in.")
        ]
        if not posted:
            parts.append(
                f"Create #{self.bot.config.channels.announcement_channel} (or link the"
                " initiative's channel) and start the poll again."
            )
        if poll.closes_at is not None:
            parts.append(f"It closes {full_and_relative(poll.closes_at)}.")
        else:
            parts.append("Close it with /poll close when enough people have answered.")
        await interaction.followup.send(" ".join(parts) + _notes(created.notes), ephemeral=True)

    @app_commands.command(name="close", description="Close a poll now and announce the best time")
    @app_commands.describe(poll="The poll (start typing its title)")
    @app_commands.autocomplete(poll=poll_autocomplete)
    @app_commands.guild_only()
    @limited("meeting")
    async def close(self, interaction: discord.Interaction, poll: PollName) -> None:
        guild_id = guild_id_of(interaction)
        services = services_of(interaction)
        found = await services.polls.find(guild_id, poll)
        view = await services.polls.close(guild_id, found.key, await actor_of(interaction))
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.deadlines.announce_closed(view)
        await interaction.followup.send(self._closed_text(view), ephemeral=True)

    @staticmethod
    def _closed_text(view: PollView) -> str:
        title = escape_markdown(view.poll.title)
        if not view.best:
            return f"Closed **{title}**: nobody answered Yes or If need be, so no time was chosen."
        best = "the best time" if len(view.best) == 1 else f"the {len(view.best)} tied times"
        return (
            f"Closed **{title}** and announced {best} where the poll was posted, with a"
            " Create meeting button for organisers."
        )

    @app_commands.command(
        name="results", description="Who answered what, per time (only you see it)"
    )
    @app_commands.describe(poll="The poll (start typing its title)")
    @app_commands.autocomplete(poll=poll_autocomplete)
    @app_commands.guild_only()
    async def results(self, interaction: discord.Interaction, poll: PollName) -> None:
        guild_id = guild_id_of(interaction)
        services = services_of(interaction)
        found = await services.polls.find(guild_id, poll, "close")
        results = await services.polls.results(guild_id, found.key)
        await interaction.response.send_message(
            found.note() or None, embed=results_embed(results), ephemeral=True
        )

"""/discussion: start a thread for an initiative, list its discussions, see the liveliest."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.directory.initiatives import cluster_autocomplete, initiative_autocomplete
from bot.cogs.discussions.render import (
    PERIOD_LABELS,
    STATE_LABELS,
    discussion_line,
    list_embed,
)
from bot.cogs.discussions.tracker import thread_created_at
from bot.cogs.shared.client import AgoraClient
from bot.cogs.shared.context import guild_id_of, services_of
from bot.cogs.shared.cooldowns import limited
from bot.cogs.shared.pagination import Page, PageRenderer, send_page
from bot.errors import InvalidInput, PermissionDenied
from bot.services.common.names import clean_text
from bot.services.common.text import plural
from bot.services.common.text_fit import first_that_fits
from bot.services.directory.models import Initiative

T = TypeVar("T")

PAGE_SIZE = 10
# Discord's limits: thread names 100 characters, message content 2000.
MAX_TITLE = 100
MAX_TEXT = 1800
STATES = [
    app_commands.Choice(name="open", value="open"),
    app_commands.Choice(name="archived", value="archived"),
    app_commands.Choice(name="open and archived", value="all"),
]
PERIODS = [
    app_commands.Choice(name="last 24 hours", value="day"),
    app_commands.Choice(name="last 7 days", value="week"),
    app_commands.Choice(name="last 30 days", value="month"),
    app_commands.Choice(name="all time", value="all"),
]


def forum_tag_for(channel: discord.ForumChannel, initiative: Initiative) -> discord.ForumTag | None:
    """The forum's tag named like the initiative (name or slug); else, if tags are
    required, the first one, so the post is not refused."""
    wanted = {initiative.name.casefold(), initiative.slug.casefold()}
    for tag in channel.available_tags:
        if tag.name.casefold() in wanted:
            return tag
    if channel.flags.require_tag and channel.available_tags:
        return channel.available_tags[0]
    return None


class DiscussionCog(commands.GroupCog, group_name="discussion"):
    """Discussions: threads in initiative channels and posts in initiative forums."""

    def __init__(self, bot: AgoraClient) -> None:
        self.bot = bot
        bot.pages.register("discussions", self.render_list_page)
        bot.pages.register("topdiscussions", self.render_top_page)
        super().__init__()

    # -- /discussion start -------------------------------------------------------

    @app_commands.command(name="start", description="Open a discussion thread for an initiative")
    @app_commands.describe(
        initiative="The initiative (start typing its name)",
        title="The thread's title, e.g. “Pilot streets for 2018”",
        text="An opening message (optional)",
    )
    @app_commands.autocomplete(initiative=initiative_autocomplete)
    @app_commands.guild_only()
    @limited("discussion")
    async def start(
        self,
        interaction: discord.Interaction,
        initiative: str,
        title: app_commands.Range[str, 1, MAX_TITLE],
        text: app_commands.Range[str, 1, MAX_TEXT] | None = None,
    ) -> None:
        services = services_of(interaction)
        guild_id = guild_id_of(interaction)
        target = await services.directory.get_initiative(guild_id, initiative)
        title = " ".join(clean_text(title).split())
        if not title:
            raise InvalidInput("The title is empty; give the discussion a few words of title.")
        channel = self._initiative_channel(interaction, target)
        self._check_can_post(interaction, channel)
        await interaction.response.defer(ephemeral=True, thinking=True)
        user = interaction.user
        opening = f"{text.strip()}\n\n" if text and text.strip() else ""
        if isinstance(channel, discord.ForumChannel):
            tag = forum_tag_for(channel, target)
            created = await channel.create_thread(
                name=title,
                content=f"{opening}*Discussion started by {user.mention} with /discussion start.*",
                applied_tags=[tag] if tag is not None else [],
                reason=f"/discussion start by {user}",
            )
            thread = created.thread
        else:
            # The opening post stays in the channel, where everyone sees the new
            # discussion, and the thread hangs off it (as Discord's own button does).
            # With the longest title and text the whole would pass Discord's limit:
            # then the title is left to the thread's name, just below.
            about = f"a discussion for **{target.name}**, started by {user.mention}.\n{opening}"
            starter = await channel.send(
                first_that_fits(
                    [
                        f"💬 **{discord.utils.escape_markdown(title)}** — {about}".rstrip(),
                        f"💬 {about[0].upper()}{about[1:]}".rstrip(),
                    ]
                )
            )
            thread = await starter.create_thread(name=title)
        await services.discussions.thread_created(
            guild_id, thread.id, channel.id, title, user.id, thread_created_at(thread)
        )
        joined = ""
        try:
            await thread.add_user(user)
        except discord.HTTPException:
            joined = " (Agora could not add you to it; open it to follow it.)"
        await interaction.followup.send(
            f"Discussion started: {thread.mention} in {channel.mention}.{joined}", ephemeral=True
        )

    def _initiative_channel(
        self, interaction: discord.Interaction, initiative: Initiative
    ) -> discord.TextChannel | discord.ForumChannel:
        guild = interaction.guild
        channel = (
            guild.get_channel(initiative.channel_id)
            if guild is not None and initiative.channel_id is not None
            else None
        )
        if channel is None:
            raise InvalidInput(
                f"{initiative.name} has no channel on this server yet, so there is nowhere to"
                " start a discussion. An admin can create it with /admin setup."
            )
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            raise InvalidInput(
                f"{initiative.name}'s channel {channel.mention} is not a text or forum channel,"
                " so it cannot hold discussions. Ask an admin to link a text or forum channel."
            )
        return channel

    @staticmethod
    def _check_can_post(
        interaction: discord.Interaction, channel: discord.TextChannel | discord.ForumChannel
    ) -> None:
        member = interaction.user
        if not isinstance(member, discord.Member):
            return
        mine = channel.permissions_for(member)
        if not (mine.view_channel and mine.send_messages):
            raise PermissionDenied(
                f"You cannot post in {channel.mention}, so you cannot start a discussion there."
                " Join the initiative (/initiative join) or ask an admin."
            )
        me = channel.guild.me
        theirs = channel.permissions_for(me)
        if not (theirs.send_messages and theirs.create_public_threads):
            raise PermissionDenied(
                f"Agora needs Send Messages and Create Public Threads in {channel.mention};"
                " ask an admin to grant them."
            )

    # -- /discussion list ----------------------------------------------------------

    @app_commands.command(name="list", description="Discussions of an initiative, or of all")
    @app_commands.describe(
        initiative="Only this initiative's discussions", state="Open (default) or archived"
    )
    @app_commands.autocomplete(initiative=initiative_autocomplete)
    @app_commands.choices(state=STATES)
    @app_commands.guild_only()
    async def list_discussions(
        self,
        interaction: discord.Interaction,
        initiative: str | None = None,
        state: app_commands.Choice[str] | None = None,
    ) -> None:
        initiative_id = 0
        if initiative:
            directory = services_of(interaction).directory
            initiative_id = (
                await directory.get_initiative(guild_id_of(interaction), initiative)
            ).id
        await _send_first_page(
            interaction, "discussions", self.render_list_page, initiative_id, state, "open"
        )

    async def render_list_page(
        self, interaction: discord.Interaction, argument: str, page: int
    ) -> Page:
        services = services_of(interaction)
        guild_id = guild_id_of(interaction)
        initiative_id, state = _filter_and_choice(argument)
        _, names = await services.directory.names_by_id(guild_id)
        result = await _page_or_first(
            lambda number: services.discussions.list_discussions(
                guild_id, initiative_id, state, number, PAGE_SIZE
            ),
            page,
        )
        label = STATE_LABELS.get(state, state)
        if initiative_id is None:
            title = f"Discussions ({label})"
            lines = [discussion_line(d, names.get(d.initiative_id)) for d in result.items]
        else:
            title = f"Discussions of {names.get(initiative_id, 'a removed initiative')} ({label})"
            lines = [discussion_line(d, None) for d in result.items]
        empty = (
            f"No {label} discussions yet. Start one with `/discussion start`."
            if state != "archived"
            else "No archived discussions."
        )
        footer = f"Page {result.page} of {result.pages} · {plural(result.total, 'discussion')}"
        return Page(list_embed(title, lines, empty, footer), result.page - 1, result.pages)

    # -- /discussion top -----------------------------------------------------------

    @app_commands.command(name="top", description="The most active discussions of a period")
    @app_commands.describe(
        cluster="Only discussions of this Action Cluster's initiatives",
        period="Counted over this period (default: the last 7 days)",
    )
    @app_commands.autocomplete(cluster=cluster_autocomplete)
    @app_commands.choices(period=PERIODS)
    @app_commands.guild_only()
    async def top(
        self,
        interaction: discord.Interaction,
        cluster: str | None = None,
        period: app_commands.Choice[str] | None = None,
    ) -> None:
        cluster_id = 0
        if cluster:
            directory = services_of(interaction).directory
            cluster_id = (await directory.get_cluster(guild_id_of(interaction), cluster)).id
        await _send_first_page(
            interaction, "topdiscussions", self.render_top_page, cluster_id, period, "week"
        )

    async def render_top_page(
        self, interaction: discord.Interaction, argument: str, page: int
    ) -> Page:
        services = services_of(interaction)
        guild_id = guild_id_of(interaction)
        cluster_id, period = _filter_and_choice(argument)
        clusters, names = await services.directory.names_by_id(guild_id)
        top = await _page_or_first(
            lambda number: services.discussions.top_discussions(
                guild_id, cluster_id, period, number, PAGE_SIZE
            ),
            page,
        )
        lines = [
            f"**{top.first_rank + index}.** <#{ranked.discussion.thread_id}> · "
            f"{names.get(ranked.discussion.initiative_id, 'a removed initiative')}\n"
            f"{plural(ranked.messages_in_period, 'message')} in the period · "
            f"{plural(ranked.discussion.participant_count, 'participant')}"
            for index, ranked in enumerate(top.items)
        ]
        where = f" in {clusters.get(cluster_id, 'a removed cluster')}" if cluster_id else ""
        title = f"Most active discussions{where}, {PERIOD_LABELS.get(period, period)}"
        empty = "No messages in this period. Start a discussion with `/discussion start`."
        page_total = top.page + 1 if top.has_more else top.page
        footer = f"Page {top.page}" + (" · more on the next page" if top.has_more else "")
        embed = list_embed(title, lines, empty, footer)
        return Page(embed, top.page - 1, page_total)


async def _send_first_page(
    interaction: discord.Interaction,
    kind: str,
    render: PageRenderer,
    filter_id: int,
    choice: app_commands.Choice[str] | None,
    default: str,
) -> None:
    """The first page of /discussion list or top. The pages' argument is
    "<filter id>,<choice>": an initiative or cluster (0 for all) and the chosen state or
    period (``default`` when none was chosen). Counts as of now, not as of the last batch."""
    argument = f"{filter_id},{choice.value if choice else default}"
    await services_of(interaction).activity.flush()
    await send_page(interaction, kind, argument, await render(interaction, argument, 0))


def _filter_and_choice(argument: str) -> tuple[int | None, str]:
    """A page's argument read back: "12,open" -> (12, "open"), "0,week" -> (None, "week")."""
    filter_text, _, choice = argument.partition(",")
    return int(filter_text or 0) or None, choice


async def _page_or_first(fetch: Callable[[int], Awaitable[T]], page: int) -> T:
    """Page ``page`` (0-based) from ``fetch`` (which counts pages from 1); the first page
    when that one is gone: the list shrank since it was sent (fewer discussions, or a
    rolling window moved on). On the first page the refusal stands."""
    try:
        return await fetch(page + 1)
    except InvalidInput:
        if page == 0:
            raise
        return await fetch(1)

"""/action list and /action done: the action items meetings produced.

Actions are recorded with ``/outcome add`` (kind Action). Anyone may list them; an action
is closed by its owner, leads of its initiative, the meeting's organiser, organisers and
admins (the service decides).
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.directory.initiatives import initiative_autocomplete
from bot.cogs.meetings.options import MeetingName, meeting_autocomplete
from bot.cogs.outcomes.render import action_lines, list_embed
from bot.cogs.shared.client import AgoraClient
from bot.cogs.shared.context import actor_of, guild_id_of, services_of
from bot.cogs.shared.cooldowns import limited
from bot.cogs.shared.pagination import Page, page_count, send_page
from bot.services.common.links import escape_markdown
from bot.services.common.text import plural
from bot.services.outcomes.service import clip_line

PAGE_SIZE = 8


async def action_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Open actions matching what is typed, the user's own first."""
    if interaction.guild_id is None:
        return []
    choices = await services_of(interaction).outcomes.action_choices(
        interaction.guild_id, interaction.user.id, current[:100]
    )
    return [app_commands.Choice(name=name, value=str(number)) for name, number in choices]


class ActionCog(commands.GroupCog, group_name="action"):
    """Action items from meetings."""

    def __init__(self, bot: AgoraClient) -> None:
        self.bot = bot
        bot.pages.register("actions", self.render_page)
        super().__init__()

    @app_commands.command(name="list", description="Open action items, soonest due first")
    @app_commands.describe(
        mine="Only the actions you own",
        initiative="Only those of an initiative's sessions and meetings",
        meeting="Only those of one meeting",
    )
    @app_commands.autocomplete(initiative=initiative_autocomplete, meeting=meeting_autocomplete)
    @app_commands.guild_only()
    async def list_actions(
        self,
        interaction: discord.Interaction,
        mine: bool = False,
        initiative: app_commands.Range[str, 1, 100] | None = None,
        meeting: MeetingName | None = None,
    ) -> None:
        guild_id = guild_id_of(interaction)
        services = services_of(interaction)
        # Reads: a name close to one is used; the list's title names it.
        initiative_id = (
            (await services.directory.find_initiative(guild_id, initiative)).key.id
            if initiative
            else 0
        )
        meeting_id = (
            (await services.meetings.find_named(guild_id, meeting, "close")).key if meeting else 0
        )
        owner = interaction.user.id if mine else 0
        argument = f"{owner}.{initiative_id}.{meeting_id}"
        page = await self.render_page(interaction, argument, 0)
        await send_page(interaction, "actions", argument, page)

    async def render_page(self, interaction: discord.Interaction, argument: str, page: int) -> Page:
        guild_id = guild_id_of(interaction)
        services = services_of(interaction)
        owner, initiative_id, meeting_id = (int(part) for part in argument.split("."))
        initiative_name = ""
        if initiative_id:
            _, initiatives = await services.directory.by_id(guild_id)
            found = initiatives.get(initiative_id)
            initiative_name = found.name if found is not None else ""
        views = await services.outcomes.actions(
            guild_id,
            owner_id=owner or None,
            initiative_id=initiative_id or None,
            meeting_id=meeting_id or None,
        )
        title = "Open action items"
        if owner:
            title = "Your open action items"
        if initiative_name:
            title += f" of {initiative_name}"
        if meeting_id and views:
            title += f" from {views[0].meeting_title}"
        elif meeting_id:
            title += f" from meeting #{meeting_id}"
        lines = action_lines(views)
        pages = page_count(len(lines), PAGE_SIZE)
        shown = min(page, pages - 1)
        embed = list_embed(
            title,
            lines[shown * PAGE_SIZE : (shown + 1) * PAGE_SIZE],
            "None open. Actions are recorded with `/outcome add` (kind Action).",
            f"{plural(len(lines), 'open action')} · page {shown + 1} of {pages}"
            " · close one with /action done",
        )
        return Page(embed, shown, pages)

    @app_commands.command(name="done", description="Mark an action item done")
    @app_commands.describe(action="The action (autocomplete, or its number)")
    @app_commands.autocomplete(action=action_autocomplete)
    @app_commands.guild_only()
    @limited("resource")
    async def done(
        self, interaction: discord.Interaction, action: app_commands.Range[str, 1, 100]
    ) -> None:
        guild_id = guild_id_of(interaction)
        closed = await services_of(interaction).outcomes.mark_done(
            guild_id, await actor_of(interaction), action
        )
        await interaction.response.send_message(
            f"✅ Action #{closed.id} is done: {escape_markdown(clip_line(closed.text, 300))}",
            ephemeral=True,
        )

"""/challenge: the challenges initiatives face, and the tables of a challenge workshop.

``/challenge add`` opens a form (title and description); its answer is handled from the
form's custom_id alone, so a form left open while Agora restarts is still answered.
``/challenge match`` proposes workshop tables (only the organiser sees them) and, given a
meeting with a challenge workshop, posts them there, pinging each table's initiatives.
"""

from __future__ import annotations

import logging
import re

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.challenges.render import (
    challenge_embed,
    challenge_line,
    proposal_embed,
    table_messages,
)
from bot.cogs.directory.initiatives import cluster_autocomplete, initiative_autocomplete
from bot.cogs.meetings.options import meeting_autocomplete
from bot.cogs.shared.channels import Postable
from bot.cogs.shared.client import AgoraClient
from bot.cogs.shared.context import actor_of, guild_id_of, services_of
from bot.cogs.shared.cooldowns import check_rate, limited
from bot.cogs.shared.embeds import AGORA_COLOUR
from bot.cogs.shared.forms import answer_form, send_form
from bot.cogs.shared.pagination import Page, send_page
from bot.errors import InvalidInput
from bot.services.challenges.service import (
    MAX_DESCRIPTION_LENGTH,
    MAX_TITLE_LENGTH,
    Proposal,
)
from bot.services.common.text import plural
from bot.services.common.text_fit import clip, fit_lines

log = logging.getLogger(__name__)

CHALLENGE_FORM = re.compile(r"agora:challenge:(?P<initiative_id>\d{1,19})")
LIST_PAGE_SIZE = 8
# Discord's limit on a form's title.
FORM_TITLE_LIMIT = 45
# The list's page argument: "" (all), "i<id>" (an initiative), "c<id>" (a cluster).
LIST_FILTER = re.compile(r"(?:(?P<kind>[ic])(?P<id>\d{1,19}))?")


class ChallengeForm(discord.ui.Modal):
    """A challenge's title and description; the initiative is in the custom_id."""

    def __init__(self, initiative_id: int, name: str) -> None:
        super().__init__(
            title=clip(f"Challenge of {name}", FORM_TITLE_LIMIT),
            timeout=None,
            custom_id=f"agora:challenge:{initiative_id}",
        )
        self.add_item(
            discord.ui.TextInput(
                label="Title",
                placeholder="Sharing lamppost sensor data with residents",
                required=True,
                min_length=1,
                max_length=MAX_TITLE_LENGTH,  # Discord's client refuses more
                custom_id="title",
            )
        )
        self.add_item(
            discord.ui.TextInput(
                label="The challenge",
                style=discord.TextStyle.paragraph,
                placeholder="What stands in the way, what was tried, what help would look like",
                required=True,
                min_length=1,
                max_length=MAX_DESCRIPTION_LENGTH,
                custom_id="description",
            )
        )


async def challenge_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Challenges by number or title, newest first; the value is the number."""
    if interaction.guild_id is None:
        return []
    found = await services_of(interaction).challenges.choices(interaction.guild_id, current)
    return [
        app_commands.Choice(
            name=clip(
                f"#{item.challenge.id} {item.challenge.title}"
                + (f" · {item.initiative.name}" if item.initiative else ""),
                100,
            ),
            value=str(item.challenge.id),
        )
        for item in found
    ]


class ChallengeCog(commands.GroupCog, group_name="challenge"):
    """Challenges initiatives face, and the tables of challenge workshops."""

    def __init__(self, bot: AgoraClient) -> None:
        self.bot = bot
        bot.pages.register("challenges", self.render_list_page)
        super().__init__()

    # --- add, remove ------------------------------------------------------------

    @app_commands.command(
        name="add", description="Describe a challenge your initiative faces, in a form (members)"
    )
    @app_commands.describe(initiative="The initiative facing it (you must be a member)")
    @app_commands.autocomplete(initiative=initiative_autocomplete)
    @app_commands.guild_only()
    async def add(self, interaction: discord.Interaction, initiative: str) -> None:
        services = services_of(interaction)
        guild_id = guild_id_of(interaction)
        # The form's title names the initiative: a typo close to one name is read as it.
        target = (await services.directory.find_initiative(guild_id, initiative)).key
        await services.challenges.check_can_add(guild_id, await actor_of(interaction), target.id)
        await send_form(interaction, ChallengeForm(target.id, target.name))

    @commands.Cog.listener("on_interaction")
    async def on_challenge_form(self, interaction: discord.Interaction) -> None:
        await answer_form(interaction, CHALLENGE_FORM, self.challenge_submitted)

    async def challenge_submitted(
        self, interaction: discord.Interaction, match: re.Match[str], values: dict[str, str]
    ) -> None:
        check_rate(interaction, "resource")
        added = await services_of(interaction).challenges.add(
            guild_id_of(interaction),
            await actor_of(interaction),
            int(match["initiative_id"]),
            values.get("title", ""),
            values.get("description", ""),
        )
        name = discord.utils.escape_markdown(added.initiative.name if added.initiative else "")
        await interaction.response.send_message(
            f"New challenge of **{name}**, added by {interaction.user.mention}.",
            embed=challenge_embed(added, "Organisers match challenges with /challenge match"),
        )

    @app_commands.command(
        name="remove",
        description="Remove a challenge (its author, the initiative's leads, organisers)",
    )
    @app_commands.describe(challenge="The challenge (start typing its title or number)")
    @app_commands.autocomplete(challenge=challenge_autocomplete)
    @app_commands.guild_only()
    @limited("resource")
    async def remove(
        self, interaction: discord.Interaction, challenge: app_commands.Range[str, 1, 200]
    ) -> None:
        services = services_of(interaction)
        guild_id = guild_id_of(interaction)
        found = await services.challenges.find(guild_id, challenge)
        removed = await services.challenges.remove(guild_id, await actor_of(interaction), found.id)
        title = discord.utils.escape_markdown(removed.challenge.title)
        await interaction.response.send_message(
            f"Removed the challenge **{title}** (#{removed.challenge.id}).", ephemeral=True
        )

    # --- list -------------------------------------------------------------------

    @app_commands.command(name="list", description="Challenges initiatives face, newest first")
    @app_commands.describe(
        initiative="Only this initiative's challenges",
        cluster="Only the challenges of this Action Cluster's initiatives",
    )
    @app_commands.autocomplete(initiative=initiative_autocomplete, cluster=cluster_autocomplete)
    @app_commands.guild_only()
    async def list_challenges(
        self,
        interaction: discord.Interaction,
        initiative: app_commands.Range[str, 1, 200] | None = None,
        cluster: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        directory = services_of(interaction).directory
        guild_id = guild_id_of(interaction)
        if initiative and cluster:
            raise InvalidInput(
                "Give an initiative or a cluster, not both: an initiative's challenges, or"
                " those of every initiative of a cluster."
            )
        argument = ""
        if initiative:
            argument = f"i{(await directory.find_initiative(guild_id, initiative)).key.id}"
        elif cluster:
            argument = f"c{(await directory.find_cluster(guild_id, cluster)).key.id}"
        page = await self.render_list_page(interaction, argument, 0)
        await send_page(interaction, "challenges", argument, page)

    async def render_list_page(
        self, interaction: discord.Interaction, argument: str, page: int
    ) -> Page:
        services = services_of(interaction)
        guild_id = guild_id_of(interaction)
        parsed = LIST_FILTER.fullmatch(argument)
        kind = parsed["kind"] if parsed else None
        item_id = int(parsed["id"]) if parsed and parsed["id"] else None
        initiative_id = item_id if kind == "i" else None
        cluster_id = item_id if kind == "c" else None
        result = await services.challenges.list_challenges(
            guild_id, initiative_id, cluster_id, page + 1, LIST_PAGE_SIZE
        )
        clusters, initiatives = await services.directory.names_by_id(guild_id)
        title = "Challenges"
        if initiative_id is not None and initiative_id in initiatives:
            title = f"Challenges of {initiatives[initiative_id]}"
        elif cluster_id is not None and cluster_id in clusters:
            title = f"Challenges of the {clusters[cluster_id]} cluster"
        embed = discord.Embed(
            title=clip(title, 256),
            description=fit_lines([challenge_line(item) for item in result.items], 4000)
            or "No challenges yet. Members of an initiative add one with /challenge add.",
            colour=AGORA_COLOUR,
        )
        embed.set_footer(
            text=f"Page {result.page} of {result.pages} · "
            f"{plural(result.total, 'challenge')}, newest first"
        )
        return Page(embed, result.page - 1, result.pages)

    # --- match ------------------------------------------------------------------

    @app_commands.command(
        name="match", description="Propose challenge workshop tables (organisers)"
    )
    @app_commands.describe(
        meeting="Post the tables to this meeting's challenge workshop, pinging each table",
        cluster="Only the challenges of this Action Cluster's initiatives",
    )
    @app_commands.autocomplete(meeting=meeting_autocomplete, cluster=cluster_autocomplete)
    @app_commands.guild_only()
    @limited("meeting")
    async def match(
        self,
        interaction: discord.Interaction,
        meeting: app_commands.Range[str, 1, 100] | None = None,
        cluster: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        services = services_of(interaction)
        guild_id = guild_id_of(interaction)
        actor = await actor_of(interaction)
        cluster_id = None
        if cluster:
            cluster_id = (await services.directory.find_cluster(guild_id, cluster, "exact")).key.id
        meeting_id = None
        if meeting:
            # Posting pings people: a typo of a title is suggested, never used.
            meeting_id = await services.meetings.find(guild_id, meeting)
        proposal = await services.challenges.match(guild_id, actor, cluster_id, meeting_id)
        if proposal.workshop is None or not proposal.tables:
            note = "Nothing posted: no tables." if proposal.workshop is not None else None
            await interaction.response.send_message(
                note, embed=proposal_embed(proposal), ephemeral=True
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        note = await self.post_tables(interaction, proposal)
        await interaction.followup.send(note, embed=proposal_embed(proposal), ephemeral=True)

    async def post_tables(self, interaction: discord.Interaction, proposal: Proposal) -> str:
        """Post the tables to the workshop's channels; what happened, in a sentence."""
        workshop = proposal.workshop
        guild = interaction.guild
        assert workshop is not None and guild is not None
        channels = [
            channel
            for channel_id in workshop.channel_ids
            if isinstance(channel := guild.get_channel_or_thread(channel_id), Postable)
        ]
        if not channels:
            return (
                f"Not posted: “{discord.utils.escape_markdown(workshop.meeting.title)}” has no"
                " announcement in a channel Agora can post in, and its workshop names no"
                " cluster with a channel. Post the tables by hand, or announce the meeting."
            )
        posted: list[str] = []
        for channel in channels:
            # Each table's initiatives are pinged once, where the tables are first posted.
            pings = not posted
            try:
                for message in table_messages(workshop, proposal.tables):
                    await channel.send(
                        message.content,
                        allowed_mentions=message.allowed_mentions
                        if pings
                        else discord.AllowedMentions.none(),
                    )
            except discord.HTTPException:
                log.warning("could not post workshop tables in channel %s", channel.id)
                continue
            posted.append(channel.mention)
        if not posted:
            return "Discord refused the tables in every channel; check Agora's permissions there."
        return f"Posted {plural(len(proposal.tables), 'table')} in {', '.join(posted)}."

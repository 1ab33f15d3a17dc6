"""/initiative: look up, list, search, join and leave initiatives, list their members,
appoint or remove their leads (``lead`` group), and add, list or remove their documents
and projects (``doc`` and ``project`` groups)."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.directory.pitches import open_pitch_form
from bot.cogs.directory.render import counts_line, initiative_embed
from bot.cogs.directory.resources import (
    GROUP,
    PAGE_KIND,
    PLURAL,
    add_resource,
    remove_resource,
    render_resources_page,
    resource_choices,
)
from bot.cogs.shared.client import AgoraClient
from bot.cogs.shared.context import actor_of, guild_id_of, services_of
from bot.cogs.shared.cooldowns import limited
from bot.cogs.shared.embeds import AGORA_COLOUR
from bot.cogs.shared.pagination import Page, PageRenderer, page_count, send_page
from bot.cogs.shared.role_guard import why_unsafe
from bot.services.common.name_matcher import Found, shown
from bot.services.common.text import plural
from bot.services.common.text_fit import fit_lines
from bot.services.directory.models import Initiative, ResourceKind
from bot.services.directory.resources import MAX_TITLE_LENGTH, MAX_URL_LENGTH

log = logging.getLogger(__name__)

LIST_PAGE_SIZE = 10
MEMBERS_PAGE_SIZE = 20


async def initiative_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Typo-tolerant, best first, at most 25 (Discord's limit)."""
    if interaction.guild_id is None:
        return []
    choices = await services_of(interaction).directory.autocomplete(interaction.guild_id, current)
    return [app_commands.Choice(name=c.name[:100], value=c.value) for c in choices]


async def cluster_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    if interaction.guild_id is None:
        return []
    choices = await services_of(interaction).directory.cluster_autocomplete(
        interaction.guild_id, current
    )
    return [app_commands.Choice(name=c.name[:100], value=c.value) for c in choices]


Title = app_commands.Range[str, 1, MAX_TITLE_LENGTH]
Url = app_commands.Range[str, 1, MAX_URL_LENGTH]


def resource_commands(kind: ResourceKind, title_hint: str) -> app_commands.Group:
    """``/initiative doc`` or ``/initiative project``: add, list and remove items of
    ``kind``, declared once for both kinds. ``title_hint`` describes the title option.

    A group class per kind, so each kind's texts and option names are its own; its
    commands are bound to the group (discord.py binds a Group subclass's commands to it),
    which is then a subgroup of the cog's ``/initiative``.
    """
    things = PLURAL[kind]

    async def item_choices(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await resource_choices(interaction, kind, current)

    class ResourceCommands(
        app_commands.Group,
        name=GROUP[kind],
        description=f"{things.capitalize()} of an initiative: add, list, remove",
        guild_only=True,
    ):
        @app_commands.command(
            name="add", description=f"Add a {kind} (title and link) to an initiative"
        )
        @app_commands.describe(
            initiative="The initiative (you must be a member)",
            title=title_hint,
            url="Its link, starting with http:// or https://",
        )
        @app_commands.autocomplete(initiative=initiative_autocomplete)
        async def add(
            self, interaction: discord.Interaction, initiative: str, title: Title, url: Url
        ) -> None:
            await add_resource(interaction, kind, initiative, title, url)

        @app_commands.command(name="list", description=f"An initiative's {things}, newest first")
        @app_commands.describe(initiative="The initiative")
        @app_commands.autocomplete(initiative=initiative_autocomplete)
        async def list_items(self, interaction: discord.Interaction, initiative: str) -> None:
            target = (
                await services_of(interaction).directory.find_initiative(
                    guild_id_of(interaction), initiative
                )
            ).key
            page = await render_resources_page(interaction, kind, target.slug, 0)
            await send_page(interaction, PAGE_KIND[kind], target.slug, page)

        @app_commands.command(
            name="remove", description=f"Remove a {kind} (its author, leads, organisers)"
        )
        @app_commands.rename(item=kind)
        @app_commands.describe(
            initiative="The initiative", item=f"The {kind} (start typing its title)"
        )
        @app_commands.autocomplete(initiative=initiative_autocomplete, item=item_choices)
        async def remove(
            self, interaction: discord.Interaction, initiative: str, item: str
        ) -> None:
            await remove_resource(interaction, kind, initiative, item)

    return ResourceCommands()


def _resource_pages(kind: ResourceKind) -> PageRenderer:
    """How a page of ``/initiative doc list`` or ``project list`` is drawn after a click."""

    async def render(interaction: discord.Interaction, slug: str, page: int) -> Page:
        return await render_resources_page(interaction, kind, slug, page)

    return render


class InitiativeCog(commands.GroupCog, group_name="initiative"):
    """Initiatives: each has a main goal, members, documents, projects and discussions."""

    doc = resource_commands("document", "What the document is, e.g. Lamppost pilot report 2017")
    project = resource_commands("project", "The project's name, e.g. Eindhoven lamppost pilot")
    lead = app_commands.Group(
        name="lead", description="Leads of an initiative: appoint, remove", guild_only=True
    )
    pitch = app_commands.Group(
        name="pitch",
        description="An initiative's pitch to other clusters and funders",
        guild_only=True,
    )

    def __init__(self, bot: AgoraClient) -> None:
        self.bot = bot
        bot.pages.register("initiatives", self.render_list_page)
        bot.pages.register("members", self.render_members_page)
        for kind, page_kind in PAGE_KIND.items():
            bot.pages.register(page_kind, _resource_pages(kind))
        super().__init__()

    @app_commands.command(
        name="info", description="An initiative's goal, cluster, leads and activity"
    )
    @app_commands.describe(initiative="The initiative (start typing its name)")
    @app_commands.autocomplete(initiative=initiative_autocomplete)
    @app_commands.guild_only()
    async def info(self, interaction: discord.Interaction, initiative: str) -> None:
        directory = services_of(interaction).directory
        guild_id = guild_id_of(interaction)
        found = await directory.find_initiative(guild_id, initiative)
        info = await directory.initiative_info(guild_id, found.key.slug)
        pitch = await services_of(interaction).pitches.get(guild_id, info.initiative.id)
        await interaction.response.send_message(
            found.note() or None, embed=initiative_embed(info, pitch)
        )

    @app_commands.command(name="list", description="All initiatives, or those of one cluster")
    @app_commands.describe(cluster="Only initiatives led by this Action Cluster")
    @app_commands.autocomplete(cluster=cluster_autocomplete)
    @app_commands.guild_only()
    async def list_initiatives(
        self, interaction: discord.Interaction, cluster: str | None = None
    ) -> None:
        if cluster:
            # A typo of a cluster's name is read as that cluster; the title names it.
            found = await services_of(interaction).directory.find_cluster(
                guild_id_of(interaction), cluster
            )
            cluster = found.key.slug
        page = await self.render_list_page(interaction, cluster or "", 0)
        await send_page(interaction, "initiatives", cluster or "", page)

    async def render_list_page(
        self, interaction: discord.Interaction, cluster: str, page: int
    ) -> Page:
        result = await services_of(interaction).directory.list_initiatives(
            guild_id_of(interaction), cluster or None, page + 1, LIST_PAGE_SIZE
        )
        title = "Initiatives" if not cluster else f"Initiatives of {cluster}"
        if result.items and cluster:
            title = f"Initiatives of {result.items[0].cluster.name}"
        lines = [
            f"**{summary.initiative.name}** · {summary.cluster.name}\n{counts_line(summary.counts)}"
            for summary in result.items
        ]
        embed = discord.Embed(
            title=title,
            description=fit_lines(lines, 4000) or "No initiatives yet.",
            colour=AGORA_COLOUR,
        )
        embed.set_footer(text=f"Page {result.page} of {result.pages} · {result.total} in all")
        return Page(embed, result.page - 1, result.pages)

    @app_commands.command(name="search", description="Full-text search over names and goals")
    @app_commands.describe(query="Words to look for, e.g. lighting data citizens")
    @app_commands.guild_only()
    async def search(
        self, interaction: discord.Interaction, query: app_commands.Range[str, 1, 200]
    ) -> None:
        result = await services_of(interaction).directory.search(
            guild_id_of(interaction), query, 1, LIST_PAGE_SIZE
        )
        if not result.items:
            await interaction.response.send_message(
                f"Nothing matches “{discord.utils.escape_markdown(query)}”. "
                "Try fewer or shorter words, or browse with /initiative list.",
                ephemeral=True,
            )
            return
        lines = [
            f"**{hit.initiative.name}** · {hit.cluster.name}\n{_short(hit.initiative.goal)}"
            for hit in result.items
        ]
        embed = discord.Embed(
            title=f"Initiatives matching “{_short(query, 200)}”",
            description=fit_lines(lines, 4000),
            colour=AGORA_COLOUR,
        )
        embed.set_footer(text=f"{result.total} found, best first")
        await interaction.response.send_message(embed=embed)

    @app_commands.command(name="join", description="Join an initiative: you get its role")
    @app_commands.describe(initiative="The initiative to join")
    @app_commands.autocomplete(initiative=initiative_autocomplete)
    @app_commands.guild_only()
    @limited("membership")
    async def join(self, interaction: discord.Interaction, initiative: str) -> None:
        services = services_of(interaction)
        # Joining is undone by leaving and the answer names the initiative: a typo is
        # read as the one initiative it is close to, and the answer says so.
        found = await services.directory.find_initiative(guild_id_of(interaction), initiative)
        change = await services.memberships.join(
            guild_id_of(interaction), interaction.user.id, found.key.slug
        )
        note = await self._set_role(interaction, change.initiative.role_id, add=True)
        await _answer(interaction, f"Welcome to **{change.initiative.name}**!{note}{_typed(found)}")

    @app_commands.command(name="leave", description="Leave an initiative: its role is removed")
    @app_commands.describe(initiative="The initiative to leave")
    @app_commands.autocomplete(initiative=initiative_autocomplete)
    @app_commands.guild_only()
    @limited("membership")
    async def leave(self, interaction: discord.Interaction, initiative: str) -> None:
        services = services_of(interaction)
        found = await services.directory.find_initiative(guild_id_of(interaction), initiative)
        change = await services.memberships.leave(
            guild_id_of(interaction), interaction.user.id, found.key.slug
        )
        note = await self._set_role(interaction, change.initiative.role_id, add=False)
        await _answer(
            interaction, f"You have left **{change.initiative.name}**.{note}{_typed(found)}"
        )

    async def _set_role(
        self,
        interaction: discord.Interaction,
        role_id: int | None,
        *,
        add: bool,
        member: discord.Member | None = None,
        reason: str | None = None,
    ) -> str:
        """Grant or remove the initiative's role (of ``member``, by default the user);
        a note for the user when that was not possible."""
        someone_else = member is not None and member.id != interaction.user.id
        user = interaction.user if member is None else member
        if role_id is None or not isinstance(user, discord.Member):
            return " (This initiative has no role yet; an admin can run /admin setup.)"
        member = user
        role = member.guild.get_role(role_id)
        if role is None:
            return " (Its role no longer exists; an admin can run /admin setup.)"
        # Checked at every grant: the role's permissions may have changed since setup.
        unsafe = why_unsafe(
            role, self.bot.services.organisers, self.bot.config.community.organiser_role
        )
        if unsafe is not None and (add or role in member.roles):
            log.warning(
                "role %s (%s) of an initiative in guild %s left alone on %s: %s",
                role.name,
                role.id,
                member.guild.id,
                "join" if add else "leave",
                unsafe,
            )
            action = ("give them" if someone_else else "give you") if add else "take away"
            return (
                f" Agora did not {action} the {role.name} role: {unsafe}. "
                "Ask an admin to fix the role in Server Settings → Roles."
            )
        if unsafe is not None:
            return ""  # not held: nothing to take away
        if reason is None:
            reason = "joined with /initiative join" if add else "left with /initiative leave"
        # Discord's reply on a role change can be slow, rate limited or retried by
        # discord.py (1 s, then 3 s after a 500): answer "thinking" first, not after 3 s.
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            if add:
                await member.add_roles(role, reason=reason)
            else:
                await member.remove_roles(role, reason=reason)
        except discord.Forbidden:
            return (
                f" (Agora could not {'grant' if add else 'remove'} the {role.name} role: "
                "it needs Manage Roles and a role above it. Ask an admin.)"
            )
        return ""

    @app_commands.command(name="members", description="An initiative's leads and members")
    @app_commands.describe(initiative="The initiative")
    @app_commands.autocomplete(initiative=initiative_autocomplete)
    @app_commands.guild_only()
    async def members(self, interaction: discord.Interaction, initiative: str) -> None:
        target = (
            await services_of(interaction).directory.find_initiative(
                guild_id_of(interaction), initiative
            )
        ).key
        page = await self.render_members_page(interaction, target.slug, 0)
        await send_page(interaction, "members", target.slug, page)

    async def render_members_page(
        self, interaction: discord.Interaction, slug: str, page: int
    ) -> Page:
        services = services_of(interaction)
        guild_id = guild_id_of(interaction)
        target = await services.directory.get_initiative(guild_id, slug)
        result = await services.memberships.members(guild_id, slug, page + 1, MEMBERS_PAGE_SIZE)
        lines = [
            f"<@{m.user_id}>{' · lead' if m.role == 'lead' else ''} · since "
            f"{discord.utils.format_dt(m.joined_at, 'd')}"
            for m in result.items
            if m.user_id is not None
        ]
        embed = discord.Embed(
            title=f"Members of {target.name}",
            description="\n".join(lines) or "No members yet. Be the first: /initiative join",
            colour=AGORA_COLOUR,
        )
        pages = page_count(result.total, MEMBERS_PAGE_SIZE)
        embed.set_footer(text=f"Page {result.page} of {pages} · {plural(result.total, 'member')}")
        return Page(embed, result.page - 1, pages)

    # --- leads -----------------------------------------------------------

    @lead.command(
        name="add", description="Make someone a lead of an initiative (leads, organisers)"
    )
    @app_commands.describe(
        initiative="The initiative",
        member="Who becomes a lead (joins the initiative too if not a member yet)",
    )
    @app_commands.autocomplete(initiative=initiative_autocomplete)
    @limited("membership")
    async def lead_add(
        self, interaction: discord.Interaction, initiative: str, member: discord.Member
    ) -> None:
        change = await services_of(interaction).memberships.set_lead(
            guild_id_of(interaction),
            await actor_of(interaction),
            initiative,
            member.id,
            is_bot=member.bot,
        )
        name = change.initiative.name
        if not change.joined:
            await _answer(interaction, f"{member.mention} is now a lead of **{name}**.")
            return
        note = await self._set_role(
            interaction,
            change.initiative.role_id,
            add=True,
            member=member,
            reason="appointed a lead with /initiative lead add",
        )
        await _answer(
            interaction, f"{member.mention} is now a lead of **{name}**, and a member.{note}"
        )

    @lead.command(name="remove", description="Make a lead a plain member again (leads, organisers)")
    @app_commands.describe(
        initiative="The initiative", member="The lead who steps back (stays a member)"
    )
    @app_commands.autocomplete(initiative=initiative_autocomplete)
    @limited("membership")
    async def lead_remove(
        self, interaction: discord.Interaction, initiative: str, member: discord.Member
    ) -> None:
        change = await services_of(interaction).memberships.set_lead(
            guild_id_of(interaction),
            await actor_of(interaction),
            initiative,
            member.id,
            is_lead=False,
        )
        who = "You are" if member.id == interaction.user.id else f"{member.mention} is"
        await _answer(
            interaction,
            f"{who} no longer a lead of **{change.initiative.name}**, and still a member.",
        )

    # --- pitch -----------------------------------------------------------

    @pitch.command(
        name="set", description="Write the initiative's pitch in a form (leads, organisers)"
    )
    @app_commands.describe(initiative="The initiative (you must lead it, or be an organiser)")
    @app_commands.autocomplete(initiative=initiative_autocomplete)
    async def pitch_set(self, interaction: discord.Interaction, initiative: str) -> None:
        await open_pitch_form(interaction, initiative)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _typed(found: Found[Initiative]) -> str:
    """' (You typed "humble lampost".)' after an answer when a typo was read as a name."""
    if not found.corrected:
        return ""
    return f' (You typed "{discord.utils.escape_markdown(shown(found.typed))}".)'


async def _answer(interaction: discord.Interaction, text: str) -> None:
    """Ephemeral answer, as a followup when the interaction was deferred."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True)
    else:
        await interaction.response.send_message(text, ephemeral=True)

"""Documents and projects of an initiative in Discord: autocomplete, pages, replies.

The ``/initiative doc ...`` and ``/initiative project ...`` commands in
``initiatives.py`` are thin wrappers over these helpers, one kind each.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.cogs.shared.context import actor_of, guild_id_of, services_of
from bot.cogs.shared.cooldowns import check_rate
from bot.cogs.shared.embeds import AGORA_COLOUR
from bot.cogs.shared.pagination import Page
from bot.errors import AgoraError
from bot.services.common.links import masked_link
from bot.services.common.text import plural
from bot.services.common.text_fit import clip, fit_lines
from bot.services.directory.models import Resource, ResourceKind

RESOURCES_PAGE_SIZE = 10
# Page kinds of cogs/shared/pagination.py, and the subcommand group of each kind.
PAGE_KIND: dict[ResourceKind, str] = {"document": "docs", "project": "projects"}
GROUP: dict[ResourceKind, str] = {"document": "doc", "project": "project"}
PLURAL: dict[ResourceKind, str] = {"document": "documents", "project": "projects"}


def resource_line(resource: Resource) -> str:
    by = f" · added by <@{resource.added_by}>" if resource.added_by is not None else ""
    when = discord.utils.format_dt(resource.added_at, "d")
    return f"**#{resource.number}** {masked_link(resource.title, resource.url)}{by} · {when}"


async def resource_choices(
    interaction: discord.Interaction, kind: ResourceKind, current: str
) -> list[app_commands.Choice[str]]:
    """The initiative's items (the ``initiative`` option filled in before) by title; the value
    is the item's number in its initiative."""
    initiative = getattr(interaction.namespace, "initiative", None)
    if interaction.guild_id is None or not initiative:
        return []
    try:
        items = await services_of(interaction).resources.choices(
            interaction.guild_id, str(initiative), kind, current
        )
    except AgoraError:
        return []  # an unknown initiative: nothing to suggest yet
    return [
        app_commands.Choice(
            name=clip(f"{item.title} (#{item.number})", 100), value=str(item.number)
        )
        for item in items
    ]


async def add_resource(
    interaction: discord.Interaction, kind: ResourceKind, initiative: str, title: str, url: str
) -> None:
    check_rate(interaction, "resource")
    services = services_of(interaction)
    guild_id = guild_id_of(interaction)
    actor = await actor_of(interaction)
    # Reversible (the item can be removed) and the answer names the initiative: a typo
    # of its name is read as the one initiative it is close to, and the answer says so.
    found = await services.directory.find_initiative(guild_id, initiative)
    target = found.key
    resource = await services.resources.add(guild_id, actor, target.slug, kind, title, url)
    # No link on the embed's title: its text is the member's, and could name another
    # site. The one link is in the description, with the host it really goes to.
    embed = discord.Embed(
        title=clip(resource.title, 256),
        description=f"{masked_link(resource.title, resource.url)}\n"
        f"New {kind} of **{discord.utils.escape_markdown(target.name)}**, "
        f"added by {interaction.user.mention}.",
        colour=AGORA_COLOUR,
    )
    embed.set_footer(
        text=f"{kind.capitalize()} #{resource.number} · /initiative {GROUP[kind]} list"
    )
    await interaction.response.send_message(found.note("Added to") or None, embed=embed)


async def remove_resource(
    interaction: discord.Interaction, kind: ResourceKind, initiative: str, item: str
) -> None:
    check_rate(interaction, "resource")
    services = services_of(interaction)
    guild_id = guild_id_of(interaction)
    actor = await actor_of(interaction)
    resource = await services.resources.find(guild_id, initiative, kind, item)
    removed = await services.resources.remove(guild_id, actor, resource.id)
    title = discord.utils.escape_markdown(removed.title)
    await interaction.response.send_message(
        f"Removed the {kind} **{title}** (#{removed.number}).", ephemeral=True
    )


async def render_resources_page(
    interaction: discord.Interaction, kind: ResourceKind, slug: str, page: int
) -> Page:
    services = services_of(interaction)
    guild_id = guild_id_of(interaction)
    target = await services.directory.get_initiative(guild_id, slug)
    result = await services.resources.list_resources(
        guild_id, slug, kind, page + 1, RESOURCES_PAGE_SIZE
    )
    empty = f"No {PLURAL[kind]} yet. Members can add one with /initiative {GROUP[kind]} add."
    embed = discord.Embed(
        title=f"{PLURAL[kind].capitalize()} of {target.name}",
        description=fit_lines([resource_line(r) for r in result.items], 4000) or empty,
        colour=AGORA_COLOUR,
    )
    embed.set_footer(
        text=f"Page {result.page} of {result.pages} · {plural(result.total, kind)}, newest first"
    )
    return Page(embed, result.page - 1, result.pages)

"""Paginated lists with Previous / Next buttons that keep working after a restart.

The page and what is listed live in the button's custom_id
(``agora:page:<kind>:<argument>:<page>``), so nothing is held in memory: any
Agora process can answer a click, even one started after the list was sent.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import discord

from bot.error_handler import errors_answered

# A renderer turns (interaction, argument, page) into one page of the list.
PageRenderer = Callable[[discord.Interaction, str, int], Awaitable["Page"]]


@dataclass(frozen=True)
class Page:
    embed: discord.Embed
    page: int
    page_count: int


def page_buttons(kind: str, argument: str, page: Page) -> discord.ui.View | None:
    """The Previous / Next row for ``page``; None when everything fits on one page."""
    if page.page_count <= 1:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(PageButton(kind, argument, page.page - 1, "◀ Previous", page.page <= 0))
    view.add_item(
        PageButton(kind, argument, page.page + 1, "Next ▶", page.page >= page.page_count - 1)
    )
    return view


async def send_page(
    interaction: discord.Interaction,
    kind: str,
    argument: str,
    page: Page,
    *,
    ephemeral: bool = False,
) -> None:
    """Answer the command with ``page`` and, when there are more, its Previous / Next row."""
    view = page_buttons(kind, argument, page)
    if view is None:
        await interaction.response.send_message(embed=page.embed, ephemeral=ephemeral)
    else:
        await interaction.response.send_message(embed=page.embed, view=view, ephemeral=ephemeral)


class PageButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"agora:page:(?P<kind>[a-z_]+):(?P<argument>[^:]*):(?P<page>-?\d+)",
):
    """One page-turning button; the renderers are registered on the bot by the cogs."""

    def __init__(self, kind: str, argument: str, page: int, label: str, disabled: bool) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"agora:page:{kind}:{argument}:{page}",
                disabled=disabled,
            )
        )
        self.kind = kind
        self.argument = argument
        self.page = page

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PageButton:
        label = item.label if isinstance(item, discord.ui.Button) else ""
        return cls(match["kind"], match["argument"], int(match["page"]), label or "", False)

    @errors_answered
    async def callback(self, interaction: discord.Interaction) -> None:
        renderer = page_renderers(interaction.client).get(self.kind)
        if renderer is None:
            await interaction.response.send_message(
                "This list is no longer available; run the command again.", ephemeral=True
            )
            return
        page = await renderer(interaction, self.argument, max(self.page, 0))
        await interaction.response.edit_message(
            embed=page.embed, view=page_buttons(self.kind, self.argument, page)
        )


def page_renderers(client: discord.Client) -> dict[str, PageRenderer]:
    """The bot's registry of page renderers, filled by the cogs as they load."""
    from bot.bot import AgoraBot

    assert isinstance(client, AgoraBot)
    return client.page_renderers


def page_count(total: int, page_size: int) -> int:
    return max(1, -(-total // page_size))

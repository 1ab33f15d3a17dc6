"""Paginated lists with Previous / Next buttons that keep working after a restart.

The page and what is listed live in the button's custom_id
(``agora:page:<kind>:<argument>:<page>``), so nothing is held in memory: any
Agora process can answer a click, even one started after the list was sent.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Self

import discord

from bot.cogs.shared.buttons import AgoraButton, Provided
from bot.cogs.shared.error_handler import errors_answered

# A renderer turns (interaction, argument, page) into one page of the list.
PageRenderer = Callable[[discord.Interaction, str, int], Awaitable["Page"]]


class Pages:
    """How to draw a page of each kind of list, registered by the cogs that send them."""

    def __init__(self) -> None:
        self._renderers: dict[str, PageRenderer] = {}

    def register(self, kind: str, renderer: PageRenderer) -> None:
        """``kind`` is the custom_id's part naming the list (lower case letters and _)."""
        if not re.fullmatch(r"[a-z_]+", kind):
            raise ValueError(f"a page kind is lower case letters and _, not {kind!r}")
        if kind in self._renderers:
            raise ValueError(f"the page kind {kind!r} is registered twice")
        self._renderers[kind] = renderer

    def renderer(self, kind: str) -> PageRenderer | None:
        return self._renderers.get(kind)


# Each bot's Pages, provided by the bot when it starts.
PAGES: Provided[Pages] = Provided("the list of page renderers")


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
    AgoraButton,
    template=r"agora:page:(?P<kind>[a-z_]+):(?P<argument>[^:]*):(?P<page>-?\d+)",
):
    """One page-turning button; it answers with the bot's ``Pages`` (``PAGES``)."""

    def __init__(self, kind: str, argument: str, page: int, label: str, disabled: bool) -> None:
        super().__init__(f"agora:page:{kind}:{argument}:{page}", label, disabled=disabled)
        self.kind = kind
        self.argument = argument
        self.page = page

    @classmethod
    def from_match(cls, match: re.Match[str], label: str) -> Self:
        return cls(match["kind"], match["argument"], int(match["page"]), label, False)

    @errors_answered
    async def callback(self, interaction: discord.Interaction) -> None:
        renderer = PAGES.of(interaction).renderer(self.kind)
        if renderer is None:
            await interaction.response.send_message(
                "This list is no longer available; run the command again.", ephemeral=True
            )
            return
        page = await renderer(interaction, self.argument, max(self.page, 0))
        await interaction.response.edit_message(
            embed=page.embed, view=page_buttons(self.kind, self.argument, page)
        )


def page_count(total: int, page_size: int) -> int:
    return max(1, -(-total // page_size))

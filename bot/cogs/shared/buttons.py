"""The one base for Agora's persistent buttons (discord.py's ``DynamicItem``).

A button's state lives in its custom_id, so any Agora process answers a click, even one
started after the message was sent. What every such button repeats is here: the
``discord.ui.Button`` it wraps, reading its custom_id back (``from_match``), and how it
receives what it needs to answer (``Provided``): whoever owns a dependency provides it for
its bot, and the button takes it from the interaction's client, typed, never by name.
"""

from __future__ import annotations

import re
from typing import Any, Generic, Self, TypeVar
from weakref import WeakKeyDictionary

import discord

NEVER_MATCHES = r"agora:(?!)"

T = TypeVar("T")


class AgoraButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=NEVER_MATCHES,
):
    """Subclasses give their own ``template`` and ``from_match``."""

    def __init__(
        self,
        custom_id: str,
        label: str,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        *,
        emoji: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=label, style=style, custom_id=custom_id, emoji=emoji, disabled=disabled
            )
        )

    @classmethod
    def from_match(cls, match: re.Match[str], label: str) -> Self:
        """The button again, from its custom_id's groups (and the label it was shown with)."""
        raise NotImplementedError

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls.from_match(match, label or "")


class Provided(Generic[T]):
    """One dependency of persistent buttons, per bot (tests run several bots at once).

    discord.py builds a clicked button from its custom_id alone, so a button cannot be
    handed its dependencies when it is made; it takes them from here instead.
    """

    def __init__(self, what: str) -> None:
        self._what = what
        self._by_client: WeakKeyDictionary[discord.Client, T] = WeakKeyDictionary()

    def provide(self, client: discord.Client, value: T) -> None:
        self._by_client[client] = value

    def withdraw(self, client: discord.Client) -> None:
        self._by_client.pop(client, None)

    def of(self, interaction: discord.Interaction) -> T:
        try:
            return self._by_client[interaction.client]
        except KeyError:
            raise RuntimeError(f"{self._what} is not provided for this bot") from None

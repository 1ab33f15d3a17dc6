"""Confirmation buttons answer only the person who asked.

A confirmation ("really cancel the meeting?", "erase your data?") is a set of restart-proof
``DynamicItem`` buttons. Each carries the asker's user id at the end of its custom_id
(``...:by:<user id>``); :func:`asker_only` wraps the button's callback so that anyone else
(a forged or replayed click) gets an ephemeral "This isn't your confirmation" and nothing
changes: not the data, not the question. A button without the asker (made before
confirmations carried it) asks to run the command again.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeVar

import discord

from bot.cogs.shared.error_handler import errors_answered
from bot.errors import InvalidInput, PermissionDenied

# Appended to a confirmation button's template; optional only so that an older button is
# answered clearly instead of not at all.
ASKER_TEMPLATE = r"(?::by:(?P<asker>\d+))?"

NOT_YOURS = (
    "This isn't your confirmation: only the person who asked can answer it."
    " Nothing changed. Run the command yourself if you need it."
)
OUT_OF_DATE = "This confirmation is out of date. Nothing changed; run the command again."


class Confirmation(Protocol):
    asker_id: int | None


ConfirmationT = TypeVar("ConfirmationT", bound=Confirmation)


def asker_suffix(asker_id: int) -> str:
    """The end of a confirmation button's custom_id naming who asked."""
    return f":by:{asker_id}"


def asker_of(match: re.Match[str]) -> int | None:
    """The asker in a custom_id matched by a template ending in :data:`ASKER_TEMPLATE`."""
    asker = match["asker"]
    return int(asker) if asker else None


def check_asker(asker_id: int | None, interaction: discord.Interaction) -> None:
    """Refuse (ephemeral, nothing changed) unless the person clicking asked."""
    if asker_id is None:
        raise InvalidInput(OUT_OF_DATE)
    if interaction.user.id != asker_id:
        raise PermissionDenied(NOT_YOURS)


def asker_only(
    callback: Callable[[ConfirmationT, discord.Interaction], Awaitable[Any]],
) -> Callable[[ConfirmationT, discord.Interaction], Coroutine[Any, Any, None]]:
    """For a confirmation button's callback: only the asker gets through; errors (this
    refusal included) are answered ephemerally through ``errors_answered``."""

    @functools.wraps(callback)
    async def checked(item: ConfirmationT, interaction: discord.Interaction) -> None:
        check_asker(item.asker_id, interaction)
        await callback(item, interaction)

    return errors_answered(checked)

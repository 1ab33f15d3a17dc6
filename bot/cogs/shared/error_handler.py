"""The one place where errors raised while handling an interaction end up.

Known errors (``AgoraError`` and discord.py's check and conversion failures)
become an ephemeral message saying what was wrong; anything else is logged with
a traceback and the user gets a short apology with an error id to quote.
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.errors import AgoraError
from bot.services.common.rate_limit import too_often_message
from bot.services.common.text_fit import clip

log = logging.getLogger(__name__)

ItemT = TypeVar("ItemT")


def user_message_for(error: BaseException) -> str | None:
    """The message to show for a known error, or None for a bug."""
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        cause = error.__cause__ if isinstance(error, app_commands.TransformerError) else None
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else cause
        if original is not None:
            return user_message_for(original)
        if isinstance(error, app_commands.TransformerError):
            if isinstance(error.value, discord.User):  # a member option given someone gone
                name = discord.utils.escape_markdown(error.value.display_name)
                return f"{name} is not a member of this server. Choose someone who is."
            return f"{error.value!r} is not a valid {error.type.name.lower()}."
    if isinstance(error, AgoraError):
        return error.message
    if isinstance(error, app_commands.MissingPermissions):
        needed = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"You need the {needed} permission to use this command."
    if isinstance(error, app_commands.BotMissingPermissions):
        needed = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"Agora needs the {needed} permission here; ask an admin to grant it."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works inside a server."
    if isinstance(error, app_commands.CommandOnCooldown):
        return too_often_message(error.retry_after)
    if isinstance(error, app_commands.CheckFailure):
        return str(error) or "You are not allowed to use this command."
    if isinstance(error, discord.DiscordServerError):
        return (
            f"Discord could not do that just now (it answered {error.status}). "
            "Please try again in a minute."
        )
    if isinstance(error, discord.Forbidden):
        return (
            "Discord refused: Agora lacks a permission for that "
            f"({error.text or 'Missing Permissions'}). Ask an admin to check Agora's role."
        )
    return None


async def reply_with_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Answer the interaction with the error's message, ephemeral, whatever its state."""
    message = user_message_for(error)
    if message is None:
        error_id = secrets.token_hex(4)
        command = interaction.command.qualified_name if interaction.command else "component"
        log.error(
            "unexpected error %s in %s (user %s, guild %s)",
            error_id,
            command,
            interaction.user.id,
            interaction.guild_id,
            exc_info=error,
        )
        message = (
            "Sorry, something went wrong on Agora's side. "
            f"The team can trace it with error id `{error_id}`."
        )
    # Discord refuses messages over 2,000 characters; a message echoing long input
    # must still arrive.
    message = clip(message, 2000)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not deliver an error message to the user", exc_info=True)


class AgoraCommandTree(app_commands.CommandTree[discord.Client]):
    """The command tree whose ``on_error`` is Agora's single error handler."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        await reply_with_error(interaction, error)


class AgoraView(discord.ui.View):
    """Base view: errors in button callbacks go to the same handler."""

    async def on_error(
        self,
        interaction: discord.Interaction,
        error: Exception,
        item: discord.ui.Item[discord.ui.View],
        /,
    ) -> None:
        await reply_with_error(interaction, error)


class AgoraModal(discord.ui.Modal):
    """Base modal: errors in submit handlers go to the same handler."""

    # discord.py's Modal narrows BaseView.on_error the same way.
    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction, error: Exception, /
    ) -> None:
        await reply_with_error(interaction, error)


def errors_answered(
    callback: Callable[[ItemT, discord.Interaction], Awaitable[Any]],
) -> Callable[[ItemT, discord.Interaction], Coroutine[Any, Any, None]]:
    """For ``DynamicItem`` callbacks: discord.py hands their errors to a view it makes on
    the fly, which only logs them; this answers the user through ``reply_with_error``."""

    @functools.wraps(callback)
    async def answered(item: ItemT, interaction: discord.Interaction) -> None:
        try:
            await callback(item, interaction)
        except Exception as error:
            await reply_with_error(interaction, error)

    return answered

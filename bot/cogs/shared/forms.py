"""Forms (modals) answered from their custom_id alone, so a form opened before Agora
restarts is still answered after it.

What a form is for lives in its custom_id (``agora:pitch:<initiative id>``), like the
persistent buttons' state: ``send_form`` opens it without discord.py keeping it in memory,
and the cog that sent it answers the submission from a listener
(``@commands.Cog.listener("on_interaction")``) that reads ``submitted_form`` and
``form_values``. Nothing is stored, so nothing lingers when a form is never sent; a
submission is checked again in full (permissions, lengths) as if it were a command,
because a modified client can send any custom_id.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import discord

from bot.cogs.shared.error_handler import reply_with_error

FormHandler = Callable[[discord.Interaction, re.Match[str], dict[str, str]], Awaitable[None]]


async def send_form(interaction: discord.Interaction, form: discord.ui.Modal) -> None:
    """Open ``form``; its submission reaches the listeners, not the object."""
    # A modal discord.py considers finished is sent but not kept for dispatch: the
    # answer is the listener's, in this process or the next one.
    form.stop()
    await interaction.response.send_modal(form)


def submitted_form(
    interaction: discord.Interaction, template: re.Pattern[str]
) -> re.Match[str] | None:
    """The match of ``template`` on the custom_id of the form this interaction submits."""
    if interaction.type is not discord.InteractionType.modal_submit:
        return None
    data: Any = interaction.data or {}
    custom_id = data.get("custom_id")
    return template.fullmatch(custom_id) if isinstance(custom_id, str) else None


def _inputs(components: Any) -> Iterator[dict[str, Any]]:
    """Every text input of a submission, inside action rows or labels."""
    if not isinstance(components, list):
        return
    for component in components:
        if not isinstance(component, dict):
            continue
        if isinstance(component.get("custom_id"), str) and "value" in component:
            yield component
        yield from _inputs(component.get("components"))
        inner = component.get("component")
        if isinstance(inner, dict):
            yield from _inputs([inner])


def form_values(interaction: discord.Interaction) -> dict[str, str]:
    """The submitted text inputs' values by their custom_id ("" for an empty one)."""
    data: Any = interaction.data or {}
    return {
        str(component["custom_id"]): str(component.get("value") or "")
        for component in _inputs(data.get("components"))
    }


async def answer_form(
    interaction: discord.Interaction, template: re.Pattern[str], handler: FormHandler
) -> None:
    """Call ``handler`` when ``interaction`` submits a form matching ``template``; its
    errors are answered like a command's (ephemeral, what was wrong)."""
    match = submitted_form(interaction, template)
    if match is None:
        return
    try:
        await handler(interaction, match, form_values(interaction))
    except Exception as error:
        await reply_with_error(interaction, error)

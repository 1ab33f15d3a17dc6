"""Autocomplete for time options: says back how Agora reads what is being typed.

Typing "friday 10am" offers "Fri 02 Apr 2027 10:00 Europe/Brussels"; a phrase Agora
can't read offers the reason instead. The value stays what was typed, so the
command reads it again (and gives its notes) when it runs.
"""

from __future__ import annotations

from datetime import datetime

import discord
from discord import app_commands

from bot.cogs.shared.context import services_of
from bot.errors import InvalidInput
from bot.services.common import timeparse

MAX_NAME = 100


def describe_reading(text: str, zone_name: str, now: datetime) -> str:
    """How ``text`` reads in ``zone_name`` (or why it doesn't), in at most 100 characters."""
    try:
        parsed = timeparse.parse_time(text, zone_name, now)
    except InvalidInput as refusal:
        return refusal.message[:MAX_NAME]
    shown = f"{parsed.local:%a %d %b %Y %H:%M} {parsed.zone}"
    if parsed.notes:
        shown += f" · {parsed.notes[0]}"
    return shown if len(shown) <= MAX_NAME else shown[: MAX_NAME - 1] + "…"


async def time_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """One choice: the instant ``current`` names, in the zone option or the server's."""
    text = current.strip()
    if not text or interaction.guild_id is None:
        return []
    meetings = services_of(interaction).meetings
    zone = getattr(interaction.namespace, "zone", None)
    if not isinstance(zone, str) or not zone.strip():
        zone = await meetings.guild_timezone(interaction.guild_id)
    try:
        zone = timeparse.resolve_zone(zone).key
    except InvalidInput:
        zone = await meetings.guild_timezone(interaction.guild_id)
    name = describe_reading(text, zone, meetings.clock())
    return [app_commands.Choice(name=name, value=text[:MAX_NAME])]

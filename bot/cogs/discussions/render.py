"""How discussions and digests read in Discord (embeds and lines)."""

from __future__ import annotations

import discord

from bot.cogs.shared.embeds import AGORA_COLOUR
from bot.services.common.text import plural
from bot.services.common.text_fit import clip, fit_lines
from bot.services.discussions.digest import DigestEmbed
from bot.services.discussions.models import Discussion, to_epoch

STATE_LABELS = {"open": "open", "archived": "archived", "all": "open and archived"}
PERIOD_LABELS = {
    "day": "the last 24 hours",
    "week": "the last 7 days",
    "month": "the last 30 days",
    "all": "all time",
}


def discussion_line(discussion: Discussion, initiative_name: str | None) -> str:
    """``#thread · Initiative · archived`` then counts and last activity."""
    where = f" · {initiative_name}" if initiative_name else ""
    state = " · archived" if discussion.archived else ""
    locked = " · locked" if discussion.locked else ""
    author = f" · by <@{discussion.author_id}>" if discussion.author_id else ""
    return (
        f"<#{discussion.thread_id}>{where}{state}{locked}\n"
        f"{plural(discussion.message_count, 'message')} · "
        f"{plural(discussion.participant_count, 'participant')} · last active "
        f"<t:{to_epoch(discussion.last_activity_at)}:R>{author}"
    )


def list_embed(title: str, lines: list[str], empty: str, footer: str) -> discord.Embed:
    embed = discord.Embed(
        title=clip(title, 256), description=fit_lines(lines, 4000) or empty, colour=AGORA_COLOUR
    )
    embed.set_footer(text=footer)
    return embed


def digest_embed(rendered: DigestEmbed) -> discord.Embed:
    """The service already fitted every string to Discord's limits."""
    embed = discord.Embed(
        title=rendered.title, description=rendered.description, colour=AGORA_COLOUR
    )
    for field in rendered.fields:
        embed.add_field(name=field.name, value=field.value, inline=field.inline)
    embed.set_footer(text=rendered.footer)
    return embed

"""Embeds for the directory: how initiatives and clusters read in Discord."""

from __future__ import annotations

import discord

from bot.cogs.directory.pitches import pitch_text
from bot.cogs.shared.embeds import AGORA_COLOUR
from bot.services.common.text import plural
from bot.services.common.text_fit import fit_lines
from bot.services.directory.models import Pitch
from bot.services.directory.service import ClusterInfo, InitiativeInfo, LiveCounts

MISSING_TITLE_NOTE = "The source listing gives this initiative no title."
TRUNCATED_GOAL_NOTE = "The source cuts this goal off mid-sentence."


def counts_line(counts: LiveCounts) -> str:
    """The marketplace's own words: Members, Documents, Projects, Discussions."""
    discussions = "–" if counts.discussions is None else str(counts.discussions)
    return (
        f"Members: {counts.members} · Documents: {counts.documents} · "
        f"Projects: {counts.projects} · Discussions: {discussions}"
    )


def mention_list(user_ids: tuple[int, ...] | list[int], empty: str) -> str:
    if not user_ids:
        return empty
    return ", ".join(f"<@{user_id}>" for user_id in user_ids)


def initiative_embed(info: InitiativeInfo, pitch: Pitch | None = None) -> discord.Embed:
    initiative = info.initiative
    goal = initiative.goal or "No main goal recorded yet."
    if initiative.goal_truncated:
        goal = f"{goal}…\n*{TRUNCATED_GOAL_NOTE}*"
    embed = discord.Embed(title=initiative.name, description=goal, colour=AGORA_COLOUR)
    embed.add_field(name="Lead cluster", value=info.cluster.name, inline=True)
    embed.add_field(
        name="Channel",
        value=f"<#{initiative.channel_id}>" if initiative.channel_id else "not set up yet",
        inline=True,
    )
    embed.add_field(name="Leads", value=mention_list(info.leads, "none yet"), inline=False)
    embed.add_field(name="Activity", value=counts_line(info.counts), inline=False)
    if pitch is not None:
        embed.add_field(name="Pitch", value=pitch_text(pitch), inline=False)
    if initiative.title_missing:
        embed.set_footer(text=MISSING_TITLE_NOTE)
    return embed


def cluster_embed(info: ClusterInfo) -> discord.Embed:
    embed = discord.Embed(
        title=info.cluster.name,
        description=info.cluster.description or None,
        colour=AGORA_COLOUR,
    )
    lines = [
        f"**{summary.initiative.name}**: {plural(summary.counts.members, 'member')}"
        for summary in info.initiatives
    ]
    embed.add_field(
        name=f"Initiatives ({len(info.initiatives)})",
        value=fit_lines(lines, 1024) or "none yet",
        inline=False,
    )
    embed.add_field(name="Totals", value=counts_line(info.totals), inline=False)
    return embed

"""An initiative's pitch in Discord: ``/initiative pitch set`` opens a form (the command
itself is in ``initiatives.py``), and the form's answer is handled here, from its
custom_id alone, so a form left open while Agora restarts is still answered."""

from __future__ import annotations

import re

import discord
from discord.ext import commands

from bot.cogs.shared.client import AgoraClient
from bot.cogs.shared.context import actor_of, guild_id_of, services_of
from bot.cogs.shared.cooldowns import check_rate
from bot.cogs.shared.embeds import AGORA_COLOUR
from bot.cogs.shared.forms import answer_form, send_form
from bot.services.common.links import escape_markdown, masked_link
from bot.services.common.text_fit import clip
from bot.services.directory.models import Pitch
from bot.services.directory.pitches import MAX_PITCH_LENGTH
from bot.services.directory.resources import MAX_URL_LENGTH

PITCH_FORM = re.compile(r"agora:pitch:(?P<initiative_id>\d{1,19})")
# Discord's limit on a form's title.
FORM_TITLE_LIMIT = 45


def pitch_text(pitch: Pitch, limit: int = 1024) -> str:
    """The pitch as members read it: their text as written (no markdown, no links of its
    own), then the link with the host it really goes to."""
    link = f"\n{masked_link('Slides or video', pitch.url)}" if pitch.url else ""
    return clip(escape_markdown(pitch.text), max(1, limit - len(link))) + link


class PitchForm(discord.ui.Modal):
    """The pitch and its link; what it is for is in the custom_id."""

    def __init__(self, initiative_id: int, name: str, current: Pitch | None) -> None:
        super().__init__(
            title=clip(f"Pitch of {name}", FORM_TITLE_LIMIT),
            timeout=None,
            custom_id=f"agora:pitch:{initiative_id}",
        )
        self.add_item(
            discord.ui.TextInput(
                label="Pitch",
                style=discord.TextStyle.paragraph,
                placeholder="What the initiative does and why other clusters, stakeholders"
                " and funders should join in",
                required=True,
                min_length=1,
                max_length=MAX_PITCH_LENGTH,  # Discord's client refuses more
                default=current.text if current else None,
                custom_id="pitch",
            )
        )
        self.add_item(
            discord.ui.TextInput(
                label="Link to slides or a video (optional)",
                placeholder="https://…",
                required=False,
                max_length=MAX_URL_LENGTH,
                default=current.url if current and current.url else None,
                custom_id="link",
            )
        )


async def open_pitch_form(interaction: discord.Interaction, initiative: str) -> None:
    """``/initiative pitch set``: who may set it is checked before the form opens."""
    services = services_of(interaction)
    guild_id = guild_id_of(interaction)
    # The form's title names the initiative: a typo close to one name is read as it.
    target = (await services.directory.find_initiative(guild_id, initiative)).key
    await services.pitches.check_can_set(guild_id, await actor_of(interaction), target.id)
    current = await services.pitches.get(guild_id, target.id)
    await send_form(interaction, PitchForm(target.id, target.name, current))


async def pitch_submitted(
    interaction: discord.Interaction, match: re.Match[str], values: dict[str, str]
) -> None:
    check_rate(interaction, "resource")
    services = services_of(interaction)
    set_pitch = await services.pitches.set(
        guild_id_of(interaction),
        await actor_of(interaction),
        int(match["initiative_id"]),
        values.get("pitch", ""),
        values.get("link", ""),
    )
    name = discord.utils.escape_markdown(set_pitch.initiative.name)
    embed = discord.Embed(
        title=clip(f"Pitch of {set_pitch.initiative.name}", 256),
        description=pitch_text(set_pitch.pitch, 4000),
        colour=AGORA_COLOUR,
    )
    embed.set_footer(text="Shown by /initiative info and in meetings' pitch sessions")
    await interaction.response.send_message(
        f"{interaction.user.mention} set the pitch of **{name}**.", embed=embed
    )


class PitchForms(commands.Cog):
    """Answers the pitch forms, whenever they were opened."""

    def __init__(self, bot: AgoraClient) -> None:
        self.bot = bot

    @commands.Cog.listener("on_interaction")
    async def on_pitch_form(self, interaction: discord.Interaction) -> None:
        await answer_form(interaction, PITCH_FORM, pitch_submitted)

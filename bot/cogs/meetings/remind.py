"""/remind: reminder DMs for members, reminder timing for the server."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.meetings.options import offsets_from
from bot.cogs.shared.client import AgoraClient
from bot.cogs.shared.context import guild_id_of, is_admin, services_of
from bot.cogs.shared.cooldowns import check_rate, limited
from bot.errors import PermissionDenied
from bot.services.meetings.reminders import GuildOffsets, describe_offsets


class RemindCog(
    commands.GroupCog,
    name="Remind",
    group_name="remind",
    group_description="Meeting reminders: DMs and timing",
):
    dm = app_commands.Group(name="dm", description="Also get meeting reminders by direct message")

    def __init__(self, bot: AgoraClient) -> None:
        self.bot = bot
        super().__init__()

    @dm.command(
        name="on",
        description="DM me the reminders of meetings I answered Going or Maybe to",
    )
    @app_commands.guild_only()
    @limited("settings")
    async def dm_on(self, interaction: discord.Interaction) -> None:
        await services_of(interaction).reminders.set_dm(
            guild_id_of(interaction), interaction.user.id, True
        )
        await interaction.response.send_message(
            "Reminder DMs are **on**: you'll get a DM for meetings you answered Going or "
            "Maybe to, as well as the channel reminders. Turn them off with /remind dm off.",
            ephemeral=True,
        )

    @dm.command(name="off", description="Stop meeting reminder DMs")
    @app_commands.guild_only()
    @limited("settings")
    async def dm_off(self, interaction: discord.Interaction) -> None:
        await services_of(interaction).reminders.set_dm(
            guild_id_of(interaction), interaction.user.id, False
        )
        await interaction.response.send_message(
            "Reminder DMs are **off**. Channel reminders still appear as usual.", ephemeral=True
        )

    @app_commands.command(
        name="offsets",
        description="When meetings are reminded, server-wide: see them, or set them (admins)",
    )
    @app_commands.describe(
        offsets="e.g. 1d, 1h, 0s (0s: at the start), or default; leave empty to see the current"
    )
    @app_commands.guild_only()
    async def offsets(
        self,
        interaction: discord.Interaction,
        offsets: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        reminders = services_of(interaction).reminders
        guild_id = guild_id_of(interaction)
        current = await reminders.guild_offsets(guild_id)
        if offsets is None:  # looking changes nothing
            text = _current_text(current, reminders.default_offsets)
            await interaction.response.send_message(text, ephemeral=True)
            return
        if not is_admin(interaction):
            raise PermissionDenied(
                "Only admins (Manage Server or the organiser role) set the server's reminders."
            )
        check_rate(interaction, "admin")  # setting; looking is never limited
        if offsets.strip().casefold() in RESET_WORDS:
            if current.is_default:
                text = (
                    f"This server already uses the default reminder times: meetings without "
                    f"their own are reminded {describe_offsets(current.offsets)}. Nothing changed."
                )
            else:
                chosen = await reminders.set_guild_offsets(guild_id, None)
                text = (
                    f"Back to the default: meetings without their own reminder times are now "
                    f"reminded {describe_offsets(chosen)}. Upcoming meetings were re-planned."
                )
            await interaction.response.send_message(text, ephemeral=True)
            return
        chosen = await reminders.set_guild_offsets(guild_id, offsets_from(offsets))
        await interaction.response.send_message(
            f"Meetings without their own reminder times are now reminded "
            f"{describe_offsets(chosen)}. Upcoming meetings were re-planned.",
            ephemeral=True,
        )


RESET_WORDS = frozenset({"default", "defaults"})


def _current_text(current: GuildOffsets, default: tuple[int, ...]) -> str:
    times = describe_offsets(current.offsets)
    if current.is_default:
        return (
            f"Meetings without their own reminder times are reminded {times}: Agora's "
            f"default. Admins change it with `/remind offsets offsets:1d, 1h, 0s`."
        )
    return (
        f"Meetings without their own reminder times are reminded {times}, as set for this "
        f"server (the default is {describe_offsets(default)}). Admins change it with "
        f"`/remind offsets offsets:1d, 1h, 0s`, or go back to "
        f"the default with `/remind offsets offsets:default`."
    )

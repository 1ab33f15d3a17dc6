"""/privacy: what Agora holds about you, and erasing it (members' data rights).

``/privacy forget`` and an admin's ``/privacy forget-member`` answer with what
would be erased and a confirmation button; nothing changes until it is
clicked. The buttons are DynamicItems (the person to forget and the person who
asked are in the custom_id), so a confirmation still works after Agora restarted,
and only the person who asked can answer it (bot/cogs/shared/confirmations.py).
"""

from __future__ import annotations

import logging
import re
from typing import Self

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.privacy.render import privacy_embed
from bot.cogs.shared.buttons import AgoraButton
from bot.cogs.shared.client import AgoraClient
from bot.cogs.shared.confirmations import ASKER_TEMPLATE, asker_of, asker_only, asker_suffix
from bot.cogs.shared.context import actor_of, guild_id_of, is_admin, services_of
from bot.cogs.shared.cooldowns import check_rate, limited
from bot.errors import InvalidInput, PermissionDenied
from bot.services.privacy.service import ANSWERS_WITHDRAWN

log = logging.getLogger(__name__)

_USER_ID = re.compile(r"^\s*(?:<@!?)?(\d{15,21})>?\s*$")


def parse_user_id(text: str) -> int:
    """A user id typed as digits or a mention; InvalidInput says how to get one."""
    match = _USER_ID.match(text)
    if match is None:
        raise InvalidInput(
            f"“{text.strip()[:50]}” is not a user id. Copy it with Developer Mode"
            " (right-click the member → Copy User ID); it is 17 to 20 digits."
        )
    return int(match[1])


async def remove_initiative_roles(
    guild: discord.Guild, user_id: int, role_ids: tuple[int, ...]
) -> str:
    """Take the forgotten person's initiative roles; a note when that was not possible."""
    if not role_ids:
        return ""
    member = guild.get_member(user_id)
    if member is None:
        return ""  # gone from the server: no roles to take
    roles = [role for role_id in role_ids if (role := guild.get_role(role_id)) is not None]
    held = [role for role in roles if role in member.roles]
    if not held:
        return ""
    try:
        await member.remove_roles(*held, reason="data erased with /privacy forget")
    except discord.HTTPException:
        names = ", ".join(role.name for role in held)
        return (
            f"\nAgora could not remove the initiative roles ({names}): it needs Manage Roles"
            " and a role above them. Ask an admin to remove them."
        )
    return ""


class ForgetButton(
    AgoraButton,
    template=r"agora:privacy:forget:(?P<user_id>\d+)" + ASKER_TEMPLATE,
):
    """Erase everything naming the user; theirs to click, or an admin's."""

    def __init__(self, user_id: int, asker_id: int | None, label: str = "Erase my data") -> None:
        suffix = asker_suffix(asker_id) if asker_id is not None else ""
        super().__init__(
            f"agora:privacy:forget:{user_id}{suffix}", label, discord.ButtonStyle.danger
        )
        self.user_id = user_id
        self.asker_id = asker_id

    @classmethod
    def from_match(cls, match: re.Match[str], label: str) -> Self:
        return cls(int(match["user_id"]), asker_of(match))

    @asker_only
    async def callback(self, interaction: discord.Interaction) -> None:
        guild = interaction.guild
        if guild is None:
            raise InvalidInput("This button only works inside a server.")
        check_rate(interaction, "settings")
        actor = await actor_of(interaction)
        result = await services_of(interaction).privacy.forget_user(guild.id, self.user_id, actor)
        note = await remove_initiative_roles(guild, self.user_id, result.role_ids_to_remove)
        await interaction.response.edit_message(
            content=result.summary + note, embed=None, view=None
        )
        # Meetings whose answers changed: the meetings area updates their announcements.
        interaction.client.dispatch(ANSWERS_WITHDRAWN, result)


class KeepButton(
    AgoraButton,
    template=r"agora:privacy:keep:(?P<user_id>\d+)" + ASKER_TEMPLATE,
):
    """Change nothing."""

    def __init__(self, user_id: int, asker_id: int | None) -> None:
        suffix = asker_suffix(asker_id) if asker_id is not None else ""
        super().__init__(f"agora:privacy:keep:{user_id}{suffix}", "Cancel")
        self.user_id = user_id
        self.asker_id = asker_id

    @classmethod
    def from_match(cls, match: re.Match[str], label: str) -> Self:
        return cls(int(match["user_id"]), asker_of(match))

    @asker_only
    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.edit_message(
            content="Cancelled: nothing was erased.", embed=None, view=None
        )


def confirmation_view(user_id: int, asker_id: int, label: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ForgetButton(user_id, asker_id, label))
    view.add_item(KeepButton(user_id, asker_id))
    return view


class PrivacyCog(commands.GroupCog, group_name="privacy"):
    """Members' data rights: see and erase what Agora holds about them."""

    web = app_commands.Group(name="web", description="You on Agora's public web pages")

    def __init__(self, bot: AgoraClient) -> None:
        self.bot = bot
        super().__init__()

    @web.command(
        name="show-name",
        description="Whether the public web pages may show your name (as a lead)",
    )
    @app_commands.describe(state="on: show your name; off: count you without a name")
    @app_commands.choices(
        state=[
            app_commands.Choice(name="on", value="on"),
            app_commands.Choice(name="off", value="off"),
        ]
    )
    @app_commands.guild_only()
    @limited("settings")
    async def web_show_name(
        self, interaction: discord.Interaction, state: app_commands.Choice[str]
    ) -> None:
        shown = state.value == "on"
        changed = await services_of(interaction).web.set_show_name(
            guild_id_of(interaction), interaction.user.id, shown
        )
        if shown:
            text = (
                f"The public web pages {'now' if changed else 'already'} show your **name**"
                " (your server nickname) where you lead an initiative; never your id, avatar"
                " or messages."
            )
        else:
            text = (
                f"The public web pages {'no longer' if changed else 'do not'} show your"
                " **name**: you are only counted."
            )
        await interaction.response.send_message(
            text + " /privacy web show-name changes it again.", ephemeral=True
        )

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ForgetButton, KeepButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ForgetButton, KeepButton)

    @app_commands.command(name="show", description="What Agora holds about you on this server")
    @app_commands.guild_only()
    async def show(self, interaction: discord.Interaction) -> None:
        report = await services_of(interaction).privacy.describe_user(
            guild_id_of(interaction), interaction.user.id, await actor_of(interaction)
        )
        await interaction.response.send_message(
            embed=privacy_embed(report, about_self=True), ephemeral=True
        )

    @app_commands.command(name="forget", description="Erase what Agora holds about you")
    @app_commands.guild_only()
    async def forget(self, interaction: discord.Interaction) -> None:
        report = await services_of(interaction).privacy.describe_user(
            guild_id_of(interaction), interaction.user.id, await actor_of(interaction)
        )
        await interaction.response.send_message(
            "This erases everything below and takes your initiative roles; counts stay,"
            " without your name. It cannot be undone.",
            embed=privacy_embed(report, about_self=True),
            view=confirmation_view(interaction.user.id, interaction.user.id, "Erase my data"),
            ephemeral=True,
        )

    @app_commands.command(
        name="forget-member", description="Admins: erase what Agora holds about a member"
    )
    @app_commands.describe(
        member="The member (if still on the server)",
        user_id="Or the user id of someone who left (17 to 20 digits)",
    )
    @app_commands.rename(user_id="user-id")
    # Discord applies default_permissions to top-level commands only, so this
    # subcommand cannot be hidden from members: the check below refuses them.
    @app_commands.guild_only()
    async def forget_member(
        self,
        interaction: discord.Interaction,
        member: discord.User | None = None,
        user_id: str | None = None,
    ) -> None:
        if not is_admin(interaction):
            raise PermissionDenied(
                "Only server admins (Manage Server) can erase another member's data."
                " Members can erase their own with /privacy forget."
            )
        if (member is None) == (user_id is None):
            raise InvalidInput(
                "Give either `member` (someone still on the server) or `user-id`"
                " (someone who left), not both and not neither."
            )
        target = member.id if member is not None else parse_user_id(user_id or "")
        report = await services_of(interaction).privacy.describe_user(
            guild_id_of(interaction), target, await actor_of(interaction)
        )
        await interaction.response.send_message(
            f"This erases everything Agora holds about <@{target}> on this server; counts"
            " stay, without a name. It cannot be undone.",
            embed=privacy_embed(report, about_self=target == interaction.user.id),
            view=confirmation_view(target, interaction.user.id, "Erase their data"),
            ephemeral=True,
        )

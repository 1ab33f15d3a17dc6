"""/admin: lay out the server (setup, link) and move the directory in and out (import, export)."""

from __future__ import annotations

import io

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.admin.setup import carry_out_setup, existing_layout, missing_setup_permissions
from bot.cogs.directory.initiatives import initiative_autocomplete
from bot.cogs.shared.client import AgoraClient
from bot.cogs.shared.context import actor_of, guild_id_of, is_admin, services_of
from bot.cogs.shared.cooldowns import limited
from bot.cogs.shared.embeds import AGORA_COLOUR
from bot.cogs.shared.role_guard import role_guard, role_names
from bot.errors import InvalidInput, PermissionDenied
from bot.services.common.text import plural
from bot.services.common.text_fit import fit_lines
from bot.services.directory.importer import ExportFormat, ImportReport
from bot.services.directory.setup_plan import plan_setup

MAX_IMPORT_BYTES = 1_000_000


def require_admin(interaction: discord.Interaction) -> None:
    if not is_admin(interaction):
        raise PermissionDenied(
            "Only members with Manage Server or the organiser role can use /admin."
        )


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class AdminCog(commands.GroupCog, group_name="admin"):
    """Server layout and directory administration."""

    web = app_commands.Group(
        name="web", description="This server's directory and meetings on Agora's public web pages"
    )

    def __init__(self, bot: AgoraClient) -> None:
        self.bot = bot
        super().__init__()

    @web.command(name="on", description="Publish the directory, meetings and calendars on the web")
    @limited("admin")
    async def web_on(self, interaction: discord.Interaction) -> None:
        require_admin(interaction)
        guild_id = guild_id_of(interaction)
        web = services_of(interaction).web
        await web.publish(guild_id, await actor_of(interaction), True)
        await interaction.response.send_message(
            "This server's directory, meetings and calendars are now **public**"
            + web_where(web.enabled, web.page_url("/"), web.site_guild() == guild_id)
            + " Members are named there only if they agree (/privacy web show-name on);"
            " Agora never shows messages. /admin web off withdraws it all.",
            ephemeral=True,
        )

    @web.command(name="off", description="Withdraw the directory and meetings from the web")
    @limited("admin")
    async def web_off(self, interaction: discord.Interaction) -> None:
        require_admin(interaction)
        await services_of(interaction).web.publish(
            guild_id_of(interaction), await actor_of(interaction), False
        )
        await interaction.response.send_message(
            "This server is **no longer on the web**: its pages and calendar feeds now answer"
            " “not found”. /admin web on publishes it again.",
            ephemeral=True,
        )

    @app_commands.command(
        name="setup",
        description=(
            "Create a category and channel per cluster, a channel and a role per initiative"
        ),
    )
    @limited("admin")
    async def setup(self, interaction: discord.Interaction) -> None:
        require_admin(interaction)
        guild = interaction.guild
        assert guild is not None
        missing = missing_setup_permissions(guild.me.guild_permissions)
        if missing:
            raise PermissionDenied(
                f"Agora lacks {' and '.join(missing)}, so nothing was changed. "
                "Give Agora's role these permissions (Server Settings → Roles) and run "
                "/admin setup again."
            )
        services = services_of(interaction)
        guild_id = guild_id_of(interaction)
        clusters = await services.directory.all_clusters(guild_id)
        initiatives = await services.directory.all_initiatives(guild_id)
        if not initiatives:
            raise InvalidInput("The directory is empty: load initiatives first with /admin import.")
        # The organiser role, if first seen now, is recorded by id before the plan uses it.
        await services.organisers.notice(guild_id, role_names(guild))
        channels, roles = existing_layout(guild)
        config = self.bot.config.channels
        plan = plan_setup(
            clusters,
            initiatives,
            channel_kind="forum" if config.initiative_channel_kind == "forum" else "text",
            category_prefix=config.category_prefix,
            channels=channels,
            roles=roles,
            guard=role_guard(guild, services.organisers, self.bot.config.community.organiser_role),
        )
        # Creating dozens of channels takes longer than Discord's 3 s to answer.
        await interaction.response.defer(ephemeral=True, thinking=True)
        outcome = await carry_out_setup(guild, plan, services.directory)
        embed = discord.Embed(title="Server setup", colour=AGORA_COLOUR)
        embed.description = (
            "Nothing to create: everything is already in place."
            if not outcome.created
            else "Created "
            + plural(
                len(outcome.created),
                "channel, category or role",
                "channels, categories and roles",
            )
            + "."
        )
        for title, lines in (
            ("Roles Agora will not hand out", outcome.refused_roles),
            ("Created", outcome.created),
            ("Adopted (existing, by name)", outcome.adopted),
            ("Skipped", outcome.skipped),
            ("Failed", outcome.failed),
        ):
            if lines:
                embed.add_field(name=f"{title} ({len(lines)})", value=fit_lines(lines, 1024))
        embed.set_footer(text=f"{plan.linked} already linked · nothing is ever deleted")
        await interaction.followup.send(embed=embed, ephemeral=True)

    @app_commands.command(name="link", description="Map an existing channel to an initiative")
    @app_commands.describe(initiative="The initiative", channel="Its channel (text or forum)")
    @app_commands.autocomplete(initiative=initiative_autocomplete)
    @limited("admin")
    async def link(
        self,
        interaction: discord.Interaction,
        initiative: str,
        channel: discord.TextChannel | discord.ForumChannel,
    ) -> None:
        require_admin(interaction)
        services = services_of(interaction)
        guild_id = guild_id_of(interaction)
        target = await services.directory.get_initiative(guild_id, initiative)
        taken = await services.directory.initiative_by_channel(guild_id, channel.id)
        if taken is not None and taken.id != target.id:
            raise InvalidInput(
                f"{channel.mention} already belongs to {taken.name}. "
                f"Link {taken.name} to another channel first."
            )
        await services.directory.link_channel(guild_id, target.id, channel.id)
        await interaction.response.send_message(
            f"{channel.mention} is now the channel of **{target.name}**.", ephemeral=True
        )

    @app_commands.command(name="import", description="Load clusters and initiatives from a file")
    @app_commands.describe(file="A TOML or JSON file in the format of /admin export")
    @limited("admin")
    async def import_directory(
        self, interaction: discord.Interaction, file: discord.Attachment
    ) -> None:
        require_admin(interaction)
        if file.size > MAX_IMPORT_BYTES:
            raise InvalidInput(
                f"{file.filename} is {file.size:,} bytes; the limit is {MAX_IMPORT_BYTES:,}."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            data = await file.read()
        except discord.HTTPException as error:
            raise InvalidInput(
                f"Agora could not download {file.filename} from Discord ({error.status}); "
                "nothing was changed. Attach the file again."
            ) from error
        report = await services_of(interaction).importer.import_directory(
            guild_id_of(interaction), data, file.filename
        )
        text = import_report_text(report)
        if len(text) <= 1900:
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.followup.send(
                report.summary() + ". The full report is attached.",
                file=discord.File(io.BytesIO(text.encode()), filename="import-report.txt"),
                ephemeral=True,
            )

    @app_commands.command(name="export", description="Download clusters and initiatives as a file")
    @app_commands.describe(format="TOML (default) or JSON")
    @app_commands.choices(
        format=[
            app_commands.Choice(name="TOML", value="toml"),
            app_commands.Choice(name="JSON", value="json"),
        ]
    )
    async def export_directory(
        self,
        interaction: discord.Interaction,
        format: app_commands.Choice[str] | None = None,
    ) -> None:
        require_admin(interaction)
        fmt: ExportFormat = "json" if format is not None and format.value == "json" else "toml"
        data = await services_of(interaction).importer.export_directory(
            guild_id_of(interaction), fmt
        )
        await interaction.response.send_message(
            "The directory, in the format /admin import reads.",
            file=discord.File(io.BytesIO(data), filename=f"directory.{fmt}"),
            ephemeral=True,
        )


def web_where(enabled: bool, url: str, shown: bool) -> str:
    """Where the published pages are, or why nobody sees them yet."""
    if not enabled:
        return (
            ", but Agora's web pages are turned off in its configuration ([web] enabled):"
            " ask whoever runs Agora to turn them on."
        )
    if not shown:
        return ", but Agora's web pages show another server ([web] guild_id in its configuration)."
    return f": <{url}>." if url else "."


def import_report_text(report: ImportReport) -> str:
    lines = report.lines()
    if report.unchanged:
        lines.append("Unchanged: " + ", ".join(str(row) for row in report.unchanged) + ".")
    return "\n".join(lines)

"""/outcome add and list, /meeting summary, and the outcomes timers' start.

``/outcome add`` checks what it was given (meeting, session, owner, due date) and opens a
form for the rest: the kind (a select), the text and an optional link. Everything the form
needs is in its custom_id (``agora:outcome:<meeting>:<session>:<owner>:<due>``), so a form
opened before Agora restarts is answered after it, and its submission is checked again in
full, as a modified client can send any custom_id. Outcomes are recorded only through the
form: Agora never reads message content.

``/meeting summary`` is a subcommand of the meetings area's ``/meeting`` group, added to
that group when this cog loads (areas load in name order, meetings first).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.meetings.options import MeetingName, meeting_autocomplete, session_autocomplete
from bot.cogs.outcomes.publish import OutcomePublisher
from bot.cogs.outcomes.render import list_embed, recorded_text, summary_embed
from bot.cogs.shared.client import AgoraClient
from bot.cogs.shared.context import actor_of, guild_id_of, services_of
from bot.cogs.shared.cooldowns import check_rate, limited
from bot.cogs.shared.error_handler import reply_with_error
from bot.cogs.shared.pagination import Page, page_buttons, page_count, send_page
from bot.errors import InvalidInput
from bot.services.common.text import plural
from bot.services.outcomes.models import OUTCOME_KINDS
from bot.services.outcomes.service import KIND_LABELS, MAX_TEXT, MAX_URL, OutcomeTarget
from bot.services.outcomes.summary import list_lines, summary_pages

log = logging.getLogger(__name__)

FORM = re.compile(r"agora:outcome:(\d{1,19}):(\d{1,19}):(\d{1,20}):(\d{1,12})")
LIST_PAGE_SIZE = 10
KIND_HINTS = {
    "decision": "What was agreed",
    "action": "Something to do: owner and due date from the command",
    "link": "Slides, minutes, a recording: the address in Link",
    "note": "Anything else worth keeping",
}


class OutcomeForm(discord.ui.Modal):
    """The form of ``/outcome add``; answered by ``OutcomeCog.on_form`` from its custom_id."""

    def __init__(self, target: OutcomeTarget) -> None:
        session_id = 0 if target.session is None else target.session.id
        due = 0 if target.due_at is None else int(target.due_at.timestamp())
        super().__init__(
            title="Record an outcome",
            timeout=None,
            custom_id=(
                f"agora:outcome:{target.meeting.id}:{session_id}:{target.owner_id or 0}:{due}"
            ),
        )
        is_action = target.owner_id is not None or target.due_at is not None
        default = "action" if is_action else "decision"
        kind: discord.ui.Select[OutcomeForm] = discord.ui.Select(
            custom_id="kind",
            options=[
                discord.SelectOption(
                    label=KIND_LABELS[k], value=k, description=KIND_HINTS[k], default=k == default
                )
                for k in OUTCOME_KINDS
            ],
        )
        text: discord.ui.TextInput[OutcomeForm] = discord.ui.TextInput(
            custom_id="text",
            style=discord.TextStyle.paragraph,
            max_length=MAX_TEXT,
            placeholder="We agree to share the lamppost sensor data under CC-BY…",
        )
        link: discord.ui.TextInput[OutcomeForm] = discord.ui.TextInput(
            custom_id="url",
            required=False,
            max_length=MAX_URL,
            placeholder="https://… (the slides, the minutes)",
        )
        self.add_item(discord.ui.Label(text="Kind", component=kind))
        self.add_item(discord.ui.Label(text="Text", component=text))
        self.add_item(discord.ui.Label(text="Link", component=link))


def submitted(data: Any) -> dict[str, str]:
    """The form's values by custom_id: a text input's value, a select's first choice."""
    values: dict[str, str] = {}

    def walk(components: Any) -> None:
        if not isinstance(components, list):
            return
        for component in components:
            if not isinstance(component, dict):
                continue
            custom_id = component.get("custom_id")
            if isinstance(custom_id, str):
                if "value" in component:
                    values[custom_id] = str(component.get("value") or "")
                elif isinstance(component.get("values"), list):
                    chosen = component["values"]
                    values[custom_id] = str(chosen[0]) if chosen else ""
            walk(component.get("components"))
            if isinstance(component.get("component"), dict):
                walk([component["component"]])

    walk(data.get("components") if isinstance(data, dict) else None)
    return values


def summary_command() -> app_commands.Command[Any, ..., None]:
    """``/meeting summary``, made afresh for each bot's ``/meeting`` group."""

    @app_commands.command(
        name="summary", description="The plenary summary: decisions, action items and links"
    )
    @app_commands.describe(meeting="Meeting (autocomplete, or its title or #id)")
    @app_commands.autocomplete(meeting=meeting_autocomplete)
    @app_commands.guild_only()
    async def summary(interaction: discord.Interaction, meeting: MeetingName) -> None:
        guild_id = guild_id_of(interaction)
        services = services_of(interaction)
        found = await services.meetings.find_named(guild_id, meeting, "close")
        page = await render_summary_page(interaction, str(found.key), 0)
        note = found.note()
        if note:
            await interaction.response.send_message(note, ephemeral=True)
            await interaction.followup.send(
                embed=page.embed, **_buttons("outcome_summary", str(found.key), page)
            )
            return
        await send_page(interaction, "outcome_summary", str(found.key), page)

    return summary


def _buttons(kind: str, argument: str, page: Page) -> dict[str, Any]:
    view = page_buttons(kind, argument, page)
    return {} if view is None else {"view": view}


async def render_summary_page(interaction: discord.Interaction, argument: str, page: int) -> Page:
    guild_id = guild_id_of(interaction)
    outcomes = services_of(interaction).outcomes
    data = await outcomes.meeting_outcomes(guild_id, int(argument))
    summary = summary_pages(data, outcomes.clock())
    shown = min(page, len(summary.pages) - 1)
    return Page(summary_embed(summary, shown), shown, len(summary.pages))


class OutcomeCog(commands.GroupCog, group_name="outcome"):
    """Outcomes of meetings: decisions, action items, links and notes."""

    def __init__(self, bot: AgoraClient) -> None:
        self.bot = bot
        self.publisher = OutcomePublisher(bot)
        self.dispatcher = bot.services.outcome_dispatcher
        self._summary: app_commands.Command[Any, ..., None] | None = None
        bot.pages.register("outcomes", self.render_list_page)
        bot.pages.register("outcome_summary", render_summary_page)
        super().__init__()

    async def cog_load(self) -> None:
        meeting = self.bot.tree.get_command("meeting")
        if not isinstance(meeting, app_commands.Group):
            raise RuntimeError("/meeting summary needs the meetings area loaded first")
        self._summary = summary_command()
        meeting.add_command(self._summary)
        await self.dispatcher.start(self.publisher.send_timer)

    async def cog_unload(self) -> None:
        await self.dispatcher.stop()
        meeting = self.bot.tree.get_command("meeting")
        if isinstance(meeting, app_commands.Group) and self._summary is not None:
            meeting.remove_command(self._summary.name)

    # -- /outcome add -----------------------------------------------------------------

    @app_commands.command(name="add", description="Record a decision, action item, link or note")
    @app_commands.describe(
        meeting="Meeting (autocomplete, or its title or #id)",
        session="The session it came from (leave out for the meeting as a whole)",
        owner="For an action item: who does it (default: you)",
        due="For an action item: the due date, like 'friday', '30 June' or '2027-06-30'",
    )
    @app_commands.autocomplete(meeting=meeting_autocomplete, session=session_autocomplete)
    @app_commands.guild_only()
    @limited("resource")
    async def add(
        self,
        interaction: discord.Interaction,
        meeting: MeetingName,
        session: app_commands.Range[str, 1, 100] | None = None,
        owner: discord.Member | None = None,
        due: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        guild_id = guild_id_of(interaction)
        services = services_of(interaction)
        if owner is not None and owner.bot:
            raise InvalidInput(
                f"{discord.utils.escape_markdown(owner.display_name)} is a bot; an action's"
                " owner is a person. Choose a member."
            )
        meeting_id = await services.meetings.find(guild_id, meeting)
        target = await services.outcomes.target(
            guild_id,
            await actor_of(interaction),
            meeting_id,
            session,
            None if owner is None else owner.id,
            due,
        )
        form = OutcomeForm(target)
        # The submission is answered from its custom_id (on_form), in this process or the
        # next: discord.py keeps no copy of a stopped form.
        form.stop()
        await interaction.response.send_modal(form)

    @commands.Cog.listener("on_interaction")
    async def on_form(self, interaction: discord.Interaction) -> None:
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data: Any = interaction.data or {}
        custom_id = data.get("custom_id") if isinstance(data, dict) else None
        match = FORM.fullmatch(custom_id) if isinstance(custom_id, str) else None
        if match is None:
            return
        try:
            await self.record(interaction, match, submitted(data))
        except Exception as error:
            await reply_with_error(interaction, error)

    async def record(
        self, interaction: discord.Interaction, match: re.Match[str], values: dict[str, str]
    ) -> None:
        guild_id = guild_id_of(interaction)
        services = services_of(interaction)
        check_rate(interaction, "resource")
        meeting_id, session_id, owner_id, due = (int(group) for group in match.groups())
        target = await services.outcomes.target_again(
            guild_id,
            await actor_of(interaction),
            meeting_id,
            session_id or None,
            owner_id or None,
            datetime.fromtimestamp(due, UTC) if due else None,
        )
        recorded = await services.outcomes.record(
            guild_id,
            await actor_of(interaction),
            target,
            values.get("kind", ""),
            values.get("text", ""),
            values.get("url", ""),
        )
        await interaction.response.send_message(recorded_text(recorded), ephemeral=True)

    # -- /outcome list ------------------------------------------------------------------

    @app_commands.command(name="list", description="A meeting's outcomes, numbered")
    @app_commands.describe(meeting="Meeting (autocomplete, or its title or #id)")
    @app_commands.autocomplete(meeting=meeting_autocomplete)
    @app_commands.guild_only()
    async def list_outcomes(self, interaction: discord.Interaction, meeting: MeetingName) -> None:
        guild_id = guild_id_of(interaction)
        found = await services_of(interaction).meetings.find_named(guild_id, meeting, "close")
        page = await self.render_list_page(interaction, str(found.key), 0)
        note = found.note()
        if note:
            await interaction.response.send_message(
                note, embed=page.embed, **_buttons("outcomes", str(found.key), page)
            )
            return
        await send_page(interaction, "outcomes", str(found.key), page)

    async def render_list_page(
        self, interaction: discord.Interaction, argument: str, page: int
    ) -> Page:
        guild_id = guild_id_of(interaction)
        outcomes = services_of(interaction).outcomes
        data = await outcomes.meeting_outcomes(guild_id, int(argument))
        lines = list_lines(data.outcomes, data.sessions, outcomes.clock())
        pages = page_count(len(lines), LIST_PAGE_SIZE)
        shown = min(page, pages - 1)
        embed = list_embed(
            f"Outcomes of {data.meeting.title}",
            lines[shown * LIST_PAGE_SIZE : (shown + 1) * LIST_PAGE_SIZE],
            "No outcomes recorded yet: add one with `/outcome add`.",
            f"{plural(len(lines), 'outcome')} · page {shown + 1} of {pages}",
        )
        return Page(embed, shown, pages)

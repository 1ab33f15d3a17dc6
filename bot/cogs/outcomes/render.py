"""How outcomes, actions and summaries read in Discord."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.cogs.shared.embeds import AGORA_COLOUR
from bot.services.common.links import escape_markdown
from bot.services.common.text import plural
from bot.services.common.text_fit import clip, fit_lines
from bot.services.common.timeparse import discord_timestamp
from bot.services.meetings.models import Meeting, Session
from bot.services.meetings.programme import session_name
from bot.services.outcomes.service import ActionView, Recorded, clip_line
from bot.services.outcomes.summary import SummaryPages

DESCRIPTION_LIMIT = 4000
THREAD_NAME_LIMIT = 100


def summary_embed(summary: SummaryPages, page: int) -> discord.Embed:
    count = len(summary.pages)
    title = summary.title if count == 1 else clip(f"{summary.title} ({page + 1}/{count})", 256)
    embed = discord.Embed(title=title, description=summary.pages[page], colour=AGORA_COLOUR)
    embed.set_footer(text="Agora · add outcomes with /outcome add")
    return embed


def recorded_text(recorded: Recorded) -> str:
    outcome = recorded.outcome
    where = f"**{escape_markdown(clip_line(recorded.meeting.title, 100))}**"
    if recorded.session is not None:
        where += f" ({escape_markdown(clip_line(session_name(recorded.session), 100))})"
    text = f"Recorded {outcome.kind} #{outcome.id} for {where}."
    if outcome.is_action:
        owner = "nobody" if outcome.owner_id is None else f"<@{outcome.owner_id}>"
        text += f"\nOwner: {owner}"
        if outcome.due_at is not None:
            text += f", due {discord_timestamp(outcome.due_at, 'D')}"
        if recorded.reminders:
            text += (
                f". {plural(recorded.reminders, 'reminder')} by DM (two days before and on the"
                " due date) if the owner turned them on with `/remind dm on`"
            )
        text += f". Close it with `/action done {outcome.id}`."
    return text + "".join(f"\nNote: {note}" for note in recorded.notes)


def action_lines(views: Sequence[ActionView]) -> list[str]:
    lines = []
    for view in views:
        action = view.action
        owner = "no owner" if action.owner_id is None else f"<@{action.owner_id}>"
        line = f"**#{action.id}** {escape_markdown(clip_line(action.text, 200))} — {owner}"
        if action.due_at is not None:
            line += f", due {discord_timestamp(action.due_at, 'D')}"
        if view.overdue:
            line += " ⚠️ overdue"
        where = escape_markdown(clip_line(view.meeting_title, 80))
        if view.session_title:
            where += f" · {escape_markdown(clip_line(view.session_title, 80))}"
        lines.append(f"{line}\n↳ {where}")
    return lines


def list_embed(title: str, lines: Sequence[str], empty: str, footer: str) -> discord.Embed:
    embed = discord.Embed(
        title=clip(title, 256),
        description=fit_lines(list(lines), DESCRIPTION_LIMIT) if lines else empty,
        colour=AGORA_COLOUR,
    )
    embed.set_footer(text=footer)
    return embed


def thread_name(meeting: Meeting, session: Session | None) -> str:
    what = meeting.title if session is None else session_name(session)
    return clip(f"Outcomes: {' '.join(what.split())}", THREAD_NAME_LIMIT)


def thread_invitation(meeting: Meeting, session: Session | None) -> str:
    """The opening post of an outcomes thread: what to record here, and how."""
    title = escape_markdown(clip_line(meeting.title, 150))
    if session is None:
        about = f"**{title}** has ended"
        command = f"`/outcome add meeting:{meeting.id}`"
    else:
        name = escape_markdown(clip_line(session_name(session), 150))
        about = f"The session **{name}** of **{title}** has ended"
        command = f"`/outcome add meeting:{meeting.id} session:{session.id}`"
    return (
        f"📝 {about}. Record its outcomes here with {command}: decisions, action items"
        " (with an owner and a due date), links to the slides and minutes, and notes."
        f" `/meeting summary {meeting.id}` gathers them all."
    )


def action_reminder_text(kind: str, action_id: int, text: str, due_at: int, meeting: str) -> str:
    when = discord_timestamp(due_at, "R") if kind == "action_soon" else "today"
    return (
        f"⏰ Your action **#{action_id}** is due {when} ({discord_timestamp(due_at, 'D')}):"
        f" {escape_markdown(clip_line(text, 300))}\n"
        f"From **{escape_markdown(clip_line(meeting, 100))}**. When it is done:"
        f" `/action done {action_id}`."
    )

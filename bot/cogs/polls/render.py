"""How polls read in Discord: the poll (live tallies, nobody named), its result, who
answered what (for the one who asks), and the short replies."""

from __future__ import annotations

import discord

from bot.cogs.meetings.render import DirectoryNames
from bot.cogs.shared.embeds import AGORA_COLOUR
from bot.services.common.links import escape_markdown
from bot.services.common.text import plural
from bot.services.common.text_fit import fit_lines
from bot.services.common.timeparse import discord_timestamp, full_and_relative
from bot.services.polls.models import Poll, PollAnswer, SlotTally
from bot.services.polls.service import PollResults, PollView

# Discord allows five rows of buttons on a message: one row per time, so five times per
# message; a poll of more times continues in a second message.
SLOTS_PER_MESSAGE = 5
FIELD_LIMIT = 1024
ANSWERS: dict[PollAnswer, tuple[str, str, discord.ButtonStyle]] = {
    "yes": ("Yes", "✅", discord.ButtonStyle.success),
    "maybe": ("If need be", "🤔", discord.ButtonStyle.secondary),
    "no": ("No", "❌", discord.ButtonStyle.danger),
}
LEADING = "⭐"


def parts_of(poll: Poll) -> int:
    """How many messages show the poll in each channel."""
    return -(-len(poll.slots) // SLOTS_PER_MESSAGE)


def positions_of(poll: Poll, part: int) -> range:
    first = part * SLOTS_PER_MESSAGE + 1
    return range(first, min(len(poll.slots), first + SLOTS_PER_MESSAGE - 1) + 1)


def scope_line(poll: Poll, names: DirectoryNames) -> str:
    if poll.scope.is_community:
        return "The whole community"
    parts = [names.cluster(c) for c in poll.scope.cluster_ids]
    parts += [names.initiative(i) for i in poll.scope.initiative_ids]
    return escape_markdown("; ".join(parts))


def tally_text(tally: SlotTally) -> str:
    return f"✅ {tally.yes} · 🤔 {tally.maybe} · ❌ {tally.no}"


def slot_text(poll: Poll, position: int) -> str:
    return discord_timestamp(poll.slot(position), "F")


def poll_embed(view: PollView, names: DirectoryNames, part: int = 0) -> discord.Embed:
    """One message of the poll: its times ``part`` (five per message) with their tallies,
    the leading ones marked; closed, the tallies as they were frozen."""
    poll = view.poll
    best = set(view.best)
    title = f"📊 {poll.title}" + ("" if poll.is_open else " (closed)")
    embed = discord.Embed(title=title[:256], colour=AGORA_COLOUR)
    if part == 0:
        lines = [f"**For:** {scope_line(poll, names)}"]
        if poll.is_open:
            lines.insert(
                0,
                "Which times suit you? Answer each one **Yes**, **If need be** or **No**;"
                " press another button to change your answer.",
            )
            if poll.closes_at is not None:
                lines.append(f"**Closes** {full_and_relative(poll.closes_at)}")
            else:
                lines.append("**Closes** when its organiser closes it (/poll close).")
        else:
            closed = poll.closed_at or poll.created_at
            lines.insert(0, f"Closed {discord_timestamp(closed, 'F')}: answers are frozen.")
        lines.append(
            f"{LEADING} marks the leading time (most Yes, then most If need be)."
            if best
            else "No time leads yet."
        )
        lines.append(f"Meeting length: {_length(poll.length_seconds)} · times in {poll.timezone}")
        embed.description = "\n".join(lines)
    for position in positions_of(poll, part):
        tally = view.tallies[position - 1]
        mark = f"{LEADING} " if position in best else ""
        embed.add_field(
            name=f"{mark}Time {position}",
            value=f"{slot_text(poll, position)}\n{tally_text(tally)}",
            inline=False,
        )
    count = parts_of(poll)
    where = "" if count == 1 else f" · part {part + 1} of {count}"
    embed.set_footer(text=f"Poll #{poll.id}{where} · /poll results shows who answered what")
    return embed


def _length(seconds: int) -> str:
    hours, rest = divmod(seconds // 60, 60)
    if hours and rest:
        return f"{plural(hours, 'hour')} {plural(rest, 'minute')}"
    return plural(hours, "hour") if hours else plural(rest, "minute")


def result_embed(view: PollView, names: DirectoryNames) -> discord.Embed:
    """The announcement when a poll closes: the best time, or the tied ones."""
    poll = view.poll
    best = view.best
    embed = discord.Embed(title=f"📊 {poll.title}: result"[:256], colour=AGORA_COLOUR)
    lines = [f"**For:** {scope_line(poll, names)}"]
    if not best:
        lines.append(
            "Nobody answered Yes or If need be to any time, so no time was chosen."
            " Start another poll with other times (/poll create)."
        )
    elif len(best) == 1:
        tally = view.tallies[best[0] - 1]
        lines.append(
            f"**Best time:** {full_and_relative(poll.slot(best[0]))}\n"
            f"Time {best[0]}: {tally_text(tally)}"
        )
    else:
        tally = view.tallies[best[0] - 1]
        lines.append(
            f"**{len(best)} times tie for best** ({tally_text(tally)} each):\n"
            + "\n".join(f"- Time {n}: {full_and_relative(poll.slot(n))}" for n in best)
        )
    if best:
        lines.append(
            "An organiser can turn it into a meeting with **Create meeting**: the form opens"
            " with this time, the poll's title and who it is for."
        )
    embed.description = "\n".join(lines)
    embed.set_footer(
        text=f"Poll #{poll.id} · {plural(view.answered, 'answer')} · /poll results for details"
    )
    return embed


def results_embed(results: PollResults) -> discord.Embed:
    """``/poll results``: per time, who answered Yes, If need be and No (only the asker
    sees it; mentions never ping)."""
    view = results.view
    poll = view.poll
    best = set(view.best)
    state = "open" if poll.is_open else "closed"
    embed = discord.Embed(title=f"📊 {poll.title}: answers"[:256], colour=AGORA_COLOUR)
    embed.description = f"Poll #{poll.id}, {state}. {LEADING} marks the leading time."
    for tally in view.tallies:
        position = tally.position
        lines = [slot_text(poll, position)]
        for answer, (label, emoji, _) in ANSWERS.items():
            people = results.named(position, answer)
            shown = ", ".join(f"<@{user_id}>" for user_id in people) or "nobody"
            anonymous = getattr(tally, answer) - len(people)
            if anonymous > 0:
                shown += f" (and {plural(anonymous, 'former member')})"
            lines.append(f"{emoji} {label}: {shown}")
        mark = f"{LEADING} " if position in best else ""
        embed.add_field(
            name=f"{mark}Time {position}", value=fit_lines(lines, FIELD_LIMIT), inline=False
        )
    return embed


def answer_text(title: str, poll: Poll, position: int, answer: PollAnswer, changed: bool) -> str:
    label = ANSWERS[answer][0]
    text = (
        f"Your answer for time {position} of **{escape_markdown(title)}**"
        f" ({slot_text(poll, position)}): **{label}**."
    )
    return text if changed else "No change: " + text[0].lower() + text[1:]


def dm_text(view: PollView) -> str:
    poll = view.poll
    title = escape_markdown(poll.title)
    if len(view.best) == 1:
        return (
            f"📊 The poll **{title}** has closed. The best time is"
            f" {full_and_relative(poll.slot(view.best[0]))}, and you said Yes to it."
            " Watch for the meeting's announcement."
        )
    times = "; ".join(full_and_relative(poll.slot(n)) for n in view.best)
    return (
        f"📊 The poll **{title}** has closed. These times tie for best: {times}."
        " You said Yes to at least one of them. Watch for the meeting's announcement."
    )

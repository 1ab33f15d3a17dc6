"""The plenary summary of a meeting: per session, its decisions, action items (owner, due
date), links and notes, split into pages that each fit one embed.

Discord-free on purpose, like the digest: the cog copies each page into an embed. Text
people typed is shown as literal characters (``escape_markdown``: no masked link can hide
in a decision), links as ``[title](url) (host)``, owners as mentions (an embed never
pings) and dates as Discord timestamps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.services.common import timeparse
from bot.services.common.links import escape_markdown, masked_link
from bot.services.common.text import plural
from bot.services.common.text_fit import clip
from bot.services.meetings.programme import session_name
from bot.services.outcomes.service import MeetingOutcomes, clip_line, is_overdue
from bot.storage.meetings.models import Session
from bot.storage.outcomes.models import Outcome, OutcomeKind

# An embed's description holds 4,096 characters; a page stays below, with room for a
# "(continued)" heading. Title and footer are short, far from the 6,000 per message.
PAGE_LIMIT = 3900
MAX_TITLE = 256
LINE_LIMIT = 600
SECTIONS: tuple[tuple[OutcomeKind, str], ...] = (
    ("decision", "Decisions"),
    ("action", "Action items"),
    ("link", "Links"),
    ("note", "Notes"),
)


@dataclass(frozen=True)
class SummaryPages:
    title: str
    pages: tuple[str, ...]
    outcome_count: int


def outcome_line(outcome: Outcome, now: datetime) -> str:
    """One outcome as a summary or list line (without its kind)."""
    text = escape_markdown(clip_line(outcome.text, LINE_LIMIT))
    if outcome.kind == "link" and outcome.url:
        return "• " + masked_link(clip_line(outcome.text, 200), outcome.url)
    line = f"• {text}"
    if outcome.url:
        line += " — " + masked_link("link", outcome.url)
    if outcome.is_action:
        owner = "no owner" if outcome.owner_id is None else f"<@{outcome.owner_id}>"
        line = f"• **#{outcome.id}** {text} — {owner}"
        if outcome.due_at is not None:
            line += f", due {timeparse.discord_timestamp(outcome.due_at, 'D')}"
        if outcome.is_done:
            line += " ✅ done"
        elif is_overdue(outcome, now):
            line += " ⚠️ overdue"
        if outcome.url:
            line += " — " + masked_link("link", outcome.url)
    return line


def _heading(data: MeetingOutcomes, session: Session | None) -> str:
    if session is None:
        return "__The meeting as a whole__"
    zone = timeparse.resolve_zone(data.meeting.timezone)
    start = session.starts_at.astimezone(zone)
    who = ""
    if session.initiative_id is not None:
        who = data.initiative_names.get(session.initiative_id, "")
    elif session.cluster_id is not None:
        who = data.cluster_names.get(session.cluster_id, "")
    name = escape_markdown(clip_line(session_name(session), 150))
    suffix = f" · {escape_markdown(clip_line(who, 80))}" if who else ""
    return f"__{start:%H:%M} {name}__{suffix}"


def _blocks(data: MeetingOutcomes, now: datetime) -> list[list[str]]:
    """One block of lines per part of the meeting that has outcomes, heading first."""
    blocks: list[list[str]] = []
    parts: list[Session | None] = [None, *data.sessions]
    known = {session.id for session in data.sessions}
    for part in parts:
        if part is None:
            # The meeting as a whole, and outcomes of sessions since removed.
            outcomes = [
                o for o in data.outcomes if o.session_id is None or o.session_id not in known
            ]
        else:
            outcomes = data.of_session(part.id)
        if not outcomes:
            continue
        lines = [_heading(data, part)]
        for kind, label in SECTIONS:
            of_kind = [o for o in outcomes if o.kind == kind]
            if of_kind:
                lines.append(f"**{label}**")
                lines += [outcome_line(o, now) for o in of_kind]
        blocks.append(lines)
    return blocks


def summary_pages(data: MeetingOutcomes, now: datetime, limit: int = PAGE_LIMIT) -> SummaryPages:
    """The summary, split between whole lines into pages of at most ``limit`` characters;
    a part of the meeting carried onto the next page repeats its heading."""
    meeting = data.meeting
    title = clip(f"Outcomes of {meeting.title}", MAX_TITLE)
    blocks = _blocks(data, now)
    silent = sum(1 for s in data.sessions if not data.of_session(s.id))
    intro = f"{timeparse.discord_timestamp(meeting.starts_at, 'D')} · " + plural(
        len(data.outcomes), "outcome"
    )
    if not blocks:
        return SummaryPages(
            title,
            (
                intro + "\nNo outcomes recorded yet: add decisions, action items, links and"
                " notes with `/outcome add`.",
            ),
            0,
        )
    footer = f"{plural(silent, 'session')} recorded no outcomes." if silent else ""
    pages: list[list[str]] = [[intro]]

    def room(lines: list[str]) -> int:
        return limit - len("\n".join(lines))

    for block in blocks:
        heading, lines = block[0], [clip(line, limit // 2) for line in block[1:]]
        # A heading is never left alone at the end of a page: it goes with its first line.
        if room(pages[-1]) < len(heading) + len(lines[0]) + 3:
            pages.append([])
        pages[-1] += ["", heading] if pages[-1] else [heading]
        for line in lines:
            if room(pages[-1]) < len(line) + 1:
                pages.append([f"{heading} (continued)"])
            pages[-1].append(line)
    if footer:
        if room(pages[-1]) < len(footer) + 2:
            pages.append([])
        pages[-1] += ["", footer]
    texts = tuple("\n".join(page).strip("\n") for page in pages if page)
    return SummaryPages(title, texts, len(data.outcomes))


def list_lines(
    outcomes: Sequence[Outcome], sessions: Sequence[Session], now: datetime
) -> list[str]:
    """``/outcome list``: every outcome with its number and kind, in recorded order."""
    names = {session.id: session_name(session) for session in sessions}
    lines = []
    for outcome in outcomes:
        where = names.get(outcome.session_id) if outcome.session_id is not None else None
        place = f" ({escape_markdown(clip_line(where, 60))})" if where else ""
        line = outcome_line(outcome, now).removeprefix("• ")
        if not outcome.is_action:
            line = f"**#{outcome.id}** {line}"
        lines.append(f"{outcome.kind.capitalize()}{place}: {line}")
    return lines

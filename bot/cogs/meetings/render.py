"""How meetings read in Discord: announcement embeds, programme lines, reminder texts.

Every time is shown with Discord's timestamp markup (``<t:UNIX:F>``, ``<t:UNIX:R>``)
so each reader sees it in their own zone; the meeting's zone is named too, because
that is the zone the organiser typed the times in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import discord

from bot.cogs.shared.embeds import AGORA_COLOUR
from bot.services.common.links import escape_markdown, masked_link
from bot.services.common.text import plural
from bot.services.common.text_fit import clip, fit_lines
from bot.services.common.timeparse import discord_timestamp, full_and_relative
from bot.services.directory.pitches import InitiativePitch
from bot.services.meetings.models import Meeting, Reminder, Session
from bot.services.meetings.programme import KIND_LABELS, names_kind
from bot.services.meetings.recurrence import Occurrence, day_and_time, day_text
from bot.services.meetings.reminders import ScheduledReminders, describe_offsets
from bot.services.meetings.rsvp import Attendees, RsvpCounts
from bot.services.meetings.service import MeetingView

CANCELLED_COLOUR = discord.Colour(0x8B8B8B)
FIELD_LIMIT = 1024
DESCRIPTION_LIMIT = 4000
EMBED_LIMIT = 6000  # Discord's limit on all of an embed's text
# Room kept for the fields after the pitches (answers, reminders, organiser, footer).
AFTER_PITCHES = 800


@dataclass(frozen=True)
class DirectoryNames:
    """Cluster and initiative names by id, to show a meeting's scope and sessions."""

    clusters: Mapping[int, str] = field(default_factory=dict)
    initiatives: Mapping[int, str] = field(default_factory=dict)

    def cluster(self, cluster_id: int) -> str:
        return self.clusters.get(cluster_id, f"cluster #{cluster_id}")

    def initiative(self, initiative_id: int) -> str:
        return self.initiatives.get(initiative_id, f"initiative #{initiative_id}")


def when_text(meeting: Meeting, start: datetime | None = None, end: datetime | None = None) -> str:
    """``<t:F> (<t:R>)`` to ``<t:t>`` (or a full end when it is another day), and the zone."""
    start = start or meeting.starts_at
    end = end or meeting.ends_at
    same_day = (end - start).total_seconds() < 86400 and start.date() == end.date()
    until = discord_timestamp(end, "t" if same_day else "F")
    return f"{full_and_relative(start)}\nuntil {until} · times set in {meeting.timezone}"


def where_text(meeting: Meeting) -> str:
    location = meeting.location
    if location.kind == "none":
        return "To be announced"
    if location.kind == "online":
        return f"Online: {masked_link('Join online', location.url)}"
    if location.kind == "channel":
        return f"On Discord: <#{location.channel_id}>"
    # A venue is text the organiser typed: shown as typed, never as markdown or a link.
    return escape_markdown(location.describe())


def scope_text(meeting: Meeting, names: DirectoryNames) -> str:
    if meeting.scope.is_community:
        return "The whole community"
    parts = [f"Cluster: {names.cluster(c)}" for c in meeting.scope.cluster_ids]
    parts += [f"Initiative: {names.initiative(i)}" for i in meeting.scope.initiative_ids]
    return "\n".join(parts)


def session_line(session: Session, names: DirectoryNames, with_id: bool = False) -> str:
    start = discord_timestamp(session.starts_at, "t")
    end = discord_timestamp(session.ends_at, "t")
    extra = []
    if session.cluster_id is not None:
        extra.append(names.cluster(session.cluster_id))
    if session.initiative_id is not None:
        extra.append(names.initiative(session.initiative_id))
    if session.room:
        extra.append(session.room)
    tail = f" ({', '.join(extra)})" if extra else ""
    number = f"`#{session.id}` " if with_id else ""
    return f"{number}{start}–{end} {_session_heading(session)}{tail}"


def _session_heading(session: Session) -> str:
    """ "**Pitch**: Initiative pitches"; a title that starts with its kind's label keeps
    it once, in bold: "**Challenge workshop**: data sharing"."""
    label = KIND_LABELS[session.kind]
    if names_kind(session):
        return f"**{session.title[: len(label)]}**{session.title[len(label) :]}"
    return f"**{label}**: {session.title}"


def programme_text(
    sessions: Sequence[Session], names: DirectoryNames, with_ids: bool = False
) -> str:
    lines = [session_line(session, names, with_ids) for session in sessions]
    return fit_lines(lines, FIELD_LIMIT)


def pitch_line(item: InitiativePitch, limit: int) -> str:
    """An initiative's pitch in a pitch session: its name, its text as written (cut to fit),
    and its link with the host it really goes to."""
    pitch = item.pitch
    link = f" {masked_link('Slides or video', pitch.url)}" if pitch.url else ""
    head = f"**{escape_markdown(item.initiative.name)}**: "
    room = max(20, limit - len(head) - len(link))
    return head + clip(escape_markdown(" ".join(pitch.text.split())), room) + link


def pitches_text(
    sessions: Sequence[Session], pitches: Mapping[int, Sequence[InitiativePitch]], limit: int
) -> str:
    """The pitches of each pitch session (those it names), within ``limit`` characters:
    each pitch gets an even share, and what does not fit is counted."""
    pitch_sessions = [s for s in sessions if s.kind == "pitch" and pitches.get(s.id)]
    lines: list[str] = []
    total = sum(len(pitches[s.id]) for s in pitch_sessions)
    share = max(80, limit // max(1, total) - 1)
    for session in pitch_sessions:
        if len(pitch_sessions) > 1:
            lines.append(f"__{escape_markdown(session.title)}__")
        lines += [pitch_line(item, share) for item in pitches[session.id]]
    return fit_lines(lines, limit)


def counts_text(counts: RsvpCounts) -> str:
    going = f"{counts.going}/{counts.cap}" if counts.cap is not None else str(counts.going)
    text = f"✅ Going: {going} · 🤔 Maybe: {counts.maybe} · ❌ Can't go: {counts.declined}"
    if counts.waitlist or counts.is_full:
        text += f" · ⏳ Waitlist: {counts.waitlist}"
    return text


def changed_dates_text(changed: Sequence[Occurrence], zone: str) -> str:
    """A series' moved and cancelled dates: "Tue 20 June moved to Wed 21 June 10:00"."""
    lines = []
    for occurrence in changed:
        day = day_text(occurrence.original_start, zone)
        if occurrence.is_cancelled:
            lines.append(f"{day}: cancelled")
        else:
            moved_to = day_and_time(occurrence.starts_at, zone)
            lines.append(
                f"{day} moved to {moved_to} ({discord_timestamp(occurrence.starts_at, 'R')})"
            )
    return fit_lines(lines, FIELD_LIMIT)


def meeting_embed(
    view: MeetingView,
    names: DirectoryNames,
    *,
    detailed: bool = False,
    buttons: bool = True,
    pitches: Mapping[int, Sequence[InitiativePitch]] | None = None,
) -> discord.Embed:
    """The announcement (and ``/meeting info``): title, when, where, programme, pitches,
    scope, counts.

    ``buttons``: whether the message carries the RSVP buttons (announcements do,
    ``/meeting info`` does not); the footer only points at what is there. ``pitches``:
    the pitches each pitch session lists, by session id."""
    meeting = view.meeting
    cancelled = meeting.is_cancelled
    title = f"Cancelled: {meeting.title}" if cancelled else meeting.title
    embed = discord.Embed(
        title=title[:256],
        description=meeting.description[:DESCRIPTION_LIMIT] or None,
        colour=CANCELLED_COLOUR if cancelled else AGORA_COLOUR,
    )
    if view.recurrence_text and view.next_occurrences:
        nxt = view.next_occurrences[0]
        when = when_text(meeting, nxt.starts_at, nxt.ends_at)
        if nxt.status == "moved":
            when += f"\nmoved from {day_and_time(nxt.original_start, meeting.timezone)}"
        embed.add_field(name="Next", value=when, inline=False)
        embed.add_field(name="Repeats", value=view.recurrence_text[:FIELD_LIMIT], inline=False)
    else:
        # A meeting recorded after it happened (or over since) says so: nobody is asked to come.
        name = "Took place" if view.has_ended and not cancelled else "When"
        embed.add_field(name=name, value=when_text(meeting), inline=False)
        if view.recurrence_text:
            embed.add_field(name="Repeats", value=view.recurrence_text[:FIELD_LIMIT], inline=False)
    if view.changed_occurrences and not cancelled:
        embed.add_field(
            name=f"Changed dates (times in {meeting.timezone})",
            value=changed_dates_text(view.changed_occurrences, meeting.timezone),
            inline=False,
        )
    embed.add_field(name="Where", value=where_text(meeting)[:FIELD_LIMIT], inline=True)
    embed.add_field(name="For", value=scope_text(meeting, names)[:FIELD_LIMIT], inline=True)
    if view.sessions:
        embed.add_field(
            name=f"Programme ({len(view.sessions)})",
            value=programme_text(view.sessions, names, with_ids=detailed),
            inline=False,
        )
    room = min(FIELD_LIMIT, EMBED_LIMIT - len(embed) - AFTER_PITCHES)
    listed = pitches_text(view.sessions, pitches or {}, room) if room > 100 else ""
    if listed:
        embed.add_field(name="Pitches", value=listed, inline=False)
    embed.add_field(name="Answers", value=counts_text(view.counts), inline=False)
    if detailed:
        embed.add_field(
            name="Reminders", value=describe_offsets(view.reminder_offsets), inline=False
        )
        if meeting.organiser_id:
            embed.add_field(name="Organiser", value=f"<@{meeting.organiser_id}>", inline=True)
    footer = f"Meeting #{meeting.id}"
    if cancelled:
        footer += " · cancelled: reminders stopped"
    elif view.has_ended:
        footer += " · a record of a meeting that took place: it takes no answers"
    else:
        ways: list[str] = []
        if buttons:
            ways.append("answer with the buttons")
        elif view.announcements:
            ways.append("answer on its announcement")
        # An announcement is posted just before its meeting's Discord event is created.
        if view.events or buttons:
            ways.append("mark Interested on the event")
        if ways:
            footer += " · " + ", or ".join(ways)
    embed.set_footer(text=footer)
    return embed


def scheduled_text(scheduled: ScheduledReminders) -> str:
    """What a create or edit reply says about reminders: read back from what is stored, in
    the words ``/meeting info`` uses for the times."""
    own = scheduled.meeting_reminders
    if scheduled.recurring:
        text = (
            f"Reminders {describe_offsets(scheduled.offsets)} for each date: "
            f"{len(own)} scheduled so far (each date's are scheduled "
            f"{plural(scheduled.horizon_days, 'day')} ahead)"
        )
    else:
        stored = sorted({r.offset_seconds for r in own}, reverse=True)
        text = f"{plural(len(own), 'reminder')} scheduled"
        if stored:
            text += f": {describe_offsets(stored)}"
        passed = [o for o in scheduled.offsets if o not in stored]
        if passed:
            text += f" ({describe_offsets(passed)}: already past)"
    sessions = scheduled.session_reminders
    if sessions:
        text += f", and {plural(len(sessions), 'session reminder')}"
    if scheduled.pending:
        text += f"; the next {discord_timestamp(scheduled.pending[0].due_at, 'R')}"
    return text + "."


def shift_text(seconds: int) -> str:
    """ "+1 h", "−30 min", "+1 d 2 h 30 min": how far something moved."""
    sign = "+" if seconds >= 0 else "−"
    left = abs(seconds)
    parts = []
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min"), (1, "s")):
        amount, left = divmod(left, size)
        if amount:
            parts.append(f"{amount} {unit}")
    return sign + " ".join(parts or ["0 min"])


def edit_effects_text(sessions_shifted: int, shift_seconds: int, promoted: int) -> str:
    """What else an edit moved, beyond the reminders: the programme, the waitlist."""
    parts = []
    if sessions_shifted:
        parts.append(
            f"{plural(sessions_shifted, 'session')} moved by {shift_text(shift_seconds)} "
            "with the start."
        )
    if promoted:
        who = plural(promoted, "person", "people")
        parts.append(f"{who} moved off the waitlist to Going (told by DM).")
    return " ".join(parts)


def occurrence_move_text(title: str, zone: str, old_start: datetime, new_start: datetime) -> str:
    """The reply to a moved date: old and new, as Discord timestamps and in the meeting's zone."""
    return (
        f"Moved **{title}** from {discord_timestamp(old_start, 'F')} to "
        f"{discord_timestamp(new_start, 'F')} ({day_and_time(old_start, zone)} → "
        f"{day_and_time(new_start, zone)}, {zone}). Its reminders follow the new time, and "
        "the announcement lists the change."
    )


def list_line(meeting: Meeting) -> str:
    mark = " · *cancelled*" if meeting.is_cancelled else ""
    repeats = " · repeats" if meeting.recurrence else ""
    return (
        f"**{meeting.title}** (#{meeting.id}){mark}{repeats}\n"
        f"{full_and_relative(meeting.starts_at)} · {where_text(meeting)}"
    )


def attendees_embed(attendees: Attendees) -> discord.Embed:
    meeting = attendees.meeting
    embed = discord.Embed(title=f"Who is coming: {meeting.title}", colour=AGORA_COLOUR)
    groups = (
        ("✅ Going", attendees.going, attendees.anonymous.going),
        ("🤔 Maybe", attendees.maybe, attendees.anonymous.maybe),
        ("❌ Can't go", attendees.declined, attendees.anonymous.declined),
        ("⏳ Waitlist (in order)", attendees.waitlist, attendees.anonymous.waitlist),
    )
    for label, users, anonymous in groups:
        lines = [f"<@{user_id}>" for user_id in users]
        if anonymous:
            lines.append(f"+{anonymous} who asked to be forgotten")
        value = fit_lines(lines, FIELD_LIMIT) if lines else "nobody yet"
        embed.add_field(name=f"{label} ({len(users) + anonymous})", value=value, inline=False)
    embed.set_footer(text=counts_text(attendees.counts))
    return embed


def reminder_text(
    reminder: Reminder, meeting: Meeting, session: Session | None, names: DirectoryNames
) -> str:
    """The reminder message: what, when (relative and full), where."""
    if reminder.kind == "cancellation":
        return (
            f"❌ **{meeting.title}** on {discord_timestamp(reminder.occurrence_start, 'F')} "
            "is cancelled. Sorry for the change of plans."
        )
    if session is not None:
        kind = "" if names_kind(session) else f" ({KIND_LABELS[session.kind]})"
        return (
            f"⏰ Session **{session.title}**{kind} of "
            f"**{meeting.title}** starts {discord_timestamp(session.starts_at, 'R')} "
            f"({discord_timestamp(session.starts_at, 'F')})"
            + (f" in {session.room}" if session.room else "")
            + "."
        )
    start = reminder.occurrence_start
    if reminder.offset_seconds == 0:
        lead = f"🔔 **{meeting.title}** is starting now ({discord_timestamp(start, 'F')})."
    else:
        lead = (
            f"⏰ **{meeting.title}** starts {discord_timestamp(start, 'R')} "
            f"({discord_timestamp(start, 'F')})."
        )
    return f"{lead}\nWhere: {where_text(meeting)}"

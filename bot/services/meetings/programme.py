"""A meeting's programme: ordered sessions (plenary, pitches, workshops...)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.services.common import timeparse
from bot.services.common.clock import Clock
from bot.services.common.names import clean_text
from bot.services.meetings.reminders import PlanResult, ReminderService
from bot.storage.meetings.models import SESSION_KINDS, Meeting, Session, SessionKind
from bot.storage.meetings.repository import SessionFields
from bot.storage.store import Store

MAX_SESSIONS = 50
MAX_SESSION_TITLE = 200

KIND_LABELS: dict[SessionKind, str] = {
    "plenary": "Plenary",
    "pitch": "Pitch",
    "challenge_workshop": "Challenge workshop",
    "cluster_workshop": "Cluster workshop",
    "other": "Other",
}


@dataclass(frozen=True)
class SessionDraft:
    """``/meeting session add``: times as typed ("10:30" is that time on the meeting's day)."""

    title: str
    start: str
    end: str
    kind: str = "other"
    cluster_id: int | None = None
    initiative_id: int | None = None
    room: str = ""


@dataclass(frozen=True)
class ProgrammeChange:
    meeting: Meeting
    session: Session  # the one added or removed
    programme: tuple[Session, ...]
    plan: PlanResult
    notes: tuple[str, ...] = ()


def parse_kind(text: str) -> SessionKind:
    """ "challenge workshop", "Challenge-Workshop" or "challenge_workshop" -> the kind."""
    key = "_".join(text.strip().lower().replace("-", " ").split())
    for kind in SESSION_KINDS:
        if key == kind:
            return kind
    labels = ", ".join(KIND_LABELS.values())
    raise InvalidInput(f"Unknown session kind {text!r}; choose one of: {labels}.")


def names_kind(session: Session) -> bool:
    """Whether the title already starts with its kind's label ("Challenge workshop: data
    sharing", "Plenary session"): then the label is not put in front of it again."""
    label = KIND_LABELS[session.kind].casefold()
    title = session.title.casefold()
    return title.startswith(label) and not title[len(label) : len(label) + 1].isalnum()


def session_name(session: Session) -> str:
    """ "Challenge workshop: data sharing": the kind's label, then the title (once)."""
    if names_kind(session):
        return session.title
    return f"{KIND_LABELS[session.kind]}: {session.title}"


def programme_lines(sessions: Sequence[Session], zone_name: str) -> list[str]:
    """Plain-text programme, one line per session, in the meeting's zone (for ICS)."""
    zone = timeparse.resolve_zone(zone_name)
    lines = []
    for session in sessions:
        start = session.starts_at.astimezone(zone)
        end = session.ends_at.astimezone(zone)
        room = f" ({session.room})" if session.room else ""
        lines.append(f"{start:%H:%M}–{end:%H:%M} {session_name(session)}{room}")
    return lines


def session_choice(session: Session, zone_name: str) -> str:
    """An autocomplete label: "#12 09:00–10:00 Europe/Brussels · Plenary: Opening" (≤ 100)."""
    zone = timeparse.resolve_zone(zone_name)
    start = session.starts_at.astimezone(zone)
    end = session.ends_at.astimezone(zone)
    text = f"#{session.id} {start:%H:%M}–{end:%H:%M} {zone_name} · {session_name(session)}"
    return text if len(text) <= 100 else text[:99] + "…"


class ProgrammeService:
    def __init__(self, store: Store, clock: Clock, reminders: ReminderService) -> None:
        self.store = store
        self.clock = clock
        self.reminders = reminders

    async def add_session(
        self, guild_id: int, meeting_id: int, actor_id: int, is_organiser: bool, draft: SessionDraft
    ) -> ProgrammeChange:
        meeting = await self._changeable(guild_id, meeting_id, actor_id, is_organiser)
        if meeting.recurrence is not None:
            raise InvalidInput(
                "Programmes are for one-off meetings; a repeating meeting has no sessions."
            )
        title = " ".join(clean_text(draft.title).split())
        if not title or len(title) > MAX_SESSION_TITLE:
            raise InvalidInput(f"Give the session a title of 1 to {MAX_SESSION_TITLE} characters.")
        if draft.cluster_id is not None and draft.initiative_id is not None:
            raise InvalidInput("A session is for one cluster or one initiative, not both.")
        kind = parse_kind(draft.kind)
        now = self.clock()
        day = meeting.starts_at.astimezone(timeparse.resolve_zone(meeting.timezone)).date()
        start = timeparse.parse_clock_on(draft.start, day, meeting.timezone, now)
        end = timeparse.parse_end(draft.end, start, now)
        timeparse.ensure_within(
            start.utc, end.utc, meeting.starts_at, meeting.ends_at, meeting.timezone
        )
        existing = await self.store.meetings.sessions(guild_id, meeting_id)
        if len(existing) >= MAX_SESSIONS:
            raise Conflict(f"A programme holds at most {MAX_SESSIONS} sessions.")
        session_id = await self.store.meetings.add_session(
            guild_id,
            meeting_id,
            SessionFields(
                starts_at=start.utc,
                ends_at=end.utc,
                title=title,
                kind=kind,
                cluster_id=draft.cluster_id,
                initiative_id=draft.initiative_id,
                room=draft.room.strip()[:100],
            ),
        )
        plan = await self.reminders.sync_meeting(guild_id, meeting_id)
        sessions = tuple(await self.store.meetings.sessions(guild_id, meeting_id))
        added = next(s for s in sessions if s.id == session_id)
        return ProgrammeChange(meeting, added, sessions, plan, start.notes + end.notes)

    async def remove_session(
        self, guild_id: int, meeting_id: int, actor_id: int, is_organiser: bool, session_id: int
    ) -> ProgrammeChange:
        meeting = await self._changeable(guild_id, meeting_id, actor_id, is_organiser)
        sessions = await self.store.meetings.sessions(guild_id, meeting_id)
        removed = next((s for s in sessions if s.id == session_id), None)
        if removed is None:
            raise NotFound(
                f"“{meeting.title}” has no session #{session_id}; see /meeting info for the list."
            )
        await self.store.meetings.remove_session(guild_id, meeting_id, session_id)
        plan = await self.reminders.sync_meeting(guild_id, meeting_id)
        remaining = tuple(await self.store.meetings.sessions(guild_id, meeting_id))
        return ProgrammeChange(meeting, removed, remaining, plan)

    async def programme(self, guild_id: int, meeting_id: int) -> list[Session]:
        await self.store.meetings.get(guild_id, meeting_id)
        return await self.store.meetings.sessions(guild_id, meeting_id)

    async def programme_of(self, guild_id: int, meeting_id: int) -> tuple[Meeting, list[Session]]:
        """The meeting (for its zone) and its sessions."""
        meeting = await self.store.meetings.get(guild_id, meeting_id)
        return meeting, await self.store.meetings.sessions(guild_id, meeting_id)

    async def _changeable(
        self, guild_id: int, meeting_id: int, actor_id: int, is_organiser: bool
    ) -> Meeting:
        meeting = await self.store.meetings.get(guild_id, meeting_id)
        if not is_organiser and actor_id != meeting.organiser_id:
            raise PermissionDenied(
                f"Only the meeting's organiser or server organisers can change “{meeting.title}”."
            )
        if meeting.is_cancelled:
            raise Conflict(f"“{meeting.title}” was cancelled.")
        return meeting

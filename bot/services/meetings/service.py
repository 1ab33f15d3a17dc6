"""Meetings: create, edit, cancel, list, look up; recurring occurrences and native events.

Every method validates first and writes after, so bad input raises a
bot.errors exception with the reason and changes nothing. Times come in as
the text the user typed and are read by ``timeparse`` in the meeting's zone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from bot.errors import Conflict, InvalidInput, PermissionDenied
from bot.services.common import timeparse
from bot.services.common.clock import Clock
from bot.services.common.ids import plain_id
from bot.services.common.name_matcher import Accept, Candidate, Found, Kind, pick, rank_names
from bot.services.common.names import clean_text
from bot.services.meetings import ics, recurrence
from bot.services.meetings.recurrence import Occurrence
from bot.services.meetings.reminders import (
    CancelOutcome,
    PlanResult,
    ReminderService,
    parse_offsets,
)
from bot.services.meetings.rsvp import RsvpCounts
from bot.storage.meetings.models import (
    Announcement,
    Location,
    Meeting,
    OccurrenceException,
    RecurrenceRule,
    ScheduledEventLink,
    Scope,
    Session,
)
from bot.storage.meetings.repository import MeetingFields
from bot.storage.store import Store

MAX_TITLE = 100  # Discord's scheduled event name limit
MAX_DESCRIPTION = 1000  # Discord's scheduled event description limit
MAX_LOCATION = 100  # Discord's external event location limit
AUTOCOMPLETE_LIMIT = 25  # Discord's choice limit
TYPO_WINDOW = 300  # meetings (upcoming, then the latest past) a typo is compared with
MEETING = Kind(
    singular="meeting",
    plural="meetings",
    missing="No meeting matches “{typed}”.",
    where="Start typing and pick one from the list, or see /meeting list.",
)
_URL = re.compile(r"^https?://\S+$")


@dataclass(frozen=True)
class Actor:
    """Who is acting: ``is_organiser`` is true for Manage Events, Manage Server or the
    organiser role (the cog decides from Discord permissions).
    """

    user_id: int
    is_organiser: bool


@dataclass(frozen=True)
class RepeatSpec:
    """How a meeting repeats: weekly (every ``interval`` weeks) or monthly on the
    start's weekday in week ``week_of_month`` ("1".."4", "last"; None: the start's own).
    """

    frequency: str
    interval: int = 1
    week_of_month: str | None = None
    until: str | None = None  # "YYYY-MM-DD", inclusive


@dataclass(frozen=True)
class MeetingDraft:
    """What ``/meeting create`` collects. ``end`` is a time, a clock time on the start
    day ("17:00") or a duration ("3h"). ``timezone`` None means the guild's.
    """

    title: str
    start: str
    end: str
    description: str = ""
    timezone: str | None = None
    location: Location = field(default_factory=Location)
    scope: Scope = field(default_factory=Scope)
    attendee_cap: int | None = None
    reminder_offsets: Sequence[str] | None = None
    repeat: RepeatSpec | None = None
    confirm_past: bool = False


@dataclass(frozen=True)
class MeetingEdit:
    """``/meeting edit``: None leaves a field as it is.

    ``attendee_cap`` 0 removes the cap; ``reminder_offsets`` () returns to the
    guild's offsets. Moving the start moves the programme with it.
    """

    title: str | None = None
    description: str | None = None
    start: str | None = None
    end: str | None = None
    timezone: str | None = None
    location: Location | None = None
    scope: Scope | None = None
    attendee_cap: int | None = None
    reminder_offsets: Sequence[str] | None = None
    confirm_past: bool = False


@dataclass(frozen=True)
class MeetingView:
    """Everything a cog needs to render a meeting."""

    meeting: Meeting
    sessions: tuple[Session, ...]
    counts: RsvpCounts
    reminder_offsets: tuple[int, ...]
    recurrence_text: str | None
    next_occurrences: tuple[Occurrence, ...]
    exceptions: tuple[OccurrenceException, ...]
    events: tuple[ScheduledEventLink, ...]
    announcements: tuple[Announcement, ...]
    # A series' moved and cancelled dates not yet over, by their usual start.
    changed_occurrences: tuple[Occurrence, ...] = ()
    # Over (a one-off meeting past its end, a series with no date left): a record.
    has_ended: bool = False

    @property
    def takes_answers(self) -> bool:
        """Whether its announcements ask people to answer (buttons, "Interested")."""
        return not self.meeting.is_cancelled and not self.has_ended


@dataclass(frozen=True)
class OccurrenceMove:
    """One date of a series moved: from its start before the move to the new one."""

    original_start: datetime  # the rule's start, naming the date
    old_start: datetime  # where it was (the rule's start, or an earlier move)
    new_start: datetime
    new_end: datetime


@dataclass(frozen=True)
class MeetingChange:
    """The result of a create or an edit: the meeting as it is now, and side effects.

    ``notes`` are to be shown to the organiser (e.g. an ambiguous time resolved);
    ``promoted_user_ids`` were moved off the waitlist by a raised cap (DM them);
    ``sessions_shifted`` programme sessions moved by ``shift_seconds`` with a new start;
    ``occurrence`` is set when one date of a series moved.
    """

    view: MeetingView
    plan: PlanResult
    notes: tuple[str, ...] = ()
    moved: bool = False
    promoted_user_ids: tuple[int, ...] = ()
    sessions_shifted: int = 0
    shift_seconds: int = 0
    occurrence: OccurrenceMove | None = None


@dataclass(frozen=True)
class MeetingCancellation:
    """The cancelled meeting, the notice to send, and the Discord objects to update."""

    view: MeetingView
    reminders: CancelOutcome
    event_ids: tuple[int, ...]
    announcements: tuple[Announcement, ...]


@dataclass(frozen=True)
class MeetingChoice:
    """An autocomplete choice: ``name`` shown (≤ 100 chars), ``value`` the meeting id."""

    name: str
    value: int


@dataclass(frozen=True)
class EventPlan:
    """A Discord scheduled event the cog should create next, and for what."""

    meeting: Meeting
    occurrence_start: datetime | None  # rule start of the occurrence; None for one-off
    starts_at: datetime
    ends_at: datetime


class MeetingService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        default_timezone: str,
        reminders: ReminderService,
        allow_past_with_confirmation: bool = True,
    ) -> None:
        self.store = store
        self.clock = clock
        self.default_timezone = default_timezone
        self.reminders = reminders
        self.allow_past = allow_past_with_confirmation

    # -- creating and changing ----------------------------------------------

    async def check_draft(
        self, guild_id: int, actor: Actor, draft: MeetingDraft
    ) -> tuple[str, ...]:
        """Validate everything but the title and description, storing nothing.

        Lets ``/meeting create`` refuse bad times before it asks for the long text.
        Returns the notes the organiser should see (e.g. an ambiguous time resolved).
        """
        _, notes = await self._prepare(guild_id, actor, draft, check_text=False)
        return notes

    async def create(self, guild_id: int, actor: Actor, draft: MeetingDraft) -> MeetingChange:
        fields, notes = await self._prepare(guild_id, actor, draft)
        meeting_id = await self.store.meetings.insert(guild_id, fields, self.clock())
        plan = await self.reminders.sync_meeting(guild_id, meeting_id)
        return MeetingChange(view=await self.view(guild_id, meeting_id), plan=plan, notes=notes)

    async def _prepare(
        self, guild_id: int, actor: Actor, draft: MeetingDraft, check_text: bool = True
    ) -> tuple[MeetingFields, tuple[str, ...]]:
        if not actor.is_organiser:
            raise PermissionDenied(
                "Only organisers (Manage Events, Manage Server or the organiser role) "
                "can create meetings."
            )
        now = self.clock()
        # Stored by its canonical IANA key: "europe/brussels" works here but not in zoneinfo
        # on every platform, nor in calendar files.
        zone = timeparse.resolve_zone(draft.timezone or await self.guild_timezone(guild_id)).key
        start = timeparse.parse_time(draft.start, zone, now)
        end = timeparse.parse_end(draft.end, start, now)
        self._check_past(start.utc, now, draft.confirm_past, actor)
        rule = None
        if draft.repeat is not None:
            rule = self._rule(draft.repeat, start, end)
        fields = MeetingFields(
            title=_title(draft.title) if check_text else draft.title,
            description=_description(draft.description) if check_text else draft.description,
            starts_at=start.utc,
            ends_at=end.utc,
            timezone=zone,
            location=_location(draft.location),
            organiser_id=actor.user_id,
            attendee_cap=_cap(draft.attendee_cap),
            reminder_offsets=(
                None if draft.reminder_offsets is None else parse_offsets(draft.reminder_offsets)
            ),
            scope=_scope(draft.scope),
            recurrence=rule,
        )
        return fields, start.notes + end.notes

    async def guild_timezone(self, guild_id: int) -> str:
        """The guild's zone (its settings), else the community's from config."""
        return (await self.store.guilds.get(guild_id)).timezone or self.default_timezone

    def _rule(
        self, spec: RepeatSpec, start: timeparse.ParsedTime, end: timeparse.ParsedTime
    ) -> RecurrenceRule:
        until = None
        if spec.until:
            try:
                until = date.fromisoformat(spec.until.strip())
            except ValueError:
                raise InvalidInput(
                    f"{spec.until!r} is not a date; write the repeat end like 2017-12-31."
                ) from None
        duration = int((end.utc - start.utc).total_seconds())
        if duration > 86400:
            raise InvalidInput("A repeating meeting can last at most one day.")
        return recurrence.make_rule(
            spec.frequency,
            start.local,
            duration,
            start.zone,
            interval=spec.interval,
            week_of_month=spec.week_of_month,
            until=until,
        )

    def _check_past(self, start: datetime, now: datetime, confirm: bool, actor: Actor) -> None:
        if confirm and not (actor.is_organiser and self.allow_past):
            raise PermissionDenied("Only organisers can schedule a meeting in the past.")
        timeparse.ensure_not_past(start, now, confirm)

    async def edit(
        self, guild_id: int, meeting_id: int, actor: Actor, edit: MeetingEdit
    ) -> MeetingChange:
        """Change a meeting; its reminders are re-timed and the programme moves with it."""
        now = self.clock()
        meeting = await self.store.meetings.get(guild_id, meeting_id)
        self._require_can_change(meeting, actor)
        if meeting.is_cancelled:
            raise Conflict("This meeting was cancelled; create a new one instead.")
        zone = timeparse.resolve_zone(edit.timezone or meeting.timezone).key
        notes: tuple[str, ...] = ()
        starts_at, ends_at = meeting.starts_at, meeting.ends_at
        if edit.start is not None:
            start = timeparse.parse_time(edit.start, zone, now)
            self._check_past(start.utc, now, edit.confirm_past, actor)
            notes += start.notes
            # Without a new end the meeting keeps its length.
            ends_at = start.utc + (meeting.ends_at - meeting.starts_at)
            starts_at = start.utc
        if edit.end is not None:
            start_parsed = timeparse.ParsedTime(
                utc=starts_at, local=starts_at.astimezone(timeparse.resolve_zone(zone)), zone=zone
            )
            end = timeparse.parse_end(edit.end, start_parsed, now)
            notes += end.notes
            ends_at = end.utc
        timeparse.ensure_order(starts_at, ends_at, zone)
        shift = starts_at - meeting.starts_at
        sessions = await self.store.meetings.sessions(guild_id, meeting_id)
        outside = [
            s.title
            for s in sessions
            if s.starts_at + shift < starts_at or s.ends_at + shift > ends_at
        ]
        if outside:
            raise InvalidInput(
                "These sessions would fall outside the new times: "
                f"{', '.join(outside)}. Change or remove them first (/meeting session)."
            )
        rule = meeting.recurrence
        if rule is not None and (
            shift
            or ends_at - starts_at != meeting.ends_at - meeting.starts_at
            or zone != meeting.timezone
        ):
            local = starts_at.astimezone(timeparse.resolve_zone(zone))
            rule = recurrence.make_rule(
                rule.frequency,
                local,
                int((ends_at - starts_at).total_seconds()),
                zone,
                interval=rule.interval,
                week_of_month=None if rule.nth != -1 else "last",
                until=rule.until,
            )
        offsets = meeting.reminder_offsets
        if edit.reminder_offsets is not None:
            offsets = parse_offsets(edit.reminder_offsets) if edit.reminder_offsets else None
        cap = meeting.attendee_cap
        if edit.attendee_cap is not None:
            cap = None if edit.attendee_cap == 0 else _cap(edit.attendee_cap)
        fields = MeetingFields(
            title=meeting.title if edit.title is None else _title(edit.title),
            description=(
                meeting.description if edit.description is None else _description(edit.description)
            ),
            starts_at=starts_at,
            ends_at=ends_at,
            timezone=zone,
            location=meeting.location if edit.location is None else _location(edit.location),
            organiser_id=meeting.organiser_id,
            attendee_cap=cap,
            reminder_offsets=offsets,
            scope=meeting.scope if edit.scope is None else _scope(edit.scope),
            recurrence=rule,
        )
        await self.store.meetings.update(guild_id, meeting_id, fields, now)
        if shift:
            await self.store.meetings.shift_sessions(
                guild_id, meeting_id, int(shift.total_seconds())
            )
        if rule is not meeting.recurrence and meeting.recurrence is not None:
            reset = await self.store.meetings.clear_exceptions(guild_id, meeting_id)
            if reset:
                dates = "date was" if reset == 1 else "dates were"
                notes += (f"The series moved, so {reset} moved or cancelled {dates} reset.",)
        promoted = await self.store.meetings.rebalance(meeting_id, cap)
        plan = await self.reminders.sync_meeting(guild_id, meeting_id)
        return MeetingChange(
            view=await self.view(guild_id, meeting_id),
            plan=plan,
            notes=notes,
            moved=bool(shift) or ends_at != meeting.ends_at,
            promoted_user_ids=promoted,
            sessions_shifted=len(sessions) if shift else 0,
            shift_seconds=int(shift.total_seconds()),
        )

    async def cancel(self, guild_id: int, meeting_id: int, actor: Actor) -> MeetingCancellation:
        """Cancel the meeting: pending reminders cancelled, one cancellation notice queued."""
        meeting = await self.store.meetings.get(guild_id, meeting_id)
        self._require_can_change(meeting, actor)
        if meeting.is_cancelled:
            raise Conflict(f"“{meeting.title}” is already cancelled.")
        await self.store.meetings.set_status(guild_id, meeting_id, "cancelled", self.clock())
        outcome = await self.reminders.cancel_meeting(guild_id, meeting_id)
        events = await self.store.meetings.events(guild_id, meeting_id)
        return MeetingCancellation(
            view=await self.view(guild_id, meeting_id),
            reminders=outcome,
            event_ids=tuple(link.event_id for link in events),
            announcements=tuple(await self.store.meetings.announcements(guild_id, meeting_id)),
        )

    def _require_can_change(self, meeting: Meeting, actor: Actor) -> None:
        if actor.is_organiser or actor.user_id == meeting.organiser_id:
            return
        raise PermissionDenied(
            f"Only the meeting's organiser or server organisers can change “{meeting.title}”."
        )

    # -- recurring occurrences ----------------------------------------------

    async def occurrences(
        self, guild_id: int, meeting_id: int, limit: int = 5, include_cancelled: bool = False
    ) -> list[Occurrence]:
        """The next occurrences (a one-off meeting has one, until it ends)."""
        meeting = await self.store.meetings.get(guild_id, meeting_id)
        now = self.clock()
        if meeting.recurrence is None:
            if meeting.ends_at <= now:
                return []
            if meeting.is_cancelled and not include_cancelled:
                return []
            status: Literal["scheduled", "cancelled"] = (
                "cancelled" if meeting.is_cancelled else "scheduled"
            )
            return [Occurrence(meeting.starts_at, meeting.starts_at, meeting.ends_at, status)]
        exceptions = await self.store.meetings.exceptions(guild_id, meeting_id)
        return recurrence.next_occurrences(
            meeting.recurrence, exceptions, now, limit, include_cancelled
        )

    async def _series_occurrence(self, meeting: Meeting, original: str) -> datetime:
        if meeting.recurrence is None:
            raise InvalidInput(f"“{meeting.title}” does not repeat; edit or cancel it instead.")
        zone = meeting.timezone
        # A plain date ("2027-06-20", "next friday") names that day's occurrence.
        parsed = timeparse.parse_day_or_time(original, zone, self.clock())
        if isinstance(parsed, date):
            begin = datetime.combine(parsed, time(0), timeparse.resolve_zone(zone))
            on_day = recurrence.starts_between(
                meeting.recurrence,
                begin.astimezone(UTC),
                (begin + timedelta(days=1)).astimezone(UTC),
            )
            if on_day:
                return on_day[0]
        elif recurrence.is_occurrence(meeting.recurrence, parsed.utc):
            return parsed.utc
        upcoming = recurrence.starts_after(meeting.recurrence, self.clock(), 3)
        listed = ", ".join(timeparse.discord_timestamp(s, "f") for s in upcoming)
        where = "on" if isinstance(parsed, date) else "at"
        raise InvalidInput(
            f"“{meeting.title}” has no occurrence {where} {original!r}. Next ones: {listed}."
        )

    async def move_occurrence(
        self, guild_id: int, meeting_id: int, actor: Actor, occurrence: str, new_start: str
    ) -> MeetingChange:
        """Move one occurrence of a series (named by its date or usual start) to ``new_start``.

        Refused before the series' first date, after its last, and onto a day (or the
        times) another of its dates already takes; moving the same date again is fine.
        """
        meeting = await self.store.meetings.get(guild_id, meeting_id)
        self._require_can_change(meeting, actor)
        if meeting.is_cancelled:
            raise Conflict("This meeting was cancelled; create a new one instead.")
        original = await self._series_occurrence(meeting, occurrence)
        rule = meeting.recurrence
        assert rule is not None
        zone = meeting.timezone
        now = self.clock()
        start = timeparse.parse_time(new_start, zone, now)
        timeparse.ensure_not_past(start.utc, now, confirm_past=False)
        exceptions = await self.store.meetings.exceptions(guild_id, meeting_id)
        current = next((e for e in exceptions if e.original_start == original), None)
        old_start = original
        if current is not None and current.status == "moved" and current.starts_at is not None:
            old_start = current.starts_at
        duration = timedelta(seconds=rule.duration_seconds)
        end = start.utc + duration
        date_text = recurrence.day_text(original, zone)
        if start.utc == old_start:
            raise InvalidInput(
                f"The {date_text} date of “{meeting.title}” already starts then "
                f"({timeparse.discord_timestamp(old_start, 'F')}); give another new_start."
            )
        if abs(start.utc - original) > recurrence.MAX_MOVE:
            raise InvalidInput(
                f"An occurrence can move at most 28 days from its date ({date_text}); "
                "cancel it instead (/meeting occurrence cancel)."
            )
        first = recurrence.occurrence_start(rule, rule.first_date)
        if start.utc < first:
            raise InvalidInput(
                f"“{meeting.title}” starts on {timeparse.discord_timestamp(first, 'F')} "
                f"({recurrence.day_and_time(first, zone)} {zone}); a date can't move before "
                "the series' first. Pick a later new_start, or change the series' start "
                "with /meeting edit."
            )
        if rule.until is not None and start.local.date() > rule.until:
            raise InvalidInput(
                f"“{meeting.title}” repeats until {recurrence.day_text(rule.until, zone)}; "
                "a date can't move past the series' last. Pick an earlier new_start."
            )
        nearby = recurrence.expand(
            rule, exceptions, start.utc - timedelta(days=2), end + timedelta(days=2)
        )
        for other in nearby:
            if other.original_start == original:
                continue
            same_day = recurrence.day_text(other.starts_at, zone) == recurrence.day_text(
                start.utc, zone
            )
            if same_day or (other.starts_at < end and start.utc < other.ends_at):
                raise InvalidInput(
                    f"“{meeting.title}” already meets on "
                    f"{recurrence.day_and_time(other.starts_at, zone)} {zone} "
                    f"({timeparse.discord_timestamp(other.starts_at, 'F')}). Pick another "
                    "new_start, or move or cancel that date first."
                )
        await self.store.meetings.set_exception(
            guild_id, meeting_id, original, "moved", start.utc, end
        )
        plan = await self.reminders.sync_meeting(guild_id, meeting_id)
        return MeetingChange(
            view=await self.view(guild_id, meeting_id),
            plan=plan,
            notes=start.notes,
            moved=True,
            occurrence=OccurrenceMove(original, old_start, start.utc, end),
        )

    async def cancel_occurrence(
        self, guild_id: int, meeting_id: int, actor: Actor, occurrence: str
    ) -> MeetingCancellation:
        """Cancel one occurrence of a series; the rest go on."""
        meeting = await self.store.meetings.get(guild_id, meeting_id)
        self._require_can_change(meeting, actor)
        original = await self._series_occurrence(meeting, occurrence)
        await self.store.meetings.set_exception(guild_id, meeting_id, original, "cancelled")
        outcome = await self.reminders.cancel_meeting(guild_id, meeting_id, original)
        events = [
            link.event_id
            for link in await self.store.meetings.events(guild_id, meeting_id)
            if link.occurrence_start == original
        ]
        return MeetingCancellation(
            view=await self.view(guild_id, meeting_id),
            reminders=outcome,
            event_ids=tuple(events),
            announcements=(),
        )

    # -- native Discord events and announcements -----------------------------

    async def event_needed(self, guild_id: int, meeting_id: int) -> EventPlan | None:
        """The scheduled event the cog should create now, if any.

        One-off: the meeting's, until it has one. Series: only the next
        occurrence gets an event; once it is over the following one is due.
        """
        meeting = await self.store.meetings.get(guild_id, meeting_id)
        now = self.clock()
        if meeting.is_cancelled:
            return None
        links = await self.store.meetings.events(guild_id, meeting_id)
        if meeting.recurrence is None:
            if links or meeting.ends_at <= now:
                return None
            return EventPlan(meeting, None, meeting.starts_at, meeting.ends_at)
        upcoming = await self.occurrences(guild_id, meeting_id, limit=1)
        if not upcoming:
            return None
        nxt = upcoming[0]
        if any(link.occurrence_start == nxt.original_start for link in links):
            return None
        return EventPlan(meeting, nxt.original_start, nxt.starts_at, nxt.ends_at)

    async def events_needed(self, guild_id: int) -> list[EventPlan]:
        """Every scheduled event missing in the guild (a sweep at start and hourly)."""
        plans = []
        for meeting_id in await self.store.meetings.live_meeting_ids(guild_id, self.clock()):
            plan = await self.event_needed(guild_id, meeting_id)
            if plan is not None:
                plans.append(plan)
        return plans

    async def link_event(
        self,
        guild_id: int,
        meeting_id: int,
        event_id: int,
        occurrence_start: datetime | None = None,
    ) -> None:
        await self.store.meetings.get(guild_id, meeting_id)
        await self.store.meetings.set_event(guild_id, meeting_id, event_id, occurrence_start)

    async def meeting_for_event(self, guild_id: int, event_id: int) -> Meeting | None:
        link = await self.store.meetings.find_event(guild_id, event_id)
        if link is None:
            return None
        return await self.store.meetings.get(guild_id, link.meeting_id)

    async def unlink_event(self, guild_id: int, event_id: int) -> None:
        """Forget a scheduled event (deleted in Discord); the next sweep makes a new one."""
        await self.store.meetings.remove_event(guild_id, event_id)

    async def announcement_channel_id(self, guild_id: int) -> int | None:
        """The guild's announcement channel setting (None: use the configured name)."""
        return (await self.store.guilds.get(guild_id)).announcement_channel_id

    async def find(self, guild_id: int, text: str) -> int:
        """A meeting named by id (what autocomplete sends) or by its title: exact, or a
        unique part of it; a typo is suggested, not used (see ``find_named``)."""
        return (await self.find_named(guild_id, text, "partial")).key

    async def find_named(self, guild_id: int, text: str, accept: Accept) -> Found[int]:
        """The meeting ``text`` names, by the name matcher; several are listed with dates."""
        cleaned = text.strip().lstrip("#").strip()
        meeting_id = plain_id(cleaned)
        if meeting_id is not None:
            meeting = await self.store.meetings.get(guild_id, meeting_id)
            return Found(meeting.id, meeting.title, cleaned, corrected=False)
        candidates = await self._meeting_candidates(guild_id, cleaned)
        return pick(cleaned, candidates, MEETING, accept)

    async def _meeting_candidates(self, guild_id: int, text: str) -> list[Candidate[int]]:
        """Meetings whose title contains ``text`` (however old) and, for typos, the
        upcoming and latest past ones; upcoming first."""
        now = self.clock()
        rows = await self.store.meetings.search_titles(guild_id, text, now, AUTOCOMPLETE_LIMIT)
        if text:
            rows += await self.store.meetings.search_titles(guild_id, "", now, TYPO_WINDOW)
        candidates: dict[int, Candidate[int]] = {}
        for meeting_id, title, starts_at, status, zone in rows:
            if meeting_id not in candidates:
                local = starts_at.astimezone(timeparse.resolve_zone(zone))
                when = f"{local:%d %b %Y %H:%M}" + (", cancelled" if status == "cancelled" else "")
                candidates[meeting_id] = Candidate(meeting_id, title, detail=when)
        return list(candidates.values())

    async def add_announcement(
        self, guild_id: int, meeting_id: int, channel_id: int, message_id: int
    ) -> None:
        await self.store.meetings.get(guild_id, meeting_id)
        await self.store.meetings.add_announcement(guild_id, meeting_id, channel_id, message_id)

    # -- reading ------------------------------------------------------------

    async def view(self, guild_id: int, meeting_id: int) -> MeetingView:
        meeting = await self.store.meetings.get(guild_id, meeting_id)
        counts = await self.store.meetings.answer_counts(meeting_id)
        now = self.clock()
        exceptions: tuple[OccurrenceException, ...] = ()
        upcoming: tuple[Occurrence, ...] = ()
        changed: tuple[Occurrence, ...] = ()
        text = None
        ended = meeting.ends_at <= now
        if meeting.recurrence is not None:
            exceptions = tuple(await self.store.meetings.exceptions(guild_id, meeting_id))
            upcoming = tuple(recurrence.next_occurrences(meeting.recurrence, exceptions, now, 5))
            changed = tuple(recurrence.changed_occurrences(meeting.recurrence, exceptions, now))
            text = recurrence.describe(meeting.recurrence)
            ended = not upcoming and not changed
        return MeetingView(
            meeting=meeting,
            sessions=tuple(await self.store.meetings.sessions(guild_id, meeting_id)),
            counts=RsvpCounts(
                going=counts["going"],
                maybe=counts["maybe"],
                declined=counts["declined"],
                waitlist=counts["waitlist"],
                cap=meeting.attendee_cap,
            ),
            reminder_offsets=await self.reminders.offsets_for(meeting),
            recurrence_text=text,
            next_occurrences=upcoming,
            exceptions=exceptions,
            events=tuple(await self.store.meetings.events(guild_id, meeting_id)),
            announcements=tuple(await self.store.meetings.announcements(guild_id, meeting_id)),
            changed_occurrences=changed,
            has_ended=ended,
        )

    async def list_meetings(
        self,
        guild_id: int,
        when: str = "upcoming",
        cluster_id: int | None = None,
        initiative_id: int | None = None,
        limit: int = 25,
        offset: int = 0,
    ) -> list[Meeting]:
        """``/meeting list``: upcoming soonest first, or past latest first."""
        upcoming, include_cancelled = _upcoming_or_past(when)
        return await self.store.meetings.list_meetings(
            guild_id,
            self.clock(),
            upcoming=upcoming,
            cluster_id=cluster_id,
            initiative_id=initiative_id,
            include_cancelled=include_cancelled,
            limit=limit,
            offset=offset,
        )

    async def count_meetings(
        self,
        guild_id: int,
        when: str = "upcoming",
        cluster_id: int | None = None,
        initiative_id: int | None = None,
    ) -> int:
        """How many meetings ``list_meetings`` lists in all (for page counts)."""
        upcoming, include_cancelled = _upcoming_or_past(when)
        return await self.store.meetings.count_meetings(
            guild_id,
            self.clock(),
            upcoming=upcoming,
            cluster_id=cluster_id,
            initiative_id=initiative_id,
            include_cancelled=include_cancelled,
        )

    async def autocomplete_meetings(self, guild_id: int, text: str) -> list[MeetingChoice]:
        """Up to 25 choices for ``text``, ranked by the name matcher; upcoming first."""
        candidates = await self._meeting_candidates(guild_id, text.strip())
        choices = []
        for candidate in rank_names(text, candidates, AUTOCOMPLETE_LIMIT):
            when = candidate.detail.replace(", cancelled", " (cancelled)")
            suffix = f" · {when}"
            title = candidate.name
            name = title if len(title) + len(suffix) <= 100 else title[: 99 - len(suffix)] + "…"
            choices.append(MeetingChoice(name=name + suffix, value=candidate.key))
        return choices

    async def meeting_ics(self, guild_id: int, meeting_id: int) -> bytes:
        view = await self.view(guild_id, meeting_id)
        return ics.meeting_ics(view.meeting, view.sessions, view.exceptions)

    async def calendar_ics(
        self,
        guild_id: int,
        cluster_id: int | None = None,
        initiative_id: int | None = None,
        name: str = "Agora meetings",
    ) -> bytes:
        """``/calendar ics``: upcoming meetings (optionally of one cluster or initiative)."""
        meetings = await self.store.meetings.list_meetings(
            guild_id, self.clock(), True, cluster_id, initiative_id, limit=500
        )
        entries = []
        for meeting in meetings:
            sessions = await self.store.meetings.sessions(guild_id, meeting.id)
            exceptions = await self.store.meetings.exceptions(guild_id, meeting.id)
            entries.append(ics.CalendarEntry(meeting, tuple(sessions), tuple(exceptions)))
        return ics.calendar_ics(entries, name)


def _title(text: str) -> str:
    title = " ".join(clean_text(text).split())
    if not title:
        raise InvalidInput("Give the meeting a title.")
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"The title is {len(title)} characters; keep it to {MAX_TITLE}.")
    return title


def _description(text: str) -> str:
    description = text.strip()
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"The description is {len(description)} characters; keep it to {MAX_DESCRIPTION} "
            "(Discord's limit for events) and link to a document for more."
        )
    return description


def _cap(cap: int | None) -> int | None:
    if cap is not None and not 1 <= cap <= 100_000:
        raise InvalidInput("The attendee cap must be a whole number of at least 1.")
    return cap


def _location(location: Location) -> Location:
    cleaned = replace(
        location,
        name=location.name.strip(),
        address=location.address.strip(),
        url=location.url.strip(),
    )
    if cleaned.kind == "venue" and not cleaned.name:
        raise InvalidInput("Name the venue (e.g. Hotel Metropole) or choose another location.")
    if cleaned.kind == "online" and not _URL.match(cleaned.url):
        raise InvalidInput("The online link must start with https:// (or http://).")
    if cleaned.kind == "channel" and not cleaned.channel_id:
        raise InvalidInput("Pick the voice or stage channel the meeting happens in.")
    if len(cleaned.describe()) > MAX_LOCATION:
        raise InvalidInput(
            f"The location is {len(cleaned.describe())} characters; keep it to {MAX_LOCATION}."
        )
    return cleaned


def _scope(scope: Scope) -> Scope:
    return Scope(
        cluster_ids=tuple(sorted(set(scope.cluster_ids))),
        initiative_ids=tuple(sorted(set(scope.initiative_ids))),
    )


def _upcoming_or_past(when: str) -> tuple[bool, bool]:
    """``/meeting list``'s "upcoming" or "past" as (upcoming, include_cancelled): past
    meetings are listed with the cancelled ones, upcoming ones without."""
    if when not in ("upcoming", "past"):
        raise InvalidInput("Choose upcoming or past.")
    return when == "upcoming", when == "past"

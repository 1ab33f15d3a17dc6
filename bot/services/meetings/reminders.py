"""Reminder planning: which reminder rows a meeting should have, and when they fire.

Every reminder is a row (see ``bot.storage.meetings.reminders``). ``sync_meeting``
reconciles a meeting's live rows with what its current times, offsets,
sessions and occurrences call for: new ones are added, moved ones re-timed,
obsolete ones cancelled. It is idempotent, so it is simply called after every
change to a meeting. Listeners (the scheduler) are told the earliest fire time
that changed so they can wake early.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from bot.errors import InvalidInput
from bot.services.common.clock import Clock
from bot.services.common.durations import format_duration, parse_duration
from bot.services.meetings import recurrence
from bot.storage.fleet import EVERYTHING, ShardScope
from bot.storage.meetings.models import Meeting, NewReminder, Reminder, Session
from bot.storage.store import Store

log = logging.getLogger(__name__)

WakeListener = Callable[[datetime], None]
# Told (guild id, meeting id) after a meeting's reminders were planned again: the meeting
# was created, changed, cancelled, or its programme changed.
MeetingListener = Callable[[int, int], Awaitable[None]]
Verdict = Literal["sent", "late_sent", "skipped"]

MAX_OFFSETS = 6
MAX_OFFSET_SECONDS = 28 * 86400


@dataclass(frozen=True)
class PlanResult:
    created: int
    retimed: int
    cancelled: int


@dataclass(frozen=True)
class GuildOffsets:
    """A server's reminder times for meetings without their own; ``is_default`` when the
    server set none (the configured default applies)."""

    offsets: tuple[int, ...]
    is_default: bool


@dataclass(frozen=True)
class ScheduledReminders:
    """A meeting's reminders as stored: what the replies about it report."""

    offsets: tuple[int, ...]  # its reminder times: its own, else the server's
    pending: tuple[Reminder, ...]  # stored and still to be sent, soonest first
    recurring: bool
    horizon_days: int  # a repeating meeting's dates get their reminders this far ahead

    @property
    def meeting_reminders(self) -> tuple[Reminder, ...]:
        return tuple(r for r in self.pending if r.kind == "meeting")

    @property
    def session_reminders(self) -> tuple[Reminder, ...]:
        return tuple(r for r in self.pending if r.kind == "session")


@dataclass(frozen=True)
class CancelOutcome:
    cancelled_reminders: int
    notice: Reminder | None  # the one cancellation notice, None if the meeting already began


@dataclass(frozen=True)
class ReminderContext:
    """What a send callback needs besides the row: the meeting, the session (for
    session reminders) and the opted-in users to DM.
    """

    reminder: Reminder
    meeting: Meeting
    session: Session | None
    dm_user_ids: tuple[int, ...]


def parse_offsets(texts: Sequence[str]) -> tuple[int, ...]:
    """Offsets as typed ("1d", "1h", "0s", "15m"), checked, largest first, no repeats."""
    seconds: set[int] = set()
    for text in texts:
        try:
            value = parse_duration(text)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        if value > MAX_OFFSET_SECONDS:
            raise InvalidInput(f"{text!r} is too early; reminders go at most 28 days ahead.")
        seconds.add(value)
    if not seconds:
        raise InvalidInput('Give at least one offset, like "1d", "1h" or "0s" (at the start).')
    if len(seconds) > MAX_OFFSETS:
        raise InvalidInput(f"At most {MAX_OFFSETS} reminders per meeting.")
    return tuple(sorted(seconds, reverse=True))


def describe_offsets(offsets: Sequence[int]) -> str:
    return ", ".join("at start" if o == 0 else f"{format_duration(o)} before" for o in offsets)


class ReminderService:
    """Plans reminder rows; the scheduler fires them.

    ``late_after_seconds``: a reminder dispatched more than this after its due
    time counts as late: sent (state late_sent) if what it announces has not
    started, skipped otherwise.
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        default_offsets: Sequence[int],
        session_offsets: Sequence[int] = (600,),
        horizon: timedelta = timedelta(days=8),
        late_after_seconds: int = 60,
        scope: ShardScope = EVERYTHING,
    ) -> None:
        self.store = store
        self.clock = clock
        # The guilds whose series ``refresh_recurring`` extends: this process's shards.
        self.scope = scope
        self.default_offsets = tuple(default_offsets)
        self.session_offsets = tuple(session_offsets)
        self.horizon = horizon
        self.late_after = timedelta(seconds=late_after_seconds)
        self._listeners: list[WakeListener] = []
        self._meeting_listeners: list[MeetingListener] = []

    def subscribe(self, listener: WakeListener) -> None:
        """Call ``listener(fire_at)`` whenever a reminder is added or moved."""
        self._listeners.append(listener)

    def subscribe_meetings(self, listener: MeetingListener) -> None:
        """Await ``listener(guild_id, meeting_id)`` after every re-planning of a meeting
        (other areas' timers that follow a meeting's times: outcome threads, summaries)."""
        self._meeting_listeners.append(listener)

    async def _meeting_planned(self, guild_id: int, meeting_id: int) -> None:
        for listener in self._meeting_listeners:
            try:
                await listener(guild_id, meeting_id)
            except Exception:  # another area's timers must not undo a meeting's change
                log.exception("planning after meeting %s changed failed", meeting_id)

    def _notify(self, moments: Sequence[datetime]) -> None:
        if moments:
            earliest = min(moments)
            for listener in self._listeners:
                listener(earliest)

    # -- settings -----------------------------------------------------------

    async def offsets_for(self, meeting: Meeting) -> tuple[int, ...]:
        """The meeting's own offsets, else the guild's, else the configured default."""
        if meeting.reminder_offsets is not None:
            return meeting.reminder_offsets
        guild = (await self.store.guilds.get(meeting.guild_id)).reminder_offsets
        return guild if guild is not None else self.default_offsets

    async def guild_offsets(self, guild_id: int) -> GuildOffsets:
        """The server's reminder times, read only."""
        chosen = (await self.store.guilds.get(guild_id)).reminder_offsets
        if chosen is None:
            return GuildOffsets(self.default_offsets, True)
        return GuildOffsets(chosen, False)

    async def set_guild_offsets(
        self, guild_id: int, texts: Sequence[str] | None
    ) -> tuple[int, ...]:
        """Set (or with None reset) the guild's default offsets; re-plans live meetings."""
        offsets = None if texts is None else parse_offsets(texts)
        settings = await self.store.guilds.get(guild_id)
        await self.store.guilds.save(replace(settings, reminder_offsets=offsets), self.clock())
        for meeting_id in await self.store.meetings.live_meeting_ids(guild_id, self.clock()):
            await self.sync_meeting(guild_id, meeting_id)
        return offsets if offsets is not None else self.default_offsets

    async def scheduled(self, guild_id: int, meeting_id: int) -> ScheduledReminders:
        """The meeting's reminders as stored now (read after a change, to report it)."""
        meeting = await self.store.meetings.get(guild_id, meeting_id)
        rows = await self.store.reminders.for_meeting(meeting_id, ("pending", "sending"))
        return ScheduledReminders(
            offsets=await self.offsets_for(meeting),
            pending=tuple(row for row in rows if row.kind != "cancellation"),
            recurring=meeting.recurrence is not None,
            horizon_days=self.horizon.days,
        )

    async def set_dm(self, guild_id: int, user_id: int, on: bool) -> bool:
        """``/remind dm on|off``: DM reminders for meetings the user answered Going/Maybe."""
        await self.store.reminders.set_dm_opt_in(guild_id, user_id, on, self.clock())
        return on

    # -- planning -----------------------------------------------------------

    async def desired(self, meeting: Meeting, now: datetime) -> list[NewReminder]:
        """Every reminder the meeting calls for right now (due in past or future)."""
        if meeting.is_cancelled:
            return []
        offsets = await self.offsets_for(meeting)
        wanted: list[NewReminder] = []
        if meeting.recurrence is None:
            occurrences = [(0, meeting.starts_at)]
        else:
            exceptions = await self.store.meetings.exceptions(meeting.guild_id, meeting.id)
            reach = now + self.horizon + timedelta(seconds=max(offsets, default=0))
            occurrences = [
                (int(o.original_start.timestamp()), o.starts_at)
                for o in recurrence.expand(meeting.recurrence, exceptions, now, reach)
            ]
        for key, start in occurrences:
            for offset in offsets:
                wanted.append(
                    NewReminder(
                        guild_id=meeting.guild_id,
                        meeting_id=meeting.id,
                        session_id=None,
                        kind="meeting",
                        slot=f"m:{key}:{offset}",
                        offset_seconds=offset,
                        occurrence_start=start,
                        due_at=start - timedelta(seconds=offset),
                        target_kind="meeting",
                        target_id=None,
                    )
                )
        if meeting.recurrence is None:
            # Session reminders go to the session's cluster or initiative; a
            # session for everyone is covered by the meeting's own reminders.
            for session in await self.store.meetings.sessions(meeting.guild_id, meeting.id):
                if session.cluster_id is None and session.initiative_id is None:
                    continue
                for offset in self.session_offsets:
                    wanted.append(
                        NewReminder(
                            guild_id=meeting.guild_id,
                            meeting_id=meeting.id,
                            session_id=session.id,
                            kind="session",
                            slot=f"s{session.id}:{offset}",
                            offset_seconds=offset,
                            occurrence_start=session.starts_at,
                            due_at=session.starts_at - timedelta(seconds=offset),
                            target_kind="cluster" if session.cluster_id else "initiative",
                            target_id=session.cluster_id or session.initiative_id,
                        )
                    )
        return wanted

    async def sync_meeting(self, guild_id: int, meeting_id: int) -> PlanResult:
        """Reconcile the meeting's live reminders with its current state.

        - a live row whose slot is still wanted is re-timed if its due time moved,
          or cancelled if the new due time is already past (a "1 day before"
          reminder for a meeting moved to this afternoon is obsolete);
        - a wanted slot without a live row is created if due in the future and
          not already delivered for that same due time;
        - a live row whose slot is no longer wanted is cancelled.
        Cancellation notices are never touched here.
        """
        now = self.clock()
        meeting = await self.store.meetings.get(guild_id, meeting_id)
        wanted = {new.slot: new for new in await self.desired(meeting, now)}
        rows = await self.store.reminders.for_meeting(meeting_id)
        live = {
            row.slot: row for row in rows if row.state == "pending" and row.kind != "cancellation"
        }
        delivered = {(row.slot, row.due_at) for row in rows if row.state in ("sent", "late_sent")}
        in_flight = {row.slot for row in rows if row.state == "sending"}
        create: list[NewReminder] = []
        retime: list[tuple[int, datetime, datetime]] = []
        cancel: list[int] = []
        for slot, new in wanted.items():
            row = live.get(slot)
            if row is not None:
                if (row.due_at, row.occurrence_start) == (new.due_at, new.occurrence_start):
                    continue
                if new.due_at > now:
                    retime.append((row.id, new.due_at, new.occurrence_start))
                else:
                    cancel.append(row.id)
            elif new.due_at > now and (slot, new.due_at) not in delivered and slot not in in_flight:
                create.append(new)
        cancel += [row.id for slot, row in live.items() if slot not in wanted]
        await self.store.reminders.apply_plan(create, retime, cancel, now)
        self._notify([new.due_at for new in create] + [due for _, due, _ in retime])
        await self._meeting_planned(guild_id, meeting_id)
        return PlanResult(created=len(create), retimed=len(retime), cancelled=len(cancel))

    async def cancel_meeting(
        self, guild_id: int, meeting_id: int, occurrence_start: datetime | None = None
    ) -> CancelOutcome:
        """Cancel pending reminders and add one cancellation notice, due now.

        For one occurrence of a series, pass its rule start: only that
        occurrence's reminders are cancelled (by re-planning) and the notice
        names it. No notice once the meeting (occurrence) has started.
        """
        now = self.clock()
        meeting = await self.store.meetings.get(guild_id, meeting_id)
        if occurrence_start is None:
            cancelled = await self.store.reminders.cancel_live(meeting_id, now)
            start, key = meeting.starts_at, 0
            if meeting.recurrence is not None:
                upcoming = await self._next_start(meeting, now)
                start = upcoming if upcoming is not None else meeting.starts_at
        else:
            cancelled = (await self.sync_meeting(guild_id, meeting_id)).cancelled
            start, key = occurrence_start, int(occurrence_start.timestamp())
        if occurrence_start is None:
            await self._meeting_planned(guild_id, meeting_id)
        if start <= now:
            return CancelOutcome(cancelled, None)
        notice = NewReminder(
            guild_id=guild_id,
            meeting_id=meeting_id,
            session_id=None,
            kind="cancellation",
            slot=f"c:{key}",
            offset_seconds=0,
            occurrence_start=start,
            due_at=now,
            target_kind="meeting",
            target_id=None,
        )
        created = await self.store.reminders.apply_plan([notice], [], [], now)
        self._notify([now])
        row = await self.store.reminders.get(created[0]) if created else None
        return CancelOutcome(cancelled, row)

    async def _next_start(self, meeting: Meeting, now: datetime) -> datetime | None:
        assert meeting.recurrence is not None
        exceptions = await self.store.meetings.exceptions(meeting.guild_id, meeting.id)
        found = recurrence.next_occurrences(meeting.recurrence, exceptions, now, 1)
        return found[0].starts_at if found else None

    async def refresh_recurring(self) -> int:
        """Extend every series' reminders to the horizon (run daily and at start): the
        series of ``scope``'s guilds, those this process serves."""
        created = 0
        for guild_id, meeting_id in await self.store.meetings.recurring_meeting_ids(self.scope):
            created += (await self.sync_meeting(guild_id, meeting_id)).created
        return created

    # -- firing -------------------------------------------------------------

    def verdict(self, reminder: Reminder, now: datetime) -> Verdict:
        """What to do with a reminder that has come due at ``now``."""
        if now - reminder.due_at <= self.late_after:
            return "sent"
        return "late_sent" if now < reminder.occurrence_start else "skipped"

    async def context(self, reminder: Reminder) -> ReminderContext:
        """The meeting, session and DM recipients a send callback renders from."""
        meeting = await self.store.meetings.get(reminder.guild_id, reminder.meeting_id)
        session = None
        if reminder.session_id is not None:
            sessions = await self.store.meetings.sessions(reminder.guild_id, reminder.meeting_id)
            session = next((s for s in sessions if s.id == reminder.session_id), None)
        recipients: tuple[int, ...] = ()
        if reminder.kind != "session":
            opted_in = await self.store.reminders.dm_recipients(
                reminder.guild_id, reminder.meeting_id
            )
            # A general "no DMs" (core's opt-out) wins over the reminder opt-in.
            blocked = await self.store.guilds.opted_out_users(reminder.guild_id, "reminders")
            recipients = tuple(user for user in opted_in if user not in blocked)
        return ReminderContext(reminder, meeting, session, recipients)

    async def upcoming_for_meeting(self, guild_id: int, meeting_id: int) -> list[Reminder]:
        await self.store.meetings.get(guild_id, meeting_id)  # NotFound for another guild's
        return await self.store.reminders.for_meeting(meeting_id, ("pending", "sending"))

"""Outcomes of meetings: recording decisions, actions, links and notes, listing them, and
closing actions.

Who may do what:
* record an outcome: anyone for a meeting as a whole or a session open to all; for a
  session of an initiative, its members and leads, the meeting's organiser, organisers
  and admins;
* mark an action done: its owner, leads of its initiative (the session's, or one the
  meeting was held for), the meeting's organiser, organisers and admins;
* read: everyone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.services.common import timeparse
from bot.services.common.clock import Clock, utc_now
from bot.services.common.ids import plain_id
from bot.services.common.links import escape_markdown
from bot.services.common.names import clean_text
from bot.services.common.permissions import Actor
from bot.services.common.timephrases import DEFAULT_CLOCK
from bot.services.directory.resources import url_problem
from bot.services.directory.service import DirectoryService
from bot.services.meetings.programme import session_name
from bot.services.outcomes.timers import OutcomeTimerService
from bot.storage.directory.models import Initiative
from bot.storage.meetings.models import Meeting, Session
from bot.storage.outcomes.models import (
    OUTCOME_KINDS,
    NewOutcome,
    Outcome,
    OutcomeKind,
    OutcomeThread,
    OutcomeTimer,
    UserOutcomeRecord,
)
from bot.storage.store import Store

MAX_TEXT = 1000
MAX_URL = 500
MAX_DUE_AHEAD = timedelta(days=3660)
KIND_LABELS: dict[OutcomeKind, str] = {
    "decision": "Decision",
    "action": "Action",
    "link": "Link",
    "note": "Note",
}


@dataclass(frozen=True)
class OutcomeTarget:
    """What ``/outcome add`` was given, checked: where the outcome goes and, for an
    action, its owner and due moment (the due date is its local day)."""

    meeting: Meeting
    session: Session | None
    owner_id: int | None
    due_at: datetime | None
    notes: tuple[str, ...] = ()

    @property
    def due_date(self) -> date | None:
        if self.due_at is None:
            return None
        return self.due_at.astimezone(timeparse.resolve_zone(self.meeting.timezone)).date()


@dataclass(frozen=True)
class Recorded:
    outcome: Outcome
    meeting: Meeting
    session: Session | None
    reminders: int
    notes: tuple[str, ...]


@dataclass(frozen=True)
class MeetingOutcomes:
    """A meeting with its programme, outcomes and outcome threads (for lists, summaries)."""

    meeting: Meeting
    sessions: tuple[Session, ...]
    outcomes: tuple[Outcome, ...]
    threads: tuple[OutcomeThread, ...]
    initiative_names: Mapping[int, str]
    cluster_names: Mapping[int, str]

    def of_session(self, session_id: int | None) -> list[Outcome]:
        return [o for o in self.outcomes if o.session_id == session_id]


@dataclass(frozen=True)
class ActionView:
    """An action with what its lines show: the meeting, and the session if any."""

    action: Outcome
    meeting_title: str
    session_title: str | None
    overdue: bool


@dataclass(frozen=True)
class ThreadTarget:
    """An outcomes thread to open: the meeting's (``session`` None, in the announcement
    channel) or a session's, in its cluster's or initiative's channel."""

    session: Session | None
    channel_id: int | None

    @property
    def key(self) -> int:
        return 0 if self.session is None else self.session.id


@dataclass(frozen=True)
class ThreadPlan:
    meeting: Meeting
    targets: tuple[ThreadTarget, ...]  # those not opened yet


@dataclass(frozen=True)
class ActionReminder:
    action: Outcome
    owner_id: int
    meeting_title: str


def parse_kind(text: str) -> OutcomeKind:
    key = text.strip().casefold()
    for kind in OUTCOME_KINDS:
        if key in (kind, KIND_LABELS[kind].casefold()):
            return kind
    raise InvalidInput(
        f"Unknown kind {text.strip()[:40]!r}: choose decision, action, link or note."
    )


def is_overdue(action: Outcome, now: datetime) -> bool:
    """Open and its due date is over (in the zone it was given in)."""
    if action.is_done or action.due_date is None:
        return False
    zone = timeparse.resolve_zone(action.timezone or "UTC")
    return now.astimezone(zone).date() > action.due_date


def _one_line(text: str) -> str:
    return " ".join(text.split())


class OutcomeService:
    def __init__(
        self,
        store: Store,
        directory: DirectoryService,
        timers: OutcomeTimerService,
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        self.directory = directory
        self.timers = timers
        self.clock = clock

    # -- recording ------------------------------------------------------------

    async def target(
        self,
        guild_id: int,
        actor: Actor,
        meeting_id: int,
        session_text: str | None,
        owner_id: int | None,
        due_text: str | None,
    ) -> OutcomeTarget:
        """Check what ``/outcome add`` was given before its form opens."""
        meeting, session = await self._where(guild_id, actor, meeting_id, session_text)
        notes: tuple[str, ...] = ()
        due_at: datetime | None = None
        if due_text is not None and due_text.strip():
            due_at, notes = self._due(due_text, meeting)
        return OutcomeTarget(meeting, session, owner_id, due_at, notes)

    async def target_again(
        self,
        guild_id: int,
        actor: Actor,
        meeting_id: int,
        session_id: int | None,
        owner_id: int | None,
        due_at: datetime | None,
    ) -> OutcomeTarget:
        """The same checks again when the form comes back (its custom_id carries the rest;
        a modified client can send any)."""
        meeting, session = await self._where(
            guild_id, actor, meeting_id, None if session_id is None else str(session_id)
        )
        if due_at is not None:
            self._check_due(due_at, meeting)
        return OutcomeTarget(meeting, session, owner_id, due_at)

    async def _where(
        self, guild_id: int, actor: Actor, meeting_id: int, session_text: str | None
    ) -> tuple[Meeting, Session | None]:
        meeting = await self.store.meetings.get(guild_id, meeting_id)
        if meeting.is_cancelled:
            raise Conflict(f"“{meeting.title}” was cancelled, so it has no outcomes to record.")
        session = None
        if session_text is not None and session_text.strip():
            sessions = await self.store.meetings.sessions(guild_id, meeting_id)
            session = find_session(meeting, sessions, session_text)
        if session is not None and session.initiative_id is not None:
            allowed = (
                actor.is_staff
                or actor.user_id == meeting.organiser_id
                or session.initiative_id in actor.member_of
            )
            if not allowed:
                name = (await self._initiative_names(guild_id)).get(
                    session.initiative_id, "its initiative"
                )
                raise PermissionDenied(
                    f"Only members of {name} and organisers can record outcomes of this"
                    f" session. Join it with /initiative join, or record the outcome for the"
                    f" meeting as a whole (leave `session` out)."
                )
        return meeting, session

    def _due(self, text: str, meeting: Meeting) -> tuple[datetime, tuple[str, ...]]:
        now = self.clock()
        read = timeparse.parse_day_or_time(text, meeting.timezone, now)
        notes: tuple[str, ...] = ()
        if isinstance(read, date):
            zone = timeparse.resolve_zone(meeting.timezone)
            local, _ = timeparse.localize(
                datetime.combine(read, DEFAULT_CLOCK), zone, meeting.timezone
            )
            due_at = local.astimezone(now.tzinfo)
        else:
            due_at, notes = read.utc, read.notes
        self._check_due(due_at, meeting)
        return due_at, notes

    def _check_due(self, due_at: datetime, meeting: Meeting) -> None:
        now = self.clock()
        zone = timeparse.resolve_zone(meeting.timezone)
        if due_at.astimezone(zone).date() < now.astimezone(zone).date():
            raise InvalidInput(
                f"The due date ({timeparse.local_text(due_at, meeting.timezone)}) is in the"
                " past; give today or a later date, like `due: friday` or `due: 30 June`."
            )
        if due_at - now > MAX_DUE_AHEAD:
            raise InvalidInput("Give a due date within ten years.")

    async def record(
        self,
        guild_id: int,
        actor: Actor,
        target: OutcomeTarget,
        kind_text: str,
        text: str,
        url: str = "",
    ) -> Recorded:
        """Store what the form says; an action gets its owner's reminders."""
        kind = parse_kind(kind_text)
        cleaned = clean_text(text).strip()
        if not cleaned:
            raise InvalidInput("The outcome's text is empty: write what was decided or done.")
        if len(cleaned) > MAX_TEXT:
            raise InvalidInput(f"Keep the text to {MAX_TEXT:,} characters.")
        link = url.strip()
        if kind == "link" and not link:
            raise InvalidInput(
                "A link needs its address in the Link field (https://…). Your text, to paste"
                f" again: {cleaned[:300]}"
            )
        if link:
            problem = url_problem(link) or (
                f"the link is longer than {MAX_URL} characters" if len(link) > MAX_URL else None
            )
            if problem:
                raise InvalidInput(
                    f"The Link field: {problem}. Your text, to paste again: {cleaned[:300]}"
                )
        notes = list(target.notes)
        owner_id = target.owner_id
        due_at = target.due_at
        if kind == "action":
            if owner_id is None:
                owner_id = actor.user_id
                notes.append("You own this action: give `owner:` to name someone else.")
            if due_at is None:
                notes.append("It has no due date, so no reminders: give `due:` when you add one.")
        elif owner_id is not None or due_at is not None:
            notes.append(f"`owner` and `due` are for actions; this {kind} has neither.")
            owner_id, due_at = None, None
        due_date = None
        if due_at is not None:
            due_date = due_at.astimezone(timeparse.resolve_zone(target.meeting.timezone)).date()
        outcome_id = await self.store.outcomes.add(
            NewOutcome(
                guild_id=guild_id,
                meeting_id=target.meeting.id,
                session_id=None if target.session is None else target.session.id,
                kind=kind,
                text=cleaned,
                url=link,
                added_by=actor.user_id,
                owner_id=owner_id,
                due_at=due_at,
                due_date=due_date,
                timezone=target.meeting.timezone,
            ),
            self.clock(),
        )
        outcome = await self.store.outcomes.get(guild_id, outcome_id)
        reminders = await self.timers.plan_action(outcome) if outcome.is_action else 0
        return Recorded(outcome, target.meeting, target.session, reminders, tuple(notes))

    # -- reading --------------------------------------------------------------

    async def meeting_outcomes(self, guild_id: int, meeting_id: int) -> MeetingOutcomes:
        meeting = await self.store.meetings.get(guild_id, meeting_id)
        clusters, initiatives = await self.directory.by_id(guild_id)
        return MeetingOutcomes(
            meeting=meeting,
            sessions=tuple(await self.store.meetings.sessions(guild_id, meeting_id)),
            outcomes=tuple(await self.store.outcomes.for_meeting(guild_id, meeting_id)),
            threads=tuple(await self.store.outcomes.threads(guild_id, meeting_id)),
            initiative_names={i: initiative.name for i, initiative in initiatives.items()},
            cluster_names={c: cluster.name for c, cluster in clusters.items()},
        )

    async def _initiative_names(self, guild_id: int) -> dict[int, str]:
        _, initiatives = await self.directory.by_id(guild_id)
        return {i: initiative.name for i, initiative in initiatives.items()}

    async def actions(
        self,
        guild_id: int,
        *,
        owner_id: int | None = None,
        initiative_id: int | None = None,
        meeting_id: int | None = None,
    ) -> list[ActionView]:
        """Open actions, soonest due first; of one owner, initiative or meeting."""
        if meeting_id is not None:
            await self.store.meetings.get(guild_id, meeting_id)
        found = await self.store.outcomes.actions(
            guild_id, owner_id=owner_id, meeting_id=meeting_id, initiative_id=initiative_id
        )
        return await self._views(guild_id, found)

    async def _views(self, guild_id: int, actions: Sequence[Outcome]) -> list[ActionView]:
        now = self.clock()
        meeting_ids = sorted({a.meeting_id for a in actions})
        meetings = {m.id: m for m in await self.store.meetings.get_many(guild_id, meeting_ids)}
        sessions: dict[int, Session] = {}
        for meeting_id in {a.meeting_id for a in actions if a.session_id is not None}:
            for one in await self.store.meetings.sessions(guild_id, meeting_id):
                sessions[one.id] = one
        views = []
        for action in actions:
            meeting = meetings.get(action.meeting_id)
            session = sessions.get(action.session_id) if action.session_id else None
            views.append(
                ActionView(
                    action=action,
                    meeting_title=meeting.title if meeting else f"meeting #{action.meeting_id}",
                    session_title=None if session is None else session_name(session),
                    overdue=is_overdue(action, now),
                )
            )
        return views

    async def find_action(self, guild_id: int, text: str) -> Outcome:
        """The action ``text`` names: its number (what autocomplete sends), or a unique
        part of the text of an open one."""
        number = plain_id(text)
        if number is not None:
            found = await self.store.outcomes.get(guild_id, number)
            if not found.is_action:
                raise InvalidInput(
                    f"#{number} is a {found.kind}, not an action; /action list shows the"
                    " actions and their numbers."
                )
            return found
        wanted = _one_line(text).casefold()
        if not wanted:
            raise InvalidInput("Name the action by its number, like `12` (see /action list).")
        matches = [
            a
            for a in await self.store.outcomes.actions(guild_id)
            if wanted in _one_line(a.text).casefold()
        ]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise NotFound(
                f"No open action says “{text.strip()[:80]}”; /action list shows them with"
                " their numbers."
            )
        numbers = ", ".join(f"#{a.id}" for a in matches[:10])
        raise InvalidInput(
            f"Several open actions say “{text.strip()[:80]}” ({numbers}); give the number."
        )

    async def mark_done(self, guild_id: int, actor: Actor, action_text: str) -> Outcome:
        """Close an action: its owner, its initiative's leads, the meeting's organiser,
        organisers and admins. Its reminders still to come are cancelled."""
        action = await self.find_action(guild_id, action_text)
        meeting = await self.store.meetings.get(guild_id, action.meeting_id)
        if not await self.can_close(guild_id, actor, action, meeting):
            raise PermissionDenied(
                f"Only the owner of action #{action.id}, leads of its initiative and"
                " organisers can mark it done."
            )
        if action.done_at is not None:
            raise Conflict(
                f"Action #{action.id} was already marked done"
                f" {timeparse.discord_timestamp(action.done_at, 'D')}."
            )
        await self.store.outcomes.mark_done(guild_id, action.id, actor.user_id, self.clock())
        return await self.store.outcomes.get(guild_id, action.id)

    async def can_close(
        self, guild_id: int, actor: Actor, action: Outcome, meeting: Meeting
    ) -> bool:
        if actor.is_staff or actor.user_id in (action.owner_id, meeting.organiser_id):
            return True
        initiatives = set(meeting.scope.initiative_ids)
        if action.session_id is not None:
            sessions = await self.store.meetings.sessions(guild_id, meeting.id)
            session = next((s for s in sessions if s.id == action.session_id), None)
            if session is not None and session.initiative_id is not None:
                initiatives = {session.initiative_id}
        return bool(initiatives & actor.lead_of)

    async def action_choices(
        self, guild_id: int, user_id: int, text: str, limit: int = 25
    ) -> list[tuple[str, int]]:
        """Autocomplete for an action: (label, number) of open actions matching ``text``,
        the user's own first."""
        wanted = _one_line(text).lstrip("#").casefold()
        actions = await self.store.outcomes.actions(guild_id)
        matching = [
            a
            for a in actions
            if not wanted or wanted in str(a.id) or wanted in _one_line(a.text).casefold()
        ]
        matching.sort(key=lambda a: (a.owner_id != user_id, a.due_at is None, a.id))
        choices = []
        for action in matching[:limit]:
            due = "" if action.due_date is None else f" (due {action.due_date:%d %b %Y})"
            label = f"#{action.id} {_one_line(action.text)}"
            room = 100 - len(due)
            label = label if len(label) <= room else label[: room - 1] + "…"
            choices.append((label + due, action.id))
        return choices

    # -- what the timers send ---------------------------------------------------

    async def thread_targets(self, guild_id: int, meeting_id: int) -> ThreadPlan:
        """Where the meeting's outcome threads go: one for the meeting (in the
        announcement channel) and one per session of a cluster or initiative, in its
        channel (a session whose cluster or initiative has no channel gets none)."""
        meeting = await self.store.meetings.get(guild_id, meeting_id)
        sessions = await self.store.meetings.sessions(guild_id, meeting_id)
        clusters, initiatives = await self.directory.by_id(guild_id)
        targets = [ThreadTarget(None, None)]
        for session in sessions:
            channel_id: int | None = None
            if session.initiative_id is not None:
                initiative = initiatives.get(session.initiative_id)
                channel_id = None if initiative is None else initiative.channel_id
            elif session.cluster_id is not None:
                cluster = clusters.get(session.cluster_id)
                channel_id = None if cluster is None else cluster.channel_id
            else:
                continue
            if channel_id is not None:
                targets.append(ThreadTarget(session, channel_id))
        opened = {t.session_id for t in await self.store.outcomes.threads(guild_id, meeting_id)}
        return ThreadPlan(meeting, tuple(t for t in targets if t.key not in opened))

    async def thread_opened(
        self, guild_id: int, meeting_id: int, target: ThreadTarget, channel_id: int, thread_id: int
    ) -> None:
        await self.store.outcomes.add_thread(
            guild_id, OutcomeThread(meeting_id, target.key, channel_id, thread_id), self.clock()
        )

    async def owner_to_remind(self, timer: OutcomeTimer) -> ActionReminder | None:
        """The action and its owner, when the owner is to get this reminder by DM: the
        action is still open and the owner asked for reminders by DM (``/remind dm on``)
        and did not turn reminder DMs off."""
        if timer.outcome_id is None:
            return None
        try:
            action = await self.store.outcomes.get(timer.guild_id, timer.outcome_id)
        except NotFound:
            return None
        owner = action.owner_id
        if owner is None or action.is_done or action.due_at is None:
            return None
        if not await self.store.reminders.dm_opted_in(timer.guild_id, owner):
            return None
        if owner in await self.store.guilds.opted_out_users(timer.guild_id, "reminders"):
            return None
        meeting = await self.store.meetings.get(timer.guild_id, action.meeting_id)
        return ActionReminder(action, owner, meeting.title)

    # -- the digest -------------------------------------------------------------

    async def overdue_for_cluster(self, guild_id: int, cluster_id: int, now: datetime) -> list[str]:
        """Lines for the cluster's weekly digest: its open actions whose due date is over.

        An action belongs to the cluster of its session (the session's cluster, or its
        initiative's), else to those the meeting was held for.
        """
        candidates = [
            a
            for a in await self.store.outcomes.open_actions_due_before(guild_id, now)
            if is_overdue(a, now)
        ]
        if not candidates:
            return []
        _, initiatives = await self.directory.by_id(guild_id)
        views = await self._views(guild_id, candidates)
        meetings = {
            m.id: m
            for m in await self.store.meetings.get_many(
                guild_id, sorted({a.meeting_id for a in candidates})
            )
        }
        lines = []
        for view in views:
            action = view.action
            meeting = meetings.get(action.meeting_id)
            if meeting is None:
                continue
            clusters = await self._clusters_of(guild_id, action, meeting, initiatives)
            if cluster_id not in clusters:
                continue
            owner = "no owner" if action.owner_id is None else f"<@{action.owner_id}>"
            due = timeparse.discord_timestamp(action.due_at or now, "D")
            # What people typed shows as written: no masked link or emphasis in the digest.
            lines.append(
                f"#{action.id} {escape_markdown(clip_line(action.text, 150))} — {owner},"
                f" due {due} ({escape_markdown(clip_line(view.meeting_title, 80))})"
            )
        return lines

    async def _clusters_of(
        self,
        guild_id: int,
        action: Outcome,
        meeting: Meeting,
        initiatives: Mapping[int, Initiative],
    ) -> set[int]:
        if action.session_id is not None:
            sessions = await self.store.meetings.sessions(guild_id, meeting.id)
            session = next((s for s in sessions if s.id == action.session_id), None)
            if session is not None and session.cluster_id is not None:
                return {session.cluster_id}
            if session is not None and session.initiative_id is not None:
                initiative = initiatives.get(session.initiative_id)
                return set() if initiative is None else {initiative.cluster_id}
        found = set(meeting.scope.cluster_ids)
        for initiative_id in meeting.scope.initiative_ids:
            initiative = initiatives.get(initiative_id)
            if initiative is not None:
                found.add(initiative.cluster_id)
        return found


async def describe_user(store: Store, guild_id: int, user_id: int) -> list[str]:
    """What the outcomes area holds naming the person, one line per fact (for
    ``/privacy show``; ``OutcomeRepository.forget_user`` erases it)."""
    record: UserOutcomeRecord = await store.outcomes.describe_user(guild_id, user_id)
    ids = sorted({o.meeting_id for o in (*record.added, *record.owned, *record.marked_done)})
    titles = {m.id: m.title for m in await store.meetings.get_many(guild_id, ids)}

    def title(outcome: Outcome) -> str:
        return titles.get(outcome.meeting_id, f"meeting #{outcome.meeting_id}")

    lines = [
        f"Recorded {outcome.kind} #{outcome.id} for “{title(outcome)}”:"
        f" “{clip_line(outcome.text, 80)}”"
        for outcome in record.added
    ]
    lines += [
        f"Owner of action #{outcome.id} “{clip_line(outcome.text, 80)}”"
        + ("" if outcome.due_date is None else f", due {outcome.due_date.isoformat()}")
        + (", done" if outcome.is_done else "")
        for outcome in record.owned
    ]
    lines += [f"Marked action #{outcome.id} done" for outcome in record.marked_done]
    return lines


def clip_line(text: str, limit: int) -> str:
    line = _one_line(text)
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def find_session(meeting: Meeting, sessions: Sequence[Session], text: str) -> Session:
    """A session of the meeting by number ("12", "#12": what autocomplete sends) or by a
    unique part of its title."""
    number = plain_id(text)
    if number is not None:
        for session in sessions:
            if session.id == number:
                return session
        raise NotFound(
            f"“{meeting.title}” has no session #{number}; /meeting info lists its programme."
        )
    wanted = _one_line(text).casefold()
    matches = [s for s in sessions if wanted in s.title.casefold()]
    exact = [s for s in matches if s.title.casefold() == wanted]
    if len(exact) == 1 or len(matches) == 1:
        return (exact or matches)[0]
    if not matches:
        raise NotFound(
            f"“{meeting.title}” has no session called “{text.strip()[:80]}”;"
            " /meeting info lists its programme."
        )
    numbers = ", ".join(f"#{s.id} {clip_line(s.title, 40)}" for s in matches[:5])
    raise InvalidInput(f"Several sessions match “{text.strip()[:80]}”: {numbers}. Pick one.")

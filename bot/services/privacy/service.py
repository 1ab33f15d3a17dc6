"""Members' data rights: ``/privacy show`` and ``/privacy forget`` across every area.

Each area erases what names the person and keeps anonymous counts: membership
history rows lose their user, documents and threads lose their author, RSVPs
become anonymous answers, a thread's message count stays while the rows saying
who posted go. The calls are listed explicitly, one per area that stores user
data, so adding an area means adding a line here (and the privacy test scans
every table to catch a forgotten one).

Forgetting also leaves a tombstone (``bot/storage/privacy/forgotten.py``: a keyed hash, never
the id) so that catch-ups after a restart or a reconnect, which re-read Discord, do not
record the person again; and it ends with a WAL checkpoint, so that with
``secure_delete`` on no copy of the id is left in the database file or its log.
Answers to meetings still open are withdrawn rather than anonymised: an answer given
again later is then counted once (see ``RsvpService.withdraw_open_answers``).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.common.clock import Clock, utc_now
from bot.services.common.permissions import Actor, require_admin
from bot.services.common.text import plural
from bot.services.common.timeparse import discord_timestamp
from bot.services.directory.memberships import MembershipService
from bot.services.discussions.activity import ActivityService
from bot.services.meetings.rsvp import RsvpResult, RsvpService
from bot.services.outcomes.service import describe_user as outcome_lines
from bot.storage.challenges.repository import ChallengeRepository
from bot.storage.directory.pitches import PitchRepository
from bot.storage.discussions.models import UserDiscussionRecord, to_epoch
from bot.storage.store import Store

# The event a forget dispatches with its ForgetResult when meeting answers were withdrawn.
ANSWERS_WITHDRAWN = "answers_withdrawn"


@dataclass(frozen=True)
class PrivacySection:
    area: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class PrivacyReport:
    """What Agora holds about one person on one server, area by area."""

    guild_id: int
    user_id: int
    sections: tuple[PrivacySection, ...]

    @property
    def is_empty(self) -> bool:
        return not any(section.lines for section in self.sections)


@dataclass(frozen=True)
class ForgetResult:
    guild_id: int
    user_id: int
    # Rows erased or anonymised per area (where the area reports it).
    erased: dict[str, int]
    # Initiative roles the person still holds in Discord; the cog removes them,
    # or the next role sync would make them a member again.
    role_ids_to_remove: tuple[int, ...]
    # Answers withdrawn from meetings still open: their announcements show new counts,
    # and whoever moved up from a waitlist is told.
    withdrawn_answers: tuple[RsvpResult, ...] = ()
    # Open polls the person's answers were withdrawn from: their messages show new tallies.
    withdrawn_poll_ids: tuple[int, ...] = ()

    @property
    def summary(self) -> str:
        return (
            f"Done: Agora no longer holds anything naming <@{self.user_id}> on this server."
            " Counts (members who joined, messages posted, RSVPs) stay, without a name."
        )


class PrivacyService:
    def __init__(
        self,
        store: Store,
        memberships: MembershipService,
        activity: ActivityService,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._memberships = memberships
        self._activity = activity
        self._clock = clock
        self._rsvp = RsvpService(store, clock)
        self._challenges = ChallengeRepository(store.db)
        self._pitches = PitchRepository(store.db)

    async def describe_user(self, guild_id: int, user_id: int, actor: Actor) -> PrivacyReport:
        """Everything held about ``user_id``; someone else's only for an admin."""
        _check_actor(actor, user_id, "see another member's data")
        # Pending participation is written first so the report is complete.
        await self._activity.flush()
        membership = await self._memberships.describe_user(guild_id, user_id)
        holds_any = membership.holds_any
        meetings = await self._meeting_lines(guild_id, user_id)
        reminders = await self._store.reminders.describe_user(guild_id, user_id)
        discussions = discussion_lines(
            await self._store.discussions.describe_user(guild_id, user_id)
        )
        return PrivacyReport(
            guild_id=guild_id,
            user_id=user_id,
            sections=(
                PrivacySection(
                    "Initiatives, documents and DMs",
                    tuple(membership.lines()) if holds_any else (),
                ),
                PrivacySection("Meetings", tuple(meetings)),
                PrivacySection(
                    "Reminders",
                    ("You asked for meeting reminders by DM.",) if reminders.dm_opted_in else (),
                ),
                PrivacySection("Discussions", tuple(discussions)),
                PrivacySection(
                    "Meeting outcomes and actions",
                    tuple(await outcome_lines(self._store, guild_id, user_id)),
                ),
                PrivacySection(
                    "Challenges and pitches", tuple(await self._challenge_lines(guild_id, user_id))
                ),
                PrivacySection("Polls", tuple(await self._poll_lines(guild_id, user_id))),
                PrivacySection("Web pages", tuple(await self._web_lines(guild_id, user_id))),
            ),
        )

    async def forget_user(self, guild_id: int, user_id: int, actor: Actor) -> ForgetResult:
        """Erase what names ``user_id`` in every area; someone else's only for an admin."""
        _check_actor(actor, user_id, "erase another member's data")
        # The tombstone first: should the erase stop half-way, no catch-up re-records.
        await self._store.forgotten.record(guild_id, user_id, to_epoch(self._clock()))
        # Participation still in memory would otherwise be written back after the erase.
        self._activity.discard_user(guild_id, user_id)
        memberships = await self._memberships.forget_user(guild_id, user_id)
        withdrawn = await self._rsvp.withdraw_open_answers(guild_id, user_id)
        await self._store.meetings.forget_user(guild_id, user_id)
        await self._store.meeting_drafts.forget_user(guild_id, user_id)
        await self._store.reminders.forget_user(guild_id, user_id)
        discussions = await self._store.discussions.forget_user(guild_id, user_id)
        # Outcomes keep their text; an action keeps its text but loses its owner.
        outcomes = await self._store.outcomes.forget_user(guild_id, user_id, self._clock())
        # Challenges and pitches keep their text for the workshops; only the author goes.
        challenges = await self._challenges.forget_author(guild_id, user_id)
        pitches = await self._pitches.forget_author(guild_id, user_id)
        polls = await self._store.polls.forget_user(guild_id, user_id)
        web_names = await self._store.web.forget_user(guild_id, user_id)
        # The write-ahead log still holds the pages as they were: fold it in and empty it.
        await self._store.db.checkpoint()
        return ForgetResult(
            guild_id=guild_id,
            user_id=user_id,
            erased={
                "memberships": memberships.memberships_anonymised,
                "documents and projects": memberships.resources_anonymised,
                "DM opt-outs": memberships.dm_opt_outs_deleted,
                "discussions": discussions,
                "meeting outcomes": outcomes,
                "challenges": challenges,
                "pitches": pitches,
                "poll answers": polls.anonymised,
                "web name agreements": web_names,
            },
            role_ids_to_remove=memberships.role_ids_to_remove,
            withdrawn_answers=tuple(withdrawn),
            withdrawn_poll_ids=polls.withdrawn_from,
        )

    async def _web_lines(self, guild_id: int, user_id: int) -> list[str]:
        since = await self._store.web.name_optin(guild_id, user_id)
        if since is None:
            return []
        return [
            f"You agreed on {since:%Y-%m-%d} to have your name shown on the public web pages"
            " (as a lead); /privacy web show-name off withdraws it."
        ]

    async def _meeting_lines(self, guild_id: int, user_id: int) -> list[str]:
        record = await self._store.meetings.describe_user(guild_id, user_id)
        ids = sorted({r.meeting_id for r in record.rsvps} | set(record.organised_meeting_ids))
        titles = {m.id: m.title for m in await self._store.meetings.get_many(guild_id, ids)}

        def title(meeting_id: int) -> str:
            return titles.get(meeting_id, f"meeting #{meeting_id}")

        lines = [f"Organiser of “{title(m)}”" for m in record.organised_meeting_ids]
        if await self._store.meeting_drafts.count_for_user(guild_id, user_id):
            lines.append("A /meeting create form you opened and have not sent yet")
        lines += [
            f"Answered “{rsvp.answer}” for “{title(rsvp.meeting_id)}”"
            f" on {rsvp.answered_at:%Y-%m-%d}"
            for rsvp in record.rsvps
        ]
        return lines

    async def _poll_lines(self, guild_id: int, user_id: int) -> list[str]:
        record = await self._store.polls.describe_user(guild_id, user_id)
        words = {"yes": "Yes", "maybe": "If need be", "no": "No"}
        lines = [f"Started the poll “{poll.title}”" for poll in record.organised]
        lines += [
            f"Answered “{words[answer.answer]}” to time {answer.position}"
            f" ({discord_timestamp(answer.starts_at, 'f')}) of the poll “{answer.title}”"
            f" on {answer.answered_at:%Y-%m-%d}"
            for answer in record.answers
        ]
        return lines

    async def _challenge_lines(self, guild_id: int, user_id: int) -> list[str]:
        lines = [
            f"Wrote the pitch of {name} (last on {pitch.set_at:%Y-%m-%d})"
            for pitch, name in await self._pitches.describe_user(guild_id, user_id)
        ]
        lines += [
            f"Added challenge #{challenge.id} “{challenge.title}” of {name}"
            f" on {challenge.added_at:%Y-%m-%d}"
            for challenge, name in await self._challenges.describe_user(guild_id, user_id)
        ]
        return lines


def _check_actor(actor: Actor, user_id: int, action: str) -> None:
    if actor.user_id != user_id:
        require_admin(actor, action)


def discussion_lines(record: UserDiscussionRecord) -> list[str]:
    """The discussions part of a privacy report, one line per fact."""
    lines = [
        f"Started discussion “{started.name}” on {started.created_at:%Y-%m-%d}"
        for started in record.authored
    ]
    lines += [
        f"Took part in “{posted.name}”: {plural(posted.message_count, 'message')} counted,"
        f" {posted.first_at:%Y-%m-%d} to {posted.last_at:%Y-%m-%d}"
        for posted in record.posted
    ]
    return lines

"""Challenges initiatives face, and the tables of a challenge workshop.

Challenge workshops "find solutions to challenges faced by initiatives … followed by an
opportunity to identify common challenges and how they can be addressed by working
together". Members of an initiative add its challenges (a title and a description); the
author, the initiative's leads and organisers remove them. Organisers ask for a
matching: challenges of different initiatives that are about the same thing, grouped into
tables of 2-6 with the words they share (``matching.match_challenges``), posted to a
meeting's challenge workshop when one is named.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.services.challenges import matching
from bot.services.common.clock import Clock, utc_now
from bot.services.common.ids import plain_id
from bot.services.common.names import clean_text
from bot.services.common.permissions import Actor, require_add_resource, require_change_resource
from bot.services.common.text import plural
from bot.services.directory.cache import DirectoryCache, GuildDirectory
from bot.services.directory.service import Page, check_page, clamp_page
from bot.storage.challenges.models import Challenge
from bot.storage.challenges.repository import ChallengeLimitReached, ChallengeRepository
from bot.storage.directory.models import Cluster, Initiative
from bot.storage.meetings.models import Meeting, Session
from bot.storage.store import Store

MAX_TITLE_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 1000
MAX_PER_INITIATIVE = 100
# The newest challenges a matching reads (500 match in about 0.3 s).
MAX_MATCHED = 1000


def title_problem(title: str) -> str | None:
    if not title:
        return "the title is empty"
    if len(title) > MAX_TITLE_LENGTH:
        return f"the title is {len(title):,} characters long; the limit is {MAX_TITLE_LENGTH}"
    return None


def description_problem(description: str) -> str | None:
    if not description:
        return "the description is empty"
    if len(description) > MAX_DESCRIPTION_LENGTH:
        return (
            f"the description is {len(description):,} characters long; the limit is"
            f" {MAX_DESCRIPTION_LENGTH:,}"
        )
    return None


def clean_title(title: str) -> str:
    """One line, spaces collapsed, invisible characters dropped."""
    return " ".join(clean_text(title).split())


def clean_description(description: str) -> str:
    return clean_text(description).strip()


@dataclass(frozen=True)
class ListedChallenge:
    challenge: Challenge
    initiative: Initiative | None  # None when its initiative was deleted meanwhile


@dataclass(frozen=True)
class ProposedTable:
    """One workshop table: challenges of different initiatives and the words they share."""

    number: int  # 1-based, closest table first
    challenges: tuple[ListedChallenge, ...]
    shared_terms: tuple[str, ...]

    @property
    def role_ids(self) -> tuple[int, ...]:
        """The roles of the table's initiatives (those that have one), no repeats."""
        found: list[int] = []
        for item in self.challenges:
            role_id = item.initiative.role_id if item.initiative is not None else None
            if role_id is not None and role_id not in found:
                found.append(role_id)
        return tuple(found)


@dataclass(frozen=True)
class Workshop:
    """Where a matching is posted: a meeting's challenge workshop session."""

    meeting: Meeting
    session: Session
    # The session's cluster channel, else the channels the meeting was announced in.
    channel_ids: tuple[int, ...]


@dataclass(frozen=True)
class Proposal:
    tables: tuple[ProposedTable, ...]
    unmatched: tuple[ListedChallenge, ...]
    considered: int  # challenges read
    scope: str  # whose challenges: "every initiative", "the Citizen Focus cluster", ...
    workshop: Workshop | None = None

    @property
    def summary(self) -> str:
        if not self.considered:
            return f"No challenges to match ({self.scope})."
        if not self.tables:
            return (
                f"{plural(self.considered, 'challenge')} of {self.scope}, and no two of"
                " different initiatives close enough to share a table."
            )
        return (
            f"{plural(len(self.tables), 'table')} from {plural(self.considered, 'challenge')}"
            f" of {self.scope}; {plural(len(self.unmatched), 'challenge')} left unmatched."
        )


class ChallengeService:
    def __init__(self, store: Store, cache: DirectoryCache, clock: Clock = utc_now) -> None:
        self._store = store
        self._challenges = ChallengeRepository(store.db)
        self._cache = cache
        self._clock = clock

    # --- adding and removing -------------------------------------------------

    async def check_can_add(self, guild_id: int, actor: Actor, initiative_id: int) -> Initiative:
        """The initiative, when ``actor`` may add a challenge to it (its members)."""
        directory = await self._cache.get(guild_id)
        initiative = _initiative(directory, initiative_id)
        require_add_resource(actor, initiative.id, initiative.name, "challenge")
        return initiative

    async def add(
        self, guild_id: int, actor: Actor, initiative_id: int, title: str, description: str
    ) -> ListedChallenge:
        initiative = await self.check_can_add(guild_id, actor, initiative_id)
        title, description = clean_title(title), clean_description(description)
        problem = title_problem(title) or description_problem(description)
        if problem:
            raise InvalidInput(f"Cannot add the challenge: {problem}. Nothing was added.")
        try:
            challenge = await self._challenges.add(
                guild_id,
                initiative.id,
                title,
                description,
                actor.user_id,
                self._clock(),
                cap=MAX_PER_INITIATIVE,
            )
        except ChallengeLimitReached as full:
            raise Conflict(
                f"{initiative.name} already lists {plural(full.count, 'challenge')}, the most"
                f" an initiative can hold ({MAX_PER_INITIATIVE}). Remove one it no longer faces"
                " with /challenge remove, then add this one again."
            ) from None
        return ListedChallenge(challenge, initiative)

    async def find(self, guild_id: int, text: str) -> Challenge:
        """A challenge by number (``12``, ``#12``: what the autocomplete sends) or by its
        exact title (case-insensitive); never a guess."""
        wanted = text.strip()
        number = plain_id(wanted)
        if number is not None:
            try:
                return await self._challenges.get(guild_id, number)
            except NotFound:
                pass
        titled = await self._challenges.find_titled(guild_id, clean_title(wanted))
        if titled is not None:
            return titled
        raise NotFound(
            "No challenge is numbered or titled like that. Pick one from the suggestions, or"
            " see them all with /challenge list."
        )

    async def remove(self, guild_id: int, actor: Actor, challenge_id: int) -> ListedChallenge:
        challenge = await self._challenges.get(guild_id, challenge_id)
        directory = await self._cache.get(guild_id)
        initiative = directory.initiatives.get(challenge.initiative_id)
        name = initiative.name if initiative is not None else "its initiative"
        require_change_resource(
            actor, challenge.initiative_id, challenge.added_by, name, "challenge"
        )
        removed = await self._challenges.remove(guild_id, challenge_id)
        return ListedChallenge(removed, initiative)

    # --- reading ---------------------------------------------------------------

    async def list_challenges(
        self,
        guild_id: int,
        initiative_id: int | None = None,
        cluster_id: int | None = None,
        page: int = 1,
        page_size: int = 10,
    ) -> Page[ListedChallenge]:
        """Newest first: all, one initiative's, or one cluster's initiatives'."""
        check_page(page, page_size)
        directory = await self._cache.get(guild_id)
        ids = _initiative_ids(directory, initiative_id, cluster_id)
        _, total = await self._challenges.list_page(guild_id, ids, 1, 0)
        page = clamp_page(page, page_size, total)
        items, total = await self._challenges.list_page(
            guild_id, ids, page_size, (page - 1) * page_size
        )
        listed = tuple(_listed(directory, item) for item in items)
        return Page(items=listed, total=total, page=page, page_size=page_size)

    async def choices(self, guild_id: int, current: str, limit: int = 25) -> list[ListedChallenge]:
        """Autocomplete: the challenge numbered as typed, then titles containing it,
        newest first."""
        directory = await self._cache.get(guild_id)
        typed = current.strip()[: MAX_TITLE_LENGTH * 2]
        found: dict[int, Challenge] = {}
        number = plain_id(typed)
        if number is not None:
            try:
                found[number] = await self._challenges.get(guild_id, number)
            except NotFound:
                pass
        for challenge in await self._challenges.search_titles(guild_id, typed, limit):
            found.setdefault(challenge.id, challenge)
        return [_listed(directory, item) for item in list(found.values())[:limit]]

    async def by_user(self, guild_id: int, user_id: int) -> list[ListedChallenge]:
        directory = await self._cache.get(guild_id)
        return [
            _listed(directory, item) for item in await self._challenges.added_by(guild_id, user_id)
        ]

    async def forget_author(self, guild_id: int, user_id: int) -> int:
        return await self._challenges.forget_author(guild_id, user_id)

    # --- matching ----------------------------------------------------------------

    async def match(
        self,
        guild_id: int,
        actor: Actor,
        cluster_id: int | None = None,
        meeting_id: int | None = None,
    ) -> Proposal:
        """Workshop tables for the challenges of ``cluster_id``'s initiatives (or of the
        meeting's workshop's cluster, or of the meeting's clusters and initiatives, or of
        every initiative); with a meeting, where to post them."""
        if not actor.is_staff:
            raise PermissionDenied(
                "Only organisers can match challenges into workshop tables. Ask an organiser."
            )
        directory = await self._cache.get(guild_id)
        workshop = None
        if meeting_id is not None:
            workshop = await self._workshop(guild_id, directory, meeting_id)
        ids, scope = _match_scope(directory, cluster_id, workshop)
        challenges = await self._challenges.newest(guild_id, ids, MAX_MATCHED)
        by_id = {challenge.id: _listed(directory, challenge) for challenge in challenges}
        matched = await asyncio.to_thread(
            matching.match_challenges,
            [matching.Challenge(c.id, c.initiative_id, c.title, c.description) for c in challenges],
        )
        tables = tuple(
            ProposedTable(
                number=number,
                challenges=tuple(by_id[i] for i in table.challenge_ids),
                shared_terms=table.shared_terms,
            )
            for number, table in enumerate(matched.tables, start=1)
        )
        return Proposal(
            tables=tables,
            unmatched=tuple(by_id[i] for i in matched.unmatched),
            considered=len(challenges),
            scope=scope,
            workshop=workshop,
        )

    async def _workshop(
        self, guild_id: int, directory: GuildDirectory, meeting_id: int
    ) -> Workshop:
        meeting = await self._store.meetings.get(guild_id, meeting_id)
        if meeting.is_cancelled:
            raise Conflict(f"“{meeting.title}” was cancelled; its workshop will not take place.")
        sessions = await self._store.meetings.sessions(guild_id, meeting_id)
        workshops = [s for s in sessions if s.kind == "challenge_workshop"]
        if not workshops:
            raise InvalidInput(
                f"“{meeting.title}” has no challenge workshop in its programme. Add one with"
                " /meeting session add (kind: Challenge workshop), then match again; or leave"
                " out the meeting to see the tables only."
            )
        session = workshops[0]
        channel_ids: list[int] = []
        cluster = _cluster(directory, session.cluster_id)
        if cluster is not None and cluster.channel_id is not None:
            channel_ids.append(cluster.channel_id)
        else:
            for announcement in await self._store.meetings.announcements(guild_id, meeting_id):
                if announcement.channel_id not in channel_ids:
                    channel_ids.append(announcement.channel_id)
        return Workshop(meeting, session, tuple(channel_ids))


def _initiative(directory: GuildDirectory, initiative_id: int) -> Initiative:
    initiative = directory.initiatives.get(initiative_id)
    if initiative is None:
        raise NotFound(
            "That initiative is no longer listed; see the current ones with /initiative list."
        )
    return initiative


def _cluster(directory: GuildDirectory, cluster_id: int | None) -> Cluster | None:
    return None if cluster_id is None else directory.clusters.get(cluster_id)


def _listed(directory: GuildDirectory, challenge: Challenge) -> ListedChallenge:
    return ListedChallenge(challenge, directory.initiatives.get(challenge.initiative_id))


def _initiative_ids(
    directory: GuildDirectory, initiative_id: int | None, cluster_id: int | None
) -> list[int] | None:
    """The initiatives a list is about, or None for all."""
    if initiative_id is not None and cluster_id is not None:
        raise InvalidInput(
            "Give an initiative or a cluster, not both: an initiative's challenges, or those"
            " of every initiative of a cluster."
        )
    if initiative_id is not None:
        return [initiative_id]
    if cluster_id is not None:
        return [i.id for i in directory.initiatives_of_cluster(cluster_id)]
    return None


def _match_scope(
    directory: GuildDirectory, cluster_id: int | None, workshop: Workshop | None
) -> tuple[list[int] | None, str]:
    """Whose challenges a matching reads, and how to say so."""
    if cluster_id is None and workshop is not None:
        cluster_id = workshop.session.cluster_id
    cluster = _cluster(directory, cluster_id)
    if cluster is not None:
        ids = [i.id for i in directory.initiatives_of_cluster(cluster.id)]
        return ids, f"the {cluster.name} cluster's initiatives"
    if workshop is not None and not workshop.meeting.scope.is_community:
        scope = workshop.meeting.scope
        wanted = set(scope.initiative_ids)
        for scoped in scope.cluster_ids:
            wanted.update(i.id for i in directory.initiatives_of_cluster(scoped))
        return sorted(wanted), f"the initiatives “{workshop.meeting.title}” is for"
    return None, "every initiative"

"""Initiatives' pitches: a short text (at most 500 characters) and an optional link
(slides, a video), "to attract interest from other Action Clusters, smart-city
stakeholders and the world of finance". ``/initiative info`` shows it, and a meeting's
pitch session lists the pitches of the initiatives it is for.

Leads of an initiative and organisers set it; setting it again replaces it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.errors import InvalidInput, NotFound
from bot.services.common.clock import Clock, utc_now
from bot.services.common.names import clean_text
from bot.services.common.permissions import Actor, require_manage_initiative
from bot.services.directory.cache import DirectoryCache
from bot.services.directory.resources import url_problem
from bot.storage.directory.models import Initiative, Pitch
from bot.storage.directory.pitches import PitchRepository
from bot.storage.store import Store

MAX_PITCH_LENGTH = 500


@dataclass(frozen=True)
class InitiativePitch:
    initiative: Initiative
    pitch: Pitch


def pitch_problem(text: str) -> str | None:
    """Why ``text`` is not an acceptable pitch, or None."""
    if not text.strip():
        return "the pitch is empty"
    if len(text) > MAX_PITCH_LENGTH:
        return f"the pitch is {len(text):,} characters long; the limit is {MAX_PITCH_LENGTH}"
    return None


class PitchService:
    def __init__(self, store: Store, cache: DirectoryCache, clock: Clock = utc_now) -> None:
        self._pitches = PitchRepository(store.db)
        self._cache = cache
        self._clock = clock

    async def initiative(self, guild_id: int, initiative_id: int) -> Initiative:
        directory = await self._cache.get(guild_id)
        initiative = directory.initiatives.get(initiative_id)
        if initiative is None:
            raise NotFound(
                "That initiative is no longer listed; see the current ones with /initiative list."
            )
        return initiative

    async def check_can_set(self, guild_id: int, actor: Actor, initiative_id: int) -> Initiative:
        """The initiative, when ``actor`` may set its pitch (its leads, organisers)."""
        initiative = await self.initiative(guild_id, initiative_id)
        require_manage_initiative(actor, initiative.id, initiative.name, "set its pitch")
        return initiative

    async def set(
        self, guild_id: int, actor: Actor, initiative_id: int, text: str, url: str = ""
    ) -> InitiativePitch:
        initiative = await self.check_can_set(guild_id, actor, initiative_id)
        text = clean_text(text).strip()
        url = url.strip()
        problem = pitch_problem(text) or (url_problem(url) if url else None)
        if problem:
            raise InvalidInput(
                f"Cannot set the pitch of {initiative.name}: {problem}. Nothing was changed."
            )
        pitch = await self._pitches.set(
            guild_id, initiative.id, text, url, actor.user_id, self._clock()
        )
        return InitiativePitch(initiative, pitch)

    async def get(self, guild_id: int, initiative_id: int) -> Pitch | None:
        return await self._pitches.get(guild_id, initiative_id)

    async def for_scope(
        self,
        guild_id: int,
        initiative_ids: Iterable[int] = (),
        cluster_ids: Iterable[int] = (),
    ) -> tuple[InitiativePitch, ...]:
        """The pitches of the named initiatives and of the named clusters' initiatives
        (every initiative's when nothing is named), by initiative name."""
        directory = await self._cache.get(guild_id)
        clusters = tuple(cluster_ids)
        wanted = set(initiative_ids)
        named = bool(wanted or clusters)
        for cluster_id in clusters:
            wanted.update(i.id for i in directory.initiatives_of_cluster(cluster_id))
        pitches = await self._pitches.of_initiatives(guild_id, sorted(wanted) if named else None)
        found = [
            InitiativePitch(directory.initiatives[initiative_id], pitch)
            for initiative_id, pitch in pitches.items()
            if initiative_id in directory.initiatives
        ]
        found.sort(key=lambda item: (item.initiative.name.casefold(), item.initiative.id))
        return tuple(found)

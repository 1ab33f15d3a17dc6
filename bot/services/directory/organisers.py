"""Each guild's organiser role, known by id.

The config names the organiser role once (``[community] organiser_role``). The first role
seen with that name (case-insensitive) — at start, when it is created or renamed, or by
``/admin setup`` — is recorded by id in ``guild_settings``; from then on only the id
counts: the role may be renamed and keeps its powers, and another role given the
configured name gains none. Deleting the role clears the record, so a new role of that
name can take its place.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.services.common.clock import Clock, utc_now
from bot.storage.fleet import EVERYTHING, ShardScope
from bot.storage.store import Store


class OrganiserRoles:
    def __init__(self, store: Store, name: str, clock: Clock = utc_now) -> None:
        self._store = store
        self._name = name.casefold()
        self._clock = clock
        self._ids: dict[int, int] = {}

    async def start(self, scope: ShardScope = EVERYTHING) -> None:
        """Load the recorded roles of ``scope``'s guilds; call once before serving
        interactions (a guild of another process's shards is never asked about)."""
        self._ids = await self._store.guilds.organiser_role_ids(scope)

    def role_id(self, guild_id: int) -> int | None:
        """The guild's organiser role; None while none has been seen. From memory."""
        return self._ids.get(guild_id)

    def holds(self, guild_id: int, role_ids: Iterable[int]) -> bool:
        """Whether a member with ``role_ids`` holds the guild's organiser role."""
        organiser = self._ids.get(guild_id)
        return organiser is not None and organiser in role_ids

    async def notice(self, guild_id: int, roles: Iterable[tuple[int, str]]) -> int | None:
        """Record the organiser role among ``roles`` (id, name) when none is recorded yet;
        returns the guild's organiser role either way."""
        known = self._ids.get(guild_id)
        if known is not None or not self._name:
            return known
        for role_id, name in roles:
            if name.casefold() == self._name:
                # In memory first: an interaction handled meanwhile already sees it.
                self._ids[guild_id] = role_id
                await self._store.guilds.set_organiser_role(guild_id, role_id, self._clock())
                return role_id
        return None

    async def role_deleted(self, guild_id: int, role_id: int) -> bool:
        """Forget a deleted organiser role; True when it was the organiser role."""
        if self._ids.get(guild_id) != role_id:
            return False
        await self._store.guilds.clear_role(guild_id, role_id, self._clock())
        del self._ids[guild_id]
        return True

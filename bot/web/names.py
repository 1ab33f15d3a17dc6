"""Names for the public pages in a web process of their own, which has no gateway
connection and so no member cache: asked of Discord's REST API with the bot's token
(``GET /guilds/{id}`` and ``GET /guilds/{id}/members/{user}``) and kept in memory for a
few minutes.

Why asked and not stored by the bot at opt-in time: a display name stored in the
database would be one more copy of personal data to erase on opt-out and on
``/privacy forget`` (and to keep from backups), and it would go stale when the member
renames; asked, it is always the member's current name, it exists only in this
process's memory, and only for members who agreed: ``PublicSite`` looks up only those
``WebPublication.named_among`` returns, which the web process reads again as soon as an
opt-out or an erase is written (bot/services/web/changes.py, which also calls
``forget_guild`` here). Failures (Discord unreachable, rate limited) leave the lead
unnamed on the page, never an error.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

DISCORD_API = "https://discord.com/api/v10"
NAME_SECONDS = 300.0  # a name is asked again after this long
MISS_SECONDS = 30.0  # an unknown member, or a failed request, is asked again after this
MAX_KEPT = 20_000


class RestNames:
    """``MemberNames`` (bot/services/web/site.py) over Discord's REST API."""

    def __init__(self, token: str, api_base: str = "", *, timeout: float = 5.0) -> None:
        self._base = (api_base or DISCORD_API).rstrip("/")
        self._headers = {"Authorization": f"Bot {token}", "User-Agent": "Agora (web pages)"}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._members: dict[tuple[int, int], tuple[float, str | None]] = {}
        self._guilds: dict[int, tuple[float, str | None]] = {}
        self.requests = 0  # asked of Discord since start

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def forget_guild(self, guild_id: int) -> None:
        """Drop the guild's member names (someone's agreement changed)."""
        for key in [key for key in self._members if key[0] == guild_id]:
            del self._members[key]

    async def display_names(self, guild_id: int, user_ids: Collection[int]) -> dict[int, str]:
        now = time.monotonic()
        missing = [
            user_id
            for user_id in user_ids
            if (kept := self._members.get((guild_id, user_id))) is None or now > kept[0]
        ]
        if missing:
            fetched = await asyncio.gather(*(self._member(guild_id, u) for u in missing))
            if len(self._members) + len(missing) > MAX_KEPT:
                self._members.clear()
            for user_id, name in zip(missing, fetched, strict=True):
                wait = NAME_SECONDS if name is not None else MISS_SECONDS
                self._members[(guild_id, user_id)] = (now + wait, name)
        found: dict[int, str] = {}
        for user_id in user_ids:
            kept = self._members.get((guild_id, user_id))
            if kept is not None and kept[1] is not None:
                found[user_id] = kept[1]
        return found

    async def guild_name(self, guild_id: int) -> str | None:
        now = time.monotonic()
        kept = self._guilds.get(guild_id)
        if kept is None or now > kept[0]:
            data = await self._get(f"/guilds/{guild_id}")
            name = data.get("name") if data else None
            name = name if isinstance(name, str) else None
            wait = NAME_SECONDS if name is not None else MISS_SECONDS
            self._guilds[guild_id] = kept = (now + wait, name)
        return kept[1]

    async def _member(self, guild_id: int, user_id: int) -> str | None:
        data = await self._get(f"/guilds/{guild_id}/members/{user_id}")
        return None if data is None else member_display_name(data)

    async def _get(self, path: str) -> dict[str, Any] | None:
        if self._session is None:
            self._session = aiohttp.ClientSession(headers=self._headers, timeout=self._timeout)
        self.requests += 1
        try:
            async with self._session.get(self._base + path) as response:
                if response.status != 200:
                    if response.status not in (403, 404):
                        log.warning("Discord answered %s to %s", response.status, path)
                    return None
                data = await response.json()
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            log.warning("asking Discord for %s failed: %s", path, error)
            return None
        return data if isinstance(data, dict) else None


def member_display_name(member: dict[str, Any]) -> str | None:
    """As Discord shows a member: the server nickname, else the global display name,
    else the username."""
    user = member.get("user")
    user = user if isinstance(user, dict) else {}
    for name in (member.get("nick"), user.get("global_name"), user.get("username")):
        if isinstance(name, str) and name:
            return name
    return None

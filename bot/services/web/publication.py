"""Which guilds are on Agora's public web pages, and which members agreed to be named there.

A guild is published only after an admin's ``/admin web on``; everything else answers
404 on the web. A member is named on the web (as an initiative's lead) only after their
own ``/privacy web show-name on``; everyone else is a count. Both are read on every page,
so they are kept in memory (loaded at start, changed here after each write).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from bot.errors import Conflict
from bot.services.common.clock import Clock, utc_now
from bot.services.common.permissions import Actor, require_admin
from bot.storage.store import Store


@dataclass(frozen=True)
class WebSettings:
    """What the publication needs of ``[web]`` (config.example.toml)."""

    enabled: bool = False
    base_url: str = ""  # "https://agora.example.org/"; empty: http://host:port/
    guild_id: int = 0  # the guild shown; 0: the first published


class WebPublication:
    def __init__(self, store: Store, settings: WebSettings, clock: Clock = utc_now) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self._published: dict[int, datetime] = {}
        self._named: dict[int, frozenset[int]] = {}
        # Set by the web server once it listens, when no base_url is configured.
        self.listening_url = ""

    async def start(self) -> None:
        self._published = await self._store.web.published_guilds()

    @property
    def enabled(self) -> bool:
        return self._settings.enabled

    # --- guilds ----------------------------------------------------------

    def is_published(self, guild_id: int) -> bool:
        return guild_id in self._published

    def site_guild(self) -> int | None:
        """The guild the pages show: the configured one if published, else the first
        published (None: nothing is public)."""
        wanted = self._settings.guild_id
        if wanted:
            return wanted if wanted in self._published else None
        if not self._published:
            return None
        return min(self._published, key=lambda guild_id: (self._published[guild_id], guild_id))

    async def publish(self, guild_id: int, actor: Actor, published: bool) -> None:
        """``/admin web on|off``; Conflict when it already is so (nothing changes)."""
        require_admin(actor, "publish this server's directory on the web")
        changed = await self._store.web.set_published(guild_id, published, self._clock())
        if not changed:
            state = "already published" if published else "not published"
            raise Conflict(f"This server's directory is {state} on the web; nothing changed.")
        if published:
            self._published[guild_id] = self._clock()
        else:
            self._published.pop(guild_id, None)

    # --- members named ---------------------------------------------------

    async def named_users(self, guild_id: int) -> frozenset[int]:
        """Members of the guild who agreed to be named on the web."""
        named = self._named.get(guild_id)
        if named is None:
            named = frozenset(await self._store.web.name_optins(guild_id))
            self._named[guild_id] = named
        return named

    async def shows_name(self, guild_id: int, user_id: int) -> bool:
        return user_id in await self.named_users(guild_id)

    async def set_show_name(self, guild_id: int, user_id: int, shown: bool) -> bool:
        """``/privacy web show-name on|off``; False when it already was so."""
        changed = await self._store.web.set_name_optin(guild_id, user_id, shown, self._clock())
        self._named.pop(guild_id, None)
        return changed

    async def forget_user(self, guild_id: int, user_id: int) -> int:
        erased = await self._store.web.forget_user(guild_id, user_id)
        self._named.pop(guild_id, None)
        return erased

    # --- addresses -------------------------------------------------------

    def base_url(self) -> str:
        """The pages' address, ending in "/" (empty until the server listens)."""
        base = self._settings.base_url or self.listening_url
        return base if not base or base.endswith("/") else base + "/"

    def page_url(self, path: str) -> str:
        return self.base_url() + path.lstrip("/") if self.base_url() else ""

    def subscription_url(
        self, guild_id: int, cluster_slug: str | None = None, initiative_slug: str | None = None
    ) -> str | None:
        """The ``webcal://`` address of a calendar feed, or None when the guild's meetings
        are not on the web (the web is off, the guild is not published or not the one
        shown)."""
        if not self.enabled or self.site_guild() != guild_id or not self.base_url():
            return None
        path = "calendar.ics"
        if cluster_slug is not None:
            path = f"clusters/{quote(cluster_slug)}/calendar.ics"
        elif initiative_slug is not None:
            path = f"initiatives/{quote(initiative_slug)}/calendar.ics"
        return webcal(self.page_url(path))


def webcal(url: str) -> str:
    """The same feed for calendar apps: ``webcal://`` (``https`` is implied by them)."""
    for scheme in ("https://", "http://"):
        if url.startswith(scheme):
            return "webcal://" + url[len(scheme) :]
    return url

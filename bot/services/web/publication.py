"""Which guilds are on Agora's public web pages, and which members agreed to be named there.

A guild is published only after an admin's ``/admin web on``; everything else answers
404 on the web. A member is named on the web (as an initiative's lead) only after their
own ``/privacy web show-name on``; everyone else is a count. Both are read on every page,
so the published guilds are kept in memory (loaded at start, changed here after each
write); who agreed to be named is read when a page names leads.
"""

from __future__ import annotations

from collections.abc import Iterable
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

    def data_version(self) -> int:
        """Moves on with every write transaction of this process (one counter for the
        whole database: reading it costs nothing)."""
        return self._store.db.writes

    # --- members named ---------------------------------------------------

    async def named_among(self, guild_id: int, user_ids: Iterable[int]) -> frozenset[int]:
        """Those of ``user_ids`` who agreed to be named on the web (read each time: an
        erase by /privacy forget is seen at once)."""
        return await self._store.web.named_among(guild_id, user_ids)

    async def shows_name(self, guild_id: int, user_id: int) -> datetime | None:
        """Since when the member agreed to be named, or None."""
        return await self._store.web.name_optin(guild_id, user_id)

    async def set_show_name(self, guild_id: int, user_id: int, shown: bool) -> bool:
        """``/privacy web show-name on|off``; False when it already was so."""
        return await self._store.web.set_name_optin(guild_id, user_id, shown, self._clock())

    # --- addresses -------------------------------------------------------

    def base_url(self) -> str:
        """The pages' address, ending in "/" (empty until the server listens)."""
        base = self._settings.base_url or self.listening_url
        return base if not base or base.endswith("/") else base + "/"

    def page_url(self, path: str) -> str:
        return self.base_url() + path.lstrip("/") if self.base_url() else ""

    def feed_url(
        self, guild_id: int, cluster_slug: str | None = None, initiative_slug: str | None = None
    ) -> str | None:
        """The address of a calendar feed (``webcal`` gives the subscription link), or None
        when the guild's meetings are not on the web (the web is off, the guild is not
        published, or the pages show another guild)."""
        if not self.enabled or self.site_guild() != guild_id or not self.base_url():
            return None
        path = "calendar.ics"
        if cluster_slug is not None:
            path = f"clusters/{quote(cluster_slug)}/calendar.ics"
        elif initiative_slug is not None:
            path = f"initiatives/{quote(initiative_slug)}/calendar.ics"
        return self.page_url(path)

    def subscription_text(
        self, guild_id: int, cluster_slug: str | None = None, initiative_slug: str | None = None
    ) -> str:
        """The line a calendar file's reply ends with when a feed exists: subscribing
        keeps a calendar in sync; empty when the meetings are not on the web."""
        url = self.feed_url(guild_id, cluster_slug, initiative_slug)
        if url is None:
            return ""
        return (
            f"\nTo stay up to date, subscribe instead: {webcal(url)} (or add a calendar"
            f" from the address <{url}> in your calendar app)."
        )


def webcal(url: str) -> str:
    """The same feed for calendar apps: ``webcal://`` (``https`` is implied by them)."""
    for scheme in ("https://", "http://"):
        if url.startswith(scheme):
            return "webcal://" + url[len(scheme) :]
    return url

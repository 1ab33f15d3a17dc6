"""The public pages in a process of their own (``python run_bot.py web``) see what the bot
processes write: the per-guild counters of ``web_changes`` (migration 016, bumped by
triggers in the writing transaction) are read about once a second, and only what moved is
refreshed here:

===============  ============================================================
area moved       refreshed in this process
===============  ============================================================
directory        the guild's directory (clusters, initiatives, memberships,
                 resource counts, pitches): loaded again if it is the guild
                 shown, otherwise dropped until it is asked for
meetings         the meetings' kept lists and write generation (so the
                 calendar feeds' versions move on too)
discussions      the live discussion counts
web              the published guilds and who agreed to be named
===============  ============================================================

After each refresh ``PublicSite.epoch`` goes up, so a page rendered before it is not
answered again (see ``PublicSite.version``). One read of a table with a row per guild a
second costs the database next to nothing, whatever the number of web processes.

In the bot's own process (``[web] enabled``) none of this runs: its writes go through
the same caches the pages read, and the store's write counter keys the rendered pages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.services.directory.cache import DirectoryCache
from bot.services.discussions.service import DiscussionService
from bot.services.web.site import PublicSite
from bot.storage.store import Store
from bot.storage.web.repository import ChangeCounts

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0

NamesChanged = Callable[[int], None]


class SharedChanges:
    def __init__(
        self,
        store: Store,
        cache: DirectoryCache,
        discussions: DiscussionService,
        site: PublicSite,
        *,
        interval: float = POLL_SECONDS,
        names_changed: NamesChanged | None = None,
    ) -> None:
        self._store = store
        self._cache = cache
        self._discussions = discussions
        self._site = site
        self._interval = interval
        self._names_changed = names_changed
        self._seen: dict[int, ChangeCounts] = {}
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.refreshes = 0  # polls that found something moved

    async def start(self) -> None:
        """Read the counters first, then load what the pages read: a write in between is
        seen by the first poll. Then poll every ``interval`` seconds."""
        self._seen = await self._store.web.change_counts()
        await self._site.publication.start()
        await self._discussions.start()
        guild_id = self._site.publication.site_guild()
        if guild_id is not None:
            await self._cache.get(guild_id)
        if self._task is None:
            self._task = asyncio.create_task(self._poll_forever(), name="web-changes")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _poll_forever(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.poll()
            except Exception:  # the database away for a moment: try again next time
                log.exception("reading what the bot changed failed; trying again")

    async def poll(self) -> bool:
        """Refresh what moved since the last poll; True when something had."""
        async with self._lock:
            counts = await self._store.web.change_counts()
            moved = {
                guild_id: (self._seen.get(guild_id, ChangeCounts()), now)
                for guild_id, now in counts.items()
                if self._seen.get(guild_id) != now
            }
            if not moved:
                return False
            refresh: list[Awaitable[object]] = []
            if any(before.web != now.web for before, now in moved.values()):
                refresh.append(self._site.publication.start())
            if any(before.discussions != now.discussions for before, now in moved.values()):
                refresh.append(self._discussions.start())
            await asyncio.gather(*refresh)
            shown = self._site.publication.site_guild()
            for guild_id, (before, now) in moved.items():
                if before.web != now.web:
                    self._store.web.forget_named(guild_id)
                    if self._names_changed is not None:
                        self._names_changed(guild_id)
                if before.meetings != now.meetings:
                    self._store.meetings.written_elsewhere(guild_id)
                if before.directory != now.directory:
                    if guild_id == shown:
                        # The old directory serves the pages until the new one is in.
                        await self._cache.reload(guild_id)
                    else:
                        self._cache.forget(guild_id)
            self._seen = counts
            self._site.epoch += 1
            self.refreshes += 1
            return True

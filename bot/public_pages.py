"""Agora's public pages as a process of their own (``python run_bot.py web``): the same
pages as ``[web] enabled`` serves inside the bot, read from the shared database
(PostgreSQL in a fleet, or the bot's SQLite file on one machine), with no gateway
connection, so readers scale apart from the shard processes.

What the bot processes write reaches this process through the per-guild change counters
(migration 016, bot/services/web/changes.py), read about once a second; names come
from Discord's REST API (bot/web/names.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.config import Config
from bot.runtime import CollectedHeap
from bot.services.web.changes import POLL_SECONDS, SharedChanges
from bot.storage.store import Store
from bot.web.app import WebServer
from bot.web.names import RestNames
from bot.wiring import Services, build_services

log = logging.getLogger(__name__)


@dataclass
class RunningPages:
    store: Store
    services: Services
    changes: SharedChanges
    names: RestNames
    server: WebServer

    @property
    def url(self) -> str:
        return self.server.url

    async def stop(self) -> None:
        await self.server.stop()
        await self.changes.stop()
        await self.names.close()
        await self.store.close()


async def start_public_pages(config: Config, *, poll_seconds: float = POLL_SECONDS) -> RunningPages:
    """Open the database, load what the pages read, listen on ``[web] host:port``."""
    store = await Store.open(config.database.location)
    try:
        services = build_services(store=store, config=config, heap=CollectedHeap())
        names = RestNames(config.token, config.discord.api_base)
        changes = SharedChanges(
            store,
            services.cache,
            services.discussions,
            services.site,
            interval=poll_seconds,
            names_changed=names.forget_guild,
        )
        await changes.start()
        server = WebServer(services.site, names, config.web.host, config.web.port)
        try:
            await server.start()
        except OSError:
            await changes.stop()
            await names.close()
            raise
    except BaseException:
        await store.close()
        raise
    return RunningPages(store, services, changes, names, server)

"""Building and running Agora: the same path for Discord, the sandbox and the tests."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Collection, Iterator
from dataclasses import dataclass

import discord
import yarl

from bot.app import AgoraBot, ShardedAgoraBot
from bot.config import Config, ConfigError, fleet_problems
from bot.storage.store import Store
from bot.web.app import WebServer
from bot.wiring import build_services, shard_scope

log = logging.getLogger(__name__)


def point_discord_py_at(api_base: str, gateway_url: str) -> None:
    """Aim discord.py at another Discord-compatible server through its documented class
    attributes; nothing else is changed. Empty values leave Discord's defaults."""
    if api_base:
        discord.http.Route.BASE = api_base.rstrip("/")
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


class CollectedHeap:
    """The process's garbage collector, tuned for Agora's long-lived data (a ``Heap``).

    A big guild's directory is a million long-lived objects, and discord.py's member cache
    after chunking ~125,000 more: full collections walked them all (100-300 ms pauses at
    200 requests/s, bench/lookups.py). Their loading runs with automatic collection paused
    (some 150,000 containers and no cycles: a sixth of the load's time went to finding
    nothing), and what is loaded is then frozen out of the collector's sight; reference
    counting still frees whatever is dropped.
    """

    @contextlib.contextmanager
    def loading(self) -> Iterator[None]:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            if was_enabled:
                gc.enable()

    def settled(self) -> None:
        gc.freeze()


async def build_agora(config: Config) -> AgoraBot:
    """Open the store, build the services (bot/wiring.py) and the bot (not yet connected):
    on discord.py's plain ``Bot`` unless ``[discord] shard_count`` asks for shards.
    ConfigError when this process cannot run its shards on this database."""
    problems = fleet_problems(config)
    if problems:
        raise ConfigError(problems)
    point_discord_py_at(config.discord.api_base, config.discord.gateway_url)
    store = await Store.open(config.database.location)
    scope = shard_scope(config)
    services = build_services(store=store, config=config, heap=CollectedHeap(), scope=scope)
    if not config.discord.sharded:
        return AgoraBot(config=config, store=store, services=services)
    return ShardedAgoraBot(
        config=config,
        store=store,
        services=services,
        shard_count=config.discord.shard_count,
        shard_ids=list(config.discord.shard_ids) or None,
    )


class DiscordNames:
    """Display names for the web pages, from discord.py's member cache (never stored)."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def display_names(self, guild_id: int, user_ids: Collection[int]) -> dict[int, str]:
        guild = self._client.get_guild(guild_id)
        if guild is None:
            return {}
        members = (guild.get_member(user_id) for user_id in user_ids)
        return {member.id: member.display_name for member in members if member is not None}

    async def guild_name(self, guild_id: int) -> str | None:
        guild = self._client.get_guild(guild_id)
        return None if guild is None else guild.name


@dataclass
class RunningAgora:
    """A started Agora; ``stop()`` stops the web pages, closes the connection, flushes and
    closes the store."""

    bot: AgoraBot
    task: asyncio.Task[None]
    stopped: bool = False
    web: WebServer | None = None  # the public pages, when [web] enabled

    async def stop(self) -> None:
        """Idempotent: a scenario's restart and the launcher may both stop the same Agora."""
        if self.stopped:
            return
        self.stopped = True
        if self.web is not None:
            await self.web.stop()
        if not self.bot.is_closed():
            await self.bot.close()
        try:
            await asyncio.wait_for(self.task, timeout=10)
        except (TimeoutError, asyncio.CancelledError):
            self.task.cancel()
        await self.bot.store.close()


async def start_agora(config: Config, *, ready_timeout: float = 30.0) -> RunningAgora:
    """Connect Agora and wait until it is ready (commands synced, guilds received)."""
    agora = await build_agora(config)
    task = asyncio.create_task(agora.start(config.token), name="agora")
    ready = asyncio.create_task(agora.agora_ready.wait())
    done, _ = await asyncio.wait(
        {task, ready}, timeout=ready_timeout, return_when=asyncio.FIRST_COMPLETED
    )
    if ready not in done:
        ready.cancel()
        if task in done:
            await agora.store.close()
            task.result()  # re-raise why it stopped
        running = RunningAgora(agora, task)
        await running.stop()
        raise TimeoutError(f"Agora was not ready within {ready_timeout:.0f} s")
    running = RunningAgora(agora, task)
    if config.web.enabled and config.web.in_bot:
        web = WebServer(agora.services.site, DiscordNames(agora), config.web.host, config.web.port)
        try:
            await web.start()
        except OSError:
            await running.stop()
            raise
        running.web = web
    return running

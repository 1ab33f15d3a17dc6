"""Agora's Bot: receives its dependencies, loads the cogs, syncs commands when they change."""

from __future__ import annotations

import asyncio
import logging
import pkgutil
from collections.abc import Callable
from typing import Any

import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord.ext import commands

import bot.cogs
from bot.cogs._pagination import PageButton
from bot.command_sync import command_set_hash
from bot.config import Config
from bot.error_handler import AgoraCommandTree
from bot.services.common.text import plural
from bot.services.registry import Services
from bot.storage.store import Store

log = logging.getLogger(__name__)


def agora_intents() -> discord.Intents:
    """The gateway intents Agora needs, and no more (see README for why each)."""
    intents = discord.Intents.none()
    intents.guilds = True  # channels, threads, roles: the directory's mapping follows them
    intents.members = True  # roles granted by hand, members leaving (privileged)
    intents.guild_messages = True  # message counts in initiative threads, without content
    intents.guild_scheduled_events = True  # "Interested" on native events counts as Going
    intents.dm_messages = True  # DMs opened for reminders and nudges
    return intents


class AgoraBot(commands.Bot):
    """The Discord client. Everything it needs comes in through the constructor."""

    def __init__(
        self,
        *,
        config: Config,
        store: Store,
        scheduler: AsyncIOScheduler,
        services: Services | None = None,
        **options: Any,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=agora_intents(),
            tree_cls=AgoraCommandTree,
            # Text users typed (initiative names, goals) must never ping anyone.
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            # Nothing reads cached messages back; under a stream of thousands of
            # messages a second the cache is pure overhead.
            max_messages=None,
            # After READY, Discord sends every GUILD_CREATE at once; waiting the default
            # 2 s for stragglers only delays start. A late guild still arrives as
            # guild_available.
            guild_ready_timeout=0.5,
            **options,
        )
        self.config = config
        self.store = store
        self.scheduler = scheduler
        self.services = services or Services.build(store=store, config=config)
        self.agora_ready = asyncio.Event()
        # Set by the activity cog: counts one message, synchronously (see ``dispatch``).
        self.message_hook: Callable[[discord.Message], None] | None = None
        # Paginated lists register how to draw a page; see cogs/_pagination.py.
        self.page_renderers: dict[str, Any] = {}

    async def setup_hook(self) -> None:
        await self.services.start()
        for extension in self.extension_names():
            await self.load_extension(extension)
        self.add_dynamic_items(PageButton)
        if not self.scheduler.running:
            self.scheduler.start()
        await self.sync_commands()

    @staticmethod
    def extension_names() -> list[str]:
        """Every module in bot/cogs that is not private (python-discord style discovery)."""
        return sorted(
            f"bot.cogs.{module.name}"
            for module in pkgutil.iter_modules(bot.cogs.__path__)
            if not module.name.startswith("_")
        )

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        """Every event to its listeners, except messages, which go to the message hook.

        Messages are by far the busiest event, and Agora only counts them (O(1), no await;
        no prefix commands to parse). discord.py would start a task per listener per
        message, and its gateway reader drains everything buffered before it yields: at
        5,000 messages a second those tasks held interactions back ~150 ms
        (bench/activity.py). The hook runs as a plain callback instead, queued behind the
        listener tasks of earlier events (a thread's creation is handled before its first
        message is counted).
        """
        if event_name != "message":
            super().dispatch(event_name, *args, **kwargs)
            return
        if self.message_hook is not None:
            self.loop.call_soon(self._run_message_hook, self.message_hook, args[0])

    @staticmethod
    def _run_message_hook(
        hook: Callable[[discord.Message], None], message: discord.Message
    ) -> None:
        try:
            hook(message)
        except Exception:
            log.exception("counting a message failed")

    async def on_ready(self) -> None:
        seed_file = self.config.community.seed_file
        if seed_file:
            for guild in self.guilds:
                report = await self.services.importer.import_seed_if_empty(guild.id, seed_file)
                if report is not None:
                    log.info("seeded %s from %s: %s", guild.name, seed_file, report.summary())
        log.info("Agora is ready as %s in %s", self.user, plural(len(self.guilds), "guild"))
        self.agora_ready.set()

    async def sync_commands(self) -> None:
        """Sync to the development guilds, or globally, when the command set changed."""
        guild_ids: list[int | None] = list(self.config.discord.dev_guild_ids) or [None]
        for guild_id in guild_ids:
            guild = discord.Object(guild_id) if guild_id is not None else None
            if guild is not None:
                self.tree.copy_global_to(guild=guild)
            target = f"guild:{guild_id}" if guild_id is not None else "global"
            payload = [
                command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)
            ]
            wanted = command_set_hash(payload, target)
            key = f"command_hash:{target}"
            if await self.store.bot_state.get(key) == wanted and await self._registered_match(
                guild, payload
            ):
                log.info("commands unchanged for %s; not syncing", target)
                continue
            await self.tree.sync(guild=guild)
            await self.store.bot_state.set(key, wanted)
            log.info("synced %s to %s", plural(len(payload), "command"), target)

    async def _registered_match(
        self, guild: discord.abc.Snowflake | None, payload: list[dict[str, Any]]
    ) -> bool:
        """Whether Discord still has the commands we last synced (it may have been reset)."""
        registered = await self.tree.fetch_commands(guild=guild)
        return sorted(command.name for command in registered) == sorted(
            str(command["name"]) for command in payload
        )

    async def close(self) -> None:
        try:
            await self.services.close()
            if self.scheduler.running:
                self.scheduler.shutdown(wait=False)
        finally:
            await super().close()

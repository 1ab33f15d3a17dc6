"""Agora's Bot: receives its dependencies, loads the cogs, syncs commands when they change.

One implementation, on one gateway connection (discord.py's ``Bot``, as long as
``[discord] shard_count`` is 0) or on several: ``ShardedAgoraBot`` is the same class over
discord.py's ``AutoShardedBot``, running the shards ``[discord] shard_ids`` names
(``bot/runtime.py`` picks one). A fleet of such processes shares one PostgreSQL
database; each serves the guilds of its shards (``Services.scope``).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import pkgutil
from collections.abc import Callable
from typing import Any

import discord
from discord.ext import commands

import bot.cogs
from bot.cogs.shared.client import AgoraClient
from bot.cogs.shared.error_handler import AgoraCommandTree
from bot.cogs.shared.pagination import PAGES, PageButton, Pages
from bot.cogs.shared.role_guard import role_names
from bot.command_sync import command_set_hash
from bot.config import Config
from bot.services.common.text import plural
from bot.storage.fleet import shard_of
from bot.storage.store import Store
from bot.wiring import Services

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


class AgoraBot(AgoraClient):
    """The Discord client. Everything it needs comes in through the constructor."""

    def __init__(
        self,
        *,
        config: Config,
        store: Store,
        services: Services,
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
        self.services = services
        self.scheduler = services.scheduler
        self.agora_ready = asyncio.Event()
        # Set by the activity cog: counts one message, synchronously (see ``dispatch``).
        self.message_hook: Callable[[discord.Message], None] | None = None
        # Paginated lists register how to draw a page (bot/cogs/shared/pagination.py).
        self.pages = Pages()

    async def setup_hook(self) -> None:
        await self.services.start()
        for area in self.cog_areas():
            await importlib.import_module(area).setup(self)
        PAGES.provide(self, self.pages)
        self.add_dynamic_items(PageButton)
        if not self.scheduler.running:
            self.scheduler.start()
        await self.sync_commands()

    @staticmethod
    def cog_areas() -> list[str]:
        """Every package in bot/cogs but ``shared``; each one's ``setup`` adds its cogs.

        Imported once, as plain modules (discord.py's extensions are executed afresh on each
        load), so a class such as ``SyncNote`` is the same class for the whole process.
        """
        return sorted(
            f"bot.cogs.{module.name}"
            for module in pkgutil.iter_modules(bot.cogs.__path__)
            if module.ispkg and module.name != "shared"
        )

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        """Every event to its listeners; messages first to the message hook.

        Messages are by far the busiest event, and Agora itself only counts them (O(1), no
        await; no prefix commands to parse). discord.py would start a task per listener per
        message, and its gateway reader drains everything buffered before it yields: at
        5,000 messages a second those tasks held interactions back ~150 ms
        (bench/activity.py). The hook runs as a plain callback instead, queued behind the
        listener tasks of earlier events (a thread's creation is handled before its first
        message is counted). A message still reaches every other listener for it (a cog's
        ``on_message``, ``wait_for("message")``) whenever there is one.
        """
        if event_name != "message":
            super().dispatch(event_name, *args, **kwargs)
            return
        if self.message_hook is not None:
            self.loop.call_soon(self._run_message_hook, self.message_hook, args[0])
        if self.listens_for_messages():
            super().dispatch(event_name, *args, **kwargs)

    def listens_for_messages(self) -> bool:
        """Whether anything but the message hook waits for messages: a listener added by a
        cog or ``add_listener``, or a ``wait_for("message")``. (commands.Bot's own
        ``on_message`` only runs prefix commands, and Agora has none.)"""
        return bool(self.extra_events.get("on_message")) or bool(self._listeners.get("message"))

    @staticmethod
    def _run_message_hook(
        hook: Callable[[discord.Message], None], message: discord.Message
    ) -> None:
        try:
            hook(message)
        except Exception:
            log.exception("counting a message failed")

    async def on_ready(self) -> None:
        for guild in self.guilds:
            # The organiser role, known by id from its first sight (OrganiserRoles).
            await self.services.organisers.notice(guild.id, role_names(guild))
        seed_file = self.config.community.seed_file
        if seed_file:
            for guild in self.guilds:
                report = await self.services.importer.import_seed_if_empty(guild.id, seed_file)
                if report is not None:
                    log.info("seeded %s from %s: %s", guild.name, seed_file, report.summary())
        log.info(
            "Agora is ready as %s in %s%s",
            self.user,
            plural(len(self.guilds), "guild"),
            self.shards_said(),
        )
        self.agora_ready.set()

    def shards_said(self) -> str:
        """Which shards this process runs, for the log ("" when it is not sharded)."""
        scope = self.services.scope
        if not self.config.discord.sharded:
            return ""
        count = self.config.discord.shard_count
        shards = scope.shard_ids if scope.shard_ids is not None else range(count)
        which = "shard" if len(shards) == 1 else "shards"
        return f" ({which} {', '.join(str(shard) for shard in shards)} of {count})"

    async def sync_commands(self) -> None:
        """Sync to the development guilds, or globally, when the command set changed.

        Once per fleet, not once per process: the global commands by the process running
        shard 0, a development guild's by the process running that guild's shard.
        """
        scope = self.services.scope
        guild_ids: list[int | None] = list(self.config.discord.dev_guild_ids) or [None]
        for guild_id in guild_ids:
            guild = discord.Object(guild_id) if guild_id is not None else None
            if guild is not None:
                self.tree.copy_global_to(guild=guild)
            target = f"guild:{guild_id}" if guild_id is not None else "global"
            shard = 0 if guild_id is None else shard_of(guild_id, scope.shard_count)
            if not scope.runs_shard(shard):
                running = "the process running shard %d syncs the commands for %s; not here"
                log.info(running, shard, target)
                continue
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


class ShardedAgoraBot(AgoraBot, commands.AutoShardedBot):
    """AgoraBot on several gateway connections, one per shard it runs (discord.py's
    ``AutoShardedBot``, given ``shard_count`` and ``shard_ids``).

    discord.py dispatches ``on_ready`` once every shard of the process has received its
    guilds, so Agora is ready (``agora_ready``) when all its shards are. Later, a process
    of one shard gets ``on_ready`` again whenever its shard reconnects without resuming,
    as an unsharded one does; with several shards discord.py waits for all of them to
    have done so, and one shard that did gets only ``on_shard_ready``. Agora then
    dispatches ``ready`` itself, so the catch-ups after downtime (roles, discussions,
    organiser roles) run for what that shard missed. (Should every shard reconnect at
    once, they run twice; each is idempotent.)
    """

    async def on_shard_ready(self, shard_id: int) -> None:
        on_shard = [guild for guild in self.guilds if guild.shard_id == shard_id]
        log.info(
            "shard %d of %d is ready: %s",
            shard_id,
            self.config.discord.shard_count,
            plural(len(on_shard), "guild"),
        )
        shards = self.shard_ids if self.shard_ids is not None else range(self.shard_count or 1)
        if self.agora_ready.is_set() and len(shards) > 1:
            self.dispatch("ready")

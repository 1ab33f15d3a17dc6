"""Gateway listeners for discussions: threads come and go, messages are counted.

Every public thread of an initiative's channel (and every post of an
initiative's forum) is a discussion. Thread events go to the discussion
service; each guild message goes to ``activity.record_message`` through the bot's
message hook (called in place, no task per message: see ``AgoraClient.dispatch``), which only
touches dictionaries (the batch writer does the I/O), so a burst of thousands
of messages a second never waits on the database. No message content is read:
Agora needs the Guild Messages intent, not Message Content. Only members' posts count:
never a message by a bot (Agora's own included), a webhook or the system.

After downtime, ``on_ready`` reconciles each guild with Discord's active and
archived thread listings. Threads Agora creates itself (``/discussion start``)
are recorded by that command with the member who asked as their author, so the
gateway's copy of them (owned by the bot) is skipped here.

Other cogs and tests can follow what happened through the ``agora_discussion``
event, dispatched as ``(kind, discussion)`` with kind one of created, updated,
deleted; and through :attr:`ActivityListener.reconciled`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

import discord
from discord.ext import commands

from bot.cogs.shared.client import AgoraClient
from bot.services.discussions.models import Discussion
from bot.services.discussions.service import ReconcileReport, ThreadSnapshot

log = logging.getLogger(__name__)

DISCUSSION_EVENT = "agora_discussion"


def thread_created_at(thread: discord.Thread) -> datetime:
    """When Discord says the thread was made (its snowflake time for old threads)."""
    return thread.created_at or discord.utils.snowflake_time(thread.id)


def snapshot_of(thread: discord.Thread) -> ThreadSnapshot:
    """A thread as a reconciliation snapshot (from Discord's listings). Its message_count is
    left out: Discord counts bots' and system messages too (see ``counts_as_activity``)."""
    return ThreadSnapshot(
        thread_id=thread.id,
        parent_channel_id=thread.parent_id,
        name=thread.name,
        owner_id=thread.owner_id,
        archived=thread.archived,
        locked=thread.locked,
        created_at=thread_created_at(thread),
        archived_at=thread.archive_timestamp if thread.archived else None,
    )


# What members type: plain messages and replies. Every other type is the system's (joins,
# pins, thread notices) or an app's (slash command and context menu responses).
_MEMBER_MESSAGE_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})


def counts_as_activity(message: discord.Message) -> bool:
    """Whether a message is a member's post, counted as activity and participation: never
    one by a bot (Agora's own replies and interaction responses included), a webhook, or
    the system."""
    return (
        message.webhook_id is None
        and not message.author.bot
        and message.type in _MEMBER_MESSAGE_TYPES
    )


def is_public_thread(thread_type: discord.ChannelType | int | None) -> bool:
    """Private threads are not discussions: their names would leak into listings."""
    value = thread_type.value if isinstance(thread_type, discord.ChannelType) else thread_type
    return value != discord.ChannelType.private_thread.value


class ActivityListener(commands.Cog):
    """Follows threads and counts messages in the initiatives' channels."""

    def __init__(self, bot: AgoraClient) -> None:
        self.bot = bot
        self.reconciled = asyncio.Event()
        self.reports: dict[int, ReconcileReport] = {}
        self._reconcile_lock = asyncio.Lock()

    async def cog_load(self) -> None:
        self.bot.message_hook = self.count_message

    async def cog_unload(self) -> None:
        if self.bot.message_hook == self.count_message:
            self.bot.message_hook = None

    def _is_own(self, owner_id: int | None) -> bool:
        return self.bot.user is not None and owner_id == self.bot.user.id

    def _announce(self, kind: str, discussion: Discussion) -> None:
        self.bot.dispatch(DISCUSSION_EVENT, kind, discussion)

    # -- threads ----------------------------------------------------------------

    @commands.Cog.listener()
    async def on_thread_create(self, thread: discord.Thread) -> None:
        if not is_public_thread(thread.type) or self._is_own(thread.owner_id):
            return
        discussion = await self._thread_created(thread)
        if discussion is not None:
            self._announce("created", discussion)

    @commands.Cog.listener()
    async def on_raw_thread_update(self, payload: discord.RawThreadUpdateEvent) -> None:
        data: dict[str, Any] = dict(payload.data)
        metadata: dict[str, Any] = dict(data.get("thread_metadata") or {})
        archived = bool(metadata.get("archived", False))
        locked = bool(metadata.get("locked", False))
        archived_at = discord.utils.parse_time(metadata.get("archive_timestamp"))
        name = str(data.get("name") or "")
        discussions = self.bot.services.discussions
        discussion = await discussions.thread_updated(
            payload.guild_id,
            payload.thread_id,
            name,
            archived,
            locked,
            archived_at if archived else None,
        )
        if discussion is None and payload.thread is not None:
            # A thread Agora missed (made before its channel was linked, or
            # unarchived after a long time): track it now.
            discussion = await self._track_late(payload.thread, archived, locked, archived_at)
        if discussion is not None:
            self._announce("updated", discussion)

    async def _track_late(
        self,
        thread: discord.Thread,
        archived: bool,
        locked: bool,
        archived_at: datetime | None,
    ) -> Discussion | None:
        if not is_public_thread(thread.type):
            return None
        created = await self._thread_created(thread)
        if created is None or not (archived or locked):
            return created
        return await self.bot.services.discussions.thread_updated(
            thread.guild.id, thread.id, thread.name, archived, locked, archived_at
        )

    async def _thread_created(self, thread: discord.Thread) -> Discussion | None:
        """Record the thread as a discussion (None when its channel is no initiative's)."""
        return await self.bot.services.discussions.thread_created(
            thread.guild.id,
            thread.id,
            thread.parent_id,
            thread.name,
            thread.owner_id,
            thread_created_at(thread),
        )

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        gone = await self.bot.services.discussions.channel_deleted(channel.guild.id, channel.id)
        for discussion in gone:
            self._announce("deleted", discussion)

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        discussion = await self.bot.services.discussions.thread_deleted(
            payload.guild_id, payload.thread_id
        )
        if discussion is not None:
            self._announce("deleted", discussion)

    # -- messages ---------------------------------------------------------------

    def count_message(self, message: discord.Message) -> None:
        """The bot's message hook: called in place for every message (see AgoraClient.dispatch).
        O(1), no await: messages outside tracked threads are dropped in a set lookup, and
        messages that are not a member's post are never counted."""
        guild = message.guild
        if guild is None or not counts_as_activity(message):
            return
        message_id = message.id
        self.bot.services.activity.record_message_at(
            guild.id,
            message.channel.id,
            message.author.id,
            ((message_id >> 22) + discord.utils.DISCORD_EPOCH) // 1000,  # the snowflake's time
            message_id,
        )

    # -- after downtime ---------------------------------------------------------

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # on_ready also follows a reconnect that could not resume: events may
        # have been missed then too, so every ready reconciles.
        async with self._reconcile_lock:
            self.reconciled.clear()
            try:
                for guild in list(self.bot.guilds):
                    try:
                        report = await self.reconcile_guild(guild)
                    except Exception:
                        if self.bot.is_closed():
                            return  # stopping: the next start reconciles
                        log.exception("could not reconcile the discussions of %s", guild.id)
                        continue
                    self.reports[guild.id] = report
                    if report.changed:
                        log.info(
                            "reconciled %s: %d created, %d archived, %d unarchived, "
                            "%d renamed, %d deleted",
                            guild.name,
                            len(report.created),
                            len(report.archived),
                            len(report.unarchived),
                            len(report.renamed),
                            len(report.deleted),
                        )
            finally:
                self.reconciled.set()
        self.bot.dispatch("agora_reconciled")

    async def reconcile_guild(self, guild: discord.Guild) -> ReconcileReport:
        """Compare what Agora knows with Discord's thread listings, and catch up."""
        services = self.bot.services
        active = [
            snapshot_of(thread)
            for thread in await guild.active_threads()
            if is_public_thread(thread.type)
        ]
        archived: list[ThreadSnapshot] = []
        listed: list[int] = []
        for initiative in await services.directory.all_initiatives(guild.id):
            if initiative.channel_id is None:
                continue
            channel = guild.get_channel(initiative.channel_id)
            if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
                continue
            try:
                found = [thread async for thread in channel.archived_threads(limit=None)]
            except discord.Forbidden:
                # Without Read Message History the listing is refused; without
                # it Agora cannot tell deleted threads from unlisted ones.
                log.warning("cannot list archived threads of #%s", channel.name)
                continue
            archived.extend(snapshot_of(thread) for thread in found)
            listed.append(channel.id)
        return await services.discussions.reconcile(guild.id, active, archived, listed)

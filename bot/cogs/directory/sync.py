"""Gateway listeners that keep the directory in step with what people do in Discord.

* a mapped channel (or category) deleted: its mapping is cleared; renames need
  nothing, the mapping is by id;
* a mapped role deleted: its mapping is cleared (memberships stay);
* an initiative role granted or removed by hand: the membership starts or ends
  (history kept with dates and the reason ``role_added`` / ``role_removed``);
  only while the role is one Agora may hand out (``role_safety``): a mapped
  role with powers is ignored, with a warning in the log;
* a member leaving the server: all their memberships end (``left_server``);
* joining a new server: the seed directory is loaded there if it is empty;
* on (re)connecting: memberships catch up with the roles members hold, and
  with members who left, while Agora was away. In the background, after ready:
  the member list of each guild with initiative roles or memberships is asked
  for then (one guild at a time per connection), a guild with neither never
  (until ``/admin setup`` or ``/admin import`` gives it some).

After handling each event the cog dispatches ``directory_sync`` with a
``SyncNote`` (what was handled and whether anything changed), so tests and
other cogs can await the outcome instead of guessing how long it takes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import discord
from discord.ext import commands

from bot.cogs.shared.client import AgoraClient
from bot.cogs.shared.role_guard import role_facts, role_guard, role_names
from bot.services.common.text import plural

log = logging.getLogger(__name__)

# Beyond discord.py's own wait for a guild's members: its pacing of the connection's
# commands (at most 110 a minute) may hold a request back up to a minute.
CHUNK_TIMEOUT_SECONDS = 90.0

SYNC_EVENT = "directory_sync"  # bot.wait_for("directory_sync", check=...)


@dataclass(frozen=True)
class SyncNote:
    """One handled gateway event: ``kind`` is channel_deleted, channel_renamed,
    role_created, role_updated, role_deleted, roles_changed, member_left, reconciled or
    guild_joined; ``subject_id`` the
    channel, role, user or guild; ``changed`` whether the directory changed."""

    kind: str
    guild_id: int
    subject_id: int
    changed: bool


class DirectorySync(commands.Cog):
    def __init__(self, bot: AgoraClient) -> None:
        self.bot = bot
        # The member catch-up of each guild, running or waiting for its connection's turn.
        self._catch_ups: dict[int, asyncio.Task[None]] = {}
        self._running: set[int] = set()  # of those, the ones under way
        self._again: set[int] = set()  # asked for again while under way
        self._slots: dict[int, asyncio.Semaphore] = {}  # one chunk at a time per shard
        self._closing = False
        self._caught_up = 0  # guilds done since the catch-ups were last all done (for the log)

    def _done(self, kind: str, guild_id: int, subject_id: int, changed: bool) -> None:
        self.bot.dispatch(SYNC_EVENT, SyncNote(kind, guild_id, subject_id, changed))

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        cleared = await self.bot.services.directory.channel_deleted(channel.guild.id, channel.id)
        changed = bool(cleared.initiative_ids or cleared.cluster_ids)
        if changed:
            log.info("channel %s deleted in guild %s: %s", channel.id, channel.guild.id, cleared)
        self._done("channel_deleted", channel.guild.id, channel.id, changed)

    @commands.Cog.listener()
    async def on_guild_channel_update(
        self, before: discord.abc.GuildChannel, after: discord.abc.GuildChannel
    ) -> None:
        if before.name == after.name:
            return
        initiative = await self.bot.services.directory.channel_renamed(after.guild.id, after.id)
        if initiative is not None:
            log.info(
                "channel of %s renamed %r -> %r; the mapping follows (by id)",
                initiative.slug,
                before.name,
                after.name,
            )
        self._done("channel_renamed", after.guild.id, after.id, False)

    @commands.Cog.listener()
    async def on_guild_role_delete(self, role: discord.Role) -> None:
        cleared = await self.bot.services.directory.role_deleted(role.guild.id, role.id)
        organiser = await self.bot.services.organisers.role_deleted(role.guild.id, role.id)
        changed = bool(cleared.initiative_ids or cleared.cluster_ids) or organiser
        if changed:
            log.info("role %s deleted in guild %s: %s", role.id, role.guild.id, cleared)
        self._done("role_deleted", role.guild.id, role.id, changed)

    @commands.Cog.listener()
    async def on_guild_role_create(self, role: discord.Role) -> None:
        await self._notice_organiser_role(role, "role_created")

    @commands.Cog.listener()
    async def on_guild_role_update(self, before: discord.Role, after: discord.Role) -> None:
        await self._notice_organiser_role(after, "role_updated")

    async def _notice_organiser_role(self, role: discord.Role, kind: str) -> None:
        """The organiser role is recorded by id the first time a role of its name is seen;
        after that a rename changes nothing."""
        organisers = self.bot.services.organisers
        known = organisers.role_id(role.guild.id)
        recorded = await organisers.notice(role.guild.id, [(role.id, role.name)])
        self._done(kind, role.guild.id, role.id, recorded != known)

    @commands.Cog.listener()
    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        if after.bot or before.roles == after.roles:
            return
        changed = set(before.roles) ^ set(after.roles)
        unsafe = await self._unsafe_mapped(after.guild, changed)
        sync = await self.bot.services.memberships.sync_member_roles(
            after.guild.id,
            after.id,
            [role.id for role in after.roles],
            before=[role.id for role in before.roles],
            unsafe=unsafe,
        )
        if sync.started or sync.ended:
            log.info(
                "roles of %s changed by hand in guild %s: started %s, ended %s",
                after.id,
                after.guild.id,
                [change.initiative.slug for change in sync.started],
                [change.initiative.slug for change in sync.ended],
            )
        self._done("roles_changed", after.guild.id, after.id, bool(sync.started or sync.ended))

    async def _unsafe_mapped(
        self, guild: discord.Guild, roles: set[discord.Role] | None = None
    ) -> frozenset[int]:
        """The initiative roles (among ``roles``; default all) Agora must not hand out,
        each logged: holding one neither starts nor ends a membership."""
        guard = role_guard(
            guild, self.bot.services.organisers, self.bot.config.community.organiser_role
        )
        directory = self.bot.services.directory
        unsafe = set()
        for role in guild.roles if roles is None else roles:
            initiative = await directory.initiative_by_role(guild.id, role.id)
            why = None if initiative is None else guard.why_unsafe(role_facts(role))
            if initiative is None or why is None:
                continue
            unsafe.add(role.id)
            log.warning(
                "role %s of %s in guild %s is not treated as an initiative role: %s",
                role.name,
                initiative.slug,
                guild.id,
                why,
            )
        return frozenset(unsafe)

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        ended = await self.bot.services.memberships.member_left_server(
            payload.guild_id, payload.user.id
        )
        if ended:
            log.info(
                "%s left guild %s: %s ended",
                payload.user.id,
                payload.guild_id,
                plural(len(ended), "membership"),
            )
        self._done("member_left", payload.guild_id, payload.user.id, bool(ended))

    # --- the catch-up after (re)connecting --------------------------------------------

    @commands.Cog.listener()
    async def on_agora_ready(self) -> None:
        """Roles granted or removed, and members gone, while Agora was not connected.

        Dispatched by the bot once ready (and again when a shard re-identifies), after
        seeding: the member lists were not asked for before ready (1,000 guilds took
        minutes at the gateway's 120 commands a minute), so each guild that needs its list
        is caught up here, in the background."""
        await self.catch_up(self.bot.guilds)

    @commands.Cog.listener()
    async def on_app_command_completion(
        self, interaction: discord.Interaction, command: object
    ) -> None:
        """A guild may have just got its first initiative roles (``/admin setup``,
        ``/admin import``): from then on its members' roles matter."""
        guild = interaction.guild
        if guild is not None and not guild.chunked and guild.id not in self._catch_ups:
            await self.catch_up([guild])

    async def catch_up(self, guilds: Collection[discord.Guild]) -> None:
        """Start the catch-up of those of ``guilds`` whose member list matters (one query),
        unless one is already running or waiting for that guild."""
        follow = await self.bot.services.memberships.guilds_following_members(
            [guild.id for guild in guilds], self.bot.services.scope
        )
        for guild in guilds:
            if guild.id not in follow:
                continue
            if guild.id in self._running:
                # Once more afterwards: a new session may have reset its member list.
                self._again.add(guild.id)
            elif guild.id not in self._catch_ups:  # waiting: it reads the guild as it is then
                self._start(guild.id, guild.shard_id)

    def _start(self, guild_id: int, shard_id: int) -> None:
        task = asyncio.create_task(
            self._catch_up_guild(guild_id, shard_id), name=f"catch-up {guild_id}"
        )
        self._catch_ups[guild_id] = task
        task.add_done_callback(lambda _: self._finished(guild_id, shard_id))

    def _finished(self, guild_id: int, shard_id: int) -> None:
        self._catch_ups.pop(guild_id, None)
        if self._closing:
            return
        self._caught_up += 1
        if guild_id in self._again:
            self._again.discard(guild_id)
            self._start(guild_id, shard_id)
        elif not self._catch_ups:
            log.info("member catch-up done: %s", plural(self._caught_up, "guild"))
            self._caught_up = 0
            # The member lists just loaded (chunked) are long-lived: 21,000 members are
            # ~125,000 objects in discord.py's cache, and every full collection walked them
            # (25-30 ms pauses in the middle of interactions). Out of the collector's
            # sight, as the directory is (DirectoryCache); reference counting still frees
            # whoever leaves.
            self.bot.services.heap.settled()

    async def caught_up(self) -> None:
        """Until no catch-up is running or waiting (for tests and benchmarks)."""
        while self._catch_ups:
            await asyncio.wait(list(self._catch_ups.values()))

    async def _catch_up_guild(self, guild_id: int, shard_id: int) -> None:
        """Load the guild's members, then make memberships match: one guild at a time per
        gateway connection, whose commands discord.py paces."""
        slot = self._slots.setdefault(shard_id, asyncio.Semaphore(1))
        try:
            async with slot:
                self._running.add(guild_id)
                as_of = self.bot.services.memberships.now()
                guild = self.bot.get_guild(guild_id)
                if guild is not None and not guild.chunked:
                    timeout = CHUNK_TIMEOUT_SECONDS + (guild.member_count or 0) / 10_000
                    async with asyncio.timeout(timeout):
                        await guild.chunk()
                    guild = self.bot.get_guild(guild_id)  # a new session has a new object
                if guild is None:
                    return
                if not guild.chunked:
                    # Without the full member list, absence would read as "left".
                    log.warning("members of %s not loaded; role catch-up skipped", guild_id)
                    return
                await self._reconcile(guild, as_of)
        except TimeoutError:
            log.warning("members of %s did not arrive; role catch-up skipped", guild_id)
        except (discord.ClientException, discord.HTTPException) as error:
            log.warning("members of %s not loaded (%s); role catch-up skipped", guild_id, error)
        except Exception:
            log.exception("the role catch-up of guild %s failed", guild_id)
        finally:
            self._running.discard(guild_id)

    async def _reconcile(self, guild: discord.Guild, as_of: datetime) -> None:
        roles_by_member = {
            member.id: [role.id for role in member.roles]
            for member in guild.members
            if not member.bot
        }
        sync = await self.bot.services.memberships.reconcile(
            guild.id, roles_by_member, unsafe=await self._unsafe_mapped(guild), as_of=as_of
        )
        if sync.started or sync.ended:
            log.info(
                "caught up with %s: %s started, %d ended",
                guild.id,
                plural(len(sync.started), "membership"),
                len(sync.ended),
            )
        changed_users = {change.membership.user_id for change in (*sync.started, *sync.ended)}
        for user_id in changed_users:
            if user_id is not None:
                self._done("roles_changed", guild.id, user_id, True)
        self._done("reconciled", guild.id, guild.id, bool(changed_users))

    async def cog_unload(self) -> None:
        """Stopping Agora: catch-ups still waiting or running are cancelled."""
        self._closing = True
        tasks = list(self._catch_ups.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.bot.services.organisers.notice(guild.id, role_names(guild))
        seed_file = self.bot.config.community.seed_file
        report = None
        if seed_file:
            report = await self.bot.services.importer.import_seed_if_empty(guild.id, seed_file)
        if report is not None:
            log.info("joined %s; seeded from %s: %s", guild.name, seed_file, report.summary())
        self._done("guild_joined", guild.id, guild.id, report is not None)
        await self.catch_up([guild])  # a guild Agora was in before has memberships

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
  with members who left, while Agora was away.

After handling each event the cog dispatches ``directory_sync`` with a
``SyncNote`` (what was handled and whether anything changed), so tests and
other cogs can await the outcome instead of guessing how long it takes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import discord
from discord.ext import commands

from bot.cogs.shared.client import AgoraClient
from bot.cogs.shared.role_guard import role_facts, role_guard, role_names
from bot.services.common.text import plural

log = logging.getLogger(__name__)

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

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Roles granted or removed, and members gone, while Agora was not connected."""
        for guild in self.bot.guilds:
            if not guild.chunked:
                # Without the full member list, absence would read as "left".
                log.warning("members of %s not loaded; role catch-up skipped", guild.id)
                continue
            roles_by_member = {
                member.id: [role.id for role in member.roles]
                for member in guild.members
                if not member.bot
            }
            sync = await self.bot.services.memberships.reconcile(
                guild.id, roles_by_member, unsafe=await self._unsafe_mapped(guild)
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
        # The member lists just loaded (chunked) are long-lived: 21,000 members are ~125,000
        # objects in discord.py's cache, and every full collection walked them (25-30 ms
        # pauses in the middle of interactions). Out of the collector's sight, as the
        # directory is (DirectoryCache); reference counting still frees whoever leaves.
        self.bot.services.heap.settled()

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

"""Members are asked for after ready, not before: the directory's catch-up loads the member
list of each guild with initiative roles or memberships in the background, and a guild with
neither is never asked; what reads members before that asks Discord for one instead."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from bot.cogs.directory.sync import SYNC_EVENT, DirectorySync, SyncNote
from bot.cogs.privacy.commands import remove_initiative_roles
from bot.config import Config
from bot.runtime import DiscordNames, RunningAgora, build_agora
from discord_sandbox import Sandbox
from tests.conftest import AgoraStarter
from tests.support.sync import handled


@dataclass
class Watched:
    """An Agora started with listeners in place before it connected."""

    running: RunningAgora
    chunked_at_ready: dict[int, bool] = field(default_factory=dict)
    notes: list[SyncNote] = field(default_factory=list)
    reconciled: dict[int, asyncio.Event] = field(default_factory=dict)

    def reconciled_event(self, guild_id: int) -> asyncio.Event:
        return self.reconciled.setdefault(guild_id, asyncio.Event())


@asynccontextmanager
async def watched_agora(config: Config) -> AsyncIterator[Watched]:
    """Start Agora as ``start_agora`` does, but with listeners added before it connects:
    which guilds' members discord.py held at ready, and every sync note."""
    bot = await build_agora(config)
    watched = Watched(RunningAgora(bot, asyncio.create_task(asyncio.sleep(0))))

    async def on_ready() -> None:
        watched.chunked_at_ready.update({guild.id: guild.chunked for guild in bot.guilds})

    async def on_sync(note: SyncNote) -> None:
        watched.notes.append(note)
        if note.kind == "reconciled":
            watched.reconciled_event(note.guild_id).set()

    bot.add_listener(on_ready, "on_ready")
    bot.add_listener(on_sync, f"on_{SYNC_EVENT}")
    task = asyncio.create_task(bot.start(config.token), name="agora")
    watched.running = RunningAgora(bot, task)
    try:
        ready = asyncio.ensure_future(bot.agora_ready.wait())
        done, _ = await asyncio.wait({task, ready}, timeout=30)
        assert ready in done, "Agora was not ready"
        yield watched
    finally:
        await watched.running.stop()


def without_seed(config: Config) -> Config:
    """No seed directory: a guild Agora finds stays without initiatives."""
    return dataclasses.replace(
        config, community=dataclasses.replace(config.community, seed_file="")
    )


async def test_ready_comes_first_then_the_catch_up_follows_who_left_and_roles_given_by_hand(
    sandbox: Sandbox, seeded: RunningAgora, agora_config: Config
) -> None:
    guild_id = int(sandbox.guild.id)
    erin, grace = sandbox.user("erin"), sandbox.user("grace")
    await erin.slash("initiative join", initiative="Small Giants")
    await seeded.stop()

    # While Agora is away: erin leaves, grace is given a role by hand, and a guild with
    # members but no initiatives appears.
    await sandbox.leave(erin)
    await sandbox.add_role(grace, "Humble Lamppost")
    quiet = sandbox.create_seed_guild("Quiet Place")
    await sandbox.join("heidi", quiet)
    await sandbox.join("grace", quiet)
    quiet_id = int(quiet.id)

    async with watched_agora(without_seed(agora_config)) as watched:
        bot = watched.running.bot
        # Ready without either member list (GUILD_CREATE carries only Agora's own member).
        assert watched.chunked_at_ready == {guild_id: False, quiet_id: False}
        assert len(sandbox.guild.members) > 2 and len(quiet.members) > 2

        await asyncio.wait_for(watched.reconciled_event(guild_id).wait(), 15)
        sync = bot.get_cog("DirectorySync")
        assert isinstance(sync, DirectorySync)
        await asyncio.wait_for(sync.caught_up(), 15)
        guild = bot.get_guild(guild_id)
        assert guild is not None and guild.chunked  # loaded in the background, then reconciled

        memberships = bot.services.memberships
        assert await memberships.my_initiatives(guild_id, int(erin.id)) == []
        erin_history = await bot.store.memberships.history_for_user(guild_id, int(erin.id))
        assert [m.left_reason for m in erin_history] == ["left_server"]
        grace_now = await memberships.my_initiatives(guild_id, int(grace.id))
        assert [m.initiative.slug for m in grace_now] == ["humble-lamppost"]
        grace_history = await bot.store.memberships.history_for_user(guild_id, int(grace.id))
        assert [m.join_reason for m in grace_history] == ["role_added"]

        # The guild without initiatives: never asked for, never reconciled.
        quiet_guild = bot.get_guild(quiet_id)
        assert quiet_guild is not None and not quiet_guild.chunked
        assert [n.guild_id for n in watched.notes if n.kind == "reconciled"] == [guild_id]


async def test_a_guild_laid_out_after_ready_has_its_members_followed(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    """The seed directory has no roles and no members yet: nothing to catch up at ready.
    ``/admin setup`` maps the roles; from then on roles given by hand count."""
    guild_id = int(sandbox.guild.id)
    bot = agora.bot
    sync = bot.get_cog("DirectorySync")
    assert isinstance(sync, DirectorySync)
    assert (
        await bot.services.memberships.guilds_following_members([guild_id], bot.services.scope)
        == set()
    )

    note = await handled(agora, "reconciled", lambda: sandbox.user("admin").slash("admin setup"))
    assert note.guild_id == guild_id
    guild = bot.get_guild(guild_id)
    assert guild is not None and guild.chunked

    ivan = sandbox.user("ivan")
    note = await handled(agora, "roles_changed", lambda: sandbox.add_role(ivan, "Small Giants"))
    assert note.changed and note.subject_id == int(ivan.id)


async def test_members_not_yet_loaded_are_asked_of_discord(
    sandbox: Sandbox, start_agora_fn: AgoraStarter
) -> None:
    """Web names and /privacy forget's role removal in a guild whose members were never
    loaded: a member discord.py has not seen is asked for, not taken for gone."""
    judy = sandbox.user("judy")  # a member before Agora connects: not in its cache
    await sandbox.set_nick(judy, "Judy from Ghent")
    role = await sandbox.create_role("Lamppost Friends")
    await sandbox.add_role(judy, role)
    kim = sandbox.user("kim")
    await sandbox.leave(kim)

    agora = await start_agora_fn()
    guild = agora.bot.get_guild(int(sandbox.guild.id))
    assert guild is not None and not guild.chunked
    assert guild.get_member(int(judy.id)) is None

    names = await DiscordNames(agora.bot).display_names(guild.id, [int(judy.id), int(kim.id)])
    assert names == {int(judy.id): "Judy from Ghent"}  # kim left: unnamed

    note = await remove_initiative_roles(guild, int(judy.id), (int(role.id),))
    assert note == ""
    assert int(role.id) not in sandbox.member(judy).roles

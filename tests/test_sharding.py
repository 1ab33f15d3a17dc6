"""Agora as a fleet of shard processes against the sandbox, over real sockets.

The sandbox holds four guilds, two on each of two shards, and refuses a session holding
more than two (4011, as Discord past 2,500): Agora must run sharded. Two Agora instances,
``shard_ids = [0]`` and ``[1]`` of 2, share one PostgreSQL database as a fleet does; each
receives, warms and answers only the guilds of its shard, and the commands are synced
once, by the process running shard 0. One process may also run both shards, on SQLite.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal
import sys
from pathlib import Path

import orjson
import pytest
from discord.ext import commands

from bot.app import ShardedAgoraBot
from bot.config import Config, ConfigError, parse_config
from bot.launch import sandbox_config, seed_path
from bot.runtime import RunningAgora, start_agora
from bot.storage.store import Store
from bot.wiring import build_services
from discord_sandbox import Sandbox
from discord_sandbox.models import Guild
from tests.conftest import NO_LIMITS
from tests.support.fleet import guilds_on, ready_line
from tests.support.postgres import PostgresServer
from tests.terminal import REPOSITORY


def fleet_config(sandbox: Sandbox, database: dict[str, object], **discord: object) -> Config:
    """Agora pointed at the sandbox through ``[discord]`` as a config.toml would, with
    global commands (no development guild)."""
    raw: dict[str, dict[str, object]] = {
        "database": database,
        "limits": dict(NO_LIMITS),
        "discord": dict(discord),
    }
    config = sandbox_config(
        parse_config(raw),
        api_base=sandbox.api_base,
        gateway_url=sandbox.gateway_url,
        token=sandbox.bot_token,
        guild_id=int(sandbox.guild.id),
    )
    return dataclasses.replace(
        config, discord=dataclasses.replace(config.discord, dev_guild_ids=())
    )


def global_command_calls(sandbox: Sandbox) -> list[str]:
    """The calls made on the global commands (/applications/{id}/commands)."""
    return [
        call.method
        for call in sandbox.log.calls
        if call.path.endswith("/commands") and "/guilds/" not in call.path
    ]


async def initiative_info(sandbox: Sandbox, guild: Guild) -> str:
    """``/initiative info`` typed by the owner in the guild's #general; the embed's title."""
    general = sandbox.state.channels[str(guild.system_channel_id)]
    result = await sandbox.user("admin").slash(
        "initiative info", in_channel=general, initiative="Humble Lamppost"
    )
    assert result.embed is not None, result.text
    return str(result.embed["title"])


async def test_two_processes_share_the_guilds_of_one_postgresql_database(
    four_guilds: Sandbox, postgres_server: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.app")
    sandbox = four_guilds
    url = await postgres_server.new_database()
    # Every guild already has its directory (the fleet is replacing one process).
    store = await Store.open(url)
    try:
        services = build_services(store=store, config=Config())
        await services.start()
        for guild in sandbox.state.guilds.values():
            await services.importer.import_seed_if_empty(int(guild.id), seed_path())
        await services.close()
    finally:
        await store.close()

    started: list[RunningAgora] = []
    try:
        for shard in (0, 1):
            config = fleet_config(sandbox, {"url": url}, shard_count=2, shard_ids=[shard])
            started.append(await start_agora(config))
        first, second = started
        for shard, running in enumerate(started):
            bot = running.bot
            assert isinstance(bot, commands.AutoShardedBot)
            assert (bot.shard_count, bot.shard_ids) == (2, [shard])
            assert {guild.id for guild in bot.guilds} == guilds_on(sandbox, shard)
            assert {guild.shard_id for guild in bot.guilds} == {shard}
            # Warmed at start: the directories of its own guilds only.
            for guild in sandbox.state.guilds.values():
                owned = int(guild.id) in guilds_on(sandbox, shard)
                assert bot.services.cache.loaded(int(guild.id)) == owned, (shard, guild.name)
        # The global commands were synced by shard 0's process alone; the other did not
        # even look at them.
        assert global_command_calls(sandbox) == ["PUT"]
        said = [record.getMessage() for record in caplog.records]
        assert any(line.endswith("in 2 guilds (shard 0 of 2)") for line in said), said
        assert any(line.endswith("in 2 guilds (shard 1 of 2)") for line in said), said
        assert "the process running shard 0 syncs the commands for global; not here" in said

        for guild in sandbox.state.guilds.values():
            assert await initiative_info(sandbox, guild) == "Humble Lamppost", guild.name
        # Each guild was answered by the process of its shard: neither ever loaded the
        # other's directories.
        assert {
            g for g in map(int, sandbox.state.guilds) if first.bot.services.cache.loaded(g)
        } == (guilds_on(sandbox, 0))
        assert {
            g for g in map(int, sandbox.state.guilds) if second.bot.services.cache.loaded(g)
        } == (guilds_on(sandbox, 1))
    finally:
        for running in reversed(started):
            await running.stop()


async def test_one_process_may_run_every_shard_on_sqlite(
    four_guilds: Sandbox, tmp_path: Path
) -> None:
    sandbox = four_guilds
    config = fleet_config(sandbox, {"path": str(tmp_path / "agora.db")}, shard_count=2)
    running = await start_agora(config)
    try:
        bot = running.bot
        assert isinstance(bot, ShardedAgoraBot)
        # Ready once both shards are: every guild is there.
        assert sorted(bot.shards) == [0, 1]
        assert {guild.id for guild in bot.guilds} == guilds_on(sandbox, 0) | guilds_on(sandbox, 1)
        assert bot.services.scope.everything
        for guild in sandbox.state.guilds.values():  # seeded at first sight, each
            assert await initiative_info(sandbox, guild) == "Humble Lamppost", guild.name
        assert global_command_calls(sandbox) == ["PUT"]

        # Shard 1 alone loses its session: once it has identified again, the catch-ups
        # after downtime run (on_ready), as they do for one connection.
        (session,) = [s for s in sandbox.gateway.connected_sessions if s.shard == (1, 2)]
        ready_again = asyncio.ensure_future(bot.wait_for("ready", timeout=30))
        assert session.conn is not None
        await session.conn.send(orjson.dumps({"op": 9, "d": False}).decode())
        sandbox.gateway.sessions.pop(session.session_id, None)
        await ready_again
        assert {guild.id for guild in bot.guilds} == guilds_on(sandbox, 0) | guilds_on(sandbox, 1)
        assert [s.shard for s in sandbox.gateway.connected_sessions if s.shard == (1, 2)] == [
            (1, 2)
        ]
    finally:
        await running.stop()


async def test_part_of_the_shards_on_sqlite_is_refused_before_connecting(
    four_guilds: Sandbox, tmp_path: Path
) -> None:
    database = tmp_path / "agora.db"
    config = fleet_config(four_guilds, {"path": str(database)}, shard_count=2, shard_ids=[1])
    with pytest.raises(ConfigError) as refused:
        await start_agora(config)
    (problem,) = refused.value.problems
    assert "only shard 1 of 2" in problem and "SQLite" in problem
    assert not database.exists()
    assert not four_guilds.gateway.sessions


async def test_run_bot_processes_started_with_shards_form_a_fleet(
    four_guilds: Sandbox, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """``run_bot.py --shards N --shard-count 2`` twice, as an admin starts a fleet: the
    sandbox named in config.toml's ``[discord]`` as Discord would be, one database."""
    sandbox = four_guilds
    url = await postgres_server.new_database(migrated=False)
    config = tmp_path / "config.toml"
    config.write_text(
        "[discord]\n"
        f'api_base = "{sandbox.api_base}"\n'
        f'gateway_url = "{sandbox.gateway_url}"\n'
        f'token = "{sandbox.bot_token}"\n'
        "[database]\n"
        f'url = "{url}"\n'
        "[community]\n"
        f'seed_file = "{seed_path()}"\n',
        encoding="utf-8",
    )
    environment = {key: value for key, value in os.environ.items() if key != "DISCORD_TOKEN"}
    processes: list[asyncio.subprocess.Process] = []
    drains: list[asyncio.Future[bytes]] = []
    try:
        for shard in (0, 1):
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                str(REPOSITORY / "run_bot.py"),
                "--config",
                str(config),
                "--shards",
                str(shard),
                "--shard-count",
                "2",
                cwd=tmp_path,
                env=environment,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            processes.append(process)
            said = await asyncio.wait_for(ready_line(process), timeout=60)
            assert said.endswith(f"in 2 guilds (shard {shard} of 2)"), said
            assert process.stderr is not None  # read on, so the process never blocks on it
            drains.append(asyncio.ensure_future(process.stderr.read()))
        for guild in sandbox.state.guilds.values():  # seeded by the process of its shard
            assert await initiative_info(sandbox, guild) == "Humble Lamppost", guild.name
        assert global_command_calls(sandbox) == ["PUT"]
        for process in processes:
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), timeout=30) == 0
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
        await asyncio.gather(*drains, return_exceptions=True)

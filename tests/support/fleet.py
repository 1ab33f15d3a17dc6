"""Agora as a fleet in tests: a sandbox of four guilds on two shards, and ``run_bot.py``
processes started with ``--shards`` against it, as an admin starts them."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import discord
import pytest

from bot.launch import seed_path
from bot.storage.fleet import shard_of
from discord_sandbox import Sandbox
from discord_sandbox.models import Channel, Guild
from tests.terminal import REPOSITORY


@pytest.fixture
async def four_guilds() -> AsyncIterator[Sandbox]:
    """A sandbox with four seed guilds, two on each of two shards, which refuses a session
    holding more than two (4011, as Discord past 2,500): Agora must run sharded."""
    saved_base = discord.http.Route.BASE
    saved_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    sandbox = Sandbox(guilds_per_shard=2)
    await sandbox.start()
    sandbox.create_seed_guilds(4)
    try:
        yield sandbox
    finally:
        await sandbox.stop()
        discord.http.Route.BASE = saved_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved_gateway


def guilds_on(sandbox: Sandbox, shard: int, shard_count: int = 2) -> set[int]:
    return {
        int(guild.id)
        for guild in sandbox.state.guilds.values()
        if shard_of(int(guild.id), shard_count) == shard
    }


def channel_of(sandbox: Sandbox, guild: Guild, name: str) -> Channel:
    """The guild's channel called ``name`` (every seed guild has #general, #announcements)."""
    return next(
        channel
        for channel in sandbox.state.channels.values()
        if channel.guild_id == guild.id and channel.name == name
    )


def write_fleet_config(sandbox: Sandbox, folder: Path, url: str, extra: Iterable[str] = ()) -> Path:
    """config.toml naming the sandbox in ``[discord]`` as Discord would be (global
    commands), one database for the fleet; ``extra`` lines are appended."""
    config = folder / "config.toml"
    config.write_text(
        "\n".join(
            [
                "[discord]",
                f'api_base = "{sandbox.api_base}"',
                f'gateway_url = "{sandbox.gateway_url}"',
                f'token = "{sandbox.bot_token}"',
                "[database]",
                f'url = "{url}"',
                "[community]",
                f'seed_file = "{seed_path()}"',
                *extra,
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return config


async def ready_line(process: asyncio.subprocess.Process) -> str:
    """The process's log line saying Agora is ready (its log goes to standard error)."""
    assert process.stderr is not None
    seen: list[str] = []
    while line := (await process.stderr.readline()).decode():
        seen.append(line)
        if "Agora is ready" in line:
            return line.strip()
    raise AssertionError("the process ended before it was ready:\n" + "".join(seen))


class ShardProcess:
    """``run_bot.py --config CONFIG --shards SHARDS --shard-count COUNT`` in a subprocess;
    its log (standard error) is kept in ``log`` once it is ready."""

    def __init__(self, config: Path, shards: str, shard_count: int) -> None:
        self.config = config
        self.shards = shards
        self.shard_count = shard_count
        self.process: asyncio.subprocess.Process | None = None
        self.log: list[str] = []
        self._drain: asyncio.Task[None] | None = None

    async def start(self, timeout: float = 60.0) -> str:  # noqa: ASYNC109 - like wait_for
        """Start it and wait for its ready line (returned)."""
        environment = {key: value for key, value in os.environ.items() if key != "DISCORD_TOKEN"}
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(REPOSITORY / "run_bot.py"),
            "--config",
            str(self.config),
            "--shards",
            self.shards,
            "--shard-count",
            str(self.shard_count),
            cwd=self.config.parent,
            env=environment,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        said = await asyncio.wait_for(ready_line(self.process), timeout)
        self._drain = asyncio.create_task(self._keep_log())
        return said

    async def _keep_log(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        while line := (await self.process.stderr.readline()).decode():
            self.log.append(line)

    async def kill(self) -> None:
        """SIGKILL: no cleanup, no goodbye."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        await self._ended()

    async def stop(self) -> int:
        """SIGTERM, as systemd stops it; its exit code."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), timeout=30)
        await self._ended()
        return code

    async def _ended(self) -> None:
        if self._drain is not None:
            await asyncio.gather(self._drain, return_exceptions=True)
            self._drain = None

    async def close(self) -> None:
        """Whatever happened in the test: nothing left running."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        await self._ended()

"""Shared fixtures: a started sandbox with the seed guild, and a bare discord.py bot (not
Agora) pointed at it by the two class attributes and nothing else."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator

import discord
import pytest
import yarl
from discord import app_commands
from discord.ext import commands

from discord_sandbox import Sandbox


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    sb = Sandbox()
    await sb.start()
    sb.create_seed_guild("EIP-SCC")
    try:
        yield sb
    finally:
        await sb.stop()


@pytest.fixture
def pointed_at(sandbox: Sandbox) -> Iterator[Sandbox]:
    """Point discord.py at the sandbox (and restore the real Discord afterwards)."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = sandbox.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sandbox.gateway_url)
    try:
        yield sandbox
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


def make_bot(intents: discord.Intents | None = None, **options: object) -> commands.Bot:
    if intents is None:
        intents = discord.Intents.default()
        intents.members = True
        intents.message_content = True
    options.setdefault("guild_ready_timeout", 0.1)  # READY 2 s sooner; not a patch
    return commands.Bot(command_prefix="!", intents=intents, **options)  # type: ignore[arg-type]


class RunningBot:
    def __init__(self, bot: commands.Bot, task: asyncio.Task[None]) -> None:
        self.bot = bot
        self.task = task

    @property
    def tree(self) -> app_commands.CommandTree[commands.Bot]:
        return self.bot.tree


@contextlib.asynccontextmanager
async def running(sb: Sandbox, bot: commands.Bot) -> AsyncIterator[commands.Bot]:
    """Log in, connect and wait for READY; close afterwards."""
    await bot.login(sb.bot_token)
    task = asyncio.create_task(bot.connect(reconnect=True))
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 10)
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(task, 5)


BotFactory = Callable[..., commands.Bot]


@pytest.fixture
def bot_factory() -> BotFactory:
    return make_bot

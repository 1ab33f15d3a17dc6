"""Fixtures shared by Agora's end-to-end tests: a sandbox and Agora against it.

Everything is real: the sandbox listens on a loopback socket, Agora is the
unmodified discord.py client, and its database is a SQLite file in tmp_path.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import discord
import pytest
from hypothesis import HealthCheck, settings

from bot.config import Config, parse_config
from bot.launch import OPENAPI_SPEC_ENV_VAR, openapi_spec_path, prepare_seed_guild, sandbox_config
from bot.runtime import RunningAgora, start_agora
from bot.services.common.rate_limit import LIMIT_KINDS
from discord_sandbox import Sandbox

# database_url: a test asking for it runs on SQLite and on PostgreSQL.
from tests.support.browser import browser  # noqa: F401
from tests.support.database import database_url, postgres_server  # noqa: F401
from tests.support.fleet import four_guilds  # noqa: F401

# The reliability suite's counts, printed at the end (also under pytest-xdist).
pytest_plugins = ["tests.support.reliability_summary"]

# Every sandbox the tests start validates against Discord's spec: the sandbox assumes no
# checkout layout, Agora's tests know it (``$DISCORD_OPENAPI_SPEC`` still wins).
os.environ[OPENAPI_SPEC_ENV_VAR] = str(openapi_spec_path())

# Tests of features act faster than any person, so they run without the per-member
# limits on writes; tests/reliability/test_trust_limits.py runs with the defaults.
NO_LIMITS: dict[str, object] = {kind: "off" for kind in LIMIT_KINDS}

# Property tests: in CI (``CI`` set, as CI services do) the same examples on every
# run, so a red build is the code's doing and can be reproduced; a failure prints the
# blob for ``@reproduce_failure``. Locally, new random examples each run go looking for
# what CI does not try.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    print_blob=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],  # a busy runner is not a failure
)
settings.register_profile("dev", derandomize=False, print_blob=True)
settings.load_profile("dev" if os.environ.get("CI", "").lower() in ("", "0", "false") else "ci")


@pytest.fixture
def agora_config_overrides() -> dict[str, dict[str, object]]:
    """Override in a test module to change Agora's config (TOML-shaped dict)."""
    return {}


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    saved_base = discord.http.Route.BASE
    saved_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    sb = Sandbox()
    await sb.start()
    sb.create_seed_guild()
    try:
        yield sb
    finally:
        await sb.stop()
        discord.http.Route.BASE = saved_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved_gateway


@pytest.fixture
def agora_config(
    sandbox: Sandbox, tmp_path: Path, agora_config_overrides: dict[str, dict[str, object]]
) -> Config:
    raw: dict[str, dict[str, object]] = {
        "database": {"path": str(tmp_path / "agora.db")},
        "limits": dict(NO_LIMITS),
    }
    for section, values in agora_config_overrides.items():
        raw.setdefault(section, {}).update(values)
    return sandbox_config(
        parse_config(raw),
        api_base=sandbox.api_base,
        gateway_url=sandbox.gateway_url,
        token=sandbox.bot_token,
        guild_id=int(sandbox.guild.id),
    )


AgoraStarter = Callable[[], Awaitable[RunningAgora]]


@pytest.fixture
async def start_agora_fn(agora_config: Config) -> AsyncIterator[AgoraStarter]:
    """Starts Agora (again) on the test's database; every instance is stopped at teardown."""
    started: list[RunningAgora] = []

    async def start() -> RunningAgora:
        running = await start_agora(agora_config)
        started.append(running)
        return running

    yield start
    for running in reversed(started):
        if not running.bot.is_closed() or not running.task.done():
            await running.stop()


@pytest.fixture
async def agora(start_agora_fn: AgoraStarter) -> RunningAgora:
    """Agora connected to the sandbox, with the seed directory but no channels yet."""
    return await start_agora_fn()


@pytest.fixture
async def seeded(agora: RunningAgora, sandbox: Sandbox) -> RunningAgora:
    """Agora after ``/admin setup``: a category, channel and role per initiative."""
    await prepare_seed_guild(sandbox)
    return agora


def replace_config(config: Config, section: str, **values: object) -> Config:
    return dataclasses.replace(
        config, **{section: dataclasses.replace(getattr(config, section), **values)}
    )

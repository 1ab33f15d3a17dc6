"""Fixtures of the reliability suite and its summary in the terminal.

``tally`` gives a test its module's counters; ``tests/support/reliability_summary.py``
prints one line per module at the end of the run (with or without ``-s``, and under
pytest-xdist), e.g.::

    test_gateway_faults: faults injected 6, survived 6, inputs tried 180, ...

``world`` starts one sandbox and one Agora for a whole module (use
``pytestmark = pytest.mark.asyncio(loop_scope="module")`` in that module);
override ``world_overrides`` there to change Agora's config.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.launch import prepare_seed_guild
from bot.runtime import start_agora
from discord_sandbox import Sandbox
from tests.reliability._support import DiscordPyPointer, ErrorLog, Tally, World, world_config
from tests.support.reliability_summary import tallies_of


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Tally:
    """The counters of the requesting test's module."""
    name = request.module.__name__.rsplit(".", 1)[-1]
    tallies = tallies_of(request.config)
    return tallies.setdefault(name, Tally(name))


@pytest.fixture
def error_log() -> Iterator[ErrorLog]:
    """Every ERROR record logged during the test (assert ``error_log.take() == []``)."""
    with ErrorLog() as caught:
        yield caught


@pytest.fixture(scope="module")
def world_overrides() -> dict[str, dict[str, object]]:
    """Override in a module to change Agora's config (TOML-shaped dict)."""
    return {}


@pytest.fixture(scope="module")
def world_setup() -> bool:
    """Whether ``world`` runs ``/admin setup`` (channel and role per initiative)."""
    return True


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(
    tmp_path_factory: pytest.TempPathFactory,
    world_overrides: dict[str, dict[str, object]],
    world_setup: bool,
) -> AsyncIterator[World]:
    """A sandbox with the seed guild and Agora against it, shared by a module's tests."""
    db_path: Path = tmp_path_factory.mktemp("world") / "agora.db"
    with DiscordPyPointer():
        sandbox = Sandbox()
        await sandbox.start()
        try:
            sandbox.create_seed_guild()
            config = world_config(sandbox, db_path, world_overrides)
            running = await start_agora(config)
            world = World(sandbox, config, running)
            try:
                if world_setup:
                    await prepare_seed_guild(sandbox)
                yield world
            finally:
                await world.running.stop()
        finally:
            await sandbox.stop()

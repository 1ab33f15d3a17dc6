"""Fixtures of the reliability suite and its summary in the terminal.

``tally`` gives a test its module's counters; ``pytest_terminal_summary`` prints
one line per module at the end of the run (with or without ``-s``), e.g.::

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

TALLIES = pytest.StashKey[dict[str, Tally]]()


def _tallies(config: pytest.Config) -> dict[str, Tally]:
    if TALLIES not in config.stash:
        config.stash[TALLIES] = {}
    return config.stash[TALLIES]


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Tally:
    """The counters of the requesting test's module."""
    name = request.module.__name__.rsplit(".", 1)[-1]
    tallies = _tallies(request.config)
    return tallies.setdefault(name, Tally(name))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    tallies = _tallies(terminalreporter.config)
    if not tallies:
        return
    terminalreporter.section("reliability")
    lost = 0
    for name in sorted(tallies):
        terminalreporter.write_line(tallies[name].line())
        lost += tallies[name].items_lost
    total = [t for t in tallies.values()]
    terminalreporter.write_line(
        f"total: faults injected {sum(t.faults_injected for t in total)}, "
        f"survived {sum(t.faults_survived for t in total)}, "
        f"inputs tried {sum(t.inputs_tried for t in total)}, "
        f"items checked {sum(t.items_checked for t in total)}, items lost {lost}"
    )


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

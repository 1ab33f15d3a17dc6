"""The reliability suite's counts in the terminal summary, also under pytest-xdist.

Each test module's ``Tally`` (tests/reliability/conftest.py's ``tally`` fixture) lives in
the config's stash of the process running it. Under pytest-xdist a worker hands its
tallies to the controller when it finishes, and the controller adds them up by module
before printing. A plugin of the root conftest, so the controller (which collects no
test, hence loads no conftest below tests/) has these hooks too.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tests.reliability._support import Tally

TALLIES = pytest.StashKey[dict[str, Tally]]()


def tallies_of(config: pytest.Config) -> dict[str, Tally]:
    if TALLIES not in config.stash:
        config.stash[TALLIES] = {}
    return config.stash[TALLIES]


WORKER_OUTPUT_KEY = "reliability_tallies"


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under pytest-xdist, a worker hands its counters to the controller, which prints
    them (``pytest_testnodedown`` below)."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output[WORKER_OUTPUT_KEY] = [
            dataclasses.asdict(tally) for tally in tallies_of(session.config).values()
        ]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """The controller adds up what each worker counted, module by module."""
    tallies = tallies_of(node.config)
    for counted in getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY, []):
        tally = tallies.setdefault(counted["module"], Tally(counted["module"]))
        tally.faults_injected += counted["faults_injected"]
        tally.faults_survived += counted["faults_survived"]
        tally.inputs_tried += counted["inputs_tried"]
        tally.items_checked += counted["items_checked"]
        tally.items_lost += counted["items_lost"]
        tally.notes += counted["notes"]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    tallies = tallies_of(terminalreporter.config)
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

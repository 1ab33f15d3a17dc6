"""The challenge matcher's quality on the labelled set, printed at the end of the run
(with or without ``-s``), e.g.::

    challenge matcher on 56 labelled challenges: precision 0.963, recall 1.000 ...
"""

from __future__ import annotations

import pytest

QUALITY = pytest.StashKey[list[str]]()


@pytest.fixture
def report_quality(request: pytest.FixtureRequest) -> list[str]:
    """Lines to print in the terminal summary."""
    config = request.config
    if QUALITY not in config.stash:
        config.stash[QUALITY] = []
    return config.stash[QUALITY]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = terminalreporter.config.stash.get(QUALITY, [])
    if lines:
        terminalreporter.section("challenge matcher")
        for line in lines:
            terminalreporter.write_line(line)

"""The README's run command, ``python run_bot.py --sandbox``, used from a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from tests.terminal import REPOSITORY, Terminal


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    term = Terminal([sys.executable, str(REPOSITORY / "run_bot.py"), "--sandbox"])
    try:
        yield term
    finally:
        term.close()


def test_console_answers_initiative_info(terminal: Terminal) -> None:
    terminal.read_until("admin in #general> ", timeout=60)
    info = terminal.answer("/initiative info Humble Lamppost")
    assert "Humble Lamppost" in info
    assert "10 Million Smart Lampposts across EU Cities" in info

    assert "you are now bob" in terminal.answer(":as bob", prompt="bob in #general> ")
    joined = terminal.answer("/initiative join Humble Lamppost")
    assert "Welcome to" in joined and "(only you can see this)" in joined

    terminal.type(":quit")
    assert terminal.process.wait(30) == 0

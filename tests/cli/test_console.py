"""The README's run command, ``python run_bot.py --sandbox``, used from a terminal."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.terminal import REPOSITORY, Terminal

PROMPT = "admin in #general> "


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    term = Terminal(
        [sys.executable, str(REPOSITORY / "run_bot.py"), "--sandbox"],
        env={"TZ": "Europe/Brussels", "DISCORD_SANDBOX_FILES": str(tmp_path)},
    )
    try:
        yield term
    finally:
        term.close()


def test_console_answers_initiative_info(terminal: Terminal) -> None:
    terminal.read_until(PROMPT, timeout=60)
    info = terminal.answer("/initiative info Humble Lamppost")
    assert "Humble Lamppost" in info
    assert "10 Million Smart Lampposts across EU Cities" in info
    assert "│ #humble-lamppost" in info  # the channel mention, by name

    assert "you are now bob" in terminal.answer(":as bob", prompt="bob in #general> ")
    joined = terminal.answer("/initiative join Humble Lamppost")
    assert "Welcome to" in joined and "(only you can see this)" in joined

    terminal.type(":quit")
    assert terminal.process.wait(30) == 0


def test_a_meeting_from_the_console(terminal: Terminal, tmp_path: Path) -> None:
    """An organiser plans a meeting whose title holds a colon, a member answers Going with
    the button's label alone, the reminder fires between lines, the calendar file is saved."""
    terminal.read_until(PROMPT, timeout=60)
    assert "Agora opened a form" in terminal.answer(
        "/meeting create start:in 1 minute end:1h reminders:50s"
    )
    created = terminal.answer(
        ":modal Title=Challenge workshop: data sharing | Description=**Bring** your data"
    )
    assert "Agora posted in #announcements:" in created
    assert "┌─ Challenge workshop: data sharing" in created and "│ Bring your data" in created
    # "in 1 minute" counts from when the command ran; the form is answered a few seconds later.
    assert re.search(r"\(in (\d+ seconds|1 minute)\)", created)
    assert "[ ✅ Going ] [ 🤔 Maybe ] [ ❌ Can't go ]" in created

    assert "admin gave bob the role @Organiser" in terminal.answer(":give bob Organiser")
    terminal.answer(":as bob", prompt="bob in #general> ")
    going = terminal.answer(":click going", prompt="bob in #general> ")
    assert "You're going to Challenge workshop: data sharing." in going

    os.write(terminal.master, b"/meeting i")  # typing when the reminder fires
    terminal.read_until("/meeting i")
    reminder = terminal.read_until("⏰ Challenge workshop: data sharing", timeout=30)
    assert "Agora posted in #announcements:" in reminder
    terminal.read_until("bob in #general> /meeting i")  # the line drawn again
    os.write(terminal.master, b"cs Challenge workshop\n")
    ics = terminal.read_until("bob in #general> ")
    saved = tmp_path / "meeting-1.ics"
    assert f"saved as {saved}" in ics and "│ BEGIN:VCALENDAR" in ics
    assert "X-WR-CALNAME:Challenge workshop: data sharing" in saved.read_text()

    screen = created + going + reminder + ics
    for raw in ("<t:", "<@", "<#", "**", "* call"):
        assert raw not in screen

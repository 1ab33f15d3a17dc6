"""The console, driven from a pseudo-terminal as a person would: a subprocess runs the real
sandbox, the bare test bot and ``run_console`` on a pty; the test types lines and reads the
rendered screen output."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from discord_sandbox.console import (
    ConsoleInputError,
    parse_modal_values,
    parse_slash,
    render_action,
)
from tests.terminal import Terminal

CONSOLE_PROGRAM = """
import asyncio, sys
from discord_sandbox import Sandbox
from tests.terminal import Terminal
from discord_sandbox.console import run_console
from tests.sandbox.test_scenario_bare_bot import point_discordpy_at, start_bare_bot

async def main() -> int:
    sandbox = Sandbox()
    await sandbox.start()
    sandbox.create_seed_guild("EIP-SCC")
    point_discordpy_at(sandbox)
    bot = await start_bare_bot(sandbox)

    async def factory():
        return await start_bare_bot(sandbox)

    try:
        return await run_console(sandbox, factory, running=bot)
    finally:
        await bot.stop()
        await sandbox.stop()

sys.exit(asyncio.run(main()))
"""


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    term = Terminal([sys.executable, "-c", CONSOLE_PROGRAM])
    try:
        yield term
    finally:
        term.close()


def test_console_from_a_pseudo_terminal(terminal: Terminal) -> None:
    banner = terminal.read_until("admin in #general> ", timeout=30)
    assert "Agora sandbox console" in banner and ":click" in banner

    info = terminal.answer("/initiative info Humble Lamppost")
    assert "Agora replied in #general:" in info
    assert "┌─ Humble Lamppost" in info and "│ Lights that dim at night." in info
    assert "│ Status" in info and "— Agora" in info and "└" in info
    assert "[ Going ] [ Maybe ]" in info

    named = terminal.answer("/initiative info initiative:Green Roofs")
    assert "┌─ Green Roofs" in named

    assert "you are now bob" in terminal.answer(":as bob", prompt="bob in #general> ")
    going = terminal.answer(":click Going")
    assert "You're going." in going and "(only you can see this)" in going
    assert "gave bob the role @going" in going

    form = terminal.answer("/propose")
    assert "Agora opened a form" in form and "Title: ____" in form
    proposed = terminal.answer(":modal Title=Bike Racks")
    assert "Proposed Bike Racks." in proposed
    assert "Agora posted in #announcements:" in proposed and "New proposal: Bike Racks" in proposed

    slow = terminal.answer("/slow")
    assert "Agora is thinking in #general..." in slow and "Done thinking." in slow

    assert "Agora posted in #general:\n  pong" in terminal.answer("ping")
    assert "no command /nope" in terminal.answer("/nope")
    assert "InteractionFailed" not in terminal.answer(
        ":say #announcements ping", prompt="announcements> "
    )

    os.write(terminal.master, b"\x04")  # Ctrl-D: end of input
    terminal.read_until("bye")
    assert terminal.process.wait(20) == 0


COMMANDS = [
    {
        "name": "initiative",
        "type": 1,
        "options": [
            {
                "name": "info",
                "type": 1,
                "options": [{"name": "initiative", "type": 3, "required": True}],
            },
            {
                "name": "join",
                "type": 1,
                "options": [
                    {"name": "name", "type": 3, "required": True},
                    {"name": "public", "type": 5},
                ],
            },
        ],
    },
    {"name": "ping", "type": 1},
]


def test_parse_slash_greedy_path_and_values() -> None:
    parsed = parse_slash("/initiative info Humble Lamppost", COMMANDS)
    assert (parsed.path, parsed.options) == ("initiative info", {"initiative": "Humble Lamppost"})
    parsed = parse_slash("/initiative join name:Humble Lamppost public:yes", COMMANDS)
    assert parsed.options == {"name": "Humble Lamppost", "public": True}
    assert parse_slash("/ping", COMMANDS).options == {}
    # A value that merely contains a colon is still the first required option's value.
    parsed = parse_slash("/initiative info Time: 10:30", COMMANDS)
    assert parsed.options == {"initiative": "Time: 10:30"}
    for bad in ("/nope", "/initiative", "/ping extra", "/initiative join name:x colour:red"):
        with pytest.raises(ConsoleInputError):
            parse_slash(bad, COMMANDS)


def test_parse_modal_values() -> None:
    assert parse_modal_values("Title=Bike Racks | Pitch = Short") == {
        "Title": "Bike Racks",
        "Pitch": "Short",
    }
    with pytest.raises(ConsoleInputError):
        parse_modal_values("no equals sign")


def test_render_embed_box_and_buttons() -> None:
    lines = render_action(
        {
            "kind": "followup",
            "channel": "general",
            "content": "hi",
            "ephemeral": True,
            "embeds": [{"title": "T", "description": "d" * 130, "footer": {"text": "f"}}],
            "components": [{"type": 1, "components": [{"type": 2, "label": "Going"}]}],
        }
    )
    box = [line for line in lines if line.strip()[:1] in "┌│└"]
    assert len({len(line) for line in box}) == 1  # every border line is as wide
    assert lines[-2:] == ["  [ Going ]", "  (only you can see this)"]

"""The console, driven from a pseudo-terminal as a person would: a subprocess runs the real
sandbox, the bare test bot (with the console commands of ``tests/sandbox/console_bot.py``)
and ``run_console`` on a pty; the test types keys and reads the screen. Then the parts
alone: the line parser, the label matcher and the drawing of actions."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from discord_sandbox.console import (
    ConsoleInputError,
    parse_modal_values,
    parse_slash,
    render_action,
)
from discord_sandbox.console_input import match_label
from discord_sandbox.console_render import View, visible_length
from tests.terminal import Terminal

PROMPT = "admin in #general> "
Start = Callable[..., Terminal]


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Start]:
    """Start the console program on a pty (``TZ=Asia/Tokyo``, files saved in ``tmp_path``);
    more environment as keywords."""
    terminals: list[Terminal] = []

    def started(**env: str) -> Terminal:
        environment = {"TZ": "Asia/Tokyo", "DISCORD_SANDBOX_FILES": str(tmp_path), **env}
        term = Terminal([sys.executable, "-m", "tests.sandbox.console_bot"], env=environment)
        terminals.append(term)
        term.read_until(PROMPT, timeout=30)
        return term

    yield started
    for term in terminals:
        term.close()


def test_console_from_a_pseudo_terminal(start: Start) -> None:
    terminal = start()
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
    assert "no channel #nowhere" in terminal.answer(":say #nowhere hi")

    os.write(terminal.master, b"\x04")  # Ctrl-D: end of input
    terminal.read_until("bye")
    assert terminal.process.wait(20) == 0


def test_mentions_timestamps_and_markdown_read_as_in_discord(start: Start) -> None:
    terminal = start()
    card = terminal.answer("/card")
    # 2027-06-20 07:00 UTC seen from Tokyo; the relative time is 2 hours ahead.
    assert "Workshop on Sunday, 20 June 2027 16:00 (16:00), in 2 hours" in card
    assert "Going: @admin; ask @Admin in #general" in card
    assert "Bring a laptop, code and the agenda (https://example.org/agenda)" in card
    assert "  • first point" in card and "▌ a quote" in card
    assert "│ Starts 20 June 2027" in card
    for raw in ("<t:", "<@", "<#", "**", "__", "`", "](", "\x1b["):
        assert raw not in card  # TERM=dumb: plain text, no styles

    discussed = terminal.answer("/discuss")
    assert "Started #Pilot results." in discussed


def test_styles_on_a_terminal_and_none_with_no_color(start: Start) -> None:
    styled = start(TERM="xterm-256color").answer("/card")
    assert "\x1b[1mWorkshop\x1b[0m" in styled  # bold
    assert "\x1b[35;1m@admin\x1b[0m" in styled  # a mention
    assert "\x1b[3mBring\x1b[0m" in styled and "\x1b[4ma laptop\x1b[0m" in styled

    plain = start(TERM="xterm-256color", NO_COLOR="1").answer("/card")
    assert "Workshop on Sunday, 20 June 2027 16:00" in plain and "\x1b[" not in plain


def test_values_may_hold_colons_or_be_quoted(start: Start) -> None:
    terminal = start()
    planned = terminal.answer("/plan title:Challenge workshop: data sharing start:2027-06-20 09:00")
    assert "Planned [Challenge workshop: data sharing] at [2027-06-20 09:00] note [None]" in planned
    quoted = terminal.answer('/plan title:"a: b start:c" start:tomorrow note:"say \\"hi\\""')
    assert 'Planned [a: b start:c] at [tomorrow] note [say "hi"]' in quoted
    first = terminal.answer("/plan Time: 10:30 start:now")
    assert "Planned [Time: 10:30] at [now]" in first
    bad = terminal.answer("/remindme seconds:soon")
    assert "? seconds: takes a whole number, not 'soon'" in bad


def test_what_the_bot_does_between_lines_is_printed_above_the_prompt(start: Start) -> None:
    terminal = start(TERM="xterm-256color", NO_COLOR="1")
    assert "Reminding you in 1 s." in terminal.answer("/remindme seconds:1")
    os.write(terminal.master, b"pi")  # half a line typed when the reminder fires
    terminal.read_until("pi")
    shown = terminal.read_until("Your reminder: the workshop starts now.", timeout=10)
    assert shown.startswith("\r\x1b[K")  # the prompt line cleared first
    assert (
        "Agora posted in #announcements:\n  Reminder for @admin: the workshop starts now." in shown
    )
    assert "Agora sent a direct message to @admin:" in shown
    terminal.read_until(PROMPT + "pi")  # the prompt and the half line drawn again
    os.write(terminal.master, b"ng\n")
    assert "pong" in terminal.read_until(PROMPT)

    # A direct message to someone else is a note; it is read on switching to them.
    terminal.answer(":as bob", prompt="bob in #general> ")
    terminal.answer("/remindme seconds:1")
    terminal.answer(":as admin", prompt=PROMPT)
    terminal.read_until("* Agora sent a direct message to bob (:as bob reads it)", timeout=10)
    switched = terminal.answer(":as bob", prompt="bob in #general> ")
    assert "direct messages that came meanwhile:" in switched
    assert "Your reminder: the workshop starts now." in switched


def test_files_are_saved_and_their_first_lines_shown(start: Start, tmp_path: Path) -> None:
    terminal = start()
    answer = terminal.answer("/ics")
    saved = tmp_path / "workshop.ics"
    assert f"file workshop.ics ({len(saved.read_bytes())} bytes) saved as {saved}" in answer
    assert "│ BEGIN:VCALENDAR\n  │ VERSION:2.0\n" in answer and "│ … 2 more lines" in answer
    assert saved.read_text().startswith("BEGIN:VCALENDAR")
    again = terminal.answer("/ics")
    assert f"saved as {tmp_path / 'workshop (2).ics'}" in again


def test_help_lists_console_commands_users_and_bot_commands(start: Start) -> None:
    terminal = start()
    terminal.answer(":as bob", prompt="bob in #general> ")
    help_text = terminal.answer(":help", prompt="bob in #general> ")
    assert "Agora sandbox console" not in help_text  # not the banner again
    for line in (":give NAME ROLE", ":click LABEL", ":verbose", ":files [DIR]", ":quit"):
        assert line in help_text
    assert "admin (owner, @Admin)" in help_text and "bob (you)" in help_text
    assert "Roles (:give NAME ROLE):\n  Admin · Organiser" in help_text
    assert "/plan title:<text> start:<text> [note:<text>]\n      Plan an event" in help_text
    assert "/remindme seconds:<whole number>" in help_text
    assert "/initiative info initiative:<text>" in help_text


def test_roles_given_and_taken_by_hand(start: Start) -> None:
    terminal = start()
    terminal.answer(":as bob", prompt="bob in #general> ")
    refused = terminal.answer(":give admin Organiser")
    assert "Discord would not let bob do that: bob lacks the Manage Roles permission" in refused
    terminal.answer(":as admin")
    given = terminal.answer(":give bob organiser")
    assert "admin gave bob the role @Organiser" in given
    assert "Agora posted in #general:\n  bob got Organiser." in given
    assert "bob already has the role @Organiser; nothing changed" in terminal.answer(
        ":give bob Organiser"
    )
    assert "no role 'Organizer'; did you mean 'Organiser'? roles: Admin · Organiser" in (
        terminal.answer(":give bob Organizer")
    )
    assert "no role 'Nope'; roles: Admin · Organiser" in terminal.answer(":take bob Nope")
    # A role no one made yet is made by hand first; a new name joins the server.
    made = terminal.answer(":give zed Helpers")
    assert "admin created the role @Helpers" in made and "zed joined the server" in made
    assert "admin gave zed the role @Helpers" in made and "zed got Helpers." in made
    taken = terminal.answer(":take @bob @Organiser")
    assert "admin took the role @Organiser from bob" in taken and "bob lost Organiser." in taken


def test_buttons_clicked_without_their_emoji(start: Start) -> None:
    terminal = start()
    assert "[ ◀ Back ] [ Next ▶ ]" in terminal.answer("/pages")
    assert "Page 2 of 2" in terminal.answer(":click next")
    assert "Page 1 of 2" in terminal.answer(":click BACK")
    missing = terminal.answer(":click nope")
    assert "no button 'nope'" in missing and "[ ◀ Back ], [ Next ▶ ]" in missing


def test_internal_calls_only_when_verbose(start: Start) -> None:
    terminal = start()
    quiet = terminal.answer("/discuss")
    assert "Started #Pilot results." in quiet and "* call" not in quiet
    assert "internal calls are shown" in terminal.answer(":verbose")
    loud = terminal.answer("/discuss")
    assert "* call {'method': 'PUT', 'route': '/channels/{channel_id}/thread-members/" in loud
    assert "hidden again" in terminal.answer(":verbose")
    assert "* call" not in terminal.answer("/discuss")


# ---- the parts -----------------------------------------------------------------------------
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
    {
        "name": "meeting",
        "type": 1,
        "options": [
            {
                "name": "create",
                "type": 1,
                "options": [
                    {"name": "start", "type": 3, "required": True},
                    {"name": "end", "type": 3, "required": True},
                    {"name": "cap", "type": 4},
                ],
            }
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
    # Only the command's own option names start an option.
    parsed = parse_slash("/initiative join name:x colour:red", COMMANDS)
    assert parsed.options == {"name": "x colour:red"}
    parsed = parse_slash("/meeting create start:2027-06-20 09:00 end:10:30 cap:12", COMMANDS)
    assert parsed.options == {"start": "2027-06-20 09:00", "end": "10:30", "cap": 12}
    parsed = parse_slash('/meeting create start:"end:soon" end:"a \\"b\\""', COMMANDS)
    assert parsed.options == {"start": "end:soon", "end": 'a "b"'}
    parsed = parse_slash("/meeting create tomorrow 9:00 end:2h", COMMANDS)
    assert parsed.options == {"start": "tomorrow 9:00", "end": "2h"}
    refusals = {
        "/nope": "no command /nope",
        "/initiative": "needs a subcommand",
        "/ping extra": "takes no options",
        "/meeting create start:1 start:2": "start: is given twice",
        '/meeting create start:"open': "without a closing one",
        '/meeting create start:"a" b end:1': "text after the closing quote",
        "/meeting create start:a end:b cap:many": "cap: takes a whole number",
        "/initiative join name:x public:maybe": "public: takes yes or no",
    }
    for line, says in refusals.items():
        with pytest.raises(ConsoleInputError, match=says):
            parse_slash(line, COMMANDS)


def test_parse_modal_values() -> None:
    assert parse_modal_values("Title=Bike Racks | Pitch = Short") == {
        "Title": "Bike Racks",
        "Pitch": "Short",
    }
    with pytest.raises(ConsoleInputError):
        parse_modal_values("no equals sign")


def test_button_labels_match_without_emoji_or_case() -> None:
    labels = ["◀ Back", "Next ▶", "✅ Going", "Going later", "❌"]
    assert match_label("next", labels) == "Next ▶"
    assert match_label("BACK", labels) == "◀ Back"
    assert match_label("going", labels) == "✅ Going"  # exact beats a longer label
    assert match_label("going l", labels) == "Going later"
    assert match_label("❌", labels) == "❌"
    assert match_label("go", labels) is None  # two labels start so
    assert match_label("maybe", labels) is None


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


def test_styled_embed_box_keeps_its_width() -> None:
    embed = {"title": "Styled", "description": "**bold** words " * 12 + "`code`"}
    lines = render_action(
        {"kind": "message", "channel": "general", "content": None, "embeds": [embed]},
        View(ansi=True),
    )
    box = [line for line in lines if line.strip()[:1] in "┌│└"]
    assert len(box) > 3 and len({visible_length(line) for line in box}) == 1
    for line in box:  # every style opened on a line is closed on it, before the border
        codes = re.findall(r"\x1b\[([0-9;]*)m", line)
        assert codes.count("0") * 2 == len(codes)


def test_box_counts_wide_emoji_as_two_columns() -> None:
    embed = {"title": "Answers", "description": "✅ Going: 1 · 🤔 Maybe: 0 · ❌ Can't go: 0"}
    lines = render_action({"kind": "message", "channel": "general", "embeds": [embed]})
    box = [line for line in lines if line.strip()[:1] in "┌│└"]
    assert len({visible_length(line) for line in box}) == 1
    assert visible_length("✅ a") == 4 and visible_length("\x1b[1mab\x1b[0m") == 2


def test_piped_input_gives_a_plain_transcript(tmp_path: Path) -> None:
    """Not a terminal: no styles, no cursor movement; each line read is shown after its
    prompt, so the output reads as a session."""
    from tests.terminal import REPOSITORY

    result = subprocess.run(
        [sys.executable, "-m", "tests.sandbox.console_bot"],
        input="/card\n:click next\n:quit\n",
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY), "TZ": "UTC", "TERM": "xterm"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert f"{PROMPT}/card\nAgora replied in #general:\n  Workshop on Sunday" in result.stdout
    assert "? the bot has sent no message with components" in result.stdout
    assert "\x1b" not in result.stdout and result.stdout.endswith("bye\n")

"""A console for people: type as a Discord user, read the bot's answers in the terminal.

``python run_bot.py --sandbox`` (without ``--script``) runs :func:`run_console`. Lines:

    /initiative info Humble Lamppost          a slash command; the rest is the first
    /meeting create start:2027-06-20 09:00 end:2h   required option, or name:value pairs
    :as bob          act as another user (the console starts as admin, the guild owner)
    :say #channel text    post in a channel or thread (plain text posts where you last spoke)
    :click going     click a button on the bot's last message (emoji and case don't matter)
    :modal Title=Bike Racks | Pitch=Short   submit the modal the bot opened, fields by label
    :give bob Organiser, :take bob Organiser   a role by hand, as in Server Settings
    :files [DIR]     where files the bot sends are saved   :verbose   the bot's internal calls
    :restart         stop the bot and start it again on the same database
    :help   :quit    (end of input quits too)

What the bot does (everything it did through the REST API) is drawn as it happens: after a
line, once the bot settles; between lines (reminders, DMs, messages elsewhere), above the
prompt, which is then drawn again with what was being typed. Message text is shown as
Discord's client shows it (:mod:`discord_sandbox.markup`: names for mentions, timestamps in
the viewer's time zone, markdown as terminal styles); files are saved and their first lines
printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import os
import sys
import tempfile
import textwrap
from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from discord_sandbox.console_input import (
    ConsoleInputError,
    SlashLine,
    leaf_commands,
    match_label,
    option_usage,
    parse_modal_values,
    parse_slash,
)
from discord_sandbox.console_render import VERBOSE_KINDS, View, render_action
from discord_sandbox.console_terminal import (
    LineEditor,
    Screen,
    StreamReader,
    is_terminal,
    wants_ansi,
)
from discord_sandbox.driver import ClientRefused, CommandError, InteractionFailed
from discord_sandbox.markup import SandboxNames
from discord_sandbox.models import ChannelType
from discord_sandbox.scenario import (
    Action,
    BotFactory,
    BotLifecycle,
    Observation,
    RunningBot,
    describe_call,
)

if TYPE_CHECKING:
    from discord_sandbox.rest.body import UploadedFile
    from discord_sandbox.server import Sandbox

__all__ = [
    "ConsoleInputError",
    "SlashLine",
    "parse_modal_values",
    "parse_slash",
    "render_action",
    "run_console",
]

FILES_ENV = "DISCORD_SANDBOX_FILES"
FILE_PREVIEW_LINES = 5
WATCH_SECONDS = 0.1  # how often the console looks for what the bot did between lines
BANNER = """\
Agora sandbox console. You are {user}, in #{channel}.
  /command ... runs a slash command, plain text posts in #{channel}, :as NAME switches user.
  :help lists every console command, the users and the bot's commands; :quit leaves.
  Files the bot sends are saved in {files}
"""
HELP = """\
Console commands:
  /command [sub] value          a slash command; the value goes to its first required option
  /command name:value ...       options by name; values may hold colons, or "quote" them
  plain text                    post it in the current channel (#{channel})
  :say #channel TEXT            post in a channel or thread, and stay there
  :as NAME                      act as another user (created on first use)
  :click LABEL                  click a button on the bot's last message (emoji, case ignored)
  :modal Label=value | ...      fill in the form the bot opened, fields by label
  :give NAME ROLE               give a role by hand, as an admin in Server Settings
  :take NAME ROLE               take it back
  :files [DIR]                  where files the bot sends are saved (or save them in DIR)
  :verbose                      show or hide the bot's internal calls
  :restart                      stop the bot and start it again on the same database
  :help, :quit                  this list; leave (Ctrl-D leaves too)"""


class Console:
    def __init__(
        self,
        sandbox: Sandbox,
        out: TextIO,
        bots: BotLifecycle,
        *,
        files_dir: Path | None = None,
        ansi: bool = False,
        cursor_control: bool = False,
    ) -> None:
        self.sandbox = sandbox
        self.bots = bots
        self.out = out
        self.screen = Screen(out, cursor_control=cursor_control)
        self.user = "admin"
        self.channel = self._default_channel()
        self.verbose = False
        self.files_dir = files_dir or Path(tempfile.mkdtemp(prefix="sandbox-files-"))
        self.view = View(
            names=SandboxNames(sandbox.state, sandbox.guild.id),
            ansi=ansi,
            bot_name=sandbox.state.bot_user.username,
        )
        self.log_index = len(sandbox.log)
        self.failure_index = len(sandbox.failures)
        self.busy = False
        self.unread: dict[str, list[str]] = {}

    def _default_channel(self) -> str:
        guild = self.sandbox.guild
        channel_id = guild.system_channel_id or guild.channel_ids[0]
        return self.sandbox.state.channels[channel_id].name

    @property
    def prompt_text(self) -> str:
        return f"{self.user} in #{self.channel}> "

    def write(self, *lines: str) -> None:
        self.screen.write(*lines)

    def banner(self) -> str:
        return BANNER.format(user=self.user, channel=self.channel, files=self.files_dir)

    # ---- what the bot did ----------------------------------------------------------------------
    def flush(self) -> None:
        """Print everything the bot did since the last flush."""
        sandbox = self.sandbox
        calls = sandbox.log.calls[self.log_index :]
        self.log_index += len(calls)
        lines: list[str] = []
        for call in calls:
            action = describe_call(sandbox, call)
            if action is None or (action["kind"] in VERBOSE_KINDS and not self.verbose):
                continue
            if call.files and action["kind"] != "error":
                action["files"] = [self._save(file) for file in call.files]
            lines += self._lines_for(action)
        failures = sandbox.failures[self.failure_index :]
        self.failure_index += len(failures)
        lines += [self.view.style(f"! {failure}", "31") for failure in failures]
        self.write(*lines)

    def _lines_for(self, action: Action) -> list[str]:
        rendered = render_action(action, self.view)
        if action["kind"] != "dm":
            return rendered
        recipient = str(action.get("channel") or "").lstrip("@")
        if recipient.lower() == self.user.lower():
            return rendered
        self.unread.setdefault(recipient.lower(), []).extend(rendered)
        note = (
            f"{self.view.bot_name} sent a direct message to {recipient} (:as {recipient} reads it)"
        )
        return [self.view.style("* " + note, "2")]

    def _save(self, file: UploadedFile) -> list[str]:
        """Save a file the bot sent; lines saying where, with the first lines of a text."""
        name = Path(file.filename).name or "file"
        try:
            self.files_dir.mkdir(parents=True, exist_ok=True)
            path = self.files_dir / name
            stem, suffix = path.stem, path.suffix
            number = 2
            while path.exists():
                path = self.files_dir / f"{stem} ({number}){suffix}"
                number += 1
            path.write_bytes(file.data)
        except OSError as error:
            return [f"file {name}: could not be saved in {self.files_dir}: {error.strerror}"]
        size = len(file.data)
        lines = [f"file {name} ({size} byte{'' if size == 1 else 's'}) saved as {path}"]
        text = _text_of(file.data)
        if text is not None:
            preview = text.splitlines()
            shown = preview[:FILE_PREVIEW_LINES]
            lines += [self.view.style("│ ", "2") + line for line in shown]
            if len(preview) > len(shown):
                more = len(preview) - len(shown)
                lines.append(
                    self.view.style(f"│ … {more} more line{'s' if more != 1 else ''}", "2")
                )
        return lines

    async def watch(self) -> None:
        """Between lines: print what the bot does on its own (reminders, DMs, messages after
        a member joins...) once it settles, above the prompt."""
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            if self.busy or (
                len(self.sandbox.log) == self.log_index
                and len(self.sandbox.failures) == self.failure_index
            ):
                continue
            observation = Observation(self.sandbox, self.log_index, self.failure_index)
            await observation.settle(limit=2.0)
            if not self.busy:
                self.flush()

    # ---- lines -----------------------------------------------------------------------------------
    async def handle(self, line: str) -> bool:
        """Carry out one input line; False when the console should end."""
        line = line.strip()
        if not line:
            return True
        if line in (":quit", ":q", ":exit"):
            return False
        self.busy = True
        try:
            await self._handle(line)
        except ConsoleInputError as error:
            self.write(f"? {error}")
        finally:
            self.busy = False
        return True

    async def _handle(self, line: str) -> None:
        if line in (":help", ":h", "?"):
            self.write(*self.help_lines())
        elif line == ":restart":
            await self._observed(self.bots.restart())
            self.write("the bot restarted")
        elif line == ":verbose":
            self.verbose = not self.verbose
            self.write(
                "the bot's internal calls are "
                + ("shown (* call lines)" if self.verbose else "hidden again")
            )
        elif line.startswith(":as ") or line == ":as":
            await self._observed(self._switch(line[3:].strip()))
        elif line.startswith(":"):
            await self._observed(self._colon_command(line))
        elif line.startswith("/"):
            await self._observed(self._slash(line))
        else:
            await self._observed(self._say(self.channel, line))

    async def _observed(self, action: Awaitable[Any]) -> None:
        observation = Observation.start(self.sandbox)
        try:
            await action
        except ConsoleInputError:
            self.flush()
            raise
        except ClientRefused as error:
            self.write(f"! Discord would not let {self.user} do that: {error}")
        except CommandError as error:
            self.write(f"? {error}")
        except InteractionFailed as error:
            self.write(f"! the bot did not answer as Discord requires: {error.reason}")
        except LookupError as error:
            self.write(f"? {error}")
        except Exception as error:  # anything else the driver raised
            self.write(f"! {type(error).__name__}: {error}")
        await observation.settle()
        self.flush()

    async def _switch(self, name: str) -> None:
        name = name.lstrip("@")
        if not name or " " in name:
            raise ConsoleInputError("usage: :as NAME (one word, e.g. :as bob)")
        self.sandbox.user(name)
        self.user = self.sandbox.state.find_user(name).username
        self.write(f"you are now {self.user}")
        unread = self.unread.pop(self.user.lower(), [])
        if unread:
            self.write("direct messages that came meanwhile:", *unread)

    async def _colon_command(self, line: str) -> None:
        name, _, rest = line[1:].partition(" ")
        rest = rest.strip()
        user = self.sandbox.user(self.user)
        if name == "say":
            channel, _, text = rest.partition(" ")
            if not channel or not text.strip():
                raise ConsoleInputError("usage: :say #channel text")
            self.channel = self._channel_name(channel)
            await self._say(self.channel, text)
        elif name == "click":
            if not rest:
                raise ConsoleInputError("usage: :click LABEL (e.g. :click going)")
            message = user._find_message("last")
            labels = _button_labels(message.components)
            label = match_label(rest, labels)
            if label is None:
                shown = ", ".join(f"[ {label} ]" for label in labels) or "none"
                raise ConsoleInputError(
                    f"no button {rest!r} on the bot's last message with buttons; its buttons: "
                    f"{shown}"
                )
            await user.click(message, label)
        elif name == "modal":
            await user.submit_modal(parse_modal_values(rest))
        elif name in ("give", "take"):
            await self._role_by_hand(name, rest)
        elif name == "files":
            if rest:
                self.files_dir = files_folder(rest)
            self.write(f"files the bot sends are saved in {self.files_dir}")
        else:
            raise ConsoleInputError(f"unknown command :{name} (:help lists them)")

    def _channel_name(self, text: str) -> str:
        name = text.lstrip("#")
        try:
            return self.sandbox.state.find_channel(name, self.sandbox.guild).name
        except LookupError:
            known = ", ".join(sorted("#" + c for c in self._channel_names()))
            raise ConsoleInputError(f"no channel #{name}; channels: {known}") from None

    def _channel_names(self) -> list[str]:
        state = self.sandbox.state
        return [
            state.channels[cid].name
            for cid in self.sandbox.guild.channel_ids
            if cid in state.channels
            and state.channels[cid].type in ChannelType.MESSAGEABLE
            and state.channels[cid].name
        ]

    async def _role_by_hand(self, verb: str, rest: str) -> None:
        """``:give bob Organiser``: the current user gives (or takes) a role in bob's profile,
        as in Server Settings. A member named for the first time joins; a role no one has
        made yet is made first (unless the name is close to an existing role's)."""
        who, _, role_text = rest.partition(" ")
        who, role_text = who.lstrip("@"), role_text.strip().lstrip("@")
        if not who or not role_text:
            raise ConsoleInputError(f"usage: :{verb} NAME ROLE (e.g. :{verb} bob Organiser)")
        guild = self.sandbox.guild
        roles = [r for r in guild.roles.values() if r.id != guild.id]
        role = next((r for r in roles if r.name.casefold() == role_text.casefold()), None)
        by_hand = sorted((r for r in roles if not r.managed), key=lambda r: -r.position)
        if role is None:
            folded = {r.name.casefold(): r.name for r in by_hand}
            close = [
                folded[name]
                for name in difflib.get_close_matches(role_text.casefold(), folded, 1, 0.75)
            ]
            listed = " · ".join(r.name for r in by_hand) or "none"
            if verb == "take" or close:
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise ConsoleInputError(f"no role {role_text!r}; {hint}roles: {listed}")
            driver = self.sandbox.user(self.user)
            role = await driver.create_role(role_text)
            self.write(f"{self.user} created the role @{role.name} (Server Settings → Roles)")
        known = {name.lower() for name in self._member_names()}
        self.sandbox.user(who)  # a name mentioned for the first time joins the server
        target = self.sandbox.state.find_user(who).username
        if who.lower() not in known:
            self.write(f"{target} joined the server")
        member = guild.members[self.sandbox.state.find_user(target).id]
        has = role.id in member.roles
        if verb == "give" and has:
            raise ConsoleInputError(f"{target} already has the role @{role.name}; nothing changed")
        if verb == "take" and not has:
            raise ConsoleInputError(
                f"{target} does not have the role @{role.name}; nothing changed"
            )
        driver = self.sandbox.user(self.user)
        if verb == "give":
            await driver.give_role(role, target)
            self.write(f"{self.user} gave {target} the role @{role.name}")
        else:
            await driver.take_role(role, target)
            self.write(f"{self.user} took the role @{role.name} from {target}")

    def _member_names(self) -> list[str]:
        state = self.sandbox.state
        names = []
        for user_id in self.sandbox.guild.members:
            user = state.users.get(user_id)
            if user is not None and not user.bot:
                names.append(user.username)
        return names

    async def _say(self, channel: str, text: str) -> None:
        await self.sandbox.user(self.user).say(channel, text)

    def _commands(self) -> list[dict[str, Any]]:
        guild = self.sandbox.guild
        return [command.payload for command in self.sandbox.state.commands_for(guild.id)]

    async def _slash(self, line: str) -> None:
        parsed = parse_slash(line, self._commands())
        user = self.sandbox.user(self.user)
        await user.slash(parsed.path, in_channel=self.channel, **parsed.options)

    # ---- help ------------------------------------------------------------------------------------
    def help_lines(self) -> list[str]:
        lines = HELP.format(channel=self.channel).splitlines()
        guild = self.sandbox.guild
        state = self.sandbox.state
        users = []
        for name in self._member_names():
            member = guild.members[state.find_user(name).id]
            roles = [guild.roles[r].name for r in member.roles if r in guild.roles]
            notes = (["you"] if name == self.user else []) + (
                ["owner"] if member.user_id == guild.owner_id else []
            )
            about = ", ".join(notes + ["@" + role for role in roles])
            users.append(f"{name} ({about})" if about else name)
        lines += ["", "Users (:as NAME; a new name joins the server):"]
        lines += _wrapped(", ".join(users))
        by_hand = sorted(
            (r for r in guild.roles.values() if r.id != guild.id and not r.managed),
            key=lambda r: -r.position,
        )
        lines += ["Roles (:give NAME ROLE):"]
        lines += _wrapped(" · ".join(r.name for r in by_hand) or "none")
        lines += ["Channels (:say #channel TEXT):"]
        lines += _wrapped(" · ".join("#" + name for name in self._channel_names()))
        leaves = leaf_commands(self._commands())
        lines += ["", f"{self.view.bot_name}'s commands ({len(leaves)}):"]
        if not leaves:
            lines.append("  none registered yet")
        for path, description, options in leaves:
            usage = " ".join(option_usage(option) for option in options)
            lines.append(f"  /{path}" + (f" {usage}" if usage else ""))
            if description:
                lines.append(f"      {description}")
        return lines


def _wrapped(text: str) -> list[str]:
    wrapped = textwrap.wrap(
        text, 96, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False
    )
    return wrapped or ["  none"]


def _button_labels(components: list[dict[str, Any]]) -> list[str]:
    labels: list[str] = []
    for component in components:
        if not isinstance(component, dict):
            continue
        if component.get("type") == 2 and component.get("custom_id"):
            labels.append(
                str(component.get("label") or (component.get("emoji") or {}).get("name") or "")
            )
        labels += _button_labels(component.get("components") or [])
        accessory = component.get("accessory")
        if isinstance(accessory, dict):
            labels += _button_labels([accessory])
    return [label for label in labels if label]


def _text_of(data: bytes) -> str | None:
    """The file as text when it reads as UTF-8 without control bytes, else None."""
    if b"\x00" in data[:4096]:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text.replace("\r\n", "\n")


def files_folder(files_dir: str | os.PathLike[str] | None) -> Path:
    """Where received files go: ``files_dir``, else ``$DISCORD_SANDBOX_FILES``, else a new
    temporary folder."""
    chosen = files_dir or os.environ.get(FILES_ENV)
    if chosen:
        return Path(chosen).expanduser().resolve()
    return Path(tempfile.mkdtemp(prefix="sandbox-files-"))


async def run_console(
    sandbox: Sandbox,
    agora_factory: BotFactory,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    *,
    running: RunningBot | None = None,
    files_dir: str | os.PathLike[str] | None = None,
) -> int:
    """Read lines from ``stdin`` until ``:quit`` or end of input; return the exit code.
    The bot keeps running meanwhile (``agora_factory``/``running`` are for restarts); what it
    does between lines is printed above the prompt. Files it sends are saved in
    ``files_dir`` (default: ``$DISCORD_SANDBOX_FILES``, else a new temporary folder)."""
    bots = BotLifecycle(agora_factory, running)
    interactive = is_terminal(stdin) and is_terminal(stdout) and hasattr(stdin, "fileno")
    console = Console(
        sandbox,
        stdout,
        bots,
        files_dir=files_folder(files_dir),
        ansi=wants_ansi(stdout),
        cursor_control=interactive and os.environ.get("TERM") != "dumb",
    )
    console.write(console.banner())
    reader: LineEditor | StreamReader = (
        LineEditor(stdin, console.screen) if interactive else StreamReader(stdin)
    )
    watcher = asyncio.create_task(console.watch())
    try:
        while True:
            console.screen.show_prompt(console.prompt_text)
            line = await reader.next_line()
            if not interactive and line is not None:
                console.screen.echo(line.rstrip("\n") + "\n")  # a transcript shows the line
            console.screen.hide_prompt()
            if line is None:
                console.write("", "bye")
                return 0
            if not await console.handle(line):
                console.write("bye")
                return 0
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        reader.close()
        await bots.stop_started()

"""A console for people: type as a Discord user, read the bot's answers in the terminal.

``python run_bot.py --sandbox`` (without ``--script``) runs :func:`run_console`. Lines:

    /initiative info Humble Lamppost          a slash command; the rest is the first
    /initiative info initiative:Humble Lamppost   required option, or name:value pairs
    :as bob          act as another user (the console starts as admin, the guild owner)
    :say #channel text    post in a channel or thread (plain text posts where you last spoke)
    :click Going     click a button on the bot's last message with buttons
    :modal Title=Bike Racks | Pitch=Short   submit the modal the bot opened, fields by label
    :restart         stop the bot and start it again on the same database
    :help   :quit    (end of input quits too)

What the bot does in answer (everything it did through the REST API until it settles) is
drawn below the line: embeds as boxes, buttons as ``[ Going ]``, ephemeral replies marked
``(only you can see this)``, and messages posted elsewhere with their channel.
"""

from __future__ import annotations

import asyncio
import re
import sys
import textwrap
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from discord_sandbox.scenario import Action, BotFactory, BotLifecycle, Observation, RunningBot

if TYPE_CHECKING:
    from discord_sandbox.server import Sandbox

BOX_WIDTH = 60
_PAIR = re.compile(r"(?:^|\s)([\w-]+):")
_SUBCOMMAND_TYPES = (1, 2)
_BOOLEAN = 5
_TRUE_WORDS = frozenset({"true", "yes", "y", "1", "on"})

BANNER = """\
Agora sandbox console. You are {user}, in #{channel}.
  /command [sub] value | name:value ...   run a slash command
  :as NAME    :say #channel TEXT    :click LABEL    :modal Label=value | Label=value
  :restart    :help    :quit  (plain text is posted in the current channel)
"""


class ConsoleInputError(Exception):
    """A line the console cannot turn into an action; the message says why."""


# ---- parsing ------------------------------------------------------------------------------
@dataclass(frozen=True)
class SlashLine:
    path: str
    options: dict[str, Any]


def parse_slash(line: str, commands: Iterable[dict[str, Any]]) -> SlashLine:
    """``/initiative info Humble Lamppost`` against the registered command payloads: the
    command path is matched greedily, the rest is ``name:value`` pairs or the first required
    option's value."""
    words = line.strip().lstrip("/").split()
    if not words:
        raise ConsoleInputError("type a command after /")
    by_name = {str(c.get("name")): c for c in commands if int(c.get("type") or 1) == 1}
    command = by_name.get(words[0])
    if command is None:
        raise ConsoleInputError(f"no command /{words[0]}; try: {', '.join(sorted(by_name))}")
    path = [words[0]]
    options: list[dict[str, Any]] = list(command.get("options") or [])
    rest_index = 1
    for word in words[1:]:
        sub = next(
            (o for o in options if o.get("name") == word and o.get("type") in _SUBCOMMAND_TYPES),
            None,
        )
        if sub is None:
            break
        path.append(word)
        options = list(sub.get("options") or [])
        rest_index += 1
    if any(o.get("type") in _SUBCOMMAND_TYPES for o in options):
        subs = [o.get("name") for o in options]
        raise ConsoleInputError(
            f"/{' '.join(path)} needs a subcommand: {', '.join(map(str, subs))}"
        )
    rest = _after_words(line.strip().lstrip("/"), rest_index)
    return SlashLine(" ".join(path), _options_from_text(rest, options, " ".join(path)))


def _after_words(text: str, count: int) -> str:
    """``text`` without its first ``count`` whitespace-separated words."""
    parts = text.split(None, count)
    return parts[count] if len(parts) > count else ""


def _options_from_text(rest: str, definitions: list[dict[str, Any]], path: str) -> dict[str, Any]:
    rest = rest.strip()
    if not rest:
        return {}
    by_name = {str(d.get("name")): d for d in definitions}
    pairs = list(_PAIR.finditer(rest))
    if pairs and pairs[0].group(1) in by_name and rest[: pairs[0].start()].strip() == "":
        values: dict[str, Any] = {}
        for index, match in enumerate(pairs):
            end = pairs[index + 1].start() if index + 1 < len(pairs) else len(rest)
            name = match.group(1)
            if name not in by_name:
                raise ConsoleInputError(f"/{path} has no option {name!r}")
            values[name] = _typed(by_name[name], rest[match.end() : end].strip())
        return values
    target = next((d for d in definitions if d.get("required")), None)
    target = target or (definitions[0] if definitions else None)
    if target is None:
        raise ConsoleInputError(f"/{path} takes no options")
    return {str(target["name"]): _typed(target, rest)}


def _typed(definition: dict[str, Any], text: str) -> Any:
    if definition.get("type") == _BOOLEAN:
        return text.lower() in _TRUE_WORDS
    return text


def parse_modal_values(text: str) -> dict[str, str]:
    """``Title=Bike Racks | Pitch=Short`` -> {"Title": "Bike Racks", "Pitch": "Short"}."""
    values: dict[str, str] = {}
    for part in text.split("|"):
        if not part.strip():
            continue
        label, sep, value = part.partition("=")
        if not sep:
            raise ConsoleInputError(f"write each field as Label=value (got {part.strip()!r})")
        values[label.strip()] = value.strip()
    return values


# ---- rendering ----------------------------------------------------------------------------
def render_action(action: Action) -> list[str]:
    """Terminal lines for one bot action."""
    kind = action["kind"]
    if kind in ("response", "followup", "message", "dm", "update", "edit", "thread"):
        return _render_message(action)
    if kind == "autocomplete":
        choices = action.get("choices") or []
        return ["suggestions: " + (" · ".join(map(str, choices)) or "(none)")]
    if kind == "modal":
        box = _box(
            str(action.get("title") or "Form"),
            [f"{label}: ____" for label in action.get("fields") or []],
        )
        labels = action.get("fields") or ["Label"]
        hint = ":modal " + " | ".join(f"{label}=..." for label in labels)
        return [
            "Agora opened a form (only you can see this)",
            *("  " + line for line in box),
            f"  fill it in with {hint}",
        ]
    if kind == "error":
        return [f"! {action.get('content')}"]
    return ["* " + _summary(action)]


def _render_message(action: Action) -> list[str]:
    where = action.get("channel")
    kind = action["kind"]
    verb = {
        "response": "replied",
        "followup": "followed up",
        "update": "updated the message",
        "edit": "edited a message",
        "dm": "sent a direct message",
        "thread": "started a thread",
    }.get(kind, "posted")
    place = f" to {where}" if kind == "dm" else (f" in #{where}" if where else "")
    if action.get("deferred"):
        lines = [f"Agora is thinking{place}..."]
    else:
        lines = [f"Agora {verb}{place}:"]
    if kind == "thread" and action.get("name"):
        lines[0] = f"Agora started thread {action['name']!r}{place}:"
    if action.get("content"):
        lines += ["  " + line for line in str(action["content"]).splitlines()]
    for embed in action.get("embeds") or []:
        lines += _render_embed(embed)
    buttons = list(_buttons(action.get("components") or []))
    if buttons:
        lines.append("  " + " ".join(f"[ {label} ]" for label in buttons))
    if action.get("ephemeral"):
        lines.append("  (only you can see this)")
    return lines


def _render_embed(embed: dict[str, Any]) -> list[str]:
    body: list[str] = []
    if embed.get("description"):
        body += str(embed["description"]).splitlines()
    for field in embed.get("fields") or []:
        body += ["", str(field.get("name", "")), *str(field.get("value", "")).splitlines()]
    footer = (embed.get("footer") or {}).get("text")
    if footer:
        body += ["", f"— {footer}"]
    title = str(embed.get("title") or (embed.get("author") or {}).get("name") or "")
    return ["  " + line for line in _box(title, body)]


def _box(title: str, body: list[str]) -> list[str]:
    """``body`` in a box of box-drawing characters, ``title`` set in the top border."""
    title = title if len(title) < BOX_WIDTH else title[: BOX_WIDTH - 2] + "…"
    width = min(BOX_WIDTH, max([len(title) + 1, *(len(line) for line in body), 10]))
    wrapped: list[str] = []
    for line in body:
        wrapped += textwrap.wrap(line, width) or [""]
    head = f"─ {title} " if title else ""
    lines = ["┌" + head + "─" * (width + 2 - len(head)) + "┐"]
    lines += [f"│ {line.ljust(width)} │" for line in wrapped]
    lines.append("└" + "─" * (width + 2) + "┘")
    return lines


def _buttons(components: Iterable[Any]) -> Iterable[str]:
    for component in components:
        if not isinstance(component, dict):
            continue
        if component.get("type") == 2:
            yield str(component.get("label") or component.get("emoji", {}).get("name") or "?")
        elif component.get("type") in (3, 5, 6, 7, 8):
            yield f"{component.get('placeholder') or 'choose'} ▾"
        yield from _buttons(component.get("components") or [])
        accessory = component.get("accessory")
        if isinstance(accessory, dict):
            yield from _buttons([accessory])


def _summary(action: Action) -> str:
    kind = action["kind"]
    if kind == "channel":
        return f"created channel #{action.get('channel')}"
    if kind == "channel_edit":
        return f"changed #{action.get('channel')}: {action.get('changes')}"
    if kind == "channel_delete":
        return f"deleted channel #{action.get('channel')}"
    if kind in ("role", "role_edit", "role_delete"):
        verb = {"role": "created", "role_edit": "changed", "role_delete": "deleted"}[kind]
        return f"{verb} role @{action.get('role')}"
    if kind == "member_roles":
        if action.get("added"):
            return f"gave {action.get('user')} the role @{action['added']}"
        if action.get("removed"):
            return f"took the role @{action['removed']} from {action.get('user')}"
        return f"set {action.get('user')}'s roles to {action.get('roles')}"
    if kind == "scheduled_event":
        return f"{action.get('action')}d event {action.get('name')!r} ({action.get('start')})"
    if kind == "commands":
        return f"registered commands: {', '.join(map(str, action.get('names') or []))}"
    if kind == "delete":
        return f"deleted a message in #{action.get('channel')}"
    details = {k: v for k, v in action.items() if k not in ("kind", "embeds", "components") and v}
    return f"{kind} {details}"


# ---- input --------------------------------------------------------------------------------
class _LineReader:
    """Lines from a blocking text stream, read on a daemon thread so the event loop (and the
    bot with it) keeps running while the person types. ``None`` marks the end of input."""

    def __init__(self, stream: TextIO) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._stream = stream
        threading.Thread(target=self._pump, name="console-stdin", daemon=True).start()

    def _pump(self) -> None:
        while True:
            try:
                line = self._stream.readline()
            except (OSError, ValueError):
                line = ""
            self._loop.call_soon_threadsafe(self._queue.put_nowait, line or None)
            if not line:
                return

    async def next_line(self) -> str | None:
        return await self._queue.get()


# ---- the console --------------------------------------------------------------------------
class Console:
    def __init__(self, sandbox: Sandbox, out: TextIO, bots: BotLifecycle) -> None:
        self.sandbox = sandbox
        self.bots = bots
        self.out = out
        self.user = "admin"
        self.channel = self._default_channel()

    def _default_channel(self) -> str:
        guild = self.sandbox.guild
        channel_id = guild.system_channel_id or guild.channel_ids[0]
        return self.sandbox.state.channels[channel_id].name

    def write(self, *lines: str) -> None:
        self.out.write("".join(line + "\n" for line in lines))
        self.out.flush()

    def prompt(self) -> None:
        self.out.write(f"{self.user} in #{self.channel}> ")
        self.out.flush()

    async def handle(self, line: str) -> bool:
        """Carry out one input line; False when the console should end."""
        line = line.strip()
        if not line:
            return True
        if line in (":quit", ":q", ":exit"):
            return False
        try:
            if line in (":help", ":h", "?"):
                self.write(BANNER.format(user=self.user, channel=self.channel))
            elif line == ":restart":
                await self._observed(self.bots.restart())
                self.write("the bot restarted")
            elif line.startswith(":as "):
                self.user = line[4:].strip()
                self.sandbox.user(self.user)
                self.write(f"you are now {self.user}")
            elif line.startswith(":"):
                await self._observed(self._colon_command(line))
            elif line.startswith("/"):
                await self._observed(self._slash(line))
            else:
                await self._observed(self._say(self.channel, line))
        except ConsoleInputError as error:
            self.write(f"? {error}")
        return True

    async def _observed(self, action: Any) -> None:
        observation = Observation.start(self.sandbox)
        try:
            await action
        except ConsoleInputError:
            raise
        except Exception as error:  # the driver's refusals and interaction failures
            self.write(f"! {type(error).__name__}: {error}")
        await observation.settle()
        for bot_action in observation.actions():
            self.write(*render_action(bot_action))

    def _colon_command(self, line: str) -> Any:
        name, _, rest = line[1:].partition(" ")
        rest = rest.strip()
        user = self.sandbox.user(self.user)
        if name == "say":
            channel, _, text = rest.partition(" ")
            if not channel or not text:
                raise ConsoleInputError("usage: :say #channel text")
            self.channel = channel.lstrip("#")
            return self._say(self.channel, text)
        if name == "click":
            if not rest:
                raise ConsoleInputError("usage: :click LABEL")
            return user.click("last", rest)
        if name == "modal":
            return user.submit_modal(parse_modal_values(rest))
        raise ConsoleInputError(f"unknown command :{name} (try :help)")

    async def _say(self, channel: str, text: str) -> None:
        await self.sandbox.user(self.user).say(channel, text)

    def _slash(self, line: str) -> Any:
        guild = self.sandbox.guild
        commands = [command.payload for command in self.sandbox.state.commands_for(guild.id)]
        parsed = parse_slash(line, commands)
        user = self.sandbox.user(self.user)
        return user.slash(parsed.path, in_channel=self.channel, **parsed.options)


async def run_console(
    sandbox: Sandbox,
    agora_factory: BotFactory,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    *,
    running: RunningBot | None = None,
) -> int:
    """Read lines from ``stdin`` until ``:quit`` or end of input; return the exit code.
    The bot keeps running meanwhile (``agora_factory``/``running`` are for restarts)."""
    bots = BotLifecycle(agora_factory, running)
    console = Console(sandbox, stdout, bots)
    console.write(BANNER.format(user=console.user, channel=console.channel))
    reader = _LineReader(stdin)
    try:
        while True:
            console.prompt()
            line = await reader.next_line()
            if line is None:
                console.write("", "bye")
                return 0
            if not await console.handle(line):
                console.write("bye")
                return 0
    finally:
        await bots.stop_started()

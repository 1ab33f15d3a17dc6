"""What a person types at the console, read against the commands the bot registered.

``/meeting create title:Challenge workshop: data sharing start:2027-06-20 09:00``: after the
command's path, an option starts only where one of *that command's* option names is
followed by a colon (at the start or after a space), so values may hold colons; a value in
double quotes (``title:"a: b"``, ``\\"`` for a quote) is taken as written. Text before the
first option is the first required option's value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUBCOMMAND_TYPES = (1, 2)
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "on"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "off"})
TYPE_HINTS = {
    STRING: "text",
    INTEGER: "whole number",
    BOOLEAN: "yes/no",
    USER: "user",
    CHANNEL: "#channel",
    ROLE: "@role",
    MENTIONABLE: "user or @role",
    NUMBER: "number",
    ATTACHMENT: "path of a file",
}


class ConsoleInputError(Exception):
    """A line the console cannot turn into an action; the message says why."""


@dataclass(frozen=True)
class SlashLine:
    path: str
    options: dict[str, Any]


def chat_commands(commands: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Slash commands (type 1) by name."""
    return {str(c.get("name")): c for c in commands if int(c.get("type") or 1) == 1}


def leaf_commands(
    commands: Iterable[dict[str, Any]],
) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """Every runnable command as (path, description, options), sorted by path."""
    leaves: list[tuple[str, str, list[dict[str, Any]]]] = []

    def walk(path: str, node: dict[str, Any]) -> None:
        options = list(node.get("options") or [])
        subs = [o for o in options if o.get("type") in SUBCOMMAND_TYPES]
        if not subs:
            leaves.append((path, str(node.get("description") or ""), options))
        for sub in subs:
            walk(f"{path} {sub.get('name')}", sub)

    for name, command in sorted(chat_commands(commands).items()):
        walk(name, command)
    return leaves


def parse_slash(line: str, commands: Iterable[dict[str, Any]]) -> SlashLine:
    """``/initiative info Humble Lamppost`` against the registered command payloads: the
    command path is matched greedily, the rest is ``name:value`` pairs (names of that
    command's options only), the first required option's value, or both."""
    text = line.strip().lstrip("/")
    words = text.split()
    if not words:
        raise ConsoleInputError("type a command after /, e.g. /help (or :help for the console)")
    by_name = chat_commands(commands)
    command = by_name.get(words[0])
    if command is None:
        raise ConsoleInputError(f"no command /{words[0]}; try: {', '.join(sorted(by_name))}")
    path = [words[0]]
    options: list[dict[str, Any]] = list(command.get("options") or [])
    rest_index = 1
    for word in words[1:]:
        sub = next(
            (o for o in options if o.get("name") == word and o.get("type") in SUBCOMMAND_TYPES),
            None,
        )
        if sub is None:
            break
        path.append(word)
        options = list(sub.get("options") or [])
        rest_index += 1
    if any(o.get("type") in SUBCOMMAND_TYPES for o in options):
        subs = [o.get("name") for o in options]
        raise ConsoleInputError(
            f"/{' '.join(path)} needs a subcommand: {', '.join(map(str, subs))}"
        )
    rest = _after_words(text, rest_index)
    name = " ".join(path)
    return SlashLine(name, options_from_text(rest, options, name))


def _after_words(text: str, count: int) -> str:
    """``text`` without its first ``count`` whitespace-separated words."""
    parts = text.split(None, count)
    return parts[count] if len(parts) > count else ""


def options_from_text(rest: str, definitions: list[dict[str, Any]], path: str) -> dict[str, Any]:
    """``rest`` of a command line as option values, typed by ``definitions``."""
    rest = rest.strip()
    if not rest:
        return {}
    if not definitions:
        raise ConsoleInputError(f"/{path} takes no options; type just /{path}")
    by_name = {str(d.get("name")): d for d in definitions}
    prefix, pairs = split_pairs(rest, by_name)
    values: dict[str, Any] = {}
    for name, value in pairs:
        if name in values:
            raise ConsoleInputError(f"/{path}: {name}: is given twice")
        values[name] = typed(by_name[name], value)
    if prefix:
        target = next(
            (d for d in definitions if d.get("required") and d.get("name") not in values),
            None,
        ) or next((d for d in definitions if d.get("name") not in values), None)
        if target is None:
            raise ConsoleInputError(
                f"/{path}: {prefix!r} is not an option's value; write name:value "
                f"({', '.join(by_name)})"
            )
        values[str(target["name"])] = typed(target, prefix)
    return values


def split_pairs(rest: str, by_name: dict[str, Any]) -> tuple[str, list[tuple[str, str]]]:
    """The text before the first ``name:`` and the (name, value) pairs after it; only the
    names in ``by_name`` start a pair, and a value in double quotes may hold anything."""
    if not by_name:
        return _unquoted(rest.strip(), "the value"), []
    names = sorted(by_name, key=len, reverse=True)
    boundary = re.compile(r"(?:(?<=\s)|^)(" + "|".join(map(re.escape, names)) + r"):")
    pairs: list[tuple[str, str]] = []
    match = _next_boundary(boundary, rest, 0)
    prefix = rest[: match.start()] if match else rest
    prefix = _unquoted(prefix.strip(), "the value")
    while match is not None:
        name = match.group(1)
        start = match.end()
        value_text = rest[start:]
        if value_text.startswith('"'):
            closing = _closing_quote(value_text)
            if closing is None:
                raise ConsoleInputError(f'{name}: has an opening " without a closing one')
            value = _unescape(value_text[1:closing])
            after = start + closing + 1
            match = _next_boundary(boundary, rest, after)
            between = rest[after : match.start() if match else len(rest)]
            if between.strip():
                raise ConsoleInputError(
                    f"{name}: text after the closing quote ({between.strip()!r}); "
                    "put it inside the quotes"
                )
        else:
            match = _next_boundary(boundary, rest, start)
            value = rest[start : match.start() if match else len(rest)].strip()
        pairs.append((name, value))
    return prefix, pairs


def _next_boundary(boundary: re.Pattern[str], text: str, position: int) -> re.Match[str] | None:
    return boundary.search(text, position)


def _closing_quote(text: str) -> int | None:
    index = 1
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == '"':
            return index
        index += 1
    return None


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _unquoted(text: str, what: str) -> str:
    if len(text) >= 2 and text.startswith('"') and _closing_quote(text) == len(text) - 1:
        return _unescape(text[1:-1])
    return text


def typed(definition: dict[str, Any], text: str) -> Any:
    """The value as the option's type takes it; a refusal names the option and what fits."""
    kind = definition.get("type")
    name = definition.get("name")
    if kind == BOOLEAN:
        word = text.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ConsoleInputError(f"{name}: takes yes or no, not {text!r}")
    if kind == INTEGER and not definition.get("choices"):
        try:
            return int(text)
        except ValueError:
            raise ConsoleInputError(f"{name}: takes a whole number, not {text!r}") from None
    if kind == NUMBER and not definition.get("choices"):
        try:
            return float(text)
        except ValueError:
            raise ConsoleInputError(f"{name}: takes a number, not {text!r}") from None
    if kind == ATTACHMENT:
        path = Path(text).expanduser()
        try:
            return (path.name, path.read_bytes())
        except OSError as error:
            raise ConsoleInputError(
                f"{name}: cannot read the file {text!r} ({error.strerror or error}); "
                "give the path of a file on this computer"
            ) from None
    if kind in (USER, MENTIONABLE, ROLE):
        return text.strip().lstrip("@") if text.strip() != "@everyone" else text.strip()
    if kind == CHANNEL:
        return text.strip().lstrip("#")
    return text


def option_usage(definition: dict[str, Any]) -> str:
    """``title:<text>`` for a required option, ``[cap:<whole number>]`` for another."""
    choices = definition.get("choices") or []
    hint = (
        "|".join(str(c.get("name")) for c in choices[:6]) + ("|…" if len(choices) > 6 else "")
        if choices
        else TYPE_HINTS.get(int(definition.get("type") or STRING), "value")
    )
    usage = f"{definition.get('name')}:<{hint}>"
    return usage if definition.get("required") else f"[{usage}]"


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


_EMOJI_OR_MARK = re.compile(r"[^\w\s'’&+-]", re.UNICODE)


def label_key(label: str) -> str:
    """A button label as people type it: without emoji and symbols, case and spacing folded
    (``Next ▶`` -> ``next``, ``✅ Going`` -> ``going``)."""
    return " ".join(_EMOJI_OR_MARK.sub(" ", label).casefold().split())


def match_label(typed_label: str, labels: list[str]) -> str | None:
    """The one label ``typed_label`` names: exactly, then ignoring emoji and case, then as
    the start of one label. None when nothing or several match."""
    if typed_label in labels:
        return typed_label
    key = label_key(typed_label)
    if not key:
        return None
    exact = [label for label in labels if label_key(label) == key]
    if len(exact) == 1:
        return exact[0]
    starts = [label for label in labels if label_key(label).startswith(key)]
    return starts[0] if len(starts) == 1 else None

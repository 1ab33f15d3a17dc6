"""The console's drawing of what a bot did: messages with their markup read as Discord shows
it (:mod:`discord_sandbox.markup`), embeds as boxes, buttons as ``[ Going ]``, and one-line
notes for everything else. ANSI styles only when :attr:`View.ansi` is set."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from discord_sandbox import markup
from discord_sandbox.markup import Block, Names, NoNames, Span

Action = dict[str, Any]
BOX_WIDTH = 60
# Kinds shown only with :verbose: the bot's bookkeeping, invisible in Discord's client.
VERBOSE_KINDS = frozenset({"call", "commands", "permissions"})

_SGR = {
    markup.BOLD: "1",
    markup.ITALIC: "3",
    markup.UNDERLINE: "4",
    markup.STRIKE: "9",
    markup.SPOILER: "7",
    markup.CODE: "36",
    markup.LINK: "34;4",
    markup.MENTION: "35;1",
    markup.TIMESTAMP: "33",
}
_RESET = "\x1b[0m"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class View:
    """How to draw: names for mentions, the viewer's time zone, ANSI styles or plain text."""

    names: Names = field(default_factory=NoNames)
    ansi: bool = False
    tz: tzinfo | None = None  # None: the machine's local zone
    bot_name: str = "Agora"

    def style(self, text: str, *codes: str) -> str:
        codes = tuple(code for code in codes if code)
        if not self.ansi or not codes or not text:
            return text
        return f"\x1b[{';'.join(codes)}m{text}{_RESET}"


def visible_length(text: str) -> int:
    """Columns ``text`` takes on a terminal: ANSI styles take none, wide characters (most
    emoji, CJK) two, combining marks and variation selectors none."""
    plain = _ANSI.sub("", text)
    if plain.isascii():
        return len(plain)
    return sum(_width(char) for char in plain)


def _width(char: str) -> int:
    if unicodedata.combining(char) or "\ufe00" <= char <= "\ufe0f" or char == "\u200d":
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


# ---- markup ------------------------------------------------------------------------------------
def render_markup(text: str, view: View) -> list[str]:
    """Message text as terminal lines: mentions as ``@name`` / ``#channel``, timestamps in
    the viewer's zone, markdown as styles (or plain words), links as ``text (url)``."""
    lines: list[str] = []
    for block in markup.parse(text, view.names, tz=view.tz):
        lines += _render_block(block, view)
    return lines


def _render_spans(spans: Iterable[Span], view: View) -> str:
    out: list[str] = []
    for span in spans:
        text = span.text
        if markup.SPOILER in span.styles and not view.ansi:
            text = f"[spoiler: {text}]"
        codes = [_SGR[style] for style in sorted(span.styles) if style in _SGR]
        out.append(view.style(text, *codes))
        if span.url and span.url != span.text:
            out.append(f" ({span.url})")
    return "".join(out)


def _render_block(block: Block, view: View) -> list[str]:
    quote = view.style("▌", "2") + " " if block.quoted else ""
    if block.kind == markup.CODE_BLOCK:
        body = block.text.split("\n")
        return [quote + view.style("│ ", "2") + view.style(line, "36") for line in body]
    text = _render_spans(block.spans, view)
    if block.kind == markup.HEADING:
        text = view.style(_ANSI.sub("", text), "1", "4" if block.level == 1 else "")
    elif block.kind == markup.SUBTEXT:
        text = view.style(_ANSI.sub("", text), "2")
    elif block.kind == markup.LIST_ITEM:
        text = "  " * block.level + f"{block.marker} {text}"
    return [quote + text]


# ---- actions -----------------------------------------------------------------------------------
def render_action(action: Action, view: View | None = None) -> list[str]:
    """Terminal lines for one bot action."""
    view = view or View()
    kind = action["kind"]
    if kind in ("response", "followup", "message", "dm", "update", "edit", "thread"):
        return _render_message(action, view)
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
            f"{view.bot_name} opened a form (only you can see this)",
            *("  " + line for line in box),
            f"  fill it in with {hint}",
        ]
    if kind == "error":
        return [view.style(f"! {action.get('content')}", "31")]
    return [view.style("* " + _summary(action), "2")]


def _render_message(action: Action, view: View) -> list[str]:
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
    bot = view.style(view.bot_name, "1")
    if action.get("deferred"):
        lines = [f"{bot} is thinking{place}..."]
    else:
        lines = [f"{bot} {verb}{place}:"]
    if kind == "thread" and action.get("name"):
        lines[0] = f"{bot} started thread {action['name']!r}{place}:"
    if action.get("content"):
        lines += ["  " + line for line in render_markup(str(action["content"]), view)]
    for embed in action.get("embeds") or []:
        lines += _render_embed(embed, view)
    buttons = list(_buttons(action.get("components") or []))
    if buttons:
        lines.append("  " + " ".join(f"[ {label} ]" for label in buttons))
    for saved in action.get("files") or []:
        lines += ["  " + line for line in saved]
    if action.get("ephemeral"):
        lines.append("  " + view.style("(only you can see this)", "2"))
    return lines


def _render_embed(embed: dict[str, Any], view: View) -> list[str]:
    body: list[str] = []
    if embed.get("description"):
        body += render_markup(str(embed["description"]), view)
    for embed_field in embed.get("fields") or []:
        name = _render_spans(_first_spans(str(embed_field.get("name", "")), view), view)
        body += ["", view.style(_ANSI.sub("", name), "1")]
        body += render_markup(str(embed_field.get("value", "")), view)
    if embed.get("image") or embed.get("thumbnail"):
        image = (embed.get("image") or embed.get("thumbnail") or {}).get("url")
        if image:
            body += ["", f"image: {image}"]
    footer = (embed.get("footer") or {}).get("text")
    if footer:
        body += ["", view.style(f"— {footer}", "2")]
    title = str(embed.get("title") or (embed.get("author") or {}).get("name") or "")
    if title and embed.get("url"):
        title = f"{title} ({embed['url']})"
    return ["  " + line for line in _box(view.style(title, "1"), body)]


def _first_spans(text: str, view: View) -> tuple[Span, ...]:
    blocks = markup.parse(text, view.names, tz=view.tz)
    return blocks[0].spans if blocks else ()


def _box(title: str, body: list[str]) -> list[str]:
    """``body`` in a box of box-drawing characters, ``title`` set in the top border. Widths
    count visible characters (ANSI styles take no room)."""
    if visible_length(title) >= BOX_WIDTH:
        title = _cut(_ANSI.sub("", title), BOX_WIDTH - 3)[0] + "…"
    width = min(BOX_WIDTH, max([visible_length(title) + 1, *map(visible_length, body), 10]))
    wrapped: list[str] = []
    for line in body:
        wrapped += wrap_styled(line, width) or [""]
    head = f"─ {title} " if title else ""
    lines = ["┌" + head + "─" * (width + 2 - visible_length(head)) + "┐"]
    lines += [f"│ {line}{' ' * (width - visible_length(line))} │" for line in wrapped]
    lines.append("└" + "─" * (width + 2) + "┘")
    return lines


def wrap_styled(line: str, width: int) -> list[str]:
    """``line`` wrapped at ``width`` visible characters; styles open at a break are closed at
    the end of the line and opened again on the next."""
    out: list[str] = []
    current, current_length = "", 0
    active: list[str] = []
    for word in re.split(r"(\s+)", line):
        length = visible_length(word)
        if current_length + length > width and current_length:
            out.append(current + (_RESET if active else ""))
            current, current_length = "".join(active), 0
            if not word.strip():
                continue
        while length > width:  # a word longer than the box: cut it
            head, word = _cut(word, width - current_length)
            active = _active_after(active, head)
            out.append(current + head + (_RESET if active else ""))
            current, current_length = "".join(active), 0
            length = visible_length(word)
        current += word
        current_length += length
        active = _active_after(active, word)
    out.append(current)
    return [part.rstrip() for part in out]


def _active_after(active: list[str], text: str) -> list[str]:
    result = list(active)
    for code in _ANSI.findall(text):
        result = [] if code == _RESET else [*result, code]
    return result


def _cut(text: str, room: int) -> tuple[str, str]:
    """``text`` split after ``room`` visible characters."""
    count = 0
    for match in re.finditer(r"\x1b\[[0-9;]*m|.", text, re.S):
        if not match.group().startswith("\x1b"):
            count += visible_length(match.group())
            if count > room:
                return text[: match.start()], text[match.start() :]
    return text, ""


def _buttons(components: Iterable[Any]) -> Iterable[str]:
    for component in components:
        if not isinstance(component, dict):
            continue
        if component.get("type") == 2:
            emoji = (component.get("emoji") or {}).get("name")
            label = component.get("label")
            yield str(" ".join(part for part in (emoji, label) if part) or "?")
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
        changes = action.get("changes") or {}
        listed = ", ".join(f"{key} {value!r}" for key, value in changes.items())
        return f"changed #{action.get('channel')}: {listed}"
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
        roles = ", ".join("@" + str(role) for role in action.get("roles") or []) or "none"
        return f"set {action.get('user')}'s roles to {roles}"
    if kind == "member_edit":
        return f"changed member {action.get('user')}: {action.get('changes')}"
    if kind == "scheduled_event":
        verb = {"create": "created", "edit": "changed", "delete": "deleted"}.get(
            str(action.get("action")), str(action.get("action"))
        )
        start = action.get("start")
        return f"{verb} event {action.get('name')!r}" + (f" ({start})" if start else "")
    if kind == "commands":
        return f"registered commands: {', '.join(map(str, action.get('names') or []))}"
    if kind == "delete":
        return f"deleted a message in #{action.get('channel')}"
    if kind == "reaction":
        verb = "removed its reaction" if action.get("removed") else "reacted"
        return f"{verb} {action.get('emoji')} in #{action.get('channel')}"
    if kind == "pin":
        verb = "unpinned" if action.get("removed") else "pinned"
        return f"{verb} a message in #{action.get('channel')}"
    if kind == "permissions":
        verb = "removed" if action.get("removed") else "set"
        return f"{verb} permissions of {action.get('target')} in #{action.get('channel')}"
    details = {k: v for k, v in action.items() if k not in ("kind", "embeds", "components") and v}
    return f"call {details}" if kind == "call" else f"{kind} {details}"

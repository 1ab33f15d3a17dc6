"""Discord message markup read as the Discord client reads it, for any front end.

:func:`parse` turns message text (content, an embed's description or a field's value) into
:class:`Block` s of styled :class:`Span` s: mentions resolved to names (``<@id>`` ->
``@alice``, ``<#id>`` -> ``#general``, ``<@&id>`` -> ``@Organiser``), timestamps
(``<t:1813474800:F>``) written in the viewer's time zone in the style asked for, and
markdown (bold, italic, underline, strikethrough, spoilers, inline code, code blocks, masked
links, headings, subtext, lists, block quotes). Nothing here knows about terminals or HTML:
a front end maps span styles and block kinds to what it can show.

Names come from a :class:`Names` (``SandboxNames(state, guild_id)`` reads the sandbox's
records); times from ``now`` and ``tz`` (default: the machine's local zone).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from discord_sandbox.state import SandboxState

# Span styles.
BOLD = "bold"
ITALIC = "italic"
UNDERLINE = "underline"
STRIKE = "strike"
SPOILER = "spoiler"
CODE = "code"
LINK = "link"
MENTION = "mention"
TIMESTAMP = "timestamp"

# Block kinds.
PARAGRAPH = "paragraph"
HEADING = "heading"  # level 1-3
SUBTEXT = "subtext"  # "-# small print"
LIST_ITEM = "list_item"  # level (nesting, from 0) and marker ("•" or "1.")
CODE_BLOCK = "code_block"  # language


@dataclass(frozen=True)
class Span:
    text: str
    styles: frozenset[str] = frozenset()
    url: str | None = None  # for LINK spans


@dataclass(frozen=True)
class Block:
    kind: str
    spans: tuple[Span, ...] = ()
    level: int = 0
    marker: str = ""
    quoted: bool = False
    language: str = ""

    @property
    def text(self) -> str:
        return "".join(span.text for span in self.spans)


class Names(Protocol):
    """Display names for ids; None when the id is unknown."""

    def user(self, user_id: str) -> str | None: ...

    def channel(self, channel_id: str) -> str | None: ...

    def role(self, role_id: str) -> str | None: ...


@dataclass
class NoNames:
    """Knows no one: mentions read ``@unknown-user``, ``#unknown``, ``@unknown-role``."""

    def user(self, user_id: str) -> str | None:
        return None

    def channel(self, channel_id: str) -> str | None:
        return None

    def role(self, role_id: str) -> str | None:
        return None


@dataclass
class SandboxNames:
    """Names from the sandbox's records: a member's nickname in ``guild_id`` (if any), else
    the user's display name, else the username; channels and threads by name (a DM as the
    other person's name); roles from any guild."""

    state: SandboxState
    guild_id: str | None = None

    def user(self, user_id: str) -> str | None:
        user = self.state.users.get(user_id)
        if user is None:
            return None
        guild = self.state.guilds.get(self.guild_id or "")
        member = guild.members.get(user_id) if guild is not None else None
        if member is not None and member.nick:
            return member.nick
        return user.global_name or user.username

    def channel(self, channel_id: str) -> str | None:
        channel = self.state.channels.get(channel_id)
        return channel.name if channel is not None and channel.name else None

    def role(self, role_id: str) -> str | None:
        for guild in self.state.guilds.values():
            role = guild.roles.get(role_id)
            if role is not None:
                return role.name
        return None


# ---- timestamps ------------------------------------------------------------------------------
TIMESTAMP_STYLES = "tTdDfFsSR"


def format_timestamp(
    seconds: int, style: str = "f", *, now: datetime | None = None, tz: tzinfo | None = None
) -> str:
    """``<t:seconds:style>`` as Discord's client shows it (English, 24-hour clock) in ``tz``
    (default: local): t ``16:20``, T ``16:20:30``, d ``20/04/2021``, D ``20 April 2021``,
    f ``20 April 2021 16:20`` (the default), F ``Tuesday, 20 April 2021 16:20``,
    s ``20/04/2021, 16:20``, S ``20/04/2021, 16:20:30``, R ``in 2 hours`` / ``3 days ago``."""
    moment = datetime.fromtimestamp(seconds, UTC)
    moment = moment.astimezone(tz) if tz is not None else moment.astimezone()
    if style == "R":
        current = now if now is not None else datetime.now(UTC)
        return relative_time(moment, current)
    day = f"{moment.day} {moment:%B %Y}"
    formats = {
        "t": f"{moment:%H:%M}",
        "T": f"{moment:%H:%M:%S}",
        "d": f"{moment:%d/%m/%Y}",
        "D": day,
        "f": f"{day} {moment:%H:%M}",
        "F": f"{moment:%A}, {day} {moment:%H:%M}",
        "s": f"{moment:%d/%m/%Y, %H:%M}",
        "S": f"{moment:%d/%m/%Y, %H:%M:%S}",
    }
    return formats.get(style, formats["f"])


_UNITS = (
    ("year", 365 * 86400),
    ("month", 30 * 86400),
    ("day", 86400),
    ("hour", 3600),
    ("minute", 60),
    ("second", 1),
)


def relative_time(moment: datetime, now: datetime) -> str:
    """``in 2 hours``, ``3 days ago``, ``in 1 minute``, ``now``: the largest whole unit."""
    delta = (moment - now).total_seconds()
    size = abs(delta)
    if size < 1:
        return "now"
    for unit, length in _UNITS:
        if size >= length:
            count = int(size // length)
            words = f"{count} {unit}" + ("" if count == 1 else "s")
            return f"in {words}" if delta > 0 else f"{words} ago"
    return "now"  # pragma: no cover - size >= 1 always finds "second"


# ---- inline ------------------------------------------------------------------------------------
_INLINE = re.compile(
    r"""
    (?P<escape>\\(?P<escaped>[^\w\s]))
  | (?P<code2>``(?P<code2_text>.+?)``)
  | (?P<code1>`(?P<code1_text>[^`]+)`)
  | (?P<timestamp><t:(?P<ts>-?\d{1,13})(?::(?P<style>[tTdDfFsSR]))?>)
  | (?P<user><@!?(?P<user_id>\d+)>)
  | (?P<role><@&(?P<role_id>\d+)>)
  | (?P<channel><\#(?P<channel_id>\d+)>)
  | (?P<slash></(?P<slash_name>[\w -]+):\d+>)
  | (?P<emoji><a?:(?P<emoji_name>\w+):\d+>)
  | (?P<masked>\[(?P<masked_text>[^\]\n]+)\]\(<?(?P<masked_url>https?://[^\s)>]+)>?\))
  | (?P<autolink><(?P<autolink_url>https?://[^\s>]+)>)
  | (?P<url>https?://[^\s<]+[^\s<.,:;"')\]])
  | (?P<everyone>@(?:everyone|here)\b)
  | (?P<bolditalic>\*\*\*(?P<bolditalic_text>\S(?:.*?\S)??)\*\*\*)
  | (?P<bold>\*\*(?P<bold_text>\S(?:.*?\S)??)\*\*)
  | (?P<underline>__(?P<underline_text>\S(?:.*?\S)??)__)
  | (?P<strike>~~(?P<strike_text>.+?)~~)
  | (?P<spoiler>\|\|(?P<spoiler_text>.+?)\|\|)
  | (?P<star>\*(?P<star_text>[^*\s](?:[^*]*?[^*\s])??)\*)
  | (?P<under>(?<![^\W_])_(?P<under_text>[^_\s](?:[^_]*?[^_\s])??)_(?![^\W_]))
    """,
    re.VERBOSE,
)
_NESTED = {
    "bolditalic": frozenset({BOLD, ITALIC}),
    "bold": frozenset({BOLD}),
    "underline": frozenset({UNDERLINE}),
    "strike": frozenset({STRIKE}),
    "spoiler": frozenset({SPOILER}),
    "star": frozenset({ITALIC}),
    "under": frozenset({ITALIC}),
}


@dataclass
class _Context:
    names: Names
    now: datetime
    tz: tzinfo | None
    styles: frozenset[str] = field(default_factory=frozenset)


def _inline(text: str, context: _Context) -> list[Span]:
    spans: list[Span] = []
    styles = context.styles

    def plain(piece: str) -> None:
        if piece:
            spans.append(Span(piece, styles))

    position = 0
    for match in _INLINE.finditer(text):
        plain(text[position : match.start()])
        position = match.end()
        kind = next(name for name in _KINDS if match.group(name) is not None)
        spans.extend(_HANDLERS[kind](match, context))
    plain(text[position:])
    return _merge(spans)


def _nested(kind: str) -> Callable[[re.Match[str], _Context], list[Span]]:
    def handle(match: re.Match[str], context: _Context) -> list[Span]:
        inner = replace(context, styles=context.styles | _NESTED[kind])
        return _inline(match.group(f"{kind}_text"), inner)

    return handle


def _mention(text: str, context: _Context) -> list[Span]:
    return [Span(text, context.styles | {MENTION})]


def _handle_timestamp(match: re.Match[str], context: _Context) -> list[Span]:
    try:
        text = format_timestamp(
            int(match.group("ts")), match.group("style") or "f", now=context.now, tz=context.tz
        )
    except (OverflowError, OSError, ValueError):  # out of the range a date can show
        return [Span(match.group(0), context.styles)]
    return [Span(text, context.styles | {TIMESTAMP})]


def _handle_link(text: str, url: str, context: _Context) -> list[Span]:
    return [Span(text, context.styles | {LINK}, url)]


_HANDLERS: dict[str, Callable[[re.Match[str], _Context], list[Span]]] = {
    "escape": lambda m, c: [Span(m.group("escaped"), c.styles)],
    "code2": lambda m, c: [Span(m.group("code2_text").strip(), c.styles | {CODE})],
    "code1": lambda m, c: [Span(m.group("code1_text"), c.styles | {CODE})],
    "timestamp": _handle_timestamp,
    "user": lambda m, c: _mention("@" + (c.names.user(m.group("user_id")) or "unknown-user"), c),
    "role": lambda m, c: _mention("@" + (c.names.role(m.group("role_id")) or "unknown-role"), c),
    "channel": lambda m, c: _mention(
        "#" + (c.names.channel(m.group("channel_id")) or "unknown"), c
    ),
    "slash": lambda m, c: _mention("/" + m.group("slash_name"), c),
    "emoji": lambda m, c: [Span(f":{m.group('emoji_name')}:", c.styles)],
    "masked": lambda m, c: _handle_link(m.group("masked_text"), m.group("masked_url"), c),
    "autolink": lambda m, c: _handle_link(m.group("autolink_url"), m.group("autolink_url"), c),
    "url": lambda m, c: _handle_link(m.group("url"), m.group("url"), c),
    "everyone": lambda m, c: _mention(m.group(0), c),
    **{kind: _nested(kind) for kind in _NESTED},
}
_KINDS = tuple(_HANDLERS)


def _merge(spans: Iterable[Span]) -> list[Span]:
    """Neighbouring spans of the same style joined (links and mentions stay apart)."""
    merged: list[Span] = []
    for span in spans:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.styles == span.styles
            and last.url is None
            and span.url is None
            and not span.styles & {MENTION, TIMESTAMP}
        ):
            merged[-1] = Span(last.text + span.text, last.styles)
        else:
            merged.append(span)
    return merged


# ---- blocks ------------------------------------------------------------------------------------
_HEADING = re.compile(r"^(#{1,3}) +(\S.*)$")
_SUBTEXT = re.compile(r"^-# +(\S.*)$")
_BULLET = re.compile(r"^( *)[-*] +(\S.*)$")
_NUMBERED = re.compile(r"^( *)(\d{1,9})\. +(\S.*)$")
_FENCE = re.compile(r"^```([\w+#.-]*)\s*$")


def parse(
    text: str,
    names: Names | None = None,
    *,
    now: datetime | None = None,
    tz: tzinfo | None = None,
) -> list[Block]:
    """``text`` as blocks: one per line (a code block is one block), mentions resolved with
    ``names``, timestamps in ``tz`` (default local) relative to ``now`` (default: now)."""
    context = _Context(names or NoNames(), now or datetime.now(UTC), tz)
    blocks: list[Block] = []
    lines = text.split("\n")
    quote_rest = False
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        quoted = quote_rest
        if not quoted and (line.startswith(">>> ") or line == ">>>"):
            quote_rest = quoted = True
            line = line[4:]
        elif not quoted and (line.startswith("> ") or line == ">"):
            quoted = True
            line = line[2:]
        fence = _FENCE.match(line.strip())
        if line.strip().startswith("```"):
            block, index = _code_block(line.strip(), lines, index, fence)
            blocks.append(replace(block, quoted=quoted))
            continue
        blocks.append(_line_block(line, context, quoted))
    return blocks


def _code_block(
    first: str, lines: list[str], index: int, fence: re.Match[str] | None
) -> tuple[Block, int]:
    """A fenced code block from ``first`` (its opening line) on; the index after it."""
    if fence is None:  # ```code``` on one line, or code that starts on the fence line
        body = first[3:]
        if body.endswith("```") and len(body) >= 3:
            return Block(CODE_BLOCK, (Span(body[:-3], frozenset({CODE})),)), index
        collected = [body]
        language = ""
    else:
        collected = []
        language = fence.group(1)
    while index < len(lines):
        line = lines[index]
        index += 1
        if line.rstrip().endswith("```"):
            rest = line.rstrip()[:-3]
            if rest:
                collected.append(rest)
            break
        collected.append(line)
    return Block(CODE_BLOCK, (Span("\n".join(collected), frozenset({CODE})),), language=language), (
        index
    )


def _line_block(line: str, context: _Context, quoted: bool) -> Block:
    if heading := _HEADING.match(line):
        level = len(heading.group(1))
        return Block(HEADING, tuple(_inline(heading.group(2), context)), level, quoted=quoted)
    if subtext := _SUBTEXT.match(line):
        return Block(SUBTEXT, tuple(_inline(subtext.group(1), context)), quoted=quoted)
    if bullet := _BULLET.match(line):
        level = len(bullet.group(1)) // 2
        spans = tuple(_inline(bullet.group(2), context))
        return Block(LIST_ITEM, spans, level, "•", quoted=quoted)
    if numbered := _NUMBERED.match(line):
        level = len(numbered.group(1)) // 2
        spans = tuple(_inline(numbered.group(3), context))
        return Block(LIST_ITEM, spans, level, numbered.group(2) + ".", quoted=quoted)
    return Block(PARAGRAPH, tuple(_inline(line, context)), quoted=quoted)


def plain_text(
    text: str, names: Names | None = None, *, now: datetime | None = None, tz: tzinfo | None = None
) -> str:
    """``text`` as words a person reads: mentions and timestamps resolved, markdown marks
    removed, links as ``text (url)``, list markers kept, quotes marked ``> ``."""
    out: list[str] = []
    for block in parse(text, names, now=now, tz=tz):
        line = "".join(
            f"{span.text} ({span.url})" if span.url and span.url != span.text else span.text
            for span in block.spans
        )
        if block.kind == LIST_ITEM:
            line = "  " * block.level + f"{block.marker} {line}"
        if block.quoted:
            line = "\n".join("> " + part for part in line.split("\n"))
        out.append(line)
    return "\n".join(out)

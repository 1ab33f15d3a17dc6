"""Discord markup read as the client shows it: mentions resolved from the sandbox's records,
timestamps in each style and time zone, markdown as styled spans; and its terminal drawing,
plain and with ANSI styles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from discord_sandbox import markup
from discord_sandbox.console_render import View, render_markup
from discord_sandbox.markup import (
    BOLD,
    CODE,
    ITALIC,
    LINK,
    MENTION,
    SPOILER,
    STRIKE,
    TIMESTAMP,
    UNDERLINE,
    SandboxNames,
    Span,
    format_timestamp,
    parse,
    plain_text,
    relative_time,
)
from discord_sandbox.models import ChannelType
from discord_sandbox.state import SandboxState

WORKSHOP = 1813474800  # 2027-06-20 07:00 UTC, a Sunday
BRUSSELS = ZoneInfo("Europe/Brussels")
NOW = datetime(2027, 6, 20, 5, 0, tzinfo=UTC)


def seeded() -> tuple[SandboxState, SandboxNames, dict[str, str]]:
    state = SandboxState()
    alice = state.new_user("alice")
    bob = state.new_user("bob")
    guild = state.create_guild("EIP-SCC", alice.id)
    state.add_member(guild, alice.id)
    state.add_member(guild, bob.id).nick = "Bob the Builder"
    organiser = state.create_role(guild, "Organiser")
    general = state.create_channel(guild, ChannelType.GUILD_TEXT, "general")
    ids = {"alice": alice.id, "bob": bob.id, "role": organiser.id, "general": general.id}
    return state, SandboxNames(state, guild.id), ids


def test_mentions_read_as_names() -> None:
    _, names, ids = seeded()
    text = (
        f"<@{ids['alice']}> and <@!{ids['bob']}> of <@&{ids['role']}> in <#{ids['general']}>; "
        "<@1> <@&2> <#3> @everyone </meeting create:42> <:lamp:99>"
    )
    assert plain_text(text, names) == (
        "@alice and @Bob the Builder of @Organiser in #general; "
        "@unknown-user @unknown-role #unknown @everyone /meeting create :lamp:"
    )
    spans = parse(f"hi <@{ids['alice']}>", names)[0].spans
    assert spans == (Span("hi "), Span("@alice", frozenset({MENTION})))


def test_timestamps_in_every_style_and_the_viewers_zone() -> None:
    expected = {
        "t": "09:00",
        "T": "09:00:00",
        "d": "20/06/2027",
        "D": "20 June 2027",
        "f": "20 June 2027 09:00",
        "F": "Sunday, 20 June 2027 09:00",
        "s": "20/06/2027, 09:00",
        "S": "20/06/2027, 09:00:00",
        "R": "in 2 hours",
    }
    for style, text in expected.items():
        assert format_timestamp(WORKSHOP, style, now=NOW, tz=BRUSSELS) == text
        assert plain_text(f"<t:{WORKSHOP}:{style}>", now=NOW, tz=BRUSSELS) == text
    assert plain_text(f"<t:{WORKSHOP}>", now=NOW, tz=BRUSSELS) == "20 June 2027 09:00"
    assert format_timestamp(WORKSHOP, "F", tz=ZoneInfo("Asia/Tokyo")) == (
        "Sunday, 20 June 2027 16:00"
    )
    stamp = parse(f"<t:{WORKSHOP}:t>", tz=BRUSSELS)[0].spans
    assert stamp == (Span("09:00", frozenset({TIMESTAMP})),)


def test_relative_times_count_the_largest_whole_unit() -> None:
    cases = {
        timedelta(seconds=0): "now",
        timedelta(seconds=1): "in 1 second",
        timedelta(seconds=-45): "45 seconds ago",
        timedelta(minutes=1): "in 1 minute",
        timedelta(hours=2, minutes=59): "in 2 hours",
        timedelta(days=-3): "3 days ago",
        timedelta(days=45): "in 1 month",
        timedelta(days=-800): "2 years ago",
    }
    for delta, text in cases.items():
        assert relative_time(NOW + delta, NOW) == text


def test_markdown_styles_links_and_escapes() -> None:
    text = (
        "**b** *i* _i2_ __u__ ~~s~~ ||sp|| `c` ***bi*** **bold _and italic_** "
        "[site](https://example.org) <https://a.example> https://b.example/x. "
        "\\*not italic\\* snake_case_word 2 * 3 * 4"
    )
    spans = parse(text)[0].spans
    styled = {span.text: span.styles for span in spans if span.styles}
    assert styled["b"] == {BOLD} and styled["i"] == {ITALIC} and styled["i2"] == {ITALIC}
    assert styled["u"] == {UNDERLINE} and styled["s"] == {STRIKE} and styled["sp"] == {SPOILER}
    assert styled["c"] == {CODE} and styled["bi"] == {BOLD, ITALIC}
    assert styled["and italic"] == {BOLD, ITALIC}
    links = [(span.text, span.url) for span in spans if LINK in span.styles]
    assert links == [
        ("site", "https://example.org"),
        ("https://a.example", "https://a.example"),
        ("https://b.example/x", "https://b.example/x"),
    ]
    assert plain_text(text).endswith(
        "site (https://example.org) https://a.example https://b.example/x. "
        "*not italic* snake_case_word 2 * 3 * 4"
    )


def test_blocks_headings_lists_quotes_code() -> None:
    text = (
        "# Title\n## Sub\n-# small print\n- one\n  - nested\n3. third\n> quoted **bold**\n"
        "```py\nx = `1`\n```\n>>> all\nthe rest"
    )
    blocks = parse(text)
    kinds = [(block.kind, block.level, block.marker, block.quoted) for block in blocks]
    assert kinds == [
        (markup.HEADING, 1, "", False),
        (markup.HEADING, 2, "", False),
        (markup.SUBTEXT, 0, "", False),
        (markup.LIST_ITEM, 0, "•", False),
        (markup.LIST_ITEM, 1, "•", False),
        (markup.LIST_ITEM, 0, "3.", False),
        (markup.PARAGRAPH, 0, "", True),
        (markup.CODE_BLOCK, 0, "", False),
        (markup.PARAGRAPH, 0, "", True),
        (markup.PARAGRAPH, 0, "", True),
    ]
    assert blocks[7].language == "py" and blocks[7].text == "x = `1`"
    assert plain_text(text).splitlines() == [
        "Title",
        "Sub",
        "small print",
        "• one",
        "  • nested",
        "3. third",
        "> quoted bold",
        "x = `1`",
        "> all",
        "> the rest",
    ]


def test_terminal_drawing_plain_and_styled() -> None:
    _, names, ids = seeded()
    text = f"**Going**: <@{ids['bob']}> ||secret|| [agenda](https://example.org)\n# Head\n- item"
    plain = View(names=names)
    assert render_markup(text, plain) == [
        "Going: @Bob the Builder [spoiler: secret] agenda (https://example.org)",
        "Head",
        "• item",
    ]
    styled = render_markup(text, View(names=names, ansi=True))
    assert styled[0] == (
        "\x1b[1mGoing\x1b[0m: \x1b[35;1m@Bob the Builder\x1b[0m \x1b[7msecret\x1b[0m "
        "\x1b[34;4magenda\x1b[0m (https://example.org)"
    )
    assert styled[1] == "\x1b[1;4mHead\x1b[0m" and styled[2] == "• item"
    code = render_markup("```\nline\n```", View(ansi=True))
    assert code == ["\x1b[2m│ \x1b[0m\x1b[36mline\x1b[0m"]

"""Nothing Agora sends is longer than Discord lets a bot send.

Discord refuses a bot's message content over 2,000 characters (the spec's 4,000 is the
Nitro limit for people) and embeds over their limits; the sandbox refuses them the same
way, so each of Agora's longest outputs is driven here through the sandbox and must
arrive: a digest of a busy week, a meeting with 30 sessions, lists of 25 long titles,
a discussion opened with the longest text allowed, an error echoing very long input.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import discord
import pytest

from bot.runtime import RunningAgora
from bot.services.common.permissions import Actor
from discord_sandbox import InteractionResult, Sandbox
from discord_sandbox.limits import EMBED_TOTAL_CHARACTERS, embed_characters
from tests.support.meetings_e2e import (
    announcement,
    create_meeting,
    link_lamppost,
    meeting_id_of,
    next_year_day,
    reminder_posts,
)
from tests.support.threads import expect_discussion, link_channel

CONTENT_LIMIT = 2000
CLUSTER = "Integrated Infrastructures and Processes"


def refused(sandbox: Sandbox) -> list[str]:
    """Every request of Agora's the sandbox answered with a 4xx, as "METHOD route: body"."""
    return [
        f"{call.method} {call.route}: {call.response}"
        for call in sandbox.log
        if 400 <= call.status < 500
    ]


def assert_arrived(sandbox: Sandbox, result: InteractionResult) -> None:
    assert not result.failed, result.failure
    assert refused(sandbox) == []
    for message in [result.message, *result.followups]:
        if message is None:
            continue
        assert len(message.get("content") or "") <= CONTENT_LIMIT
        embeds = message.get("embeds") or []
        assert sum(embed_characters(e) for e in embeds) <= EMBED_TOTAL_CHARACTERS


def long_title(n: int, length: int = 95) -> str:
    """A title of exactly ``length`` characters, told apart by its number."""
    return (f"Title {n:02d} " + "Interoperable urban data platform pilot " * 10)[:length]


async def test_the_sandbox_refuses_a_bot_message_over_2000_characters(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    channel = agora.bot.get_channel(int(sandbox.channel("announcements").id))
    assert isinstance(channel, discord.TextChannel)
    fits = await channel.send("x" * CONTENT_LIMIT)
    for send in (
        lambda: channel.send("x" * (CONTENT_LIMIT + 1)),
        lambda: fits.edit(content="y" * (CONTENT_LIMIT + 1)),
    ):
        with pytest.raises(discord.HTTPException) as caught:
            await send()
        assert caught.value.status == 400 and caught.value.code == 50035
        assert (
            caught.value.text == "Invalid Form Body\nIn content: Must be 2000 or fewer in length."
        )
    # Refused means unchanged: the edit left the message as it was.
    assert [m["content"] for m in sandbox.messages("announcements")] == ["x" * CONTENT_LIMIT]
    errors = [c.response for c in sandbox.log if c.status == 400]
    assert errors[0] == {
        "message": "Invalid Form Body",
        "code": 50035,
        "errors": {
            "content": {
                "_errors": [
                    {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}
                ]
            }
        },
    }


async def test_a_digest_of_a_busy_week_fits(sandbox: Sandbox, agora: RunningAgora) -> None:
    store = agora.bot.store
    guild_id = int(sandbox.guild.id)
    lamppost = await agora.bot.services.directory.get_initiative(guild_id, "Humble Lamppost")
    now = datetime.now(UTC)
    for n in range(40):
        for kind in ("document", "project"):
            await store.resources.add(
                guild_id,
                lamppost.id,
                kind,
                long_title(n, 200),
                f"https://example.org/{kind}/{n}/" + "p" * 150,
                1000 + n,
                now,
            )
    for n in range(120):
        await store.memberships.start(guild_id, lamppost.id, 10**17 + n, "member", "joined", now)
    for n in range(30):
        await create_meeting(
            sandbox,
            long_title(n),
            start=f"{(now + timedelta(days=2)).date().isoformat()} 10:{n:02d}",
            end="1h",
            clusters=CLUSTER,
        )
    sandbox.log.clear()
    preview = await sandbox.user("carol").slash("digest preview", cluster=CLUSTER)
    assert_arrived(sandbox, preview)
    posted = await cast(Any, agora.bot.get_cog("DigestCog")).post_digests()
    assert posted
    assert refused(sandbox) == []


async def test_a_meeting_with_30_sessions_fits_in_info_announcement_and_reminders(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    await link_lamppost(sandbox, agora)
    day = next_year_day()
    created = await create_meeting(
        sandbox,
        "T" * 100,
        description="D" * 1000,
        start=f"{day} 08:00",
        end="12h",
        venue="V" * 100,
        initiatives="Humble Lamppost",
    )
    meeting_id = meeting_id_of(created)
    for n in range(30):
        added = await sandbox.user("admin").slash(
            "meeting session add",
            meeting=str(meeting_id),
            title=long_title(n, 200),
            start=f"{day} {8 + n // 3:02d}:{(n % 3) * 20:02d}",
            end="15m",
            kind="pitch",
            initiative="Humble Lamppost",
            room="R" * 100,
        )
        assert not added.failed, added.failure
    sandbox.log.clear()
    info = await sandbox.user("bob").slash("meeting info", meeting=str(meeting_id))
    assert_arrived(sandbox, info)
    assert "Programme (30)" in str(info.embed)
    posted = announcement(sandbox, "announcements", meeting_id)
    assert sum(embed_characters(e) for e in posted["embeds"]) <= EMBED_TOTAL_CHARACTERS


async def test_reminders_of_a_meeting_with_30_sessions_arrive(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    lamppost, _ = await link_lamppost(sandbox, agora)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    created = await create_meeting(
        sandbox,
        "T" * 100,
        start=start.isoformat(),
        end="8h",
        venue="V" * 100,
        initiatives="Humble Lamppost",
        reminders="2h",
    )
    meeting_id = meeting_id_of(created)
    for n in range(30):
        await sandbox.user("admin").slash(
            "meeting session add",
            meeting=str(meeting_id),
            title=long_title(n, 200),
            start=(start + timedelta(minutes=10 * n)).isoformat(),
            end="10m",
            initiative="Humble Lamppost",
            room="R" * 100,
        )
    sandbox.log.clear()
    publisher = cast(Any, agora.bot.get_cog("Meetings")).publisher
    reminders = await agora.bot.store.reminders.for_meeting(meeting_id)
    assert len(reminders) >= 30
    for reminder in reminders:
        await publisher.send_reminder(reminder)
    assert refused(sandbox) == []
    assert reminder_posts(sandbox, lamppost)


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("discussion list", {}),
        ("initiative list", {}),
        ("initiative doc list", {"initiative": "Humble Lamppost"}),
    ],
)
async def test_lists_of_25_long_titles_fit(
    sandbox: Sandbox, agora: RunningAgora, command: str, options: dict[str, str]
) -> None:
    guild_id = int(sandbox.guild.id)
    services = agora.bot.services
    lamppost = await services.directory.get_initiative(guild_id, "Humble Lamppost")
    now = datetime.now(UTC)
    if command == "discussion list":
        channel = await link_channel(sandbox, agora, "humble-lamppost")
        for n in range(25):
            title = long_title(n)
            created = expect_discussion(agora.bot, "created", title)
            await sandbox.user("bob").start_thread(channel, title, "Opening words")
            await created
    elif command == "initiative list":
        for n in range(25):
            await services.directory.create_initiative(
                guild_id, Actor(1, is_admin=True), long_title(n), CLUSTER, "Goal " * 100
            )
    else:
        for n in range(25):
            await agora.bot.store.resources.add(
                guild_id,
                lamppost.id,
                "document",
                long_title(n, 200),
                f"https://example.org/doc/{n}/" + "p" * 400,
                1000,
                now,
            )
    sandbox.log.clear()
    listed = await sandbox.user("bob").slash(command, **options)
    assert_arrived(sandbox, listed)


async def test_a_discussion_opened_with_the_longest_text_arrives(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    await link_channel(sandbox, agora, "humble-lamppost")
    title = "*_" * 50  # every character escaped: twice as long in the message
    started = await sandbox.user("bob").slash(
        "discussion start", initiative="Humble Lamppost", title=title, text="w" * 1800
    )
    assert_arrived(sandbox, started)
    assert "Discussion started" in started.text
    opening = [m for m in sandbox.messages("humble-lamppost") if m["author"]["bot"]]
    assert len(opening) == 1 and "w" * 100 in opening[0]["content"]


async def test_an_error_echoing_very_long_input_arrives(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    for command, options in (
        ("initiative info", {"initiative": "no such initiative " * 300}),
        ("meeting info", {"meeting": "x" * 100}),
        ("initiative doc add", {"initiative": "q" * 100, "title": "t" * 100, "url": "u" * 512}),
        ("discussion list", {"initiative": "z" * 100}),
    ):
        answer = await sandbox.user("bob").slash(command, **options)
        assert not answer.failed, answer.failure
        assert answer.ephemeral and answer.content
        assert len(answer.content) <= CONTENT_LIMIT
    assert refused(sandbox) == []

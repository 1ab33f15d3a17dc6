"""One member cannot flood Agora: per-member limits on writes, coalesced announcement
edits, capped documents and projects, and title lookups that see every item.

Through the sandbox (real sockets, the real discord.py client) on a real SQLite file,
with Agora's default ``[limits]`` (the other tests run without them).
"""

from __future__ import annotations

import asyncio
import math
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from discord import app_commands

from bot.cogs.meetings.publish import REFRESH_INTERVAL, MeetingPublisher
from bot.cogs.meetings.render import meeting_embed
from bot.cogs.shared.cooldowns import limit_kind_of
from bot.config import ConfigError, LimitsConfig, parse_config
from bot.runtime import RunningAgora
from bot.services.common.rate_limit import (
    LIMIT_KINDS,
    TOO_OFTEN,
    Rate,
    RateLimiter,
    too_often_message,
)
from bot.storage.directory.models import db_time
from discord_sandbox import Sandbox
from tests.reliability._support import Tally
from tests.support.commands import READS
from tests.support.meetings_e2e import MESSAGE, create_meeting, meeting_id_of

LAMP = "Humble Lamppost"
DEFAULTS = LimitsConfig()


@pytest.fixture
def agora_config_overrides() -> dict[str, dict[str, object]]:
    """Agora's default limits (tests/conftest.py turns them off for feature tests)."""
    limits: dict[str, object] = {}
    for kind in LIMIT_KINDS:
        setting = getattr(DEFAULTS, kind)
        limits[kind] = "off" if setting is None else f"{setting[0]} per {setting[1]}s"
    return {"limits": limits}


def _publisher(agora: RunningAgora) -> MeetingPublisher:
    publisher = getattr(agora.bot.get_cog("Meetings"), "publisher", None)
    assert isinstance(publisher, MeetingPublisher)
    return publisher


def _bot_announcements(sandbox: Sandbox, meeting_id: int) -> dict[str, dict[str, Any]]:
    """{channel id: the meeting's announcement there}."""
    found: dict[str, dict[str, Any]] = {}
    for channel_id in list(sandbox.state.messages):
        for message in sandbox.messages(channel_id):
            embeds = message["embeds"]
            if (
                message["author"]["id"] == sandbox.bot_user_id
                and embeds
                and f"Meeting #{meeting_id}" in str(embeds[0].get("footer", {}).get("text"))
            ):
                found[str(channel_id)] = message
    return found


async def test_rsvp_burst_is_limited_and_announcement_edits_coalesced(
    sandbox: Sandbox, seeded: RunningAgora, tally: Tally
) -> None:
    created = await create_meeting(
        sandbox,
        "Action Clusters Meeting",
        start="2040-06-20 09:00",
        end="18:00",
        venue="Hotel Metropole",
        initiatives=f"{LAMP}, Urban Data Platform",
    )
    meeting_id = meeting_id_of(created)
    announcements = _bot_announcements(sandbox, meeting_id)
    assert len(announcements) == 3, created.text  # #announcements and two initiative channels
    clicked = next(
        m for m in announcements.values() if m["channel_id"] == sandbox.channel("announcements").id
    )
    alice = sandbox.user("alice")
    since = len(sandbox.log)
    started = time.perf_counter()
    accepted: list[str] = []
    refused: list[str] = []
    for n in range(50):
        label = ("Going", "Maybe")[n % 2]
        result = await alice.click(clicked["id"], label)
        if TOO_OFTEN in result.text:
            assert result.ephemeral, result.text
            refused.append(result.text)
        else:
            accepted.append(label)
    elapsed = time.perf_counter() - started
    assert elapsed < 5, f"50 clicks took {elapsed:.1f} s"
    publisher = _publisher(seeded)
    await publisher.refreshes_done()

    # A burst of 5, then about one a second; the rest told to wait, nothing changed.
    rate = DEFAULTS.rsvp
    assert rate is not None
    assert 5 <= len(accepted) <= rate[0] + math.ceil(elapsed * rate[0] / rate[1]) + 1
    assert refused and all(r.startswith(f"{TOO_OFTEN}: try again in ") for r in refused)
    # Edits per announcement: at most one per interval, plus the first and the trailing one.
    most = 2 + math.ceil(elapsed / REFRESH_INTERVAL)
    edit_counts = []
    for channel_id, message in announcements.items():
        edits = [
            call
            for call in sandbox.log[since:]
            if call.method == "PATCH"
            and call.route == MESSAGE
            and call.path.endswith(f"/{message['id']}")
        ]
        assert len(edits) <= most, (channel_id, len(edits), most)
        edit_counts.append(len(edits))
    tally.inputs_tried += 50
    tally.notes.append(
        f"50 RSVP clicks in {elapsed:.1f} s: {len(accepted)} taken, {len(refused)} told to wait;"
        f" edits per announcement {edit_counts} (at most {most} allowed)"
    )
    # Every announcement ends showing the last answer stored.
    guild_id = int(sandbox.guild.id)
    view = await seeded.bot.services.meetings.view(guild_id, meeting_id)
    stored = await seeded.bot.store.meetings.rsvps(meeting_id)
    answers = {r.user_id: r.answer for r in stored}
    assert answers == {int(alice.id): "going" if accepted[-1] == "Going" else "maybe"}
    expected = meeting_embed(view, await publisher.names(guild_id)).to_dict()["fields"]
    for channel_id, before in announcements.items():
        now = _bot_announcements(sandbox, meeting_id)[channel_id]
        assert now["id"] == before["id"]
        assert now["embeds"][0]["fields"] == expected, channel_id


async def test_many_members_answering_at_once_cost_few_edits(
    sandbox: Sandbox, seeded: RunningAgora, tally: Tally
) -> None:
    """40 members, each within their own limit: every answer counts, and the three
    announcements are edited about once a second, ending with all 40."""
    created = await create_meeting(
        sandbox,
        "Urban Data Platform day",
        start="2040-07-01 09:00",
        end="17:00",
        venue="Hotel Metropole",
        initiatives=f"{LAMP}, Urban Data Platform",
    )
    meeting_id = meeting_id_of(created)
    announcements = _bot_announcements(sandbox, meeting_id)
    assert len(announcements) == 3
    clicked = next(
        m for m in announcements.values() if m["channel_id"] == sandbox.channel("announcements").id
    )
    members = [sandbox.user(f"member{n}") for n in range(40)]
    await sandbox.drain_gateway()
    since = len(sandbox.log)
    started = time.perf_counter()
    for batch in range(0, 40, 10):
        results = await asyncio.gather(
            *(member.click(clicked["id"], "Going") for member in members[batch : batch + 10])
        )
        assert all(TOO_OFTEN not in r.text for r in results)
    elapsed = time.perf_counter() - started
    publisher = _publisher(seeded)
    await publisher.refreshes_done()
    most = 2 + math.ceil(elapsed / REFRESH_INTERVAL)
    edit_counts = [
        sum(
            1
            for call in sandbox.log[since:]
            if call.method == "PATCH"
            and call.route == MESSAGE
            and call.path.endswith(f"/{message['id']}")
        )
        for message in announcements.values()
    ]
    assert all(count <= most for count in edit_counts), (edit_counts, most)
    stored = await seeded.bot.store.meetings.rsvps(meeting_id)
    assert len([r for r in stored if r.answer == "going"]) == 40
    guild_id = int(sandbox.guild.id)
    view = await seeded.bot.services.meetings.view(guild_id, meeting_id)
    expected = meeting_embed(view, await publisher.names(guild_id)).to_dict()["fields"]
    for channel_id in announcements:
        shown = _bot_announcements(sandbox, meeting_id)[channel_id]["embeds"][0]["fields"]
        assert shown == expected, channel_id
    tally.inputs_tried += 40
    tally.notes.append(
        f"40 members answering in {elapsed:.1f} s: edits per announcement {edit_counts}"
        f" (at most {most} allowed; one per answer and announcement before coalescing)"
    )


async def test_discussion_start_flood_is_limited(
    sandbox: Sandbox, seeded: RunningAgora, tally: Tally
) -> None:
    alice = sandbox.user("alice")
    await alice.slash("initiative join", initiative=LAMP)
    started = time.perf_counter()
    results = []
    for batch in range(5):
        results += await asyncio.gather(
            *(
                alice.slash("discussion start", initiative=LAMP, title=f"Idea {batch * 20 + i}")
                for i in range(20)
            )
        )
    elapsed = time.perf_counter() - started
    assert elapsed < 10, f"100 commands took {elapsed:.1f} s"
    started_ok = [r for r in results if r.text.startswith("Discussion started")]
    refused = [r for r in results if r.text.startswith(TOO_OFTEN)]
    rate = DEFAULTS.discussion
    assert rate is not None
    assert 1 <= len(started_ok) <= rate[0] + math.ceil(elapsed * rate[0] / rate[1])
    assert len(refused) == 100 - len(started_ok)
    assert all(r.ephemeral for r in refused)
    stored = await seeded.bot.services.discussions.list_discussions(
        int(sandbox.guild.id), None, "all", 1, 25
    )
    assert stored.total == len(started_ok)
    tally.inputs_tried += 100
    tally.notes.append(
        f"100 /discussion start in {elapsed:.1f} s: {len(started_ok)} threads, "
        f"{len(refused)} told to wait"
    )


async def _insert_documents(
    agora: RunningAgora, initiative_id: int, count: int, start: datetime, title: str = "Doc"
) -> None:
    """``count`` documents straight into the resources table, one transaction."""
    guild_id = int(agora.bot.config.discord.dev_guild_ids[0])
    rows = [
        (
            guild_id,
            initiative_id,
            "document",
            f"{title} {n}",
            f"https://example.org/{title.lower()}/{n}",
            1,
            db_time(start + timedelta(seconds=n)),
            db_time(start + timedelta(seconds=n)),
        )
        for n in range(count)
    ]
    async with agora.bot.store.db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO resources (guild_id, initiative_id, kind, title, url, added_by,"
            " added_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


async def test_documents_capped_per_initiative(sandbox: Sandbox, agora: RunningAgora) -> None:
    guild_id = int(sandbox.guild.id)
    lamp = await agora.bot.services.directory.get_initiative(guild_id, LAMP)
    cap = DEFAULTS.items_per_initiative
    await _insert_documents(agora, lamp.id, cap - 1, datetime(2020, 1, 1, tzinfo=UTC))
    admin = sandbox.user("admin")
    last = await admin.slash(
        "initiative doc add", initiative=LAMP, title="Last one", url="https://example.org/last"
    )
    assert "New document" in last.text, last.text
    refused = await admin.slash(
        "initiative doc add", initiative=LAMP, title="One more", url="https://example.org/more"
    )
    assert refused.ephemeral
    assert f"already lists {cap:,} documents" in refused.text
    assert "/initiative doc remove" in refused.text
    _, total = await agora.bot.store.resources.list_page(guild_id, lamp.id, "document", 1, 0)
    assert total == cap
    # Projects are counted apart.
    project = await admin.slash(
        "initiative project add", initiative=LAMP, title="Pilot", url="https://example.org/p"
    )
    assert "New project" in project.text, project.text


async def test_an_old_document_is_found_by_title_among_many(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    guild_id = int(sandbox.guild.id)
    lamp = await agora.bot.services.directory.get_initiative(guild_id, LAMP)
    old = datetime(2017, 6, 20, tzinfo=UTC)
    await _insert_documents(agora, lamp.id, 1, old, title="Founding charter")
    await _insert_documents(agora, lamp.id, 6000, old + timedelta(days=1))
    admin = sandbox.user("admin")
    choices = await admin.autocomplete(
        "initiative doc remove", "document", "founding", initiative=LAMP
    )
    assert [c["name"] for c in choices] == [f"Founding charter 0 (#{choices[0]['value']})"]
    removed = await admin.slash(
        "initiative doc remove", initiative=LAMP, document="FOUNDING charter 0"
    )
    assert removed.ephemeral and "Removed the document **Founding charter 0**" in removed.text


def test_limiter_memory_is_bounded_and_refilled_buckets_dropped() -> None:
    now = [0.0]
    limiter = RateLimiter({"rsvp": Rate(5, 5)}, clock=lambda: now[0], max_buckets=1000)
    for user in range(5000):
        assert limiter.hit("rsvp", user) == 0.0
    assert len(limiter) <= 1000
    now[0] = 10.0  # everyone's bucket has refilled: each new use drops a few old ones
    for user in range(10_000, 10_300):
        limiter.hit("rsvp", user)
    assert len(limiter) < 1000
    for _ in range(5):
        assert limiter.hit("rsvp", 1) == 0.0
    assert limiter.hit("rsvp", 1) == pytest.approx(1.0)  # one token a second
    now[0] += 0.5
    assert limiter.hit("rsvp", 1) == pytest.approx(0.5)


def test_cooldown_message_counts_whole_seconds() -> None:
    assert too_often_message(0.2) == "You're doing that too often: try again in 1 second."
    assert too_often_message(1.0) == "You're doing that too often: try again in 1 second."
    assert too_often_message(2.3) == "You're doing that too often: try again in 3 seconds."
    assert too_often_message(150) == "You're doing that too often: try again in 3 minutes."


# Limited inside the command (check_rate), where looking and changing are told apart.
INLINE = {
    "initiative doc add",
    "initiative doc remove",
    "initiative project add",
    "initiative project remove",
    "remind offsets",
}


async def test_every_command_that_writes_is_limited(agora: RunningAgora) -> None:
    unlimited = []
    for command in agora.bot.tree.walk_commands():
        if not isinstance(command, app_commands.Command):
            continue
        name = command.qualified_name
        kind = limit_kind_of(command)
        if name in READS:
            assert kind is None, f"/{name} reads only but carries the {kind} limit"
        elif name not in INLINE and kind is None:
            unlimited.append(name)
    assert not unlimited, f"give these commands a limit (@limited) or list them: {unlimited}"


def test_limits_in_config_read_and_mistakes_named() -> None:
    limits = parse_config({"limits": {"rsvp": "off", "admin": "2/1h", "resource": "8 per 30s"}})
    assert limits.limits.rsvp is None
    assert limits.limits.admin == (2, 3600) and limits.limits.resource == (8, 30)
    with pytest.raises(ConfigError) as caught:
        parse_config({"limits": {"rsvp": "0 per 5s", "meeting": 3, "discussion": "fast"}})
    assert sorted(p.split(":")[0] for p in caught.value.problems) == [
        "[limits] discussion",
        "[limits] meeting",
        "[limits] rsvp",
    ]

"""The weekly cluster digest: contents of a week with activity, embed limits, schedule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import InvalidInput, NotFound
from bot.services.discussions.digest import (
    LIVELIEST,
    MAX_FIELD_VALUE,
    MAX_FIELDS,
    MAX_TOTAL,
    NEW_DOCUMENTS,
    NEW_INITIATIVES,
    NEW_MEMBERS,
    NEW_PROJECTS,
    UPCOMING,
    Digest,
    DigestSection,
    DigestService,
    MeetingLike,
    MeetingsFromRepository,
    NoMeetings,
    cron_kwargs,
    next_digest_time,
    render_digest,
)
from bot.storage.directory.models import InitiativeDraft
from bot.storage.meetings.models import Location, Scope
from bot.storage.meetings.repository import MeetingFields
from tests.support.discussions import GUILD, World, world_fixture

ALICE, BOB, CAROL = 11, 12, 13


world = pytest.fixture(world_fixture)


@dataclass(frozen=True)
class PlannedMeeting:
    title: str
    starts_at: datetime


class FixedMeetings:
    """An UpcomingMeetings returning a fixed list (as the meetings area would)."""

    def __init__(self, meetings: Sequence[PlannedMeeting]) -> None:
        self.meetings = meetings
        self.asked: list[tuple[int, datetime, datetime]] = []

    async def upcoming_for_cluster(
        self, guild_id: int, cluster_id: int, since: datetime, until: datetime
    ) -> Sequence[MeetingLike]:
        self.asked.append((cluster_id, since, until))
        return [m for m in self.meetings if since <= m.starts_at < until]


async def test_digest_of_a_week_with_activity(world: World) -> None:
    store = world.store
    week_end = world.clock.now  # 2017-06-20 09:00 UTC
    last_week = week_end - timedelta(days=3)
    long_ago = week_end - timedelta(days=30)
    lamppost = world.initiatives["humble-lamppost"]
    giants = world.initiatives["small-giants"]
    citizen = world.initiatives["citizen-data"]

    new = await store.directory.create_initiative(
        GUILD,
        InitiativeDraft(
            "space4cities", "Space4Cities", "integrated", goal="Space data\nfor cities"
        ),
        last_week,
    )
    await store.memberships.start(GUILD, lamppost, ALICE, "lead", "joined", long_ago)
    await store.memberships.start(GUILD, lamppost, BOB, "member", "joined", last_week)
    await store.memberships.start(GUILD, giants, CAROL, "member", "joined", last_week)
    await store.memberships.start(
        GUILD, citizen, BOB, "member", "joined", last_week
    )  # other cluster
    await store.resources.add(
        GUILD, lamppost, "document", "Lamppost specs", "https://ex.org/specs", ALICE, last_week
    )
    await store.resources.add(
        GUILD, lamppost, "document", "Old specs", "https://ex.org/old", ALICE, long_ago
    )
    await store.resources.add(
        GUILD, giants, "project", "50 cities pilot", "https://ex.org/pilot", CAROL, last_week
    )

    for thread_id, slug, messages in (
        (1, "humble-lamppost", 4),
        (2, "small-giants", 9),
        (3, "citizen-data", 20),
    ):
        await world.discussions.thread_created(
            GUILD, thread_id, world.channels[slug], f"Thread {thread_id}", ALICE, long_ago
        )
        for _ in range(messages):
            world.activity.record_message(GUILD, thread_id, BOB, last_week)
    world.activity.record_message(GUILD, 1, BOB, long_ago)  # outside the week
    await world.activity.flush()

    meeting = PlannedMeeting("Action Clusters Meeting", week_end + timedelta(days=5))
    far = PlannedMeeting("Next year's meeting", week_end + timedelta(days=300))
    meetings = FixedMeetings([meeting, far])
    digest = await DigestService(store, meetings, world.clock).build(
        GUILD, world.clusters["integrated"]
    )

    assert digest.cluster_name == "Integrated Infrastructures and Processes"
    assert (digest.since, digest.until) == (week_end - timedelta(days=7), week_end)
    assert digest.section(NEW_INITIATIVES).lines == ("**Space4Cities** — Space data for cities",)
    assert digest.section(NEW_MEMBERS).lines == (
        "**Humble Lamppost**: <@12>",
        "**Small Giants**: <@13>",
    )
    assert digest.section(NEW_DOCUMENTS).lines == (
        "[Lamppost specs](https://ex.org/specs) (ex.org) — Humble Lamppost",
    )
    assert digest.section(NEW_PROJECTS).lines == (
        "[50 cities pilot](https://ex.org/pilot) (ex.org) — Small Giants",
    )
    assert digest.section(LIVELIEST).lines == (
        "<#2> — 9 messages (Small Giants)",
        "<#1> — 4 messages (Humble Lamppost)",
    )
    assert digest.section(UPCOMING).lines == (
        f"**Action Clusters Meeting** — <t:{int(meeting.starts_at.timestamp())}:f>",
    )
    assert meetings.asked == [
        (world.clusters["integrated"], week_end, week_end + timedelta(days=14))
    ]
    assert not digest.is_quiet
    assert new.id not in world.discussions.count_by_initiative(GUILD)

    embed = render_digest(digest)
    assert [f.name for f in embed.fields] == [
        NEW_INITIATIVES,
        NEW_MEMBERS,
        NEW_DOCUMENTS,
        NEW_PROJECTS,
        LIVELIEST,
        UPCOMING,
    ]
    assert (
        embed.fields[4].value
        == "<#2> — 9 messages (Small Giants)\n<#1> — 4 messages (Humble Lamppost)"
    )
    assert embed.title == "Weekly digest: Integrated Infrastructures and Processes"


async def test_a_quiet_cluster_gets_a_quiet_digest(world: World) -> None:
    digests = await DigestService(world.store, NoMeetings(), world.clock).build_all(GUILD)
    assert [d.cluster_name for d in digests] == [
        "Integrated Infrastructures and Processes",
        "Citizen Focus",
    ]
    assert all(d.is_quiet for d in digests)
    embed = render_digest(digests[0])
    assert "/discussion start" in embed.fields[4].value
    with pytest.raises(NotFound, match="No Action Cluster"):
        await DigestService(world.store, NoMeetings(), world.clock).build(GUILD, 999)


async def test_meetings_read_from_the_meetings_repository(world: World) -> None:
    starts = world.clock.now + timedelta(days=2)
    await world.store.meetings.insert(
        GUILD,
        MeetingFields(
            title="Action Clusters Meeting",
            description="Hotel Metropole, Brussels",
            starts_at=starts,
            ends_at=starts + timedelta(hours=8),
            timezone="Europe/Brussels",
            location=Location(),
            organiser_id=ALICE,
            scope=Scope(cluster_ids=(world.clusters["integrated"],)),
        ),
        world.clock.now,
    )
    found = await MeetingsFromRepository(world.store).upcoming_for_cluster(
        GUILD, world.clusters["integrated"], world.clock.now, world.clock.now + timedelta(days=14)
    )
    assert [m.title for m in found] == ["Action Clusters Meeting"]
    assert not await MeetingsFromRepository(world.store).upcoming_for_cluster(
        GUILD,
        world.clusters["citizen-focus"],
        world.clock.now,
        world.clock.now + timedelta(days=14),
    )


def _digest(sections: Sequence[DigestSection], name: str = "Citizen Focus") -> Digest:
    moment = datetime(2017, 6, 19, 7, 0, tzinfo=UTC)
    return Digest(GUILD, 1, name, moment - timedelta(days=7), moment, tuple(sections))


def test_render_truncates_long_sections_with_and_n_more() -> None:
    lines = tuple(
        f"<@{100000000000000000 + n}> joined a very long initiative name" for n in range(200)
    )
    embed = render_digest(_digest([DigestSection(NEW_MEMBERS, lines, "none")]))
    value = embed.fields[0].value
    assert len(value) <= MAX_FIELD_VALUE
    shown = value.count("joined")
    assert value.endswith(f"… and {200 - shown} more")
    assert value.split("\n")[:shown] == list(lines[:shown])


lines_strategy = st.lists(st.text(min_size=1, max_size=1500), max_size=60)


@settings(max_examples=60, deadline=None)
@given(
    sections=st.lists(
        st.tuples(st.text(min_size=1, max_size=300), lines_strategy), min_size=1, max_size=30
    ),
    name=st.text(min_size=1, max_size=400),
)
def test_rendered_digest_always_fits_discord_limits(
    sections: list[tuple[str, list[str]]], name: str
) -> None:
    digest = _digest(
        [DigestSection(title, tuple(lines), "none") for title, lines in sections], name
    )
    embed = render_digest(digest)
    assert len(embed.fields) <= MAX_FIELDS
    assert embed.total_chars <= MAX_TOTAL
    assert len(embed.title) <= 256
    for field in embed.fields:
        assert 0 < len(field.value) <= MAX_FIELD_VALUE
        assert 0 < len(field.name) <= 256


def test_next_digest_time_in_the_community_time_zone() -> None:
    brussels = "Europe/Brussels"
    # Tuesday 20 June 2017, 09:00 UTC = 11:00 in Brussels.
    now = datetime(2017, 6, 20, 9, 0, tzinfo=UTC)
    nxt = next_digest_time("monday", time(9, 0), brussels, now)
    assert nxt.isoformat() == "2017-06-26T09:00:00+02:00"
    # Same day, later: today. Same day, already past: next week.
    assert next_digest_time("tuesday", time(12, 0), brussels, now).day == 20
    assert next_digest_time("tuesday", time(11, 0), brussels, now).day == 27
    # Across the end of summer time the wall-clock time stays 09:00.
    autumn = next_digest_time("monday", time(9, 0), brussels, datetime(2017, 10, 25, tzinfo=UTC))
    assert autumn.isoformat() == "2017-10-30T09:00:00+01:00"
    with pytest.raises(InvalidInput, match="not a weekday"):
        next_digest_time("funday", time(9, 0), brussels, now)


def test_cron_kwargs_for_apscheduler() -> None:
    from apscheduler.triggers.cron import CronTrigger

    kwargs = cron_kwargs("monday", time(9, 0), "Europe/Brussels")
    assert kwargs["day_of_week"] == "mon"
    trigger = CronTrigger(**kwargs)
    now = datetime(2017, 6, 20, 9, 0, tzinfo=UTC)
    fire = trigger.get_next_fire_time(None, now)
    assert fire == next_digest_time("monday", time(9, 0), "Europe/Brussels", now)

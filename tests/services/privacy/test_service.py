"""/privacy show and /privacy forget across every area: no row naming the user is left."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.errors import PermissionDenied
from bot.services.common.permissions import Actor
from bot.services.directory.cache import DirectoryCache
from bot.services.directory.memberships import MembershipService
from bot.services.privacy.service import PrivacyService
from bot.storage.meetings.models import Location, Scope
from bot.storage.meetings.repository import MeetingFields
from tests.support.discussions import (
    GUILD,
    OTHER_GUILD,
    World,
    make_world,
    rows_naming_user,
)

# Snowflake-sized ids so "any column equal to it" cannot match a small counter.
DORA = 345_678_901_234_567_890
ALICE = 345_678_901_234_000_011
ADMIN = 345_678_901_234_000_099


@dataclass
class Setup:
    world: World
    privacy: PrivacyService
    meeting_id: int


@pytest.fixture
async def setup(database_url: str) -> AsyncIterator[Setup]:
    world = await make_world(database_url)
    store, now = world.store, world.clock.now
    memberships = MembershipService(store, DirectoryCache(store), world.clock)
    privacy = PrivacyService(store, memberships, world.activity)
    lamppost = world.initiatives["humble-lamppost"]

    # Dora leaves a trace in every area.
    await memberships.join(GUILD, DORA, "Humble Lamppost")
    await memberships.join(GUILD, ALICE, "Humble Lamppost")
    await store.resources.add(
        GUILD, lamppost, "document", "Pole specs", "https://ex.org/specs", DORA, now
    )
    await store.guilds.set_dm_opt_out(GUILD, DORA, "nudges", True, now)
    await store.guilds.set_dm_opt_out(OTHER_GUILD, DORA, "nudges", True, now)
    starts = now + timedelta(days=3)
    meeting_id = await store.meetings.insert(
        GUILD,
        MeetingFields(
            title="Action Clusters Meeting",
            description="Hotel Metropole, Brussels",
            starts_at=starts,
            ends_at=starts + timedelta(hours=8),
            timezone="Europe/Brussels",
            location=Location(kind="venue", name="Hotel Metropole", address="Brussels"),
            organiser_id=DORA,
            scope=Scope(cluster_ids=(world.clusters["integrated"],)),
        ),
        now,
    )
    await store.meetings.record_answer(GUILD, meeting_id, DORA, "going", "button", None, now)
    await store.meetings.record_answer(GUILD, meeting_id, ALICE, "going", "button", None, now)
    await store.reminders.set_dm_opt_in(GUILD, DORA, True, now)
    channel = world.channels["humble-lamppost"]
    await world.discussions.thread_created(GUILD, 1, channel, "Dora's thread", DORA, now)
    await world.discussions.thread_created(GUILD, 2, channel, "Alice's thread", ALICE, now)
    for thread_id in (1, 2, 2):
        world.activity.record_message(GUILD, thread_id, DORA, now)
    world.activity.record_message(GUILD, 1, ALICE, now)
    await world.activity.flush()
    world.activity.record_message(GUILD, 2, DORA, now)  # still pending in memory
    yield Setup(world, privacy, meeting_id)
    await world.activity.close()
    await world.store.close()


async def test_show_lists_what_every_area_holds(setup: Setup) -> None:
    report = await setup.privacy.describe_user(GUILD, DORA, Actor(DORA))
    text = {section.area: "\n".join(section.lines) for section in report.sections}
    assert "Humble Lamppost: member" in text["Initiatives, documents and DMs"]
    assert "Pole specs" in text["Initiatives, documents and DMs"]
    assert "nudges" in text["Initiatives, documents and DMs"]
    assert "Organiser of “Action Clusters Meeting”" in text["Meetings"]
    assert "Answered “going” for “Action Clusters Meeting”" in text["Meetings"]
    assert text["Reminders"] == "You asked for meeting reminders by DM."
    assert "Started discussion “Dora's thread”" in text["Discussions"]
    # The pending message was flushed first: 3 counted in Alice's thread.
    assert "Took part in “Alice's thread”: 3 messages counted" in text["Discussions"]


async def test_forget_leaves_no_row_naming_the_user_and_keeps_counts(setup: Setup) -> None:
    world, store = setup.world, setup.world.store
    assert await rows_naming_user(store.db, GUILD, DORA)  # the scan does see her before

    result = await setup.privacy.forget_user(GUILD, DORA, Actor(DORA))
    await world.activity.flush()  # what was pending must not bring her back

    assert await rows_naming_user(store.db, GUILD, DORA, every_column=True) == []
    assert result.erased["discussions"] >= 3  # two participations and one authored thread
    assert "no longer holds anything" in result.summary
    report = await setup.privacy.describe_user(GUILD, DORA, Actor(DORA))
    assert report.is_empty

    # Anonymous counts stay.
    doras = await store.discussions.get(GUILD, 1)
    alices = await store.discussions.get(GUILD, 2)
    assert doras is not None and alices is not None
    assert (doras.author_id, doras.message_count, doras.participant_count) == (None, 2, 1)
    assert (alices.message_count, alices.participant_count) == (3, 1)  # Alice as author
    assert world.discussions.count_for_initiative(GUILD, world.initiatives["humble-lamppost"]) == 2
    assert (await store.meetings.answer_counts(setup.meeting_id))["going"] == 2
    # Other people and other servers are untouched.
    assert await rows_naming_user(store.db, GUILD, ALICE)
    assert await rows_naming_user(store.db, OTHER_GUILD, DORA)


async def test_an_admin_can_forget_a_departed_member_others_cannot(setup: Setup) -> None:
    store = setup.world.store
    with pytest.raises(PermissionDenied, match="Only server admins"):
        await setup.privacy.forget_user(GUILD, DORA, Actor(ALICE))
    with pytest.raises(PermissionDenied):
        await setup.privacy.describe_user(GUILD, DORA, Actor(ALICE))
    assert await rows_naming_user(store.db, GUILD, DORA)  # a refusal changes nothing

    report = await setup.privacy.describe_user(GUILD, DORA, Actor(ADMIN, is_admin=True))
    assert not report.is_empty
    result = await setup.privacy.forget_user(GUILD, DORA, Actor(ADMIN, is_admin=True))
    assert result.user_id == DORA
    assert await rows_naming_user(store.db, GUILD, DORA, every_column=True) == []

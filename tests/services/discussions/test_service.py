"""Thread lifecycle: created, renamed, archived, unarchived, locked, deleted; listings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.errors import InvalidInput
from bot.services.discussions.activity import ActivityService
from bot.services.discussions.service import DiscussionService
from bot.services.privacy.service import discussion_lines
from bot.storage.store import Store
from tests.support.discussions import (
    GUILD,
    OTHER_GUILD,
    START,
    Clock,
    DirectoryChannels,
    World,
    world_fixture,
)

ALICE, BOB = 11, 12


world = pytest.fixture(world_fixture)


async def test_thread_lifecycle(world: World) -> None:
    lamppost = world.initiatives["humble-lamppost"]
    service = world.discussions

    created = await service.thread_created(
        GUILD, 9001, world.channels["humble-lamppost"], "Pole standards", ALICE, world.clock.now
    )
    assert created is not None
    assert (created.initiative_id, created.author_id, created.state) == (lamppost, ALICE, "open")
    assert created.participant_count == 1  # the author
    assert service.count_by_initiative(GUILD) == {lamppost: 1}

    world.clock.advance(hours=1)
    renamed = await service.thread_updated(GUILD, 9001, "Lamppost standards", False, False)
    assert renamed is not None and renamed.name == "Lamppost standards"

    archived = await service.thread_updated(GUILD, 9001, "Lamppost standards", True, False)
    assert archived is not None and archived.state == "archived"
    assert archived.archived_at == world.clock.now

    world.clock.advance(hours=1)
    unarchived = await service.thread_updated(GUILD, 9001, "Lamppost standards", False, False)
    assert unarchived is not None
    assert (unarchived.state, unarchived.archived_at) == ("open", None)

    locked = await service.thread_updated(GUILD, 9001, "Lamppost standards", False, True)
    assert locked is not None and locked.locked and locked.state == "open"
    # Archived discussions still count; only deletion removes one.
    assert service.count_for_initiative(GUILD, lamppost) == 1

    deleted = await service.thread_deleted(GUILD, 9001)
    assert deleted is not None and deleted.state == "deleted"
    assert service.count_by_initiative(GUILD) == {}
    assert not world.activity.is_tracked(GUILD, 9001)
    listed = await service.list_discussions(GUILD, state="all")
    assert listed.items == []
    # A second delete event (or one for a thread we never knew) changes nothing.
    assert await service.thread_deleted(GUILD, 9001) is None
    assert await service.thread_updated(GUILD, 9001, "late", True, True) is None


async def test_threads_outside_initiative_channels_are_ignored(world: World) -> None:
    assert (
        await world.discussions.thread_created(
            GUILD, 9002, 77777, "Off topic", ALICE, world.clock.now
        )
        is None
    )
    assert not world.activity.is_tracked(GUILD, 9002)
    # Same channel id in another server is not that server's initiative.
    assert (
        await world.discussions.thread_created(
            OTHER_GUILD, 9003, world.channels["small-giants"], "Hi", ALICE, world.clock.now
        )
        is None
    )
    assert world.discussions.count_by_initiative(GUILD) == {}


async def test_duplicate_create_event_counts_once(world: World) -> None:
    channel = world.channels["small-giants"]
    for _ in range(2):
        await world.discussions.thread_created(
            GUILD, 9004, channel, "50 cities", BOB, world.clock.now
        )
    assert world.discussions.count_for_initiative(GUILD, world.initiatives["small-giants"]) == 1


async def test_counts_survive_a_restart(world: World, tmp_path: Path) -> None:
    await world.discussions.thread_created(
        GUILD, 9005, world.channels["urban-data-platform"], "APIs", ALICE, world.clock.now
    )
    await world.discussions.thread_created(
        GUILD, 9006, world.channels["urban-data-platform"], "Data lakes", BOB, world.clock.now
    )
    await world.discussions.thread_deleted(GUILD, 9006)

    restarted = await make_world_on(world.store, tmp_path)
    assert restarted.discussions.count_by_initiative(GUILD) == {
        world.initiatives["urban-data-platform"]: 1
    }
    assert restarted.activity.is_tracked(GUILD, 9005)
    assert not restarted.activity.is_tracked(GUILD, 9006)
    await restarted.activity.close()


async def make_world_on(store: Store, tmp_path: Path) -> World:
    """Fresh services over the same database, as after a restart."""
    clock = Clock(START + timedelta(days=1))
    activity = ActivityService(store.activity, store.discussions, 3600, clock)
    discussions = DiscussionService(store.discussions, activity, DirectoryChannels(store), clock)
    await activity.start()
    await discussions.start()
    return World(store, clock, activity, discussions)


async def test_list_discussions_filters_and_pages(world: World) -> None:
    channel = world.channels["humble-lamppost"]
    for offset in range(5):
        world.clock.advance(minutes=10)
        await world.discussions.thread_created(
            GUILD, 9100 + offset, channel, f"Topic {offset}", ALICE, world.clock.now
        )
    await world.discussions.thread_updated(GUILD, 9100, "Topic 0", True, False)
    await world.discussions.thread_created(
        GUILD, 9200, world.channels["small-giants"], "Elsewhere", BOB, world.clock.now
    )

    lamppost = world.initiatives["humble-lamppost"]
    open_page = await world.discussions.list_discussions(GUILD, lamppost, "open", 1, 3)
    assert [d.name for d in open_page.items] == ["Topic 4", "Topic 3", "Topic 2"]
    assert (open_page.total, open_page.pages) == (4, 2)
    second = await world.discussions.list_discussions(GUILD, lamppost, "open", 2, 3)
    assert [d.name for d in second.items] == ["Topic 1"]

    archived = await world.discussions.list_discussions(GUILD, lamppost, "ARCHIVED")
    assert [d.name for d in archived.items] == ["Topic 0"]
    everything = await world.discussions.list_discussions(GUILD, None, "all", 1, 25)
    assert everything.total == 6


@pytest.mark.parametrize(
    ("state", "page", "page_size", "message"),
    [
        ("closed", 1, 10, "use open, archived or all"),
        ("open", 0, 10, "pages start at 1"),
        ("open", 1, 26, "between 1 and 25"),
        ("open", 3, 10, "only 1 page"),
    ],
)
async def test_list_discussions_rejects_bad_input(
    world: World, state: str, page: int, page_size: int, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        await world.discussions.list_discussions(GUILD, None, state, page, page_size)


async def test_deleting_an_initiative_drops_its_discussions(world: World) -> None:
    channel = world.channels["small-giants"]
    giants = world.initiatives["small-giants"]
    await world.discussions.thread_created(GUILD, 9300, channel, "Pilot", ALICE, world.clock.now)
    world.activity.record_message(GUILD, 9300, BOB, world.clock.now)
    await world.activity.flush()
    await world.discussions.thread_created(
        GUILD, 9301, world.channels["humble-lamppost"], "Stays", ALICE, world.clock.now
    )

    assert await world.discussions.initiative_deleted(GUILD, giants) == 1

    assert world.discussions.count_for_initiative(GUILD, giants) == 0
    assert not world.activity.is_tracked(GUILD, 9300)
    assert await world.store.discussions.get(GUILD, 9300) is None
    assert discussion_lines(await world.store.discussions.describe_user(GUILD, BOB)) == []
    assert world.discussions.count_by_initiative(GUILD) == {world.initiatives["humble-lamppost"]: 1}


async def test_archive_time_comes_from_discord_when_given(world: World) -> None:
    channel = world.channels["small-giants"]
    await world.discussions.thread_created(GUILD, 9400, channel, "Pilot", ALICE, world.clock.now)
    stamp = world.clock.now - timedelta(minutes=3)
    archived = await world.discussions.thread_updated(GUILD, 9400, "Pilot", True, False, stamp)
    assert archived is not None and archived.archived_at == stamp

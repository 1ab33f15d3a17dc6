"""Reconciliation after downtime, and the most active discussions by period."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.errors import InvalidInput
from bot.services.discussions.service import ThreadSnapshot
from tests.support.discussions import GUILD, World, world_fixture

ALICE, BOB, CAROL = 11, 12, 13


world = pytest.fixture(world_fixture)


def snapshot(
    thread_id: int,
    parent: int,
    name: str,
    created_at: datetime,
    archived: bool = False,
    owner: int | None = ALICE,
) -> ThreadSnapshot:
    return ThreadSnapshot(
        thread_id=thread_id,
        parent_channel_id=parent,
        name=name,
        owner_id=owner,
        archived=archived,
        locked=False,
        created_at=created_at,
        archived_at=created_at + timedelta(hours=2) if archived else None,
    )


async def test_reconcile_picks_up_what_happened_while_away(world: World) -> None:
    lamppost_channel = world.channels["humble-lamppost"]
    giants_channel = world.channels["small-giants"]
    t0 = world.clock.now
    service = world.discussions
    for thread_id, channel, name in [
        (1, lamppost_channel, "Stays open"),
        (2, lamppost_channel, "Archived while away"),
        (3, lamppost_channel, "Deleted while away"),
        (4, giants_channel, "Not listed: channel not fetched"),
    ]:
        await service.thread_created(GUILD, thread_id, channel, name, ALICE, t0)
    for _ in range(2):
        world.activity.record_message(GUILD, 1, BOB, t0 + timedelta(minutes=5))

    world.clock.advance(days=1)  # Agora is away; Discord moves on
    away = t0 + timedelta(hours=12)
    report = await service.reconcile(
        GUILD,
        active=[
            snapshot(1, lamppost_channel, "Stays open", t0),
            snapshot(5, lamppost_channel, "Created while away", away, owner=CAROL),
            snapshot(6, 99999, "Not an initiative channel", away),
        ],
        archived=[snapshot(2, lamppost_channel, "Archived while away", t0, archived=True)],
        listed_parent_ids=[lamppost_channel],
    )

    assert report.created == (5,)
    assert report.archived == (2,)
    assert report.deleted == (3,)

    by_id = {d.thread_id: d for d in await world.store.discussions.in_guild(GUILD, True)}
    # Counts are what members were seen posting: Discord's thread counts include bots'
    # and system messages, so they never raise them.
    assert by_id[1].message_count == 2
    assert by_id[1].last_activity_at == t0 + timedelta(minutes=5)
    assert by_id[2].state == "archived"
    assert by_id[3].state == "deleted"
    assert by_id[4].state == "open"  # its channel's listing was not fetched: left alone
    assert (by_id[5].message_count, by_id[5].author_id, by_id[5].state) == (0, CAROL, "open")
    assert 6 not in by_id
    assert world.discussions.count_by_initiative(GUILD) == {
        world.initiatives["humble-lamppost"]: 3,  # 1, 2 and 5
        world.initiatives["small-giants"]: 1,
    }
    assert world.activity.is_tracked(GUILD, 5) and not world.activity.is_tracked(GUILD, 3)

    # The ranking holds only the 2 messages counted live.
    top_all = await service.top_discussions(GUILD, period="all")
    assert [(r.discussion.thread_id, r.messages_in_period) for r in top_all.items] == [(1, 2)]

    # Running it again with the same listings changes nothing.
    again = await service.reconcile(
        GUILD,
        active=[
            snapshot(1, lamppost_channel, "Stays open", t0),
            snapshot(5, lamppost_channel, "Created while away", away, owner=CAROL),
        ],
        archived=[snapshot(2, lamppost_channel, "Archived while away", t0, archived=True)],
        listed_parent_ids=[lamppost_channel],
    )
    assert not again.changed


async def test_reconcile_leaves_counted_messages_alone(world: World) -> None:
    channel = world.channels["humble-lamppost"]
    await world.discussions.thread_created(GUILD, 1, channel, "Busy", ALICE, world.clock.now)
    for _ in range(5):
        world.activity.record_message(GUILD, 1, BOB, world.clock.now)
    # Whatever Discord's count says now (messages deleted, bots' replies added), Agora's
    # count is the messages members were seen posting.
    report = await world.discussions.reconcile(
        GUILD, [snapshot(1, channel, "Busy", world.clock.now)], [], [channel]
    )
    assert not report.changed
    row = await world.store.discussions.get(GUILD, 1)
    assert row is not None and row.message_count == 5


async def test_top_discussions_by_period_and_cluster(world: World) -> None:
    service = world.discussions
    now = world.clock.now
    channels = world.channels
    threads = {
        1: (channels["humble-lamppost"], "Old but big"),
        2: (channels["urban-data-platform"], "This week"),
        3: (channels["small-giants"], "Today"),
        4: (channels["citizen-data"], "Other cluster, today"),
    }
    for thread_id, (channel, name) in threads.items():
        await service.thread_created(
            GUILD, thread_id, channel, name, ALICE, now - timedelta(days=90)
        )

    def post(thread_id: int, count: int, ago: timedelta) -> None:
        for _ in range(count):
            world.activity.record_message(GUILD, thread_id, BOB, now - ago)

    post(1, 50, timedelta(days=40))
    post(1, 1, timedelta(days=20))
    post(2, 8, timedelta(days=3))
    post(3, 5, timedelta(hours=2))
    post(4, 7, timedelta(hours=1))
    await world.activity.flush()

    def ranking(result: object) -> list[tuple[int, int]]:
        items = result.items  # type: ignore[attr-defined]
        return [(r.discussion.thread_id, r.messages_in_period) for r in items]

    assert ranking(await service.top_discussions(GUILD, period="day")) == [(4, 7), (3, 5)]
    assert ranking(await service.top_discussions(GUILD, period="week")) == [(2, 8), (4, 7), (3, 5)]
    assert ranking(await service.top_discussions(GUILD, period="month")) == [
        (2, 8),
        (4, 7),
        (3, 5),
        (1, 1),
    ]
    assert ranking(await service.top_discussions(GUILD, period="all")) == [
        (1, 51),
        (2, 8),
        (4, 7),
        (3, 5),
    ]
    integrated = world.clusters["integrated"]
    in_cluster = await service.top_discussions(GUILD, integrated, "week")
    assert ranking(in_cluster) == [(2, 8), (3, 5)]

    first = await service.top_discussions(GUILD, None, "all", page=1, page_size=3)
    second = await service.top_discussions(GUILD, None, "all", page=2, page_size=3)
    assert (first.has_more, second.has_more, second.first_rank) == (True, False, 4)
    assert ranking(second) == [(3, 5)]

    # A deleted discussion drops out of the rankings.
    await service.thread_deleted(GUILD, 4)
    assert ranking(await service.top_discussions(GUILD, period="day")) == [(3, 5)]

    with pytest.raises(InvalidInput, match="day, week, month or all"):
        await service.top_discussions(GUILD, period="year")
    with pytest.raises(InvalidInput, match="no more active discussions"):
        await service.top_discussions(GUILD, period="all", page=5)

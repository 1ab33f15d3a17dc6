"""Nudges to the leads of quiet initiatives, once per quiet period, never to opted-out leads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.services.discussions.nudges import NudgeService
from tests.support.discussions import GUILD, World, make_world

ALICE, BOB, CAROL, DAVE, ERIN = 11, 12, 13, 14, 15


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    world = await make_world(database_url)
    store, now = world.store, world.clock.now
    ago = now - timedelta(days=50)
    leads = {
        "humble-lamppost": ALICE,
        "small-giants": BOB,
        "urban-data-platform": CAROL,
        "citizen-data": DAVE,
    }
    for slug, lead in leads.items():
        await store.memberships.start(GUILD, world.initiatives[slug], lead, "lead", "joined", ago)
    await store.memberships.start(
        GUILD, world.initiatives["small-giants"], ERIN, "member", "joined", ago
    )
    # Humble Lamppost is lively; Citizen data went quiet 20 days ago; the others never talked.
    await world.discussions.thread_created(
        GUILD, 1, world.channels["humble-lamppost"], "Specs", ALICE, now - timedelta(days=30)
    )
    world.activity.record_message(GUILD, 1, ERIN, now - timedelta(days=2))
    await world.discussions.thread_created(
        GUILD, 2, world.channels["citizen-data"], "GDPR", DAVE, now - timedelta(days=40)
    )
    world.activity.record_message(GUILD, 2, ERIN, now - timedelta(days=20))
    await world.activity.flush()
    yield world
    await world.activity.close()
    await world.store.close()


async def test_quiet_initiatives_nudge_their_leads_but_not_opted_out_ones(world: World) -> None:
    service = NudgeService(world.store, quiet_days=14, clock=world.clock)
    setting = await service.set_nudges(GUILD, CAROL, enabled=False)
    assert (setting.enabled, setting.changed) == (False, True)
    assert "/nudges on" in setting.message

    due = await service.take_due_nudges(GUILD)

    by_name = {nudge.initiative_name: nudge for nudge in due}
    assert set(by_name) == {"Small Giants", "Citizen Centric Approach to Data"}
    giants = by_name["Small Giants"]
    assert giants.lead_ids == (BOB,)  # leads only, not members
    assert giants.never_discussed
    assert "no discussions yet" in giants.text
    assert f"Start the first thread in <#{world.channels['small-giants']}>" in giants.text
    assert "`/discussion start`" in giants.text and "`/nudges off`" in giants.text
    citizen = by_name["Citizen Centric Approach to Data"]
    assert (citizen.lead_ids, citizen.days_quiet, citizen.never_discussed) == ((DAVE,), 20, False)
    assert "no discussion activity for 20 days" in citizen.text
    # Urban Data Platform is quiet too, but its only lead opted out.
    assert all(nudge.initiative_name != "Urban Data Platform" for nudge in due)


async def test_a_quiet_initiative_is_nudged_once_per_quiet_period(world: World) -> None:
    service = NudgeService(world.store, quiet_days=14, clock=world.clock)
    first = await service.take_due_nudges(GUILD)
    assert len(first) == 3
    assert await service.take_due_nudges(GUILD) == []
    world.clock.advance(days=13)
    # Only Humble Lamppost, quiet for 15 days now, is newly due.
    assert [n.initiative_name for n in await service.take_due_nudges(GUILD)] == ["Humble Lamppost"]
    world.clock.advance(days=1)
    again = await service.take_due_nudges(GUILD)
    assert {n.initiative_name for n in again} == {n.initiative_name for n in first}


async def test_activity_ends_the_quiet_period(world: World) -> None:
    service = NudgeService(world.store, quiet_days=14, clock=world.clock)
    world.activity.record_message(GUILD, 2, ERIN, world.clock.now - timedelta(hours=1))
    await world.discussions.thread_created(
        GUILD, 3, world.channels["small-giants"], "Hello", BOB, world.clock.now
    )
    await world.activity.flush()
    assert {n.initiative_name for n in await service.due_nudges(GUILD)} == {"Urban Data Platform"}


async def test_nudges_on_and_off(world: World) -> None:
    service = NudgeService(world.store, quiet_days=14, clock=world.clock)
    assert await service.nudges_enabled(GUILD, BOB)
    off = await service.set_nudges(GUILD, BOB, enabled=False)
    again = await service.set_nudges(GUILD, BOB, enabled=False)
    assert (off.changed, again.changed) == (True, False)
    assert not await service.nudges_enabled(GUILD, BOB)
    assert all(BOB not in n.lead_ids for n in await service.due_nudges(GUILD))
    on = await service.set_nudges(GUILD, BOB, enabled=True)
    assert on.changed and await service.nudges_enabled(GUILD, BOB)
    # Turning off every DM also stops nudges, and /nudges on says so.
    await world.store.guilds.set_dm_opt_out(GUILD, BOB, "all", True, world.clock.now)
    assert not await service.nudges_enabled(GUILD, BOB)
    assert "turned off all DMs" in (await service.set_nudges(GUILD, BOB, enabled=True)).message

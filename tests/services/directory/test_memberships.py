"""Memberships: join/leave with history, leads, listings, Discord role sync, privacy."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.errors import Conflict, NotFound, PermissionDenied
from bot.services.common.permissions import Actor
from tests.support.directory import ADMIN, GUILD, ORGANISER, Core, open_core
from tests.support.discussions import rows_naming_user

ALICE, BOB, CAROL = 10, 11, 12


@pytest.fixture
async def core(database_url: str) -> AsyncIterator[Core]:
    async with open_core(database_url) as core:
        await core.seed()
        yield core


async def test_join_then_join_again_is_a_conflict(core: Core) -> None:
    change = await core.memberships.join(GUILD, ALICE, "Humble Lamppost")
    assert change.initiative.slug == "humble-lamppost"
    assert change.membership.role == "member" and change.membership.join_reason == "joined"
    with pytest.raises(Conflict) as caught:
        await core.memberships.join(GUILD, ALICE, "humble-lamppost")
    assert caught.value.message == "You are already a member of Humble Lamppost."


async def test_leave_when_not_a_member_is_not_found(core: Core) -> None:
    with pytest.raises(NotFound) as caught:
        await core.memberships.leave(GUILD, ALICE, "small-giants")
    assert "not a member of Small Giants" in caught.value.message


async def test_history_keeps_every_stint_with_dates(core: Core) -> None:
    await core.memberships.join(GUILD, ALICE, "small-giants")
    core.clock.advance(days=3)
    await core.memberships.leave(GUILD, ALICE, "small-giants")
    core.clock.advance(days=2)
    await core.memberships.join(GUILD, ALICE, "small-giants")
    history = await core.memberships.history(GUILD, ALICE)
    assert [(m.left_reason, m.is_current) for m in history] == [("left", False), (None, True)]
    assert (history[0].left_at - history[0].joined_at).days == 3  # type: ignore[operator]
    info = await core.directory.initiative_info(GUILD, "small-giants")
    assert info.counts.members == 1


async def test_leads_and_organisers_set_leads_others_cannot(core: Core) -> None:
    await core.memberships.join(GUILD, ALICE, "small-giants")
    stranger = await core.memberships.actor(GUILD, BOB)
    with pytest.raises(PermissionDenied):
        await core.memberships.set_lead(GUILD, stranger, "small-giants", BOB)
    await core.memberships.set_lead(GUILD, ORGANISER, "small-giants", ALICE)
    alice = await core.memberships.actor(GUILD, ALICE)
    giants = await core.directory.get_initiative(GUILD, "small-giants")
    assert alice.lead_of == frozenset({giants.id}) and alice.member_of == frozenset({giants.id})
    # A lead may appoint a co-lead who was not even a member yet.
    change = await core.memberships.set_lead(GUILD, alice, "small-giants", BOB)
    assert change.membership.join_reason == "appointed" and change.membership.role == "lead"
    with pytest.raises(Conflict):
        await core.memberships.set_lead(GUILD, alice, "small-giants", BOB)
    await core.memberships.set_lead(GUILD, alice, "small-giants", BOB, is_lead=False)
    info = await core.directory.initiative_info(GUILD, "small-giants")
    assert info.leads == (ALICE,)
    assert info.counts.members == 2


async def test_member_list_puts_leads_first_and_paginates(core: Core) -> None:
    for user in (ALICE, BOB, CAROL):
        await core.memberships.join(GUILD, user, "space4cities")
        core.clock.advance(minutes=1)
    await core.memberships.set_lead(GUILD, ADMIN, "space4cities", CAROL)
    first = await core.memberships.members(GUILD, "space4cities", page=1, page_size=2)
    second = await core.memberships.members(GUILD, "space4cities", page=2, page_size=2)
    assert [m.user_id for m in first.items + second.items] == [CAROL, ALICE, BOB]
    assert first.total == 3 and first.pages == 2


async def test_my_initiatives_lists_current_ones_by_name(core: Core) -> None:
    await core.memberships.join(GUILD, ALICE, "urban-data-platform")
    await core.memberships.join(GUILD, ALICE, "humble-lamppost")
    await core.memberships.join(GUILD, ALICE, "small-giants")
    await core.memberships.leave(GUILD, ALICE, "small-giants")
    mine = await core.memberships.my_initiatives(GUILD, ALICE)
    assert [m.initiative.name for m in mine] == ["Humble Lamppost", "Urban Data Platform"]


async def test_leads_remove_members_with_reason(core: Core) -> None:
    await core.memberships.join(GUILD, ALICE, "small-giants")
    with pytest.raises(PermissionDenied):
        await core.memberships.remove_member(GUILD, Actor(user_id=BOB), "small-giants", ALICE)
    change = await core.memberships.remove_member(GUILD, ORGANISER, "small-giants", ALICE)
    assert change.membership.left_reason == "removed"


async def map_roles(core: Core) -> dict[str, int]:
    roles = {"humble-lamppost": 9001, "small-giants": 9002}
    for slug, role_id in roles.items():
        initiative = await core.directory.get_initiative(GUILD, slug)
        await core.directory.link_role(GUILD, initiative.id, role_id)
    return roles


async def test_roles_given_or_taken_by_hand_start_and_end_memberships(core: Core) -> None:
    roles = await map_roles(core)
    await core.memberships.join(GUILD, ALICE, "urban-data-platform")  # no role mapped
    sync = await core.memberships.sync_member_roles(GUILD, ALICE, [roles["humble-lamppost"], 42])
    assert [c.initiative.slug for c in sync.started] == ["humble-lamppost"]
    assert sync.started[0].membership.join_reason == "role_added"
    assert sync.ended == ()  # an initiative without a role is not judged by roles
    again = await core.memberships.sync_member_roles(GUILD, ALICE, [roles["humble-lamppost"]])
    assert again.started == () and again.ended == ()
    removed = await core.memberships.sync_member_roles(GUILD, ALICE, [])
    assert [c.membership.left_reason for c in removed.ended] == ["role_removed"]
    mine = await core.memberships.my_initiatives(GUILD, ALICE)
    assert [m.initiative.slug for m in mine] == ["urban-data-platform"]


async def test_reconcile_catches_up_with_roles_and_departures(core: Core) -> None:
    roles = await map_roles(core)
    await core.memberships.join(GUILD, ALICE, "small-giants")  # then her role went away
    await core.memberships.join(GUILD, CAROL, "urban-data-platform")  # then she left
    sync = await core.memberships.reconcile(GUILD, {ALICE: [], BOB: [roles["humble-lamppost"]]})
    assert sorted((c.initiative.slug, c.membership.join_reason) for c in sync.started) == [
        ("humble-lamppost", "role_added")
    ]
    assert sorted((c.initiative.slug, c.membership.left_reason) for c in sync.ended) == [
        ("small-giants", "role_removed"),
        ("urban-data-platform", "left_server"),
    ]
    again = await core.memberships.reconcile(GUILD, {ALICE: [], BOB: [roles["humble-lamppost"]]})
    assert again.started == () and again.ended == ()


async def test_role_sync_with_before_only_acts_on_the_change(core: Core) -> None:
    roles = await map_roles(core)
    # /join recorded the membership; Discord has not applied the role yet when an
    # unrelated role change arrives: that must not end the fresh membership.
    await core.memberships.join(GUILD, ALICE, "small-giants")
    sync = await core.memberships.sync_member_roles(GUILD, ALICE, [77], before=[])
    assert sync.started == () and sync.ended == ()
    sync = await core.memberships.sync_member_roles(
        GUILD, ALICE, [roles["small-giants"]], before=[roles["small-giants"], 77]
    )
    assert sync.ended == ()
    sync = await core.memberships.sync_member_roles(
        GUILD, ALICE, [], before=[roles["small-giants"]]
    )
    assert [c.initiative.slug for c in sync.ended] == ["small-giants"]


async def test_leaving_the_server_ends_every_membership(core: Core) -> None:
    await core.memberships.join(GUILD, ALICE, "small-giants")
    await core.memberships.set_lead(GUILD, ADMIN, "humble-lamppost", ALICE)
    ended = await core.memberships.member_left_server(GUILD, ALICE)
    assert sorted(c.initiative.slug for c in ended) == ["humble-lamppost", "small-giants"]
    assert {c.membership.left_reason for c in ended} == {"left_server"}
    info = await core.directory.initiative_info(GUILD, "humble-lamppost")
    assert info.leads == () and info.counts.members == 0
    assert await core.memberships.member_left_server(GUILD, ALICE) == []


async def test_describe_user_lists_everything_stored_about_them(core: Core) -> None:
    await core.memberships.join(GUILD, ALICE, "small-giants")
    await core.memberships.leave(GUILD, ALICE, "small-giants")
    await core.memberships.join(GUILD, ALICE, "humble-lamppost")
    alice = await core.memberships.actor(GUILD, ALICE)
    await core.resources.add(GUILD, alice, "humble-lamppost", "document", "Spec", "https://e.org/s")
    await core.store.guilds.set_dm_opt_out(GUILD, ALICE, "reminders", True, core.clock())
    description = await core.memberships.describe_user(GUILD, ALICE)
    assert [r.initiative_name for r in description.memberships] == [
        "Small Giants",
        "Humble Lamppost",
    ]
    assert [r.title for r in description.resources] == ["Spec"]
    assert description.dm_opt_outs == ("reminders",)
    text = "\n".join(description.lines())
    assert "Small Giants: member, from 2026-03-01 (joined) until 2026-03-01 (left)" in text


async def test_forget_user_leaves_no_row_naming_them_but_keeps_anonymous_counts(
    core: Core,
) -> None:
    roles = await map_roles(core)
    await core.memberships.join(GUILD, ALICE, "small-giants")
    await core.memberships.join(GUILD, BOB, "small-giants")
    alice = await core.memberships.actor(GUILD, ALICE)
    await core.resources.add(GUILD, alice, "small-giants", "project", "Pilot", "https://e.org/p")
    await core.store.guilds.set_dm_opt_out(GUILD, ALICE, "all", True, core.clock())

    report = await core.memberships.forget_user(GUILD, ALICE)

    assert report.role_ids_to_remove == (roles["small-giants"],)
    assert (report.memberships_anonymised, report.resources_anonymised) == (1, 1)
    assert await rows_naming_user(core.store.db, GUILD, ALICE) == []
    info = await core.directory.initiative_info(GUILD, "small-giants")
    assert (info.counts.members, info.counts.projects) == (1, 1)
    history = await core.store.memberships.history_for_initiative(GUILD, info.initiative.id)
    assert len(history) == 2  # the join still counts, without a person
    assert [m.left_reason for m in history if m.user_id is None] == ["forgotten"]
    described = await core.memberships.describe_user(GUILD, ALICE)
    assert described.memberships == () and described.resources == () and not described.dm_opt_outs

"""Recording outcomes, who may record and close them, the digest's overdue actions and
the privacy rights over them, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.services.common.permissions import Actor
from bot.services.discussions.digest import OVERDUE
from tests.support.outcomes import (
    ALICE,
    GUILD,
    World,
    add_action,
    meeting_with_sessions,
    world_fixture,
)

world = pytest.fixture(world_fixture)

BOB = 88
LEAD = 99


async def lamp_id(world: World) -> int:
    return (await world.services.directory.get_initiative(GUILD, "Humble Lamppost")).id


async def test_each_kind_is_recorded_and_a_link_needs_its_address(world: World) -> None:
    meeting_id, _ = await meeting_with_sessions(world)
    outcomes = world.services.outcomes
    alice = Actor(user_id=ALICE)
    target = await outcomes.target(GUILD, alice, meeting_id, None, None, None)
    for kind in ("decision", "note", "Action"):
        recorded = await outcomes.record(GUILD, alice, target, kind, f"  a {kind}\n ")
        assert recorded.outcome.text == f"a {kind}"
    link = await outcomes.record(
        GUILD, alice, target, "link", "Slides", "https://example.org/slides.pdf"
    )
    assert link.outcome.url == "https://example.org/slides.pdf"
    with pytest.raises(InvalidInput, match="Link field"):
        await outcomes.record(GUILD, alice, target, "link", "Slides")
    with pytest.raises(InvalidInput, match="http"):
        await outcomes.record(GUILD, alice, target, "decision", "x", "javascript:alert(1)")
    with pytest.raises(InvalidInput, match="Unknown kind"):
        await outcomes.record(GUILD, alice, target, "verdict", "x")
    with pytest.raises(InvalidInput, match="empty"):
        await outcomes.record(GUILD, alice, target, "note", " \u200b ")
    stored = await world.store.outcomes.for_meeting(GUILD, meeting_id)
    assert [o.kind for o in stored] == ["decision", "note", "action", "link"]
    # An action without an owner is the recorder's, and said so.
    assert stored[2].owner_id == ALICE


async def test_owner_and_due_are_for_actions_and_the_due_date_is_checked(world: World) -> None:
    meeting_id, _ = await meeting_with_sessions(world)
    outcomes = world.services.outcomes
    alice = Actor(user_id=ALICE)
    with pytest.raises(InvalidInput, match="in the past"):
        await outcomes.target(GUILD, alice, meeting_id, None, BOB, "2027-06-01")
    with pytest.raises(InvalidInput, match="can't read"):
        await outcomes.target(GUILD, alice, meeting_id, None, BOB, "whenever")
    target = await outcomes.target(GUILD, alice, meeting_id, None, BOB, "friday")
    assert target.due_date is not None and target.due_date.isoformat() == "2027-06-18"
    decision = await outcomes.record(GUILD, alice, target, "decision", "Go")
    assert decision.outcome.owner_id is None and decision.outcome.due_at is None
    assert any("for actions" in note for note in decision.notes)
    action = await outcomes.record(GUILD, alice, target, "action", "Do")
    assert action.outcome.owner_id == BOB and action.reminders == 2


async def test_a_session_of_an_initiative_takes_outcomes_from_its_members(world: World) -> None:
    meeting_id, (workshop,) = await meeting_with_sessions(world)
    outcomes = world.services.outcomes
    lamp = await lamp_id(world)
    outsider = Actor(user_id=BOB)
    with pytest.raises(PermissionDenied, match=r"^Only members of Humble Lamppost"):
        await outcomes.target(GUILD, outsider, meeting_id, str(workshop), None, None)
    member = Actor(user_id=ALICE, member_of=frozenset({lamp}))
    assert (await outcomes.target(GUILD, member, meeting_id, str(workshop), None, None)).session
    organiser = Actor(user_id=5, is_organiser=True)
    by_title = await outcomes.target(GUILD, organiser, meeting_id, "lamppost", None, None)
    assert by_title.session is not None and by_title.session.id == workshop
    # The meeting as a whole is open to all.
    assert (await outcomes.target(GUILD, outsider, meeting_id, None, None, None)).session is None
    with pytest.raises(NotFound, match="no session #999"):
        await outcomes.target(GUILD, organiser, meeting_id, "999", None, None)


async def test_an_action_is_closed_by_its_owner_its_leads_and_organisers(world: World) -> None:
    meeting_id, (workshop,) = await meeting_with_sessions(world)
    outcomes = world.services.outcomes
    lamp = await lamp_id(world)
    member = Actor(user_id=ALICE, member_of=frozenset({lamp}))
    target = await outcomes.target(GUILD, member, meeting_id, str(workshop), BOB, "2027-06-30")
    numbers = [
        (await outcomes.record(GUILD, member, target, "action", f"Task {n}")).outcome.id
        for n in range(3)
    ]
    with pytest.raises(PermissionDenied, match=r"^Only the owner of action"):
        await outcomes.mark_done(GUILD, member, str(numbers[0]))
    assert (await outcomes.mark_done(GUILD, Actor(user_id=BOB), str(numbers[0]))).is_done
    lead = Actor(user_id=LEAD, lead_of=frozenset({lamp}), member_of=frozenset({lamp}))
    assert (await outcomes.mark_done(GUILD, lead, "task 1")).id == numbers[1]
    organiser = Actor(user_id=5, is_organiser=True)
    assert (await outcomes.mark_done(GUILD, organiser, f"#{numbers[2]}")).is_done
    with pytest.raises(Conflict, match="already marked done"):
        await outcomes.mark_done(GUILD, organiser, str(numbers[2]))
    decision = await outcomes.record(GUILD, member, target, "decision", "Share the data")
    with pytest.raises(InvalidInput, match="is a decision, not an action"):
        await outcomes.mark_done(GUILD, organiser, str(decision.outcome.id))
    with pytest.raises(NotFound):
        await outcomes.mark_done(GUILD, organiser, "no such thing")
    assert await outcomes.actions(GUILD) == []


async def test_lists_of_actions_by_owner_initiative_and_meeting(world: World) -> None:
    meeting_id, (workshop,) = await meeting_with_sessions(world)
    outcomes = world.services.outcomes
    organiser = Actor(user_id=5, is_organiser=True)
    in_workshop = await outcomes.target(
        GUILD, organiser, meeting_id, str(workshop), ALICE, "2027-06-30"
    )
    await outcomes.record(GUILD, organiser, in_workshop, "action", "Lamppost task")
    await add_action(world, meeting_id, "2027-06-25", owner=BOB)
    everything = await outcomes.actions(GUILD)
    assert [v.action.text for v in everything] == ["Publish the pilot report", "Lamppost task"]
    mine = await outcomes.actions(GUILD, owner_id=ALICE)
    assert [v.action.text for v in mine] == ["Lamppost task"]
    assert mine[0].session_title == "Cluster workshop: Lamppost workshop"
    of_lamp = await outcomes.actions(GUILD, initiative_id=await lamp_id(world))
    assert [v.action.text for v in of_lamp] == ["Lamppost task"]
    assert len(await outcomes.actions(GUILD, meeting_id=meeting_id)) == 2


async def test_overdue_actions_appear_in_their_clusters_digest(world: World) -> None:
    meeting_id, (workshop,) = await meeting_with_sessions(world)
    outcomes = world.services.outcomes
    organiser = Actor(user_id=5, is_organiser=True)
    target = await outcomes.target(GUILD, organiser, meeting_id, str(workshop), ALICE, "friday")
    late = await outcomes.record(GUILD, organiser, target, "action", "Send the sensor specs")
    done = await outcomes.record(GUILD, organiser, target, "action", "Book the hall")
    await outcomes.mark_done(GUILD, organiser, str(done.outcome.id))
    lamp = await world.services.directory.get_initiative(GUILD, "Humble Lamppost")
    # Friday 18 June is the due date: overdue from Saturday on, in Brussels.
    on_the_day = await world.services.digest.build(
        GUILD, lamp.cluster_id, datetime(2027, 6, 18, 20, 0, tzinfo=UTC)
    )
    assert OVERDUE not in [s.title for s in on_the_day.sections]
    week_after = await world.services.digest.build(
        GUILD, lamp.cluster_id, datetime(2027, 6, 21, 8, 0, tzinfo=UTC)
    )
    (line,) = week_after.section(OVERDUE).lines
    assert line.startswith(f"#{late.outcome.id} Send the sensor specs — <@{ALICE}>, due <t:")
    clusters, _ = await world.services.directory.by_id(GUILD)
    other = next(c for c in clusters.values() if c.id != lamp.cluster_id)
    elsewhere = await world.services.digest.build(
        GUILD, other.id, datetime(2027, 6, 21, 8, 0, tzinfo=UTC)
    )
    assert OVERDUE not in [s.title for s in elsewhere.sections]


async def test_privacy_shows_and_forgets_outcomes_an_action_keeps_its_text(
    world: World,
) -> None:
    meeting_id, _ = await meeting_with_sessions(world)
    action = await add_action(world, meeting_id, "2027-06-30", owner=ALICE)
    privacy = world.services.privacy
    alice = Actor(user_id=ALICE)
    report = await privacy.describe_user(GUILD, ALICE, alice)
    section = next(s for s in report.sections if s.area == "Meeting outcomes and actions")
    assert section.lines == (
        f"Recorded action #{action} for “Action Clusters Meeting”: “Publish the pilot report”",
        f"Owner of action #{action} “Publish the pilot report”, due 2027-06-30",
    )
    result = await privacy.forget_user(GUILD, ALICE, alice)
    assert result.erased["meeting outcomes"] == 2
    kept = await world.store.outcomes.get(GUILD, action)
    assert kept.text == "Publish the pilot report"
    assert kept.owner_id is None and kept.added_by is None
    states = {t.kind: t.state for t in await world.store.outcome_timers.for_outcome(action)}
    assert states == {"action_soon": "cancelled", "action_due": "cancelled"}
    report = await privacy.describe_user(GUILD, ALICE, alice)
    assert report.is_empty

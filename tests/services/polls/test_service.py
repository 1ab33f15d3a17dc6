"""Availability polls: what /poll create accepts and refuses, answers and tallies, the
best time and ties, closing exactly once, the meeting draft, and forgetting a member; on
both database backends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import Conflict, InvalidInput, PermissionDenied
from bot.services.common.permissions import Actor
from bot.services.polls.deadlines import PollDeadlines
from bot.services.polls.service import PollDraft, PollService, PollView
from bot.storage.meetings.models import Scope
from bot.storage.store import Store
from tests.support.meetings import Clock

GUILD = 1000
ORGANISER = Actor(user_id=42, is_organiser=True)
LEAD = Actor(user_id=55, lead_of=frozenset({7}), member_of=frozenset({7}))
MEMBER = Actor(user_id=77, member_of=frozenset({7}))
THREE = "2017-06-20 09:00; 2017-06-21 14:00; 2017-06-19 10:00"


@pytest.fixture
async def polls(database_url: str) -> AsyncIterator[PollService]:
    """The polls over a fresh database, on SQLite and on PostgreSQL."""
    store = await Store.open(database_url)
    try:
        yield PollService(store, Clock(), "Europe/Brussels")
    finally:
        await store.close()


async def _poll(polls: PollService, **fields: object) -> int:
    draft = PollDraft(**{"title": "Lamppost pilot review", "slots": THREE, **fields})  # type: ignore[arg-type]
    created = await polls.create(GUILD, ORGANISER, draft)
    return created.view.poll.id


async def test_times_are_read_in_the_zone_and_sorted(polls: PollService) -> None:
    created = await polls.create(
        GUILD, ORGANISER, PollDraft(title="  Pilot   review ", slots=THREE, closes="2d")
    )
    poll = created.view.poll
    assert poll.title == "Pilot review"
    assert poll.timezone == "Europe/Brussels"
    # Brussels is UTC+2 in June; slots come back in time order.
    assert poll.slots == (
        datetime(2017, 6, 19, 8, 0, tzinfo=UTC),
        datetime(2017, 6, 20, 7, 0, tzinfo=UTC),
        datetime(2017, 6, 21, 12, 0, tzinfo=UTC),
    )
    assert poll.closes_at == datetime(2017, 6, 3, 8, 0, tzinfo=UTC)
    assert poll.length_seconds == 3600
    assert created.view.best == ()


@pytest.mark.parametrize(
    ("slots", "closes", "says"),
    [
        ("2017-06-20 09:00", None, "2 to 10 candidate times"),
        ("; ".join(f"2017-07-{day:02d} 09:00" for day in range(1, 12)), None, "you gave 11"),
        ("2017-06-20 09:00; banana", None, "Time 2: I can't read 'banana'"),
        ("2017-06-20 09:00; 2017-05-01 09:00", None, "Time 2 (<t:"),
        ("2017-06-20 09:00; 20/06/2017 9:00", None, "Times 1 and 2 are the same"),
        ("2017-06-20 09:00; 2017-06-21 09:00", "2017-06-25 09:00", "must close by its first"),
        ("2017-06-20 09:00; 2017-06-21 09:00", "0s", "from 1s to 366d"),
        ("2017-06-20 09:00; 2017-06-21 09:00", "yesterday 10:00", "in the past"),
        ("2017-06-20 09:00; 2017-06-21 09:00", "whenever", "closes: I can't read"),
    ],
)
async def test_bad_times_are_refused_with_the_reason(
    polls: PollService, slots: str, closes: str | None, says: str
) -> None:
    with pytest.raises(InvalidInput, match=None) as refused:
        await polls.create(GUILD, ORGANISER, PollDraft(title="Review", slots=slots, closes=closes))
    assert says in refused.value.message
    assert await polls.autocomplete(GUILD, "") == []  # nothing stored


async def test_who_may_start_a_poll(polls: PollService) -> None:
    lamp = Scope(initiative_ids=(7,))
    created = await polls.create(GUILD, LEAD, PollDraft(title="Lead's", slots=THREE, scope=lamp))
    assert created.view.poll.organiser_id == LEAD.user_id
    for actor, scope in ((LEAD, Scope()), (LEAD, Scope(cluster_ids=(1,))), (MEMBER, lamp)):
        with pytest.raises(PermissionDenied, match=r"^Only organisers"):
            await polls.create(GUILD, actor, PollDraft(title="No", slots=THREE, scope=scope))


async def test_answers_tallies_best_and_ties(polls: PollService) -> None:
    poll_id = await _poll(polls)
    first = await polls.answer(GUILD, poll_id, 1, 1, "yes")
    assert first.changed
    assert not (await polls.answer(GUILD, poll_id, 1, 1, "yes")).changed
    await polls.answer(GUILD, poll_id, 2, 1, "maybe")
    await polls.answer(GUILD, poll_id, 2, 2, "yes")
    await polls.answer(GUILD, poll_id, 1, 2, "no")
    view = await polls.view(GUILD, poll_id)
    assert [(t.yes, t.maybe, t.no) for t in view.tallies] == [(1, 0, 1), (1, 1, 0), (0, 0, 0)]
    assert view.best == (2,)  # as many Yes, more If need be
    await polls.answer(GUILD, poll_id, 1, 3, "maybe")
    assert (await polls.view(GUILD, poll_id)).best == (1, 2)  # tied
    results = await polls.results(GUILD, poll_id)
    assert results.named(1, "yes") == [1]
    assert results.named(2, "maybe") == [1]
    with pytest.raises(InvalidInput, match="out of date"):
        await polls.answer(GUILD, poll_id, 4, 1, "yes")


async def test_a_poll_closes_once_and_then_takes_no_answers(polls: PollService) -> None:
    poll_id = await _poll(polls)
    await polls.answer(GUILD, poll_id, 3, 1, "yes")
    with pytest.raises(PermissionDenied, match=r"^Only whoever started"):
        await polls.close(GUILD, poll_id, MEMBER)
    closed = await polls.close(GUILD, poll_id, ORGANISER)
    assert not closed.poll.is_open and closed.best == (3,)
    with pytest.raises(Conflict, match="already closed"):
        await polls.close(GUILD, poll_id, ORGANISER)
    with pytest.raises(Conflict, match="is closed"):
        await polls.answer(GUILD, poll_id, 1, 2, "yes")
    assert (await polls.view(GUILD, poll_id)).tallies[0].yes == 0


async def test_the_deadline_closes_only_what_is_due_and_only_once(polls: PollService) -> None:
    clock = polls.clock
    assert isinstance(clock, Clock)
    announced: list[int] = []

    async def announce(view: PollView) -> None:
        announced.append(view.poll.id)

    deadlines = PollDeadlines(polls, announce=announce)
    soon = await _poll(polls, closes="1h")
    later = await _poll(polls, closes="2d")
    assert await polls.store.poll_deadlines.next_fire_at() == clock.now + timedelta(hours=1)
    assert await deadlines.close_due() == []
    clock.advance(hours=1)
    assert await deadlines.close_due() == [soon]
    assert await deadlines.close_due() == []  # claimed: never twice
    assert announced == [soon] and deadlines.closed == [soon]
    assert not (await polls.view(GUILD, soon)).poll.is_open
    assert (await polls.view(GUILD, soon)).poll.announced
    assert (await polls.view(GUILD, later)).poll.is_open
    assert await polls.store.poll_deadlines.next_fire_at() == clock.now + timedelta(
        days=2, hours=-1
    )


async def test_the_best_time_as_a_meeting_draft(polls: PollService) -> None:
    poll_id = await _poll(polls, length="90m", scope=Scope(initiative_ids=(7,)))
    draft = await polls.meeting_draft(GUILD, poll_id, 2)
    assert draft.title == "Lamppost pilot review"
    assert draft.start == "2017-06-20T09:00:00+02:00"
    assert draft.end == "1h30m"
    assert draft.timezone == "Europe/Brussels"
    assert draft.scope == Scope(initiative_ids=(7,))


async def test_dm_recipients_said_yes_to_a_best_time_and_opted_in(polls: PollService) -> None:
    poll_id = await _poll(polls)
    for user in (1, 2, 3):
        await polls.answer(GUILD, poll_id, 2, user, "yes" if user < 3 else "maybe")
    await polls.answer(GUILD, poll_id, 1, 4, "yes")
    for user in (2, 3, 4):
        await polls.store.reminders.set_dm_opt_in(GUILD, user, True, polls.clock())
    view = await polls.close(GUILD, poll_id, ORGANISER)
    assert await polls.dm_recipients(view) == [2]


async def test_forgetting_withdraws_open_answers_and_anonymises_closed_ones(
    polls: PollService,
) -> None:
    open_poll = await _poll(polls)
    closed_poll = await _poll(polls)
    for poll_id in (open_poll, closed_poll):
        await polls.answer(GUILD, poll_id, 1, 9, "yes")
        await polls.answer(GUILD, poll_id, 1, 10, "yes")
    await polls.close(GUILD, closed_poll, ORGANISER)
    record = await polls.store.polls.describe_user(GUILD, 9)
    assert len(record.answers) == 2
    outcome = await polls.store.polls.forget_user(GUILD, 9)
    assert outcome.withdrawn_from == (open_poll,)
    assert outcome.anonymised == 1
    assert (await polls.view(GUILD, open_poll)).tallies[0].yes == 1
    assert (await polls.view(GUILD, closed_poll)).tallies[0].yes == 2  # the count stays
    assert (await polls.results(GUILD, closed_poll)).named(1, "yes") == [10]
    assert (await polls.store.polls.describe_user(GUILD, 9)).answers == ()

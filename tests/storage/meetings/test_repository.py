"""Meeting repository over a real SQLite file: listing, autocomplete, Discord links,
guild isolation and the schema's one-live-reminder-per-slot rule.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import NotFound
from bot.storage.meetings.models import Location, NewReminder, Scope
from bot.storage.meetings.repository import MeetingFields, SessionFields
from bot.storage.store import Store

GUILD, OTHER = 1000, 2000
NOW = datetime(2017, 6, 1, 8, tzinfo=UTC)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(database_url)
    yield opened
    await opened.close()


def _fields(title: str, start: datetime, scope: Scope | None = None) -> MeetingFields:
    return MeetingFields(
        title=title,
        description="",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        timezone="Europe/Brussels",
        location=Location(kind="venue", name="Hotel Metropole"),
        organiser_id=42,
        scope=scope or Scope(),
    )


async def test_round_trip_and_guild_isolation(store: Store) -> None:
    meeting_id = await store.meetings.insert(
        GUILD,
        _fields("Action Clusters Meeting", NOW + timedelta(days=19), Scope((1, 2), (7,))),
        NOW,
    )
    meeting = await store.meetings.get(GUILD, meeting_id)
    assert meeting.title == "Action Clusters Meeting"
    assert meeting.starts_at == NOW + timedelta(days=19)
    assert meeting.scope == Scope((1, 2), (7,))
    assert meeting.location.describe() == "Hotel Metropole"
    with pytest.raises(NotFound, match="no meeting"):
        await store.meetings.get(OTHER, meeting_id)


async def test_list_upcoming_past_and_by_cluster(store: Store) -> None:
    past = await store.meetings.insert(GUILD, _fields("Kick-off", NOW - timedelta(days=3)), NOW)
    scoped = await store.meetings.insert(
        GUILD, _fields("Cluster call", NOW + timedelta(days=2), Scope(cluster_ids=(3,))), NOW
    )
    with_session = await store.meetings.insert(
        GUILD, _fields("Plenary day", NOW + timedelta(days=1)), NOW
    )
    await store.meetings.add_session(
        GUILD,
        with_session,
        SessionFields(
            NOW + timedelta(days=1),
            NOW + timedelta(days=1, hours=1),
            "Workshop",
            "cluster_workshop",
            cluster_id=3,
        ),
    )
    await store.meetings.insert(OTHER, _fields("Elsewhere", NOW + timedelta(days=1)), NOW)
    upcoming = await store.meetings.list_meetings(GUILD, NOW)
    assert [m.id for m in upcoming] == [with_session, scoped]
    assert [m.id for m in await store.meetings.list_meetings(GUILD, NOW, upcoming=False)] == [past]
    by_cluster = await store.meetings.list_meetings(GUILD, NOW, cluster_id=3)
    assert {m.id for m in by_cluster} == {scoped, with_session}
    assert await store.meetings.list_meetings(GUILD, NOW, initiative_id=3) == []


async def test_autocomplete_is_capped_and_upcoming_first(store: Store) -> None:
    for day in range(-5, 40):
        await store.meetings.insert(
            GUILD, _fields(f"Lamppost sync {day}", NOW + timedelta(days=day)), NOW
        )
    rows = await store.meetings.search_titles(GUILD, "lamppost", NOW, 25)
    assert len(rows) == 25
    assert rows[0][1] == "Lamppost sync 0"
    assert [r[2] for r in rows] == sorted(r[2] for r in rows)
    assert await store.meetings.search_titles(GUILD, "100%_", NOW) == []


async def test_event_and_announcement_links(store: Store) -> None:
    meeting_id = await store.meetings.insert(GUILD, _fields("M", NOW + timedelta(days=1)), NOW)
    await store.meetings.set_event(GUILD, meeting_id, 9001)
    occurrence = NOW + timedelta(days=8)
    await store.meetings.set_event(GUILD, meeting_id, 9002, occurrence)
    link = await store.meetings.find_event(GUILD, 9002)
    assert link is not None and link.occurrence_start == occurrence
    assert [e.event_id for e in await store.meetings.events(GUILD, meeting_id)] == [9001, 9002]
    assert await store.meetings.find_event(OTHER, 9001) is None
    await store.meetings.add_announcement(GUILD, meeting_id, 10, 20)
    await store.meetings.add_announcement(GUILD, meeting_id, 10, 20)
    assert [
        (a.channel_id, a.message_id) for a in await store.meetings.announcements(GUILD, meeting_id)
    ] == [(10, 20)]


async def test_one_live_reminder_per_slot(store: Store) -> None:
    meeting_id = await store.meetings.insert(GUILD, _fields("M", NOW + timedelta(days=1)), NOW)
    new = NewReminder(GUILD, meeting_id, None, "meeting", "m:0:0", 0, NOW, NOW, "meeting", None)
    assert len(await store.reminders.apply_plan([new, new], [], [], NOW)) == 1
    assert await store.reminders.insert_many([new], NOW) == 0
    assert await store.reminders.live_count() == 1

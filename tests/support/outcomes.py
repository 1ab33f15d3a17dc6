"""Shared setup for the outcomes services' tests: every service built as the bot builds
them (``build_services``) over a real database, a settable clock, the seed directory, and
the outcome dispatcher sending to a list instead of Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.config import parse_config
from bot.services.common.permissions import Actor
from bot.services.directory.importer import bundled_seed
from bot.services.meetings.programme import SessionDraft
from bot.services.meetings.service import Actor as MeetingActor
from bot.services.meetings.service import MeetingDraft
from bot.storage.outcomes.models import OutcomeTimer
from bot.storage.store import Store
from bot.wiring import Services, build_services
from tests.support.meetings import Clock

GUILD = 1000
ORGANISER = MeetingActor(user_id=42, is_organiser=True)
ALICE = 77
# Monday 14 June 2027, 07:00 UTC (09:00 in Brussels).
START = datetime(2027, 6, 14, 7, 0, tzinfo=UTC)


@dataclass
class World:
    database: str
    clock: Clock
    store: Store
    services: Services
    sent: list[OutcomeTimer]
    # Every store opened for this world, restarts included: the fixture closes the last.
    stores: list[Store] = field(default_factory=list)

    async def restart(self) -> World:
        """Agora stopped and started again: new services over the same database."""
        await self.store.close()
        restarted = await open_world(self.database, self.clock, self.sent)
        restarted.stores = self.stores
        self.stores.append(restarted.store)
        return restarted

    async def dispatch(self) -> list[str]:
        """One dispatcher pass now; the slots it sent."""
        before = len(self.sent)
        await self.services.outcome_dispatcher.dispatch_all_due()
        return [timer.slot for timer in self.sent[before:]]

    async def states(self, meeting_id: int) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for row in await self.store.outcome_timers.for_meeting(meeting_id):
            found.setdefault(row.slot, []).append(row.state)
        return found


async def open_world(database: str, clock: Clock, sent: list[OutcomeTimer]) -> World:
    store = await Store.open(database)
    services = build_services(
        store=store,
        config=parse_config({"community": {"timezone": "Europe/Brussels"}}),
        clock=clock,
    )

    async def send(timer: OutcomeTimer) -> None:
        sent.append(timer)

    services.outcome_dispatcher.send = send
    return World(database, clock, store, services, sent)


async def world_fixture(database_url: str) -> AsyncIterator[World]:
    """Use as ``world = pytest.fixture(world_fixture)`` with ``database_url``."""
    opened = await open_world(database_url, Clock(START), [])
    opened.stores.append(opened.store)
    await opened.services.importer.import_directory(GUILD, bundled_seed(), "eip-scc.toml")
    try:
        yield opened
    finally:
        # The store of the last restart (an unclosed SQLite connection's thread would keep
        # the test run from exiting).
        await opened.stores[-1].close()


async def meeting_with_sessions(world: World) -> tuple[int, list[int]]:
    """Sunday 20 June 2027, 09:00-17:00 in Brussels, a workshop for Humble Lamppost."""
    services = world.services
    change = await services.meetings.create(
        GUILD,
        ORGANISER,
        MeetingDraft(title="Action Clusters Meeting", start="2027-06-20 09:00", end="17:00"),
    )
    meeting_id = change.view.meeting.id
    lamp = await services.directory.get_initiative(GUILD, "Humble Lamppost")
    added = await services.programme.add_session(
        GUILD,
        meeting_id,
        ORGANISER.user_id,
        True,
        SessionDraft("Lamppost workshop", "10:00", "12:00", "cluster_workshop", None, lamp.id),
    )
    return meeting_id, [added.session.id]


async def add_action(world: World, meeting_id: int, due: str, owner: int = 77) -> int:
    outcomes = world.services.outcomes
    member = Actor(user_id=owner)
    target = await outcomes.target(GUILD, member, meeting_id, None, owner, due)
    recorded = await outcomes.record(GUILD, member, target, "action", "Publish the pilot report")
    return recorded.outcome.id

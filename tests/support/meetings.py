"""Shared setup for the meetings tests: a real SQLite store, a settable clock and
the services wired as the bot wires them. Tested in tests/test_support.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.services.meetings.programme import ProgrammeService
from bot.services.meetings.reminders import ReminderService
from bot.services.meetings.rsvp import RsvpService
from bot.services.meetings.service import Actor, MeetingService
from bot.storage.store import Store

GUILD = 1000
OTHER_GUILD = 2000
ORGANISER = Actor(user_id=42, is_organiser=True)
MEMBER = Actor(user_id=77, is_organiser=False)


@dataclass
class Clock:
    """A clock tests move by hand."""

    now: datetime = field(default_factory=lambda: datetime(2017, 6, 1, 8, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@dataclass
class Area:
    """The meetings area over one database file."""

    store: Store
    clock: Clock
    reminders: ReminderService
    meetings: MeetingService
    programme: ProgrammeService
    rsvp: RsvpService


def build_area(store: Store, clock: Clock, offsets: tuple[int, ...] = (86400, 3600, 0)) -> Area:
    reminders = ReminderService(store, clock, offsets, session_offsets=(600,))
    return Area(
        store=store,
        clock=clock,
        reminders=reminders,
        meetings=MeetingService(store, clock, "Europe/Brussels", reminders),
        programme=ProgrammeService(store, clock, reminders),
        rsvp=RsvpService(store, clock),
    )


async def open_area(database: str | Path, clock: Clock) -> Area:
    return build_area(await Store.open(database), clock)


async def area_fixture(database_url: str) -> AsyncIterator[Area]:
    """The meetings area on each backend: ``area = pytest.fixture(area_fixture)``."""
    area = await open_area(database_url, Clock())
    try:
        yield area
    finally:
        await area.store.close()

"""The Store: every repository over one database, built once at start."""

from __future__ import annotations

from pathlib import Path

from bot.storage.bot_state import BotStateRepository
from bot.storage.database import Database, SqliteDatabase, sqlite_path
from bot.storage.directory.guilds import GuildSettingsRepository
from bot.storage.directory.memberships import MembershipRepository
from bot.storage.directory.repository import DirectoryRepository
from bot.storage.directory.resources import ResourceRepository
from bot.storage.discussions.activity import ActivityRepository
from bot.storage.discussions.repository import DiscussionRepository
from bot.storage.fleet_claims import FleetClaimRepository
from bot.storage.meetings.drafts import MeetingDraftRepository
from bot.storage.meetings.reminders import ReminderRepository
from bot.storage.meetings.repository import MeetingRepository
from bot.storage.outcomes.repository import OutcomeRepository
from bot.storage.outcomes.timers import OutcomeTimerRepository
from bot.storage.polls.deadlines import PollDeadlineRepository
from bot.storage.polls.repository import PollRepository
from bot.storage.postgres import PostgresDatabase
from bot.storage.privacy.forgotten import ForgottenRepository
from bot.storage.web.repository import WebRepository


class Store:
    """Holds the repositories; services receive it, cogs reach it through the bot."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.bot_state = BotStateRepository(db)
        self.forgotten = ForgottenRepository(db)
        self.guilds = GuildSettingsRepository(db)
        self.directory = DirectoryRepository(db)
        self.memberships = MembershipRepository(db)
        self.resources = ResourceRepository(db)
        self.meetings = MeetingRepository(db)
        self.meeting_drafts = MeetingDraftRepository(db)
        self.reminders = ReminderRepository(db)
        self.outcomes = OutcomeRepository(db)
        self.outcome_timers = OutcomeTimerRepository(db)
        self.discussions = DiscussionRepository(db, self.forgotten)
        self.activity = ActivityRepository(db)
        self.polls = PollRepository(db)
        self.poll_deadlines = PollDeadlineRepository(db)
        # Named runs done once across the fleet (digests, nudges).
        self.fleet_claims = FleetClaimRepository(db)
        self.web = WebRepository(db)

    @classmethod
    async def open(cls, target: str | Path) -> Store:
        """Open (and migrate) the database ``target`` names: a SQLite path,
        ``sqlite:///path`` or ``postgresql://user@host:port/db``."""
        return cls(await open_database(target))

    async def close(self) -> None:
        await self.db.close()


async def open_database(target: str | Path) -> Database:
    """SQLite for a path or ``sqlite:///path``, PostgreSQL for ``postgresql://...``."""
    path = sqlite_path(target)
    if path is None:
        return await PostgresDatabase.open(str(target))
    return await SqliteDatabase.open(path)

"""Repository: meetings, their programme and RSVPs."""

from __future__ import annotations

from bot.storage.database import Database


class MeetingRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

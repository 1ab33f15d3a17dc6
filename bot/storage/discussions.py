"""Repository: discussion threads of initiatives."""

from __future__ import annotations

from bot.storage.database import Database


class DiscussionRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

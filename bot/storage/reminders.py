"""Repository: reminder rows, the source of truth for every reminder."""

from __future__ import annotations

from bot.storage.database import Database


class ReminderRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

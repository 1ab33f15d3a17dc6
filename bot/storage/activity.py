"""Repository: message activity counts (written in batches)."""

from __future__ import annotations

from bot.storage.database import Database


class ActivityRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

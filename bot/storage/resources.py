"""Repository: documents and projects of initiatives."""

from __future__ import annotations

from bot.storage.database import Database


class ResourceRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

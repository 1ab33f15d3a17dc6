"""Repository: clusters and initiatives, with FTS5 search."""

from __future__ import annotations

from bot.storage.database import Database


class DirectoryRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

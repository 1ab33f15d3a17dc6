"""Repository: per-guild settings and channel/role mappings."""

from __future__ import annotations

from bot.storage.database import Database


class GuildSettingsRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

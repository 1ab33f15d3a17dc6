"""Repository: initiative memberships with their history."""

from __future__ import annotations

from bot.storage.database import Database


class MembershipRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

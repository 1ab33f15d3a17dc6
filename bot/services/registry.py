"""Every domain service, built once from the store and config and handed to the bot."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Config
from bot.storage.store import Store


@dataclass
class Services:
    store: Store
    config: Config

    @classmethod
    def build(cls, *, store: Store, config: Config) -> Services:
        return cls(store=store, config=config)

    async def start(self) -> None:
        """Warm the in-memory caches before the first interaction arrives."""

    async def close(self) -> None:
        """Flush what is buffered (activity counts) before the database closes."""

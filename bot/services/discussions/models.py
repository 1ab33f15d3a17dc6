"""The discussions' types as the cogs see them (defined with their repositories in
``bot.storage.discussions.models``; the cogs reach storage only through the services)."""

from __future__ import annotations

from bot.storage.discussions.models import Discussion, to_epoch

__all__ = ["Discussion", "to_epoch"]

"""The challenges area's types as the cogs see them (defined with their repository in
``bot.storage.challenges.models``; the cogs reach storage only through the services)."""

from __future__ import annotations

from bot.storage.challenges.models import Challenge

__all__ = ["Challenge"]

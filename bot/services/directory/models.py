"""The directory's types as the cogs see them (defined with their repositories in
``bot.storage.directory.models``; the cogs reach storage only through the services)."""

from __future__ import annotations

from bot.storage.directory.models import Cluster, Initiative, Pitch, Resource, ResourceKind

__all__ = ["Cluster", "Initiative", "Pitch", "Resource", "ResourceKind"]

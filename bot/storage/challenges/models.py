"""Frozen records returned by the challenges repository."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Challenge:
    """A challenge an initiative faces, for a challenge workshop to work on."""

    id: int  # "#12": unique on the server, never reused
    guild_id: int
    initiative_id: int
    title: str
    description: str
    added_by: int | None  # None once the author asked to be forgotten
    added_at: datetime

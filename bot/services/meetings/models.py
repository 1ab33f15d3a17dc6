"""The meetings' types as the cogs see them (defined with their repositories in
``bot.storage.meetings.models``; the cogs reach storage only through the services)."""

from __future__ import annotations

from bot.storage.meetings.models import (
    SESSION_KINDS,
    Answer,
    Location,
    Meeting,
    Reminder,
    Scope,
    Session,
)

__all__ = ["SESSION_KINDS", "Answer", "Location", "Meeting", "Reminder", "Scope", "Session"]

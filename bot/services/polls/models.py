"""The polls' types as the cogs see them (defined with their repository in
``bot.storage.polls.models``; the cogs reach storage only through the services)."""

from __future__ import annotations

from bot.storage.polls.models import (
    POLL_ANSWERS,
    Poll,
    PollAnswer,
    PollListing,
    PollMessage,
    SlotAnswer,
    SlotTally,
)

__all__ = [
    "POLL_ANSWERS",
    "Poll",
    "PollAnswer",
    "PollListing",
    "PollMessage",
    "SlotAnswer",
    "SlotTally",
]

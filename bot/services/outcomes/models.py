"""The outcomes' types as the cogs see them (defined with their repositories in
``bot.storage.outcomes.models``; the cogs reach storage only through the services)."""

from __future__ import annotations

from bot.storage.outcomes.models import OUTCOME_KINDS, Outcome, OutcomeKind, OutcomeTimer

__all__ = ["OUTCOME_KINDS", "Outcome", "OutcomeKind", "OutcomeTimer"]

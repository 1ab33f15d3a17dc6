"""Per-member limits on writes, for slash commands and buttons alike.

``@limited("resource")`` on a command, or ``check_rate(interaction, "rsvp")`` first
thing in a button's callback: over the limit, discord.py's ``CommandOnCooldown`` is
raised, and the error handler answers "You're doing that too often: try again in
N seconds." (ephemeral) before anything is changed. The buckets and rates are
``Services.limits`` (``bot/services/common/rate_limit.py``, configured in ``[limits]``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.cogs.shared.context import services_of
from bot.services.common.rate_limit import LimitKind

T = TypeVar("T")

# The kind of limit a command carries, readable by tests (``limit_kind_of``).
LIMIT_ATTRIBUTE = "__agora_limit__"


def check_rate(interaction: discord.Interaction, kind: LimitKind) -> None:
    """Count one use by the interaction's user, or raise CommandOnCooldown."""
    limiter = services_of(interaction).limits
    wait = limiter.hit(kind, interaction.user.id)
    if wait <= 0:
        return
    rate = limiter.rate(kind)
    assert rate is not None  # an unlimited kind never asks to wait
    raise app_commands.CommandOnCooldown(app_commands.Cooldown(rate.count, rate.per), wait)


def limited(kind: LimitKind) -> Callable[[T], T]:
    """An app-command check: one use of ``kind`` per invocation, before its options are
    read (so a refused use costs no database work)."""

    def predicate(interaction: discord.Interaction) -> bool:
        check_rate(interaction, kind)
        return True

    predicate.__dict__[LIMIT_ATTRIBUTE] = kind
    return app_commands.check(predicate)


def limit_kind_of(command: app_commands.Command[Any, ..., Any]) -> LimitKind | None:
    """The limit ``@limited`` put on ``command``, if any."""
    for check in command.checks:
        kind = getattr(check, LIMIT_ATTRIBUTE, None)
        if kind is not None:
            return kind  # type: ignore[no-any-return]
    return None

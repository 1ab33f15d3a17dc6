"""A guild's run done once across the fleet from a cog's scheduled job (the weekly
digest, the daily nudges): claimed under its key (``FleetRuns``), and looked at again
when another process's lease on it ends."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import discord

from bot.cogs.shared.client import AgoraClient
from bot.services.common.fleet_runs import FleetRuns

log = logging.getLogger(__name__)

T = TypeVar("T")


async def run_guild_once(
    bot: AgoraClient,
    runs: FleetRuns,
    guild_id: int,
    key: str,
    work: Callable[[discord.Guild], Awaitable[list[T]]],
    job_prefix: str,
) -> list[T]:
    """``work`` over the guild as the run ``key``, if this process serves the guild and
    claims the key; what it returned, else nothing (a failure is logged).

    When another process holds the key, this runs again (APScheduler job
    ``<job_prefix>:<guild_id>``) a second after that process's lease ends, and takes the
    run over if it was never finished."""
    guild = bot.get_guild(guild_id)
    if guild is None:
        return []
    try:
        run = await runs.run_once(key, lambda: work(guild))
    except Exception:
        log.exception("the run %s failed for guild %s", key, guild_id)
        return []
    if run.retry_at is not None:
        bot.scheduler.add_job(
            run_guild_once,
            "date",
            run_date=run.retry_at + timedelta(seconds=1),
            args=[bot, runs, guild_id, key, work, job_prefix],
            id=f"{job_prefix}:{guild_id}",
            replace_existing=True,
            misfire_grace_time=None,
        )
    return run.value or []

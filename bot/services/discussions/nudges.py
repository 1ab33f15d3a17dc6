"""Nudges: a DM to the leads of an initiative whose discussions went quiet.

An initiative is quiet when no thread was created and no message counted for
``quiet_days`` (a new initiative counts from its creation). Each quiet
initiative is nudged at most once per quiet period; leads who said
``/nudges off`` (or turned off all DMs) are skipped. A guild's daily run is claimed
once across the fleet (``nudges:<guild>:<date>``, ``FleetRuns``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.services.common.clock import Clock, utc_now
from bot.services.common.fleet_runs import FleetRuns
from bot.services.common.text import plural
from bot.storage.directory.models import Initiative
from bot.storage.discussions.models import from_epoch, to_epoch
from bot.storage.store import Store

# The dm_opt_outs kind (migration 001) meaning "no discussion nudges".
NUDGE_OPT_OUT_KIND = "nudges"


@dataclass(frozen=True)
class Nudge:
    """One initiative to nudge, and which of its leads to DM."""

    guild_id: int
    initiative_id: int
    initiative_name: str
    channel_id: int | None
    quiet_since: datetime
    days_quiet: int
    never_discussed: bool
    lead_ids: tuple[int, ...]
    text: str


@dataclass(frozen=True)
class NudgeSetting:
    enabled: bool
    changed: bool
    message: str


class NudgeService:
    def __init__(
        self,
        store: Store,
        quiet_days: int,
        clock: Clock = utc_now,
        runs: FleetRuns | None = None,
    ) -> None:
        if quiet_days < 1:
            raise ValueError("quiet_days must be at least 1")
        self._store = store
        self._quiet = timedelta(days=quiet_days)
        self._clock = clock
        # Each guild's daily run, claimed once across the fleet.
        self.runs = runs if runs is not None else FleetRuns(store, clock=clock)

    def run_key(self, guild_id: int, zone: str) -> str:
        """The name of today's nudge run of a guild: ``nudges:<guild>:<date in zone>``."""
        return f"nudges:{guild_id}:{self._clock().astimezone(ZoneInfo(zone)).date().isoformat()}"

    async def due_nudges(self, guild_id: int) -> list[Nudge]:
        """Quiet initiatives not nudged during this quiet period, with leads to DM."""
        now = self._clock()
        initiatives = await self._store.directory.list_initiatives(guild_id)
        last_activity = await self._store.discussions.last_activity_by_initiative(guild_id)
        last_nudged = await self._store.activity.last_nudges(guild_id)
        opted_out = await self._store.guilds.opted_out_users(guild_id, NUDGE_OPT_OUT_KIND)
        leads: dict[int, list[int]] = {}
        for initiative_id, user_id in await self._store.memberships.current_leads(guild_id):
            if user_id not in opted_out:
                leads.setdefault(initiative_id, []).append(user_id)

        due: list[Nudge] = []
        for initiative in initiatives:
            activity = last_activity.get(initiative.id)
            quiet_since = from_epoch(max(activity or 0, to_epoch(initiative.created_at)))
            if now - quiet_since < self._quiet:
                continue
            nudged = last_nudged.get(initiative.id)
            if nudged is not None and now - from_epoch(nudged) < self._quiet:
                continue
            to_dm = tuple(sorted(leads.get(initiative.id, ())))
            if not to_dm:
                continue
            due.append(_nudge(initiative, quiet_since, now, activity is None, to_dm))
        return due

    async def take_due_nudges(self, guild_id: int) -> list[Nudge]:
        """The due nudges, remembered as sent now so a rerun does not repeat them.

        Marked before the DMs go out: a crash mid-run skips a nudge rather
        than sending it twice.
        """
        due = await self.due_nudges(guild_id)
        if due:
            await self._store.activity.record_nudges(
                guild_id, [nudge.initiative_id for nudge in due], to_epoch(self._clock())
            )
        return due

    async def nudges_enabled(self, guild_id: int, user_id: int) -> bool:
        opted_out = await self._store.guilds.opted_out_users(guild_id, NUDGE_OPT_OUT_KIND)
        return user_id not in opted_out

    async def set_nudges(self, guild_id: int, user_id: int, enabled: bool) -> NudgeSetting:
        """``/nudges on|off`` for the caller."""
        kinds = await self._store.guilds.dm_opt_outs(guild_id, user_id)
        was_enabled = NUDGE_OPT_OUT_KIND not in kinds
        if was_enabled != enabled:
            await self._store.guilds.set_dm_opt_out(
                guild_id, user_id, NUDGE_OPT_OUT_KIND, not enabled, self._clock()
            )
        if enabled:
            message = (
                "Discussion nudges are on: you will get a DM when an initiative you lead"
                " has been quiet for a while."
            )
            if "all" in kinds:
                message += " You have turned off all DMs from Agora, so none will arrive until"
                message += " you turn DMs back on."
        else:
            message = "Discussion nudges are off. Turn them back on with `/nudges on`."
        return NudgeSetting(enabled=enabled, changed=was_enabled != enabled, message=message)


def _nudge(
    initiative: Initiative,
    quiet_since: datetime,
    now: datetime,
    never_discussed: bool,
    lead_ids: tuple[int, ...],
) -> Nudge:
    days = (now - quiet_since).days
    where = f" in <#{initiative.channel_id}>" if initiative.channel_id else ""
    if never_discussed:
        opening = f"**{initiative.name}** has no discussions yet."
        suggestion = f"Start the first thread{where} with `/discussion start`"
    else:
        opening = f"**{initiative.name}** has had no discussion activity for {plural(days, 'day')}."
        suggestion = f"Start a new thread{where} with `/discussion start`"
    text = (
        f"{opening} {suggestion}: a question, an update or a document to look at"
        " is enough to get members talking.\n"
        "You get this because you lead the initiative; `/nudges off` stops these messages."
    )
    return Nudge(
        guild_id=initiative.guild_id,
        initiative_id=initiative.id,
        initiative_name=initiative.name,
        channel_id=initiative.channel_id,
        quiet_since=quiet_since,
        days_quiet=days,
        never_discussed=never_discussed,
        lead_ids=lead_ids,
        text=text,
    )

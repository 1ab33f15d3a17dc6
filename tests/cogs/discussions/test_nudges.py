"""Nudges: the daily job DMs a quiet initiative's leads, except those who opted out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from bot.runtime import RunningAgora
from bot.services.common.permissions import Actor
from bot.services.discussions.nudges import NudgeService
from discord_sandbox import Sandbox


@pytest.fixture
def agora_config_overrides() -> dict[str, dict[str, object]]:
    return {"nudges": {"quiet_days": 10}}


async def test_quiet_initiative_lead_nudged_opted_out_lead_not(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    bot = agora.bot
    guild_id = int(sandbox.guild.id)
    alice, bob = sandbox.user("alice"), sandbox.user("bob")
    admin = Actor(user_id=int(sandbox.owner_user_id or 0), is_admin=True)
    memberships = bot.services.memberships
    await memberships.set_lead(guild_id, admin, "humble-lamppost", int(alice.id))
    await memberships.set_lead(guild_id, admin, "small-giants", int(bob.id))

    off = await bob.slash("nudges off")
    assert off.ephemeral and "Discussion nudges are off" in (off.content or "")
    again = await bob.slash("nudges off")
    assert (again.content or "").startswith("No change")

    # The job, run as it would be in two weeks: the seeded initiatives have been quiet.
    in_two_weeks = datetime.now(UTC) + timedelta(days=14)
    bot.services.nudges = NudgeService(bot.store, 10, clock=lambda: in_two_weeks)
    nudges = cast(Any, bot.get_cog("NudgeCog"))
    sent = await nudges.send_nudges()
    assert [(s.user_id, s.delivered) for s in sent] == [(int(alice.id), True)]

    dms = sandbox.dms(alice)
    assert len(dms) == 1
    assert "**Humble Lamppost** has no discussions yet" in dms[0]["content"]
    assert "/discussion start" in dms[0]["content"] and "/nudges off" in dms[0]["content"]
    assert sandbox.dms(bob) == []

    # Once per quiet period: a rerun the same day sends nothing.
    assert await nudges.send_nudges() == []

    # The daily job is armed.
    job = bot.scheduler.get_job("agora:discussion-nudges")
    assert job is not None and job.next_run_time.hour == 10

    on = await bob.slash("nudges on")
    assert "Discussion nudges are on" in (on.content or "")

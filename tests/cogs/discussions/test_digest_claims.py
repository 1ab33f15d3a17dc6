"""The weekly digest is posted once per guild and week across the fleet: the run is
claimed under its key, a second run finds it done, and a run taken over after a crash
mid-post (the same key, so the same nonces) posts no digest twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from bot.cogs.discussions.digest import DIGEST_JOB_ID
from bot.runtime import RunningAgora
from discord_sandbox import Sandbox


async def test_a_weeks_digest_is_posted_once_even_when_its_run_is_repeated(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    cog = cast(Any, agora.bot.get_cog("DigestCog"))
    guild_id = int(sandbox.guild.id)
    announcements = sandbox.channel("announcements")

    posted = await cog.post_digests()
    assert posted, "the seeded clusters have news this week"
    count = len(sandbox.messages(announcements))

    # The week's run is done: the job running again (another process, a second firing)
    # posts nothing.
    assert await cog.post_digests() == []
    key = agora.bot.services.digest.run_key(guild_id, cog._zone())
    claim = await agora.bot.store.fleet_claims.get(key)
    assert claim is not None and claim.done_at is not None
    assert key.startswith(f"digest:{guild_id}:")

    # A process that took the run over after a crash mid-post posts with the same nonces:
    # Discord answers with the messages already there.
    guild = agora.bot.get_guild(guild_id)
    again = await cog.post_guild_digests(guild, key)
    assert [p.message_id for p in again] == [p.message_id for p in posted]
    assert len(sandbox.messages(announcements)) == count


async def test_a_digest_run_another_process_holds_is_looked_at_again_when_its_lease_ends(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    cog = cast(Any, agora.bot.get_cog("DigestCog"))
    guild_id = int(sandbox.guild.id)
    announcements = sandbox.channel("announcements")
    count = len(sandbox.messages(announcements))
    key = agora.bot.services.digest.run_key(guild_id, cog._zone())
    claims = agora.bot.store.fleet_claims
    now = datetime.now(UTC).replace(microsecond=0)
    lease_until = now + timedelta(minutes=3)
    assert await claims.claim(key, "another process", now, lease_until)

    # Held by a live process: nothing is posted, and the run is looked at again a second
    # after that process's lease ends.
    assert await cog.post_digests() == []
    assert len(sandbox.messages(announcements)) == count
    job = agora.bot.scheduler.get_job(f"{DIGEST_JOB_ID}:{guild_id}")
    assert job is not None and job.next_run_time == lease_until + timedelta(seconds=1)

    # That process died mid-run (its lease is over when the job runs): the run is taken
    # over and finished here.
    assert await claims.claim(key, "another process", now, now)
    agora.bot.scheduler.remove_job(job.id)
    posted = await job.func(*job.args)
    assert posted and len(sandbox.messages(announcements)) == count + len(posted)
    claim = await claims.get(key)
    assert claim is not None and claim.holder != "another process" and claim.done_at is not None
    assert agora.bot.scheduler.get_job(f"{DIGEST_JOB_ID}:{guild_id}") is None

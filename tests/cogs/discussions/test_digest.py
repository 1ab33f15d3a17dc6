"""The weekly digest: the cron job armed from config, posted per cluster, previewed now."""

from __future__ import annotations

from typing import Any, cast

import pytest
from apscheduler.triggers.cron import CronTrigger

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from tests.support.threads import expect_discussion, field, link_channel, settle

CLUSTER = "Integrated Infrastructures and Processes"


@pytest.fixture
def agora_config_overrides() -> dict[str, dict[str, object]]:
    return {"digest": {"weekday": "friday", "time": "17:30", "timezone": "Europe/Brussels"}}


async def test_preview_lists_this_weeks_activity_and_the_job_posts_it(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    channel = await link_channel(sandbox, agora, "humble-lamppost")
    bob = sandbox.user("bob")
    joined = await bob.slash("initiative join", initiative="Humble Lamppost")
    assert not joined.failed
    created = expect_discussion(agora.bot, "created", "Pilot streets")
    await settle()
    thread = await bob.start_thread(channel, "Pilot streets", "Which streets first?")
    await created
    for text in ("Rue Royale", "Boulevard Anspach", "Place Flagey"):
        await sandbox.user("alice").say(thread, text)

    preview = await sandbox.user("carol").slash("digest preview", cluster=CLUSTER)
    assert preview.ephemeral
    embed = preview.embed
    assert embed is not None
    assert embed["title"] == f"Weekly digest: {CLUSTER}"
    assert f"<#{thread.id}> — 4 messages (Humble Lamppost)" in field(embed, "Liveliest discussions")
    assert f"<@{bob.id}>" in field(embed, "New members")
    assert "Humble Lamppost" in field(embed, "New initiatives")  # the seed, loaded today
    assert "Friday at 17:30" in embed["footer"]["text"]

    # Without a cluster: one page per cluster, restart-proof buttons to turn them.
    every = await sandbox.user("carol").slash("digest preview")
    assert every.ephemeral
    assert (every.embed or {})["title"] == "Weekly digest: Business Models, Finance and Procurement"
    turned = await sandbox.user("carol").click(every, "Next ▶")
    assert (turned.embed or {})["title"] == "Weekly digest: Citizen Focus"

    # The cron job: armed from [digest], Fridays 17:30 Brussels time.
    job = agora.bot.scheduler.get_job("agora:weekly-digest")
    assert job is not None and isinstance(job.trigger, CronTrigger)
    assert job.next_run_time.weekday() == 4
    assert (job.next_run_time.hour, job.next_run_time.minute) == (17, 30)
    assert str(job.next_run_time.tzinfo) == "Europe/Brussels"

    # Running it posts each lively cluster's digest; before /admin setup the
    # clusters have no channel of their own, so the announcement channel gets them.
    posted = await cast(Any, agora.bot.get_cog("DigestCog")).post_digests()
    announcements = sandbox.channel("announcements")
    assert {p.channel_id for p in posted} == {int(announcements.id)}
    # Clusters with (newly seeded) initiatives have news; the others are skipped, not empty.
    guild_id = int(sandbox.guild.id)
    lively = {i.cluster_id for i in await agora.bot.services.directory.all_initiatives(guild_id)}
    assert {p.cluster_id for p in posted} == lively
    messages = sandbox.messages(announcements)
    digest = next(m for m in messages if m["embeds"][0]["title"] == f"Weekly digest: {CLUSTER}")
    assert f"<#{thread.id}>" in str(digest["embeds"][0])
    # New members are named, never pinged.
    posts = [
        c
        for c in sandbox.log
        if c.method == "POST" and c.path.endswith(f"/channels/{announcements.id}/messages")
    ]
    assert posts and all(c.body["allowed_mentions"]["parse"] == [] for c in posts)


async def test_after_setup_each_digest_goes_to_its_cluster_channel(
    sandbox: Sandbox, seeded: RunningAgora
) -> None:
    await sandbox.user("bob").slash("initiative join", initiative="Humble Lamppost")
    posted = await cast(Any, seeded.bot.get_cog("DigestCog")).post_digests()
    cluster_channel = sandbox.channel("integrated-infrastructures-processes-cluster")
    assert int(cluster_channel.id) in {p.channel_id for p in posted}
    titles = [m["embeds"][0]["title"] for m in sandbox.messages(cluster_channel)]
    assert titles == [f"Weekly digest: {CLUSTER}"]

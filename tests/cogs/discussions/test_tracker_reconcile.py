"""After downtime: threads created, archived, renamed or deleted while Agora was away."""

from __future__ import annotations

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from tests.conftest import AgoraStarter
from tests.support.threads import (
    expect_discussion,
    field,
    link_channel,
    listener,
    settle,
)


async def test_counts_right_after_a_restart(
    sandbox: Sandbox, agora: RunningAgora, start_agora_fn: AgoraStarter
) -> None:
    channel = await link_channel(sandbox, agora, "humble-lamppost")
    bob = sandbox.user("bob")
    kept = {}
    for name in ("Pilot streets", "Lamp sensors", "Old thread"):
        created = expect_discussion(agora.bot, "created", name)
        await settle()
        kept[name] = await bob.start_thread(channel, name, "Opening words")
        await created
    await bob.say(kept["Pilot streets"], "A reply Agora saw")
    await agora.stop()  # flushes counts on close

    # While Agora is away: a new thread with replies, an archive, a rename, a delete.
    new = await bob.start_thread(channel, "Made while away", "Hello?")
    await sandbox.user("alice").say(new, "Hi!")
    await bob.say(kept["Pilot streets"], "A reply Agora missed")
    await sandbox.archive_thread(kept["Lamp sensors"])
    await sandbox.rename_channel(kept["Pilot streets"], "Pilot streets 2018")
    await sandbox.delete_thread(kept["Old thread"])

    again = await start_agora_fn()
    await listener(again.bot).reconciled.wait()
    report = listener(again.bot).reports[int(sandbox.guild.id)]
    assert report.created == (int(new.id),)
    assert report.archived == (int(kept["Lamp sensors"].id),)
    assert report.renamed == (int(kept["Pilot streets"].id),)
    assert report.deleted == (int(kept["Old thread"].id),)

    info = await sandbox.user("carol").slash("initiative info", initiative="Humble Lamppost")
    assert field(info.embed, "Activity").endswith("Discussions: 3")
    listing = await sandbox.user("carol").slash(
        "discussion list", initiative="Humble Lamppost", state="all"
    )
    description = (listing.embed or {})["description"]
    assert f"<#{new.id}>" in description
    assert f"<#{kept['Old thread'].id}>" not in description
    lines = description.split("\n")
    # Counts are the messages Agora saw members post, never Discord's thread counts (which
    # include bots' messages): none in the new thread, two in the renamed one.
    assert "0 messages" in lines[lines.index(next(x for x in lines if str(new.id) in x)) + 1]
    renamed = next(x for x in lines if str(kept["Pilot streets"].id) in x)
    assert "2 messages" in lines[lines.index(renamed) + 1]
    assert "archived" in next(x for x in lines if str(kept["Lamp sensors"].id) in x)

    # Live tracking goes on after the catch-up: the thread found while away counts replies.
    await bob.say(new, "Counted live")
    top = await sandbox.user("carol").slash("discussion top", period="day")
    assert f"<#{new.id}>" in (top.embed or {})["description"]

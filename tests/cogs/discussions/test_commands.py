"""Discussions end to end: threads followed from the gateway, /discussion start, list, top."""

from __future__ import annotations

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from tests.support.threads import (
    expect_discussion,
    field,
    link_channel,
    settle,
)


async def discussions_count(sandbox: Sandbox, initiative: str) -> str:
    info = await sandbox.user("carol").slash("initiative info", initiative=initiative)
    return field(info.embed, "Activity").rsplit("Discussions: ", 1)[1]


async def test_member_thread_and_started_thread_counted_renamed_archived_deleted(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    bot = agora.bot
    channel = await link_channel(sandbox, agora, "humble-lamppost")
    assert await discussions_count(sandbox, "Humble Lamppost") == "0"

    # A member opens a thread by hand, and two replies follow.
    created = expect_discussion(bot, "created", "Pilot streets")
    await settle()
    bob = sandbox.user("bob")
    thread = await bob.start_thread(channel, "Pilot streets", "Which streets first?")
    await created
    await bob.say(thread, "Rue Royale has 40 lamps.")
    await sandbox.user("alice").say(thread, "And Boulevard Anspach?")

    # Another through /discussion start: a starter post in the channel, a thread on it.
    result = await sandbox.user("alice").slash(
        "discussion start",
        initiative="humble lamppost",
        title="Sensor data formats",
        text="Which format for the lamp sensors?",
    )
    assert result.ephemeral
    assert "Discussion started" in (result.text or "")
    starter = sandbox.messages(channel)[-1]
    assert "Sensor data formats" in starter["content"]
    assert f"<@{sandbox.user('alice').id}>" in starter["content"]
    assert starter["thread"]["name"] == "Sensor data formats"
    started_id = starter["thread"]["id"]
    assert await discussions_count(sandbox, "Humble Lamppost") == "2"

    listing = await sandbox.user("carol").slash("discussion list", initiative="Humble Lamppost")
    assert listing.embed is not None
    description = listing.embed["description"]
    assert f"<#{thread.id}>" in description and f"<#{started_id}>" in description
    assert "3 messages · 2 participants" in description  # the opening post and two replies
    assert f"by <@{sandbox.user('alice').id}>" in description  # the caller, not Agora
    assert not listing.ephemeral

    # Rename, archive, then delete: each followed.
    updated = expect_discussion(bot, "updated", "Pilot streets 2018")
    await settle()
    await sandbox.rename_channel(thread, "Pilot streets 2018")
    assert (await updated)[1].name == "Pilot streets 2018"

    archived = expect_discussion(bot, "updated", "Pilot streets 2018")
    await settle()
    await sandbox.archive_thread(thread)
    assert (await archived)[1].archived
    open_list = await sandbox.user("carol").slash("discussion list", initiative="Humble Lamppost")
    assert f"<#{thread.id}>" not in (open_list.embed or {})["description"]
    archived_list = await sandbox.user("carol").slash(
        "discussion list", initiative="Humble Lamppost", state="archived"
    )
    assert f"<#{thread.id}>" in (archived_list.embed or {})["description"]
    assert "archived" in (archived_list.embed or {})["title"]

    deleted = expect_discussion(bot, "deleted")
    await settle()
    await sandbox.delete_thread(thread)
    assert (await deleted)[1].thread_id == int(thread.id)
    assert await discussions_count(sandbox, "Humble Lamppost") == "1"

    # The liveliest this week: the started thread (the deleted one is gone).
    await sandbox.user("bob").say(started_id, "JSON over MQTT?")
    top = await sandbox.user("carol").slash("discussion top")
    assert top.embed is not None
    assert f"<#{started_id}>" in top.embed["description"]
    assert f"<#{thread.id}>" not in top.embed["description"]
    assert "1 message in the period" in top.embed["description"]


async def test_forum_post_gets_the_initiative_tag(sandbox: Sandbox, agora: RunningAgora) -> None:
    forum = await link_channel(
        sandbox, agora, "urban-data-platform", forum=True, tags=["Urban Data Platform", "Other"]
    )
    result = await sandbox.user("dora").slash(
        "discussion start", initiative="Urban Data Platform", title="Open APIs"
    )
    assert "Discussion started" in (result.text or "")
    post = next(t for t in sandbox.state.channels.values() if t.name == "Open APIs")
    assert post.parent_id == forum.id
    tag_id = next(t["id"] for t in forum.available_tags if t["name"] == "Urban Data Platform")
    assert post.applied_tags == [tag_id]
    # A member's own forum post counts the same.
    created = expect_discussion(agora.bot, "created", "Data licences")
    await settle()
    await sandbox.user("erin").start_thread(forum, "Data licences", "CC-BY or ODbL?")
    await created
    info = await sandbox.user("erin").slash("initiative info", initiative="Urban Data Platform")
    assert field(info.embed, "Activity").endswith("Discussions: 2")


async def test_bad_input_changes_nothing(sandbox: Sandbox, agora: RunningAgora) -> None:
    # No channel yet.
    no_channel = await sandbox.user("bob").slash(
        "discussion start", initiative="Small Giants", title="Hello"
    )
    assert no_channel.ephemeral
    assert "has no channel" in (no_channel.content or "")
    unknown = await sandbox.user("bob").slash(
        "discussion start", initiative="Humble Lampole", title="Hello"
    )
    assert unknown.ephemeral and "Humble Lamppost" in (unknown.content or "")
    cluster = await sandbox.user("bob").slash("discussion top", cluster="No such cluster")
    assert cluster.ephemeral and "No Action Cluster named" in (cluster.content or "")
    empty = await sandbox.user("bob").slash("discussion list")
    assert "No open discussions yet" in (empty.embed or {})["description"]
    assert not [c for c in sandbox.state.channels.values() if c.is_thread]


async def test_deleting_the_channel_ends_its_discussions(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    channel = await link_channel(sandbox, agora, "small-giants")
    created = expect_discussion(agora.bot, "created", "Which cities?")
    await sandbox.user("bob").start_thread(channel, "Which cities?", "Let us list them")
    await created
    guild_id = int(sandbox.guild.id)
    giants = await agora.bot.services.directory.get_initiative(guild_id, "small-giants")
    assert agora.bot.services.discussions.count_for_initiative(guild_id, giants.id) == 1

    deleted = expect_discussion(agora.bot, "deleted", "Which cities?")
    await sandbox.delete_channel(channel)
    await deleted
    assert agora.bot.services.discussions.count_for_initiative(guild_id, giants.id) == 0

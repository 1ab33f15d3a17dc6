"""Only members' posts are activity: Agora's replies, other bots, webhooks and system
messages in a discussion never raise its message or participant count, nor the digest's."""

from __future__ import annotations

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from discord_sandbox.models import Channel
from tests.conftest import AgoraStarter
from tests.support.threads import (
    expect_discussion,
    field,
    link_channel,
    listener,
    settle,
)

CLUSTER = "Integrated Infrastructures and Processes"  # Humble Lamppost's lead cluster


def post_by_hand(sandbox: Sandbox, thread: Channel, author_id: str, **fields: object) -> None:
    """A message the drivers cannot type (another bot's, a webhook's, the system's), posted
    in the sandbox and dispatched over the gateway as Discord would."""
    message = sandbox.state.new_message(thread, author_id, "", **fields)
    sandbox.events.message_create(message)


def counts_line(description: str, thread_id: str) -> str:
    lines = description.split("\n")
    heading = next(line for line in lines if f"<#{thread_id}>" in line)
    return lines[lines.index(heading) + 1]


async def test_only_members_posts_count_as_activity(sandbox: Sandbox, agora: RunningAgora) -> None:
    channel = await link_channel(sandbox, agora, "humble-lamppost")
    bob, alice, carol = sandbox.user("bob"), sandbox.user("alice"), sandbox.user("carol")
    created = expect_discussion(agora.bot, "created", "Pilot streets")
    await settle()
    thread = await bob.start_thread(channel, "Pilot streets", "Which streets first?")
    await created
    await bob.say(thread, "Rue Royale has 40 lamps.")
    await alice.say(thread, "And Boulevard Anspach?")

    # Looking, from inside the discussion: Agora answers there, in public, each time.
    for _ in range(2):
        listed = await carol.slash("discussion list", in_channel=thread)
        assert not listed.ephemeral and listed.message is not None
        assert listed.message["channel_id"] == thread.id
        topped = await carol.slash("discussion top", period="day", in_channel=thread)
        assert not topped.ephemeral
    # Another app's bot, a webhook, and a system notice (a pin, by a member).
    state = sandbox.state
    other_bot = state.new_user("Lamp monitor", bot=True)
    sandbox.events.member_add(state.add_member(sandbox.guild, other_bot.id))
    post_by_hand(sandbox, thread, other_bot.id)
    feed = state.new_user("Sensor feed")  # a webhook's author is no member, nor a bot flag
    post_by_hand(sandbox, thread, feed.id, webhook_id=state.ids.next())
    post_by_hand(sandbox, thread, alice.user.id, type=6)  # "alice pinned a message"
    bot_messages = [m for m in sandbox.messages(thread) if m["author"].get("bot")]
    assert len(bot_messages) == 5  # four of Agora's answers and the other bot's message

    # Each answer above came after its message's MESSAGE_CREATE on the same socket, so it
    # has been seen by the time this one is answered.
    listing = await carol.slash("discussion list", initiative="Humble Lamppost")
    description = (listing.embed or {})["description"]
    assert "3 messages · 2 participants" in counts_line(description, thread.id)

    top = await carol.slash("discussion top", period="day")
    assert "3 messages" in counts_line((top.embed or {})["description"], thread.id)

    preview = await carol.slash("digest preview", cluster=CLUSTER)
    assert f"<#{thread.id}> — 3 messages (Humble Lamppost)" in field(
        preview.embed, "Liveliest discussions"
    )


async def test_one_member_message_is_one_message(sandbox: Sandbox, agora: RunningAgora) -> None:
    channel = await link_channel(sandbox, agora, "humble-lamppost")
    created = expect_discussion(agora.bot, "created", "Quiet")
    await settle()
    thread = await sandbox.user("bob").start_thread(channel, "Quiet", "Anyone?")
    await created
    preview = await sandbox.user("carol").slash("digest preview", cluster=CLUSTER)
    assert f"<#{thread.id}> — 1 message (Humble Lamppost)" in field(
        preview.embed, "Liveliest discussions"
    )


async def test_a_restart_does_not_take_discords_count_with_agoras_replies(
    sandbox: Sandbox, agora: RunningAgora, start_agora_fn: AgoraStarter
) -> None:
    channel = await link_channel(sandbox, agora, "humble-lamppost")
    bob = sandbox.user("bob")
    created = expect_discussion(agora.bot, "created", "Pilot streets")
    await settle()
    thread = await bob.start_thread(channel, "Pilot streets", "Which streets first?")
    await created
    await bob.say(thread, "Rue Royale has 40 lamps.")
    for _ in range(3):
        await sandbox.user("carol").slash("discussion list", in_channel=thread)
    await agora.stop()
    # Discord's count: the opening post, bob's reply and Agora's three answers.
    assert sandbox.channel(thread.id).message_count == 5

    again = await start_agora_fn()
    await listener(again.bot).reconciled.wait()
    assert not listener(again.bot).reports[int(sandbox.guild.id)].changed
    listing = await sandbox.user("carol").slash("discussion list", initiative="Humble Lamppost")
    description = (listing.embed or {})["description"]
    assert "2 messages · 1 participant ·" in counts_line(description, thread.id)

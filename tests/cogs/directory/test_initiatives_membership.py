"""/initiative join, leave and members, and /me, end to end."""

from __future__ import annotations

from bot.runtime import RunningAgora
from bot.services.common.permissions import Actor
from discord_sandbox import Sandbox
from tests.conftest import AgoraStarter


async def test_join_and_leave_change_the_role_and_me(
    sandbox: Sandbox, seeded: RunningAgora
) -> None:
    alice = sandbox.user("alice")
    role = sandbox.role("Humble Lamppost")
    channel = sandbox.channel("humble-lamppost")

    empty = await alice.slash("me")
    assert empty.ephemeral and "not joined any initiative yet" in empty.text

    joined = await alice.slash("initiative join", initiative="humble-lamppost")
    assert joined.ephemeral and "Welcome to **Humble Lamppost**!" == joined.content
    assert role.id in sandbox.member(alice).roles
    again = await alice.slash("initiative join", initiative="humble-lamppost")
    assert again.ephemeral and "already a member" in again.text
    await alice.slash("initiative join", initiative="Small Giants")
    await seeded.bot.services.memberships.set_lead(
        int(sandbox.guild.id), Actor(user_id=0, is_admin=True), "small-giants", int(alice.id)
    )

    me = await alice.slash("me")
    assert me.ephemeral and me.embed is not None
    lines = me.embed["description"].splitlines()
    assert lines[0].startswith("**Humble Lamppost** · member since <t:")
    assert lines[0].endswith(f"· <#{channel.id}>")
    assert lines[1].startswith("**Small Giants** · lead since <t:")
    assert me.embed["footer"]["text"] == "2 initiatives, lead of 1"

    left = await alice.slash("initiative leave", initiative="Humble Lamppost")
    assert left.ephemeral and "You have left **Humble Lamppost**." == left.content
    assert role.id not in sandbox.member(alice).roles
    not_member = await alice.slash("initiative leave", initiative="Humble Lamppost")
    assert not_member.ephemeral and "not a member of Humble Lamppost" in not_member.text
    me = await alice.slash("me")
    assert me.embed is not None and "Humble Lamppost" not in me.embed["description"]


async def test_members_paginate_with_buttons_that_survive_a_restart(
    sandbox: Sandbox, agora: RunningAgora, start_agora_fn: AgoraStarter
) -> None:
    users = [sandbox.user(f"member{n:02d}") for n in range(27)]
    for user in users:
        await user.slash("initiative join", initiative="Urban Data Platform")

    first = await users[0].slash("initiative members", initiative="Urban Data Platform")
    assert first.embed is not None
    assert first.embed["title"] == "Members of Urban Data Platform"
    assert "Page 1 of 2 · 27 members" in first.embed["footer"]["text"]
    assert first.embed["description"].count("<@") == 20
    assert users[0].mention in first.embed["description"]

    second = await users[1].click(first, "Next ▶")
    assert second.embed is not None
    assert "Page 2 of 2" in second.embed["footer"]["text"]
    assert second.embed["description"].count("<@") == 7
    assert users[26].mention in second.embed["description"]
    buttons = {c["label"]: c for row in second.components for c in row["components"]}
    assert buttons["Next ▶"].get("disabled") is True

    # The page lives in the button's custom_id: a restarted Agora still turns pages.
    await agora.stop()
    await start_agora_fn()
    again = await users[2].click(second, "◀ Previous")
    assert again.embed is not None and "Page 1 of 2" in again.embed["footer"]["text"]

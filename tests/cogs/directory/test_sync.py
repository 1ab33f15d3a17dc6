"""Changes made by hand in Discord reach the directory: roles, members leaving, channels."""

from __future__ import annotations

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from tests.support.sync import handled


async def test_roles_by_hand_and_leaving_the_server_update_memberships(
    sandbox: Sandbox, seeded: RunningAgora
) -> None:
    agora = seeded
    guild_id = int(sandbox.guild.id)
    store = agora.bot.store
    erin = sandbox.user("erin")
    erin_id = int(erin.id)

    # A role granted by hand starts a membership...
    note = await handled(agora, "roles_changed", lambda: sandbox.add_role(erin, "Humble Lamppost"))
    assert note.changed
    me = await erin.slash("me")
    assert "Humble Lamppost" in me.text and "member since" in me.text
    # ... and removing it by hand ends it, with the date and the reason kept.
    note = await handled(
        agora, "roles_changed", lambda: sandbox.remove_role(erin, "Humble Lamppost")
    )
    assert note.changed
    history = await store.memberships.history_for_user(guild_id, erin_id)
    assert [(m.join_reason, m.left_reason) for m in history] == [("role_added", "role_removed")]
    assert history[0].left_at is not None
    info = await erin.slash("initiative info", initiative="Humble Lamppost")
    assert "Members: 0" in info.text

    # /initiative join then a member leaving the server: every membership ends.
    await erin.slash("initiative join", initiative="Small Giants")
    await handled(agora, "roles_changed", lambda: sandbox.add_role(erin, "Urban Data Platform"))
    assert len(await agora.bot.services.memberships.my_initiatives(guild_id, erin_id)) == 2
    note = await handled(agora, "member_left", lambda: sandbox.leave(erin))
    assert note.changed
    assert await agora.bot.services.memberships.my_initiatives(guild_id, erin_id) == []
    history = await store.memberships.history_for_user(guild_id, erin_id)
    assert len(history) == 3  # nothing deleted: each stint kept with its dates
    assert all(m.left_at is not None for m in history)
    assert sorted(str(m.left_reason) for m in history) == [
        "left_server",
        "left_server",
        "role_removed",
    ]


async def test_channel_and_role_mappings_follow_discord(
    sandbox: Sandbox, seeded: RunningAgora
) -> None:
    agora = seeded
    alice = sandbox.user("alice")
    channel = sandbox.channel("humble-lamppost")

    # Renamed: the mapping is by id, so /initiative info still shows that channel.
    await handled(agora, "channel_renamed", lambda: sandbox.rename_channel(channel, "lampposts-eu"))
    info = await alice.slash("initiative info", initiative="Humble Lamppost")
    assert info.embed is not None
    field = next(f for f in info.embed["fields"] if f["name"] == "Channel")
    assert field["value"] == f"<#{channel.id}>"

    # Deleted: the mapping is cleared.
    note = await handled(agora, "channel_deleted", lambda: sandbox.delete_channel(channel))
    assert note.changed
    info = await alice.slash("initiative info", initiative="Humble Lamppost")
    assert info.embed is not None
    field = next(f for f in info.embed["fields"] if f["name"] == "Channel")
    assert field["value"] == "not set up yet"

    # A deleted role: its mapping is cleared and joining says so instead of failing.
    note = await handled(agora, "role_deleted", lambda: sandbox.delete_role("Small Giants"))
    assert note.changed
    initiative = await agora.bot.services.directory.get_initiative(
        int(sandbox.guild.id), "small-giants"
    )
    assert initiative.role_id is None
    joined = await alice.slash("initiative join", initiative="Small Giants")
    assert "Welcome to **Small Giants**" in joined.text and "no role yet" in joined.text

    # Unmapped channels and roles change nothing.
    note = await handled(agora, "channel_deleted", lambda: sandbox.delete_channel("announcements"))
    assert not note.changed


async def test_joining_a_new_server_loads_the_seed_directory(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    async def create_guild() -> None:
        sandbox.create_seed_guild("Smart Cities Lab")

    note = await handled(agora, "guild_joined", create_guild)
    assert note.changed
    initiatives = await agora.bot.services.directory.all_initiatives(note.guild_id)
    assert "Humble Lamppost" in {initiative.name for initiative in initiatives}

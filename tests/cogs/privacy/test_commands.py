"""/privacy show and forget end to end: nothing naming the member is left afterwards."""

from __future__ import annotations

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from tests.support.discussions import rows_naming_user
from tests.support.threads import expect_discussion, link_channel, settle


async def test_forget_leaves_no_row_naming_the_member(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    bot = agora.bot
    guild_id = int(sandbox.guild.id)
    channel = await link_channel(sandbox, agora, "humble-lamppost")
    role = await sandbox.create_role("Humble Lamppost")
    initiative = await bot.services.directory.get_initiative(guild_id, "humble-lamppost")
    await bot.services.directory.link_role(guild_id, initiative.id, int(role.id))

    alice = sandbox.user("alice")
    await alice.slash("initiative join", initiative="Humble Lamppost")
    assert role.id in sandbox.member(alice).roles
    # Alice is made a lead, and appoints a co-lead: the history names her both ways.
    await sandbox.user("admin").slash(
        "initiative lead add", initiative="Humble Lamppost", member=alice
    )
    carol = sandbox.user("carol")
    appointed = await alice.slash("initiative lead add", initiative="Humble Lamppost", member=carol)
    assert "is now a lead" in appointed.text
    await alice.slash("nudges off")
    created = expect_discussion(bot, "created", "Pilot streets")
    await settle()
    thread = await alice.start_thread(channel, "Pilot streets", "Which streets first?")
    await created
    await sandbox.user("bob").say(thread, "Rue Royale")
    await alice.say(thread, "Agreed")
    started = await alice.slash(
        "discussion start", initiative="Humble Lamppost", title="Sensor formats"
    )
    assert not started.failed

    shown = await alice.slash("privacy show")
    assert shown.ephemeral and shown.embed is not None
    text = str(shown.embed)
    assert "Humble Lamppost" in text and "Started discussion “Pilot streets”" in text
    assert "Took part in “Pilot streets”: 2 messages counted" in text
    assert "nudges" in text
    assert "Lead changes (2):" in text and "made another member a lead" in text

    # Nothing is erased until the button is clicked; Cancel keeps everything.
    asked = await alice.slash("privacy forget")
    assert asked.ephemeral and "cannot be undone" in (asked.content or "")
    kept = await alice.click(asked, "Cancel")
    assert "nothing was erased" in (kept.content or "")
    assert await rows_naming_user(bot.store.db, guild_id, int(alice.id))

    asked = await alice.slash("privacy forget")
    done = await alice.click(asked, "Erase my data")
    assert "no longer holds anything naming" in (done.content or "")
    assert role.id not in sandbox.member(alice).roles
    await bot.services.activity.flush()
    assert await rows_naming_user(bot.store.db, guild_id, int(alice.id)) == []
    assert await rows_naming_user(bot.store.db, guild_id, int(alice.id), every_column=True) == []
    # The lead changes stay as dated rows: carol's appointment, by nobody now.
    changes = await bot.store.memberships.role_changes_for_initiative(guild_id, initiative.id)
    assert [(c.user_id, c.reason, c.actor_id) for c in changes] == [
        (None, "lead_added", int(sandbox.user("admin").id)),
        (int(carol.id), "lead_added", None),
    ]
    info = await bot.services.directory.initiative_info(guild_id, "humble-lamppost")
    assert info.leads == (int(carol.id),)

    # Anonymous counts stay: the thread and its three messages.
    listing = await sandbox.user("bob").slash("discussion list", initiative="Humble Lamppost")
    description = (listing.embed or {})["description"]
    assert f"<#{thread.id}>" in description and "3 messages · 1 participant" in description
    assert f"<@{alice.id}>" not in description
    shown = await alice.slash("privacy show")
    assert "Nothing on this server names you" in (shown.embed or {})["description"]


async def test_admin_forgets_a_departed_member(sandbox: Sandbox, agora: RunningAgora) -> None:
    bot = agora.bot
    guild_id = int(sandbox.guild.id)
    bob = sandbox.user("bob")
    await bob.slash("initiative join", initiative="Small Giants")
    await sandbox.leave(bob)

    # Members cannot erase someone else; bad ids are explained; nothing changes.
    carol = sandbox.user("carol")
    refused = await carol.slash("privacy forget-member", user_id=bob.id)
    assert refused.ephemeral and "Only server admins" in (refused.content or "")
    admin = sandbox.user("admin")
    bad = await admin.slash("privacy forget-member", user_id="bob")
    assert bad.ephemeral and "is not a user id" in (bad.content or "")
    neither = await admin.slash("privacy forget-member")
    assert "either `member`" in (neither.content or "")
    assert await rows_naming_user(bot.store.db, guild_id, int(bob.id))

    asked = await admin.slash("privacy forget-member", user_id=f"<@{bob.id}>")
    assert asked.ephemeral and "Small Giants" in str(asked.embed)
    done = await admin.click(asked, "Erase their data")
    assert f"<@{bob.id}>" in (done.content or "")
    assert await rows_naming_user(bot.store.db, guild_id, int(bob.id)) == []

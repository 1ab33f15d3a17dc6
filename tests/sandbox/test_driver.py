"""World actions from the driver and the admin API reach discord.py as Discord's events."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import discord
import pytest
from discord import app_commands

from discord_sandbox import CommandError, Sandbox
from discord_sandbox.models import ChannelType
from tests.sandbox.conftest import make_bot, running


class Recorder:
    """Collects discord.py events and lets a test await one."""

    def __init__(self, bot: discord.Client, names: list[str]) -> None:
        self.seen: dict[str, list[Any]] = {n: [] for n in names}
        self._waiters: dict[str, asyncio.Event] = {n: asyncio.Event() for n in names}
        for name in names:
            bot.add_listener(self._make(name), f"on_{name}")

    def _make(self, name: str) -> Any:
        async def listener(*args: Any) -> None:
            self.seen[name].append(args)
            self._waiters[name].set()

        return listener

    async def wait(self, name: str) -> list[Any]:
        await asyncio.wait_for(self._waiters[name].wait(), 5.0)
        self._waiters[name].clear()
        return self.seen[name]


async def test_members_roles_channels_and_threads(pointed_at: Sandbox) -> None:
    sb = pointed_at
    bot = make_bot()
    rec = Recorder(
        bot,
        [
            "member_join",
            "raw_member_remove",
            "member_update",
            "guild_channel_create",
            "guild_channel_update",
            "guild_channel_delete",
            "thread_create",
            "thread_update",
            "thread_join",
            "raw_thread_delete",
            "message",
            "guild_role_create",
        ],
    )
    async with running(sb, bot):
        carol = await sb.join("carol")
        ((member,),) = await rec.wait("member_join")
        assert member.name == "carol"
        await sb.create_role("Mentor")
        await rec.wait("guild_role_create")
        await sb.add_role("carol", "Mentor")
        ((_before, after),) = await rec.wait("member_update")
        assert [r.name for r in after.roles if r.name == "Mentor"] == ["Mentor"]
        forum = await sb.create_channel("ideas", ChannelType.GUILD_FORUM, tags=["open", "done"])
        await rec.wait("guild_channel_create")
        post = await carol.start_thread("ideas", "Benches", "more benches please", tags=["open"])
        ((thread,),) = await rec.wait("thread_create")
        assert thread.name == "Benches" and thread.parent_id == int(forum.id)
        assert [t.name for t in thread.applied_tags] == ["open"]
        msgs = await rec.wait("message")
        assert msgs[-1][0].content == "more benches please" and msgs[-1][0].id == int(post.id)
        await sb.archive_thread(post)
        await rec.wait("thread_update")
        await carol.say(post, "bump")  # unarchives, like Discord
        await rec.wait("thread_join")  # discord.py dropped the archived thread from its cache
        assert not sb.channel(post.id).archived
        await sb.rename_channel("general", "town-square")
        await rec.wait("guild_channel_update")
        guild = bot.get_guild(int(sb.guild.id))
        assert (
            guild is not None and guild.get_channel(int(sb.channel("town-square").id)) is not None
        )
        await sb.delete_thread(post)
        await rec.wait("raw_thread_delete")
        await sb.delete_channel("ideas")
        await rec.wait("guild_channel_delete")
        await sb.leave("carol")
        await rec.wait("raw_member_remove")
        assert "carol" not in {m.name for m in guild.members}


async def test_scheduled_event_interest(pointed_at: Sandbox) -> None:
    sb = pointed_at
    bot = make_bot(discord.Intents.all())
    rec = Recorder(
        bot, ["scheduled_event_create", "scheduled_event_user_add", "scheduled_event_user_remove"]
    )
    async with running(sb, bot):
        start = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
        event = await sb.create_event("Pilot walk", start, start + dt.timedelta(hours=1))
        await rec.wait("scheduled_event_create")
        alice = sb.user("alice")
        await alice.interested("Pilot walk")
        ((ev, user),) = await rec.wait("scheduled_event_user_add")
        assert ev.name == "Pilot walk" and user.name == "alice"
        guild = bot.get_guild(int(sb.guild.id))
        assert guild is not None
        fetched = await guild.fetch_scheduled_event(int(event.id), with_counts=True)
        assert [u.name async for u in fetched.users()] == ["alice"]
        await alice.uninterested(event)
        await rec.wait("scheduled_event_user_remove")


async def test_context_menus_and_user_select(pointed_at: Sandbox) -> None:
    sb = pointed_at
    bot = make_bot()

    @bot.tree.context_menu(name="Profile")
    async def profile(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.send_message(f"profile of {member.name}", ephemeral=True)

    @bot.tree.context_menu(name="Quote")
    async def quote(interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.send_message(f"> {message.content}")

    class Pick(discord.ui.View):
        @discord.ui.select(cls=discord.ui.UserSelect, custom_id="who", max_values=2)
        async def who(
            self, interaction: discord.Interaction, select: discord.ui.UserSelect[Any]
        ) -> None:
            await interaction.response.send_message(",".join(sorted(u.name for u in select.values)))

    @bot.tree.command(name="pick", description="Pick people")
    async def pick(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("who?", view=Pick())

    @bot.tree.command(name="upload", description="Upload")
    @app_commands.describe(file="a file")
    async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await file.read()
        await interaction.response.send_message(f"{file.filename}:{data.decode()}")

    async with running(sb, bot):
        guild = discord.Object(id=int(sb.guild.id))
        await bot.tree.sync(guild=guild)
        bot.tree.copy_global_to(guild=guild)
        await bot.tree.sync(guild=guild)
        alice, bob = sb.user("alice"), sb.user("bob")
        r = await alice.user_command("Profile", bob)
        assert r.content == "profile of bob" and r.ephemeral
        said = await bob.say("general", "benches are nice")
        r = await alice.message_command("Quote", said)
        assert r.content == "> benches are nice"
        r = await alice.slash("pick")
        r2 = await alice.select(r, "who", ["alice", "bob"])
        assert r2.content == "alice,bob"
        r3 = await alice.slash("upload", file=("notes.txt", b"hello"))
        assert r3.content == "notes.txt:hello"
        with pytest.raises(CommandError, match="no button"):
            await alice.click(r, "Nope")

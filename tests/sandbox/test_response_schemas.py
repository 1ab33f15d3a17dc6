"""The sandbox's own replies validate against the response schemas of Discord's spec."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import AsyncIterator

import discord
import pytest
import yarl

from discord_sandbox import Sandbox
from discord_sandbox.permissions import Permission
from discord_sandbox.validation import given_spec_path
from tests.sandbox.conftest import make_bot, running

_SPEC = given_spec_path()
pytestmark = pytest.mark.skipif(
    _SPEC is None or not _SPEC.exists(),
    reason=f"Discord's OpenAPI spec is not at {_SPEC} (set DISCORD_OPENAPI_SPEC)",
)


@pytest.fixture
async def checked() -> AsyncIterator[Sandbox]:
    sb = Sandbox(validate_responses=True)
    await sb.start()
    sb.create_seed_guild()
    old = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = sb.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sb.gateway_url)
    try:
        yield sb
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old
        await sb.stop()


async def test_many_routes_have_no_response_schema_problems(checked: Sandbox) -> None:
    sb = checked
    assert sb.validator is not None
    alice = sb.user("alice")
    sb.role("Agora").permissions |= Permission.PIN_MESSAGES  # granted "by hand"
    bot = make_bot()

    @bot.tree.command(name="hello", description="Say hello")
    async def hello(interaction: discord.Interaction) -> None:
        view = discord.ui.View()
        view.add_item(discord.ui.Button(label="Ok", custom_id="ok"))
        view.add_item(
            discord.ui.Select(custom_id="s", options=[discord.SelectOption(label="A", value="a")])
        )
        await interaction.response.send_message("hi", embed=discord.Embed(title="T"), view=view)
        await interaction.followup.send("more", file=discord.File(io.BytesIO(b"x"), "x.txt"))
        await interaction.edit_original_response(content="hi!")
        await interaction.original_response()

    async with running(sb, bot):
        guild_obj = discord.Object(id=int(sb.guild.id))
        bot.tree.copy_global_to(guild=guild_obj)
        await bot.tree.sync(guild=guild_obj)
        await bot.tree.sync()
        await bot.tree.fetch_commands(guild=guild_obj)
        await bot.application_info()
        await bot.fetch_user(int(alice.id))
        guild = await bot.fetch_guild(int(sb.guild.id))
        await guild.fetch_channels()
        await guild.fetch_roles()
        [m async for m in guild.fetch_members(limit=10)]
        member = await guild.fetch_member(int(alice.id))
        g = bot.get_guild(int(sb.guild.id))
        assert g is not None
        category = await g.create_category("Projects")
        text = await g.create_text_channel("humble-lamppost", category=category, topic="t")
        forum = await g.create_forum("ideas", available_tags=[discord.ForumTag(name="open")])
        await g.create_voice_channel("voice")
        await text.edit(name="humble-lamp", topic="new")
        role = await g.create_role(name="Mentor", mentionable=True)
        await role.edit(name="Mentors")
        await member.add_roles(role)
        await g.me.edit(nick="Agora bot")
        await text.set_permissions(role, view_channel=True)
        msg = await text.send(
            "hello", embed=discord.Embed(title="E", description="d").add_field(name="a", value="b")
        )
        await msg.edit(content="edited")
        await msg.pin()
        [m async for m in text.pins()]
        await text.fetch_message(msg.id)
        [m async for m in text.history(limit=5)]
        thread = await msg.create_thread(name="discussion")
        await thread.send("in thread")
        await thread.edit(archived=True)
        [t async for t in text.archived_threads()]
        await g.active_threads()
        other = await text.create_thread(name="side", type=discord.ChannelType.public_thread)
        await other.join()
        await other.fetch_members()
        post = await forum.create_thread(
            name="Idea", content="first", applied_tags=forum.available_tags
        )
        assert post.thread is not None
        start = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        event = await g.create_scheduled_event(
            name="Meetup",
            start_time=start,
            end_time=start + dt.timedelta(hours=1),
            location="Town hall",
            entity_type=discord.EntityType.external,
            privacy_level=discord.PrivacyLevel.guild_only,
        )
        await alice.interested(event.id)
        await g.fetch_scheduled_events()
        await g.fetch_scheduled_event(event.id)
        [u async for u in event.users()]
        await event.edit(name="Meetup 2")
        dm = await member.create_dm()
        await dm.send("private")
        await msg.unpin()
        await msg.delete()
        await role.delete()
        await other.delete()
        await text.delete()
        since = len(sb.log)
        r = await alice.slash("hello")
        await sb.wait_for_call(
            route="/webhooks/{webhook_id}/{webhook_token}/messages/@original", since=since
        )
        assert r.content == "hi!"
    assert sb.response_problems == []
    routes = {(c.method, c.route) for c in sb.log}
    assert len(routes) >= 40, sorted(routes)

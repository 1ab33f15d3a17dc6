"""Gateway behaviour seen by an unmodified discord.py client."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import discord

from discord_sandbox import Sandbox
from tests.sandbox.conftest import make_bot, running


async def test_connects_ready_and_guild_create(pointed_at: Sandbox) -> None:
    sb = pointed_at
    sb.user("alice")
    bot = make_bot()
    async with running(sb, bot):
        assert bot.user is not None and str(bot.user.id) == sb.bot_user_id
        assert bot.application_id == int(sb.application_id)
        guild = bot.get_guild(int(sb.guild.id))
        assert guild is not None and guild.name == "EIP-SCC"
        assert {c.name for c in guild.text_channels} == {"general", "announcements"}
        assert {r.name for r in guild.roles} >= {"@everyone", "Agora", "Admin"}
        # members intent: discord.py chunked the guild with op 8
        assert {m.name for m in guild.members} == {"admin", "Agora", "alice"}
        me = guild.me
        assert me.guild_permissions.manage_roles and not me.guild_permissions.administrator
        assert guild.owner is not None and guild.owner.name == "admin"


async def test_bad_token_is_closed_with_4004(sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(sandbox.gateway_url + "?v=10&encoding=json") as ws:
            hello = json.loads((await ws.receive()).data)
            assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0
            await ws.send_str(json.dumps({"op": 2, "d": {"token": "nope", "intents": 1}}))
            msg = await ws.receive()
            assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 4004


async def test_heartbeat_is_acked(sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(sandbox.gateway_url) as ws:
            await ws.receive()
            await ws.send_str('{"op":1,"d":null}')
            assert json.loads((await ws.receive()).data) == {"op": 11, "d": None}


async def test_message_content_intent_gates_content(pointed_at: Sandbox) -> None:
    sb = pointed_at
    intents = discord.Intents.default()  # no message_content, no members
    bot = make_bot(intents)
    seen: list[discord.Message] = []
    got = asyncio.Event()

    @bot.event
    async def on_message(message: discord.Message) -> None:
        seen.append(message)
        if len(seen) == 3:
            got.set()

    async with running(sb, bot):
        alice = sb.user("alice")
        await alice.say("general", "secret text")
        await alice.say("general", f"{'<@' + sb.bot_user_id + '>'} hello bot")
        await alice.dm("private words")
        await asyncio.wait_for(got.wait(), 5)
    assert [m.content for m in seen] == ["", f"<@{sb.bot_user_id}> hello bot", "private words"]


async def test_member_events_need_members_intent(pointed_at: Sandbox) -> None:
    sb = pointed_at
    intents = discord.Intents.default()
    bot = make_bot(intents)
    joined: list[str] = []
    synced = asyncio.Event()

    @bot.event
    async def on_member_join(member: discord.Member) -> None:
        joined.append(member.name)

    @bot.event
    async def on_message(message: discord.Message) -> None:
        synced.set()

    async with running(sb, bot):
        await sb.join("carol")
        await sb.user("carol").say("general", "sync point")  # arrives after the join would
        await asyncio.wait_for(synced.wait(), 5)
    assert joined == []


async def test_resume_after_reconnect_replays_missed_events(pointed_at: Sandbox) -> None:
    sb = pointed_at
    bot = make_bot()
    received: list[str] = []
    resumed = asyncio.Event()
    got_after = asyncio.Event()

    @bot.event
    async def on_message(message: discord.Message) -> None:
        received.append(message.content)
        if message.content == "after":
            got_after.set()

    @bot.event
    async def on_resumed() -> None:
        resumed.set()

    async with running(sb, bot):
        alice = sb.user("alice")
        await alice.say("general", "before")
        await sb.gateway_close_abruptly()
        # The bot is disconnected now: these must be replayed on RESUME.
        for i in range(5):
            await alice.say("general", f"missed {i}")
        await asyncio.wait_for(resumed.wait(), 10)
        await alice.say("general", "after")
        await asyncio.wait_for(got_after.wait(), 5)
    assert received == ["before", *[f"missed {i}" for i in range(5)], "after"]
    assert sb.gateway.resume_count == 1 and sb.gateway.identify_count == 1


async def test_op7_reconnect_resumes(pointed_at: Sandbox) -> None:
    sb = pointed_at
    bot = make_bot()
    resumed = asyncio.Event()

    @bot.event
    async def on_resumed() -> None:
        resumed.set()

    async with running(sb, bot):
        await sb.gateway_reconnect()
        await asyncio.wait_for(resumed.wait(), 10)
        assert sb.gateway.resume_count == 1


async def test_invalid_session_not_resumable_reidentifies(pointed_at: Sandbox) -> None:
    sb = pointed_at
    bot = make_bot()
    readies = 0
    ready_again = asyncio.Event()

    @bot.event
    async def on_ready() -> None:
        nonlocal readies
        readies += 1
        if readies == 2:
            ready_again.set()

    async with running(sb, bot):
        await sb.gateway_invalid_session(resumable=False)
        await asyncio.wait_for(ready_again.wait(), 15)
        assert sb.gateway.identify_count == 2


async def test_invalid_session_resumable_resumes(pointed_at: Sandbox) -> None:
    sb = pointed_at
    bot = make_bot()
    resumed = asyncio.Event()

    @bot.event
    async def on_resumed() -> None:
        resumed.set()

    async with running(sb, bot):
        await sb.gateway_invalid_session(resumable=True)
        await asyncio.wait_for(resumed.wait(), 10)
        assert sb.gateway.identify_count == 1 and sb.gateway.resume_count == 1


async def test_scheduled_event_intent_gating(pointed_at: Sandbox) -> None:
    sb = pointed_at
    intents = discord.Intents.default()
    intents.guild_scheduled_events = False
    bot = make_bot(intents)
    created: list[str] = []
    synced = asyncio.Event()

    @bot.event
    async def on_scheduled_event_create(event: discord.ScheduledEvent) -> None:
        created.append(event.name)

    @bot.event
    async def on_guild_role_create(role: discord.Role) -> None:
        synced.set()

    async with running(sb, bot):
        await sb.create_event("Hidden", "2099-01-01T10:00:00+00:00", "2099-01-01T11:00:00+00:00")
        await sb.create_role("Marker")  # GUILDS intent: delivered after the event would be
        await asyncio.wait_for(synced.wait(), 5)
    assert created == []


async def test_several_guilds(pointed_at: Sandbox) -> None:
    sb = pointed_at
    second = sb.create_seed_guild("Second")
    bot = make_bot()
    joined = asyncio.Event()

    @bot.event
    async def on_guild_join(guild: discord.Guild) -> None:
        joined.set()

    async with running(sb, bot):
        assert {g.name for g in bot.guilds} == {"EIP-SCC", "Second"}
        assert bot.get_guild(int(second.id)) is not None
        sb.create_seed_guild("Third")  # the bot is added while connected
        await asyncio.wait_for(joined.wait(), 5)
        assert len(bot.guilds) == 3
    carol = await sb.join("carol", guild=second)
    assert carol.id in second.members and carol.id not in sb.guild.members

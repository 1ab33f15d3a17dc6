"""Discord's REST rules as the sandbox enforces them, seen through discord.py."""

from __future__ import annotations

import asyncio
import time

import discord
import pytest

from discord_sandbox import Sandbox
from discord_sandbox.permissions import Permission
from discord_sandbox.state import BOT_ROLE_PERMISSIONS
from tests.sandbox.conftest import make_bot, running


def _general(bot: discord.Client, sb: Sandbox) -> discord.TextChannel:
    channel = bot.get_channel(int(sb.channel("general").id))
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_nonce_deduplication(pointed_at: Sandbox) -> None:
    sb = pointed_at
    bot = make_bot()
    async with running(sb, bot):
        channel = _general(bot, sb)
        # discord.py sends enforce_nonce: true with every nonce.
        first = await channel.send("hello", nonce="abc123")
        second = await channel.send("hello", nonce="abc123")
        other = await channel.send("hello", nonce="other")
        raw = await bot.http.request(
            discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=channel.id),
            json={"content": "hello", "nonce": "abc123"},  # not enforced: a new message
        )
    assert first.id == second.id
    assert len({first.id, other.id, int(raw["id"])}) == 3
    creates = [
        e for e, d in sb.gateway.history if e == "MESSAGE_CREATE" and d.get("nonce") == "abc123"
    ]
    assert len(creates) == 2
    assert [m["content"] for m in sb.messages("general")] == ["hello"] * 3


async def test_missing_manage_roles_is_403(pointed_at: Sandbox) -> None:
    sb = pointed_at
    agora = sb.role("Agora")
    agora.permissions = BOT_ROLE_PERMISSIONS & ~Permission.MANAGE_ROLES
    bot = make_bot()
    async with running(sb, bot):
        guild = bot.get_guild(int(sb.guild.id))
        assert guild is not None
        with pytest.raises(discord.Forbidden) as info:
            await guild.create_role(name="Mentor")
        assert info.value.code == 50013 and info.value.status == 403
        assert "Mentor" not in {r.name for r in sb.guild.roles.values()}


async def test_role_hierarchy(pointed_at: Sandbox) -> None:
    sb = pointed_at
    alice = sb.user("alice")
    bot = make_bot()
    async with running(sb, bot):
        guild = bot.get_guild(int(sb.guild.id))
        assert guild is not None
        mentor = await guild.create_role(name="Mentor")
        assert mentor.position < guild.me.top_role.position
        member = await guild.fetch_member(int(alice.id))
        await member.add_roles(mentor)
        assert mentor.id in {int(r) for r in sb.member("alice").roles}
        admin_role = guild.get_role(int(sb.role("Admin").id))
        assert admin_role is not None and admin_role.position > guild.me.top_role.position
        with pytest.raises(discord.Forbidden) as info:
            await member.add_roles(admin_role)
        assert info.value.code == 50013
        with pytest.raises(discord.Forbidden):
            await admin_role.edit(name="Renamed")
        # A role edited by hand above the bot becomes untouchable too.
        mentor_record = sb.role("Mentor")
        mentor_record.position = 99
        with pytest.raises(discord.Forbidden):
            await member.remove_roles(mentor)


async def test_rate_limit_429_is_retried_by_discord_py(pointed_at: Sandbox) -> None:
    sb = pointed_at
    sb.set_rate_limit("POST /channels/{channel_id}/messages", 2, 0.5)
    bot = make_bot()
    async with running(sb, bot):
        channel = _general(bot, sb)
        start = time.monotonic()
        for i in range(4):
            await channel.send(f"m{i}")
        elapsed = time.monotonic() - start
    statuses = [c.status for c in sb.log.find("POST", "/channels/{channel_id}/messages")]
    assert statuses.count(200) == 4
    assert elapsed >= 0.3  # discord.py waited for the bucket to reset
    headers_seen = sb.log.find("POST", "/channels/{channel_id}/messages")
    assert headers_seen


async def test_429_shape(sandbox: Sandbox) -> None:
    import aiohttp

    sb = sandbox
    sb.set_rate_limit("GET /users/@me", 1, 30)
    async with aiohttp.ClientSession(headers={"Authorization": sb.auth_header}) as http:
        async with http.get(sb.api_base + "/users/@me") as ok:
            assert ok.status == 200
            assert ok.headers["X-RateLimit-Limit"] == "1"
            assert ok.headers["X-RateLimit-Remaining"] == "0"
            assert "X-RateLimit-Bucket" in ok.headers and "X-RateLimit-Reset-After" in ok.headers
        async with http.get(sb.api_base + "/users/@me") as limited:
            assert limited.status == 429
            body = await limited.json()
            assert body["retry_after"] > 0 and body["global"] is False
            assert limited.headers["X-RateLimit-Scope"] == "user"
            assert int(limited.headers["Retry-After"]) >= 1
        async with http.get(
            sb.api_base + "/users/@me", headers={"Authorization": "Bot wrong"}
        ) as bad:
            assert bad.status == 401
            assert await bad.json() == {"message": "401: Unauthorized", "code": 0}


async def test_injected_500_is_retried_and_delay_applies(pointed_at: Sandbox) -> None:
    sb = pointed_at
    bot = make_bot()
    async with running(sb, bot):
        channel = _general(bot, sb)
        sb.fail_next("POST /channels/*/messages", status=500)
        msg = await channel.send("after a 500")
        assert msg.content == "after a 500"
        statuses = [c.status for c in sb.log.find("POST", "/channels/{channel_id}/messages")]
        assert statuses == [500, 200]
        sb.delay_next("/channels/{channel_id}/messages", 0.3)
        start = time.monotonic()
        await channel.send("slow")
        assert time.monotonic() - start >= 0.3


async def test_stopped_heartbeat_acks_make_the_client_reconnect(pointed_at: Sandbox) -> None:
    sb = pointed_at
    sb.gateway.heartbeat_interval_ms = 200
    bot = make_bot(heartbeat_timeout=0.5)
    resumed = asyncio.Event()

    @bot.event
    async def on_resumed() -> None:
        resumed.set()

    async with running(sb, bot):
        sb.stop_heartbeat_acks()
        # No ack (and nothing else) for longer than heartbeat_timeout: a zombie connection.
        await asyncio.wait_for(resumed.wait(), 10)
        sb.stop_heartbeat_acks(False)
    assert sb.gateway.resume_count >= 1

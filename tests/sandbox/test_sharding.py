"""Sharding as Discord does it: ``GET /gateway/bot``, IDENTIFY with ``shard``, each session
receiving only its guilds' events, 4010 / 4011, several bot processes on one sandbox.

The sandbox here has four guilds spread 2 and 2 over two shards (``create_seed_guilds``) and
at most two guilds per shard, so one unsharded session is refused with 4011.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import discord
import orjson
import pytest
import yarl
from discord.ext import commands

from discord_sandbox import Sandbox
from discord_sandbox.gateway import shard_of
from discord_sandbox.models import Guild

ROOT = Path(__file__).resolve().parents[2]
# guilds, members, guild messages, DMs, message content, scheduled events
INTENTS = (1 << 0) | (1 << 1) | (1 << 9) | (1 << 12) | (1 << 15) | (1 << 16)


@pytest.fixture
async def four_guilds() -> AsyncIterator[Sandbox]:
    sb = Sandbox(guilds_per_shard=2, max_concurrency=2)
    await sb.start()
    sb.create_seed_guilds(4, "EIP-SCC")
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = sb.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sb.gateway_url)
    try:
        yield sb
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway
        await sb.stop()


def on_shard(sb: Sandbox, shard_id: int, num_shards: int = 2) -> list[Guild]:
    return [g for g in sb.state.guilds.values() if shard_of(g.id, num_shards) == shard_id]


class ShardedBot(commands.AutoShardedBot):
    """A bot process running some shards; it answers ``/where`` and records what it saw."""

    def __init__(self, **options: Any) -> None:
        intents = discord.Intents.default()
        intents.members = True
        intents.message_content = True
        super().__init__(command_prefix="!", intents=intents, guild_ready_timeout=0.1, **options)
        self.messages: list[discord.Message] = []
        self.interactions: list[discord.Interaction] = []
        self.seen = asyncio.Event()

        @self.tree.command(name="where", description="Which shard answers")
        async def where(interaction: discord.Interaction) -> None:
            self.interactions.append(interaction)
            assert interaction.guild is not None
            await interaction.response.send_message(f"shard {interaction.guild.shard_id}")

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # discord.py waits 5 s between shards by default; max_concurrency 2 lets two shards
        # identify at once (the sandbox refuses a third within 5 s with op 9 when enforcing).
        return

    async def on_message(self, message: discord.Message) -> None:
        self.messages.append(message)
        self.seen.set()

    async def saw(self, content: str) -> None:
        """Wait until this bot received a message with ``content``."""
        while not any(m.content == content for m in self.messages):
            self.seen.clear()
            await asyncio.wait_for(self.seen.wait(), 5)


@contextlib.asynccontextmanager
async def running(sb: Sandbox, bot: ShardedBot) -> AsyncIterator[ShardedBot]:
    """Log in, connect every shard of ``bot`` and wait for READY; close afterwards."""
    await bot.login(sb.bot_token)
    task = asyncio.create_task(bot.connect(reconnect=True))
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 10)
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(task, 5)


def sessions_with(sb: Sandbox, needle: str) -> set[tuple[int, int] | None]:
    """The shards of the sessions that were sent a frame containing ``needle``."""
    return {
        s.shard
        for s in sb.gateway.sessions.values()
        if any(needle in frame for _, frame in s.backlog)
    }


# ---- GET /gateway/bot ------------------------------------------------------------------------
async def test_gateway_bot_recommends_shards_and_counts_session_starts(
    four_guilds: Sandbox,
) -> None:
    sb = four_guilds
    now = [1000.0]
    sb.gateway.clock = lambda: now[0]
    headers = {"Authorization": sb.auth_header}
    async with aiohttp.ClientSession(headers=headers) as http:

        async def gateway_bot() -> dict[str, Any]:
            async with http.get(f"{sb.api_base}/gateway/bot") as reply:
                assert reply.status == 200
                body: dict[str, Any] = await reply.json()
                return body

        first = await gateway_bot()
        assert first["url"] == sb.gateway_url.rstrip("/")
        assert first["shards"] == 2  # 4 guilds, 2 per shard
        assert first["session_start_limit"] == {
            "total": 1000,
            "remaining": 1000,
            "reset_after": 86_400_000,
            "max_concurrency": 2,
        }
        async with connect(sb, [0, 2]) as (_, ready):
            assert ready["t"] == "READY"
        async with connect(sb, [1, 2]) as (_, ready):
            assert ready["t"] == "READY"
        now[0] += 60.0
        after = (await gateway_bot())["session_start_limit"]
        assert after["remaining"] == 998
        assert after["reset_after"] == 86_400_000 - 60_000
        now[0] += 86_400.0 - 60.0  # the window has passed: back to the total
        reset = (await gateway_bot())["session_start_limit"]
        assert reset["remaining"] == 1000 and reset["reset_after"] == 86_400_000
        sb.create_seed_guild("Fifth")
        assert (await gateway_bot())["shards"] == 3


# ---- raw IDENTIFY ------------------------------------------------------------------------------
@contextlib.asynccontextmanager
async def connect(
    sb: Sandbox, shard: Any = None, *, omit_shard: bool = False
) -> AsyncIterator[tuple[aiohttp.ClientWebSocketResponse, dict[str, Any]]]:
    """A websocket that sent IDENTIFY (with ``shard`` unless ``omit_shard``), and the first
    thing the sandbox answered: a frame's JSON, or ``{"close": code}``."""
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(sb.gateway_url + "?v=10&encoding=json") as ws:
            assert (await ws.receive_json())["op"] == 10
            data: dict[str, Any] = {"token": sb.bot_token, "intents": INTENTS, "properties": {}}
            if not omit_shard:
                data["shard"] = shard
            await ws.send_json({"op": 2, "d": data})
            msg = await ws.receive()
            if msg.type == aiohttp.WSMsgType.CLOSE:
                yield ws, {"close": msg.data}
            else:
                yield ws, msg.json()


async def read_guild_creates(ws: aiohttp.ClientWebSocketResponse, count: int) -> list[str]:
    ids: list[str] = []
    while len(ids) < count:
        frame = await asyncio.wait_for(ws.receive_json(), 5)
        if frame.get("t") == "GUILD_CREATE":
            ids.append(frame["d"]["id"])
    return ids


@pytest.mark.parametrize(
    "shard", [[2, 2], [-1, 2], [0, 0], [0], [0, 2, 1], "0,2", [True, 2], [0.0, 2], None]
)
async def test_an_invalid_shard_is_closed_with_4010(four_guilds: Sandbox, shard: Any) -> None:
    async with connect(four_guilds, shard) as (_, answer):
        assert answer == {"close": 4010}
    assert not four_guilds.gateway.sessions


async def test_a_session_holding_too_many_guilds_is_closed_with_4011(
    four_guilds: Sandbox,
) -> None:
    sb = four_guilds
    async with connect(sb, omit_shard=True) as (_, answer):
        assert answer == {"close": 4011}  # 4 guilds unsharded, 2 per shard at most
    async with connect(sb, [0, 1]) as (_, answer):
        assert answer == {"close": 4011}
    # discord.py stops with the close code instead of reconnecting
    client = discord.Client(intents=discord.Intents.default())
    await client.login(sb.bot_token)
    with pytest.raises(discord.ConnectionClosed) as closed:
        await asyncio.wait_for(client.connect(reconnect=True), 10)
    assert closed.value.code == 4011
    await client.close()
    assert not sb.gateway.sessions


async def test_ready_and_guild_create_carry_only_the_shards_guilds(
    four_guilds: Sandbox,
) -> None:
    sb = four_guilds
    for shard_id in (0, 1):
        async with connect(sb, [shard_id, 2]) as (ws, ready):
            mine = sorted(g.id for g in on_shard(sb, shard_id))
            assert len(mine) == 2
            assert ready["d"]["shard"] == [shard_id, 2]
            assert sorted(g["id"] for g in ready["d"]["guilds"]) == mine
            assert sorted(await read_guild_creates(ws, 2)) == mine


async def test_identify_beyond_max_concurrency_gets_invalid_session(
    four_guilds: Sandbox,
) -> None:
    sb = four_guilds
    now = [50.0]
    sb.gateway.clock = lambda: now[0]
    sb.gateway.enforce_identify_concurrency = True
    sb.gateway.max_concurrency = 1  # shards 0 and 1 share one bucket
    async with connect(sb, [0, 2]) as (_, ready):
        assert ready["t"] == "READY"
    async with connect(sb, [1, 2]) as (_, refused):
        assert refused == {"op": 9, "d": False}
    now[0] += 5.0
    async with connect(sb, [1, 2]) as (_, ready):
        assert ready["t"] == "READY"


# ---- several processes -------------------------------------------------------------------------
async def test_auto_sharded_client_sees_every_guild_on_its_shard(four_guilds: Sandbox) -> None:
    sb = four_guilds
    sb.gateway.enforce_identify_concurrency = True  # both shards at once: max_concurrency 2
    bot = ShardedBot(shard_count=2)
    async with running(sb, bot):
        assert sorted(g.id for g in bot.guilds) == sorted(int(g) for g in sb.state.guilds)
        for guild in bot.guilds:
            assert guild.shard_id == shard_of(guild.id, 2)
            assert {c.name for c in guild.text_channels} == {"general", "announcements"}
        assert [s.shard for s in sb.gateway.sessions.values()] == [(0, 2), (1, 2)]


@contextlib.asynccontextmanager
async def two_processes(sb: Sandbox) -> AsyncIterator[tuple[ShardedBot, ShardedBot]]:
    """Two bot processes on one sandbox: shard 0 and shard 1 of 2."""
    first, second = (
        ShardedBot(shard_count=2, shard_ids=[0]),
        ShardedBot(shard_count=2, shard_ids=[1]),
    )
    async with running(sb, first), running(sb, second):
        yield first, second


async def test_two_processes_see_disjoint_guilds_and_only_their_events(
    four_guilds: Sandbox,
) -> None:
    sb = four_guilds
    zero, one = on_shard(sb, 0), on_shard(sb, 1)
    async with two_processes(sb) as (first, second):
        assert {g.id for g in first.guilds} == {int(g.id) for g in zero}
        assert {g.id for g in second.guilds} == {int(g.id) for g in one}
        alice = await sb.join("alice", one[0])
        await sb.join("alice", zero[0])
        await alice.say(sb.channel("general", one[0]), "on shard one")
        await second.saw("on shard one")
        await alice.dm("a direct message")  # no guild: shard 0
        await first.saw("a direct message")
        # each socket is in order: once a later message arrived, an earlier one would have too
        await alice.say(sb.channel("general", zero[0]), "on shard zero")
        await first.saw("on shard zero")
        await alice.say(sb.channel("general", one[1]), "later on shard one")
        await second.saw("later on shard one")
    assert [m.content for m in first.messages] == ["a direct message", "on shard zero"]
    assert [m.content for m in second.messages] == ["on shard one", "later on shard one"]


async def test_an_interaction_reaches_only_the_process_of_its_guilds_shard(
    four_guilds: Sandbox,
) -> None:
    sb = four_guilds
    zero, one = on_shard(sb, 0), on_shard(sb, 1)
    async with two_processes(sb) as (first, second):
        await first.tree.sync()
        alice = await sb.join("alice", one[0])
        result = await alice.slash("where", in_channel=sb.channel("general", one[0]))
        assert result.content == "shard 1"
        await sb.join("alice", zero[1])
        result = await alice.slash("where", in_channel=sb.channel("general", zero[1]))
        assert result.content == "shard 0"
        assert [i.guild_id for i in first.interactions] == [int(zero[1].id)]
        assert [i.guild_id for i in second.interactions] == [int(one[0].id)]
        await alice.say(sb.channel("general", zero[0]), "marker")
        await first.saw("marker")  # the first process would have had the first /where by now
    assert len(first.interactions) == 1 and len(second.interactions) == 1
    assert not sb.failures


async def test_processes_with_different_shard_counts_each_get_their_share(
    four_guilds: Sandbox,
) -> None:
    """A rolling change from 2 to 4 shards: both deployments run at once, each session routed
    by its own (shard_id, num_shards)."""
    sb = four_guilds
    sb.gateway.max_concurrency = 4
    old, new = ShardedBot(shard_count=2), ShardedBot(shard_count=4)
    async with running(sb, old), running(sb, new):
        assert len(old.guilds) == 4 and len(new.guilds) == 4
        assert all(g.shard_id == shard_of(g.id, 4) for g in new.guilds)
        last = sb.state.find_guild("EIP-SCC 4")
        alice = await sb.join("alice", last)
        sent = await alice.say(sb.channel("general", last), "to shard 1 of 2 and 3 of 4")
        await old.saw("to shard 1 of 2 and 3 of 4")
        await new.saw("to shard 1 of 2 and 3 of 4")
        assert sessions_with(sb, sent["id"]) == {(1, 2), (3, 4)}


async def test_identify_keeps_other_shards_sessions_resumable(four_guilds: Sandbox) -> None:
    sb = four_guilds
    async with connect(sb, [0, 2]) as (_, ready_zero):
        pass
    async with connect(sb, [1, 2]) as (_, ready_one):
        pass
    # both connections are gone; another process identifies shard 1 anew
    async with connect(sb, [1, 2]) as (_, ready):
        assert ready["t"] == "READY"
    sessions = sb.gateway.sessions
    assert ready_zero["d"]["session_id"] in sessions
    assert ready_one["d"]["session_id"] not in sessions  # shard 1's old session is given up
    zero_guild, one_guild = on_shard(sb, 0)[0], on_shard(sb, 1)[0]
    alice = await sb.join("alice", zero_guild)
    await sb.join("alice", one_guild)
    await alice.say(sb.channel("general", one_guild), "not for shard zero")
    await alice.say(sb.channel("general", zero_guild), "for shard zero")
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(sb.gateway_url + "?v=10&encoding=json") as ws:
            await ws.receive_json()
            resume = {"token": sb.bot_token, "session_id": ready_zero["d"]["session_id"]}
            await ws.send_json({"op": 6, "d": {**resume, "seq": 3}})  # READY + 2 GUILD_CREATE
            missed: list[dict[str, Any]] = []
            while not missed or missed[-1]["t"] != "RESUMED":
                missed.append(await asyncio.wait_for(ws.receive_json(), 5))
    contents = [f["d"].get("content") for f in missed if f["t"] == "MESSAGE_CREATE"]
    assert contents == ["for shard zero"]  # the resumed session is still shard 0 of 2
    assert sessions[ready_zero["d"]["session_id"]].shard == (0, 2)


async def test_two_sessions_on_one_shard_both_receive_its_events(four_guilds: Sandbox) -> None:
    """Discord lets several sessions identify the same [shard_id, num_shards] and routes the
    shard's traffic to each of them; a fleet running a shard twice answers twice."""
    sb = four_guilds
    guild = on_shard(sb, 1)[0]
    async with connect(sb, [1, 2]) as (_, first), connect(sb, [1, 2]) as (_, second):
        alice = await sb.join("alice", guild)
        sent = await alice.say(sb.channel("general", guild), "twice")
        await sb.drain_gateway()
        holders = {
            sid
            for sid, s in sb.gateway.sessions.items()
            if any(sent["id"] in frame for _, frame in s.backlog)
        }
        assert holders == {first["d"]["session_id"], second["d"]["session_id"]}


async def test_every_kind_of_event_goes_only_to_its_guilds_shard(four_guilds: Sandbox) -> None:
    """Members, roles, channels, threads, messages, pins, scheduled events, interactions in
    every guild, and a DM: each frame a sharded session gets belongs to its shard."""
    sb = four_guilds
    async with connect(sb, [0, 2]) as (_, zero), connect(sb, [1, 2]) as (_, one):
        for guild in sb.state.guilds.values():
            alice = await sb.join("alice", guild)
            role = await sb.create_role("Organiser", guild=guild)
            await sb.add_role("alice", role, guild=guild)
            await sb.set_nick("alice", "Al", guild=guild)
            room = await sb.create_channel("room", guild=guild)
            await sb.rename_channel(room, "hall")
            thread = await alice.start_thread(room, "Pilot", "first post")
            sent = await alice.say(thread, "in the thread")
            await sb.delete_message(sent["id"])
            event = await sb.create_event("Walk", "2031-01-01T10:00:00+00:00", guild=guild)
            await alice.interested(event)
            await sb.delete_channel(room)
            await sb.leave("alice", guild)
        await alice.dm("hello")
        await sb.drain_gateway()
    seen: dict[tuple[int, int], set[str]] = {}
    for session_id in (zero["d"]["session_id"], one["d"]["session_id"]):
        session = sb.gateway.sessions[session_id]
        assert session.shard is not None
        shard_id, num_shards = session.shard
        events = seen.setdefault(session.shard, set())
        for _, frame in session.backlog:
            payload = orjson.loads(frame)
            event, data = payload["t"], payload["d"]
            events.add(event)
            if event == "READY":
                continue
            guild_id = data["id"] if event == "GUILD_CREATE" else data.get("guild_id")
            if guild_id is None:
                assert shard_id == 0, f"{event} without a guild on shard {shard_id}"
            else:
                assert shard_of(guild_id, num_shards) == shard_id, f"{event} on the wrong shard"
    expected = {
        "GUILD_MEMBER_ADD",
        "GUILD_ROLE_CREATE",
        "GUILD_MEMBER_UPDATE",
        "CHANNEL_CREATE",
        "CHANNEL_UPDATE",
        "THREAD_CREATE",
        "MESSAGE_CREATE",
        "MESSAGE_DELETE",
        "GUILD_SCHEDULED_EVENT_CREATE",
        "GUILD_SCHEDULED_EVENT_USER_ADD",
        "CHANNEL_DELETE",
        "GUILD_MEMBER_REMOVE",
    }
    assert expected <= seen[(0, 2)] and expected <= seen[(1, 2)]
    dms = [
        frame
        for _, frame in sb.gateway.sessions[zero["d"]["session_id"]].backlog
        if '"content":"hello"' in frame
    ]
    assert len(dms) == 1


def test_seed_guild_ids_land_on_the_shards_asked_for() -> None:
    sb = Sandbox(validate=False)
    guilds = sb.create_seed_guilds(4)
    assert [shard_of(g.id, 4) for g in guilds] == [0, 1, 2, 3]
    assert [shard_of(g.id, 2) for g in guilds] == [0, 1, 0, 1]
    later = int(sb.state.ids.next())
    assert all(later > int(g.id) for g in guilds)  # ids keep increasing after the picked ones


# ---- python -m discord_sandbox --guilds N ------------------------------------------------------
async def test_standalone_sandbox_with_four_guilds_on_two_shards() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "discord_sandbox",
        "--guilds",
        "4",
        "--guilds-per-shard",
        "2",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    try:
        printed: dict[str, list[str]] = {}
        while True:
            line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
            assert line, "the sandbox exited before serving"
            if line.startswith("serving"):
                break
            name, _, value = line.partition(":")
            printed.setdefault(name, []).append(value.strip())
        guilds = printed["guild"]
        assert [g.split(" (")[0] for g in guilds] == [f"Sandbox {i}" for i in range(1, 5)]
        ids = [g.split("(")[1].split(")")[0] for g in guilds]
        assert [shard_of(i, 2) for i in ids] == [0, 1, 0, 1]
        assert [g.split("; ")[1] for g in guilds] == [
            f"shard {i % 2} of 2, shard {i} of 4" for i in range(4)
        ]
        assert printed["shards"] == ["2 recommended (2 guilds per shard at most)"]
        api = printed["REST base"][0]
        headers = {"Authorization": f"Bot {printed['bot token'][0]}"}
        async with aiohttp.ClientSession(headers=headers) as http:
            async with http.get(f"{api}/gateway/bot") as reply:
                assert (await reply.json())["shards"] == 2
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)
    assert process.returncode == 0

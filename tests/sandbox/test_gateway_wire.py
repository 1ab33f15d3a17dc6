"""The gateway's wire format as Discord's: transport compression (zlib-stream, zstd-stream),
payload compression, binary frames from the client, and Discord's close codes for what the
gateway cannot handle. Driven with a plain aiohttp websocket, byte by byte."""

from __future__ import annotations

import asyncio
import json
import logging
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import discord
import pytest

from discord_sandbox import Sandbox
from discord_sandbox.gateway import _zstd_stream_encoder
from tests.sandbox.conftest import make_bot, running

ZLIB_SUFFIX = b"\x00\x00\xff\xff"
JSON = dict[str, Any]


@asynccontextmanager
async def socket(sb: Sandbox, query: str) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(sb.gateway_url + query) as ws:
            yield ws


async def receive(ws: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
    return await asyncio.wait_for(ws.receive(), 5)


def identify(sb: Sandbox, **extra: Any) -> JSON:
    intents = 513 | (1 << 15)  # guilds, guild messages, message content
    return {"op": 2, "d": {"token": sb.bot_token, "intents": intents, "properties": {}, **extra}}


async def test_zlib_stream_every_frame_binary_from_one_context(sandbox: Sandbox) -> None:
    sb = sandbox
    inflator = zlib.decompressobj()
    async with socket(sb, "?v=10&encoding=json&compress=zlib-stream") as ws:

        async def next_payload() -> JSON:
            msg = await receive(ws)
            assert msg.type == aiohttp.WSMsgType.BINARY, msg
            assert msg.data.endswith(ZLIB_SUFFIX)
            return json.loads(inflator.decompress(msg.data))

        hello = await next_payload()
        assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0
        # IDENTIFY and HEARTBEAT as binary frames (UTF-8 JSON), as hikari sends them.
        await ws.send_bytes(json.dumps(identify(sb, compress=True)).encode())
        ready = await next_payload()
        assert (ready["op"], ready["t"], ready["s"]) == (0, "READY", 1)
        guild_create = await next_payload()
        assert guild_create["t"] == "GUILD_CREATE" and guild_create["d"]["name"] == "EIP-SCC"
        await ws.send_bytes(b'{"op":1,"d":2}')
        assert await next_payload() == {"op": 11, "d": None}
        # Later dispatches continue the same zlib stream (a fresh context could not read them).
        await sb.user("alice").say("general", "hello")
        created = await next_payload()
        while created["t"] != "MESSAGE_CREATE":
            created = await next_payload()
        assert created["d"]["content"] == "hello"
    conn = sb.gateway.connections_opened[-1]
    assert conn.transport_compression == "zlib-stream"
    assert not conn.payload_compression  # transport compression turns it off, as on Discord
    assert conn.binary_frames_received == 2


async def test_payload_compression_each_payload_its_own_zlib_stream(sandbox: Sandbox) -> None:
    sb = sandbox
    async with socket(sb, "?v=10&encoding=json") as ws:
        hello = await receive(ws)
        assert hello.type == aiohttp.WSMsgType.TEXT and json.loads(hello.data)["op"] == 10
        await ws.send_str(json.dumps(identify(sb, compress=True)))
        for event in ("READY", "GUILD_CREATE"):
            msg = await receive(ws)
            assert msg.type == aiohttp.WSMsgType.BINARY
            assert json.loads(zlib.decompress(msg.data))["t"] == event  # a complete stream
        # A client may send its payload compressed too.
        await ws.send_bytes(zlib.compress(b'{"op":1,"d":2}'))
        ack = await receive(ws)
        assert json.loads(zlib.decompress(ack.data)) == {"op": 11, "d": None}


async def test_without_compression_frames_are_text(sandbox: Sandbox) -> None:
    sb = sandbox
    async with socket(sb, "?v=10&encoding=json") as ws:
        assert json.loads((await receive(ws)).data)["op"] == 10
        await ws.send_str(json.dumps(identify(sb, compress=False)))
        for event in ("READY", "GUILD_CREATE"):
            msg = await receive(ws)
            assert msg.type == aiohttp.WSMsgType.TEXT and json.loads(msg.data)["t"] == event


async def test_zstd_stream_when_a_zstd_module_is_installed(sandbox: Sandbox) -> None:
    if _zstd_stream_encoder() is None:
        async with socket(sandbox, "?v=10&encoding=json&compress=zstd-stream") as ws:
            msg = await receive(ws)
            assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 4000
        return
    zstandard = pytest.importorskip("zstandard")  # the reading side of this test
    inflator = zstandard.ZstdDecompressor().decompressobj()
    async with socket(sandbox, "?v=10&encoding=json&compress=zstd-stream") as ws:
        msg = await receive(ws)
        assert msg.type == aiohttp.WSMsgType.BINARY
        assert json.loads(inflator.decompress(msg.data))["op"] == 10
        await ws.send_bytes(json.dumps(identify(sandbox)).encode())
        ready = json.loads(inflator.decompress((await receive(ws)).data))
        assert ready["t"] == "READY"


async def test_discordpy_connects_with_its_default_transport_compression(
    pointed_at: Sandbox,
) -> None:
    sb = pointed_at
    wanted = discord.utils._ActiveDecompressionContext.COMPRESSION_TYPE  # zlib-stream or zstd
    bot = make_bot()
    got = {"compressed hello": asyncio.Event(), "after resume": asyncio.Event()}
    seen: list[str] = []

    @bot.event
    async def on_message(message: discord.Message) -> None:
        seen.append(message.content)
        got[message.content].set()

    async with running(sb, bot):
        await sb.user("alice").say("general", "compressed hello")
        await asyncio.wait_for(got["compressed hello"].wait(), 5)
        await sb.gateway_reconnect()  # RESUME over a new connection and a new context
        await sb.user("alice").say("general", "after resume")
        await asyncio.wait_for(got["after resume"].wait(), 10)
    assert seen == ["compressed hello", "after resume"]
    assert sb.gateway.resume_count == 1
    conns = list(sb.gateway.connections_opened)
    assert len(conns) == 2
    assert all(c.transport_compression == wanted for c in conns)


async def close_reply(ws: aiohttp.ClientWebSocketResponse) -> tuple[int, str]:
    msg = await receive(ws)
    while msg.type != aiohttp.WSMsgType.CLOSE:
        msg = await receive(ws)
    return int(msg.data), str(msg.extra)


@pytest.mark.parametrize(
    ("frames", "code", "reason"),
    [
        ([b"\xff\xfe not json"], 4002, "Decode error."),
        (["{not json"], 4002, "Decode error."),
        ([b"\x78\x9c broken zlib"], 4002, "Decode error."),
        (['["op", 1]'], 4002, "Decode error."),
        (['{"op": 99, "d": null}'], 4001, "Unknown opcode."),
        (['{"op": 0, "d": {}}'], 4001, "Unknown opcode."),
        (['{"op": 8, "d": {"guild_id": "1"}}'], 4003, "Not authenticated."),
        (['{"op": 2, "d": "token"}'], 4001, "Unknown opcode."),
    ],
)
async def test_what_cannot_be_handled_is_closed_and_logged(
    sandbox: Sandbox,
    caplog: pytest.LogCaptureFixture,
    frames: list[str | bytes],
    code: int,
    reason: str,
) -> None:
    caplog.set_level(logging.WARNING, logger="discord_sandbox.gateway")
    async with socket(sandbox, "?v=10&encoding=json") as ws:
        await receive(ws)  # HELLO
        for frame in frames:
            if isinstance(frame, bytes):
                await ws.send_bytes(frame)
            else:
                await ws.send_str(frame)
        assert await close_reply(ws) == (code, reason)
    assert any(str(code) in r.getMessage() for r in caplog.records)


async def test_a_second_identify_is_closed_with_4005(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="discord_sandbox.gateway")
    async with socket(sandbox, "?v=10&encoding=json") as ws:
        await receive(ws)
        await ws.send_str(json.dumps(identify(sandbox)))
        await ws.send_str(json.dumps(identify(sandbox)))
        assert await close_reply(ws) == (4005, "Already authenticated.")
    assert any("4005" in r.getMessage() for r in caplog.records)


async def test_an_unknown_gateway_version_is_closed_with_4012(sandbox: Sandbox) -> None:
    async with socket(sandbox, "?v=3&encoding=json") as ws:
        assert await close_reply(ws) == (4012, "Invalid API version.")
    async with socket(sandbox, "?v=9&encoding=json") as ws:  # v9 is served
        assert json.loads((await receive(ws)).data)["op"] == 10

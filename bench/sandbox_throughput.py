"""Sandbox throughput: gateway events/s and schema-validated REST requests/s.

    python bench/sandbox_throughput.py [--events 30000] [--seconds 5] [--concurrency 32]
        [--validations 20000]

The sandbox runs alone in this process (request validation against the OpenAPI spec on, as
in the tests); the load comes from a separate client process, so the figures are the
sandbox's, not the client's:

1. gateway: a raw websocket client identifies (GUILDS, GUILD_MESSAGES, MESSAGE_CONTENT) and
   counts MESSAGE_CREATE frames while a user driver posts ``--events`` messages; events/s is
   messages / (last frame received - first message posted).
2. REST: an aiohttp client keeps ``--concurrency`` requests in flight for ``--seconds``,
   POSTing a typical bot message (content, an embed with fields, two buttons,
   allowed_mentions) to /channels/{id}/messages with the bot token; completed requests/s and
   latency percentiles. Every reply must be 200 (a 400 would mean validation refused it).
3. validator: in this process, the time one ``validate_request`` takes for that message
   body (valid: jsonschema-rs alone), for the same body with a too-long embed title
   (refused: jsonschema then builds Discord's ``errors`` object) and for a path whose id
   is not a snowflake (a new path each call, so no cached verdict).

The spec is Agora's (``$DISCORD_OPENAPI_SPEC``, else ``../shared/discord-api/openapi.json``).

Prints a table and one JSON line. Targets: >= 3,000 events/s, >= 2,000 requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
import yarl

from bench._sandbox import agora_sandbox
from discord_sandbox.server import Sandbox

GATEWAY_TARGET = 3000
REST_TARGET = 2000
# GUILDS | GUILD_MESSAGES | MESSAGE_CONTENT
_INTENTS = (1 << 0) | (1 << 9) | (1 << 15)


def message_body(index: int) -> dict[str, Any]:
    return {
        "content": f"Reminder {index}: the Humble Lamppost meetup starts in one hour.",
        "embeds": [
            {
                "title": "Humble Lamppost — pilot walk",
                "description": "We walk the pilot street and note which lamps dim at night.",
                "color": 0x5865F2,
                "fields": [
                    {"name": "When", "value": "<t:1780000000:F>", "inline": True},
                    {"name": "Where", "value": "Main square", "inline": True},
                    {"name": "Going", "value": "12", "inline": True},
                ],
                "footer": {"text": "Agora · EIP-SCC"},
            }
        ],
        "components": [
            {
                "type": 1,
                "components": [
                    {"type": 2, "style": 3, "label": "Going", "custom_id": f"rsvp:{index}:yes"},
                    {"type": 2, "style": 2, "label": "Maybe", "custom_id": f"rsvp:{index}:maybe"},
                ],
            }
        ],
        "allowed_mentions": {"parse": []},
        "tts": False,
    }


# ---- client side (runs in a child process) ------------------------------------------------
async def gateway_client(url: str, token: str, expected: int) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"{url}?v=10&encoding=json", max_msg_size=0) as ws:
            await ws.receive_json()  # HELLO
            identify = {
                "op": 2,
                "d": {
                    "token": token,
                    "intents": _INTENTS,
                    "properties": {"os": "linux", "browser": "bench", "device": "bench"},
                },
            }
            await ws.send_json(identify)
            while '"t":"GUILD_CREATE"' not in (await ws.receive()).data:
                pass
            print("ready", flush=True)
            received, first, last = 0, 0.0, 0.0
            async for frame in ws:
                # A substring test rather than json.loads keeps the client cheap: the figure
                # must be the sandbox's, not this parser's.
                if frame.type == aiohttp.WSMsgType.TEXT and '"t":"MESSAGE_CREATE"' in frame.data:
                    last = time.monotonic()
                    first = first or last
                    received += 1
                    if received == expected:
                        break
            return {"received": received, "first": first, "last": last}


async def rest_client(
    api: str, token: str, channel_id: str, seconds: float, concurrency: int
) -> dict[str, Any]:
    url = f"{api}/channels/{channel_id}/messages"
    headers = {"Authorization": f"Bot {token}", "Content-Type": "application/json"}
    bodies = [json.dumps(message_body(i)).encode() for i in range(64)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker(offset: int, until: float, record: bool) -> None:
            index = offset
            while time.monotonic() < until:
                started = time.monotonic()
                async with session.post(url, data=bodies[index % 64], headers=headers) as reply:
                    await reply.read()
                    if record:
                        statuses[reply.status] = statuses.get(reply.status, 0) + 1
                if record:
                    latencies.append(time.monotonic() - started)
                index += concurrency

        warmup_end = time.monotonic() + 0.5
        await asyncio.gather(*(worker(i, warmup_end, False) for i in range(concurrency)))
        started = time.monotonic()
        await asyncio.gather(*(worker(i, started + seconds, True) for i in range(concurrency)))
        elapsed = time.monotonic() - started
    return _rest_figures(latencies, statuses, elapsed, concurrency)


def _rest_figures(
    latencies: list[float], statuses: dict[int, int], elapsed: float, concurrency: int
) -> dict[str, Any]:
    latencies.sort()

    def percentile(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2)

    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 3),
        "requests_per_s": round(len(latencies) / elapsed),
        "concurrency": concurrency,
        "p50_ms": percentile(0.50),
        "p90_ms": percentile(0.90),
        "p99_ms": percentile(0.99),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2),
        "statuses": statuses,
    }


async def lean_rest_client(
    api: str, token: str, channel_id: str, seconds: float, concurrency: int
) -> dict[str, Any]:
    """The same load over raw keep-alive HTTP/1.1 connections: a request is one write of
    prebuilt bytes and a reply one header read plus a body read, so the client needs a
    fraction of the CPU aiohttp's client does and the sandbox becomes the bottleneck."""
    url = yarl.URL(api)
    host, port = url.host or "127.0.0.1", url.port or 80
    path = f"{url.path}/channels/{channel_id}/messages"
    requests = []
    for index in range(64):
        body = json.dumps(message_body(index)).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bot {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        requests.append(head.encode() + body)
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def worker(offset: int, until: float, record: bool) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        index = offset
        try:
            while time.monotonic() < until:
                started = time.monotonic()
                writer.write(requests[index % 64])
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                await reader.readexactly(length)
                if record:
                    status = int(head[9:12])
                    statuses[status] = statuses.get(status, 0) + 1
                    latencies.append(time.monotonic() - started)
                index += concurrency
        finally:
            writer.close()

    warmup_end = time.monotonic() + 0.5
    await asyncio.gather(*(worker(i, warmup_end, False) for i in range(concurrency)))
    started = time.monotonic()
    await asyncio.gather(*(worker(i, started + seconds, True) for i in range(concurrency)))
    return _rest_figures(latencies, statuses, time.monotonic() - started, concurrency)


def client_main(argv: list[str]) -> None:
    use_uvloop = argv[0] == "--uvloop"
    mode, *args = argv[1:] if use_uvloop else argv
    if mode == "gateway":
        result = _run(gateway_client(args[0], args[1], int(args[2])), use_uvloop)
    else:
        client = lean_rest_client if mode == "rest-lean" else rest_client
        coroutine = client(args[0], args[1], args[2], float(args[3]), int(args[4]))
        result = _run(coroutine, use_uvloop)
    print(json.dumps(result), flush=True)


# ---- sandbox side -------------------------------------------------------------------------
def _run(coroutine: Any, use_uvloop: bool) -> Any:
    if use_uvloop:
        import uvloop

        return uvloop.run(coroutine)
    return asyncio.run(coroutine)


async def _spawn(*args: str) -> asyncio.subprocess.Process:
    flag = ["--uvloop"] if "uvloop" in type(asyncio.get_running_loop()).__module__ else []
    return await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--client", *flag, *args, stdout=asyncio.subprocess.PIPE
    )


async def bench_gateway(sandbox: Sandbox, events: int) -> dict[str, Any]:
    client = await _spawn("gateway", sandbox.gateway_url, sandbox.bot_token, str(events))
    assert client.stdout is not None
    assert (await client.stdout.readline()).strip() == b"ready"
    alice = sandbox.user("alice")
    started = time.monotonic()
    for index in range(events):
        await alice.say("general", f"message {index} about the Humble Lamppost pilot")
        if index % 200 == 199:
            await asyncio.sleep(0)  # let the gateway writer drain, as a live sandbox would
    posted = time.monotonic()
    result = json.loads(await client.stdout.readline())
    await client.wait()
    elapsed = result["last"] - started
    return {
        "events": result["received"],
        "seconds": round(elapsed, 3),
        "events_per_s": round(result["received"] / elapsed),
        "posting_seconds": round(posted - started, 3),
    }


async def bench_rest(
    sandbox: Sandbox, client_kind: str, seconds: float, concurrency: int
) -> dict[str, Any]:
    channel = sandbox.channel("general")
    client = await _spawn(
        client_kind, sandbox.api_base, sandbox.bot_token, channel.id, str(seconds), str(concurrency)
    )
    assert client.stdout is not None
    cpu_before, wall_before = time.process_time(), time.monotonic()
    result: dict[str, Any] = json.loads(await client.stdout.readline())
    cpu, wall = time.process_time() - cpu_before, time.monotonic() - wall_before
    await client.wait()
    # How busy the sandbox's process was: near 1.0 means the sandbox is the bottleneck.
    result["sandbox_cpu_share"] = round(cpu / wall, 2)
    result["sandbox_cpu_ms_per_request"] = round(cpu / max(1, result["requests"]) * 1000, 3)
    return result


def bench_validator(sandbox: Sandbox, calls: int) -> dict[str, Any]:
    validator = sandbox.validator
    assert validator is not None
    path = f"/channels/{sandbox.channel('general').id}/messages"
    valid = json.loads(json.dumps(message_body(0)))
    refused = json.loads(json.dumps(message_body(1)))
    refused["embeds"][0]["title"] = "x" * 300

    def per_call(check: Any, count: int) -> float:
        check(0)  # compiled on first use: not timed
        started = time.perf_counter()
        for index in range(count):
            check(index)
        return round((time.perf_counter() - started) / count * 1e6, 2)

    assert validator.validate_request("POST", path, valid) is None
    assert validator.validate_request("POST", path, refused) is not None
    return {
        "calls": calls,
        "valid_body_us": per_call(lambda _: validator.validate_request("POST", path, valid), calls),
        "refused_body_us": per_call(
            lambda _: validator.validate_request("POST", path, refused), max(1, calls // 10)
        ),
        "bad_path_id_us": per_call(
            lambda i: validator.validate_request("GET", f"/channels/x{i}", None),
            max(1, calls // 10),
        ),
    }


async def main(arguments: argparse.Namespace) -> dict[str, Any]:
    sandbox = agora_sandbox()
    if sandbox.validator is None:
        raise SystemExit("the OpenAPI spec is missing: this benchmark measures validation too")
    await sandbox.start()
    try:
        sandbox.create_seed_guild("EIP-SCC")
        gateway = await bench_gateway(sandbox, arguments.events)
        rest_lean = await bench_rest(sandbox, "rest-lean", arguments.seconds, arguments.concurrency)
        rest = await bench_rest(sandbox, "rest", arguments.seconds, arguments.concurrency)
        validator = bench_validator(sandbox, arguments.validations)
    finally:
        await sandbox.stop()
    return {
        "gateway": gateway,
        "rest": rest_lean,
        "rest_aiohttp_client": rest,
        "validator": validator,
    }


def _print_table(figures: dict[str, Any]) -> None:
    gateway = figures["gateway"]
    rows = [
        (
            "gateway MESSAGE_CREATE events/s",
            f"{gateway['events_per_s']:,}",
            f">= {GATEWAY_TARGET:,}",
        ),
        ("  events, seconds", f"{gateway['events']:,} in {gateway['seconds']} s", ""),
    ]
    for key, title in (("rest", "lean HTTP client"), ("rest_aiohttp_client", "aiohttp client")):
        rest = figures[key]
        rows += [
            (f"REST requests/s, {title}", f"{rest['requests_per_s']:,}", f">= {REST_TARGET:,}"),
            (
                "  requests, seconds, in flight",
                f"{rest['requests']:,} in {rest['seconds']} s, {rest['concurrency']}",
                "",
            ),
            (
                "  latency p50 / p90 / p99 ms",
                f"{rest['p50_ms']} / {rest['p90_ms']} / {rest['p99_ms']}",
                "",
            ),
            (
                "  sandbox CPU share, ms/request",
                f"{rest['sandbox_cpu_share']}, {rest['sandbox_cpu_ms_per_request']}",
                "",
            ),
            ("  statuses", json.dumps(rest["statuses"]), "all 200"),
        ]
    validator = figures["validator"]
    rows += [
        ("validate_request µs: valid body", f"{validator['valid_body_us']}", ""),
        ("  refused body (errors built)", f"{validator['refused_body_us']}", ""),
        ("  path id not a snowflake", f"{validator['bad_path_id_us']}", ""),
    ]
    width = max(len(row[0]) for row in rows)
    for name, value, target in rows:
        print(f"{name.ljust(width)}  {value:>26}  {target}")


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=30000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--validations", type=int, default=20000)
    parser.add_argument(
        "--uvloop",
        action="store_true",
        help="run the sandbox (and the clients) on uvloop, if installed (not a dependency)",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--client"]:
        client_main(sys.argv[2:])
    else:
        arguments = parse_arguments(sys.argv[1:])
        figures = _run(main(arguments), arguments.uvloop)
        figures["uvloop"] = arguments.uvloop
        figures["machine"] = {
            "cpus": __import__("os").cpu_count(),
            "python": platform.python_version(),
        }
        _print_table(figures)
        print(json.dumps(figures))

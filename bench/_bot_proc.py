"""One bot in its own process, for ``bench/run.py``: Agora or the baseline against a sandbox.

    python bench/_bot_proc.py agora|baseline --api-base URL --gateway URL --token T
        --guild-id ID [--db PATH | --db-url postgresql://...] [--spawned-at UNIX_TIME]

Prints one JSON line when ready (``start_to_ready_s``: from building the bot to ready;
``process_to_ready_s``: from ``--spawned-at``, i.e. including interpreter start and
imports), then runs until its stdin closes, then stops cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


async def _stdin_closed() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while await reader.read(4096):
        pass


def _ready(started: float, spawned_at: float | None) -> None:
    line = {"ready": True, "start_to_ready_s": round(time.perf_counter() - started, 3)}
    if spawned_at is not None:
        line["process_to_ready_s"] = round(time.time() - spawned_at, 3)
    print(json.dumps(line), flush=True)


async def run_agora(args: argparse.Namespace) -> None:
    from bot.config import parse_config
    from bot.launch import configure_logging, sandbox_config
    from bot.runtime import start_agora

    started = time.perf_counter()
    raw: dict[str, dict[str, object]] = {
        "database": {"url": args.db_url} if args.db_url else {"path": args.db},
        "logging": {"level": "WARNING"},
    }
    config = sandbox_config(
        parse_config(raw),
        api_base=args.api_base,
        gateway_url=args.gateway,
        token=args.token,
        guild_id=args.guild_id,
    )
    configure_logging(config)
    running = await start_agora(config, ready_timeout=120)
    _ready(started, args.spawned_at)
    try:
        await _stdin_closed()
    finally:
        await running.stop()


async def run_baseline(args: argparse.Namespace) -> None:
    import discord
    import yarl

    from bench.baseline_bot import BaselineBot

    started = time.perf_counter()
    logging.basicConfig(level=logging.WARNING)
    discord.http.Route.BASE = args.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(args.gateway)
    bot = BaselineBot(args.guild_id)
    task = asyncio.create_task(bot.start(args.token))
    waiter = asyncio.create_task(bot.ready_event.wait())
    done, _ = await asyncio.wait({task, waiter}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
    if waiter not in done:
        raise SystemExit(f"baseline not ready: {task.exception() if task.done() else 'timeout'}")
    _ready(started, args.spawned_at)
    try:
        await _stdin_closed()
    finally:
        await bot.close()
        await task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["agora", "baseline"])
    parser.add_argument("--api-base", required=True)
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--guild-id", type=int, required=True)
    parser.add_argument("--db", default="", help="Agora's SQLite file")
    parser.add_argument("--db-url", default="", help="Agora's database URL (instead of --db)")
    parser.add_argument("--spawned-at", type=float, default=None)
    args = parser.parse_args()
    runner = run_agora if args.kind == "agora" else run_baseline
    asyncio.run(runner(args))


if __name__ == "__main__":
    main()

"""One Agora process of a fleet, for ``bench/fleet.py``: some (or all) of the shards,
against a sandbox, on a PostgreSQL database.

    python bench/_fleet_proc.py --api-base URL --gateway URL --token T --db-url postgresql://...
        [--shard-count 2 [--shards 0]] [--spawned-at UNIX_TIME]

As ``run_bot.py --shards ... --shard-count ...`` with ``[discord] api_base/gateway_url/token``
naming the sandbox: global commands (no development guild), synced by shard 0's process.
Without ``--shard-count`` Agora runs unsharded (one gateway session). Prints one JSON line
when ready (``start_to_ready_s``: building the bot to ready; ``process_to_ready_s``: from
``--spawned-at``, with the interpreter's start and imports; ``guilds``), then runs until its
stdin closes, then stops cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._bot_proc import _stdin_closed


async def run(args: argparse.Namespace) -> None:
    from bot.config import parse_config
    from bot.launch import configure_logging, sandbox_config
    from bot.runtime import start_agora

    started = time.perf_counter()
    discord: dict[str, object] = {}
    if args.shard_count:
        discord["shard_count"] = args.shard_count
        if args.shards is not None:
            discord["shard_ids"] = [int(shard) for shard in args.shards.split(",")]
    raw: dict[str, dict[str, object]] = {
        "database": {"url": args.db_url},
        "logging": {"level": "WARNING"},
        "discord": discord,
    }
    config = sandbox_config(
        parse_config(raw),
        api_base=args.api_base,
        gateway_url=args.gateway,
        token=args.token,
        guild_id=0,
    )
    config = dataclasses.replace(
        config, discord=dataclasses.replace(config.discord, dev_guild_ids=())
    )
    configure_logging(config)
    running = await start_agora(config, ready_timeout=args.ready_timeout)
    line = {
        "ready": True,
        "start_to_ready_s": round(time.perf_counter() - started, 3),
        "guilds": len(running.bot.guilds),
    }
    if args.spawned_at is not None:
        line["process_to_ready_s"] = round(time.time() - args.spawned_at, 3)
    print(json.dumps(line), flush=True)
    try:
        await _stdin_closed()
    finally:
        await running.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-base", required=True)
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--shard-count", type=int, default=0)
    parser.add_argument("--shards", default=None, help="e.g. 0 or 0,1 (all when omitted)")
    parser.add_argument("--spawned-at", type=float, default=None)
    parser.add_argument("--ready-timeout", type=float, default=600.0)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

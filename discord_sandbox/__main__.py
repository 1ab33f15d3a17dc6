"""``python -m discord_sandbox``: the sandbox on its own, for any bot to connect to.

Starts the server with a seed guild (or ``--guilds N`` of them, spread over shards), prints the
REST base, the gateway URL and the bot token, and serves until interrupted (Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from discord_sandbox.gateway import GUILDS_PER_SHARD, shard_of
from discord_sandbox.server import Sandbox
from discord_sandbox.validation import SPEC_ENV_VAR, given_spec_path


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m discord_sandbox",
        description="A Discord-compatible REST v10 + gateway server on loopback.",
    )
    parser.add_argument(
        "--spec",
        metavar="PATH",
        help=f"Discord's OpenAPI spec (openapi.json) to validate requests against; default "
        f"${SPEC_ENV_VAR}, else requests are not validated",
    )
    parser.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--guild", default="Sandbox", help="the seed guild's name")
    parser.add_argument("--bot-name", default="Bot", help="the bot user's name")
    parser.add_argument(
        "--guilds",
        type=_positive,
        default=1,
        metavar="N",
        help="N seed guilds (NAME 1 ... NAME N) whose ids spread them evenly over any shard "
        "count dividing N; default 1",
    )
    parser.add_argument(
        "--guilds-per-shard",
        type=_positive,
        default=GUILDS_PER_SHARD,
        metavar="N",
        help=f"most guilds one gateway session may hold (more: close 4011); default "
        f"{GUILDS_PER_SHARD:,}, as on Discord",
    )
    parser.add_argument(
        "--max-concurrency",
        type=_positive,
        default=1,
        metavar="N",
        help="session_start_limit.max_concurrency of GET /gateway/bot; default 1",
    )
    return parser.parse_args(argv)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is less than 1")
    return value


def _shards_line(guild_id: str, count: int) -> str:
    """Where a guild's events go for the shard counts dividing ``count`` (above 1)."""
    counts = [n for n in range(2, count + 1) if count % n == 0]
    return ", ".join(f"shard {shard_of(guild_id, n)} of {n}" for n in counts)


async def serve(arguments: argparse.Namespace) -> int:
    sandbox = Sandbox(
        spec_path=arguments.spec,
        bot_name=arguments.bot_name,
        guilds_per_shard=arguments.guilds_per_shard,
        max_concurrency=arguments.max_concurrency,
    )
    try:
        await sandbox.start(host=arguments.host, port=arguments.port)
    except OSError as error:
        print(f"sandbox: cannot listen on {arguments.host}:{arguments.port}: {error.strerror}")
        return 1
    try:
        guilds = sandbox.create_seed_guilds(arguments.guilds, arguments.guild)
        print(f"REST base:   {sandbox.api_base}")
        print(f"gateway:     {sandbox.gateway_url}")
        print(f"bot token:   {sandbox.bot_token}")
        print(f"application: {sandbox.application_id}")
        for guild in guilds:
            shards = _shards_line(guild.id, len(guilds))
            print(
                f"guild:       {guild.name} ({guild.id}), channels #general and #announcements"
                + (f"; {shards}" if shards else "")
            )
        recommended = sandbox.gateway.recommended_shards()
        per_shard = arguments.guilds_per_shard
        print(f"shards:      {recommended} recommended ({per_shard:,} guilds per shard at most)")
        print("serving; Ctrl-C stops", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    finally:
        await sandbox.stop()
    return 0


def main(argv: list[str]) -> int:
    arguments = parse_arguments(argv)
    spec = given_spec_path(arguments.spec)
    if arguments.spec is not None and spec is not None and not spec.is_file():
        print(f"sandbox: --spec {spec}: no such file", file=sys.stderr)
        return 2
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(serve(arguments))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

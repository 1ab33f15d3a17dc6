"""Agora's command line.

python run_bot.py [--config config.toml]             run against Discord
python run_bot.py --shards 0-3 --shard-count 8       ... as shards 0 to 3 of 8
python run_bot.py --sandbox [--script FILE] [--web]  run in the local sandbox
python run_bot.py import FILE --guild ID             load clusters and initiatives
python run_bot.py export FILE --guild ID             write them back out
python run_bot.py migrate-db --to postgresql://...   copy the SQLite database into PostgreSQL
python run_bot.py web                                the public pages as their own process
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.config import Config, ConfigError, fleet_problems, load_config, with_shards
from bot.config.errors import Invalid
from bot.config.schema import shard_spec


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="run_bot.py", description="Agora, the Discord bot.")
    parser.add_argument("--config", help="path to config.toml (default: built-in defaults)")
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="run against a local Discord-compatible sandbox instead of Discord",
    )
    parser.add_argument(
        "--script", metavar="FILE", help="with --sandbox: run a scenario file and exit"
    )
    parser.add_argument(
        "--web",
        action="store_true",
        help="with --sandbox: also serve a Discord-like web client and print its address",
    )
    parser.add_argument(
        "--database", metavar="PATH", help="override [database] path from the config"
    )
    parser.add_argument(
        "--shards",
        metavar="IDS",
        help="run these shards of the fleet, like 0-3 or 0,2,5 (overrides [discord] shard_ids)",
    )
    parser.add_argument(
        "--shard-count",
        metavar="N",
        help="the fleet's number of shards (overrides [discord] shard_count)",
    )
    sub = parser.add_subparsers(dest="command")
    importer = sub.add_parser("import", help="import clusters and initiatives (TOML or JSON)")
    importer.add_argument("file")
    importer.add_argument("--guild", type=int, required=True, help="the guild (server) id")
    exporter = sub.add_parser("export", help="export clusters and initiatives as TOML or JSON")
    exporter.add_argument("file", help="output path; .json for JSON, anything else TOML")
    exporter.add_argument("--guild", type=int, required=True, help="the guild (server) id")
    migrator = sub.add_parser(
        "migrate-db",
        help="copy the SQLite database into PostgreSQL and check the copy",
        description="Copy every table of Agora's SQLite database into a PostgreSQL database"
        " (migrated first to the same schema), with its ids and history, then compare row"
        " counts and checksums table by table. Stop Agora first: it must not be running on"
        " the SQLite file during the copy. The SQLite file is only read.",
    )
    migrator.add_argument(
        "--to", required=True, metavar="URL", help="postgresql://user@host:5432/db (must exist)"
    )
    migrator.add_argument(
        "--from",
        dest="source",
        metavar="URL",
        help="sqlite:///path/to/agora.db (default: the config's [database])",
    )
    migrator.add_argument(
        "--replace",
        action="store_true",
        help="empty the PostgreSQL database first if it holds data (refused otherwise)",
    )
    sub.add_parser(
        "web",
        help="serve the public pages as their own process (no Discord gateway connection)",
        description="Serve Agora's public pages on [web] host:port from the shared database"
        " ([database]: PostgreSQL in a fleet, or the bot's SQLite file on the same machine),"
        " as many of these processes as readers need; what the bot processes write shows"
        " within about a second. Leads' names (of those who agreed) and the server's name are"
        " asked of Discord with the bot token.",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    arguments = parse_arguments(argv)
    try:
        config = load_config(arguments.config)
    except ConfigError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)  # each line starts with the file's name
        return 2
    from bot import launch

    if arguments.database:
        config = launch.with_database(config, arguments.database)
    try:
        config = shards_from(arguments, config)
    except ConfigError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 2
    if arguments.command == "import":
        return asyncio.run(launch.import_file(config, arguments.file, arguments.guild))
    if arguments.command == "export":
        return asyncio.run(launch.export_file(config, arguments.file, arguments.guild))
    if arguments.command == "migrate-db":
        return asyncio.run(
            launch.migrate_database(
                config, arguments.to, arguments.source, replace=arguments.replace
            )
        )
    if arguments.command == "web":
        return asyncio.run(launch.run_web(config))
    if arguments.script and not arguments.sandbox:
        print("--script needs --sandbox: scenarios run against the local sandbox.", file=sys.stderr)
        return 2
    if arguments.web and not arguments.sandbox:
        print("--web needs --sandbox: the web client shows the local sandbox.", file=sys.stderr)
        return 2
    problems = fleet_problems(config)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    if arguments.sandbox:
        return asyncio.run(launch.run_sandbox(config, script=arguments.script, web=arguments.web))
    if not config.token:
        print(
            "No Discord token: set DISCORD_TOKEN or [discord] token in config.toml "
            "(create a bot at https://discord.com/developers/applications), "
            "or try Agora locally with: python run_bot.py --sandbox",
            file=sys.stderr,
        )
        return 2
    return asyncio.run(launch.run_discord(config))


def shards_from(arguments: argparse.Namespace, config: Config) -> Config:
    """``config`` with ``--shards`` and ``--shard-count``; ConfigError, one line each."""
    if arguments.shards is None and arguments.shard_count is None:
        return config
    shard_ids = None
    if arguments.shards is not None:
        try:
            shard_ids = shard_spec(arguments.shards)
        except Invalid as bad:
            raise ConfigError([f"--shards: {bad.why}"]) from None
    shard_count = None
    if arguments.shard_count is not None:
        text = arguments.shard_count.strip()
        if not text.isdigit() or int(text) < 1:
            raise ConfigError(
                [f"--shard-count: must be a whole number of at least 1, got {text!r}"]
            )
        shard_count = int(text)
    return with_shards(config, shard_ids, shard_count)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)

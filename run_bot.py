"""Agora's command line.

python run_bot.py [--config config.toml]             run against Discord
python run_bot.py --sandbox [--script FILE] [--web]  run in the local sandbox
python run_bot.py import FILE --guild ID             load clusters and initiatives
python run_bot.py export FILE --guild ID             write them back out
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.config import ConfigError, load_config


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
    sub = parser.add_subparsers(dest="command")
    importer = sub.add_parser("import", help="import clusters and initiatives (TOML or JSON)")
    importer.add_argument("file")
    importer.add_argument("--guild", type=int, required=True, help="the guild (server) id")
    exporter = sub.add_parser("export", help="export clusters and initiatives as TOML or JSON")
    exporter.add_argument("file", help="output path; .json for JSON, anything else TOML")
    exporter.add_argument("--guild", type=int, required=True, help="the guild (server) id")
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
    if arguments.command == "import":
        return asyncio.run(launch.import_file(config, arguments.file, arguments.guild))
    if arguments.command == "export":
        return asyncio.run(launch.export_file(config, arguments.file, arguments.guild))
    if arguments.script and not arguments.sandbox:
        print("--script needs --sandbox: scenarios run against the local sandbox.", file=sys.stderr)
        return 2
    if arguments.web and not arguments.sandbox:
        print("--web needs --sandbox: the web client shows the local sandbox.", file=sys.stderr)
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


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)

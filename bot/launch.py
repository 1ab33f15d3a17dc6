"""What each ``run_bot.py`` mode does: Discord, the sandbox (console, scenario), import, export."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import sys
import tempfile
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot import log_redaction
from bot.config import Config
from bot.errors import AgoraError
from bot.runtime import RunningAgora, start_agora
from bot.services.directory.importer import ExportFormat
from bot.storage.store import Store
from bot.wiring import build_services

if TYPE_CHECKING:
    # Imported where used: running against Discord never loads the sandbox.
    from discord_sandbox import Sandbox

log = logging.getLogger(__name__)

SEED_FILE = "eip-scc.toml"
OPENAPI_SPEC_ENV_VAR = "DISCORD_OPENAPI_SPEC"


def openapi_spec_path() -> Path:
    """Discord's OpenAPI spec for the sandbox: ``$DISCORD_OPENAPI_SPEC``, else
    ``shared/discord-api/openapi.json`` beside the checkout (never copied into it)."""
    configured = os.environ.get(OPENAPI_SPEC_ENV_VAR)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "shared" / "discord-api" / "openapi.json"


def seed_path() -> Path:
    """The EIP-SCC seed data shipped inside the package."""
    return Path(str(resources.files("bot.data").joinpath(SEED_FILE)))


def with_database(config: Config, path: str) -> Config:
    return dataclasses.replace(config, database=dataclasses.replace(config.database, path=path))


def configure_logging(config: Config, *, to_stderr: bool = True) -> None:
    handlers: list[logging.Handler] = []
    if config.logging.file:
        handlers.append(logging.FileHandler(config.logging.file, encoding="utf-8"))
    if to_stderr:
        handlers.append(logging.StreamHandler(sys.stderr))
    if not handlers:
        handlers.append(logging.NullHandler())
    logging.basicConfig(
        level=config.logging.level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    # Interaction tokens and the bot token never reach a log line, even at DEBUG.
    log_redaction.install([config.token])


async def run_discord(config: Config) -> int:
    """Run against Discord until interrupted."""
    configure_logging(config)
    running = await start_agora(config, ready_timeout=ready_timeout(config))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    waiter = asyncio.create_task(stop.wait())
    await asyncio.wait({waiter, running.task}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    await running.stop()
    return 0


async def run_web(config: Config) -> int:
    """``run_bot.py web``: the public pages as their own process, until interrupted."""
    from bot.public_pages import start_public_pages

    configure_logging(config)
    if not config.token:
        log.warning(
            "without a Discord token the pages show leads and the server without their names"
        )
    pages = await start_public_pages(config)
    print(f"Agora's public pages: {pages.server.public_url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await pages.stop()
    return 0


def ready_timeout(config: Config) -> float:
    """How long Agora may take to connect: discord.py identifies one shard every 5 s
    (Discord's limit), so each shard beyond the first adds that."""
    shards = len(config.discord.shard_ids) or config.discord.shard_count or 1
    return 120.0 + 5.0 * (shards - 1)


def sandbox_config(
    config: Config, *, api_base: str, gateway_url: str, token: str, guild_id: int
) -> Config:
    """The config Agora runs with inside the sandbox: its URLs, its token, its guild."""
    return dataclasses.replace(
        config,
        discord=dataclasses.replace(
            config.discord,
            api_base=api_base,
            gateway_url=gateway_url,
            token=token,
            dev_guild_ids=(guild_id,),
        ),
        community=dataclasses.replace(config.community, seed_file=str(seed_path())),
    )


AgoraFactory = Callable[[], Awaitable[RunningAgora]]


async def run_sandbox(config: Config, *, script: str | None = None, web: bool = False) -> int:
    """Start the sandbox with the seed guild, Agora against it, then the console or a script;
    with ``web``, the web client too (its address printed first)."""
    from discord_sandbox import Sandbox
    from discord_sandbox.console import run_console
    from discord_sandbox.scenario import run_scenario
    from discord_sandbox.web import start_web_client

    # The console owns the terminal, so logs go to a file there (if configured).
    configure_logging(config, to_stderr=script is not None and config.logging.level == "DEBUG")
    with tempfile.TemporaryDirectory(prefix="agora-sandbox-") as scratch:
        if config.database.path == "agora.db":
            # A fresh sandbox has fresh ids; a fresh database matches it.
            config = with_database(config, str(Path(scratch) / "agora.db"))
        sandbox = Sandbox(spec_path=str(openapi_spec_path()))
        log_redaction.hide(sandbox.bot_token)
        await sandbox.start()
        try:
            guild = sandbox.create_seed_guild()
            agora_config = sandbox_config(
                with_public_pages(config),
                api_base=sandbox.api_base,
                gateway_url=sandbox.gateway_url,
                token=sandbox.bot_token,
                guild_id=int(guild.id),
            )

            async def agora_factory() -> RunningAgora:
                return await start_agora(agora_config)

            running = await agora_factory()
            await prepare_seed_guild(sandbox)
            out = sys.stderr if script is not None else sys.stdout  # a script's stdout is JSON
            await publish_seed_guild(sandbox, running, out)
            web_client = await start_web_client(sandbox, out) if web else None
            try:
                if script is not None:
                    return await run_scenario(
                        script, sandbox, agora_factory, out=sys.stdout, running=running
                    )
                return await run_console(sandbox, agora_factory, running=running)
            finally:
                if web_client is not None:
                    await web_client.stop()
                await running.stop()
        finally:
            await sandbox.stop()


async def prepare_seed_guild(sandbox: Sandbox) -> None:
    """Lay out the seed guild as an admin would: ``/admin setup`` through the sandbox."""
    await sandbox.user("admin").slash("admin setup")


def with_public_pages(config: Config) -> Config:
    """The sandbox shows Agora's public pages: on, on a free loopback port unless the
    config chose."""
    if config.web.enabled:
        return config
    return dataclasses.replace(
        config, web=dataclasses.replace(config.web, enabled=True, host="127.0.0.1", port=0)
    )


async def publish_seed_guild(sandbox: Sandbox, running: RunningAgora, out: TextIO) -> None:
    """Publish the seed guild as an admin would (``/admin web on``) and print the address."""
    await sandbox.user("admin").slash("admin web on")
    if running.web is not None:
        out.write(f"Agora's public pages: {running.web.public_url}\n")
        out.flush()


async def import_file(config: Config, file: str, guild_id: int) -> int:
    """``run_bot.py import``: print the report; exit 1 when the file was refused."""
    configure_logging(config)
    try:
        data = await asyncio.to_thread(Path(file).read_bytes)
    except OSError as error:
        print(
            f"import refused, nothing changed: cannot read {file}: {error.strerror}",
            file=sys.stderr,
        )
        return 1
    store = await Store.open(config.database.location)
    try:
        services = build_services(store=store, config=config)
        await services.start()
        try:
            report = await services.importer.import_directory(guild_id, data, Path(file).name)
        except AgoraError as error:
            print(f"import refused, nothing changed: {error.message}", file=sys.stderr)
            return 1
        print("\n".join(report.lines()))
        return 0
    finally:
        await store.close()


async def export_file(config: Config, file: str, guild_id: int) -> int:
    configure_logging(config)
    store = await Store.open(config.database.location)
    try:
        services = build_services(store=store, config=config)
        await services.start()
        fmt: ExportFormat = "json" if file.endswith(".json") else "toml"
        data = await services.importer.export_directory(guild_id, fmt)
        await asyncio.to_thread(Path(file).write_bytes, data)
        print(f"exported to {file}")
        return 0
    finally:
        await store.close()


async def migrate_database(
    config: Config, target: str, source: str | None = None, *, replace: bool = False
) -> int:
    """``run_bot.py migrate-db``: copy the SQLite database (``source``, else the config's)
    into the PostgreSQL database ``target``, check it table by table and print the config
    line to switch; 1 with the reason when refused, failed or not the same."""
    from bot.services.common.text import plural
    from bot.storage.copy_database import CopyError, copy_sqlite_to_postgres, redact_url
    from bot.storage.database import sqlite_path

    configure_logging(config)
    named = source or config.database.location
    try:
        path = sqlite_path(named)
    except ValueError as error:
        print(f"migrate-db refused: --from: {error}", file=sys.stderr)
        return 1
    if path is None:
        print(
            f"migrate-db refused: {redact_url(named)} is not an SQLite database: name the"
            " file to copy with --from sqlite:///path/to/agora.db",
            file=sys.stderr,
        )
        return 1
    print(f"Copying {path} into {redact_url(target)} (Agora must not be running on {path}).")
    try:
        report = await copy_sqlite_to_postgres(
            path, target, replace=replace, progress=lambda line: print(f"  {line}", flush=True)
        )
    except CopyError as error:
        print(f"migrate-db failed: {error.message}", file=sys.stderr)
        return 1
    width = max((len(table.name) for table in report.tables), default=0)
    for table in report.tables:
        if table.matches:
            state = "checksum match"
        elif table.source_rows != table.target_rows:
            state = f"MISMATCH: {table.target_rows:,} in PostgreSQL"
        else:
            state = "MISMATCH: checksums differ"
        print(f"{table.name:<{width}}  {plural(table.source_rows, 'row'):>14}  {state}")
    print(f"Left out (derived, rebuilt by PostgreSQL): {', '.join(report.left_out)}")
    print(
        f"{plural(report.rows, 'row')} in {plural(len(report.tables), 'table')}"
        f" at schema version {report.schema_version}, copied and checked"
        f" in {report.seconds:.1f} s."
    )
    if not report.matches:
        wrong = [table.name for table in report.tables if not table.matches]
        print(
            f"migrate-db failed: {', '.join(wrong)} {'does' if len(wrong) == 1 else 'do'} not"
            " read back the same from PostgreSQL. The copy stays there for a look; run"
            " migrate-db again with --replace once the cause is fixed.",
            file=sys.stderr,
        )
        return 1
    shown = redact_url(target)
    print("Done. To run Agora on PostgreSQL, set in config.toml:")
    print(f'[database]\nurl = "{shown}"')
    if shown != target:
        print("(the password is shown as ***: write it there, or use PGPASSWORD or ~/.pgpass)")
    return 0

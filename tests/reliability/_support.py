"""Shared pieces of the reliability suite (no tests here).

* ``Tally``: what each module counts (faults injected and survived, inputs tried,
  items checked and lost); ``conftest.py`` prints one line per module at the end.
* ``World``: a sandbox and Agora started once for a whole module (the fuzz and the
  permission matrix run thousands of interactions against one instance).
* ``leaf_commands``: every slash command the bot registered, walked down to its
  subcommands, so new commands are covered without touching the tests.
* ``ErrorLog``: catches every ERROR record (the error handler's "unexpected error",
  discord.py's "Ignoring exception in ...", a failed scheduler job).
* SQLite checks through a separate read-only connection: integrity, row snapshots.
* ``write_process_config``: a config.toml pointing ``run_bot.py`` at the sandbox.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord

from bot.config import Config, parse_config
from bot.launch import sandbox_config, seed_path
from bot.runtime import RunningAgora, start_agora
from discord_sandbox import Sandbox
from tests.conftest import NO_LIMITS

# --------------------------------------------------------------------------- counts


@dataclass
class Tally:
    """Counts of one test module, printed in the terminal summary."""

    module: str
    faults_injected: int = 0
    faults_survived: int = 0
    inputs_tried: int = 0
    items_checked: int = 0
    items_lost: int = 0
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        parts = [
            f"faults injected {self.faults_injected}",
            f"survived {self.faults_survived}",
            f"inputs tried {self.inputs_tried}",
            f"items checked {self.items_checked}",
            f"items lost {self.items_lost}",
        ]
        text = f"{self.module}: " + ", ".join(parts)
        if self.notes:
            text += "\n    " + "\n    ".join(self.notes)
        return text


# --------------------------------------------------------------------------- logs


class ErrorLog(logging.Handler):
    """Collects ERROR (and worse) records from every logger while attached."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> ErrorLog:
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger().removeHandler(self)

    def take(self) -> list[str]:
        """The messages caught so far (with the exception's type), and forget them."""
        out = []
        for record in self.records:
            text = f"{record.name}: {record.getMessage()}"
            if record.exc_info and record.exc_info[1] is not None:
                error = record.exc_info[1]
                cause = error
                while isinstance(cause.__cause__ or cause.__context__, BaseException):
                    cause = cause.__cause__ or cause.__context__  # type: ignore[assignment]
                text += f" [{type(error).__name__} <- {type(cause).__name__}: {str(cause)[:200]}]"
            out.append(text)
        self.records.clear()
        return out


# --------------------------------------------------------------------------- world


@dataclass
class World:
    """One sandbox and the Agora running against it, for a whole module."""

    sandbox: Sandbox
    config: Config
    running: RunningAgora

    @property
    def db_path(self) -> str:
        return self.config.database.path

    @property
    def guild_id(self) -> int:
        return int(self.sandbox.guild.id)

    async def restart(self) -> RunningAgora:
        await self.running.stop()
        self.running = await start_agora(self.config)
        return self.running


def world_config(
    sandbox: Sandbox, db_path: Path, overrides: dict[str, dict[str, object]] | None = None
) -> Config:
    # No per-member limits: the fuzz and the permission matrix fire thousands of
    # interactions as a few users (test_trust_limits.py tests the limits).
    raw: dict[str, dict[str, object]] = {
        "database": {"path": str(db_path)},
        "limits": dict(NO_LIMITS),
    }
    for section, values in (overrides or {}).items():
        raw.setdefault(section, {}).update(values)
    return sandbox_config(
        parse_config(raw),
        api_base=sandbox.api_base,
        gateway_url=sandbox.gateway_url,
        token=sandbox.bot_token,
        guild_id=int(sandbox.guild.id),
    )


class DiscordPyPointer:
    """Saves and restores the two class attributes Agora points at the sandbox."""

    def __enter__(self) -> DiscordPyPointer:
        self.base = discord.http.Route.BASE
        self.gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        return self

    def __exit__(self, *exc: object) -> None:
        discord.http.Route.BASE = self.base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self.gateway


# --------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class LeafCommand:
    """A slash command as typed (``initiative doc add``) with its option definitions."""

    path: str
    options: tuple[dict[str, Any], ...]
    default_member_permissions: int | None

    @property
    def top(self) -> str:
        return self.path.split()[0]


def leaf_commands(sandbox: Sandbox) -> list[LeafCommand]:
    """Every chat-input command the bot registered in the seed guild (and globally)."""
    seen: dict[str, LeafCommand] = {}
    for command in sandbox.state.commands_for(sandbox.guild.id):
        if command.type != 1:
            continue
        payload = command.payload
        raw = payload.get("default_member_permissions")
        dmp = None if raw is None else int(raw)
        for path, options in _walk(payload, [str(payload["name"])]):
            seen.setdefault(path, LeafCommand(path, tuple(options), dmp))
    return [seen[path] for path in sorted(seen)]


def _walk(node: dict[str, Any], path: list[str]) -> Iterable[tuple[str, list[dict[str, Any]]]]:
    options = list(node.get("options") or [])
    subs = [o for o in options if o.get("type") in (1, 2)]
    if not subs:
        yield " ".join(path), options
        return
    for sub in subs:
        yield from _walk(sub, [*path, str(sub["name"])])


# --------------------------------------------------------------------------- database


def integrity(db_path: str) -> str:
    """``PRAGMA integrity_check`` through a fresh read-only connection ("ok" when sound)."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10) as db:
        rows = db.execute("PRAGMA integrity_check").fetchall()
    return "; ".join(str(row[0]) for row in rows)


def query(db_path: str, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10) as db:
        return db.execute(sql, args).fetchall()


def snapshot(db_path: str, skip: Iterable[str] = ()) -> dict[str, str]:
    """A digest of every table's rows (FTS shadow tables and ``skip`` left out)."""
    skipped = set(skip)
    out: dict[str, str] = {}
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10) as db:
        tables = [
            str(row[0])
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL%'"
            )
        ]
        for table in tables:
            if table in skipped or "_fts" in table:
                continue
            digest = hashlib.sha256()
            for row in sorted(repr(row) for row in db.execute(f'SELECT * FROM "{table}"')):
                digest.update(row.encode())
            out[table] = digest.hexdigest()
    return out


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))


def current_members(db_path: str, guild_id: int) -> set[tuple[int, int]]:
    """(initiative id, user id) of every current membership."""
    rows = query(
        db_path,
        "SELECT initiative_id, user_id FROM memberships WHERE guild_id = ? AND left_at IS NULL",
        guild_id,
    )
    return {(int(a), int(b)) for a, b in rows}


def initiative_ids(db_path: str, guild_id: int) -> dict[str, int]:
    rows = query(db_path, "SELECT slug, id FROM initiatives WHERE guild_id = ?", guild_id)
    return {str(slug): int(i) for slug, i in rows}


def write_process_config(sandbox: Sandbox, folder: Path, extra: Iterable[str] = ()) -> Path:
    """config.toml for ``run_bot.py --config`` against ``sandbox``, its database and log in
    ``folder``; ``extra`` lines (whole TOML sections) are appended."""
    config = folder / "agora.toml"
    config.write_text(
        "\n".join(
            [
                "[discord]",
                f'token = "{sandbox.bot_token}"',
                f'api_base = "{sandbox.api_base}"',
                f'gateway_url = "{sandbox.gateway_url}"',
                f"dev_guild_ids = [{sandbox.guild.id}]",
                "[database]",
                f'path = "{folder / "agora.db"}"',
                "[community]",
                f'seed_file = "{seed_path()}"',
                "[logging]",
                f'file = "{folder / "agora.log"}"',
                *extra,
            ]
        ),
        encoding="utf-8",
    )
    return config

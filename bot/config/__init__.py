"""Agora's configuration: every option declared once, here.

An option is one line of a section below: ``name: type = option(default, comment, kind)``
(see ``bot/config/schema.py``). That line is its default, what config.example.toml says
about it (``python -m bot.config.example > config.example.toml`` renders the file, and a
test checks it is current), and how a value is checked: each mistake in config.toml is
reported as one line naming the key and why, all at once, so an admin fixes the file in
one go. A section is a frozen dataclass whose docstring is its comment, listed in
``Config`` with ``section(...)``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.config.errors import HIDDEN, ConfigError, Invalid, is_secret_key
from bot.config.schema import (
    RateSetting,
    choice,
    clock,
    database_url,
    durations,
    guild_ids,
    nonempty,
    number,
    option,
    rate,
    read,
    section,
    shard_list,
    url,
    whole,
    zone,
    zone_or_empty,
)
from bot.services.common.weekdays import WEEKDAYS

__all__ = [
    "HIDDEN",
    "ActivityConfig",
    "ChannelsConfig",
    "CommunityConfig",
    "Config",
    "ConfigError",
    "DatabaseConfig",
    "DigestConfig",
    "DiscordConfig",
    "LimitsConfig",
    "LoggingConfig",
    "MeetingsConfig",
    "NudgesConfig",
    "RateSetting",
    "WebConfig",
    "fleet_problems",
    "is_secret_key",
    "load_config",
    "parse_config",
    "shard_problems",
    "with_shards",
]

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
CHANNEL_KINDS = ("text", "forum")


@dataclass(frozen=True)
class DiscordConfig:
    """Where Agora connects, and as whom."""

    token: str = option(
        "",
        "The bot token from https://discord.com/developers/applications (Bot tab).\n"
        "Prefer the DISCORD_TOKEN environment variable; it wins over this value.",
    )
    api_base: str = option(
        "",
        "Where discord.py sends REST calls. Leave empty for Discord itself; against a\n"
        'sandbox started elsewhere, e.g. "http://127.0.0.1:8765/api/v10".',
        url("http", "https", example="http://127.0.0.1:8765/api/v10"),
    )
    gateway_url: str = option(
        "",
        "Where discord.py opens the gateway. Leave empty for Discord itself; against a\n"
        'sandbox started elsewhere, e.g. "ws://127.0.0.1:8765/".',
        url("ws", "wss", example="ws://127.0.0.1:8765/"),
    )
    dev_guild_ids: tuple[int, ...] = option(
        [],
        "Development: register slash commands on these guilds only (instant updates).\n"
        "Empty: register them globally (may take up to an hour to appear everywhere).",
        guild_ids,
    )
    shard_count: int = option(
        0,
        "Sharding: Discord requires one shard per at most 2,500 servers. The number of\n"
        "shards of the whole fleet, the same in every process; 0: no sharding, one\n"
        "process serves every server (as a bot in fewer than 2,500 servers needs).",
        whole(0),
    )
    shard_ids: tuple[int, ...] = option(
        [],
        "The shards this process runs, e.g. [0, 1, 2, 3] of shard_count = 8, and [4, 5, 6,\n"
        "7] in a second process. Empty: all of them, here. Every process of a fleet must\n"
        "use the same PostgreSQL database ([database] url): several processes cannot\n"
        "share an SQLite file safely, so part of the shards on SQLite is refused.\n"
        "run_bot.py --shards 0-3 --shard-count 8 overrides both.",
        shard_list,
    )

    def problems(self) -> list[tuple[str, str]]:
        """Shard ids that do not fit the shard count (see ``shard_problems``)."""
        return [("shard_ids", why) for why in shard_problems(self.shard_count, self.shard_ids)]

    @property
    def sharded(self) -> bool:
        """Whether Agora runs as shards (discord.py's AutoShardedBot) at all."""
        return self.shard_count > 0


def shard_problems(
    shard_count: int, shard_ids: tuple[int, ...], count_name: str = "shard_count"
) -> list[str]:
    """Why ``shard_ids`` cannot be run among ``shard_count`` shards, if they cannot."""
    if not shard_ids:
        return []
    if shard_count < 1:
        return [f"needs {count_name}, the number of shards of the whole fleet"]
    outside = [shard for shard in shard_ids if shard >= shard_count]
    if not outside:
        return []
    named = ", ".join(str(shard) for shard in outside)
    which = f"shard {named} is" if len(outside) == 1 else f"shards {named} are"
    return [f"{which} outside 0..{shard_count - 1} ({count_name} is {shard_count})"]


@dataclass(frozen=True)
class DatabaseConfig:
    """Where Agora keeps its data."""

    url: str = option(
        "",
        'The database: "sqlite:///path/to/agora.db" for an SQLite file (embedded, one\n'
        'process), or "postgresql://user@host:5432/agora" for a PostgreSQL database that\n'
        "several Agora processes can share (a password goes in the URL, PGPASSWORD or\n"
        "~/.pgpass). Empty: the SQLite file named by path below. A PostgreSQL database\n"
        "must exist (empty is fine); either is migrated on every start.",
        database_url,
    )
    path: str = option(
        "agora.db",
        'The SQLite file when url is empty (the same as url = "sqlite:///agora.db").\n'
        "Created, with its folder, on first start.",
        nonempty,
    )

    @property
    def location(self) -> str:
        """What ``Store.open`` takes: the URL, or the SQLite file's path."""
        return self.url or self.path

    @property
    def shareable(self) -> bool:
        """Whether several processes may use the database at once (PostgreSQL)."""
        return self.url.startswith(("postgres://", "postgresql://"))


@dataclass(frozen=True)
class CommunityConfig:
    """The community Agora serves."""

    timezone: str = option(
        "Europe/Brussels",
        "The community's IANA time zone: the default for meetings, digests and times.",
        zone,
    )
    organiser_role: str = option(
        "Organiser",
        "Members with this role may run /admin and organiser commands (besides Manage\n"
        "Server / Manage Events holders). The first role of this name Agora sees in a\n"
        "server is remembered by id: renamed, it keeps its powers, and another role given\n"
        "this name later gains none.",
    )
    seed_file: str = option(
        "",
        "A directory file (format of bot/data/eip-scc.toml) loaded into a guild whose\n"
        "directory is still empty when Agora first sees it. Empty: none.",
    )


@dataclass(frozen=True)
class ChannelsConfig:
    """The channels Agora makes and posts in."""

    initiative_channel_kind: str = option(
        "text",
        'What /admin setup creates for each initiative: "text" (threads) or "forum" (posts).',
        choice(*CHANNEL_KINDS),
    )
    announcement_channel: str = option(
        "announcements",
        "The channel (by name) where meetings are announced and reminders posted.",
        nonempty,
    )
    category_prefix: str = option(
        "", 'Text put before each Action Cluster\'s category name, e.g. "AC · ".'
    )


@dataclass(frozen=True)
class MeetingsConfig:
    """Meetings and their reminders."""

    reminder_offsets: tuple[int, ...] = option(
        ["1d", "1h", "0s"],
        "When reminders go out before a meeting starts: durations like 1d, 2h, 30m,\n"
        '45s; "0s" means at the start. A meeting can override these.',
        durations,
    )
    allow_past_with_confirmation: bool = option(
        True, "Whether an organiser may create a meeting in the past after confirming."
    )


@dataclass(frozen=True)
class DigestConfig:
    """The weekly digest per Action Cluster, posted in the cluster's channel."""

    enabled: bool = option(True, "Whether the digest is posted.")
    weekday: str = option("monday", "The day it is posted.", choice(*WEEKDAYS))
    time: str = option("09:00", "The time of day it is posted.", clock)
    timezone: str = option("", "The zone of that time. Empty: the community's.", zone_or_empty)


@dataclass(frozen=True)
class NudgesConfig:
    """Reminders to initiatives that have gone quiet."""

    enabled: bool = option(
        True, "DM an initiative's leads (they can opt out) when it has gone quiet."
    )
    quiet_days: int = option(
        14, "Days without discussion activity after which an initiative is quiet.", whole(1)
    )


@dataclass(frozen=True)
class ActivityConfig:
    """Counting members' messages."""

    flush_interval_seconds: float = option(
        1.0,
        "Message counts are buffered and written at most this often, in one\n"
        "transaction; a crash loses at most this many seconds of counts.",
        number(0.05),
    )


@dataclass(frozen=True)
class LimitsConfig:
    """How often one member may use the commands and buttons that change something
    (looking things up is never limited). "5 per 10s" means five at once, then one
    more every 2 s; "off" means no limit. Over the limit, the member is told how
    long to wait and nothing changes."""

    rsvp: RateSetting = option(
        "5 per 5s", "Going / Maybe / Can't go on meeting announcements.", rate
    )
    discussion: RateSetting = option("3 per 1m", "/discussion start.", rate)
    resource: RateSetting = option(
        "5 per 10s", "/initiative doc add and remove, /initiative project add and remove.", rate
    )
    membership: RateSetting = option("5 per 10s", "/initiative join and leave.", rate)
    meeting: RateSetting = option(
        "20 per 1m",
        "/meeting create, edit, cancel, session and occurrence changes (organisers).",
        rate,
    )
    settings: RateSetting = option(
        "5 per 10s",
        "/remind dm, /nudges, /privacy web show-name, erasing your data with /privacy forget.",
        rate,
    )
    admin: RateSetting = option(
        "10 per 1m",
        "/admin setup, link, import and web, /remind offsets, /privacy forget-member.",
        rate,
    )
    items_per_initiative: int = option(
        500, "The most documents an initiative can list, and the most projects.", whole(1)
    )


@dataclass(frozen=True)
class LoggingConfig:
    """What Agora logs, and where."""

    level: str = option("INFO", "DEBUG, INFO, WARNING, ERROR or CRITICAL.", choice(*LOG_LEVELS))
    file: str = option("", "Also write the log to this file. Empty: standard error only.")


def _port(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 65535:
        return value
    raise Invalid(f"must be a port number from 0 to 65535, got {value!r}")


@dataclass(frozen=True)
class WebConfig:
    """Agora's public web pages: the directory, meetings and calendar feeds of the
    servers an admin published with /admin web on, for people not on Discord. Read
    only; no member is named unless they agreed (/privacy web show-name on)."""

    enabled: bool = option(False, "Whether Agora serves the pages.")
    in_bot: bool = option(
        True,
        "Whether the bot's own process serves them. false: `python run_bot.py web`\n"
        "serves them as a process of its own (as many as readers need) and the bot only\n"
        "links to them (set base_url).",
    )
    host: str = option(
        "127.0.0.1",
        "The address it listens on. Keep 127.0.0.1 behind a reverse proxy (README);\n"
        '"0.0.0.0" listens on every interface.',
        nonempty,
    )
    port: int = option(8080, "The port it listens on; 0 picks a free one.", _port)
    base_url: str = option(
        "",
        "The public address of the pages, as readers reach them (behind a proxy), e.g.\n"
        '"https://agora.example.org/". Used in links, feeds and the subscription links\n'
        "/meeting ics and /calendar ics give. Empty: http://host:port/.",
        url("http", "https", example="https://agora.example.org/"),
    )
    guild_id: int = option(
        0,
        "The server whose directory the pages show, once published. 0: the first one\npublished.",
        whole(0),
    )


@dataclass(frozen=True)
class Config:
    discord: DiscordConfig = section(DiscordConfig)
    database: DatabaseConfig = section(DatabaseConfig)
    community: CommunityConfig = section(CommunityConfig)
    channels: ChannelsConfig = section(ChannelsConfig)
    meetings: MeetingsConfig = section(MeetingsConfig)
    digest: DigestConfig = section(DigestConfig)
    nudges: NudgesConfig = section(NudgesConfig)
    activity: ActivityConfig = section(ActivityConfig)
    limits: LimitsConfig = section(LimitsConfig)
    logging: LoggingConfig = section(LoggingConfig)
    web: WebConfig = section(WebConfig)

    @property
    def token(self) -> str:
        """The bot token: ``DISCORD_TOKEN`` wins over the file."""
        return os.environ.get("DISCORD_TOKEN", "") or self.discord.token


def load_config(path: str | Path | None) -> Config:
    """Read and validate ``path``; ``None`` gives the defaults. Each line of the
    ConfigError starts with the file's name."""
    if path is None:
        return Config()
    file = Path(path)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"{file}: no such file (copy config.example.toml)"]) from None
    except UnicodeDecodeError:
        raise ConfigError([f"{file}: not UTF-8 text (save it as UTF-8)"]) from None
    except OSError as exc:
        raise ConfigError([f"{file}: cannot be read ({exc.strerror})"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{file}: not valid TOML: {exc}"]) from None
    try:
        return parse_config(raw)
    except ConfigError as error:
        raise ConfigError([f"{file}: {problem}" for problem in error.problems]) from None


def parse_config(raw: Mapping[str, Any]) -> Config:
    """Validate a parsed TOML document; raise ConfigError listing every mistake."""
    return read(Config, raw)


def with_shards(
    config: Config, shard_ids: tuple[int, ...] | None, shard_count: int | None
) -> Config:
    """``config`` with ``run_bot.py --shards`` / ``--shard-count`` (None: the file's);
    ConfigError naming the option when they do not fit together."""
    discord = config.discord
    count = discord.shard_count if shard_count is None else shard_count
    ids = discord.shard_ids if shard_ids is None else shard_ids
    given = shard_count is not None or count < 1
    count_name = "--shard-count" if given else "[discord] shard_count"
    ids_name = "--shards" if shard_ids is not None else "[discord] shard_ids"
    problems = shard_problems(count, ids, count_name)
    if problems:
        raise ConfigError([f"{ids_name}: {why}" for why in problems])
    return replace(config, discord=replace(discord, shard_count=count, shard_ids=ids))


def fleet_problems(config: Config) -> list[str]:
    """Why this process cannot start as configured with others, if it cannot: part of
    the shards needs a database every process of the fleet shares."""
    discord = config.discord
    part = discord.sharded and 0 < len(discord.shard_ids) < discord.shard_count
    if not part or config.database.shareable:
        return []
    shards = ", ".join(str(shard) for shard in discord.shard_ids)
    which = "shard" if len(discord.shard_ids) == 1 else "shards"
    return [
        f"[discord] shard_ids: this process runs only {which} {shards} of "
        f"{discord.shard_count}, and the database is an SQLite file, which several processes "
        "cannot share safely: set [database] url to the PostgreSQL database every process "
        "of the fleet uses, or run every shard in this process (shard_ids = [])"
    ]

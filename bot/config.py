"""Agora's configuration: ``config.toml`` read with tomllib and validated at start.

Every mistake is reported as one line naming the key and why it is wrong, all
at once, so an admin fixes the file in one go.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.services.common.durations import parse_duration
from bot.services.common.weekdays import WEEKDAYS

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
CHANNEL_KINDS = ("text", "forum")


class ConfigError(Exception):
    """The configuration is wrong; ``problems`` holds one line per mistake."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class DiscordConfig:
    token: str = ""
    # Empty means Discord itself; the sandbox sets these to its loopback URLs.
    api_base: str = ""
    gateway_url: str = ""
    # Development: sync commands to these guilds only (instant). Empty: global sync.
    dev_guild_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class DatabaseConfig:
    path: str = "agora.db"


@dataclass(frozen=True)
class CommunityConfig:
    timezone: str = "Europe/Brussels"
    organiser_role: str = "Organiser"
    # Loaded into a guild on first start when its directory is empty; "" for none.
    seed_file: str = ""


@dataclass(frozen=True)
class ChannelsConfig:
    initiative_channel_kind: str = "text"
    announcement_channel: str = "announcements"
    # Category names are the cluster names, prefixed with this.
    category_prefix: str = ""


@dataclass(frozen=True)
class MeetingsConfig:
    # Seconds before a meeting's start; 0 means "at start".
    reminder_offsets: tuple[int, ...] = (86400, 3600, 0)
    # A start in the past needs explicit confirmation by an organiser.
    allow_past_with_confirmation: bool = True


@dataclass(frozen=True)
class DigestConfig:
    enabled: bool = True
    weekday: str = "monday"
    time: str = "09:00"
    timezone: str = ""  # empty: the community timezone


@dataclass(frozen=True)
class NudgesConfig:
    enabled: bool = True
    quiet_days: int = 14


@dataclass(frozen=True)
class ActivityConfig:
    # Message counts are written in batches at most this often.
    flush_interval_seconds: float = 1.0


# (uses, seconds): a burst of that many uses, refilled evenly over the seconds.
RateSetting = tuple[int, int] | None


@dataclass(frozen=True)
class LimitsConfig:
    # Per member, on commands and buttons that change something; None: no limit.
    rsvp: RateSetting = (5, 5)
    discussion: RateSetting = (3, 60)
    resource: RateSetting = (5, 10)
    membership: RateSetting = (5, 10)
    meeting: RateSetting = (20, 60)
    settings: RateSetting = (5, 10)
    admin: RateSetting = (10, 60)
    # Documents per initiative, and projects per initiative.
    items_per_initiative: int = 500


@dataclass(frozen=True)
class LoggingConfig:
    level: str = "INFO"
    file: str = ""


@dataclass(frozen=True)
class Config:
    discord: DiscordConfig = field(default_factory=DiscordConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    community: CommunityConfig = field(default_factory=CommunityConfig)
    channels: ChannelsConfig = field(default_factory=ChannelsConfig)
    meetings: MeetingsConfig = field(default_factory=MeetingsConfig)
    digest: DigestConfig = field(default_factory=DigestConfig)
    nudges: NudgesConfig = field(default_factory=NudgesConfig)
    activity: ActivityConfig = field(default_factory=ActivityConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)

    @property
    def token(self) -> str:
        """The bot token: ``DISCORD_TOKEN`` wins over the file."""
        return os.environ.get("DISCORD_TOKEN", "") or self.discord.token


def load_config(path: str | Path | None) -> Config:
    """Read and validate ``path``; ``None`` gives the defaults."""
    if path is None:
        return Config()
    file = Path(path)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"{file}: no such file (copy config.example.toml)"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{file}: not valid TOML: {exc}"]) from None
    return parse_config(raw)


def parse_config(raw: Mapping[str, Any]) -> Config:
    """Validate a parsed TOML document; raise ConfigError listing every mistake."""
    problems: list[str] = []
    reader = _SectionReader(raw, problems)
    config = Config(
        discord=DiscordConfig(
            token=reader.string("discord", "token", ""),
            api_base=reader.string("discord", "api_base", "", check=_http_url_or_empty),
            gateway_url=reader.string("discord", "gateway_url", "", check=_ws_url_or_empty),
            dev_guild_ids=tuple(reader.int_list("discord", "dev_guild_ids")),
        ),
        database=DatabaseConfig(
            path=reader.string("database", "path", "agora.db", check=_nonempty)
        ),
        community=CommunityConfig(
            timezone=reader.string("community", "timezone", "Europe/Brussels", check=_timezone),
            organiser_role=reader.string("community", "organiser_role", "Organiser"),
            seed_file=reader.string("community", "seed_file", ""),
        ),
        channels=ChannelsConfig(
            initiative_channel_kind=reader.string(
                "channels", "initiative_channel_kind", "text", check=_one_of(CHANNEL_KINDS)
            ),
            announcement_channel=reader.string(
                "channels", "announcement_channel", "announcements", check=_nonempty
            ),
            category_prefix=reader.string("channels", "category_prefix", ""),
        ),
        meetings=MeetingsConfig(
            reminder_offsets=tuple(
                reader.duration_list("meetings", "reminder_offsets", ["1d", "1h", "0s"])
            ),
            allow_past_with_confirmation=reader.boolean(
                "meetings", "allow_past_with_confirmation", True
            ),
        ),
        digest=DigestConfig(
            enabled=reader.boolean("digest", "enabled", True),
            weekday=reader.string("digest", "weekday", "monday", check=_one_of(WEEKDAYS)),
            time=reader.string("digest", "time", "09:00", check=_clock_time),
            timezone=reader.string("digest", "timezone", "", check=_timezone_or_empty),
        ),
        nudges=NudgesConfig(
            enabled=reader.boolean("nudges", "enabled", True),
            quiet_days=reader.integer("nudges", "quiet_days", 14, minimum=1),
        ),
        activity=ActivityConfig(
            flush_interval_seconds=reader.number(
                "activity", "flush_interval_seconds", 1.0, minimum=0.05
            )
        ),
        limits=LimitsConfig(
            rsvp=reader.rate("limits", "rsvp", "5 per 5s"),
            discussion=reader.rate("limits", "discussion", "3 per 1m"),
            resource=reader.rate("limits", "resource", "5 per 10s"),
            membership=reader.rate("limits", "membership", "5 per 10s"),
            meeting=reader.rate("limits", "meeting", "20 per 1m"),
            settings=reader.rate("limits", "settings", "5 per 10s"),
            admin=reader.rate("limits", "admin", "10 per 1m"),
            items_per_initiative=reader.integer("limits", "items_per_initiative", 500, minimum=1),
        ),
        logging=LoggingConfig(
            level=reader.string("logging", "level", "INFO", check=_one_of(LOG_LEVELS)),
            file=reader.string("logging", "file", ""),
        ),
    )
    reader.report_unknown()
    if problems:
        raise ConfigError(problems)
    return config


Check = Callable[[str], str | None]


class _SectionReader:
    """Reads typed values out of the raw TOML, noting one problem per bad key."""

    def __init__(self, raw: Mapping[str, Any], problems: list[str]) -> None:
        self.raw = raw
        self.problems = problems
        self.seen: dict[str, set[str]] = {}

    def _get(self, section: str, key: str) -> Any:
        self.seen.setdefault(section, set()).add(key)
        table = self.raw.get(section, {})
        if not isinstance(table, Mapping):
            return None
        return table.get(key)

    def _bad(self, section: str, key: str, why: str) -> None:
        if is_secret_key(key):
            why = _without_value(why, self._get(section, key))
        self.problems.append(f"[{section}] {key}: {why}")

    def string(self, section: str, key: str, default: str, check: Check | None = None) -> str:
        value = self._get(section, key)
        if value is None:
            return default
        if not isinstance(value, str):
            self._bad(section, key, f"must be a string, got {value!r}")
            return default
        if check is not None and (why := check(value)) is not None:
            self._bad(section, key, why)
            return default
        return value

    def boolean(self, section: str, key: str, default: bool) -> bool:
        value = self._get(section, key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self._bad(section, key, f"must be true or false, got {value!r}")
            return default
        return value

    def integer(self, section: str, key: str, default: int, minimum: int | None = None) -> int:
        value = self._get(section, key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self._bad(section, key, f"must be a whole number, got {value!r}")
            return default
        if minimum is not None and value < minimum:
            self._bad(section, key, f"must be at least {minimum}, got {value}")
            return default
        return value

    def number(self, section: str, key: str, default: float, minimum: float | None = None) -> float:
        value = self._get(section, key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            self._bad(section, key, f"must be a number, got {value!r}")
            return default
        if minimum is not None and value < minimum:
            self._bad(section, key, f"must be at least {minimum}, got {value}")
            return default
        return float(value)

    def int_list(self, section: str, key: str) -> list[int]:
        value = self._get(section, key)
        if value is None:
            return []
        ok = isinstance(value, list) and all(
            isinstance(item, int) and not isinstance(item, bool) and item > 0 for item in value
        )
        if not ok:
            self._bad(section, key, f"must be a list of guild ids (numbers), got {value!r}")
            return []
        return list(value)

    def duration_list(self, section: str, key: str, default: list[str]) -> list[int]:
        value = self._get(section, key)
        items = default if value is None else value
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            self._bad(
                section, key, f'must be a list of durations like ["1d", "1h", "0s"], got {value!r}'
            )
            return [parse_duration(item) for item in default]
        seconds: list[int] = []
        for item in items:
            try:
                seconds.append(parse_duration(item))
            except ValueError as exc:
                self._bad(section, key, str(exc))
                return [parse_duration(item) for item in default]
        return sorted(set(seconds), reverse=True)

    def rate(self, section: str, key: str, default: str) -> RateSetting:
        """ "5 per 10s" (five at once, then one every 2 s) or "off"."""
        value = self._get(section, key)
        text = default if value is None else value
        parsed = _rate(text) if isinstance(text, str) else None
        if isinstance(text, str) and (parsed is not None or text.strip().lower() == "off"):
            return parsed
        self._bad(section, key, f'must be like "5 per 10s" or "off", got {value!r}')
        return _rate(default)

    def report_unknown(self) -> None:
        for section, table in self.raw.items():
            if section not in self.seen:
                self.problems.append(f"[{section}]: unknown section (see config.example.toml)")
                continue
            if not isinstance(table, Mapping):
                self.problems.append(f"[{section}]: must be a table")
                continue
            for key in table:
                if key not in self.seen[section]:
                    self._bad(section, key, "unknown key (see config.example.toml)")


_SECRET_KEY = re.compile(r"token|secret|password|passwd|credential|api_?key|private_?key", re.I)
HIDDEN = "<hidden>"


def is_secret_key(key: str) -> bool:
    """Keys whose values are never echoed in an error line (a wrong token is still a token)."""
    return _SECRET_KEY.search(key) is not None


def _strings_in(value: Any) -> list[str]:
    if isinstance(value, Mapping):
        return [text for item in value.values() for text in _strings_in(item)]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _strings_in(item)]
    return [str(value)]


def _without_value(why: str, value: Any) -> str:
    """``why`` with every rendering of ``value`` (and of each part of it) replaced."""
    fragments = {repr(value), str(value)}
    for text in _strings_in(value):
        fragments |= {text, repr(text)}
    # One pass, longest first: a replacement is never scanned again.
    ordered = sorted((re.escape(part) for part in fragments if part), key=len, reverse=True)
    return re.sub("|".join(ordered), HIDDEN, why) if ordered else why


def _rate(text: str) -> RateSetting:
    """(uses, seconds) from "5 per 10s"; None for anything else."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:per|/)\s*(\S.*)", text)
    if match is None:
        return None
    try:
        seconds = parse_duration(match.group(2))
    except ValueError:
        return None
    count = int(match.group(1))
    return (count, seconds) if count >= 1 and seconds >= 1 else None


def _nonempty(value: str) -> str | None:
    return None if value.strip() else "must not be empty"


def _one_of(choices: tuple[str, ...]) -> Check:
    def check(value: str) -> str | None:
        if value.lower() in choices or value in choices:
            return None
        return f"must be one of {', '.join(choices)}; got {value!r}"

    return check


def _timezone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r} (use an IANA name like Europe/Brussels)"
    return None


def _timezone_or_empty(value: str) -> str | None:
    return None if value == "" else _timezone(value)


def _clock_time(value: str) -> str | None:
    if re.fullmatch(r"\d{1,2}:\d{2}", value):
        hours, minutes = (int(part) for part in value.split(":"))
        if hours < 24 and minutes < 60:
            return None
    return f"must be a time of day like 09:00, got {value!r}"


def _http_url_or_empty(value: str) -> str | None:
    if value == "" or re.match(r"^https?://[^\s/]+", value):
        return None
    return f"must be an http(s) URL like http://127.0.0.1:8765/api/v10, got {value!r}"


def _ws_url_or_empty(value: str) -> str | None:
    if value == "" or re.match(r"^wss?://[^\s/]+", value):
        return None
    return f"must be a ws(s) URL like ws://127.0.0.1:8765/, got {value!r}"


def parse_clock(value: str) -> time:
    hours, minutes = (int(part) for part in value.split(":"))
    return time(hours, minutes)

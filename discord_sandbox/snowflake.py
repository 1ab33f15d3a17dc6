"""Discord-style snowflake ids.

A snowflake is ``(ms since the Discord epoch) << 22 | worker << 17 | process << 12 | increment``.
Discord serialises them as decimal strings in JSON, so the helpers here return strings.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000


class SnowflakeGenerator:
    """Produces strictly increasing snowflakes (one generator per sandbox, no globals)."""

    __slots__ = ("_increment", "_last", "_worker")

    def __init__(self, worker: int = 1) -> None:
        self._worker = worker & 0x1F
        self._increment = 0
        self._last = 0

    def next_int(self) -> int:
        now_ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        value = (now_ms << 22) | (self._worker << 17) | (self._increment & 0xFFF)
        self._increment += 1
        # Ids must stay strictly increasing even when the 12-bit increment wraps within one ms
        # or the clock steps backwards: clients sort messages by id.
        if value <= self._last:
            value = self._last + 1
        self._last = value
        return value

    def next(self) -> str:
        return str(self.next_int())

    def next_on_shard(self, shard_id: int, num_shards: int) -> str:
        """The next id whose shard is ``shard_id`` of ``num_shards`` (``(id >> 22) %
        num_shards``): the next id with its timestamp moved at most ``num_shards - 1`` ms
        ahead; later ids stay above it."""
        value = self.next_int()
        ms = value >> 22
        ms += (shard_id - ms) % num_shards
        value = max(value, (ms << 22) | (value & ((1 << 22) - 1)))
        self._last = max(self._last, value)
        return str(value)


def snowflake_time(snowflake: int | str) -> datetime:
    """The creation time encoded in a snowflake."""
    ms = (int(snowflake) >> 22) + DISCORD_EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def iso_timestamp(moment: datetime | None = None) -> str:
    """ISO-8601 timestamp in Discord's format (``2024-01-01T00:00:00.000000+00:00``)."""
    if moment is not None:
        return moment.isoformat(timespec="microseconds")
    # Now: the same text as ``datetime.now(UTC).isoformat(timespec="microseconds")`` (which
    # also rounds time.time() to the microsecond), with the date and time of day formatted
    # once a second; this runs for every message the sandbox stores.
    seconds, micros = divmod(round(time.time() * 1_000_000), 1_000_000)
    cached_second, prefix = _second_prefix
    if seconds != cached_second:
        prefix = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _second_prefix[:] = [seconds, prefix]
    return f"{prefix}.{micros:06d}+00:00"


_second_prefix: list[Any] = [None, ""]

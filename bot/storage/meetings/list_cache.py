"""Answers of ``/meeting list`` kept until something could change them.

The same few lists (upcoming, past, per cluster, per initiative) are asked for over and
over, and each costs several milliseconds of SQL on the one database thread. An answer
can only change when a meeting of the guild is written, or when time passes a meeting's
end (a meeting stops being upcoming one second after ``ends_at``) or a date (a series
ends after its ``until_date``). So an answer is kept with the guild's write generation
and the instant up to which it holds, and served until either moves on.

A write bumps the generation when it starts and when it ends, and an answer is only
kept if no write started or ended while it was being read: a read that saw a
transaction in flight (the one connection sees its own uncommitted rows) is never kept.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class _Kept:
    generation: int
    holds_through: int | None  # Unix seconds; None: no meeting ends later
    day: date
    value: object


class MeetingListCache:
    """Per guild: a write generation, and the answers read under it."""

    def __init__(self, max_entries: int = 512) -> None:
        self._max_entries = max_entries
        self._generations: dict[int, int] = {}
        self._kept: dict[tuple[int, Hashable], _Kept] = {}

    def generation(self, guild_id: int) -> int:
        return self._generations.get(guild_id, 0)

    @contextmanager
    def writing(self, guild_id: int) -> Iterator[None]:
        """Around a write to the guild's meetings: what was kept is dropped, and reads
        that overlap the write keep nothing."""
        self._bump(guild_id)
        try:
            yield
        finally:
            self._bump(guild_id)

    def get(self, guild_id: int, key: Hashable, now_seconds: int, today: date) -> object | None:
        kept = self._kept.get((guild_id, key))
        if (
            kept is None
            or kept.generation != self.generation(guild_id)
            or kept.day != today
            or (kept.holds_through is not None and now_seconds > kept.holds_through)
        ):
            return None
        return kept.value

    def put(
        self,
        guild_id: int,
        key: Hashable,
        value: object,
        *,
        read_at_generation: int,
        holds_through: int | None,
        today: date,
    ) -> None:
        if read_at_generation != self.generation(guild_id):
            return  # a write overlapped the read
        if len(self._kept) >= self._max_entries:
            self._kept.clear()
        self._kept[(guild_id, key)] = _Kept(read_at_generation, holds_through, today, value)

    def _bump(self, guild_id: int) -> None:
        self._generations[guild_id] = self.generation(guild_id) + 1
        for kept_key in [k for k in self._kept if k[0] == guild_id]:
            del self._kept[kept_key]

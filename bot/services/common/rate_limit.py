"""Per-member limits on the commands and buttons that change something.

One token bucket per (kind, user): a burst of ``count`` uses, then one more every
``per / count`` seconds. Reads are never limited. The buckets live in memory only
(a restart forgives everyone) and are bounded: a bucket that has filled up again
is the same as no bucket and is dropped, and past ``max_buckets`` the least
recently used go first.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from bot.services.common.text import plural

LimitKind = Literal["rsvp", "discussion", "resource", "membership", "meeting", "settings", "admin"]
LIMIT_KINDS: tuple[LimitKind, ...] = (
    "rsvp",
    "discussion",
    "resource",
    "membership",
    "meeting",
    "settings",
    "admin",
)
TOO_OFTEN = "You're doing that too often"
MAX_BUCKETS = 10_000
# Each use drops at most this many refilled buckets, so the sweep costs O(1) per use.
SWEEP_PER_USE = 4


@dataclass(frozen=True)
class Rate:
    """``count`` uses at once, refilled evenly over ``per`` seconds."""

    count: int
    per: float

    @property
    def refill_per_second(self) -> float:
        return self.count / self.per


def too_often_message(retry_after: float) -> str:
    """What a member over a limit reads: how long to wait, in whole seconds (or minutes)."""
    seconds = max(1, math.ceil(retry_after - 1e-9))
    if seconds >= 120:
        minutes = math.ceil(seconds / 60)
        return f"{TOO_OFTEN}: try again in {plural(minutes, 'minute')}."
    return f"{TOO_OFTEN}: try again in {plural(seconds, 'second')}."


class _Bucket:
    __slots__ = ("at", "tokens")

    def __init__(self, tokens: float, at: float) -> None:
        self.tokens = tokens
        self.at = at


class RateLimiter:
    """Token buckets per (kind, user); ``hit`` spends one token or says how long to wait."""

    def __init__(
        self,
        rates: Mapping[LimitKind, Rate | None],
        *,
        clock: Callable[[], float] = time.monotonic,
        max_buckets: int = MAX_BUCKETS,
    ) -> None:
        self._rates = dict(rates)
        self._clock = clock
        self._max_buckets = max(1, max_buckets)
        self._buckets: OrderedDict[tuple[LimitKind, int], _Bucket] = OrderedDict()

    def rate(self, kind: LimitKind) -> Rate | None:
        return self._rates.get(kind)

    def __len__(self) -> int:
        return len(self._buckets)

    def hit(self, kind: LimitKind, user_id: int) -> float:
        """0.0 when ``user_id`` may go ahead (a use is counted), else the seconds to wait
        (nothing is counted: a refused use costs no token)."""
        rate = self._rates.get(kind)
        if rate is None:
            return 0.0
        now = self._clock()
        self._sweep(now)
        key = (kind, user_id)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(float(rate.count), now)
            self._buckets[key] = bucket
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(
                float(rate.count), bucket.tokens + (now - bucket.at) * rate.refill_per_second
            )
            bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / rate.refill_per_second

    def _sweep(self, now: float) -> None:
        """Drop the least recently used buckets that have refilled, and make room for one
        more under the cap (dropping a bucket forgives that member early, nothing worse)."""
        while len(self._buckets) >= self._max_buckets:
            self._buckets.popitem(last=False)
        for _ in range(SWEEP_PER_USE):
            if not self._buckets:
                return
            (kind, _user), bucket = next(iter(self._buckets.items()))
            rate = self._rates.get(kind)
            full = rate is None or (
                bucket.tokens + (now - bucket.at) * rate.refill_per_second >= rate.count
            )
            if not full:
                return
            self._buckets.popitem(last=False)

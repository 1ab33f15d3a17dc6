"""Per-route rate-limit buckets with Discord's headers.

Buckets are keyed by route template + the route's "major parameter" (channel, guild or
webhook id), like Discord's. When limiting is off the headers are still sent, with a large
limit, so clients exercise their header parsing.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from fnmatch import fnmatchcase

MAJOR_PARAMETERS = ("channel_id", "guild_id", "webhook_id", "interaction_id")

# (pattern, limit, per seconds) applied when limiting is switched on; first match wins.
DEFAULT_LIMITS: tuple[tuple[str, int, float], ...] = (
    ("POST /channels/{channel_id}/messages", 5, 5.0),
    ("PATCH /channels/{channel_id}", 2, 600.0),
    ("* *", 50, 1.0),
)

UNLIMITED = 10_000


@dataclass(slots=True)
class _Bucket:
    limit: int
    per: float
    remaining: int
    reset_at: float
    name: str


@dataclass(slots=True)
class RateLimitVerdict:
    headers: dict[str, str]
    retry_after: float | None  # set when the request must be refused with 429


class RateLimiter:
    def __init__(self, enabled: bool = False) -> None:
        self.enabled = enabled
        self._rules: list[tuple[str, int, float]] = list(DEFAULT_LIMITS)
        self._custom: list[tuple[str, int, float]] = []
        self._buckets: dict[str, _Bucket] = {}
        # Headers of unlimited routes: all constant but the reset time (hot path).
        self._unlimited = _headers(UNLIMITED, UNLIMITED - 1, 0.0, 1.0, "unlimited")

    def set_limit(self, route_pattern: str, limit: int, per_seconds: float) -> None:
        """Limit ``"METHOD /template"`` (globs allowed; without method: all methods); this
        switches limiting on for that route even if global limiting is off."""
        if " " not in route_pattern:
            route_pattern = "* " + route_pattern
        self._custom.insert(0, (route_pattern, limit, per_seconds))
        self._buckets.clear()

    def _rule_for(self, key: str) -> tuple[str, int, float] | None:
        for rule in self._custom:
            if fnmatchcase(key, rule[0]):
                return rule
        if self.enabled:
            for rule in self._rules:
                if fnmatchcase(key, rule[0]):
                    return rule
        return None

    def check(self, method: str, route: str, params: dict[str, str]) -> RateLimitVerdict:
        now = time.time()
        if not self._custom and not self.enabled:
            return self._unlimited_verdict(now)
        key = f"{method} {route}"
        rule = self._rule_for(key)
        if rule is None:
            return self._unlimited_verdict(now)
        major = next((params[p] for p in MAJOR_PARAMETERS if p in params), "")
        bucket_key = f"{rule[0]}:{major}"
        bucket = self._buckets.get(bucket_key)
        if bucket is None or bucket.reset_at <= now:
            name = hashlib.blake2s(rule[0].encode(), digest_size=8).hexdigest()
            bucket = _Bucket(rule[1], rule[2], rule[1], now + rule[2], name)
            self._buckets[bucket_key] = bucket
        reset_after = max(0.0, bucket.reset_at - now)
        if bucket.remaining <= 0:
            headers = _headers(bucket.limit, 0, bucket.reset_at, reset_after, bucket.name)
            headers["Retry-After"] = str(math.ceil(reset_after))
            headers["X-RateLimit-Scope"] = "user"
            return RateLimitVerdict(headers, round(reset_after, 3))
        bucket.remaining -= 1
        return RateLimitVerdict(
            _headers(bucket.limit, bucket.remaining, bucket.reset_at, reset_after, bucket.name),
            None,
        )

    def _unlimited_verdict(self, now: float) -> RateLimitVerdict:
        headers = self._unlimited.copy()
        headers["X-RateLimit-Reset"] = f"{now + 1:.3f}"
        return RateLimitVerdict(headers, None)


def _headers(
    limit: int, remaining: int, reset: float, reset_after: float, name: str
) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": f"{reset:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        "X-RateLimit-Bucket": name,
    }

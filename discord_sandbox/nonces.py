"""``enforce_nonce`` de-duplication: the same author + channel + nonce within a few minutes
returns the message already created instead of creating (and dispatching) another."""

from __future__ import annotations

import time

from discord_sandbox.limits import NONCE_DEDUP_SECONDS


class NonceCache:
    def __init__(self, ttl: float = NONCE_DEDUP_SECONDS) -> None:
        self.ttl = ttl
        self._seen: dict[tuple[str, str, str], tuple[str, float]] = {}

    def lookup(self, author_id: str, channel_id: str, nonce: object) -> str | None:
        key = (author_id, channel_id, str(nonce))
        hit = self._seen.get(key)
        if hit is None:
            return None
        if hit[1] < time.monotonic():
            del self._seen[key]
            return None
        return hit[0]

    def remember(self, author_id: str, channel_id: str, nonce: object, message_id: str) -> None:
        now = time.monotonic()
        if len(self._seen) > 10_000:  # keep memory bounded under load: drop expired entries
            self._seen = {k: v for k, v in self._seen.items() if v[1] >= now}
        self._seen[(author_id, channel_id, str(nonce))] = (message_id, now + self.ttl)

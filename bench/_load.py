"""Open-loop load inside the sandbox's process: interactions created through the sandbox's
own :class:`InteractionManager` at a fixed rate, no HTTP hop on the sending side.

Each interaction is stamped (``time.monotonic()``) when it is created (``sent``: just before
INTERACTION_CREATE is queued for the bot's gateway socket) and the sandbox stamps the arrival
of its first callback request (``InteractionRecord.callback_at``, before the sandbox's own
validation). Latency = arrival - sent, counted when the callback was accepted. An
interaction the bot did not answer within the sandbox's 3 s deadline (or answered only
with refused callbacks) is *failed*.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from discord_sandbox import Sandbox
from discord_sandbox.interactions import InteractionRecord
from discord_sandbox.models import Channel, Message

JSON = dict[str, Any]


@dataclass(frozen=True)
class Template:
    """One prepared interaction: what the sandbox needs to create it."""

    kind: str  # "info", "autocomplete", "meetings", "click"
    type: int
    name: str
    channel: Channel
    data: JSON
    message: Message | None = None
    # For clicks: the button's custom_id is read from the message when the click is sent
    # (a list's Next button changes as the page turns), by label; the fallback label is
    # used when that button is disabled (the last page).
    button: tuple[str, str] | None = None

    def resolve(self) -> JSON:
        if self.button is None or self.message is None:
            return self.data
        buttons = {
            str(c.get("label")): c
            for row in self.message.components
            for c in row.get("components") or []
            if c.get("type") == 2
        }
        for label in self.button:
            button = buttons.get(label)
            if button is not None and not button.get("disabled") and button.get("custom_id"):
                return {"custom_id": button["custom_id"], "component_type": 2}
        return self.data


@dataclass
class StepResult:
    kind_counts: dict[str, int]
    latencies_ms: list[float]
    by_kind_ms: dict[str, list[float]]
    sent: int
    failed: int
    refused: int
    send_seconds: float
    behind_ms_max: float  # how late the generator itself fell behind its schedule
    timeline: list[tuple[float, str, float | None]] = field(default_factory=list)
    # (seconds since the step began, kind, latency ms or None when failed)


@dataclass
class LoadGenerator:
    sb: Sandbox
    pools: dict[str, list[Template]]
    mix: dict[str, float]
    user_ids: Sequence[str]
    seed: int = 7
    _choices: Iterator[str] = field(init=False)

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        kinds = [kind for kind in self.mix if self.pools.get(kind)]
        weights = [self.mix[kind] for kind in kinds]
        sequence = rng.choices(kinds, weights, k=10_000)
        self._choices = itertools.cycle(sequence)
        self._cursor = {kind: itertools.cycle(pool) for kind, pool in self.pools.items()}
        self._users = itertools.cycle(self.user_ids)

    async def step(self, rate: float, seconds: float, settle_timeout: float = 6.0) -> StepResult:
        """Send ``rate`` interactions a second for ``seconds``, then wait for the answers."""
        loop = asyncio.get_running_loop()
        create = self.sb.interactions.create
        total = max(1, int(rate * seconds))
        sent_at: list[tuple[InteractionRecord, str, float]] = []
        counts: dict[str, int] = {}
        behind = 0.0
        start = loop.time()
        began = time.monotonic()
        sent = 0
        while sent < total:
            elapsed = loop.time() - start
            due = min(total, int(elapsed * rate) + 1)
            if due - sent > 1:
                behind = max(behind, (elapsed - sent / rate) * 1000)
            while sent < due:
                kind = next(self._choices)
                template = next(self._cursor[kind])
                t0 = time.monotonic()
                record = create(
                    template.type,
                    template.name,
                    next(self._users),
                    template.channel,
                    template.resolve(),
                    template.message,
                )
                sent_at.append((record, kind, t0))
                counts[kind] = counts.get(kind, 0) + 1
                sent += 1
            next_due = start + (sent / rate)
            await asyncio.sleep(max(0.0, next_due - loop.time()))
        send_seconds = time.monotonic() - began
        await self._settle([record for record, _, _ in sent_at], settle_timeout)
        latencies: list[float] = []
        by_kind: dict[str, list[float]] = {}
        failed = refused = 0
        timeline: list[tuple[float, str, float | None]] = []
        for record, kind, t0 in sent_at:
            if record.refusals:
                refused += 1
            stamp = record.callback_at
            if stamp is None or record.response_type is None or record.failure is not None:
                failed += 1
                timeline.append((t0 - began, kind, None))
                continue
            ms = (stamp - t0) * 1000
            latencies.append(ms)
            by_kind.setdefault(kind, []).append(ms)
            timeline.append((t0 - began, kind, ms))
        return StepResult(
            counts, latencies, by_kind, sent, failed, refused, send_seconds, behind, timeline
        )

    @staticmethod
    async def _settle(records: list[InteractionRecord], within: float) -> None:
        """Until every interaction is answered or has failed (the 3 s deadline passed)."""
        deadline = time.monotonic() + within
        for record in records:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if not record.answered.is_set():
                try:
                    await asyncio.wait_for(record.answered.wait(), remaining)
                except TimeoutError:
                    return


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def summarise(values: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 0.50), 2),
        "p95_ms": round(percentile(values, 0.95), 2),
        "p99_ms": round(percentile(values, 0.99), 2),
        "max_ms": round(max(values), 2) if values else float("nan"),
    }

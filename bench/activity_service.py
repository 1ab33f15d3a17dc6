"""Service-level benchmark of message activity batching.

Streams ``--rate`` messages per second through ActivityService.record_message
for ``--seconds``, with the real flush task writing to a SQLite file, and
reports the event-loop lag (p50/p99/max, measured by a ticker that should wake
every 5 ms), the flushes, and whether every message was counted.

    python -m bench.activity_service --rate 5000 --seconds 10

Targets (from the issue): ≥ 5,000 messages/s with loop lag p99 < 50 ms.
This leaves out the gateway and discord.py; ``bench/activity.py`` drives real
MESSAGE_CREATE events through the sandbox.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.services.discussions.activity import ActivityService
from bot.storage.discussions.models import NewThread
from bot.storage.store import Store

GUILD = 1
TICK = 0.005


async def _lag_monitor(samples: list[float], stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        started = loop.time()
        await asyncio.sleep(TICK)
        samples.append(loop.time() - started - TICK)


async def _produce(
    activity: ActivityService, rate: int, seconds: float, threads: int, users: int
) -> int:
    """Send ``rate`` messages a second in 1 ms slices, as the gateway would deliver them."""
    loop = asyncio.get_running_loop()
    randint = random.Random(42).randrange
    start = loop.time()
    sent = 0
    while (elapsed := loop.time() - start) < seconds:
        due = int(elapsed * rate)
        now = datetime.now(UTC)
        while sent < due:
            activity.record_message(GUILD, 10_000 + randint(threads), randint(users), now)
            sent += 1
        await asyncio.sleep(0.001)
    return sent


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run(rate: int, seconds: float, threads: int, users: int, interval: float) -> bool:
    with tempfile.TemporaryDirectory() as folder:
        store = await Store.open(Path(folder) / "bench.db")
        created = int(time.time()) - 3600
        await store.discussions.apply_reconciliation(
            GUILD,
            [NewThread(10_000 + n, 500, 1, f"thread {n}", None, created) for n in range(threads)],
            [],
            [],
            created,
        )
        activity = ActivityService(store.activity, store.discussions, interval)
        await activity.start()
        lags: list[float] = []
        stop = asyncio.Event()
        monitor = asyncio.create_task(_lag_monitor(lags, stop))
        wall = time.perf_counter()
        sent = await _produce(activity, rate, seconds, threads, users)
        produced_in = time.perf_counter() - wall
        stop.set()
        await monitor
        closing = time.perf_counter()
        await activity.close()
        close_ms = (time.perf_counter() - closing) * 1000
        row = await store.db.fetch_one("SELECT SUM(message_count) FROM discussions")
        counted = int(row[0]) if row and row[0] is not None else 0
        await store.close()

    ms = [lag * 1000 for lag in lags]
    print(f"messages sent     {sent} in {produced_in:.1f}s ({sent / produced_in:,.0f}/s)")
    print(f"messages counted  {counted} ({'all' if counted == sent else 'MISSING'})")
    print(f"flushes           {activity.flushes} (every {interval}s) + final in {close_ms:.1f} ms")
    print(
        f"loop lag (ms)     p50 {statistics.median(ms):.2f}  p99 {_percentile(ms, 0.99):.2f}"
        f"  max {max(ms):.2f}  ({len(ms)} samples)"
    )
    ok = counted == sent and _percentile(ms, 0.99) < 50
    print("OK" if ok else "TARGET MISSED")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=5000, help="messages per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=500, help="discussions receiving messages")
    parser.add_argument("--users", type=int, default=2000, help="distinct authors")
    parser.add_argument("--interval", type=float, default=1.0, help="flush interval (s)")
    args = parser.parse_args()
    ok = asyncio.run(run(args.rate, args.seconds, args.threads, args.users, args.interval))
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()

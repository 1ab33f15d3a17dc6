"""The claims behind work done once across the fleet, on SQLite and PostgreSQL: named runs
(``fleet_claims``) taken by one of two stores at a time, never again once done, taken
over after a lease; timer rows leased to their worker; a poll closed by exactly one of
the deadline's claim and ``/poll close``; the lock clause only on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.storage.fleet import ShardScope
from bot.storage.meetings.models import Scope
from bot.storage.postgres import to_postgres
from bot.storage.store import Store

NOW = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)
LEASE = timedelta(minutes=3)


@pytest.fixture
async def stores(database_url: str) -> AsyncIterator[tuple[Store, Store]]:
    """Two processes' stores (each its own connections) over one database."""
    first = await Store.open(database_url)
    second = await Store.open(database_url)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


def test_the_row_lock_is_written_for_postgresql_and_a_comment_for_sqlite() -> None:
    sql = "SELECT id FROM reminders WHERE id IN (?, ?) ORDER BY id /*FOR UPDATE SKIP LOCKED*/"
    assert to_postgres(sql) == (
        "SELECT id FROM reminders WHERE id IN ($1, $2) ORDER BY id FOR UPDATE SKIP LOCKED"
    )


async def test_a_run_key_is_taken_by_one_store_of_many_claiming_at_once(
    stores: tuple[Store, Store],
) -> None:
    first, second = stores
    key = "digest:1000:2027-W22"
    results = await asyncio.gather(
        *(
            store.fleet_claims.claim(key, f"process {n}", NOW, NOW + LEASE)
            for n, store in enumerate([first, second] * 5)
        )
    )
    assert sum(results) == 1
    holder = await first.fleet_claims.get(key)
    assert holder is not None and holder.lease_until == NOW + LEASE
    worker = holder.holder
    other = "process 1" if worker == "process 0" else "process 0"
    # Another worker: refused while the lease lasts, taken once it has run out.
    assert not await second.fleet_claims.claim(key, other, NOW + LEASE / 2, NOW + LEASE * 2)
    assert await first.fleet_claims.renew(key, worker, NOW + LEASE * 2)
    assert not await second.fleet_claims.claim(key, other, NOW + LEASE, NOW + LEASE * 3)
    # The holder itself (restarted) takes it back at once; once done, nobody ever again.
    assert await first.fleet_claims.claim(key, worker, NOW + LEASE, NOW + LEASE * 3)
    assert await first.fleet_claims.done(key, worker, NOW + LEASE)
    assert not await second.fleet_claims.claim(key, worker, NOW + LEASE * 9, NOW + LEASE * 10)
    assert not await second.fleet_claims.claim(key, other, NOW + LEASE * 9, NOW + LEASE * 10)
    assert not await second.fleet_claims.done(key, other, NOW + LEASE * 9)
    # Expired, not done: taken over.
    crashed = "nudges:1000:2027-06-01"
    assert await first.fleet_claims.claim(crashed, "process 0", NOW, NOW + LEASE)
    assert await second.fleet_claims.claim(crashed, "process 1", NOW + LEASE, NOW + LEASE * 2)
    assert not await first.fleet_claims.renew(crashed, "process 0", NOW + LEASE * 3)
    # Done runs are forgotten after a while; live ones are kept.
    assert await first.fleet_claims.prune(NOW + LEASE * 2) == 1
    assert await first.fleet_claims.get(key) is None
    assert await first.fleet_claims.get(crashed) is not None


async def test_a_poll_is_closed_by_the_deadline_or_by_hand_never_both(
    stores: tuple[Store, Store],
) -> None:
    first, second = stores
    poll_ids = []
    for n in range(10):
        poll_ids.append(
            await first.polls.insert(
                1000,
                title=f"Slot {n}",
                timezone="Europe/Brussels",
                organiser_id=42,
                length_seconds=3600,
                closes_at=NOW - timedelta(minutes=1),
                scope=Scope(),
                slots=[NOW + timedelta(days=3)],
                now=NOW - timedelta(days=1),
            )
        )
    by_deadline, *by_hand = await asyncio.gather(
        second.poll_deadlines.claim(poll_ids, NOW, "process b", NOW + LEASE),
        *(first.polls.claim_close(1000, poll_id, NOW) for poll_id in poll_ids),
    )
    closed_by_hand = [poll_id for poll_id, won in zip(poll_ids, by_hand, strict=True) if won]
    assert sorted(by_deadline + closed_by_hand) == sorted(poll_ids)
    assert not set(by_deadline) & set(closed_by_hand)
    # Closed by hand and announced at once: nothing left for the deadline.
    for poll_id in closed_by_hand:
        await first.polls.mark_announced(poll_id)
    assert await first.poll_deadlines.due(NOW, 100, ShardScope(), "process a") == []
    # The deadline's process died before announcing: another takes them after the lease.
    later = NOW + LEASE
    due = await first.poll_deadlines.due(later, 100, ShardScope(), "process a")
    assert sorted(p.id for p in due) == sorted(by_deadline)
    taken = await first.poll_deadlines.claim(by_deadline, later, "process a", later + LEASE)
    assert sorted(taken) == sorted(by_deadline)
    await second.poll_deadlines.finish([(i, "sent") for i in taken], later, "process b")
    assert len(await first.poll_deadlines.due(later, 100, ShardScope(), "process a")) == len(taken)
    await first.poll_deadlines.finish([(i, "sent") for i in taken], later, "process a")
    assert await first.poll_deadlines.due(later, 100, ShardScope(), "process a") == []
    assert await first.poll_deadlines.next_fire_at(ShardScope()) is None

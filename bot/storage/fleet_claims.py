"""Repository: named runs that happen once across the fleet (``fleet_claims``).

A run is named by a key: a guild's weekly digest (``digest:<guild>:<ISO week>``), its
daily nudges (``nudges:<guild>:<date>``). A process does the run only if ``claim`` gives
it the key: the key is new, or its holder's lease has run out (the holder died mid-run),
or the holder is this same worker (its previous life). ``done`` marks it finished: a done
key is never taken again. One statement decides, ``INSERT ... ON CONFLICT DO UPDATE ...
WHERE``: on PostgreSQL the conflicting row is locked while the condition is checked, so
of two processes claiming at once exactly one gets the key; on SQLite one process is the
only writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.storage.database import Database


@dataclass(frozen=True)
class FleetClaim:
    key: str
    holder: str
    lease_until: datetime
    claimed_at: datetime
    done_at: datetime | None


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def _dt(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class FleetClaimRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(self, key: str, worker: str, now: datetime, lease_until: datetime) -> bool:
        """Take ``key`` for ``worker`` until ``lease_until``; whether it was taken."""
        async with self.db.transaction() as conn:
            async with conn.execute(
                "INSERT INTO fleet_claims (key, holder, lease_until, claimed_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET"
                " holder = excluded.holder, lease_until = excluded.lease_until,"
                " claimed_at = excluded.claimed_at"
                " WHERE fleet_claims.done_at IS NULL"
                " AND (fleet_claims.lease_until <= ? OR fleet_claims.holder = excluded.holder)"
                " RETURNING key",
                (key, worker, _ts(lease_until), _ts(now), _ts(now)),
            ) as cursor:
                return await cursor.fetchone() is not None

    async def renew(self, key: str, worker: str, lease_until: datetime) -> bool:
        """Extend ``worker``'s lease on ``key``; False when it no longer holds it."""
        return await self._set_held("lease_until", _ts(lease_until), key, worker)

    async def done(self, key: str, worker: str, now: datetime) -> bool:
        """``worker`` finished the run of ``key``; False when it no longer held it."""
        return await self._set_held("done_at", _ts(now), key, worker)

    async def _set_held(self, column: str, value: int, key: str, worker: str) -> bool:
        """Set ``column`` of ``key`` while ``worker`` holds it, unfinished; whether it did."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                f"UPDATE fleet_claims SET {column} = ?"
                " WHERE key = ? AND holder = ? AND done_at IS NULL",
                (value, key, worker),
            )
            return cursor.rowcount == 1

    async def get(self, key: str) -> FleetClaim | None:
        row = await self.db.fetch_one(
            "SELECT key, holder, lease_until, claimed_at, done_at FROM fleet_claims WHERE key = ?",
            (key,),
        )
        if row is None:
            return None
        return FleetClaim(
            key=row[0],
            holder=row[1],
            lease_until=_dt(row[2]),
            claimed_at=_dt(row[3]),
            done_at=None if row[4] is None else _dt(row[4]),
        )

    async def prune(self, done_before: datetime) -> int:
        """Forget runs done before ``done_before`` (their keys name past weeks and days,
        never claimed again); how many."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM fleet_claims WHERE done_at IS NOT NULL AND done_at < ?",
                (_ts(done_before),),
            )
            return cursor.rowcount

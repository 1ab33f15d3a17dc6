"""Repository: polls as the deadline dispatcher's timer rows, claimed across the fleet.

A poll's deadline lives like a reminder row (``bot.storage.timer_claims``): an open poll
whose ``closes_at`` has come is due; ``claim`` closes it (open -> closed, in the
statement that takes the row, so of the deadline, ``/poll close`` and every other
process exactly one closes it) and holds it under the worker until ``lease_until`` while
the result is posted; ``finish`` records it announced. A poll closed but not announced
(its holder died mid-post, or ``/poll close`` could not post) is due again once its lease
has run out, for whichever process serves its guild: the result goes out with the same
nonces, so Discord answers a repeat with the message it already has.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.storage.database import Row
from bot.storage.fleet import EVERYTHING, ShardScope
from bot.storage.polls.models import PollDeadline
from bot.storage.timer_claims import DEFAULT_WORKER, ClaimedTimerTable

_UNANNOUNCED = "state = 'closed' AND announced = 0"


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


class PollDeadlineRepository(ClaimedTimerTable[PollDeadline]):
    """The polls as timer rows: next fire time, claim, renew and release are
    ClaimedTimerTable's over the conditions below; ``due``, ``finish`` and
    ``retry_later`` are the polls' own (two kinds of due row; finished is announced)."""

    table = "polls"
    columns = "id, guild_id, attempts"
    # An open poll waits for its deadline; a closed one not announced is held.
    waiting = "state = 'open' AND closes_at IS NOT NULL"
    fire_at = "closes_at"
    held = _UNANNOUNCED
    available = (
        "((state = 'open' AND closes_at IS NOT NULL AND closes_at <= ?)"
        f" OR ({_UNANNOUNCED} AND (lease_until <= ? OR claimed_by = ?)))"
    )
    # The claim closes an open poll (open -> closed, in the statement that takes it).
    take = (
        "closed_at = CASE WHEN state = 'open' THEN ? ELSE closed_at END,"
        " state = 'closed', claimed_by = ?, lease_until = ?, attempts = attempts + 1"
    )

    @staticmethod
    def _row(row: Row) -> PollDeadline:
        return PollDeadline(id=row[0], guild_id=row[1], attempts=row[2])

    async def due(
        self,
        now: datetime,
        limit: int = 100,
        scope: ShardScope = EVERYTHING,
        worker: str = DEFAULT_WORKER,
    ) -> list[PollDeadline]:
        """Polls of ``scope`` ``worker`` may claim now: those left unannounced first, then
        open ones by deadline."""
        where, params = scope.sql_filter()
        unannounced = await self.db.fetch_all(
            f"SELECT {self.columns} FROM polls WHERE {_UNANNOUNCED}"
            f" AND (lease_until <= ? OR claimed_by = ?){where} ORDER BY id LIMIT ?",
            [_ts(now), worker, *params, limit],
        )
        closing = await self.db.fetch_all(
            f"SELECT {self.columns} FROM polls WHERE {self.waiting}"
            f" AND closes_at <= ?{where} ORDER BY closes_at, id LIMIT ?",
            [_ts(now), *params, limit],
        )
        return [self._row(row) for row in [*unannounced, *closing][:limit]]

    async def finish(
        self, outcomes: Sequence[tuple[int, str]], now: datetime, worker: str = DEFAULT_WORKER
    ) -> None:
        """The results of these polls ``worker`` holds were posted."""
        await self._update_held("announced = 1", [(poll_id,) for poll_id, _ in outcomes], worker)

    async def retry_later(
        self,
        row_id: int,
        error: str,
        retry_at: datetime,
        give_up: bool,
        now: datetime,
        worker: str = DEFAULT_WORKER,
    ) -> None:
        """Posting the result failed: free for anyone at ``retry_at`` (the poll stays
        closed), or, giving up, recorded as announced so it is not tried again."""
        if give_up:
            await self._update_held("announced = 1", [(row_id,)], worker)
        else:
            await self._update_held(
                "lease_until = ?, claimed_by = NULL", [(_ts(retry_at), row_id)], worker
            )

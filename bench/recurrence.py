"""Recurrence expansion micro-benchmark: the calls Agora makes per repeating meeting.

    python bench/recurrence.py [--repeat 7]

Cases (Europe/Brussels, 09:00 wall-clock, one moved and one cancelled date):

* ``weekly year``: a weekly series starting today, every occurrence of its first year
  (``expand``), as ``/meeting info`` or an export would list them;
* ``weekly horizon``: a weekly series started three years ago, the reminder horizon
  (``expand`` from now to 8 days + 1 day ahead), what re-arming does for each series;
* ``weekly next 5``: the same series, ``next_occurrences(..., 5)`` (``/meeting info``);
* ``monthly last year``: the last Tuesday of every month, a year of it;
* ``monthly horizon``: a monthly series started three years ago, the reminder horizon;
* ``new weekly horizon`` / ``new monthly next 5``: the same calls on series that start
  tomorrow (nothing to skip);
* ``is occurrence``: ``is_occurrence`` for a date a year into a three-year-old series.

Prints microseconds per call (the best of ``--repeat`` timings, each a loop of many
calls) and the number of occurrences each case found, so two versions of the module can
be compared side by side from their own trees.
"""

from __future__ import annotations

import argparse
import json
import sys
import timeit
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.services.meetings import recurrence
from bot.storage.meetings.models import OccurrenceException

ZONE = "Europe/Brussels"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _cases() -> dict[str, tuple[Callable[[], object], int]]:
    local = NOW.astimezone(ZoneInfo(ZONE)).replace(hour=9, minute=0, second=0, microsecond=0)
    fresh = recurrence.make_rule("weekly", local + timedelta(days=1), 3600, ZONE)
    old = recurrence.make_rule("weekly", local - timedelta(weeks=156), 3600, ZONE)
    monthly_start = local.replace(day=24)  # the last Tuesday of November 2026
    monthly = recurrence.make_rule("monthly", monthly_start, 3600, ZONE, week_of_month="last")
    old_monthly = recurrence.make_rule(
        "monthly", monthly_start.replace(year=2023, month=11, day=28), 3600, ZONE
    )
    upcoming = recurrence.starts_after(old, NOW, 3)
    moved = upcoming[0] + timedelta(days=1)
    exceptions = [
        OccurrenceException(1, upcoming[0], "moved", moved, moved + timedelta(hours=1)),
        OccurrenceException(1, upcoming[1], "cancelled", None, None),
    ]
    year = timedelta(days=365)
    reach = timedelta(days=9)
    later = recurrence.starts_after(old, NOW + year, 1)[0]

    def weekly_year() -> object:
        return recurrence.expand(fresh, exceptions, NOW, NOW + year)

    def weekly_horizon() -> object:
        return recurrence.expand(old, exceptions, NOW, NOW + reach)

    def weekly_next() -> object:
        return recurrence.next_occurrences(old, exceptions, NOW, 5)

    def monthly_year() -> object:
        return recurrence.expand(monthly, [], NOW, NOW + year)

    def monthly_horizon() -> object:
        return recurrence.expand(old_monthly, [], NOW, NOW + reach)

    def new_weekly_horizon() -> object:
        return recurrence.expand(fresh, [], NOW, NOW + reach)

    def new_monthly_next() -> object:
        return recurrence.next_occurrences(monthly, [], NOW, 5)

    def is_occurrence() -> object:
        return recurrence.is_occurrence(old, later)

    return {
        "weekly year": (weekly_year, 200),
        "weekly horizon": (weekly_horizon, 2000),
        "weekly next 5": (weekly_next, 1000),
        "monthly last year": (monthly_year, 500),
        "monthly horizon": (monthly_horizon, 2000),
        "new weekly horizon": (new_weekly_horizon, 2000),
        "new monthly next 5": (new_monthly_next, 1000),
        "is occurrence": (is_occurrence, 1000),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    results: dict[str, dict[str, object]] = {}
    for name, (call, number) in _cases().items():
        found = call()
        best = min(timeit.repeat(call, number=number, repeat=args.repeat)) / number
        count = len(found) if isinstance(found, list) else found
        results[name] = {"us_per_call": round(best * 1e6, 1), "found": count}
        print(f"{name:18} {best * 1e6:9.1f} us   found {count}")
    print(json.dumps(results, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

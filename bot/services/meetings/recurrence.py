"""Recurring meetings: rules kept in local wall-clock time, expanded to instants.

A rule says "every 2 weeks on Tuesday at 09:00 Europe/Brussels" or "the 3rd
(or last) Tuesday of each month at 09:00"; each occurrence is that wall-clock
time converted on its own date, so 09:00 stays 09:00 across DST. Pure code.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from operator import attrgetter
from typing import Literal
from zoneinfo import ZoneInfo

from bot.errors import InvalidInput
from bot.services.common.weekdays import WEEKDAY_NAMES
from bot.storage.meetings.models import OccurrenceException, RecurrenceRule

ORDINALS = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", -1: "last"}
_MAX_SCAN = 5000  # occurrences examined before giving up (a rule far past its end)


def describe(rule: RecurrenceRule) -> str:
    """A human sentence for the rule, e.g. "every 2 weeks on Tuesday at 09:00 Europe/Brussels"."""
    day = WEEKDAY_NAMES[rule.weekday]
    clock = f"{rule.local_time:%H:%M} {rule.timezone}"
    if rule.frequency == "weekly":
        every = "every week" if rule.interval == 1 else f"every {rule.interval} weeks"
        text = f"{every} on {day} at {clock}"
    else:
        months = "every month" if rule.interval == 1 else f"every {rule.interval} months"
        text = f"the {ORDINALS[rule.nth or 1]} {day} of {months} at {clock}"
    return text + (f", until {rule.until:%Y-%m-%d}" if rule.until else "")


def day_text(moment: datetime | date, timezone: str) -> str:
    """ "Tue 20 June": the local day of an instant (or a day) in ``timezone``."""
    day = moment.astimezone(ZoneInfo(timezone)) if isinstance(moment, datetime) else moment
    return f"{day:%a} {day.day} {day:%B}"


def day_and_time(moment: datetime, timezone: str) -> str:
    """ "Tue 20 June 09:00": an instant as it reads in ``timezone`` (the zone not named)."""
    return f"{day_text(moment, timezone)} {moment.astimezone(ZoneInfo(timezone)):%H:%M}"


def nth_weekday_of(day: date) -> int:
    """Which occurrence of its weekday ``day`` is in its month (1..5)."""
    return (day.day - 1) // 7 + 1


def is_last_weekday_of_month(day: date) -> bool:
    return (day + timedelta(days=7)).month != day.month


def make_rule(
    frequency: str,
    start_local: datetime,
    duration_seconds: int,
    timezone: str,
    interval: int = 1,
    week_of_month: str | None = None,
    until: date | None = None,
) -> RecurrenceRule:
    """Build a rule from the first occurrence. ``week_of_month`` is "1".."4",
    "last", or None for the start's own position (monthly only).
    """
    if frequency not in ("weekly", "monthly"):
        raise InvalidInput("Repeat must be weekly or monthly.")
    if not 1 <= interval <= 52:
        raise InvalidInput("The repeat interval must be between 1 and 52.")
    first = start_local.date()
    if until is not None and until < first:
        raise InvalidInput("The repeat end date is before the first meeting.")
    nth: int | None = None
    if frequency == "monthly":
        nth = _nth_for(first, week_of_month)
    return RecurrenceRule(
        frequency="weekly" if frequency == "weekly" else "monthly",
        interval=interval,
        weekday=first.weekday(),
        local_time=start_local.time().replace(tzinfo=None, fold=0),
        duration_seconds=duration_seconds,
        timezone=timezone,
        first_date=first,
        nth=nth,
        until=until,
    )


def _nth_for(first: date, week_of_month: str | None) -> int:
    position = nth_weekday_of(first)
    if week_of_month is None:
        if position == 5:
            return -1  # a 5th weekday only exists in some months: treat as "last"
        return position
    if week_of_month == "last":
        if not is_last_weekday_of_month(first):
            raise InvalidInput(
                f"{first:%Y-%m-%d} is not the last {first:%A} of its month; "
                "pick a start on that day or another week."
            )
        return -1
    if week_of_month in ("1", "2", "3", "4"):
        if int(week_of_month) != position:
            raise InvalidInput(
                f"{first:%Y-%m-%d} is the {ORDINALS.get(position, str(position))} "
                f"{first:%A} of its month, not the {ORDINALS[int(week_of_month)]}."
            )
        return position
    raise InvalidInput("Week of month must be 1, 2, 3, 4 or last.")


def _monthly_date(year: int, month: int, weekday: int, nth: int) -> date:
    if nth > 0:
        first = date(year, month, 1)
        offset = (weekday - first.weekday()) % 7
        return first + timedelta(days=offset + 7 * (nth - 1))
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last = next_month - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _dates(rule: RecurrenceRule, first_index: int) -> Iterator[date]:
    """The local dates of occurrences ``first_index``, ``first_index + 1``, ... up to ``until``."""
    for index in range(first_index, _MAX_SCAN):
        if rule.frequency == "weekly":
            day = rule.first_date + timedelta(weeks=index * rule.interval)
        else:
            months = rule.first_date.month - 1 + index * rule.interval
            year = rule.first_date.year + months // 12
            day = _monthly_date(year, months % 12 + 1, rule.weekday, rule.nth or 1)
        if rule.until is not None and day > rule.until:
            return
        yield day


def local_dates(rule: RecurrenceRule) -> Iterator[date]:
    """Every occurrence's local date, from the first, in order, up to ``until``."""
    return _dates(rule, 0)


def _index_near(rule: RecurrenceRule, day: date) -> int:
    """The index of the first occurrence whose period (week or month, counted from
    ``first_date``) can hold a date on or after local ``day``: no later occurrence is
    before ``day``."""
    first = rule.first_date
    if rule.frequency == "weekly":
        return max(0, -(-(day - first).days // (7 * rule.interval)))  # ceiling division
    return max(0, ((day.year - first.year) * 12 + day.month - first.month) // rule.interval)


def _starts_from(rule: RecurrenceRule, after: datetime) -> Iterator[datetime]:
    """Occurrence starts (UTC) in order, from at most two local days before ``after``.

    Starting near the moment asked for, rather than at the first date, keeps a
    long-running series as cheap to expand as a new one.
    """
    zone = ZoneInfo(rule.timezone)
    # Two days back covers any change of UTC offset between ``after`` and an occurrence
    # (a zone has skipped a whole day).
    day = after.astimezone(zone).date() - timedelta(days=2)
    local_time = rule.local_time
    for each in _dates(rule, _index_near(rule, day)):
        yield datetime.combine(each, local_time, zone).astimezone(UTC)


def occurrence_start(rule: RecurrenceRule, day: date) -> datetime:
    """The UTC start of the occurrence on local ``day``.

    A wall-clock time inside a spring-forward gap is moved forward by the gap
    (what the clock reads an hour later); a doubled time takes its first pass.
    """
    zone = ZoneInfo(rule.timezone)
    local = datetime.combine(day, rule.local_time).replace(tzinfo=zone)
    return local.astimezone(UTC)


def starts_after(rule: RecurrenceRule, after: datetime, limit: int) -> list[datetime]:
    """Up to ``limit`` occurrence starts (UTC) strictly after ``after``."""
    found: list[datetime] = []
    for start in _starts_from(rule, after):
        if start > after:
            found.append(start)
            if len(found) >= limit:
                break
    return found


def starts_between(rule: RecurrenceRule, begin: datetime, end: datetime) -> list[datetime]:
    """Occurrence starts (UTC) with ``begin <= start < end``."""
    found: list[datetime] = []
    for start in _starts_from(rule, begin):
        if start >= end:
            break
        if start >= begin:
            found.append(start)
    return found


def is_occurrence(rule: RecurrenceRule, start: datetime) -> bool:
    """Whether ``start`` (UTC) is one of the rule's own occurrence starts."""
    for candidate in _starts_from(rule, start):
        if candidate == start:
            return True
        if candidate > start:
            return False
    return False


# A moved occurrence may land at most this far from its rule date, so a window
# of rule dates this much wider than asked always finds it.
MAX_MOVE = timedelta(days=28)


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a meeting: its rule start (the key) and actual times."""

    original_start: datetime
    starts_at: datetime
    ends_at: datetime
    status: Literal["scheduled", "moved", "cancelled"]

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"


def expand(
    rule: RecurrenceRule,
    exceptions: Sequence[OccurrenceException],
    begin: datetime,
    end: datetime,
    include_cancelled: bool = False,
) -> list[Occurrence]:
    """Occurrences whose actual start is in ``[begin, end)``, exceptions applied, in order."""
    changed = {exception.original_start: exception for exception in exceptions}
    duration = timedelta(seconds=rule.duration_seconds)
    originals = starts_between(rule, begin, end)
    # Dates of the rule up to MAX_MOVE outside the window that were moved into it.
    arrivals = [
        original
        for original, exception in changed.items()
        if exception.status == "moved"
        and exception.starts_at is not None
        and begin <= exception.starts_at < end
        and (begin - MAX_MOVE <= original < begin or end <= original < end + MAX_MOVE)
        and is_occurrence(rule, original)
    ]
    if arrivals:
        originals = sorted(originals + arrivals)
    found: list[Occurrence] = []
    moved = False
    for original in originals:
        exception = changed.get(original)
        if exception is None:
            found.append(Occurrence(original, original, original + duration, "scheduled"))
        elif exception.status == "cancelled":
            if include_cancelled:
                found.append(Occurrence(original, original, original + duration, "cancelled"))
        else:
            starts_at = exception.starts_at or original
            if begin <= starts_at < end:
                ends_at = exception.ends_at or starts_at + duration
                found.append(Occurrence(original, starts_at, ends_at, "moved"))
                moved = True
    if moved:  # otherwise already in order
        found.sort(key=attrgetter("starts_at"))
    return found


def next_occurrences(
    rule: RecurrenceRule,
    exceptions: Sequence[OccurrenceException],
    after: datetime,
    limit: int,
    include_cancelled: bool = False,
) -> list[Occurrence]:
    """The next ``limit`` occurrences that have not ended by ``after``."""
    found: list[Occurrence] = []
    window = timedelta(days=62 * rule.interval)
    begin = after - timedelta(seconds=rule.duration_seconds)
    for _ in range(120):  # at most ~20 years of windows
        chunk = expand(rule, exceptions, begin, begin + window, include_cancelled)
        found += [occurrence for occurrence in chunk if occurrence.ends_at > after]
        if len(found) >= limit:
            return found[:limit]
        begin += window
        if rule.until is not None and begin.date() > rule.until + MAX_MOVE:
            break
    return found[:limit]


def changed_occurrences(
    rule: RecurrenceRule, exceptions: Sequence[OccurrenceException], after: datetime
) -> list[Occurrence]:
    """The moved and cancelled occurrences not over by ``after``, by their usual start."""
    duration = timedelta(seconds=rule.duration_seconds)
    found: list[Occurrence] = []
    for exception in sorted(exceptions, key=lambda e: e.original_start):
        original = exception.original_start
        if exception.status == "cancelled":
            occurrence = Occurrence(original, original, original + duration, "cancelled")
        else:
            starts_at = exception.starts_at or original
            ends_at = exception.ends_at or starts_at + duration
            occurrence = Occurrence(original, starts_at, ends_at, "moved")
        if occurrence.ends_at > after:
            found.append(occurrence)
    return found

"""Recurring meetings: rules kept in local wall-clock time, expanded to instants.

A rule says "every 2 weeks on Tuesday at 09:00 Europe/Brussels" or "the 3rd
(or last) Tuesday of each month at 09:00"; each occurrence is that wall-clock
time converted on its own date, so 09:00 stays 09:00 across DST. The dates come
from dateutil's ``rrule`` over local wall-clock times. Pure code.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from operator import attrgetter
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, MONTHLY, rrule

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


def _series(rule: RecurrenceRule, day: date, zone: ZoneInfo) -> tuple[rrule, int]:
    """The rule as a dateutil ``rrule`` of wall-clock times in ``zone``, started at the first
    of its periods (weeks or months, counted from ``first_date``) that can hold an
    occurrence on or after local ``day``, and how many occurrences it skips by starting
    there. Starting near the window asked for, rather than at the first date, keeps a
    long-running series as cheap to expand as a new one.
    """
    first = rule.first_date
    # dateutil builds each occurrence as a wall-clock time with ``zone`` attached and
    # compares it with ``until`` as wall-clock times: the whole last day is in.
    until = None if rule.until is None else datetime.combine(rule.until, time.max, zone)
    if rule.frequency == "weekly":
        step = 7 * rule.interval
        skipped = max(0, -(-(day - first).days // step))  # ceiling division
        start = first + timedelta(days=skipped * step)
        # Every ``step`` days from a date on the rule's weekday: the dates of WEEKLY on
        # that weekday, for a third less of dateutil's work per date.
        series = rrule(
            DAILY,
            dtstart=datetime.combine(start, rule.local_time, zone),
            interval=step,
            until=until,
            cache=False,
        )
        return series, skipped
    months = (day.year - first.year) * 12 + day.month - first.month
    skipped = max(0, months // rule.interval)
    if skipped == 0:
        start = first
    else:
        month = first.month - 1 + skipped * rule.interval
        start = date(first.year + month // 12, month % 12 + 1, 1)
    series = rrule(
        MONTHLY,
        dtstart=datetime.combine(start, rule.local_time, zone),
        interval=rule.interval,
        byweekday=rule.weekday,
        bysetpos=rule.nth or 1,  # the nth (or, -1, the last) of the month's such weekdays
        until=until,
        cache=False,
    )
    return series, skipped


def local_dates(rule: RecurrenceRule) -> Iterator[date]:
    """Every occurrence's local date, from the first, in order, up to ``until``."""
    series, _ = _series(rule, rule.first_date, ZoneInfo(rule.timezone))
    for moment in islice(series, _MAX_SCAN):
        yield moment.date()


def _starts_from(rule: RecurrenceRule, after: datetime) -> Iterator[datetime]:
    """Occurrence starts (UTC) in order, from at most two local days before ``after``."""
    zone = ZoneInfo(rule.timezone)
    # Two days back covers any change of UTC offset between ``after`` and an occurrence.
    day = after.astimezone(zone).date() - timedelta(days=2)
    series, skipped = _series(rule, day, zone)
    microsecond = rule.local_time.microsecond  # dateutil drops it from dtstart
    for moment in islice(series, max(0, _MAX_SCAN - skipped)):
        if microsecond:
            moment = moment.replace(microsecond=microsecond)
        yield moment.astimezone(UTC)


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

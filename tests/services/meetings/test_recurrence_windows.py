"""Expanding a window of a series gives what counting from its first date gives.

The recurrence module counts occurrences from near the window asked for
rather than from the series' first date. Each query here is checked
against the plain definition: the n-th occurrence is the first date plus n
intervals (or the n-th interval's month, on its nth or last weekday), at the
rule's wall-clock time in its zone, up to ``until`` inclusive.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import example, given
from hypothesis import strategies as st

from bot.services.meetings import recurrence
from bot.storage.meetings.models import OccurrenceException, RecurrenceRule

# Zones with DST both ways, a half-hour shift, a zone that skipped a whole day
# (Samoa, 30 Dec 2011) and one without DST.
ZONES = (
    "Europe/Brussels",
    "America/New_York",
    "Australia/Lord_Howe",
    "Pacific/Apia",
    "Asia/Tokyo",
)
# Wall-clock times that fall in spring-forward gaps or doubled autumn hours somewhere.
TIMES = (time(0, 0), time(0, 30), time(2, 0), time(2, 30), time(9, 0), time(23, 59, 59, 5))


def _reference_dates(rule: RecurrenceRule, count: int) -> list[date]:
    found: list[date] = []
    for index in range(count):
        if rule.frequency == "weekly":
            day = rule.first_date + timedelta(weeks=index * rule.interval)
        else:
            months = rule.first_date.month - 1 + index * rule.interval
            year, month = rule.first_date.year + months // 12, months % 12 + 1
            weeks = calendar.Calendar().monthdatescalendar(year, month)
            days = [d for week in weeks for d in week if d.month == month]
            matching = [d for d in days if d.weekday() == rule.weekday]
            nth = rule.nth or 1
            day = matching[nth - 1] if nth > 0 else matching[-1]
        if rule.until is not None and day > rule.until:
            break
        found.append(day)
    return found


def _reference_starts(rule: RecurrenceRule, count: int) -> list[datetime]:
    zone = ZoneInfo(rule.timezone)
    return [
        datetime.combine(day, rule.local_time).replace(tzinfo=zone).astimezone(UTC)
        for day in _reference_dates(rule, count)
    ]


@st.composite
def rules(draw: st.DrawFn) -> RecurrenceRule:
    frequency = draw(st.sampled_from(("weekly", "monthly")))
    first = draw(st.dates(min_value=date(2009, 1, 1), max_value=date(2014, 12, 31)))
    nth: int | None = None
    if frequency == "monthly":
        position = (first.day - 1) // 7 + 1
        last = (first + timedelta(days=7)).month != first.month
        nth = draw(
            st.sampled_from([-1] if position == 5 else [position, -1] if last else [position])
        )
    until = draw(st.none() | st.integers(0, 3000).map(lambda days: first + timedelta(days=days)))
    return RecurrenceRule(
        frequency=frequency,
        interval=draw(st.sampled_from((1, 1, 2, 3, 5, 52))),
        weekday=first.weekday(),
        local_time=draw(st.sampled_from(TIMES)),
        duration_seconds=3600,
        timezone=draw(st.sampled_from(ZONES)),
        first_date=first,
        nth=nth,
        until=until,
    )


def _instants(rule: RecurrenceRule) -> st.SearchStrategy[datetime]:
    start = datetime.combine(rule.first_date, time(0), tzinfo=UTC)
    return st.integers(-20 * 86400, 4000 * 86400).map(lambda s: start + timedelta(seconds=s))


WEEKLY_LORD_HOWE = RecurrenceRule(
    "weekly", 1, 6, time(2, 0), 3600, "Australia/Lord_Howe", date(2011, 9, 25)
)


@given(data=st.data(), rule=rules())
@example(data=None, rule=WEEKLY_LORD_HOWE)
def test_windows_match_counting_from_the_first_date(
    data: st.DataObject | None, rule: RecurrenceRule
) -> None:
    reference = _reference_starts(rule, 700)
    if data is None:
        begin = datetime(2011, 10, 1, 15, 30, tzinfo=UTC)  # the day clocks went forward
        span, after = timedelta(days=20), begin
    else:
        begin = data.draw(_instants(rule))
        span = data.draw(st.sampled_from((timedelta(0), timedelta(days=9), timedelta(days=400))))
        after = data.draw(_instants(rule))
    end = begin + span
    assert reference[-1] > end + recurrence.MAX_MOVE or rule.until is not None
    assert recurrence.starts_between(rule, begin, end) == [s for s in reference if begin <= s < end]
    assert recurrence.starts_after(rule, after, 3) == [s for s in reference if s > after][:3]
    assert [d for d, _ in zip(recurrence.local_dates(rule), range(60), strict=False)] == (
        _reference_dates(rule, 60)
    )
    inside = [s for s in reference if s >= begin][:1]
    for start in inside:
        assert recurrence.is_occurrence(rule, start)
        assert not recurrence.is_occurrence(rule, start + timedelta(seconds=1))


@given(data=st.data(), rule=rules())
def test_expand_moves_and_cancels_in_any_window(data: st.DataObject, rule: RecurrenceRule) -> None:
    reference = _reference_starts(rule, 700)
    begin = data.draw(_instants(rule))
    end = begin + timedelta(days=9)
    nearby = [s for s in reference if begin - recurrence.MAX_MOVE <= s < end + recurrence.MAX_MOVE]
    shifts = data.draw(st.lists(st.integers(-27 * 24, 27 * 24), max_size=len(nearby)))
    exceptions = [
        OccurrenceException(1, original, "cancelled", None, None)
        if hours % 5 == 0
        else OccurrenceException(1, original, "moved", original + timedelta(hours=hours), None)
        for original, hours in zip(nearby, shifts, strict=False)
    ]
    stray = begin - timedelta(days=3, seconds=1)  # not a date of the rule (edited since)
    if stray not in reference:
        exceptions.append(OccurrenceException(1, stray, "moved", begin, None))
    changed = {e.original_start: e for e in exceptions}
    expected = []
    for original in nearby:
        exception = changed.get(original)
        if exception is not None and exception.status == "cancelled":
            continue
        starts_at = original if exception is None else exception.starts_at
        assert starts_at is not None
        if begin <= starts_at < end:
            expected.append((starts_at, original))
    found = recurrence.expand(rule, exceptions, begin, end)
    assert [(o.starts_at, o.original_start) for o in found] == sorted(expected)
    assert all(o.ends_at == o.starts_at + timedelta(hours=1) for o in found)


def test_a_series_many_years_old_still_expands_its_next_week() -> None:
    rule = RecurrenceRule(
        "monthly", 1, 1, time(9, 0), 3600, "Europe/Brussels", date(1990, 1, 30), nth=-1
    )
    begin = datetime(2026, 11, 20, tzinfo=UTC)
    found = recurrence.expand(rule, [], begin, begin + timedelta(days=9))
    assert [o.starts_at for o in found] == [datetime(2026, 11, 24, 8, 0, tzinfo=UTC)]


def test_a_window_just_after_a_skipped_day_keeps_the_skipped_dates_occurrence() -> None:
    # Samoa went from 29 to 31 December 2011 at midnight (UTC-10 to UTC+14): a
    # Friday 30 December meeting keeps the old offset, so it starts after a moment
    # whose local date is already the 31st.
    rule = RecurrenceRule("weekly", 1, 4, time(20, 0), 3600, "Pacific/Apia", date(2011, 12, 2))
    after = datetime(2011, 12, 30, 10, 0, tzinfo=UTC)  # 31 December 00:00 in Apia
    friday = datetime(2011, 12, 31, 6, 0, tzinfo=UTC)  # 30 December 20:00 at UTC-10
    assert recurrence.starts_after(rule, after, 1) == [friday]
    assert recurrence.starts_between(rule, after, after + timedelta(days=1)) == [friday]
    assert recurrence.is_occurrence(rule, friday)

"""Recurring rules in local wall-clock time, with moved and cancelled occurrences."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InvalidInput
from bot.services.meetings import recurrence
from bot.storage.meetings.models import OccurrenceException

BRUSSELS = ZoneInfo("Europe/Brussels")


def _local(*args: int) -> datetime:
    return datetime(*args, tzinfo=BRUSSELS)  # type: ignore[misc]


def test_weekly_keeps_nine_oclock_across_dst() -> None:
    rule = recurrence.make_rule("weekly", _local(2017, 3, 14, 9, 0), 3600, "Europe/Brussels")
    starts = recurrence.starts_after(rule, datetime(2017, 3, 1, tzinfo=UTC), 4)
    assert [s.astimezone(BRUSSELS).hour for s in starts] == [9, 9, 9, 9]
    assert [s.hour for s in starts] == [8, 8, 7, 7]  # UTC shifts on 26 March
    assert [s.astimezone(BRUSSELS).date() for s in starts] == [
        date(2017, 3, 14),
        date(2017, 3, 21),
        date(2017, 3, 28),
        date(2017, 4, 4),
    ]


def test_every_two_weeks_until_inclusive() -> None:
    rule = recurrence.make_rule(
        "weekly",
        _local(2017, 6, 6, 14, 0),
        3600,
        "Europe/Brussels",
        interval=2,
        until=date(2017, 7, 4),
    )
    days = [d for d in recurrence.local_dates(rule)]
    assert days == [date(2017, 6, 6), date(2017, 6, 20), date(2017, 7, 4)]


def test_monthly_third_tuesday_and_last_tuesday() -> None:
    third = recurrence.make_rule("monthly", _local(2017, 6, 20, 9, 0), 3600, "Europe/Brussels")
    assert third.nth == 3
    days = [d for _, d in zip(range(4), recurrence.local_dates(third), strict=False)]
    assert days == [date(2017, 6, 20), date(2017, 7, 18), date(2017, 8, 15), date(2017, 9, 19)]
    last = recurrence.make_rule(
        "monthly", _local(2017, 6, 27, 9, 0), 3600, "Europe/Brussels", week_of_month="last"
    )
    days = [d for _, d in zip(range(3), recurrence.local_dates(last), strict=False)]
    assert days == [date(2017, 6, 27), date(2017, 7, 25), date(2017, 8, 29)]
    assert "last Tuesday" in recurrence.describe(last)


def test_wrong_week_of_month_is_refused() -> None:
    with pytest.raises(InvalidInput, match="3rd Tuesday"):
        recurrence.make_rule(
            "monthly", _local(2017, 6, 20, 9, 0), 3600, "Europe/Brussels", week_of_month="2"
        )
    with pytest.raises(InvalidInput, match="not the last"):
        recurrence.make_rule(
            "monthly", _local(2017, 6, 20, 9, 0), 3600, "Europe/Brussels", week_of_month="last"
        )
    with pytest.raises(InvalidInput, match="weekly or monthly"):
        recurrence.make_rule("daily", _local(2017, 6, 20, 9, 0), 3600, "Europe/Brussels")


def test_exceptions_cancel_and_move_occurrences() -> None:
    rule = recurrence.make_rule("weekly", _local(2017, 6, 6, 9, 0), 3600, "Europe/Brussels")
    first, second, third = recurrence.starts_after(rule, datetime(2017, 6, 1, tzinfo=UTC), 3)
    moved_to = second + timedelta(days=1, hours=2)
    exceptions = [
        OccurrenceException(1, first, "cancelled", None, None),
        OccurrenceException(1, second, "moved", moved_to, moved_to + timedelta(hours=1)),
    ]
    found = recurrence.next_occurrences(rule, exceptions, datetime(2017, 6, 1, tzinfo=UTC), 3)
    assert [o.starts_at for o in found] == [moved_to, third, third + timedelta(weeks=1)]
    assert found[0].status == "moved" and found[0].original_start == second
    with_cancelled = recurrence.next_occurrences(
        rule, exceptions, datetime(2017, 6, 1, tzinfo=UTC), 1, include_cancelled=True
    )
    assert with_cancelled[0].is_cancelled
    assert recurrence.is_occurrence(rule, third)
    assert not recurrence.is_occurrence(rule, third + timedelta(minutes=1))

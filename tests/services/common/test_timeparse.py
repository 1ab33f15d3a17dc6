"""Time parsing: formats, zones, daylight-saving gaps and folds, and refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import InvalidInput
from bot.services.common import timeparse

BRUSSELS = "Europe/Brussels"
NOW = datetime(2017, 6, 1, 12, 0, tzinfo=UTC)  # a Thursday, 14:00 in Brussels


@pytest.mark.parametrize(
    "text",
    [
        "2017-06-20 09:00",
        "20/06/2017 9:00",
        "20.06.2017 09:00",
        "2017-06-20T09:00",
        "2017-06-20T09:00+02:00",
        "2017-06-20T07:00Z",
        "2017-06-20 07:00:00+00:00",
    ],
)
def test_accepted_formats_name_the_same_instant(text: str) -> None:
    parsed = timeparse.parse_time(text, BRUSSELS, NOW)
    assert parsed.utc == datetime(2017, 6, 20, 7, 0, tzinfo=UTC)
    assert parsed.local.hour == 9
    assert parsed.zone == BRUSSELS


def test_nine_oclock_stays_nine_oclock_in_winter_and_summer() -> None:
    january = timeparse.parse_time("2017-01-10 09:00", BRUSSELS, NOW)
    july = timeparse.parse_time("2017-07-10 09:00", BRUSSELS, NOW)
    assert (january.local.hour, july.local.hour) == (9, 9)
    assert january.utc.hour == 8  # CET, UTC+1
    assert july.utc.hour == 7  # CEST, UTC+2


def test_relative_forms() -> None:
    assert timeparse.parse_time("in 30 minutes", BRUSSELS, NOW).utc == NOW + timedelta(minutes=30)
    assert timeparse.parse_time("in 2 hours", BRUSSELS, NOW).utc == NOW + timedelta(hours=2)
    assert timeparse.parse_time("in 3 days", BRUSSELS, NOW).utc == NOW + timedelta(days=3)
    assert timeparse.parse_time("today 9:30", BRUSSELS, NOW).local == datetime(
        2017, 6, 1, 9, 30, tzinfo=ZoneInfo(BRUSSELS)
    )
    tomorrow = timeparse.parse_time("tomorrow 14:00", BRUSSELS, NOW)
    assert (tomorrow.local.date(), tomorrow.local.hour) == (date(2017, 6, 2), 14)
    monday = timeparse.parse_time("monday 10:00", BRUSSELS, NOW)
    assert (monday.local.date(), monday.local.hour) == (date(2017, 6, 5), 10)
    # The same weekday means next week, not today.
    thursday = timeparse.parse_time("thursday 18:00", BRUSSELS, NOW)
    assert thursday.local.date() == date(2017, 6, 8)


def test_days_keep_wall_clock_across_dst_but_hours_are_elapsed() -> None:
    before_change = datetime(2017, 3, 25, 8, 0, tzinfo=UTC)  # Saturday 09:00 CET
    next_day = timeparse.parse_time("in 1 day", BRUSSELS, before_change)
    assert next_day.local.hour == 9
    assert next_day.utc - before_change == timedelta(hours=23)
    hours = timeparse.parse_time("in 24 hours", BRUSSELS, before_change)
    assert hours.utc - before_change == timedelta(hours=24)
    assert hours.local.hour == 10


def test_spring_forward_gap_is_refused() -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        timeparse.parse_time("2027-03-28 02:30", BRUSSELS, NOW)


def test_fall_back_ambiguity_takes_first_occurrence_and_says_so() -> None:
    parsed = timeparse.parse_time("2027-10-31 02:30", BRUSSELS, NOW)
    assert parsed.utc == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # still CEST
    assert parsed.notes and "happens twice" in parsed.notes[0]


def test_unparseable_lists_accepted_formats() -> None:
    with pytest.raises(InvalidInput, match="Accepted: 2017-06-20 09:00"):
        timeparse.parse_time("next full moon", BRUSSELS, NOW)
    with pytest.raises(InvalidInput, match="not a real date"):
        timeparse.parse_time("31/02/2017 10:00", BRUSSELS, NOW)
    with pytest.raises(InvalidInput, match="impossible time"):
        timeparse.parse_time("2017-06-20 25:00", BRUSSELS, NOW)


def test_unknown_zone_suggests_close_names() -> None:
    with pytest.raises(InvalidInput, match="Europe/Brussels"):
        timeparse.resolve_zone("Europe/Brusels")
    with pytest.raises(InvalidInput, match="Europe/Brussels"):
        timeparse.resolve_zone("Brussels")
    assert str(timeparse.resolve_zone("europe/brussels")) == BRUSSELS


def test_end_forms_and_order() -> None:
    start = timeparse.parse_time("2017-06-20 09:00", BRUSSELS, NOW)
    assert timeparse.parse_end("17:30", start, NOW).local.hour == 17
    assert timeparse.parse_end("3h", start, NOW).utc == start.utc + timedelta(hours=3)
    assert timeparse.parse_end("1h30m", start, NOW).utc == start.utc + timedelta(minutes=90)
    with pytest.raises(InvalidInput, match="must be after the start"):
        timeparse.parse_end("08:00", start, NOW)
    with pytest.raises(InvalidInput, match="must be after the start"):
        timeparse.parse_end("09:00", start, NOW)


def test_sessions_must_fit_and_past_needs_confirmation() -> None:
    start = datetime(2017, 6, 20, 7, tzinfo=UTC)
    end = start + timedelta(hours=8)
    timeparse.ensure_within(start, start + timedelta(hours=1), start, end, BRUSSELS)
    with pytest.raises(InvalidInput, match="fit inside the meeting"):
        timeparse.ensure_within(
            start - timedelta(minutes=1), start + timedelta(hours=1), start, end, BRUSSELS
        )
    with pytest.raises(InvalidInput, match="in the past"):
        timeparse.ensure_not_past(NOW - timedelta(days=1), NOW, confirm_past=False)
    timeparse.ensure_not_past(NOW - timedelta(days=1), NOW, confirm_past=True)


def test_discord_timestamp_markup() -> None:
    moment = datetime(2017, 6, 20, 7, 0, tzinfo=UTC)
    assert timeparse.discord_timestamp(moment, "F") == "<t:1497942000:F>"
    assert timeparse.discord_timestamp(moment, "R") == "<t:1497942000:R>"
    assert timeparse.full_and_relative(1497942000) == "<t:1497942000:F> (<t:1497942000:R>)"
    with pytest.raises(ValueError):
        timeparse.discord_timestamp(moment, "x")


ZONES = st.sampled_from(["Europe/Brussels", "America/New_York", "Australia/Sydney", "UTC"])
LOCAL = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31)).map(
    lambda moment: moment.replace(second=0, microsecond=0)
)


@given(zone=ZONES, local=LOCAL)
def test_written_local_times_round_trip_or_are_refused_as_gaps(zone: str, local: datetime) -> None:
    text = f"{local:%Y-%m-%d %H:%M}"
    try:
        parsed = timeparse.parse_time(text, zone, NOW)
    except InvalidInput as exc:
        assert "does not exist" in exc.message
        return
    assert parsed.local.replace(tzinfo=None) == local
    assert parsed.utc.astimezone(ZoneInfo(zone)).replace(tzinfo=None) == local
    # The other notation names the same instant.
    assert timeparse.parse_time(f"{local:%d/%m/%Y %H:%M}", zone, NOW).utc == parsed.utc


@given(
    zone=ZONES,
    minutes=st.integers(min_value=0, max_value=9999),
    now=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2037, 1, 1), timezones=st.just(UTC)
    ),
)
def test_in_minutes_is_exact_elapsed_time(zone: str, minutes: int, now: datetime) -> None:
    assert timeparse.parse_time(f"in {minutes} minutes", zone, now).utc == now + timedelta(
        minutes=minutes
    )


@pytest.mark.parametrize("text", ["0001-01-01 00:00", "0001-01-01T00:00", "1969-12-31 23:00"])
def test_years_out_of_range_are_refused_not_crashed(text: str) -> None:
    with pytest.raises(InvalidInput, match="too far in the past or future"):
        timeparse.parse_time(text, "Europe/Brussels", datetime(2017, 6, 1, tzinfo=UTC))


def test_an_end_beyond_the_calendar_is_refused() -> None:
    start = timeparse.parse_time("2017-06-20 09:00", "Asia/Tokyo", datetime(2017, 6, 1, tzinfo=UTC))
    with pytest.raises(InvalidInput, match="too far"):
        timeparse.parse_end("99999999999d", start, datetime(2017, 6, 1, tzinfo=UTC))

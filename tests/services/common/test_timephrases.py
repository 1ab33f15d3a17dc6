"""Times as people type them, read in Europe/Brussels around the two DST changes.

``now`` is fixed: Friday 26 March 2027 12:00 (two days before the clocks jump
from 02:00 to 03:00) and Friday 29 October 2027 12:00 (two days before they go
back from 03:00 to 02:00). Each expected instant is written with its offset, so
the table also says on which side of the change it lands.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InvalidInput
from bot.services.common import timeparse

BRUSSELS = "Europe/Brussels"
MARCH = datetime(2027, 3, 26, 12, 0, tzinfo=ZoneInfo(BRUSSELS))  # Friday, CET
OCTOBER = datetime(2027, 10, 29, 12, 0, tzinfo=ZoneInfo(BRUSSELS))  # Friday, CEST

JUNE_20 = "2027-06-20T09:00+02:00"

MARCH_PHRASES = [
    # Day, month name, year; month name, day; the time before or after.
    ("20 June 2027 9am", JUNE_20),
    ("20 june 2027 09:00", JUNE_20),
    ("20th June 2027 9am", JUNE_20),
    ("the 20th of June 2027 at 9am", JUNE_20),
    ("June 20th 2027 at 9", JUNE_20),
    ("June 20 2027 9:00", JUNE_20),
    ("June 20th, 2027 at 9am", JUNE_20),
    ("Sunday 20 June 2027 9am", JUNE_20),
    ("Sun, June 20, 2027 9 a.m.", JUNE_20),
    ("20 Jun 2027 9am", JUNE_20),
    ("9am 20 June 2027", JUNE_20),
    ("at 9am on 20 June 2027", JUNE_20),
    ("20 June 9am", JUNE_20),
    ("20 June 2027 9.30pm", "2027-06-20T21:30+02:00"),
    ("20 June 2027 9:30 pm", "2027-06-20T21:30+02:00"),
    ("20 June 2027 noon", "2027-06-20T12:00+02:00"),
    ("20 June 2027 midnight", "2027-06-20T00:00+02:00"),
    ("1st April 2027 10am", "2027-04-01T10:00+02:00"),
    ("2nd of April 2027 10:00", "2027-04-02T10:00+02:00"),
    ("3rd April 2027 at 7", "2027-04-03T19:00+02:00"),
    ("March 3rd 10am", "2028-03-03T10:00+01:00"),  # already past this year
    ("sept 1 9am", "2027-09-01T09:00+02:00"),
    # Numbers.
    ("20.06.2027 09:00", JUNE_20),
    ("20/06/2027 9:00", JUNE_20),
    ("20-06-2027 09:00", JUNE_20),
    ("20/06/27 9:00", JUNE_20),
    ("20/06 9am", JUNE_20),
    ("2027-06-20 09:00", JUNE_20),
    ("2027/06/20 9am", JUNE_20),
    ("2027-06-20T09:00", JUNE_20),
    ("2027-06-20T07:00Z", JUNE_20),
    ("2027-06-20T09:00+02:00", JUNE_20),
    ("13/04/2027 10:00", "2027-04-13T10:00+02:00"),
    # Weekdays: said on a Friday, "friday" is a week on, "this friday" today.
    ("friday 10am", "2027-04-02T10:00+02:00"),
    ("next friday 10am", "2027-04-02T10:00+02:00"),
    ("this friday 5pm", "2027-03-26T17:00+01:00"),
    ("next friday", "2027-04-02T09:00+02:00"),
    ("saturday 10am", "2027-03-27T10:00+01:00"),
    ("sunday 10am", "2027-03-28T10:00+02:00"),  # after the clocks jumped
    ("sun 3:30", "2027-03-28T03:30+02:00"),
    ("sunday 1:30am", "2027-03-28T01:30+01:00"),  # before the jump
    ("monday 9am", "2027-03-29T09:00+02:00"),
    ("next tuesday 3pm", "2027-03-30T15:00+02:00"),
    ("tue 15:00", "2027-03-30T15:00+02:00"),
    ("3pm next tuesday", "2027-03-30T15:00+02:00"),
    ("next tues at 3pm", "2027-03-30T15:00+02:00"),
    ("wednesday at 10", "2027-03-31T10:00+02:00"),
    ("Thursday, 2pm", "2027-04-01T14:00+02:00"),
    # Day words and times alone.
    ("tomorrow at 3", "2027-03-27T15:00+01:00"),
    ("tomorrow 14:00", "2027-03-27T14:00+01:00"),
    ("tomorrow at 9am", "2027-03-27T09:00+01:00"),
    ("noon tomorrow", "2027-03-27T12:00+01:00"),
    ("tomorrow noon", "2027-03-27T12:00+01:00"),
    ("day after tomorrow 10:00", "2027-03-28T10:00+02:00"),
    ("today 5pm", "2027-03-26T17:00+01:00"),
    ("5pm", "2027-03-26T17:00+01:00"),
    ("17:30", "2027-03-26T17:30+01:00"),
    ("9am", "2027-03-27T09:00+01:00"),  # 9am today has passed: tomorrow's
    ("at 11", "2027-03-27T11:00+01:00"),
    # Relative: hours are elapsed time, days keep the wall clock.
    ("in 2 hours", "2027-03-26T14:00+01:00"),
    ("in 90 minutes", "2027-03-26T13:30+01:00"),
    ("in 30 mins", "2027-03-26T12:30+01:00"),
    ("in an hour", "2027-03-26T13:00+01:00"),
    ("in 48 hours", "2027-03-28T13:00+02:00"),
    ("in 2 days", "2027-03-28T12:00+02:00"),
    ("in 1 week", "2027-04-02T12:00+02:00"),
    # Beyond the common forms: the library.
    ("2 weeks from tomorrow", "2027-04-10T09:00+02:00"),
    ("tomorrow evening", "2027-03-27T18:00+01:00"),
]

OCTOBER_PHRASES = [
    ("sunday 10am", "2027-10-31T10:00+01:00"),  # after the clocks went back
    ("sunday 1:30", "2027-10-31T01:30+02:00"),
    ("in 2 days", "2027-10-31T12:00+01:00"),
    ("in 48 hours", "2027-10-31T11:00+01:00"),
    ("tomorrow at 3", "2027-10-30T15:00+02:00"),
    ("next tuesday 3pm", "2027-11-02T15:00+01:00"),
    ("1 November 9am", "2027-11-01T09:00+01:00"),
    ("noon tomorrow", "2027-10-30T12:00+02:00"),
    ("20 June 9am", "2028-06-20T09:00+02:00"),  # this year's has passed
    ("31/10/2027 18:00", "2027-10-31T18:00+01:00"),
]


@pytest.mark.parametrize(("text", "expected"), MARCH_PHRASES)
def test_phrases_in_march(text: str, expected: str) -> None:
    parsed = timeparse.parse_time(text, BRUSSELS, MARCH)
    assert parsed.utc == datetime.fromisoformat(expected), parsed.local
    assert parsed.local.utcoffset() == datetime.fromisoformat(expected).utcoffset()


@pytest.mark.parametrize(("text", "expected"), OCTOBER_PHRASES)
def test_phrases_in_october(text: str, expected: str) -> None:
    parsed = timeparse.parse_time(text, BRUSSELS, OCTOBER)
    assert parsed.utc == datetime.fromisoformat(expected), parsed.local
    assert parsed.local.utcoffset() == datetime.fromisoformat(expected).utcoffset()


def test_the_table_is_broad() -> None:
    assert len(MARCH_PHRASES) + len(OCTOBER_PHRASES) >= 60


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31 February 2027 10.00", "February has 28 days in 2027"),
        ("31/02/2027 10:00", "February has 28 days in 2027"),
        ("31.02.2027 10:00", "February has 28 days in 2027"),
        ("31-02-2027 10:00", "February has 28 days in 2027"),
        ("2027-02-31 10:00", "February has 28 days in 2027"),
        ("2027-02-31T10:00", "February has 28 days in 2027"),
        ("2027-02-31T10:00+01:00", "February has 28 days in 2027"),
        ("February 31st 2027 9am", "February has 28 days in 2027"),
        ("the 31st of February 2027 at 9", "February has 28 days in 2027"),
        ("29 February 2027 9am", "February has 28 days in 2027"),
        ("30 Feb 2028 9am", "February has 29 days in 2028"),
        ("31/02 10:00", "February has 28 days in 2027"),
        ("31 April 2027 9am", "April has 30 days"),
        ("June 31 2027 at 10", "June has 30 days"),
        ("2027-13-01 10:00", "there is no month 13"),
        ("0 June 2027 9am", "there is no day 0"),
    ],
)
def test_impossible_dates_say_why_in_every_format(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        timeparse.parse_time(text, BRUSSELS, MARCH)
    assert refused.value.message == f"{text!r} is not a real date: {reason}."


def test_impossible_times_and_unreadable_phrases() -> None:
    for text in ("20 June 2027 25:00", "13pm tomorrow", "tomorrow 10:61"):
        with pytest.raises(InvalidInput, match="impossible time of day"):
            timeparse.parse_time(text, BRUSSELS, MARCH)
    for text in ("next blursday", "next month", "20 June 2027 at", "soonish"):
        with pytest.raises(InvalidInput, match="I can't read"):
            timeparse.parse_time(text, BRUSSELS, MARCH)
    with pytest.raises(InvalidInput, match="20 June 2027 is a Sunday, not a Friday"):
        timeparse.parse_time("Friday 20 June 2027 9am", BRUSSELS, MARCH)


def test_ambiguous_numeric_dates_give_both_readings() -> None:
    parsed = timeparse.parse_time("03/04/2027 10:00", BRUSSELS, MARCH)
    assert parsed.local.date() == date(2027, 4, 3)
    assert parsed.notes == (
        "03/04/2027 could be Saturday 3 April 2027 or Thursday 4 March 2027; read day first, "
        "as Saturday 3 April 2027. Write 2027-04-03 to be unambiguous.",
    )
    month_first = timeparse.parse_time("03/04/2027 10:00", BRUSSELS, MARCH, day_first=False)
    assert month_first.local.date() == date(2027, 3, 4)
    assert "read month first, as Thursday 4 March 2027" in month_first.notes[0]
    # Only one reading is a date: taken, and said.
    only = timeparse.parse_time("04/13/2027 10:00", BRUSSELS, MARCH)
    assert only.local.date() == date(2027, 4, 13)
    assert "There is no month 13" in only.notes[0]
    # Not ambiguous: no note.
    for text in ("13/04/2027 10:00", "04/04/2027 10:00", "2027-04-03 10:00"):
        assert timeparse.parse_time(text, BRUSSELS, MARCH).notes == ()


def test_guesses_are_said() -> None:
    afternoon = timeparse.parse_time("tomorrow at 3", BRUSSELS, MARCH)
    assert afternoon.notes == ("Read “at 3” as 15:00; write 3am for the morning.",)
    assert timeparse.parse_time("tomorrow at 3am", BRUSSELS, MARCH).local.hour == 3
    no_time = timeparse.parse_time("next friday", BRUSSELS, MARCH)
    assert no_time.notes == ("No time of day in 'next friday'; using 09:00.",)


@pytest.mark.parametrize(
    "text", ["sunday 2:30", "28 March 2027 2.30am", "28/03/2027 02:30", "March 28th 2027 at 2:15am"]
)
def test_spring_forward_gap_is_refused_in_every_format(text: str) -> None:
    with pytest.raises(InvalidInput, match="does not exist in Europe/Brussels"):
        timeparse.parse_time(text, BRUSSELS, MARCH)


@pytest.mark.parametrize("text", ["sunday 2:30", "31 October 2027 2.30am", "31/10/2027 02:30"])
def test_fall_back_hour_takes_the_first_and_says_so(text: str) -> None:
    parsed = timeparse.parse_time(text, BRUSSELS, OCTOBER)
    assert parsed.utc == datetime.fromisoformat("2027-10-31T02:30+02:00")
    assert "happens twice in Europe/Brussels" in parsed.notes[-1]


def test_errors_quote_the_zone_the_time_was_typed_in() -> None:
    start = timeparse.parse_time("20 June 2027 9am", BRUSSELS, MARCH)
    with pytest.raises(InvalidInput) as refused:
        timeparse.parse_end("8am", start, MARCH)
    assert refused.value.message == (
        "The end (2027-06-20 08:00 Europe/Brussels) must be after the start "
        "(2027-06-20 09:00 Europe/Brussels)."
    )
    assert "UTC" not in refused.value.message


def test_ends_read_times_of_day_on_the_start_day() -> None:
    start = timeparse.parse_time("20 June 2027 9am", BRUSSELS, MARCH)
    assert timeparse.parse_end("5pm", start, MARCH).utc == datetime.fromisoformat(
        "2027-06-20T17:00+02:00"
    )
    assert timeparse.parse_end("noon", start, MARCH).local.hour == 12
    assert timeparse.parse_end("3h", start, MARCH).local.hour == 12


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-06-20", date(2027, 6, 20)),
        ("20 June", date(2027, 6, 20)),
        ("June 20th 2027", date(2027, 6, 20)),
        ("20/06/2027", date(2027, 6, 20)),
        ("next friday", date(2027, 4, 2)),
        ("tomorrow", date(2027, 3, 27)),
        ("this friday", date(2027, 3, 26)),
    ],
)
def test_plain_dates(text: str, expected: date) -> None:
    assert timeparse.parse_day(text, BRUSSELS, MARCH) == expected
    assert timeparse.parse_day_or_time(text, BRUSSELS, MARCH) == expected


def test_plain_date_refusals_and_times() -> None:
    with pytest.raises(InvalidInput, match=r"'31 June' is not a real date: June has 30 days\."):
        timeparse.parse_day_or_time("31 June", BRUSSELS, MARCH)
    with pytest.raises(InvalidInput, match="I can't read 'soonish' as a date"):
        timeparse.parse_day("soonish", BRUSSELS, MARCH)
    with_time = timeparse.parse_day_or_time("20 June 2027 9am", BRUSSELS, MARCH)
    assert isinstance(with_time, timeparse.ParsedTime)
    assert with_time.utc == datetime.fromisoformat(JUNE_20)

"""The words of a time phrase: which day and which time of day someone named.

``read_phrase`` reads the common ways people write a meeting time ("20 June 2027
9am", "next tuesday 3pm", "noon tomorrow", "20.06.2027 09:00", "June 20th 2027
at 9") in a few microseconds, with Agora's own rules: day-first numeric dates
(ambiguous ones said back with both readings), the exact reason an impossible
date is refused, and "at 3" read as an afternoon hour. What it does not know
falls back to parsedatetime ("a week from friday", "tomorrow evening").

Everything here is naive wall-clock time: ``timeparse`` attaches the zone.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import parsedatetime

from bot.errors import InvalidInput
from bot.services.common.weekdays import WEEKDAY_NAMES

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_MONTHS: dict[str, int] = {}
for _number, _name in enumerate(MONTH_NAMES, start=1):
    _MONTHS[_name.lower()] = _number
    _MONTHS[_name[:3].lower()] = _number
_MONTHS["sept"] = 9

_WEEKDAYS: dict[str, int] = {}
for _number, _name in enumerate(WEEKDAY_NAMES):
    _WEEKDAYS[_name.lower()] = _number
    _WEEKDAYS[_name[:3].lower()] = _number
_WEEKDAYS.update({"tues": 1, "weds": 2, "thur": 3, "thurs": 3})

_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAY_RE = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_ORDINAL = r"(?:st|nd|rd|th)?"

# Days.
_DAY_WORD = re.compile(
    r"^(?:(?P<today>today)|(?P<tomorrow>tomorrow|tmrw)|(?:the\s+)?day\s+after\s+tomorrow)$"
)
_WEEKDAY = re.compile(rf"^(?:(?P<which>this|next|coming)\s+)?(?P<weekday>{_WEEKDAY_RE})$")
_YMD = re.compile(r"^(?P<year>\d{4})(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})$")
_NUMERIC = re.compile(
    r"^(?P<first>\d{1,2})(?P<sep>[-/.])(?P<second>\d{1,2})(?:(?P=sep)(?P<year>\d{4}|\d{2}))?$"
)
_DAY_MONTH = re.compile(
    rf"^(?:(?P<weekday>{_WEEKDAY_RE})\s+)?(?:the\s+)?(?P<day>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?"
    rf"(?P<month>{_MONTH_RE})(?:\s+(?P<year>\d{{4}}))?$"
)
_MONTH_DAY = re.compile(
    rf"^(?:(?P<weekday>{_WEEKDAY_RE})\s+)?(?P<month>{_MONTH_RE})\s+(?:the\s+)?"
    rf"(?P<day>\d{{1,2}}){_ORDINAL}(?:\s+(?P<year>\d{{4}}))?$"
)

# Times of day.
_NAMED_CLOCK = {"noon": time(12), "midday": time(12), "12 noon": time(12), "midnight": time(0)}
_TWELVE_HOUR = re.compile(r"^(?P<hour>\d{1,2})(?:[:.](?P<minute>\d{2}))?\s*(?P<half>[ap])\.?m\.?$")
_TWENTY_FOUR_HOUR = re.compile(r"^(?P<hour>\d{1,2})[:.h](?P<minute>\d{2})(?::(?P<second>\d{2}))?$")
_BARE_HOUR = re.compile(r"^(?P<hour>\d{1,2})(?:\s*o'?clock)?$")

# A bare "at 3" is a meeting in the afternoon; these hours get 12 added.
_AFTERNOON_GUESS = range(1, 8)
DEFAULT_CLOCK = time(9, 0)


@dataclass(frozen=True)
class Reading:
    """What a phrase named: a day, a time of day, or both; ``notes`` for the user."""

    day: date | None
    clock: time | None
    notes: tuple[str, ...] = ()


# A part of a phrase read: a value, a refusal to raise if the rest of the phrase
# reads too, or None when this part is not a day (or a time) at all.
_Day = tuple[date, tuple[str, ...]] | InvalidInput | None
_Clock = tuple[time, tuple[str, ...]] | InvalidInput | None


def day_text(day: date) -> str:
    """ "Sunday 20 June 2027"."""
    return f"{WEEKDAY_NAMES[day.weekday()]} {day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def impossible_date(text: str, year: int, month: int, day: int) -> InvalidInput:
    """The refusal naming why ``year-month-day`` is not a date."""
    if not 1 <= month <= 12:
        reason = f"there is no month {month}"
    elif day < 1:
        reason = f"there is no day {day}"
    else:
        days = calendar.monthrange(year, month)[1]
        name = MONTH_NAMES[month - 1]
        reason = f"{name} has {days} days" + (f" in {year}" if month == 2 else "")
    return InvalidInput(f"{text!r} is not a real date: {reason}.")


def impossible_time(text: str) -> InvalidInput:
    return InvalidInput(
        f"{text!r} has an impossible time of day; use 00:00 to 23:59, or 1am to 12pm."
    )


def _make_date(text: str, year: int, month: int, day: int) -> date | InvalidInput:
    try:
        return date(year, month, day)
    except ValueError:
        return impossible_date(text, year, month, day)


def _next_on_or_after(text: str, today: date, month: int, day: int) -> date | InvalidInput:
    """ "20 June" with no year: the next 20 June from today on (29 February included)."""
    first: date | InvalidInput | None = None
    for year in range(today.year, today.year + 9):
        found = _make_date(text, year, month, day)
        if first is None:
            first = found
        if isinstance(found, date) and found >= today:
            return found
        if isinstance(found, InvalidInput) and (month == 2 and day == 29):
            continue
        if isinstance(found, InvalidInput):
            return found
    assert first is not None
    return first


def _full_year(text: str) -> int:
    year = int(text)
    return year + 2000 if len(text) == 2 else year


def _check_weekday(text: str, named: str | None, found: date) -> InvalidInput | None:
    if named is None or _WEEKDAYS[named] == found.weekday():
        return None
    written = f"{found.day} {MONTH_NAMES[found.month - 1]} {found.year}"
    return InvalidInput(
        f"{text!r}: {written} is a {WEEKDAY_NAMES[found.weekday()]}, "
        f"not a {WEEKDAY_NAMES[_WEEKDAYS[named]]}. Check the date or leave the weekday out."
    )


def _read_day(part: str, text: str, today: date, day_first: bool) -> _Day:
    if match := _DAY_WORD.match(part):
        if match["today"]:
            return today, ()
        return today + timedelta(days=1 if match["tomorrow"] else 2), ()
    if match := _WEEKDAY.match(part):
        wanted = _WEEKDAYS[match["weekday"]]
        ahead = (wanted - today.weekday()) % 7
        # "this friday" said on a Friday is today; "friday" or "next friday" a week on.
        if ahead == 0 and match["which"] != "this":
            ahead = 7
        return today + timedelta(days=ahead), ()
    if match := _YMD.match(part):
        found = _make_date(text, int(match["year"]), int(match["month"]), int(match["day"]))
        return found if isinstance(found, InvalidInput) else (found, ())
    if match := _NUMERIC.match(part):
        return _read_numeric(match, text, today, day_first)
    if match := _DAY_MONTH.match(part) or _MONTH_DAY.match(part):
        month, day = _MONTHS[match["month"]], int(match["day"])
        if match["year"]:
            named = _make_date(text, int(match["year"]), month, day)
        else:
            named = _next_on_or_after(text, today, month, day)
        if isinstance(named, InvalidInput):
            return named
        wrong_weekday = _check_weekday(text, match["weekday"], named)
        return wrong_weekday or (named, ())
    return None


def _read_numeric(match: re.Match[str], text: str, today: date, day_first: bool) -> _Day:
    """03/04/2027: day first (or month first), saying so when both readings are dates."""
    if match["year"] is None and match["sep"] != "/":
        return None  # "20.06" alone is a time of day, not a date
    first, second = int(match["first"]), int(match["second"])
    day, month = (first, second) if day_first else (second, first)

    def on(month: int, day: int) -> date | InvalidInput:
        if match["year"] is None:
            return _next_on_or_after(text, today, month, day)
        return _make_date(text, _full_year(match["year"]), month, day)

    taken, other = on(month, day), on(day, month)
    written = match.group(0)
    order = "day first" if day_first else "month first"
    if isinstance(taken, InvalidInput):
        if isinstance(other, date) and not 1 <= month <= 12:
            note = (
                f"There is no month {month}, so {written} was read the other way round, "
                f"as {day_text(other)}."
            )
            return other, (note,)
        return taken
    if isinstance(other, date) and other != taken:
        note = (
            f"{written} could be {day_text(taken)} or {day_text(other)}; read {order}, as "
            f"{day_text(taken)}. Write {taken.isoformat()} to be unambiguous."
        )
        return taken, (note,)
    return taken, ()


def _read_clock(part: str, text: str, after_at: bool) -> _Clock:
    if part in _NAMED_CLOCK:
        return _NAMED_CLOCK[part], ()
    if match := _TWELVE_HOUR.match(part):
        hour, minute = int(match["hour"]), int(match["minute"] or 0)
        if not 1 <= hour <= 12 or minute > 59:
            return impossible_time(text)
        hour = hour % 12 + (12 if match["half"] == "p" else 0)
        return time(hour, minute), ()
    if match := _TWENTY_FOUR_HOUR.match(part):
        hour, minute = int(match["hour"]), int(match["minute"] or 0)
        second = int(match["second"] or 0)
        if hour > 23 or minute > 59 or second > 59:
            return impossible_time(text)
        return time(hour, minute, second), ()
    if after_at and (match := _BARE_HOUR.match(part)):
        hour = int(match["hour"])
        if hour > 23:
            return impossible_time(text)
        if hour in _AFTERNOON_GUESS:
            note = f"Read “at {hour}” as {hour + 12}:00; write {hour}am for the morning."
            return time(hour + 12), (note,)
        return time(hour), ()
    return None


def _clock_part(words: list[str], text: str) -> _Clock:
    after_at = bool(words) and words[0] == "at"
    if after_at:
        words = words[1:]
    if not words:
        return None
    return _read_clock(" ".join(words), text, after_at)


def _day_part(words: list[str], text: str, today: date, day_first: bool) -> _Day:
    if words and words[0] == "on":
        words = words[1:]
    if not words:
        return None
    return _read_day(" ".join(words), text, today, day_first)


def normalise(text: str) -> str:
    """Lower case, commas and repeated spaces gone: "Friday,  20 June" -> "friday 20 june"."""
    return " ".join(text.replace(",", " ").lower().split())


def read_phrase(cleaned: str, text: str, today: date, *, day_first: bool = True) -> Reading | None:
    """The day and time named by ``cleaned`` (from ``normalise``); None if not recognised.

    ``text`` is what the user typed, quoted in refusals. Raises InvalidInput for a
    phrase that names an impossible date or time.
    """
    words = cleaned.split()
    clock_only = _clock_part(words, text)
    if clock_only is not None:
        return _reading(None, clock_only)
    day_only = _day_part(words, text, today, day_first)
    if day_only is not None:
        return _reading(day_only, None)
    # A day then a time ("20 june 2027 at 9"), or a time then a day ("noon tomorrow").
    for split in range(1, len(words)):
        left, right = words[:split], words[split:]
        if left[-1] == "at":
            left, right = left[:-1], ["at", *right]
        clock = _clock_part(right, text)
        if clock is not None:
            day = _day_part(left, text, today, day_first)
            if day is not None:
                return _reading(day, clock)
        clock = _clock_part(left, text)
        if clock is not None:
            day = _day_part(right, text, today, day_first)
            if day is not None:
                return _reading(day, clock)
    return None


def _reading(day: _Day, clock: _Clock) -> Reading:
    for part in (day, clock):
        if isinstance(part, InvalidInput):
            raise part
    notes: tuple[str, ...] = ()
    found_day = found_clock = None
    if day is not None:
        assert not isinstance(day, InvalidInput)
        found_day, more = day
        notes += more
    if clock is not None:
        assert not isinstance(clock, InvalidInput)
        found_clock, more = clock
        notes += more
    return Reading(day=found_day, clock=found_clock, notes=notes)


# -- the fallback: parsedatetime, for the phrases above do not cover -------------------

_calendar: parsedatetime.Calendar | None = None


def _library() -> parsedatetime.Calendar:
    global _calendar
    if _calendar is None:
        _calendar = parsedatetime.Calendar(version=parsedatetime.VERSION_CONTEXT_STYLE)
    return _calendar


_TRAILING_NOW = re.compile(r"\s+now$")


def read_with_library(cleaned: str, wall_now: datetime) -> Reading | None:
    """A phrase parsedatetime reads whole ("a week from friday", "tomorrow evening").

    Only a reading that names a day is taken: "next month" or "next week" alone
    are too vague for a meeting, and words left over mean it was not understood.
    """
    matches = _library().nlp(cleaned, sourceTime=wall_now)
    if not matches or len(matches) != 1:
        return None
    moment, context, begin, end, _ = matches[0]
    rest = (cleaned[:begin] + cleaned[end:]).strip()
    if rest and not _TRAILING_NOW.match(" " + rest):
        return None
    if not context.hasDate or not (context.accuracy & context.ACU_DAY or context.hasTime):
        return None
    assert isinstance(moment, datetime)
    clock = moment.time().replace(second=0, microsecond=0)
    notes: tuple[str, ...] = ()
    if not context.hasTime:
        notes = (f"No time of day in {cleaned!r}; using {clock:%H:%M}.",)
    return Reading(day=moment.date(), clock=clock, notes=notes)

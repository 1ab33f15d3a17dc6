"""Times as people type them, read in an IANA zone, checked, and shown back.

Pure functions: ``now`` is always passed in, so every rule here is testable
without a clock.

Decisions:
- A local time inside the spring-forward gap (02:30 on the night clocks jump
  from 02:00 to 03:00) does not exist and is refused.
- A local time in the fall-back hour happens twice; the first occurrence (the
  one still on summer time) is taken and ``ParsedTime.notes`` says so, so the
  reply can tell the organiser.
- "in 2 hours" / "in 30 minutes" is elapsed time; "in 3 days", "tomorrow",
  weekdays are calendar days keeping the wall-clock time, across DST too.
"""

from __future__ import annotations

import difflib
import functools
import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from bot.errors import InvalidInput
from bot.services.common import timephrases
from bot.services.common.durations import parse_duration

ACCEPTED_FORMATS = (
    "2017-06-20 09:00, 20/06/2017 9:00, 20 June 2017 9am, June 20th 2017 at 9, "
    "friday 10am, next tuesday 3pm, tomorrow at 3, noon tomorrow, in 2 hours, in 3 days, "
    "ISO 8601 such as 2017-06-20T09:00+02:00"
)
DATE_FORMATS = "2017-06-20, 20/06/2017, 20 June, June 20th 2017, tomorrow, next friday"

_RELATIVE = re.compile(
    r"^in\s+(?P<amount>\d{1,4}|an?|one)\s*"
    r"(?P<unit>minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w)$"
)
_ISO = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})[t ]\d")


@dataclass(frozen=True)
class ParsedTime:
    """An instant read from user input.

    ``utc`` is the instant (aware, UTC); ``local`` the same instant in ``zone``;
    ``notes`` are things the user should be told (an ambiguous time resolved).
    """

    utc: datetime
    local: datetime
    zone: str
    notes: tuple[str, ...] = ()


@functools.lru_cache(maxsize=1)
def _all_zone_names() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def resolve_zone(name: str) -> ZoneInfo:
    """The IANA zone called ``name``; InvalidInput with close names otherwise."""
    cleaned = name.strip().replace(" ", "_")
    if cleaned:
        by_folded = {zone.lower(): zone for zone in _all_zone_names()}
        exact = by_folded.get(cleaned.lower())
        if exact is not None:
            return ZoneInfo(exact)
    suggestions = suggest_zones(cleaned)
    hint = f" Did you mean {', '.join(suggestions)}?" if suggestions else ""
    raise InvalidInput(f"Unknown time zone {name!r}.{hint} Use an IANA name like Europe/Brussels.")


def suggest_zones(text: str, limit: int = 3) -> list[str]:
    """IANA zone names close to ``text`` (also matching on the city part alone)."""
    if not text:
        return []
    names = _all_zone_names()
    folded = {zone.lower(): zone for zone in names}
    hits = difflib.get_close_matches(text.lower(), list(folded), n=limit, cutoff=0.6)
    suggestions = [folded[hit] for hit in hits]
    # "brussels" alone should find Europe/Brussels.
    cities = {zone.rsplit("/", 1)[-1].lower(): zone for zone in names if "/" in zone}
    for hit in difflib.get_close_matches(text.lower(), list(cities), n=limit, cutoff=0.7):
        if cities[hit] not in suggestions:
            suggestions.append(cities[hit])
    return suggestions[:limit]


def localize(naive: datetime, zone: tzinfo, zone_name: str) -> tuple[datetime, tuple[str, ...]]:
    """Attach ``zone`` to a wall-clock time, refusing gaps and resolving folds.

    Returns the aware local datetime and notes for the user.
    """
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first, ()
    # zoneinfo marks a gap by round-tripping to a different wall-clock time.
    round_trip = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != naive:
        raise InvalidInput(
            f"{naive:%Y-%m-%d %H:%M} does not exist in {zone_name}: the clocks jump "
            "forward that night. Pick a time outside the skipped hour."
        )
    note = (
        f"{naive:%Y-%m-%d %H:%M} happens twice in {zone_name} (clocks go back that night); "
        f"using the first one, UTC{_offset_text(first)}."
    )
    return first, (note,)


def _offset_text(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _unparseable(text: str) -> InvalidInput:
    return InvalidInput(f"I can't read {text!r} as a time. Accepted: {ACCEPTED_FORMATS}.")


def _out_of_range(text: str) -> InvalidInput:
    return InvalidInput(f"{text!r} is too far in the past or future; use a year from 1970 on.")


def parse_time(text: str, zone_name: str, now: datetime, *, day_first: bool = True) -> ParsedTime:
    """Read ``text`` as an instant, interpreting wall-clock times in ``zone_name``.

    ``now`` must be timezone-aware. ``day_first`` reads 03/04/2027 as 3 April
    (False: as March 4); either way an ambiguous date comes back with a note
    giving both readings. Raises InvalidInput with the reason.
    """
    try:
        parsed = _parse_time(text, zone_name, now, day_first)
    except (OverflowError, OSError):  # year 1 in a zone east of UTC, and the like
        raise _out_of_range(text) from None
    if parsed.utc.year < 1970:
        raise _out_of_range(text)
    return parsed


def _parse_time(text: str, zone_name: str, now: datetime, day_first: bool) -> ParsedTime:
    zone = resolve_zone(zone_name)
    cleaned = timephrases.normalise(text)
    if not cleaned:
        raise InvalidInput(f"No time given. Accepted: {ACCEPTED_FORMATS}.")
    local_now = now.astimezone(zone)

    if match := _RELATIVE.match(cleaned):
        return _relative(match, zone, zone_name, now, local_now)
    reading = timephrases.read_phrase(cleaned, text, local_now.date(), day_first=day_first)
    if reading is None and (match := _ISO.match(cleaned)):
        return _iso(text.strip(), match, zone, zone_name)
    if reading is None:
        reading = timephrases.read_with_library(cleaned, local_now.replace(tzinfo=None))
    if reading is None:
        raise _unparseable(text)
    naive, notes = _wall_time(reading, text, local_now)
    local, zone_notes = localize(naive, zone, zone_name)
    return ParsedTime(
        utc=local.astimezone(UTC), local=local, zone=zone_name, notes=notes + zone_notes
    )


def _wall_time(
    reading: timephrases.Reading, text: str, local_now: datetime
) -> tuple[datetime, tuple[str, ...]]:
    """The wall-clock time a reading names: a time alone is its next occurrence,
    a day alone starts at 09:00 (and the user is told)."""
    notes = reading.notes
    clock = reading.clock
    if clock is None:
        clock = timephrases.DEFAULT_CLOCK
        notes += (f"No time of day in {text.strip()!r}; using {clock:%H:%M}.",)
    day = reading.day
    if day is None:
        day = local_now.date()
        if datetime.combine(day, clock) <= local_now.replace(tzinfo=None):
            day += timedelta(days=1)
    return datetime.combine(day, clock), notes


def parse_day(text: str, zone_name: str, now: datetime, *, day_first: bool = True) -> date:
    """A plain date as people write it ("2027-06-20", "20 June", "next friday").

    Raises InvalidInput, with a specific reason for an impossible date.
    """
    zone = resolve_zone(zone_name)
    cleaned = timephrases.normalise(text)
    today = now.astimezone(zone).date()
    reading = timephrases.read_phrase(cleaned, text, today, day_first=day_first)
    if reading is None:
        reading = timephrases.read_with_library(cleaned, now.astimezone(zone).replace(tzinfo=None))
    if reading is None or reading.day is None or reading.clock is not None:
        raise InvalidInput(f"I can't read {text!r} as a date. Accepted: {DATE_FORMATS}.")
    return reading.day


def parse_day_or_time(
    text: str, zone_name: str, now: datetime, *, day_first: bool = True
) -> date | ParsedTime:
    """A plain date when ``text`` names no time of day ("20 June"), else the instant."""
    try:
        return parse_day(text, zone_name, now, day_first=day_first)
    except InvalidInput as refusal:
        if "is not a real date" in refusal.message:
            raise
    return parse_time(text, zone_name, now, day_first=day_first)


def _relative(
    match: re.Match[str], zone: ZoneInfo, zone_name: str, now: datetime, local_now: datetime
) -> ParsedTime:
    amount = int(match["amount"]) if match["amount"].isdigit() else 1
    unit = match["unit"][0]
    if unit in ("m", "h"):
        # Elapsed time: "in 2 hours" across a DST change is still 120 minutes away.
        seconds = amount * (60 if unit == "m" else 3600)
        utc = now.astimezone(UTC) + timedelta(seconds=seconds)
        return ParsedTime(utc=utc, local=utc.astimezone(zone), zone=zone_name)
    days = amount * (7 if unit == "w" else 1)
    naive = local_now.replace(tzinfo=None) + timedelta(days=days)
    local, notes = localize(naive, zone, zone_name)
    return ParsedTime(utc=local.astimezone(UTC), local=local, zone=zone_name, notes=notes)


def _iso(text: str, match: re.Match[str], zone: ZoneInfo, zone_name: str) -> ParsedTime:
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
        try:
            date(year, month, day)
        except ValueError:
            raise timephrases.impossible_date(text, year, month, day) from None
        raise _unparseable(text) from None
    if parsed.tzinfo is None:
        local, notes = localize(parsed, zone, zone_name)
        return ParsedTime(utc=local.astimezone(UTC), local=local, zone=zone_name, notes=notes)
    utc = parsed.astimezone(UTC)
    return ParsedTime(utc=utc, local=utc.astimezone(zone), zone=zone_name)


def parse_end(text: str, start: ParsedTime, now: datetime) -> ParsedTime:
    """An end time: a full time, a clock time on the start's day ("17:00"), or a
    duration after the start ("3h", "90m", "1h30m"). Must be after the start.
    """
    try:
        return _parse_end(text, start, now)
    except (OverflowError, OSError):
        raise _out_of_range(text) from None


def _parse_end(text: str, start: ParsedTime, now: datetime) -> ParsedTime:
    cleaned = timephrases.normalise(text)
    zone = resolve_zone(start.zone)
    end: ParsedTime
    if re.fullmatch(r"(\d+\s*[dhm]\s*)+", cleaned):
        seconds = parse_duration(cleaned)
        utc = start.utc + timedelta(seconds=seconds)
        end = ParsedTime(utc=utc, local=utc.astimezone(zone), zone=start.zone)
    else:
        end = _clock_on(text, start.local.date(), start.zone, now)
    ensure_order(start.utc, end.utc, start.zone)
    return end


def parse_clock_on(text: str, day: date, zone_name: str, now: datetime) -> ParsedTime:
    """A session time: "10:30" or "2pm" means that time of day on ``day``; anything
    else is read by ``parse_time``.
    """
    return _clock_on(text, day, zone_name, now)


def _clock_on(text: str, day: date, zone_name: str, now: datetime) -> ParsedTime:
    zone = resolve_zone(zone_name)
    cleaned = timephrases.normalise(text)
    reading = timephrases.read_phrase(cleaned, text, day) if cleaned else None
    if reading is None or reading.day is not None or reading.clock is None:
        return parse_time(text, zone_name, now)
    local, notes = localize(datetime.combine(day, reading.clock), zone, zone_name)
    return ParsedTime(
        utc=local.astimezone(UTC), local=local, zone=zone_name, notes=reading.notes + notes
    )


def local_text(moment: datetime, zone_name: str) -> str:
    """ "2027-06-20 09:00 Europe/Brussels": an instant as it reads in the user's zone."""
    return f"{moment.astimezone(resolve_zone(zone_name)):%Y-%m-%d %H:%M} {zone_name}"


def ensure_order(start: datetime, end: datetime, zone_name: str) -> None:
    """Refuse an end that is not after the start, quoting both in ``zone_name``."""
    if end <= start:
        raise InvalidInput(
            f"The end ({local_text(end, zone_name)}) must be after the start "
            f"({local_text(start, zone_name)})."
        )


def ensure_within(
    session_start: datetime,
    session_end: datetime,
    meeting_start: datetime,
    meeting_end: datetime,
    zone_name: str,
) -> None:
    """Refuse a session that starts before or ends after its meeting."""
    ensure_order(session_start, session_end, zone_name)
    if session_start < meeting_start or session_end > meeting_end:
        raise InvalidInput(
            "The session must fit inside the meeting "
            f"({discord_timestamp(meeting_start, 'f')} to {discord_timestamp(meeting_end, 't')})."
        )


def ensure_not_past(start: datetime, now: datetime, confirm_past: bool) -> None:
    """Refuse a start in the past unless the caller confirmed it on purpose."""
    if start < now and not confirm_past:
        raise InvalidInput(
            f"That start ({discord_timestamp(start, 'F')}) is in the past. "
            "Check the date, or pass confirm_past (organisers only) to record a past meeting."
        )


def to_unix(moment: datetime) -> int:
    """Whole seconds since the epoch for an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: attach a zone first")
    return int(moment.timestamp())


def from_unix(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def discord_timestamp(moment: datetime | int, style: str = "F") -> str:
    """Discord's timestamp markup, ``<t:UNIX:STYLE>``: each reader sees local time.

    Styles: t, T, d, D, f, F (full), R (relative).
    """
    if style not in ("t", "T", "d", "D", "f", "F", "R"):
        raise ValueError(f"unknown Discord timestamp style {style!r}")
    seconds = moment if isinstance(moment, int) else to_unix(moment)
    return f"<t:{seconds}:{style}>"


def full_and_relative(moment: datetime | int) -> str:
    """ "<t:..:F> (<t:..:R>)", the usual way Agora shows a meeting time."""
    return f"{discord_timestamp(moment, 'F')} ({discord_timestamp(moment, 'R')})"

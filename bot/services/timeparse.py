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
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from bot.errors import InvalidInput

ACCEPTED_FORMATS = (
    "2017-06-20 09:00, 20/06/2017 9:00, ISO 8601 such as 2017-06-20T09:00+02:00, "
    "today 9:30, tomorrow 14:00, monday 10:00, in 30 minutes, in 2 hours, in 3 days"
)

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_CLOCK = r"(?P<hour>\d{1,2})[:h.](?P<minute>\d{2})(?::(?P<second>\d{2}))?"
_YMD = re.compile(rf"^(?P<year>\d{{4}})-(?P<month>\d{{1,2}})-(?P<day>\d{{1,2}})[ t]+{_CLOCK}$")
_DMY = re.compile(
    rf"^(?P<day>\d{{1,2}})[/.](?P<month>\d{{1,2}})[/.](?P<year>\d{{4}})[ t]+{_CLOCK}$"
)
_DAY_WORD = re.compile(
    rf"^(?:(?P<word>today|tomorrow)|(?:next\s+)?(?P<weekday>{'|'.join(WEEKDAY_NAMES)}))"
    rf"(?:\s+at)?\s+{_CLOCK}$"
)
_RELATIVE = re.compile(
    r"^in\s+(?P<amount>\d{1,4})\s*(?P<unit>minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w)$"
)
_CLOCK_ONLY = re.compile(rf"^{_CLOCK}$")
_ISO_HINT = re.compile(r"^\d{4}-\d{2}-\d{2}[t ]")


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


def _clock_from(match: re.Match[str], text: str) -> time:
    hour, minute = int(match["hour"]), int(match["minute"])
    second = int(match["second"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise InvalidInput(f"{text!r} has an impossible time of day; use 00:00 to 23:59.")
    return time(hour, minute, second)


def _date_from(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a real date (day {day}, month {month}).") from None


def _unparseable(text: str) -> InvalidInput:
    return InvalidInput(f"I can't read {text!r} as a time. Accepted: {ACCEPTED_FORMATS}.")


def _out_of_range(text: str) -> InvalidInput:
    return InvalidInput(f"{text!r} is too far in the past or future; use a year from 1970 on.")


def parse_time(text: str, zone_name: str, now: datetime) -> ParsedTime:
    """Read ``text`` as an instant, interpreting wall-clock times in ``zone_name``.

    ``now`` must be timezone-aware. Raises InvalidInput with the reason.
    """
    try:
        parsed = _parse_time(text, zone_name, now)
    except (OverflowError, OSError):  # year 1 in a zone east of UTC, and the like
        raise _out_of_range(text) from None
    if parsed.utc.year < 1970:
        raise _out_of_range(text)
    return parsed


def _parse_time(text: str, zone_name: str, now: datetime) -> ParsedTime:
    zone = resolve_zone(zone_name)
    cleaned = " ".join(text.strip().lower().split())
    if not cleaned:
        raise InvalidInput(f"No time given. Accepted: {ACCEPTED_FORMATS}.")
    local_now = now.astimezone(zone)

    if match := _RELATIVE.match(cleaned):
        return _relative(match, zone, zone_name, now, local_now)

    naive: datetime | None = None
    if match := _YMD.match(cleaned) or _DMY.match(cleaned):
        day = _date_from(int(match["year"]), int(match["month"]), int(match["day"]), text)
        naive = datetime.combine(day, _clock_from(match, text))
    elif match := _DAY_WORD.match(cleaned):
        naive = datetime.combine(_day_for_word(match, local_now.date()), _clock_from(match, text))
    elif _ISO_HINT.match(cleaned):
        return _iso(text.strip(), zone, zone_name)
    if naive is None:
        raise _unparseable(text)
    local, notes = localize(naive, zone, zone_name)
    return ParsedTime(utc=local.astimezone(UTC), local=local, zone=zone_name, notes=notes)


def _day_for_word(match: re.Match[str], today: date) -> date:
    if match["word"] == "today":
        return today
    if match["word"] == "tomorrow":
        return today + timedelta(days=1)
    # A weekday means the next one after today: "monday" said on a Monday is a week on.
    wanted = WEEKDAY_NAMES.index(match["weekday"])
    ahead = (wanted - today.weekday()) % 7 or 7
    return today + timedelta(days=ahead)


def _relative(
    match: re.Match[str], zone: ZoneInfo, zone_name: str, now: datetime, local_now: datetime
) -> ParsedTime:
    amount = int(match["amount"])
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


def _iso(text: str, zone: ZoneInfo, zone_name: str) -> ParsedTime:
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
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
    cleaned = text.strip().lower()
    zone = resolve_zone(start.zone)
    end: ParsedTime
    if match := _CLOCK_ONLY.match(cleaned):
        naive = datetime.combine(start.local.date(), _clock_from(match, text))
        local, notes = localize(naive, zone, start.zone)
        end = ParsedTime(utc=local.astimezone(UTC), local=local, zone=start.zone, notes=notes)
    elif re.fullmatch(r"(\d+\s*[dhm]\s*)+", cleaned):
        seconds = _duration_seconds(cleaned)
        utc = start.utc + timedelta(seconds=seconds)
        end = ParsedTime(utc=utc, local=utc.astimezone(zone), zone=start.zone)
    else:
        end = parse_time(text, start.zone, now)
    ensure_order(start.utc, end.utc)
    return end


def _duration_seconds(text: str) -> int:
    units = {"d": 86400, "h": 3600, "m": 60}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)\s*([dhm])", text))


def parse_clock_on(text: str, day: date, zone_name: str, now: datetime) -> ParsedTime:
    """A session time: "10:30" means that clock time on ``day``; anything else
    is read by ``parse_time``.
    """
    match = _CLOCK_ONLY.match(text.strip().lower())
    if match is None:
        return parse_time(text, zone_name, now)
    zone = resolve_zone(zone_name)
    local, notes = localize(datetime.combine(day, _clock_from(match, text)), zone, zone_name)
    return ParsedTime(utc=local.astimezone(UTC), local=local, zone=zone_name, notes=notes)


def ensure_order(start: datetime, end: datetime) -> None:
    """Refuse an end that is not after the start."""
    if end <= start:
        raise InvalidInput(
            f"The end ({end:%Y-%m-%d %H:%M} UTC) must be after the start "
            f"({start:%Y-%m-%d %H:%M} UTC)."
        )


def ensure_within(
    session_start: datetime, session_end: datetime, meeting_start: datetime, meeting_end: datetime
) -> None:
    """Refuse a session that starts before or ends after its meeting."""
    ensure_order(session_start, session_end)
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

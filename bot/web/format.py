"""How times, counts and addresses read on the web pages (Jinja2 filters)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.services.common.text import plural


def utc_offset(moment: datetime) -> str:
    """ "UTC+02:00", "UTC−03:30", "UTC" for an aware local time."""
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def day(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%A} {local.day} {local:%B %Y}"


def clock(moment: datetime, zone: str) -> str:
    return f"{moment.astimezone(ZoneInfo(zone)):%H:%M}"


def time_range(start: datetime, end: datetime, zone: str) -> str:
    """ "Tuesday 20 June 2017, 09:00–17:00 CEST (UTC+02:00), Europe/Brussels": the
    meeting's own zone, with the offset so anyone can work out their own time."""
    local_start = start.astimezone(ZoneInfo(zone))
    local_end = end.astimezone(ZoneInfo(zone))
    if local_start.date() == local_end.date():
        span = f"{day(start, zone)}, {local_start:%H:%M}–{local_end:%H:%M}"
    else:
        span = f"{day(start, zone)} {local_start:%H:%M} – {day(end, zone)} {local_end:%H:%M}"
    return f"{span} {local_start:%Z} ({utc_offset(local_start)}), {zone}"


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


def count(number: int | None, singular: str, plural_form: str | None = None) -> str:
    return plural(number or 0, singular, plural_form)

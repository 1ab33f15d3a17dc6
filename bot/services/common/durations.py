"""Short durations as people write them in config and commands: 1d, 2h, 30m, 45s."""

from __future__ import annotations

import re

_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+)\s*([dhms])")


def parse_duration(text: str) -> int:
    """Seconds in ``text`` ("1d", "1h30m", "0s"); ValueError with the reason otherwise."""
    cleaned = text.strip().lower().replace(" ", "")
    if not cleaned or _PART.sub("", cleaned):
        raise ValueError(f"{text!r} is not a duration; write it like 1d, 2h, 30m or 45s")
    return sum(int(amount) * _UNITS[unit] for amount, unit in _PART.findall(cleaned))


def format_duration(seconds: int) -> str:
    """The inverse of parse_duration, largest units first ("1d2h"); "0s" for zero."""
    if seconds == 0:
        return "0s"
    parts = []
    for unit, size in _UNITS.items():
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts)

"""The services' clock: a function returning the current time, aware and in UTC.

Services take one as ``clock`` so tests can fix or advance the time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)

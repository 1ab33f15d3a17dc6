"""The days of the week, once, in the forms Agora writes and reads them.

Indexed as ``date.weekday()`` counts: Monday is 0.
"""

from __future__ import annotations

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# As the config and people type them: "monday".
WEEKDAYS = tuple(name.lower() for name in WEEKDAY_NAMES)
# iCalendar's BYDAY ("MO") and APScheduler's cron day_of_week ("mon").
ICAL_DAYS = tuple(name[:2].upper() for name in WEEKDAY_NAMES)
CRON_DAYS = tuple(name[:3].lower() for name in WEEKDAY_NAMES)

"""Completion over time (pure: no I/O): how many of a cycle's asks had been submitted by the
end of each day, in the cycle's time zone. The office dashboard draws it."""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 400  # a year-end cycle spans weeks; a longer span is drawn from its last 400 days


def completion_by_day(
    first_submitted: list[datetime], first_day: date, last_day: date, timezone: str
) -> list[tuple[date, int]]:
    """For each day from first_day to last_day (at most MAX_DAYS, the latest kept): the asks
    first submitted before that day ended. `first_submitted` holds one aware time per ask."""
    if last_day < first_day:
        return []
    first_day = max(first_day, last_day - timedelta(days=MAX_DAYS - 1))
    zone = ZoneInfo(timezone)
    times = sorted(first_submitted)
    days = []
    day = first_day
    while day <= last_day:
        end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
        days.append((day, bisect_right(times, end - timedelta(microseconds=1))))
        day += timedelta(days=1)
    return days

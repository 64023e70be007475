"""Completion by day (services/portal/progress.py), the office dashboard's line."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.portal.progress import MAX_DAYS, completion_by_day

SHANGHAI = "Asia/Shanghai"


def test_a_submission_counts_from_the_day_it_was_made_in_the_cycles_zone():
    # 23:30 UTC on 1 Dec is 07:30 on 2 Dec in Shanghai: it counts from 2 Dec, not 1 Dec.
    late = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    early = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    days = completion_by_day([late, early], date(2026, 11, 30), date(2026, 12, 3), SHANGHAI)
    assert days == [
        (date(2026, 11, 30), 1),
        (date(2026, 12, 1), 1),
        (date(2026, 12, 2), 2),
        (date(2026, 12, 3), 2),
    ]
    assert completion_by_day([late], date(2026, 12, 3), date(2026, 12, 1), SHANGHAI) == []


def test_a_span_longer_than_the_limit_keeps_its_latest_days():
    last = date(2026, 12, 31)
    days = completion_by_day([], date(2020, 1, 1), last, SHANGHAI)
    assert len(days) == MAX_DAYS and days[-1] == (last, 0)
    assert days[0][0] == last - timedelta(days=MAX_DAYS - 1)


moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
)


@given(st.lists(moments, max_size=60), st.integers(0, 300), st.integers(0, 60))
def test_the_line_never_falls_and_ends_at_everything_submitted_by_then(times, start, length):
    first = date(2026, 1, 1) + timedelta(days=start)
    last = first + timedelta(days=length)
    days = completion_by_day(times, first, last, SHANGHAI)
    assert [d for d, _ in days] == [first + timedelta(days=i) for i in range(length + 1)]
    counts = [n for _, n in days]
    assert counts == sorted(counts)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time()).replace(
        tzinfo=UTC
    ) - timedelta(hours=8)  # midnight after the last day, Shanghai time (UTC+8)
    assert counts[-1] == sum(1 for t in times if t < end)

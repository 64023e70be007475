"""The pure calendar arithmetic: compression keeps proportions, reminder points, the ladder,
calendar changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.workflows.fakes import DAY, REMINDERS, haizhou_like_calendar
from workflows import timeline
from workflows.model import DEFAULT_ESCALATION, CalendarChange

OPENS = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)


@given(
    factor=st.floats(min_value=1.001, max_value=1e6),
    start=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
)
def test_compression_keeps_order_and_proportions(factor, start):
    calendar = haizhou_like_calendar(OPENS)
    squeezed, reminders = timeline.compress(calendar, REMINDERS, start=start, factor=factor)
    assert timeline.order_problems(squeezed) == []
    assert timeline.parse(squeezed.opens) == start
    original = [m for _, m in timeline.milestones(calendar)]
    moved = [m for _, m in timeline.milestones(squeezed)]
    for i in range(1, len(original)):
        expected = (original[i] - original[0]).total_seconds() / factor
        assert abs((moved[i] - moved[0]).total_seconds() - expected) < 1e-3
    assert reminders.before_labels == ["14d", "3d", "1d"]
    assert reminders.before_seconds[0] == pytest.approx(14 * 86400 / factor)


def test_no_compression_keeps_the_plans_own_times():
    calendar = haizhou_like_calendar(OPENS)
    assert timeline.compress(calendar, REMINDERS, start=OPENS + DAY, factor=1.0) == (
        calendar,
        REMINDERS,
    )


def test_span_maps_the_whole_calendar_onto_minutes():
    calendar = haizhou_like_calendar(OPENS)
    factor = timeline.compression_factor(calendar, span_seconds=600)
    squeezed, _ = timeline.compress(calendar, REMINDERS, start=OPENS, factor=factor)
    assert timeline.parse(squeezed.appeal_deadline) - OPENS == pytest.approx(
        timedelta(seconds=600), abs=timedelta(milliseconds=1)
    )
    with pytest.raises(ValueError, match="not both"):
        timeline.compression_factor(calendar, factor=10, span_seconds=60)
    with pytest.raises(ValueError, match="must be >= 1"):
        timeline.compression_factor(calendar, factor=0.5)


def test_reminder_points_before_then_overdue_never_after_the_lock():
    due = OPENS + 60 * DAY
    points = timeline.reminder_points(deadline=due, closes_at=due + 5 * DAY, reminders=REMINDERS)
    assert [(p.label, p.at - due, p.overdue) for p in points] == [
        ("before:14d", -14 * DAY, 0),
        ("before:3d", -3 * DAY, 0),
        ("before:1d", -DAY, 0),
        ("overdue:1", 2 * DAY, 1),
        ("overdue:2", 4 * DAY, 2),
    ]  # overdue:3 would fall after the lock
    again = timeline.reminder_points(
        deadline=due, closes_at=due + 9 * DAY, reminders=REMINDERS, generation=2
    )
    assert [p.label for p in again][-1] == "ext2/overdue:3"


@pytest.mark.parametrize(
    ("overdue", "roles"),
    [
        (0, ["contact"]),
        (1, ["contact"]),
        (2, ["contact", "head"]),
        (3, ["contact", "head", "office"]),
        (7, ["contact", "head", "office"]),
    ],
)
def test_escalation_ladder(overdue, roles):
    assert timeline.escalation_roles(DEFAULT_ESCALATION, overdue) == roles


def test_offset_labels():
    assert [timeline.offset_label(s) for s in (86400 * 14, 43200, 1800, 90)] == [
        "14d",
        "12h",
        "30m",
        "90s",
    ]


def test_calendar_change_validation():
    calendar = haizhou_like_calendar(OPENS)
    now = OPENS + 10 * DAY
    due = timeline.parse(calendar.evidence_due)
    moved = timeline.apply_change(
        calendar, CalendarChange(evidence_due=timeline.iso(due + DAY)), now=now
    )
    assert timeline.parse(moved.evidence_due) == due + DAY and moved.opens == calendar.opens
    with pytest.raises(ValueError, match="nothing to change"):
        timeline.apply_change(calendar, CalendarChange(), now=now)
    with pytest.raises(ValueError, match="evidence_due has already passed"):
        timeline.apply_change(
            calendar, CalendarChange(evidence_due=timeline.iso(due + DAY)), now=due + DAY / 2
        )
    with pytest.raises(ValueError, match="collection_closes must be after evidence_due"):
        timeline.apply_change(calendar, CalendarChange(evidence_due=calendar.review_due), now=now)
    with pytest.raises(ValueError, match="no UTC offset"):
        timeline.apply_change(calendar, CalendarChange(publish="2027-01-01T00:00:00"), now=now)

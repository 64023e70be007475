"""Calendar changes a real year needs (issue 12): each change is checked only around the
milestones it moves and against what has not passed, so an early close never blocks later
changes; closing review early makes review_due and publish "now"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workflows.model import CalendarChange, CycleCalendar
from workflows.timeline import apply_change, close_reviewing, iso, parse

NOW = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def closed_early() -> CycleCalendar:
    """Collection closed early an hour ago: evidence_due == collection_closes, both passed."""
    closed = iso(NOW - timedelta(hours=1))
    return CycleCalendar(
        opens=iso(NOW - 30 * DAY),
        evidence_due=closed,
        collection_closes=closed,
        review_due=iso(NOW + 12 * DAY),
        publish=iso(NOW + 17 * DAY),
        appeal_deadline=iso(NOW + 24 * DAY),
    )


def test_after_an_early_close_review_and_publication_still_move():
    moved = apply_change(
        closed_early(),
        CalendarChange(review_due=iso(NOW + 2 * DAY), publish=iso(NOW + 3 * DAY)),
        now=NOW,
    )
    assert (parse(moved.review_due), parse(moved.publish)) == (NOW + 2 * DAY, NOW + 3 * DAY)
    later = apply_change(moved, CalendarChange(appeal_deadline=iso(NOW + 30 * DAY)), now=NOW)
    assert parse(later.appeal_deadline) == NOW + 30 * DAY


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (CalendarChange(publish=iso(NOW + 11 * DAY)), "publish must be after review_due"),
        (CalendarChange(review_due=iso(NOW + 18 * DAY)), "publish must be after review_due"),
        (CalendarChange(collection_closes=iso(NOW + DAY)), "collection_closes has already passed"),
        (CalendarChange(review_due=iso(NOW - DAY)), "review_due must be in the future"),
    ],
)
def test_what_moves_is_still_checked(change, problem):
    with pytest.raises(ValueError, match=problem):
        apply_change(closed_early(), change, now=NOW)


def test_a_change_is_not_blocked_by_milestones_it_does_not_touch():
    # A calendar left out of order where nothing moves (publish before review_due, as a plan
    # recorded before today's rules could be) does not stop the office moving the appeal
    # deadline.
    calendar = closed_early()
    calendar.publish = iso(parse(calendar.review_due) - DAY)
    moved = apply_change(calendar, CalendarChange(appeal_deadline=iso(NOW + 40 * DAY)), now=NOW)
    assert parse(moved.appeal_deadline) == NOW + 40 * DAY


def test_closing_review_now_publishes_now_and_keeps_the_appeal_window():
    closed = close_reviewing(closed_early(), now=NOW)
    assert closed.review_due == closed.publish == iso(NOW)
    assert closed.appeal_deadline == closed_early().appeal_deadline
    with pytest.raises(ValueError, match="review_due has already passed"):
        close_reviewing(closed, now=NOW + DAY)

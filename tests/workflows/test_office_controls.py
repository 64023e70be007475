"""The office's controls over a real year (issue 12): an early close of collection never
blocks later calendar changes, and review closes early once reviews are complete, moving
straight to scoring and publication."""

from __future__ import annotations

import asyncio
import time

import pytest
from temporalio.client import WorkflowUpdateFailedError

from oneassess.history import describe
from tests.workflows.fakes import DAY
from workflows.cycle import CycleWorkflow
from workflows.model import CalendarChange, CloseCollectionEarly, CloseReviewing
from workflows.timeline import iso, parse

WITHIN_SECONDS = 30.0


async def _until_phase(handle, phase: str):
    """The cycle's status once it reports `phase` (the phase loop wakes after an update)."""
    deadline = time.monotonic() + WITHIN_SECONDS
    while True:
        status = await handle.query(CycleWorkflow.status)
        if status.phase == phase:
            return status
        assert time.monotonic() < deadline, f"still {status.phase}, waiting for {phase}"
        await asyncio.sleep(0.05)


async def test_close_early_move_review_and_publish_then_close_review_and_publish(running_cycle):
    env, handle, rec, calendar = running_cycle

    # Review cannot close while collection is open.
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await handle.execute_update(CycleWorkflow.close_reviewing, CloseReviewing("head"))
    assert "review is not under way: the cycle is collecting" in str(err.value.cause)

    closed = await handle.execute_update(
        CycleWorkflow.close_collection_early, CloseCollectionEarly("office-clerk for head")
    )
    assert closed.evidence_due == closed.collection_closes  # the early close left them equal
    await _until_phase(handle, "reviewing")

    # Later changes are still possible: review_due and publish move earlier, then publish alone.
    now = await env.get_current_time()
    moved = await handle.execute_update(
        CycleWorkflow.change_calendar,
        CalendarChange(
            review_due=iso(now + 3 * DAY), publish=iso(now + 4 * DAY), changed_by="head"
        ),
    )
    assert (parse(moved.review_due), parse(moved.publish)) == (now + 3 * DAY, now + 4 * DAY)
    moved = await handle.execute_update(
        CycleWorkflow.change_calendar, CalendarChange(publish=iso(now + 5 * DAY))
    )
    assert parse(moved.publish) == now + 5 * DAY
    # What moves is still checked against its neighbours.
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await handle.execute_update(
            CycleWorkflow.change_calendar, CalendarChange(publish=iso(now + 2 * DAY))
        )
    assert "publish must be after review_due" in str(err.value.cause)
    assert rec.of("compute_scores") == [] and rec.of("publish_scores") == []

    reminded = len(rec.of("remind_assessors"))
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await handle.execute_update(CycleWorkflow.close_reviewing, CloseReviewing())
    assert "closed_by: name the person" in str(err.value.cause)

    at_close = await env.get_current_time()
    reviewed = await handle.execute_update(
        CycleWorkflow.close_reviewing, CloseReviewing("office-head", [])
    )
    assert reviewed.review_due == reviewed.publish
    assert parse(reviewed.review_due) >= at_close
    assert parse(reviewed.review_due) < now + 3 * DAY
    assert reviewed.appeal_deadline == calendar.appeal_deadline

    status = await _until_phase(handle, "published")
    assert status.score_runs == [1]
    [published] = rec.of("publish_scores")
    assert published.appeal_deadline == calendar.appeal_deadline
    # The publication is made in the name of the person who ordered it (who closed review).
    assert published.on_behalf_of == "office-head"
    # No assessor reminder went out for a review that is over.
    assert len(rec.of("remind_assessors")) == reminded
    # The close is in the history with the person who closed it.
    history = await handle.fetch_history()

    [entry] = [e for e in describe(history) if "close_reviewing" in e.text]
    assert entry.kind == "admin" and "by office-head" in entry.text

"""The cycle's state read and built without side effects: the first state from the plan,
the status the query reports, the assessor reminder points still due."""

from __future__ import annotations

from datetime import datetime, timedelta

from oneassess.contract.cycle import COLLECTING, FOLDED
from workflows import timeline
from workflows.model import (
    DEFAULT_ESCALATION,
    CycleInput,
    CyclePlan,
    CycleState,
    CycleStatus,
)

OPEN_COLLECTION = "open"  # the phase action that opens the window (CycleWorkflow._once)


def initial_state(input: CycleInput, plan: CyclePlan, *, now: datetime) -> CycleState:
    """The state of a cycle's first run: the plan's calendar (or the input's), compressed onto
    `now` when asked to; ValueError when the calendar is out of order."""
    calendar = input.calendar or plan.calendar
    factor = timeline.compression_factor(
        calendar, factor=input.compress_factor, span_seconds=input.span_seconds
    )
    calendar, reminders = timeline.compress(calendar, plan.reminders, start=now, factor=factor)
    problems = timeline.order_problems(calendar)
    if problems:
        raise ValueError("; ".join(problems))
    return CycleState(
        cycle_code=input.cycle_code,
        calendar=calendar,
        reminders=reminders,
        units=plan.units,
        asks_by_kind=plan.asks_by_kind,
        escalation=input.escalation or DEFAULT_ESCALATION,
        compression=factor,
        publish_ordered_by=input.started_by,
    )


def reported_phase(state: CycleState) -> str:
    """The phase as people see it. The workflow enters "collecting" a moment before its first
    activity opens the window in the submissions service; until that is done the cycle still
    reads "folded", so nobody is told to upload into a window that is not open yet."""
    if state.phase == COLLECTING and OPEN_COLLECTION not in state.done:
        return FOLDED
    return state.phase


def status_of(state: CycleState) -> CycleStatus:
    return CycleStatus(
        cycle_code=state.cycle_code,
        phase=reported_phase(state),
        calendar=state.calendar,
        units_total=len(state.units),
        units_started=state.units_started,
        run=state.runs,
        extensions_pending=sum(e.status == "pending" for e in state.extensions),
        extensions_approved=sum(e.status == "approved" for e in state.extensions),
        extensions_rejected=sum(e.status == "rejected" for e in state.extensions),
        score_runs=list(state.score_runs),
        pending_extension_units=sorted(
            {e.unit_code for e in state.extensions if e.status == "pending"}
        ),
        pending_extensions=[e for e in state.extensions if e.status == "pending"],
    )


def pending_assessor_points(state: CycleState) -> list[str]:
    """Labels of every assessor reminder point not sent yet (dropped when review closes)."""
    labels = []
    while (point := next_assessor_point(state, skip=labels)) is not None:
        labels.append(point[1])
    return labels


def next_assessor_point(
    state: CycleState, skip: list[str] | tuple[str, ...] = ()
) -> tuple[datetime, str] | None:
    """The next reminder of missing reviews not sent yet: the plan's `before` offsets ahead of
    review_due, after collection closed."""
    due = timeline.parse(state.calendar.review_due)
    labels = state.reminders.before_labels or [
        timeline.offset_label(s) for s in state.reminders.before_seconds
    ]
    points = [
        (f"review-before:{label}", due - timedelta(seconds=seconds))
        for seconds, label in zip(state.reminders.before_seconds, labels, strict=True)
    ]
    start = timeline.parse(state.calendar.collection_closes)
    pending = sorted(
        (at, label)
        for label, at in points
        if at > start and label not in state.assessor_points_sent and label not in skip
    )
    return pending[0] if pending else None

"""What the cycle workflow asks of the services: one function per activity call, each
building its input from the cycle's state and deriving its request id from the cycle, so a
retried or replayed call never does anything twice. Workflow code: call only from
CycleWorkflow."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from oneassess.contract import SIGNAL_CALENDAR_CHANGED
    from workflows import timeline
    from workflows.activities.catalogue import CatalogueActivities
    from workflows.activities.collection import CollectionActivities
    from workflows.activities.exports import ExportActivities
    from workflows.activities.notifications import NotificationActivities
    from workflows.activities.scoring import ScoringActivities
    from workflows.activities.units import UnitSignalActivities
    from workflows.model import (
        AssessorDigestInput,
        CloseCollectionInput,
        CollectionInput,
        CyclePlan,
        CycleState,
        DeliverResultsInput,
        ExportInput,
        ExtendUnitInput,
        LoadCycleInput,
        NoticeInput,
        ScoresInput,
        SignalUnitsInput,
        UnitCalendarChange,
    )

SERVICE_CALL = {
    "start_to_close_timeout": timedelta(minutes=2),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=30)),
}
BATCH_CALL = {
    "start_to_close_timeout": timedelta(minutes=30),
    "heartbeat_timeout": timedelta(seconds=60),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=30)),
}


def request_id(state: CycleState, purpose: str) -> str:
    return f"cycle/{state.cycle_code}/{purpose}"


async def load_plan(cycle_code: str) -> CyclePlan:
    return await workflow.execute_activity_method(
        CatalogueActivities.load_cycle, LoadCycleInput(cycle_code), **SERVICE_CALL
    )


async def open_collection(state: CycleState) -> None:
    cal = state.calendar
    await workflow.execute_activity_method(
        CollectionActivities.open_collection,
        CollectionInput(
            request_id(state, f"open/r{state.calendar_revision}"),
            state.cycle_code,
            cal.opens,
            cal.evidence_due,
            cal.collection_closes,
        ),
        **SERVICE_CALL,
    )


async def close_collection(state: CycleState) -> None:
    await workflow.execute_activity_method(
        CollectionActivities.close_collection,
        CloseCollectionInput(
            request_id(state, f"close/r{state.calendar_revision}"),
            state.cycle_code,
            state.calendar.collection_closes,
        ),
        **SERVICE_CALL,
    )


async def extend_unit(request: ExtendUnitInput) -> None:
    await workflow.execute_activity_method(
        CollectionActivities.extend_unit, request, **SERVICE_CALL
    )


async def remind_assessors(state: CycleState, label: str, at: datetime) -> None:
    await workflow.execute_activity_method(
        NotificationActivities.remind_assessors,
        AssessorDigestInput(state.cycle_code, label, state.calendar.review_due, timeline.iso(at)),
        **SERVICE_CALL,
    )


async def send_notice(notice: NoticeInput) -> None:
    await workflow.execute_activity_method(
        NotificationActivities.send_notice, notice, **SERVICE_CALL
    )


async def compute_scores(state: CycleState, number: int) -> None:
    await workflow.execute_activity_method(
        ScoringActivities.compute_scores,
        ScoresInput(request_id(state, f"compute/{number}"), state.cycle_code),
        **SERVICE_CALL,
    )


async def publish_scores(state: CycleState, number: int) -> None:
    await workflow.execute_activity_method(
        ScoringActivities.publish_scores,
        ScoresInput(
            request_id(state, f"publish/{number}"),
            state.cycle_code,
            state.calendar.appeal_deadline,
            state.publish_ordered_by,
        ),
        **SERVICE_CALL,
    )


async def finalize_scores(state: CycleState) -> None:
    await workflow.execute_activity_method(
        ScoringActivities.finalize_scores,
        ScoresInput(request_id(state, "finalize"), state.cycle_code),
        **SERVICE_CALL,
    )


async def deliver_results(state: CycleState, *, final: bool) -> None:
    await workflow.execute_activity_method(
        UnitSignalActivities.deliver_results,
        DeliverResultsInput(state.cycle_code, final, [u.code for u in state.units]),
        **BATCH_CALL,
    )


async def tell_units_the_calendar(state: CycleState) -> None:
    """Every unit started so far hears the cycle's new deadline and lock."""
    calendar = state.calendar
    await workflow.execute_activity_method(
        UnitSignalActivities.signal_units,
        SignalUnitsInput(
            state.cycle_code,
            [u.code for u in state.units[: state.units_started]],
            SIGNAL_CALENDAR_CHANGED,
            UnitCalendarChange(
                calendar.evidence_due, calendar.collection_closes, state.calendar_revision
            ),
        ),
        **BATCH_CALL,
    )


async def start_history_export(state: CycleState) -> None:
    info = workflow.info()
    await workflow.execute_activity_method(
        ExportActivities.start_history_export,
        ExportInput(state.cycle_code, info.workflow_id, info.run_id),
        **SERVICE_CALL,
    )

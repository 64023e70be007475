"""City scale on the real dev server with lowered limits: children start in windows, the
cycle workflow continues as new after each window and whenever its history grows, and a
window above the server's pending-children limit is indeed refused by the server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause

from oneassess.contract import cycle_workflow_id
from tests.workflows.fake_services import city
from tests.workflows.fakes import PENDING_CHILDREN_LIMIT as LIMIT
from tests.workflows.harness import CEILING_SECONDS, eventually, fake_stack
from workflows import control
from workflows.cycle import CycleWorkflow
from workflows.model import CycleInput

pytestmark = pytest.mark.slow


async def _runs(client, workflow_id: str) -> list:
    found = [w async for w in client.list_workflows(f"WorkflowId='{workflow_id}'")]
    return sorted(found, key=lambda w: w.start_time)


async def test_window_and_continue_as_new_under_a_lowered_pending_children_limit(
    limited_server, tmp_path
):
    client = limited_server.client
    code = f"city-{uuid.uuid4().hex[:6]}"
    async with fake_stack(client, tmp_path) as stack:
        stack.fakes.cities[code] = city(code, datetime.now(UTC), 25, asks=2)
        handle = await client.start_workflow(
            CycleWorkflow.run,
            CycleInput(code, span_seconds=25, window=8, max_history_events=40),
            id=cycle_workflow_id(code),
            task_queue=stack.settings.temporal_task_queue,
        )
        closed = await control.wait_until_closed(client, code, within_seconds=CEILING_SECONDS)
        status, summary = closed.status, closed.exports
        assert (status.phase, status.units_started, status.units_total) == ("closed", 25, 25)
        assert handle.id == cycle_workflow_id(code)

    async def every_run_listed() -> list:  # visibility may lag behind the close
        runs = await _runs(client, cycle_workflow_id(code))
        return runs if len(runs) >= status.run else []

    runs = await eventually(every_run_listed, what="every run of the cycle listed", every=0.2)
    # 4 windows (8+8+8+1), then at least one more for history length.
    assert len(runs) == status.run >= 5
    lengths = []
    for r in runs:
        history = await client.get_workflow_handle(r.id, run_id=r.run_id).fetch_history()
        lengths.append(len(history.events))
        started = sum(
            e.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED
            for e in history.events
        )
        assert started <= 8
    assert max(lengths) < 200, lengths
    units = [
        w
        async for w in client.list_workflows(f"CycleCode='{code}' AND WorkflowType='UnitWorkflow'")
    ]
    assert len(units) == 25 and {u.status.name for u in units} == {"COMPLETED"}
    assert summary.exported == 25 + len(runs)  # every unit and every run of the cycle


async def test_a_window_above_the_limit_is_refused_by_the_server(limited_server, tmp_path):
    """The lowered limit is real: starting more pending children than it allows fails the
    workflow task with PENDING_CHILD_WORKFLOWS_LIMIT_EXCEEDED, which the window avoids."""
    client = limited_server.client
    code = f"over-{uuid.uuid4().hex[:6]}"
    async with fake_stack(client, tmp_path) as stack:
        stack.fakes.cities[code] = city(code, datetime.now(UTC), LIMIT + 5, asks=1)
        handle = await client.start_workflow(
            CycleWorkflow.run,
            CycleInput(code, span_seconds=600, window=LIMIT + 5),
            id=cycle_workflow_id(code),
            task_queue=stack.settings.temporal_task_queue,
        )

        async def failed_tasks() -> list:
            history = await handle.fetch_history()
            return [
                e.workflow_task_failed_event_attributes.cause
                for e in history.events
                if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
            ]

        causes = await eventually(failed_tasks, what="a failed workflow task", every=0.2)
        await handle.terminate("test over")
        async for unit in client.list_workflows(
            f"CycleCode='{code}' AND ExecutionStatus='Running'"
        ):
            await client.get_workflow_handle(unit.id).terminate("test over")
    assert (
        WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_CHILD_WORKFLOWS_LIMIT_EXCEEDED
        in causes
    )

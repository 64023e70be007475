"""History export: every closed run of a cycle's workflows stored with the submissions
service, so the audit trail outlives Temporal's retention."""

from __future__ import annotations

import asyncio
from functools import partial

from google.protobuf.timestamp_pb2 import Timestamp
from temporalio import activity
from temporalio.client import Client, WorkflowHistory
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
)

from oneassess.client.channels import ServiceClients
from oneassess.client.paging import all_pages
from oneassess.contract import SA_CYCLE, WORKFLOW_CYCLE, WORKFLOW_UNIT, export_workflow_id
from oneassess.submissions.v1 import submissions_service_pb2 as sub
from workflows.activities.calls import call
from workflows.model import ExportInput, ExportSummary

EXPORT_POLL_SECONDS = 2.0
EXPORT_CONCURRENCY = 8


class ExportActivities:
    def __init__(self, services: ServiceClients, temporal: Client, *, task_queue: str) -> None:
        self._services = services
        self._temporal = temporal
        self._task_queue = task_queue

    @activity.defn(name="start_history_export")
    async def start_history_export(self, input: ExportInput) -> None:
        """Start the workflow that exports the cycle's histories once everything closed."""
        # Imported here: the export workflow calls this module's activities by reference.
        from workflows.export import HistoryExportWorkflow

        await self._temporal.start_workflow(
            HistoryExportWorkflow.run,
            input,
            id=export_workflow_id(input.cycle_code),
            task_queue=self._task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=TypedSearchAttributes(
                [SearchAttributePair(SearchAttributeKey.for_keyword(SA_CYCLE), input.cycle_code)]
            ),
        )

    @activity.defn(name="export_histories")
    async def export_histories(self, input: ExportInput) -> ExportSummary:
        """Wait until the cycle workflow and every unit workflow closed, then store every
        closed run's complete history (as `temporal workflow show -o json`) with the
        submissions service. Exporting twice stores nothing new."""
        running = (
            f"{SA_CYCLE}='{input.cycle_code}' AND ExecutionStatus='Running' AND "
            f"WorkflowType IN ('{WORKFLOW_CYCLE}', '{WORKFLOW_UNIT}')"
        )
        while (await self._temporal.count_workflows(running)).count:
            activity.heartbeat("waiting for workflows to close")
            await asyncio.sleep(EXPORT_POLL_SECONDS)
        exported = await self._exported(input.cycle_code)
        closed = (
            f"{SA_CYCLE}='{input.cycle_code}' AND ExecutionStatus!='Running' AND "
            f"WorkflowType IN ('{WORKFLOW_CYCLE}', '{WORKFLOW_UNIT}')"
        )
        summary = ExportSummary(exported=0, already=0)
        todo = []
        async for execution in self._temporal.list_workflows(closed):
            if (execution.id, execution.run_id) in exported:
                summary.already += 1
            else:
                todo.append(execution)
        gate = asyncio.Semaphore(EXPORT_CONCURRENCY)

        async def one(execution) -> None:
            async with gate:
                await self.export_one(
                    execution.id, execution.run_id, execution.workflow_type, input.cycle_code
                )
                activity.heartbeat(f"{execution.id} {execution.run_id}")

        await asyncio.gather(*(one(e) for e in todo))
        summary.exported = len(todo)
        summary.workflows = [e.id for e in todo]
        return summary

    async def export_one(
        self, workflow_id: str, run_id: str, workflow_type: str, cycle_code: str
    ) -> sub.HistoryExport:
        history: WorkflowHistory = await self._temporal.get_workflow_handle(
            workflow_id, run_id=run_id
        ).fetch_history()
        payload = history.to_json().encode()
        last = history.events[-1]
        close = Timestamp()
        close.CopyFrom(last.event_time)
        unit_code = workflow_id.split("/unit/", 1)[1] if "/unit/" in workflow_id else ""
        reply = await call(
            self._services.submissions.StoreHistoryExport,
            sub.StoreHistoryExportRequest(
                request_id=f"export/{workflow_id}/{run_id}",
                export=sub.HistoryExport(
                    workflow_id=workflow_id,
                    run_id=run_id,
                    workflow_type=workflow_type,
                    cycle_code=cycle_code,
                    unit_code=unit_code,
                    close_time=close,
                    event_count=len(history.events),
                ),
                history_json=payload,
            ),
        )
        return reply.export

    async def _exported(self, cycle_code: str) -> set[tuple[str, str]]:
        exports = await all_pages(
            partial(call, self._services.submissions.ListHistoryExports),
            sub.ListHistoryExportsRequest(cycle_code=cycle_code, page_size=5000),
            "exports",
        )
        return {(e.workflow_id, e.run_id) for e in exports}

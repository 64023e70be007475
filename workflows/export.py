"""HistoryExportWorkflow `cycle/{code}/export`: started by a closing cycle workflow (which
cannot export its own history before it has closed). One activity waits until the cycle
workflow and every unit workflow of the cycle closed, then stores each closed run's complete
history with the submissions service, so the audit trail outlives Temporal's retention.

Its result (an ExportSummary) is what "the cycle's history is stored" means: a cycle is
closed for auditors once this workflow has completed (workflows.control.wait_until_closed).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from oneassess.contract import WORKFLOW_EXPORT
    from oneassess.contract.cycle import ExportSummary
    from workflows.activities.exports import ExportActivities
    from workflows.model import ExportInput


@workflow.defn(name=WORKFLOW_EXPORT)
class HistoryExportWorkflow:
    @workflow.run
    async def run(self, input: ExportInput) -> ExportSummary:
        return await workflow.execute_activity_method(
            ExportActivities.export_histories,
            input,
            start_to_close_timeout=timedelta(hours=2),
            heartbeat_timeout=timedelta(minutes=2),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
        )

"""Record the histories the replay test replays: `python -m tests.workflows.record_histories`.

Runs one whole cycle on the time-skipping test server (windows of 2 units so the cycle
continues as new, a unit that submits everything, one overdue to the top of the ladder, one
extended) plus the history export workflow, and writes every run's history as JSON (what
`temporal workflow show -o json` gives) under tests/workflows/histories/.

Recorded histories are never replaced: running workflows may hold the old commands, which a
change must keep replaying (behind `workflow.patched`). Record a new set next to the old one
with a label (`python -m tests.workflows.record_histories after-foo-patch` writes
`cycle-run1-after-foo-patch.json`, ...); an existing file is never overwritten.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from cli.audit import from_temporal
from localstack.temporal import SEARCH_ATTRIBUTES, test_server_binary
from oneassess.contract import (
    SIGNAL_EVIDENCE_SUBMITTED,
    SIGNAL_EXTENSION_REQUESTED,
    EvidenceSubmitted,
    ExtensionRequested,
    cycle_workflow_id,
    export_workflow_id,
    unit_workflow_id,
)
from tests.workflows.fakes import DAY, Recorder, haizhou_like_calendar, plan
from workflows.cycle import CycleWorkflow
from workflows.export import HistoryExportWorkflow
from workflows.model import CycleInput, ExportInput, ExtensionDecision, UnitRef
from workflows.timeline import iso, parse
from workflows.unit import UnitWorkflow

HERE = Path(__file__).parent / "histories"
# What one recording writes (a cycle with more runs writes cycle-run3.json and on, too).
FILES = [
    "cycle-run1.json",
    "cycle-run2.json",
    "unit-complete-town.json",
    "unit-overdue-town.json",
    "unit-extended-dept.json",
    "export.json",
]
CODE = "replay-2026"
ASKS = ["annual-work-plan", "meeting-minutes"]


async def record(env: WorkflowEnvironment) -> dict[str, str]:
    client = env.client
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=client.namespace,
            search_attributes={
                n: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for n in SEARCH_ATTRIBUTES
            },
        )
    )
    calendar = haizhou_like_calendar(await env.get_current_time() + DAY)
    units = [
        UnitRef("complete-town", "township", contact="c@complete", head="h@complete"),
        UnitRef("overdue-town", "township", contact="c@overdue", head="h@overdue"),
        UnitRef("extended-dept", "department", contact="c@extended", head="h@extended"),
    ]
    rec = Recorder(plan(CODE, calendar, units, {"township": ASKS, "department": ASKS}), client)
    async with Worker(
        client,
        task_queue="replay",
        workflows=[CycleWorkflow, UnitWorkflow, HistoryExportWorkflow],
        activities=rec.activities(),
    ):
        handle = await client.start_workflow(
            CycleWorkflow.run,
            CycleInput(CODE, calendar=calendar, window=2),
            id=cycle_workflow_id(CODE),
            task_queue="replay",
        )
        await env.sleep(2 * DAY)
        for key in ASKS:
            await client.get_workflow_handle(unit_workflow_id(CODE, "complete-town")).signal(
                SIGNAL_EVIDENCE_SUBMITTED,
                EvidenceSubmitted(
                    f"s-{key}",
                    CODE,
                    "complete-town",
                    key,
                    "ab" * 32,
                    1,
                    iso(await env.get_current_time()),
                    "unit:complete-town",
                    f"{key}.pdf",
                    10,
                ),
            )
        due = parse(calendar.evidence_due)
        await env.sleep(due - 2 * DAY - await env.get_current_time())
        await handle.signal(
            SIGNAL_EXTENSION_REQUESTED,
            ExtensionRequested(
                "ext-1", CODE, "extended-dept", 7, "flood season", "unit:extended-dept", iso(due)
            ),
        )
        await handle.execute_update(
            CycleWorkflow.decide_extension,
            ExtensionDecision(unit_code="extended-dept", decided_by="admin:office"),
        )
        await handle.result()
        export = await client.start_workflow(
            HistoryExportWorkflow.run,
            ExportInput(CODE, handle.id, handle.result_run_id or ""),
            id=export_workflow_id(CODE),
            task_queue="replay",
        )
        await export.result()

    files = {}
    runs = await from_temporal(client, cycle_workflow_id(CODE))  # every run, oldest first
    for number, history in enumerate(runs or [], 1):
        files[f"cycle-run{number}.json"] = history.to_json()
    for unit in units:
        files[f"unit-{unit.code}.json"] = (
            await client.get_workflow_handle(unit_workflow_id(CODE, unit.code)).fetch_history()
        ).to_json()
    files["export.json"] = (
        await client.get_workflow_handle(export_workflow_id(CODE)).fetch_history()
    ).to_json()
    return files


async def main(label: str) -> None:
    if not label:
        raise SystemExit("give a label for the new histories, e.g. after-foo-patch")
    targets = {name: HERE / f"{name.removesuffix('.json')}-{label}.json" for name in FILES}
    existing = [str(path) for path in targets.values() if path.exists()]
    if existing:
        raise SystemExit(f"not overwriting recorded histories: {', '.join(existing)}")
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=test_server_binary()
    )
    try:
        files = await record(env)
    finally:
        await env.shutdown()
    HERE.mkdir(exist_ok=True)
    for name, text in files.items():
        path = targets.get(name, HERE / f"{name.removesuffix('.json')}-{label}.json")
        path.write_text(text + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else ""))

"""Driving a cycle's workflow straight through Temporal, for the workflow tests and the
benchmarks only: people (the CLI, the demo, the portal) go through CycleControlService on the
indicators service, which authorises them and is the only user-facing path to Temporal.

A cycle is closed for auditors once its history is stored: the cycle workflow reports
`closed` and completes, then HistoryExportWorkflow stores every closed run (the cycle's own
last run included, which is why the cycle cannot wait for it). `wait_until_closed` and
`wait_for_phase(..., "closed")` wait for both; `history_export` tells whether it is done.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
)
from temporalio.service import RPCError, RPCStatusCode

from oneassess.config import Settings
from oneassess.contract import (
    SA_CYCLE,
    SA_PHASE,
    UPDATE_CHANGE_CALENDAR,
    UPDATE_CLOSE_COLLECTION,
    UPDATE_DECIDE_EXTENSION,
    UPDATE_EXTEND_UNIT,
    cycle_workflow_id,
    export_workflow_id,
)
from workflows import connect as connection
from workflows.cycle import CycleWorkflow
from workflows.export import HistoryExportWorkflow
from workflows.model import (
    CLOSED,
    CYCLE_PHASES,
    CalendarChange,
    CloseCollectionEarly,
    CycleCalendar,
    CycleInput,
    CycleStatus,
    ExportSummary,
    ExtendUnitRequest,
    ExtensionDecision,
    ExtensionRecord,
)

POLL_SECONDS = 0.3


@dataclass
class ClosedCycle:
    """A cycle whose workflows have all closed and whose histories are all stored."""

    status: CycleStatus
    exports: ExportSummary


async def connect(
    settings: Settings, *, within_seconds: float = connection.CONNECT_TIMEOUT_SECONDS
) -> Client:
    """A client of the cycle's Temporal; TemporalUnreachable (one sentence) after
    `within_seconds` without an answer."""
    return await connection.connect(settings, within_seconds=within_seconds)


def _handle(client: Client, cycle_code: str) -> WorkflowHandle[CycleWorkflow, CycleStatus]:
    return client.get_workflow_handle_for(CycleWorkflow.run, cycle_workflow_id(cycle_code))


async def start_cycle(
    client: Client,
    settings: Settings,
    cycle_code: str,
    *,
    compress_factor: float = 0.0,
    span_seconds: float = 0.0,
    calendar: CycleCalendar | None = None,
    window: int = 500,
) -> WorkflowHandle[CycleWorkflow, CycleStatus]:
    """Start the cycle's workflow (fails if one is already running for the cycle)."""
    return await client.start_workflow(
        CycleWorkflow.run,
        CycleInput(
            cycle_code,
            compress_factor=compress_factor,
            span_seconds=span_seconds,
            calendar=calendar,
            window=window,
        ),
        id=cycle_workflow_id(cycle_code),
        task_queue=settings.temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(SearchAttributeKey.for_keyword(SA_CYCLE), cycle_code),
                SearchAttributePair(SearchAttributeKey.for_keyword(SA_PHASE), CYCLE_PHASES[0]),
            ]
        ),
    )


async def status(client: Client, cycle_code: str, *, within_seconds: float = 30.0) -> CycleStatus:
    """The cycle's status; waits while a just-started workflow is still loading its plan."""
    handle = _handle(client, cycle_code)
    deadline = time.monotonic() + within_seconds
    while True:
        try:
            return await handle.query(CycleWorkflow.status)
        except WorkflowQueryFailedError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(POLL_SECONDS)


# ---- the office's updates (a refusal raises WorkflowUpdateFailedError, nothing changed) ----


async def change_calendar(client: Client, cycle_code: str, change: CalendarChange) -> CycleCalendar:
    return await _handle(client, cycle_code).execute_update(CycleWorkflow.change_calendar, change)


async def close_collection_early(
    client: Client, cycle_code: str, request: CloseCollectionEarly
) -> CycleCalendar:
    return await _handle(client, cycle_code).execute_update(
        CycleWorkflow.close_collection_early, request
    )


async def extend_unit(
    client: Client, cycle_code: str, request: ExtendUnitRequest
) -> ExtensionRecord:
    return await _handle(client, cycle_code).execute_update(CycleWorkflow.extend_unit, request)


async def decide_extension(
    client: Client,
    cycle_code: str,
    decision: ExtensionDecision,
    *,
    wait_for_request: bool = False,
    within_seconds: float = 60.0,
) -> ExtensionRecord:
    """Send the office's decision; optionally wait until the unit's request has reached the
    workflow (it travels through the submissions outbox)."""
    if wait_for_request:
        await wait_for_pending_extension(
            client, cycle_code, unit_code=decision.unit_code, within_seconds=within_seconds
        )
    return await _handle(client, cycle_code).execute_update(
        CycleWorkflow.decide_extension, decision
    )


_BY_NAME = {
    UPDATE_CHANGE_CALENDAR: change_calendar,
    UPDATE_CLOSE_COLLECTION: close_collection_early,
    UPDATE_EXTEND_UNIT: extend_unit,
    UPDATE_DECIDE_EXTENSION: decide_extension,
}


async def update(client: Client, cycle_code: str, name: str, argument, result_type=None):
    """An update by its registered name (oneassess.contract.UPDATE_*), for callers that carry
    the name; prefer the typed functions above. `result_type` is implied by the update."""
    try:
        send = _BY_NAME[name]
    except KeyError:
        raise ValueError(f"no update {name!r} on the cycle workflow") from None
    return await send(client, cycle_code, argument)


# ---- waiting ----


async def wait_for_phase(
    client: Client, cycle_code: str, phase: str, *, within_seconds: float = 600.0, poll: float = 0.5
) -> CycleStatus:
    """Until the cycle reaches `phase` (or a later one). `closed` waits until the workflow has
    ended and its history export has stored every run (see wait_until_closed)."""
    if phase == CLOSED:
        return (await wait_until_closed(client, cycle_code, within_seconds=within_seconds)).status
    target = CYCLE_PHASES.index(phase)
    deadline = time.monotonic() + within_seconds
    while True:
        found = await status(client, cycle_code)
        if CYCLE_PHASES.index(found.phase) >= target:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"cycle {cycle_code} still {found.phase!r} after {within_seconds:.0f}s, "
                f"waiting for {phase!r}"
            )
        await asyncio.sleep(poll)


async def wait_until_closed(
    client: Client, cycle_code: str, *, within_seconds: float = 600.0
) -> ClosedCycle:
    """Until the cycle workflow has completed and its history export has stored every closed
    run of the cycle's workflows; TimeoutError past `within_seconds`."""

    async def closed() -> ClosedCycle:
        final = await _handle(client, cycle_code).result()
        # The cycle started the export before it completed, so the export exists now.
        exports = await client.get_workflow_handle_for(
            HistoryExportWorkflow.run, export_workflow_id(cycle_code)
        ).result()
        return ClosedCycle(final, exports)

    try:
        async with asyncio.timeout(within_seconds):
            return await closed()
    except TimeoutError:
        raise TimeoutError(
            f"cycle {cycle_code} not closed with its history stored after {within_seconds:.0f}s"
        ) from None


async def history_export(client: Client, cycle_code: str) -> ExportSummary | None:
    """What the cycle's history export stored once it has completed; None while it has not
    started (the cycle is not closed) or is still storing."""
    handle = client.get_workflow_handle_for(
        HistoryExportWorkflow.run, export_workflow_id(cycle_code)
    )
    try:
        description = await handle.describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    if description.status != WorkflowExecutionStatus.COMPLETED:
        return None
    return await handle.result()


async def wait_for_pending_extension(
    client: Client, cycle_code: str, *, unit_code: str = "", within_seconds: float
) -> None:
    """Until the workflow holds a pending request (of `unit_code`, when given)."""

    def arrived(found: CycleStatus) -> bool:
        return (
            unit_code in found.pending_extension_units
            if unit_code
            else bool(found.extensions_pending)
        )

    deadline = time.monotonic() + within_seconds
    while not arrived(await status(client, cycle_code)):
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"no pending extension request reached cycle {cycle_code} in {within_seconds:.0f}s"
            )
        await asyncio.sleep(POLL_SECONDS)

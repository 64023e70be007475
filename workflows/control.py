"""Driving a cycle's workflow from outside (the CLI, the demo): start it, read its status,
send the office's updates, wait for a phase. One place, so every client does it the same way.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from temporalio.client import Client, WorkflowHandle, WorkflowQueryFailedError
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
)

from oneassess.config import Settings
from oneassess.contract import (
    QUERY_STATUS,
    SA_CYCLE,
    SA_PHASE,
    UPDATE_DECIDE_EXTENSION,
    cycle_workflow_id,
)
from workflows.model import (
    CYCLE_PHASES,
    CycleCalendar,
    CycleInput,
    CycleStatus,
    ExtensionDecision,
    ExtensionRecord,
)


async def connect(settings: Settings) -> Client:
    from workflows.worker import connect as worker_connect

    return await worker_connect(settings)


async def start_cycle(
    client: Client,
    settings: Settings,
    cycle_code: str,
    *,
    compress_factor: float = 0.0,
    span_seconds: float = 0.0,
    calendar: CycleCalendar | None = None,
    window: int = 500,
) -> WorkflowHandle:
    """Start the cycle's workflow (fails if one is already running for the cycle)."""
    return await client.start_workflow(
        "CycleWorkflow",
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
    handle = client.get_workflow_handle(cycle_workflow_id(cycle_code))
    deadline = time.monotonic() + within_seconds
    while True:
        try:
            return await handle.query(QUERY_STATUS, result_type=CycleStatus)
        except WorkflowQueryFailedError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.3)


async def update(
    client: Client, cycle_code: str, name: str, argument: Any, result_type: type
) -> Any:
    handle = client.get_workflow_handle(cycle_workflow_id(cycle_code))
    return await handle.execute_update(name, argument, result_type=result_type)


async def wait_for_phase(
    client: Client, cycle_code: str, phase: str, *, within_seconds: float = 600.0, poll: float = 0.5
) -> CycleStatus | None:
    """Until the cycle reaches `phase` (or a later one). `closed` waits for the workflow's end."""
    target = CYCLE_PHASES.index(phase)
    deadline = time.monotonic() + within_seconds
    if phase == CYCLE_PHASES[-1]:
        handle = client.get_workflow_handle(cycle_workflow_id(cycle_code))
        await asyncio.wait_for(handle.result(), within_seconds)
        return None
    while True:
        found = await status(client, cycle_code)
        if CYCLE_PHASES.index(found.phase) >= target:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"cycle {cycle_code} still {found.phase!r} after {within_seconds:.0f}s, waiting for {phase!r}"
            )
        await asyncio.sleep(poll)


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
    return await update(client, cycle_code, UPDATE_DECIDE_EXTENSION, decision, ExtensionRecord)


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
        await asyncio.sleep(0.3)

"""The indicators service's link to Temporal: its own client (connected on first use, so the
service serves its catalogue while Temporal is down), the cycle workflow's updates and query
by their contract names, and Temporal's errors as the service's status codes.

The service never imports `workflows`: what it sends and reads are the dataclasses of
oneassess.contract.cycle, the names those of oneassess.contract.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHistory,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from oneassess import temporal
from oneassess.config import Settings
from oneassess.contract import (
    QUERY_STATUS,
    SA_CYCLE,
    SA_PHASE,
    WORKFLOW_CYCLE,
    cycle_workflow_id,
    export_workflow_id,
)
from oneassess.contract.cycle import CYCLE_PHASES, CycleInput, CycleStatus
from services.common.errors import DomainError, FailedPrecondition, NotFound, Unavailable

T = TypeVar("T")

# A command that needs Temporal answers within 10 s, the CLI's own start included; on a busy
# machine that start alone can take several seconds. A healthy server connects in well under
# one, and a failed attempt is retried by the next call.
CONNECT_SECONDS = 3.0

# Where a cycle's history export stands (the proto's HistoryExportState, by name).
EXPORT_UNKNOWN, EXPORT_CYCLE_OPEN, EXPORT_RUNNING, EXPORT_DONE = (
    "unknown",
    "cycle_open",
    "running",
    "done",
)


class TemporalLink:
    """One Temporal client per service process, connected lazily and reused."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        async with self._lock:
            if self._client is None:
                try:
                    self._client = await temporal.connect(
                        self.settings, within_seconds=CONNECT_SECONDS
                    )
                except temporal.TemporalUnreachable as err:
                    # One sentence the caller can act on, answered within CONNECT_SECONDS.
                    raise Unavailable(
                        f"{err}; start it (`oneassess up`) or check TEMPORAL_ADDRESS",
                        "TEMPORAL_UNAVAILABLE",
                    ) from None
            return self._client

    async def start_cycle(self, request: CycleInput) -> str:
        client = await self.client()
        code = request.cycle_code
        try:
            handle = await client.start_workflow(
                WORKFLOW_CYCLE,
                request,
                id=cycle_workflow_id(code),
                task_queue=self.settings.temporal_task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(SearchAttributeKey.for_keyword(SA_CYCLE), code),
                        SearchAttributePair(
                            SearchAttributeKey.for_keyword(SA_PHASE), CYCLE_PHASES[0]
                        ),
                    ]
                ),
            )
        except WorkflowAlreadyStartedError:
            raise FailedPrecondition.of_field(
                "cycle_code", f"cycle {code!r} already has a running workflow", "CYCLE_RUNNING"
            ) from None
        except RPCError as err:
            raise _status(err, code) from None
        return handle.result_run_id or ""

    async def status(self, cycle_code: str) -> CycleStatus:
        handle = (await self.client()).get_workflow_handle(cycle_workflow_id(cycle_code))
        try:
            return await handle.query(QUERY_STATUS, result_type=CycleStatus)
        except WorkflowQueryFailedError as err:
            raise FailedPrecondition.of_field(
                "cycle_code", f"the cycle's workflow cannot answer yet: {err}", "CYCLE_LOADING"
            ) from None
        except RPCError as err:
            raise _status(err, cycle_code) from None

    async def update(
        self, cycle_code: str, name: str, argument: Any, result_type: type[T], update_id: str
    ) -> T:
        """Send one of the office's updates; the workflow's validator refuses a bad one before
        it enters history (FAILED_PRECONDITION with the workflow's words). `update_id` makes a
        retried call the same update."""
        handle = (await self.client()).get_workflow_handle(cycle_workflow_id(cycle_code))
        try:
            return await handle.execute_update(
                name, argument, id=update_id or None, result_type=result_type
            )
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            raise FailedPrecondition(
                f"refused: {getattr(cause, 'message', None) or cause}", "CYCLE_REFUSED"
            ) from None
        except RPCError as err:
            raise _status(err, cycle_code) from None

    async def export_state(self, cycle_code: str) -> str:
        client = await self.client()
        for workflow_id, running in (
            (export_workflow_id(cycle_code), EXPORT_RUNNING),
            (cycle_workflow_id(cycle_code), EXPORT_CYCLE_OPEN),
        ):
            try:
                found = await client.get_workflow_handle(workflow_id).describe()
            except RPCError as err:
                if err.status == RPCStatusCode.NOT_FOUND:
                    continue
                raise _status(err, cycle_code) from None
            if found.status == WorkflowExecutionStatus.RUNNING:
                return running
            if workflow_id == export_workflow_id(cycle_code):
                return EXPORT_DONE
        return EXPORT_UNKNOWN

    async def histories(self, workflow_id: str) -> list[WorkflowHistory] | None:
        """Every run of a workflow, oldest first; None once Temporal no longer has them all."""
        client = await self.client()
        runs: list[WorkflowHistory] = []
        run_id: str | None = None
        while True:
            try:
                history = await client.get_workflow_handle(
                    workflow_id, run_id=run_id
                ).fetch_history()
            except RPCError as err:
                if err.status == RPCStatusCode.NOT_FOUND:
                    return None
                raise _status(err, workflow_id) from None
            runs.insert(0, history)
            started = history.events[0].workflow_execution_started_event_attributes
            run_id = started.continued_execution_run_id
            if not run_id:
                return runs


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _status(err: RPCError, cycle_code: str) -> DomainError:
    if err.status == RPCStatusCode.NOT_FOUND:
        return NotFound.of_field(
            "cycle_code",
            f"no workflow for cycle {cycle_code!r}: start it with StartCycle "
            f"(oneassess cycle start {cycle_code})",
            "CYCLE_NOT_STARTED",
        )
    if err.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
        return Unavailable(f"Temporal is unavailable: {err.message}", "TEMPORAL_UNAVAILABLE")
    return DomainError(f"Temporal: {err.message}", "TEMPORAL_ERROR")


@asynccontextmanager
async def lifespan(settings: Settings) -> AsyncIterator[TemporalLink]:
    """The service's Temporal link for its lifetime (the SDK's client needs no closing)."""
    yield TemporalLink(settings)

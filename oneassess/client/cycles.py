"""Running a cycle through CycleControlService (the indicators service), the one way the CLI,
the demo and the portal do it: they never reach Temporal themselves.

Phases are the proto's CyclePhase; `phase_name` gives the plain word ("reviewing").
"""

from __future__ import annotations

import asyncio
import time
import uuid

import grpc

from oneassess.indicators.v1 import cycle_control_service_pb2 as pb

POLL_SECONDS = 0.5

PHASES = ("folded", "collecting", "reviewing", "scoring", "published", "final", "closed")
MILESTONES = (
    "opens",
    "evidence_due",
    "collection_closes",
    "review_due",
    "publish",
    "appeal_deadline",
)


def phase_name(phase: int) -> str:
    return pb.CyclePhase.Name(phase).removeprefix("CYCLE_PHASE_").lower()


def phase_value(name: str) -> int:
    return pb.CyclePhase.Value(f"CYCLE_PHASE_{name.upper()}")


def request_id() -> str:
    return str(uuid.uuid4())


async def status(clients, cycle_code: str) -> pb.GetCycleStatusResponse:
    return await clients.cycles.GetCycleStatus(pb.GetCycleStatusRequest(cycle_code=cycle_code))


async def wait_for_phase(
    clients,
    cycle_code: str,
    phase: str,
    *,
    within_seconds: float = 600.0,
    poll: float = POLL_SECONDS,
) -> pb.GetCycleStatusResponse:
    """Until the cycle reaches `phase` (or a later one); `closed` also waits until the history
    export has stored every run. TimeoutError past `within_seconds`. A cycle whose workflow is
    still loading its plan (FAILED_PRECONDITION CYCLE_LOADING) is waited for too."""
    target = phase_value(phase)
    deadline = time.monotonic() + within_seconds
    found = None
    while True:
        try:
            found = await status(clients, cycle_code)
        except grpc.aio.AioRpcError as err:
            if err.code() != grpc.StatusCode.FAILED_PRECONDITION:
                raise
        if found is not None and found.phase >= target:
            done = phase != "closed" or found.history_export == pb.HISTORY_EXPORT_STATE_DONE
            if done:
                return found
        if time.monotonic() > deadline:
            where = phase_name(found.phase) if found is not None else "not answering"
            raise TimeoutError(
                f"cycle {cycle_code} still {where!r} after {within_seconds:.0f}s, "
                f"waiting for {phase!r}"
            )
        await asyncio.sleep(poll)


async def decide_extension(
    clients,
    cycle_code: str,
    *,
    unit_code: str = "",
    extension_id: str = "",
    approve: bool = True,
    days: int = 0,
    wait_seconds: float = 5.0,
) -> pb.DecideExtensionResponse:
    """Decide a unit's pending request. A request travels from the submissions service's
    outbox to the workflow: a just-filed one is given `wait_seconds` to arrive (each attempt
    is a new request: a refusal changed nothing)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return await clients.cycles.DecideExtension(
                pb.DecideExtensionRequest(
                    request_id=request_id(),
                    cycle_code=cycle_code,
                    unit_code=unit_code,
                    extension_id=extension_id,
                    approve=approve,
                    days=days,
                )
            )
        except grpc.aio.AioRpcError as err:
            not_yet = (
                err.code() == grpc.StatusCode.FAILED_PRECONDITION
                and "no pending extension request" in (err.details() or "")
            )
            if not not_yet or time.monotonic() > deadline:
                raise
        await asyncio.sleep(POLL_SECONDS)

"""The phase people are told matches what they can do: a cycle reads "collecting" only once
its window is open in the submissions service, not the moment the workflow enters the phase
(before its first activity has opened the window)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from oneassess.contract import cycle_workflow_id
from tests.workflows.fake_services import city
from tests.workflows.harness import eventually
from workflows import control
from workflows.cycle import CycleWorkflow
from workflows.model import CycleInput


async def test_the_cycle_reads_collecting_only_once_the_window_is_open(stack, cycle_code):
    client = stack.client
    stack.fakes.cities[cycle_code] = city(cycle_code, datetime.now(UTC), 2, asks=1)
    stack.fakes.open_gate = asyncio.Event()  # OpenCollection is held until the test lets go
    handle = await client.start_workflow(
        CycleWorkflow.run,
        CycleInput(cycle_code, span_seconds=600),
        id=cycle_workflow_id(cycle_code),
        task_queue=stack.settings.temporal_task_queue,
    )
    try:

        async def opening() -> bool:
            return any(
                name == "OpenCollection" and request.window.cycle_code == cycle_code
                for name, request in stack.fakes.calls
            )

        await eventually(opening, what="the workflow asking to open the window", within=120)
        held = await control.status(client, cycle_code)
        assert held.phase == "folded", held
        stack.fakes.open_gate.set()
        opened = await control.wait_for_phase(client, cycle_code, "collecting", within_seconds=120)
        assert opened.phase == "collecting"
    finally:
        stack.fakes.open_gate.set()
        await handle.terminate()

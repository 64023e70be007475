"""The office's commands against a running cycle on the dev server: clear refusals that
change nothing, and the changes themselves."""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.service import RPCError

from oneassess.contract import SIGNAL_EXTENSION_REQUESTED, ExtensionRequested, cycle_workflow_id
from tests.workflows.fake_services import city
from tests.workflows.harness import CEILING_SECONDS
from workflows import control
from workflows.cycle import CycleWorkflow


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--compress", "0.5"], "--compress must be at least 1, got 0.5"),
        (
            ["--compress", "10", "--span-minutes", "5"],
            "give --compress or --span-minutes, not both",
        ),
        (["--opens", "2026-11-01T09:00:00+08:00"], "an explicit calendar needs all of"),
        (["--window", "501"], "--window must be 1 to 500, got 501"),
    ],
)
async def test_start_refuses_bad_options(stack, args, message):
    result = await stack.cli("cycle", "start", "any-cycle", *args)
    assert result.exit_code == 1 and message in result.output


async def test_start_refuses_an_unknown_cycle_and_status_says_what_to_do(stack):
    result = await stack.cli("cycle", "start", "nowhere-2026")
    assert (
        result.exit_code == 1 and "NOT_FOUND" in result.output and "nowhere-2026" in result.output
    )
    status = await stack.cli("cycle", "status", "nowhere-2026")
    assert status.exit_code == 1
    assert (
        "no running workflow for cycle 'nowhere-2026':"
        " start it with `oneassess cycle start nowhere-2026`" in status.output
    )


async def test_office_commands_on_a_running_cycle(stack):
    client = stack.client
    code = f"cli-{uuid.uuid4().hex[:6]}"
    stack.fakes.cities[code] = city(code, datetime.now(UTC), 2, asks=1)
    started = await stack.cli("cycle", "start", code, "--span-minutes", "30")
    assert started.exit_code == 0, started.output
    again = await stack.cli("cycle", "start", code, "--span-minutes", "30")
    assert again.exit_code == 1 and "already has a running workflow" in again.output
    handle = client.get_workflow_handle_for(CycleWorkflow.run, cycle_workflow_id(code))
    try:
        # The workflow answers once it has read its plan.
        status = await control.status(client, code, within_seconds=CEILING_SECONDS)
        refused = await stack.cli("extension", "decide", code, "--unit", "unit-0001", "--approve")
        assert (
            refused.exit_code == 1
            and "refused: no pending extension request for 'unit-0001'" in refused.output
        )
        bad = await stack.cli("cycle", "calendar", code, "--evidence-due", status.calendar.publish)
        assert bad.exit_code == 1 and "collection_closes must be after evidence_due" in bad.output
        history = await handle.fetch_history()
        assert not any(
            e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
            for e in history.events
        )

        await handle.signal(
            SIGNAL_EXTENSION_REQUESTED,
            ExtensionRequested(
                "ext-7",
                code,
                "unit-0001",
                5,
                "typhoon",
                "unit:unit-0001",
                datetime.now(UTC).isoformat(),
            ),
        )
        approved = await stack.cli(
            "extension", "decide", code, "--unit", "unit-0001", "--approve", "--as", "admin"
        )
        assert approved.exit_code == 0, approved.output
        assert "unit-0001: extension ext-7 approved by cli:admin" in approved.output
        [extend] = [r for n, r in stack.fakes.calls if n == "ExtendUnit"]
        assert (extend.unit_code, extend.approved_by) == ("unit-0001", "cli:admin")

        closed = await stack.cli("cycle", "close-collection", code)
        assert closed.exit_code == 0 and "collection closed at" in closed.output
        shown = await stack.cli("cycle", "status", code)
        assert "phase reviewing" in shown.output and "1 approved" in shown.output
    finally:
        await handle.terminate("test over")
        async for unit in client.list_workflows(
            f"CycleCode='{code}' AND ExecutionStatus='Running'"
        ):
            with contextlib.suppress(RPCError):  # it may have finished since it was listed
                await client.get_workflow_handle(unit.id).terminate("test over")

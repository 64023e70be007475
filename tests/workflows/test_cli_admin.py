"""The office's commands against a running cycle, through the indicators service (cycle
control) on the dev server: clear refusals that change nothing, and the changes themselves."""

from __future__ import annotations

import json

import pytest
from temporalio.api.enums.v1 import EventType

from oneassess.contract import cycle_workflow_id
from tests.workflows.harness import CEILING_SECONDS, eventually


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


async def test_start_refuses_an_unknown_cycle_and_status_says_what_to_do(stack, control):
    result = await stack.cli("cycle", "start", "nowhere-2026")
    assert (
        result.exit_code == 1 and "NOT_FOUND" in result.output and "nowhere-2026" in result.output
    )
    status = await stack.cli("cycle", "status", "nowhere-2026")
    assert status.exit_code == 1
    assert (
        "no workflow for cycle 'nowhere-2026': start it with StartCycle"
        " (oneassess cycle start nowhere-2026)" in status.output
    )


async def test_office_commands_on_a_running_cycle(stack, control):
    code, _running, _env = control
    started = await stack.cli("cycle", "start", code, "--span-minutes", "30")
    assert started.exit_code == 0, started.output
    again = await stack.cli("cycle", "start", code, "--span-minutes", "30")
    assert again.exit_code == 1 and "already has a running workflow" in again.output
    handle = stack.client.get_workflow_handle(cycle_workflow_id(code))
    status = await eventually(
        lambda: _json_status(stack, code), what="the cycle answers", within=CEILING_SECONDS
    )
    refused = await stack.cli("extension", "decide", code, "--unit", "unit-0001", "--approve")
    assert (
        refused.exit_code == 1
        and "refused: no pending extension request for 'unit-0001'" in refused.output
    )
    publish = status["calendar"]["publish"]
    bad = await stack.cli("cycle", "calendar", code, "--evidence-due", publish)
    assert bad.exit_code == 1 and "collection_closes must be after evidence_due" in bad.output
    history = await handle.fetch_history()
    assert not any(
        e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        for e in history.events
    )
    granted = await stack.cli(
        "extension", "grant", code, "--unit", "unit-0000", "--days", "1", "--reason", "flood"
    )
    assert granted.exit_code == 0, granted.output
    assert "unit-0000: extension office-1 approved by wang.haiyan" in granted.output
    closed = await stack.cli("cycle", "close-collection", code)
    assert closed.exit_code == 0 and "collection closed at" in closed.output
    shown = await stack.cli("cycle", "status", code)
    assert "phase reviewing" in shown.output and "1 approved" in shown.output


async def _json_status(stack, code):
    shown = await stack.cli("cycle", "status", code, "--json")
    return json.loads(shown.output) if shown.exit_code == 0 else None

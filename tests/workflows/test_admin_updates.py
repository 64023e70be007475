"""Admin updates on the cycle workflow: a bad request is refused by its validator before it
enters history and changes nothing; a good one moves the calendar for the submissions
service and every unit."""

from __future__ import annotations

import contextlib
import uuid

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError
from temporalio.worker import Worker

from oneassess.contract import (
    SIGNAL_EXTENSION_REQUESTED,
    ExtensionRequested,
    cycle_workflow_id,
    unit_workflow_id,
)
from tests.workflows.fakes import ADMIN_ASKS as ASKS
from tests.workflows.fakes import ADMIN_UNITS as UNITS
from tests.workflows.fakes import DAY, Recorder, haizhou_like_calendar, plan
from workflows.cycle import CycleWorkflow
from workflows.export import HistoryExportWorkflow
from workflows.model import (
    MAX_EXTENSIONS_PER_UNIT,
    CalendarChange,
    CloseCollectionEarly,
    CycleInput,
    ExtendUnitRequest,
    ExtensionDecision,
)
from workflows.timeline import iso, parse
from workflows.unit import UnitWorkflow


async def _update_events(handle) -> int:
    history = await handle.fetch_history()
    return sum(
        e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        for e in history.events
    )


@pytest.mark.parametrize(
    ("update", "argument", "message"),
    [
        ("change_calendar", CalendarChange(), "nothing to change"),
        (
            "change_calendar",
            CalendarChange(review_due="2020-01-01T00:00:00+00:00"),
            "review_due must be in the future",
        ),
        (
            "change_calendar",
            CalendarChange(evidence_due="not a date"),
            "evidence_due: Invalid isoformat",
        ),
        ("extend_unit", ExtendUnitRequest("nowhere-town", 5), "'nowhere-town' is not a unit"),
        ("extend_unit", ExtendUnitRequest("finance", 0), "days: must be 1 to 60, got 0"),
        # Review lasts 12 days after the lock: 12 more days would keep asks open past review_due.
        (
            "extend_unit",
            ExtendUnitRequest("finance", 12),
            "days: 12 more days would keep finance's asks open",
        ),
        (
            "decide_extension",
            ExtensionDecision(unit_code="finance"),
            "no pending extension request for 'finance'",
        ),
        ("decide_extension", ExtensionDecision(), "name the unit"),
    ],
)
async def test_bad_updates_are_refused_before_history(running_cycle, update, argument, message):
    _env, handle, rec, calendar = running_cycle
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await handle.execute_update(update, argument)
    assert message in str(err.value.cause)
    assert await _update_events(handle) == 0
    status = await handle.query(CycleWorkflow.status)
    assert status.calendar == calendar and status.extensions_approved == 0
    assert rec.of("extend_unit") == [] and rec.of("signal_units") == []


async def test_calendar_order_is_validated(running_cycle):
    _env, handle, _rec, calendar = running_cycle
    late = iso(parse(calendar.review_due) + DAY)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await handle.execute_update(
            CycleWorkflow.change_calendar, CalendarChange(evidence_due=late)
        )
    assert "collection_closes must be after evidence_due" in str(err.value.cause)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await handle.execute_update(
            CycleWorkflow.change_calendar,
            CalendarChange(evidence_due=iso(parse(calendar.opens) + DAY)),
        )
    assert "evidence_due must be in the future" in str(err.value.cause)
    assert (await handle.query(CycleWorkflow.status)).calendar == calendar


async def test_moving_the_deadline_moves_window_and_unit_reminders(running_cycle):
    env, handle, rec, calendar = running_cycle
    due = parse(calendar.evidence_due)
    new_due, new_closes = due + 5 * DAY, parse(calendar.collection_closes) + 5 * DAY
    changed = await handle.execute_update(
        CycleWorkflow.change_calendar,
        CalendarChange(
            evidence_due=iso(new_due), collection_closes=iso(new_closes), changed_by="admin"
        ),
    )
    assert parse(changed.evidence_due) == new_due
    opened = rec.of("open_collection")
    assert [parse(o.deadline) for o in opened] == [due, new_due]
    assert opened[0].request_id != opened[1].request_id  # a new window is a new request
    [signalled] = rec.of("signal_units")
    assert sorted(signalled.unit_codes) == ["baiquan-town", "finance"]
    await env.sleep(new_due + 3 * DAY - await env.get_current_time())
    unit = await env.client.get_workflow_handle_for(
        UnitWorkflow.run, unit_workflow_id(handle.id.split("/")[1], "finance")
    ).query(UnitWorkflow.status)
    assert parse(unit.deadline) == new_due
    digests = rec.digests("finance")
    assert [(d.point, parse(d.at)) for d in digests] == [
        ("before:14d", new_due - 14 * DAY),
        ("before:3d", new_due - 3 * DAY),
        ("before:1d", new_due - DAY),
        ("overdue:1", new_due + 2 * DAY),
    ]


async def test_close_collection_early_locks_now_and_stops_reminders(running_cycle):
    env, handle, rec, calendar = running_cycle
    await env.sleep(parse(calendar.evidence_due) - 10 * DAY - await env.get_current_time())
    changed = await handle.execute_update(
        CycleWorkflow.close_collection_early, CloseCollectionEarly("admin")
    )
    now = await env.get_current_time()
    assert abs((parse(changed.collection_closes) - now).total_seconds()) < 5
    [closed] = rec.of("close_collection")
    assert closed.closes_at == changed.collection_closes
    status = await handle.query(CycleWorkflow.status)
    assert status.phase == "reviewing"
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await handle.execute_update(
            CycleWorkflow.close_collection_early, CloseCollectionEarly("admin")
        )
    assert "collection is not open: the cycle is reviewing" in str(err.value.cause)
    await handle.result()
    assert [d.point for d in rec.digests("finance")] == [
        "before:14d"
    ]  # nothing after the early close
    assert len(rec.of("close_collection")) == 1


async def test_rejected_extension_changes_no_deadline(running_cycle):
    env, handle, rec, _calendar = running_cycle
    request = ExtensionRequested(
        "ext-9",
        handle.id.split("/")[1],
        "finance",
        3,
        "audit",
        "unit:finance",
        iso(await env.get_current_time()),
    )
    await handle.signal(SIGNAL_EXTENSION_REQUESTED, request)
    await handle.signal(SIGNAL_EXTENSION_REQUESTED, request)  # the relay may deliver twice
    assert (await handle.query(CycleWorkflow.status)).extensions_pending == 1
    record = await handle.execute_update(
        CycleWorkflow.decide_extension,
        ExtensionDecision(extension_id="ext-9", approve=False, decided_by="admin:li"),
    )
    assert (record.status, record.decided_by) == ("rejected", "admin:li")
    assert rec.of("extend_unit") == []
    [notice] = rec.of("send_notice")
    assert (notice.kind, notice.unit_code, notice.recipients[0].address) == (
        "extension_decided",
        "finance",
        "c@f",
    )
    assert "rejected" in notice.body
    status = await handle.query(CycleWorkflow.status)
    assert (status.extensions_pending, status.extensions_rejected) == (0, 1)


async def test_office_extends_a_unit_directly(running_cycle):
    env, handle, rec, calendar = running_cycle
    record = await handle.execute_update(
        CycleWorkflow.extend_unit, ExtendUnitRequest("baiquan-town", 10, "typhoon", "admin:wang")
    )
    assert parse(record.deadline) == parse(calendar.evidence_due) + 10 * DAY
    [call] = rec.of("extend_unit")
    assert (call.unit_code, call.approved_by, call.reason) == (
        "baiquan-town",
        "admin:wang",
        "typhoon",
    )
    assert call.request_id == f"cycle/{handle.id.split('/')[1]}/extend/baiquan-town/office-1"
    unit = env.client.get_workflow_handle_for(
        UnitWorkflow.run, unit_workflow_id(handle.id.split("/")[1], "baiquan-town")
    )
    assert parse((await unit.query(UnitWorkflow.status)).deadline) == parse(record.deadline)


async def test_two_decisions_on_one_request_refuse_the_second_and_the_cycle_goes_on(running_cycle):
    """Both pass the validator while the first waits on its activity; the second must fail as
    an update, not wedge the workflow."""
    import asyncio

    env, handle, rec, _calendar = running_cycle
    request = ExtensionRequested(
        "ext-2x",
        handle.id.split("/")[1],
        "finance",
        3,
        "audit",
        "unit:finance",
        iso(await env.get_current_time()),
    )
    await handle.signal(SIGNAL_EXTENSION_REQUESTED, request)
    decision = ExtensionDecision(unit_code="finance", approve=True, decided_by="admin:li")
    first, second = await asyncio.gather(
        handle.execute_update(CycleWorkflow.decide_extension, decision),
        handle.execute_update(CycleWorkflow.decide_extension, decision),
        return_exceptions=True,
    )
    outcomes = sorted([type(first).__name__, type(second).__name__])
    assert outcomes == ["ExtensionRecord", "WorkflowUpdateFailedError"], (first, second)
    refused = first if isinstance(first, WorkflowUpdateFailedError) else second
    assert "no pending extension request for 'finance'" in str(refused.cause)
    assert len(rec.of("extend_unit")) == 1
    status = await handle.query(CycleWorkflow.status)  # the workflow still answers
    assert (status.extensions_approved, status.pending_extension_units) == (1, [])


async def test_after_an_early_close_the_rest_of_the_calendar_can_still_move(running_cycle):
    _env, handle, _rec, calendar = running_cycle
    await handle.execute_update(CycleWorkflow.close_collection_early, CloseCollectionEarly("admin"))
    later = iso(parse(calendar.review_due) + 2 * DAY)
    changed = await handle.execute_update(
        CycleWorkflow.change_calendar, CalendarChange(review_due=later)
    )
    assert parse(changed.review_due) == parse(later)
    assert changed.evidence_due == changed.collection_closes  # closed before the deadline came


async def test_many_requests_within_one_phase_continue_the_cycle_as_new(workflow_env):
    """History is bounded inside a phase too: signals arriving while collection waits make the
    cycle continue as new without leaving the phase or losing a request."""
    env = workflow_env
    code = f"can-{uuid.uuid4().hex[:8]}"
    calendar = haizhou_like_calendar(await env.get_current_time() + DAY)
    rec = Recorder(plan(code, calendar, UNITS, {"township": ASKS, "department": ASKS}), env.client)
    queue = f"q-{code}"
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[CycleWorkflow, UnitWorkflow, HistoryExportWorkflow],
        activities=rec.activities(),
    ):
        handle = await env.client.start_workflow(
            CycleWorkflow.run,
            CycleInput(code, calendar=calendar, max_history_events=60),
            id=cycle_workflow_id(code),
            task_queue=queue,
        )
        try:
            await env.sleep(2 * DAY)  # collecting
            for n in range(30):
                await handle.signal(
                    SIGNAL_EXTENSION_REQUESTED,
                    ExtensionRequested(
                        f"ext-{n}",
                        code,
                        "finance",
                        1,
                        "paperwork",
                        "unit:finance",
                        iso(await env.get_current_time()),
                    ),
                )
            status = await handle.query(CycleWorkflow.status)
            assert status.phase == "collecting"
            assert status.run > 1, "the cycle continued as new while collection waited"
            # State stays bounded: a unit's requests past the cap are dropped, each kept one
            # only as small fields (the whole reason lives in the submissions service).
            assert status.extensions_pending == MAX_EXTENSIONS_PER_UNIT
            assert status.pending_extension_units == ["finance"]
            assert [e.extension_id for e in status.pending_extensions] == [
                f"ext-{n}" for n in range(MAX_EXTENSIONS_PER_UNIT)
            ]
        finally:
            for workflow_id in [
                cycle_workflow_id(code),
                *(unit_workflow_id(code, u.code) for u in UNITS),
            ]:
                with contextlib.suppress(RPCError):
                    await env.client.get_workflow_handle(workflow_id).terminate("test over")

"""Whole calendars on the time-skipping test server: exactly which digests go to whom and
when, the escalation ladder, extensions moving reminders and the lock, the phases."""

from __future__ import annotations

from temporalio.worker import Worker

from oneassess.contract import (
    SIGNAL_EVIDENCE_BATCH,
    SIGNAL_EVIDENCE_SUBMITTED,
    SIGNAL_EXTENSION_REQUESTED,
    EvidenceBatch,
    EvidenceSubmitted,
    ExtensionRequested,
    cycle_workflow_id,
    unit_workflow_id,
)
from tests.workflows.fakes import DAY, Recorder, haizhou_like_calendar, plan
from workflows.cycle import CycleWorkflow
from workflows.export import HistoryExportWorkflow
from workflows.model import (
    CycleInput,
    CycleStatus,
    ExtensionDecision,
    UnitRef,
    UnitStatus,
)
from workflows.timeline import iso, parse
from workflows.unit import UnitWorkflow

ASKS = ["annual-work-plan", "meeting-minutes", "training-records"]


def evidence(cycle: str, unit: str, key: str, n: int = 1) -> EvidenceSubmitted:
    return EvidenceSubmitted(
        submission_id=f"{unit}-{key}-{n}",
        cycle_code=cycle,
        unit_code=unit,
        evidence_key=key,
        sha256="ab" * 32,
        version=n,
        submitted_at="2026-11-02T09:00:00+08:00",
        submitted_by=f"unit:{unit}",
    )


def roles(digest) -> list[str]:
    return [r.role for r in digest.recipients]


async def test_whole_calendar_digests_ladder_and_extension(workflow_env, cycle_code):
    env = workflow_env
    now = await env.get_current_time()
    calendar = haizhou_like_calendar(now + DAY)
    due, closes = parse(calendar.evidence_due), parse(calendar.collection_closes)
    units = [
        UnitRef("complete-town", "township", contact="c@complete", head="h@complete"),
        UnitRef("partial-town", "township", contact="c@partial", head="h@partial"),
        UnitRef("late-dept", "department", contact="c@late", head="h@late"),
    ]
    rec = Recorder(
        plan(cycle_code, calendar, units, {"township": ASKS, "department": ASKS[:2]}), env.client
    )
    queue = f"q-{cycle_code}"
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[CycleWorkflow, UnitWorkflow, HistoryExportWorkflow],
        activities=rec.activities(),
    ):
        handle = await env.client.start_workflow(
            CycleWorkflow.run,
            CycleInput(cycle_code, calendar=calendar),
            id=cycle_workflow_id(cycle_code),
            task_queue=queue,
        )
        await env.sleep(2 * DAY)  # collection is open
        complete = env.client.get_workflow_handle(unit_workflow_id(cycle_code, "complete-town"))
        # What the outbox relay sends for a burst: one batch (a repeat inside is ignored).
        batch = [evidence(cycle_code, "complete-town", key) for key in [*ASKS, ASKS[0]]]
        await complete.signal(SIGNAL_EVIDENCE_BATCH, EvidenceBatch(batch))
        partial = env.client.get_workflow_handle(unit_workflow_id(cycle_code, "partial-town"))
        await partial.signal(
            SIGNAL_EVIDENCE_SUBMITTED, evidence(cycle_code, "partial-town", ASKS[0])
        )
        await partial.signal(
            SIGNAL_EVIDENCE_SUBMITTED, evidence(cycle_code, "partial-town", ASKS[0])
        )  # repeat

        # Two days before the deadline the late department asks for 7 more days; the office
        # approves.
        await env.sleep((due - 2 * DAY) - await env.get_current_time())
        await handle.signal(
            SIGNAL_EXTENSION_REQUESTED,
            ExtensionRequested(
                "ext-1",
                cycle_code,
                "late-dept",
                7,
                "flood season",
                "unit:late-dept",
                iso(due - 2 * DAY),
            ),
        )
        record = await handle.execute_update(
            CycleWorkflow.decide_extension,
            ExtensionDecision(unit_code="late-dept", approve=True, decided_by="admin:office"),
        )
        assert record.status == "approved"
        status: CycleStatus = await handle.result()

    assert status.phase == "closed"
    assert rec.digests("complete-town") == []

    partial_digests = rec.digests("partial-town")
    assert [(d.point, roles(d)) for d in partial_digests] == [
        ("before:14d", ["contact"]),
        ("before:3d", ["contact"]),
        ("before:1d", ["contact"]),
        ("overdue:1", ["contact"]),
        ("overdue:2", ["contact", "head"]),
        ("overdue:3", ["contact", "head", "office"]),
    ]
    assert [parse(d.at) for d in partial_digests] == [
        due - 14 * DAY,
        due - 3 * DAY,
        due - DAY,
        due + 2 * DAY,
        due + 4 * DAY,
        due + 6 * DAY,
    ]
    assert all(d.missing == ASKS[1:] for d in partial_digests)
    assert [r.address for r in partial_digests[-1].recipients] == ["c@partial", "h@partial", ""]

    new_due = due + 7 * DAY
    late_digests = rec.digests("late-dept")
    assert [(d.point, parse(d.at)) for d in late_digests] == [
        ("before:14d", due - 14 * DAY),
        ("before:3d", due - 3 * DAY),
        ("ext1/before:3d", new_due - 3 * DAY),
        ("ext1/before:1d", new_due - DAY),
        ("ext1/overdue:1", new_due + 2 * DAY),
        ("ext1/overdue:2", new_due + 4 * DAY),
        ("ext1/overdue:3", new_due + 6 * DAY),
    ]
    assert all(d.missing == ASKS[:2] for d in late_digests)
    [extended] = rec.of("extend_unit")
    assert (extended.unit_code, parse(extended.deadline), parse(extended.closes_at)) == (
        "late-dept",
        new_due,
        closes + 7 * DAY,
    )
    assert extended.approved_by == "admin:office"

    assert len(rec.of("open_collection")) == 1 and len(rec.of("close_collection")) == 1
    # Computed once when review ends; appeals recompute inside the scoring service, and the
    # final phase only makes the last published run final.
    assert [s.request_id for s in rec.of("compute_scores")] == [f"cycle/{cycle_code}/compute/1"]
    assert [s.request_id for s in rec.of("publish_scores")] == [f"cycle/{cycle_code}/publish/1"]
    assert [s.request_id for s in rec.of("finalize_scores")] == [f"cycle/{cycle_code}/finalize"]
    assert [d.final for d in rec.of("deliver_results")] == [False, True]
    review_due = parse(calendar.review_due)
    assert [(a.point, parse(a.at)) for a in rec.of("remind_assessors")] == [
        ("review-before:3d", review_due - 3 * DAY),
        ("review-before:1d", review_due - DAY),
    ]
    [export] = rec.of("start_history_export")
    assert export.cycle_workflow_id == cycle_workflow_id(cycle_code)

    late: UnitStatus = await env.client.get_workflow_handle_for(
        UnitWorkflow.run, unit_workflow_id(cycle_code, "late-dept")
    ).result()
    assert parse(late.deadline) == new_due and late.phase == "final"
    done = await env.client.get_workflow_handle_for(UnitWorkflow.run, complete.id).result()
    assert done.missing == [] and done.submitted == sorted(ASKS)


async def test_signal_in_the_first_task_and_nothing_missing_means_no_digest(
    workflow_env, cycle_code
):
    """Signal-with-start delivers the submission before the run method starts; a unit whose
    asks are all in gets no digest and schedules no activity at all."""
    from workflows.model import UnitInput

    env = workflow_env
    calendar = haizhou_like_calendar(await env.get_current_time() + DAY)
    rec = Recorder(plan(cycle_code, calendar, [], {}), env.client)
    queue = f"q-{cycle_code}"
    from tests.workflows.fakes import REMINDERS

    unit_input = UnitInput(
        cycle_code,
        UnitRef("solo-town", "township"),
        ["only-key"],
        calendar.opens,
        calendar.evidence_due,
        calendar.collection_closes,
        REMINDERS,
        [["contact"]],
    )
    async with Worker(
        env.client, task_queue=queue, workflows=[UnitWorkflow], activities=rec.activities()
    ):
        handle = await env.client.start_workflow(
            UnitWorkflow.run,
            unit_input,
            id=unit_workflow_id(cycle_code, "solo-town"),
            task_queue=queue,
            start_signal=SIGNAL_EVIDENCE_SUBMITTED,
            start_signal_args=[evidence(cycle_code, "solo-town", "only-key")],
        )
        await env.sleep(parse(calendar.collection_closes) - await env.get_current_time() + DAY)
        status = await handle.query(UnitWorkflow.status)
        assert (status.missing, status.phase) == ([], "locked")
        history = await handle.fetch_history()
        await handle.terminate("test over")
    assert rec.calls == []
    assert len(history.events) < 25, len(history.events)

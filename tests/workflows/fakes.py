"""Fake activities registered under the real names, recording what the workflows asked for.

They do what the real ones do to other workflows (signals through the Temporal client), and
nothing to services: the time-skipping tests check the workflows' decisions, not gRPC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from temporalio import activity
from temporalio.client import Client

from oneassess.contract import SIGNAL_SCORED, unit_workflow_id
from workflows.model import (
    AssessorDigestInput,
    CloseCollectionInput,
    CollectionInput,
    CycleCalendar,
    CyclePlan,
    DeliverResultsInput,
    DigestInput,
    DigestResult,
    ExportInput,
    ExportSummary,
    ExtendUnitInput,
    LoadCycleInput,
    NoticeInput,
    ReminderPlan,
    ScoresInput,
    SignalUnitsInput,
    UnitRef,
    UnitResult,
)
from workflows.timeline import iso

DAY = timedelta(days=1)

# The fake services' cycle `act-2026` opens then (tests of the activities).
ACTIVITIES_OPENS = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)

# The cycle of the `running_cycle` fixture (admin updates).
ADMIN_ASKS = ["annual-work-plan", "meeting-minutes"]
ADMIN_UNITS = [
    UnitRef("baiquan-town", "township", contact="c@b"),
    UnitRef("finance", "department", contact="c@f"),
]

# The dev server of the `limited_server` fixture refuses more pending children than this.
PENDING_CHILDREN_LIMIT = 10


def haizhou_like_calendar(opens: datetime) -> CycleCalendar:
    """The sample city's calendar shape: 60 days of collection, 8 days of overdue reminders,
    12 days of review, 5 days to publication, a 7-day appeal window."""
    due = opens + 60 * DAY
    closes = due + 8 * DAY
    review_due = closes + 12 * DAY
    publish = review_due + 5 * DAY
    return CycleCalendar(
        iso(opens), iso(due), iso(closes), iso(review_due), iso(publish), iso(publish + 7 * DAY)
    )


REMINDERS = ReminderPlan(
    before_seconds=[14 * 86400, 3 * 86400, 86400],
    before_labels=["14d", "3d", "1d"],
    overdue_every_seconds=2 * 86400,
    overdue_max=3,
)


@dataclass
class Recorder:
    plan: CyclePlan
    client: Client | None = None
    calls: list[tuple[str, object]] = field(default_factory=list)
    scores: dict[str, UnitResult] = field(default_factory=dict)

    def of(self, name: str) -> list:
        return [arg for called, arg in self.calls if called == name]

    def digests(self, unit_code: str) -> list[DigestInput]:
        return [d for d in self.of("send_unit_digest") if d.unit_code == unit_code]

    def activities(self) -> list:
        rec = self

        @activity.defn(name="load_cycle")
        async def load_cycle(input: LoadCycleInput) -> CyclePlan:
            rec.calls.append(("load_cycle", input))
            return rec.plan

        @activity.defn(name="open_collection")
        async def open_collection(input: CollectionInput) -> None:
            rec.calls.append(("open_collection", input))

        @activity.defn(name="close_collection")
        async def close_collection(input: CloseCollectionInput) -> None:
            rec.calls.append(("close_collection", input))

        @activity.defn(name="extend_unit")
        async def extend_unit(input: ExtendUnitInput) -> None:
            rec.calls.append(("extend_unit", input))

        @activity.defn(name="compute_scores")
        async def compute_scores(input: ScoresInput) -> int:
            rec.calls.append(("compute_scores", input))
            return len(rec.of("compute_scores"))

        @activity.defn(name="publish_scores")
        async def publish_scores(input: ScoresInput) -> int:
            rec.calls.append(("publish_scores", input))
            return len(rec.of("compute_scores"))

        @activity.defn(name="finalize_scores")
        async def finalize_scores(input: ScoresInput) -> int:
            rec.calls.append(("finalize_scores", input))
            return len(rec.of("compute_scores"))

        @activity.defn(name="remind_assessors")
        async def remind_assessors(input: AssessorDigestInput) -> list[str]:
            rec.calls.append(("remind_assessors", input))
            return []

        @activity.defn(name="send_unit_digest")
        async def send_unit_digest(input: DigestInput) -> DigestResult:
            rec.calls.append(("send_unit_digest", input))
            ids = [
                f"{input.cycle_code}/{input.unit_code}/{input.point}/{r.role}"
                for r in input.recipients
            ]
            return DigestResult(sent=ids, missing=input.missing, point=input.point)

        @activity.defn(name="send_notice")
        async def send_notice(input: NoticeInput) -> list[str]:
            rec.calls.append(("send_notice", input))
            return []

        @activity.defn(name="signal_units")
        async def signal_units(input: SignalUnitsInput) -> int:
            rec.calls.append(("signal_units", input))
            for code in input.unit_codes:
                await rec.client.get_workflow_handle(
                    unit_workflow_id(input.cycle_code, code)
                ).signal(input.signal, input.payload)
            return len(input.unit_codes)

        @activity.defn(name="deliver_results")
        async def deliver_results(input: DeliverResultsInput) -> int:
            rec.calls.append(("deliver_results", input))
            for code in input.unit_codes:
                result = rec.scores.get(code, UnitResult("", 0, ""))
                result = UnitResult(result.composite, result.rank, result.tier, final=input.final)
                await rec.client.get_workflow_handle(
                    unit_workflow_id(input.cycle_code, code)
                ).signal(SIGNAL_SCORED, result)
            return len(input.unit_codes)

        @activity.defn(name="start_history_export")
        async def start_history_export(input: ExportInput) -> None:
            rec.calls.append(("start_history_export", input))

        @activity.defn(name="export_histories")
        async def export_histories(input: ExportInput) -> ExportSummary:
            rec.calls.append(("export_histories", input))
            return ExportSummary(0, 0)

        return [
            load_cycle,
            open_collection,
            close_collection,
            extend_unit,
            compute_scores,
            publish_scores,
            finalize_scores,
            remind_assessors,
            send_unit_digest,
            send_notice,
            signal_units,
            deliver_results,
            start_history_export,
            export_histories,
        ]


def plan(
    cycle_code: str, calendar: CycleCalendar, units: list[UnitRef], asks: dict[str, list[str]]
) -> CyclePlan:
    return CyclePlan(cycle_code, calendar, REMINDERS, units, asks, "Asia/Shanghai")

"""CycleControlService RPC handlers: the office runs a folded cycle through this service, which
alone talks to Temporal. Every mutation is idempotent by request id (the stored response
answers a repeat; the Temporal update id is derived from it, so a retry after a lost reply is
the same update), names the person (principal().signature) in what the workflow records, and
is appended to the audit log in the same transaction as its idempotency record.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict
from datetime import datetime

from oneassess.contract import (
    UPDATE_CHANGE_CALENDAR,
    UPDATE_CLOSE_COLLECTION,
    UPDATE_CLOSE_REVIEWING,
    UPDATE_DECIDE_EXTENSION,
    UPDATE_EXTEND_UNIT,
    cycle_workflow_id,
    unit_workflow_id,
)
from oneassess.contract.cycle import (
    CalendarChange,
    CloseCollectionEarly,
    CloseReviewing,
    CycleCalendar,
    CycleInput,
    CycleStatus,
    ExtendUnitRequest,
    ExtensionDecision,
    ExtensionRecord,
)
from oneassess.history import describe
from oneassess.indicators.v1 import cycle_control_service_pb2 as pb
from oneassess.indicators.v1 import cycle_control_service_pb2_grpc as pb_grpc
from oneassess.scoring.v1 import scoring_service_pb2 as sc
from oneassess.submissions.v1 import submissions_service_pb2 as sub
from services.common import audit, idempotency
from services.common.auth import ADMIN_ONLY, AUDIT_READERS, Role, principal
from services.common.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from services.common.server import Runtime
from services.indicators import repository as repo
from services.indicators.temporal_link import TemporalLink, sha256

# The office (admin) changes; auditors and the office read; a unit reads its own timeline.
POLICY = {
    "StartCycle": ADMIN_ONLY,
    "GetCycleStatus": AUDIT_READERS,
    "ChangeCalendar": ADMIN_ONLY,
    "CloseCollection": ADMIN_ONLY,
    "CloseReviewing": ADMIN_ONLY,
    "GrantExtension": ADMIN_ONLY,
    "DecideExtension": ADMIN_ONLY,
    "GetUnitTimeline": frozenset({Role.ADMIN, Role.AUDITOR, Role.UNIT}),
}

PHASE_PB = {
    "folded": pb.CYCLE_PHASE_FOLDED,
    "collecting": pb.CYCLE_PHASE_COLLECTING,
    "reviewing": pb.CYCLE_PHASE_REVIEWING,
    "scoring": pb.CYCLE_PHASE_SCORING,
    "published": pb.CYCLE_PHASE_PUBLISHED,
    "final": pb.CYCLE_PHASE_FINAL,
    "closed": pb.CYCLE_PHASE_CLOSED,
}
EXPORT_PB = {
    "unknown": pb.HISTORY_EXPORT_STATE_UNSPECIFIED,
    "cycle_open": pb.HISTORY_EXPORT_STATE_CYCLE_OPEN,
    "running": pb.HISTORY_EXPORT_STATE_RUNNING,
    "done": pb.HISTORY_EXPORT_STATE_DONE,
}
MAX_WINDOW = 500
MAX_FIELD = 200  # a code, an id, a time
MAX_REASON = 2000


def milestones_pb(calendar: CycleCalendar) -> pb.CycleMilestones:
    return pb.CycleMilestones(**asdict(calendar))


def extension_pb(record: ExtensionRecord) -> pb.ExtensionRequestSummary:
    return pb.ExtensionRequestSummary(**asdict(record))


def _short(field: str, value: str, limit: int = MAX_FIELD) -> str:
    if len(value) > limit:
        raise InvalidArgument.field(field, f"at most {limit} characters")
    return value


def _update_id(method: str, request_id: str) -> str:
    return f"{method}/{request_id}" if request_id else ""


class CycleControlServicer(pb_grpc.CycleControlServiceServicer):
    def __init__(self, runtime: Runtime, temporal: TemporalLink) -> None:
        self.rt = runtime
        self.pool = runtime.pool
        self.temporal = temporal

    async def _record(self, conn, action: str, cycle_code: str, payload: dict) -> None:
        caller = principal()
        await audit.append(
            conn,
            actor=caller.signature,
            action=action,
            subject=cycle_code,
            payload={"actor": caller.subject, "on_behalf_of": caller.on_behalf_of, **payload},
        )

    # -- starting and reading ------------------------------------------------------------------

    async def StartCycle(self, request, context):
        code = _short("cycle_code", request.cycle_code)
        if request.compress_factor and request.span_seconds:
            raise InvalidArgument.field("span_seconds", "give compress_factor or span, not both")
        if request.compress_factor and request.compress_factor < 1:
            raise InvalidArgument.field("compress_factor", "must be at least 1")
        if request.span_seconds < 0:
            raise InvalidArgument.field("span_seconds", "must not be negative")
        if not 0 <= request.window <= MAX_WINDOW:
            raise InvalidArgument.field("window", f"must be 1 to {MAX_WINDOW}")
        calendar = None
        if request.HasField("calendar"):
            given = {k: _short(f"calendar.{k}", v) for k, v in asdict_pb(request.calendar).items()}
            if not all(given.values()):
                raise InvalidArgument.field("calendar", "an explicit calendar needs all six")
            _check_order(given)
            calendar = CycleCalendar(**given)

        async def work(conn):
            stored = await repo.get_cycle(conn, code=code)
            if stored.state != "folded":
                raise FailedPrecondition.of_field(
                    "cycle_code", f"cycle {code!r} is not folded yet: fold it first", "NOT_FOLDED"
                )
            run_id = await self.temporal.start_cycle(
                CycleInput(
                    code,
                    compress_factor=request.compress_factor,
                    span_seconds=request.span_seconds,
                    calendar=calendar,
                    started_by=principal().signature,
                    window=request.window or MAX_WINDOW,
                )
            )
            await self._record(
                conn,
                "cycle.started",
                code,
                {
                    "run_id": run_id,
                    "compress_factor": request.compress_factor,
                    "span_seconds": request.span_seconds,
                    "calendar": asdict(calendar) if calendar else None,
                },
            )
            return pb.StartCycleResponse(
                workflow_id=cycle_workflow_id(code),
                run_id=run_id,
                started_by=principal().signature,
            )

        return await idempotency.once(self.pool, request, pb.StartCycleResponse, work)

    async def GetCycleStatus(self, request, context):
        code = _short("cycle_code", request.cycle_code)
        found: CycleStatus = await self.temporal.status(code)
        return pb.GetCycleStatusResponse(
            cycle_code=found.cycle_code,
            phase=PHASE_PB.get(found.phase, pb.CYCLE_PHASE_UNSPECIFIED),
            calendar=milestones_pb(found.calendar),
            units_total=found.units_total,
            units_started=found.units_started,
            run=found.run,
            extensions_pending=found.extensions_pending,
            extensions_approved=found.extensions_approved,
            extensions_rejected=found.extensions_rejected,
            score_runs=found.score_runs,
            pending_extensions=[extension_pb(e) for e in found.pending_extensions],
            history_export=EXPORT_PB[await self.temporal.export_state(code)],
        )

    # -- the office's changes ------------------------------------------------------------------

    async def _update(self, request, response_type, name, argument, result_type, respond, audit_as):
        code = _short("cycle_code", request.cycle_code)
        method = idempotency.method_of(request)

        async def work(conn):
            result = await self.temporal.update(
                code, name, argument, result_type, _update_id(method, request.request_id)
            )
            response = respond(result)
            await self._record(conn, audit_as, code, {"request": asdict(argument)})
            return response

        return await idempotency.once(self.pool, request, response_type, work)

    async def ChangeCalendar(self, request, context):
        fields = {
            k: _short(f"calendar.{k}", v)
            for k, v in asdict_pb(request.calendar).items()
            if k != "opens"
        }
        if request.calendar.opens:
            raise InvalidArgument.field("calendar.opens", "collection's opening cannot move")
        by = principal().signature
        change = CalendarChange(**fields, changed_by=by)
        return await self._update(
            request,
            pb.ChangeCalendarResponse,
            UPDATE_CHANGE_CALENDAR,
            change,
            CycleCalendar,
            lambda cal: pb.ChangeCalendarResponse(calendar=milestones_pb(cal), changed_by=by),
            "cycle.calendar_changed",
        )

    async def CloseCollection(self, request, context):
        by = principal().signature
        return await self._update(
            request,
            pb.CloseCollectionResponse,
            UPDATE_CLOSE_COLLECTION,
            CloseCollectionEarly(by),
            CycleCalendar,
            lambda cal: pb.CloseCollectionResponse(calendar=milestones_pb(cal), closed_by=by),
            "cycle.collection_closed",
        )

    async def CloseReviewing(self, request, context):
        code = _short("cycle_code", request.cycle_code)
        missing = await self._missing_reviews(code)
        acknowledged = sorted(request.missing_acknowledged)
        if missing and acknowledged != missing:
            raise FailedPrecondition.of_field(
                "missing_acknowledged",
                "reviews are missing: "
                + ", ".join(missing)
                + " (close anyway only by naming exactly these)",
                "REVIEWS_MISSING",
            )
        if not missing and acknowledged:
            raise FailedPrecondition.of_field(
                "missing_acknowledged",
                "no review is missing now: send no override",
                "NOTHING_MISSING",
            )
        by = principal().signature
        return await self._update(
            request,
            pb.CloseReviewingResponse,
            UPDATE_CLOSE_REVIEWING,
            CloseReviewing(by, missing),
            CycleCalendar,
            lambda cal: pb.CloseReviewingResponse(
                calendar=milestones_pb(cal), closed_by=by, missing_acknowledged=missing
            ),
            "cycle.review_closed",
        )

    async def _missing_reviews(self, cycle_code: str) -> list[str]:
        """Every department with reviews missing, as "department:missing", sorted."""
        reply = await self.rt.peers.scoring.ListMissingReviews(
            sc.ListMissingReviewsRequest(cycle_code=cycle_code)
        )
        return sorted(f"{d.department}:{d.missing}" for d in reply.departments if d.missing)

    async def GrantExtension(self, request, context):
        by = principal().signature
        grant = ExtendUnitRequest(
            _short("unit_code", request.unit_code),
            request.days,
            _short("reason", request.reason, MAX_REASON),
            by,
        )
        return await self._update(
            request,
            pb.GrantExtensionResponse,
            UPDATE_EXTEND_UNIT,
            grant,
            ExtensionRecord,
            lambda record: pb.GrantExtensionResponse(extension=extension_pb(record)),
            "extension.granted",
        )

    async def DecideExtension(self, request, context):
        if not request.unit_code and not request.extension_id:
            raise InvalidArgument.field("unit_code", "name the unit or the extension_id")
        decision = ExtensionDecision(
            unit_code=_short("unit_code", request.unit_code),
            extension_id=_short("extension_id", request.extension_id),
            approve=request.approve,
            decided_by=principal().signature,
            days=request.days,
        )
        return await self._update(
            request,
            pb.DecideExtensionResponse,
            UPDATE_DECIDE_EXTENSION,
            decision,
            ExtensionRecord,
            lambda record: pb.DecideExtensionResponse(extension=extension_pb(record)),
            "extension.approved" if request.approve else "extension.rejected",
        )

    # -- the trail -----------------------------------------------------------------------------

    async def GetUnitTimeline(self, request, context):
        code = _short("cycle_code", request.cycle_code)
        unit = _short("unit_code", request.unit_code)
        caller = principal()
        if caller.role is Role.UNIT:
            if not unit:
                raise PermissionDenied(
                    "unit_code: a unit reads its own timeline, not the cycle's", "OTHER_UNIT"
                )
            caller.require_unit(unit)
        workflow_id = unit_workflow_id(code, unit) if unit else cycle_workflow_id(code)
        runs = await self.temporal.histories(workflow_id)
        if runs is not None:
            return pb.GetUnitTimelineResponse(
                workflow_id=workflow_id,
                source=pb.TIMELINE_SOURCE_TEMPORAL,
                runs=[pb.TimelineRun(run_id=h.run_id, entries=_entries(h)) for h in runs],
            )
        return await self._from_export(code, unit, workflow_id)

    async def _from_export(self, code: str, unit: str, workflow_id: str):
        from temporalio.client import WorkflowHistory

        submissions = self.rt.peers.submissions
        response = pb.GetUnitTimelineResponse(
            workflow_id=workflow_id, source=pb.TIMELINE_SOURCE_EXPORT
        )
        exports, token = [], ""
        while True:
            page = await submissions.ListHistoryExports(
                sub.ListHistoryExportsRequest(
                    cycle_code=code, unit_code=unit, page_size=500, page_token=token
                )
            )
            exports += [e for e in page.exports if e.workflow_id == workflow_id]
            token = page.next_page_token
            if not token:
                break
        if not exports:
            response.problems.append(
                f"{workflow_id}: not in Temporal (retention passed or never run) and never exported"
            )
        for export in sorted(exports, key=lambda e: e.close_time.ToDatetime()):
            reply = await submissions.GetHistoryExport(
                sub.GetHistoryExportRequest(workflow_id=export.workflow_id, run_id=export.run_id)
            )
            ok = sha256(reply.history_json) == export.sha256
            entries = []
            if ok:
                history = WorkflowHistory.from_json(workflow_id, reply.history_json.decode())
                entries = _entries(history)
            else:
                response.problems.append(
                    f"{workflow_id} run {export.run_id}: export does not match its sha256 "
                    f"{export.sha256}"
                )
            response.runs.append(
                pb.TimelineRun(
                    run_id=export.run_id, entries=entries, sha256=export.sha256, verified=ok
                )
            )
        return response


def _entries(history) -> list[pb.TimelineEntry]:
    return [
        pb.TimelineEntry(time=e.time, event_id=e.event_id, kind=e.kind, text=e.text)
        for e in describe(history)
    ]


# Milestones that may fall at the same moment (as the workflow's calendar rules allow).
MAY_COINCIDE = {("evidence_due", "collection_closes"), ("review_due", "publish")}


def _check_order(given: dict[str, str]) -> None:
    """An explicit calendar: ISO 8601 times with an offset, each after the one before."""
    moments = []
    for name, value in given.items():
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidArgument.field(f"calendar.{name}", "is not an ISO 8601 time") from None
        if moment.tzinfo is None:
            raise InvalidArgument.field(f"calendar.{name}", "needs a UTC offset")
        moments.append((name, moment))
    for (earlier, a), (later, b) in itertools.pairwise(moments):
        if not (a < b or (a == b and (earlier, later) in MAY_COINCIDE)):
            raise InvalidArgument.field(f"calendar.{later}", f"must be after {earlier}")


def asdict_pb(milestones: pb.CycleMilestones) -> dict[str, str]:
    return {f.name: getattr(milestones, f.name) for f in milestones.DESCRIPTOR.fields}

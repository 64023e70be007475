"""Activities: the workflows' only way out. Methods of one class whose dependencies are
injected (service clients with a service token, a Temporal client, a notification channel);
every mutating call carries a request id the workflow derived from its own id, so a retry
never does anything twice.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from temporalio import activity
from temporalio.client import Client, WorkflowHistory
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from oneassess.client.channels import ServiceClients
from oneassess.client.errors import error_reason
from oneassess.client.paging import all_pages, pages
from oneassess.contract import (
    SA_CYCLE,
    SIGNAL_SCORED,
    WORKFLOW_CYCLE,
    WORKFLOW_EXPORT,
    WORKFLOW_UNIT,
    export_workflow_id,
    unit_workflow_id,
)
from oneassess.indicators.v1 import indicators_service_pb2 as ind
from oneassess.scoring.v1 import scoring_service_pb2 as sco
from oneassess.submissions.v1 import submissions_service_pb2 as sub
from services.common.timestamps import timestamp
from workflows import timeline
from workflows.config import NotifySettings
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
    Recipient,
    ReminderPlan,
    ScoresInput,
    SignalUnitsInput,
    UnitRef,
    UnitResult,
)
from workflows.notify import Channel, Message, Skipped, digest_body

SIGNAL_CONCURRENCY = 50
EXPORT_POLL_SECONDS = 2.0
EXPORT_CONCURRENCY = 8


def instant(stamp: Timestamp, zone: ZoneInfo | None) -> str:
    moment = stamp.ToDatetime(tzinfo=UTC)
    return timeline.iso(moment.astimezone(zone) if zone else moment)


def _not_found(err: Exception) -> bool:
    if isinstance(err, grpc.aio.AioRpcError):
        return err.code() == grpc.StatusCode.NOT_FOUND
    return isinstance(err, RPCError) and err.status == RPCStatusCode.NOT_FOUND


def _invalid(err: grpc.aio.AioRpcError) -> ApplicationError:
    """A request the service refuses as invalid will be refused again: do not retry it."""
    return ApplicationError(
        f"{err.code().name}: {err.details()}", type=err.code().name, non_retryable=True
    )


# FinalizeScores answers these while the results cannot be final yet; they clear with time.
FINALIZE_LATER = {"APPEALS_PENDING", "APPEAL_WINDOW_OPEN"}

NON_RETRYABLE = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.NOT_FOUND,
}


async def _call(rpc, request):
    try:
        return await rpc(request, timeout=60)
    except grpc.aio.AioRpcError as err:
        if err.code() in NON_RETRYABLE:
            raise _invalid(err) from err
        raise


class CycleActivities:
    def __init__(
        self,
        services: ServiceClients,
        temporal: Client,
        channel: Channel,
        notify: NotifySettings,
        *,
        task_queue: str,
    ) -> None:
        self._services = services
        self._temporal = temporal
        self._channel = channel
        self._notify = notify
        self._task_queue = task_queue

    def all(self) -> list:
        return [
            self.load_cycle,
            self.open_collection,
            self.close_collection,
            self.extend_unit,
            self.compute_scores,
            self.publish_scores,
            self.finalize_scores,
            self.remind_assessors,
            self.send_unit_digest,
            self.send_notice,
            self.signal_units,
            self.deliver_results,
            self.start_history_export,
            self.export_histories,
        ]

    # ---- indicators ----

    @activity.defn(name="load_cycle")
    async def load_cycle(self, input: LoadCycleInput) -> CyclePlan:
        indicators = self._services.indicators
        cycle = (
            await _call(indicators.GetCycle, ind.GetCycleRequest(cycle_code=input.cycle_code))
        ).cycle
        if cycle.state != ind.CYCLE_STATE_FOLDED:
            raise ApplicationError(
                f"cycle {input.cycle_code} is not folded yet: fold it before starting its workflow",
                type="NotFolded",
                non_retryable=True,
            )
        catalogue = (
            await _call(
                indicators.GetCatalogue, ind.GetCatalogueRequest(cycle_code=input.cycle_code)
            )
        ).catalogue
        zone = ZoneInfo(cycle.timezone) if cycle.timezone else None
        cal = cycle.calendar
        publish = cal.publish.ToDatetime(tzinfo=UTC)
        appeal = publish + timedelta(days=cal.appeal_days)
        calendar = CycleCalendar(
            opens=instant(cal.opens, zone),
            evidence_due=instant(cal.evidence_due, zone),
            collection_closes=instant(cal.collection_closes, zone),
            review_due=instant(cal.review_due, zone),
            publish=instant(cal.publish, zone),
            appeal_deadline=timeline.iso(appeal.astimezone(zone) if zone else appeal),
        )
        before = [d.ToTimedelta().total_seconds() for d in cycle.reminders.before]
        reminders = ReminderPlan(
            before_seconds=before,
            before_labels=[timeline.offset_label(s) for s in before],
            overdue_every_seconds=cycle.reminders.overdue_every.ToTimedelta().total_seconds(),
            overdue_max=cycle.reminders.overdue_max,
        )
        units = [
            UnitRef(code=u.code, kind=u.kind, name=u.name, contact=u.contact, head=u.head)
            for u in catalogue.units
        ]
        asks = {k.kind: [a.evidence_key for a in k.asks] for k in catalogue.asks_by_kind}
        return CyclePlan(input.cycle_code, calendar, reminders, units, asks, cycle.timezone)

    # ---- submissions: the collection window ----

    @activity.defn(name="open_collection")
    async def open_collection(self, input: CollectionInput) -> None:
        window = sub.CollectionWindow(
            cycle_code=input.cycle_code,
            opens_at=timestamp(input.opens),
            deadline=timestamp(input.deadline),
            closes_at=timestamp(input.closes_at),
        )
        await _call(
            self._services.submissions.OpenCollection,
            sub.OpenCollectionRequest(request_id=input.request_id, window=window),
        )

    @activity.defn(name="close_collection")
    async def close_collection(self, input: CloseCollectionInput) -> None:
        await _call(
            self._services.submissions.CloseCollection,
            sub.CloseCollectionRequest(
                request_id=input.request_id,
                cycle_code=input.cycle_code,
                closes_at=timestamp(input.closes_at),
            ),
        )

    @activity.defn(name="extend_unit")
    async def extend_unit(self, input: ExtendUnitInput) -> None:
        await _call(
            self._services.submissions.ExtendUnit,
            sub.ExtendUnitRequest(
                request_id=input.request_id,
                cycle_code=input.cycle_code,
                unit_code=input.unit_code,
                deadline=timestamp(input.deadline),
                closes_at=timestamp(input.closes_at),
                approved_by=input.approved_by,
                reason=input.reason,
            ),
        )

    # ---- scoring ----

    @activity.defn(name="compute_scores")
    async def compute_scores(self, input: ScoresInput) -> int:
        reply = await _call(
            self._services.scoring.ComputeScores,
            sco.ComputeScoresRequest(request_id=input.request_id, cycle_code=input.cycle_code),
        )
        return reply.run.run

    @activity.defn(name="publish_scores")
    async def publish_scores(self, input: ScoresInput) -> int:
        reply = await _call(
            self._services.scoring.PublishScores,
            sco.PublishScoresRequest(
                request_id=input.request_id,
                cycle_code=input.cycle_code,
                appeal_deadline=timestamp(input.appeal_deadline),
            ),
        )
        return reply.run.run

    @activity.defn(name="finalize_scores")
    async def finalize_scores(self, input: ScoresInput) -> int:
        try:
            reply = await self._services.scoring.FinalizeScores(
                sco.FinalizeScoresRequest(request_id=input.request_id, cycle_code=input.cycle_code),
                timeout=60,
            )
        except grpc.aio.AioRpcError as err:
            if error_reason(err) in FINALIZE_LATER:
                # An appeal still awaits its assessor (or the window is still open): try again.
                raise ApplicationError(
                    f"not final yet: {err.details()}", type=error_reason(err)
                ) from err
            if err.code() in NON_RETRYABLE:
                raise _invalid(err) from err
            raise
        return reply.run.run

    # ---- notifications ----

    @activity.defn(name="send_unit_digest")
    async def send_unit_digest(self, input: DigestInput) -> DigestResult:
        """One digest per reminder point listing everything still missing, re-checked
        against the submissions service (the outbox relay may still be delivering)."""
        missing = await self._still_missing(input)
        if not missing:
            return DigestResult(sent=[], missing=[], skipped=True, point=input.point)
        subject, body = digest_body(input.unit_code, input.point, input.deadline, missing)
        delivered = await self._delivered(input.cycle_code, input.unit_code)
        sent: list[str] = []
        failed: list[str] = []
        for recipient in input.recipients:
            kind = input.kind if recipient.role == "contact" else "escalation"
            message = Message(
                id=f"{input.cycle_code}/{input.unit_code}/{input.point}/{recipient.role}",
                cycle_code=input.cycle_code,
                unit_code=input.unit_code,
                recipient=self._address(recipient),
                recipient_role=recipient.role,
                kind=kind,
                subject=subject,
                body=body,
                point=input.point,
                evidence_keys=missing,
            )
            (sent if await self._deliver(message, delivered) else failed).append(message.id)
        return DigestResult(sent=sent, missing=missing, point=input.point, failed=failed)

    async def _still_missing(self, input: DigestInput) -> list[str]:
        try:
            reply = await self._services.submissions.GetAskStatus(
                sub.GetAskStatusRequest(cycle_code=input.cycle_code, unit_code=input.unit_code),
                timeout=30,
            )
        except grpc.aio.AioRpcError as err:
            if err.code() in NON_RETRYABLE:
                return input.missing  # the service cannot tell: trust the workflow's view
            raise
        submitted = {a.evidence_key for a in reply.asks if a.state != sub.ASK_STATE_MISSING}
        return [key for key in input.missing if key not in submitted]

    @activity.defn(name="remind_assessors")
    async def remind_assessors(self, input: AssessorDigestInput) -> list[str]:
        reply = await _call(
            self._services.scoring.ListMissingReviews,
            sco.ListMissingReviewsRequest(cycle_code=input.cycle_code),
        )
        sent = []
        delivered = await self._delivered(input.cycle_code, "")
        for dept in reply.departments:
            if dept.missing <= 0:
                continue
            address = (
                f"{dept.department}@{self._notify.assessor_domain}"
                if self._notify.assessor_domain
                else dept.department
            )
            lines = [
                f"Line department {dept.department}: {dept.missing} of {dept.total} reviews still missing;"
                f" reviews are due {input.review_due}.",
                *(f"  - {example}" for example in dept.examples),
            ]
            message = Message(
                id=f"{input.cycle_code}/assessors/{dept.department}/{input.point}",
                cycle_code=input.cycle_code,
                unit_code="",
                department=dept.department,
                recipient=address,
                recipient_role="assessor",
                kind="review_reminder",
                subject=f"{dept.missing} review(s) still missing in {input.cycle_code}",
                body="\n".join(lines),
                point=input.point,
            )
            if await self._deliver(message, delivered):
                sent.append(message.id)
        return sent

    @activity.defn(name="send_notice")
    async def send_notice(self, input: NoticeInput) -> list[str]:
        sent = []
        delivered = await self._delivered(input.cycle_code, input.unit_code)
        for recipient in input.recipients:
            message = Message(
                id=f"{input.notification_id}/{recipient.role}",
                cycle_code=input.cycle_code,
                unit_code=input.unit_code,
                recipient=self._address(recipient),
                recipient_role=recipient.role,
                kind=input.kind,
                subject=input.subject,
                body=input.body,
            )
            if await self._deliver(message, delivered):
                sent.append(message.id)
        return sent

    def _address(self, recipient: Recipient) -> str:
        if recipient.role == "office":
            return recipient.address or self._notify.office_address
        return recipient.address

    async def _deliver(self, message: Message, delivered: set[str]) -> bool:
        """Deliver once: skip what was already delivered (a retry after a crash), retry a
        failing channel, record the outcome when it is known. Returns whether delivered."""
        if message.id in delivered:
            return True
        outcome, error = "sent", ""
        try:
            await self._channel.send(message)
        except Skipped as err:
            outcome, error = "skipped", str(err)
        except Exception as err:
            if activity.info().attempt < self._notify.attempts:
                raise  # retried by Temporal; nothing recorded yet
            outcome, error = "failed", f"{type(err).__name__}: {err}"
        await _call(
            self._services.submissions.RecordNotification,
            sub.RecordNotificationRequest(
                request_id=message.id,
                notification=sub.Notification(
                    id=message.id,
                    cycle_code=message.cycle_code,
                    unit_code=message.unit_code,
                    department=message.department,
                    recipient=message.recipient or message.recipient_role,
                    recipient_role=message.recipient_role,
                    kind=message.kind,
                    channel=self._channel.name,
                    outcome=outcome,
                    subject=message.subject,
                    body=message.body,
                    evidence_keys=message.evidence_keys,
                    at=timestamp(timeline.iso(datetime.now(UTC))),
                    error=error,
                    point=message.point,
                ),
            ),
        )
        return outcome == "sent"

    async def _delivered(self, cycle_code: str, unit_code: str) -> set[str]:
        """Ids of what was already delivered for this unit (one look-up per digest)."""
        notifications = await all_pages(
            partial(_call, self._services.submissions.ListNotifications),
            sub.ListNotificationsRequest(
                cycle_code=cycle_code, unit_code=unit_code, page_size=1000
            ),
            "notifications",
        )
        return {n.id for n in notifications if n.outcome == "sent"}

    # ---- signals to many unit workflows ----

    @activity.defn(name="signal_units")
    async def signal_units(self, input: SignalUnitsInput) -> int:
        async def send(code: str) -> None:
            await self._signal(
                unit_workflow_id(input.cycle_code, code), input.signal, input.payload
            )

        return await self._fan_out(input.unit_codes, send)

    @activity.defn(name="deliver_results")
    async def deliver_results(self, input: DeliverResultsInput) -> int:
        """Tell every unit its result (published, then final): the unit's history says "scored"."""
        scores: dict[str, sco.UnitScore] = {}
        run = 0
        async for reply in pages(
            partial(_call, self._services.scoring.ListScores),
            sco.ListScoresRequest(cycle_code=input.cycle_code, page_size=5000),
        ):
            run = reply.run.run
            scores.update({s.unit_code: s for s in reply.scores})

        async def send(code: str) -> None:
            score = scores.get(code)
            result = UnitResult(
                composite=score.composite if score else "",
                rank=score.rank if score else 0,
                tier=score.tier if score else "",
                group=score.group if score else "",
                vetoed=score.vetoed if score else False,
                run=run,
                final=input.final,
            )
            await self._signal(unit_workflow_id(input.cycle_code, code), SIGNAL_SCORED, result)

        return await self._fan_out(input.unit_codes or sorted(scores), send)

    async def _signal(self, workflow_id: str, name: str, payload) -> None:
        try:
            await self._temporal.get_workflow_handle(workflow_id).signal(name, payload)
        except RPCError as err:
            if not _not_found(err):
                raise
            activity.logger.info("%s: no running workflow to signal %s", workflow_id, name)

    async def _fan_out(self, codes: list[str], send) -> int:
        """Bounded concurrency; progress heartbeats so a retry resumes where it stopped."""
        details = activity.info().heartbeat_details
        done = int(details[0]) if details else 0
        gate = asyncio.Semaphore(SIGNAL_CONCURRENCY)

        async def one(code: str) -> None:
            async with gate:
                await send(code)

        step = SIGNAL_CONCURRENCY * 4
        for start in range(done, len(codes), step):
            await asyncio.gather(*(one(code) for code in codes[start : start + step]))
            activity.heartbeat(min(start + step, len(codes)))
        return len(codes)

    # ---- history export (issue 8) ----

    @activity.defn(name="start_history_export")
    async def start_history_export(self, input: ExportInput) -> None:
        """Start the workflow that exports the cycle's histories once everything closed."""
        await self._temporal.start_workflow(
            WORKFLOW_EXPORT,
            input,
            id=export_workflow_id(input.cycle_code),
            task_queue=self._task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=TypedSearchAttributes(
                [SearchAttributePair(SearchAttributeKey.for_keyword(SA_CYCLE), input.cycle_code)]
            ),
        )

    @activity.defn(name="export_histories")
    async def export_histories(self, input: ExportInput) -> ExportSummary:
        """Wait until the cycle workflow and every unit workflow closed, then store every
        closed run's complete history (as `temporal workflow show -o json`) with the
        submissions service. Exporting twice stores nothing new."""
        running = (
            f"{SA_CYCLE}='{input.cycle_code}' AND ExecutionStatus='Running' AND "
            f"WorkflowType IN ('{WORKFLOW_CYCLE}', '{WORKFLOW_UNIT}')"
        )
        while (await self._temporal.count_workflows(running)).count:
            activity.heartbeat("waiting for workflows to close")
            await asyncio.sleep(EXPORT_POLL_SECONDS)
        exported = await self._exported(input.cycle_code)
        closed = (
            f"{SA_CYCLE}='{input.cycle_code}' AND ExecutionStatus!='Running' AND "
            f"WorkflowType IN ('{WORKFLOW_CYCLE}', '{WORKFLOW_UNIT}')"
        )
        summary = ExportSummary(exported=0, already=0)
        todo = []
        async for execution in self._temporal.list_workflows(closed):
            if (execution.id, execution.run_id) in exported:
                summary.already += 1
            else:
                todo.append(execution)
        gate = asyncio.Semaphore(EXPORT_CONCURRENCY)

        async def one(execution) -> None:
            async with gate:
                await self.export_one(
                    execution.id, execution.run_id, execution.workflow_type, input.cycle_code
                )
                activity.heartbeat(f"{execution.id} {execution.run_id}")

        await asyncio.gather(*(one(e) for e in todo))
        summary.exported = len(todo)
        summary.workflows = [e.id for e in todo]
        return summary

    async def export_one(
        self, workflow_id: str, run_id: str, workflow_type: str, cycle_code: str
    ) -> sub.HistoryExport:
        history: WorkflowHistory = await self._temporal.get_workflow_handle(
            workflow_id, run_id=run_id
        ).fetch_history()
        payload = history.to_json().encode()
        last = history.events[-1]
        close = Timestamp()
        close.CopyFrom(last.event_time)
        unit_code = workflow_id.split("/unit/", 1)[1] if "/unit/" in workflow_id else ""
        reply = await _call(
            self._services.submissions.StoreHistoryExport,
            sub.StoreHistoryExportRequest(
                request_id=f"export/{workflow_id}/{run_id}",
                export=sub.HistoryExport(
                    workflow_id=workflow_id,
                    run_id=run_id,
                    workflow_type=workflow_type,
                    cycle_code=cycle_code,
                    unit_code=unit_code,
                    close_time=close,
                    event_count=len(history.events),
                ),
                history_json=payload,
            ),
        )
        return reply.export

    async def _exported(self, cycle_code: str) -> set[tuple[str, str]]:
        exports = await all_pages(
            partial(_call, self._services.submissions.ListHistoryExports),
            sub.ListHistoryExportsRequest(cycle_code=cycle_code, page_size=5000),
            "exports",
        )
        return {(e.workflow_id, e.run_id) for e in exports}

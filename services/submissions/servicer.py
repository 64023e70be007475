"""SubmissionsService RPC handlers: proto <-> domain, authorisation by scope, transactions."""

from __future__ import annotations

import asyncio
import hashlib
import io
from dataclasses import asdict
from datetime import UTC, datetime

import grpc

from oneassess import telemetry
from oneassess.contract import (
    SIGNAL_EVIDENCE_SUBMITTED,
    SIGNAL_EXTENSION_REQUESTED,
    EvidenceSubmitted,
    ExtensionRequested,
    cycle_workflow_id,
    unit_workflow_id,
)
from oneassess.indicators.v1 import indicators_service_pb2 as ipb
from oneassess.submissions.v1 import submissions_service_pb2 as pb
from oneassess.submissions.v1 import submissions_service_pb2_grpc as pb_grpc
from services.common import audit, idempotency
from services.common.auth import READERS, Principal, Role, principal
from services.common.errors import (
    DataLoss,
    FailedPrecondition,
    InvalidArgument,
    PermissionDenied,
    from_peer,
)
from services.common.paging import decode_token, encode_token, page_size
from services.common.server import Runtime
from services.common.timestamps import moment, timestamp
from services.submissions import formats, model
from services.submissions import repository as repo
from services.submissions.asks import AskCatalogues, AskIndex
from services.submissions.blobstore import BlobStore, BlobWriter
from services.submissions.convert import (
    ASK_STATES,
    history_export_pb,
    notification_pb,
    submission_pb,
    window_pb,
)

EARLY_CHECK_BYTES = 1024 * 1024

OFFICE = frozenset({Role.ADMIN, Role.SERVICE})
AUDIT_READERS = frozenset({Role.ADMIN, Role.AUDITOR, Role.SERVICE})
POLICY = {
    "Upload": frozenset({Role.UNIT, Role.ADMIN}),
    "GetSubmission": READERS,
    "ListSubmissions": READERS,
    "Download": READERS,
    "GetAskStatus": READERS,
    "ListAskTimes": AUDIT_READERS,
    "OpenCollection": OFFICE,
    "ExtendUnit": OFFICE,
    "CloseCollection": OFFICE,
    "RequestExtension": frozenset({Role.UNIT, Role.ADMIN}),
    "RecordNotification": OFFICE,
    "ListNotifications": frozenset({Role.ADMIN, Role.AUDITOR, Role.SERVICE, Role.UNIT}),
    "StoreHistoryExport": OFFICE,
    "ListHistoryExports": AUDIT_READERS,
    "GetHistoryExport": AUDIT_READERS,
}


class SubmissionsServicer(pb_grpc.SubmissionsServiceServicer):
    def __init__(self, runtime: Runtime, blobs: BlobStore) -> None:
        self.rt = runtime
        self.pool = runtime.pool
        self.blobs = blobs
        self.asks = AskCatalogues(self._fetch_catalogue)

    # -- uploads -------------------------------------------------------------------------------

    async def Upload(self, request_iterator, context):
        messages = aiter(request_iterator)
        first = await anext(messages, None)
        if first is None or first.WhichOneof("payload") != "header":
            raise InvalidArgument.field(
                "header", "the first message of an upload must be its header"
            )
        plan = model.plan_upload(first.header, max_bytes=self.rt.settings.max_upload_bytes)
        principal().require_unit(plan.unit_code)
        index = await self.asks.index(plan.cycle_code)
        ask = index.ask(plan.unit_code, plan.evidence_key)
        if ask.formats and plan.declared_format not in ask.formats:
            raise InvalidArgument.field(
                "declared_format",
                f"{ask.evidence_key} accepts {', '.join(ask.formats)}, not {plan.declared_format}",
            )
        # A locked ask is refused before a large file streams in (the commit checks again);
        # not for a retry, which may complete an upload accepted before the lock.
        if plan.size_bytes > EARLY_CHECK_BYTES and not await self._seen_request(plan.request_id):
            await self._require_collecting(self.pool, plan.cycle_code, plan.unit_code)
        async with self.blobs.writer() as blob:
            tally = model.StreamTally(plan.size_bytes)
            async for message in messages:
                if message.WhichOneof("payload") != "chunk":
                    raise InvalidArgument.field(
                        "header", "sent twice: only the first message is a header"
                    )
                tally.add(message.chunk)
                await blob.write(message.chunk)
            sha256, _ = await blob.finish()
            tally.finish(sha256, plan.sha256)
            judged = await asyncio.to_thread(formats.require, blob.path, plan.declared_format)
            return await self._commit_upload(
                first.header, plan, ask.evidence_key, judged, sha256, blob
            )

    async def _commit_upload(
        self,
        header: pb.UploadHeader,
        plan: model.UploadPlan,
        key: str,
        judged: str,
        sha256: str,
        blob: BlobWriter,
    ) -> pb.UploadResponse:
        caller = principal()

        async def work(conn) -> pb.UploadResponse:
            await self._require_collecting(conn, plan.cycle_code, plan.unit_code)
            ask = await repo.lock_ask(
                conn, cycle_code=plan.cycle_code, unit_code=plan.unit_code, evidence_key=key
            )
            if ask is not None and ask.current_sha256 == sha256:
                current = await repo.get_submission(conn, submission_id=ask.current_submission_id)
                return pb.UploadResponse(submission=submission_pb(current), deduplicated=True)
            stored = await repo.insert_submission(
                conn,
                cycle_code=plan.cycle_code,
                unit_code=plan.unit_code,
                evidence_key=key,
                file_name=plan.file_name,
                format=judged,
                size_bytes=plan.size_bytes,
                sha256=sha256,
                effective_date=plan.effective_date,
                submitted_at=datetime.now(UTC),
                submitted_by=caller.subject,
            )
            await repo.enqueue(
                conn,
                trace_context=telemetry.current_trace_carrier(),
                workflow_id=unit_workflow_id(stored.cycle_code, stored.unit_code),
                signal=SIGNAL_EVIDENCE_SUBMITTED,
                payload=asdict(
                    EvidenceSubmitted(
                        submission_id=stored.id,
                        cycle_code=stored.cycle_code,
                        unit_code=stored.unit_code,
                        evidence_key=stored.evidence_key,
                        sha256=stored.sha256,
                        version=stored.version,
                        submitted_at=stored.submitted_at.isoformat(),
                        submitted_by=stored.submitted_by,
                        file_name=stored.file_name,
                        size_bytes=stored.size_bytes,
                    )
                ),
            )
            await blob.commit()  # last step before the commit: a refused upload leaves no file
            await audit.append(
                conn,
                actor=caller.subject,
                action="evidence.submitted",
                subject=f"{stored.cycle_code}/{stored.unit_code}/{stored.evidence_key}@{stored.version}",
                payload={
                    "submission_id": stored.id,
                    "sha256": sha256,
                    "size_bytes": stored.size_bytes,
                },
            )
            return pb.UploadResponse(submission=submission_pb(stored), deduplicated=False)

        return await idempotency.run_once(
            self.pool,
            method="Upload",
            request_id=plan.request_id,
            fingerprint=idempotency.request_fingerprint(header, sha256.encode()),
            response_type=pb.UploadResponse,
            work=work,
        )

    async def _seen_request(self, request_id: str) -> bool:
        if not request_id:
            return False
        return bool(
            await self.pool.fetchval(
                "SELECT 1 FROM idempotency WHERE method = 'Upload' AND request_id = $1", request_id
            )
        )

    # -- reading -------------------------------------------------------------------------------

    async def GetSubmission(self, request, context):
        stored = await self._readable_submission(request.submission_id)
        return pb.GetSubmissionResponse(submission=submission_pb(stored))

    async def Download(self, request, context):
        stored = await self._readable_submission(request.submission_id)
        if not self.blobs.exists(stored.sha256):
            raise DataLoss(
                f"submission_id: the bytes of {stored.id} (sha256 {stored.sha256}) are missing from the blob store",
                "BLOB_MISSING",
                metadata={"field": "submission_id"},
            )
        yield pb.DownloadResponse(header=submission_pb(stored))
        async for chunk in self.blobs.chunks(stored.sha256):
            yield pb.DownloadResponse(chunk=chunk)

    async def ListSubmissions(self, request, context):
        caller = principal()
        unit_code = request.unit_code or (caller.unit if caller.role is Role.UNIT else "")
        caller.require_unit(unit_code)
        index = await self._index(request.cycle_code)
        keys = self._readable_keys(caller, index, request.evidence_key)
        size = page_size(request.page_size, default=100, maximum=1000)
        token = decode_token(request.page_token)
        before = (datetime.fromisoformat(token["at"]), token["id"]) if token else None
        rows = await repo.list_submissions(
            self.pool,
            cycle_code=request.cycle_code,
            unit_code=unit_code,
            evidence_keys=keys,
            before=before,
            limit=size + 1,
        )
        page, more = rows[:size], len(rows) > size
        if caller.role is Role.ASSESSOR:  # a key may serve the department for some unit kinds only
            page_shown = [
                s
                for s in page
                if index.serves_department(s.unit_code, s.evidence_key, caller.department)
            ]
        else:
            page_shown = page
        return pb.ListSubmissionsResponse(
            submissions=[submission_pb(s) for s in page_shown],
            next_page_token=encode_token(
                {"at": page[-1].submitted_at.isoformat(), "id": page[-1].id}
            )
            if more
            else "",
        )

    async def GetAskStatus(self, request, context):
        caller = principal()
        caller.require_unit(request.unit_code)
        index = await self._index(request.cycle_code)
        asks = index.asks_of(request.unit_code)
        visible = sorted(
            key
            for key in asks
            if caller.role is not Role.ASSESSOR
            or index.serves_department(request.unit_code, key, caller.department)
        )
        window = await self._unit_window(self.pool, request.cycle_code, request.unit_code)
        deadline = window.deadline if window else None
        rows = await repo.asks_of_unit(
            self.pool, cycle_code=request.cycle_code, unit_code=request.unit_code
        )
        statuses = []
        for key in visible:
            if key not in asks:
                continue
            row = rows.get(key)
            statuses.append(
                pb.AskStatus(
                    evidence_key=key,
                    state=ASK_STATES[
                        model.ask_state(row.first_submitted_at if row else None, deadline)
                    ],
                    first_submitted_at=timestamp(row.first_submitted_at) if row else None,
                    latest_submitted_at=timestamp(row.latest_submitted_at) if row else None,
                    current_submission_id=row.current_submission_id if row else "",
                    versions=row.versions if row else 0,
                )
            )
        return pb.GetAskStatusResponse(
            asks=statuses,
            deadline=timestamp(deadline),
            closes_at=timestamp(window.closes_at if window else None),
        )

    async def ListAskTimes(self, request, context):
        size = page_size(request.page_size, default=10_000, maximum=50_000)
        token = decode_token(request.page_token)
        after = (token["unit"], token["key"]) if token else None
        rows = await repo.ask_times(
            self.pool, cycle_code=request.cycle_code, after=after, limit=size + 1
        )
        page, more = rows[:size], len(rows) > size
        window = await repo.get_window(self.pool, cycle_code=request.cycle_code)
        extended = (
            [] if token else await repo.list_extensions(self.pool, cycle_code=request.cycle_code)
        )
        return pb.ListAskTimesResponse(
            ask_times=[
                pb.AskTime(unit_code=u, evidence_key=k, first_submitted_at=timestamp(t))
                for u, k, t in page
            ],
            next_page_token=encode_token({"unit": page[-1][0], "key": page[-1][1]}) if more else "",
            cycle_deadline=timestamp(window.deadline if window else None),
            extended=[pb.UnitDeadline(unit_code=u, deadline=timestamp(d)) for u, d in extended],
        )

    # -- collection windows --------------------------------------------------------------------

    async def OpenCollection(self, request, context):
        cycle_code = request.window.cycle_code
        if not cycle_code:
            raise InvalidArgument.field("window.cycle_code", "is required")
        window = model.check_window(
            moment(request.window, "opens_at"),
            moment(request.window, "deadline"),
            moment(request.window, "closes_at"),
        )
        await self._index(cycle_code)  # only folded cycles collect

        async def work(conn):
            await repo.put_window(conn, cycle_code=cycle_code, window=window)
            await self._audit(conn, "collection.opened", cycle_code, window_payload(window))
            return pb.OpenCollectionResponse(window=window_pb(cycle_code, window))

        return await self._once("OpenCollection", request, pb.OpenCollectionResponse, work)

    async def ExtendUnit(self, request, context):
        deadline = moment(request, "deadline")
        if deadline is None:
            raise InvalidArgument.field("deadline", "is required")
        (await self._index(request.cycle_code)).asks_of(
            request.unit_code
        )  # the unit is in the cycle

        async def work(conn):
            cycle = await self._window(conn, request.cycle_code)
            closes_at = moment(request, "closes_at") or max(deadline, cycle.closes_at)
            if closes_at < deadline:
                raise InvalidArgument.field("closes_at", "must not be before the new deadline")
            await repo.put_extension(
                conn,
                cycle_code=request.cycle_code,
                unit_code=request.unit_code,
                deadline=deadline,
                closes_at=closes_at,
                approved_by=request.approved_by or principal().subject,
                reason=request.reason,
            )
            await self._audit(
                conn,
                "collection.unit_extended",
                f"{request.cycle_code}/{request.unit_code}",
                {
                    "deadline": deadline.isoformat(),
                    "closes_at": closes_at.isoformat(),
                    "reason": request.reason,
                },
            )
            return pb.ExtendUnitResponse(
                cycle_code=request.cycle_code,
                unit_code=request.unit_code,
                deadline=timestamp(deadline),
                closes_at=timestamp(closes_at),
            )

        return await self._once("ExtendUnit", request, pb.ExtendUnitResponse, work)

    async def CloseCollection(self, request, context):
        async def work(conn):
            cycle = await self._window(conn, request.cycle_code)
            window = model.closed_window(cycle, moment(request, "closes_at") or datetime.now(UTC))
            await repo.put_window(conn, cycle_code=request.cycle_code, window=window)
            await self._audit(conn, "collection.closed", request.cycle_code, window_payload(window))
            return pb.CloseCollectionResponse(window=window_pb(request.cycle_code, window))

        return await self._once("CloseCollection", request, pb.CloseCollectionResponse, work)

    async def RequestExtension(self, request, context):
        caller = principal()
        caller.require_unit(request.unit_code)
        model.check_extension_request(request.days, request.reason)
        (await self._index(request.cycle_code)).asks_of(request.unit_code)

        async def work(conn):
            await self._window(conn, request.cycle_code)
            requested_at = datetime.now(UTC)
            extension_id = await repo.insert_extension_request(
                conn,
                cycle_code=request.cycle_code,
                unit_code=request.unit_code,
                days=request.days,
                reason=request.reason.strip(),
                requested_by=caller.subject,
                requested_at=requested_at,
            )
            signal = ExtensionRequested(
                extension_id=extension_id,
                cycle_code=request.cycle_code,
                unit_code=request.unit_code,
                days=request.days,
                reason=request.reason.strip(),
                requested_by=caller.subject,
                requested_at=requested_at.isoformat(),
            )
            await repo.enqueue(
                conn,
                trace_context=telemetry.current_trace_carrier(),
                workflow_id=cycle_workflow_id(request.cycle_code),
                signal=SIGNAL_EXTENSION_REQUESTED,
                payload=asdict(signal),
            )
            await self._audit(
                conn,
                "extension.requested",
                f"{request.cycle_code}/{request.unit_code}",
                asdict(signal),
            )
            return pb.RequestExtensionResponse(
                extension_id=extension_id, requested_at=timestamp(requested_at)
            )

        return await self._once("RequestExtension", request, pb.RequestExtensionResponse, work)

    # -- notifications -------------------------------------------------------------------------

    async def RecordNotification(self, request, context):
        n = request.notification
        model.check_notification(n)
        values = {
            f: getattr(n, f) for f in repo.NOTIFICATION_FIELDS if f not in ("evidence_keys", "at")
        }
        values["evidence_keys"] = list(n.evidence_keys)
        values["at"] = moment(n, "at") or datetime.now(UTC)
        async with self.pool.acquire() as conn:
            row = await repo.record_notification(conn, values=values)
        return pb.RecordNotificationResponse(notification=notification_pb(row))

    async def ListNotifications(self, request, context):
        caller = principal()
        unit_code = request.unit_code or (caller.unit if caller.role is Role.UNIT else "")
        caller.require_unit(unit_code)
        size = page_size(request.page_size, default=500, maximum=5000)
        token = decode_token(request.page_token)
        after = (datetime.fromisoformat(token["at"]), token["id"]) if token else None
        rows = await repo.list_notifications(
            self.pool,
            cycle_code=request.cycle_code,
            unit_code=unit_code,
            after=after,
            limit=size + 1,
        )
        page, more = rows[:size], len(rows) > size
        return pb.ListNotificationsResponse(
            notifications=[notification_pb(r) for r in page],
            next_page_token=encode_token({"at": page[-1]["at"].isoformat(), "id": page[-1]["id"]})
            if more
            else "",
        )

    # -- workflow history exports --------------------------------------------------------------

    async def StoreHistoryExport(self, request, context):
        export, data = request.export, request.history_json
        sha256 = hashlib.sha256(data).hexdigest()
        model.check_history_export(export, data, sha256)
        if not await asyncio.to_thread(formats.is_json, io.BytesIO(data)):
            raise InvalidArgument.field(
                "history_json", "is not well-formed JSON (temporal workflow show -o json)"
            )
        values = {f: getattr(export, f) for f in repo.HISTORY_FIELDS}
        values.update(close_time=moment(export, "close_time"), sha256=sha256, size_bytes=len(data))

        async def work(conn):
            row, created = await repo.insert_history_export(conn, values=values)
            if created:
                await self.blobs.put_bytes(data)
                await self._audit(
                    conn,
                    "history.exported",
                    f"{export.workflow_id}/{export.run_id}",
                    {"sha256": sha256, "size_bytes": len(data), "event_count": export.event_count},
                )
            return pb.StoreHistoryExportResponse(export=history_export_pb(row), created=created)

        return await idempotency.run_once(
            self.pool,
            method="StoreHistoryExport",
            request_id=request.request_id,
            fingerprint=idempotency.request_fingerprint(export, sha256.encode()),
            response_type=pb.StoreHistoryExportResponse,
            work=work,
        )

    async def ListHistoryExports(self, request, context):
        size = page_size(request.page_size, default=500, maximum=5000)
        token = decode_token(request.page_token)
        after = (token["workflow_id"], token["run_id"]) if token else None
        rows = await repo.list_history_exports(
            self.pool,
            cycle_code=request.cycle_code,
            unit_code=request.unit_code,
            after=after,
            limit=size + 1,
        )
        page, more = rows[:size], len(rows) > size
        return pb.ListHistoryExportsResponse(
            exports=[history_export_pb(r) for r in page],
            next_page_token=(
                encode_token({"workflow_id": page[-1]["workflow_id"], "run_id": page[-1]["run_id"]})
                if more
                else ""
            ),
        )

    async def GetHistoryExport(self, request, context):
        row = await repo.get_history_export(
            self.pool, workflow_id=request.workflow_id, run_id=request.run_id
        )
        if not self.blobs.exists(row["sha256"]):
            raise DataLoss(
                f"workflow_id: the exported history of {row['workflow_id']}/{row['run_id']} is missing from the blob store",
                "BLOB_MISSING",
                metadata={"field": "workflow_id"},
            )
        # Exactly the bytes on disk, unverified: the auditor re-hashes them against export.sha256.
        return pb.GetHistoryExportResponse(
            export=history_export_pb(row), history_json=await self.blobs.read_bytes(row["sha256"])
        )

    # -- helpers -------------------------------------------------------------------------------

    async def _fetch_catalogue(self, cycle_code: str):
        if not cycle_code:
            raise InvalidArgument.field("cycle_code", "is required")
        try:
            response = await self.rt.peers.indicators.GetCatalogue(
                ipb.GetCatalogueRequest(cycle_code=cycle_code)
            )
        except grpc.aio.AioRpcError as err:
            raise from_peer("indicators", err, field="cycle_code") from err
        return response.catalogue

    async def _index(self, cycle_code: str) -> AskIndex:
        return await self.asks.index(cycle_code)

    async def _readable_submission(self, submission_id: str) -> repo.StoredSubmission:
        stored = await repo.get_submission(self.pool, submission_id=submission_id)
        caller = principal()
        if caller.role in (Role.UNIT, Role.ASSESSOR):
            index = await self._index(stored.cycle_code)
            index.require_readable(caller, stored.unit_code, stored.evidence_key)
        return stored

    @staticmethod
    def _readable_keys(caller: Principal, index: AskIndex, evidence_key: str) -> list[str] | None:
        """Keys a listing may show: None for any; an assessor only its own department's."""
        key = index.canonical.get(evidence_key, evidence_key) if evidence_key else ""
        if caller.role is not Role.ASSESSOR:
            return [key] if key else None
        own = index.keys_of_department(caller.department)
        if key and key not in own:
            raise PermissionDenied(
                f"evidence_key: {key!r} serves no indicator of line department {caller.department!r}",
                "OTHER_DEPARTMENT",
                metadata={"field": "evidence_key"},
            )
        return [key] if key else sorted(own)

    async def _window(self, conn, cycle_code: str) -> model.Window:
        window = await repo.get_window(conn, cycle_code=cycle_code)
        if window is None:
            raise FailedPrecondition(
                f"cycle_code: collection for {cycle_code!r} was never opened",
                "COLLECTION_NOT_OPEN",
                metadata={"field": "cycle_code"},
            )
        return window

    async def _unit_window(self, conn, cycle_code: str, unit_code: str) -> model.Window | None:
        found = await repo.unit_window(conn, cycle_code=cycle_code, unit_code=unit_code)
        return model.unit_window(*found) if found else None

    async def _require_collecting(self, conn, cycle_code: str, unit_code: str) -> None:
        window = await self._unit_window(conn, cycle_code, unit_code)
        model.require_collecting(cycle_code, unit_code, window, datetime.now(UTC))

    async def _audit(self, conn, action: str, subject: str, payload) -> None:
        await audit.append(
            conn, actor=principal().subject, action=action, subject=subject, payload=payload
        )

    async def _once(self, method: str, request, response_type, work):
        return await idempotency.run_once(
            self.pool,
            method=method,
            request_id=request.request_id,
            fingerprint=idempotency.request_fingerprint(request),
            response_type=response_type,
            work=work,
        )


def window_payload(window: model.Window) -> dict[str, str]:
    return {
        "opens_at": window.opens_at.isoformat(),
        "deadline": window.deadline.isoformat(),
        "closes_at": window.closes_at.isoformat(),
    }

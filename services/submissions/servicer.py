"""SubmissionsService RPC handlers: proto <-> domain, authorisation by scope, transactions."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

import grpc

from oneassess import metrics
from oneassess.indicators.v1 import indicators_service_pb2 as ipb
from oneassess.submissions.v1 import submissions_service_pb2 as pb
from oneassess.submissions.v1 import submissions_service_pb2_grpc as pb_grpc
from services.common import idempotency
from services.common.auth import (
    AUDIT_READERS,
    OFFICE,
    READERS,
    UNIT_OR_ADMIN,
    Principal,
    Role,
    principal,
)
from services.common.errors import (
    DataLoss,
    DeadlineExceeded,
    InvalidArgument,
    PermissionDenied,
    ResourceExhausted,
    from_peer,
)
from services.common.paging import Keyset, page_size
from services.common.server import Runtime
from services.common.timestamps import moment, timestamp
from services.submissions import collection, formats, model, uploads
from services.submissions import repository as repo
from services.submissions.asks import AskCatalogues, AskIndex
from services.submissions.blobstore import BlobStore
from services.submissions.convert import (
    ASK_STATES,
    submission_pb,
    window_pb,
)
from services.submissions.records_handlers import RecordsHandlers

EARLY_CHECK_BYTES = 1024 * 1024

POLICY = {
    "Upload": UNIT_OR_ADMIN,
    "GetSubmission": READERS,
    "ListSubmissions": READERS,
    "Download": READERS,
    "GetAskStatus": READERS,
    "ListAskTimes": AUDIT_READERS,
    "OpenCollection": OFFICE,
    "ExtendUnit": OFFICE,
    "CloseCollection": OFFICE,
    "RequestExtension": UNIT_OR_ADMIN,
    "RecordNotification": OFFICE,
    "ListNotifications": READERS - {Role.ASSESSOR},
    "StoreHistoryExport": OFFICE,
    "ListHistoryExports": AUDIT_READERS,
    "GetHistoryExport": AUDIT_READERS,
    "VerifyAuditChain": AUDIT_READERS,
    "ListDeadLetters": OFFICE | {Role.AUDITOR},
}

# Keyset positions of the listings (the token names its listing).
SUBMISSIONS_PAGE = Keyset("submissions", datetime, uuid.UUID)  # newest first
ASK_TIMES_PAGE = Keyset("ask_times", str, str)  # unit code, evidence key


async def _judged(source, declared: str) -> str:
    """The format check: an upload held in memory on the event loop (its head, tail or ZIP
    directory: well under a millisecond), unless JSON, which is parsed whole (about 5 ms per
    64 KiB), and a file: in a worker thread, off the loop."""
    if isinstance(source, bytes) and declared != "json":
        return formats.require(source, declared)
    return await asyncio.to_thread(formats.require, source, declared)


async def _idle_bounded(messages, seconds: float):
    """The stream's messages; DEADLINE_EXCEEDED when the caller sends nothing for `seconds`
    (a stream that only sent its header holds no file descriptor or temp file for long)."""
    iterator = aiter(messages)
    while True:
        try:
            async with asyncio.timeout(seconds):
                message = await anext(iterator)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise DeadlineExceeded(
                f"the upload sent nothing for {seconds:.0f} s: dropped, send it again",
                "UPLOAD_IDLE",
            ) from None
        yield message


class SubmissionsServicer(RecordsHandlers, pb_grpc.SubmissionsServiceServicer):
    def __init__(self, runtime: Runtime, blobs: BlobStore) -> None:
        self.rt = runtime
        self.pool = runtime.pool
        self.blobs = blobs
        self.asks = AskCatalogues(self._fetch_catalogue)
        self._uploading: dict[str, int] = {}  # caller -> uploads in flight

    # -- audit and dead letters ---------------------------------------------------------------

    async def Upload(self, request_iterator, context):
        caller = principal().subject
        cap = self.rt.settings.uploads_per_caller
        if self._uploading.get(caller, 0) >= cap:
            raise ResourceExhausted(
                f"{caller} already has {cap} uploads in progress: finish one first",
                "TOO_MANY_UPLOADS",
                metadata={"limit": str(cap)},
            )
        self._uploading[caller] = self._uploading.get(caller, 0) + 1
        try:
            idle = self.rt.settings.upload_idle_seconds
            return await self._upload(_idle_bounded(request_iterator, idle), context)
        finally:
            self._uploading[caller] -= 1
            if not self._uploading[caller]:
                del self._uploading[caller]

    async def _upload(self, request_iterator, context):
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
        if plan.size_bytes > EARLY_CHECK_BYTES and not await idempotency.seen(
            self.pool, method="Upload", request_id=plan.request_id
        ):
            await collection.require_collecting(self.pool, plan.cycle_code, plan.unit_code)
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
            judged = await _judged(blob.source, plan.declared_format)
            actor = principal().signature

            async def work(conn) -> pb.UploadResponse:
                stored, deduplicated = await uploads.commit_upload(
                    conn,
                    plan=plan,
                    evidence_key=ask.evidence_key,
                    judged_format=judged,
                    sha256=sha256,
                    blob=blob,
                    actor=actor,
                )
                return pb.UploadResponse(
                    submission=submission_pb(stored), deduplicated=deduplicated
                )

            response = await idempotency.once(
                self.pool,
                first.header,
                pb.UploadResponse,
                work,
                method="Upload",
                request_id=plan.request_id,
                extra=(sha256.encode(),),
            )
            metrics.UPLOADS.labels(str(response.deduplicated).lower()).inc()
            if not response.deduplicated:
                metrics.UPLOAD_BYTES.inc(response.submission.size_bytes)
            return response

    # -- reading -------------------------------------------------------------------------------

    async def GetSubmission(self, request, context):
        stored = await self._readable_submission(request.submission_id)
        return pb.GetSubmissionResponse(submission=submission_pb(stored))

    async def Download(self, request, context):
        stored = await self._readable_submission(request.submission_id)
        if not await self.blobs.exists(stored.sha256):
            raise DataLoss.of_field(
                "submission_id",
                f"the bytes of {stored.id} (sha256 {stored.sha256}) are missing from the blob "
                "store",
                "BLOB_MISSING",
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
        rows = await repo.list_submissions(
            self.pool,
            cycle_code=request.cycle_code,
            unit_code=unit_code,
            evidence_keys=keys,
            before=SUBMISSIONS_PAGE.decode(request.page_token),
            limit=size + 1,
        )
        page, next_token = SUBMISSIONS_PAGE.page(
            rows, size, lambda s: (s.submitted_at, uuid.UUID(s.id))
        )
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
            next_page_token=next_token,
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
        window = await collection.unit_window(self.pool, request.cycle_code, request.unit_code)
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
        after = ASK_TIMES_PAGE.decode(request.page_token)
        rows = await repo.ask_times(
            self.pool, cycle_code=request.cycle_code, after=after, limit=size + 1
        )
        page, next_token = ASK_TIMES_PAGE.page(rows, size, lambda r: (r[0], r[1]))
        window = await repo.get_window(self.pool, cycle_code=request.cycle_code)
        extended = (
            [] if after else await repo.list_extensions(self.pool, cycle_code=request.cycle_code)
        )
        return pb.ListAskTimesResponse(
            ask_times=[
                pb.AskTime(unit_code=u, evidence_key=k, first_submitted_at=timestamp(t))
                for u, k, t in page
            ],
            next_page_token=next_token,
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
        actor = principal().signature

        async def work(conn):
            opened = await collection.open_collection(
                conn, cycle_code=cycle_code, window=window, actor=actor
            )
            return pb.OpenCollectionResponse(window=window_pb(cycle_code, opened))

        return await idempotency.once(self.pool, request, pb.OpenCollectionResponse, work)

    async def ExtendUnit(self, request, context):
        deadline = moment(request, "deadline")
        if deadline is None:
            raise InvalidArgument.field("deadline", "is required")
        (await self._index(request.cycle_code)).asks_of(request.unit_code)  # a unit of the cycle
        actor = principal().signature

        async def work(conn):
            extension = await collection.extend_unit(
                conn,
                cycle_code=request.cycle_code,
                unit_code=request.unit_code,
                deadline=deadline,
                closes_at=moment(request, "closes_at"),
                approved_by=request.approved_by or actor,
                reason=request.reason,
                actor=actor,
            )
            return pb.ExtendUnitResponse(
                cycle_code=extension.cycle_code,
                unit_code=extension.unit_code,
                deadline=timestamp(extension.deadline),
                closes_at=timestamp(extension.closes_at),
            )

        return await idempotency.once(self.pool, request, pb.ExtendUnitResponse, work)

    async def CloseCollection(self, request, context):
        actor = principal().signature

        async def work(conn):
            window = await collection.close_collection(
                conn,
                cycle_code=request.cycle_code,
                closes_at=moment(request, "closes_at"),
                actor=actor,
            )
            return pb.CloseCollectionResponse(window=window_pb(request.cycle_code, window))

        return await idempotency.once(self.pool, request, pb.CloseCollectionResponse, work)

    async def RequestExtension(self, request, context):
        caller = principal()
        caller.require_unit(request.unit_code)
        model.check_extension_request(request.days, request.reason)
        (await self._index(request.cycle_code)).asks_of(request.unit_code)

        async def work(conn):
            requested = await collection.request_extension(
                conn,
                cycle_code=request.cycle_code,
                unit_code=request.unit_code,
                days=request.days,
                reason=request.reason.strip(),
                actor=caller.signature,
            )
            return pb.RequestExtensionResponse(
                extension_id=requested.extension_id,
                requested_at=timestamp(datetime.fromisoformat(requested.requested_at)),
            )

        return await idempotency.once(self.pool, request, pb.RequestExtensionResponse, work)

    # -- notifications -------------------------------------------------------------------------

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
            raise PermissionDenied.of_field(
                "evidence_key",
                f"{key!r} serves no indicator of line department {caller.department!r}",
                "OTHER_DEPARTMENT",
            )
        return [key] if key else sorted(own)

"""The submissions service's record-keeping RPCs: notifications, history exports, dead
letters and the audit chain; a mixin of SubmissionsServicer (services/submissions/servicer.py)."""

from __future__ import annotations

import asyncio
import hashlib
import io
from datetime import UTC, datetime

from oneassess.submissions.v1 import submissions_service_pb2 as pb
from services.common import audit, idempotency
from services.common.auth import Role, principal
from services.common.errors import DataLoss, InvalidArgument
from services.common.paging import Keyset, page_size
from services.common.timestamps import moment, timestamp
from services.submissions import formats, model, records
from services.submissions import records_repository as records_repo
from services.submissions import repository as repo
from services.submissions.convert import (
    history_export_from_pb,
    history_export_pb,
    notification_from_pb,
    notification_pb,
)

# Keyset positions of the listings (the token names its listing).
NOTIFICATIONS_PAGE = Keyset("notifications", datetime, str)  # at, id
HISTORY_EXPORTS_PAGE = Keyset("history_exports", str, str)  # workflow id, run id
DEAD_LETTERS_PAGE = Keyset("dead_letters", int)  # outbox row id


class RecordsHandlers:
    """Handlers of what the service keeps for others: the workflows' notifications and
    history exports, undeliverable signals, and its own audit chain."""

    async def VerifyAuditChain(self, request, context):
        return await audit.answer_verify(
            self.pool,
            request,
            pb,
            service="submissions",
            secret=audit.audit_key(self.rt.settings),
        )

    async def ListDeadLetters(self, request, context):
        size = page_size(request.page_size, default=100, maximum=1000)
        after = DEAD_LETTERS_PAGE.decode(request.page_token)
        rows = await repo.list_dead_letters(
            self.pool, after=after[0] if after else None, limit=size + 1
        )
        page, next_token = DEAD_LETTERS_PAGE.page(rows, size, lambda d: (d.id,))
        return pb.ListDeadLettersResponse(
            dead_letters=[
                pb.DeadLetter(
                    id=d.id,
                    workflow_id=d.workflow_id,
                    signal=d.signal,
                    error=d.error,
                    attempts=d.attempts,
                    created_at=timestamp(d.created_at),
                    dead_at=timestamp(d.dead_at),
                )
                for d in page
            ],
            next_page_token=next_token,
        )

    # -- uploads -------------------------------------------------------------------------------

    async def RecordNotification(self, request, context):
        notification = notification_from_pb(
            request.notification, moment(request.notification, "at") or datetime.now(UTC)
        )
        model.check_notification(notification)

        async def work(conn):
            stored = await records.record_notification(conn, notification=notification)
            return pb.RecordNotificationResponse(notification=notification_pb(stored))

        return await idempotency.once(self.pool, request, pb.RecordNotificationResponse, work)

    async def ListNotifications(self, request, context):
        caller = principal()
        unit_code = request.unit_code or (caller.unit if caller.role is Role.UNIT else "")
        caller.require_unit(unit_code)
        size = page_size(request.page_size, default=500, maximum=5000)
        rows = await records_repo.list_notifications(
            self.pool,
            cycle_code=request.cycle_code,
            unit_code=unit_code,
            after=NOTIFICATIONS_PAGE.decode(request.page_token),
            limit=size + 1,
        )
        page, next_token = NOTIFICATIONS_PAGE.page(rows, size, lambda n: (n.at, n.id))
        return pb.ListNotificationsResponse(
            notifications=[notification_pb(n) for n in page], next_page_token=next_token
        )

    # -- workflow history exports --------------------------------------------------------------

    async def StoreHistoryExport(self, request, context):
        data = request.history_json
        sha256 = hashlib.sha256(data).hexdigest()
        model.check_history_export(request.export, data, sha256)
        if not await asyncio.to_thread(formats.is_json, io.BytesIO(data)):
            raise InvalidArgument.field(
                "history_json", "is not well-formed JSON (temporal workflow show -o json)"
            )
        export = history_export_from_pb(request.export, sha256=sha256, size_bytes=len(data))
        actor = principal().signature

        async def work(conn):
            stored, created = await records.store_history_export(
                conn, export=export, history_json=data, blobs=self.blobs, actor=actor
            )
            return pb.StoreHistoryExportResponse(export=history_export_pb(stored), created=created)

        # Keyed by the metadata and the bytes' hash, not the bytes themselves.
        return await idempotency.once(
            self.pool,
            request.export,
            pb.StoreHistoryExportResponse,
            work,
            method="StoreHistoryExport",
            request_id=request.request_id,
            extra=(sha256.encode(),),
        )

    async def ListHistoryExports(self, request, context):
        size = page_size(request.page_size, default=500, maximum=5000)
        rows = await records_repo.list_history_exports(
            self.pool,
            cycle_code=request.cycle_code,
            unit_code=request.unit_code,
            after=HISTORY_EXPORTS_PAGE.decode(request.page_token),
            limit=size + 1,
        )
        page, next_token = HISTORY_EXPORTS_PAGE.page(
            rows, size, lambda e: (e.workflow_id, e.run_id)
        )
        return pb.ListHistoryExportsResponse(
            exports=[history_export_pb(e) for e in page], next_page_token=next_token
        )

    async def GetHistoryExport(self, request, context):
        export = await records_repo.get_history_export(
            self.pool, workflow_id=request.workflow_id, run_id=request.run_id
        )
        if not await self.blobs.exists(export.sha256):
            raise DataLoss.of_field(
                "workflow_id",
                f"the exported history of {export.workflow_id}/{export.run_id}"
                " is missing from the blob store",
                "BLOB_MISSING",
            )
        # Exactly the bytes on disk, unverified: the auditor re-hashes them against export.sha256.
        return pb.GetHistoryExportResponse(
            export=history_export_pb(export),
            history_json=await self.blobs.read_bytes(export.sha256),
        )

    # -- helpers -------------------------------------------------------------------------------

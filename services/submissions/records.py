"""Use cases of the records the workflows keep here: notifications and exported workflow
histories. Each runs on the caller's connection inside its transaction; no proto here."""

from __future__ import annotations

from services.common import audit
from services.submissions import records_repository as repo
from services.submissions.blobstore import BlobStore, blob_lock_key


async def record_notification(
    conn, *, notification: repo.StoredNotification
) -> repo.StoredNotification:
    """Stores a notification once by id; returns what is stored (the first record wins)."""
    return await repo.record_notification(conn, notification=notification)


async def store_history_export(
    conn, *, export: repo.HistoryExportRow, history_json: bytes, blobs: BlobStore, actor: str
) -> tuple[repo.HistoryExportRow, bool]:
    """(stored export, created): a run's history is stored once; its bytes go to the blob
    store and the audit log records their hash."""
    stored, created = await repo.insert_history_export(conn, export=export)
    if created:
        await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", blob_lock_key(export.sha256))
        await blobs.put_bytes(history_json)
        await audit.append(
            conn,
            actor=actor,
            action="history.exported",
            subject=f"{export.workflow_id}/{export.run_id}",
            payload={
                "sha256": export.sha256,
                "size_bytes": export.size_bytes,
                "event_count": export.event_count,
            },
        )
    return stored, created

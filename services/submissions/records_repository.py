"""SQL of the records the workflows keep in the submissions service (explicit,
keyword-only): notifications and exported workflow histories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.common.errors import FailedPrecondition, NotFound

# -- notifications --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredNotification:
    """One notification as recorded (channel, outcome, kind and role as their stored words)."""

    id: str
    cycle_code: str
    unit_code: str
    department: str
    recipient: str
    recipient_role: str
    kind: str
    channel: str
    outcome: str
    subject: str
    body: str
    evidence_keys: tuple[str, ...]
    at: datetime
    error: str
    point: str


NOTIFICATION_FIELDS = tuple(StoredNotification.__dataclass_fields__)
_NOTIFICATION_COLUMNS = ", ".join(NOTIFICATION_FIELDS)


def _notification(row: asyncpg.Record) -> StoredNotification:
    values = {f: row[f] for f in NOTIFICATION_FIELDS}
    values["evidence_keys"] = tuple(row["evidence_keys"])
    return StoredNotification(**values)


async def record_notification(conn, *, notification: StoredNotification) -> StoredNotification:
    """Insert unless the id exists; returns the stored notification (the first record wins)."""
    params = ", ".join(f"${i}" for i in range(1, len(NOTIFICATION_FIELDS) + 1))
    values = [getattr(notification, f) for f in NOTIFICATION_FIELDS]
    values[NOTIFICATION_FIELDS.index("evidence_keys")] = list(notification.evidence_keys)
    await conn.execute(
        f"INSERT INTO notifications ({_NOTIFICATION_COLUMNS}) VALUES ({params})"
        " ON CONFLICT (id) DO NOTHING",
        *values,
    )
    row = await conn.fetchrow(
        f"SELECT {_NOTIFICATION_COLUMNS} FROM notifications WHERE id = $1", notification.id
    )
    return _notification(row)


async def list_notifications(
    conn, *, cycle_code: str, unit_code: str, after: tuple[datetime, str] | None, limit: int
) -> list[StoredNotification]:
    """Oldest first, by (at, id)."""
    rows = await conn.fetch(
        f"SELECT {_NOTIFICATION_COLUMNS} FROM notifications"
        " WHERE cycle_code = $1 AND ($2 = '' OR unit_code = $2)"
        " AND ($3::timestamptz IS NULL OR (at, id) > ($3, $4::text)) ORDER BY at, id LIMIT $5",
        cycle_code,
        unit_code,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return [_notification(r) for r in rows]


# -- history exports ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryExportRow:
    """One exported workflow history's metadata (its bytes are in the blob store by sha256)."""

    workflow_id: str
    run_id: str
    workflow_type: str
    cycle_code: str
    unit_code: str
    close_time: datetime | None
    event_count: int
    sha256: str
    size_bytes: int
    exported_at: datetime | None = None  # set by the database


HISTORY_FIELDS = tuple(f for f in HistoryExportRow.__dataclass_fields__ if f != "exported_at")
_HISTORY_COLUMNS = ", ".join((*HISTORY_FIELDS, "exported_at"))


def _history_export(row: asyncpg.Record) -> HistoryExportRow:
    return HistoryExportRow(**{f: row[f] for f in (*HISTORY_FIELDS, "exported_at")})


async def insert_history_export(conn, *, export: HistoryExportRow) -> tuple[HistoryExportRow, bool]:
    """(stored export, created). The same run again with other bytes is refused."""
    params = ", ".join(f"${i}" for i in range(1, len(HISTORY_FIELDS) + 1))
    inserted = await conn.fetchrow(
        f"INSERT INTO history_exports ({', '.join(HISTORY_FIELDS)}) VALUES ({params})"
        f" ON CONFLICT (workflow_id, run_id) DO NOTHING RETURNING {_HISTORY_COLUMNS}",
        *(getattr(export, f) for f in HISTORY_FIELDS),
    )
    if inserted is not None:
        return _history_export(inserted), True
    stored = _history_export(
        await conn.fetchrow(
            f"SELECT {_HISTORY_COLUMNS} FROM history_exports WHERE workflow_id = $1 AND run_id "
            "= $2",
            export.workflow_id,
            export.run_id,
        )
    )
    if stored.sha256 != export.sha256:
        raise FailedPrecondition.of_field(
            "run_id",
            f"run {export.run_id!r} of {export.workflow_id!r} was already exported with"
            f" sha256 {stored.sha256}; a closed history never changes",
            "HISTORY_EXPORT_DIFFERS",
        )
    return stored, False


async def get_history_export(conn, *, workflow_id: str, run_id: str) -> HistoryExportRow:
    row = await conn.fetchrow(
        f"SELECT {_HISTORY_COLUMNS} FROM history_exports"
        " WHERE workflow_id = $1 AND ($2 = '' OR run_id = $2)"
        " ORDER BY close_time DESC NULLS LAST, exported_at DESC LIMIT 1",
        workflow_id,
        run_id,
    )
    if row is None:
        what = f"run {run_id!r} of " if run_id else ""
        raise NotFound.of_field(
            "workflow_id",
            f"no exported history for {what}{workflow_id!r}",
            "HISTORY_EXPORT_NOT_FOUND",
        )
    return _history_export(row)


async def list_history_exports(
    conn, *, cycle_code: str, unit_code: str, after: tuple[str, str] | None, limit: int
) -> list[HistoryExportRow]:
    """By (workflow id, run id)."""
    rows = await conn.fetch(
        f"SELECT {_HISTORY_COLUMNS} FROM history_exports"
        " WHERE cycle_code = $1 AND ($2 = '' OR unit_code = $2)"
        " AND ($3::text IS NULL OR (workflow_id, run_id) > ($3, $4::text))"
        " ORDER BY workflow_id, run_id LIMIT $5",
        cycle_code,
        unit_code,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return [_history_export(r) for r in rows]

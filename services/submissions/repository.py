"""SQL of the submissions service (explicit, keyword-only): windows, asks, submissions,
extension requests, outbox, notifications, history exports."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from services.common.errors import NotFound
from services.submissions.model import Window
from services.submissions.signal_batches import OutboxRow

OUTBOX_CHANNEL = "submissions_outbox"


@dataclass(frozen=True)
class StoredSubmission:
    id: str
    cycle_code: str
    unit_code: str
    evidence_key: str
    version: int
    file_name: str
    format: str
    size_bytes: int
    sha256: str
    effective_date: date | None
    submitted_at: datetime
    submitted_by: str
    current: bool


def _submission(row: asyncpg.Record) -> StoredSubmission:
    return StoredSubmission(
        id=str(row["id"]),
        cycle_code=row["cycle_code"],
        unit_code=row["unit_code"],
        evidence_key=row["evidence_key"],
        version=row["version"],
        file_name=row["file_name"],
        format=row["format"],
        size_bytes=row["size_bytes"],
        sha256=row["sha256"],
        effective_date=row["effective_date"],
        submitted_at=row["submitted_at"],
        submitted_by=row["submitted_by"],
        current=row["current"],
    )


_SUBMISSION_FIELDS = (
    "id, cycle_code, unit_code, evidence_key, version, file_name, format, size_bytes, sha256,"
    " effective_date, submitted_at, submitted_by"
)
_SUBMISSION_COLUMNS = (
    "s.id, s.cycle_code, s.unit_code, s.evidence_key, s.version, s.file_name, s.format,"
    " s.size_bytes, s.sha256, s.effective_date, s.submitted_at, s.submitted_by,"
    " (a.current_submission_id = s.id) AS current"
    " FROM submissions s JOIN asks a USING (cycle_code, unit_code, evidence_key)"
)
_ASK_COLUMNS = (
    "a.evidence_key, a.versions, a.current_submission_id, a.first_submitted_at,"
    " a.latest_submitted_at"
)


# -- windows -------------------------------------------------------------------------------------


async def get_window(conn, *, cycle_code: str) -> Window | None:
    row = await conn.fetchrow(
        "SELECT opens_at, deadline, closes_at FROM collection_windows WHERE cycle_code = $1",
        cycle_code,
    )
    return Window(row["opens_at"], row["deadline"], row["closes_at"]) if row else None


async def put_window(conn, *, cycle_code: str, window: Window) -> None:
    await conn.execute(
        "INSERT INTO collection_windows (cycle_code, opens_at, deadline, closes_at)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (cycle_code) DO UPDATE"
        " SET opens_at = $2, deadline = $3, closes_at = $4, updated_at = now()",
        cycle_code,
        window.opens_at,
        window.deadline,
        window.closes_at,
    )


_WINDOW_COLUMNS = (
    "w.opens_at, w.deadline, w.closes_at, e.deadline AS ext_deadline, e.closes_at AS ext_closes_at"
)


async def unit_window(
    conn, *, cycle_code: str, unit_code: str, lock_ask: str = ""
) -> tuple[Window, tuple[datetime, datetime] | None] | None:
    """The cycle's window and the unit's extension (deadline, closes_at), in one round trip.
    With `lock_ask` (an evidence key) the unit's ask is also locked until the transaction
    ends, in the same round trip: its versions (and the check against the current version's
    bytes) are decided one upload at a time, even for its first version."""
    # One row whether or not a window exists, so the lock (when asked for) is always taken.
    anchor, args = "(SELECT)", [cycle_code, unit_code]
    if lock_ask:
        anchor = "(SELECT pg_advisory_xact_lock(hashtext($3)))"
        args.append(f"oneassess.ask/{cycle_code}/{unit_code}/{lock_ask}")
    row = await conn.fetchrow(
        f"SELECT {_WINDOW_COLUMNS} FROM {anchor} AS anchor"
        " LEFT JOIN collection_windows w ON w.cycle_code = $1"
        " LEFT JOIN unit_extensions e ON e.cycle_code = w.cycle_code AND e.unit_code = $2",
        *args,
    )
    if row["opens_at"] is None:
        return None
    extension = (row["ext_deadline"], row["ext_closes_at"]) if row["ext_deadline"] else None
    return Window(row["opens_at"], row["deadline"], row["closes_at"]), extension


async def list_extensions(conn, *, cycle_code: str) -> list[tuple[str, datetime]]:
    rows = await conn.fetch(
        "SELECT unit_code, deadline FROM unit_extensions WHERE cycle_code = $1 ORDER BY unit_code",
        cycle_code,
    )
    return [(r["unit_code"], r["deadline"]) for r in rows]


async def put_extension(
    conn,
    *,
    cycle_code: str,
    unit_code: str,
    deadline: datetime,
    closes_at: datetime,
    approved_by: str,
    reason: str,
) -> None:
    await conn.execute(
        "INSERT INTO unit_extensions"
        " (cycle_code, unit_code, deadline, closes_at, approved_by, reason) VALUES ($1, $2, "
        "$3, $4, $5, $6) ON CONFLICT (cycle_code, unit_code) DO UPDATE"
        " SET deadline = $3, closes_at = $4, approved_by = $5, reason = $6, extended_at = now()",
        cycle_code,
        unit_code,
        deadline,
        closes_at,
        approved_by,
        reason,
    )


# -- asks and submissions -------------------------------------------------------------------------


@dataclass(frozen=True)
class AskRow:
    evidence_key: str
    versions: int
    current_submission_id: str
    first_submitted_at: datetime
    latest_submitted_at: datetime
    current_sha256: str


async def current_of_ask(
    conn, *, cycle_code: str, unit_code: str, evidence_key: str
) -> AskRow | None:
    """The ask's summary with its current version's hash; read after taking the ask's lock
    (`unit_window(lock_ask=...)`), so it is the summary the next version builds on."""
    row = await conn.fetchrow(
        f"SELECT {_ASK_COLUMNS}, s.sha256 AS current_sha256"
        " FROM asks a JOIN submissions s ON s.id = a.current_submission_id"
        " WHERE a.cycle_code = $1 AND a.unit_code = $2 AND a.evidence_key = $3",
        cycle_code,
        unit_code,
        evidence_key,
    )
    return _ask(row) if row else None


def _ask(row: asyncpg.Record) -> AskRow:
    return AskRow(
        evidence_key=row["evidence_key"],
        versions=row["versions"],
        current_submission_id=str(row["current_submission_id"]),
        first_submitted_at=row["first_submitted_at"],
        latest_submitted_at=row["latest_submitted_at"],
        current_sha256=row.get("current_sha256", ""),  # only when asked for (current_of_ask)
    )


async def insert_submission(
    conn,
    *,
    cycle_code: str,
    unit_code: str,
    evidence_key: str,
    file_name: str,
    format: str,
    size_bytes: int,
    sha256: str,
    effective_date: date | None,
    submitted_at: datetime,
    submitted_by: str,
    blob_lock_key: int,
) -> StoredSubmission:
    """Store the next version of the ask (locked by `unit_window(lock_ask=...)`) and make it
    current. Takes the blob's shared lock (`blob_lock_key`) in the same round trip, held
    until the transaction ends: the sweeper cannot remove the blob between the store's commit
    (which may find it already there) and this row, which references it."""
    row = await conn.fetchrow(
        "WITH blob AS (SELECT pg_advisory_xact_lock_shared($12)), ask AS ("
        " INSERT INTO asks AS a (cycle_code, unit_code, evidence_key, versions,"
        " current_submission_id, first_submitted_at, latest_submitted_at)"
        " VALUES ($2, $3, $4, 1, $1, $11, $11)"
        " ON CONFLICT (cycle_code, unit_code, evidence_key) DO UPDATE"
        " SET versions = a.versions + 1, current_submission_id = $1, latest_submitted_at = $11"
        " RETURNING versions)"
        f" INSERT INTO submissions ({_SUBMISSION_FIELDS})"
        " SELECT $1, $2, $3, $4, ask.versions, $5, $6, $7, $8, $9, $11, $10 FROM ask, blob"
        f" RETURNING {_SUBMISSION_FIELDS}, true AS current",
        uuid.uuid4(),
        cycle_code,
        unit_code,
        evidence_key,
        file_name,
        format,
        size_bytes,
        sha256,
        effective_date,
        submitted_by,
        submitted_at,
        blob_lock_key,
    )
    return _submission(row)


async def get_submission(conn, *, submission_id: str) -> StoredSubmission:
    try:
        key = uuid.UUID(submission_id)
    except ValueError:
        key = None
    row = await conn.fetchrow(f"SELECT {_SUBMISSION_COLUMNS} WHERE s.id = $1", key) if key else None
    if row is None:
        raise NotFound.of_field(
            "submission_id", f"no submission {submission_id!r}", "SUBMISSION_NOT_FOUND"
        )
    return _submission(row)


async def list_submissions(
    conn,
    *,
    cycle_code: str,
    unit_code: str = "",
    evidence_keys: list[str] | None = None,
    before: tuple[datetime, uuid.UUID] | None = None,
    limit: int,
) -> list[StoredSubmission]:
    """Newest first; `evidence_keys` None means any key."""
    rows = await conn.fetch(
        f"SELECT {_SUBMISSION_COLUMNS}"
        " WHERE s.cycle_code = $1 AND ($2 = '' OR s.unit_code = $2)"
        " AND ($3::text[] IS NULL OR s.evidence_key = ANY($3))"
        " AND ($4::timestamptz IS NULL OR (s.submitted_at, s.id) < ($4, $5::uuid))"
        " ORDER BY s.submitted_at DESC, s.id DESC LIMIT $6",
        cycle_code,
        unit_code,
        evidence_keys,
        before[0] if before else None,
        before[1] if before else None,
        limit,
    )
    return [_submission(r) for r in rows]


async def asks_of_unit(conn, *, cycle_code: str, unit_code: str) -> dict[str, AskRow]:
    rows = await conn.fetch(
        f"SELECT {_ASK_COLUMNS} FROM asks a WHERE a.cycle_code = $1 AND a.unit_code = $2",
        cycle_code,
        unit_code,
    )
    return {r["evidence_key"]: _ask(r) for r in rows}


async def ask_times(
    conn, *, cycle_code: str, after: tuple[str, str] | None, limit: int
) -> list[tuple[str, str, datetime]]:
    rows = await conn.fetch(
        "SELECT unit_code, evidence_key, first_submitted_at FROM asks WHERE cycle_code = $1"
        " AND ($2::text IS NULL OR (unit_code, evidence_key) > ($2, $3::text))"
        " ORDER BY unit_code, evidence_key LIMIT $4",
        cycle_code,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return [(r["unit_code"], r["evidence_key"], r["first_submitted_at"]) for r in rows]


# -- outbox ---------------------------------------------------------------------------------------


async def enqueue(
    conn,
    *,
    workflow_id: str,
    signal: str,
    payload: dict[str, Any],
    trace_context: dict[str, str] | None = None,
) -> None:
    """An event for the relay, committed with the caller's transaction; wakes every relay."""
    await conn.execute(
        "WITH queued AS (INSERT INTO outbox (workflow_id, signal, payload, trace_context)"
        " VALUES ($1, $2, $3, $5) RETURNING id)"
        " SELECT pg_notify($4, '') FROM queued",
        workflow_id,
        signal,
        payload,
        OUTBOX_CHANNEL,
        trace_context or {},
    )


async def claim_outbox(conn, *, limit: int) -> list[OutboxRow]:
    """Due rows, locked for this transaction; rows another replica holds are skipped. Rows of
    one batch share their due time, so ordering by batch keeps a batch together."""
    rows = await conn.fetch(
        "SELECT id, workflow_id, signal, payload, attempts, trace_context, batch_id::text"
        " FROM outbox"
        " WHERE delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= clock_timestamp()"
        " ORDER BY next_attempt_at, batch_id NULLS LAST, id LIMIT $1 FOR UPDATE SKIP LOCKED",
        limit,
    )
    claimed = [OutboxRow(**dict(r)) for r in rows]
    batches = list({r.batch_id for r in claimed if r.batch_id is not None})
    if batches:  # the limit may have cut a leased batch: take the rest of it too
        rest = await conn.fetch(
            "SELECT id, workflow_id, signal, payload, attempts, trace_context, batch_id::text"
            " FROM outbox WHERE batch_id = ANY($1::uuid[]) AND id <> ALL($2::bigint[])"
            " AND delivered_at IS NULL AND dead_at IS NULL ORDER BY id FOR UPDATE SKIP LOCKED",
            batches,
            [r.id for r in claimed],
        )
        claimed += [OutboxRow(**dict(r)) for r in rest]
    return claimed


async def lease_outbox(conn, *, batches: list[tuple[str, list[int]]], seconds: float) -> None:
    """Gives each row its batch and makes the rows due again only after `seconds`: the relay
    signals after this commits, holding no transaction, and rows of a relay that dies
    meanwhile are sent again (as the same batches) once the lease ends."""
    ids = [row_id for _, row_ids in batches for row_id in row_ids]
    batch_ids = [batch_id for batch_id, row_ids in batches for _ in row_ids]
    await conn.execute(
        "UPDATE outbox SET batch_id = leased.batch_id,"
        " next_attempt_at = now() + make_interval(secs => $3)"
        " FROM unnest($1::bigint[], $2::uuid[]) AS leased(id, batch_id)"
        " WHERE outbox.id = leased.id",
        ids,
        batch_ids,
        seconds,
    )


async def mark_delivered(conn, *, ids: list[int]) -> list[float]:
    """Marks the rows delivered (once: a copy another relay sent after a lease ran out changes
    nothing); returns each newly delivered row's lag (commit to delivery) in seconds."""
    rows = await conn.fetch(
        "UPDATE outbox SET delivered_at = clock_timestamp()"
        " WHERE id = ANY($1) AND delivered_at IS NULL"
        " RETURNING extract(epoch FROM delivered_at - created_at)::float8 AS lag",
        ids,
    )
    return [r["lag"] for r in rows]


async def mark_failed(conn, *, failures: list[tuple[int, float, str]]) -> None:
    """(id, seconds until the next attempt, error) for each failed row. The due time counts
    from the transaction's start, so the rows of one batch stay due together."""
    await conn.executemany(
        "UPDATE outbox SET attempts = attempts + 1, last_error = $3,"
        " next_attempt_at = now() + make_interval(secs => $2)"
        " WHERE id = $1 AND delivered_at IS NULL",
        failures,
    )


async def mark_dead(conn, *, failures: list[tuple[int, str]]) -> None:
    """(id, error) for each row Temporal refused for good: a dead letter, never retried."""
    await conn.executemany(
        "UPDATE outbox SET attempts = attempts + 1, last_error = $2, dead_at = clock_timestamp()"
        " WHERE id = $1 AND delivered_at IS NULL",
        failures,
    )


@dataclass(frozen=True)
class DeadLetter:
    id: int
    workflow_id: str
    signal: str
    error: str
    attempts: int
    created_at: datetime
    dead_at: datetime


async def list_dead_letters(conn, *, after: int | None, limit: int) -> list[DeadLetter]:
    """Dead letters oldest first, after the row id `after`."""
    rows = await conn.fetch(
        "SELECT id, workflow_id, signal, last_error, attempts, created_at, dead_at FROM outbox"
        " WHERE dead_at IS NOT NULL AND id > $1 ORDER BY id LIMIT $2",
        after or 0,
        limit,
    )
    return [
        DeadLetter(
            r["id"],
            r["workflow_id"],
            r["signal"],
            r["last_error"],
            r["attempts"],
            r["created_at"],
            r["dead_at"],
        )
        for r in rows
    ]


async def next_due_in(conn) -> float | None:
    """Seconds until the next undelivered row is due (0 when overdue), None when none."""
    value = await conn.fetchval(
        "SELECT EXTRACT(EPOCH FROM min(next_attempt_at) - clock_timestamp())"
        " FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL"
    )
    return None if value is None else max(0.0, float(value))


async def outbox_backlog(conn) -> tuple[int, float | None]:
    """(undelivered rows, age in seconds of the oldest one, None when there is none)."""
    row = await conn.fetchrow(
        "SELECT count(*) AS depth, EXTRACT(EPOCH FROM clock_timestamp() - min(created_at)) AS age"
        " FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL"
    )
    return int(row["depth"]), (None if row["age"] is None else float(row["age"]))


# -- extension requests ---------------------------------------------------------------------------


async def insert_extension_request(
    conn,
    *,
    cycle_code: str,
    unit_code: str,
    days: int,
    reason: str,
    requested_by: str,
    requested_at: datetime,
) -> str:
    extension_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO extension_requests"
        " (id, cycle_code, unit_code, days, reason, requested_by, requested_at) VALUES ($1, "
        "$2, $3, $4, $5, $6, $7)",
        extension_id,
        cycle_code,
        unit_code,
        days,
        reason,
        requested_by,
        requested_at,
    )
    return str(extension_id)

"""Use cases of collection: a cycle's window, one unit's extension, a unit's request for more
time. Each runs on the caller's connection inside its transaction; no proto here."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from oneassess import telemetry
from oneassess.contract import SIGNAL_EXTENSION_REQUESTED, ExtensionRequested, cycle_workflow_id
from oneassess.contract.cycle import MAX_EXTENSIONS_PER_UNIT, REASON_CHARS
from services.common import audit
from services.common.errors import FailedPrecondition, InvalidArgument, ResourceExhausted
from services.submissions import model
from services.submissions import repository as repo


def window_payload(window: model.Window) -> dict[str, str]:
    """A window as the audit log records it."""
    return {
        "opens_at": window.opens_at.isoformat(),
        "deadline": window.deadline.isoformat(),
        "closes_at": window.closes_at.isoformat(),
    }


async def cycle_window(conn, cycle_code: str) -> model.Window:
    """The cycle's window; FAILED_PRECONDITION when collection was never opened."""
    window = await repo.get_window(conn, cycle_code=cycle_code)
    if window is None:
        raise FailedPrecondition.of_field(
            "cycle_code", f"collection for {cycle_code!r} was never opened", "COLLECTION_NOT_OPEN"
        )
    return window


async def unit_window(
    conn, cycle_code: str, unit_code: str, *, lock_ask: str = ""
) -> model.Window | None:
    """The window in force for one unit (its extension included), None before opening;
    `lock_ask`: see repo.unit_window."""
    found = await repo.unit_window(
        conn, cycle_code=cycle_code, unit_code=unit_code, lock_ask=lock_ask
    )
    return model.unit_window(*found) if found else None


async def require_collecting(conn, cycle_code: str, unit_code: str, *, lock_ask: str = "") -> None:
    """Refuses an upload outside the unit's window; `lock_ask` locks that ask of the unit
    until the transaction ends, in the same round trip."""
    window = await unit_window(conn, cycle_code, unit_code, lock_ask=lock_ask)
    model.require_collecting(cycle_code, unit_code, window, datetime.now(UTC))


async def open_collection(
    conn, *, cycle_code: str, window: model.Window, actor: str
) -> model.Window:
    await repo.put_window(conn, cycle_code=cycle_code, window=window)
    await audit.append(
        conn,
        actor=actor,
        action="collection.opened",
        subject=cycle_code,
        payload=window_payload(window),
    )
    return window


async def close_collection(
    conn, *, cycle_code: str, closes_at: datetime | None, actor: str
) -> model.Window:
    """Closes at `closes_at` (now when None); the deadline never passes the lock."""
    cycle = await cycle_window(conn, cycle_code)
    window = model.closed_window(cycle, closes_at or datetime.now(UTC))
    await repo.put_window(conn, cycle_code=cycle_code, window=window)
    await audit.append(
        conn,
        actor=actor,
        action="collection.closed",
        subject=cycle_code,
        payload=window_payload(window),
    )
    return window


@dataclass(frozen=True)
class Extension:
    """One unit's deadline and lock, as an approved extension sets them."""

    cycle_code: str
    unit_code: str
    deadline: datetime
    closes_at: datetime


async def extend_unit(
    conn,
    *,
    cycle_code: str,
    unit_code: str,
    deadline: datetime,
    closes_at: datetime | None,
    approved_by: str,
    reason: str,
    actor: str,
) -> Extension:
    """Moves the unit's deadline; its lock moves to `closes_at`, or to the later of the new
    deadline and the cycle's lock."""
    cycle = await cycle_window(conn, cycle_code)
    closes_at = closes_at or max(deadline, cycle.closes_at)
    if closes_at < deadline:
        raise InvalidArgument.field("closes_at", "must not be before the new deadline")
    await repo.put_extension(
        conn,
        cycle_code=cycle_code,
        unit_code=unit_code,
        deadline=deadline,
        closes_at=closes_at,
        approved_by=approved_by,
        reason=reason,
    )
    await audit.append(
        conn,
        actor=actor,
        action="collection.unit_extended",
        subject=f"{cycle_code}/{unit_code}",
        payload={
            "deadline": deadline.isoformat(),
            "closes_at": closes_at.isoformat(),
            "reason": reason,
        },
    )
    return Extension(cycle_code, unit_code, deadline, closes_at)


async def request_extension(
    conn, *, cycle_code: str, unit_code: str, days: int, reason: str, actor: str
) -> ExtensionRequested:
    """Records the request and tells the cycle workflow through the outbox. The workflow keeps
    at most MAX_EXTENSIONS_PER_UNIT per unit and the start of the reason: more requests are
    refused here, and the whole reason stays here."""
    await cycle_window(conn, cycle_code)
    # One unit's requests are counted under a lock of (cycle, unit), so concurrent requests
    # cannot pass the cap together.
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", f"{cycle_code}/{unit_code}"
    )
    made = await conn.fetchval(
        "SELECT count(*) FROM extension_requests WHERE cycle_code = $1 AND unit_code = $2",
        cycle_code,
        unit_code,
    )
    if made >= MAX_EXTENSIONS_PER_UNIT:
        raise ResourceExhausted(
            f"unit_code: {unit_code} has made {made} extension requests in {cycle_code}: "
            f"at most {MAX_EXTENSIONS_PER_UNIT}; ask the assessment office directly",
            "TOO_MANY_EXTENSION_REQUESTS",
            metadata={"field": "unit_code", "limit": str(MAX_EXTENSIONS_PER_UNIT)},
        )
    requested_at = datetime.now(UTC)
    extension_id = await repo.insert_extension_request(
        conn,
        cycle_code=cycle_code,
        unit_code=unit_code,
        days=days,
        reason=reason,
        requested_by=actor,
        requested_at=requested_at,
    )
    signal = ExtensionRequested(
        extension_id=extension_id,
        cycle_code=cycle_code,
        unit_code=unit_code,
        days=days,
        reason=reason if len(reason) <= REASON_CHARS else reason[: REASON_CHARS - 1] + "…",
        requested_by=actor,
        requested_at=requested_at.isoformat(),
    )
    await repo.enqueue(
        conn,
        trace_context=telemetry.current_trace_carrier(),
        workflow_id=cycle_workflow_id(cycle_code),
        signal=SIGNAL_EXTENSION_REQUESTED,
        payload=asdict(signal),
    )
    await audit.append(
        conn,
        actor=actor,
        action="extension.requested",
        subject=f"{cycle_code}/{unit_code}",
        payload=asdict(signal),
    )
    return signal

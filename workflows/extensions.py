"""The cycle's extension rules (pure: state in, decisions out; the caller passes `now`).

A unit asks for more days (signal through the submissions outbox) or the office grants them
directly (update); an approval moves the unit's deadline and lock by the days, shrunk by the
cycle's compression, and must leave its asks locked before review is due.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from oneassess.contract import ExtensionRequested
from workflows import timeline
from workflows.model import (
    CLOSED,
    COLLECTING,
    FINAL,
    FOLDED,
    MAX_EXTENSIONS_PER_UNIT,
    REASON_CHARS,
    REVIEWING,
    CycleState,
    ExtendUnitRequest,
    ExtensionDecision,
    ExtensionRecord,
    NoticeInput,
    Recipient,
)

EXTENSION_DAYS = (1, 60)  # what the submissions service accepts in RequestExtension


def short(reason: str) -> str:
    """What the workflow keeps of a reason (the whole of it lives in the submissions service)."""
    return reason if len(reason) <= REASON_CHARS else reason[: REASON_CHARS - 1] + "…"


def records_of(state: CycleState, unit_code: str) -> int:
    return sum(1 for e in state.extensions if e.unit_code == unit_code)


def record_request(state: CycleState, request: ExtensionRequested) -> bool:
    """Hold a unit's request as pending (once: the outbox may deliver it again). The state stays
    bounded: a unit's requests past MAX_EXTENSIONS_PER_UNIT are dropped (False)."""
    if any(e.extension_id == request.extension_id for e in state.extensions):
        return True
    if records_of(state, request.unit_code) >= MAX_EXTENSIONS_PER_UNIT:
        return False
    state.extensions.append(
        ExtensionRecord(
            extension_id=request.extension_id[:100],
            unit_code=request.unit_code[:100],
            days=request.days,
            reason=short(request.reason),
            requested_by=request.requested_by[:200],
            requested_at=request.requested_at[:40],
        )
    )
    return True


def office_record(state: CycleState, request: ExtendUnitRequest, now: datetime) -> ExtensionRecord:
    """The record of an extension the office grants directly (`office-1`, `office-2`, ...)."""
    number = sum(1 for e in state.extensions if e.extension_id.startswith("office-")) + 1
    return ExtensionRecord(
        extension_id=f"office-{number}",
        unit_code=request.unit_code,
        days=request.days,
        reason=short(request.reason),
        requested_by=request.approved_by,
        requested_at=timeline.iso(now),
    )


def pending(state: CycleState, decision: ExtensionDecision) -> ExtensionRecord:
    """The pending request a decision is about (the latest of the unit's), or ValueError."""
    if not decision.extension_id and not decision.unit_code:
        raise ValueError("name the unit (unit_code) or the request (extension_id)")
    found = [
        e
        for e in state.extensions
        if e.status == "pending"
        and (not decision.extension_id or e.extension_id == decision.extension_id)
        and (not decision.unit_code or e.unit_code == decision.unit_code)
    ]
    if not found:
        who = decision.extension_id or decision.unit_code
        raise ValueError(f"no pending extension request for {who!r}")
    return found[-1]


def check_decidable(state: CycleState, decision: ExtensionDecision) -> None:
    record = pending(state, decision)
    if decision.approve:
        check_extendable(state, record.unit_code, decision.days or record.days)
    elif state.phase in (FINAL, CLOSED):
        raise ValueError(f"the cycle is {state.phase}: extension requests are closed")


def check_grantable(state: CycleState, unit_code: str, days: int) -> None:
    """An office grant adds a record: the unit must have room for one more."""
    check_extendable(state, unit_code, days)
    if records_of(state, unit_code) >= MAX_EXTENSIONS_PER_UNIT:
        raise ValueError(
            f"unit_code: {unit_code} already has {MAX_EXTENSIONS_PER_UNIT} extensions this cycle"
        )


def check_extendable(state: CycleState, unit_code: str, days: int) -> None:
    if unit_code not in {u.code for u in state.units}:
        raise ValueError(f"unit_code: {unit_code!r} is not a unit of cycle {state.cycle_code}")
    low, high = EXTENSION_DAYS
    if not low <= days <= high:
        raise ValueError(f"days: must be {low} to {high}, got {days}")
    if state.phase not in (FOLDED, COLLECTING, REVIEWING):
        raise ValueError(f"the cycle is {state.phase}: extensions are over once scoring starts")
    _, closes = unit_deadline(state, unit_code)
    new_closes = timeline.parse(closes) + timedelta(days=days) / state.compression
    if new_closes >= timeline.parse(state.calendar.review_due):
        raise ValueError(
            f"days: {days} more days would keep {unit_code}'s asks open until "
            f"{timeline.iso(new_closes)}, past review_due ({state.calendar.review_due})"
        )


def unit_deadline(state: CycleState, unit_code: str) -> tuple[str, str]:
    """The unit's deadline and lock: its last extension's, else the cycle's."""
    deadline, closes = state.unit_deadlines.get(
        unit_code, [state.calendar.evidence_due, state.calendar.collection_closes]
    )
    return deadline, closes


def moved_deadline(state: CycleState, unit_code: str, days: int) -> tuple[str, str]:
    """The unit's deadline and lock `days` later (shrunk like the cycle's calendar)."""
    deadline, closes = unit_deadline(state, unit_code)
    moved = timedelta(days=days) / state.compression
    return (
        timeline.iso(timeline.parse(deadline) + moved),
        timeline.iso(timeline.parse(closes) + moved),
    )


def approve(
    state: CycleState,
    record: ExtensionRecord,
    *,
    by: str,
    days: int,
    deadline: str,
    closes: str,
    now: datetime,
) -> None:
    state.unit_deadlines[record.unit_code] = [deadline, closes]
    record.status, record.decided_by = "approved", by
    record.decided_at = timeline.iso(now)
    record.deadline, record.closes_at, record.days = deadline, closes, days


def reject(record: ExtensionRecord, *, by: str, now: datetime) -> None:
    record.status = "rejected"
    record.decided_by = by
    record.decided_at = timeline.iso(now)


def decision_notice(state: CycleState, record: ExtensionRecord) -> NoticeInput:
    """The unit's notice of the decision on its extension."""
    unit = next(u for u in state.units if u.code == record.unit_code)
    if record.status == "approved":
        body = (
            f"Extension of {record.days} day(s) approved by {record.decided_by}: "
            f"new deadline {record.deadline}."
        )
    else:
        body = f"Extension request rejected by {record.decided_by}."
    return NoticeInput(
        notification_id=f"{state.cycle_code}/{unit.code}/extension/{record.extension_id}",
        cycle_code=state.cycle_code,
        unit_code=unit.code,
        kind="extension_decided",
        subject=f"{state.cycle_code}: extension {record.status}",
        body=body,
        recipients=[Recipient("contact", unit.contact)],
    )
